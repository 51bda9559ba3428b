//! Per-request context: who is asking (session cookie or API token), in
//! which language and time zone, and the CSRF check on every state change.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use mamori_domain::authz::Principal;
use mamori_store::users::{Actor, User};

use crate::AppState;
use crate::auth::{TOKEN_PREFIX, digest};
use crate::error::ApiError;
use crate::i18n::{Lang, T};

pub const SESSION_COOKIE: &str = "mamori_session";
pub const LANG_COOKIE: &str = "mamori_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session behind a cookie.
#[derive(Clone, Debug)]
pub struct Session {
    pub id_hash: String,
    pub csrf: String,
    pub mfa_pending: bool,
}

/// What every handler knows about the request.
#[derive(Clone)]
pub struct Ctx {
    pub now: DateTime<Utc>,
    pub lang: Lang,
    pub tz: chrono_tz::Tz,
    pub address: String,
    pub session: Option<Session>,
    /// The signed-in user (full session or API token).
    pub user: Option<User>,
    pub principal: Option<Principal>,
    pub via_token: bool,
    /// Whether people must enrol a second factor before they may work.
    pub require_totp: bool,
}

impl Ctx {
    pub fn actor(&self) -> Actor {
        match &self.principal {
            Some(p) => Actor {
                id: Some(p.user_id),
                name: p.username.clone(),
            },
            None => Actor::system("anonymous"),
        }
    }

    /// What an interactive session still owes before it may work: first a
    /// new password (after a one-time one), then a second factor.
    pub fn pending_step(&self) -> Option<&'static str> {
        if self.via_token {
            return None;
        }
        let user = self.user.as_ref()?;
        if user.must_change_password {
            Some("/account/password")
        } else if self.require_totp && !user.totp_enabled {
            Some("/account/totp")
        } else {
            None
        }
    }

    pub fn csrf(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.csrf.as_str())
    }

    pub fn t<'a>(&self, state: &'a AppState) -> T<'a> {
        T {
            lang: self.lang,
            cat: &state.catalogues,
        }
    }

    pub fn local(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| ApiError::Internal("request context missing".into()))
    }
}

/// A signed-in principal for the API: 401 otherwise.
pub struct ApiUser(pub Ctx, pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        if ctx.pending_step().is_some() {
            return Err(ApiError::Forbidden);
        }
        match ctx.principal.clone() {
            Some(p) => Ok(ApiUser(ctx, p)),
            None => Err(ApiError::Unauthorized),
        }
    }
}

/// A signed-in person for web pages: redirected to log in, or to the step
/// the session still owes (a new password, a second factor).
pub struct WebUser(pub Ctx, pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some(principal) = ctx.principal.clone() else {
            return Err(Redirect::to("/login").into_response());
        };
        if let Some(step) = ctx.pending_step()
            && parts.uri.path() != step
        {
            return Err(Redirect::to(step).into_response());
        }
        Ok(WebUser(ctx, principal))
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn principal_for(
    state: &AppState,
    user: &User,
    now: DateTime<Utc>,
    scopes: Option<Vec<String>>,
) -> Result<Principal, ApiError> {
    let assignments = state.store.assignments(user.id).await?;
    let _ = now;
    Ok(Principal {
        user_id: user.id,
        username: user.username.clone(),
        assignments,
        token_scopes: scopes,
    })
}

/// Resolves the context and enforces CSRF; runs before every handler.
pub async fn resolve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    // The route template (`/api/v1/{register}/{id}`), never the concrete
    // path or query, which may carry search text or identifiers.
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("(unmatched)".to_owned(), |m| m.as_str().to_owned());
    let response = match resolve_inner(&state, request).await {
        Ok((request, set_cookie_clear)) => {
            let mut response = next.run(request).await;
            if set_cookie_clear {
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, clear_session_cookie(&state));
            }
            response
        }
        Err(e) => e.into_response(),
    };
    let status = response.status();
    crate::Metrics::inc(&state.metrics.requests);
    if status.is_client_error() {
        crate::Metrics::inc(&state.metrics.client_errors);
    } else if status.is_server_error() {
        crate::Metrics::inc(&state.metrics.server_errors);
    }
    tracing::info!(
        method = %method,
        route = %route,
        status = status.as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

pub fn clear_session_cookie(state: &AppState) -> axum::http::HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    axum::http::HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
    ))
    .expect("cookie text is ASCII")
}

pub fn session_cookie(state: &AppState, raw: &str) -> axum::http::HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    axum::http::HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={raw}; Path=/; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("session token is URL-safe ASCII")
}

async fn resolve_inner(state: &AppState, request: Request) -> Result<(Request, bool), ApiError> {
    let now = Utc::now();
    let (mut parts, mut body) = request.into_parts();
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
    let mut ctx = Ctx {
        now,
        lang: Lang::Ja,
        tz: state.tz,
        address,
        session: None,
        user: None,
        principal: None,
        via_token: false,
        require_totp: state.config.require_totp,
    };
    let mut clear_cookie = false;

    if let Some(token) = bearer(&parts.headers) {
        // Machines: a scoped API token. A bad token is an error, never anonymous.
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(ApiError::Unauthorized);
        }
        let found = state.store.token_by_hash(&digest(token)).await?;
        let Some(t) = found.filter(|t| t.revoked_at.is_none() && t.expires_at > now) else {
            return Err(ApiError::Unauthorized);
        };
        let user = state
            .store
            .user_by_id(t.user_id)
            .await?
            .filter(|u| u.disabled_at.is_none())
            .ok_or(ApiError::Unauthorized)?;
        let scopes = t.scopes.split_whitespace().map(str::to_owned).collect();
        ctx.principal = Some(principal_for(state, &user, now, Some(scopes)).await?);
        ctx.user = Some(user);
        ctx.via_token = true;
    } else if let Some(raw) = cookie(&parts.headers, SESSION_COOKIE).filter(|v| !v.is_empty()) {
        let id_hash = digest(raw);
        match state.store.session(&id_hash).await? {
            Some(s) => {
                let idle = Duration::minutes(state.config.session_idle_minutes);
                if s.expires_at <= now || s.last_seen_at + idle <= now {
                    state.store.delete_session(&id_hash).await?;
                    clear_cookie = true;
                } else if let Some(user) = state
                    .store
                    .user_by_id(s.user_id)
                    .await?
                    .filter(|u| u.disabled_at.is_none())
                {
                    if now - s.last_seen_at > Duration::seconds(60) {
                        state.store.touch_session(&id_hash, now).await?;
                    }
                    if !s.mfa_pending {
                        ctx.principal = Some(principal_for(state, &user, now, None).await?);
                    }
                    ctx.session = Some(Session {
                        id_hash,
                        csrf: s.csrf_token,
                        mfa_pending: s.mfa_pending,
                    });
                    ctx.user = Some(user);
                } else {
                    clear_cookie = true;
                }
            }
            None => clear_cookie = true,
        }
    }

    ctx.lang = ctx
        .user
        .as_ref()
        .and_then(|u| u.locale.as_deref())
        .and_then(Lang::parse)
        .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(Lang::parse))
        .unwrap_or_else(|| {
            Lang::from_accept_language(
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        });
    if let Some(tz) = ctx
        .user
        .as_ref()
        .and_then(|u| u.time_zone.as_deref())
        .and_then(|z| z.parse().ok())
    {
        ctx.tz = tz;
    }

    // CSRF: a request that rides on the session cookie and changes state must
    // carry the session's token (header, form field, or query for uploads).
    if let Some(session) = &ctx.session
        && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
    {
        let header_ok = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| constant_eq(t, &session.csrf));
        let query_ok = parts.uri.query().is_some_and(|q| {
            url_pairs(q)
                .iter()
                .any(|(k, v)| k == "csrf" && constant_eq(v, &session.csrf))
        });
        if !header_ok && !query_ok {
            let is_form = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            if !is_form {
                return Err(ApiError::Csrf);
            }
            let limit = state.config.max_body_bytes;
            let bytes = axum::body::to_bytes(body, limit)
                .await
                .map_err(|_| ApiError::TooLarge(limit))?;
            let form_ok = std::str::from_utf8(&bytes).is_ok_and(|text| {
                url_pairs(text)
                    .iter()
                    .any(|(k, v)| k == "csrf" && constant_eq(v, &session.csrf))
            });
            if !form_ok {
                return Err(ApiError::Csrf);
            }
            body = Body::from(bytes);
        }
    }
    parts.extensions.insert(ctx);
    Ok((Request::from_parts(parts, body), clear_cookie))
}

/// `application/x-www-form-urlencoded` pairs, decoded.
pub fn url_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_pairs_decode() {
        let pairs = super::url_pairs("csrf=a%2Bb&name=%E4%BA%88%E7%B4%84+x&bad=%zz&end=%4");
        assert_eq!(pairs[0], ("csrf".into(), "a+b".into()));
        assert_eq!(pairs[1], ("name".into(), "予約 x".into()));
        assert_eq!(pairs[2], ("bad".into(), "%zz".into()));
        assert_eq!(pairs[3], ("end".into(), "%4".into()));
    }
}
