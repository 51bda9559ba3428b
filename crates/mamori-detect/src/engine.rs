//! The batch API: events in, alerts out. The same code runs in the server,
//! in `mamori detect` over files, and in the benchmarks.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::event::Event;
use crate::indicators::{IndicatorMatch, IndicatorSet};
use crate::record::{Record, Schema};
use crate::sigma::SigmaRules;

/// What raised an alert.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A Sigma rule matched.
    Rule,
    /// A Sigma correlation fired for a group, with the value that crossed
    /// its threshold.
    Correlation {
        group: Vec<(String, String)>,
        value: f64,
    },
    /// A threat-intelligence indicator matched.
    Indicator(IndicatorMatch),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Shared with the rule: an alert costs no copy of its rule's texts.
    pub title: Arc<str>,
    pub rule_id: Option<Arc<str>>,
    /// Sigma levels: informational, low, medium, high, critical.
    pub level: &'static str,
    /// ATT&CK and other tags (`attack.t1110.004`).
    pub tags: Arc<[String]>,
    pub source: Source,
    pub timestamp: Option<DateTime<Utc>>,
    /// Alerts with the same key are one alert seen again.
    pub dedup_key: String,
    /// The event's position in the batch.
    pub event: usize,
}

/// Fields that tell one occurrence of a rule's alert from another.
const KEY_FIELDS: [&str; 4] = ["source.ip", "user.name", "host.name", "destination.ip"];

/// The key fields' slots in a schema, looked up once a batch.
struct KeySlots<'s> {
    schema: &'s Schema,
    slots: [Option<u32>; KEY_FIELDS.len()],
}

impl<'s> KeySlots<'s> {
    fn new(schema: &'s Schema) -> Self {
        KeySlots {
            schema,
            slots: KEY_FIELDS.map(|f| schema.slot(f)),
        }
    }

    fn dedup_key(&self, rule: &str, record: &Record<'_>) -> String {
        let mut key = String::with_capacity(rule.len() + 48);
        key.push_str(rule);
        for (f, slot) in KEY_FIELDS.iter().zip(self.slots) {
            key.push('|');
            // A normalized record files these under their slots; a
            // hand-built one may hold them by name.
            let value = match slot {
                Some(slot) if !record.unnormalized => record
                    .fields
                    .iter()
                    .find(|x| x.key == crate::record::Key::Slot(slot))
                    .map(|x| &x.value),
                _ => record.get(self.schema, f),
            };
            if let Some(v) = value.and_then(|v| v.to_text()) {
                key.push_str(&v);
            }
        }
        key
    }
}

/// Rules and indicators, evaluated together.
#[derive(Debug)]
pub struct Engine {
    pub rules: SigmaRules,
    pub indicators: Arc<IndicatorSet>,
}

impl Engine {
    pub fn new(rules: SigmaRules, indicators: Arc<IndicatorSet>) -> Self {
        Engine { rules, indicators }
    }

    /// Every alert the events raise, in event order. Correlation windows
    /// carry over from one batch to the next.
    pub fn process(&mut self, events: &[Event]) -> Vec<Alert> {
        let schema = self.rules.schema();
        let records: Vec<Record<'static>> = events
            .iter()
            .map(|e| Record::from_event(e.clone(), &schema))
            .collect();
        self.process_records(&records)
    }

    /// [`Engine::process`] for records parsed with the rules' schema
    /// ([`SigmaRules::schema`], [`crate::parse::parse_record`]): the fast
    /// path, from bytes to alerts without building [`Event`]s.
    pub fn process_records(&mut self, records: &[Record<'_>]) -> Vec<Alert> {
        let schema = self.rules.schema();
        let keys = KeySlots::new(&schema);
        let mut alerts = Vec::new();
        for (i, record) in records.iter().enumerate() {
            for hit in self.indicators.match_record(record, &schema) {
                let title = format!("Threat intelligence: {} {}", hit.kind.name(), hit.indicator);
                alerts.push(Alert {
                    dedup_key: keys.dedup_key(&format!("indicator:{}", hit.indicator), record),
                    title: title.into(),
                    rule_id: None,
                    level: "high",
                    tags: Arc::from(["attack.command-and-control".to_owned()]),
                    source: Source::Indicator(hit),
                    timestamp: record.timestamp,
                    event: i,
                });
            }
            for hit in self.rules.process_record(record) {
                let rule_key: &str = hit.id.as_deref().unwrap_or(&hit.title);
                let (source, dedup_key) = match hit.correlation {
                    Some((group, value)) => {
                        let mut key = rule_key.to_owned();
                        for (_, v) in &group {
                            key.push('|');
                            key.push_str(v);
                        }
                        (Source::Correlation { group, value }, key)
                    }
                    None => (Source::Rule, keys.dedup_key(rule_key, record)),
                };
                alerts.push(Alert {
                    dedup_key,
                    title: hit.title,
                    rule_id: hit.id,
                    level: hit.level.unwrap_or("medium"),
                    tags: hit.tags,
                    source,
                    timestamp: record.timestamp,
                    event: i,
                });
            }
        }
        alerts
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::indicators::IndicatorSetBuilder;
    use crate::normalize::FieldMap;

    #[test]
    fn rules_and_indicators_in_one_pass() {
        let mut rules = SigmaRules::new(FieldMap::default());
        let yaml = "title: Failed login\nid: r1\nlogsource: {category: authentication}\ndetection:\n  sel: {event.outcome: failure}\n  condition: sel\nlevel: low\n";
        assert_eq!(rules.add_yaml(yaml, Path::new("r.yml")).0, 1);
        let mut b = IndicatorSetBuilder::new();
        b.add("203.0.113.5", "T-ISAC").expect("ip");
        let mut engine = Engine::new(rules, Arc::new(b.build()));
        let mut a = Event::new();
        a.set("event.outcome", "failure");
        a.set("source.ip", "203.0.113.5");
        let mut b = Event::new();
        b.set("event.outcome", "success");
        let alerts = engine.process(&[a, b]);
        assert_eq!(alerts.len(), 2);
        assert!(matches!(alerts[0].source, Source::Indicator(ref m) if m.source == "T-ISAC"));
        assert_eq!(&*alerts[1].title, "Failed login");
        assert_eq!(alerts[1].dedup_key, "r1|203.0.113.5|||");
        assert!(alerts.iter().all(|x| x.event == 0));
    }
}
