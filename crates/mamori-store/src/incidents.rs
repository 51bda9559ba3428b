//! What incident handling needs beyond the kernel: a record's timeline
//! (every kept state with who made it, and notes people write) and the
//! escalation of alerts into an incident, in one transaction.

use chrono::{DateTime, Utc};
use mamori_domain::FieldError;
use mamori_domain::register::{Record, RegisterSpec};
use uuid::Uuid;

use crate::audit::Append;
use crate::users::Actor;
use crate::{Result, Store, StoreError, with_pool, with_tx};

/// One kept state of a record.
#[derive(Debug, Clone)]
pub struct Change {
    pub version: i64,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub archived: bool,
    /// The record's fields as the API gives them.
    pub fields: serde_json::Value,
}

/// version, changed_at, changed_by, archived, state
type HistoryRow = (i64, DateTime<Utc>, Option<String>, bool, String);

/// A note written on a record.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Note {
    pub id: Uuid,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// Longest note, in characters.
pub const NOTE_MAX: usize = 10_000;

/// Where escalated alerts go.
#[derive(Debug, Clone)]
pub enum EscalateTo {
    /// An incident that exists.
    Incident(Uuid),
    /// A new incident in the alerts' company, from these fields.
    New(Record),
}

/// Writes a note on a record inside a write transaction and audits it.
macro_rules! insert_note {
    ($conn:expr, $note_id:expr, $spec:expr, $record_id:expr, $company_id:expr, $body:expr, $actor:expr, $now:expr) => {{
        let (spec, record_id, company_id): (&mamori_domain::register::RegisterSpec, uuid::Uuid, uuid::Uuid) =
            ($spec, $record_id, $company_id);
        sqlx::query("INSERT INTO record_notes (id, register, record_id, company_id, body, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind($note_id)
            .bind(spec.name)
            .bind(record_id)
            .bind(company_id)
            .bind($body)
            .bind($now)
            .bind(&$actor.name)
            .execute(&mut **$conn)
            .await?;
        let mut entry = $actor.entry("note", spec.name, Some(record_id));
        entry.company_id = Some(company_id);
        $conn.append_audit(&entry, $now).await.map(|_| ())
    }};
}
pub(crate) use insert_note;

/// Inserts a link inside a write transaction and audits it; refuses a
/// second link of the same pair.
macro_rules! insert_link {
    ($conn:expr, $company_id:expr, $from:expr, $to:expr, $actor:expr, $now:expr) => {{
        let (from, to): ((&mamori_domain::register::RegisterSpec, uuid::Uuid), (&mamori_domain::register::RegisterSpec, uuid::Uuid)) = ($from, $to);
        let existing: Option<uuid::Uuid> = sqlx::query_scalar(
            "SELECT id FROM record_links WHERE (from_register = $1 AND from_id = $2 AND to_register = $3 AND to_id = $4) \
             OR (from_register = $3 AND from_id = $4 AND to_register = $1 AND to_id = $2)",
        )
        .bind(from.0.name)
        .bind(from.1)
        .bind(to.0.name)
        .bind(to.1)
        .fetch_optional(&mut **$conn)
        .await?;
        if existing.is_some() {
            Err($crate::StoreError::Duplicate("record_links".into()))
        } else {
            let id = uuid::Uuid::now_v7();
            sqlx::query(
                "INSERT INTO record_links (id, company_id, from_register, from_id, to_register, to_id, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind($company_id)
            .bind(from.0.name)
            .bind(from.1)
            .bind(to.0.name)
            .bind(to.1)
            .bind($now)
            .bind(&$actor.name)
            .execute(&mut **$conn)
            .await?;
            let mut entry = $actor.entry("link", from.0.name, Some(from.1));
            entry.company_id = Some($company_id);
            entry.detail = Some(format!("{} {}", to.0.name, to.1));
            $conn.append_audit(&entry, $now).await.map(|_| id)
        }
    }};
}
pub(crate) use insert_link;

impl Store {
    /// Every kept state of a record, oldest first.
    pub async fn history_of(&self, spec: &RegisterSpec, id: Uuid) -> Result<Vec<Change>> {
        let rows: Vec<HistoryRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT version, changed_at, changed_by, archived, state FROM record_history \
                 WHERE register = $1 AND record_id = $2 ORDER BY version",
            )
            .bind(spec.name)
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(version, at, by, archived, state)| {
                let fields = serde_json::from_str(&state).map_err(|e| {
                    StoreError::Invalid(vec![FieldError::new("record_history", e.to_string())])
                })?;
                Ok(Change {
                    version,
                    at,
                    by,
                    archived,
                    fields,
                })
            })
            .collect()
    }

    /// Writes a note on a record (audited); `company_id` is the record's.
    pub async fn add_note(
        &self,
        spec: &RegisterSpec,
        id: Uuid,
        company_id: Uuid,
        body: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Note> {
        let body = body.trim();
        if body.is_empty() || body.chars().count() > NOTE_MAX {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "body",
                format!("must be 1 to {NOTE_MAX} characters"),
            )]));
        }
        let note_id = Uuid::now_v7();
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            insert_note!(&mut tx, note_id, spec, id, company_id, body, actor, now)
        })?;
        Ok(Note {
            id: note_id,
            body: body.to_owned(),
            created_at: now,
            created_by: actor.name.clone(),
        })
    }

    /// Marks a notice as sent under `key`; `true` only the first time.
    pub async fn first_notice(&self, key: &str, now: DateTime<Utc>) -> Result<bool> {
        let done = with_pool!(self, pool => {
            sqlx::query("INSERT INTO notices_sent (notice_key, sent_at) VALUES ($1, $2) ON CONFLICT (notice_key) DO NOTHING")
                .bind(key)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// Whether a notice was sent under `key`.
    pub async fn notice_sent(&self, key: &str) -> Result<bool> {
        let found: Option<String> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT notice_key FROM notices_sent WHERE notice_key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// The drill injects due at `now` and not yet delivered, on incidents
    /// that are exercises: id, message and incident.
    pub async fn due_injects(&self, now: DateTime<Utc>) -> Result<Vec<(Uuid, String, Uuid)>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT d.id, d.message, d.incident FROM drill_injects d JOIN incidents i ON i.id = d.incident \
                 WHERE d.archived_at IS NULL AND d.delivered_at IS NULL AND d.due_at <= $1 AND i.exercise = TRUE \
                 ORDER BY d.due_at, d.id LIMIT 500",
            )
            .bind(now)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The notes on a record, oldest first.
    pub async fn notes_of(&self, spec: &RegisterSpec, id: Uuid) -> Result<Vec<Note>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as("SELECT id, body, created_at, created_by FROM record_notes WHERE register = $1 AND record_id = $2 ORDER BY created_at, id")
                .bind(spec.name)
                .bind(id)
                .fetch_all(pool)
                .await?
        }))
    }
}
