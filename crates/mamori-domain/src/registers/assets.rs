//! Information assets: information, systems, servers, cloud services and
//! devices, each with its handling classification (情報取り扱い区分) and a
//! separate flag for customer personal information.

use crate::error::FieldError;
use crate::register::{FieldKind, FieldSpec, Record, RefTarget, RegisterSpec, Value};

pub const ASSET_KINDS: &[&str] = &["information", "system", "server", "cloud_service", "device"];

pub const ASSETS: RegisterSpec = RegisterSpec {
    name: "assets",
    table: "assets",
    ref_prefix: "AST",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("name", FieldKind::Text { max: 200 })
            .required()
            .list()
            .sortable(),
        FieldSpec::new("kind", FieldKind::Enum(ASSET_KINDS))
            .required()
            .list()
            .sortable()
            .filter(),
        FieldSpec::new("classification", FieldKind::Classification)
            .required()
            .list()
            .sortable()
            .filter(),
        FieldSpec::new("customer_personal_info", FieldKind::Bool)
            .list()
            .filter(),
        FieldSpec::new("owner", FieldKind::Reference(RefTarget::Person))
            .list()
            .filter(),
        FieldSpec::new("location", FieldKind::Text { max: 200 }).sortable(),
        FieldSpec::new("description", FieldKind::LongText),
        FieldSpec::new("review_date", FieldKind::Date).sortable(),
    ],
    title_fields: &["name"],
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
    // Customer personal information may never be classified public.
    let public = record.text("classification") == Some("public");
    if public && *record.get("customer_personal_info") == Value::Bool(true) {
        return vec![FieldError::new(
            "classification",
            "an asset holding customer personal information cannot be public",
        )];
    }
    Vec::new()
}
