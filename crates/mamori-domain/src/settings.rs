//! The group's own methodology, which registers compute and check against:
//! the risk matrix (its steps, their labels, the level of each cell) and the
//! questionnaire every cloud service answers. Both are set in the
//! configuration file beside the handling classification and default to
//! what the seed group uses; see the README's configuration section.

use serde::{Deserialize, Serialize};

use crate::registers::{Questionnaire, RiskMatrix};

/// Everything a register's rules may read besides the record itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterSettings {
    pub risk_matrix: RiskMatrix,
    pub cloud_questionnaire: Questionnaire,
    /// The group's time zone: the year of a yearly reference number
    /// (`INC-2026-0042`) is the year there when the record is made, and
    /// breach deadlines end at midnight there.
    pub zone: chrono_tz::Tz,
    /// The group's targets for breach reports the law leaves open.
    pub breach: crate::breach::BreachSettings,
}

impl Default for RegisterSettings {
    fn default() -> Self {
        RegisterSettings {
            risk_matrix: RiskMatrix::default(),
            cloud_questionnaire: Questionnaire::default(),
            zone: chrono_tz::Asia::Tokyo,
            breach: crate::breach::BreachSettings::default(),
        }
    }
}

impl RegisterSettings {
    pub fn validate(&self) -> Result<(), String> {
        self.risk_matrix
            .validate()
            .map_err(|e| format!("risk_matrix: {e}"))?;
        self.cloud_questionnaire
            .validate()
            .map_err(|e| format!("cloud_questionnaire: {e}"))?;
        self.breach.validate().map_err(|e| format!("breach: {e}"))
    }

    /// The questionnaire a register's answers field answers.
    pub fn questionnaire(&self, register: &str) -> Option<&Questionnaire> {
        (register == crate::registers::CLOUD_ASSESSMENTS.name).then_some(&self.cloud_questionnaire)
    }
}

/// A name in both languages: a matrix step, a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub ja: String,
    pub en: String,
}

impl Label {
    pub fn new(ja: &str, en: &str) -> Self {
        Label {
            ja: ja.to_owned(),
            en: en.to_owned(),
        }
    }

    pub fn get(&self, ja: bool) -> &str {
        if ja { &self.ja } else { &self.en }
    }

    pub(crate) fn validate(&self, what: &str) -> Result<(), String> {
        for (lang, text) in [("ja", &self.ja), ("en", &self.en)] {
            let length = text.trim().chars().count();
            if length == 0 || length > 200 {
                return Err(format!(
                    "{what} needs a {lang} label of 1 to 200 characters"
                ));
            }
        }
        Ok(())
    }
}

/// One choice of a field whose choices are configured (a matrix step),
/// labelled in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: Label,
}
