//! Alert triage: the statuses an alert moves through and which moves are allowed.

/// `new` → `acknowledged` → `escalated` (an incident was opened) → `resolved`;
/// any open alert may be closed as `false_positive` or `resolved`; a closed
/// one may be reopened (`new`).
pub const STATUSES: &[&str] = &[
    "new",
    "acknowledged",
    "escalated",
    "false_positive",
    "resolved",
];

pub fn is_closed(status: &str) -> bool {
    matches!(status, "false_positive" | "resolved")
}

/// Whether an alert may move from one status to another.
pub fn can_move(from: &str, to: &str) -> bool {
    if from == to || !STATUSES.contains(&from) || !STATUSES.contains(&to) {
        return false;
    }
    match from {
        "new" => true,
        "acknowledged" => to != "new",
        "escalated" => to == "resolved",
        _ => to == "new",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves() {
        assert!(can_move("new", "acknowledged"));
        assert!(can_move("acknowledged", "false_positive"));
        assert!(can_move("escalated", "resolved"));
        assert!(!can_move("escalated", "false_positive"));
        assert!(can_move("resolved", "new"));
        assert!(!can_move("resolved", "escalated"));
        assert!(!can_move("new", "new"));
        assert!(!can_move("new", "deleted"));
        let closed: Vec<&str> = STATUSES.iter().copied().filter(|s| is_closed(s)).collect();
        assert_eq!(closed, ["false_positive", "resolved"]);
    }
}
