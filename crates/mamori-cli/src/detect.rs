//! `mamori detect`: rules and indicators over event files or standard input;
//! alerts as NDJSON on standard output, load errors, bad lines and a summary
//! on standard error.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use mamori_detect::engine::{Alert, Engine, Source};
use mamori_detect::indicators::IndicatorSetBuilder;
use mamori_detect::normalize::FieldMap;
use mamori_detect::parse::Format;
use mamori_detect::sigma::SigmaRules;
use serde_json::json;

/// Events evaluated per batch.
const BATCH: usize = 4096;
/// Bad lines printed before the rest are only counted.
const SHOW_BAD: usize = 20;

pub struct Options {
    pub rules: Vec<PathBuf>,
    pub indicators: Vec<PathBuf>,
    pub format: String,
    pub inputs: Vec<PathBuf>,
    pub quiet: bool,
}

fn alert_json(a: &Alert, input: &str, line: usize) -> serde_json::Value {
    let mut v = json!({
        "title": a.title,
        "rule_id": a.rule_id,
        "level": a.level,
        "tags": a.tags,
        "timestamp": a.timestamp,
        "dedup_key": a.dedup_key,
        "input": input,
        "line": line,
    });
    match &a.source {
        Source::Indicator(m) => {
            v["indicator"] = json!({ "field": m.field, "kind": m.kind.name(), "value": m.indicator, "source": m.source });
        }
        Source::Correlation { group, value } => {
            let group: serde_json::Map<String, serde_json::Value> =
                group.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            v["correlation"] = json!({ "group": group, "value": value });
        }
        Source::Rule => {}
    }
    v
}

pub fn run(opts: Options) -> Result<()> {
    let format = Format::parse_name(&opts.format).with_context(|| {
        format!(
            "unknown input format {:?}: use auto, json, syslog or cef",
            opts.format
        )
    })?;
    let mut stderr = std::io::stderr().lock();
    let mut rules = SigmaRules::new(FieldMap::default());
    let (loaded, errors) = rules.load_paths(&opts.rules);
    for e in &errors {
        writeln!(stderr, "rule not loaded: {e}")?;
    }
    let mut builder = IndicatorSetBuilder::new();
    for path in &opts.indicators {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the indicator file {}", path.display()))?;
        let source = path
            .file_stem()
            .map_or("indicators".into(), |s| s.to_string_lossy().into_owned());
        let (_, bad) = builder.add_lines(&text, &source);
        for (line, e) in bad {
            writeln!(stderr, "{}:{line}: indicator skipped: {e}", path.display())?;
        }
    }
    let indicators = builder.build();
    if loaded == 0 && indicators.is_empty() {
        bail!(
            "nothing to detect with: no rule loaded from {:?} and no indicator",
            opts.rules
        );
    }
    writeln!(
        stderr,
        "{loaded} rules loaded ({} not), {} indicators",
        errors.len(),
        indicators.len()
    )?;
    let mut engine = Engine::new(rules, Arc::new(indicators));
    let reference = Utc::now();
    let mut parser = engine.rules.line_parser(format, reference);

    let inputs = if opts.inputs.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        opts.inputs.clone()
    };
    let started = Instant::now();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut events, mut bad, mut alerts) = (0usize, 0usize, 0usize);
    let mut per_rule: BTreeMap<std::sync::Arc<str>, usize> = BTreeMap::new();
    let show_progress = !opts.quiet && std::io::stderr().is_terminal();
    for input in &inputs {
        let name = input.display().to_string();
        let (reader, total): (Box<dyn Read>, u64) = if name == "-" {
            (Box::new(std::io::stdin().lock()), 0)
        } else {
            let f = std::fs::File::open(input).with_context(|| format!("cannot open {name}"))?;
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            (Box::new(f), size)
        };
        let mut reader = BufReader::with_capacity(1 << 20, reader);
        // A batch of lines (their buffers reused), then their records: the
        // records borrow from the lines, which is what makes parsing cheap.
        let mut texts: Vec<(usize, String)> = Vec::with_capacity(BATCH);
        let mut used = 0usize;
        let (mut line_no, mut read_bytes) = (0usize, 0u64);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .with_context(|| format!("cannot read {name}"))?;
            let done = n == 0;
            if !done {
                line_no += 1;
                read_bytes += n as u64;
                match std::str::from_utf8(&buf) {
                    Ok(text) if text.trim().is_empty() => {}
                    Ok(text) => {
                        if used == texts.len() {
                            texts.push((0, String::new()));
                        }
                        texts[used].0 = line_no;
                        texts[used].1.clear();
                        texts[used].1.push_str(text);
                        used += 1;
                    }
                    Err(_) => {
                        bad += 1;
                        if bad <= SHOW_BAD {
                            writeln!(stderr, "{name}:{line_no}: bad event: not valid UTF-8")?;
                        }
                    }
                }
            }
            if used >= BATCH || (done && used > 0) {
                let mut records = Vec::with_capacity(used);
                let mut lines_of = Vec::with_capacity(used);
                for (no, text) in &texts[..used] {
                    match parser.parse(text) {
                        Ok(record) => {
                            records.push(record);
                            lines_of.push(*no);
                        }
                        Err(e) => {
                            bad += 1;
                            if bad <= SHOW_BAD {
                                writeln!(stderr, "{name}:{no}: bad event: {e}")?;
                            }
                        }
                    }
                }
                events += records.len();
                for a in engine.process_records(&records) {
                    alerts += 1;
                    *per_rule.entry(a.title.clone()).or_default() += 1;
                    serde_json::to_writer(&mut stdout, &alert_json(&a, &name, lines_of[a.event]))?;
                    stdout.write_all(b"\n")?;
                }
                parser.recycle(&mut records);
                used = 0;
                if show_progress && total > 0 {
                    let pct = read_bytes as f64 * 100.0 / total as f64;
                    write!(
                        stderr,
                        "\r{name}: {pct:5.1} % ({events} events, {alerts} alerts)"
                    )?;
                }
            }
            if done {
                break;
            }
        }
        if show_progress && total > 0 {
            writeln!(stderr)?;
        }
    }
    stdout.flush()?;
    let secs = started.elapsed().as_secs_f64();
    if bad > SHOW_BAD {
        writeln!(stderr, "… and {} more bad events", bad - SHOW_BAD)?;
    }
    writeln!(stderr, "\n{:>8}  rule", "alerts")?;
    let mut counts: Vec<_> = per_rule.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (rule, n) in counts {
        writeln!(stderr, "{n:>8}  {rule}")?;
    }
    writeln!(
        stderr,
        "\n{events} events, {bad} bad, {alerts} alerts in {secs:.2} s ({:.0} events/s)",
        events as f64 / secs.max(1e-9)
    )?;
    Ok(())
}
