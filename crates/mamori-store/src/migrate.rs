//! Embedded, forward-only migrations: one folder per database, kept in step.

use crate::{Dialect, Result, Store, StoreError, with_pool};
use sqlx::AssertSqlSafe;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "alerts",
        sqlite: include_str!("../migrations/sqlite/0002_alerts.sql"),
        postgres: include_str!("../migrations/postgres/0002_alerts.sql"),
    },
];

impl Store {
    /// Applies every migration not yet applied; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        let dialect = self.dialect();
        let applied_at_type = match dialect {
            Dialect::Sqlite => "TEXT",
            Dialect::Postgres => "TIMESTAMPTZ",
        };
        let create = format!(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at {applied_at_type} NOT NULL)"
        );
        let mut ran = 0;
        with_pool!(self, pool => {
            sqlx::query(AssertSqlSafe(create.as_str())).execute(pool).await?;
            for m in MIGRATIONS {
                let done: Option<i64> =
                    sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                        .bind(m.version)
                        .fetch_optional(pool)
                        .await?;
                if done.is_some() {
                    continue;
                }
                let sql = match dialect {
                    Dialect::Sqlite => m.sqlite,
                    Dialect::Postgres => m.postgres,
                };
                let mut tx = pool.begin().await?;
                sqlx::raw_sql(sql)
                    .execute(&mut *tx)
                    .await
                    .map_err(|source| StoreError::Migration { version: m.version, source })?;
                sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                    .bind(m.version)
                    .bind(m.name)
                    .bind(chrono::Utc::now())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                tracing::info!(version = m.version, name = m.name, "migration applied");
                ran += 1;
            }
        });
        Ok(ran)
    }
}
