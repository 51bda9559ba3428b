//! Benchmark (not a test), on one thread: mamori's engine beside
//! `rsigma-eval` 0.23 on the same rules and the same events, with events/s,
//! the ratio and match agreement; then the credential-stuffing correlation,
//! indicator lookups and the parsers on their own.
//!
//! `cargo run --release -p mamori-detect --example bench_detect [-- EVENTS]`
//!
//! Events come from [`mamori_detect::synthetic::Traffic`] (web access logs
//! with attacks, customer logins with stuffing bursts, proxy and DNS logs;
//! ~300-byte JSON lines). Rules: SigmaHQ's `rules/web` and the whole
//! `rules/` corpus from `../shared/data/sigmahq`, and mamori's own rules.
//!
//! Both sides start from the same bytes. `rsigma-eval` is timed twice:
//! evaluating events already parsed into `serde_json` values (its best
//! case), and from bytes (`serde_json` parse + evaluate). mamori is timed
//! from bytes to alerts: parse, normalize, detect, build alerts.
//!
//! Shared machines change speed under their tenants' load, so the three
//! measurements take turns over `BENCH_ROUNDS` rounds (default 3) and each
//! keeps its best round; mamori starts every round with a fresh engine.
//! `BENCH_ONLY=web|corpus|stuffing|indicators|parsers` runs one part
//! (`stuffing-rule`: the stuffing rule without the pass over all rules).

use std::collections::BTreeSet;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use mamori_detect::engine::{Engine, Source};
use mamori_detect::indicators::{IndicatorSet, IndicatorSetBuilder};
use mamori_detect::normalize::FieldMap;
use mamori_detect::parse::{Format, parse_line, parse_record};
use mamori_detect::record::Record;
use mamori_detect::sigma::SigmaRules;
use mamori_detect::synthetic::{Rng, Traffic};
use rsigma_eval::event::JsonEvent;

const BATCH: usize = 1024;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0)
        .single()
        .expect("valid")
}

fn rate(n: usize, secs: f64) -> f64 {
    n as f64 / secs.max(1e-9)
}

fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("rules folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            rule_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml") {
            out.push(p);
        }
    }
}

/// `rsigma-eval`'s engine over the same rule files mamori loads (files it
/// cannot take are skipped on both sides: mamori loads rule by rule).
fn rsigma_engine(dir: &Path) -> rsigma_eval::Engine {
    let mut files = Vec::new();
    rule_files(dir, &mut files);
    files.sort();
    let mut rules = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("rule file");
        if let Ok(c) = rsigma_parser::parse_sigma_yaml(&text) {
            rules.extend(c.rules);
        }
    }
    let mut engine = rsigma_eval::Engine::new();
    let _ = engine.add_rules(&rules);
    engine
}

/// The measured work, in a function of its own so an instruction counter
/// can count it alone.
#[inline(never)]
fn timed_pass<T>(work: impl FnOnce() -> T) -> T {
    work()
}

/// mamori from bytes to alerts; returns (seconds, alerts).
fn run_mamori(engine: &mut Engine, lines: &[String]) -> (f64, usize) {
    run_counting(engine, lines, |_| true)
}

/// mamori from bytes to alerts; returns (seconds, alerts that `count`).
fn run_counting(
    engine: &mut Engine,
    lines: &[String],
    count: impl Fn(&mamori_detect::engine::Alert) -> bool,
) -> (f64, usize) {
    let mut parser = engine.rules.line_parser(Format::JsonLines, start());
    let t = Instant::now();
    let mut alerts = 0usize;
    let mut batch: Vec<Record<'_>> = Vec::with_capacity(BATCH);
    for chunk in lines.chunks(BATCH) {
        parser.recycle(&mut batch);
        for line in chunk {
            if let Ok(r) = parser.parse(black_box(line)) {
                batch.push(r);
            }
        }
        alerts += engine
            .process_records(&batch)
            .iter()
            .filter(|a| count(a))
            .count();
    }
    (t.elapsed().as_secs_f64(), alerts)
}

/// Rounds of each timed measurement (the best one counts).
fn rounds() -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|r| *r > 0)
        .unwrap_or(3)
}

fn compare(name: &str, dir: &Path, lines: &[String]) {
    let load = || {
        let mut rules = SigmaRules::new(FieldMap::default());
        let (n, _) = rules.load_paths(&[dir.to_owned()]);
        (n, Engine::new(rules, Arc::new(IndicatorSet::default())))
    };
    let (n, mut engine) = load();
    let always = engine.rules.compiled().always_evaluated();
    let oracle = rsigma_engine(dir);

    let parsed: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("generated JSON"))
        .collect();
    let (mut eval_secs, mut bytes_secs, mut ours_secs) = (f64::MAX, f64::MAX, f64::MAX);
    let (mut theirs, mut alerts) = (0usize, 0usize);
    for round in 0..rounds() {
        let t = Instant::now();
        theirs = 0;
        for v in &parsed {
            theirs += oracle.evaluate(&JsonEvent::borrow(black_box(v))).len();
        }
        eval_secs = eval_secs.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for l in lines {
            let v: serde_json::Value = serde_json::from_str(black_box(l)).expect("generated JSON");
            black_box(oracle.evaluate(&JsonEvent::borrow(&v)).len());
        }
        bytes_secs = bytes_secs.min(t.elapsed().as_secs_f64());
        if round > 0 {
            engine = load().1;
        }
        let (secs, n) = run_mamori(&mut engine, lines);
        ours_secs = ours_secs.min(secs);
        alerts = n;
    }

    // Agreement, untimed. mamori normalizes field names (`cs-user-agent`
    // and `c-useragent` are one field), so rsigma-eval is asked twice: on
    // the raw JSON (its own view) and on mamori's normalized event (the
    // same input mamori's engine sees). The second must agree exactly.
    let map = FieldMap::default();
    let schema = engine.rules.schema();
    type Hits = BTreeSet<(Option<String>, String)>;
    let (mut same, mut matches, mut raw_matches, mut raw_same) = (0usize, 0usize, 0usize, 0usize);
    for (l, v) in lines.iter().zip(&parsed) {
        let raw: Hits = oracle
            .evaluate(&JsonEvent::borrow(v))
            .into_iter()
            .map(|r| (r.header.rule_id, r.header.rule_title))
            .collect();
        let event = parse_line(l, Format::JsonLines, &map, start()).expect("parses");
        let normalized: Hits = engine
            .rules
            .oracle(&event)
            .into_iter()
            .map(|h| (h.id.map(|i| i.to_string()), h.title.to_string()))
            .collect();
        let record = parse_record(l, Format::JsonLines, &map, &schema, start()).expect("parses");
        let ours: Hits = engine
            .rules
            .process_record(&record)
            .into_iter()
            .map(|h| (h.id.map(|i| i.to_string()), h.title.to_string()))
            .collect();
        matches += normalized.len();
        raw_matches += raw.len();
        raw_same += usize::from(raw == ours);
        if normalized == ours {
            same += 1;
        } else if std::env::var_os("BENCH_SHOW_DIFF").is_some() {
            println!("  differs: {l}\n    rsigma-eval: {normalized:?}\n    mamori: {ours:?}");
        }
    }
    let ours = rate(lines.len(), ours_secs);
    println!("\n## {name}: {n} rules ({always} evaluated for every event)");
    println!(
        "  rsigma-eval, parsed events : {:>10.0} events/s ({theirs} matches)",
        rate(lines.len(), eval_secs)
    );
    println!(
        "  rsigma-eval, from bytes    : {:>10.0} events/s",
        rate(lines.len(), bytes_secs)
    );
    println!("  mamori, bytes to alerts    : {ours:>10.0} events/s ({alerts} alerts)");
    println!(
        "  ratio: {:.1}x rsigma-eval on parsed events, {:.1}x from bytes",
        ours / rate(lines.len(), eval_secs),
        ours / rate(lines.len(), bytes_secs)
    );
    println!(
        "  agreement with rsigma-eval on the same normalized events: {same} of {} events match the same rules ({matches} matches)",
        lines.len()
    );
    println!(
        "  (rsigma-eval on raw field names: {raw_matches} matches; {raw_same} events agree, the rest differ only by field-name normalization)"
    );
}

/// mamori's own rules whose file name contains `part` (all for ""), as one
/// YAML stream.
fn builtin_yaml(part: &str) -> String {
    let texts: Vec<&str> = mamori_detect::builtin::RULES
        .iter()
        .filter(|(name, _)| name.contains(part))
        .map(|(_, t)| *t)
        .collect();
    texts.join("\n---\n")
}

/// rsigma-eval's correlation engine over `rules`, with mamori's windows,
/// limits and suppression.
fn oracle_for(rules: &rsigma_parser::SigmaCollection) -> rsigma_eval::CorrelationEngine {
    let mut oracle = rsigma_eval::CorrelationEngine::new(rsigma_eval::CorrelationConfig {
        timestamp_fallback: rsigma_eval::TimestampFallback::Skip,
        max_state_entries: mamori_detect::sigma::MAX_CORRELATION_STATE,
        max_group_entries: Some(mamori_detect::sigma::MAX_GROUP_ENTRIES),
        suppress: Some(mamori_detect::sigma::CORRELATION_SUPPRESS_SECS),
        ..Default::default()
    });
    oracle.add_collection(rules).expect("built-in rules load");
    oracle
}

/// Customer logins with stuffing bursts, through mamori's credential-
/// stuffing rules (a failed-login rule and its `value_count` correlations
/// per address and per /24), then through all of mamori's rules (spraying
/// and the `temporal_ordered` account takeover too, all run natively);
/// `rule_only`: the first pass alone.
fn stuffing(events: usize, rule_only: bool) {
    let lines: Vec<String> = Traffic::logins(2014, start()).take(events).collect();
    // rsigma-eval reads the events as sent, plus the field mamori derives
    // when read (`source.network`, the /24 of `source.ip`), so both sides
    // group the network rule alike.
    let parsed: Vec<(serde_json::Value, i64)> = lines
        .iter()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("generated JSON");
            if let Some(net) = v["source"]["ip"]
                .as_str()
                .and_then(mamori_detect::normalize::network_of)
            {
                v["source"]["network"] = serde_json::Value::String(net);
            }
            let ts = v["@timestamp"]
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map_or(0, |t| t.timestamp());
            (v, ts)
        })
        .collect();
    println!(
        "
## credential stuffing: {events} customer-login events with stuffing bursts"
    );
    let passes = [
        ("the stuffing rule", builtin_yaml("stuffing")),
        ("all mamori rules", builtin_yaml("")),
    ];
    for (name, yaml) in passes.into_iter().take(if rule_only { 1 } else { 2 }) {
        let c = rsigma_parser::parse_sigma_yaml(&yaml).expect("built-in rules parse");
        let (mut their_secs, mut our_secs, mut theirs, mut ours, mut n) =
            (f64::MAX, f64::MAX, 0usize, 0usize, 0usize);
        for _ in 0..rounds() {
            let mut oracle = oracle_for(&c);
            let t = Instant::now();
            theirs = 0;
            for (v, ts) in &parsed {
                theirs += oracle
                    .process_event_at(&JsonEvent::borrow(black_box(v)), *ts)
                    .iter()
                    .filter(|r| r.is_correlation())
                    .count();
            }
            their_secs = their_secs.min(t.elapsed().as_secs_f64());

            let mut rules = SigmaRules::new(FieldMap::default());
            let (loaded, errors) = rules.add_yaml(&yaml, Path::new("builtin"));
            assert!(errors.is_empty(), "{errors:?}");
            n = loaded;
            let mut engine = Engine::new(rules, Arc::new(IndicatorSet::default()));
            let (secs, found) = timed_pass(|| {
                run_counting(&mut engine, &lines, |a| {
                    matches!(a.source, Source::Correlation { .. })
                })
            });
            our_secs = our_secs.min(secs);
            ours = found;
        }
        println!("  {name} ({n} rules):");
        println!(
            "    rsigma-eval correlation, parsed events: {:>10.0} events/s ({theirs} correlation alerts)",
            rate(events, their_secs)
        );
        println!(
            "    mamori, bytes to alerts               : {:>10.0} events/s ({ours} correlation alerts), {:.1}x",
            rate(events, our_secs),
            their_secs / our_secs
        );
    }
}

fn indicators() {
    let entries = 1_000_000;
    let lookups = 10_000_000;
    let mut rng = Rng::new(2014);
    let t = Instant::now();
    let mut b = IndicatorSetBuilder::new();
    let mut listed = Vec::with_capacity(entries);
    for i in 0..entries {
        let ip = Ipv4Addr::from(rng.next_u64() as u32);
        listed.push(ip);
        let value = if i % 50 == 0 {
            format!("{ip}/24")
        } else {
            ip.to_string()
        };
        b.add(&value, if i % 2 == 0 { "T-ISAC" } else { "A-ISAC" })
            .expect("valid");
    }
    let set = b.build();
    let built = t.elapsed().as_secs_f64();
    // Half the probes are listed addresses, half random.
    let probes: Vec<IpAddr> = (0..1_000_000)
        .map(|i| {
            IpAddr::V4(if i % 2 == 0 {
                listed[i % listed.len()]
            } else {
                Ipv4Addr::from(rng.next_u64() as u32)
            })
        })
        .collect();
    let t = Instant::now();
    let mut hits = 0usize;
    for i in 0..lookups {
        if set.ip(black_box(probes[i % probes.len()])).is_some() {
            hits += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "\n## indicators: {} IPv4 entries built in {built:.2} s; {:.0} lookups/s ({hits} hits of {lookups})",
        set.len(),
        rate(lookups, secs)
    );
}

fn parsers(lines: &[String]) {
    let map = FieldMap::default();
    let rules = SigmaRules::new(map.clone());
    let schema = rules.schema();
    let syslog: Vec<String> = (0..lines.len().min(200_000))
        .map(|i| {
            format!(
                r"<134>1 2026-11-28T01:00:{:02}Z waf01.kumoji-air.example waf 4100 ID7 - CEF:0|Kumoji|WAF|2.1|942100|SQL injection attempt|8|src=203.0.113.{} spt={} dst=192.0.2.10 dpt=443 requestMethod=GET request=/search?q\=1 act=blocked cs1Label=Policy cs1=Strict",
                i % 60,
                i % 256,
                40000 + i % 20000
            )
        })
        .collect();
    println!("\n## parsers");
    let time = |name: &str, lines: &[String], f: &dyn Fn(&str) -> bool| {
        let bytes: usize = lines.iter().map(String::len).sum();
        let t = Instant::now();
        let ok = lines.iter().filter(|l| f(black_box(l))).count();
        println!(
            "  {name:<34}: {:>10.0} events/s ({} bytes avg, {ok} ok)",
            rate(lines.len(), t.elapsed().as_secs_f64()),
            bytes / lines.len().max(1)
        );
    };
    let parser = std::cell::RefCell::new(rules.line_parser(Format::JsonLines, start()));
    time("JSON lines, zero-copy scanner", lines, &|l| {
        parser.borrow_mut().parse(l).is_ok()
    });
    time("JSON lines, scanner without state", lines, &|l| {
        parse_record(l, Format::JsonLines, &map, &schema, start()).is_ok()
    });
    time("JSON lines, general parser", lines, &|l| {
        parse_line(l, Format::JsonLines, &map, start()).is_ok()
    });
    time("syslog + CEF", &syslog, &|l| {
        parse_line(l, Format::Syslog, &map, start()).is_ok()
    });
}

/// The index's fields, and the rules it most often lets through.
fn explain(rules: &SigmaRules, lines: &[String]) {
    for l in rules.compiled().index_report(&rules.schema()) {
        println!("{l}");
    }
    let mut parser = rules.line_parser(Format::JsonLines, start());
    let mut counts = std::collections::HashMap::<u32, usize>::new();
    let mut scratch = mamori_detect::compiled::Scratch::default();
    for l in lines {
        let r = parser.parse(l).expect("generated events parse");
        rules.compiled().candidates(&r, &mut scratch);
        for c in scratch.candidates() {
            *counts.entry(*c).or_default() += 1;
        }
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    for (rule, n) in counts.iter().take(15) {
        let (title, needs) = rules.compiled().describe(*rule as usize);
        println!(
            "{n:>8} {title}: {}",
            needs.chars().take(200).collect::<String>()
        );
    }
}

fn main() {
    let events: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let lines: Vec<String> = if std::env::var("BENCH_TRAFFIC").as_deref() == Ok("logins") {
        Traffic::logins(2014, start()).take(events).collect()
    } else {
        Traffic::new(2014, start()).take(events).collect()
    };
    let bytes: usize = lines.iter().map(String::len).sum();
    println!(
        "# {events} events, {} bytes on average (web 55 %, customer logins 15 %, proxy 15 %, DNS 15 %), one thread",
        bytes / events.max(1)
    );
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sigmahq/rules");
    // BENCH_PROFILE=<folder under rules/>: only mamori on those rules, for
    // a profiler; with BENCH_CANDIDATES=1, what the index does with them;
    // with BENCH_ORACLE=1, only rsigma-eval on parsed events instead. For
    // instruction counts that do not depend on the machine's load:
    // valgrind --tool=callgrind --toggle-collect='*timed_pass*' …
    if let Ok(folder) = std::env::var("BENCH_PROFILE") {
        if std::env::var_os("BENCH_ORACLE").is_some() {
            let oracle = rsigma_engine(&corpus.join(folder));
            let parsed: Vec<serde_json::Value> = lines
                .iter()
                .map(|l| serde_json::from_str(l).expect("generated JSON"))
                .collect();
            let t = Instant::now();
            let matches = timed_pass(|| {
                parsed
                    .iter()
                    .map(|v| oracle.evaluate(&JsonEvent::borrow(black_box(v))).len())
                    .sum::<usize>()
            });
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{:.0} events/s ({matches} matches)",
                rate(lines.len(), secs)
            );
            return;
        }
        // `builtin:<part of a name>`: mamori's own rules of that name
        // (`builtin:stuffing` with BENCH_TRAFFIC=logins is the stuffing
        // correlation alone).
        let load = || {
            let mut rules = SigmaRules::new(FieldMap::default());
            if let Some(part) = folder.strip_prefix("builtin:") {
                rules.add_yaml(&builtin_yaml(part), Path::new("builtin"));
            } else {
                rules.load_paths(&[corpus.join(&folder)]);
            }
            rules
        };
        if std::env::var_os("BENCH_CANDIDATES").is_some() {
            explain(&load(), &lines);
        }
        // The best of BENCH_ROUNDS rounds (default 1 here), each with a
        // fresh engine.
        let rounds = std::env::var("BENCH_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        let (mut best, mut alerts) = (f64::MAX, 0);
        for _ in 0..rounds {
            let mut engine = Engine::new(load(), Arc::new(IndicatorSet::default()));
            let (secs, found) = timed_pass(|| run_mamori(&mut engine, &lines));
            (best, alerts) = (best.min(secs), found);
        }
        println!("{:.0} events/s ({alerts} alerts)", rate(lines.len(), best));
        return;
    }
    // BENCH_ONLY=web|corpus|stuffing|indicators|parsers: that part alone;
    // stuffing-rule: the stuffing rule's pass only.
    let only = std::env::var("BENCH_ONLY").ok();
    let part = |name: &str| only.as_deref().is_none_or(|o| o == name);
    if corpus.is_dir() {
        if part("web") {
            compare(
                "SigmaHQ web, proxy and webserver rules (rules/web)",
                &corpus.join("web"),
                &lines,
            );
        }
        if part("corpus") {
            let some = &lines[..lines.len().min(50_000)];
            compare("SigmaHQ full corpus (rules/)", &corpus, some);
        }
    } else {
        println!(
            "(no SigmaHQ corpus at {}: skipping the comparisons)",
            corpus.display()
        );
    }
    if part("stuffing") || only.as_deref() == Some("stuffing-rule") {
        stuffing(events, only.as_deref() == Some("stuffing-rule"));
    }
    if part("indicators") {
        indicators();
    }
    if part("parsers") {
        parsers(&lines);
    }
}
