//! The risk register (リスク管理台帳): each risk with its threat and
//! vulnerability, likelihood and impact on the risk matrix before and after
//! treatment, its treatment, owner and review date, and — for an accepted
//! risk — who accepted it, why, and until when.
//!
//! Scores and levels are computed by mamori from likelihood and impact
//! ([`RiskMatrix`]); nobody types them.

use chrono::NaiveDate;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::register::{FieldKind, FieldSpec, Moves, Record, RefTarget, RegisterSpec, Value};
use crate::settings::{Choice, Label, RegisterSettings};

/// Likelihood and impact steps, "1" (rare, negligible) upward; the matrix
/// in force uses the first few (five by default, at most nine).
pub const RISK_SCALE: &[&str] = &["1", "2", "3", "4", "5", "6", "7", "8", "9"];
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

/// The risk matrix (リスクマトリクス): its likelihood and impact steps with
/// their labels, and the level of each cell. Score = likelihood × impact.
/// A cell's level comes from `cells` when given (rows from the highest
/// impact down, likelihood left to right, as the heat map draws them),
/// else from the score against `thresholds`. The default is the common
/// 5 × 5 with levels at scores 1–4, 5–9, 10–16 and 17–25.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskMatrix {
    pub likelihood: Vec<Label>,
    pub impact: Vec<Label>,
    /// The lowest score of each level above the first (medium, high,
    /// critical).
    pub thresholds: [i64; 3],
    /// Level codes per cell; empty to use the thresholds.
    pub cells: Vec<Vec<String>>,
}

impl Default for RiskMatrix {
    fn default() -> Self {
        RiskMatrix {
            likelihood: vec![
                Label::new("ほとんどない", "Rare"),
                Label::new("起こりにくい", "Unlikely"),
                Label::new("起こりうる", "Possible"),
                Label::new("起こりやすい", "Likely"),
                Label::new("ほぼ確実", "Almost certain"),
            ],
            impact: vec![
                Label::new("軽微", "Negligible"),
                Label::new("小", "Minor"),
                Label::new("中", "Moderate"),
                Label::new("大", "Major"),
                Label::new("甚大", "Severe"),
            ],
            thresholds: [5, 10, 17],
            cells: Vec::new(),
        }
    }
}

impl RiskMatrix {
    pub fn score(likelihood: i64, impact: i64) -> i64 {
        likelihood * impact
    }

    /// The level of the cell at `likelihood` and `impact` (from 1).
    pub fn level(&self, likelihood: i64, impact: i64) -> &'static str {
        let from_cells = usize::try_from(impact)
            .ok()
            .and_then(|i| self.impact.len().checked_sub(i))
            .and_then(|row| self.cells.get(row))
            .zip(usize::try_from(likelihood - 1).ok())
            .and_then(|(row, l)| row.get(l))
            .and_then(|code| RISK_LEVELS.iter().find(|c| **c == code.as_str()));
        if let Some(code) = from_cells {
            return code;
        }
        let score = Self::score(likelihood, impact);
        let above = self.thresholds.iter().filter(|t| score >= **t).count();
        RISK_LEVELS[above]
    }

    /// The steps of an axis (`likelihood` or `impact`) as choices.
    pub fn steps(&self, axis: &str) -> &[Label] {
        if axis == "likelihood" {
            &self.likelihood
        } else {
            &self.impact
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        for (axis, steps) in [("likelihood", &self.likelihood), ("impact", &self.impact)] {
            if !(2..=RISK_SCALE.len()).contains(&steps.len()) {
                return Err(format!(
                    "{axis} has {} steps; a matrix has 2 to {}",
                    steps.len(),
                    RISK_SCALE.len()
                ));
            }
            for (n, label) in steps.iter().enumerate() {
                label.validate(&format!("{axis} step {}", n + 1))?;
            }
        }
        let top = (self.likelihood.len() * self.impact.len()) as i64;
        let t = self.thresholds;
        if !(1 < t[0] && t[0] < t[1] && t[1] < t[2] && t[2] <= top + 1) {
            return Err(format!(
                "thresholds {t:?} must rise strictly, from above 1 up to at most {}",
                top + 1
            ));
        }
        if !self.cells.is_empty() {
            if self.cells.len() != self.impact.len() {
                return Err(format!(
                    "cells has {} rows; the matrix has {} impact steps",
                    self.cells.len(),
                    self.impact.len()
                ));
            }
            for (n, row) in self.cells.iter().enumerate() {
                if row.len() != self.likelihood.len() {
                    return Err(format!(
                        "cells row {} has {} levels; the matrix has {} likelihood steps",
                        n + 1,
                        row.len(),
                        self.likelihood.len()
                    ));
                }
                if let Some(bad) = row.iter().find(|c| !RISK_LEVELS.contains(&c.as_str())) {
                    return Err(format!(
                        "cells row {} has {bad:?}; levels are {}",
                        n + 1,
                        RISK_LEVELS.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }
}

pub const RISKS: RegisterSpec = RegisterSpec {
    name: "risks",
    table: "risks",
    ref_prefix: "RSK",
    ref_yearly: false,
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
    rollups: &[
        &["inherent_likelihood", "inherent_impact"],
        &["residual_likelihood", "residual_impact"],
    ],
    links: &["assets"],
    people_create: true,
    on_create: crate::register::OnCreate::Nothing,
    propagate: &[],
    default_sort: "-inherent_score",
    derive,
    notices,
    check,
    choices: matrix_choices,
};

/// Likelihood and impact are offered as the matrix's steps, labelled
/// (here and wherever a register states where a risk stands).
pub(crate) fn matrix_choices(field: &str, settings: &RegisterSettings) -> Option<Vec<Choice>> {
    let axis = field.rsplit('_').next()?;
    if !matches!(
        field,
        "inherent_likelihood" | "inherent_impact" | "residual_likelihood" | "residual_impact"
    ) {
        return None;
    }
    Some(
        settings
            .risk_matrix
            .steps(axis)
            .iter()
            .enumerate()
            .map(|(n, label)| Choice {
                value: (n + 1).to_string(),
                label: Label::new(
                    &format!("{} {}", n + 1, label.ja),
                    &format!("{} {}", n + 1, label.en),
                ),
            })
            .collect(),
    )
}

fn scale(record: &Record, field: &str) -> Option<i64> {
    record.text(field)?.parse().ok()
}

/// Scores and levels from likelihood and impact on the matrix in force.
fn derive(record: &mut Record, settings: &RegisterSettings) {
    let matrix = &settings.risk_matrix;
    for (prefix, required) in [("inherent", true), ("residual", false)] {
        let pair = (
            scale(record, &format!("{prefix}_likelihood")),
            scale(record, &format!("{prefix}_impact")),
        );
        let (score, level) = match pair {
            (Some(l), Some(i)) => (
                Value::Int(RiskMatrix::score(l, i)),
                Value::Text(matrix.level(l, i).to_owned()),
            ),
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

fn check(record: &Record, settings: &RegisterSettings) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let matrix = &settings.risk_matrix;
    for prefix in ["inherent", "residual"] {
        for axis in ["likelihood", "impact"] {
            let field = format!("{prefix}_{axis}");
            let steps = matrix.steps(axis).len();
            if let Some(v) = scale(record, &field)
                && v as usize > steps
            {
                errors.push(FieldError::new(
                    &field,
                    format!("is {v}, beyond the risk matrix's {steps} {axis} steps"),
                ));
            }
        }
    }
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
        Record::of_texts(pairs)
    }

    #[test]
    fn scores_and_levels_follow_the_matrix() {
        let m = RiskMatrix::default();
        let levels: Vec<&str> = [
            (1, 1),
            (2, 2),
            (1, 5),
            (3, 3),
            (2, 5),
            (4, 4),
            (4, 5),
            (5, 5),
        ]
        .iter()
        .map(|(l, i)| m.level(*l, *i))
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
        let settings = RegisterSettings::default();
        derive(&mut r, &settings);
        assert_eq!(*r.get("inherent_score"), Value::Int(20));
        assert_eq!(r.text("inherent_level"), Some("critical"));
        assert_eq!(*r.get("residual_score"), Value::Int(6));
        assert_eq!(r.text("residual_level"), Some("medium"));
        // Taking the residual assessment away takes its score away.
        r.values.insert("residual_impact", Value::Null);
        derive(&mut r, &settings);
        assert_eq!(*r.get("residual_score"), Value::Null);
        assert_eq!(check(&r, &settings)[0].field, "residual_impact");
    }

    fn three_by_four() -> RiskMatrix {
        let step = |n: usize| Label::new(&format!("段階{n}"), &format!("step {n}"));
        RiskMatrix {
            likelihood: (1..=3).map(step).collect(),
            impact: (1..=4).map(step).collect(),
            thresholds: [3, 6, 9],
            cells: vec![
                vec!["high".into(), "critical".into(), "critical".into()],
                vec!["medium".into(), "high".into(), "critical".into()],
                vec!["low".into(), "medium".into(), "high".into()],
                vec!["low".into(), "low".into(), "medium".into()],
            ],
        }
    }

    #[test]
    fn a_configured_matrix_sets_levels_and_bounds_steps() {
        let mut m = three_by_four();
        assert_eq!(m.validate(), Ok(()));
        // Rows run from the highest impact down.
        assert_eq!(m.level(1, 4), "high");
        assert_eq!(m.level(3, 1), "medium");
        assert_eq!(m.level(1, 1), "low");
        let settings = RegisterSettings {
            risk_matrix: m.clone(),
            ..RegisterSettings::default()
        };
        let mut r = risk(&[("inherent_likelihood", "3"), ("inherent_impact", "4")]);
        derive(&mut r, &settings);
        assert_eq!(r.text("inherent_level"), Some("critical"));
        assert_eq!(*r.get("inherent_score"), Value::Int(12));
        let beyond = risk(&[("inherent_likelihood", "4"), ("inherent_impact", "4")]);
        let errors = check(&beyond, &settings);
        assert_eq!(errors[0].field, "inherent_likelihood");
        assert!(errors[0].message.contains("3 likelihood steps"));
        let offered = matrix_choices("residual_impact", &settings).expect("a scale");
        assert_eq!(offered.len(), 4);
        assert_eq!(offered[3].label.en, "4 step 4");
        assert!(matrix_choices("title", &settings).is_none());
        // Without cells, the thresholds decide.
        m.cells.clear();
        assert_eq!(m.level(3, 2), "high");
    }

    #[test]
    fn bad_matrices_are_named() {
        let mut m = three_by_four();
        m.cells[2].push("low".into());
        assert!(m.validate().expect_err("refused").contains("row 3"));
        let mut m = three_by_four();
        m.cells[0][0] = "severe".into();
        assert!(m.validate().expect_err("refused").contains("\"severe\""));
        let mut m = three_by_four();
        m.thresholds = [3, 3, 9];
        assert!(m.validate().expect_err("refused").contains("thresholds"));
        let mut m = three_by_four();
        m.likelihood.truncate(1);
        assert!(m.validate().expect_err("refused").contains("2 to 9"));
        let mut m = three_by_four();
        m.impact[1].ja = " ".into();
        assert!(m.validate().expect_err("refused").contains("impact step 2"));
    }

    #[test]
    fn acceptance_needs_approver_reason_and_expiry() {
        let r = risk(&[("treatment", "accept"), ("status", "accepted")]);
        let fields: Vec<String> = check(&r, &RegisterSettings::default())
            .into_iter()
            .map(|e| e.field)
            .collect();
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
