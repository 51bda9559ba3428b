//! The audit chain: every change and every sensitive read appends an entry
//! whose hash covers the entry and the hash of the one before.
//!
//! Appending takes the write lock on the single `audit_head` row first, so
//! entries are numbered without gaps across concurrent writers and several
//! servers sharing one PostgreSQL.

use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Result, Store, with_pool};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did what to which record.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub actor_id: Option<Uuid>,
    /// Username, or `system` / `cli` for the platform itself.
    pub actor: String,
    /// `create`, `update`, `archive`, `restore`, `read`, `login`, …
    pub action: String,
    /// Register or area (`people`, `assets`, `users`, `auth`, …).
    pub register: String,
    pub record_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    /// SHA-256 of the state before and after (never the state itself).
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    /// A short note; never a secret or personal data.
    pub detail: Option<String>,
}

/// SHA-256 hex of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn canonical_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn entry_hash(prev: &str, seq: i64, at: DateTime<Utc>, e: &Entry) -> String {
    let fields = serde_json::json!([
        prev,
        seq,
        canonical_time(at),
        e.actor_id,
        e.actor,
        e.action,
        e.register,
        e.record_id,
        e.company_id,
        e.before_digest,
        e.after_digest,
        e.detail,
    ]);
    sha256_hex(fields.to_string().as_bytes())
}

/// Appends inside the caller's transaction, so the entry lands with the
/// change or not at all.
macro_rules! impl_append {
    ($db:ty) => {
        impl crate::audit::Append for sqlx::Transaction<'_, $db> {
            async fn lock_for_write(&mut self) -> Result<()> {
                sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
                    .execute(&mut **self)
                    .await?;
                Ok(())
            }

            async fn append_audit(&mut self, entry: &Entry, at: DateTime<Utc>) -> Result<i64> {
                let at = at.trunc_subsecs(6);
                let (seq, prev): (i64, String) = sqlx::query_as(
                    "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
                )
                .fetch_one(&mut **self)
                .await?;
                let hash = entry_hash(&prev, seq, at, entry);
                sqlx::query(
                    "INSERT INTO audit_log (seq, at, actor_id, actor, action, register, record_id, company_id, before_digest, after_digest, detail, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(seq)
                .bind(at)
                .bind(entry.actor_id)
                .bind(&entry.actor)
                .bind(&entry.action)
                .bind(&entry.register)
                .bind(entry.record_id)
                .bind(entry.company_id)
                .bind(&entry.before_digest)
                .bind(&entry.after_digest)
                .bind(&entry.detail)
                .bind(&prev)
                .bind(&hash)
                .execute(&mut **self)
                .await?;
                sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                    .bind(&hash)
                    .execute(&mut **self)
                    .await?;
                Ok(seq)
            }
        }
    };
}

/// Implemented by both databases' transactions.
pub trait Append {
    /// Takes the database's write lock first, so a transaction that reads
    /// before it writes cannot fail to upgrade (SQLite) and writers queue in
    /// one order (PostgreSQL).
    fn lock_for_write(&mut self) -> impl std::future::Future<Output = Result<()>> + Send;

    fn append_audit(
        &mut self,
        entry: &Entry,
        at: DateTime<Utc>,
    ) -> impl std::future::Future<Output = Result<i64>> + Send;
}

impl_append!(sqlx::Sqlite);
impl_append!(sqlx::Postgres);

/// What `mamori audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub entries: i64,
    /// The first broken link: its sequence number and why.
    pub broken: Option<(i64, String)>,
}

type Row = (
    i64,
    DateTime<Utc>,
    Option<Uuid>,
    String,
    String,
    String,
    Option<Uuid>,
    Option<Uuid>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

impl Store {
    /// Appends one entry in a transaction of its own (reads, logins).
    pub async fn audit(&self, entry: &Entry, at: DateTime<Utc>) -> Result<i64> {
        crate::with_tx!(self, tx => tx.append_audit(entry, at).await)
    }

    /// Walks the whole chain and names the first entry that does not hold.
    pub async fn verify_audit_chain(&self) -> Result<Verification> {
        const PAGE: i64 = 5_000;
        let mut expected_seq = 1;
        let mut prev = GENESIS.to_owned();
        loop {
            let rows: Vec<Row> = with_pool!(self, pool => {
                sqlx::query_as(
                    "SELECT seq, at, actor_id, actor, action, register, record_id, company_id, before_digest, after_digest, detail, prev_hash, hash \
                     FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
                )
                .bind(expected_seq)
                .bind(PAGE)
                .fetch_all(pool)
                .await?
            });
            let count = rows.len();
            for row in rows {
                let (
                    seq,
                    at,
                    actor_id,
                    actor,
                    action,
                    register,
                    record_id,
                    company_id,
                    before_digest,
                    after_digest,
                    detail,
                    prev_hash,
                    hash,
                ) = row;
                let broken = |why: String| {
                    Ok(Verification {
                        entries: seq - 1,
                        broken: Some((seq, why)),
                    })
                };
                if seq != expected_seq {
                    return Ok(Verification {
                        entries: expected_seq - 1,
                        broken: Some((expected_seq, format!("entry {expected_seq} is missing"))),
                    });
                }
                if prev_hash != prev {
                    return broken(format!("entry {seq} does not link to entry {}", seq - 1));
                }
                let entry = Entry {
                    actor_id,
                    actor,
                    action,
                    register,
                    record_id,
                    company_id,
                    before_digest,
                    after_digest,
                    detail,
                };
                if entry_hash(&prev, seq, at, &entry) != hash {
                    return broken(format!("entry {seq} was altered after it was written"));
                }
                prev = hash;
                expected_seq += 1;
            }
            if (count as i64) < PAGE {
                break;
            }
        }
        let entries = expected_seq - 1;
        let (head_seq, head_hash): (i64, String) = with_pool!(self, pool => {
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(pool).await?
        });
        if head_seq != entries || head_hash != prev {
            return Ok(Verification {
                entries,
                broken: Some((
                    entries + 1,
                    format!(
                        "the chain ends at entry {entries} but its head says {head_seq}: entries were removed"
                    ),
                )),
            });
        }
        Ok(Verification {
            entries,
            broken: None,
        })
    }

    /// The latest entries, newest first (for the audit page and tests).
    pub async fn recent_audit(
        &self,
        limit: i64,
    ) -> Result<Vec<(i64, DateTime<Utc>, String, String, String, Option<Uuid>)>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT seq, at, actor, action, register, record_id FROM audit_log ORDER BY seq DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }
}
