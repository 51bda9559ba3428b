//! Disclosures (公表・お知らせ): the notices the group publishes about an
//! incident. One is drafted, reviewed, approved — by someone named, who is
//! not among those who wrote it (four eyes, checked by the store) — then
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
            .moves(DISCLOSURE_MOVES)
            .four_eyes(&["approved", "published"])
            .signer("approved_account"),
        // The person in whose name it is approved, named by the approver;
        // the account that approved is recorded by mamori.
        FieldSpec::new("approved_by", FieldKind::Reference(RefTarget::GroupPerson)).list(),
        FieldSpec::new("approved_account", FieldKind::Text { max: 200 })
            .system()
            .list(),
        FieldSpec::new("body", FieldKind::LongText).required(),
    ],
    title_fields: &["title"],
    audit_reads: false,
    history: true,
    rollups: &[&["status"]],
    links: &["incidents"],
    people_create: true,
    on_create: OnCreate::Nothing,
    propagate: &[],
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
    fn authors_are_who_wrote_not_who_moved() {
        let spec = &DISCLOSURES;
        let status = spec.field("status").expect("status");
        let state = |title: &str, status: &str| serde_json::json!({ "title": title, "status": status, "body": "本文" });
        let states = vec![
            (Some("writer".to_owned()), state("お知らせ", "draft")),
            (Some("writer".to_owned()), state("お知らせ", "in_review")),
            // The reviewer sends it back without touching the text…
            (Some("reviewer".to_owned()), state("お知らせ", "draft")),
            // …and an editor fixes the title.
            (Some("editor".to_owned()), state("お知らせ(第2報)", "draft")),
            (
                Some("writer".to_owned()),
                state("お知らせ(第2報)", "in_review"),
            ),
            // The approver's move names the approver: not writing.
            (
                Some("approver".to_owned()),
                serde_json::json!({ "title": "お知らせ(第2報)", "status": "approved", "body": "本文", "approved_by": "p1" }),
            ),
        ];
        assert_eq!(spec.authors(status, &states), vec!["writer", "editor"]);
        let at = |s: &str| Record::of_texts(&[("status", s)]);
        assert!(
            spec.four_eyes_move(Some(&at("in_review")), &at("approved"))
                .is_some()
        );
        assert!(
            spec.four_eyes_move(Some(&at("approved")), &at("published"))
                .is_some()
        );
        assert!(
            spec.four_eyes_move(Some(&at("published")), &at("withdrawn"))
                .is_none()
        );
        // What was approved stays as approved: no edit without going back.
        let approved = Record::of_texts(&[("status", "approved"), ("body", "承認された本文")]);
        let edited = Record::of_texts(&[("status", "approved"), ("body", "書き換えた本文")]);
        let change = Record::of_texts(&[("body", "書き換えた本文")]);
        assert_eq!(
            spec.check_change(&approved, &edited, &change)[0].field,
            "body"
        );
        let back = Record::of_texts(&[("status", "draft"), ("body", "書き換えた本文")]);
        let change = Record::of_texts(&[("status", "draft"), ("body", "書き換えた本文")]);
        assert!(spec.check_change(&approved, &back, &change).is_empty());
        // Nor does the approving move carry an edit.
        let review = Record::of_texts(&[("status", "in_review"), ("body", "本文")]);
        let sneaky = Record::of_texts(&[("status", "approved"), ("body", "承認時に書き換え")]);
        assert_eq!(
            spec.check_change(&review, &sneaky, &sneaky)[0].field,
            "body"
        );
        assert!(
            spec.four_eyes_move(None, &at("approved")).is_some(),
            "nor made approved"
        );
    }

    #[test]
    fn nothing_is_published_unapproved() {
        let at = |s: &str| Record::of_texts(&[("status", s)]);
        let skip = DISCLOSURES.check_change(&at("draft"), &at("published"), &at("published"));
        assert_eq!(skip[0].field, "status");
        assert_eq!(check(&at("published"))[0].field, "approved_by");
        assert!(check(&at("draft")).is_empty());
    }
}
