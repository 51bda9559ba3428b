//! Framework libraries as stored: group-wide reference data (frameworks,
//! their requirement trees, reference controls, mapping sets). A library is
//! loaded whole or not at all, and audited.

use chrono::{DateTime, Utc};
use mamori_domain::FieldError;
use mamori_domain::library::Library;
use sqlx::Row;
use uuid::Uuid;

use crate::audit::{Append, sha256_hex};
use crate::users::Actor;
use crate::{Result, Store, StoreError, with_pool, with_tx};

/// A loaded framework, with how many requirement nodes it has and how many
/// of them are assessed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FrameworkRow {
    pub id: Uuid,
    pub urn: String,
    pub ref_id: String,
    pub name: String,
    pub name_ja: Option<String>,
    pub description: Option<String>,
    pub library_urn: String,
    pub library_version: i64,
    pub locale: String,
    pub nodes: i64,
    pub assessable: i64,
}

/// One node of a framework's tree, in the order the library gave.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct NodeRow {
    pub id: Uuid,
    pub urn: String,
    pub parent_urn: Option<String>,
    pub ref_id: Option<String>,
    pub name: Option<String>,
    pub name_ja: Option<String>,
    pub description: Option<String>,
    pub assessable: bool,
    pub depth: i64,
}

impl Store {
    /// Whether a library with this URN is loaded.
    pub async fn library_loaded(&self, urn: &str) -> Result<bool> {
        let found: Option<i64> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT version FROM libraries WHERE urn = $1").bind(urn).fetch_optional(pool).await?
        });
        Ok(found.is_some())
    }
}

/// What loading a library added.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Loaded {
    pub urn: String,
    pub frameworks: usize,
    pub nodes: usize,
    pub reference_controls: usize,
    pub mappings: usize,
}

fn invalid(field: &str, message: String) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(field, message)])
}

impl Store {
    /// Loads a library: all of it in one transaction, or nothing. Refused
    /// when a URN it defines is already loaded, or when a mapping set's
    /// frameworks (or the requirements it maps) are not loaded.
    pub async fn load_library(
        &self,
        lib: &Library,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Loaded> {
        let library_id = Uuid::now_v7();
        let mut loaded = Loaded {
            urn: lib.urn.clone(),
            ..Loaded::default()
        };
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let existing: Option<i64> = sqlx::query_scalar("SELECT version FROM libraries WHERE urn = $1")
                .bind(&lib.urn)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(version) = existing {
                return Err(invalid("urn", format!("the library {} is already loaded (version {version})", lib.urn)));
            }
            sqlx::query("INSERT INTO libraries (id, urn, ref_id, name, description, locale, version, provider, dependencies, imported_at, imported_by, name_ja) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
                .bind(library_id)
                .bind(&lib.urn)
                .bind(&lib.ref_id)
                .bind(&lib.name)
                .bind(&lib.description)
                .bind(&lib.locale)
                .bind(lib.version)
                .bind(&lib.provider)
                .bind(lib.dependencies.join(" "))
                .bind(now)
                .bind(&actor.name)
                .bind(&lib.name_ja)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_write)?;
            for rc in &lib.reference_controls {
                sqlx::query("INSERT INTO reference_controls (id, library_id, urn, ref_id, name, category, description, name_ja) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(Uuid::now_v7())
                    .bind(library_id)
                    .bind(&rc.urn)
                    .bind(&rc.ref_id)
                    .bind(&rc.name)
                    .bind(&rc.category)
                    .bind(&rc.description)
                    .bind(&rc.name_ja)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_write)?;
                loaded.reference_controls += 1;
            }
            for f in &lib.frameworks {
                let framework_id = Uuid::now_v7();
                sqlx::query("INSERT INTO frameworks (id, library_id, urn, ref_id, name, description, name_ja) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(framework_id)
                    .bind(library_id)
                    .bind(&f.urn)
                    .bind(&f.ref_id)
                    .bind(&f.name)
                    .bind(&f.description)
                    .bind(&f.name_ja)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_write)?;
                loaded.frameworks += 1;
                for (position, n) in f.nodes.iter().enumerate() {
                    sqlx::query("INSERT INTO requirement_nodes (id, framework_id, urn, parent_urn, ref_id, name, description, assessable, depth, position, reference_controls, name_ja) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
                        .bind(Uuid::now_v7())
                        .bind(framework_id)
                        .bind(&n.urn)
                        .bind(&n.parent_urn)
                        .bind(&n.ref_id)
                        .bind(&n.name)
                        .bind(&n.description)
                        .bind(n.assessable)
                        .bind(i64::from(n.depth))
                        .bind(position as i64)
                        .bind(n.reference_controls.join(" "))
                        .bind(&n.name_ja)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::from_write)?;
                    loaded.nodes += 1;
                }
            }
            for set in &lib.mapping_sets {
                for end in [&set.source_framework_urn, &set.target_framework_urn] {
                    let known: Option<Uuid> = sqlx::query_scalar("SELECT id FROM frameworks WHERE urn = $1")
                        .bind(end)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if known.is_none() {
                        return Err(invalid("mapping_sets", format!("{}: the framework {end} is not loaded; load its library first", set.urn)));
                    }
                }
                let set_id = Uuid::now_v7();
                sqlx::query("INSERT INTO mapping_sets (id, library_id, urn, ref_id, name, source_framework_urn, target_framework_urn) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(set_id)
                    .bind(library_id)
                    .bind(&set.urn)
                    .bind(&set.ref_id)
                    .bind(&set.name)
                    .bind(&set.source_framework_urn)
                    .bind(&set.target_framework_urn)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_write)?;
                for m in &set.mappings {
                    sqlx::query("INSERT INTO requirement_mappings (mapping_set_id, source_requirement_urn, target_requirement_urn, relationship) VALUES ($1, $2, $3, $4)")
                        .bind(set_id)
                        .bind(&m.source_requirement_urn)
                        .bind(&m.target_requirement_urn)
                        .bind(&m.relationship)
                        .execute(&mut *tx)
                        .await?;
                    loaded.mappings += 1;
                }
                // Every mapped requirement must be a node of the framework
                // at that end.
                for (column, framework) in [
                    ("source_requirement_urn", &set.source_framework_urn),
                    ("target_requirement_urn", &set.target_framework_urn),
                ] {
                    let sql = format!(
                        "SELECT m.{column} FROM requirement_mappings m WHERE m.mapping_set_id = $1 AND NOT EXISTS (SELECT 1 FROM requirement_nodes n JOIN frameworks f ON f.id = n.framework_id WHERE f.urn = $2 AND n.urn = m.{column}) LIMIT 3"
                    );
                    let unknown: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .bind(set_id)
                        .bind(framework)
                        .fetch_all(&mut *tx)
                        .await?;
                    if !unknown.is_empty() {
                        return Err(invalid("mapping_sets", format!("{}: not requirements of {framework}: {}", set.urn, unknown.join(", "))));
                    }
                }
            }
            let mut entry = actor.entry("import", "libraries", Some(library_id));
            entry.detail = Some(format!(
                "urn={} frameworks={} nodes={} controls={} mappings={}",
                lib.urn, loaded.frameworks, loaded.nodes, loaded.reference_controls, loaded.mappings
            ));
            entry.after_digest = Some(sha256_hex(format!("{lib:?}").as_bytes()));
            tx.append_audit(&entry, now).await?;
            Ok(())
        })?;
        Ok(loaded)
    }

    /// Every loaded framework, by name.
    pub async fn frameworks(&self) -> Result<Vec<FrameworkRow>> {
        let sql = "SELECT f.id, f.urn, f.ref_id, f.name, f.name_ja, f.description, l.urn AS library_urn, l.version AS library_version, l.locale, \
                   (SELECT COUNT(*) FROM requirement_nodes n WHERE n.framework_id = f.id) AS nodes, \
                   (SELECT COUNT(*) FROM requirement_nodes n WHERE n.framework_id = f.id AND n.assessable) AS assessable \
                   FROM frameworks f JOIN libraries l ON l.id = f.library_id ORDER BY f.name, f.id";
        Ok(with_pool!(self, pool => {
            let rows = sqlx::query(sql).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(FrameworkRow {
                    id: r.try_get("id")?,
                    urn: r.try_get("urn")?,
                    ref_id: r.try_get("ref_id")?,
                    name: r.try_get("name")?,
                    name_ja: r.try_get("name_ja")?,
                    description: r.try_get("description")?,
                    library_urn: r.try_get("library_urn")?,
                    library_version: r.try_get("library_version")?,
                    locale: r.try_get("locale")?,
                    nodes: r.try_get("nodes")?,
                    assessable: r.try_get("assessable")?,
                });
            }
            out
        }))
    }

    /// A framework's requirement tree, in the library's order.
    pub async fn framework_nodes(&self, framework_id: Uuid) -> Result<Vec<NodeRow>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as("SELECT id, urn, parent_urn, ref_id, name, name_ja, description, assessable, depth FROM requirement_nodes WHERE framework_id = $1 ORDER BY position")
                .bind(framework_id)
                .fetch_all(pool)
                .await?
        }))
    }
}

/// Adopts a framework for a company inside a write transaction: one
/// requirement assessment per assessable requirement it does not have yet
/// (applicable, not started); evaluates to how many were made.
macro_rules! adopt {
    ($settings:expr, $conn:expr, $company_id:expr, $framework_id:expr, $actor:expr, $now:expr) => {{
        use mamori_domain::register::{Record, RefValue, RegisterSpec, Value};
        let spec: &RegisterSpec = &mamori_domain::registers::REQUIREMENT_ASSESSMENTS;
        let (company_id, framework_id): (uuid::Uuid, uuid::Uuid) = ($company_id, $framework_id);
        let known: Option<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM frameworks WHERE id = $1")
            .bind(framework_id)
            .fetch_optional(&mut **$conn)
            .await?;
        if known.is_none() {
            return Err($crate::StoreError::NotFound);
        }
        let nodes: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT n.id FROM requirement_nodes n WHERE n.framework_id = $1 AND n.assessable \
             AND NOT EXISTS (SELECT 1 FROM requirement_assessments a WHERE a.company_id = $2 AND a.requirement = n.id) \
             ORDER BY n.position",
        )
        .bind(framework_id)
        .bind(company_id)
        .fetch_all(&mut **$conn)
        .await?;
        for node in &nodes {
            let mut record = Record::default();
            record.values.insert("requirement", Value::Ref(RefValue::Id(*node)));
            record.values.insert("framework", Value::Ref(RefValue::Id(framework_id)));
            record.values.insert("applicability", Value::Text("applicable".into()));
            record.values.insert("implementation", Value::Text("not_started".into()));
            $crate::records::insert_record!(spec, $settings, $conn, uuid::Uuid::now_v7(), company_id, &record, $actor, $now)?;
        }
        let made: $crate::Result<usize> = Ok(nodes.len());
        made
    }};
}
pub(crate) use adopt;

impl Store {
    /// Adopts a framework for a company: one requirement assessment
    /// (applicable, not started) per assessable requirement the company does
    /// not have yet, in the framework's order, each audited. Returns how many
    /// it created; adopting again creates only what is missing.
    pub async fn adopt_framework(
        &self,
        company_id: Uuid,
        framework_id: Uuid,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            adopt!(&self.settings, &mut tx, company_id, framework_id, actor, now)
        })
    }
}

/// How far a company has come with a framework it adopted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Compliance {
    pub company_id: Uuid,
    pub framework_id: Uuid,
    /// Requirements assessed, applicable ones, and applicable ones
    /// implemented or partly implemented.
    pub total: i64,
    pub applicable: i64,
    pub implemented: i64,
    pub partial: i64,
}

impl Compliance {
    /// Implemented share of the applicable requirements, in whole percent.
    pub fn percent(&self) -> i64 {
        if self.applicable == 0 {
            100
        } else {
            self.implemented * 100 / self.applicable
        }
    }
}

impl Store {
    /// Per company (in `scope`) and framework adopted: the counts that make
    /// the compliance percentage.
    pub async fn compliance(&self, scope: &mamori_domain::authz::Scope) -> Result<Vec<Compliance>> {
        // From the rollup by (framework, applicability, implementation):
        // a few counts per company instead of every assessment.
        let counts = self
            .rollup(
                &mamori_domain::registers::REQUIREMENT_ASSESSMENTS,
                1,
                scope,
                None,
            )
            .await?;
        let mut out: Vec<Compliance> = Vec::new();
        for c in counts {
            let Ok(framework_id) = Uuid::parse_str(&c.key[0]) else {
                continue;
            };
            let at = match out
                .iter()
                .position(|x| x.company_id == c.company_id && x.framework_id == framework_id)
            {
                Some(at) => at,
                None => {
                    out.push(Compliance {
                        company_id: c.company_id,
                        framework_id,
                        total: 0,
                        applicable: 0,
                        implemented: 0,
                        partial: 0,
                    });
                    out.len() - 1
                }
            };
            let row = &mut out[at];
            row.total += c.n;
            if c.key[1] == "applicable" {
                row.applicable += c.n;
                match c.key[2].as_str() {
                    "implemented" => row.implemented += c.n,
                    "partial" => row.partial += c.n,
                    _ => {}
                }
            }
        }
        Ok(out)
    }
}

/// A loaded mapping set.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct MappingSetRow {
    pub id: Uuid,
    pub urn: String,
    pub name: Option<String>,
    pub source_framework_urn: String,
    pub target_framework_urn: String,
    pub mappings: i64,
}

/// One mapping seen from a company: the source requirement, the target it
/// maps to, and the company's assessment of the target (if adopted).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MappedStatus {
    pub source_urn: String,
    pub relationship: String,
    pub target_urn: String,
    pub target_ref_id: Option<String>,
    pub applicability: Option<String>,
    pub implementation: Option<String>,
}

impl Store {
    /// The mapping sets loaded.
    pub async fn mapping_sets(&self) -> Result<Vec<MappingSetRow>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT s.id, s.urn, s.name, s.source_framework_urn, s.target_framework_urn, \
                 (SELECT COUNT(*) FROM requirement_mappings m WHERE m.mapping_set_id = s.id) AS mappings \
                 FROM mapping_sets s ORDER BY s.urn",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Every mapping of a set with the company's assessment of its target
    /// requirement (in no particular order).
    pub async fn mapped_statuses(
        &self,
        mapping_set_id: Uuid,
        company_id: Uuid,
    ) -> Result<Vec<MappedStatus>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT m.source_requirement_urn AS source_urn, m.relationship, m.target_requirement_urn AS target_urn, \
                 n.ref_id AS target_ref_id, a.applicability, a.implementation \
                 FROM requirement_mappings m \
                 JOIN mapping_sets s ON s.id = m.mapping_set_id \
                 JOIN frameworks f ON f.urn = s.target_framework_urn \
                 LEFT JOIN requirement_nodes n ON n.framework_id = f.id AND n.urn = m.target_requirement_urn \
                 LEFT JOIN requirement_assessments a ON a.requirement = n.id AND a.company_id = $2 AND a.archived_at IS NULL \
                 WHERE m.mapping_set_id = $1",
            )
            .bind(mapping_set_id)
            .bind(company_id)
            .fetch_all(pool)
            .await?
        }))
    }
}
