//! The `mamori` binary: parses arguments, loads the configuration, and calls
//! the server and the store. No business rules live here.

mod config;
mod detect;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{Duration, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};
use mamori_domain::org::Role;
use mamori_server::{AppState, auth, seed};
use mamori_store::Store;
use mamori_store::users::Actor;

#[derive(Parser)]
#[command(
    name = "mamori",
    version,
    about = "mamori (守り): the information-security program of a corporate group, in one binary"
)]
struct Cli {
    /// Configuration file (TOML). Default: ./mamori.toml when it exists.
    #[arg(long, global = true, env = "MAMORI_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

const SERVE_HELP: &str = "\
Configuration file keys (TOML; --config or ./mamori.toml), with their defaults:
  listen = \"127.0.0.1:8080\"          data_dir = \"mamori-data\"
  database_url = \"\"                  (empty: SQLite in data_dir; or postgres://user@host/db)
  public_url = \"\"                    secure_cookies = false (true behind TLS: Secure cookies, HSTS)
  time_zone = \"Asia/Tokyo\"           max_body_bytes = 10485760
  session_idle_minutes = 30          session_absolute_hours = 12
  login_max_failures_per_account = 5 login_max_failures_per_address = 30
  login_window_minutes = 15          require_totp = true
  rules_dirs = [\"…\"]                indicator_files = [\"…\"]
  syslog_listen = \"\"                 (e.g. 0.0.0.0:5514: UDP and TCP; off when empty)
  syslog_company = \"\"                (company code that syslog events belong to)
  alert_webhook = \"\"                 (URL new alerts are POSTed to as JSON; off when empty)
  alert_webhook_secret = \"\"          (signs the body: X-Mamori-Signature: sha256=HMAC)
  [classification] levels = [{ code, name_ja, name_en }, ...]   (least to most restricted)
Every key may also be set as MAMORI_<KEY> (MAMORI_SESSION_IDLE_MINUTES=60), which
overrides the file; flags override both. Also MAMORI_CONFIG, MAMORI_LOG, MAMORI_LOG_FORMAT=json.";

#[derive(Args, Clone, Default)]
struct DbArgs {
    /// Data folder for the embedded SQLite database [default: ./mamori-data]
    #[arg(long, env = "MAMORI_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: postgres://user@host/db to run on PostgreSQL [default: SQLite in the data folder]
    #[arg(long, env = "MAMORI_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web UI and API. The first start creates the group and an administrator and prints a one-time password.
    #[command(after_help = SERVE_HELP)]
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on [default: 127.0.0.1:8080]
        #[arg(long, env = "MAMORI_LISTEN")]
        listen: Option<std::net::SocketAddr>,
        /// Public URL people open, when behind a proxy
        #[arg(long, env = "MAMORI_PUBLIC_URL")]
        public_url: Option<String>,
        /// On the first start, load the demo group (7 companies, 240 people, assets, demo accounts)
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Load the demo group into an existing database and print the demo accounts.
    Demo {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage the group's companies (departments, people and the rest are managed in the UI and API).
    Company {
        #[command(subcommand)]
        command: CompanyCommand,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Run detection rules and indicators over event files (or standard input);
    /// alerts as NDJSON on standard output, a summary on standard error.
    Detect {
        /// Sigma rule files or folders (walked recursively)
        #[arg(long = "rules", required = true)]
        rules: Vec<PathBuf>,
        /// Indicator files: one IP, CIDR, domain, URL or hash per line (# comments)
        #[arg(long = "indicators")]
        indicators: Vec<PathBuf>,
        /// Input format: auto, json, syslog or cef
        #[arg(long, default_value = "auto")]
        format: String,
        /// No progress display
        #[arg(long)]
        quiet: bool,
        /// Event files; none or - for standard input
        inputs: Vec<PathBuf>,
    },
    /// Work with the audit chain.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Framework libraries (CISO Assistant's YAML format).
    Library {
        #[command(subcommand)]
        command: LibraryCommand,
    },
    /// The customer-data vault's keys.
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
}

#[derive(Subcommand)]
enum VaultCommand {
    /// Print a new key line (`id:base64`) to put first in the key file.
    Keygen {
        /// The key's id, such as the year it starts sealing
        #[arg(long, default_value = "k1")]
        id: String,
    },
    /// Reseal every kept value under the first key (after a rotation); then
    /// the older keys may be removed.
    Reseal {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum LibraryCommand {
    /// Load library files, in the order given (a mapping set after both of
    /// its frameworks). Each loads whole or not at all; a bad one names the
    /// file, the place in it and the reason.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// YAML files
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum CompanyCommand {
    /// Add a company to the group.
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// Short code used in imports and exports (A-Z, 0-9, - and _), e.g. AIR
        code: String,
        #[arg(long)]
        name_ja: String,
        #[arg(long)]
        name_en: String,
        /// The group's holding company
        #[arg(long)]
        holding: bool,
    },
    /// Rename a company; its code stays.
    Rename {
        #[command(flatten)]
        db: DbArgs,
        code: String,
        #[arg(long)]
        name_ja: String,
        #[arg(long)]
        name_en: String,
    },
    /// List the group's companies.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user with a role; prints a one-time password to change at first login.
    Add {
        #[command(flatten)]
        db: DbArgs,
        username: String,
        /// Name shown in the UI
        #[arg(long)]
        display_name: Option<String>,
        /// admin, ciso_office, committee_member, security_officer, csirt, internal_auditor, external_auditor, employee, hr
        #[arg(long)]
        role: String,
        /// Company code the role applies to; omit for the whole group
        #[arg(long)]
        company: Option<String>,
        /// Last day of access (YYYY-MM-DD); required for external auditors
        #[arg(long)]
        expires: Option<NaiveDate>,
    },
    /// Set a new one-time password and end the user's sessions.
    ResetPassword {
        #[command(flatten)]
        db: DbArgs,
        username: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; prints it once. Use it as `Authorization: Bearer …`.
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// The user the token acts as (it can never do more than the user)
        #[arg(long)]
        user: String,
        /// Scopes such as assets:read, people:*, or * (repeatable)
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Days until the token expires
        #[arg(long, default_value_t = 90)]
        days: i64,
        /// A name to recognise the token by
        #[arg(long, default_value = "api")]
        name: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the whole chain and name the first broken link (exit 1 if any).
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

async fn open_store(cfg: &mamori_server::Config) -> Result<Store> {
    if cfg.database_url.is_empty() {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("cannot create the data folder {}", cfg.data_dir.display()))?;
    }
    let url = cfg.database_url();
    let store = Store::connect(&url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            mamori_store::redact_url(&url)
        )
    })?;
    store.migrate().await.context("database migration failed")?;
    let store = store.with_settings(cfg.register_settings());
    Ok(match vault_keys(cfg)? {
        Some(vault) => store.with_vault(vault),
        None => store,
    })
}

/// The vault's keys: `MAMORI_VAULT_KEYS`, else the configured key file;
/// none when neither is given.
fn vault_keys(cfg: &mamori_server::Config) -> Result<Option<mamori_store::vault::Vault>> {
    let text = match std::env::var("MAMORI_VAULT_KEYS") {
        Ok(keys) if !keys.trim().is_empty() => keys,
        _ if cfg.vault_key_file.is_empty() => return Ok(None),
        _ => std::fs::read_to_string(&cfg.vault_key_file)
            .with_context(|| format!("cannot read the vault key file {}", cfg.vault_key_file))?,
    };
    mamori_store::vault::Vault::from_text(&text)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("the vault's keys: {e}"))
}

/// Errors print as one readable chain (`error: … : cause`), never a backtrace.
fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    // Structured logs: human-readable by default, JSON lines with
    // MAMORI_LOG_FORMAT=json for log shippers. Fields, never secrets.
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("MAMORI_LOG").unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if std::env::var("MAMORI_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            db,
            listen,
            public_url,
            demo,
        } => {
            let mut cfg = config::load(cli.config.as_deref(), &db)?;
            if let Some(l) = listen {
                cfg.listen = l;
            }
            if let Some(u) = public_url {
                cfg.public_url = u;
            }
            serve(cfg, demo).await
        }
        Command::Migrate { db } => {
            let cfg = config::load(cli.config.as_deref(), &db)?;
            open_store(&cfg).await?;
            println!(
                "migrations applied: {}",
                mamori_store::redact_url(&cfg.database_url())
            );
            Ok(())
        }
        Command::Demo { db } => {
            let cfg = config::load(cli.config.as_deref(), &db)?;
            let store = open_store(&cfg).await?;
            let creds = seed::load_demo(&store, Utc::now())
                .await
                .map_err(anyhow::Error::msg)?;
            print_credentials(&creds);
            Ok(())
        }
        Command::User { command } => user(cli.config.as_deref(), command).await,
        Command::Company { command } => company(cli.config.as_deref(), command).await,
        Command::Detect {
            rules,
            indicators,
            format,
            quiet,
            inputs,
        } => detect::run(detect::Options {
            rules,
            indicators,
            format,
            inputs,
            quiet,
        }),
        Command::Token {
            command:
                TokenCommand::Create {
                    db,
                    user,
                    scopes,
                    days,
                    name,
                },
        } => {
            let cfg = config::load(cli.config.as_deref(), &db)?;
            let store = open_store(&cfg).await?;
            let u = store
                .user_by_username(&user)
                .await?
                .with_context(|| format!("no user named {user}"))?;
            let registers: Vec<&str> = mamori_domain::registers::ALL
                .iter()
                .map(|r| r.name)
                .chain(mamori_domain::authz::OTHER_AREAS.iter().copied())
                .collect();
            for s in &scopes {
                if !mamori_domain::authz::valid_token_scope(s, &registers) {
                    bail!(
                        "invalid scope {s:?}: use REGISTER:ACTION (registers: {}; actions: read, create, update, archive, export, import, *), ingest (send events), or *",
                        registers.join(", ")
                    );
                }
            }
            if !(1..=3650).contains(&days) {
                bail!("--days must be between 1 and 3650");
            }
            let token = auth::new_api_token();
            let now = Utc::now();
            store
                .create_token(
                    &mamori_store::users::NewToken {
                        user_id: u.id,
                        name: &name,
                        token_hash: &auth::digest(&token),
                        scopes: &scopes,
                        expires_at: now + Duration::days(days),
                    },
                    &Actor::system("cli"),
                    now,
                )
                .await?;
            println!("{token}");
            eprintln!(
                "token for {user}, scopes {}, expires in {days} days; it is shown only now",
                scopes.join(" ")
            );
            Ok(())
        }
        Command::Vault {
            command: VaultCommand::Keygen { id },
        } => {
            println!(
                "{}",
                mamori_store::vault::Vault::new_key_line(&id).map_err(anyhow::Error::msg)?
            );
            Ok(())
        }
        Command::Vault {
            command: VaultCommand::Reseal { db },
        } => {
            let cfg = config::load(cli.config.as_deref(), &db)?;
            let store = open_store(&cfg).await?;
            let moved = store
                .reseal_vault(&Actor::system("cli"), chrono::Utc::now())
                .await?;
            println!("resealed {moved} values under the first key");
            Ok(())
        }
        Command::Library {
            command: LibraryCommand::Import { db, files },
        } => {
            let cfg = config::load(cli.config.as_deref(), &db)?;
            let store = open_store(&cfg).await?;
            for file in &files {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let lib =
                    mamori_domain::library_format::parse_library(&text).map_err(|errors| {
                        let lines: Vec<String> = errors
                            .iter()
                            .map(|e| format!("  {}: {e}", file.display()))
                            .collect();
                        anyhow::anyhow!(
                            "{} is not a library mamori can load:\n{}",
                            file.display(),
                            lines.join("\n")
                        )
                    })?;
                let loaded = store
                    .load_library(&lib, &Actor::system("cli"), chrono::Utc::now())
                    .await
                    .map_err(|e| match e {
                        mamori_store::StoreError::Invalid(errors) => anyhow::anyhow!(
                            "{}: {}",
                            file.display(),
                            errors
                                .iter()
                                .map(|f| f.message.clone())
                                .collect::<Vec<_>>()
                                .join("; ")
                        ),
                        other => other.into(),
                    })?;
                println!(
                    "{}: loaded {} ({} frameworks, {} requirement nodes, {} reference controls, {} mappings)",
                    file.display(),
                    loaded.urn,
                    loaded.frameworks,
                    loaded.nodes,
                    loaded.reference_controls,
                    loaded.mappings
                );
            }
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify { db },
        } => {
            let cfg = config::load(cli.config.as_deref(), &db)?;
            let store = open_store(&cfg).await?;
            let v = store.verify_audit_chain().await?;
            match v.broken {
                None => {
                    println!("audit chain intact: {} entries", v.entries);
                    Ok(())
                }
                Some((seq, why)) => {
                    println!(
                        "audit chain BROKEN at entry {seq}: {why} ({} entries verified before it)",
                        v.entries
                    );
                    std::process::exit(1);
                }
            }
        }
    }
}

async fn user(config: Option<&std::path::Path>, command: UserCommand) -> Result<()> {
    let now = Utc::now();
    let actor = Actor::system("cli");
    match command {
        UserCommand::Add {
            db,
            username,
            display_name,
            role,
            company,
            expires,
        } => {
            let cfg = config::load(config, &db)?;
            let store = open_store(&cfg).await?;
            let role = Role::parse(&role).with_context(|| format!("unknown role {role:?}"))?;
            if role.requires_expiry() && expires.is_none() {
                bail!("an external auditor's access must end: pass --expires YYYY-MM-DD");
            }
            let company_id = match company {
                Some(code) => Some(
                    store
                        .company_by_code(&code)
                        .await?
                        .with_context(|| format!("no company with code {code}"))?
                        .id,
                ),
                None => None,
            };
            let valid = |u: &str| {
                !u.is_empty()
                    && u.len() <= 64
                    && u.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            };
            if !valid(&username) {
                bail!("usernames are 1-64 characters of a-z, 0-9, '.', '_' or '-'");
            }
            // Access ends at the end of the given day, Japan time.
            let expires_at = expires.map(|d| {
                d.and_hms_opt(23, 59, 59).expect("valid time").and_utc() - Duration::hours(9)
            });
            let name = display_name.unwrap_or_else(|| username.clone());
            let cred = seed::create_user_with_otp(
                &store,
                &seed::Account {
                    username: &username,
                    display_name: &name,
                    role,
                    company: company_id,
                    expires: expires_at,
                },
                &actor,
                now,
            )
            .await
            .map_err(anyhow::Error::msg)?;
            print_credentials(&[cred]);
            Ok(())
        }
        UserCommand::ResetPassword { db, username } => {
            let cfg = config::load(config, &db)?;
            let store = open_store(&cfg).await?;
            let u = store
                .user_by_username(&username)
                .await?
                .with_context(|| format!("no user named {username}"))?;
            let password = auth::one_time_password();
            let hash = auth::hash_password(&password).map_err(anyhow::Error::msg)?;
            store.set_password(u.id, &hash, true, &actor, now).await?;
            println!("one-time password for {username}: {password}");
            println!(
                "(it must be changed at the next login; all of {username}'s sessions were ended)"
            );
            Ok(())
        }
    }
}

async fn company(config: Option<&std::path::Path>, command: CompanyCommand) -> Result<()> {
    let now = Utc::now();
    let actor = Actor::system("cli");
    let names = |ja: &str, en: &str| -> Result<()> {
        if ja.trim().is_empty()
            || en.trim().is_empty()
            || ja.chars().count() > 200
            || en.chars().count() > 200
        {
            bail!("--name-ja and --name-en are required, at most 200 characters each");
        }
        Ok(())
    };
    match command {
        CompanyCommand::Add {
            db,
            code,
            name_ja,
            name_en,
            holding,
        } => {
            let valid = !code.is_empty()
                && code.len() <= 16
                && code
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !valid {
                bail!("company codes are 1-16 characters of A-Z, 0-9, - and _");
            }
            names(&name_ja, &name_en)?;
            let cfg = config::load(config, &db)?;
            let store = open_store(&cfg).await?;
            store
                .create_company(&code, name_ja.trim(), name_en.trim(), holding, &actor, now)
                .await?;
            println!("company {code} added");
        }
        CompanyCommand::Rename {
            db,
            code,
            name_ja,
            name_en,
        } => {
            names(&name_ja, &name_en)?;
            let cfg = config::load(config, &db)?;
            let store = open_store(&cfg).await?;
            let c = store
                .company_by_code(&code)
                .await?
                .with_context(|| format!("no company with code {code}"))?;
            store
                .rename_company(c.id, name_ja.trim(), name_en.trim(), &actor, now)
                .await?;
            println!("company {code} renamed");
        }
        CompanyCommand::List { db } => {
            let cfg = config::load(config, &db)?;
            let store = open_store(&cfg).await?;
            for c in store.companies(&mamori_domain::authz::Scope::All).await? {
                let holding = if c.is_holding { " (holding)" } else { "" };
                println!("{:<8} {} / {}{holding}", c.code, c.name_ja, c.name_en);
            }
        }
    }
    Ok(())
}

fn print_credentials(creds: &[seed::Credential]) {
    for c in creds {
        println!(
            "  user {:<14} role {:<18} one-time password {}",
            c.username,
            c.role.code(),
            c.password
        );
    }
}

async fn serve(cfg: mamori_server::Config, demo: bool) -> Result<()> {
    cfg.validate().map_err(anyhow::Error::msg)?;
    let store = open_store(&cfg).await?;
    let creds = seed::first_start(&store, demo, Utc::now())
        .await
        .map_err(anyhow::Error::msg)?;
    let shipped = seed::builtin_libraries(&store, Utc::now())
        .await
        .map_err(anyhow::Error::msg)?;
    if shipped > 0 {
        tracing::info!(libraries = shipped, "built-in framework libraries loaded");
    }
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (is another program using it? try --listen 127.0.0.1:8081)",
                cfg.listen
            )
        })?;
    let base = cfg.base_url();
    let state = AppState::new(store.clone(), cfg).map_err(anyhow::Error::msg)?;
    let syslog = mamori_server::detection::spawn_syslog(state.clone())
        .await
        .context("cannot start the syslog listener")?;
    println!("mamori is running at {base}");
    if let Some(addr) = syslog {
        println!("syslog listener on {addr} (UDP and TCP)");
    }
    if !creds.is_empty() {
        println!(
            "first start: log in with these one-time passwords (each must be changed at first login):"
        );
        print_credentials(&creds);
    }
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("installing a SIGTERM handler cannot fail on unix");
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
    };
    mamori_server::serve(state, listener, shutdown).await?;
    store.close().await;
    Ok(())
}
