//! `signin BIN SECONDS [CONCURRENCY]`: password sign-ins per second through
//! the real server, beside raw argon2id verifications per second with the
//! same parameters, in one run; then page latencies with a session (no
//! hashing): `/cabinet`, `/cabinet/sessions` and `/login`.
//!
//! Per-core and honest (the method of the bench suite): with two or more
//! CPUs the server is pinned to CPU 0 and this load generator to CPU 1. The
//! raw figure is one thread pinned to CPU 0 too, reusing its argon2 memory
//! (the fastest that core verifies). Raw and server phases alternate every
//! second, each drained before the next starts, so a shared machine's drift
//! in speed lands on both figures alike instead of passing for overhead.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use propusk_core::password::{HashParams, Hasher, Workspace};

const LOGIN: &str = "+79000000001";
const PASSWORD: &str = "Propusk-Demo-2026";
/// Any 64 hex digits work as a CSRF token when cookie and field agree.
const CSRF: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A thread that verifies one password over and over while switched on.
struct RawWorker {
    on: Arc<AtomicBool>,
    /// Set by the worker when it has seen `on` go false and stopped.
    idle: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
    quit: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl RawWorker {
    fn start(cpu: Option<usize>) -> Result<RawWorker, String> {
        let hasher =
            Hasher::new(HashParams::default(), &mut rand_core::OsRng).map_err(|e| e.to_string())?;
        let (on, idle) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(true)),
        );
        let (done, quit) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (on2, idle2, done2, quit2) = (on.clone(), idle.clone(), done.clone(), quit.clone());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let handle = std::thread::spawn(move || {
            let mut ws = Workspace::default();
            let setup = cpu.map_or(Ok(()), pin_this_thread).and_then(|()| {
                hasher
                    .hash_in(PASSWORD, &mut rand_core::OsRng, &mut ws)
                    .map_err(|e| e.to_string())
            });
            let hash = match setup {
                Ok(hash) => hash,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(()));
            while !quit2.load(Ordering::Relaxed) {
                if on2.load(Ordering::Acquire) {
                    idle2.store(false, Ordering::Release);
                    let v = hasher.verify_in(PASSWORD, Some(&hash), &mut ws);
                    std::hint::black_box(v.is_ok());
                    done2.fetch_add(1, Ordering::Relaxed);
                } else {
                    idle2.store(true, Ordering::Release);
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });
        ready_rx.recv().map_err(|e| e.to_string())??;
        Ok(RawWorker {
            on,
            idle,
            done,
            quit,
            handle: Some(handle),
        })
    }

    /// Runs for about `d`, then waits for the verify in hand; returns how
    /// many finished and the time from start to the last one.
    fn phase(&self, d: Duration) -> (u64, Duration) {
        let n0 = self.done.load(Ordering::Relaxed);
        let t0 = Instant::now();
        self.idle.store(false, Ordering::Release);
        self.on.store(true, Ordering::Release);
        std::thread::sleep(d);
        self.on.store(false, Ordering::Release);
        while !self.idle.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_micros(200));
        }
        (self.done.load(Ordering::Relaxed) - n0, t0.elapsed())
    }
}

impl Drop for RawWorker {
    fn drop(&mut self) {
        self.quit.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Pins the calling thread to one CPU (`taskset` on its thread id).
pub(crate) fn pin_this_thread(cpu: usize) -> Result<(), String> {
    let link = std::fs::read_link("/proc/thread-self").map_err(|e| e.to_string())?;
    let tid = link
        .file_name()
        .and_then(|t| t.to_str())
        .ok_or("no thread id")?
        .to_owned();
    pin(cpu, &tid)
}

/// Pins a thread (by id; the process id is the main thread's) and the
/// threads it starts afterwards to one CPU.
fn pin(cpu: usize, tid: &str) -> Result<(), String> {
    let status = std::process::Command::new("taskset")
        .args(["-p", "-c", &cpu.to_string(), tid])
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("taskset: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("taskset -p failed: {status}"))
    }
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

/// Sign-ins from `concurrency` clients for about `d`, then waits for those
/// in flight; returns how many succeeded and the time to the last one.
async fn sign_ins_for(
    http: &reqwest::Client,
    base: &str,
    device: &'static str,
    concurrency: usize,
    d: Duration,
) -> (u64, Duration) {
    let t0 = Instant::now();
    let count = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, base, count) = (http.clone(), base.to_owned(), count.clone());
            tokio::spawn(async move {
                while t0.elapsed() < d {
                    if sign_in(&http, &base, device).await.is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    (count.load(Ordering::Relaxed), t0.elapsed())
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
    let concurrency: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(4);
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let pinned = cpus >= 2;
    if pinned {
        pin(1, &std::process::id().to_string())?;
    }
    let raw = RawWorker::start(pinned.then_some(0))?;

    let server = crate::spawn_demo_on(bin, pinned.then_some(0))?;
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
        let phase = Duration::from_secs(1);
        let (mut raw_n, mut raw_t) = (0u64, Duration::ZERO);
        let (mut srv_n, mut srv_t, mut srv_cpu) = (0u64, Duration::ZERO, 0.0);
        for _ in 0..secs.max(1) {
            let (n, t) = tokio::task::block_in_place(|| raw.phase(phase));
            raw_n += n;
            raw_t += t;
            let cpu0 = crate::cpu_seconds(pid).unwrap_or(0.0);
            let (n, t) = sign_ins_for(&http, &base, device, concurrency, phase).await;
            srv_cpu += crate::cpu_seconds(pid).unwrap_or(0.0) - cpu0;
            srv_n += n;
            srv_t += t;
        }
        let raw_rate = raw_n as f64 / raw_t.as_secs_f64();
        let rate = srv_n as f64 / srv_t.as_secs_f64();
        println!(
            "argon2id_verify_raw {raw_rate:.1} /s ({}, default parameters, reused memory)",
            if pinned { "one thread on CPU 0" } else { "one thread" }
        );
        println!(
            "password_signins {rate:.1} /s ({concurrency} concurrent, HTTP on loopback, {}) = {:.1}% of raw argon2id",
            if pinned { "server on CPU 0, load on CPU 1" } else { "server and load share the CPU" },
            100.0 * rate / raw_rate
        );
        println!(
            "signin_server_cpu {:.2} ms per sign-in (raw argon2id: {:.2} ms per verify; {} one-second phases of each, alternating)",
            1000.0 * srv_cpu / srv_n.max(1) as f64,
            1000.0 / raw_rate,
            secs.max(1)
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
