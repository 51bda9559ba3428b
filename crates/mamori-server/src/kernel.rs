//! The register kernel's server half: permission checks, list parameters,
//! and the create / read / update / archive flows shared by the API and the
//! web pages, for every register in [`mamori_domain::registers::ALL`].

use chrono::{DateTime, Utc};
use mamori_domain::authz::{Action, Principal, Scope};
use mamori_domain::register::{FieldKind, FieldSpec, ParseContext, Record, RegisterSpec, Value};
use mamori_domain::registers::{self, stored_answers};
use mamori_store::audit::Entry;
use mamori_store::records::{Archived, Cursor, ListQuery, Stored};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::error::ApiError;
use crate::{AppState, Ctx};

pub const DEFAULT_PAGE: i64 = 50;

pub fn register(name: &str) -> Result<&'static RegisterSpec, ApiError> {
    registers::by_name(name).ok_or(ApiError::NotFound)
}

pub fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::NotFound)
}

/// Refuses creating or importing records in a register whose records
/// mamori raises itself (alerts).
pub fn require_people_create(spec: &RegisterSpec) -> Result<(), ApiError> {
    if spec.people_create {
        Ok(())
    } else {
        Err(ApiError::NotAllowed(format!(
            "{} records are created by mamori itself and cannot be added or imported; \
             change an existing record instead",
            spec.name
        )))
    }
}

/// The sortable field `value` names (`field` or `-field`; `ref_no` is the
/// reference number) and whether descending.
fn parse_sort(
    spec: &'static RegisterSpec,
    value: &str,
) -> Result<(Option<&'static FieldSpec>, bool), ApiError> {
    let (desc, name) = value
        .strip_prefix('-')
        .map_or((false, value), |n| (true, n));
    if name == "ref_no" {
        return Ok((None, desc));
    }
    match spec.fields.iter().find(|f| f.name == name && f.sortable) {
        Some(f) => Ok((Some(f), desc)),
        None => {
            let names: Vec<&str> = spec
                .fields
                .iter()
                .filter(|f| f.sortable)
                .map(|f| f.name)
                .collect();
            Err(ApiError::BadRequest(format!(
                "cannot sort by {name:?}; sortable: ref_no, {}",
                names.join(", ")
            )))
        }
    }
}

/// The companies where `action` is allowed; 403 when there are none.
pub fn require(
    p: &Principal,
    spec: &RegisterSpec,
    action: Action,
    now: DateTime<Utc>,
) -> Result<Scope, ApiError> {
    let scope = p.scope(spec.name, action, now);
    if scope.is_empty() {
        Err(ApiError::Forbidden)
    } else {
        Ok(scope)
    }
}

pub fn parse_ctx(state: &AppState) -> ParseContext<'_> {
    ParseContext {
        classification: &state.config.classification,
        settings: state.store.settings(),
    }
}

/// Builds a list query from query-string pairs: `q`, `company`, `archived`
/// (`active`, `archived`, `all`), `sort` (`field` or `-field`), `after`,
/// `limit`, and `field=value` for every filterable field.
pub fn list_query(
    state: &AppState,
    spec: &'static RegisterSpec,
    scope: Scope,
    params: &[(String, String)],
    count: bool,
) -> Result<ListQuery, ApiError> {
    let (sort, desc) = match spec.default_sort {
        "" => (None, false),
        default => parse_sort(spec, default)?,
    };
    let mut q = ListQuery {
        scope,
        company: None,
        filters: Vec::new(),
        search: None,
        archived: Archived::Active,
        sort,
        desc,
        after: None,
        limit: DEFAULT_PAGE,
        count,
    };
    for (key, value) in params {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key.as_str() {
            "q" => q.search = Some(value.chars().take(200).collect()),
            "company" => {
                q.company = Some(
                    Uuid::parse_str(value)
                        .map_err(|_| ApiError::BadRequest("company must be a company id".into()))?,
                )
            }
            "archived" => {
                q.archived = match value {
                    "active" => Archived::Active,
                    "archived" => Archived::Archived,
                    "all" => Archived::All,
                    _ => {
                        return Err(ApiError::BadRequest(
                            "archived must be active, archived or all".into(),
                        ));
                    }
                }
            }
            "sort" => (q.sort, q.desc) = parse_sort(spec, value)?,
            "after" => {
                q.after = Some(Cursor::decode(value).ok_or_else(|| {
                    ApiError::BadRequest("after is not a valid page cursor".into())
                })?)
            }
            "limit" => {
                q.limit = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=500).contains(n))
                    .ok_or_else(|| {
                        ApiError::BadRequest("limit must be a number from 1 to 500".into())
                    })?
            }
            "csrf" | "format" | "dry_run" | "lang" => {}
            name => {
                let field = spec
                    .fields
                    .iter()
                    .find(|f| f.name == name && f.filter)
                    .ok_or_else(|| ApiError::BadRequest(format!("unknown parameter {name:?}")))?;
                let v = spec
                    .parse_value(field, value, parse_ctx(state))
                    .map_err(|e| ApiError::Invalid(vec![e]))?;
                if let Value::Ref(mamori_domain::register::RefValue::Key(_)) = v {
                    return Err(ApiError::BadRequest(format!("{name} must be a record id")));
                }
                q.filters.push((field, v));
            }
        }
    }
    Ok(q)
}

/// Reads one record; a record outside the principal's companies is a 404.
/// Reading a register of personal data is written to the audit chain.
pub async fn get(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    spec: &RegisterSpec,
    id: Uuid,
) -> Result<Stored, ApiError> {
    let scope = require(p, spec, Action::Read, ctx.now)?;
    let stored = state.store.get_record(spec, id, &scope).await?;
    if spec.audit_reads {
        let entry = Entry {
            actor_id: Some(p.user_id),
            actor: p.username.clone(),
            action: "read".into(),
            register: spec.name.into(),
            record_id: Some(id),
            company_id: Some(stored.company_id),
            ..Entry::default()
        };
        state.store.audit(&entry, ctx.now).await?;
    }
    Ok(stored)
}

pub async fn create(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    spec: &RegisterSpec,
    company_id: Uuid,
    record: Record,
) -> Result<Stored, ApiError> {
    require_people_create(spec)?;
    let scope = require(p, spec, Action::Create, ctx.now)?;
    if !scope.contains(company_id) {
        return Err(ApiError::Invalid(vec![mamori_domain::FieldError::new(
            "company_id",
            "you may not add records to this company",
        )]));
    }
    Ok(state
        .store
        .create_record(spec, company_id, record, &ctx.actor(), ctx.now)
        .await?)
}

/// Every page of records of `spec` in `scope` (and `company`) that
/// `filters` select, in `order` (a sortable field, or `None` for the
/// reference; descending or not), until `stop` says a record ends the
/// walk. For mamori's own scans, not for people's lists.
pub(crate) async fn list_all(
    state: &AppState,
    spec: &'static RegisterSpec,
    scope: mamori_domain::authz::Scope,
    company: Option<Uuid>,
    filters: Vec<(&'static str, mamori_domain::register::Value)>,
    order: (Option<&'static str>, bool),
    stop: impl Fn(&Stored) -> bool,
) -> Result<Vec<Stored>, ApiError> {
    let field = |name: &str| {
        spec.field(name)
            .ok_or_else(|| ApiError::Internal(format!("{} has no {name}", spec.name)))
    };
    let mut filter_specs = Vec::new();
    for (name, value) in filters {
        filter_specs.push((field(name)?, value));
    }
    let sort = order.0.map(field).transpose()?;
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let query = mamori_store::records::ListQuery {
            scope: scope.clone(),
            company,
            filters: filter_specs.clone(),
            search: None,
            archived: mamori_store::records::Archived::Active,
            sort,
            desc: order.1,
            after,
            limit: 500,
            count: false,
        };
        let page = state.store.list_records(spec, &query).await?;
        for s in page.items {
            if stop(&s) {
                return Ok(out);
            }
            out.push(s);
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(out),
        }
    }
}

/// Checks that the record is visible (404) and that `action` is allowed in
/// its company (403).
pub(crate) async fn visible_and_allowed(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    spec: &RegisterSpec,
    id: Uuid,
    action: Action,
) -> Result<Stored, ApiError> {
    let read = require(p, spec, Action::Read, ctx.now)?;
    let stored = state.store.get_record(spec, id, &read).await?;
    if !p
        .scope(spec.name, action, ctx.now)
        .contains(stored.company_id)
    {
        return Err(ApiError::Forbidden);
    }
    Ok(stored)
}

/// A change that carries values onto linked records of another register
/// ([`mamori_domain::register::Propagation`]) needs the right to update
/// those in the company too: the refusal, naming the first register it
/// may not update, if any.
pub(crate) fn propagation_denied(
    ctx: &Ctx,
    p: &Principal,
    spec: &RegisterSpec,
    company: Uuid,
    before: &Record,
    changes: &Record,
) -> Option<mamori_domain::FieldError> {
    spec.propagate
        .iter()
        .filter(|prop| prop.fires(before, changes))
        .find(|prop| !p.scope(prop.to, Action::Update, ctx.now).contains(company))
        .map(|prop| {
            mamori_domain::FieldError::new(
                prop.field,
                format!(
                    "this move updates the linked {}, which you may not update",
                    prop.to
                ),
            )
        })
}

pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    spec: &RegisterSpec,
    id: Uuid,
    version: i64,
    changes: Record,
) -> Result<Stored, ApiError> {
    let stored = visible_and_allowed(state, ctx, p, spec, id, Action::Update).await?;
    if let Some(refused) =
        propagation_denied(ctx, p, spec, stored.company_id, &stored.record, &changes)
    {
        return Err(ApiError::Invalid(vec![refused]));
    }
    Ok(state
        .store
        .update_record(spec, id, version, changes, &ctx.actor(), ctx.now)
        .await?)
}

pub async fn set_archived(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    spec: &RegisterSpec,
    id: Uuid,
    version: i64,
    archive: bool,
) -> Result<Stored, ApiError> {
    visible_and_allowed(state, ctx, p, spec, id, Action::Archive).await?;
    Ok(state
        .store
        .set_archived(spec, id, version, archive, &ctx.actor(), ctx.now)
        .await?)
}

/// A record as the API answers it: common fields, then the register's
/// fields at the top level, then labels of what its references point at.
pub fn to_json(spec: &RegisterSpec, s: &Stored) -> Json {
    let mut obj = Map::new();
    obj.insert("id".into(), json!(s.id));
    obj.insert("ref_no".into(), json!(s.ref_no));
    obj.insert("company_id".into(), json!(s.company_id));
    obj.insert("version".into(), json!(s.version));
    obj.insert("created_at".into(), json!(s.created_at));
    obj.insert("updated_at".into(), json!(s.updated_at));
    obj.insert("archived_at".into(), json!(s.archived_at));
    for f in spec.fields {
        let value = match (f.kind, s.record.get(f.name)) {
            (FieldKind::Answers, v @ Value::Text(_)) => Json::Object(stored_answers(v)),
            (_, v) => v.to_json(),
        };
        obj.insert(f.name.into(), value);
    }
    let refs: Map<String, Json> = s
        .refs
        .iter()
        .map(|(k, r)| {
            (
                (*k).to_owned(),
                json!({ "key": r.key, "name_ja": r.name_ja, "name_en": r.name_en }),
            )
        })
        .collect();
    obj.insert("references".into(), Json::Object(refs));
    Json::Object(obj)
}

/// A field's value as text for CSV/XLSX and the list page; references by
/// key, instants in the viewer's time zone `tz`.
pub fn text_value(spec_field: &FieldSpec, s: &Stored, tz: chrono_tz::Tz) -> String {
    match (spec_field.kind, s.record.get(spec_field.name)) {
        (_, Value::Null) => String::new(),
        (_, Value::Time(t)) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string(),
        (FieldKind::Reference(_), _) => s
            .refs
            .get(spec_field.name)
            .map(|r| r.key.clone())
            .unwrap_or_default(),
        (_, Value::Bool(b)) => b.to_string(),
        (_, v) => match v.to_json() {
            Json::String(t) => t,
            other => other.to_string(),
        },
    }
}
