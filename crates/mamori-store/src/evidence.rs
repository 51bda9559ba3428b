//! Evidence files kept with the records they support: the bytes, their
//! SHA-256, who added them and when. Adding one and every read of one are
//! written to the audit chain (chain of custody).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::{Append, sha256_hex};
use crate::users::Actor;
use crate::{Result, Store, StoreError, with_pool, with_tx};

/// An evidence file without its bytes.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct EvidenceMeta {
    pub id: Uuid,
    pub company_id: Uuid,
    pub register: String,
    pub record_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

const META: &str = "id, company_id, register, record_id, filename, content_type, size, sha256, uploaded_by, uploaded_at";

impl Store {
    /// Keeps a file for a record (the caller has checked the file and that
    /// the actor may change the record); audited with its SHA-256.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_evidence(
        &self,
        register: &str,
        record_id: Uuid,
        company_id: Uuid,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<EvidenceMeta> {
        let id = Uuid::now_v7();
        let sha256 = sha256_hex(bytes);
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            sqlx::query("INSERT INTO evidence (id, company_id, register, record_id, filename, content_type, size, sha256, content, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(id)
                .bind(company_id)
                .bind(register)
                .bind(record_id)
                .bind(filename)
                .bind(content_type)
                .bind(bytes.len() as i64)
                .bind(&sha256)
                .bind(bytes)
                .bind(&actor.name)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_write)?;
            let mut entry = actor.entry("attach", register, Some(record_id));
            entry.company_id = Some(company_id);
            entry.after_digest = Some(sha256.clone());
            entry.detail = Some(format!("evidence={id} size={}", bytes.len()));
            tx.append_audit(&entry, now).await?;
            Ok(())
        })?;
        Ok(EvidenceMeta {
            id,
            company_id,
            register: register.to_owned(),
            record_id,
            filename: filename.to_owned(),
            content_type: content_type.to_owned(),
            size: bytes.len() as i64,
            sha256,
            uploaded_by: actor.name.clone(),
            uploaded_at: now,
        })
    }

    /// The files kept for a record, oldest first.
    pub async fn evidence_for(&self, register: &str, record_id: Uuid) -> Result<Vec<EvidenceMeta>> {
        let sql = format!(
            "SELECT {META} FROM evidence WHERE register = $1 AND record_id = $2 ORDER BY uploaded_at, id"
        );
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(register).bind(record_id).fetch_all(pool).await?
        }))
    }

    /// The files kept for a company's records of a register.
    pub async fn evidence_of_company(
        &self,
        register: &str,
        company_id: Uuid,
    ) -> Result<Vec<EvidenceMeta>> {
        let sql = format!(
            "SELECT {META} FROM evidence WHERE register = $1 AND company_id = $2 ORDER BY uploaded_at, id"
        );
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(register).bind(company_id).fetch_all(pool).await?
        }))
    }

    /// One file's description, whatever its company (callers check).
    pub async fn evidence_meta(&self, id: Uuid) -> Result<Option<EvidenceMeta>> {
        let sql = format!("SELECT {META} FROM evidence WHERE id = $1");
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(pool).await?
        }))
    }

    /// A file's bytes, the read written to the audit chain.
    pub async fn read_evidence(
        &self,
        meta: &EvidenceMeta,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>> {
        let bytes: Vec<u8> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT content FROM evidence WHERE id = $1").bind(meta.id).fetch_one(pool).await?
        });
        let mut entry = actor.entry("read", &meta.register, Some(meta.record_id));
        entry.company_id = Some(meta.company_id);
        entry.after_digest = Some(meta.sha256.clone());
        entry.detail = Some(format!("evidence={}", meta.id));
        self.audit(&entry, now).await?;
        Ok(bytes)
    }
}
