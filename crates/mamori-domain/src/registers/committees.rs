//! Committees (the information-security committee, the group risk-management
//! meeting, …) and their members. A committee belongs to a company, usually
//! the holding company; its members may come from any company of the group.

use crate::error::FieldError;
use crate::register::{FieldKind, FieldSpec, Record, RefTarget, RegisterSpec};

pub const COMMITTEES: RegisterSpec = RegisterSpec {
    name: "committees",
    table: "committees",
    ref_prefix: "CMT",
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
            .list(),
        FieldSpec::new("purpose", FieldKind::LongText),
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
    check: |r, _| check_committee(r),
    choices: |_, _| None,
};

fn check_committee(record: &Record) -> Vec<FieldError> {
    super::check_code(record, "code").into_iter().collect()
}

pub const COMMITTEE_ROLES: &[&str] = &["chair", "vice_chair", "member", "secretary", "observer"];

pub const COMMITTEE_MEMBERS: RegisterSpec = RegisterSpec {
    name: "committee_members",
    table: "committee_members",
    ref_prefix: "CMM",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("committee", FieldKind::Reference(RefTarget::Committee))
            .required()
            .list()
            .filter(),
        FieldSpec::new("person", FieldKind::Reference(RefTarget::GroupPerson))
            .required()
            .list()
            .filter(),
        FieldSpec::new("role", FieldKind::Enum(COMMITTEE_ROLES))
            .required()
            .list()
            .sortable()
            .filter(),
        FieldSpec::new("since", FieldKind::Date).list().sortable(),
    ],
    title_fields: &[],
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
    check: |_, _| Vec::new(),
    choices: |_, _| None,
};
