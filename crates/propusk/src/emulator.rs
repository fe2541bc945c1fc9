//! `propusk emulator`: serve the registry emulator, or export its population;
//! `propusk demo-bank`: the demo partner bank.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use propusk_registries::Population;
use propusk_registries::emulator::{Emulator, Faults};

use crate::cli::{DemoBankArgs, EmulatorArgs, exit};

pub async fn serve(
    args: &EmulatorArgs,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> u8 {
    let Some(addr) = args.listen else {
        eprintln!("propusk: emulator: --listen is required");
        return exit::USAGE;
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("propusk: emulator: cannot listen on {addr}: {e}");
            return exit::FAILED;
        }
    };
    let local = listener
        .local_addr()
        .map_or_else(|_| addr.to_string(), |a| a.to_string());
    let emu = Emulator::new(
        Population::new(args.seed, args.people),
        Faults {
            latency: Duration::from_millis(args.latency_ms),
            rate: args.fault_rate,
        },
    );
    tracing::info!(
        addr = %local,
        people = args.people,
        seed = args.seed,
        latency_ms = args.latency_ms,
        fault_rate = args.fault_rate,
        "registry emulator ready"
    );
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "Propusk registry emulator at http://{local}/ ({} people, seed {}); API: http://{local}/openapi.json",
            args.people, args.seed
        )
        .and_then(|()| out.flush());
    }
    match emu.serve(listener, shutdown).await {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("propusk: emulator: {e}");
            exit::FAILED
        }
    }
}

/// Streams the population as JSON lines with a progress bar on stderr.
pub fn export(args: &EmulatorArgs, path: &Path) -> u8 {
    let pop = Population::new(args.seed, args.people);
    let bar = indicatif::ProgressBar::new(pop.size());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} people ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t0 = Instant::now();
    let result = if path.as_os_str() == "-" {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
        propusk_registries::export::export(&pop, &mut out, workers, |n| bar.set_position(n))
    } else {
        match std::fs::File::create(path) {
            Ok(f) => {
                let mut out = std::io::BufWriter::with_capacity(1 << 20, f);
                propusk_registries::export::export(&pop, &mut out, workers, |n| bar.set_position(n))
            }
            Err(e) => {
                eprintln!("propusk: emulator: cannot write {}: {e}", path.display());
                return exit::FAILED;
            }
        }
    };
    bar.finish_and_clear();
    match result {
        Ok(n) => {
            eprintln!(
                "propusk: wrote {n} people in {:.1} s ({:.0}/s)",
                t0.elapsed().as_secs_f64(),
                n as f64 / t0.elapsed().as_secs_f64().max(1e-9)
            );
            exit::OK
        }
        Err(e) => {
            eprintln!("propusk: emulator: export failed: {e}");
            exit::FAILED
        }
    }
}

pub async fn demo_bank(
    args: &DemoBankArgs,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> u8 {
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("propusk: demo-bank: cannot listen on {}: {e}", args.listen);
            return exit::FAILED;
        }
    };
    let local = listener
        .local_addr()
        .map_or_else(|_| args.listen.to_string(), |a| a.to_string());
    let issuer = format!("http://{local}");
    let callback = format!(
        "{}{}",
        args.propusk_url.as_str().trim_end_matches('/'),
        propusk_service::confirm::CALLBACK_PATH
    );
    let bank = match propusk_registries::bank::DemoBank::new(
        propusk_registries::bank::BankConfig {
            issuer: issuer.clone(),
            name: propusk_registries::bank::DEMO_BANK_NAME.into(),
            client_id: "propusk".into(),
            client_secret: args.client_secret.clone(),
            redirect_uris: vec![callback.clone()],
        },
        Population::new(args.seed, args.people),
    ) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("propusk: demo-bank: {e}");
            return exit::FAILED;
        }
    };
    tracing::info!(%issuer, %callback, "demo bank ready");
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "Propusk demo bank at {issuer}/ (discovery: {issuer}/.well-known/openid-configuration); \
             customers sign in with their phone and the password {}",
            propusk_registries::bank::CUSTOMER_PASSWORD
        )
        .and_then(|()| out.flush());
    }
    match bank.serve(listener, shutdown).await {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("propusk: demo-bank: {e}");
            exit::FAILED
        }
    }
}
