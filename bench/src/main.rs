//! Helper for `bench/run`. Each subcommand prints one `name value unit` line.
//!
//! - `startup BIN RUNS`: spawns `BIN serve` on a fresh data dir and a free port,
//!   polls `/readyz` over raw TCP every millisecond, and reports the median and
//!   worst time from spawn to the first 200; then the process's idle RSS.
//! - `ids SECONDS`: identifier checks per second on one core, over a mix of
//!   valid and invalid values of every kind.
//! - `signin BIN SECONDS [CONCURRENCY]`: password sign-ins per second against raw argon2id
//!   in the same run, and page latencies with a session (see `signin.rs`).
//! - `token BIN SECONDS [DATABASE_URL] [--peer URL CLIENT_ID KEY]`: the token
//!   endpoint's grants per second beside their crypto bound (see `token.rs`).

mod identity;
mod person;
mod signin;
mod token;
mod webhooks;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use propusk_core::ident::{self, Kind};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("startup") => startup(&args[2..]),
        Some("ids") => ids(&args[2..]),
        Some("signin") => signin::run(&args[2..]),
        Some("identity") => identity::run(&args[2..]),
        Some("token") => token::run(&args[2..]),
        Some("person") => person::run(&args[2..]),
        Some("webhooks") => webhooks::run(&args[2..]),
        Some("peer-key") => token::peer_key(&args[2..]),
        _ => Err(
            "usage: propusk-bench startup BIN RUNS | ids SECONDS | signin BIN SECONDS | identity N | token BIN SECONDS [DATABASE_URL] | person BIN CITIZENS CONSENTS READS RATE SECONDS [DATABASE_URL] | webhooks N [DATABASE_URL]"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("propusk-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn ready(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(50)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && &buf[..12] == b"HTTP/1.1 200")
}

pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn startup(args: &[String]) -> Result<(), String> {
    let bin = args.first().ok_or("startup needs BIN")?;
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(10);
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for run in 0..runs {
        let dir = std::env::temp_dir().join(format!("propusk-bench-{}-{run}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let port = free_port()?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let t0 = Instant::now();
        let child = Command::new(bin)
            .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{bin}: {e}"))?;
        let server = Server(child);
        loop {
            if ready(addr) {
                break;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                return Err("server not ready within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        times.push(t0.elapsed());
        if run == 0 {
            // Idle: after start-up settles, with nothing asking.
            std::thread::sleep(Duration::from_secs(2));
            if let Some(kib) = rss_kib(server.0.id()) {
                rss.push(kib);
            }
        }
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let worst = times.last().copied().unwrap_or_default();
    println!(
        "startup_to_ready_median {:.1} ms",
        median.as_secs_f64() * 1000.0
    );
    println!(
        "startup_to_ready_worst {:.1} ms",
        worst.as_secs_f64() * 1000.0
    );
    if let Some(kib) = rss.first() {
        println!("idle_rss {:.1} MB", *kib as f64 / 1024.0);
    }
    Ok(())
}

fn ids(args: &[String]) -> Result<(), String> {
    let seconds: f64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let samples: [(Kind, &str, Option<&str>); 12] = [
        (Kind::Inn, "7707083893", None),
        (Kind::Inn, "500100732259", None),
        (Kind::Inn, "7707083894", None),
        (Kind::Snils, "112-233-445 95", None),
        (Kind::Ogrn, "1027700132195", None),
        (Kind::Kpp, "773601001", None),
        (Kind::Bik, "044525225", None),
        (Kind::BankAccount, "40702810938000000001", Some("044525225")),
        (Kind::Passport, "45 08 123456", None),
        (Kind::Phone, "+7 (916) 123-45-67", None),
        (Kind::Email, "ivanov@example.ru", None),
        (Kind::Uin, "18810177220123456789", None),
    ];
    let deadline = Duration::from_secs_f64(seconds);
    let t0 = Instant::now();
    let mut n: u64 = 0;
    let mut valid: u64 = 0;
    while t0.elapsed() < deadline {
        for _ in 0..1000 {
            for (kind, value, bik) in &samples {
                if ident::validate(*kind, std::hint::black_box(value), *bik).is_ok() {
                    valid += 1;
                }
                n += 1;
            }
        }
    }
    let rate = n as f64 / t0.elapsed().as_secs_f64();
    println!(
        "identifiers_validated {:.0} per_s (one core; {} of {} valid)",
        rate, valid, n
    );
    Ok(())
}

/// A `propusk serve --demo` on a fresh data dir and a free port.
pub struct DemoServer {
    pub base: String,
    pub pid: u32,
    _server: Server,
    dir: std::path::PathBuf,
    keep_dir: bool,
}

impl DemoServer {
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

/// Pins the calling thread to one CPU.
pub fn pin_current_thread(cpu: usize) -> Result<(), String> {
    signin::pin_this_thread(cpu)
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if !self.keep_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

pub fn spawn_demo(bin: &str) -> Result<DemoServer, String> {
    spawn_demo_on(bin, None)
}

/// [`spawn_demo`], with the server confined to one CPU when `cpu` is given
/// (through `taskset`, which execs the server: the pid stays the server's).
pub fn spawn_demo_on(bin: &str, cpu: Option<usize>) -> Result<DemoServer, String> {
    spawn_demo_with(bin, cpu, None)
}

/// [`spawn_demo_on`] on the given database (else SQLite in the data dir).
pub fn spawn_demo_with(
    bin: &str,
    cpu: Option<usize>,
    database_url: Option<&str>,
) -> Result<DemoServer, String> {
    let dir = std::env::temp_dir().join(format!("propusk-bench-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    serve_in(bin, cpu, dir, database_url, true)
}

/// `propusk serve` (not demo) on a data dir made beforehand, e.g. by
/// `propusk demo seed`; the dir goes with the server.
pub fn spawn_server(
    bin: &str,
    cpu: Option<usize>,
    dir: &std::path::Path,
    database_url: Option<&str>,
    keep_dir: bool,
) -> Result<DemoServer, String> {
    let mut server = serve_in(bin, cpu, dir.to_owned(), database_url, false)?;
    server.keep_dir = keep_dir;
    Ok(server)
}

fn serve_in(
    bin: &str,
    cpu: Option<usize>,
    dir: std::path::PathBuf,
    database_url: Option<&str>,
    demo: bool,
) -> Result<DemoServer, String> {
    let port = free_port()?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut command = match cpu {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &cpu.to_string(), bin]);
            c
        }
        None => Command::new(bin),
    };
    let child = command
        .arg("serve")
        .args(demo.then_some("--demo"))
        .args(["--listen", &addr.to_string(), "--data-dir"])
        .arg(&dir)
        .args(
            database_url
                .map(|u| vec!["--database-url", u])
                .unwrap_or_default(),
        )
        .env("PROPUSK_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{bin}: {e}"))?;
    let pid = child.id();
    // (with taskset the pid is the server's once taskset has exec'd it)
    let server = Server(child);
    let t0 = Instant::now();
    while !ready(addr) {
        if t0.elapsed() > Duration::from_secs(30) {
            return Err("the server did not get ready".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(DemoServer {
        base: format!("http://{addr}"),
        pid,
        _server: server,
        dir,
        keep_dir: false,
    })
}

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}
