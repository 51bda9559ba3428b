//! Applicability and implementation per company (適用可否・実施状況): one
//! record per company and requirement of a framework the company adopts.
//! Adopting a framework creates them (one per assessable requirement);
//! people then say whether each applies (with a justification when it is
//! excluded), how far it is implemented, who owns it and when it is next
//! reviewed. The Statement of Applicability is drawn from them.

use crate::error::FieldError;
use crate::register::{FieldKind, FieldSpec, Record, RefTarget, RegisterSpec};

pub const APPLICABILITY: &[&str] = &["applicable", "excluded"];
pub const IMPLEMENTATION: &[&str] = &["not_started", "planned", "partial", "implemented"];

pub const REQUIREMENT_ASSESSMENTS: RegisterSpec = RegisterSpec {
    name: "requirement_assessments",
    table: "requirement_assessments",
    ref_prefix: "REQ",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("requirement", FieldKind::Reference(RefTarget::Requirement))
            .required()
            .system()
            .list(),
        FieldSpec::new("framework", FieldKind::Reference(RefTarget::Framework))
            .required()
            .system()
            .filter(),
        FieldSpec::new("applicability", FieldKind::Enum(APPLICABILITY))
            .required()
            .list()
            .filter(),
        FieldSpec::new("implementation", FieldKind::Enum(IMPLEMENTATION))
            .required()
            .list()
            .filter(),
        FieldSpec::new("owner", FieldKind::Reference(RefTarget::Person))
            .list()
            .filter(),
        FieldSpec::new("review_date", FieldKind::Date)
            .list()
            .sortable(),
        FieldSpec::new("justification", FieldKind::LongText),
        FieldSpec::new("notes", FieldKind::LongText),
    ],
    title_fields: &[],
    audit_reads: false,
    history: true,
    rollups: &[&["framework", "applicability", "implementation"]],
    links: &[],
    people_create: false,
    on_create: crate::register::OnCreate::Nothing,
    propagate: &[],
    default_sort: "",
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |r, _| check(r),
    choices: |_, _| None,
};

fn check(record: &Record) -> Vec<FieldError> {
    if record.text("applicability") == Some("excluded") && record.text("justification").is_none() {
        return vec![FieldError::new(
            "justification",
            "is required when the requirement is excluded",
        )];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::Value;

    #[test]
    fn an_exclusion_is_justified() {
        let mut r = Record::default();
        r.values
            .insert("applicability", Value::Text("excluded".into()));
        assert_eq!(check(&r)[0].field, "justification");
        r.values.insert(
            "justification",
            Value::Text("研究開発を行っていない".into()),
        );
        assert!(check(&r).is_empty());
    }
}
