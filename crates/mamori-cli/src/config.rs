//! Configuration: defaults, then the TOML file, then `MAMORI_<KEY>`
//! environment variables for every top-level key (`MAMORI_SESSION_IDLE_MINUTES=60`),
//! then command-line flags.

use std::path::Path;

use anyhow::{Context, Result, bail};
use mamori_server::Config;
use serde_json::Value;

use crate::DbArgs;

pub fn load(file: Option<&Path>, db: &DbArgs) -> Result<Config> {
    let defaults = serde_json::to_value(Config::default()).context("default configuration")?;
    let mut merged = match file {
        Some(path) => read(path)?,
        None if Path::new("mamori.toml").exists() => read(Path::new("mamori.toml"))?,
        None => Value::Object(Default::default()),
    };
    let Value::Object(map) = &mut merged else {
        bail!("the configuration file must be a TOML table");
    };
    let keys: Vec<String> = defaults
        .as_object()
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default();
    // Tables (the classification, the risk matrix, the questionnaire) are
    // set in the file only.
    for key in keys.iter().filter(|k| !defaults[k.as_str()].is_object()) {
        if let Ok(raw) = std::env::var(format!("MAMORI_{}", key.to_uppercase())) {
            map.insert(key.clone(), env_value(&raw, &defaults[key.as_str()]));
        }
    }
    if let Some(dir) = &db.data_dir {
        map.insert("data_dir".into(), Value::String(dir.display().to_string()));
    }
    if let Some(url) = &db.database_url {
        map.insert("database_url".into(), Value::String(url.clone()));
    }
    let cfg: Config = serde_json::from_value(merged).context("invalid configuration")?;
    cfg.validate().map_err(anyhow::Error::msg)?;
    Ok(cfg)
}

/// An environment value typed like the default it overrides.
fn env_value(raw: &str, default: &Value) -> Value {
    match default {
        Value::Bool(_) => Value::Bool(matches!(raw.trim(), "1" | "true" | "yes" | "on")),
        Value::Number(_) => raw
            .trim()
            .parse::<i64>()
            .map_or_else(|_| Value::String(raw.to_owned()), Value::from),
        // Lists (rule folders, indicator files) are comma-separated.
        Value::Array(_) => Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| Value::String(p.to_owned()))
                .collect(),
        ),
        _ => Value::String(raw.to_owned()),
    }
}

fn read(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    let table: toml::Table = toml::from_str(&text).with_context(|| {
        format!(
            "the configuration file {} is not valid TOML",
            path.display()
        )
    })?;
    serde_json::to_value(table)
        .with_context(|| format!("the configuration file {} is not valid", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Config> {
        let dir = std::env::temp_dir().join(format!("mamori-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("mamori.toml");
        std::fs::write(&path, text).expect("write");
        let loaded = load(Some(&path), &DbArgs::default());
        let _ = std::fs::remove_dir_all(&dir);
        loaded
    }

    /// The README's example file is a valid configuration and means what it says.
    #[test]
    fn the_readme_example_loads() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
                .expect("README");
        let start = readme.find("```toml\nlisten").expect("the example") + "```toml\n".len();
        let end = start + readme[start..].find("```").expect("its end");
        let cfg = load_text(&readme[start..end]).expect("valid");
        assert_eq!(
            cfg.risk_matrix,
            mamori_domain::registers::RiskMatrix::default()
        );
        assert_eq!(cfg.cloud_questionnaire.questions.len(), 1);
        assert_eq!(cfg.classification.levels.len(), 4);
        assert_eq!(cfg.breach, mamori_domain::breach::BreachSettings::default());
        assert_eq!(
            cfg.incident_severity,
            mamori_domain::settings::ScaleLevel::default_severity()
        );
        assert!(!cfg.smtp.enabled());
    }

    #[test]
    fn a_bad_matrix_or_questionnaire_is_named() {
        let bad = load_text("[risk_matrix]\nthresholds = [5, 4, 17]\n").expect_err("refused");
        assert!(
            format!("{bad:#}").contains("risk_matrix: thresholds"),
            "{bad:#}"
        );
        let bad = load_text(
            "[[cloud_questionnaire.questions]]\nid = \"Where?\"\nkind = \"text\"\nja = \"場所\"\nen = \"Where\"\n",
        )
        .expect_err("refused");
        assert!(
            format!("{bad:#}").contains("cloud_questionnaire: question 1"),
            "{bad:#}"
        );
        let bad = load_text(
            "[[cloud_questionnaire.questions]]\nid = \"x\"\nkind = \"essay\"\nja = \"場所\"\nen = \"Where\"\n",
        )
        .expect_err("refused");
        assert!(format!("{bad:#}").contains("essay"), "{bad:#}");
    }
}
