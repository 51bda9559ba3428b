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
    Migration {
        version: 3,
        name: "alerts_register",
        sqlite: include_str!("../migrations/sqlite/0003_alerts_register.sql"),
        postgres: include_str!("../migrations/postgres/0003_alerts_register.sql"),
    },
    Migration {
        version: 4,
        name: "risks",
        sqlite: include_str!("../migrations/sqlite/0004_risks.sql"),
        postgres: include_str!("../migrations/postgres/0004_risks.sql"),
    },
    Migration {
        version: 5,
        name: "libraries",
        sqlite: include_str!("../migrations/sqlite/0005_libraries.sql"),
        postgres: include_str!("../migrations/postgres/0005_libraries.sql"),
    },
    Migration {
        version: 6,
        name: "library_names_ja",
        sqlite: include_str!("../migrations/sqlite/0006_library_names_ja.sql"),
        postgres: include_str!("../migrations/postgres/0006_library_names_ja.sql"),
    },
    Migration {
        version: 7,
        name: "cloud_assessments",
        sqlite: include_str!("../migrations/sqlite/0007_cloud_assessments.sql"),
        postgres: include_str!("../migrations/postgres/0007_cloud_assessments.sql"),
    },
    Migration {
        version: 8,
        name: "requirement_assessments",
        sqlite: include_str!("../migrations/sqlite/0008_requirement_assessments.sql"),
        postgres: include_str!("../migrations/postgres/0008_requirement_assessments.sql"),
    },
    Migration {
        version: 9,
        name: "record_history",
        sqlite: include_str!("../migrations/sqlite/0009_record_history.sql"),
        postgres: include_str!("../migrations/postgres/0009_record_history.sql"),
    },
    Migration {
        version: 10,
        name: "evidence",
        sqlite: include_str!("../migrations/sqlite/0010_evidence.sql"),
        postgres: include_str!("../migrations/postgres/0010_evidence.sql"),
    },
    Migration {
        version: 11,
        name: "cloud_answers",
        sqlite: include_str!("../migrations/sqlite/0011_cloud_answers.sql"),
        postgres: include_str!("../migrations/postgres/0011_cloud_answers.sql"),
    },
    Migration {
        version: 12,
        name: "rollups",
        sqlite: include_str!("../migrations/sqlite/0012_rollups.sql"),
        postgres: include_str!("../migrations/postgres/0012_rollups.sql"),
    },
    Migration {
        version: 13,
        name: "campaigns",
        sqlite: include_str!("../migrations/sqlite/0013_campaigns.sql"),
        postgres: include_str!("../migrations/postgres/0013_campaigns.sql"),
    },
    Migration {
        version: 14,
        name: "controls_links",
        sqlite: include_str!("../migrations/sqlite/0014_controls_links.sql"),
        postgres: include_str!("../migrations/postgres/0014_controls_links.sql"),
    },
    Migration {
        version: 15,
        name: "incidents",
        sqlite: include_str!("../migrations/sqlite/0015_incidents.sql"),
        postgres: include_str!("../migrations/postgres/0015_incidents.sql"),
    },
    Migration {
        version: 16,
        name: "breach",
        sqlite: include_str!("../migrations/sqlite/0016_breach.sql"),
        postgres: include_str!("../migrations/postgres/0016_breach.sql"),
    },
    Migration {
        version: 17,
        name: "corrective_actions",
        sqlite: include_str!("../migrations/sqlite/0017_corrective_actions.sql"),
        postgres: include_str!("../migrations/postgres/0017_corrective_actions.sql"),
    },
    Migration {
        version: 18,
        name: "playbooks",
        sqlite: include_str!("../migrations/sqlite/0018_playbooks.sql"),
        postgres: include_str!("../migrations/postgres/0018_playbooks.sql"),
    },
    Migration {
        version: 19,
        name: "vault",
        sqlite: include_str!("../migrations/sqlite/0019_vault.sql"),
        postgres: include_str!("../migrations/postgres/0019_vault.sql"),
    },
    Migration {
        version: 20,
        name: "report_items",
        sqlite: include_str!("../migrations/sqlite/0020_report_items.sql"),
        postgres: include_str!("../migrations/postgres/0020_report_items.sql"),
    },
    Migration {
        version: 21,
        name: "disclosures",
        sqlite: include_str!("../migrations/sqlite/0021_disclosures.sql"),
        postgres: include_str!("../migrations/postgres/0021_disclosures.sql"),
    },
    Migration {
        version: 22,
        name: "notices_sent",
        sqlite: include_str!("../migrations/sqlite/0022_notices_sent.sql"),
        postgres: include_str!("../migrations/postgres/0022_notices_sent.sql"),
    },
    Migration {
        version: 23,
        name: "notification",
        sqlite: include_str!("../migrations/sqlite/0023_notification.sql"),
        postgres: include_str!("../migrations/postgres/0023_notification.sql"),
    },
    Migration {
        version: 24,
        name: "capa_residual",
        sqlite: include_str!("../migrations/sqlite/0024_capa_residual.sql"),
        postgres: include_str!("../migrations/postgres/0024_capa_residual.sql"),
    },
    Migration {
        version: 25,
        name: "companies_affected",
        sqlite: include_str!("../migrations/sqlite/0025_companies_affected.sql"),
        postgres: include_str!("../migrations/postgres/0025_companies_affected.sql"),
    },
    Migration {
        version: 26,
        name: "incident_team",
        sqlite: include_str!("../migrations/sqlite/0026_incident_team.sql"),
        postgres: include_str!("../migrations/postgres/0026_incident_team.sql"),
    },
    Migration {
        version: 27,
        name: "approved_account",
        sqlite: include_str!("../migrations/sqlite/0027_approved_account.sql"),
        postgres: include_str!("../migrations/postgres/0027_approved_account.sql"),
    },
];

impl Store {
    /// Applies every migration not yet applied; returns how many ran.
    /// Then builds the rollups if their definitions changed.
    pub async fn migrate(&self) -> Result<usize> {
        let ran = self.migrate_up_to(i64::MAX).await?;
        self.ensure_rollups().await?;
        Ok(ran)
    }

    /// Applies the migrations up to version `last` not yet applied.
    async fn migrate_up_to(&self, last: i64) -> Result<usize> {
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
            for m in MIGRATIONS.iter().filter(|m| m.version <= last) {
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

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use mamori_domain::authz::Scope;
    use mamori_domain::registers::ALERTS;
    use uuid::Uuid;

    use crate::alerts::NewAlert;
    use crate::records::{Archived, ListQuery};
    use crate::users::Actor;
    use crate::{Store, with_pool};

    /// Alerts kept before they were a register get references in the order
    /// they were first seen, and new ones continue the numbering.
    async fn alerts_get_references(store: Store) {
        assert_eq!(store.migrate_up_to(2).await.expect("0001 and 0002"), 2);
        let company = Uuid::now_v7();
        // Whole microseconds: what PostgreSQL keeps.
        let t0 = chrono::DateTime::from_timestamp_micros(Utc::now().timestamp_micros())
            .expect("now")
            - Duration::hours(1);
        with_pool!(store, pool => {
            sqlx::query("INSERT INTO companies (id, code, name_ja, name_en, is_holding, created_at) VALUES ($1, 'AIR', '航空', 'Air', $2, $3)")
                .bind(company).bind(false).bind(t0).execute(pool).await.expect("company");
            for (key, minutes) in [("second", 2), ("first", 1), ("third", 3)] {
                sqlx::query("INSERT INTO alerts (id, company_id, dedup_key, title, rule_id, level, tags, status, detail, first_seen, last_seen, count, version) VALUES ($1, $2, $3, $3, NULL, 'high', '', 'new', NULL, $4, $4, 1, 1)")
                    .bind(Uuid::now_v7()).bind(company).bind(key).bind(t0 + Duration::minutes(minutes))
                    .execute(pool).await.expect("alert");
            }
        });
        assert_eq!(
            store.migrate().await.expect("the rest"),
            super::MIGRATIONS.len() - 2
        );
        let alert = NewAlert {
            dedup_key: "fourth".into(),
            title: "fourth".into(),
            rule_id: None,
            level: "high".into(),
            tags: Vec::new(),
            detail: None,
            seen_at: t0 + Duration::minutes(4),
        };
        let recorded = store
            .record_alerts(company, &[alert], &Actor::system("test"), Utc::now())
            .await
            .expect("record");
        assert_eq!(recorded.created[0].1, "ALR-000004");
        let query = ListQuery {
            scope: Scope::All,
            company: None,
            filters: Vec::new(),
            search: None,
            archived: Archived::All,
            sort: None,
            desc: false,
            after: None,
            limit: 10,
            count: false,
        };
        let page = store.list_records(&ALERTS, &query).await.expect("list");
        let keys: Vec<(&str, &str)> = page
            .items
            .iter()
            .map(|s| {
                (
                    s.ref_no.as_str(),
                    s.record.text("dedup_key").unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("ALR-000001", "first"),
                ("ALR-000002", "second"),
                ("ALR-000003", "third"),
                ("ALR-000004", "fourth")
            ]
        );
        assert_eq!(page.items[0].created_at, t0 + Duration::minutes(1));
        store.close().await;
    }

    /// Cloud assessments kept one column per question before the
    /// questionnaire was configurable; their answers move into one object.
    async fn cloud_answers_move_into_one_object(store: Store) {
        assert_eq!(store.migrate_up_to(10).await.expect("0001 to 0010"), 10);
        let (company, asset, assessment) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let now = Utc::now();
        with_pool!(store, pool => {
            sqlx::query("INSERT INTO companies (id, code, name_ja, name_en, is_holding, created_at) VALUES ($1, 'AIR', '航空', 'Air', $2, $3)")
                .bind(company).bind(false).bind(now).execute(pool).await.expect("company");
            sqlx::query("INSERT INTO assets (id, ref_no, company_id, version, created_at, updated_at, name, kind, classification) VALUES ($1, 'AST-000001', $2, 1, $3, $3, 'クラウド', 'cloud_service', 'internal')")
                .bind(asset).bind(company).bind(now).execute(pool).await.expect("asset");
            sqlx::query("INSERT INTO cloud_assessments (id, ref_no, company_id, version, created_at, updated_at, asset, verdict, expiry, assessed_on, data_location, iso27001, ismap, encryption, logging) VALUES ($1, 'CSA-000001', $2, 1, $3, $3, $4, 'approved', '2027-03-31', '2026-04-01', '東京', $5, $6, 'met', NULL)")
                .bind(assessment).bind(company).bind(now).bind(asset).bind(true).bind(false)
                .execute(pool).await.expect("assessment");
        });
        store.migrate().await.expect("the rest");
        let stored = store
            .get_record(
                &mamori_domain::registers::CLOUD_ASSESSMENTS,
                assessment,
                &Scope::All,
            )
            .await
            .expect("kept");
        let answers = mamori_domain::registers::stored_answers(stored.record.get("answers"));
        let pairs: Vec<(&str, &str)> = answers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("data_location", "東京"),
                ("encryption", "met"),
                ("ismap", "no"),
                ("iso27001", "yes"),
                ("iso27017", "no"),
                ("soc2", "no"),
            ],
            "unanswered questions stay unanswered"
        );
        store.close().await;
    }

    /// Runs `check` on a fresh SQLite database, and on a fresh PostgreSQL
    /// one when `MAMORI_TEST_POSTGRES_URL` is set.
    async fn on_each_backend<F, Fut>(check: F)
    where
        F: Fn(Store) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let dir = std::env::temp_dir().join(format!("mamori-migrate-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite://{}", dir.join("m.db").display());
        check(Store::connect(&url).await.expect("open")).await;
        let _ = std::fs::remove_dir_all(&dir);
        let Ok(admin) = std::env::var("MAMORI_TEST_POSTGRES_URL") else {
            return;
        };
        let name = format!("mamori_m_{}", Uuid::now_v7().simple());
        let pool = sqlx::PgPool::connect(&admin)
            .await
            .expect("postgres reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .expect("create db");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        check(
            Store::connect(&format!("{base}/{name}"))
                .await
                .expect("open"),
        )
        .await;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
            .execute(&pool)
            .await
            .expect("drop db");
    }

    /// Yearly references count afresh at midnight in the group's zone (JST),
    /// not UTC's.
    async fn yearly_references_turn_at_midnight_jst(store: Store) {
        use mamori_domain::register::{Record, Value};
        use mamori_domain::registers::INCIDENTS;
        store.migrate().await.expect("migrate");
        let company = Uuid::now_v7();
        with_pool!(store, pool => {
            sqlx::query("INSERT INTO companies (id, code, name_ja, name_en, is_holding, created_at) VALUES ($1, 'AIR', '航空', 'Air', $2, $3)")
                .bind(company).bind(false).bind(Utc::now()).execute(pool).await.expect("company");
        });
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .expect("instant")
                .with_timezone(&Utc)
        };
        let mut refs = Vec::new();
        for now in [
            "2026-12-31T14:59:59Z",
            "2026-12-31T15:00:00Z",
            "2027-01-01T03:00:00Z",
        ] {
            let mut r = Record::default();
            for (k, v) in [
                ("title", "年越し"),
                ("category", "malware"),
                ("severity", "low"),
                ("status", "detected"),
            ] {
                r.values.insert(k, Value::Text(v.into()));
            }
            r.values.insert("detected_at", Value::Time(at(now)));
            let stored = store
                .create_record(&INCIDENTS, company, r, &Actor::system("test"), at(now))
                .await
                .expect("create");
            refs.push(stored.ref_no);
        }
        assert_eq!(refs, ["INC-2026-0001", "INC-2027-0001", "INC-2027-0002"]);
        store.close().await;
    }

    #[tokio::test]
    async fn yearly_references_on_each_backend() {
        on_each_backend(yearly_references_turn_at_midnight_jst).await;
    }

    #[tokio::test]
    async fn alerts_get_references_on_each_backend() {
        on_each_backend(alerts_get_references).await;
    }

    #[tokio::test]
    async fn cloud_answers_move_on_each_backend() {
        on_each_backend(cloud_answers_move_into_one_object).await;
    }
}
