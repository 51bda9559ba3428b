//! The register kernel's domain half: what a register is, its fields, and how
//! raw input (JSON, form fields, CSV cells) becomes a checked record.
//!
//! A register is described once by a [`RegisterSpec`]. The store derives its
//! SQL from the spec, the server derives the API, the OpenAPI entry, CSV and
//! XLSX columns, the list page and the form. Adding a register means writing
//! its spec and rules, its table in both migration folders, and one line in
//! [`crate::registers::ALL`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::classification::Scheme;
use crate::error::FieldError;
use crate::settings::{Choice, RegisterSettings};

/// What a field holds, and so how it is parsed, stored, filtered and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text, at most `max` characters.
    Text {
        max: usize,
    },
    /// Free text, at most 10,000 characters.
    LongText,
    /// An e-mail address.
    Email,
    /// One of a fixed set of codes; labels come from the message catalogue.
    Enum(&'static [&'static str]),
    /// A handling classification code from the configured scheme.
    Classification,
    Bool,
    Date,
    /// A whole number (64-bit).
    Integer,
    /// An instant: stored in UTC, shown in the viewer's time zone, written
    /// in RFC 3339 with its offset in the API.
    DateTime,
    /// Another record of the same company.
    Reference(RefTarget),
    /// Answers to the register's configured questionnaire
    /// ([`RegisterSettings::questionnaire`]): one JSON object of question id
    /// to answer in the API, one column per question (`answers.<id>`) in
    /// forms and files.
    Answers,
    /// Companies of the group, by code (`AIR,GND`): written as codes
    /// separated by commas (or spaces, or 、), kept sorted and once each;
    /// the store checks that each company exists. A filter on it selects
    /// the records that list a company.
    Companies,
    /// A level of a configured scale ([`RegisterSettings::scale`], such as
    /// the incident severity scale), stored by its code.
    Scale(&'static str),
}

/// What a reference field points at. In CSV a reference is written by the
/// target's human key (department code, person reference); in the API by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefTarget {
    Department,
    /// A person of the same company.
    Person,
    /// A person of any company of the group (members of group committees).
    GroupPerson,
    Committee,
    /// An information asset of the same company (written by its `AST-…`
    /// reference in files).
    Asset,
    /// A framework of the loaded libraries (group-wide; written by URN).
    Framework,
    /// A requirement node of a loaded framework (group-wide; by URN).
    Requirement,
    /// An assessment campaign (group-wide; by name).
    Campaign,
    /// An incident of the same company (by its `INC-…` reference).
    Incident,
    /// An incident of the same company that is an exercise (a drill's
    /// inject never reaches a real incident).
    Exercise,
    /// A reference control of a loaded library (group-wide; by URN).
    ReferenceControl,
}

impl RefTarget {
    /// The register whose records the target is, when it is one.
    pub fn register(self) -> Option<&'static str> {
        match self {
            RefTarget::Department => Some("departments"),
            RefTarget::Person | RefTarget::GroupPerson => Some("people"),
            RefTarget::Committee => Some("committees"),
            RefTarget::Asset => Some("assets"),
            RefTarget::Incident | RefTarget::Exercise => Some("incidents"),
            RefTarget::Framework
            | RefTarget::Requirement
            | RefTarget::Campaign
            | RefTarget::ReferenceControl => None,
        }
    }

    /// Whether the target must belong to the referring record's company.
    /// What the target must be beyond existing (SQL on the target's row,
    /// and words for the error), if anything.
    pub fn condition(self) -> Option<(&'static str, &'static str)> {
        match self {
            RefTarget::Exercise => Some(("exercise = TRUE", "that is an exercise")),
            _ => None,
        }
    }

    pub fn same_company(self) -> bool {
        !matches!(
            self,
            RefTarget::GroupPerson
                | RefTarget::Framework
                | RefTarget::Requirement
                | RefTarget::Campaign
                | RefTarget::ReferenceControl
        )
    }
}

const LONG_TEXT_MAX: usize = 10_000;

#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    /// Shown as a column on the list page.
    pub list: bool,
    /// The list may be sorted by it.
    pub sortable: bool,
    /// The list may be filtered by exact value (`?field=value`).
    pub filter: bool,
    /// Set by mamori itself (an alert's count, when it was first seen):
    /// people see it but never set it. The API refuses it by name; forms
    /// and imports leave it alone.
    pub system: bool,
    /// A lifecycle for an enum field: each value with the values it may move
    /// to. A change to any other value is refused, and forms offer only the
    /// allowed moves.
    pub moves: Option<Moves>,
    /// For a field with a lifecycle: the field that must carry the reason
    /// for every move, given in the same change (an incident's status).
    pub reason: Option<&'static str>,
    /// Values the field only takes once evidence is attached to the record
    /// (a corrective action is verified, and closed, with evidence); the
    /// store refuses the move, or a record made with such a value, otherwise.
    pub evidenced: &'static [&'static str],
    /// Values only someone other than the record's authors may move the
    /// field into (four eyes: a notice is approved by someone who did not
    /// write it). Authors are whoever made the record or changed anything
    /// in it but this field and its reason; the store checks them against
    /// the record's history, and refuses a record made with such a value.
    pub four_eyes: &'static [&'static str],
    /// For a four-eyes field: a text field the store sets to the account
    /// that moves it into its first guarded value (who approved).
    pub signer: Option<&'static str>,
}

/// A lifecycle: `(from, [to, …])` for every value of an enum.
pub type Moves = &'static [(&'static str, &'static [&'static str])];

impl FieldSpec {
    pub const fn new(name: &'static str, kind: FieldKind) -> Self {
        Self {
            name,
            kind,
            required: false,
            list: false,
            sortable: false,
            filter: false,
            system: false,
            moves: None,
            reason: None,
            evidenced: &[],
            four_eyes: &[],
            signer: None,
        }
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn list(mut self) -> Self {
        self.list = true;
        self
    }
    pub const fn sortable(mut self) -> Self {
        self.sortable = true;
        self
    }
    pub const fn filter(mut self) -> Self {
        self.filter = true;
        self
    }
    pub const fn system(mut self) -> Self {
        self.system = true;
        self
    }
    pub const fn moves(mut self, moves: Moves) -> Self {
        self.moves = Some(moves);
        self
    }
    pub const fn reason(mut self, field: &'static str) -> Self {
        self.reason = Some(field);
        self
    }
    pub const fn evidenced(mut self, values: &'static [&'static str]) -> Self {
        self.evidenced = values;
        self
    }
    pub const fn four_eyes(mut self, values: &'static [&'static str]) -> Self {
        self.four_eyes = values;
        self
    }
    pub const fn signer(mut self, field: &'static str) -> Self {
        self.signer = Some(field);
        self
    }

    /// The values a field with a lifecycle may take when it holds `current`
    /// (`current` first); `None` for a field without one.
    pub fn next_values(&self, current: &str) -> Option<Vec<&'static str>> {
        let moves = self.moves?;
        let mut values: Vec<&'static str> = Vec::new();
        if let FieldKind::Enum(options) = self.kind {
            values.extend(options.iter().copied().filter(|o| *o == current));
        }
        if let Some((_, to)) = moves.iter().find(|(from, _)| *from == current) {
            values.extend(to.iter().copied());
        }
        Some(values)
    }
}

/// A register: its name (used in URLs, permissions and message keys), its
/// table, its human reference prefix and its fields.
#[derive(Debug)]
pub struct RegisterSpec {
    pub name: &'static str,
    pub table: &'static str,
    /// Human references are `PREFIX-000123`, or with `ref_yearly`
    /// `PREFIX-2026-0042`, numbered afresh each calendar year in the
    /// group's zone.
    pub ref_prefix: &'static str,
    pub ref_yearly: bool,
    pub fields: &'static [FieldSpec],
    /// Fields joined to label a record in lists and references.
    pub title_fields: &'static [&'static str],
    /// Whether reading one record is written to the audit chain (personal data).
    pub audit_reads: bool,
    /// Whether every state of a record is kept (`record_history`), so the
    /// register can be read as it stood on a past date (the Statement of
    /// Applicability, risks). Off for registers of personal data.
    pub history: bool,
    /// Counts mamori keeps up to date in the same transaction as every
    /// write, per company: of the active records (always), and by the
    /// values of each group of fields listed here (at most three fields of
    /// enum, classification, text or reference kind), so dashboards and
    /// heat maps read a few counts instead of every record.
    pub rollups: &'static [&'static [&'static str]],
    /// Registers whose records this one's may be linked with, many to many
    /// within a company (a control with the risks it treats and the
    /// requirements it meets). A link is shown from both ends; either
    /// register listing the other allows it.
    pub links: &'static [&'static str],
    /// What the store does in the same transaction when a record is made.
    pub on_create: OnCreate,
    /// What a move of this register's records carries onto linked records.
    pub propagate: &'static [Propagation],
    /// Whether people create records (API, form, import). Alerts are raised
    /// by mamori's detection alone.
    pub people_create: bool,
    /// The list's order when none is asked for: a sortable field, `-` first
    /// for descending; empty for the reference number.
    pub default_sort: &'static str,
    /// Fills the fields mamori computes from others (a risk's scores and
    /// levels on the configured matrix) on every create, update and
    /// import, before the checks.
    pub derive: fn(&mut Record, &RegisterSettings),
    /// What a stored record should tell the person reading it on `today`
    /// (an expired risk acceptance is overdue): message keys.
    pub notices: fn(&Record, NaiveDate) -> Vec<&'static str>,
    /// Rules across fields, run on the complete record.
    pub check: fn(&Record, &RegisterSettings) -> Vec<FieldError>,
    /// The choices of a field whose choices are configured (a risk's
    /// likelihood and impact are the matrix's steps), by field name;
    /// `None` for the others.
    pub choices: fn(&str, &RegisterSettings) -> Option<Vec<Choice>>,
}

/// What making a record sets off, in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnCreate {
    Nothing,
    /// An incident: the steps of its company's active playbooks for its
    /// category become its tasks.
    ApplyPlaybooks,
}

/// When a record's `field` moves into `value`, the store copies the
/// `copy` fields (this register's, the target's) onto every record of
/// register `to` linked with it — in the same transaction and through the
/// kernel, so each target is checked, audited and kept in history, and a
/// refusal refuses the move. Empty values are not copied, and targets in a
/// `skip` state are left. A verified corrective action sets its linked
/// risks' residual likelihood and impact (not an accepted or closed risk's).
/// The server lets only those who may update the targets make the move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Propagation {
    pub field: &'static str,
    pub value: &'static str,
    pub to: &'static str,
    pub copy: &'static [(&'static str, &'static str)],
    /// Targets in these states (field, value) are left as they are: an
    /// accepted risk keeps the level management accepted.
    pub skip: &'static [(&'static str, &'static str)],
}

impl Propagation {
    /// Whether the change from `before` (with `changes`) makes this move.
    pub fn fires(&self, before: &Record, changes: &Record) -> bool {
        changes.text(self.field) == Some(self.value) && before.text(self.field) != Some(self.value)
    }

    /// Whether a target record is left as it is.
    pub fn skips(&self, target: &Record) -> bool {
        self.skip.iter().any(|(f, v)| target.text(f) == Some(*v))
    }

    /// The values to set on each target, from the record after the change;
    /// `None` when there is nothing to copy.
    pub fn values(&self, after: &Record) -> Option<Record> {
        let mut out = Record::default();
        for (from, to) in self.copy {
            match after.get(from) {
                Value::Null => {}
                v => {
                    out.values.insert(to, v.clone());
                }
            }
        }
        (!out.values.is_empty()).then_some(out)
    }
}

/// A field's value once parsed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Null,
    Text(String),
    Bool(bool),
    Date(NaiveDate),
    Int(i64),
    Time(DateTime<Utc>),
    Ref(RefValue),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RefValue {
    Id(Uuid),
    /// A human key (department code, person reference) still to be resolved
    /// within the record's company.
    Key(String),
}

impl Value {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value as JSON, for API answers.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Text(s) => Json::String(s.clone()),
            Value::Bool(b) => Json::Bool(*b),
            Value::Date(d) => Json::String(d.format("%Y-%m-%d").to_string()),
            Value::Int(n) => Json::from(*n),
            Value::Time(t) => Json::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            Value::Ref(RefValue::Id(id)) => Json::String(id.to_string()),
            Value::Ref(RefValue::Key(k)) => Json::String(k.clone()),
        }
    }
}

/// A record's field values, keyed by field name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub values: BTreeMap<&'static str, Value>,
}

impl Record {
    /// A record of text values (`("status", "open")`, …).
    pub fn of_texts(pairs: &[(&'static str, &str)]) -> Record {
        Record {
            values: pairs
                .iter()
                .map(|(k, v)| (*k, Value::Text((*v).to_owned())))
                .collect(),
        }
    }

    pub fn get(&self, field: &str) -> &Value {
        self.values.get(field).unwrap_or(&Value::Null)
    }

    pub fn text(&self, field: &str) -> Option<&str> {
        self.get(field).as_text()
    }

    /// Overlays `changes` on this record (a partial update).
    pub fn merge(&mut self, changes: Record) {
        self.values.extend(changes.values);
    }
}

/// What parsing needs to know beyond the spec.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    pub classification: &'a Scheme,
    pub settings: &'a RegisterSettings,
}

/// Keys in an API body that are not register fields.
pub const COMPANY_KEY: &str = "company_id";
pub const VERSION_KEY: &str = "version";

impl RegisterSpec {
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Parses a JSON object's register fields. Keys in `extra` (such as
    /// `company_id`) are left to the caller; any other unknown key is an error.
    pub fn parse_json(
        &self,
        object: &serde_json::Map<String, Json>,
        extra: &[&str],
        ctx: ParseContext<'_>,
    ) -> Result<Record, Vec<FieldError>> {
        let mut record = Record::default();
        let mut errors = Vec::new();
        for (key, raw) in object {
            let Some(field) = self.field(key) else {
                if !extra.contains(&key.as_str()) {
                    errors.push(FieldError::new(key, "unknown field"));
                }
                continue;
            };
            if field.system {
                errors.push(FieldError::new(
                    field.name,
                    "is set by mamori and cannot be written",
                ));
                continue;
            }
            let parsed = if field.kind == FieldKind::Answers {
                self.questionnaire(ctx).and_then(|q| q.parse_json(raw))
            } else {
                parse_json_value(field, raw, ctx)
            };
            match parsed {
                Ok(v) => {
                    record.values.insert(field.name, v);
                }
                Err(message) => errors.push(FieldError::new(field.name, message)),
            }
        }
        if errors.is_empty() {
            Ok(record)
        } else {
            Err(errors)
        }
    }

    /// Parses text inputs (form fields, CSV cells): every field of the spec
    /// that `get` returns text for, except those mamori sets (an exported
    /// file imports back). Empty text is no value.
    pub fn parse_text<'s>(
        &self,
        mut get: impl FnMut(&str) -> Option<&'s str>,
        ctx: ParseContext<'_>,
    ) -> Result<Record, Vec<FieldError>> {
        let mut record = Record::default();
        let mut errors = Vec::new();
        for field in self.fields.iter().filter(|f| !f.system) {
            if field.kind == FieldKind::Answers {
                let mut given = false;
                let parsed = self.questionnaire(ctx).and_then(|q| {
                    q.parse_text(|id| {
                        let text = get(&format!("{}.{id}", field.name));
                        given |= text.is_some();
                        text
                    })
                });
                match parsed {
                    Ok(_) if !given => {}
                    Ok(v) => {
                        record.values.insert(field.name, v);
                    }
                    Err(message) => errors.push(FieldError::new(field.name, message)),
                }
                continue;
            }
            let Some(raw) = get(field.name) else { continue };
            match parse_text_value(field, raw, ctx) {
                Ok(v) => {
                    record.values.insert(field.name, v);
                }
                Err(message) => errors.push(FieldError::new(field.name, message)),
            }
        }
        if errors.is_empty() {
            Ok(record)
        } else {
            Err(errors)
        }
    }

    /// Parses one field's text as a filter or search value: any field,
    /// those mamori sets too.
    pub fn parse_value(
        &self,
        field: &FieldSpec,
        raw: &str,
        ctx: ParseContext<'_>,
    ) -> Result<Value, FieldError> {
        parse_text_value(field, raw, ctx).map_err(|message| FieldError::new(field.name, message))
    }

    /// The questionnaire this register's answers field answers.
    fn questionnaire<'c>(
        &self,
        ctx: ParseContext<'c>,
    ) -> Result<&'c crate::registers::Questionnaire, String> {
        ctx.settings
            .questionnaire(self.name)
            .ok_or_else(|| format!("{} has no questionnaire", self.name))
    }

    /// Rules on a complete record: required fields, then the register's own.
    pub fn check_complete(&self, record: &Record, settings: &RegisterSettings) -> Vec<FieldError> {
        let mut errors: Vec<FieldError> = self
            .fields
            .iter()
            // What mamori sets is its own to fill (derived from what is
            // required), not something to ask people for.
            .filter(|f| f.required && !f.system && *record.get(f.name) == Value::Null)
            .map(|f| FieldError::new(f.name, "is required"))
            .collect();
        errors.extend((self.check)(record, settings));
        errors
    }

    /// Rules on a change (`changes`, as asked, turned `before` into
    /// `after`): every field with a lifecycle may only make one of its
    /// moves, and a move that needs a reason carries one in the change.
    pub fn check_change(
        &self,
        before: &Record,
        after: &Record,
        changes: &Record,
    ) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for field in self.fields {
            let (Some(from), Some(to)) = (before.text(field.name), after.text(field.name)) else {
                continue;
            };
            if let Some(reason) = field.reason
                && from != to
                && changes.text(reason).is_none_or(|r| r.trim().is_empty())
            {
                errors.push(FieldError::new(
                    reason,
                    format!("is required to move {} from {from} to {to}", field.name),
                ));
            }
            let Some(allowed) = field.next_values(from) else {
                continue;
            };
            if from != to && !allowed.contains(&to) {
                let message = match &allowed[..] {
                    [_] | [] => format!("cannot move from {from} to {to}; {from} is final"),
                    [_, rest @ ..] => format!(
                        "cannot move from {from} to {to}; from {from} it may move to: {}",
                        rest.join(", ")
                    ),
                };
                errors.push(FieldError::new(field.name, message));
            }
            // The move that four eyes make writes nothing: an approver who
            // edits is an author. Into the first guarded value it may name
            // people (the approver); between guarded values, not even that.
            if field.four_eyes.contains(&to) && from != to {
                let first = !field.four_eyes.contains(&from);
                for other in self.fields.iter().filter(|f| {
                    f.name != field.name
                        && Some(f.name) != field.reason
                        && !(first
                            && matches!(
                                f.kind,
                                FieldKind::Reference(RefTarget::Person | RefTarget::GroupPerson)
                            ))
                }) {
                    if changes.values.contains_key(other.name)
                        && before.get(other.name) != after.get(other.name)
                    {
                        errors.push(FieldError::new(
                            other.name,
                            format!("cannot change in the move to {to}; change it before"),
                        ));
                    }
                }
            }
            // What four eyes passed stays as they saw it: while the field
            // holds a guarded value, nothing else changes.
            if field.four_eyes.contains(&from) && from == to {
                for other in self.fields.iter().filter(|f| f.name != field.name) {
                    if changes.values.contains_key(other.name)
                        && before.get(other.name) != after.get(other.name)
                    {
                        errors.push(FieldError::new(
                            other.name,
                            format!(
                                "cannot change while {} is {from}; move it back first",
                                field.name
                            ),
                        ));
                    }
                }
            }
        }
        errors
    }

    /// The first field whose new value needs evidence the record lacks:
    /// (field, value). `before` is `None` for a new record.
    pub fn needs_evidence(
        &self,
        before: Option<&Record>,
        after: &Record,
        has_evidence: bool,
    ) -> Option<FieldError> {
        if has_evidence {
            return None;
        }
        self.fields.iter().find_map(|f| {
            let to = after.text(f.name)?;
            let moved = before.and_then(|b| b.text(f.name)) != Some(to);
            (moved && f.evidenced.contains(&to)).then(|| {
                FieldError::new(
                    f.name,
                    format!("can be {to} only with evidence attached to the record"),
                )
            })
        })
    }

    /// The four-eyes field a change moves into a guarded value, if any
    /// (`before` is `None` for a new record).
    pub fn four_eyes_move(&self, before: Option<&Record>, after: &Record) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| {
            after.text(f.name).is_some_and(|to| {
                f.four_eyes.contains(&to) && before.and_then(|b| b.text(f.name)) != Some(to)
            })
        })
    }

    /// Who wrote a record, from its kept states (oldest first, each with
    /// who made it, fields as the API gives them): whoever made it, and
    /// whoever changed anything but `field` and its reason.
    pub fn authors(
        &self,
        field: &FieldSpec,
        states: &[(Option<String>, serde_json::Value)],
    ) -> Vec<String> {
        let mut authors: Vec<String> = Vec::new();
        let mut previous: Option<&serde_json::Value> = None;
        for (by, state) in states {
            let guarded = |s: &serde_json::Value| {
                s.get(field.name)
                    .and_then(|v| v.as_str())
                    .is_some_and(|v| field.four_eyes.contains(&v))
            };
            let wrote = match previous {
                None => true,
                // A move into a guarded value is four eyes at work, not writing.
                Some(before)
                    if guarded(state) && before.get(field.name) != state.get(field.name) =>
                {
                    false
                }
                Some(before) => self.fields.iter().any(|f| {
                    f.name != field.name
                        && Some(f.name) != field.reason
                        && before.get(f.name) != state.get(f.name)
                }),
            };
            if wrote
                && let Some(by) = by
                && !authors.contains(by)
            {
                authors.push(by.clone());
            }
            previous = Some(state);
        }
        authors
    }

    /// Whether records of this register and of `other` may be linked.
    pub fn links_with(&self, other: &RegisterSpec) -> bool {
        self.links.contains(&other.name) || other.links.contains(&self.name)
    }

    /// The record's display title.
    pub fn title(&self, record: &Record) -> String {
        self.title_fields
            .iter()
            .filter_map(|f| record.text(f))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn parse_json_value(field: &FieldSpec, raw: &Json, ctx: ParseContext<'_>) -> Result<Value, String> {
    match (field.kind, raw) {
        (_, Json::Null) => Ok(Value::Null),
        (FieldKind::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
        (FieldKind::Bool, _) => Err("must be true or false".into()),
        (FieldKind::Integer, Json::Number(n)) => n
            .as_i64()
            .map(Value::Int)
            .ok_or_else(|| "must be a whole number".into()),
        (FieldKind::Reference(_), Json::String(s)) => Uuid::parse_str(s.trim())
            .map(|id| Value::Ref(RefValue::Id(id)))
            .map_err(|_| "must be the id (UUID) of a record".into()),
        (FieldKind::Companies, Json::Array(items)) => {
            let codes: Option<Vec<&str>> = items.iter().map(Json::as_str).collect();
            match codes {
                Some(codes) => parse_companies(&codes.join(",")),
                None => Err("must be a list of company codes".into()),
            }
        }
        (_, Json::String(s)) => parse_text_value(field, s, ctx),
        (_, _) => Err("must be a string".into()),
    }
}

fn parse_text_value(field: &FieldSpec, raw: &str, ctx: ParseContext<'_>) -> Result<Value, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(Value::Null);
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("contains control characters".into());
    }
    match field.kind {
        FieldKind::Text { max } => {
            if s.contains(['\n', '\r']) {
                return Err("must be a single line".into());
            }
            bounded(s, max)
        }
        FieldKind::LongText => bounded(s, LONG_TEXT_MAX),
        FieldKind::Email => parse_email(s),
        FieldKind::Enum(options) => {
            if options.contains(&s) {
                Ok(Value::Text(s.to_owned()))
            } else {
                Err(format!("must be one of: {}", options.join(", ")))
            }
        }
        FieldKind::Companies => parse_companies(s),
        FieldKind::Scale(name) => {
            let levels = ctx.settings.scale(name).unwrap_or_default();
            if levels.iter().any(|l| l.code == s) {
                Ok(Value::Text(s.to_owned()))
            } else {
                let codes: Vec<&str> = levels.iter().map(|l| l.code.as_str()).collect();
                Err(format!("must be one of: {}", codes.join(", ")))
            }
        }
        FieldKind::Classification => {
            if ctx.classification.get(s).is_some() {
                Ok(Value::Text(s.to_owned()))
            } else {
                let codes: Vec<&str> = ctx.classification.codes().collect();
                Err(format!("must be one of: {}", codes.join(", ")))
            }
        }
        FieldKind::Bool => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" | "はい" => Ok(Value::Bool(true)),
            "false" | "no" | "0" | "off" | "いいえ" => Ok(Value::Bool(false)),
            _ => Err("must be true or false".into()),
        },
        FieldKind::Date => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
            .map(Value::Date)
            .map_err(|_| "must be a date written YYYY-MM-DD".into()),
        FieldKind::Integer => s
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| "must be a whole number".into()),
        FieldKind::DateTime => DateTime::parse_from_rfc3339(s)
            .map(|t| Value::Time(t.with_timezone(&Utc)))
            .map_err(|_| {
                "must be a date and time with its offset, such as 2026-04-01T09:00:00+09:00".into()
            }),
        FieldKind::Answers => Err("answers are not searched or filtered".into()),
        FieldKind::Reference(_) => Ok(Value::Ref(match Uuid::parse_str(s) {
            Ok(id) => RefValue::Id(id),
            Err(_) => {
                if s.chars().count() > 64 {
                    return Err("is too long for a reference".into());
                }
                RefValue::Key(s.to_owned())
            }
        })),
    }
}

/// Most companies one field lists.
pub const MAX_COMPANIES: usize = 100;

fn parse_companies(s: &str) -> Result<Value, String> {
    let mut codes: Vec<&str> = s
        .split([',', ' ', '\u{3001}', ';', '\n', '\t'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if let Some(bad) = codes.iter().find(|c| {
        c.len() > 32
            || !c
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    }) {
        return Err(format!(
            "{bad:?} is not a company code (letters, digits, - and _; separate codes with commas)"
        ));
    }
    codes.sort_unstable();
    codes.dedup();
    if codes.len() > MAX_COMPANIES {
        return Err(format!("lists more than {MAX_COMPANIES} companies"));
    }
    Ok(if codes.is_empty() {
        Value::Null
    } else {
        Value::Text(codes.join(","))
    })
}

fn bounded(s: &str, max: usize) -> Result<Value, String> {
    if s.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(Value::Text(s.to_owned()))
    }
}

fn parse_email(s: &str) -> Result<Value, String> {
    let valid = s.len() <= 254
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
                && domain.matches('@').count() == 0
        });
    if valid {
        Ok(Value::Text(s.to_owned()))
    } else {
        Err("must be an e-mail address such as name@example.jp".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registers;

    fn ctx() -> (Scheme,) {
        (Scheme::default(),)
    }

    #[test]
    fn json_input_is_checked_field_by_field() {
        let (scheme,) = ctx();
        let settings = RegisterSettings::default();
        let ctx = ParseContext {
            classification: &scheme,
            settings: &settings,
        };
        let body = serde_json::json!({
            "name": "予約システム",
            "classification": "top",
            "customer_personal_info": "yes",
            "colour": "red",
            "company_id": "x"
        });
        let errors = registers::ASSETS
            .parse_json(body.as_object().expect("object"), &[COMPANY_KEY], ctx)
            .expect_err("bad input");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["classification", "colour", "customer_personal_info"]
        );
    }

    #[test]
    fn text_input_parses_dates_emails_and_references() {
        let (scheme,) = ctx();
        let settings = RegisterSettings::default();
        let ctx = ParseContext {
            classification: &scheme,
            settings: &settings,
        };
        let cells = [
            ("employee_no", "JA001"),
            ("family_name", " 佐藤 "),
            ("given_name", "花子"),
            ("email", "hanako@example.jp"),
            ("department", "AIR-IT"),
            ("employment", "employee"),
        ];
        let record = registers::PEOPLE
            .parse_text(
                |f| cells.iter().find(|(k, _)| *k == f).map(|(_, v)| *v),
                ctx,
            )
            .expect("valid");
        assert_eq!(record.text("family_name"), Some("佐藤"));
        assert_eq!(
            *record.get("department"),
            Value::Ref(RefValue::Key("AIR-IT".into()))
        );
        assert!(
            registers::PEOPLE
                .check_complete(&record, &settings)
                .is_empty()
        );
        let bad = registers::PEOPLE
            .parse_text(|f| (f == "email").then_some("not-an-address"), ctx)
            .expect_err("bad email");
        assert_eq!(bad[0].field, "email");
    }
}
