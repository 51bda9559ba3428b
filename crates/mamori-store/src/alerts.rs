//! Alerts raised by the detection engine: one row per company and dedup key;
//! seeing the same alert again counts it, it does not repeat it.

use chrono::{DateTime, Utc};
use mamori_domain::authz::Scope;
use uuid::Uuid;

use crate::audit::Append;
use crate::records::SqlValue;
use crate::users::Actor;
use crate::{Result, Store, StoreError, bind_values, with_pool, with_tx};

/// Alert statuses, in their usual order.
pub const STATUSES: &[&str] = &[
    "new",
    "acknowledged",
    "escalated",
    "false_positive",
    "resolved",
];
pub const LEVELS: &[&str] = &["informational", "low", "medium", "high", "critical"];

#[derive(Debug, Clone)]
pub struct NewAlert {
    pub dedup_key: String,
    pub title: String,
    pub rule_id: Option<String>,
    pub level: String,
    pub tags: Vec<String>,
    /// What raised it (indicator, correlation group), as JSON text.
    pub detail: Option<String>,
    pub seen_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AlertRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub dedup_key: String,
    pub title: String,
    pub rule_id: Option<String>,
    pub level: String,
    pub tags: String,
    pub status: String,
    pub detail: Option<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub count: i64,
    pub version: i64,
}

/// How many alerts a batch opened, and how many it counted again.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Recorded {
    pub new: usize,
    pub repeated: usize,
    /// The alerts created: (id, position in the list recorded).
    #[serde(skip)]
    pub created: Vec<(Uuid, usize)>,
}

impl Store {
    /// Records alerts in one transaction: new ones are created (and
    /// audited), known ones get their count and last-seen time bumped.
    pub async fn record_alerts(
        &self,
        company_id: Uuid,
        alerts: &[NewAlert],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Recorded> {
        if alerts.is_empty() {
            return Ok(Recorded::default());
        }
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let mut recorded = Recorded::default();
            for (position, a) in alerts.iter().enumerate() {
                let existing: Option<(Uuid, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT id, last_seen FROM alerts WHERE company_id = $1 AND dedup_key = $2",
                )
                .bind(company_id)
                .bind(&a.dedup_key)
                .fetch_optional(&mut *tx)
                .await?;
                match existing {
                    Some((id, last_seen)) => {
                        sqlx::query("UPDATE alerts SET count = count + 1, last_seen = $1, version = version + 1 WHERE id = $2")
                            .bind(last_seen.max(a.seen_at))
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        recorded.repeated += 1;
                    }
                    None => {
                        let id = Uuid::now_v7();
                        sqlx::query(
                            "INSERT INTO alerts (id, company_id, dedup_key, title, rule_id, level, tags, status, detail, first_seen, last_seen, count, version) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, 'new', $8, $9, $9, 1, 1)",
                        )
                        .bind(id)
                        .bind(company_id)
                        .bind(&a.dedup_key)
                        .bind(&a.title)
                        .bind(&a.rule_id)
                        .bind(&a.level)
                        .bind(a.tags.join(" "))
                        .bind(&a.detail)
                        .bind(a.seen_at)
                        .execute(&mut *tx)
                        .await?;
                        let mut entry = actor.entry("create", "alerts", Some(id));
                        entry.company_id = Some(company_id);
                        entry.detail = Some(format!("level={}", a.level));
                        tx.append_audit(&entry, now).await?;
                        recorded.new += 1;
                        recorded.created.push((id, position));
                    }
                }
            }
            Ok(recorded)
        })
    }

    /// One alert, whatever its company (callers check the scope).
    pub async fn alert(&self, id: Uuid) -> Result<Option<AlertRow>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, company_id, dedup_key, title, rule_id, level, tags, status, detail, first_seen, last_seen, count, version FROM alerts WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Alerts in `scope`, most recently seen first, filtered, one page of
    /// `limit` after the `before` cursor (the last row of the previous page).
    pub async fn list_alerts(
        &self,
        scope: &Scope,
        query: &AlertQuery<'_>,
        limit: i64,
    ) -> Result<Vec<AlertRow>> {
        let mut clauses = Vec::new();
        let mut values = Vec::new();
        let bind = |v: SqlValue, values: &mut Vec<SqlValue>| {
            values.push(v);
            format!("${}", values.len())
        };
        if let Scope::Companies(ids) = scope {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let marks: Vec<String> = ids
                .iter()
                .map(|id| bind(SqlValue::Id(*id), &mut values))
                .collect();
            clauses.push(format!("company_id IN ({})", marks.join(", ")));
        }
        if let Some(company) = query.company {
            clauses.push(format!(
                "company_id = {}",
                bind(SqlValue::Id(company), &mut values)
            ));
        }
        for (column, value) in [("status", query.status), ("level", query.level)] {
            if let Some(v) = value {
                clauses.push(format!(
                    "{column} = {}",
                    bind(SqlValue::Text(v.to_owned()), &mut values)
                ));
            }
        }
        if let Some(text) = query.title.filter(|t| !t.is_empty()) {
            let escaped = text
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let mark = bind(SqlValue::Text(format!("%{escaped}%")), &mut values);
            clauses.push(format!("LOWER(title) LIKE {mark} ESCAPE '\\'"));
        }
        if let Some((seen, id)) = query.before {
            let t = bind(SqlValue::Time(seen), &mut values);
            let i = bind(SqlValue::Id(id), &mut values);
            clauses.push(format!(
                "(last_seen < {t} OR (last_seen = {t} AND id < {i}))"
            ));
        }
        let limit = bind(SqlValue::Int(limit.clamp(1, 10_000)), &mut values);
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT id, company_id, dedup_key, title, rule_id, level, tags, status, detail, first_seen, last_seen, count, version FROM alerts{filter} ORDER BY last_seen DESC, id DESC LIMIT {limit}"
        );
        Ok(with_pool!(self, pool => {
            bind_values!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &values).fetch_all(pool).await?
        }))
    }
}

/// Filters for [`Store::list_alerts`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AlertQuery<'a> {
    pub status: Option<&'a str>,
    pub level: Option<&'a str>,
    pub company: Option<Uuid>,
    /// Words in the title (any case).
    pub title: Option<&'a str>,
    /// Rows after this one (its last-seen time and id).
    pub before: Option<(DateTime<Utc>, Uuid)>,
}

impl Store {
    /// Moves a visible alert to `status` if it is still at `expected_version`
    /// and the move is allowed; audited with the old and new status.
    pub async fn set_alert_status(
        &self,
        id: Uuid,
        scope: &Scope,
        expected_version: i64,
        status: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<AlertRow> {
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let row: Option<AlertRow> = sqlx::query_as(
                "SELECT id, company_id, dedup_key, title, rule_id, level, tags, status, detail, first_seen, last_seen, count, version FROM alerts WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let row = row.filter(|r| scope.contains(r.company_id)).ok_or(StoreError::NotFound)?;
            if row.version != expected_version {
                return Err(StoreError::Stale { current: row.version });
            }
            if !mamori_domain::alerts::can_move(&row.status, status) {
                return Err(StoreError::Invalid(vec![mamori_domain::FieldError::new(
                    "status",
                    format!("an alert cannot move from {} to {status}", row.status),
                )]));
            }
            sqlx::query("UPDATE alerts SET status = $1, version = version + 1 WHERE id = $2")
                .bind(status)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let mut entry = actor.entry("update", "alerts", Some(id));
            entry.company_id = Some(row.company_id);
            entry.detail = Some(format!("status {} -> {status}", row.status));
            tx.append_audit(&entry, now).await?;
            Ok(AlertRow { status: status.to_owned(), version: row.version + 1, ..row })
        })
    }
}
