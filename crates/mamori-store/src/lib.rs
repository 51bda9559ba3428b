//! mamori's store: schema, migrations, queries, transactions and the audit
//! chain, on SQLite (embedded default) and PostgreSQL (production).
//!
//! Boundary: no HTTP. Functions take plain values and return
//! [`StoreError`]; all SQL text of the project lives in this crate. The same
//! query text runs on both databases (`$1` placeholders work in both); where
//! the dialects differ, [`Dialect`] says how.

pub mod alerts;
pub mod audit;
pub mod campaigns;
mod error;
pub mod evidence;
pub mod incidents;
pub mod library;
pub mod links;
pub mod mail;
mod migrate;
pub mod org;
pub mod records;
pub mod rollups;
pub mod users;
pub mod vault;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use mamori_domain::settings::RegisterSettings;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use error::StoreError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A connection pool to one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The store: a pool and what it needs to know of the dialect.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// The methodology registers compute and check against (the risk
    /// matrix, the cloud questionnaire): the configured one, else the
    /// default.
    settings: Arc<RegisterSettings>,
    /// The customer-data vault's keys, when the operator gave them.
    vault: Option<Arc<vault::Vault>>,
}

/// Runs `$body` with `$pool` bound to the concrete pool, so one body of
/// query code serves both databases.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` inside a transaction bound to `$tx`; commits when the body
/// returns `Ok`, rolls back otherwise. The body must start with a write
/// (usually the audit head) so SQLite takes its write lock at once.
macro_rules! with_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite(pool) => {
                let mut $tx = pool.begin().await?;
                let out: $crate::Result<_> = $body;
                if out.is_ok() {
                    $tx.commit().await?;
                }
                out
            }
            $crate::Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out: $crate::Result<_> = $body;
                if out.is_ok() {
                    $tx.commit().await?;
                }
                out
            }
        }
    };
}

/// Binds every [`records::SqlValue`] in order to a query.
macro_rules! bind_values {
    ($query:expr, $values:expr) => {{
        let mut q = $query;
        for v in $values {
            q = match v {
                $crate::records::SqlValue::Null => q.bind(Option::<String>::None),
                $crate::records::SqlValue::Text(s) => q.bind(s.clone()),
                $crate::records::SqlValue::Bool(b) => q.bind(*b),
                $crate::records::SqlValue::Int(i) => q.bind(*i),
                $crate::records::SqlValue::Date(d) => q.bind(*d),
                $crate::records::SqlValue::Id(u) => q.bind(*u),
                $crate::records::SqlValue::NullId => q.bind(Option::<uuid::Uuid>::None),
                $crate::records::SqlValue::NullDate => q.bind(Option::<chrono::NaiveDate>::None),
                $crate::records::SqlValue::NullBool => q.bind(Option::<bool>::None),
                $crate::records::SqlValue::NullInt => q.bind(Option::<i64>::None),
                $crate::records::SqlValue::NullTime => {
                    q.bind(Option::<chrono::DateTime<chrono::Utc>>::None)
                }
                $crate::records::SqlValue::Time(t) => q.bind(*t),
            };
        }
        q
    }};
}

pub(crate) use {bind_values, with_pool, with_tx};

impl Store {
    /// Connects to `url`: `sqlite://path/to/file.db` or `postgres://…`.
    /// SQLite files are created when missing and run in WAL mode.
    pub async fn connect(url: &str) -> Result<Store> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Db::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            Db::Sqlite(pool)
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL (use sqlite://FILE or postgres://…): {}",
                redact_url(url)
            )));
        };
        Ok(Store {
            db,
            settings: Arc::default(),
            vault: None,
        })
    }

    /// The store with `settings` in force for every write.
    pub fn with_settings(mut self, settings: RegisterSettings) -> Store {
        self.settings = Arc::new(settings);
        self
    }

    pub fn settings(&self) -> &RegisterSettings {
        &self.settings
    }

    pub fn dialect(&self) -> Dialect {
        match self.db {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The raw pool, for tests that must reach past the store (for example
    /// to tamper with a row and prove the audit chain notices).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Answers whether the database takes queries (readiness).
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

/// A database URL with any password removed, safe to print.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            super::redact_url("postgres://app:s3cret@db:5432/mamori"),
            "postgres://app:***@db:5432/mamori"
        );
        assert_eq!(
            super::redact_url("sqlite://data/m.db"),
            "sqlite://data/m.db"
        );
    }
}
