//! Start-up and shutdown: open the database, migrate, bind, assemble the router
//! with its layers, and serve until told to stop, letting in-flight requests
//! finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::{from_fn, map_response_with_state};
use axum::routing::get;
use propusk_store::{Db, DbOptions};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{WebError, render_errors};
use crate::settings::Settings;
use crate::state::AppState;
use crate::{api, assets, health, i18n, metrics, middleware, pages};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] propusk_store::StoreError),
    #[error("{0}")]
    Keys(#[from] crate::keys::KeyError),
    #[error("{0}")]
    Internal(String),
    /// The command's input was refused (exit 2).
    #[error("{0}")]
    Invalid(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A server that is accepting requests.
pub struct Running {
    /// The address actually bound (port 0 resolved).
    pub addr: SocketAddr,
    pub public_base: String,
    pub db: Db,
    /// The in-process demo bank's base URL (demo mode).
    pub demo_bank: Option<String>,
    /// Time from `start` being called to the listener accepting.
    pub startup: Duration,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Asks the server to stop and waits until in-flight requests are done.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        self.wait().await
    }

    /// Waits until the server stops (after its shutdown signal fired).
    pub async fn wait(self) -> std::io::Result<()> {
        let res = match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        };
        self.db.close().await;
        res
    }
}

/// Opens the database named by the settings and applies pending migrations.
pub async fn open_database(settings: &Settings) -> Result<(Db, usize), propusk_store::StoreError> {
    let options = DbOptions {
        max_connections: settings.db_max_connections,
        ..DbOptions::default()
    };
    let db = match &settings.database_url {
        Some(url) => Db::connect(url, &options).await?,
        None => Db::open_data_dir(&settings.data_dir, &options).await?,
    };
    let applied = db.migrate().await?;
    if applied > 0 {
        tracing::info!(applied, backend = db.backend().name(), "migrations applied");
    }
    Ok((db, applied))
}

/// Starts the server; it stops when `shutdown` completes or `Running::shutdown` is called.
pub async fn start(
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, StartError> {
    let t0 = Instant::now();
    let (db, _) = open_database(&settings).await?;
    let vault = Arc::new(load_vault(&settings, &db).await?);
    // Built before binding: once the URL is printed, the server must answer.
    let hasher = new_hasher()?;
    let listener = TcpListener::bind(settings.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: settings.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: settings.listen,
        source,
    })?;
    let public_base = settings.public_base(addr);
    let grace = settings.shutdown_grace;
    let public_base_arc: Arc<str> = public_base.as_str().into();
    let mut services = propusk_service::Services::new(
        db.clone(),
        vault.clone(),
        Arc::new(hasher),
        Arc::new(propusk_core::time::SystemClock),
        public_base_arc.clone(),
    );
    services.sessions.idle = settings.session_idle;
    services.sessions.absolute = settings.session_absolute;
    if settings.demo {
        let made = services
            .seed_demo()
            .await
            .map_err(|e| StartError::Internal(format!("demo data: {e}")))?;
        if made > 0 {
            tracing::info!(accounts = made, "demo accounts created");
        }
        services
            .seed_demo_partner()
            .await
            .map_err(|e| StartError::Internal(format!("demo partner: {e}")))?;
        services
            .seed_demo_operator()
            .await
            .map_err(|e| StartError::Internal(format!("demo operator: {e}")))?;
    }
    let made = services
        .ensure_signing_keys()
        .await
        .map_err(|e| StartError::Internal(format!("signing keys: {e}")))?;
    if made > 0 {
        tracing::info!(made, "signing keys created");
    }
    let registries = connect_registries(&settings).await?;
    services.registries = registries.as_ref().map(|r| r.0.clone());
    let (banks, demo_bank) = partner_banks(&settings, &public_base).await?;
    services.banks = banks;
    if let Some((bank, _)) = &demo_bank {
        connect_demo_bank(&services, bank, &public_base).await?;
    }
    let demo_bank_url = demo_bank.as_ref().map(|(b, _)| b.config().issuer.clone());
    let state = AppState {
        db: db.clone(),
        settings: Arc::new(settings),
        public_base: public_base_arc,
        vault,
        services: Arc::new(services),
    };
    let dispatcher = propusk_service::delivery::Dispatcher::new(
        (*state.services).clone(),
        &propusk_service::delivery::DeliverySettings {
            smtp_url: state.settings.smtp_url.clone(),
            mail_from: state.settings.mail_from.clone(),
            sms_gateway_url: state.settings.sms_gateway_url.clone(),
            sms_gateway_token: state.settings.sms_gateway_token.clone(),
            demo: state.settings.demo,
        },
    )
    .map_err(StartError::Internal)?;
    let housekeeping = (*state.services).clone();
    let identity_job = state.services.clone();
    let app = build_router(state);

    let (stop, mut stopped) = watch::channel(false);
    if let Some((registries, emulator)) = registries {
        if let Some(emu) = emulator {
            let mut rx = stop.subscribe();
            tokio::spawn(emu.0.serve(emu.1, async move {
                let _ = rx.wait_for(|s| *s).await;
            }));
        }
        tokio::spawn(identity_job.run_identity_job(
            registries,
            Duration::from_secs(1),
            stop.subscribe(),
        ));
    }
    if let Some((bank, listener)) = demo_bank {
        let mut rx = stop.subscribe();
        tokio::spawn(bank.serve(listener, async move {
            let _ = rx.wait_for(|s| *s).await;
        }));
    }
    tokio::spawn(dispatcher.run(stop.subscribe()));
    tokio::spawn(housekeeping.run_housekeeping(Duration::from_secs(300), stop.subscribe()));
    let stop_on_signal = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_on_signal.send(true);
    });
    let mut graceful_rx = stop.subscribe();
    let task = tokio::spawn(async move {
        let serve = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = graceful_rx.wait_for(|s| *s).await;
            tracing::info!("shutting down: finishing in-flight requests");
        });
        tokio::select! {
            r = serve => r,
            () = async {
                let _ = stopped.wait_for(|s| *s).await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(?grace, "shutdown grace period over; dropping remaining requests");
                Ok(())
            }
        }
    });
    Ok(Running {
        addr,
        public_base,
        db,
        demo_bank: demo_bank_url,
        startup: t0.elapsed(),
        stop,
        task,
    })
}

/// The demo's people: the in-process emulator's and the demo bank's customers.
const DEMO_SEED: u64 = 1;
const DEMO_PEOPLE: u64 = 10_000;

fn demo_population() -> propusk_registries::Population {
    propusk_registries::Population::new(DEMO_SEED, DEMO_PEOPLE)
}

/// The personal-data key ring, checked against the database's fingerprints.
async fn load_vault(
    settings: &Settings,
    db: &Db,
) -> Result<propusk_core::vault::KeyRing, StartError> {
    let key_file = settings.key_file();
    let vault = crate::keys::load_or_create(&key_file)?;
    crate::keys::check(db, &vault, &key_file).await?;
    Ok(vault)
}

fn new_hasher() -> Result<propusk_core::password::Hasher, StartError> {
    propusk_core::password::Hasher::new(Default::default(), &mut rand_core::OsRng)
        .map_err(|e| StartError::Internal(e.to_string()))
}

/// `propusk keys rotate`: a new signing key per algorithm, beside a live
/// server if need be (the database is the only shared state). Returns
/// `(alg, kid)` of the new keys.
pub async fn rotate_keys(settings: &Settings) -> Result<Vec<(String, String)>, StartError> {
    let (db, services) = offline_services(settings).await?;
    let made = services
        .rotate_signing_keys()
        .await
        .map_err(|e| StartError::Internal(format!("signing keys: {e}")))?;
    db.close().await;
    Ok(made
        .into_iter()
        .map(|(alg, kid)| (alg.as_str().to_owned(), kid))
        .collect())
}

/// `propusk consent verify`: the verdict on a receipt, as the public
/// endpoint gives it.
pub async fn verify_consent_receipt(
    settings: &Settings,
    receipt: &str,
) -> Result<serde_json::Value, StartError> {
    let (db, services) = offline_services(settings).await?;
    let verdict = services.verify_receipt(receipt).await;
    db.close().await;
    let verdict = verdict.map_err(|e| StartError::Internal(format!("receipt: {e}")))?;
    Ok(crate::api::consents::verdict_json(&verdict))
}

/// The services for a command run beside (or without) a live server.
/// `propusk demo seed`: data at scale in this data dir or database.
pub async fn seed_scale(
    settings: &Settings,
    scale: propusk_service::seed::Scale,
    progress: &(dyn Fn(propusk_service::seed::Stage, u64) + Send + Sync),
) -> Result<propusk_service::seed::Seeded, StartError> {
    let (db, services) = offline_services(settings).await?;
    let seeded = services.seed_scale(scale, progress).await;
    db.close().await;
    seeded.map_err(|e| StartError::Internal(format!("seed: {e}")))
}

async fn offline_services(
    settings: &Settings,
) -> Result<(Db, propusk_service::Services), StartError> {
    let (db, _) = open_database(settings).await?;
    let vault = load_vault(settings, &db).await?;
    let services = propusk_service::Services::new(
        db.clone(),
        Arc::new(vault),
        Arc::new(new_hasher()?),
        Arc::new(propusk_core::time::SystemClock),
        settings.public_base(settings.listen).as_str().into(),
    );
    Ok((db, services))
}

/// `propusk client create`. Without `org_ogrn`, a sandbox client goes to
/// the demo partner organization, if this data dir has one.
pub async fn create_client(
    settings: &Settings,
    org_ogrn: Option<&str>,
    mut new: propusk_service::oauth::NewClient,
    rate_per_minute: Option<i64>,
) -> Result<propusk_service::oauth::CreatedClient, StartError> {
    let (db, services) = offline_services(settings).await?;
    let ogrn = match org_ogrn {
        Some(o) => o,
        None if new.sandbox => propusk_service::demo::DEMO_PARTNER_OGRN,
        None => return Err(StartError::Internal("--org OGRN is required".into())),
    };
    let org = propusk_store::orgs::by_ogrn(&db, ogrn)
        .await?
        .ok_or_else(|| {
            StartError::Internal(match org_ogrn {
                Some(o) => format!("no organization with OGRN {o} is registered"),
                None => {
                    "--org OGRN is required (this data dir has no demo partner organization)".into()
                }
            })
        })?;
    new.org_id = org.id;
    let out = services
        .create_client(
            &new,
            propusk_core::audit::Actor::cli(
                &std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            ),
        )
        .await
        .map_err(|e| match e {
            propusk_service::ServiceError::Invalid(p) => StartError::Internal(
                p.iter()
                    .map(|x| format!("{}: {}", x.field, x.en))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => StartError::Internal(other.to_string()),
        });
    if let (Ok(c), Some(n)) = (&out, rate_per_minute) {
        services
            .set_rate_limit(&c.client_id, n)
            .await
            .map_err(|e| StartError::Internal(format!("--rate-per-minute: {e}")))?;
    }
    db.close().await;
    out
}

/// `propusk admin create`: a portal operator, beside a live server if need be.
pub async fn create_operator(
    settings: &Settings,
    login: &str,
    password: &str,
) -> Result<propusk_service::admin::NewOperator, StartError> {
    let (db, services) = offline_services(settings).await?;
    let out = services.create_operator(login, password, cli_actor()).await;
    db.close().await;
    out.map_err(|e| cli_error(e, login))
}

/// `propusk admin reset`: a new password and TOTP key, enabled again,
/// every session ended.
pub async fn reset_operator(
    settings: &Settings,
    login: &str,
    password: &str,
) -> Result<propusk_service::admin::NewOperator, StartError> {
    let (db, services) = offline_services(settings).await?;
    let out = services.reset_operator(login, password, cli_actor()).await;
    db.close().await;
    out.map_err(|e| cli_error(e, login))
}

/// Who acts from the command line.
fn cli_actor() -> propusk_core::audit::Actor {
    propusk_core::audit::Actor::cli(&std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

/// A service refusal as the operator commands report it.
fn cli_error(e: propusk_service::ServiceError, login: &str) -> StartError {
    match e {
        propusk_service::ServiceError::NotFound => {
            StartError::Invalid(format!("no operator with login {login}"))
        }
        propusk_service::ServiceError::Invalid(p) => StartError::Invalid(
            p.iter()
                .map(|x| format!("{}: {}", x.field, x.en))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => StartError::Internal(other.to_string()),
    }
}

/// `propusk admin disable`: no more sign-ins, every session ended.
pub async fn disable_operator(settings: &Settings, login: &str) -> Result<(), StartError> {
    let (db, services) = offline_services(settings).await?;
    let out = services
        .disable_operator(login, cli_actor())
        .await
        .map_err(|e| cli_error(e, login));
    db.close().await;
    out
}

/// The demo bank becomes a relying party of this Propusk: its fapi2 client
/// at the demo partner organization, with the bank's current key.
async fn connect_demo_bank(
    services: &propusk_service::Services,
    bank: &propusk_registries::bank::DemoBank,
    public_base: &str,
) -> Result<(), StartError> {
    let fail =
        |e: propusk_service::ServiceError| StartError::Internal(format!("demo bank client: {e}"));
    let org = services.seed_demo_partner().await.map_err(fail)?;
    let jwks = serde_json::json!({ "keys": [bank.rp_key().public_jwk()] });
    let client_id = services
        .ensure_demo_bank_client(org, jwks, &bank.rp_redirect_uri())
        .await
        .map_err(fail)?;
    bank.connect_propusk(propusk_registries::bank::RpConfig {
        issuer: public_base.to_owned(),
        client_id,
    });
    Ok(())
}

type InProcessEmulator = (propusk_registries::emulator::Emulator, TcpListener);

/// The registry connectors: to `--registries-url`, or in demo mode to an
/// emulator on a loopback port of this process (a real HTTP hop, so the
/// demo exercises the same connectors as production).
async fn connect_registries(
    settings: &Settings,
) -> Result<
    Option<(
        Arc<propusk_registries::connect::Registries>,
        Option<InProcessEmulator>,
    )>,
    StartError,
> {
    use propusk_registries::connect::{BreakerConfig, Endpoints, Registries, RetryPolicy};
    let (base, emulator) = match (&settings.registries_url, settings.demo) {
        (Some(url), _) => (url.clone(), None),
        (None, true) => {
            let listener = TcpListener::bind(("127.0.0.1", 0))
                .await
                .map_err(|e| StartError::Internal(format!("registry emulator: {e}")))?;
            let addr = listener
                .local_addr()
                .map_err(|e| StartError::Internal(format!("registry emulator: {e}")))?;
            let emu =
                propusk_registries::emulator::Emulator::new(demo_population(), Default::default());
            tracing::info!(%addr, people = DEMO_PEOPLE, "registry emulator in-process");
            (format!("http://{addr}"), Some((emu, listener)))
        }
        (None, false) => {
            tracing::warn!("no --registries-url: identity checks stay pending");
            return Ok(None);
        }
    };
    let registries = Registries::new(
        Endpoints::one_base(&base),
        RetryPolicy::default(),
        BreakerConfig::default(),
    )
    .map_err(|e| StartError::Internal(e.to_string()))?;
    Ok(Some((Arc::new(registries), emulator)))
}

type InProcessBank = (propusk_registries::bank::DemoBank, TcpListener);

/// The partner banks: as configured, or in demo mode a demo bank on a
/// loopback port of this process, whose customers are the in-process
/// emulator's people (the same seed and size).
async fn partner_banks(
    settings: &Settings,
    public_base: &str,
) -> Result<
    (
        Option<Arc<propusk_service::confirm::PartnerBanks>>,
        Option<InProcessBank>,
    ),
    StartError,
> {
    use propusk_service::confirm::{PartnerBank, PartnerBanks, http::BankHttp};
    if settings.partner_banks.is_empty() && !settings.demo {
        return Ok((None, None));
    }
    let http = BankHttp::new(Duration::from_secs(5), Duration::from_millis(200))
        .map_err(|e| StartError::Internal(format!("bank client: {e}")))?;
    if !settings.partner_banks.is_empty() {
        let banks = PartnerBanks::new(settings.partner_banks.clone(), http);
        return Ok((Some(Arc::new(banks)), None));
    }
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| StartError::Internal(format!("demo bank: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Internal(format!("demo bank: {e}")))?;
    let issuer = format!("http://{addr}");
    // In-process: the secret never leaves this process, so a fresh one per run.
    let secret = propusk_registries::bank::random_token(24);
    let bank = propusk_registries::bank::DemoBank::new(
        propusk_registries::bank::BankConfig {
            issuer: issuer.clone(),
            name: propusk_registries::bank::DEMO_BANK_NAME.into(),
            client_id: "propusk".into(),
            client_secret: secret.clone(),
            redirect_uris: vec![format!(
                "{public_base}{}",
                propusk_service::confirm::CALLBACK_PATH
            )],
        },
        demo_population(),
    )
    .map_err(|e| StartError::Internal(format!("demo bank: {e}")))?;
    tracing::info!(%addr, "demo partner bank in-process");
    let banks = PartnerBanks::new(
        vec![PartnerBank {
            id: "demo".into(),
            name: propusk_registries::bank::DEMO_BANK_NAME.into(),
            issuer,
            client_id: "propusk".into(),
            client_secret: secret,
        }],
        http,
    );
    Ok((Some(Arc::new(banks)), Some((bank, listener))))
}

/// The whole HTTP surface with its layers. In the `ServiceBuilder` the
/// first layer listed is the outermost: reading top-down gives the order a
/// request meets them.
///
/// The common layers wrap the router once, from outside. Added with
/// `Router::layer` they would wrap every route, and axum clones a route's
/// whole layer stack, box by box, for every request: with a dozen layers
/// that was a third of the time `/healthz` took. Only `note_route` (for the
/// metrics' route label) runs per route.
pub fn build_router(state: AppState) -> Router {
    use tower::ServiceBuilder;
    use tower::util::MapRequestLayer;
    // Install the recorder before the first request is counted.
    let _ = metrics::handle();
    let (api, openapi) = api::router();
    let routes = Router::new()
        .merge(pages::router(&state))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/jwks", get(crate::jwks::jwks))
        .merge(crate::oauth::router())
        .route("/assets/{file}", get(assets::serve))
        .merge(api)
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", openapi))
        .fallback(|| async { WebError::NotFound })
        .with_state(state.clone())
        .layer(MapRequestLayer::new(metrics::note_route));
    let stack = ServiceBuilder::new()
        .layer(from_fn(middleware::request_id::ensure))
        .layer(from_fn(middleware::logging::log))
        .layer(from_fn(metrics::track))
        .layer(map_response_with_state(
            state.settings.is_https(),
            middleware::security::headers,
        ))
        .layer(from_fn(i18n::choose_language))
        .layer(from_fn(render_errors))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.settings.request_timeout,
        ))
        .layer(RequestBodyLimitLayer::new(state.settings.max_body_bytes))
        .service(routes);
    Router::new().fallback_service(stack)
}
