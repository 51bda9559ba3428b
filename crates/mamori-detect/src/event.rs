//! One event: a timestamp and fields with dotted names (`source.ip`,
//! `url.query`), kept sorted for binary-search lookup.

use chrono::{DateTime, Utc};

/// A field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Value>),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as text, the way a Sigma string comparison sees it.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Null | Value::List(_) => None,
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Str(s) => Some(s.clone()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

/// An event from any source, after parsing and normalization.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// When it happened, if the source said.
    pub timestamp: Option<DateTime<Utc>>,
    fields: Vec<(String, Value)>,
}

impl Event {
    pub fn new() -> Event {
        Event::default()
    }

    /// Sets a field, replacing an earlier value of the same name.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        let name = name.into();
        let value = value.into();
        match self.fields.binary_search_by(|(k, _)| k.as_str().cmp(&name)) {
            Ok(i) => self.fields[i].1 = value,
            Err(i) => self.fields.insert(i, (name, value)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| &self.fields[i].1)
    }

    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.fields
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| self.fields.remove(i).1)
    }

    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The fields, by value, in name order.
    pub fn into_fields(self) -> impl Iterator<Item = (String, Value)> {
        self.fields.into_iter()
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_stay_sorted_and_replace() {
        let mut e = Event::new();
        e.set("url.query", "a=1");
        e.set("source.ip", "192.0.2.1");
        e.set("event.outcome", "failure");
        e.set("source.ip", "192.0.2.9");
        let names: Vec<&str> = e.fields().map(|(k, _)| k).collect();
        assert_eq!(names, ["event.outcome", "source.ip", "url.query"]);
        assert_eq!(e.get_str("source.ip"), Some("192.0.2.9"));
        assert_eq!(e.get("nope"), None);
    }
}
