//! Property tests on the parsers and indicator sets.

use std::net::{IpAddr, Ipv4Addr};

use chrono::{TimeZone, Utc};
use mamori_detect::indicators::IndicatorSetBuilder;
use mamori_detect::normalize::FieldMap;
use mamori_detect::parse::{Format, parse_cef, parse_json, parse_line, parse_syslog};
use mamori_detect::{Event, Value};
use proptest::prelude::*;

fn reference() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0)
        .single()
        .expect("valid")
}

fn cef_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('=', "\\=")
        .replace('\n', "\\n")
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    let key = prop_oneof![
        Just("c-ip".to_owned()),
        Just("src_ip".to_owned()),
        Just("clientip".to_owned()),
        Just("source.ip".to_owned()),
        Just("source".to_owned()),
        Just("ip".to_owned()),
        Just("@timestamp".to_owned()),
        Just("user".to_owned()),
        Just("name".to_owned()),
        "[a-z.]{0,6}",
        "\\PC{0,4}",
    ];
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        any::<u64>().prop_map(J::from),
        any::<f64>().prop_map(J::from),
        Just(serde_json::json!(-0.0)),
        Just(J::from("2026-11-28T01:02:03+09:00")),
        "\\PC{0,12}".prop_map(J::from),
        "[\"\\\\/\u{0}-\u{1f}\u{e000}\u{1f600}a]{0,6}".prop_map(J::from),
    ];
    leaf.prop_recursive(4, 40, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
            proptest::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| J::Object(kv.into_iter().collect())),
        ]
    })
    .prop_map(|v| match v {
        J::Object(_) => v,
        other => serde_json::json!({ "message": other, "user": { "name": "JM0000001" } }),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// No input makes a parser panic; every failure is an error value.
    #[test]
    fn parsers_never_panic(line in "\\PC{0,300}") {
        let map = FieldMap::default();
        for format in [Format::JsonLines, Format::Syslog, Format::Cef, Format::Auto] {
            let _ = parse_line(&line, format, &map, reference());
        }
        let _ = parse_json(&line);
        let _ = parse_syslog(&line, reference());
        let _ = parse_cef(&line);
    }

    /// Arbitrary bytes after a valid prefix do not panic either.
    #[test]
    fn prefixed_garbage_never_panics(tail in "\\PC{0,200}") {
        let _ = parse_syslog(&format!("<13>1 {tail}"), reference());
        let _ = parse_syslog(&format!("<13>Nov 28 00:00:00 {tail}"), reference());
        let _ = parse_cef(&format!("CEF:0|a|b|c|d|e|5|{tail}"));
        let _ = parse_json(&format!("{{\"a\":{tail}"));
    }

    /// JSON objects come back field for field, nested names dotted.
    #[test]
    fn json_round_trip(
        pairs in proptest::collection::btree_map("[a-z]{1,8}", "\\PC{0,30}", 1..10),
        n in any::<i64>(),
    ) {
        let mut obj = serde_json::Map::new();
        for (k, v) in &pairs {
            obj.insert(k.clone(), serde_json::Value::String(v.clone()));
        }
        let line = serde_json::json!({ "outer": obj, "n": n }).to_string();
        let e = parse_json(&line).expect("valid JSON object");
        for (k, v) in &pairs {
            prop_assert_eq!(e.get_str(&format!("outer.{k}")), Some(v.as_str()));
        }
        prop_assert_eq!(e.get("n"), Some(&Value::Int(n)));
    }

    /// CEF extension values survive escaping, spaces and all.
    #[test]
    fn cef_round_trip(
        values in proptest::collection::btree_map("[a-z][a-zA-Z0-9]{0,10}", "[ -~]{0,40}", 1..8),
    ) {
        let ext: Vec<String> = values
            .iter()
            .map(|(k, v)| format!("x{k}={}", cef_escape(v.trim())))
            .collect();
        let line = format!("CEF:0|V|P|1|sig|name|3|{}", ext.join(" "));
        let e = parse_cef(&line).expect("valid CEF");
        for (k, v) in &values {
            prop_assert_eq!(e.get_str(&format!("cef.x{k}")), Some(v.trim()), "{}", line);
        }
    }

    /// RFC 5424 header fields and the message come back as sent.
    #[test]
    fn syslog_5424_round_trip(
        pri in 0u8..=191,
        host in "[a-z][a-z0-9.-]{0,20}",
        app in "[a-z][a-z0-9]{0,10}",
        pid in 1i64..100_000,
        msg in "[ -~]{1,80}",
    ) {
        let line = format!("<{pri}>1 2026-11-28T01:02:03Z {host} {app} {pid} ID1 - {msg}");
        let e = parse_syslog(&line, reference()).expect("valid syslog");
        prop_assert_eq!(e.get("log.syslog.priority"), Some(&Value::Int(i64::from(pri))));
        prop_assert_eq!(e.get_str("host.name"), Some(host.as_str()));
        prop_assert_eq!(e.get_str("process.name"), Some(app.as_str()));
        prop_assert_eq!(e.get("process.pid"), Some(&Value::Int(pid)));
        let starts_like_body = msg.trim().starts_with("CEF:") || msg.trim().starts_with('{');
        if !starts_like_body {
            prop_assert_eq!(e.get_str("message"), Some(msg.as_str()));
        }
    }

    /// The zero-copy JSON scanner gives the general parser's event, or its
    /// error, for any line: generated JSON (aliases beside canonical names,
    /// dotted keys beside nested objects, escapes, odd numbers) and that JSON
    /// cut or spliced.
    #[test]
    fn scanned_records_equal_parsed_events(
        value in json_value(),
        cut in any::<usize>(),
        splice in "[\\\"{}\\[\\],:0-9a-z \\\\-]{0,3}",
        pretty in any::<bool>(),
    ) {
        use mamori_detect::parse::parse_record;
        use mamori_detect::record::Schema;
        let map = FieldMap::default();
        let mut schema = Schema::new(&map);
        schema.intern("user.name");
        let text = if pretty {
            serde_json::to_string_pretty(&value).expect("serializable").replace('\n', " ")
        } else {
            value.to_string()
        };
        let at = (0..=text.len()).rev().filter(|i| text.is_char_boundary(*i)).nth(cut % 4).unwrap_or(0);
        let spliced = format!("{}{splice}{}", &text[..at], &text[at..]);
        for line in [text.as_str(), spliced.as_str()] {
            let slow = parse_line(line, Format::JsonLines, &map, reference());
            let fast = parse_record(line, Format::JsonLines, &map, &schema, reference())
                .map(|r| r.to_event(&schema));
            prop_assert_eq!(fast, slow, "{}", line);
        }
    }

    /// Any address inside a listed range matches it; the most specific wins.
    #[test]
    fn longest_prefix_match(addr in any::<u32>(), short in 0u8..=24, extra in 1u8..=8) {
        let long = short + extra;
        let net = |p: u8| {
            let masked = if p == 0 { 0 } else { addr & (u32::MAX << (32 - u32::from(p))) };
            format!("{}/{p}", Ipv4Addr::from(masked))
        };
        let mut b = IndicatorSetBuilder::new();
        b.add(&net(short), "wide").expect("cidr");
        b.add(&net(long), "narrow").expect("cidr");
        let set = b.build();
        let hit = set.ip(IpAddr::V4(Ipv4Addr::from(addr))).expect("covered");
        let expected = net(long);
        prop_assert_eq!(&*hit.value, expected.as_str());
        prop_assert_eq!(set.source(hit), "narrow");
    }
}

#[test]
fn auto_format_and_normalization_meet() {
    let map = FieldMap::default();
    let lines = [
        r#"{"c-ip":"192.0.2.10","cs-uri-query":"q=1","sc-status":404}"#,
        "<134>1 2026-11-28T01:00:00Z waf - - - - CEF:0|K|WAF|1|9|x|5|src=192.0.2.10 request=/a",
        "CEF:0|K|WAF|1|9|x|5|src=192.0.2.10",
    ];
    for line in lines {
        let e: Event = parse_line(line, Format::Auto, &map, reference()).expect(line);
        assert_eq!(e.get_str("source.ip"), Some("192.0.2.10"), "{line}");
    }
    assert!(parse_line("   ", Format::Auto, &map, reference()).is_err());
    assert!(parse_line("plain text", Format::Auto, &map, reference()).is_err());
}

/// The SigmaHQ corpus (shared reference data), when this checkout has it.
fn sigmahq(folder: &str) -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/sigmahq")
        .join(folder);
    if path.is_dir() {
        Some(path)
    } else {
        // CI always has the corpus beside the clone; elsewhere say so.
        assert!(
            std::env::var("CI").is_err(),
            "CI must have {}",
            path.display()
        );
        eprintln!("skipping: {} is not here", path.display());
        None
    }
}

/// Conformance: every rule of the SigmaHQ corpus compiles, or is reported
/// with its file and reason; at least 99 % must compile.
#[test]
fn sigmahq_rules_compile() {
    let Some(dir) = sigmahq("rules") else { return };
    let mut rules = mamori_detect::sigma::SigmaRules::new(FieldMap::default());
    let (added, errors) = rules.load_paths(&[dir]);
    for e in &errors {
        eprintln!("cannot compile: {e}");
    }
    let total = added + errors.len();
    let ratio = added as f64 / total as f64;
    eprintln!(
        "SigmaHQ rules/: {added} of {total} compile ({:.2} %)",
        ratio * 100.0
    );
    assert!(total > 3000, "the corpus has over 3,000 rules");
    assert!(ratio >= 0.99, "{added} of {total} compile");
}

/// SigmaHQ's web rules, written with W3C field names, match events that
/// arrive with ECS names or in CEF: the vocabulary meets in one place.
#[test]
fn sigmahq_web_rules_meet_events_from_any_source() {
    use mamori_detect::engine::Engine;
    use mamori_detect::indicators::IndicatorSet;
    let Some(dir) = sigmahq("rules/web") else {
        return;
    };
    let mut rules = mamori_detect::sigma::SigmaRules::new(FieldMap::default());
    let (added, errors) = rules.load_paths(&[dir]);
    assert!(added > 30 && errors.is_empty(), "{errors:?}");
    let mut engine = Engine::new(rules, std::sync::Arc::new(IndicatorSet::default()));
    let map = FieldMap::default();
    let lines = [
        r#"{"source":{"ip":"203.0.113.9"},"url":{"query":"id=1 UNION SELECT password FROM members"},"http":{"request":{"method":"GET"},"response":{"status_code":200}}}"#,
        r"CEF:0|Kumoji|Proxy|1|1|web|3|src=203.0.113.9 cs1Label=unused requestClientApplication=sqlmap/1.7.2#stable",
        r#"{"c-ip":"198.51.100.20","cs-uri-query":"lang=ja","sc-status":200,"c-useragent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36"}"#,
    ];
    let events: Vec<Event> = lines
        .iter()
        .map(|l| parse_line(l, Format::Auto, &map, reference()).expect(l))
        .collect();
    let alerts = engine.process(&events);
    let titles = |i: usize| -> Vec<&str> {
        alerts
            .iter()
            .filter(|a| a.event == i)
            .map(|a| &*a.title)
            .collect()
    };
    assert!(
        titles(0).contains(&"SQL Injection Strings In URI"),
        "{:?}",
        titles(0)
    );
    assert!(
        titles(1)
            .iter()
            .any(|t| t.contains("User Agent") || t.contains("User-Agent")),
        "{:?}",
        titles(1)
    );
    assert!(titles(2).is_empty(), "benign traffic: {:?}", titles(2));
}

/// mamori's own content, replayed: a stuffing burst alerts once per window
/// and source; a member mistyping, and slow or spread-out failures, do not.
#[test]
fn credential_stuffing_is_caught_and_benign_traffic_is_not() {
    use mamori_detect::engine::{Engine, Source};
    use mamori_detect::indicators::IndicatorSet;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut rules = mamori_detect::sigma::SigmaRules::new(FieldMap::default());
    let (added, errors) = rules.load_paths(&[dir]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(added >= 2);
    let mut engine = Engine::new(rules, std::sync::Arc::new(IndicatorSet::default()));
    let map = FieldMap::default();
    let login = |second: i64, ip: &str, user: &str, outcome: &str| {
        let t = reference() + chrono::Duration::seconds(second);
        let line = format!(
            r#"{{"@timestamp":"{}","event":{{"dataset":"customer.login","outcome":"{outcome}"}},"source":{{"ip":"{ip}"}},"user":{{"name":"{user}"}}}}"#,
            t.to_rfc3339()
        );
        parse_line(&line, Format::JsonLines, &map, reference()).expect("generated event")
    };
    let stuffing = |alerts: &[mamori_detect::engine::Alert]| {
        alerts
            .iter()
            .filter(|a| {
                matches!(a.source, Source::Correlation { .. })
                    && a.title.contains("Credential stuffing")
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    // Benign: one member mistypes 6 times; 40 members fail once each from 40
    // addresses in 40 networks; one address fails for 30 members but over two hours.
    let mut benign = Vec::new();
    for i in 0..6 {
        benign.push(login(i * 10, "192.0.2.10", "JM0000001", "failure"));
    }
    for i in 0..40 {
        benign.push(login(
            100 + i,
            &format!("198.51.{i}.10"),
            &format!("JM1{i:06}"),
            "failure",
        ));
    }
    for i in 0..30 {
        benign.push(login(
            1_000 + i * 240,
            "192.0.2.77",
            &format!("JM2{i:06}"),
            "failure",
        ));
    }
    assert!(stuffing(&engine.process(&benign)).is_empty());
    // Attack: 25 distinct members from one address in 50 seconds, a success mixed in.
    let mut attack = Vec::new();
    for i in 0..25 {
        attack.push(login(
            10_000 + i * 2,
            "203.0.113.50",
            &format!("JM3{i:06}"),
            "failure",
        ));
    }
    attack.push(login(10_051, "203.0.113.50", "JM3999999", "success"));
    let alerts = stuffing(&engine.process(&attack));
    assert!(!alerts.is_empty(), "the burst is caught");
    let first = &alerts[0];
    assert_eq!(first.level, "high");
    assert!(first.tags.contains(&"attack.t1110.004".to_owned()));
    match &first.source {
        Source::Correlation { group, value } => {
            assert_eq!(
                group,
                &vec![("source.ip".to_owned(), "203.0.113.50".to_owned())]
            );
            assert!(*value >= 20.0);
        }
        other => panic!("{other:?}"),
    }
    assert!(first.title.contains("Credential stuffing"));
    assert!(
        alerts.iter().all(|a| a.dedup_key == first.dedup_key),
        "one alert key per source"
    );
}

/// Each attack the group suffered, replayed against mamori's rules beside the
/// benign traffic that must stay quiet.
#[test]
fn mamori_content_catches_attacks_and_ignores_benign_traffic() {
    use mamori_detect::engine::Engine;
    use mamori_detect::indicators::IndicatorSet;
    let map = FieldMap::default();
    let ev = |second: i64, body: &str| -> Event {
        let t = reference() + chrono::Duration::seconds(second);
        let line = format!(r#"{{"@timestamp":"{}",{body}}}"#, t.to_rfc3339());
        parse_line(&line, Format::JsonLines, &map, reference()).expect("generated event")
    };
    let login = |s: i64, dataset: &str, ip: &str, user: &str, outcome: &str| {
        ev(
            s,
            &format!(
                r#""event":{{"dataset":"{dataset}","category":"authentication","outcome":"{outcome}"}},"source":{{"ip":"{ip}"}},"user":{{"name":"{user}"}}"#
            ),
        )
    };
    type Scenario = (&'static str, Vec<Event>, Vec<Event>);
    let scenarios: Vec<Scenario> = vec![
        (
            "account takeover",
            vec![
                login(0, "customer.login", "203.0.113.8", "JM0000009", "failure"),
                login(10, "customer.login", "203.0.113.8", "JM0000009", "failure"),
                login(20, "customer.login", "203.0.113.8", "JM0000009", "success"),
                ev(60, r#""event":{"dataset":"customer.account","action":"mileage-redemption"},"user":{"name":"JM0000009"}"#),
            ],
            vec![
                login(0, "customer.login", "192.0.2.8", "JM0000008", "success"),
                ev(60, r#""event":{"dataset":"customer.account","action":"email-change"},"user":{"name":"JM0000008"}"#),
                login(100, "customer.login", "192.0.2.7", "JM0000007", "failure"),
                login(110, "customer.login", "192.0.2.7", "JM0000007", "success"),
                // the change comes after the window closes
                ev(110 + 31 * 60, r#""event":{"dataset":"customer.account","action":"phone-change"},"user":{"name":"JM0000007"}"#),
            ],
        ),
        (
            "Password spraying",
            (0..16).map(|i| login(i * 180, "employee.login", "203.0.113.77", &format!("emp{i:04}"), "failure")).collect(),
            (0..16)
                .map(|i| login(i * 180, "employee.login", &format!("198.51.100.{i}"), &format!("emp{i:04}"), "failure"))
                .chain((0..20).map(|i| login(i * 60, "employee.login", "192.0.2.20", "emp0001", "failure")))
                .chain((0..20).map(|i| login(i, "customer.login", "192.0.2.21", &format!("JM5{i:06}"), "failure")))
                .collect(),
        ),
        (
            "Bulk reading of customer records",
            (0..320).map(|i| ev(i * 9, r#""event":{"dataset":"crm.audit","action":"customer-record-read"},"user":{"name":"sato"}"#)).collect(),
            (0..500)
                .map(|i| ev(i * 7, &format!(r#""event":{{"dataset":"crm.audit","action":"customer-record-read"}},"user":{{"name":"clerk{}"}}"#, i % 5)))
                .collect(),
        ),
        (
            "Credential stuffing from one network",
            // 30 addresses of one /24, two members each: 60 members in 2 minutes.
            (0..60)
                .map(|i| login(i * 2, "customer.login", &format!("198.51.100.{}", i / 2), &format!("JN{i:07}"), "failure"))
                .collect(),
            // The same spread over 30 different networks.
            (0..60)
                .map(|i| login(i * 2, "customer.login", &format!("198.51.{}.7", i / 2), &format!("JN{i:07}"), "failure"))
                .collect(),
        ),
        (
            "Customer records read at night",
            // 12 reads from 02:00 JST (17:00 UTC).
            (0..12).map(|i| ev(17 * 3600 + i * 60, r#""event":{"dataset":"crm.audit","action":"customer-record-read"},"user":{"name":"tanaka"}"#)).collect(),
            // The same reads at 10:00 JST (01:00 UTC), and three at night.
            (0..12)
                .map(|i| ev(3600 + i * 60, r#""event":{"dataset":"crm.audit","action":"customer-record-read"},"user":{"name":"tanaka"}"#))
                .chain((0..3).map(|i| ev(17 * 3600 + i * 60, r#""event":{"dataset":"crm.audit","action":"customer-record-read"},"user":{"name":"suzuki"}"#)))
                .collect(),
        ),
        (
            "Malware alert",
            vec![ev(0, r#""event":{"kind":"alert","category":"malware"},"host":{"name":"PC-AIR-0042"},"file":{"name":"請求書.pdf.exe"}"#)],
            vec![ev(0, r#""event":{"kind":"event","category":"process"},"host":{"name":"PC-AIR-0042"}"#)],
        ),
        (
            "mamori's own login under attack",
            (0..12).map(|i| login(i * 10, "mamori.auth", "203.0.113.99", "admin", "failure")).collect(),
            (0..5).map(|i| login(i * 10, "mamori.auth", "192.0.2.99", "admin", "failure")).collect(),
        ),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for (title, attack, benign) in scenarios {
        let engine = || {
            let mut rules = mamori_detect::sigma::SigmaRules::new(map.clone());
            let (_, errors) = rules.load_paths(std::slice::from_ref(&dir));
            assert!(errors.is_empty(), "{errors:?}");
            Engine::new(rules, std::sync::Arc::new(IndicatorSet::default()))
        };
        let fired = |events: &[Event]| {
            engine()
                .process(events)
                .into_iter()
                .filter(|a| a.title.contains(title) && a.level != "informational")
                .count()
        };
        assert!(fired(&attack) >= 1, "{title}: the attack is caught");
        assert_eq!(fired(&benign), 0, "{title}: benign traffic stays quiet");
    }
}

use mamori_detect::synthetic::Rng;

/// Values a compiled matcher should match (or nearly: the point is to land
/// on both sides of every rule's conditions).
fn samples(m: &rsigma_eval::CompiledMatcher, out: &mut Vec<String>) {
    use rsigma_eval::CompiledMatcher as M;
    use rsigma_eval::matcher::GroupMode;
    match m {
        M::Exact { value, .. } => out.push(value.clone()),
        M::Contains { value, .. } => out.push(format!("/x {value} y")),
        M::StartsWith { value, .. } => out.push(format!("{value}\\tail")),
        M::EndsWith { value, .. } => out.push(format!("C:\\head\\{value}")),
        M::AhoCorasickSet { needles, .. } => {
            out.extend(needles.iter().map(|n| format!("a{n}b")));
        }
        M::AnyOf(children)
        | M::CaseInsensitiveGroup {
            children,
            mode: GroupMode::Any,
        } => children.iter().for_each(|c| samples(c, out)),
        M::AllOf(children)
        | M::CaseInsensitiveGroup {
            children,
            mode: GroupMode::All,
        } => {
            let parts: Vec<String> = children
                .iter()
                .filter_map(|c| {
                    let mut one = Vec::new();
                    samples(c, &mut one);
                    one.into_iter().next()
                })
                .collect();
            out.push(parts.join(" "));
        }
        M::NumericEq(n) | M::NumericGte(n) | M::NumericLte(n) => out.push(n.to_string()),
        M::NumericGt(n) => out.push((n + 1.0).to_string()),
        M::NumericLt(n) => out.push((n - 1.0).to_string()),
        M::Cidr(net) => out.push(net.addr().to_string()),
        M::Exists(true) => out.push("present".into()),
        M::BoolEq(b) => out.push(b.to_string()),
        M::Regex(re) => {
            // The literal runs of a pattern often satisfy it.
            let lit: String = re
                .as_str()
                .trim_start_matches("(?i)")
                .chars()
                .filter(|c| c.is_alphanumeric() || " /-_.".contains(*c))
                .collect();
            out.push(lit);
        }
        M::Not(_) => out.push("zzz".into()),
        _ => {}
    }
}

/// Items of a detection as (field, values); keywords under `message`.
fn detection_items(d: &rsigma_eval::CompiledDetection, out: &mut Vec<(String, Vec<String>)>) {
    use rsigma_eval::CompiledDetection as D;
    match d {
        D::AllOf(items) => {
            for i in items {
                let mut v = Vec::new();
                samples(&i.matcher, &mut v);
                if i.exists == Some(true) {
                    v.push("present".into());
                }
                out.push((i.field.clone().unwrap_or_else(|| "message".into()), v));
            }
        }
        D::AnyOf(ds) | D::And(ds) => ds.iter().for_each(|d| detection_items(d, out)),
        D::Keywords(m) => {
            let mut v = Vec::new();
            samples(m, &mut v);
            out.push(("message".into(), v));
        }
        _ => {}
    }
}

fn vary(value: &str, how: usize) -> String {
    match how {
        0 => value.to_owned(),
        1 => value.to_uppercase(),
        2 => value
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect(),
        3 => format!("{value}\"\\\u{e9}\t"),
        _ => value.chars().skip(1).collect(),
    }
}

/// Events built from each rule's own values: every detection alone, all
/// together (so filters bite), with case changed, escapes added, values
/// cut short, numbers as numbers.
fn events_for(rule: &rsigma_eval::CompiledRule, rng: &mut Rng, out: &mut Vec<String>) {
    let mut names: Vec<&String> = rule.detections.keys().collect();
    names.sort();
    let mut per_detection = Vec::new();
    for name in &names {
        let mut items = Vec::new();
        detection_items(&rule.detections[*name], &mut items);
        per_detection.push(items);
    }
    let line = |items: &[(String, Vec<String>)], rng: &mut Rng, how: usize| {
        let mut obj = serde_json::Map::new();
        obj.insert("@timestamp".into(), "2026-11-28T01:02:03Z".into());
        for (field, values) in items {
            if values.is_empty() {
                continue;
            }
            let v = vary(&values[rng.below(values.len())], how);
            let value = match v.parse::<i64>() {
                Ok(n) if how == 0 => serde_json::Value::from(n),
                _ => serde_json::Value::from(v),
            };
            obj.insert(field.clone(), value);
        }
        serde_json::Value::Object(obj).to_string()
    };
    for items in &per_detection {
        for how in 0..5 {
            out.push(line(items, rng, how));
        }
    }
    let all: Vec<(String, Vec<String>)> = per_detection.concat();
    for how in 0..3 {
        out.push(line(&all, rng, how));
    }
}

/// Differential: mamori's compiled rule set (candidate index + zero-copy
/// JSON records) against `rsigma-eval`'s engine, over events generated from
/// the rules themselves: every web, proxy and webserver rule and every
/// fifth other rule of the corpus, with the whole corpus loaded. Any
/// difference in which rules match which event fails, and so does any
/// difference between the scanned record and the general parser's event.
#[test]
fn compiled_rules_agree_with_rsigma_eval() {
    use mamori_detect::parse::parse_record;
    let Some(dir) = sigmahq("rules") else { return };
    let map = FieldMap::default();
    let mut rules = mamori_detect::sigma::SigmaRules::new(map.clone());
    let (added, _) = rules.load_paths(std::slice::from_ref(&dir));
    let schema = rules.schema();
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("corpus folder").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yml") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut rng = Rng::new(2014);
    let (mut lines, mut web_rules, mut sampled) = (Vec::new(), 0usize, 0usize);
    for (i, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).expect("rule file");
        let Ok(collection) = rsigma_parser::parse_sigma_yaml(&text) else {
            continue;
        };
        for rule in &collection.rules {
            let Ok(compiled) = rsigma_eval::compile_rule(rule) else {
                continue;
            };
            let category = compiled.logsource.category.as_deref().unwrap_or_default();
            let web = file.components().any(|c| c.as_os_str() == "web")
                || matches!(category, "proxy" | "webserver");
            if web {
                web_rules += 1;
            } else if i % 5 == 0 {
                sampled += 1;
            } else {
                continue;
            }
            events_for(&compiled, &mut rng, &mut lines);
        }
    }
    let key = |hits: Vec<mamori_detect::sigma::RuleHit>| {
        let mut k: Vec<(Option<String>, String)> = hits
            .into_iter()
            .map(|h| (h.id.map(|i| i.to_string()), h.title.to_string()))
            .collect();
        k.sort();
        k
    };
    let (mut matches, mut matched_rules) = (0usize, std::collections::BTreeSet::new());
    for line in &lines {
        let event = parse_line(line, Format::JsonLines, &map, reference()).expect(line);
        let record = parse_record(line, Format::JsonLines, &map, &schema, reference()).expect(line);
        assert_eq!(
            record.to_event(&schema),
            event,
            "scanned record differs: {line}"
        );
        let oracle = key(rules.oracle(&event));
        // Through the engine's own path (buffers and the scan memo kept from
        // event to event), and once afresh.
        let ours = key(rules.process_record(&record));
        assert_eq!(key(rules.evaluate_record(&record)), ours, "{line}");
        assert_eq!(ours, oracle, "rules matching {line}");
        matches += oracle.len();
        matched_rules.extend(oracle.into_iter().map(|(id, t)| id.unwrap_or(t)));
    }
    eprintln!(
        "differential: {} events from {web_rules} web/proxy/webserver and {sampled} other rules \
         ({added} loaded): {matches} matches of {} rules, identical",
        lines.len(),
        matched_rules.len()
    );
    assert!(
        web_rules >= 45 && sampled >= 400,
        "{web_rules} web, {sampled} sampled"
    );
    assert!(
        matched_rules.len() * 2 > web_rules + sampled,
        "the generated events exercise most rules: {} matched",
        matched_rules.len()
    );
}

/// Extra correlations for the differential test: several group-by fields,
/// a distinct count over two fields, bounded conditions.
const EXTRA_CORRELATIONS: &str = r#"
title: Any login failure
name: any_failure
id: 5f7c1e0a-0000-4000-8000-000000000001
logsource: {category: authentication}
detection:
    selection:
        event.outcome: failure
    condition: selection
level: informational
---
title: Many failures per address and dataset
id: 5f7c1e0a-0000-4000-8000-000000000002
correlation:
    type: event_count
    rules: [any_failure]
    group-by: [source.ip, event.dataset]
    timespan: 90s
    condition: {gte: 4, lte: 9}
level: medium
---
title: Many member and agent pairs per address
id: 5f7c1e0a-0000-4000-8000-000000000003
correlation:
    type: value_count
    rules: [any_failure]
    group-by: [source.ip]
    timespan: 2m
    condition: {field: [user.name, user_agent.original], gt: 5}
level: medium
---
title: Account change
name: account_change
id: 5f7c1e0a-0000-4000-8000-000000000004
logsource: {category: application}
detection:
    selection:
        event.dataset: customer.account
    condition: selection
level: informational
---
title: Failure and account change for one member, any order
id: 5f7c1e0a-0000-4000-8000-000000000005
correlation:
    type: temporal
    rules: [any_failure, account_change]
    group-by: [user.name]
    timespan: 3m
level: medium
"#;

/// Login, CRM and authentication events, in time order, from small pools
/// of addresses and accounts so that groups recur and thresholds are
/// crossed, left and crossed again.
fn correlation_stream(seed: u64, n: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    // Each stream on its own day, so that streams run one after another
    // stay in time order.
    let mut t = reference() + chrono::Duration::days(seed as i64);
    (0..n)
        .map(|_| {
            t += chrono::Duration::seconds(rng.below(6) as i64);
            // A third of the events: a list attack from one address.
            let burst = rng.below(3) == 0;
            let ip = if burst { "203.0.113.99".to_owned() } else { format!("203.0.113.{}", rng.below(6)) };
            let user = format!("JM{:07}", rng.below(if burst { 1_000_000 } else { 40 }));
            let dataset = if burst {
                "customer.login"
            } else {
                ["customer.login", "employee.login", "mamori.auth", "crm.audit", "customer.account"][rng.below(5)]
            };
            let outcome = if rng.below(10) < 8 { "failure" } else { "success" };
            let agent = ["Mozilla/5.0", "curl/8.9", "KumojiAir/7.2"][rng.below(3)];
            let action = ["customer-record-read", "mileage-redemption", "email-change"][rng.below(3)];
            format!(
                r#"{{"@timestamp":"{}","event":{{"dataset":"{dataset}","category":"authentication","outcome":"{outcome}","action":"{action}"}},"source":{{"ip":"{ip}"}},"user":{{"name":"{user}"}},"user_agent":{{"original":"{agent}"}}}}"#,
                t.to_rfc3339()
            )
        })
        .collect()
}

/// Differential: the native sliding correlations against `rsigma-eval`'s
/// correlation engine, over mamori's own rules and extra shapes: the same
/// correlations fire for the same groups with the same values, event for
/// event.
#[test]
fn native_correlations_agree_with_rsigma_eval() {
    use mamori_detect::parse::parse_record;
    use mamori_detect::sigma::SigmaRules;
    let map = FieldMap::default();
    let load = |mut rules: SigmaRules| {
        let (_, errors) = rules.load_builtin();
        assert!(errors.is_empty(), "{errors:?}");
        let (n, errors) = rules.add_yaml(EXTRA_CORRELATIONS, std::path::Path::new("extra.yml"));
        assert!(errors.is_empty() && n == 5, "{errors:?}");
        rules
    };
    let mut ours = load(SigmaRules::with_lateness(map.clone(), None));
    let mut late_tolerant = load(SigmaRules::new(map.clone()));
    let mut oracle = load(SigmaRules::all_in_rsigma(map.clone()));
    let correlations = |hits: Vec<mamori_detect::sigma::RuleHit>| {
        let mut c: Vec<String> = hits
            .into_iter()
            .filter_map(|h| h.correlation.map(|(g, v)| format!("{} {g:?} {v}", h.title)))
            .collect();
        c.sort();
        c
    };
    let (mut fired, mut titles) = (0usize, std::collections::BTreeSet::new());
    for (seed, n) in [(1, 6_000), (2, 6_000), (3, 3_000)] {
        for line in correlation_stream(seed, n) {
            let r = |rules: &SigmaRules| {
                parse_record(&line, Format::JsonLines, &map, &rules.schema(), reference())
                    .expect("generated event")
            };
            let expected = correlations(oracle.process_record(&r(&oracle)));
            assert_eq!(
                correlations(ours.process_record(&r(&ours))),
                expected,
                "{line}"
            );
            // In-order streams: tolerating lateness changes nothing.
            assert_eq!(
                correlations(late_tolerant.process_record(&r(&late_tolerant))),
                expected,
                "{line}"
            );
            fired += expected.len();
            titles.extend(
                expected
                    .iter()
                    .map(|e| e.split(" [").next().unwrap_or_default().to_owned()),
            );
        }
    }
    // Steps at the same second still count as in order.
    let at = (reference() + chrono::Duration::days(9)).to_rfc3339();
    let tie = [
        r#""event":{"dataset":"customer.login","outcome":"failure"}"#,
        r#""event":{"dataset":"customer.login","outcome":"success"}"#,
        r#""event":{"dataset":"customer.account","action":"email-change"}"#,
    ];
    let mut tied = 0;
    for body in tie {
        let line = format!(r#"{{"@timestamp":"{at}",{body},"user":{{"name":"JT0000001"}}}}"#);
        let r = |rules: &SigmaRules| {
            parse_record(&line, Format::JsonLines, &map, &rules.schema(), reference())
                .expect("event")
        };
        let expected = correlations(oracle.process_record(&r(&oracle)));
        assert_eq!(
            correlations(ours.process_record(&r(&ours))),
            expected,
            "{line}"
        );
        tied += expected
            .iter()
            .filter(|e| e.contains("account takeover"))
            .count();
    }
    assert_eq!(
        tied, 1,
        "failure, success and change in one second: a takeover"
    );
    eprintln!("native correlations: {fired} firings of {titles:?}, identical");
    assert!(
        titles.len() >= 4,
        "the stream exercises the correlations: {titles:?}"
    );
}

/// Out of order within the lateness: the same alerts as in order; later
/// than the lateness: the event is not counted (and does not panic).
#[test]
fn late_events_count_where_they_belong() {
    use mamori_detect::parse::parse_record;
    use mamori_detect::sigma::SigmaRules;
    let map = FieldMap::default();
    let mut in_order = SigmaRules::new(map.clone());
    in_order.load_builtin();
    let mut shuffled = SigmaRules::new(map.clone());
    shuffled.load_builtin();
    // 25 members fail from one address within 50 s: a stuffing burst.
    let lines: Vec<String> = (0..25)
        .map(|i| {
            format!(
                r#"{{"@timestamp":"{}","event":{{"dataset":"customer.login","outcome":"failure"}},"source":{{"ip":"203.0.113.50"}},"user":{{"name":"JM{i:07}"}}}}"#,
                (reference() + chrono::Duration::seconds(i * 2)).to_rfc3339()
            )
        })
        .collect();
    let fire = |rules: &mut SigmaRules, order: &[usize]| {
        let schema = rules.schema();
        let mut n = 0;
        for &i in order {
            let r = parse_record(&lines[i], Format::JsonLines, &map, &schema, reference())
                .expect("event");
            let hits = rules.process_record(&r);
            // The failed-login rule only feeds correlations (generate: false).
            assert!(
                hits.iter()
                    .all(|h| !h.title.contains("Customer login failed"))
            );
            n += hits
                .iter()
                .filter(|h| h.correlation.is_some() && h.title.contains("Credential stuffing"))
                .count();
        }
        n
    };
    let order: Vec<usize> = (0..25).collect();
    // Swap neighbours and move a few events up to 40 s later.
    let mut late: Vec<usize> = order.clone();
    for pair in late.chunks_mut(2) {
        pair.reverse();
    }
    late.swap(3, 20);
    assert_eq!(fire(&mut in_order, &order), 1);
    // The rules list counts matches and firings.
    let hits = |title: &str| {
        in_order
            .rules()
            .iter()
            .find(|r| r.title.contains(title))
            .map(|r| (r.kind, r.hits))
    };
    use mamori_detect::sigma::RuleKind;
    assert_eq!(
        hits("Customer login failed"),
        Some((RuleKind::Detection, 25))
    );
    assert_eq!(
        hits("Credential stuffing"),
        Some((RuleKind::NativeCorrelation, 1))
    );
    assert_eq!(
        hits("account takeover"),
        Some((RuleKind::NativeCorrelation, 0))
    );
    assert_eq!(
        fire(&mut shuffled, &late),
        1,
        "out of order within 60 s: still caught once"
    );
    // Far too late: an event 10 minutes behind is dropped, not counted.
    let mut rules = SigmaRules::new(map.clone());
    rules.load_builtin();
    let old = lines[0].replace("2026-11-28T00:00:00", "2026-11-27T23:50:00");
    let schema = rules.schema();
    for l in lines.iter().skip(10).take(3).chain([&old]) {
        let r = parse_record(l, Format::JsonLines, &map, &schema, reference()).expect("event");
        assert!(
            rules
                .process_record(&r)
                .iter()
                .all(|h| h.correlation.is_none())
        );
    }
}
