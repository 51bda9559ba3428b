//! Alerts raised by mamori's detection: one record per company and dedup
//! key. Detection sets every field but the status; people triage the status
//! along its lifecycle.

use crate::register::{FieldKind, FieldSpec, Moves, RegisterSpec};

/// Sigma's levels, least severe first.
pub const ALERT_LEVELS: &[&str] = &["informational", "low", "medium", "high", "critical"];

/// Triage statuses, in their usual order.
pub const ALERT_STATUSES: &[&str] = &[
    "new",
    "acknowledged",
    "escalated",
    "false_positive",
    "resolved",
];

/// `new` → `acknowledged` → `escalated` (an incident was opened) →
/// `resolved`; an open alert may be closed as `false_positive` or
/// `resolved`; a closed one may be reopened (`new`).
pub const ALERT_MOVES: Moves = &[
    (
        "new",
        &["acknowledged", "escalated", "false_positive", "resolved"],
    ),
    ("acknowledged", &["escalated", "false_positive", "resolved"]),
    ("escalated", &["resolved"]),
    ("false_positive", &["new"]),
    ("resolved", &["new"]),
];

pub const ALERTS: RegisterSpec = RegisterSpec {
    name: "alerts",
    table: "alerts",
    ref_prefix: "ALR",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("last_seen", FieldKind::DateTime)
            .required()
            .system()
            .list()
            .sortable(),
        FieldSpec::new("level", FieldKind::Enum(ALERT_LEVELS))
            .required()
            .system()
            .list()
            .filter(),
        FieldSpec::new("title", FieldKind::Text { max: 1_000 })
            .required()
            .system()
            .list()
            .sortable(),
        FieldSpec::new("count", FieldKind::Integer)
            .required()
            .system()
            .list()
            .sortable(),
        FieldSpec::new("status", FieldKind::Enum(ALERT_STATUSES))
            .required()
            .list()
            .filter()
            .moves(ALERT_MOVES),
        FieldSpec::new("first_seen", FieldKind::DateTime)
            .required()
            .system()
            .sortable(),
        FieldSpec::new("tags", FieldKind::Text { max: 2_000 })
            .required()
            .system(),
        FieldSpec::new("rule_id", FieldKind::Text { max: 200 })
            .system()
            .filter(),
        FieldSpec::new("dedup_key", FieldKind::Text { max: 4_000 })
            .required()
            .system(),
        FieldSpec::new("detail", FieldKind::LongText).system(),
    ],
    title_fields: &["title"],
    audit_reads: false,
    history: false,
    rollups: &[],
    links: &[],
    people_create: false,
    on_create: crate::register::OnCreate::Nothing,
    propagate: &[],
    default_sort: "-last_seen",
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |_, _| Vec::new(),
    choices: |_, _| None,
};

/// Whether a status closes the alert.
pub fn is_closed(status: &str) -> bool {
    matches!(status, "false_positive" | "resolved")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::Record;

    fn with_status(status: &str) -> Record {
        Record::of_texts(&[("status", status)])
    }

    fn can_move(from: &str, to: &str) -> bool {
        from != to
            && ALERTS
                .check_change(&with_status(from), &with_status(to), &with_status(to))
                .is_empty()
    }

    #[test]
    fn triage_follows_the_lifecycle() {
        assert!(can_move("new", "acknowledged"));
        assert!(can_move("acknowledged", "false_positive"));
        assert!(can_move("escalated", "resolved"));
        assert!(!can_move("escalated", "false_positive"));
        assert!(!can_move("acknowledged", "new"));
        assert!(can_move("resolved", "new"));
        assert!(!can_move("resolved", "escalated"));
        let errors = ALERTS.check_change(
            &with_status("escalated"),
            &with_status("new"),
            &with_status("new"),
        );
        assert_eq!(
            errors[0].message,
            "cannot move from escalated to new; from escalated it may move to: resolved"
        );
        // Every status has its moves, and every move leads to a status.
        for status in ALERT_STATUSES {
            let next = ALERTS.field("status").and_then(|f| f.next_values(status));
            assert!(next.is_some_and(|n| n.len() > 1), "{status}");
        }
        for (from, to) in ALERT_MOVES {
            assert!(ALERT_STATUSES.contains(from));
            assert!(to.iter().all(|t| ALERT_STATUSES.contains(t)));
        }
        let closed: Vec<&str> = ALERT_STATUSES
            .iter()
            .copied()
            .filter(|s| is_closed(s))
            .collect();
        assert_eq!(closed, ["false_positive", "resolved"]);
    }
}
