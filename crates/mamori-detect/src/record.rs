//! The event as the compiled rule set reads it: fields keyed by a *slot*
//! (a small number the [`Schema`] gives every field name the rules use) and
//! values that borrow from the input line where they can.
//!
//! A [`Record`] means exactly what the [`Event`] parsed from the same line
//! means (the differential tests hold the two paths to that); it is only
//! cheaper to build and to look into.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rsigma_eval::event::EventValue;
use serde_json::Value as Json;

use crate::event::{Event, Value};
use crate::normalize::FieldMap;

/// A field value, borrowed from the input where possible.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    List(Vec<Val<'a>>),
}

impl Val<'_> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as text, as [`Value::to_text`] gives it.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Val::Null | Val::List(_) => None,
            Val::Bool(b) => Some(b.to_string()),
            Val::Int(i) => Some(i.to_string()),
            Val::Float(f) => Some(f.to_string()),
            Val::Str(s) => Some(s.to_string()),
        }
    }

    fn event_value(&self) -> EventValue<'_> {
        match self {
            Val::Null => EventValue::Null,
            Val::Bool(b) => EventValue::Bool(*b),
            Val::Int(i) => EventValue::Int(*i),
            Val::Float(f) => EventValue::Float(*f),
            Val::Str(s) => EventValue::Str(Cow::Borrowed(s)),
            Val::List(items) => EventValue::Array(items.iter().map(Val::event_value).collect()),
        }
    }

    fn json(&self) -> Json {
        match self {
            Val::Null => Json::Null,
            Val::Bool(b) => Json::Bool(*b),
            Val::Int(i) => Json::from(*i),
            Val::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Val::Str(s) => Json::String(s.to_string()),
            Val::List(items) => Json::Array(items.iter().map(Val::json).collect()),
        }
    }

    /// Calls `f` on every string in the value (list items included).
    pub fn each_str<'s>(&'s self, f: &mut impl FnMut(&'s str)) {
        match self {
            Val::Str(s) => f(s),
            Val::List(items) => items.iter().for_each(|i| i.each_str(f)),
            _ => {}
        }
    }

    fn owned(v: Value) -> Val<'static> {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(b),
            Value::Int(i) => Val::Int(i),
            Value::Float(f) => Val::Float(f),
            Value::Str(s) => Val::Str(Cow::Owned(s)),
            Value::List(items) => Val::List(items.into_iter().map(Val::owned).collect()),
        }
    }
}

/// A field's name: a slot of the schema, or a name the rules never use
/// (as written in the line, owned, or shared by the records of a parser
/// that meets it line after line, as a flattened nested name is).
#[derive(Debug, Clone)]
pub enum Key<'a> {
    Slot(u32),
    Name(Cow<'a, str>),
    Shared(Arc<str>),
}

impl Key<'_> {
    /// The name, unless the key is a slot.
    pub fn name(&self) -> Option<&str> {
        match self {
            Key::Slot(_) => None,
            Key::Name(n) => Some(n),
            Key::Shared(n) => Some(n),
        }
    }
}

/// A name is equal to itself however it is held.
impl PartialEq for Key<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Key::Slot(a), Key::Slot(b)) => a == b,
            (Key::Slot(_), _) | (_, Key::Slot(_)) => false,
            _ => self.name() == other.name(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field<'a> {
    pub key: Key<'a>,
    pub value: Val<'a>,
}

/// One event, ready for the compiled rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record<'a> {
    pub timestamp: Option<DateTime<Utc>>,
    pub fields: Vec<Field<'a>>,
    /// Set when a field carries a name the field map would have renamed (an
    /// event built by hand, not normalized): the pre-filter then steps aside
    /// and every rule is evaluated, so the answer stays the same.
    pub unnormalized: bool,
}

impl<'a> Record<'a> {
    /// The record of a parsed (normalized) event; takes its strings over.
    pub fn from_event(event: Event, schema: &Schema) -> Record<'static> {
        let timestamp = event.timestamp;
        let mut unnormalized = false;
        let fields = event
            .into_fields()
            .map(|(name, value)| {
                let key = match schema.slot(&name) {
                    Some(slot) if schema.name(slot) == name => Key::Slot(slot),
                    Some(_) => {
                        unnormalized = true;
                        Key::Name(Cow::Owned(name))
                    }
                    None => Key::Name(Cow::Owned(name)),
                };
                Field {
                    key,
                    value: Val::owned(value),
                }
            })
            .collect();
        Record {
            timestamp,
            fields,
            unnormalized,
        }
    }

    /// The value of a field, by its name as a rule or the engine writes it
    /// (`c-ip` finds `source.ip`).
    pub fn get(&self, schema: &Schema, name: &str) -> Option<&Val<'a>> {
        if let Some(slot) = schema.slot(name) {
            if let Some(f) = self.fields.iter().find(|f| f.key == Key::Slot(slot)) {
                return Some(&f.value);
            }
            // A normalized record files every name the schema knows under
            // its slot; only a hand-built one may hold it by name.
            if !self.unnormalized {
                return None;
            }
        }
        self.fields
            .iter()
            .find(|f| f.key.name() == Some(name))
            .map(|f| &f.value)
    }

    pub fn name<'s>(&'s self, schema: &'s Schema, field: &'s Field<'a>) -> &'s str {
        match &field.key {
            Key::Slot(s) => schema.name(*s),
            Key::Name(n) => n,
            Key::Shared(n) => n,
        }
    }

    /// The record as an [`Event`] again (for alert context and tests).
    pub fn to_event(&self, schema: &Schema) -> Event {
        let mut e = Event::new();
        e.timestamp = self.timestamp;
        for f in &self.fields {
            e.set(self.name(schema, f), to_value(&f.value));
        }
        e
    }
}

fn to_value(v: &Val<'_>) -> Value {
    match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Int(i) => Value::Int(*i),
        Val::Float(f) => Value::Float(*f),
        Val::Str(s) => Value::Str(s.to_string()),
        Val::List(items) => Value::List(items.iter().map(to_value).collect()),
    }
}

/// A fast hash for field names (FxHash's mixing). The tables it serves are
/// built from rules, never from input, so input cannot grow them; a lookup
/// of a hostile name costs one probe sequence like any other.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let word = |s: &[u8]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&s[..8]);
            u64::from_le_bytes(w)
        };
        let half = |s: &[u8]| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&s[..4]);
            u64::from(u32::from_le_bytes(w))
        };
        let n = bytes.len();
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(word(c));
        }
        // The last bytes as whole loads (overlapping the words before
        // them), with the length: no byte-by-byte copy.
        let tail = match chunks.remainder().len() {
            0 => return,
            _ if n >= 8 => word(&bytes[n - 8..]),
            4.. => half(bytes) | half(&bytes[n - 4..]) << 32,
            _ => bytes.iter().fold(0, |w, &b| w << 8 | u64::from(b)),
        };
        self.add(tail ^ (n as u64) << 56);
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

/// What a field name is to the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub slot: u32,
    /// The name is an alias of the slot's canonical name.
    pub alias: bool,
    /// The name's rank among the fields that carry an event's time
    /// ([`crate::parse::TIME_FIELDS`]), as written.
    pub time: Option<u8>,
}

/// Field names and their slots: every canonical name of the field map and
/// every field a loaded rule names; an alias maps to its canonical name's
/// slot, so a parser that meets `c-ip` files it under `source.ip` at once.
#[derive(Debug, Clone)]
pub struct Schema {
    lookup: HashMap<String, Entry, FxBuild>,
    names: Vec<String>,
    /// False when the field map chains aliases (an alias of an alias); the
    /// fast JSON path then defers every line to the general parser.
    pub(crate) simple: bool,
}

impl Schema {
    pub fn new(map: &FieldMap) -> Schema {
        let mut schema = Schema {
            lookup: HashMap::default(),
            names: Vec::new(),
            simple: true,
        };
        let aliases: Vec<(String, String)> = map.aliases().collect();
        for (alias, canonical) in &aliases {
            if map.canonical(canonical) != canonical {
                schema.simple = false;
            }
            let slot = schema.intern(canonical);
            schema.lookup.insert(
                alias.clone(),
                Entry {
                    slot,
                    alias: true,
                    time: None,
                },
            );
        }
        for (rank, name) in crate::parse::TIME_FIELDS.iter().enumerate() {
            schema.intern(name);
            if let Some(e) = schema.lookup.get_mut(*name) {
                e.time = u8::try_from(rank).ok();
            }
        }
        schema
    }

    /// The slot of a field a rule names (its alias resolved), created on
    /// first use.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(e) = self.lookup.get(name) {
            return e.slot;
        }
        let slot = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.lookup.insert(
            name.to_owned(),
            Entry {
                slot,
                alias: false,
                time: None,
            },
        );
        slot
    }

    pub fn entry(&self, name: &str) -> Option<Entry> {
        self.lookup.get(name).copied()
    }

    pub fn slot(&self, name: &str) -> Option<u32> {
        self.lookup.get(name).map(|e| e.slot)
    }

    pub fn name(&self, slot: u32) -> &str {
        self.names.get(slot as usize).map_or("", String::as_str)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A record with its schema: what `rsigma-eval` reads, with the same
/// answers [`crate::sigma::SigmaView`] gives for the equivalent event.
pub struct Bound<'r, 'a> {
    pub record: &'r Record<'a>,
    pub schema: &'r Schema,
}

impl Bound<'_, '_> {
    /// [`rsigma_eval::Event::get_field`] for a field whose slot is known
    /// (`slot` is the schema's slot of `path`): no name to hash.
    pub(crate) fn get_at(&self, path: &str, slot: u32) -> Option<EventValue<'_>> {
        if self.record.unnormalized {
            return rsigma_eval::Event::get_field(self, path);
        }
        match self.record.fields.iter().find(|f| f.key == Key::Slot(slot)) {
            Some(f) => Some(f.value.event_value()),
            None => self.derived(path),
        }
    }

    /// A field no source sends, derived from one it does.
    fn derived(&self, path: &str) -> Option<EventValue<'_>> {
        crate::normalize::derived(path, || {
            self.record
                .get(self.schema, "source.ip")
                .and_then(Val::as_str)
        })
        .map(|n| EventValue::Str(Cow::Owned(n)))
    }
}

impl rsigma_eval::Event for Bound<'_, '_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        match self.record.get(self.schema, path) {
            Some(v) => Some(v.event_value()),
            None => self.derived(path),
        }
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        let mut found = false;
        for f in &self.record.fields {
            f.value.each_str(&mut |s| found = found || pred(s));
            if found {
                return true;
            }
        }
        false
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        let mut all = Vec::new();
        for f in &self.record.fields {
            f.value.each_str(&mut |s| all.push(Cow::Borrowed(s)));
        }
        all
    }

    fn to_json(&self) -> Json {
        Json::Object(
            self.record
                .fields
                .iter()
                .map(|f| (self.record.name(self.schema, f).to_owned(), f.value.json()))
                .collect(),
        )
    }
}
