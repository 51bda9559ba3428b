//! Prints realistic event lines (see `mamori_detect::synthetic`): input for
//! `mamori detect` and for trying the server's ingest endpoint.
//!
//! `cargo run --release -p mamori-detect --example traffic -- [LINES] [SEED] > events.ndjson`

use std::io::Write;

use chrono::{TimeZone, Utc};
use mamori_detect::synthetic::Traffic;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let lines: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2014);
    let start = Utc
        .with_ymd_and_hms(2026, 11, 28, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in Traffic::new(seed, start).take(lines) {
        writeln!(out, "{line}")?;
    }
    out.flush()
}
