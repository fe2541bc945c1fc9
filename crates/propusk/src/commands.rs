//! The subcommands. Each returns an exit code from `cli::exit`; only this module
//! prints to stdout.

use std::time::Instant;

use propusk_core::Lang;
use propusk_core::ident::Kind;
use propusk_store::audit::{self, Verdict};
use propusk_web::{Settings, ValidateResponse};

use crate::cli::{
    AdminCommand, AdminCreateArgs, AdminDisableArgs, AuditCommand, Cli, ClientCommand,
    ClientCreateArgs, Command, ConsentCommand, DemoCommand, KeysCommand, SeedArgs, ServeArgs,
    ValidateArgs, exit,
};
use crate::config::{self, Resolved};
use crate::logging;

pub fn run(cli: Cli) -> u8 {
    let (command, demo_default) = match cli.command {
        Some(c) => (c, false),
        // No subcommand: `serve --demo`, the embedded defaults.
        None => (
            Command::Serve(ServeArgs {
                demo: true,
                ..ServeArgs::default()
            }),
            true,
        ),
    };
    let serve_args = match &command {
        Command::Serve(a) => a.clone(),
        _ => ServeArgs::default(),
    };
    let Resolved {
        settings,
        log_format,
    } = match config::resolve(&cli.common, &serve_args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("propusk: {e}");
            return exit::USAGE;
        }
    };
    if let Command::Validate(args) = command {
        // Pure and instant: no runtime, no logging set-up.
        return validate(&args);
    }
    if let Command::Emulator(args) = &command
        && let Some(path) = &args.export
    {
        return crate::emulator::export(args, path);
    }
    logging::init(
        log_format,
        if demo_default {
            "info,sqlx=warn"
        } else if matches!(command, Command::Demo(_)) {
            // Seeding's statements are big by design: no slow-statement warnings.
            "info,sqlx=error"
        } else {
            "info"
        },
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("propusk: cannot start the async runtime: {e}");
            return exit::FAILED;
        }
    };
    runtime.block_on(async move {
        match command {
            Command::Serve(_) => serve(settings).await,
            Command::Migrate => migrate(&settings).await,
            Command::Audit(AuditCommand::Verify) => audit_verify(&settings).await,
            Command::Keys(KeysCommand::Rotate) => keys_rotate(&settings).await,
            Command::Consent(ConsentCommand::Verify { file }) => {
                consent_verify(&settings, &file).await
            }
            Command::Client(ClientCommand::Create(args)) => client_create(&settings, &args).await,
            Command::Admin(AdminCommand::Create(args)) => admin_create(&settings, &args).await,
            Command::Admin(AdminCommand::Disable(args)) => admin_disable(&settings, &args).await,
            Command::Admin(AdminCommand::Reset(args)) => admin_reset(&settings, &args).await,
            Command::Emulator(args) => crate::emulator::serve(&args, shutdown_signal()).await,
            Command::DemoBank(args) => crate::emulator::demo_bank(&args, shutdown_signal()).await,
            Command::Demo(DemoCommand::Seed(args)) => demo_seed(&settings, &args).await,
            Command::Validate(_) => exit::USAGE,
        }
    })
}

fn validate(args: &ValidateArgs) -> u8 {
    let Ok(kind) = args.kind.parse::<Kind>() else {
        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        eprintln!(
            "propusk: unknown KIND `{}`; use one of: {}",
            args.kind,
            kinds.join(", ")
        );
        return exit::USAGE;
    };
    if kind == Kind::BankAccount && args.bik.is_none() {
        eprintln!("propusk: bank_account needs --bik BIK");
        return exit::USAGE;
    }
    let lang = args
        .lang
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or(Lang::En);
    let verdict = ValidateResponse::from_result(
        propusk_core::ident::validate(kind, &args.value, args.bik.as_deref()),
        lang,
    );
    match serde_json::to_string(&verdict) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("propusk: {e}");
            return exit::FAILED;
        }
    }
    if verdict.valid { exit::OK } else { exit::NO }
}

fn describe_database(settings: &Settings) -> String {
    match &settings.database_url {
        Some(url) if url.starts_with("postgres") => "PostgreSQL".to_owned(),
        Some(url) => format!("SQLite {url}"),
        None => format!("SQLite {}", settings.data_dir.join("propusk.db").display()),
    }
}

async fn serve(settings: Settings) -> u8 {
    let t0 = Instant::now();
    let demo = settings.demo;
    let database = describe_database(&settings);
    let running = match propusk_web::start(settings, shutdown_signal()).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("propusk: {e}");
            return exit::FAILED;
        }
    };
    tracing::info!(
        addr = %running.addr,
        ready_ms = t0.elapsed().as_secs_f64() * 1000.0,
        database = %database,
        demo,
        "ready"
    );
    // The banner goes to stdout with its errors ignored: a server must not
    // stop (println! panics on EPIPE) because whoever started it closed the pipe.
    let banner = format!(
        "Propusk {} is running at {}/\nDatabase: {database}{}\nPress Ctrl+C to stop.\n",
        env!("CARGO_PKG_VERSION"),
        running.public_base,
        if demo { " (demo mode)" } else { "" }
    );
    let banner = if demo {
        banner + &demo_accounts_text()
    } else {
        banner
    };
    {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    }
    match running.wait().await {
        Ok(()) => {
            tracing::info!("stopped");
            exit::OK
        }
        Err(e) => {
            eprintln!("propusk: server error: {e}");
            exit::FAILED
        }
    }
}

/// The demo sign-in data, printed at start in demo mode (also in the README).
fn demo_accounts_text() -> String {
    use propusk_service::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD};
    let mut text =
        format!("\nDemo accounts (password {DEMO_PASSWORD}); sign in by phone or SNILS:\n");
    for a in DEMO_ACCOUNTS {
        text.push_str(&format!(
            "  {:<12}  {:<15}  {:<28}  {}{}\n",
            a.phone,
            a.snils.unwrap_or("-"),
            a.name,
            a.level.as_str(),
            a.email.map(|e| format!(", {e}")).unwrap_or_default()
                + &a.totp_key
                    .map(|k| format!(", TOTP key {k}"))
                    .unwrap_or_default()
        ));
    }
    text.push_str(&format!(
        "Portal operator at /admin: login {}, the same password, TOTP key {}\n",
        propusk_service::demo::DEMO_OPERATOR,
        propusk_service::demo::DEMO_TOTP_KEY
    ));
    text.push_str("SMS and email sent in demo mode are shown at /dev/outbox.\n");
    text
}

async fn consent_verify(settings: &Settings, file: &std::path::Path) -> u8 {
    let text = if file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(std::io::stdin(), 64 * 1024),
            &mut s,
        )
        .map(|_| s)
    } else {
        std::fs::read_to_string(file)
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "propusk: consent verify: cannot read {}: {e}",
                file.display()
            );
            return exit::USAGE;
        }
    };
    match propusk_web::verify_consent_receipt(settings, &text).await {
        Ok(v) => {
            println!("{v}");
            if v["valid"] == true {
                exit::OK
            } else {
                exit::NO
            }
        }
        Err(e) => {
            eprintln!("propusk: consent verify: {e}");
            exit::FAILED
        }
    }
}

async fn keys_rotate(settings: &Settings) -> u8 {
    match propusk_web::rotate_keys(settings).await {
        Ok(made) => {
            for (alg, kid) in made {
                println!("{alg} {kid}");
            }
            println!(
                "new keys sign from now on; the old ones stay published for {} hours",
                propusk_service::signing::RETIRED_PUBLISHED.whole_hours()
            );
            exit::OK
        }
        Err(e) => {
            eprintln!("propusk: keys rotate: {e}");
            exit::FAILED
        }
    }
}

/// `propusk demo seed`: one progress bar per stage on stderr (hidden when
/// stderr is not a terminal), the result as JSON on stdout.
async fn demo_seed(settings: &Settings, a: &SeedArgs) -> u8 {
    use propusk_service::seed::{Scale, Stage};
    let bars = indicatif::MultiProgress::new();
    let bar = |len: u64, what: &str| {
        let b = bars.add(indicatif::ProgressBar::new(len));
        b.set_style(
            indicatif::ProgressStyle::with_template(&format!(
                "{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)"
            ))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        b
    };
    let citizens = bar(a.citizens, "citizens");
    let consents = bar(a.consents, "consents");
    let reads = bar(a.reads, "reads");
    let t0 = Instant::now();
    let progress = |stage: Stage, done: u64| match stage {
        Stage::Citizens => citizens.set_position(done),
        Stage::Consents => consents.set_position(done),
        Stage::Reads => reads.set_position(done),
    };
    let scale = Scale {
        citizens: a.citizens,
        consents: a.consents,
        reads: a.reads,
        seed: a.seed,
    };
    match propusk_web::seed_scale(settings, scale, &progress).await {
        Ok(seeded) => {
            for b in [&citizens, &consents, &reads] {
                b.finish();
            }
            let mut out = serde_json::to_value(&seeded).unwrap_or_default();
            out["seconds"] = serde_json::json!((t0.elapsed().as_secs_f64() * 10.0).round() / 10.0);
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            exit::OK
        }
        Err(e) => {
            eprintln!("propusk: demo seed: {e}");
            exit::FAILED
        }
    }
}

async fn client_create(settings: &Settings, a: &ClientCreateArgs) -> u8 {
    let Some(profile) = propusk_oidc::Profile::parse(&a.profile) else {
        eprintln!("propusk: --profile must be fapi2 or oidc");
        return exit::USAGE;
    };
    let jwks = match &a.jwks_file {
        None => None,
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("propusk: --jwks-file {}: {e}", path.display());
                return exit::USAGE;
            }
        },
    };
    let new = propusk_service::oauth::NewClient {
        org_id: uuid::Uuid::nil(),
        name: a.name.clone(),
        profile,
        sandbox: a.sandbox,
        redirect_uris: a.redirect_uris.clone(),
        scopes: a
            .scopes
            .iter()
            .flat_map(|s| s.split_whitespace().map(str::to_owned))
            .collect(),
        jwks,
        jwks_uri: a.jwks_uri.clone(),
        secret: a.secret,
        ip_allow: a.ip_allow.clone(),
        post_logout_redirect_uris: a.post_logout_redirect_uris.clone(),
        backchannel_logout_uri: a.backchannel_logout_uri.clone(),
    };
    match propusk_web::create_client(settings, a.org.as_deref(), new, a.rate_per_minute).await {
        Ok(created) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&created).unwrap_or_default()
            );
            exit::OK
        }
        Err(e) => {
            eprintln!("propusk: client create: {e}");
            exit::FAILED
        }
    }
}

/// The password: one line of stdin, or typed twice on the terminal without echo.
fn read_operator_password(from_stdin: bool) -> Result<String, String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("stdin: {e}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password("Password: ").map_err(|e| format!("terminal: {e}"))?;
    let again =
        rpassword::prompt_password("Password again: ").map_err(|e| format!("terminal: {e}"))?;
    if first != again {
        return Err("the passwords differ".into());
    }
    Ok(first)
}

async fn admin_create(settings: &Settings, a: &AdminCreateArgs) -> u8 {
    operator_credentials("create", a, |password| async move {
        propusk_web::create_operator(settings, &a.login, &password).await
    })
    .await
}

async fn admin_reset(settings: &Settings, a: &AdminCreateArgs) -> u8 {
    operator_credentials("reset", a, |password| async move {
        propusk_web::reset_operator(settings, &a.login, &password).await
    })
    .await
}

/// Reads the new password, runs `make`, prints the TOTP key as JSON.
async fn operator_credentials<F, Fut>(what: &str, a: &AdminCreateArgs, make: F) -> u8
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<
            Output = Result<propusk_service::admin::NewOperator, propusk_web::StartError>,
        >,
{
    let password = match read_operator_password(a.password_stdin) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("propusk: admin {what}: {e}");
            return exit::USAGE;
        }
    };
    match make(password).await {
        Ok(made) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&made).unwrap_or_default()
            );
            exit::OK
        }
        Err(propusk_web::StartError::Invalid(e)) => {
            eprintln!("propusk: admin {what}: {e}");
            exit::USAGE
        }
        Err(e) => {
            eprintln!("propusk: admin {what}: {e}");
            exit::FAILED
        }
    }
}

async fn admin_disable(settings: &Settings, a: &AdminDisableArgs) -> u8 {
    match propusk_web::disable_operator(settings, &a.login).await {
        Ok(()) => {
            println!(
                "operator {} disabled; their sessions are ended",
                a.login.trim()
            );
            exit::OK
        }
        Err(propusk_web::StartError::Invalid(e)) => {
            eprintln!("propusk: admin disable: {e}");
            exit::USAGE
        }
        Err(e) => {
            eprintln!("propusk: admin disable: {e}");
            exit::FAILED
        }
    }
}

async fn migrate(settings: &Settings) -> u8 {
    match propusk_web::open_database(settings).await {
        Ok((db, applied)) => {
            println!(
                "{applied} migration(s) applied; {} is up to date",
                describe_database(settings)
            );
            db.close().await;
            exit::OK
        }
        Err(e) => {
            eprintln!("propusk: {e}");
            exit::FAILED
        }
    }
}

async fn audit_verify(settings: &Settings) -> u8 {
    let db = match propusk_web::open_database(settings).await {
        Ok((db, _)) => db,
        Err(e) => {
            eprintln!("propusk: {e}");
            return exit::FAILED;
        }
    };
    let verdict = audit::verify(&db).await;
    db.close().await;
    match verdict {
        Ok(Verdict::Intact { events }) => {
            println!("{events} events, chain intact");
            exit::OK
        }
        Ok(Verdict::Broken(b)) => {
            println!("chain broken at event #{}: {b}", b.seq());
            exit::NO
        }
        Err(e) => {
            eprintln!("propusk: {e}");
            exit::FAILED
        }
    }
}

/// Completes on SIGINT (Ctrl+C) or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
