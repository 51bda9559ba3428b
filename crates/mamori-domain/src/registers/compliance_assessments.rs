//! Compliance assessments (準拠性評価): one per company and framework in an
//! assessment campaign. Launching a campaign makes them (and adopts the
//! framework where a company had not); each company's security officer
//! then works its requirement assessments and moves the assessment along:
//! not started → in progress → submitted → approved by the CISO office, or
//! returned for more work; an approved one may be reopened.

use crate::register::{FieldKind, FieldSpec, Moves, RefTarget, RegisterSpec};

pub const ASSESSMENT_STATUSES: &[&str] = &["not_started", "in_progress", "submitted", "approved"];

pub const ASSESSMENT_MOVES: Moves = &[
    ("not_started", &["in_progress"]),
    ("in_progress", &["submitted"]),
    ("submitted", &["approved", "in_progress"]),
    ("approved", &["in_progress"]),
];

pub const COMPLIANCE_ASSESSMENTS: RegisterSpec = RegisterSpec {
    name: "compliance_assessments",
    table: "compliance_assessments",
    ref_prefix: "CAS",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("campaign", FieldKind::Reference(RefTarget::Campaign))
            .required()
            .system()
            .list()
            .filter(),
        FieldSpec::new("framework", FieldKind::Reference(RefTarget::Framework))
            .required()
            .system()
            .list()
            .filter(),
        FieldSpec::new("status", FieldKind::Enum(ASSESSMENT_STATUSES))
            .required()
            .list()
            .filter()
            .moves(ASSESSMENT_MOVES),
        FieldSpec::new("owner", FieldKind::Reference(RefTarget::Person))
            .list()
            .filter(),
        FieldSpec::new("due_date", FieldKind::Date)
            .required()
            .list()
            .sortable(),
        FieldSpec::new("notes", FieldKind::LongText),
    ],
    title_fields: &[],
    audit_reads: false,
    history: true,
    rollups: &[&["campaign", "status"]],
    links: &[],
    people_create: false,
    on_create: crate::register::OnCreate::Nothing,
    propagate: &[],
    default_sort: "due_date",
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |_, _| Vec::new(),
    choices: |_, _| None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::Record;

    fn with_status(s: &str) -> Record {
        Record::of_texts(&[("status", s)])
    }

    #[test]
    fn an_assessment_is_submitted_before_it_is_approved() {
        let spec = &COMPLIANCE_ASSESSMENTS;
        let refused = spec.check_change(
            &with_status("in_progress"),
            &with_status("approved"),
            &with_status("approved"),
        );
        assert_eq!(refused[0].field, "status");
        assert!(
            spec.check_change(
                &with_status("submitted"),
                &with_status("in_progress"),
                &with_status("in_progress")
            )
            .is_empty(),
            "returned for more work"
        );
        assert!(
            spec.check_change(
                &with_status("approved"),
                &with_status("in_progress"),
                &with_status("in_progress")
            )
            .is_empty(),
            "reopened"
        );
    }
}
