//! Cloud-service risk assessments (クラウドサービス利用前評価): before a
//! company uses a cloud service, it answers the default questions (where
//! the data is, certifications, encryption, access control and MFA,
//! logging, incident notice to us, sub-processors, exit and deletion) and
//! records a verdict, the conditions of use, the most restricted handling
//! class the service may hold, and an expiry that puts it back in the queue.

use chrono::NaiveDate;

use crate::error::FieldError;
use crate::register::{FieldKind, FieldSpec, Record, RefTarget, RegisterSpec, Value};

pub const CLOUD_VERDICTS: &[&str] = &["approved", "approved_with_conditions", "rejected"];
/// How well the service meets a question: met, partly met, not met.
pub const CLOUD_ANSWERS: &[&str] = &["met", "partial", "not_met"];

/// The questions every assessment answers (field names, in order).
pub const CLOUD_QUESTIONS: &[&str] = &[
    "encryption",
    "access_control_mfa",
    "logging",
    "incident_notice",
    "subprocessors",
    "exit_deletion",
];

pub const CLOUD_ASSESSMENTS: RegisterSpec = RegisterSpec {
    name: "cloud_assessments",
    table: "cloud_assessments",
    ref_prefix: "CSA",
    fields: &[
        FieldSpec::new("asset", FieldKind::Reference(RefTarget::Asset))
            .required()
            .list()
            .filter(),
        FieldSpec::new("verdict", FieldKind::Enum(CLOUD_VERDICTS))
            .required()
            .list()
            .filter(),
        FieldSpec::new("max_classification", FieldKind::Classification)
            .list()
            .filter(),
        FieldSpec::new("expiry", FieldKind::Date)
            .required()
            .list()
            .sortable(),
        FieldSpec::new("assessed_on", FieldKind::Date)
            .required()
            .sortable(),
        FieldSpec::new("assessor", FieldKind::Reference(RefTarget::Person)),
        FieldSpec::new("data_location", FieldKind::Text { max: 200 }),
        FieldSpec::new("iso27001", FieldKind::Bool).filter(),
        FieldSpec::new("iso27017", FieldKind::Bool).filter(),
        FieldSpec::new("ismap", FieldKind::Bool).filter(),
        FieldSpec::new("soc2", FieldKind::Bool).filter(),
        FieldSpec::new("encryption", FieldKind::Enum(CLOUD_ANSWERS)),
        FieldSpec::new("access_control_mfa", FieldKind::Enum(CLOUD_ANSWERS)),
        FieldSpec::new("logging", FieldKind::Enum(CLOUD_ANSWERS)),
        FieldSpec::new("incident_notice", FieldKind::Enum(CLOUD_ANSWERS)),
        FieldSpec::new("subprocessors", FieldKind::Enum(CLOUD_ANSWERS)),
        FieldSpec::new("exit_deletion", FieldKind::Enum(CLOUD_ANSWERS)),
        FieldSpec::new("conditions", FieldKind::LongText),
        FieldSpec::new("notes", FieldKind::LongText),
    ],
    title_fields: &["data_location"],
    audit_reads: false,
    history: false,
    people_create: true,
    default_sort: "expiry",
    derive: |_| {},
    notices,
    check,
};

fn check(record: &Record) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let verdict = record.text("verdict");
    if verdict == Some("approved_with_conditions") && record.text("conditions").is_none() {
        errors.push(FieldError::new(
            "conditions",
            "is required when the service is approved with conditions",
        ));
    }
    if verdict != Some("rejected") {
        // An approval says what may go there and is answered in full.
        if *record.get("max_classification") == Value::Null {
            errors.push(FieldError::new(
                "max_classification",
                "is required when the service is approved",
            ));
        }
        for q in CLOUD_QUESTIONS {
            if *record.get(q) == Value::Null {
                errors.push(FieldError::new(*q, "must be answered before an approval"));
            }
        }
    }
    if let (Value::Date(on), Value::Date(until)) = (record.get("assessed_on"), record.get("expiry"))
        && until <= on
    {
        errors.push(FieldError::new(
            "expiry",
            "must be after the assessment date",
        ));
    }
    errors
}

fn notices(record: &Record, today: NaiveDate) -> Vec<&'static str> {
    match record.get("expiry") {
        Value::Date(d) if *d < today => vec!["notice.cloud_assessment_expired"],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(verdict: &str) -> Record {
        let mut r = Record::default();
        r.values.insert("verdict", Value::Text(verdict.into()));
        for q in CLOUD_QUESTIONS {
            r.values.insert(q, Value::Text("met".into()));
        }
        r.values
            .insert("max_classification", Value::Text("confidential".into()));
        let day = |d| Value::Date(NaiveDate::from_ymd_opt(2026, 4, d).expect("date"));
        r.values.insert("assessed_on", day(1));
        r.values.insert("expiry", day(30));
        r
    }

    #[test]
    fn approvals_are_answered_in_full_and_conditions_written() {
        assert!(check(&answers("approved")).is_empty());
        assert_eq!(
            check(&answers("approved_with_conditions"))[0].field,
            "conditions"
        );
        let mut partial = answers("approved");
        partial.values.insert("logging", Value::Null);
        partial.values.insert("max_classification", Value::Null);
        let fields: Vec<String> = check(&partial).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["max_classification", "logging"]);
        let mut rejected = answers("rejected");
        rejected.values.insert("logging", Value::Null);
        rejected.values.insert("max_classification", Value::Null);
        assert!(
            check(&rejected).is_empty(),
            "a rejection need not be complete"
        );
        let mut backwards = answers("approved");
        backwards.values.insert(
            "expiry",
            Value::Date(NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")),
        );
        assert_eq!(check(&backwards)[0].field, "expiry");
        let late = NaiveDate::from_ymd_opt(2026, 5, 1).expect("date");
        assert_eq!(
            notices(&answers("approved"), late),
            ["notice.cloud_assessment_expired"]
        );
    }
}
