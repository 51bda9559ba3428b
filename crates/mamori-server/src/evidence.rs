//! Evidence files on any record: attach (those who may change the record),
//! list and download (those who may read it; every download is audited).

use axum::Json as JsonBody;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mamori_domain::authz::Action;
use mamori_domain::evidence::{check, clean_name};
use mamori_store::evidence::EvidenceMeta;
use serde_json::{Value as Json, json};

use crate::context::{ApiUser, WebUser, url_pairs};
use crate::error::ApiError;
use crate::kernel::{self, parse_id, register};
use crate::{AppState, Ctx};

async fn attach(
    state: &AppState,
    ctx: &Ctx,
    p: &mamori_domain::authz::Principal,
    name: &str,
    id: &str,
    filename: &str,
    bytes: &[u8],
) -> Result<EvidenceMeta, ApiError> {
    let spec = register(name)?;
    let id = parse_id(id)?;
    let stored = kernel::visible_and_allowed(state, ctx, p, spec, id, Action::Update).await?;
    let filename = clean_name(filename);
    let content_type = check(&filename, bytes).map_err(|reason| {
        ApiError::Invalid(vec![mamori_domain::FieldError::new("file", reason)])
    })?;
    Ok(state
        .store
        .add_evidence(
            spec.name,
            id,
            stored.company_id,
            &filename,
            content_type,
            bytes,
            &ctx.actor(),
            ctx.now,
        )
        .await?)
}

/// `POST /api/v1/{register}/{id}/evidence?filename=NAME` with the file as
/// the body.
pub async fn create(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path((name, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let pairs = query.as_deref().map(url_pairs).unwrap_or_default();
    let filename = pairs
        .iter()
        .find(|(k, _)| k == "filename")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| {
            ApiError::BadRequest("filename is required (?filename=報告書.pdf)".into())
        })?;
    let meta = attach(&state, &ctx, &p, &name, &id, &filename, &body).await?;
    Ok((StatusCode::CREATED, JsonBody(json!(meta))).into_response())
}

/// `GET /api/v1/{register}/{id}/evidence`: the files kept for the record.
pub async fn list(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path((name, id)): Path<(String, String)>,
) -> Result<JsonBody<Json>, ApiError> {
    let spec = register(&name)?;
    let stored = kernel::get(&state, &ctx, &p, spec, parse_id(&id)?).await?;
    Ok(JsonBody(json!({
        "items": state.store.evidence_for(spec.name, stored.id).await?
    })))
}

/// `GET /api/v1/evidence/{id}`: the file, for those who may read its
/// record; audited.
pub async fn download(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let meta = state
        .store
        .evidence_meta(parse_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    let spec = register(&meta.register)?;
    // Visible record, else 404 (the file's existence is not revealed).
    kernel::get(&state, &ctx, &p, spec, meta.record_id).await?;
    let bytes = state
        .store
        .read_evidence(&meta, &ctx.actor(), ctx.now)
        .await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&meta.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    // RFC 6266/5987: the name in UTF-8, percent-encoded.
    let encoded: String = meta
        .filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}"))
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// The record page's upload form (multipart, `file`).
pub async fn upload_form(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path((name, id)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Response {
    use axum::extract::FromRequest;
    let result = async {
        let mut parts = axum::extract::Multipart::from_request(request, &state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("the upload could not be read: {e}")))?;
        let mut file: Option<(String, Vec<u8>)> = None;
        while let Some(part) = parts
            .next_field()
            .await
            .map_err(|e| ApiError::BadRequest(format!("the upload could not be read: {e}")))?
        {
            if part.name() == Some("file") {
                let filename = part.file_name().unwrap_or_default().to_owned();
                let bytes = part.bytes().await.map_err(|e| {
                    ApiError::BadRequest(format!("the upload could not be read: {e}"))
                })?;
                file = Some((filename, bytes.to_vec()));
            }
        }
        let (filename, bytes) =
            file.ok_or_else(|| ApiError::BadRequest("choose a file to attach".into()))?;
        attach(&state, &ctx, &p, &name, &id, &filename, &bytes).await
    }
    .await;
    crate::web::after_form(&state, &ctx, result.map(|_| format!("/r/{name}/{id}")))
}
