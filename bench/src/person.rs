//! `person BIN CITIZENS CONSENTS READS RATE SECONDS [DATABASE_URL]`: the
//! data API under the consent check on seeded data. `propusk demo seed`
//! fills a fresh data dir (or the given empty database), `propusk serve`
//! runs on it pinned to CPU 0, and an open-loop generator sends
//! `GET /api/v1/person?consent_id=…` at a fixed RATE, each request for a
//! consent picked at random among the newest 200,000, with one bearer
//! token of the seeded bench client.
//!
//! Open loop: request i is due at start + i / RATE whether or not earlier
//! ones have answered, so a slow answer delays nothing and cannot hide.
//! Latency is counted from when a request was due (what a caller at that
//! rate sees) and, beside it, from when it was sent; the generator's timer
//! has 1 ms resolution, so the first figure carries up to 1 ms of the
//! generator's own lateness. Run it with the generator on the other core
//! (`taskset -c 1`), as bench/run does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use propusk_core::consent::Status;
use propusk_store::{Db, DbOptions, bulk};

/// Consents the reads are spread over (newest first).
const SPREAD: i64 = 200_000;

struct Sample {
    due: Duration,
    sent: Duration,
    status: u16,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let usage = "usage: person BIN CITIZENS CONSENTS READS RATE SECONDS [DATABASE_URL]";
    let bin = args.first().ok_or(usage)?.clone();
    let num = |i: usize| -> Result<u64, String> {
        args.get(i)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| usage.to_owned())
    };
    let (citizens, consents, reads, rate, secs) = (num(1)?, num(2)?, num(3)?, num(4)?, num(5)?);
    let url = args.get(6).cloned();
    let backend = if url.is_some() { "postgres" } else { "sqlite" };
    // PROPUSK_BENCH_KEEP=DIR seeds DIR once and reuses it (seeding a
    // million takes minutes); otherwise a fresh dir per run.
    let keep = std::env::var_os("PROPUSK_BENCH_KEEP").map(std::path::PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("propusk-bench-person-{}", std::process::id()))
    });
    let saved = dir.join("seed.json");
    let seeded: serde_json::Value = match std::fs::read(&saved) {
        Ok(bytes) if keep.is_some() => {
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", saved.display()))?
        }
        _ => {
            let _ = std::fs::remove_dir_all(&dir);
            let v = seed(&bin, &dir, url.as_deref(), [citizens, consents, reads])?;
            println!(
                "seed_{backend} {citizens} citizens, {consents} consents, {reads} reads in {} s; database {:.0} MB",
                v["seconds"],
                v["database_bytes"].as_f64().unwrap_or(0.0) / 1e6
            );
            if keep.is_some() {
                std::fs::write(&saved, v.to_string()).map_err(|e| e.to_string())?;
            }
            v
        }
    };
    let client_id = seeded["client_id"]
        .as_str()
        .ok_or("no client_id")?
        .to_owned();
    let secret = seeded["client_secret"]
        .as_str()
        .ok_or("no client_secret")?
        .to_owned();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = rt.block_on(async {
        let db = match &url {
            Some(u) => Db::connect(u, &DbOptions::default()).await,
            None => Db::open_data_dir(&dir, &DbOptions::default()).await,
        }
        .map_err(|e| e.to_string())?;
        let ids = bulk::consent_ids(&db, &client_id, Status::Active, SPREAD)
            .await
            .map_err(|e| e.to_string())?;
        db.close().await;
        if ids.is_empty() {
            return Err("no consents seeded".to_owned());
        }
        let server = crate::spawn_server(&bin, Some(0), &dir, url.as_deref(), keep.is_some())?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| e.to_string())?;
        let token: serde_json::Value = http
            .post(format!("{}/oauth/token", server.base))
            .basic_auth(&client_id, Some(&secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let token = token["access_token"]
            .as_str()
            .ok_or_else(|| format!("no access token: {token}"))?
            .to_owned();
        let base = Arc::new(server.base.clone());
        let ids = Arc::new(ids);
        let token = Arc::new(token);
        // Warm-up: connections, caches, the prepared statements.
        let _ = open_loop(&http, &base, &ids, &token, rate, Duration::from_secs(2)).await;
        let cpu0 = crate::cpu_seconds(server.pid).unwrap_or(0.0);
        let t0 = Instant::now();
        let mut samples =
            open_loop(&http, &base, &ids, &token, rate, Duration::from_secs(secs)).await;
        let wall = t0.elapsed().as_secs_f64();
        let cpu = crate::cpu_seconds(server.pid).unwrap_or(0.0) - cpu0;
        report(backend, &mut samples, rate, wall, cpu);
        if let Some(kib) = crate::rss_kib(server.pid) {
            println!("person_server_rss_{backend} {:.1} MB", kib as f64 / 1024.0);
        }
        Ok(())
    });
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

/// `propusk demo seed` into `dir` (or the database at `url`); its JSON.
fn seed(
    bin: &str,
    dir: &std::path::Path,
    url: Option<&str>,
    [citizens, consents, reads]: [u64; 3],
) -> Result<serde_json::Value, String> {
    let mut seed = std::process::Command::new(bin);
    seed.args(["demo", "seed", "--citizens"])
        .arg(citizens.to_string())
        .arg("--consents")
        .arg(consents.to_string())
        .arg("--reads")
        .arg(reads.to_string())
        .arg("--data-dir")
        .arg(dir)
        .env("PROPUSK_LOG", "warn");
    if let Some(u) = url {
        seed.args(["--database-url", u]);
    }
    let out = seed.output().map_err(|e| format!("{bin}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "demo seed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("demo seed output: {e}"))
}

/// Sends requests at `rate` for `d`, each due at its slot; waits for all.
async fn open_loop(
    http: &reqwest::Client,
    base: &Arc<String>,
    ids: &Arc<Vec<uuid::Uuid>>,
    token: &Arc<String>,
    rate: u64,
    d: Duration,
) -> Vec<Sample> {
    let total = (rate as f64 * d.as_secs_f64()) as u64;
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let start = Instant::now();
    let rng = AtomicU64::new(0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id()));
    let mut tasks = tokio::task::JoinSet::new();
    let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    let mut i = 0u64;
    while i < total {
        let now = start.elapsed();
        // Everything due by now goes out now, each with its own due time.
        while i < total && interval * u32::try_from(i).unwrap_or(u32::MAX) <= now {
            let due = start + interval * u32::try_from(i).unwrap_or(u32::MAX);
            let id = ids[(next(&rng) % ids.len() as u64) as usize];
            let (http, base, token) = (http.clone(), base.clone(), token.clone());
            tasks.spawn(async move {
                let sent = Instant::now();
                let status = match http
                    .get(format!("{base}/api/v1/person?consent_id={id}"))
                    .bearer_auth(token.as_str())
                    .send()
                    .await
                {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                Sample {
                    due: due.elapsed(),
                    sent: sent.elapsed(),
                    status,
                }
            });
            i += 1;
        }
        // Reap what has finished, so the set stays small at high rates.
        while let Some(r) = tasks.try_join_next() {
            if let Ok(s) = r {
                out.push(s);
            }
        }
        tokio::time::sleep(interval.min(Duration::from_millis(1))).await;
    }
    while let Some(r) = tasks.join_next().await {
        if let Ok(s) = r {
            out.push(s);
        }
    }
    out
}

fn next(state: &AtomicU64) -> u64 {
    // xorshift64*: a cheap spread over the consents, not a secret.
    let mut x = state.load(Ordering::Relaxed);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    state.store(x, Ordering::Relaxed);
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn report(backend: &str, samples: &mut [Sample], rate: u64, wall: f64, cpu: f64) {
    let n = samples.len();
    let ok = samples.iter().filter(|s| s.status == 200).count();
    let mut errors: std::collections::BTreeMap<u16, usize> = Default::default();
    for s in samples.iter().filter(|s| s.status != 200) {
        *errors.entry(s.status).or_default() += 1;
    }
    let mut due: Vec<Duration> = samples.iter().map(|s| s.due).collect();
    let mut sent: Vec<Duration> = samples.iter().map(|s| s.sent).collect();
    due.sort_unstable();
    sent.sort_unstable();
    let p = crate::token::percentile;
    println!(
        "person_read_{backend} {:.0} req/s offered {rate}, {ok}/{n} ok{}; from due: p50 {:.2} p90 {:.2} p99 {:.2} p99.9 {:.2} max {:.2} ms; from sent: p50 {:.2} p99 {:.2} ms; server CPU {:.0} µs/req (target p99 < 5 ms at 2,000 req/s)",
        n as f64 / wall,
        if errors.is_empty() {
            String::new()
        } else {
            format!(" (other statuses: {errors:?})")
        },
        p(&due, 0.50),
        p(&due, 0.90),
        p(&due, 0.99),
        p(&due, 0.999),
        p(&due, 1.0),
        p(&sent, 0.50),
        p(&sent, 0.99),
        cpu / n.max(1) as f64 * 1e6,
    );
}
