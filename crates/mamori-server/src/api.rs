//! REST API handlers (`/api/v1/…`): thin; the kernel does the work.

use axum::Json as JsonBody;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_domain::authz::{Action, Scope};
use mamori_domain::register::{COMPANY_KEY, VERSION_KEY};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::AppState;
use crate::context::{ApiUser, url_pairs};
use crate::error::ApiError;
use crate::kernel::{self, parse_ctx, parse_id, register, require};
use crate::transfer;

fn pairs(query: &Option<String>) -> Vec<(String, String)> {
    query.as_deref().map(url_pairs).unwrap_or_default()
}

/// Parses a JSON object body with messages that name the problem.
fn json_object(body: &Bytes) -> Result<Map<String, Json>, ApiError> {
    if body.is_empty() {
        return Err(ApiError::BadRequest(
            "the request body is empty; send a JSON object".into(),
        ));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::BadRequest("the request body is not valid UTF-8".into()))?;
    match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::BadRequest(
            "the request body must be a JSON object".into(),
        )),
        Err(e) => Err(ApiError::BadRequest(format!(
            "malformed JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        ))),
    }
}

fn version_of(map: &Map<String, Json>) -> Result<i64, ApiError> {
    match map.get(VERSION_KEY) {
        Some(Json::Number(n)) => n
            .as_i64()
            .ok_or_else(|| ApiError::BadRequest("version must be an integer".into())),
        Some(_) => Err(ApiError::BadRequest("version must be an integer".into())),
        None => Err(ApiError::BadRequest(
            "version is required (the version you read), so concurrent edits are not lost".into(),
        )),
    }
}

pub async fn me(ApiUser(ctx, p): ApiUser) -> JsonBody<Json> {
    JsonBody(json!({
        "user_id": p.user_id,
        "username": p.username,
        "display_name": ctx.user.as_ref().map(|u| u.display_name.clone()),
        "roles": p.assignments,
        "token_scopes": p.token_scopes,
        "lang": ctx.lang.code(),
    }))
}

pub async fn companies(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
) -> Result<JsonBody<Json>, ApiError> {
    // A company is visible where the principal may read any register.
    let mut scope = Scope::Companies(Vec::new());
    for spec in mamori_domain::registers::ALL {
        match p.scope(spec.name, Action::Read, ctx.now) {
            Scope::All => scope = Scope::All,
            Scope::Companies(ids) => {
                if let Scope::Companies(acc) = &mut scope {
                    acc.extend(ids);
                }
            }
        }
    }
    Ok(JsonBody(
        json!({ "items": state.store.companies(&scope).await? }),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<JsonBody<Json>, ApiError> {
    let spec = register(&name)?;
    let scope = require(&p, spec, Action::Read, ctx.now)?;
    let params = pairs(&query);
    let count = params.iter().any(|(k, v)| k == "count" && v == "true");
    let params: Vec<_> = params.into_iter().filter(|(k, _)| k != "count").collect();
    let q = kernel::list_query(&state, spec, scope, &params, count)?;
    let page = state.store.list_records(spec, &q).await?;
    Ok(JsonBody(json!({
        "items": page.items.iter().map(|s| kernel::to_json(spec, s)).collect::<Vec<_>>(),
        "next": page.next.map(|c| c.encode()),
        "total": page.total,
    })))
}

pub async fn get(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path((name, id)): Path<(String, String)>,
) -> Result<JsonBody<Json>, ApiError> {
    let spec = register(&name)?;
    let stored = kernel::get(&state, &ctx, &p, spec, parse_id(&id)?).await?;
    Ok(JsonBody(kernel::to_json(spec, &stored)))
}

pub async fn create(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let spec = register(&name)?;
    kernel::require_people_create(spec)?;
    require(&p, spec, Action::Create, ctx.now)?;
    let map = json_object(&body)?;
    let company = match map.get(COMPANY_KEY) {
        Some(Json::String(s)) => Uuid::parse_str(s).map_err(|_| {
            ApiError::Invalid(vec![mamori_domain::FieldError::new(
                COMPANY_KEY,
                "must be a company id (UUID)",
            )])
        })?,
        _ => {
            return Err(ApiError::Invalid(vec![mamori_domain::FieldError::new(
                COMPANY_KEY,
                "is required",
            )]));
        }
    };
    let record = spec
        .parse_json(&map, &[COMPANY_KEY], parse_ctx(&state))
        .map_err(ApiError::Invalid)?;
    let stored = kernel::create(&state, &ctx, &p, spec, company, record).await?;
    Ok((
        StatusCode::CREATED,
        JsonBody(kernel::to_json(spec, &stored)),
    )
        .into_response())
}

pub async fn update(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path((name, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<JsonBody<Json>, ApiError> {
    let spec = register(&name)?;
    let id = parse_id(&id)?;
    let map = json_object(&body)?;
    if map.contains_key(COMPANY_KEY) {
        return Err(ApiError::Invalid(vec![mamori_domain::FieldError::new(
            COMPANY_KEY,
            "cannot be changed; archive the record and create it in the other company",
        )]));
    }
    let version = version_of(&map)?;
    let changes = spec
        .parse_json(&map, &[VERSION_KEY], parse_ctx(&state))
        .map_err(ApiError::Invalid)?;
    let stored = kernel::update(&state, &ctx, &p, spec, id, version, changes).await?;
    Ok(JsonBody(kernel::to_json(spec, &stored)))
}

async fn archive_or_restore(
    state: AppState,
    ApiUser(ctx, p): ApiUser,
    name: String,
    id: String,
    body: Bytes,
    archive: bool,
) -> Result<JsonBody<Json>, ApiError> {
    let spec = register(&name)?;
    let id = parse_id(&id)?;
    let map = json_object(&body)?;
    let version = version_of(&map)?;
    if let Some(key) = map.keys().find(|k| *k != VERSION_KEY) {
        return Err(ApiError::Invalid(vec![mamori_domain::FieldError::new(
            key.clone(),
            "unknown field",
        )]));
    }
    let stored = kernel::set_archived(&state, &ctx, &p, spec, id, version, archive).await?;
    Ok(JsonBody(kernel::to_json(spec, &stored)))
}

pub async fn archive(
    State(state): State<AppState>,
    user: ApiUser,
    Path((name, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<JsonBody<Json>, ApiError> {
    archive_or_restore(state, user, name, id, body, true).await
}

pub async fn restore(
    State(state): State<AppState>,
    user: ApiUser,
    Path((name, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<JsonBody<Json>, ApiError> {
    archive_or_restore(state, user, name, id, body, false).await
}

pub async fn export(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let spec = register(&name)?;
    transfer::export_response(&state, &ctx, &p, spec, &pairs(&query)).await
}

pub async fn import(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let spec = register(&name)?;
    let dry_run = pairs(&query)
        .iter()
        .any(|(k, v)| k == "dry_run" && (v == "true" || v == "1"));
    let outcome = transfer::import_csv(&state, &ctx, &p, spec, &body, dry_run).await?;
    if !outcome.errors.is_empty() {
        return Err(ApiError::ImportRejected(outcome.errors));
    }
    Ok(JsonBody(json!(outcome)).into_response())
}
