//! Sigma rules: parsed with `rsigma-parser`, evaluated with `rsigma-eval`
//! (the issue's chosen start; our own compiled evaluator replaces it only
//! where measurement shows it must, with `rsigma-eval` kept as the oracle).
//!
//! Rules name fields in their own vocabulary (`c-ip`, `CommandLine`); events
//! are normalized. [`SigmaView`] answers a rule's field name through the same
//! [`FieldMap`], so both meet.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rsigma_eval::event::EventValue;
use serde_json::Value as Json;

use crate::compiled::{CompiledRules, Scratch};
use crate::event::{Event, Value};
use crate::normalize::FieldMap;
use crate::record::{Bound, Record, Schema};

/// A rule file (or one rule in it) that could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: PathBuf,
    /// The line in the file the problem is on, when it can be told.
    pub line: Option<usize>,
    /// The rule's title, when the file parsed far enough to have one.
    pub rule: Option<String>,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        match &self.rule {
            Some(r) => write!(f, ": rule {r:?}: {}", self.message),
            None => write!(f, ": {}", self.message),
        }
    }
}

/// One line of text from the parsers' messages (the condition parser draws
/// ASCII art over several lines).
fn one_line(message: &str) -> String {
    let mut lines = message.lines();
    let first = lines.next().unwrap_or_default();
    let first = first
        .split("  -->")
        .next()
        .unwrap_or(first)
        .trim()
        .trim_end_matches(':');
    match message.lines().find_map(|l| l.trim().strip_prefix("= ")) {
        Some(reason) => format!("{first}: {reason}"),
        None => first.to_owned(),
    }
}

/// The line a message is about: the one it names, else the line of the
/// condition (condition errors) or of the quoted token it mentions.
fn locate(yaml: &str, message: &str) -> Option<usize> {
    if let Some(rest) = message.split(" at line ").nth(1) {
        return rest
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok();
    }
    let line_of = |needle: &str| yaml.lines().position(|l| l.contains(needle)).map(|i| i + 1);
    if message.starts_with("Condition parse error")
        || message.contains("condition")
        || message.contains("detection identifier")
    {
        return line_of("condition:");
    }
    let quoted = message.split('\'').nth(1).filter(|q| !q.is_empty())?;
    line_of(quoted)
}

/// What is known of a loaded rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub title: String,
    pub id: Option<String>,
    pub level: Option<String>,
    pub tags: Vec<String>,
    pub file: PathBuf,
}

/// A rule that matched an event, or a correlation that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleHit {
    pub title: String,
    pub id: Option<String>,
    pub level: Option<String>,
    pub tags: Vec<String>,
    /// For a correlation: the group it fired for (`source.ip` = …) and the
    /// aggregated value (count, distinct count, …) that crossed the threshold.
    pub correlation: Option<(Vec<(String, String)>, f64)>,
}

/// Loaded Sigma detection and correlation rules. Detection runs through
/// mamori's [`CompiledRules`] (candidate index, then the compiled rule);
/// correlation state lives in `rsigma-eval`'s correlation engine, windowed
/// on the events' own timestamps (never the clock), bounded in size; events
/// without a timestamp are matched but do not count.
pub struct SigmaRules {
    engine: rsigma_eval::CorrelationEngine,
    compiled: CompiledRules,
    schema: Arc<Schema>,
    scratch: Scratch,
    rules: Vec<RuleInfo>,
    fields: FieldMap,
}

impl std::fmt::Debug for SigmaRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigmaRules")
            .field("rules", &self.rules.len())
            .finish()
    }
}

/// The largest rule file read.
pub const MAX_RULE_FILE: u64 = 1024 * 1024;
/// Correlation windows kept (across rules and groups) before eviction.
pub const MAX_CORRELATION_STATE: usize = 100_000;
/// Entries kept inside one group's window.
pub const MAX_GROUP_ENTRIES: usize = 10_000;
/// After a correlation fires for a group, it stays quiet for this long
/// (event time), so a burst of 10,000 attempts is one alert, not 9,981.
pub const CORRELATION_SUPPRESS_SECS: u64 = 300;

impl SigmaRules {
    pub fn new(fields: FieldMap) -> Self {
        let config = rsigma_eval::CorrelationConfig {
            timestamp_fallback: rsigma_eval::TimestampFallback::Skip,
            max_state_entries: MAX_CORRELATION_STATE,
            max_group_entries: Some(MAX_GROUP_ENTRIES),
            suppress: Some(CORRELATION_SUPPRESS_SECS),
            ..Default::default()
        };
        SigmaRules {
            engine: rsigma_eval::CorrelationEngine::new(config),
            compiled: CompiledRules::default(),
            schema: Arc::new(Schema::new(&fields)),
            scratch: Scratch::default(),
            rules: Vec::new(),
            fields,
        }
    }

    /// The field slots records must be parsed with to be processed here
    /// (see [`crate::parse::parse_record`]). It grows as rules are added:
    /// parse with the schema of the rules that will read the records.
    pub fn schema(&self) -> Arc<Schema> {
        self.schema.clone()
    }

    /// A parser for lines of `format` into records for these rules.
    pub fn line_parser(
        &self,
        format: crate::parse::Format,
        reference: chrono::DateTime<chrono::Utc>,
    ) -> crate::parse::LineParser {
        crate::parse::LineParser::new(format, &self.fields, self.schema(), reference)
    }

    pub fn field_map(&self) -> &FieldMap {
        &self.fields
    }

    /// The compiled rule set (for reports: how many rules are always run).
    pub fn compiled(&self) -> &CompiledRules {
        &self.compiled
    }

    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Adds the rules of one YAML text (one or more documents). Returns how
    /// many detection rules were added and what could not be.
    pub fn add_yaml(&mut self, yaml: &str, origin: &Path) -> (usize, Vec<LoadError>) {
        let added = self.add_unindexed(yaml, origin);
        self.compiled.index(&self.schema);
        added
    }

    fn add_unindexed(&mut self, yaml: &str, origin: &Path) -> (usize, Vec<LoadError>) {
        let error = |rule: Option<String>, message: String| LoadError {
            file: origin.to_owned(),
            line: locate(yaml, &message),
            rule,
            message: one_line(&message),
        };
        let collection = match rsigma_parser::parse_sigma_yaml(yaml) {
            Ok(c) => c,
            Err(e) => return (0, vec![error(None, e.to_string())]),
        };
        let mut errors: Vec<LoadError> = collection
            .errors
            .iter()
            .map(|m| error(None, m.clone()))
            .collect();
        let mut added = 0;
        for rule in &collection.rules {
            let compiled = self
                .compiled
                .add(rule, Arc::make_mut(&mut self.schema))
                .and_then(|()| {
                    self.engine
                        .add_rule(rule)
                        .inspect_err(|_| self.compiled.pop())
                });
            match compiled {
                Ok(()) => {
                    added += 1;
                    self.rules.push(RuleInfo {
                        title: rule.title.clone(),
                        id: rule.id.clone(),
                        level: rule.level.as_ref().map(|l| l.as_str().to_owned()),
                        tags: rule.tags.clone(),
                        file: origin.to_owned(),
                    });
                }
                Err(e) => errors.push(error(Some(rule.title.clone()), e.to_string())),
            }
        }
        for corr in &collection.correlations {
            match self.engine.add_correlation(corr) {
                Ok(()) => {
                    added += 1;
                    self.rules.push(RuleInfo {
                        title: corr.title.clone(),
                        id: corr.id.clone(),
                        level: corr.level.as_ref().map(|l| l.as_str().to_owned()),
                        tags: corr.tags.clone(),
                        file: origin.to_owned(),
                    });
                }
                Err(e) => errors.push(error(Some(corr.title.clone()), e.to_string())),
            }
        }
        (added, errors)
    }

    /// Loads every `.yml` / `.yaml` file under the paths (folders walked
    /// recursively, in name order).
    pub fn load_paths(&mut self, paths: &[PathBuf]) -> (usize, Vec<LoadError>) {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for p in paths {
            collect_files(p, &mut files, &mut errors);
        }
        files.sort();
        let mut added = 0;
        for file in files {
            let text = match std::fs::metadata(&file) {
                Ok(m) if m.len() > MAX_RULE_FILE => {
                    errors.push(LoadError {
                        line: None,
                        file,
                        rule: None,
                        message: format!("larger than {MAX_RULE_FILE} bytes"),
                    });
                    continue;
                }
                _ => std::fs::read_to_string(&file),
            };
            match text {
                Ok(text) => {
                    let (n, errs) = self.add_unindexed(&text, &file);
                    added += n;
                    errors.extend(errs);
                }
                Err(e) => errors.push(LoadError {
                    line: None,
                    file,
                    rule: None,
                    message: e.to_string(),
                }),
            }
        }
        self.compiled.index(&self.schema);
        (added, errors)
    }

    /// The detection rules that match the event (no correlation state).
    pub fn evaluate(&self, event: &Event) -> Vec<RuleHit> {
        let record = Record::from_event(event.clone(), &self.schema);
        self.compiled
            .evaluate(&record, &self.schema, &mut Scratch::default())
            .into_iter()
            .map(hit)
            .collect()
    }

    /// [`SigmaRules::evaluate`] for a record parsed with [`SigmaRules::schema`].
    pub fn evaluate_record(&self, record: &Record<'_>) -> Vec<RuleHit> {
        self.compiled
            .evaluate(record, &self.schema, &mut Scratch::default())
            .into_iter()
            .map(hit)
            .collect()
    }

    /// Detections and the correlations the event completes, in event time.
    pub fn process(&mut self, event: &Event) -> Vec<RuleHit> {
        let record = Record::from_event(event.clone(), &self.schema);
        self.process_record(&record)
    }

    /// [`SigmaRules::process`] for a record parsed with [`SigmaRules::schema`].
    pub fn process_record(&mut self, record: &Record<'_>) -> Vec<RuleHit> {
        let detections = self
            .compiled
            .evaluate(record, &self.schema, &mut self.scratch);
        let results = match record.timestamp {
            Some(_) if detections.is_empty() => detections,
            Some(t) => {
                let bound = Bound {
                    record,
                    schema: &self.schema,
                };
                self.engine
                    .process_with_detections(&bound, detections, t.timestamp())
            }
            None => detections,
        };
        results.into_iter().map(hit).collect()
    }

    /// What `rsigma-eval`'s own engine answers for the event: the oracle the
    /// differential tests and the benchmark compare [`SigmaRules::evaluate`]
    /// with.
    pub fn oracle(&self, event: &Event) -> Vec<RuleHit> {
        let view = SigmaView {
            event,
            fields: &self.fields,
        };
        self.engine.evaluate(&view).into_iter().map(hit).collect()
    }
}

fn hit(r: rsigma_eval::EvaluationResult) -> RuleHit {
    let correlation = match &r.body {
        rsigma_eval::ResultBody::Correlation(c) => Some((c.group_key.clone(), c.aggregated_value)),
        rsigma_eval::ResultBody::Detection(_) => None,
    };
    RuleHit {
        title: r.header.rule_title,
        id: r.header.rule_id,
        level: r.header.level.map(|l| l.as_str().to_owned()),
        tags: r.header.tags,
        correlation,
    }
}

fn collect_files(path: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
    let is_rule = |p: &Path| p.extension().is_some_and(|e| e == "yml" || e == "yaml");
    match std::fs::read_dir(path) {
        Ok(entries) => {
            for entry in entries.flatten() {
                let p = entry.path();
                if p.is_dir() {
                    collect_files(&p, files, errors);
                } else if is_rule(&p) {
                    files.push(p);
                }
            }
        }
        Err(_) if path.is_file() => files.push(path.to_owned()),
        Err(e) => errors.push(LoadError {
            line: None,
            file: path.to_owned(),
            rule: None,
            message: e.to_string(),
        }),
    }
}

/// An [`Event`] seen through the field map, as `rsigma-eval` reads events.
pub struct SigmaView<'a> {
    pub event: &'a Event,
    pub fields: &'a FieldMap,
}

fn event_value(v: &Value) -> EventValue<'_> {
    match v {
        Value::Null => EventValue::Null,
        Value::Bool(b) => EventValue::Bool(*b),
        Value::Int(i) => EventValue::Int(*i),
        Value::Float(f) => EventValue::Float(*f),
        Value::Str(s) => EventValue::Str(Cow::Borrowed(s)),
        Value::List(items) => EventValue::Array(items.iter().map(event_value).collect()),
    }
}

fn json_value(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Str(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(items.iter().map(json_value).collect()),
    }
}

fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Str(s) => out.push(s),
        Value::List(items) => items.iter().for_each(|i| strings(i, out)),
        _ => {}
    }
}

impl rsigma_eval::Event for SigmaView<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        let canonical = self.fields.canonical(path);
        self.event
            .get(canonical)
            .or_else(|| self.event.get(path))
            .map(event_value)
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        let mut all = Vec::new();
        for (_, v) in self.event.fields() {
            strings(v, &mut all);
        }
        all.into_iter().any(pred)
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        let mut all = Vec::new();
        for (_, v) in self.event.fields() {
            strings(v, &mut all);
        }
        all.into_iter().map(Cow::Borrowed).collect()
    }

    fn to_json(&self) -> Json {
        Json::Object(
            self.event
                .fields()
                .map(|(k, v)| (k.to_owned(), json_value(v)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = r#"
title: SQL injection in the query string
id: 6c5c0bd6-2b8c-4f0b-9d6c-000000000001
status: test
logsource:
    category: webserver
detection:
    selection:
        cs-uri-query|contains:
            - "' OR "
            - "UNION SELECT"
    filter:
        sc-status: 404
    condition: selection and not filter
level: high
tags:
    - attack.initial-access
    - attack.t1190
"#;

    #[test]
    fn rules_meet_normalized_events() {
        let mut rules = SigmaRules::new(FieldMap::default());
        let (added, errors) = rules.add_yaml(RULE, Path::new("web.yml"));
        assert_eq!((added, errors.len()), (1, 0), "{errors:?}");
        let mut e = Event::new();
        e.set("url.query", "id=1' OR '1'='1");
        e.set("http.response.status_code", 200i64);
        let hits = rules.evaluate(&e);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].level.as_deref(), Some("high"));
        assert!(hits[0].tags.contains(&"attack.t1190".to_owned()));
        e.set("http.response.status_code", 404i64);
        assert!(rules.evaluate(&e).is_empty(), "the filter holds");
    }

    #[test]
    fn bad_rules_name_file_and_reason() {
        let mut rules = SigmaRules::new(FieldMap::default());
        let (added, errors) = rules.add_yaml("title: x\ndetection: [", Path::new("broken.yml"));
        assert_eq!(added, 0);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().starts_with("broken.yml:3: "),
            "{}",
            errors[0]
        );
        let undefined = "title: Undefined\nlogsource: {category: webserver}\ndetection:\n  sel: {a: b}\n  condition: sel and other\n";
        let (added, errors) = rules.add_yaml(undefined, Path::new("u.yml"));
        assert_eq!(added, 0);
        assert_eq!(errors[0].rule.as_deref(), Some("Undefined"), "{errors:?}");
        assert_eq!(errors[0].line, Some(5), "the condition's line");
        let modifier = "title: M\nlogsource: {category: webserver}\ndetection:\n  sel:\n    a|nosuchmodifier: b\n  condition: sel\n";
        let (_, errors) = rules.add_yaml(modifier, Path::new("m.yml"));
        assert!(
            errors[0].to_string().starts_with("m.yml:5: "),
            "{}",
            errors[0]
        );
        let (_, errors) =
            rules.add_yaml("title: x\ndetection:\n  sel: [a, b\n", Path::new("y.yml"));
        assert!(
            errors[0].to_string().starts_with("y.yml:4: "),
            "{}",
            errors[0]
        );
        let cond = "title: C\nlogsource: {category: webserver}\ndetection:\n  sel: {a: b}\n  condition: sel and\n";
        let (_, errors) = rules.add_yaml(cond, Path::new("c.yml"));
        assert!(
            !errors[0].message.contains('\n'),
            "one line: {}",
            errors[0].message
        );
        assert_eq!(errors[0].line, Some(5));
    }
}
