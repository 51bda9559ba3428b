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
            .map(|a| a.title.as_str())
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
    // Benign: one member mistypes 6 times; 40 members fail once each from 40 addresses;
    // one address fails for 30 members but over two hours.
    let mut benign = Vec::new();
    for i in 0..6 {
        benign.push(login(i * 10, "192.0.2.10", "JM0000001", "failure"));
    }
    for i in 0..40 {
        benign.push(login(
            100 + i,
            &format!("198.51.100.{i}"),
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
