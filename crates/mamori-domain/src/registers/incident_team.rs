//! The people handling an incident (対応体制): the assignee leads, and the
//! CSIRT members, legal, public relations and the liaison with the
//! regulator join, each with a role. Members may come from any company of
//! the group (the group CSIRT sits in the holding company); each is one
//! record, listed on the incident's page.

use crate::register::{FieldKind, FieldSpec, OnCreate, RefTarget, RegisterSpec};

pub const TEAM_ROLES: &[&str] = &[
    "lead",
    "handler",
    "forensics",
    "legal",
    "communications",
    "regulator_liaison",
    "management",
];

pub const INCIDENT_TEAM: RegisterSpec = RegisterSpec {
    name: "incident_team",
    table: "incident_team",
    ref_prefix: "ITM",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("incident", FieldKind::Reference(RefTarget::Incident))
            .required()
            .list()
            .filter(),
        FieldSpec::new("person", FieldKind::Reference(RefTarget::GroupPerson))
            .required()
            .list()
            .filter(),
        FieldSpec::new("role", FieldKind::Enum(TEAM_ROLES))
            .required()
            .list()
            .sortable()
            .filter(),
        FieldSpec::new("joined_at", FieldKind::DateTime)
            .list()
            .sortable(),
    ],
    title_fields: &[],
    audit_reads: false,
    history: false,
    rollups: &[],
    links: &[],
    people_create: true,
    on_create: OnCreate::Nothing,
    propagate: &[],
    default_sort: "",
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |_, _| Vec::new(),
    choices: |_, _| None,
};
