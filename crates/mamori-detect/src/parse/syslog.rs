//! Syslog: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`) and
//! the older BSD form of RFC 3164 (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`).
//! A message body in CEF or JSON is parsed into fields as well.
//!
//! RFC 3164 timestamps carry no year and no zone: the year is taken from the
//! reference time (the previous year when that would put the event more than
//! a month after it), and the time is read as UTC.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use super::{ParseError, cef, json};
use crate::event::{Event, Value};

pub fn parse_syslog(line: &str, reference: DateTime<Utc>) -> Result<Event, ParseError> {
    let bad = |why: &str| ParseError::Syslog(why.to_owned());
    let rest = line
        .strip_prefix('<')
        .ok_or_else(|| bad("a syslog line starts with <PRI>"))?;
    let close = rest
        .find('>')
        .filter(|i| (1..=3).contains(i))
        .ok_or_else(|| bad("the priority must be 1 to 3 digits in <>"))?;
    let pri: u8 = rest[..close]
        .parse()
        .ok()
        .filter(|p| *p <= 191)
        .ok_or_else(|| bad("the priority must be a number from 0 to 191"))?;
    let rest = &rest[close + 1..];
    let mut event = Event::new();
    event.set("log.syslog.priority", i64::from(pri));
    event.set("log.syslog.facility.code", i64::from(pri / 8));
    event.set("log.syslog.severity.code", i64::from(pri % 8));
    let message = if let Some(after) = rest.strip_prefix("1 ") {
        rfc5424(after, &mut event)?
    } else {
        rfc3164(rest, reference, &mut event)?
    };
    body(message, &mut event)?;
    Ok(event)
}

/// Splits off the next space-separated token.
fn token(s: &str) -> (&str, &str) {
    match s.split_once(' ') {
        Some((t, rest)) => (t, rest),
        None => (s, ""),
    }
}

fn nil(s: &str) -> Option<&str> {
    (s != "-" && !s.is_empty()).then_some(s)
}

fn rfc5424<'a>(s: &'a str, event: &mut Event) -> Result<&'a str, ParseError> {
    let (ts, s) = token(s);
    let (host, s) = token(s);
    let (app, s) = token(s);
    let (procid, s) = token(s);
    let (msgid, s) = token(s);
    if let Some(ts) = nil(ts) {
        let t = DateTime::parse_from_rfc3339(ts)
            .map_err(|_| ParseError::Syslog(format!("bad RFC 5424 timestamp {ts:?}")))?;
        event.timestamp = Some(t.with_timezone(&Utc));
    }
    set_header(event, nil(host), nil(app), nil(procid));
    if let Some(msgid) = nil(msgid) {
        event.set("event.code", msgid);
    }
    let s = structured_data(s, event)?;
    Ok(s.strip_prefix('\u{feff}').unwrap_or(s))
}

fn set_header(event: &mut Event, host: Option<&str>, app: Option<&str>, procid: Option<&str>) {
    if let Some(h) = host {
        event.set("host.name", h);
    }
    if let Some(a) = app {
        event.set("process.name", a);
    }
    if let Some(p) = procid {
        match p.parse::<i64>() {
            Ok(n) => event.set("process.pid", n),
            Err(_) => event.set("process.pid", p),
        }
    }
}

/// `-` or `[id k="v" …][id2 …]`; values escape `"`, `\` and `]` with `\`.
fn structured_data<'a>(s: &'a str, event: &mut Event) -> Result<&'a str, ParseError> {
    let bad = |why: &str| ParseError::Syslog(format!("structured data: {why}"));
    if let Some(rest) = s.strip_prefix('-') {
        return Ok(rest.strip_prefix(' ').unwrap_or(rest));
    }
    let mut rest = s;
    while let Some(after) = rest.strip_prefix('[') {
        let (id, mut inner) = after
            .find([' ', ']'])
            .map(|i| (&after[..i], &after[i..]))
            .ok_or_else(|| bad("unterminated element"))?;
        if id.is_empty() {
            return Err(bad("an element needs an id"));
        }
        loop {
            inner = inner.trim_start_matches(' ');
            if let Some(after_el) = inner.strip_prefix(']') {
                rest = after_el;
                break;
            }
            let eq = inner
                .find('=')
                .ok_or_else(|| bad("a parameter needs name=\"value\""))?;
            let name = &inner[..eq];
            let quoted = inner[eq + 1..]
                .strip_prefix('"')
                .ok_or_else(|| bad("parameter values are quoted"))?;
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, n @ ('"' | '\\' | ']'))) => value.push(n),
                        Some((_, n)) => {
                            value.push('\\');
                            value.push(n);
                        }
                        None => break,
                    },
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => value.push(c),
                }
            }
            let end = end.ok_or_else(|| bad("unterminated parameter value"))?;
            event.set(format!("syslog.sd.{id}.{name}"), value);
            inner = &quoted[end + 1..];
        }
    }
    Ok(rest.strip_prefix(' ').unwrap_or(rest))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn rfc3164<'a>(
    s: &'a str,
    reference: DateTime<Utc>,
    event: &mut Event,
) -> Result<&'a str, ParseError> {
    // "Mmm dd hh:mm:ss " is 16 bytes; the day may be space-padded.
    let stamp = s.get(..15).filter(|_| s.as_bytes().get(15) == Some(&b' '));
    let rest = match stamp.and_then(|st| bsd_time(st, reference)) {
        Some(t) => {
            event.timestamp = Some(t);
            &s[16..]
        }
        None => s,
    };
    // HOST TAG[PID]: MSG — a sender may leave out the host.
    let (first, after_first) = token(rest);
    let (host, tagged) = if first.ends_with(':') || first.contains('[') {
        (None, rest)
    } else {
        (Some(first), after_first)
    };
    let (tag, message) = match tagged.split_once(": ") {
        Some((tag, msg)) if !tag.contains(' ') && tag.len() <= 64 => (Some(tag), msg),
        _ => (None, tagged),
    };
    let (app, pid) = match tag {
        Some(t) => match t.split_once('[') {
            Some((name, pid)) => (Some(name), pid.strip_suffix(']')),
            None => (Some(t), None),
        },
        None => (None, None),
    };
    set_header(event, host, app, pid);
    Ok(message)
}

fn bsd_time(stamp: &str, reference: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let month = MONTHS.iter().position(|m| stamp.starts_with(m))? as u32 + 1;
    let day: u32 = stamp.get(4..6)?.trim().parse().ok()?;
    let mut hms = stamp.get(7..15)?.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    let at = |year: i32| {
        NaiveDate::from_ymd_opt(year, month, day)
            .and_then(|d| d.and_hms_opt(h, m, sec))
            .map(|t| Utc.from_utc_datetime(&t))
    };
    let this_year = at(reference.year())?;
    if this_year > reference + chrono::Duration::days(31) {
        at(reference.year() - 1)
    } else {
        Some(this_year)
    }
}

/// The message, and the fields of a CEF or JSON body.
fn body(message: &str, event: &mut Event) -> Result<(), ParseError> {
    let trimmed = message.trim();
    if trimmed.starts_with("CEF:") {
        let cef = cef::parse_cef(trimmed)?;
        for (k, v) in cef.fields() {
            event.set(k, v.clone());
        }
        if cef.timestamp.is_some() {
            event.timestamp = cef.timestamp;
        }
    } else if trimmed.starts_with('{')
        && let Ok(inner) = json::parse_json(trimmed)
    {
        for (k, v) in inner.fields() {
            event.set(k, v.clone());
        }
        event.timestamp = inner.timestamp.or(event.timestamp);
    }
    if !message.is_empty() && event.get("message").is_none() {
        event.set("message", Value::Str(message.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn rfc5424_with_structured_data() {
        let e = parse_syslog(
            r#"<165>1 2026-11-28T10:15:03.003+09:00 web01.kumoji-air.example nginx 2412 ID47 [auth@32473 user="tanaka" result="fail\]ed"][origin ip="192.0.2.5"] login failed"#,
            reference(),
        )
        .expect("valid");
        assert_eq!(e.get("log.syslog.facility.code"), Some(&Value::Int(20)));
        assert_eq!(e.get("log.syslog.severity.code"), Some(&Value::Int(5)));
        assert_eq!(e.get_str("host.name"), Some("web01.kumoji-air.example"));
        assert_eq!(e.get("process.pid"), Some(&Value::Int(2412)));
        assert_eq!(e.get_str("syslog.sd.auth@32473.result"), Some("fail]ed"));
        assert_eq!(e.get_str("syslog.sd.origin.ip"), Some("192.0.2.5"));
        assert_eq!(e.get_str("message"), Some("login failed"));
        assert_eq!(
            e.timestamp.map(|t| t.to_rfc3339()),
            Some("2026-11-28T01:15:03.003+00:00".into())
        );
    }

    #[test]
    fn rfc3164_takes_the_year_from_the_reference() {
        let e = parse_syslog(
            "<34>Nov  3 22:14:15 mymachine su[123]: 'su root' failed for lonvick on /dev/pts/8",
            reference(),
        )
        .expect("valid");
        assert_eq!(e.get_str("host.name"), Some("mymachine"));
        assert_eq!(e.get_str("process.name"), Some("su"));
        assert_eq!(e.get("process.pid"), Some(&Value::Int(123)));
        assert_eq!(
            e.timestamp.map(|t| t.to_rfc3339()),
            Some("2026-11-03T22:14:15+00:00".into())
        );
        // December seen in late November is last year's.
        let dec = parse_syslog("<13>Dec 31 23:59:59 host app: x", reference()).expect("valid");
        assert_eq!(dec.timestamp.map(|t| t.year()), Some(2025));
    }

    #[test]
    fn cef_inside_syslog() {
        let e = parse_syslog(
            r"<134>Nov 28 01:00:00 fw01 CEF:0|Kumoji|WAF|1.0|942100|SQL injection|8|src=203.0.113.9 request=/search?q=1' OR 1\=1",
            reference(),
        )
        .expect("valid");
        assert_eq!(e.get_str("source.ip"), Some("203.0.113.9"));
        assert_eq!(e.get_str("url.original"), Some("/search?q=1' OR 1=1"));
        assert_eq!(e.get_str("host.name"), Some("fw01"));
    }

    #[test]
    fn bad_lines_are_named() {
        for line in ["no pri", "<>x", "<999>1 x", "<1234>x"] {
            assert!(parse_syslog(line, reference()).is_err(), "{line}");
        }
        assert!(parse_syslog("<13>1 2026-13-01T00:00:00Z h a p m - x", reference()).is_err());
        assert!(parse_syslog("<13>1 - h a p m [unterminated x=\"1", reference()).is_err());
    }
}
