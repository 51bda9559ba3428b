//! Benchmark (not a test) of the parts of the engine built so far, on one
//! thread: indicator lookups against a 1,000,000-entry IPv4 set, and parsing
//! ~300-byte events (JSON lines, syslog with CEF) into normalized events.
//!
//! `cargo run --release -p mamori-detect --example bench_detect [-- ENTRIES LOOKUPS]`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use chrono::{TimeZone, Utc};
use mamori_detect::indicators::IndicatorSetBuilder;
use mamori_detect::normalize::FieldMap;
use mamori_detect::parse::{Format, parse_line};

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let entries: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let lookups: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let mut rng = Rng(2014);

    let t = Instant::now();
    let mut b = IndicatorSetBuilder::new();
    let mut listed = Vec::with_capacity(entries);
    for i in 0..entries {
        let ip = Ipv4Addr::from(rng.next() as u32);
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
    println!(
        "built {} IPv4 indicators in {:.2} s",
        set.len(),
        t.elapsed().as_secs_f64()
    );

    // Half the probes are listed addresses, half random.
    let probes: Vec<IpAddr> = (0..1_000_000)
        .map(|i| {
            IpAddr::V4(if i % 2 == 0 {
                listed[i % listed.len()]
            } else {
                Ipv4Addr::from(rng.next() as u32)
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
        "{lookups} lookups in {secs:.2} s: {:.0} lookups/s ({hits} hits)",
        lookups as f64 / secs
    );

    let map = FieldMap::default();
    let reference = Utc
        .with_ymd_and_hms(2026, 11, 28, 0, 0, 0)
        .single()
        .expect("valid");
    let json: Vec<String> = (0..200_000)
        .map(|i| {
            format!(
                r#"{{"@timestamp":"2026-11-28T01:{:02}:{:02}Z","c-ip":"198.51.{}.{}","cs-method":"POST","cs-uri-stem":"/mileage/login","cs-uri-query":"lang=ja&ref=top","sc-status":{},"c-useragent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36","user":{{"name":"member{:07}"}},"event":{{"outcome":"{}"}}}}"#,
                i / 60 % 60,
                i % 60,
                i % 256,
                (i * 7) % 256,
                if i % 5 == 0 { 401 } else { 200 },
                i,
                if i % 5 == 0 { "failure" } else { "success" }
            )
        })
        .collect();
    let syslog: Vec<String> = (0..200_000)
        .map(|i| {
            format!(
                r"<134>1 2026-11-28T01:00:{:02}Z waf01.kumoji-air.example waf 4100 ID7 - CEF:0|Kumoji|WAF|2.1|942100|SQL injection attempt|8|src=203.0.113.{} spt={} dst=192.0.2.10 dpt=443 requestMethod=GET request=/search?q\=1 act=blocked cs1Label=Policy cs1=Strict",
                i % 60,
                i % 256,
                40000 + i % 20000
            )
        })
        .collect();
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/sigmahq/rules/web");
    if web.is_dir() {
        let mut rules = mamori_detect::sigma::SigmaRules::new(map.clone());
        let (n, _) = rules.load_paths(&[web]);
        let events: Vec<_> = json
            .iter()
            .map(|l| {
                parse_line(l, Format::JsonLines, &map, reference).expect("generated events parse")
            })
            .collect();
        let t = Instant::now();
        let mut hits = 0usize;
        for e in &events {
            hits += rules.evaluate(black_box(e)).len();
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "evaluate {n} SigmaHQ web rules (rsigma-eval) on parsed events: {:.0} events/s ({hits} hits)",
            events.len() as f64 / secs
        );
    }
    for (name, lines, format) in [
        ("JSON lines", &json, Format::JsonLines),
        ("syslog + CEF", &syslog, Format::Syslog),
    ] {
        let bytes: usize = lines.iter().map(String::len).sum();
        let t = Instant::now();
        let mut ok = 0usize;
        for line in lines {
            if parse_line(black_box(line), format, &map, reference).is_ok() {
                ok += 1;
            }
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "parse {name}: {} events ({} bytes avg) in {secs:.2} s: {:.0} events/s ({ok} ok)",
            lines.len(),
            bytes / lines.len(),
            lines.len() as f64 / secs
        );
    }
}
