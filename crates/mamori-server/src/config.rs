//! Typed configuration, loaded once by the CLI and passed in.

use std::net::SocketAddr;
use std::path::PathBuf;

use mamori_domain::breach::BreachSettings;
use mamori_domain::classification::Scheme;
use mamori_domain::registers::{Questionnaire, RiskMatrix};
use mamori_domain::settings::{RegisterSettings, ScaleLevel};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Folder for the embedded SQLite database and other files.
    pub data_dir: PathBuf,
    /// `postgres://…` to run on PostgreSQL; empty for SQLite in `data_dir`.
    pub database_url: String,
    /// Public URL people use (printed at start, used in links).
    pub public_url: String,
    /// Minutes of inactivity after which a session ends.
    pub session_idle_minutes: i64,
    /// Hours after login after which a session ends regardless.
    pub session_absolute_hours: i64,
    /// Set the `Secure` cookie flag and HSTS (serve behind TLS).
    pub secure_cookies: bool,
    /// Default time zone for showing dates.
    pub time_zone: String,
    /// Largest request body accepted, in bytes (imports included).
    pub max_body_bytes: usize,
    /// Failed logins allowed per account, and per source address, per window.
    pub login_max_failures_per_account: u32,
    pub login_max_failures_per_address: u32,
    pub login_window_minutes: i64,
    /// People must enrol a TOTP second factor before they may work.
    pub require_totp: bool,
    /// Sigma rule files or folders loaded beside mamori's built-in rules.
    pub rules_dirs: Vec<PathBuf>,
    /// Indicator files (one IP, CIDR, domain, URL or hash per line).
    pub indicator_files: Vec<PathBuf>,
    /// Address for a syslog listener (UDP and TCP on the same port); off
    /// when empty.
    pub syslog_listen: String,
    /// The company code that events arriving by syslog belong to.
    pub syslog_company: String,
    /// URL that new alerts are POSTed to as JSON; off when empty.
    pub alert_webhook: String,
    /// Key that signs webhook bodies (HMAC-SHA256, `X-Mamori-Signature`).
    pub alert_webhook_secret: String,
    /// Handling classification levels (情報取り扱い区分).
    pub classification: Scheme,
    /// The risk matrix: steps, labels, the level of each cell.
    pub risk_matrix: RiskMatrix,
    /// The questions every cloud-service assessment answers.
    pub cloud_questionnaire: Questionnaire,
    /// Targets for breach reports the law leaves open (preliminary report
    /// days, the aviation regulator's hours).
    pub breach: BreachSettings,
    /// The incident severity scale, least severe first
    /// (`[[incident_severity]]` entries with `code`, `ja`, `en`).
    pub incident_severity: Vec<ScaleLevel>,
    /// The SMTP server that notification e-mail goes through; off while
    /// `host` is empty.
    pub smtp: Smtp,
    /// File with the customer-data vault's keys (`id:base64`, one a line,
    /// the sealing key first); `MAMORI_VAULT_KEYS` may give them instead.
    /// The keys themselves never sit in this configuration.
    pub vault_key_file: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("mamori-data"),
            database_url: String::new(),
            public_url: String::new(),
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            secure_cookies: false,
            time_zone: "Asia/Tokyo".into(),
            max_body_bytes: 10 * 1024 * 1024,
            login_max_failures_per_account: 5,
            login_max_failures_per_address: 30,
            login_window_minutes: 15,
            require_totp: true,
            rules_dirs: Vec::new(),
            indicator_files: Vec::new(),
            syslog_listen: String::new(),
            syslog_company: String::new(),
            alert_webhook: String::new(),
            alert_webhook_secret: String::new(),
            classification: Scheme::default(),
            risk_matrix: RiskMatrix::default(),
            cloud_questionnaire: Questionnaire::default(),
            breach: BreachSettings::default(),
            incident_severity: ScaleLevel::default_severity(),
            vault_key_file: String::new(),
            smtp: Smtp::default(),
        }
    }
}

impl Config {
    /// The database URL in force: the configured one, or SQLite in the data folder.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("mamori.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The address people open.
    pub fn base_url(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.trim_end_matches('/').to_owned()
        }
    }

    /// The methodology the registers compute and check against.
    pub fn register_settings(&self) -> RegisterSettings {
        RegisterSettings {
            risk_matrix: self.risk_matrix.clone(),
            cloud_questionnaire: self.cloud_questionnaire.clone(),
            // An unknown zone is refused by validate(); Tokyo until then.
            zone: self.time_zone.parse().unwrap_or(chrono_tz::Asia::Tokyo),
            breach: self.breach,
            incident_severity: self.incident_severity.clone(),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        self.classification.validate()?;
        self.register_settings().validate()?;
        self.time_zone.parse::<chrono_tz::Tz>().map_err(|_| {
            format!(
                "unknown time zone {:?} (use an IANA name such as Asia/Tokyo)",
                self.time_zone
            )
        })?;
        if !self.syslog_listen.is_empty() {
            self.syslog_listen.parse::<SocketAddr>().map_err(|_| {
                format!(
                    "syslog_listen {:?} is not an address such as 0.0.0.0:5514",
                    self.syslog_listen
                )
            })?;
            if self.syslog_company.is_empty() {
                return Err("syslog_company (the company code syslog events belong to) is required with syslog_listen".into());
            }
        }
        if !self.alert_webhook.is_empty()
            && (!(self.alert_webhook.starts_with("https://")
                || self.alert_webhook.starts_with("http://"))
                || self.alert_webhook.chars().any(char::is_whitespace))
        {
            return Err(format!(
                "alert_webhook {:?} is not an http:// or https:// URL",
                self.alert_webhook
            ));
        }
        self.smtp.validate().map_err(|e| format!("smtp: {e}"))?;
        if self.session_idle_minutes < 1 || self.session_absolute_hours < 1 {
            return Err("session lifetimes must be positive".into());
        }
        Ok(())
    }
}

/// How mamori reaches its SMTP server. The password is never written here:
/// it comes from `MAMORI_SMTP_PASSWORD` or the file `password_file` names.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Smtp {
    /// Server name or address; e-mail is off while empty.
    pub host: String,
    /// 0 for the usual port of `security`: 587, 465, or 25.
    pub port: u16,
    /// `starttls` (upgrade a plain connection, usually port 587), `tls`
    /// (TLS from the start, usually 465) or `none` (a relay on a trusted
    /// network, such as the host itself).
    pub security: String,
    /// Account to authenticate as; none when empty.
    pub username: String,
    pub password_file: String,
    /// The sender, such as `mamori <csirt@example.co.jp>`.
    pub from: String,
    /// Seconds one delivery may take.
    pub timeout_seconds: u64,
}

impl Default for Smtp {
    fn default() -> Self {
        Smtp {
            host: String::new(),
            port: 0,
            security: "starttls".into(),
            username: String::new(),
            password_file: String::new(),
            from: String::new(),
            timeout_seconds: 30,
        }
    }
}

impl Smtp {
    pub fn enabled(&self) -> bool {
        !self.host.is_empty()
    }

    pub fn validate(&self) -> Result<(), String> {
        if !self.enabled() {
            return Ok(());
        }
        if !matches!(self.security.as_str(), "starttls" | "tls" | "none") {
            return Err(format!(
                "security {:?} must be starttls, tls or none",
                self.security
            ));
        }
        let local = matches!(self.host.as_str(), "localhost" | "127.0.0.1" | "::1");
        if self.security == "none" && !self.username.is_empty() && !local {
            return Err(
                "a username and password are never sent without TLS: use starttls or tls (or a relay on this host)"
                    .into(),
            );
        }
        self.from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("from {:?} is not an address ({e})", self.from))?;
        if !(1..=600).contains(&self.timeout_seconds) {
            return Err("timeout_seconds must be 1 to 600".into());
        }
        if self.username.is_empty() != self.password().is_none() {
            return Err(
                "give both username and a password (MAMORI_SMTP_PASSWORD or password_file), or neither"
                    .into(),
            );
        }
        Ok(())
    }

    /// The port in force: the configured one, or the usual one for
    /// `security`.
    pub fn port(&self) -> u16 {
        match (self.port, self.security.as_str()) {
            (0, "tls") => 465,
            (0, "none") => 25,
            (0, _) => 587,
            (port, _) => port,
        }
    }

    /// The password, from the environment or the file (trailing newline
    /// dropped); `None` when neither gives one.
    pub fn password(&self) -> Option<String> {
        if let Ok(p) = std::env::var("MAMORI_SMTP_PASSWORD")
            && !p.is_empty()
        {
            return Some(p);
        }
        if self.password_file.is_empty() {
            return None;
        }
        std::fs::read_to_string(&self.password_file)
            .ok()
            .map(|p| p.trim_end_matches(['\r', '\n']).to_owned())
            .filter(|p| !p.is_empty())
    }
}
