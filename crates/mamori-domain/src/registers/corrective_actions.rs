//! Corrective actions (是正処置・再発防止策, CAPA): the measures against
//! recurrence that incidents, risks and, later, audit findings call for.
//! Each has an owner and a due date and moves planned → in progress →
//! implemented → verified → closed; it is verified, and closed, only with
//! evidence attached (the kernel refuses the move otherwise), and a
//! verified or closed one can be reopened. The residual likelihood and
//! impact it states are where its linked risks stand once it is verified:
//! the move sets them on each risk, in the same transaction.

use crate::register::{FieldKind, FieldSpec, Moves, Propagation, RefTarget, RegisterSpec};

use super::risks::RISK_SCALE;

pub const CAPA_STATUSES: &[&str] = &[
    "planned",
    "in_progress",
    "implemented",
    "verified",
    "closed",
];

pub const CAPA_MOVES: Moves = &[
    ("planned", &["in_progress"]),
    ("in_progress", &["implemented"]),
    ("implemented", &["verified", "in_progress"]),
    ("verified", &["closed", "in_progress"]),
    ("closed", &["in_progress"]),
];

pub const CORRECTIVE_ACTIONS: RegisterSpec = RegisterSpec {
    name: "corrective_actions",
    table: "corrective_actions",
    ref_prefix: "CAP",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("title", FieldKind::Text { max: 200 })
            .required()
            .list()
            .sortable(),
        FieldSpec::new("status", FieldKind::Enum(CAPA_STATUSES))
            .required()
            .list()
            .filter()
            .moves(CAPA_MOVES)
            .evidenced(&["verified", "closed"]),
        FieldSpec::new("owner", FieldKind::Reference(RefTarget::Person))
            .list()
            .filter(),
        FieldSpec::new("due_date", FieldKind::Date)
            .required()
            .list()
            .sortable(),
        FieldSpec::new("description", FieldKind::LongText),
        FieldSpec::new("verification", FieldKind::LongText),
        FieldSpec::new("verified_by", FieldKind::Reference(RefTarget::Person)),
        // Where the linked risks stand once this is verified.
        FieldSpec::new("residual_likelihood", FieldKind::Enum(RISK_SCALE)),
        FieldSpec::new("residual_impact", FieldKind::Enum(RISK_SCALE)),
    ],
    title_fields: &["title"],
    audit_reads: false,
    history: true,
    rollups: &[&["status"]],
    links: &["incidents", "risks", "controls"],
    people_create: true,
    on_create: crate::register::OnCreate::Nothing,
    propagate: &[Propagation {
        field: "status",
        value: "verified",
        to: "risks",
        copy: &[
            ("residual_likelihood", "residual_likelihood"),
            ("residual_impact", "residual_impact"),
        ],
        skip: &[("status", "accepted"), ("status", "closed")],
    }],
    default_sort: "due_date",
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |r, _| check(r),
    choices: super::risks::matrix_choices,
};

/// Where the linked risks will stand is stated whole, or not at all.
fn check(record: &crate::register::Record) -> Vec<crate::error::FieldError> {
    let given = |f: &str| *record.get(f) != crate::register::Value::Null;
    match (given("residual_likelihood"), given("residual_impact")) {
        (true, false) => vec![crate::error::FieldError::new(
            "residual_impact",
            "residual likelihood and impact are given together",
        )],
        (false, true) => vec![crate::error::FieldError::new(
            "residual_likelihood",
            "residual likelihood and impact are given together",
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::Record;

    fn at(status: &str) -> Record {
        Record::of_texts(&[("status", status)])
    }

    #[test]
    fn nothing_is_verified_or_closed_without_evidence() {
        let spec = &CORRECTIVE_ACTIONS;
        let refused = spec
            .needs_evidence(Some(&at("implemented")), &at("verified"), false)
            .expect("refused");
        assert_eq!(refused.field, "status");
        assert!(
            spec.needs_evidence(Some(&at("implemented")), &at("verified"), true)
                .is_none()
        );
        assert!(
            spec.needs_evidence(Some(&at("planned")), &at("in_progress"), false)
                .is_none()
        );
        assert!(
            spec.needs_evidence(None, &at("closed"), false).is_some(),
            "nor made closed"
        );
        assert!(
            spec.needs_evidence(Some(&at("closed")), &at("closed"), false)
                .is_none(),
            "an unchanged status is not a move"
        );
    }
}
