//! ArcSight Common Event Format:
//! `CEF:Version|Vendor|Product|Version|SignatureID|Name|Severity|k=v k2=v2 …`.
//! Header fields escape `|` and `\`; extension values escape `=`, `\`, and
//! may hold spaces (a value runs to the next ` key=`). Well-known keys are
//! mapped to the common vocabulary; labelled custom fields (`cs1` with
//! `cs1Label`) are named by their label; the rest keep `cef.<key>`.

use super::{MAX_FIELDS, ParseError, json::parse_time};
use crate::event::{Event, Value};

const KEYS: &[(&str, &str)] = &[
    ("src", "source.ip"),
    ("dst", "destination.ip"),
    ("shost", "source.domain"),
    ("dhost", "destination.domain"),
    ("suser", "source.user.name"),
    ("duser", "user.name"),
    ("act", "event.action"),
    ("outcome", "event.outcome"),
    ("cat", "event.category"),
    ("request", "url.original"),
    ("requestMethod", "http.request.method"),
    ("requestClientApplication", "user_agent.original"),
    ("app", "network.protocol"),
    ("proto", "network.transport"),
    ("fname", "file.name"),
    ("filePath", "file.path"),
    ("fileHash", "file.hash"),
    ("msg", "message"),
    ("dvchost", "observer.hostname"),
    ("dvc", "observer.ip"),
];

const INT_KEYS: &[(&str, &str)] = &[
    ("spt", "source.port"),
    ("dpt", "destination.port"),
    ("in", "source.bytes"),
    ("out", "destination.bytes"),
    ("cnt", "event.count"),
];

pub fn parse_cef(line: &str) -> Result<Event, ParseError> {
    let bad = |why: &str| ParseError::Cef(why.to_owned());
    let body = line
        .trim()
        .strip_prefix("CEF:")
        .ok_or_else(|| bad("a CEF line starts with CEF:"))?;
    // Seven header fields, split on unescaped pipes; the rest is the extension.
    let mut header: Vec<String> = Vec::with_capacity(7);
    let mut current = String::new();
    let mut chars = body.char_indices();
    let mut extension_start = None;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, n @ ('|' | '\\'))) => current.push(n),
                Some((_, n)) => {
                    current.push('\\');
                    current.push(n);
                }
                None => current.push('\\'),
            },
            '|' => {
                header.push(std::mem::take(&mut current));
                if header.len() == 7 {
                    extension_start = Some(i + 1);
                    break;
                }
            }
            c => current.push(c),
        }
    }
    let extension_start =
        extension_start.ok_or_else(|| bad("the header needs 7 fields separated by |"))?;
    if header[0].trim().parse::<u8>().is_err() {
        return Err(bad("the version must be a number"));
    }
    let mut event = Event::new();
    let names = [
        "cef.version",
        "observer.vendor",
        "observer.product",
        "observer.version",
        "event.code",
        "rule.name",
    ];
    for (name, value) in names.iter().zip(&header) {
        event.set(*name, value.as_str());
    }
    let severity = header[6].trim();
    match severity.parse::<i64>() {
        Ok(n) => event.set("event.severity", n),
        Err(_) => event.set("event.severity", severity),
    }
    extension(&body[extension_start..], &mut event)?;
    Ok(event)
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']')
}

/// Splits `k=v k2=v two` into pairs: a key is the word before an unescaped
/// `=` that starts the extension or follows a space.
fn pairs(ext: &str) -> Vec<(&str, String)> {
    let bytes = ext.as_bytes();
    let mut starts = Vec::new(); // (key start, '=' index)
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'=' || (i > 0 && bytes[i - 1] == b'\\') {
            continue;
        }
        let key_start = ext[..i].rfind(' ').map_or(0, |s| s + 1);
        let key = &ext[key_start..i];
        if !key.is_empty() && key.chars().all(is_key_char) {
            starts.push((key_start, i));
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    for (n, &(key_start, eq)) in starts.iter().enumerate() {
        let value_end = starts
            .get(n + 1)
            .map_or(ext.len(), |&(next_key, _)| next_key.saturating_sub(1));
        let raw = ext.get(eq + 1..value_end.max(eq + 1)).unwrap_or("");
        out.push((&ext[key_start..eq], unescape(raw.trim_end())));
    }
    out
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(n @ ('=' | '\\')) => out.push(n),
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn extension(ext: &str, event: &mut Event) -> Result<(), ParseError> {
    let pairs = pairs(ext.trim());
    if pairs.len() > MAX_FIELDS {
        return Err(ParseError::TooManyFields);
    }
    let label = |key: &str| {
        let wanted = format!("{key}Label");
        pairs
            .iter()
            .find(|(k, _)| *k == wanted)
            .map(|(_, v)| v.clone())
    };
    for (key, value) in &pairs {
        if key.ends_with("Label") {
            continue;
        }
        if let Some((_, name)) = KEYS.iter().find(|(k, _)| k == key) {
            event.set(*name, value.as_str());
        } else if let Some((_, name)) = INT_KEYS.iter().find(|(k, _)| k == key) {
            match value.parse::<i64>() {
                Ok(n) => event.set(*name, n),
                Err(_) => event.set(*name, value.as_str()),
            }
        } else if *key == "rt" {
            event.timestamp = parse_time(value);
            event.set("cef.rt", value.as_str());
        } else if let Some(l) = label(key).filter(|l| !l.is_empty()) {
            event.set(format!("cef.{l}"), Value::Str(value.clone()));
        } else {
            event.set(format!("cef.{key}"), value.as_str());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_extension() {
        let e = parse_cef(
            r"CEF:0|Trend\|Micro|Apex One|14.0|1001|Malware found: TROJ_GEN|Very-High|src=10.1.2.3 duser=sato fname=invoice 2026.exe cs1Label=Policy cs1=Block all spt=51515 msg=a\=b c\\d rt=1795827723000",
        )
        .expect("valid");
        assert_eq!(e.get_str("observer.vendor"), Some("Trend|Micro"));
        assert_eq!(e.get_str("rule.name"), Some("Malware found: TROJ_GEN"));
        assert_eq!(e.get_str("event.severity"), Some("Very-High"));
        assert_eq!(e.get_str("source.ip"), Some("10.1.2.3"));
        assert_eq!(e.get_str("user.name"), Some("sato"));
        assert_eq!(e.get_str("file.name"), Some("invoice 2026.exe"));
        assert_eq!(e.get_str("cef.Policy"), Some("Block all"));
        assert_eq!(e.get("source.port"), Some(&Value::Int(51515)));
        assert_eq!(e.get_str("message"), Some("a=b c\\d"));
        assert_eq!(e.timestamp.map(|t| t.timestamp()), Some(1_795_827_723));
    }

    #[test]
    fn bad_headers_are_named() {
        assert!(parse_cef("CEF:0|a|b|c").is_err());
        assert!(parse_cef("LEEF:1.0|a|b|c|d|").is_err());
        assert!(parse_cef("CEF:x|a|b|c|d|e|1|").is_err());
        let empty = parse_cef("CEF:0|a|b|c|d|e|1|").expect("no extension is fine");
        assert_eq!(empty.get("event.severity"), Some(&Value::Int(1)));
    }
}
