//! Group structure: companies, and the departments list forms choose from.
//! (Departments, committees and their members are registers of the kernel.)

use chrono::{DateTime, Utc};
use mamori_domain::authz::Scope;
use uuid::Uuid;

use crate::audit::Append;
use crate::users::Actor;
use crate::{Result, Store, StoreError, with_pool, with_tx};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Company {
    pub id: Uuid,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub is_holding: bool,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Department {
    pub id: Uuid,
    pub company_id: Uuid,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
}

impl Store {
    pub async fn create_company(
        &self,
        code: &str,
        name_ja: &str,
        name_en: &str,
        is_holding: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        with_tx!(self, tx => {
            let mut entry = actor.entry("create", "companies", Some(id));
            entry.company_id = Some(id);
            entry.detail = Some(format!("code={code}"));
            tx.append_audit(&entry, now).await?;
            sqlx::query("INSERT INTO companies (id, code, name_ja, name_en, is_holding, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(code)
                .bind(name_ja)
                .bind(name_en)
                .bind(is_holding)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_write)?;
            Ok(id)
        })
    }

    /// Companies in `scope`, holding first, then by code.
    pub async fn companies(&self, scope: &Scope) -> Result<Vec<Company>> {
        let all: Vec<Company> = with_pool!(self, pool => {
            sqlx::query_as("SELECT id, code, name_ja, name_en, is_holding FROM companies ORDER BY is_holding DESC, code")
                .fetch_all(pool)
                .await?
        });
        Ok(all.into_iter().filter(|c| scope.contains(c.id)).collect())
    }

    pub async fn company_by_code(&self, code: &str) -> Result<Option<Company>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as("SELECT id, code, name_ja, name_en, is_holding FROM companies WHERE code = $1")
                .bind(code)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Renames a company (its code stays: records and imports refer to it).
    pub async fn rename_company(
        &self,
        id: Uuid,
        name_ja: &str,
        name_en: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        with_tx!(self, tx => {
            let mut entry = actor.entry("update", "companies", Some(id));
            entry.company_id = Some(id);
            entry.detail = Some("rename".into());
            tx.append_audit(&entry, now).await?;
            let done = sqlx::query("UPDATE companies SET name_ja = $1, name_en = $2 WHERE id = $3")
                .bind(name_ja)
                .bind(name_en)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    /// Active departments of the companies in `scope`, by code.
    pub async fn departments(&self, scope: &Scope) -> Result<Vec<Department>> {
        let all: Vec<Department> = with_pool!(self, pool => {
            sqlx::query_as("SELECT id, company_id, code, name_ja, name_en FROM departments WHERE archived_at IS NULL ORDER BY code")
                .fetch_all(pool)
                .await?
        });
        Ok(all
            .into_iter()
            .filter(|d| scope.contains(d.company_id))
            .collect())
    }
}
