//! The risk register (リスク管理台帳): each risk with its threat and
//! vulnerability, likelihood and impact on the risk matrix before and after
//! treatment, its treatment, owner and review date, and — for an accepted
//! risk — who accepted it, why, and until when.
//!
//! Scores and levels are computed by mamori from likelihood and impact
//! ([`RiskMatrix`]); nobody types them.

use chrono::NaiveDate;

use crate::error::FieldError;
use crate::register::{FieldKind, FieldSpec, Moves, Record, RefTarget, RegisterSpec, Value};

/// Likelihood and impact: 1 (rare, negligible) to 5 (almost certain, severe).
pub const RISK_SCALE: &[&str] = &["1", "2", "3", "4", "5"];
/// Risk levels, lowest first.
pub const RISK_LEVELS: &[&str] = &["low", "medium", "high", "critical"];
pub const RISK_TREATMENTS: &[&str] = &["mitigate", "accept", "transfer", "avoid"];
pub const RISK_STATUSES: &[&str] = &["identified", "assessed", "treating", "accepted", "closed"];

/// A risk is identified, assessed, treated (or accepted), then closed; a
/// closed or accepted risk may be reassessed.
pub const RISK_MOVES: Moves = &[
    ("identified", &["assessed", "closed"]),
    ("assessed", &["treating", "accepted", "closed"]),
    ("treating", &["assessed", "accepted", "closed"]),
    ("accepted", &["assessed", "treating", "closed"]),
    ("closed", &["assessed"]),
];

/// The risk matrix: score = likelihood × impact, and the level of a score.
/// The default is the common 5 × 5 with levels at 1–4, 5–9, 10–16, 17–25.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskMatrix {
    /// The lowest score of each level above the first (medium, high,
    /// critical).
    pub thresholds: [i64; 3],
}

impl Default for RiskMatrix {
    fn default() -> Self {
        RiskMatrix {
            thresholds: [5, 10, 17],
        }
    }
}

impl RiskMatrix {
    pub fn score(likelihood: i64, impact: i64) -> i64 {
        likelihood * impact
    }

    pub fn level(&self, score: i64) -> &'static str {
        let above = self.thresholds.iter().filter(|t| score >= **t).count();
        RISK_LEVELS[above]
    }
}

pub const RISKS: RegisterSpec = RegisterSpec {
    name: "risks",
    table: "risks",
    ref_prefix: "RSK",
    fields: &[
        FieldSpec::new("title", FieldKind::Text { max: 200 })
            .required()
            .list()
            .sortable(),
        FieldSpec::new("inherent_level", FieldKind::Enum(RISK_LEVELS))
            .required()
            .system()
            .list()
            .filter(),
        FieldSpec::new("inherent_score", FieldKind::Integer)
            .required()
            .system()
            .list()
            .sortable(),
        FieldSpec::new("residual_level", FieldKind::Enum(RISK_LEVELS))
            .system()
            .list()
            .filter(),
        FieldSpec::new("status", FieldKind::Enum(RISK_STATUSES))
            .required()
            .list()
            .filter()
            .moves(RISK_MOVES),
        FieldSpec::new("owner", FieldKind::Reference(RefTarget::Person))
            .list()
            .filter(),
        FieldSpec::new("review_date", FieldKind::Date)
            .list()
            .sortable(),
        FieldSpec::new("description", FieldKind::LongText),
        FieldSpec::new("asset", FieldKind::Reference(RefTarget::Asset)).filter(),
        FieldSpec::new("threat", FieldKind::Text { max: 500 }),
        FieldSpec::new("vulnerability", FieldKind::Text { max: 500 }),
        FieldSpec::new("inherent_likelihood", FieldKind::Enum(RISK_SCALE))
            .required()
            .filter(),
        FieldSpec::new("inherent_impact", FieldKind::Enum(RISK_SCALE))
            .required()
            .filter(),
        FieldSpec::new("treatment", FieldKind::Enum(RISK_TREATMENTS)).filter(),
        FieldSpec::new("residual_likelihood", FieldKind::Enum(RISK_SCALE)).filter(),
        FieldSpec::new("residual_impact", FieldKind::Enum(RISK_SCALE)).filter(),
        FieldSpec::new("residual_score", FieldKind::Integer)
            .system()
            .sortable(),
        FieldSpec::new(
            "acceptance_approver",
            FieldKind::Reference(RefTarget::Person),
        ),
        FieldSpec::new("acceptance_reason", FieldKind::LongText),
        FieldSpec::new("acceptance_expiry", FieldKind::Date).sortable(),
    ],
    title_fields: &["title"],
    audit_reads: false,
    history: true,
    people_create: true,
    default_sort: "-inherent_score",
    derive,
    notices,
    check,
};

fn scale(record: &Record, field: &str) -> Option<i64> {
    record.text(field)?.parse().ok()
}

/// Scores and levels from likelihood and impact on the default matrix.
fn derive(record: &mut Record) {
    let matrix = RiskMatrix::default();
    for (prefix, required) in [("inherent", true), ("residual", false)] {
        let pair = (
            scale(record, &format!("{prefix}_likelihood")),
            scale(record, &format!("{prefix}_impact")),
        );
        let (score, level) = match pair {
            (Some(l), Some(i)) => {
                let score = RiskMatrix::score(l, i);
                (
                    Value::Int(score),
                    Value::Text(matrix.level(score).to_owned()),
                )
            }
            // A required pair left out is reported by the required check.
            _ if required => continue,
            _ => (Value::Null, Value::Null),
        };
        let (score_field, level_field) = if required {
            ("inherent_score", "inherent_level")
        } else {
            ("residual_score", "residual_level")
        };
        record.values.insert(score_field, score);
        record.values.insert(level_field, level);
    }
}

fn check(record: &Record) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let residual = (
        scale(record, "residual_likelihood"),
        scale(record, "residual_impact"),
    );
    if residual.0.is_some() != residual.1.is_some() {
        let missing = if residual.0.is_none() {
            "residual_likelihood"
        } else {
            "residual_impact"
        };
        errors.push(FieldError::new(
            missing,
            "residual likelihood and impact are given together",
        ));
    }
    let accepted =
        record.text("treatment") == Some("accept") || record.text("status") == Some("accepted");
    if accepted {
        for field in [
            "acceptance_approver",
            "acceptance_reason",
            "acceptance_expiry",
        ] {
            if *record.get(field) == Value::Null {
                errors.push(FieldError::new(
                    field,
                    "is required when the risk is accepted",
                ));
            }
        }
    }
    errors
}

fn notices(record: &Record, today: NaiveDate) -> Vec<&'static str> {
    if acceptance_expired(record, today) {
        vec!["notice.acceptance_expired"]
    } else {
        Vec::new()
    }
}

/// Whether an accepted risk's acceptance has run out on `today` (shown as
/// overdue).
pub fn acceptance_expired(record: &Record, today: NaiveDate) -> bool {
    matches!(record.get("acceptance_expiry"), Value::Date(d) if *d < today)
        && record.text("status") == Some("accepted")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn risk(pairs: &[(&'static str, &str)]) -> Record {
        let mut r = Record::default();
        for (k, v) in pairs {
            r.values.insert(k, Value::Text((*v).to_owned()));
        }
        r
    }

    #[test]
    fn scores_and_levels_follow_the_matrix() {
        let m = RiskMatrix::default();
        let levels: Vec<&str> = [1, 4, 5, 9, 10, 16, 17, 25]
            .iter()
            .map(|s| m.level(*s))
            .collect();
        assert_eq!(
            levels,
            [
                "low", "low", "medium", "medium", "high", "high", "critical", "critical"
            ]
        );
        let mut r = risk(&[
            ("inherent_likelihood", "4"),
            ("inherent_impact", "5"),
            ("residual_likelihood", "2"),
            ("residual_impact", "3"),
        ]);
        derive(&mut r);
        assert_eq!(*r.get("inherent_score"), Value::Int(20));
        assert_eq!(r.text("inherent_level"), Some("critical"));
        assert_eq!(*r.get("residual_score"), Value::Int(6));
        assert_eq!(r.text("residual_level"), Some("medium"));
        // Taking the residual assessment away takes its score away.
        r.values.insert("residual_impact", Value::Null);
        derive(&mut r);
        assert_eq!(*r.get("residual_score"), Value::Null);
        assert_eq!(check(&r)[0].field, "residual_impact");
    }

    #[test]
    fn acceptance_needs_approver_reason_and_expiry() {
        let r = risk(&[("treatment", "accept"), ("status", "accepted")]);
        let fields: Vec<String> = check(&r).into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "acceptance_approver",
                "acceptance_reason",
                "acceptance_expiry"
            ]
        );
        let mut r = r;
        let day = NaiveDate::from_ymd_opt(2026, 3, 31).expect("date");
        r.values.insert("acceptance_expiry", Value::Date(day));
        assert!(acceptance_expired(&r, day.succ_opt().expect("next day")));
        assert!(!acceptance_expired(&r, day));
    }
}
