//! The registers mamori keeps. Each is a spec and its rules; see
//! [`crate::register`] for what the kernel derives from them.

mod alerts;
mod assets;
mod cloud_assessments;
mod committees;
mod compliance_assessments;
mod controls;
mod corrective_actions;
mod departments;
mod disclosures;
mod incident_team;
mod incidents;
mod notification;
mod people;
mod playbooks;
mod requirement_assessments;
mod risks;

pub use alerts::{ALERT_LEVELS, ALERT_MOVES, ALERT_STATUSES, ALERTS, is_closed};
pub use assets::{ASSET_KINDS, ASSETS};
pub use cloud_assessments::{
    ANSWER_TEXT_MAX, AnswerKind, CLOUD_ASSESSMENTS, CLOUD_VERDICTS, Question, Questionnaire,
    stored_answers,
};
pub use committees::{COMMITTEE_MEMBERS, COMMITTEE_ROLES, COMMITTEES};
pub use compliance_assessments::{ASSESSMENT_MOVES, ASSESSMENT_STATUSES, COMPLIANCE_ASSESSMENTS};
pub use controls::{CONTROL_CATEGORIES, CONTROL_MOVES, CONTROL_STATUSES, CONTROLS};
pub use corrective_actions::{CAPA_MOVES, CAPA_STATUSES, CORRECTIVE_ACTIONS};
pub use departments::DEPARTMENTS;
pub use disclosures::{DISCLOSURE_MOVES, DISCLOSURE_STATUSES, DISCLOSURES};
pub use incident_team::{INCIDENT_TEAM, TEAM_ROLES};
pub use incidents::{
    DRILLS_PER_FISCAL_YEAR, INCIDENT_CATEGORIES, INCIDENT_MOVES, INCIDENT_STATUSES, INCIDENTS,
    drills_in_fiscal_year, facts as incident_facts,
};
pub use notification::{
    DRILL_INJECTS, DUTY_SHIFTS, DUTY_TIERS, ESCALATION_RULES, MAX_DELAY_MINUTES, MAX_SHIFT_DAYS,
    RULE_EVENTS, on_duty,
};
pub use people::PEOPLE;
pub use playbooks::{
    INCIDENT_TASKS, PLAYBOOKS, TASK_MOVES, TASK_STATUSES, steps as playbook_steps,
};
pub use requirement_assessments::{APPLICABILITY, IMPLEMENTATION, REQUIREMENT_ASSESSMENTS};
pub use risks::{
    RISK_LEVELS, RISK_MOVES, RISK_SCALE, RISK_STATUSES, RISK_TREATMENTS, RISKS, RiskMatrix,
    acceptance_expired,
};

use crate::error::FieldError;
use crate::register::{Record, RegisterSpec};

/// Codes and numbers people type into imports (`AIR-IT`, `JA00123`): letters,
/// digits, `-` and `_` only.
pub(crate) fn check_code(record: &Record, field: &str) -> Option<FieldError> {
    let value = record.text(field)?;
    let ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (!ok).then(|| FieldError::new(field, "may contain only letters, digits, - and _"))
}

/// Every register, in navigation order.
pub const ALL: &[&RegisterSpec] = &[
    &PEOPLE,
    &DEPARTMENTS,
    &ASSETS,
    &COMMITTEES,
    &COMMITTEE_MEMBERS,
    &RISKS,
    &CONTROLS,
    &CLOUD_ASSESSMENTS,
    &REQUIREMENT_ASSESSMENTS,
    &COMPLIANCE_ASSESSMENTS,
    &ALERTS,
    &INCIDENTS,
    &INCIDENT_TASKS,
    &INCIDENT_TEAM,
    &PLAYBOOKS,
    &CORRECTIVE_ACTIONS,
    &DISCLOSURES,
    &DUTY_SHIFTS,
    &ESCALATION_RULES,
    &DRILL_INJECTS,
];

pub fn by_name(name: &str) -> Option<&'static RegisterSpec> {
    ALL.iter().copied().find(|r| r.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::FieldKind;

    /// Four eyes need the history that names who wrote a record.
    #[test]
    fn four_eyes_registers_keep_history() {
        for spec in ALL {
            if spec.fields.iter().any(|f| !f.four_eyes.is_empty()) {
                assert!(spec.history, "{} has four eyes but no history", spec.name);
            }
        }
    }

    /// Links name registers that exist.
    #[test]
    fn links_name_registers() {
        for spec in ALL {
            for other in spec.links {
                assert!(
                    by_name(other).is_some(),
                    "{}: no register {other}",
                    spec.name
                );
            }
        }
        assert!(RISKS.links_with(&CONTROLS) && CONTROLS.links_with(&RISKS));
        assert!(!RISKS.links_with(&PEOPLE));
    }

    /// Rollups name real fields whose values are kept as text keys.
    #[test]
    fn rollups_group_by_up_to_three_keyable_fields() {
        for spec in ALL {
            for group in spec.rollups {
                assert!((1..=3).contains(&group.len()), "{}: {group:?}", spec.name);
                for name in *group {
                    let field = spec
                        .field(name)
                        .unwrap_or_else(|| panic!("{}: no field {name}", spec.name));
                    assert!(
                        matches!(
                            field.kind,
                            FieldKind::Enum(_)
                                | FieldKind::Classification
                                | FieldKind::Text { .. }
                                | FieldKind::Reference(_)
                                | FieldKind::Bool
                        ),
                        "{}.{name} cannot key a rollup",
                        spec.name
                    );
                }
            }
        }
    }
}
