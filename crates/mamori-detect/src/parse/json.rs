//! JSON lines: one object per line; nested objects become dotted names.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use super::{MAX_DEPTH, MAX_FIELDS, ParseError};
use crate::event::{Event, Value};

/// Fields that carry the event's time, in order of preference.
pub const TIME_FIELDS: &[&str] = &["@timestamp", "timestamp", "event.created", "time", "date"];

pub fn parse_json(line: &str) -> Result<Event, ParseError> {
    let json: Json = serde_json::from_str(line).map_err(|e| ParseError::Json(e.to_string()))?;
    let Json::Object(map) = json else {
        return Err(ParseError::NotObject);
    };
    let mut event = Event::new();
    flatten("", &map, 0, &mut event)?;
    event.timestamp = TIME_FIELDS
        .iter()
        .find_map(|f| event.get_str(f).and_then(parse_time));
    Ok(event)
}

fn flatten(
    prefix: &str,
    map: &serde_json::Map<String, Json>,
    depth: usize,
    event: &mut Event,
) -> Result<(), ParseError> {
    for (k, v) in map {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Json::Object(inner) if depth < MAX_DEPTH => flatten(&name, inner, depth + 1, event)?,
            other => {
                if event.len() >= MAX_FIELDS {
                    return Err(ParseError::TooManyFields);
                }
                event.set(name, scalar(other));
            }
        }
    }
    Ok(())
}

fn scalar(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .or_else(|| n.as_f64().map(Value::Float))
            .unwrap_or(Value::Null),
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(scalar).collect()),
        Json::Object(_) => Value::Str(v.to_string()),
    }
}

/// RFC 3339 / ISO 8601 times, or Unix seconds / milliseconds as text.
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(n) = s.parse::<i64>() {
        return if n > 100_000_000_000 {
            DateTime::from_timestamp_millis(n)
        } else {
            DateTime::from_timestamp(n, 0)
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_objects_flatten() {
        let e = parse_json(
            r#"{"@timestamp":"2026-11-28T01:02:03Z","source":{"ip":"192.0.2.1","port":51000},"event":{"outcome":"failure"},"tags":["a","b"],"score":0.5}"#,
        )
        .expect("valid");
        assert_eq!(e.get_str("source.ip"), Some("192.0.2.1"));
        assert_eq!(e.get("source.port"), Some(&Value::Int(51000)));
        assert_eq!(e.get("score"), Some(&Value::Float(0.5)));
        assert_eq!(
            e.get("tags"),
            Some(&Value::List(vec!["a".into(), "b".into()]))
        );
        assert_eq!(e.timestamp.map(|t| t.timestamp()), Some(1_795_827_723));
    }

    #[test]
    fn bad_json_is_named() {
        assert!(matches!(parse_json("{\"a\":"), Err(ParseError::Json(_))));
        assert_eq!(parse_json("[1]"), Err(ParseError::NotObject));
    }
}
