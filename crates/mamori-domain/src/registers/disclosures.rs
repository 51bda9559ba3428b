//! Disclosures (公表・お知らせ): the notices the group publishes about an
//! incident. One is drafted, reviewed, approved by someone named, then
//! published on mamori's public pages (`/public/notices`), and may later be
//! withdrawn; every version is kept (its history is the record's).

use crate::error::FieldError;
use crate::register::{
    FieldKind, FieldSpec, Moves, OnCreate, Record, RefTarget, RegisterSpec, Value,
};

pub const DISCLOSURE_STATUSES: &[&str] =
    &["draft", "in_review", "approved", "published", "withdrawn"];

pub const DISCLOSURE_MOVES: Moves = &[
    ("draft", &["in_review"]),
    ("in_review", &["approved", "draft"]),
    ("approved", &["published", "draft"]),
    ("published", &["withdrawn"]),
    ("withdrawn", &["draft"]),
];

pub const DISCLOSURES: RegisterSpec = RegisterSpec {
    name: "disclosures",
    table: "disclosures",
    ref_prefix: "PUB",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("title", FieldKind::Text { max: 200 })
            .required()
            .list()
            .sortable(),
        FieldSpec::new("status", FieldKind::Enum(DISCLOSURE_STATUSES))
            .required()
            .list()
            .filter()
            .moves(DISCLOSURE_MOVES),
        FieldSpec::new("approved_by", FieldKind::Reference(RefTarget::Person)).list(),
        FieldSpec::new("body", FieldKind::LongText).required(),
    ],
    title_fields: &["title"],
    audit_reads: false,
    history: true,
    rollups: &[&["status"]],
    links: &["incidents"],
    people_create: true,
    on_create: OnCreate::Nothing,
    default_sort: "",
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |r, _| check(r),
    choices: |_, _| None,
};

/// An approved or published notice names who approved it.
fn check(record: &Record) -> Vec<FieldError> {
    let approved = matches!(record.text("status"), Some("approved" | "published"));
    if approved && *record.get("approved_by") == Value::Null {
        vec![FieldError::new(
            "approved_by",
            "is required to approve or publish",
        )]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_published_unapproved() {
        let at = |s: &str| Record::of_texts(&[("status", s)]);
        let skip = DISCLOSURES.check_change(&at("draft"), &at("published"), &at("published"));
        assert_eq!(skip[0].field, "status");
        assert_eq!(check(&at("published"))[0].field, "approved_by");
        assert!(check(&at("draft")).is_empty());
    }
}
