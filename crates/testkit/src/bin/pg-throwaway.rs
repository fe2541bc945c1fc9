//! `pg-throwaway`: start one throwaway PostgreSQL cluster for many test
//! processes.
//!
//! Prints `PROPUSK_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres`
//! as the first (and only) line on stdout, then stays in the foreground until
//! stdin closes or it gets SIGTERM, SIGINT or SIGHUP; then it stops the
//! cluster and removes its directory. If it is killed outright, the cluster's
//! watchdog does that instead. Diagnostics go to stderr.
//!
//! ```sh
//! coproc PG { cargo run -q -p propusk-testkit --bin pg-throwaway; }
//! read -r line <&"${PG[0]}" && export "$line"
//! cargo nextest run ...
//! exec {PG[1]}>&-; wait "$PG_PID"   # closing its stdin stops it
//! ```
//!
//! With `--no-stdin`, stdin is ignored (for `pg-throwaway --no-stdin &` with
//! stdin on /dev/null) and only the signals stop it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use propusk_testkit::{DATABASE_URL_ENV, PgCluster};
use tokio::signal::unix::{SignalKind, signal};

const USAGE: &str = "usage: pg-throwaway [--no-stdin]\n\
    Starts a throwaway PostgreSQL cluster, prints PROPUSK_TEST_DATABASE_URL=… on stdout,\n\
    and stops it when stdin closes (unless --no-stdin) or on SIGTERM/SIGINT/SIGHUP.";

fn main() -> ExitCode {
    let mut watch_stdin = true;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--no-stdin" => watch_stdin = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("pg-throwaway: unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }

    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pg-throwaway: cannot build a tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = rt.block_on(run(watch_stdin));
    // The stdin reader thread may still be blocked in read(); don't wait for it.
    std::process::exit(code);
}

async fn run(watch_stdin: bool) -> i32 {
    // Install the handlers before announcing the URL, so a quick SIGTERM
    // from the parent is never lost.
    let (mut term, mut int, mut hup) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) {
        (Ok(t), Ok(i), Ok(h)) => (t, i, h),
        _ => {
            eprintln!("pg-throwaway: cannot install signal handlers");
            return 1;
        }
    };

    let started = std::time::Instant::now();
    let cluster = match PgCluster::try_start().await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pg-throwaway: {e}");
            return 1;
        }
    };

    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{DATABASE_URL_ENV}={}", cluster.url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("pg-throwaway: cannot write to stdout; stopping");
        return 1;
    }
    drop(stdout);
    eprintln!(
        "pg-throwaway: PostgreSQL ready in {:.2}s on port {} (dir {}, log {})",
        started.elapsed().as_secs_f64(),
        cluster.port(),
        cluster.base_dir().display(),
        cluster.log_file().display()
    );

    let (eof_tx, eof_rx) = tokio::sync::oneshot::channel::<()>();
    if watch_stdin {
        std::thread::spawn(move || {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            let _ = eof_tx.send(());
        });
    } else {
        // Keep the sender alive so the receiver never fires.
        std::mem::forget(eof_tx);
    }

    let why = tokio::select! {
        _ = eof_rx => "stdin closed",
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
        _ = hup.recv() => "SIGHUP",
    };
    eprintln!("pg-throwaway: {why}; stopping PostgreSQL");
    // Dropping stops the server and removes its directory.
    drop(cluster);
    0
}
