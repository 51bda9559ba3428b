//! People: employees and contractors of the group's companies.

use crate::error::FieldError;
use crate::org::EMPLOYMENT_KINDS;
use crate::register::{FieldKind, FieldSpec, Record, RefTarget, RegisterSpec};

pub const PEOPLE: RegisterSpec = RegisterSpec {
    name: "people",
    table: "people",
    ref_prefix: "PPL",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("employee_no", FieldKind::Text { max: 32 })
            .required()
            .list()
            .sortable()
            .filter(),
        FieldSpec::new("family_name", FieldKind::Text { max: 100 })
            .required()
            .list()
            .sortable(),
        FieldSpec::new("given_name", FieldKind::Text { max: 100 })
            .required()
            .list(),
        FieldSpec::new("family_name_kana", FieldKind::Text { max: 100 }).sortable(),
        FieldSpec::new("given_name_kana", FieldKind::Text { max: 100 }),
        FieldSpec::new("email", FieldKind::Email)
            .required()
            .list()
            .sortable()
            .filter(),
        FieldSpec::new("department", FieldKind::Reference(RefTarget::Department))
            .list()
            .filter(),
        FieldSpec::new("job_title", FieldKind::Text { max: 100 }),
        FieldSpec::new("employment", FieldKind::Enum(EMPLOYMENT_KINDS))
            .required()
            .list()
            .sortable()
            .filter(),
    ],
    title_fields: &["family_name", "given_name"],
    audit_reads: true,
    history: false,
    rollups: &[],
    links: &[],
    people_create: true,
    on_create: crate::register::OnCreate::Nothing,
    propagate: &[],
    default_sort: "",
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |r, _| check(r),
    choices: |_, _| None,
};

fn check(record: &Record) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for field in ["family_name_kana", "given_name_kana"] {
        if let Some(kana) = record.text(field)
            && !kana
                .chars()
                .all(|c| ('\u{30A0}'..='\u{30FF}').contains(&c) || c == ' ' || c == '\u{3000}')
        {
            errors.push(FieldError::new(field, "must be written in katakana"));
        }
    }
    errors.extend(super::check_code(record, "employee_no"));
    errors
}
