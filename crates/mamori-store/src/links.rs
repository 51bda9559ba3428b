//! Links between records of two registers that allow it
//! ([`RegisterSpec::links`]): a control with the risks it treats, the
//! requirements it meets. A link joins two records of one company, is made
//! and removed by people and audited both times, and is read from either
//! end.

use chrono::{DateTime, Utc};
use mamori_domain::FieldError;
use mamori_domain::authz::Scope;
use mamori_domain::register::RegisterSpec;
use mamori_domain::registers;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::audit::Append;
use crate::incidents::insert_link;
use crate::users::Actor;
use crate::{Result, Store, StoreError, with_pool, with_tx};

/// A link seen from one of its records: the record at the other end.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Linked {
    pub link_id: Uuid,
    pub register: &'static str,
    pub record_id: Uuid,
    pub ref_no: String,
    /// The record's title, or for a register without one (requirement
    /// assessments) what its first reference names.
    pub title_ja: String,
    pub title_en: String,
    pub archived: bool,
}

/// A stored link.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct LinkRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub from_register: String,
    pub from_id: Uuid,
    pub to_register: String,
    pub to_id: Uuid,
}

impl Store {
    /// Links two records; both must exist, belong to one company and be of
    /// registers that link. Linking twice is refused as a duplicate.
    pub async fn link_records(
        &self,
        from: (&RegisterSpec, Uuid),
        to: (&RegisterSpec, Uuid),
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<LinkRow> {
        if !from.0.links_with(to.0) {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "register",
                format!("{} records are not linked with {}", from.0.name, to.0.name),
            )]));
        }
        let id = with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let mut companies = Vec::new();
            for (spec, record) in [from, to] {
                let company: Option<Uuid> = sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT company_id FROM {} WHERE id = $1",
                    spec.table
                )))
                .bind(record)
                .fetch_optional(&mut *tx)
                .await?;
                companies.push(company.ok_or(StoreError::NotFound)?);
            }
            if companies[0] != companies[1] {
                return Err(StoreError::Invalid(vec![FieldError::new(
                    "id",
                    "links join records of one company",
                )]));
            }
            // One link per pair, whichever end it was made from.
            let id = insert_link!(&mut tx, companies[0], from, to, actor, now)?;
            Ok(id)
        })?;
        self.link(id).await?.ok_or(StoreError::NotFound)
    }

    /// The id of a record by its reference number (`CTL-000012`).
    pub async fn id_by_ref(&self, spec: &RegisterSpec, ref_no: &str) -> Result<Option<Uuid>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT id FROM {} WHERE ref_no = $1", spec.table)))
                .bind(ref_no)
                .fetch_optional(pool)
                .await?
        }))
    }

    pub async fn link(&self, id: Uuid) -> Result<Option<LinkRow>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as("SELECT id, company_id, from_register, from_id, to_register, to_id FROM record_links WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Removes a link, audited.
    pub async fn unlink(&self, link: &LinkRow, actor: &Actor, now: DateTime<Utc>) -> Result<()> {
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let gone = sqlx::query("DELETE FROM record_links WHERE id = $1")
                .bind(link.id)
                .execute(&mut *tx)
                .await?;
            if gone.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            let mut entry = actor.entry("unlink", &link.from_register, Some(link.from_id));
            entry.company_id = Some(link.company_id);
            entry.detail = Some(format!("{} {}", link.to_register, link.to_id));
            tx.append_audit(&entry, now).await?;
            Ok(())
        })
    }

    /// The records linked with one, from either end, in reference order.
    pub async fn links_of(&self, spec: &RegisterSpec, id: Uuid) -> Result<Vec<Linked>> {
        let rows: Vec<(Uuid, String, Uuid)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, to_register, to_id FROM record_links WHERE from_register = $1 AND from_id = $2 \
                 UNION ALL SELECT id, from_register, from_id FROM record_links WHERE to_register = $1 AND to_id = $2",
            )
            .bind(spec.name)
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::new();
        for (link_id, register, record_id) in rows {
            let Some(other) = registers::by_name(&register) else {
                continue;
            };
            match self.get_record(other, record_id, &Scope::All).await {
                Ok(s) => {
                    let title = other.title(&s.record);
                    let named = other
                        .fields
                        .iter()
                        .find_map(|f| s.refs.get(f.name))
                        .filter(|_| title.is_empty());
                    out.push(Linked {
                        link_id,
                        register: other.name,
                        record_id,
                        title_ja: named.map_or_else(|| title.clone(), |r| r.name_ja.clone()),
                        title_en: named.map_or(title, |r| r.name_en.clone()),
                        ref_no: s.ref_no,
                        archived: s.archived_at.is_some(),
                    });
                }
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        out.sort_by(|a, b| (a.register, &a.ref_no).cmp(&(b.register, &b.ref_no)));
        Ok(out)
    }
}
