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

use std::collections::HashMap;

use crate::compiled::{CompiledRules, Scratch};
use crate::correlate::{Correlations, Limits};
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
    pub kind: RuleKind,
    /// How often it matched (a detection rule) or fired (a correlation)
    /// since it was loaded.
    pub hits: u64,
}

/// What a loaded rule is and where it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Detection,
    /// A correlation run by mamori's own sliding windows.
    NativeCorrelation,
    /// A correlation run by `rsigma-eval`'s correlation engine.
    Correlation,
}

impl RuleKind {
    pub fn name(self) -> &'static str {
        match self {
            RuleKind::Detection => "detection",
            RuleKind::NativeCorrelation => "correlation (native)",
            RuleKind::Correlation => "correlation",
        }
    }
}

/// A rule that matched an event, or a correlation that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleHit {
    /// Shared with the rule (and every other hit of it): a hit costs no copy.
    pub title: Arc<str>,
    pub id: Option<Arc<str>>,
    pub level: Option<&'static str>,
    pub tags: Arc<[String]>,
    /// For a correlation: the group it fired for (`source.ip` = …) and the
    /// aggregated value (count, distinct count, …) that crossed the threshold.
    pub correlation: Option<(Vec<(String, String)>, f64)>,
}

/// A rule's matches only feed correlations (`generate: false`).
const ROLE_ONLY: u8 = 1;
/// A correlation run by `rsigma-eval`'s engine refers to the rule.
const ROLE_DELEGATED: u8 = 2;
/// A native correlation counts the rule's matches.
const ROLE_NATIVE: u8 = 4;

/// Loaded Sigma detection and correlation rules. Detection runs through
/// mamori's [`CompiledRules`] (candidate index, then the compiled rule);
/// correlation state lives in `rsigma-eval`'s correlation engine, windowed
/// on the events' own timestamps (never the clock), bounded in size; events
/// without a timestamp are matched but do not count.
pub struct SigmaRules {
    engine: rsigma_eval::CorrelationEngine,
    /// Sliding `event_count` / `value_count` correlations, run natively.
    native: Correlations,
    /// Correlations handed to `engine` (the rest are native).
    delegated: usize,
    native_allowed: bool,
    /// Every correlation's id and name, to tell chains.
    correlation_refs: std::collections::HashSet<String>,
    /// A detection rule's name by its id (how correlations may refer to it).
    names: HashMap<String, Option<String>>,
    /// Rules (by id or name) only correlations use (`generate: false`):
    /// their matches feed correlations and are not alerts of their own.
    correlation_only: std::collections::HashSet<String>,
    /// Rules (by id or name) that correlations in `engine` refer to.
    delegated_refs: std::collections::HashSet<String>,
    /// A compiled rule's entry in `rules`.
    compiled_info: Vec<usize>,
    /// A correlation's entry in `rules`, by id (or title).
    correlation_info: HashMap<String, usize>,
    compiled: CompiledRules,
    /// Per compiled rule, what the sets above say of it ([`ROLE_ONLY`],
    /// [`ROLE_DELEGATED`], [`ROLE_NATIVE`]), so an event's matches are
    /// sorted without hashing names; made afresh after rules load.
    roles: Vec<u8>,
    /// Per compiled rule, what its hits carry (made with `roles`).
    heads: Vec<Head>,
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
/// Windows the native correlations keep (one per correlation and group; a
/// few hundred bytes each) before evicting the stalest. Larger than
/// `rsigma-eval`'s, because evicting a live window loses what it counted:
/// a list attack makes a window per member tried.
pub const MAX_NATIVE_CORRELATION_STATE: usize = 500_000;
/// Entries kept inside one group's window.
pub const MAX_GROUP_ENTRIES: usize = 10_000;
/// After a correlation fires for a group, it stays quiet for this long
/// (event time), so a burst of 10,000 attempts is one alert, not 9,981.
pub const CORRELATION_SUPPRESS_SECS: u64 = 300;
/// How far behind the newest event of its group an event may arrive and
/// still count where it belongs in time (native correlations).
pub const CORRELATION_LATENESS_SECS: i64 = 60;

impl SigmaRules {
    pub fn new(fields: FieldMap) -> Self {
        Self::with_lateness(fields, Some(CORRELATION_LATENESS_SECS))
    }

    /// Rules with every correlation in `rsigma-eval`'s engine: the oracle
    /// the differential tests and the benchmark compare the native
    /// correlations with.
    pub fn all_in_rsigma(fields: FieldMap) -> Self {
        let mut rules = Self::with_lateness(fields, None);
        rules.native_allowed = false;
        rules
    }

    /// Rules whose native correlations tolerate events up to `lateness`
    /// seconds out of order; `None` counts events in arrival order, exactly
    /// as `rsigma-eval` does.
    pub fn with_lateness(fields: FieldMap, lateness: Option<i64>) -> Self {
        let native = Correlations::new(Limits {
            max_state: MAX_NATIVE_CORRELATION_STATE,
            max_group_entries: MAX_GROUP_ENTRIES,
            suppress_secs: CORRELATION_SUPPRESS_SECS as i64,
            lateness_secs: lateness,
        });
        let config = rsigma_eval::CorrelationConfig {
            timestamp_fallback: rsigma_eval::TimestampFallback::Skip,
            max_state_entries: MAX_CORRELATION_STATE,
            max_group_entries: Some(MAX_GROUP_ENTRIES),
            suppress: Some(CORRELATION_SUPPRESS_SECS),
            ..Default::default()
        };
        SigmaRules {
            engine: rsigma_eval::CorrelationEngine::new(config),
            native,
            delegated: 0,
            native_allowed: true,
            correlation_refs: Default::default(),
            names: HashMap::new(),
            correlation_only: Default::default(),
            delegated_refs: Default::default(),
            roles: Vec::new(),
            heads: Vec::new(),
            compiled_info: Vec::new(),
            correlation_info: HashMap::new(),
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
        self.roles.clear();
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
                    self.compiled_info.push(self.rules.len());
                    self.rules.push(RuleInfo {
                        title: rule.title.clone(),
                        id: rule.id.clone(),
                        level: rule.level.as_ref().map(|l| l.as_str().to_owned()),
                        tags: rule.tags.clone(),
                        file: origin.to_owned(),
                        kind: RuleKind::Detection,
                        hits: 0,
                    });
                }
                Err(e) => errors.push(error(Some(rule.title.clone()), e.to_string())),
            }
        }
        for rule in &collection.rules {
            if let Some(id) = &rule.id {
                self.names.entry(id.clone()).or_insert(rule.name.clone());
            }
        }
        // Correlations that refer to correlations (chains) stay together in
        // rsigma-eval's engine; the common sliding counts run natively.
        let here: Vec<&str> = collection
            .correlations
            .iter()
            .flat_map(|c| [c.id.as_deref(), c.name.as_deref()])
            .flatten()
            .collect();
        self.correlation_refs
            .extend(here.iter().map(|s| (*s).to_owned()));
        let referenced: std::collections::HashSet<&str> = collection
            .correlations
            .iter()
            .flat_map(|c| c.rules.iter().map(String::as_str))
            .collect();
        for corr in &collection.correlations {
            let chained = corr.rules.iter().any(|r| self.correlation_refs.contains(r))
                || [corr.id.as_deref(), corr.name.as_deref()]
                    .into_iter()
                    .flatten()
                    .any(|r| referenced.contains(r));
            if chained && corr.rules.iter().any(|r| self.native.feeds(Some(r), None)) {
                errors.push(error(
                    Some(corr.title.clone()),
                    "refers to a correlation loaded earlier on its own; load chained correlations from one file".into(),
                ));
                continue;
            }
            let placed = match rsigma_eval::correlation::compile_correlation(corr) {
                Ok(c) if self.native_allowed && !chained && Correlations::supports(&c) => {
                    self.native.add(c);
                    Ok(RuleKind::NativeCorrelation)
                }
                Ok(_) => self.engine.add_correlation(corr).map(|()| {
                    self.delegated += 1;
                    self.delegated_refs.extend(corr.rules.iter().cloned());
                    RuleKind::Correlation
                }),
                Err(e) => Err(e),
            };
            if placed.is_ok() && !corr.generate {
                self.correlation_only.extend(corr.rules.iter().cloned());
            }
            match placed {
                Ok(kind) => {
                    added += 1;
                    let key = corr.id.clone().unwrap_or_else(|| corr.title.clone());
                    self.correlation_info.entry(key).or_insert(self.rules.len());
                    self.rules.push(RuleInfo {
                        title: corr.title.clone(),
                        id: corr.id.clone(),
                        level: corr.level.as_ref().map(|l| l.as_str().to_owned()),
                        tags: corr.tags.clone(),
                        file: origin.to_owned(),
                        kind,
                        hits: 0,
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
        self.evaluate_record(&Record::from_event(event.clone(), &self.schema))
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
    ///
    /// Detections of rules that only correlations use (`generate: false`,
    /// the Sigma default) feed their correlations and are not returned.
    /// What each compiled rule is to the correlations, from the sets.
    fn refresh_roles(&mut self) {
        let roles = (0..self.compiled.len() as u32)
            .map(|r| {
                let id = self.compiled.rule(r).id.as_deref();
                let name = id
                    .and_then(|i| self.names.get(i))
                    .and_then(Option::as_deref);
                let refers = |set: &std::collections::HashSet<String>| {
                    [id, name].into_iter().flatten().any(|x| set.contains(x))
                };
                let mut role = 0;
                if refers(&self.correlation_only) {
                    role |= ROLE_ONLY;
                }
                if refers(&self.delegated_refs) {
                    role |= ROLE_DELEGATED;
                }
                if id.is_some() && self.native.feeds(id, name) {
                    role |= ROLE_NATIVE;
                }
                role
            })
            .collect();
        self.roles = roles;
        self.heads = (0..self.compiled.len() as u32)
            .map(|r| Head::of(self.compiled.rule(r)))
            .collect();
    }

    pub fn process_record(&mut self, record: &Record<'_>) -> Vec<RuleHit> {
        self.compiled
            .matching(record, &self.schema, &mut self.scratch);
        if self.scratch.matched().is_empty() {
            return Vec::new();
        }
        if self.roles.len() != self.compiled.len() {
            self.refresh_roles();
        }
        let role = |r: u32| self.roles.get(r as usize).copied().unwrap_or_default();
        let matched = self.scratch.matched().to_vec();
        for r in &matched {
            if let Some(info) = self.compiled_info.get(*r as usize) {
                self.rules[*info].hits += 1;
            }
        }
        let identity = |r: u32| {
            let id = self.compiled.rule(r).id.as_deref();
            let name = id
                .and_then(|i| self.names.get(i))
                .and_then(Option::as_deref);
            (id, name)
        };
        let mut hits: Vec<RuleHit> = matched
            .iter()
            .filter(|r| role(**r) & ROLE_ONLY == 0)
            .filter_map(|r| self.heads.get(*r as usize).map(Head::hit))
            .collect();
        let Some(t) = record.timestamp else {
            return hits;
        };
        let ts = t.timestamp().clamp(0, i64::MAX / 2);
        let bound = Bound {
            record,
            schema: &self.schema,
        };
        if !self.native.is_empty() && matched.iter().any(|r| role(*r) & ROLE_NATIVE != 0) {
            let field = |name: &str, null_is_text: bool| field_text(&bound, name, null_is_text);
            self.native.bound(ts);
            for r in &matched {
                let (id, name) = identity(*r);
                if id.is_some() {
                    self.native.feed(id, name, ts, &field, &mut hits);
                }
            }
        }
        if self.delegated > 0 {
            let detections: Vec<_> = matched
                .iter()
                .filter(|r| role(**r) & ROLE_DELEGATED != 0)
                .filter_map(|r| rsigma_eval::evaluate_rule(self.compiled.rule(*r), &bound))
                .collect();
            if !detections.is_empty() {
                let results = self.engine.process_with_detections(&bound, detections, ts);
                hits.extend(results.into_iter().filter(|r| r.is_correlation()).map(hit));
            }
        }
        for h in hits.iter().filter(|h| h.correlation.is_some()) {
            let key = h.id.as_deref().unwrap_or(&h.title);
            if let Some(&info) = self.correlation_info.get(key) {
                self.rules[info].hits += 1;
            }
        }
        hits
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

/// A field's value as text, as `rsigma-eval`'s correlations read it: for
/// grouping a null is no value; for counting distinct values it is `null`.
fn field_text<'e>(
    event: &'e impl rsigma_eval::Event,
    name: &str,
    null_is_text: bool,
) -> Option<Cow<'e, str>> {
    match event.get_field(name)? {
        EventValue::Str(s) => Some(s),
        EventValue::Int(n) => Some(Cow::Owned(n.to_string())),
        EventValue::Float(f) => Some(Cow::Owned(f.to_string())),
        EventValue::Bool(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
        EventValue::Null if null_is_text => Some(Cow::Borrowed("null")),
        _ => None,
    }
}

/// What every hit of one rule carries, made once.
#[derive(Debug, Clone)]
struct Head {
    title: Arc<str>,
    id: Option<Arc<str>>,
    level: Option<&'static str>,
    tags: Arc<[String]>,
}

impl Head {
    fn of(rule: &rsigma_eval::CompiledRule) -> Head {
        Head {
            title: rule.title.as_str().into(),
            id: rule.id.as_deref().map(Arc::from),
            level: rule.level.map(|l| l.as_str()),
            tags: rule.tags.as_slice().into(),
        }
    }

    fn hit(&self) -> RuleHit {
        RuleHit {
            title: self.title.clone(),
            id: self.id.clone(),
            level: self.level,
            tags: self.tags.clone(),
            correlation: None,
        }
    }
}

fn hit(r: rsigma_eval::EvaluationResult) -> RuleHit {
    let correlation = match &r.body {
        rsigma_eval::ResultBody::Correlation(c) => Some((c.group_key.clone(), c.aggregated_value)),
        rsigma_eval::ResultBody::Detection(_) => None,
    };
    RuleHit {
        title: r.header.rule_title.into(),
        id: r.header.rule_id.map(Arc::from),
        level: r.header.level.map(|l| l.as_str()),
        tags: r.header.tags.into(),
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
        match self.event.get(canonical).or_else(|| self.event.get(path)) {
            Some(v) => Some(event_value(v)),
            None => crate::normalize::derived(canonical, || self.event.get_str("source.ip"))
                .map(|n| EventValue::Str(Cow::Owned(n))),
        }
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
        assert_eq!(hits[0].level, Some("high"));
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
