//! Controls (管理策): the security measures a company has or plans — a
//! policy, a process, a technical or physical measure — each with its
//! status, owner and due date, optionally implementing a reference control
//! of a loaded library. Risks are treated by controls and requirements are
//! met by them: both link to controls (see [`RegisterSpec::links`]).

use crate::register::{FieldKind, FieldSpec, Moves, RefTarget, RegisterSpec};

pub const CONTROL_CATEGORIES: &[&str] = &["policy", "process", "technical", "physical", "people"];
pub const CONTROL_STATUSES: &[&str] = &["planned", "in_progress", "active", "retired"];

pub const CONTROL_MOVES: Moves = &[
    ("planned", &["in_progress", "active", "retired"]),
    ("in_progress", &["planned", "active", "retired"]),
    ("active", &["in_progress", "retired"]),
    ("retired", &["planned"]),
];

pub const CONTROLS: RegisterSpec = RegisterSpec {
    name: "controls",
    table: "controls",
    ref_prefix: "CTL",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("name", FieldKind::Text { max: 200 })
            .required()
            .list()
            .sortable(),
        FieldSpec::new("category", FieldKind::Enum(CONTROL_CATEGORIES))
            .list()
            .filter(),
        FieldSpec::new("status", FieldKind::Enum(CONTROL_STATUSES))
            .required()
            .list()
            .filter()
            .moves(CONTROL_MOVES),
        FieldSpec::new("owner", FieldKind::Reference(RefTarget::Person))
            .list()
            .filter(),
        FieldSpec::new("due_date", FieldKind::Date)
            .list()
            .sortable(),
        FieldSpec::new(
            "reference_control",
            FieldKind::Reference(RefTarget::ReferenceControl),
        )
        .filter(),
        FieldSpec::new("description", FieldKind::LongText),
    ],
    title_fields: &["name"],
    audit_reads: false,
    history: true,
    rollups: &[&["status"]],
    links: &["risks", "requirement_assessments"],
    people_create: true,
    on_create: crate::register::OnCreate::Nothing,
    propagate: &[],
    default_sort: "name",
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |_, _| Vec::new(),
    choices: |_, _| None,
};
