//! Assessment campaigns (評価キャンペーン): the CISO office asks a set of
//! companies to assess themselves against one framework by a date.
//! Launching one adopts the framework where a company had not and makes
//! one compliance assessment per company, all in one transaction; progress
//! per company is how many of its requirement assessments of the framework
//! were reviewed (changed) since the launch, beside its compliance.

use chrono::{DateTime, NaiveDate, Utc};
use mamori_domain::FieldError;
use mamori_domain::authz::Scope;
use mamori_domain::register::{Record, RefValue, RegisterSpec, Value};
use mamori_domain::registers::COMPLIANCE_ASSESSMENTS;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::audit::Append;
use crate::library::adopt;
use crate::records::{SqlValue, Where, insert_record, scope_clause};
use crate::users::Actor;
use crate::{Result, Store, StoreError, bind_values, with_pool, with_tx};

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Campaign {
    pub id: Uuid,
    pub name: String,
    pub framework_id: Uuid,
    pub due_date: NaiveDate,
    pub started_at: DateTime<Utc>,
    pub started_by: String,
}

/// One company's part in a campaign.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CampaignCompany {
    pub company_id: Uuid,
    /// Its compliance assessment.
    pub assessment_id: Uuid,
    pub ref_no: String,
    pub status: String,
    /// Requirement assessments of the framework, and how many of them were
    /// changed since the launch.
    pub requirements: i64,
    pub reviewed: i64,
    pub applicable: i64,
    pub implemented: i64,
}

impl CampaignCompany {
    /// Reviewed share, in whole per cent.
    pub fn progress(&self) -> i64 {
        if self.requirements == 0 {
            0
        } else {
            self.reviewed * 100 / self.requirements
        }
    }
}

/// What a campaign asks for.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: String,
    pub framework_id: Uuid,
    pub companies: Vec<Uuid>,
    pub due_date: NaiveDate,
}

impl Store {
    /// Launches a campaign: all of it or nothing.
    pub async fn launch_campaign(
        &self,
        new: &NewCampaign,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Campaign> {
        let spec: &RegisterSpec = &COMPLIANCE_ASSESSMENTS;
        let id = Uuid::now_v7();
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let taken: Option<Uuid> = sqlx::query_scalar("SELECT id FROM campaigns WHERE name = $1")
                .bind(&new.name)
                .fetch_optional(&mut *tx)
                .await?;
            if taken.is_some() {
                return Err(StoreError::Invalid(vec![FieldError::new("name", "a campaign of that name exists")]));
            }
            let framework: Option<Uuid> = sqlx::query_scalar("SELECT id FROM frameworks WHERE id = $1")
                .bind(new.framework_id)
                .fetch_optional(&mut *tx)
                .await?;
            if framework.is_none() {
                return Err(StoreError::Invalid(vec![FieldError::new("framework", "no such framework is loaded")]));
            }
            sqlx::query("INSERT INTO campaigns (id, name, framework_id, due_date, started_at, started_by) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(&new.name)
                .bind(new.framework_id)
                .bind(new.due_date)
                .bind(now)
                .bind(&actor.name)
                .execute(&mut *tx)
                .await?;
            let mut entry = actor.entry("launch", "campaigns", Some(id));
            entry.detail = Some(format!("framework={} companies={}", new.framework_id, new.companies.len()));
            tx.append_audit(&entry, now).await?;
            for company in &new.companies {
                adopt!(&self.settings, &mut tx, *company, new.framework_id, actor, now)?;
                let mut record = Record::default();
                record.values.insert("campaign", Value::Ref(RefValue::Id(id)));
                record.values.insert("framework", Value::Ref(RefValue::Id(new.framework_id)));
                record.values.insert("status", Value::Text("not_started".into()));
                record.values.insert("due_date", Value::Date(new.due_date));
                insert_record!(spec, &self.settings, &mut tx, Uuid::now_v7(), *company, &record, actor, now)?;
            }
            Ok(())
        })?;
        self.campaign(id).await
    }

    /// Every campaign, the latest first.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as("SELECT id, name, framework_id, due_date, started_at, started_by FROM campaigns ORDER BY started_at DESC, name")
                .fetch_all(pool)
                .await?
        }))
    }

    pub async fn campaign(&self, id: Uuid) -> Result<Campaign> {
        with_pool!(self, pool => {
            sqlx::query_as("SELECT id, name, framework_id, due_date, started_at, started_by FROM campaigns WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        })
        .ok_or(StoreError::NotFound)
    }

    /// Each company of the campaign within `scope`, with its progress.
    pub async fn campaign_progress(
        &self,
        campaign: &Campaign,
        scope: &Scope,
    ) -> Result<Vec<CampaignCompany>> {
        let mut w = Where {
            clauses: vec!["t.archived_at IS NULL".to_owned()],
            values: Vec::new(),
        };
        w.push(|n| format!("t.campaign = ${n}"), SqlValue::Id(campaign.id));
        scope_clause(scope, &mut w);
        let sql = format!(
            "SELECT t.company_id, t.id, t.ref_no, t.status FROM compliance_assessments t{} ORDER BY t.ref_no",
            w.sql()
        );
        let assessments: Vec<(Uuid, Uuid, String, String)> = with_pool!(self, pool => {
            bind_values!(sqlx::query_as(AssertSqlSafe(sql.as_str())), &w.values).fetch_all(pool).await?
        });
        let mut w = Where {
            clauses: vec!["t.archived_at IS NULL".to_owned()],
            values: Vec::new(),
        };
        w.push(
            |n| format!("t.framework = ${n}"),
            SqlValue::Id(campaign.framework_id),
        );
        scope_clause(scope, &mut w);
        w.values.push(SqlValue::Time(campaign.started_at));
        let started = w.values.len();
        // Made by the launch itself (at the launch instant) is not reviewed.
        let sql = format!(
            "SELECT t.company_id, COUNT(*), \
             SUM(CASE WHEN t.updated_at > ${started} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN t.applicability = 'applicable' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN t.applicability = 'applicable' AND t.implementation = 'implemented' THEN 1 ELSE 0 END) \
             FROM requirement_assessments t{} GROUP BY t.company_id",
            w.sql()
        );
        let counts: Vec<(Uuid, i64, i64, i64, i64)> = with_pool!(self, pool => {
            bind_values!(sqlx::query_as(AssertSqlSafe(sql.as_str())), &w.values).fetch_all(pool).await?
        });
        Ok(assessments
            .into_iter()
            .map(|(company_id, assessment_id, ref_no, status)| {
                let c = counts.iter().find(|c| c.0 == company_id);
                CampaignCompany {
                    company_id,
                    assessment_id,
                    ref_no,
                    status,
                    requirements: c.map_or(0, |c| c.1),
                    reviewed: c.map_or(0, |c| c.2),
                    applicable: c.map_or(0, |c| c.3),
                    implemented: c.map_or(0, |c| c.4),
                }
            })
            .collect())
    }
}
