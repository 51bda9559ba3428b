//! Links between records over HTTP: list, make and remove them (the API),
//! and the record page's forms. Making or removing a link needs the right
//! to change the record it is made from, and to read the other.

use axum::Json as JsonBody;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_domain::FieldError;
use mamori_domain::authz::{Action, Principal};
use mamori_domain::register::RegisterSpec;
use mamori_domain::registers;
use mamori_store::links::{LinkRow, Linked};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::context::{ApiUser, WebUser};
use crate::error::ApiError;
use crate::kernel::{self, parse_id, register};
use crate::{AppState, Ctx};

/// The registers a register's records may be linked with.
pub fn linkable(spec: &RegisterSpec) -> Vec<&'static RegisterSpec> {
    registers::ALL
        .iter()
        .copied()
        .filter(|other| other.name != spec.name && spec.links_with(other))
        .collect()
}

async fn make(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    (name, id): (&str, &str),
    (other, record): (&str, &str),
) -> Result<LinkRow, ApiError> {
    let spec = register(name)?;
    let id = parse_id(id)?;
    kernel::visible_and_allowed(state, ctx, p, spec, id, Action::Update).await?;
    let other = registers::by_name(other.trim())
        .filter(|o| spec.links_with(o))
        .ok_or_else(|| {
            let names: Vec<&str> = linkable(spec).iter().map(|o| o.name).collect();
            ApiError::Invalid(vec![FieldError::new(
                "register",
                format!("{} records link with: {}", spec.name, names.join(", ")),
            )])
        })?;
    let record = record.trim();
    let target = match Uuid::parse_str(record) {
        Ok(target) => Some(target),
        Err(_) => state.store.id_by_ref(other, record).await?,
    };
    // What the principal may not read is as good as absent.
    let target = match target {
        Some(target) => kernel::get(state, ctx, p, other, target).await.ok(),
        None => None,
    }
    .ok_or_else(|| {
        ApiError::Invalid(vec![FieldError::new(
            "record",
            format!("no {} record {record:?} that you may read", other.name),
        )])
    })?;
    Ok(state
        .store
        .link_records((spec, id), (other, target.id), &ctx.actor(), ctx.now)
        .await?)
}

fn linked_json(l: &Linked) -> Json {
    json!({
        "link_id": l.link_id,
        "register": l.register,
        "id": l.record_id,
        "ref_no": l.ref_no,
        "title_ja": l.title_ja,
        "title_en": l.title_en,
        "archived": l.archived,
    })
}

/// The linked records the principal may read.
pub async fn visible_links(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    spec: &RegisterSpec,
    id: Uuid,
    company: Uuid,
) -> Result<Vec<Linked>, ApiError> {
    Ok(state
        .store
        .links_of(spec, id)
        .await?
        .into_iter()
        .filter(|l| p.scope(l.register, Action::Read, ctx.now).contains(company))
        .collect())
}

/// `GET /api/v1/{register}/{id}/links`: the records linked with one.
pub async fn list(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path((name, id)): Path<(String, String)>,
) -> Result<JsonBody<Json>, ApiError> {
    let spec = register(&name)?;
    let stored = kernel::get(&state, &ctx, &p, spec, parse_id(&id)?).await?;
    let items = visible_links(&state, &ctx, &p, spec, stored.id, stored.company_id).await?;
    Ok(JsonBody(
        json!({ "items": items.iter().map(linked_json).collect::<Vec<_>>() }),
    ))
}

/// `POST /api/v1/{register}/{id}/links` with `{"register": "controls",
/// "record": "CTL-000012"}` (a reference number or an id): 201 with the link.
pub async fn create(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path((name, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let parsed: Json = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body must be JSON: {e}")))?;
    let text = |key: &str| {
        parsed[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ApiError::Invalid(vec![FieldError::new(key, "is required (text)")]))
    };
    let (other, record) = (text("register")?, text("record")?);
    let link = make(&state, &ctx, &p, (&name, &id), (&other, &record)).await?;
    Ok((StatusCode::CREATED, JsonBody(json!(link))).into_response())
}

async fn remove(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    link: &str,
) -> Result<LinkRow, ApiError> {
    let link = state
        .store
        .link(parse_id(link)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    // Either end's right to change its record will do.
    let may = |register: &str| {
        registers::by_name(register).is_some_and(|spec| {
            p.scope(spec.name, Action::Update, ctx.now)
                .contains(link.company_id)
        })
    };
    let seen = |register: &str| {
        p.scope(register, Action::Read, ctx.now)
            .contains(link.company_id)
    };
    if !seen(&link.from_register) && !seen(&link.to_register) {
        return Err(ApiError::NotFound);
    }
    if !may(&link.from_register) && !may(&link.to_register) {
        return Err(ApiError::Forbidden);
    }
    state.store.unlink(&link, &ctx.actor(), ctx.now).await?;
    Ok(link)
}

/// `DELETE /api/v1/links/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(link): Path<String>,
) -> Result<StatusCode, ApiError> {
    remove(&state, &ctx, &p, &link).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The record page's form: `register` and `record` (a reference number).
pub async fn create_form(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path((name, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let pairs = crate::web::form(&body);
    let value = |k: &str| crate::web::field(&pairs, k);
    let result = make(
        &state,
        &ctx,
        &p,
        (&name, &id),
        (value("register"), value("record")),
    )
    .await;
    crate::web::after_form(&state, &ctx, result.map(|_| format!("/r/{name}/{id}")))
}

/// The record page's remove button.
pub async fn delete_form(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path((name, id, link)): Path<(String, String, String)>,
) -> Response {
    let result = remove(&state, &ctx, &p, &link).await;
    crate::web::after_form(&state, &ctx, result.map(|_| format!("/r/{name}/{id}")))
}
