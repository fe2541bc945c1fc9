//! The whole population as JSON lines: one person a line, with everything
//! the registries hold about them. For loading the same people elsewhere
//! (bench data, a test stand) and for looking at what the emulator serves.
//!
//! Generation runs on every core in chunks; chunks are written in order, and
//! at most two per worker are in memory at once, so memory stays flat
//! however many people are written.

use std::io::Write;
use std::sync::mpsc;

use serde::Serialize;

use crate::population::{
    Charge, Company, Entrepreneur, Estate, Income, Pension, Person, Population,
};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    #[serde(flatten)]
    person: &'a Person,
    income: Vec<Income>,
    pension: Pension,
    estate: Vec<Estate>,
    charges: Vec<Charge>,
    entrepreneur: Option<Entrepreneur>,
    companies_headed: Vec<Company>,
}

const CHUNK: u64 = 2_048;

fn chunk(pop: &Population, start: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(CHUNK as usize * 1_500);
    for p in (start..(start + CHUNK).min(pop.size())).filter_map(|i| pop.person(i)) {
        let line = Line {
            income: pop.income(&p),
            pension: pop.pension(&p),
            estate: pop.estate(&p),
            charges: pop.charges(&p),
            entrepreneur: pop.entrepreneur(&p),
            companies_headed: pop.companies_headed(&p),
            person: &p,
        };
        if serde_json::to_writer(&mut out, &line).is_ok() {
            out.push(b'\n');
        }
    }
    out
}

/// Writes every person to `out`; `progress` hears how many are done after
/// each chunk. Returns how many were written.
pub fn export(
    pop: &Population,
    out: &mut impl Write,
    workers: usize,
    progress: impl Fn(u64),
) -> std::io::Result<u64> {
    let workers = workers.max(1) as u64;
    let chunks = pop.size().div_ceil(CHUNK);
    std::thread::scope(|scope| {
        let mut receivers = Vec::new();
        for w in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(2);
            receivers.push(rx);
            scope.spawn(move || {
                let mut c = w;
                while c < chunks {
                    if tx.send(chunk(pop, c * CHUNK)).is_err() {
                        return;
                    }
                    c += workers;
                }
            });
        }
        let mut done = 0u64;
        for c in 0..chunks {
            let Some(rx) = receivers.get((c % workers) as usize) else {
                break;
            };
            let Ok(bytes) = rx.recv() else { break };
            out.write_all(&bytes)?;
            done = ((c + 1) * CHUNK).min(pop.size());
            progress(done);
        }
        out.flush()?;
        drop(receivers);
        Ok(done)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_person_is_one_parseable_line_in_order() {
        let pop = Population::new(3, 5_000);
        let mut buf = Vec::new();
        let seen = std::sync::Mutex::new(Vec::new());
        let n = export(&pop, &mut buf, 3, |d| seen.lock().unwrap().push(d)).unwrap();
        assert_eq!(n, 5_000);
        let lines: Vec<serde_json::Value> = buf
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5_000);
        assert!(
            lines
                .iter()
                .enumerate()
                .all(|(i, l)| l["index"] == i as u64)
        );
        assert_eq!(lines[2]["lastName"], "Морозов");
        assert_eq!(lines[2]["companiesHeaded"][0]["ogrn"], "1207700012343");
        assert_eq!(lines[2]["birthDate"], "1978-11-23");
        assert_eq!(*seen.lock().unwrap(), vec![2_048, 4_096, 5_000]);
    }
}
