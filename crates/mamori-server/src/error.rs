//! The one HTTP error type: each case maps to a status and a stable code;
//! internals are logged once and never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_domain::FieldError;
use mamori_store::StoreError;
use mamori_store::records::RowError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthorized,
    #[error("you are not allowed to do this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("the file has errors; nothing was imported")]
    ImportRejected(Vec<RowError>),
    #[error("{0}")]
    Conflict(String),
    /// The resource exists but does not take this method (people cannot
    /// create alerts); the message says what to do instead.
    #[error("{0}")]
    NotAllowed(String),
    #[error("the record was changed by someone else; reload it (current version {0})")]
    Stale(i64),
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    TooManyRequests(String),
    #[error(
        "the request is missing its CSRF token or the token is wrong; reload the page and try again"
    )]
    Csrf,
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::Csrf => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) | ApiError::ImportRejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) | ApiError::Stale(_) => StatusCode::CONFLICT,
            ApiError::NotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Invalid(_) => "invalid",
            ApiError::ImportRejected(_) => "import_rejected",
            ApiError::Conflict(_) => "conflict",
            ApiError::NotAllowed(_) => "not_allowed",
            ApiError::Stale(_) => "stale_version",
            ApiError::TooLarge(_) => "too_large",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::Csrf => "csrf",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Duplicate(what) => ApiError::Conflict(format!(
                "a record with the same value already exists ({what})"
            )),
            StoreError::Stale { current } => ApiError::Stale(current),
            StoreError::Invalid(errors) => ApiError::Invalid(errors),
            // What the operator must set up first (the vault's key).
            StoreError::Config(what) => ApiError::Conflict(what),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "request failed");
        }
        let mut body = json!({ "error": { "code": self.code(), "message": self.to_string() } });
        match &self {
            ApiError::Invalid(fields) => body["error"]["fields"] = json!(fields),
            ApiError::ImportRejected(rows) => body["error"]["rows"] = json!(rows),
            ApiError::Stale(current) => body["error"]["current_version"] = json!(current),
            _ => {}
        }
        (self.status(), Json(body)).into_response()
    }
}
