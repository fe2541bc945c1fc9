//! `token BIN SECONDS [DATABASE_URL] [--peer URL CLIENT_ID KEY_FILE]`: the
//! token endpoint under load, beside its crypto bound, in one run: Propusk
//! on SQLite, then on PostgreSQL (when `DATABASE_URL` names an empty
//! database), then the peer, and a table of all of them at the end.
//!
//! - `client_credentials` with `private_key_jwt` (ES256 assertion, ES256
//!   JWT access token): per grant the server verifies one signature and
//!   makes one, plus the shared `jti` replay write.
//! - `refresh_token` (an `oidc` client, rotated, `private_key_jwt`): one
//!   verify and one signature (the refresh asks for a scope without
//!   `openid`, so no ID token), plus the rotation's writes.
//! - The bound: one P-256 verify plus one P-256 sign, timed on the server's
//!   core (CPU 0) in the same run: a quarter second after every second of
//!   load, while the server idles, so that both figures see the same drift
//!   of the host's speed (±15% within minutes on a shared machine).
//!
//! The server is pinned to CPU 0, the load generator to CPU 1. Closed loop
//! with `PROPUSK_BENCH_CONCURRENCY` clients (16); latency percentiles over every request.
//! `--peer` runs the same two loads against another provider
//! (node-oidc-provider: `bench/peer/`), already running on CPU 0.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use propusk_oidc::{Alg, Compact, PublicKey, SigningKey};

/// Clients at once; `PROPUSK_BENCH_CONCURRENCY` overrides.
fn concurrency() -> usize {
    std::env::var("PROPUSK_BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// One client's way of authenticating.
#[derive(Clone)]
struct Auth {
    client_id: String,
    aud: String,
    key: SigningKey,
}

static JTI: AtomicU64 = AtomicU64::new(0);

impl Auth {
    fn assertion(&self) -> Result<String, String> {
        let n = JTI.fetch_add(1, Ordering::Relaxed);
        let now = now();
        self.key
            .sign(
                "JWT",
                &serde_json::json!({
                    "iss": self.client_id, "sub": self.client_id, "aud": self.aud,
                    "iat": now, "exp": now + 60, "jti": format!("{}-{n}", std::process::id()),
                }),
            )
            .map_err(|e| e.to_string())
    }
}

/// The crypto bound on this core: a P-256 verify and a P-256 sign, the
/// same calls the provider makes per grant.
struct Bound {
    verify_key: PublicKey,
    token: String,
    signer: SigningKey,
}

impl Bound {
    fn new() -> Result<Bound, String> {
        let client = SigningKey::generate(Alg::Es256).map_err(|e| e.to_string())?;
        let token = client
            .sign("JWT", &serde_json::json!({"iss": "c", "sub": "c", "aud": "https://p", "exp": 4_000_000_000u64, "jti": "x"}))
            .map_err(|e| e.to_string())?;
        Ok(Bound {
            verify_key: PublicKey::from_jwk(client.public_jwk()).map_err(|e| e.to_string())?,
            token,
            signer: SigningKey::generate(Alg::Es256).map_err(|e| e.to_string())?,
        })
    }

    /// Grants' worth of crypto for about `d`; grants per second.
    fn run(&self, d: Duration) -> (u64, Duration) {
        let t0 = Instant::now();
        let mut n = 0u64;
        while t0.elapsed() < d {
            for _ in 0..32 {
                let jws = Compact::parse(&self.token);
                let ok = jws
                    .map(|j| self.verify_key.verify(&j).is_ok())
                    .unwrap_or(false);
                let at = self.signer.sign(
                    "at+jwt",
                    &serde_json::json!({"sub": "c", "exp": 1, "jti": n}),
                );
                std::hint::black_box((ok, at.is_ok()));
                n += 1;
            }
        }
        (n, t0.elapsed())
    }
}

/// The bound on its own thread, pinned to CPU 0, run on request between
/// rounds of load.
struct BoundThread {
    tx: std::sync::mpsc::Sender<(Duration, tokio::sync::oneshot::Sender<(u64, Duration)>)>,
}

impl BoundThread {
    fn start(bound: Bound, pin: bool) -> BoundThread {
        let (tx, rx) = std::sync::mpsc::channel::<(Duration, tokio::sync::oneshot::Sender<_>)>();
        std::thread::spawn(move || {
            if pin {
                let _ = crate::pin_current_thread(0);
            }
            for (d, reply) in rx {
                let _ = reply.send(bound.run(d));
            }
        });
        BoundThread { tx }
    }

    async fn run(&self, d: Duration) -> (u64, Duration) {
        let (reply, answer) = tokio::sync::oneshot::channel();
        if self.tx.send((d, reply)).is_err() {
            return (0, d);
        }
        answer.await.unwrap_or((0, d))
    }
}

/// A scenario measured in rounds: a second of load, then a quarter second
/// of the bound. Returns the load summed over the rounds and the bound's rate.
async fn alternating(
    http: &reqwest::Client,
    url: &str,
    auth: &Auth,
    form: Forms,
    secs: u64,
    on_ok: OnOk,
    bound: &BoundThread,
) -> (Load, f64) {
    let mut total = Load::default();
    let (mut bn, mut bt) = (0u64, Duration::ZERO);
    for _ in 0..secs.max(1) {
        let l = load(
            http,
            url,
            auth,
            form.clone(),
            concurrency(),
            Duration::from_secs(1),
            on_ok.clone(),
        )
        .await;
        total.done += l.done;
        total.errors += l.errors;
        total.elapsed += l.elapsed;
        total.latencies.extend(l.latencies);
        let (n, t) = bound.run(Duration::from_millis(250)).await;
        bn += n;
        bt += t;
    }
    (total, bn as f64 / bt.as_secs_f64().max(1e-9))
}

/// The form a client sends (by client number), and what it does with an answer.
type Forms = Arc<dyn Fn(usize) -> Vec<(&'static str, String)> + Send + Sync>;
type OnOk = Arc<dyn Fn(usize, &serde_json::Value) + Send + Sync>;

#[derive(Default)]
struct Load {
    done: u64,
    errors: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

/// `concurrency` clients sending `form()` to `url` for about `d`.
async fn load(
    http: &reqwest::Client,
    url: &str,
    auth: &Auth,
    forms: Forms,
    concurrency: usize,
    d: Duration,
    on_ok: OnOk,
) -> Load {
    let t0 = Instant::now();
    let errors = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| {
            let (http, url, auth, forms, errors, on_ok) = (
                http.clone(),
                url.to_owned(),
                auth.clone(),
                forms.clone(),
                errors.clone(),
                on_ok.clone(),
            );
            tokio::spawn(async move {
                let mut lat = Vec::new();
                while t0.elapsed() < d {
                    let Ok(assertion) = auth.assertion() else {
                        errors.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    let mut form = forms(i);
                    form.push((
                        "client_assertion_type",
                        propusk_oidc::assertion::ASSERTION_TYPE.into(),
                    ));
                    form.push(("client_assertion", assertion));
                    let s = Instant::now();
                    match http.post(&url).form(&form).send().await {
                        Ok(r) if r.status().is_success() => {
                            let body: serde_json::Value = r.json().await.unwrap_or_default();
                            lat.push(s.elapsed());
                            on_ok(i, &body);
                        }
                        Ok(r) => {
                            let status = r.status();
                            let body = r.text().await.unwrap_or_default();
                            if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                                eprintln!("first error: {status} {body}");
                            }
                        }
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                lat
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        if let Ok(l) = t.await {
            latencies.extend(l);
        }
    }
    Load {
        done: latencies.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        elapsed: t0.elapsed(),
        latencies,
    }
}

/// The `q` quantile of sorted latencies, in milliseconds.
pub(crate) fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted
        .get(i)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

fn register(
    bin: &str,
    dir: &std::path::Path,
    db: Option<&str>,
    profile: &str,
    key: &SigningKey,
) -> Result<String, String> {
    let jwks = dir.join(format!("bench-{profile}-jwks.json"));
    std::fs::write(
        &jwks,
        serde_json::json!({"keys": [key.public_jwk()]}).to_string(),
    )
    .map_err(|e| e.to_string())?;
    let mut c = std::process::Command::new(bin);
    c.args([
        "client",
        "create",
        "--sandbox",
        "--profile",
        profile,
        "--name",
        "bench",
        "--redirect-uri",
        "http://127.0.0.1:9/cb",
        "--scope",
        "fullname",
        // The default limit (60,000 a minute) would cut the run short.
        "--rate-per-minute",
        "100000000",
        "--jwks-file",
    ])
    .arg(&jwks)
    .arg("--data-dir")
    .arg(dir);
    if let Some(url) = db {
        c.args(["--database-url", url]);
    }
    let out = c.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "client create: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    v["client_id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "no client_id".into())
}

/// A refresh token through the code flow: PKCE, sign-in as a demo person,
/// approval (remembered after the first), the code exchange.
async fn refresh_token(base: &str, auth: &Auth) -> Result<String, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .map_err(|e| e.to_string())?;
    let verifier = format!("{:0>64}", JTI.fetch_add(1, Ordering::Relaxed));
    let challenge = propusk_oidc::jws::sha256_b64(verifier.as_bytes());
    let url = format!(
        "{base}/oauth/authorize?client_id={}&response_type=code&redirect_uri=http://127.0.0.1:9/cb&scope=openid%20fullname&code_challenge={challenge}&code_challenge_method=S256",
        auth.client_id
    );
    let loc = |r: &reqwest::Response| {
        r.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let r = http.get(&url).send().await.map_err(|e| e.to_string())?;
    let stored = loc(&r).ok_or("no redirect to the stored request")?;
    let csrf_of = |page: &str| -> Option<String> {
        let at = page.find("name=\"csrf\" value=\"")? + 19;
        page.get(at..at + 64).map(str::to_owned)
    };
    let login_page = http
        .get(format!("{base}/login"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let csrf = csrf_of(&login_page).ok_or("no csrf")?;
    let r = http
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", "+79000000002"),
            ("password", "Propusk-Demo-2026"),
            ("next", stored.as_str()),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let next = loc(&r).ok_or("sign-in failed")?;
    let r = http
        .get(format!("{base}{next}"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let back = if let Some(l) = loc(&r) {
        l
    } else {
        let page = r.text().await.map_err(|e| e.to_string())?;
        let csrf = csrf_of(&page).ok_or("no csrf on the consent page")?;
        let field = |name: &str| -> Option<String> {
            let m = format!("name=\"{name}\" value=\"");
            let at = page.find(&m)? + m.len();
            page[at..].split('"').next().map(str::to_owned)
        };
        let r = http
            .post(format!("{base}/oauth/authorize/decision"))
            .form(&[
                ("csrf", csrf),
                ("client_id", field("client_id").ok_or("client_id")?),
                ("request_uri", field("request_uri").ok_or("request_uri")?),
                ("decision", "approve".into()),
                ("remember", "yes".into()),
            ])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        loc(&r).ok_or("no redirect after approval")?
    };
    let code = reqwest::Url::parse(&back)
        .map_err(|e| e.to_string())?
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or("no code")?;
    let body: serde_json::Value = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("redirect_uri", "http://127.0.0.1:9/cb".into()),
            ("code_verifier", verifier),
            (
                "client_assertion_type",
                propusk_oidc::assertion::ASSERTION_TYPE.into(),
            ),
            ("client_assertion", auth.assertion()?),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    body["refresh_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no refresh token: {body}"))
}

/// One scenario's figures against one system.
struct Figure {
    scenario: &'static str,
    system: String,
    rate: f64,
    p99_ms: f64,
    bound: f64,
}

/// Prints the scenario's line and keeps its figures for the table.
fn report(scenario: &'static str, system: &str, l: &mut Load, bound_rate: f64) -> Figure {
    l.latencies.sort();
    let rate = l.done as f64 / l.elapsed.as_secs_f64();
    let p99_ms = percentile(&l.latencies, 0.99);
    println!(
        "token_{scenario}_{system} {rate:.0} per_s (p50 {:.2} ms, p99 {p99_ms:.2} ms, errors {}; {:.0}% of the bound {bound_rate:.0}/s)",
        percentile(&l.latencies, 0.5),
        l.errors,
        100.0 * rate / bound_rate
    );
    Figure {
        scenario,
        system: system.to_owned(),
        rate,
        p99_ms,
        bound: bound_rate,
    }
}

const CLIENT_CREDENTIALS: &str = "client_credentials";
const REFRESH: &str = "refresh_rotated";
const PEER: &str = "node_oidc_provider_in_memory";

/// The figures side by side: per scenario, each system's rate, p99 and
/// share of the bound, and Propusk's ratio to the peer.
fn table(figures: &[Figure]) {
    let systems: Vec<&str> = ["sqlite", "postgres", PEER]
        .into_iter()
        .filter(|s| figures.iter().any(|f| f.system == *s))
        .collect();
    println!(
        "token endpoint per core (server on CPU 0, load on CPU 1): grants/s, p99, share of the crypto bound"
    );
    let mut head = format!("{:<20}", "scenario");
    for s in &systems {
        head.push_str(&format!(" | {s:<30}"));
    }
    head.push_str(" | propusk / peer");
    println!("{head}");
    for scenario in [CLIENT_CREDENTIALS, REFRESH] {
        let mut line = format!("{scenario:<20}");
        let get = |system: &str| {
            figures
                .iter()
                .find(|f| f.scenario == scenario && f.system == system)
        };
        for s in &systems {
            let cell = get(s)
                .map(|f| {
                    format!(
                        "{:>6.0}/s {:>6.2} ms {:>3.0}%",
                        f.rate,
                        f.p99_ms,
                        100.0 * f.rate / f.bound
                    )
                })
                .unwrap_or_else(|| "—".into());
            line.push_str(&format!(" | {cell:<30}"));
        }
        let ratios: Vec<String> = ["sqlite", "postgres"]
            .into_iter()
            .filter_map(|s| Some(format!("{:.1}×", get(s)?.rate / get(PEER)?.rate)))
            .collect();
        line.push_str(&format!(
            " | {}",
            if ratios.is_empty() {
                "—".into()
            } else {
                ratios.join(" / ")
            }
        ));
        println!("{line}");
    }
}

/// The cc and refresh loads against one Propusk on `db` (SQLite if `None`).
async fn propusk(
    bin: &str,
    secs: u64,
    db: Option<&str>,
    pinned: bool,
    bound: &BoundThread,
    figures: &mut Vec<Figure>,
) -> Result<(), String> {
    let system = if db.is_some() { "postgres" } else { "sqlite" };
    let server = crate::spawn_demo_with(bin, pinned.then_some(0), db)?;
    let base = server.base.clone();
    let key = SigningKey::generate(Alg::Es256).map_err(|e| e.to_string())?;
    let cc_id = register(bin, server.dir(), db, "oidc", &key)?;
    let cc = Auth {
        client_id: cc_id,
        aud: base.clone(),
        key: key.clone(),
    };
    let http = client()?;
    let url = format!("{base}/oauth/token");
    let (mut l, bound_rate) = granting(&http, &url, &cc, "fullname", secs, bound).await;
    if figures.is_empty() {
        println!(
            "token_crypto_bound {bound_rate:.0} per_s (one P-256 verify + one P-256 sign, CPU 0, {:.0} µs; timed between the rounds of each line)",
            1e6 / bound_rate
        );
    }
    figures.push(report(CLIENT_CREDENTIALS, system, &mut l, bound_rate));

    // Refresh: one grant per client, rotated on every use.
    let mut tokens = Vec::new();
    for _ in 0..concurrency() {
        tokens.push(refresh_token(&base, &cc).await?);
    }
    let form = [("scope", "fullname")];
    let (mut l, bound_rate) = refreshing(&http, &url, &cc, tokens, &form, secs, bound).await;
    figures.push(report(REFRESH, system, &mut l, bound_rate));
    if let Some(kib) = crate::rss_kib(server.pid) {
        println!(
            "token_server_rss_after_load_{system} {:.1} MB",
            kib as f64 / 1024.0
        );
    }
    Ok(())
}

fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .map_err(|e| e.to_string())
}

/// The `client_credentials` load for `scope`, after a second of warm-up.
async fn granting(
    http: &reqwest::Client,
    url: &str,
    auth: &Auth,
    scope: &'static str,
    secs: u64,
    bound: &BoundThread,
) -> (Load, f64) {
    let form: Forms = Arc::new(move |_| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("scope", scope.to_owned()),
        ]
    });
    let noop: OnOk = Arc::new(|_, _| {});
    let warm = Duration::from_secs(1);
    load(
        http,
        url,
        auth,
        form.clone(),
        concurrency(),
        warm,
        noop.clone(),
    )
    .await;
    alternating(http, url, auth, form, secs, noop, bound).await
}

/// The refresh load: each client keeps its grant's newest refresh token.
async fn refreshing(
    http: &reqwest::Client,
    url: &str,
    auth: &Auth,
    tokens: Vec<String>,
    extra: &[(&'static str, &'static str)],
    secs: u64,
    bound: &BoundThread,
) -> (Load, f64) {
    let tokens = Arc::new(std::sync::Mutex::new(tokens));
    let (t1, t2) = (tokens.clone(), tokens);
    let extra: Vec<(&'static str, String)> =
        extra.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    let form: Forms = Arc::new(move |i| {
        let rt = t1.lock().map(|t| t[i].clone()).unwrap_or_default();
        let mut f = vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", rt),
        ];
        f.extend(extra.iter().cloned());
        f
    });
    let keep: OnOk = Arc::new(move |i, body| {
        if let (Some(new), Ok(mut t)) = (body["refresh_token"].as_str(), t2.lock()) {
            t[i] = new.to_owned();
        }
    });
    alternating(http, url, auth, form, secs, keep, bound).await
}

/// The same loads against node-oidc-provider, already running on CPU 0.
async fn peer(
    peer_url: &str,
    client_id: String,
    key_file: &str,
    secs: u64,
    bound: &BoundThread,
    figures: &mut Vec<Figure>,
) -> Result<(), String> {
    let pem = std::fs::read(key_file).map_err(|e| format!("{key_file}: {e}"))?;
    let key = SigningKey::from_pkcs8(Alg::Es256, &pem).map_err(|e| e.to_string())?;
    let auth = Auth {
        client_id,
        aud: peer_url.to_owned(),
        key,
    };
    let http = client()?;
    let url = format!("{peer_url}/token");
    let (mut l, bound_rate) = granting(&http, &url, &auth, "api", secs, bound).await;
    figures.push(report(CLIENT_CREDENTIALS, PEER, &mut l, bound_rate));

    // Its refresh tokens are minted by the peer's bench-only endpoint.
    let mut tokens = Vec::new();
    for _ in 0..concurrency() {
        let body: serde_json::Value = http
            .post(format!("{peer_url}/bench/refresh-token"))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        tokens.push(
            body["refresh_token"]
                .as_str()
                .ok_or_else(|| format!("peer minted no refresh token: {body}"))?
                .to_owned(),
        );
    }
    let form = [("scope", "api")];
    let (mut l, bound_rate) = refreshing(&http, &url, &auth, tokens, &form, secs, bound).await;
    figures.push(report(REFRESH, PEER, &mut l, bound_rate));
    Ok(())
}

pub fn run(args: &[String]) -> Result<(), String> {
    let bin = args.first().ok_or("token needs BIN")?;
    let secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let db = args.get(2).filter(|a| !a.starts_with("--")).cloned();
    let peer_args = args.iter().position(|a| a == "--peer").map(|i| {
        (
            args.get(i + 1).cloned(),
            args.get(i + 2).cloned(),
            args.get(i + 3).cloned(),
        )
    });
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let pinned = cpus >= 2;

    let bound = BoundThread::start(Bound::new()?, pinned);
    if pinned {
        crate::pin_current_thread(1)?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut figures = Vec::new();
        propusk(bin, secs, None, pinned, &bound, &mut figures).await?;
        if let Some(url) = &db {
            propusk(bin, secs, Some(url), pinned, &bound, &mut figures).await?;
        }
        if let Some((Some(url), Some(client_id), Some(key))) = peer_args {
            peer(&url, client_id, &key, secs, &bound, &mut figures).await?;
        }
        table(&figures);
        Ok::<(), String>(())
    })?;
    Ok(())
}

/// `peer-key DIR`: an ES256 client key for the peer, as `DIR/client.pk8`
/// (for this tool's `--peer`) and `DIR/client.jwk.json` (for the peer).
pub fn peer_key(args: &[String]) -> Result<(), String> {
    let dir = std::path::PathBuf::from(args.first().ok_or("peer-key needs DIR")?);
    let key = SigningKey::generate(Alg::Es256).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("client.pk8"), key.pkcs8()).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("client.jwk.json"), key.public_jwk().to_string())
        .map_err(|e| e.to_string())?;
    Ok(())
}
