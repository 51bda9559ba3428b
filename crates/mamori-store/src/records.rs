//! The register kernel's store half: create, read, list (filter, sort,
//! keyset pagination), update with optimistic concurrency, archive and
//! restore, and all-or-nothing import, for every register described by a
//! [`RegisterSpec`]. SQL is derived from the spec; nothing here is specific
//! to one register.

use std::collections::BTreeMap;

use base64_url::{decode_cursor, encode_cursor};
use chrono::{DateTime, NaiveDate, Utc};
use mamori_domain::FieldError;
use mamori_domain::authz::Scope;
use mamori_domain::register::{
    FieldKind, FieldSpec, Record, RefTarget, RefValue, RegisterSpec, Value,
};
use sqlx::AssertSqlSafe;
use sqlx::Row;
use uuid::Uuid;

use crate::audit::{Append, sha256_hex};
use crate::incidents::{EscalateTo, insert_link, insert_note};
use crate::users::Actor;
use crate::{Dialect, Result, Store, StoreError, bind_values, with_pool, with_tx};
use mamori_domain::registers::{ALERTS, DRILL_INJECTS, INCIDENTS};

/// A value bound to a query.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    NullId,
    NullDate,
    NullBool,
    NullInt,
    NullTime,
    Text(String),
    Bool(bool),
    Int(i64),
    Date(NaiveDate),
    Id(Uuid),
    Time(DateTime<Utc>),
}

/// A record as stored: common columns, field values and the labels of the
/// records its references point at.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: Uuid,
    pub ref_no: String,
    pub company_id: Uuid,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    pub record: Record,
    pub refs: BTreeMap<&'static str, RefLabel>,
}

/// How a referenced record is shown: its human key and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefLabel {
    pub key: String,
    pub name_ja: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Archived {
    #[default]
    Active,
    Archived,
    All,
}

/// Where a list page continues: the sort key and id of the last row shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub key: SqlValue,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        encode_cursor(self)
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        decode_cursor(s)
    }
}

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub scope: Scope,
    pub company: Option<Uuid>,
    pub filters: Vec<(&'static FieldSpec, Value)>,
    pub search: Option<String>,
    pub archived: Archived,
    /// A sortable field, or `None` for the reference number.
    pub sort: Option<&'static FieldSpec>,
    pub desc: bool,
    pub after: Option<Cursor>,
    pub limit: i64,
    /// Whether to count all matches (the list page shows it; the API may skip).
    pub count: bool,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Stored>,
    pub next: Option<Cursor>,
    pub total: Option<i64>,
}

/// One row of an import: its line in the file, company and values.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub line: usize,
    pub company_id: Uuid,
    /// When set and it names a record of the same company, that record is
    /// updated; otherwise a new one is created.
    pub ref_no: Option<String>,
    pub record: Record,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub line: usize,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportOutcome {
    pub created: usize,
    pub updated: usize,
    pub errors: Vec<RowError>,
    /// Whether the rows were written (never when any row is bad or on a dry run).
    pub committed: bool,
}

const COMMON: &str =
    "t.id, t.ref_no, t.company_id, t.version, t.created_at, t.updated_at, t.archived_at";

fn target_sql(target: RefTarget) -> (&'static str, &'static str, &'static str, &'static str) {
    // table, key column, Japanese name expression, English name expression
    match target {
        RefTarget::Department => ("departments", "code", "r.name_ja", "r.name_en"),
        RefTarget::Person | RefTarget::GroupPerson => (
            "people",
            "employee_no",
            "r.family_name || ' ' || r.given_name",
            "r.family_name || ' ' || r.given_name",
        ),
        RefTarget::Committee => ("committees", "code", "r.name_ja", "r.name_en"),
        RefTarget::Asset => ("assets", "ref_no", "r.name", "r.name"),
        RefTarget::Framework => ("frameworks", "urn", "COALESCE(r.name_ja, r.name)", "r.name"),
        RefTarget::Requirement => (
            "requirement_nodes",
            "urn",
            "COALESCE(r.ref_id || ' ', '') || COALESCE(r.name_ja, r.name, '')",
            "COALESCE(r.ref_id || ' ', '') || COALESCE(r.name, '')",
        ),
        RefTarget::Campaign => ("campaigns", "name", "r.name", "r.name"),
        RefTarget::Incident | RefTarget::Exercise => ("incidents", "ref_no", "r.title", "r.title"),
        RefTarget::ReferenceControl => (
            "reference_controls",
            "urn",
            "COALESCE(r.ref_id || ' ', '') || COALESCE(r.name_ja, r.name, '')",
            "COALESCE(r.ref_id || ' ', '') || COALESCE(r.name, '')",
        ),
    }
}

pub(crate) fn select_sql(spec: &RegisterSpec) -> String {
    let mut cols = vec![COMMON.to_owned()];
    for f in spec.fields {
        cols.push(format!("t.{}", f.name));
        if let FieldKind::Reference(target) = f.kind {
            let (table, key, ja, en) = target_sql(target);
            let name = f.name;
            cols.push(format!(
                "(SELECT r.{key} FROM {table} r WHERE r.id = t.{name}) AS {name}__key"
            ));
            cols.push(format!(
                "(SELECT {ja} FROM {table} r WHERE r.id = t.{name}) AS {name}__ja"
            ));
            cols.push(format!(
                "(SELECT {en} FROM {table} r WHERE r.id = t.{name}) AS {name}__en"
            ));
        }
    }
    format!("SELECT {} FROM {} t", cols.join(", "), spec.table)
}

/// Reads a [`Stored`] from a row of [`select_sql`].
macro_rules! decode_stored {
    ($spec:expr, $row:expr) => {{
        let row = $row;
        let mut record = Record::default();
        let mut refs = BTreeMap::new();
        for f in $spec.fields {
            let value = match f.kind {
                FieldKind::Bool => row.try_get::<Option<bool>, _>(f.name)?.map(Value::Bool),
                FieldKind::Date => row
                    .try_get::<Option<NaiveDate>, _>(f.name)?
                    .map(Value::Date),
                FieldKind::Integer => row.try_get::<Option<i64>, _>(f.name)?.map(Value::Int),
                FieldKind::DateTime => row
                    .try_get::<Option<DateTime<Utc>>, _>(f.name)?
                    .map(Value::Time),
                FieldKind::Reference(_) => {
                    let id = row.try_get::<Option<Uuid>, _>(f.name)?;
                    if id.is_some() {
                        let key =
                            row.try_get::<Option<String>, _>(format!("{}__key", f.name).as_str())?;
                        let ja =
                            row.try_get::<Option<String>, _>(format!("{}__ja", f.name).as_str())?;
                        let en =
                            row.try_get::<Option<String>, _>(format!("{}__en", f.name).as_str())?;
                        refs.insert(
                            f.name,
                            RefLabel {
                                key: key.unwrap_or_default(),
                                name_ja: ja.unwrap_or_default(),
                                name_en: en.unwrap_or_default(),
                            },
                        );
                    }
                    id.map(|id| Value::Ref(RefValue::Id(id)))
                }
                _ => row.try_get::<Option<String>, _>(f.name)?.map(Value::Text),
            };
            record.values.insert(f.name, value.unwrap_or(Value::Null));
        }
        Stored {
            id: row.try_get("id")?,
            ref_no: row.try_get("ref_no")?,
            company_id: row.try_get("company_id")?,
            version: row.try_get("version")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            archived_at: row.try_get("archived_at")?,
            record,
            refs,
        }
    }};
}

/// The value stored for a field.
pub(crate) fn sql_value(field: &FieldSpec, value: &Value) -> SqlValue {
    match value {
        Value::Null => match field.kind {
            FieldKind::Reference(_) => SqlValue::NullId,
            FieldKind::Date => SqlValue::NullDate,
            FieldKind::Integer => SqlValue::NullInt,
            FieldKind::DateTime => SqlValue::NullTime,
            // An unset flag is false: the columns are NOT NULL.
            FieldKind::Bool => SqlValue::Bool(false),
            _ => SqlValue::Null,
        },
        Value::Text(s) => SqlValue::Text(s.clone()),
        Value::Bool(b) => SqlValue::Bool(*b),
        Value::Date(d) => SqlValue::Date(*d),
        Value::Int(n) => SqlValue::Int(*n),
        Value::Time(t) => SqlValue::Time(*t),
        Value::Ref(RefValue::Id(id)) => SqlValue::Id(*id),
        // Keys are resolved before writing; an unresolved key never reaches SQL.
        Value::Ref(RefValue::Key(_)) => SqlValue::NullId,
    }
}

/// The value a stored field is compared with when sorting (NULLs sort first).
fn sort_expr(field: Option<&FieldSpec>, dialect: Dialect) -> String {
    match field {
        None => "t.ref_no".to_owned(),
        // A required column is never NULL: sort on it bare, so its index serves.
        Some(f) if f.required => format!("t.{}", f.name),
        Some(f) => match (f.kind, dialect) {
            (FieldKind::Date, Dialect::Postgres) => {
                format!("COALESCE(t.{}, DATE '0001-01-01')", f.name)
            }
            (FieldKind::Date, Dialect::Sqlite) => format!("COALESCE(t.{}, '0001-01-01')", f.name),
            (FieldKind::DateTime, Dialect::Postgres) => {
                format!(
                    "COALESCE(t.{}, TIMESTAMPTZ '0001-01-01 00:00:00+00')",
                    f.name
                )
            }
            // SQLite keeps instants as RFC 3339 text, which sorts as time.
            (FieldKind::DateTime, Dialect::Sqlite) => {
                format!("COALESCE(t.{}, '0001-01-01T00:00:00+00:00')", f.name)
            }
            (FieldKind::Integer, _) => format!("COALESCE(t.{}, 0)", f.name),
            (FieldKind::Bool, _) => format!("COALESCE(t.{}, FALSE)", f.name),
            _ => format!("COALESCE(t.{}, '')", f.name),
        },
    }
}

fn sort_key(field: Option<&FieldSpec>, s: &Stored) -> SqlValue {
    match field {
        None => SqlValue::Text(s.ref_no.clone()),
        Some(f) => match (f.kind, s.record.get(f.name)) {
            (FieldKind::Date, Value::Date(d)) => SqlValue::Date(*d),
            (FieldKind::Date, _) => {
                SqlValue::Date(NaiveDate::from_ymd_opt(1, 1, 1).expect("year 1 is a valid date"))
            }
            (FieldKind::Bool, Value::Bool(b)) => SqlValue::Bool(*b),
            (FieldKind::Bool, _) => SqlValue::Bool(false),
            (FieldKind::Integer, Value::Int(n)) => SqlValue::Int(*n),
            (FieldKind::Integer, _) => SqlValue::Int(0),
            (FieldKind::DateTime, Value::Time(t)) => SqlValue::Time(*t),
            (FieldKind::DateTime, _) => SqlValue::Time(DateTime::<Utc>::MIN_UTC),
            (_, Value::Text(t)) => SqlValue::Text(t.clone()),
            (_, _) => SqlValue::Text(String::new()),
        },
    }
}

/// Digest of a record's state for the audit chain.
pub fn state_digest(company_id: Uuid, record: &Record, archived: bool) -> String {
    let state = serde_json::json!({ "company_id": company_id, "fields": fields_json(record), "archived": archived });
    sha256_hex(state.to_string().as_bytes())
}

/// A record's field values as a JSON object (API shapes: ids, dates and
/// instants as text).
pub fn fields_json(record: &Record) -> serde_json::Value {
    serde_json::Value::Object(
        record
            .values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.to_json()))
            .collect(),
    )
}

/// One state of a record as kept in `record_history`.
#[derive(Debug, Clone)]
pub struct PastState {
    pub record_id: Uuid,
    pub version: i64,
    pub archived: bool,
    /// [`fields_json`] of that version.
    pub fields: serde_json::Value,
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub(crate) struct Where {
    pub(crate) clauses: Vec<String>,
    pub(crate) values: Vec<SqlValue>,
}

impl Where {
    pub(crate) fn push(&mut self, clause: impl FnOnce(usize) -> String, value: SqlValue) {
        self.values.push(value);
        self.clauses.push(clause(self.values.len()));
    }

    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

pub(crate) fn scope_clause(scope: &Scope, w: &mut Where) {
    if let Scope::Companies(ids) = scope {
        if ids.is_empty() {
            w.clauses.push("1 = 0".to_owned());
            return;
        }
        let mut marks = Vec::new();
        for id in ids {
            w.values.push(SqlValue::Id(*id));
            marks.push(format!("${}", w.values.len()));
        }
        w.clauses
            .push(format!("t.company_id IN ({})", marks.join(", ")));
    }
}

impl Store {
    /// One record, if it exists in a company of `scope`.
    pub async fn get_record(&self, spec: &RegisterSpec, id: Uuid, scope: &Scope) -> Result<Stored> {
        let sql = format!("{} WHERE t.id = $1", select_sql(spec));
        let stored = with_pool!(self, pool => {
            match sqlx::query(AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(pool).await? {
                Some(row) => Some(decode_stored!(spec, &row)),
                None => None,
            }
        });
        match stored {
            Some(s) if scope.contains(s.company_id) => Ok(s),
            _ => Err(StoreError::NotFound),
        }
    }

    /// How many active records of `spec` in `scope` have `field` (a date)
    /// before `day`, and `equals` (a field and its text value) when given:
    /// overdue reviews, expired acceptances.
    pub async fn count_before(
        &self,
        spec: &RegisterSpec,
        field: &FieldSpec,
        day: NaiveDate,
        equals: Option<(&FieldSpec, &str)>,
        scope: &Scope,
    ) -> Result<i64> {
        let mut w = Where {
            clauses: vec!["t.archived_at IS NULL".to_owned()],
            values: Vec::new(),
        };
        scope_clause(scope, &mut w);
        w.push(|n| format!("t.{} < ${n}", field.name), SqlValue::Date(day));
        if let Some((f, v)) = equals {
            w.push(
                |n| format!("t.{} = ${n}", f.name),
                SqlValue::Text(v.to_owned()),
            );
        }
        let sql = format!("SELECT COUNT(*) FROM {} t{}", spec.table, w.sql());
        Ok(with_pool!(self, pool => {
            bind_values!(sqlx::query_scalar(AssertSqlSafe(sql.as_str())), &w.values).fetch_one(pool).await?
        }))
    }

    /// The states of a company's records of `spec` as they stood at `at`
    /// (records made later are absent). Only for registers that keep history.
    pub async fn states_as_of(
        &self,
        spec: &RegisterSpec,
        company_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Vec<PastState>> {
        let rows: Vec<(Uuid, i64, bool, String)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT h.record_id, h.version, h.archived, h.state FROM record_history h \
                 WHERE h.register = $1 AND h.company_id = $2 AND h.changed_at <= $3 \
                 AND h.version = (SELECT MAX(h2.version) FROM record_history h2 WHERE h2.record_id = h.record_id AND h2.changed_at <= $3)",
            )
            .bind(spec.name)
            .bind(company_id)
            .bind(at)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(record_id, version, archived, state)| {
                let fields = serde_json::from_str(&state).map_err(|e| {
                    StoreError::Invalid(vec![FieldError::new("record_history", e.to_string())])
                })?;
                Ok(PastState {
                    record_id,
                    version,
                    archived,
                    fields,
                })
            })
            .collect()
    }

    /// A page of records matching `q`, in its order.
    pub async fn list_records(&self, spec: &RegisterSpec, q: &ListQuery) -> Result<Page> {
        let dialect = self.dialect();
        let mut w = Where {
            clauses: Vec::new(),
            values: Vec::new(),
        };
        scope_clause(&q.scope, &mut w);
        if let Some(company) = q.company {
            w.push(|n| format!("t.company_id = ${n}"), SqlValue::Id(company));
        }
        match q.archived {
            Archived::Active => w.clauses.push("t.archived_at IS NULL".into()),
            Archived::Archived => w.clauses.push("t.archived_at IS NOT NULL".into()),
            Archived::All => {}
        }
        for (field, value) in &q.filters {
            match value {
                Value::Null => w.clauses.push(format!("t.{} IS NULL", field.name)),
                // A list of codes selects the records that list every code
                // asked for (exactly, case and all: no pattern matching).
                Value::Text(codes) if field.kind == FieldKind::Companies => {
                    let find = match dialect {
                        Dialect::Sqlite => "instr",
                        Dialect::Postgres => "strpos",
                    };
                    for code in codes.split(',') {
                        w.push(
                            |n| format!("{find}(',' || t.{} || ',', ${n}) > 0", field.name),
                            SqlValue::Text(format!(",{code},")),
                        );
                    }
                }
                v => w.push(|n| format!("t.{} = ${n}", field.name), sql_value(field, v)),
            }
        }
        if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let like = match dialect {
                Dialect::Sqlite => "LIKE",
                Dialect::Postgres => "ILIKE",
            };
            let text_fields: Vec<&str> = spec
                .fields
                .iter()
                .filter(|f| matches!(f.kind, FieldKind::Text { .. } | FieldKind::Email))
                .map(|f| f.name)
                .collect();
            w.push(
                |n| {
                    let mut ors: Vec<String> = text_fields
                        .iter()
                        .map(|c| format!("t.{c} {like} ${n} ESCAPE '\\'"))
                        .collect();
                    ors.push(format!("t.ref_no {like} ${n} ESCAPE '\\'"));
                    format!("({})", ors.join(" OR "))
                },
                SqlValue::Text(escape_like(search)),
            );
        }
        let count_sql = format!("SELECT COUNT(*) FROM {} t{}", spec.table, w.sql());
        let count_values = w.values.clone();

        let key = sort_expr(q.sort, dialect);
        let (cmp, dir) = if q.desc { ("<", "DESC") } else { (">", "ASC") };
        if let Some(after) = &q.after {
            w.values.push(after.key.clone());
            let k = w.values.len();
            w.values.push(SqlValue::Id(after.id));
            let i = w.values.len();
            w.clauses.push(format!(
                "({key} {cmp} ${k} OR ({key} = ${k} AND t.id {cmp} ${i}))"
            ));
        }
        let limit = q.limit.clamp(1, 500);
        w.values.push(SqlValue::Int(limit + 1));
        let sql = format!(
            "{}{} ORDER BY {key} {dir}, t.id {dir} LIMIT ${}",
            select_sql(spec),
            w.sql(),
            w.values.len()
        );
        let (mut items, total) = with_pool!(self, pool => {
            let rows = bind_values!(sqlx::query(AssertSqlSafe(sql.as_str())), &w.values).fetch_all(pool).await?;
            let mut items = Vec::with_capacity(rows.len());
            for row in &rows {
                items.push(decode_stored!(spec, row));
            }
            let total: Option<i64> = if q.count {
                Some(bind_values!(sqlx::query_scalar(AssertSqlSafe(count_sql.as_str())), &count_values).fetch_one(pool).await?)
            } else {
                None
            };
            (items, total)
        });
        let next = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|last| Cursor {
                key: sort_key(q.sort, last),
                id: last.id,
            })
        } else {
            None
        };
        Ok(Page { items, next, total })
    }

    /// Creates a record in `company_id`. The record must be complete.
    pub async fn create_record(
        &self,
        spec: &RegisterSpec,
        company_id: Uuid,
        record: Record,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Stored> {
        let id = Uuid::now_v7();
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let record = resolve_and_check!(spec, &self.settings, &mut tx, company_id, record)?;
            insert_record!(spec, &self.settings, &mut tx, id, company_id, &record, actor, now)?;
            Ok(())
        })?;
        self.get_record(spec, id, &Scope::All).await
    }

    /// Applies `changes` to the record if it is still at `expected_version`.
    /// The caller has checked that the principal may update it.
    pub async fn update_record(
        &self,
        spec: &RegisterSpec,
        id: Uuid,
        expected_version: i64,
        changes: Record,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Stored> {
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let sql = format!("{} WHERE t.id = $1", select_sql(spec));
            let row = sqlx::query(AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(&mut *tx).await?.ok_or(StoreError::NotFound)?;
            let current = decode_stored!(spec, &row);
            update_stored!(spec, &self.settings, &mut tx, current, expected_version, changes, actor, now)
        })?;
        self.get_record(spec, id, &Scope::All).await
    }

    /// Archives (`archive = true`) or restores a record at `expected_version`.
    pub async fn set_archived(
        &self,
        spec: &RegisterSpec,
        id: Uuid,
        expected_version: i64,
        archive: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Stored> {
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let sql = format!("{} WHERE t.id = $1", select_sql(spec));
            let row = sqlx::query(AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(&mut *tx).await?.ok_or(StoreError::NotFound)?;
            let current = decode_stored!(spec, &row);
            if current.version != expected_version {
                return Err(StoreError::Stale { current: current.version });
            }
            let before = state_digest(current.company_id, &current.record, current.archived_at.is_some());
            let after = state_digest(current.company_id, &current.record, archive);
            let archived_at = if archive { Some(now) } else { None };
            sqlx::query(AssertSqlSafe(format!("UPDATE {} SET archived_at = $1, version = version + 1, updated_at = $2 WHERE id = $3", spec.table)))
                .bind(archived_at)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            keep_history!(spec, &mut tx, id, current.company_id, current.version + 1, now, archive, &current.record, actor)?;
            let was_active = current.archived_at.is_none();
            let (counted, counts) = (was_active.then_some(&current.record), (!archive).then_some(&current.record));
            crate::rollups::apply_rollups!(spec, &mut tx, current.company_id, counted, counts)?;
            let mut entry = actor.entry(if archive { "archive" } else { "restore" }, spec.name, Some(id));
            entry.company_id = Some(current.company_id);
            entry.before_digest = Some(before);
            entry.after_digest = Some(after);
            tx.append_audit(&entry, now).await?;
            Ok(())
        })?;
        self.get_record(spec, id, &Scope::All).await
    }

    /// Writes every row or none. Bad rows are listed with their line; with
    /// `dry_run` nothing is written even when all rows are good.
    pub async fn import_records(
        &self,
        spec: &RegisterSpec,
        rows: Vec<ImportRow>,
        dry_run: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome> {
        let mut outcome = ImportOutcome::default();
        let sql = format!("{} WHERE t.ref_no = $1", select_sql(spec));
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            tx.lock_for_write().await?;
            for row in rows {
                let line = row.line;
                let mut sp = sqlx::Connection::begin(&mut *tx).await?;
                let existing = match &row.ref_no {
                    Some(ref_no) => match sqlx::query(AssertSqlSafe(sql.as_str())).bind(ref_no).fetch_optional(&mut *sp).await? {
                        Some(r) => Some(decode_stored!(spec, &r)),
                        None => None,
                    },
                    None => None,
                };
                let result = match existing {
                    Some(current) if current.company_id == row.company_id => {
                        let version = current.version;
                        update_stored!(spec, &self.settings, &mut sp, current, version, row.record, actor, now).map(|_| false)
                    }
                    Some(_) => Err(StoreError::Invalid(vec![FieldError::new("ref_no", "belongs to another company")])),
                    None => match resolve_and_check!(spec, &self.settings, &mut sp, row.company_id, row.record) {
                        Ok(record) => insert_record!(spec, &self.settings, &mut sp, Uuid::now_v7(), row.company_id, &record, actor, now).map(|_| true),
                        Err(e) => Err(e),
                    },
                };
                match result {
                    Ok(created) => {
                        sp.commit().await?;
                        if created { outcome.created += 1 } else { outcome.updated += 1 }
                    }
                    Err(e) => {
                        sp.rollback().await?;
                        outcome.errors.extend(row_errors(line, e)?);
                    }
                }
            }
            if outcome.errors.is_empty() && !dry_run {
                tx.commit().await?;
                outcome.committed = true;
            } else {
                tx.rollback().await?;
            }
        });
        Ok(outcome)
    }
}

fn row_errors(line: usize, e: StoreError) -> Result<Vec<RowError>> {
    Ok(match e {
        StoreError::Invalid(errors) => errors
            .into_iter()
            .map(|f| RowError {
                line,
                field: f.field,
                message: f.message,
            })
            .collect(),
        StoreError::Duplicate(what) => vec![RowError {
            line,
            field: what.rsplit('.').next().unwrap_or_default().to_owned(),
            message: format!("the value is already used by another record ({what})"),
        }],
        StoreError::Stale { .. } => vec![RowError {
            line,
            field: "ref_no".into(),
            message: "the record changed during the import".into(),
        }],
        other => return Err(other),
    })
}

/// Resolves reference keys to ids within the company, checks that every
/// referenced id belongs to it, then runs the register's completeness rules.
macro_rules! resolve_and_check {
    ($spec:expr, $settings:expr, $conn:expr, $company_id:expr, $record:expr) => {{
        let mut record: Record = $record;
        let mut errors = Vec::new();
        for f in $spec.fields {
            if f.kind == FieldKind::Companies {
                let codes = record.text(f.name).unwrap_or_default().to_owned();
                for code in codes.split(',').filter(|c| !c.is_empty()) {
                    let found: Option<Uuid> =
                        sqlx::query_scalar("SELECT id FROM companies WHERE code = $1")
                            .bind(code)
                            .fetch_optional(&mut **$conn)
                            .await?;
                    if found.is_none() {
                        errors.push(FieldError::new(
                            f.name,
                            format!("no company with code {code:?} in the group"),
                        ));
                    }
                }
                continue;
            }
            let FieldKind::Reference(target) = f.kind else {
                continue;
            };
            let (table, key_col, _, _) = target_sql(target);
            // Group-wide targets (members of group committees) may be in any company.
            let (within, place) = if target.same_company() {
                ("company_id = $1", "in this company")
            } else {
                ("$1 IS NOT NULL", "in the group")
            };
            let (within, place) = match target.condition() {
                Some((condition, words)) => (
                    format!("{within} AND {condition}"),
                    format!("{words} {place}"),
                ),
                None => (within.to_owned(), place.to_owned()),
            };
            let found: Option<Uuid> = match record.get(f.name).clone() {
                Value::Ref(RefValue::Key(key)) => sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT id FROM {table} WHERE {within} AND {key_col} = $2"
                )))
                .bind($company_id)
                .bind(&key)
                .fetch_optional(&mut **$conn)
                .await?
                .or_else(|| {
                    errors.push(FieldError::new(
                        f.name,
                        format!("no record with key {key:?} {place}"),
                    ));
                    None
                }),
                Value::Ref(RefValue::Id(id)) => sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT id FROM {table} WHERE {within} AND id = $2"
                )))
                .bind($company_id)
                .bind(id)
                .fetch_optional(&mut **$conn)
                .await?
                .or_else(|| {
                    errors.push(FieldError::new(f.name, format!("no such record {place}")));
                    None
                }),
                _ => continue,
            };
            if let Some(id) = found {
                record.values.insert(f.name, Value::Ref(RefValue::Id(id)));
            }
        }
        ($spec.derive)(&mut record, $settings);
        errors.extend($spec.check_complete(&record, $settings));
        if errors.is_empty() {
            Ok(record)
        } else {
            Err(StoreError::Invalid(errors))
        }
    }};
}

/// Keeps a state of a record, for registers that keep history.
macro_rules! keep_history {
    ($spec:expr, $conn:expr, $id:expr, $company_id:expr, $version:expr, $now:expr, $archived:expr, $record:expr, $actor:expr) => {{
        let spec: &mamori_domain::register::RegisterSpec = $spec;
        if spec.history {
            sqlx::query("INSERT INTO record_history (register, record_id, company_id, version, changed_at, archived, state, changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(spec.name)
                .bind($id)
                .bind($company_id)
                .bind($version)
                .bind($now)
                .bind($archived)
                .bind($crate::records::fields_json($record).to_string())
                .bind(&$actor.name)
                .execute(&mut **$conn)
                .await
                .map(|_| ())
                .map_err($crate::StoreError::from)
        } else {
            Ok(())
        }
    }};
}

/// Inserts a new record with the next reference number and audits it;
/// evaluates to the reference number. [`insert_record`] is this and what
/// the register sets off on creation.
macro_rules! insert_plain {
    ($spec:expr, $settings:expr, $conn:expr, $id:expr, $company_id:expr, $record:expr, $actor:expr, $now:expr) => {{
        let spec: &mamori_domain::register::RegisterSpec = $spec;
        // Evaluated once: an id given as `Uuid::now_v7()` is one id.
        let id: uuid::Uuid = $id;
        let settings: &mamori_domain::settings::RegisterSettings = $settings;
        let record: &mamori_domain::register::Record = $record;
        // A new record has no evidence yet, so no value that needs it.
        if let Some(e) = spec.needs_evidence(None, record, false) {
            return Err($crate::StoreError::Invalid(vec![e]));
        }
        // Nor a second pair of eyes yet.
        if let Some(f) = spec.four_eyes_move(None, record) {
            return Err($crate::StoreError::Invalid(vec![mamori_domain::FieldError::new(
                f.name,
                format!(
                    "a record cannot be made {}: someone other than who wrote it moves it there",
                    record.text(f.name).unwrap_or_default()
                ),
            )]));
        }
        // A yearly reference counts afresh each calendar year in the group's zone.
        let year = chrono::Datelike::year(&$now.with_timezone(&settings.zone));
        let counter = if spec.ref_yearly {
            format!("{}-{year}", spec.name)
        } else {
            spec.name.to_owned()
        };
        let n: i64 = sqlx::query_scalar(
            "UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value",
        )
        .bind(&counter)
        .fetch_optional(&mut **$conn)
        .await?
        .unwrap_or(0);
        let n = if n == 0 {
            sqlx::query("INSERT INTO counters (name, value) VALUES ($1, 1)")
                .bind(&counter)
                .execute(&mut **$conn)
                .await?;
            1
        } else {
            n
        };
        let ref_no = if spec.ref_yearly {
            format!("{}-{year}-{:04}", spec.ref_prefix, n)
        } else {
            format!("{}-{:06}", spec.ref_prefix, n)
        };
        let mut values = vec![
            $crate::records::SqlValue::Id(id),
            $crate::records::SqlValue::Text(ref_no.clone()),
            $crate::records::SqlValue::Id($company_id),
            $crate::records::SqlValue::Int(1),
            $crate::records::SqlValue::Time($now),
            $crate::records::SqlValue::Time($now),
        ];
        let mut cols = vec![
            "id",
            "ref_no",
            "company_id",
            "version",
            "created_at",
            "updated_at",
        ];
        for f in spec.fields {
            cols.push(f.name);
            values.push($crate::records::sql_value(f, record.get(f.name)));
        }
        let marks: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            spec.table,
            cols.join(", "),
            marks.join(", ")
        );
        let inserted =
            $crate::bind_values!(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), &values)
                .execute(&mut **$conn)
                .await;
        match inserted {
            Err(e) => Err($crate::StoreError::from_write(e)),
            Ok(_) => {
                let mut entry = $actor.entry("create", spec.name, Some(id));
                entry.company_id = Some($company_id);
                entry.after_digest =
                    Some($crate::records::state_digest($company_id, record, false));
                match $crate::records::keep_history!(
                    spec,
                    $conn,
                    id,
                    $company_id,
                    1i64,
                    $now,
                    false,
                    record,
                    $actor
                ) {
                    Err(e) => Err(e),
                    Ok(()) => match $crate::rollups::apply_rollups!(
                        spec,
                        $conn,
                        $company_id,
                        None,
                        Some(record)
                    ) {
                        Err(e) => Err(e),
                        Ok(()) => $conn.append_audit(&entry, $now).await.map(|_| ref_no),
                    },
                }
            }
        }
    }};
}

/// Inserts a new record with the next reference number, audits it, and
/// does what its register sets off on creation ([`OnCreate`]) in the same
/// transaction; evaluates to the reference number.
macro_rules! insert_record {
    ($spec:expr, $settings:expr, $conn:expr, $id:expr, $company_id:expr, $record:expr, $actor:expr, $now:expr) => {{
        let spec: &mamori_domain::register::RegisterSpec = $spec;
        let id: uuid::Uuid = $id;
        let settings: &mamori_domain::settings::RegisterSettings = $settings;
        let record: &mamori_domain::register::Record = $record;
        let made: $crate::Result<String> = $crate::records::insert_plain!(
            spec,
            settings,
            $conn,
            id,
            $company_id,
            record,
            $actor,
            $now
        );
        match (made, spec.on_create) {
            (Err(e), _) => Err(e),
            (Ok(ref_no), mamori_domain::register::OnCreate::Nothing) => Ok(ref_no),
            (Ok(ref_no), mamori_domain::register::OnCreate::ApplyPlaybooks) => {
                $crate::records::apply_playbooks!(
                    settings,
                    $conn,
                    id,
                    $company_id,
                    record,
                    $actor,
                    $now
                )
                .map(|_| ref_no)
            }
        }
    }};
}

/// Makes an incident's tasks from its company's active playbooks for its
/// category (inside the incident's transaction).
macro_rules! apply_playbooks {
    ($settings:expr, $conn:expr, $id:expr, $company_id:expr, $record:expr, $actor:expr, $now:expr) => {{
        use mamori_domain::register::{RefValue, Value};
        let settings: &mamori_domain::settings::RegisterSettings = $settings;
        let incident: &mamori_domain::register::Record = $record;
        let tasks = &mamori_domain::registers::INCIDENT_TASKS;
        let category = incident.text("category").unwrap_or_default().to_owned();
        let day0 = match incident.get("detected_at") {
            Value::Time(t) => t.with_timezone(&settings.zone).date_naive(),
            _ => $now.with_timezone(&settings.zone).date_naive(),
        };
        let books: Vec<String> = sqlx::query_scalar(
            "SELECT steps FROM playbooks WHERE company_id = $1 AND category = $2 AND active AND archived_at IS NULL ORDER BY ref_no",
        )
        .bind($company_id)
        .bind(&category)
        .fetch_all(&mut **$conn)
        .await?;
        let mut made: $crate::Result<usize> = Ok(0);
        'books: for steps in &books {
            for (days, title) in mamori_domain::registers::playbook_steps(steps) {
                let mut task = mamori_domain::register::Record::default();
                task.values.insert("incident", Value::Ref(RefValue::Id($id)));
                task.values.insert("title", Value::Text(title));
                task.values.insert("status", Value::Text("open".into()));
                task.values.insert(
                    "due_date",
                    day0.checked_add_days(chrono::Days::new(u64::from(days)))
                        .map_or(Value::Null, Value::Date),
                );
                match $crate::records::insert_plain!(tasks, settings, $conn, uuid::Uuid::now_v7(), $company_id, &task, $actor, $now) {
                    Ok(_) => {
                        if let Ok(n) = made.as_mut() {
                            *n += 1;
                        }
                    }
                    Err(e) => {
                        made = Err(e);
                        break 'books;
                    }
                }
            }
        }
        made
    }};
}

/// Applies `changes` to a stored record inside a write transaction
/// ([`update_plain`]), then what the move carries onto linked records
/// ([`mamori_domain::register::Propagation`]): all of it, or an error.
macro_rules! update_stored {
    ($spec:expr, $settings:expr, $conn:expr, $current:expr, $expected_version:expr, $changes:expr, $actor:expr, $now:expr) => {{
        let spec: &RegisterSpec = $spec;
        let current: Stored = $current;
        let changes: Record = $changes;
        let fired: Vec<(&mamori_domain::register::Propagation, Record)> = spec
            .propagate
            .iter()
            .filter(|p| p.fires(&current.record, &changes))
            .filter_map(|p| {
                let mut after = current.record.clone();
                after.merge(changes.clone());
                p.values(&after).map(|values| (p, values))
            })
            .collect();
        let id = current.id;
        match update_plain!(
            spec,
            $settings,
            $conn,
            current,
            $expected_version,
            changes,
            $actor,
            $now
        ) {
            Err(e) => Err(e),
            Ok(()) => propagate!(spec, $settings, $conn, id, fired, $actor, $now),
        }
    }};
}

/// Sets the values a move carries on every live record linked with
/// record `$id` of `$spec` in the target register, through the kernel.
macro_rules! propagate {
    ($spec:expr, $settings:expr, $conn:expr, $id:expr, $fired:expr, $actor:expr, $now:expr) => {{
        let spec: &RegisterSpec = $spec;
        let mut out: Result<()> = Ok(());
        for (p, values) in $fired {
            let Some(target) = mamori_domain::registers::by_name(p.to) else {
                out = Err(StoreError::Config(format!("{} carries a move to unknown register {}", spec.name, p.to)));
                break;
            };
            let linked: Vec<Uuid> = sqlx::query_scalar(
                "SELECT to_id FROM record_links WHERE from_register = $1 AND from_id = $2 AND to_register = $3 \
                 UNION SELECT from_id FROM record_links WHERE to_register = $1 AND to_id = $2 AND from_register = $3",
            )
            .bind(spec.name)
            .bind($id)
            .bind(target.name)
            .fetch_all(&mut **$conn)
            .await?;
            let sql = format!("{} WHERE t.id = $1", select_sql(target));
            for linked_id in linked {
                let Some(row) = sqlx::query(AssertSqlSafe(sql.as_str())).bind(linked_id).fetch_optional(&mut **$conn).await? else {
                    continue;
                };
                let stored = decode_stored!(target, &row);
                if stored.archived_at.is_some() || p.skips(&stored.record) {
                    continue;
                }
                let (ref_no, version) = (stored.ref_no.clone(), stored.version);
                if let Err(e) = update_plain!(target, $settings, $conn, stored, version, values.clone(), $actor, $now) {
                    out = Err(match e {
                        StoreError::Invalid(errors) => StoreError::Invalid(
                            errors
                                .into_iter()
                                .map(|e| FieldError::new(p.field, format!("{ref_no}: {} {}", e.field, e.message)))
                                .collect(),
                        ),
                        other => other,
                    });
                    break;
                }
            }
            if out.is_err() {
                break;
            }
        }
        out
    }};
}

/// Applies `changes` to one stored record inside a write transaction:
/// checked, evidence and four eyes enforced, audited, kept in history and
/// in the rollups.
macro_rules! update_plain {
    ($spec:expr, $settings:expr, $conn:expr, $current:expr, $expected_version:expr, $changes:expr, $actor:expr, $now:expr) => {{
        let spec: &RegisterSpec = $spec;
        let current: Stored = $current;
        if current.version != $expected_version {
            Err(StoreError::Stale { current: current.version })
        } else {
            let changes: Record = $changes;
            let mut merged = current.record.clone();
            merged.merge(changes.clone());
            // The account that makes the first four-eyes move signs it.
            if let Some(field) = spec.four_eyes_move(Some(&current.record), &merged)
                && let Some(signer) = field.signer
                && !current.record.text(field.name).is_some_and(|v| field.four_eyes.contains(&v))
            {
                merged.values.insert(signer, Value::Text($actor.name.clone()));
            }
            let checked = resolve_and_check!(spec, $settings, $conn, current.company_id, merged).and_then(|merged| {
                let errors = spec.check_change(&current.record, &merged, &changes);
                if errors.is_empty() { Ok(merged) } else { Err(StoreError::Invalid(errors)) }
            });
            // A move that needs evidence finds it on the record, or fails.
            let checked = match checked {
                Ok(merged) if spec.fields.iter().any(|f| !f.evidenced.is_empty()) => {
                    let files: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM evidence WHERE register = $1 AND record_id = $2")
                        .bind(spec.name)
                        .bind(current.id)
                        .fetch_one(&mut **$conn)
                        .await?;
                    match spec.needs_evidence(Some(&current.record), &merged, files > 0) {
                        Some(e) => Err(StoreError::Invalid(vec![e])),
                        None => Ok(merged),
                    }
                }
                other => other,
            };
            // A four-eyes move is made by someone who did not write the record.
            let checked = match checked {
                Ok(merged) => match spec.four_eyes_move(Some(&current.record), &merged) {
                    None => Ok(merged),
                    Some(field) => {
                        let rows: Vec<(Option<String>, String)> = sqlx::query_as(
                            "SELECT changed_by, state FROM record_history WHERE register = $1 AND record_id = $2 ORDER BY version",
                        )
                        .bind(spec.name)
                        .bind(current.id)
                        .fetch_all(&mut **$conn)
                        .await?;
                        let states: Vec<(Option<String>, serde_json::Value)> = rows
                            .into_iter()
                            .map(|(by, state)| (by, serde_json::from_str(&state).unwrap_or_default()))
                            .collect();
                        if spec.authors(field, &states).contains(&$actor.name) {
                            Err(StoreError::Invalid(vec![FieldError::new(
                                field.name,
                                format!(
                                    "{} cannot make it {}: it needs someone who did not write it (four eyes)",
                                    $actor.name,
                                    merged.text(field.name).unwrap_or_default()
                                ),
                            )]))
                        } else {
                            Ok(merged)
                        }
                    }
                },
                other => other,
            };
            match checked {
                Err(e) => Err(e),
                Ok(merged) => {
                    let mut values = Vec::new();
                    let mut sets = Vec::new();
                    for f in spec.fields {
                        values.push(sql_value(f, merged.get(f.name)));
                        sets.push(format!("{} = ${}", f.name, values.len()));
                    }
                    values.push(SqlValue::Time($now));
                    sets.push(format!("updated_at = ${}", values.len()));
                    values.push(SqlValue::Id(current.id));
                    let id_mark = values.len();
                    values.push(SqlValue::Int(current.version));
                    let sql = format!(
                        "UPDATE {} SET {}, version = version + 1 WHERE id = ${id_mark} AND version = ${}",
                        spec.table,
                        sets.join(", "),
                        values.len()
                    );
                    match bind_values!(sqlx::query(AssertSqlSafe(sql.as_str())), &values).execute(&mut **$conn).await {
                        Err(e) => Err(StoreError::from_write(e)),
                        Ok(done) if done.rows_affected() == 0 => Err(StoreError::Stale { current: current.version }),
                        Ok(_) => {
                            let archived = current.archived_at.is_some();
                            let mut entry = $actor.entry("update", spec.name, Some(current.id));
                            entry.company_id = Some(current.company_id);
                            entry.before_digest = Some(state_digest(current.company_id, &current.record, archived));
                            entry.after_digest = Some(state_digest(current.company_id, &merged, archived));
                            // An archived record counts nowhere, whatever it holds.
                            let (before, after) = if archived { (None, None) } else { (Some(&current.record), Some(&merged)) };
                            match keep_history!(spec, $conn, current.id, current.company_id, current.version + 1, $now, archived, &merged, $actor) {
                                Err(e) => Err(e),
                                Ok(()) => match $crate::rollups::apply_rollups!(spec, $conn, current.company_id, before, after) {
                                    Err(e) => Err(e),
                                    Ok(()) => $conn.append_audit(&entry, $now).await.map(|_| ()),
                                },
                            }
                        }
                    }
                }
            }
        }
    }};
}

pub(crate) use {apply_playbooks, insert_plain, insert_record, keep_history};
use {propagate, resolve_and_check, update_plain, update_stored};

/// Cursor text: URL-safe base64 of a small JSON array.
mod base64_url {
    use super::{Cursor, SqlValue};
    use chrono::{DateTime, NaiveDate};
    use uuid::Uuid;

    pub fn encode_cursor(c: &Cursor) -> String {
        let key = match &c.key {
            SqlValue::Text(s) => serde_json::json!(["t", s]),
            SqlValue::Date(d) => serde_json::json!(["d", d.format("%Y-%m-%d").to_string()]),
            SqlValue::Bool(b) => serde_json::json!(["b", b]),
            SqlValue::Int(n) => serde_json::json!(["i", n]),
            SqlValue::Time(t) => serde_json::json!(["s", t.timestamp_micros()]),
            _ => serde_json::json!(["n"]),
        };
        let text = serde_json::json!([key, c.id.to_string()]).to_string();
        hex::encode(text.as_bytes())
    }

    pub fn decode_cursor(s: &str) -> Option<Cursor> {
        if s.len() > 4096 {
            return None;
        }
        let bytes = hex::decode(s).ok()?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let arr = value.as_array()?;
        let key = arr.first()?.as_array()?;
        let id = Uuid::parse_str(arr.get(1)?.as_str()?).ok()?;
        let key = match key.first()?.as_str()? {
            "t" => SqlValue::Text(key.get(1)?.as_str()?.to_owned()),
            "d" => {
                SqlValue::Date(NaiveDate::parse_from_str(key.get(1)?.as_str()?, "%Y-%m-%d").ok()?)
            }
            "b" => SqlValue::Bool(key.get(1)?.as_bool()?),
            "i" => SqlValue::Int(key.get(1)?.as_i64()?),
            "s" => SqlValue::Time(DateTime::from_timestamp_micros(key.get(1)?.as_i64()?)?),
            _ => return None,
        };
        Some(Cursor { key, id })
    }
}

impl Store {
    /// Escalates alerts: each becomes `escalated` (through its lifecycle)
    /// and is linked with the incident, new or existing; all alerts must be
    /// of the incident's company. All of it or nothing.
    pub async fn escalate_alerts(
        &self,
        alerts: &[Uuid],
        to: EscalateTo,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Stored> {
        if alerts.is_empty() {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "alerts",
                "name at least one alert",
            )]));
        }
        let incident_id = match &to {
            EscalateTo::Incident(id) => *id,
            EscalateTo::New(_) => Uuid::now_v7(),
        };
        let alert_select = format!("{} WHERE t.id = $1", select_sql(&ALERTS));
        let incident_select = format!("SELECT company_id FROM {} WHERE id = $1", INCIDENTS.table);
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let mut current = Vec::new();
            for alert in alerts {
                let row = sqlx::query(AssertSqlSafe(alert_select.as_str()))
                    .bind(alert)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                current.push(decode_stored!(&ALERTS, &row));
            }
            let company = current[0].company_id;
            if current.iter().any(|a| a.company_id != company) {
                return Err(StoreError::Invalid(vec![FieldError::new("alerts", "alerts of one company go to one incident")]));
            }
            match to {
                EscalateTo::Incident(id) => {
                    let of: Option<Uuid> = sqlx::query_scalar(AssertSqlSafe(incident_select.as_str()))
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match of {
                        None => return Err(StoreError::NotFound),
                        Some(c) if c != company => {
                            return Err(StoreError::Invalid(vec![FieldError::new("incident", "is of another company than the alerts")]));
                        }
                        Some(_) => {}
                    }
                }
                EscalateTo::New(record) => {
                    let record = resolve_and_check!(&INCIDENTS, &self.settings, &mut tx, company, record)?;
                    insert_record!(&INCIDENTS, &self.settings, &mut tx, incident_id, company, &record, actor, now)?;
                }
            }
            for alert in current {
                let id = alert.id;
                if alert.record.text("status") != Some("escalated") {
                    let mut change = Record::default();
                    change.values.insert("status", Value::Text("escalated".into()));
                    let version = alert.version;
                    update_stored!(&ALERTS, &self.settings, &mut tx, alert, version, change, actor, now)
                        .map_err(|e| match e {
                            StoreError::Invalid(errors) => StoreError::Invalid(
                                errors.into_iter().map(|e| FieldError::new("alerts", format!("{id}: {} {}", e.field, e.message))).collect(),
                            ),
                            other => other,
                        })?;
                }
                match insert_link!(&mut tx, company, (&INCIDENTS, incident_id), (&ALERTS, id), actor, now) {
                    Ok(_) | Err(StoreError::Duplicate(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })?;
        self.get_record(&INCIDENTS, incident_id, &mamori_domain::authz::Scope::All)
            .await
    }

    /// Delivers a drill inject: its message becomes a note on the exercise's
    /// timeline, headed `heading`, and the inject is marked delivered, both
    /// or neither. `None` when there is nothing to deliver (delivered or
    /// archived already, or its incident is not an exercise: an inject never
    /// reaches a real incident); else the incident.
    pub async fn deliver_inject(
        &self,
        inject: Uuid,
        heading: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Option<Stored>> {
        let inject_select = format!("{} WHERE t.id = $1", select_sql(&DRILL_INJECTS));
        let incident_select = format!("{} WHERE t.id = $1", select_sql(&INCIDENTS));
        let delivered = with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let row = sqlx::query(AssertSqlSafe(inject_select.as_str()))
                .bind(inject)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let current = decode_stored!(&DRILL_INJECTS, &row);
            let incident_id = match current.record.get("incident") {
                Value::Ref(mamori_domain::register::RefValue::Id(id)) => *id,
                _ => return Ok(None),
            };
            if *current.record.get("delivered_at") != Value::Null || current.archived_at.is_some() {
                return Ok(None);
            }
            let row = sqlx::query(AssertSqlSafe(incident_select.as_str()))
                .bind(incident_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let incident = decode_stored!(&INCIDENTS, &row);
            if *incident.record.get("exercise") != Value::Bool(true) {
                return Ok(None);
            }
            let body = format!("{heading}\n{}", current.record.text("message").unwrap_or_default());
            insert_note!(&mut tx, Uuid::now_v7(), &INCIDENTS, incident_id, incident.company_id, body, actor, now)?;
            let mut change = Record::default();
            change.values.insert("delivered_at", Value::Time(now));
            let version = current.version;
            update_stored!(&DRILL_INJECTS, &self.settings, &mut tx, current, version, change, actor, now)?;
            Ok(Some(incident_id))
        })?;
        match delivered {
            Some(id) => Ok(Some(self.get_record(&INCIDENTS, id, &Scope::All).await?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor {
            key: SqlValue::Text("予約システム".into()),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for key in [
            SqlValue::Int(-42),
            SqlValue::Time(DateTime::from_timestamp_micros(1_764_300_000_123_456).expect("time")),
        ] {
            let c = Cursor {
                key,
                id: Uuid::now_v7(),
            };
            assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
        assert_eq!(Cursor::decode("zz"), None);
        assert_eq!(Cursor::decode(&hex::encode("[1,2]")), None);
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_off"), "%50\\%\\_off%");
    }
}
