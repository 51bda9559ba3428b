//! The mail outbox: every e-mail mamori decides to send is written here
//! first, under a key that names why it goes (rule, subject, event), so
//! the same notice is never queued twice and a restart loses none. A
//! sender takes what is due, and marks each sent, or failed with the
//! SMTP server's answer and when to try again.

use chrono::{DateTime, Utc};
use mamori_domain::authz::Scope;
use uuid::Uuid;

use crate::{Result, Store, with_pool};

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMail {
    /// Why it goes; a second message with the same key is not queued.
    pub key: String,
    /// The company whose event it tells of (for scoping the outbox page).
    pub company_id: Option<Uuid>,
    pub recipients: Vec<String>,
    pub subject: String,
    pub body: String,
}

/// A queued message and where its delivery stands.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Mail {
    pub id: Uuid,
    pub notice_key: String,
    pub company_id: Option<Uuid>,
    /// One address a line.
    pub recipients: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub next_try_at: DateTime<Utc>,
    pub attempts: i64,
    pub sent_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl Mail {
    pub fn recipients(&self) -> impl Iterator<Item = &str> {
        self.recipients.lines().filter(|l| !l.is_empty())
    }
}

const COLUMNS: &str = "id, notice_key, company_id, recipients, subject, body, created_at, \
     next_try_at, attempts, sent_at, failed_at, last_error";

impl Store {
    /// Queues `mail` to go at once; `false` when its key was queued before.
    pub async fn enqueue_mail(&self, mail: &NewMail, now: DateTime<Utc>) -> Result<bool> {
        let done = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO mail_outbox (id, notice_key, company_id, recipients, subject, body, created_at, next_try_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (notice_key) DO NOTHING",
            )
            .bind(Uuid::now_v7())
            .bind(&mail.key)
            .bind(mail.company_id)
            .bind(mail.recipients.join("\n"))
            .bind(&mail.subject)
            .bind(&mail.body)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Messages due to be (re)tried at `now`, oldest first.
    pub async fn due_mail(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Mail>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL \
             AND next_try_at <= $1 ORDER BY next_try_at, id LIMIT $2"
        );
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Records that the SMTP server accepted message `id`.
    pub async fn mail_sent(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE mail_outbox SET sent_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Records a failed try of message `id`: again at `retry_at`, or never
    /// (`None`: given up).
    pub async fn mail_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let error: String = error.chars().take(1_000).collect();
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, \
                 next_try_at = COALESCE($3, next_try_at), failed_at = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(error)
            .bind(retry_at)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// The latest messages about companies in `scope`, newest first.
    pub async fn recent_mail(&self, scope: &Scope, limit: i64) -> Result<Vec<Mail>> {
        let (filter, ids) = match scope {
            Scope::All => (String::new(), Vec::new()),
            Scope::Companies(ids) if ids.is_empty() => return Ok(Vec::new()),
            Scope::Companies(ids) => {
                let marks: Vec<String> = (0..ids.len()).map(|n| format!("${}", n + 2)).collect();
                (
                    format!("WHERE company_id IN ({})", marks.join(", ")),
                    ids.to_vec(),
                )
            }
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM mail_outbox {filter} ORDER BY created_at DESC, id DESC LIMIT $1"
        );
        Ok(with_pool!(self, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(limit);
            for id in &ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        }))
    }

    /// The e-mail addresses of people, by id (those that exist).
    pub async fn emails_of(&self, people: &[Uuid]) -> Result<Vec<(Uuid, String)>> {
        let mut out = Vec::new();
        for chunk in people.chunks(100) {
            let marks: Vec<String> = (0..chunk.len()).map(|n| format!("${}", n + 1)).collect();
            let sql = format!(
                "SELECT id, email FROM people WHERE archived_at IS NULL AND id IN ({})",
                marks.join(", ")
            );
            let rows: Vec<(Uuid, String)> = with_pool!(self, pool => {
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(pool).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }
}
