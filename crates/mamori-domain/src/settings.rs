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
    /// The incident severity scale (重大度), least severe first.
    pub incident_severity: Vec<ScaleLevel>,
}

impl Default for RegisterSettings {
    fn default() -> Self {
        RegisterSettings {
            risk_matrix: RiskMatrix::default(),
            cloud_questionnaire: Questionnaire::default(),
            zone: chrono_tz::Asia::Tokyo,
            breach: crate::breach::BreachSettings::default(),
            incident_severity: ScaleLevel::default_severity(),
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
        self.breach.validate().map_err(|e| format!("breach: {e}"))?;
        ScaleLevel::validate_scale(&self.incident_severity)
            .map_err(|e| format!("incident_severity: {e}"))
    }

    /// The levels of a configured scale ([`FieldKind::Scale`]), least
    /// severe first.
    ///
    /// [`FieldKind::Scale`]: crate::register::FieldKind::Scale
    pub fn scale(&self, name: &str) -> Option<&[ScaleLevel]> {
        (name == INCIDENT_SEVERITY).then_some(self.incident_severity.as_slice())
    }

    /// The level `code` of scale `name`, if the scale has it.
    pub fn level(&self, name: &str, code: &str) -> Option<&ScaleLevel> {
        self.scale(name)?.iter().find(|l| l.code == code)
    }

    /// Where `code` stands on scale `name` (0 for the least severe).
    pub fn rank(&self, name: &str, code: &str) -> Option<usize> {
        self.scale(name)?.iter().position(|l| l.code == code)
    }

    /// The questionnaire a register's answers field answers.
    pub fn questionnaire(&self, register: &str) -> Option<&Questionnaire> {
        (register == crate::registers::CLOUD_ASSESSMENTS.name).then_some(&self.cloud_questionnaire)
    }
}

/// The name of the incident severity scale.
pub const INCIDENT_SEVERITY: &str = "incident_severity";

/// One level of a configured scale: its code (what records store and the
/// API takes) and its name in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleLevel {
    pub code: String,
    pub ja: String,
    pub en: String,
}

impl ScaleLevel {
    fn new(code: &str, ja: &str, en: &str) -> Self {
        ScaleLevel {
            code: code.to_owned(),
            ja: ja.to_owned(),
            en: en.to_owned(),
        }
    }

    /// The seed group's four levels.
    pub fn default_severity() -> Vec<ScaleLevel> {
        vec![
            ScaleLevel::new("low", "低", "Low"),
            ScaleLevel::new("medium", "中", "Medium"),
            ScaleLevel::new("high", "高", "High"),
            ScaleLevel::new("critical", "緊急", "Critical"),
        ]
    }

    pub fn label(&self) -> Label {
        Label::new(&self.ja, &self.en)
    }

    /// 2 to 9 levels, codes of 1 to 32 lowercase letters, digits or `_`,
    /// each once, each named in both languages.
    pub fn validate_scale(levels: &[ScaleLevel]) -> Result<(), String> {
        if !(2..=9).contains(&levels.len()) {
            return Err(format!("needs 2 to 9 levels, not {}", levels.len()));
        }
        for (n, level) in levels.iter().enumerate() {
            let code = &level.code;
            if code.is_empty()
                || code.len() > 32
                || !code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(format!(
                    "level {} has code {code:?}: use 1 to 32 lowercase letters, digits or _",
                    n + 1
                ));
            }
            if levels[..n].iter().any(|l| l.code == *code) {
                return Err(format!("code {code:?} appears twice"));
            }
            level.label().validate(&format!("level {code:?}"))?;
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scale_is_two_to_nine_named_levels_of_distinct_codes() {
        let level = |code: &str| ScaleLevel::new(code, "名前", "Name");
        assert!(ScaleLevel::validate_scale(&ScaleLevel::default_severity()).is_ok());
        assert!(ScaleLevel::validate_scale(&[level("only")]).is_err());
        assert!(
            ScaleLevel::validate_scale(&vec![level("a"); 2]).is_err(),
            "twice"
        );
        let ten: Vec<ScaleLevel> = (0..10).map(|n| level(&format!("s{n}"))).collect();
        assert!(ScaleLevel::validate_scale(&ten).is_err());
        for bad in ["", "High", "s 1", "重大"] {
            assert!(
                ScaleLevel::validate_scale(&[level(bad), level("ok")]).is_err(),
                "{bad:?}"
            );
        }
        let unnamed = ScaleLevel::new("s1", "", "Minor");
        assert!(ScaleLevel::validate_scale(&[unnamed, level("s2")]).is_err());
        let settings = RegisterSettings::default();
        assert_eq!(settings.rank(INCIDENT_SEVERITY, "high"), Some(2));
        assert_eq!(settings.rank(INCIDENT_SEVERITY, "nope"), None);
        assert!(settings.scale("other").is_none());
    }
}
