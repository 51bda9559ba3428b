//! Departments (部署) of each company: the structure people belong to.

use crate::error::FieldError;
use crate::register::{FieldKind, FieldSpec, Record, RegisterSpec};

pub const DEPARTMENTS: RegisterSpec = RegisterSpec {
    name: "departments",
    table: "departments",
    ref_prefix: "DEP",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("code", FieldKind::Text { max: 32 })
            .required()
            .list()
            .sortable(),
        FieldSpec::new("name_ja", FieldKind::Text { max: 200 })
            .required()
            .list()
            .sortable(),
        FieldSpec::new("name_en", FieldKind::Text { max: 200 })
            .required()
            .list()
            .sortable(),
    ],
    title_fields: &["name_ja"],
    audit_reads: false,
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
    super::check_code(record, "code").into_iter().collect()
}
