//! Who is told, and when: the on-duty roster (当番表) and the escalation
//! rules (エスカレーション規則). A shift puts a person on duty at a tier
//! (1 first responder, 2 the next line, 3 management) from one instant to
//! another. A rule says which event goes by e-mail to whoever is on duty at
//! its tier (and to a fixed address, such as the CISO office's): an
//! incident opened, an alert raised, a legal deadline coming due or run
//! out, a drill's scripted inject. With a delay, a rule escalates: it sends
//! only if, that many minutes on, the incident is still `detected` (nobody
//! began triage) or the alert still `new` (nobody acknowledged it).
//!
//! Drill injects (訓練インジェクト) are the scenario of an exercise: messages
//! that arrive on the exercise incident's timeline, and by e-mail, at the
//! instants the drill's designer set.

use chrono::Duration;

use crate::error::FieldError;
use crate::register::{FieldKind, FieldSpec, OnCreate, Record, RefTarget, RegisterSpec, Value};
use crate::settings::INCIDENT_SEVERITY;

use super::alerts::ALERT_LEVELS;

/// Duty tiers: 1 answers first, 2 is the next line, 3 management.
pub const DUTY_TIERS: &[&str] = &["1", "2", "3"];

/// What a rule reacts to.
pub const RULE_EVENTS: &[&str] = &[
    "incident_opened",
    "alert_new",
    "deadline_due_soon",
    "deadline_overdue",
    "drill_inject",
];

/// The longest shift, and the longest a rule may wait before escalating.
pub const MAX_SHIFT_DAYS: i64 = 31;
pub const MAX_DELAY_MINUTES: i64 = 7 * 24 * 60;

pub const DUTY_SHIFTS: RegisterSpec = RegisterSpec {
    name: "duty_shifts",
    table: "duty_shifts",
    ref_prefix: "DTY",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("person", FieldKind::Reference(RefTarget::Person))
            .required()
            .list()
            .filter(),
        FieldSpec::new("tier", FieldKind::Enum(DUTY_TIERS))
            .required()
            .list()
            .filter(),
        FieldSpec::new("starts_at", FieldKind::DateTime)
            .required()
            .list()
            .sortable(),
        FieldSpec::new("ends_at", FieldKind::DateTime)
            .required()
            .list()
            .sortable(),
        FieldSpec::new("note", FieldKind::Text { max: 200 }),
    ],
    title_fields: &["starts_at"],
    audit_reads: false,
    history: false,
    rollups: &[],
    links: &[],
    people_create: true,
    on_create: OnCreate::Nothing,
    propagate: &[],
    default_sort: "-starts_at",
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |r, _| check_shift(r),
    choices: |_, _| None,
};

fn check_shift(record: &Record) -> Vec<FieldError> {
    match (record.get("starts_at"), record.get("ends_at")) {
        (Value::Time(start), Value::Time(end)) if end <= start => {
            vec![FieldError::new("ends_at", "must be after the start")]
        }
        (Value::Time(start), Value::Time(end))
            if *end - *start > Duration::days(MAX_SHIFT_DAYS) =>
        {
            vec![FieldError::new(
                "ends_at",
                format!("a shift lasts at most {MAX_SHIFT_DAYS} days"),
            )]
        }
        _ => Vec::new(),
    }
}

/// Whether a shift covers instant `at` (start inclusive, end exclusive).
pub fn on_duty(record: &Record, at: chrono::DateTime<chrono::Utc>) -> bool {
    matches!(
        (record.get("starts_at"), record.get("ends_at")),
        (Value::Time(start), Value::Time(end)) if *start <= at && at < *end
    )
}

pub const ESCALATION_RULES: RegisterSpec = RegisterSpec {
    name: "escalation_rules",
    table: "escalation_rules",
    ref_prefix: "ESC",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("name", FieldKind::Text { max: 200 })
            .required()
            .list()
            .sortable(),
        FieldSpec::new("event", FieldKind::Enum(RULE_EVENTS))
            .required()
            .list()
            .filter(),
        FieldSpec::new("tier", FieldKind::Enum(DUTY_TIERS))
            .list()
            .filter(),
        FieldSpec::new("also_notify", FieldKind::Email).list(),
        FieldSpec::new("after_minutes", FieldKind::Integer)
            .required()
            .list()
            .sortable(),
        FieldSpec::new("min_severity", FieldKind::Scale(INCIDENT_SEVERITY)),
        FieldSpec::new("min_level", FieldKind::Enum(ALERT_LEVELS)),
        FieldSpec::new("exercises", FieldKind::Bool),
        FieldSpec::new("active", FieldKind::Bool).list().filter(),
    ],
    title_fields: &["name"],
    audit_reads: false,
    history: true,
    rollups: &[],
    links: &[],
    people_create: true,
    on_create: OnCreate::Nothing,
    propagate: &[],
    default_sort: "name",
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |r, _| check_rule(r),
    choices: |_, _| None,
};

fn check_rule(record: &Record) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if *record.get("tier") == Value::Null && *record.get("also_notify") == Value::Null {
        errors.push(FieldError::new(
            "tier",
            "name a duty tier or an address to notify (or both)",
        ));
    }
    if let Value::Int(n) = record.get("after_minutes")
        && !(0..=MAX_DELAY_MINUTES).contains(n)
    {
        errors.push(FieldError::new(
            "after_minutes",
            format!("must be 0 to {MAX_DELAY_MINUTES} (a week)"),
        ));
    }
    errors
}

pub const DRILL_INJECTS: RegisterSpec = RegisterSpec {
    name: "drill_injects",
    table: "drill_injects",
    ref_prefix: "INJ",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("incident", FieldKind::Reference(RefTarget::Exercise))
            .required()
            .list()
            .filter(),
        FieldSpec::new("due_at", FieldKind::DateTime)
            .required()
            .list()
            .sortable(),
        FieldSpec::new("message", FieldKind::LongText).required(),
        FieldSpec::new("delivered_at", FieldKind::DateTime)
            .system()
            .list()
            .sortable(),
    ],
    title_fields: &["due_at"],
    audit_reads: false,
    history: false,
    rollups: &[],
    links: &[],
    people_create: true,
    on_create: OnCreate::Nothing,
    propagate: &[],
    default_sort: "due_at",
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |_, _| Vec::new(),
    choices: |_, _| None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn shift(start: i64, end: i64) -> Record {
        let mut r = Record::default();
        r.values.insert(
            "starts_at",
            Value::Time(Utc.timestamp_opt(start, 0).unwrap()),
        );
        r.values
            .insert("ends_at", Value::Time(Utc.timestamp_opt(end, 0).unwrap()));
        r
    }

    #[test]
    fn shifts_cover_their_start_not_their_end() {
        let s = shift(1_000, 2_000);
        assert!(check_shift(&s).is_empty());
        let at = |t| Utc.timestamp_opt(t, 0).unwrap();
        assert!(on_duty(&s, at(1_000)));
        assert!(on_duty(&s, at(1_999)));
        assert!(!on_duty(&s, at(2_000)), "the next shift takes over");
        assert!(!on_duty(&s, at(999)));
        assert_eq!(check_shift(&shift(2_000, 2_000))[0].field, "ends_at");
        let long = shift(0, (MAX_SHIFT_DAYS + 1) * 86_400);
        assert_eq!(check_shift(&long)[0].field, "ends_at");
    }

    #[test]
    fn a_rule_names_someone_and_waits_at_most_a_week() {
        let mut r = Record::of_texts(&[("tier", "1")]);
        r.values.insert("after_minutes", Value::Int(30));
        assert!(check_rule(&r).is_empty());
        r.values
            .insert("after_minutes", Value::Int(MAX_DELAY_MINUTES + 1));
        assert_eq!(check_rule(&r)[0].field, "after_minutes");
        let nobody = Record::default();
        assert_eq!(check_rule(&nobody)[0].field, "tier");
    }
}
