//! Handling classification (情報取り扱い区分).
//!
//! Levels are ordered from least to most restricted. Their codes are stable
//! identifiers stored with each asset; their names are configurable.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheme {
    pub levels: Vec<Level>,
}

impl Default for Scheme {
    fn default() -> Self {
        let level = |code: &str, ja: &str, en: &str| Level {
            code: code.to_owned(),
            name_ja: ja.to_owned(),
            name_en: en.to_owned(),
        };
        Self {
            levels: vec![
                level("public", "公開", "Public"),
                level("internal", "社内限り", "Internal use only"),
                level("confidential", "機密", "Confidential"),
                level("secret", "極秘", "Strictly confidential"),
            ],
        }
    }
}

impl Scheme {
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.levels.iter().map(|l| l.code.as_str())
    }

    pub fn get(&self, code: &str) -> Option<&Level> {
        self.levels.iter().find(|l| l.code == code)
    }

    /// A scheme must name at least two levels with unique, simple codes.
    pub fn validate(&self) -> Result<(), String> {
        if self.levels.len() < 2 {
            return Err("a classification scheme needs at least two levels".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for level in &self.levels {
            let ok = !level.code.is_empty()
                && level.code.len() <= 32
                && level
                    .code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(format!(
                    "classification code {:?} must be 1-32 characters of a-z, 0-9 or _",
                    level.code
                ));
            }
            if !seen.insert(level.code.as_str()) {
                return Err(format!(
                    "classification code {:?} appears twice",
                    level.code
                ));
            }
            if level.name_ja.trim().is_empty() || level.name_en.trim().is_empty() {
                return Err(format!(
                    "classification {:?} needs a Japanese and an English name",
                    level.code
                ));
            }
        }
        Ok(())
    }
}
