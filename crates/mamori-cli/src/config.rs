//! Configuration: defaults, then the TOML file, then `MAMORI_*` environment
//! variables and command-line flags (clap reads both).

use std::path::Path;

use anyhow::{Context, Result};
use mamori_server::Config;

use crate::DbArgs;

pub fn load(file: Option<&Path>, db: &DbArgs) -> Result<Config> {
    let mut cfg = match file {
        Some(path) => read(path)?,
        None if Path::new("mamori.toml").exists() => read(Path::new("mamori.toml"))?,
        None => Config::default(),
    };
    if let Some(dir) = &db.data_dir {
        cfg.data_dir = dir.clone();
    }
    if let Some(url) = &db.database_url {
        cfg.database_url = url.clone();
    }
    if let Ok(v) = std::env::var("MAMORI_SECURE_COOKIES") {
        cfg.secure_cookies = matches!(v.as_str(), "1" | "true" | "yes");
    }
    if let Ok(v) = std::env::var("MAMORI_TIME_ZONE") {
        cfg.time_zone = v;
    }
    cfg.validate().map_err(anyhow::Error::msg)?;
    Ok(cfg)
}

fn read(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("the configuration file {} is not valid", path.display()))
}
