//! `signin BIN SECONDS`: password sign-ins per second through the real
//! server, beside raw argon2id verifications per second with the same
//! parameters on the same cores, in one run; then page latencies with a
//! session (no hashing): `/cabinet` and `/login`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use propusk_core::password::{HashParams, Hasher};

const LOGIN: &str = "+79000000001";
const PASSWORD: &str = "Propusk-Demo-2026";
/// Any 64 hex digits work as a CSRF token when cookie and field agree.
const CSRF: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn raw_argon(secs: u64, threads: usize) -> Result<f64, String> {
    let hasher = Arc::new(
        Hasher::new(HashParams::default(), &mut rand_core::OsRng).map_err(|e| e.to_string())?,
    );
    let hash = hasher
        .hash(PASSWORD, &mut rand_core::OsRng)
        .map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (h, hash, stop, count) =
                (hasher.clone(), hash.clone(), stop.clone(), count.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _ = h.verify(PASSWORD, Some(&hash));
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    Ok(count.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64())
}

fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())
}

fn cookie_value(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// One sign-in; returns the session cookie value.
async fn sign_in(http: &reqwest::Client, base: &str, device: &str) -> Result<String, String> {
    let r = http
        .post(format!("{base}/login"))
        .header(
            "cookie",
            format!("propusk_csrf={CSRF}; propusk_device={device}"),
        )
        .form(&[
            ("csrf", CSRF),
            ("login", LOGIN),
            ("password", PASSWORD),
            ("next", "/cabinet"),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status() != 303 {
        return Err(format!("sign-in answered {}", r.status()));
    }
    cookie_value(&r, "propusk_session").ok_or_else(|| "no session cookie".into())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted
        .get(i)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let bin = args.first().ok_or("signin needs BIN")?;
    let secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let cores_for_load = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let concurrency: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(cores_for_load * 2);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);

    let raw = raw_argon(secs, cores)?;
    println!("argon2id_verify_raw {raw:.1} /s ({cores} threads, default parameters)");

    let server = crate::spawn_demo(bin)?;
    let base = server.base.clone();
    let pid = server.pid;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let http = client()?;
        // A known device, so each sign-in is not also a new-device notice.
        let device = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
        sign_in(&http, &base, device).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicU64::new(0));
        let cpu0 = crate::cpu_seconds(pid).unwrap_or(0.0);
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (http, base, stop, count) = (http.clone(), base.clone(), stop.clone(), count.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if sign_in(&http, &base, device).await.is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(secs)).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        let n = count.load(Ordering::Relaxed) as f64;
        let rate = n / t0.elapsed().as_secs_f64();
        let cpu = crate::cpu_seconds(pid).unwrap_or(0.0) - cpu0;
        println!(
            "password_signins {rate:.1} /s ({concurrency} concurrent, HTTP on loopback) = {:.0}% of raw argon2id",
            100.0 * rate / raw
        );
        println!(
            "signin_server_cpu {:.1} ms per sign-in (raw argon2id: {:.1} ms per verify)",
            1000.0 * cpu / n.max(1.0),
            1000.0 * cores as f64 / raw
        );

        let session = sign_in(&http, &base, device).await?;
        for (path, cookie) in [
            ("/cabinet", format!("propusk_session={session}; propusk_csrf={CSRF}")),
            ("/cabinet/sessions", format!("propusk_session={session}; propusk_csrf={CSRF}")),
            ("/login", format!("propusk_csrf={CSRF}")),
        ] {
            let mut times = Vec::new();
            for _ in 0..500 {
                let t = Instant::now();
                let r = http
                    .get(format!("{base}{path}"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = r.status();
                let _ = r.bytes().await;
                times.push(t.elapsed());
                if status != 200 {
                    return Err(format!("{path} answered {status}"));
                }
            }
            times.sort();
            println!(
                "page {path} p50 {:.2} ms p99 {:.2} ms (500 sequential requests)",
                percentile(&times, 0.5),
                percentile(&times, 0.99)
            );
        }
        Ok::<(), String>(())
    })?;
    drop(server);
    Ok(())
}
