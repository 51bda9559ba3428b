//! Web pages: server-rendered HTML (askama), htmx for partial updates,
//! every string from the message catalogues.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Duration;
use mamori_domain::authz::{Action, Principal, Scope};
use mamori_domain::register::{FieldKind, Record, RefTarget, RegisterSpec, Value};
use mamori_domain::settings::INCIDENT_SEVERITY;
use mamori_domain::{FieldError, password, registers};
use mamori_store::records::{RowError, Stored};
use mamori_store::users::{Actor, Session as StoredSession};
use uuid::Uuid;

use crate::auth::{self, digest, totp};
use crate::context::{LANG_COOKIE, WebUser, clear_session_cookie, session_cookie, url_pairs};
use crate::error::ApiError;
use crate::i18n::T;
use crate::kernel::{self, parse_ctx, parse_id, register, require};
use crate::{AppState, Ctx, Metrics, transfer};

/// What every page's frame shows.
pub struct Frame<'a> {
    pub t: T<'a>,
    pub title: String,
    pub user: String,
    pub csrf: String,
    pub lang: &'static str,
    pub nav: Vec<NavItem>,
    pub signed_in: bool,
}

pub struct NavItem {
    pub href: String,
    pub label: String,
    pub soon: bool,
}

/// Capabilities in navigation order; registers link to their lists, the
/// rest name what is coming.
const AREAS: &[&str] = &[
    "people",
    "departments",
    "assets",
    "committees",
    "committee_members",
    "risks",
    "controls",
    "cloud_assessments",
    "frameworks",
    "requirement_assessments",
    "compliance_assessments",
    "assurance",
    "monitoring",
    "rules",
    "intel",
    "incidents",
    "incident_tasks",
    "incident_team",
    "playbooks",
    "corrective_actions",
    "disclosures",
    "duty_shifts",
    "escalation_rules",
    "drill_injects",
    "notifications",
    "vulnerabilities",
    "awareness",
    "violations",
    "partners",
    "policies",
    "inquiries",
    "obligations",
    "decisions",
    "reports",
];

/// Areas that are pages of their own rather than a register's list.
fn page_of(area: &str) -> Option<&'static str> {
    match area {
        "monitoring" => Some("/r/alerts"),
        "frameworks" => Some("/frameworks"),
        "rules" => Some("/rules"),
        "notifications" => Some("/notifications"),
        _ => None,
    }
}

pub(crate) fn frame<'a>(state: &'a AppState, ctx: &Ctx, title_key: &str) -> Frame<'a> {
    let t = ctx.t(state);
    let signed_in = ctx.principal.is_some();
    let nav = if signed_in {
        let mut nav = vec![NavItem {
            href: "/".into(),
            label: t.t("nav.dashboard").into(),
            soon: false,
        }];
        for area in AREAS {
            let is_register = registers::by_name(area).is_some();
            let href = if is_register {
                format!("/r/{area}")
            } else if let Some(href) = page_of(area) {
                href.to_owned()
            } else {
                format!("/soon/{area}")
            };
            nav.push(NavItem {
                soon: !is_register && page_of(area).is_none(),
                href,
                label: t.tk(&["nav", area]),
            });
        }
        nav
    } else {
        Vec::new()
    };
    Frame {
        t,
        title: t.tk(&[title_key]),
        user: ctx
            .user
            .as_ref()
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
        csrf: ctx.csrf().to_owned(),
        lang: ctx.lang.code(),
        nav,
        signed_in,
    }
}

/// A form's outcome: on to the page named by `result` when it went
/// through, else a page that names every problem with its field.
pub(crate) fn after_form(
    state: &AppState,
    ctx: &Ctx,
    result: Result<String, ApiError>,
) -> Response {
    match result {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(ApiError::Invalid(errors)) => error_page(
            state,
            ctx,
            ApiError::BadRequest(
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
        Err(e) => error_page(state, ctx, e),
    }
}

pub(crate) fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
    }
}

pub(crate) fn form(body: &Bytes) -> Vec<(String, String)> {
    std::str::from_utf8(body).map(url_pairs).unwrap_or_default()
}

pub(crate) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    f: Frame<'a>,
    message: String,
}

fn message(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    title_key: &str,
    text: String,
) -> Response {
    let page = MessagePage {
        f: frame(state, ctx, title_key),
        message: text,
    };
    (status, render(page)).into_response()
}

/// Turns an error into a page a person can act on.
pub(crate) fn error_page(state: &AppState, ctx: &Ctx, e: ApiError) -> Response {
    let t = ctx.t(state);
    let text = match &e {
        ApiError::NotFound => t.t("error.not_found").to_owned(),
        ApiError::Forbidden => t.t("error.forbidden").to_owned(),
        ApiError::Stale(_) => t.t("error.stale").to_owned(),
        ApiError::Internal(_) => t.t("error.internal").to_owned(),
        ApiError::NotAllowed(_) => t.t("error.not_allowed").to_owned(),
        other => other.to_string(),
    };
    if let ApiError::Internal(detail) = &e {
        tracing::error!(error = %detail, "page failed");
    }
    message(state, ctx, e.status(), "error.title", text)
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    use std::sync::atomic::Ordering::Relaxed;
    let m = &state.metrics;
    let body = format!(
        "# HELP mamori_http_requests_total HTTP requests answered.\n# TYPE mamori_http_requests_total counter\nmamori_http_requests_total {}\n\
# HELP mamori_http_client_errors_total Requests answered 4xx.\n# TYPE mamori_http_client_errors_total counter\nmamori_http_client_errors_total {}\n\
# HELP mamori_http_server_errors_total Requests answered 5xx.\n# TYPE mamori_http_server_errors_total counter\nmamori_http_server_errors_total {}\n\
# HELP mamori_logins_total Successful logins.\n# TYPE mamori_logins_total counter\nmamori_logins_total {}\n\
# HELP mamori_login_failures_total Failed login attempts.\n# TYPE mamori_login_failures_total counter\nmamori_login_failures_total {}\n",
        m.requests.load(Relaxed),
        m.client_errors.load(Relaxed),
        m.server_errors.load(Relaxed),
        m.logins.load(Relaxed),
        m.login_failures.load(Relaxed),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

const HTMX: &str = include_str!("../static/htmx.min.js");
const APP_CSS: &str = include_str!("../static/app.css");
const FAVICON: &str = include_str!("../static/favicon.svg");

pub async fn static_file(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub async fn not_found(State(state): State<AppState>, ctx: Ctx) -> Response {
    error_page(&state, &ctx, ApiError::NotFound)
}

pub async fn coming_soon(
    State(state): State<AppState>,
    WebUser(ctx, _): WebUser,
    Path(area): Path<String>,
) -> Response {
    if !AREAS.contains(&area.as_str()) {
        return error_page(&state, &ctx, ApiError::NotFound);
    }
    let t = ctx.t(&state);
    let text = format!("{} — {}", t.tk(&["nav", &area]), t.t("soon.text"));
    message(&state, &ctx, StatusCode::OK, "soon.title", text)
}

// ---- login, second factor, password ----

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    f: Frame<'a>,
    error: String,
    username: String,
}

pub async fn login_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    if ctx.principal.is_some() {
        return Redirect::to("/").into_response();
    }
    render(LoginPage {
        f: frame(&state, &ctx, "login.title"),
        error: String::new(),
        username: String::new(),
    })
}

async fn start_session(
    state: &AppState,
    ctx: &Ctx,
    user_id: Uuid,
    mfa_pending: bool,
) -> Result<HeaderValue, ApiError> {
    if let Some(old) = &ctx.session {
        state.store.delete_session(&old.id_hash).await?;
    }
    let raw = auth::random_token();
    let now = ctx.now;
    state
        .store
        .create_session(&StoredSession {
            id_hash: digest(&raw),
            user_id,
            csrf_token: auth::random_token(),
            mfa_pending,
            created_at: now,
            last_seen_at: now,
            expires_at: now + Duration::hours(state.config.session_absolute_hours),
        })
        .await?;
    Ok(session_cookie(state, &raw))
}

fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

pub async fn login(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let pairs = form(&body);
    let username = field(&pairs, "username").trim().to_owned();
    let password = field(&pairs, "password").to_owned();
    let t = ctx.t(&state);
    let fail = |key: &str, status: StatusCode| {
        let page = LoginPage {
            f: frame(&state, &ctx, "login.title"),
            error: t.t(key).to_owned(),
            username: username.clone(),
        };
        (status, render(page)).into_response()
    };
    if let Some(wait) = state.throttle.locked(&username, &ctx.address, ctx.now) {
        let minutes = wait.num_minutes() + 1;
        let page = LoginPage {
            f: frame(&state, &ctx, "login.title"),
            error: t
                .t("login.throttled")
                .replace("{minutes}", &minutes.to_string()),
            username: username.clone(),
        };
        return (StatusCode::TOO_MANY_REQUESTS, render(page)).into_response();
    }
    if username.is_empty() || password.is_empty() || password.len() > password::MAX_LEN {
        return fail("login.failed", StatusCode::UNAUTHORIZED);
    }
    let user = match state.store.user_by_username(&username).await {
        Ok(u) => u.filter(|u| u.disabled_at.is_none()),
        Err(e) => return error_page(&state, &ctx, e.into()),
    };
    let stored = user.as_ref().map(|u| u.password_hash.as_str());
    let dummy = state.dummy_hash.clone();
    let attempt = password.clone();
    let stored_owned = stored.map(str::to_owned);
    let ok = tokio::task::spawn_blocking(move || {
        auth::verify_password(&attempt, stored_owned.as_deref(), &dummy)
    })
    .await
    .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        state.throttle.failed(&username, &ctx.address, ctx.now);
        Metrics::inc(&state.metrics.login_failures);
        tracing::info!("login failed");
        let entry = mamori_store::audit::Entry {
            actor: "anonymous".into(),
            action: "login_failed".into(),
            register: "auth".into(),
            ..Default::default()
        };
        if let Err(e) = state.store.audit(&entry, ctx.now).await {
            return error_page(&state, &ctx, e.into());
        }
        return fail("login.failed", StatusCode::UNAUTHORIZED);
    };
    state.throttle.succeeded(&username);
    let pending = user.totp_enabled;
    let cookie = match start_session(&state, &ctx, user.id, pending).await {
        Ok(c) => c,
        Err(e) => return error_page(&state, &ctx, e),
    };
    if !pending {
        Metrics::inc(&state.metrics.logins);
        let actor = Actor {
            id: Some(user.id),
            name: user.username.clone(),
        };
        let _ = state
            .store
            .audit(
                &mamori_store::audit::Entry {
                    actor_id: actor.id,
                    actor: actor.name,
                    action: "login".into(),
                    register: "auth".into(),
                    ..Default::default()
                },
                ctx.now,
            )
            .await;
    }
    let to = if pending {
        "/login/totp"
    } else if user.must_change_password {
        "/account/password"
    } else {
        "/"
    };
    with_cookie(Redirect::to(to).into_response(), cookie)
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage<'a> {
    f: Frame<'a>,
    error: String,
}

pub async fn totp_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    if !ctx.session.as_ref().is_some_and(|s| s.mfa_pending) {
        return Redirect::to("/login").into_response();
    }
    let mut f = frame(&state, &ctx, "totp.title");
    f.csrf = ctx.csrf().to_owned();
    render(TotpPage {
        f,
        error: String::new(),
    })
}

pub async fn totp_login(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let (Some(session), Some(user)) = (
        ctx.session.clone().filter(|s| s.mfa_pending),
        ctx.user.clone(),
    ) else {
        return Redirect::to("/login").into_response();
    };
    let pairs = form(&body);
    let code = field(&pairs, "code").trim().to_owned();
    if let Some(wait) = state.throttle.locked(&user.username, &ctx.address, ctx.now) {
        let t = ctx.t(&state);
        let error = t
            .t("login.throttled")
            .replace("{minutes}", &(wait.num_minutes() + 1).to_string());
        return (
            StatusCode::TOO_MANY_REQUESTS,
            render(TotpPage {
                f: frame(&state, &ctx, "totp.title"),
                error,
            }),
        )
            .into_response();
    }
    let secret = user.totp_secret.clone().unwrap_or_default();
    let step = totp::check(&secret, &code, ctx.now.timestamp().max(0) as u64);
    let ok = match step {
        Some(step) => state
            .store
            .use_totp_step(user.id, step as i64)
            .await
            .unwrap_or(false),
        None => state
            .store
            .use_recovery_code(
                user.id,
                &digest(&auth::normalize_recovery_code(&code)),
                ctx.now,
            )
            .await
            .unwrap_or(false),
    };
    if !ok {
        state.throttle.failed(&user.username, &ctx.address, ctx.now);
        Metrics::inc(&state.metrics.login_failures);
        let mut f = frame(&state, &ctx, "totp.title");
        f.csrf = session.csrf.clone();
        let error = ctx.t(&state).t("totp.failed").to_owned();
        return (StatusCode::UNAUTHORIZED, render(TotpPage { f, error })).into_response();
    }
    state.throttle.succeeded(&user.username);
    Metrics::inc(&state.metrics.logins);
    let _ = state
        .store
        .audit(
            &mamori_store::audit::Entry {
                actor_id: Some(user.id),
                actor: user.username.clone(),
                action: "login".into(),
                register: "auth".into(),
                ..Default::default()
            },
            ctx.now,
        )
        .await;
    match start_session(&state, &ctx, user.id, false).await {
        Ok(cookie) => {
            let to = if user.must_change_password {
                "/account/password"
            } else {
                "/"
            };
            with_cookie(Redirect::to(to).into_response(), cookie)
        }
        Err(e) => error_page(&state, &ctx, e),
    }
}

pub async fn logout(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Some(s) = &ctx.session {
        let _ = state.store.delete_session(&s.id_hash).await;
    }
    with_cookie(
        Redirect::to("/login").into_response(),
        clear_session_cookie(&state),
    )
}

pub async fn logout_everywhere(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
) -> Response {
    let _ = state.store.delete_user_sessions(p.user_id).await;
    let _ = state
        .store
        .audit(
            &mamori_store::audit::Entry {
                actor_id: Some(p.user_id),
                actor: p.username.clone(),
                action: "logout_everywhere".into(),
                register: "auth".into(),
                ..Default::default()
            },
            ctx.now,
        )
        .await;
    with_cookie(
        Redirect::to("/login").into_response(),
        clear_session_cookie(&state),
    )
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    f: Frame<'a>,
    error: String,
    forced: bool,
}

pub async fn password_page(State(state): State<AppState>, WebUser(ctx, _): WebUser) -> Response {
    let forced = ctx.user.as_ref().is_some_and(|u| u.must_change_password);
    render(PasswordPage {
        f: frame(&state, &ctx, "password.title"),
        error: String::new(),
        forced,
    })
}

pub async fn change_password(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    body: Bytes,
) -> Response {
    let pairs = form(&body);
    let Some(user) = ctx.user.clone() else {
        return Redirect::to("/login").into_response();
    };
    let (current, new, confirm) = (
        field(&pairs, "current").to_owned(),
        field(&pairs, "new").to_owned(),
        field(&pairs, "confirm").to_owned(),
    );
    let t = ctx.t(&state);
    let forced = user.must_change_password;
    let again = |key: String| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(PasswordPage {
                f: frame(&state, &ctx, "password.title"),
                error: key,
                forced,
            }),
        )
            .into_response()
    };
    let hash = user.password_hash.clone();
    let attempt = current.clone();
    let dummy = state.dummy_hash.clone();
    let ok =
        tokio::task::spawn_blocking(move || auth::verify_password(&attempt, Some(&hash), &dummy))
            .await
            .unwrap_or(false);
    if !ok {
        return again(t.t("password.wrong_current").to_owned());
    }
    if new != confirm {
        return again(t.t("password.mismatch").to_owned());
    }
    if new == current {
        return again(t.t("password.same").to_owned());
    }
    if let Err(rule) = password::check_new_password(&new, &user.username) {
        return again(
            t.tk(&["password", rule])
                .replace("{min}", &password::MIN_LEN.to_string()),
        );
    }
    let hashed = match tokio::task::spawn_blocking(move || auth::hash_password(&new)).await {
        Ok(Ok(h)) => h,
        _ => return error_page(&state, &ctx, ApiError::Internal("hashing failed".into())),
    };
    let actor = Actor {
        id: Some(p.user_id),
        name: p.username.clone(),
    };
    if let Err(e) = state
        .store
        .set_password(user.id, &hashed, false, &actor, ctx.now)
        .await
    {
        return error_page(&state, &ctx, e.into());
    }
    // Every session ended with the change; start a fresh one for this browser.
    match start_session(
        &state,
        &Ctx {
            session: None,
            ..ctx.clone()
        },
        user.id,
        false,
    )
    .await
    {
        Ok(cookie) => with_cookie(
            Redirect::to(if user.totp_enabled {
                "/"
            } else {
                "/account/totp"
            })
            .into_response(),
            cookie,
        ),
        Err(e) => error_page(&state, &ctx, e),
    }
}

#[derive(Template)]
#[template(path = "totp_setup.html")]
struct TotpSetupPage<'a> {
    optional: bool,
    f: Frame<'a>,
    enabled: bool,
    secret: String,
    uri: String,
    error: String,
    recovery: Vec<String>,
}

pub async fn totp_setup_page(State(state): State<AppState>, WebUser(ctx, p): WebUser) -> Response {
    let Some(user) = ctx.user.clone() else {
        return Redirect::to("/login").into_response();
    };
    if user.totp_enabled {
        return render(TotpSetupPage {
            optional: !state.config.require_totp,
            f: frame(&state, &ctx, "totp_setup.title"),
            enabled: true,
            secret: String::new(),
            uri: String::new(),
            error: String::new(),
            recovery: Vec::new(),
        });
    }
    // Stage a fresh secret; it counts only once a code from it is entered.
    let secret = totp::new_secret();
    let actor = Actor {
        id: Some(p.user_id),
        name: p.username.clone(),
    };
    if let Err(e) = state
        .store
        .set_totp(user.id, Some(&secret), false, &[], &actor, ctx.now)
        .await
    {
        return error_page(&state, &ctx, e.into());
    }
    let uri = totp::uri(&secret, &user.username);
    render(TotpSetupPage {
        optional: !state.config.require_totp,
        f: frame(&state, &ctx, "totp_setup.title"),
        enabled: false,
        secret,
        uri,
        error: String::new(),
        recovery: Vec::new(),
    })
}

pub async fn totp_enable(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    body: Bytes,
) -> Response {
    let Some(user) = ctx.user.clone() else {
        return Redirect::to("/login").into_response();
    };
    let pairs = form(&body);
    let secret = user.totp_secret.clone().unwrap_or_default();
    if user.totp_enabled || secret.is_empty() {
        return Redirect::to("/account/totp").into_response();
    }
    let step = totp::check(
        &secret,
        field(&pairs, "code"),
        ctx.now.timestamp().max(0) as u64,
    );
    let Some(step) = step else {
        let error = ctx.t(&state).t("totp.failed").to_owned();
        let uri = totp::uri(&secret, &user.username);
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(TotpSetupPage {
                optional: !state.config.require_totp,
                f: frame(&state, &ctx, "totp_setup.title"),
                enabled: false,
                secret,
                uri,
                error,
                recovery: Vec::new(),
            }),
        )
            .into_response();
    };
    let codes = auth::recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| digest(c)).collect();
    let actor = Actor {
        id: Some(p.user_id),
        name: p.username.clone(),
    };
    if let Err(e) = state
        .store
        .set_totp(user.id, Some(&secret), true, &hashes, &actor, ctx.now)
        .await
    {
        return error_page(&state, &ctx, e.into());
    }
    let _ = state.store.use_totp_step(user.id, step as i64).await;
    render(TotpSetupPage {
        optional: !state.config.require_totp,
        f: frame(&state, &ctx, "totp_setup.title"),
        enabled: true,
        secret: String::new(),
        uri: String::new(),
        error: String::new(),
        recovery: codes,
    })
}

pub async fn set_lang(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let pairs = form(&body);
    let lang = crate::i18n::Lang::parse(field(&pairs, "lang")).unwrap_or(crate::i18n::Lang::Ja);
    if let Some(p) = &ctx.principal {
        let _ = state.store.set_locale(p.user_id, lang.code()).await;
    }
    let back = field(&pairs, "back");
    let back = if back.starts_with('/') && !back.starts_with("//") {
        back.to_owned()
    } else {
        "/".to_owned()
    };
    let cookie = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    ))
    .expect("ASCII cookie");
    with_cookie(Redirect::to(&back).into_response(), cookie)
}

// ---- dashboard ----

pub struct Tile {
    pub label: String,
    pub href: String,
    pub count: i64,
}

/// A company's progress with a framework, as the dashboard shows it.
pub struct ComplianceRow {
    pub company: String,
    pub framework: String,
    pub percent: i64,
    pub implemented: i64,
    pub partial: i64,
    pub applicable: i64,
    pub href: String,
}

/// A risk among the highest.
pub struct TopRisk {
    pub href: String,
    pub ref_no: String,
    pub title: String,
    pub company: String,
    pub level: String,
    pub score: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    f: Frame<'a>,
    tiles: Vec<Tile>,
    companies: Vec<String>,
    fiscal_year: i32,
    compliance: Vec<ComplianceRow>,
    top_risks: Vec<TopRisk>,
    overdue: Vec<Tile>,
    /// Open legal clocks of incidents, the nearest first.
    clocks: Vec<(String, String, crate::incident::ClockView)>,
    /// Per company: drills held this fiscal year, and whether the program's
    /// minimum is met.
    drills: Vec<(String, usize, bool)>,
    drills_required: usize,
}

/// Drills held this fiscal year per company the viewer may read.
async fn drills(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
) -> Result<Vec<(String, usize, bool)>, ApiError> {
    let spec = &registers::INCIDENTS;
    let scope = p.scope(spec.name, Action::Read, ctx.now);
    if scope.is_empty() {
        return Ok(Vec::new());
    }
    let zone = state.store.settings().zone;
    let year = mamori_domain::fiscal::fiscal_year(ctx.now.with_timezone(&zone).date_naive());
    let (start, _) = mamori_domain::fiscal::fiscal_year_bounds(year);
    let params = [
        ("exercise".to_owned(), "true".to_owned()),
        ("sort".to_owned(), "-detected_at".to_owned()),
    ];
    let mut q = kernel::list_query(state, spec, scope.clone(), &params, false)?;
    q.limit = 500;
    let mut held: Vec<(Uuid, chrono::DateTime<chrono::Utc>)> = Vec::new();
    'pages: loop {
        let page = state.store.list_records(spec, &q).await?;
        for s in &page.items {
            if let Value::Time(t) = s.record.get("detected_at") {
                // Newest first: once before the year's start, the rest are too.
                if t.with_timezone(&zone).date_naive() < start {
                    break 'pages;
                }
                held.push((s.company_id, *t));
            }
        }
        match page.next {
            Some(next) => q.after = Some(next),
            None => break,
        }
    }
    let companies = state.store.companies(&scope).await?;
    Ok(companies
        .iter()
        .map(|c| {
            let times: Vec<chrono::DateTime<chrono::Utc>> = held
                .iter()
                .filter(|(id, _)| *id == c.id)
                .map(|(_, t)| *t)
                .collect();
            let n = registers::drills_in_fiscal_year(&times, year, &zone);
            (
                format!("{} {}", c.code, company_name(ctx, c)),
                n,
                n >= registers::DRILLS_PER_FISCAL_YEAR,
            )
        })
        .collect())
}

/// Open breach-report clocks of the incidents the viewer may read: (link,
/// incident, clock), the nearest due first. Exercises run none.
async fn open_clocks(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
) -> Result<Vec<(String, String, crate::incident::ClockView)>, ApiError> {
    let spec = &registers::INCIDENTS;
    let scope = p.scope(spec.name, Action::Read, ctx.now);
    if scope.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for s in crate::incident::clocked_incidents(state, &scope).await? {
        let label = format!(
            "{} {}",
            s.ref_no,
            s.record.text("title").unwrap_or_default()
        );
        let href = format!("/r/incidents/{}", s.id);
        for c in crate::incident::clocks(state, ctx, &s) {
            if !c.done {
                out.push((href.clone(), label.clone(), c));
            }
        }
    }
    out.sort_by_key(|(_, _, c)| c.at);
    Ok(out)
}

/// The dashboard's compliance, top risks and overdue items, each only where
/// the viewer may read that register.
async fn program_state(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
) -> Result<(Vec<ComplianceRow>, Vec<TopRisk>, Vec<Tile>), ApiError> {
    use mamori_domain::registers::{CLOUD_ASSESSMENTS, REQUIREMENT_ASSESSMENTS, RISKS};
    let t = ctx.t(state);
    let ja = ctx.lang == crate::i18n::Lang::Ja;
    let companies = state.store.companies(&Scope::All).await?;
    let company_code = |id: Uuid| {
        companies
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.code.clone())
            .unwrap_or_default()
    };
    let mut compliance = Vec::new();
    let scope = p.scope(REQUIREMENT_ASSESSMENTS.name, Action::Read, ctx.now);
    if !scope.is_empty() {
        let frameworks = state.store.frameworks().await?;
        for c in state.store.compliance(&scope).await? {
            let framework = frameworks.iter().find(|f| f.id == c.framework_id);
            compliance.push(ComplianceRow {
                company: company_code(c.company_id),
                framework: framework
                    .map(|f| {
                        f.name_ja
                            .clone()
                            .filter(|_| ja)
                            .unwrap_or_else(|| f.name.clone())
                    })
                    .unwrap_or_default(),
                percent: c.percent(),
                implemented: c.implemented,
                partial: c.partial,
                applicable: c.applicable,
                href: format!(
                    "/r/requirement_assessments?framework={}&company={}",
                    c.framework_id, c.company_id
                ),
            });
        }
        compliance.sort_by(|a, b| (&a.company, &a.framework).cmp(&(&b.company, &b.framework)));
    }
    let mut top_risks = Vec::new();
    let mut overdue = Vec::new();
    let today = ctx.now.with_timezone(&ctx.tz).date_naive();
    let risks_scope = p.scope(RISKS.name, Action::Read, ctx.now);
    if !risks_scope.is_empty() {
        let mut q = kernel::list_query(state, &RISKS, risks_scope.clone(), &[], false)?;
        q.limit = 5;
        for s in state.store.list_records(&RISKS, &q).await?.items {
            top_risks.push(TopRisk {
                href: format!("/r/risks/{}", s.id),
                ref_no: s.ref_no.clone(),
                title: s.record.text("title").unwrap_or_default().to_owned(),
                company: company_code(s.company_id),
                level: s
                    .record
                    .text("inherent_level")
                    .map(|l| t.tk(&["enum", "risks", "inherent_level", l]))
                    .unwrap_or_default(),
                score: kernel::text_value(
                    RISKS.field("inherent_score").ok_or(ApiError::NotFound)?,
                    &s,
                    ctx.tz,
                ),
            });
        }
        let field = |name: &str| RISKS.field(name).ok_or(ApiError::NotFound);
        let reviews = state
            .store
            .count_before(&RISKS, field("review_date")?, today, None, &risks_scope)
            .await?;
        let acceptances = state
            .store
            .count_before(
                &RISKS,
                field("acceptance_expiry")?,
                today,
                Some((field("status")?, "accepted")),
                &risks_scope,
            )
            .await?;
        overdue.push(Tile {
            label: t.t("dashboard.overdue_reviews").to_owned(),
            href: "/r/risks?sort=review_date".into(),
            count: reviews,
        });
        overdue.push(Tile {
            label: t.t("dashboard.expired_acceptances").to_owned(),
            href: "/r/risks?status=accepted&sort=acceptance_expiry".into(),
            count: acceptances,
        });
    }
    let cloud_scope = p.scope(CLOUD_ASSESSMENTS.name, Action::Read, ctx.now);
    if !cloud_scope.is_empty() {
        let expiry = CLOUD_ASSESSMENTS
            .field("expiry")
            .ok_or(ApiError::NotFound)?;
        overdue.push(Tile {
            label: t.t("dashboard.expired_cloud").to_owned(),
            href: "/r/cloud_assessments".into(),
            count: state
                .store
                .count_before(&CLOUD_ASSESSMENTS, expiry, today, None, &cloud_scope)
                .await?,
        });
    }
    Ok((compliance, top_risks, overdue))
}

pub async fn dashboard(State(state): State<AppState>, WebUser(ctx, p): WebUser) -> Response {
    let mut tiles = Vec::new();
    let t = ctx.t(&state);
    for spec in registers::ALL {
        let scope = p.scope(spec.name, Action::Read, ctx.now);
        if scope.is_empty() {
            continue;
        }
        // Exercises never count as real incidents (rollup 3 of incidents
        // counts them by the exercise flag).
        let counted = if spec.name == registers::INCIDENTS.name {
            state
                .store
                .rollup(spec, 3, &scope, None)
                .await
                .map(|counts| {
                    counts
                        .iter()
                        .filter(|c| c.key[0] == "false")
                        .map(|c| c.n)
                        .sum()
                })
        } else {
            state.store.count_active(spec, &scope).await
        };
        match counted {
            Ok(count) => tiles.push(Tile {
                label: t.tk(&["nav", spec.name]),
                href: format!("/r/{}", spec.name),
                count,
            }),
            Err(e) => return error_page(&state, &ctx, e.into()),
        }
    }
    let companies = match visible_companies(&state, &ctx, &p).await {
        Ok(c) => c.into_iter().map(|c| company_name(&ctx, &c)).collect(),
        Err(e) => return error_page(&state, &ctx, e),
    };
    let fiscal_year =
        mamori_domain::fiscal::fiscal_year(ctx.now.with_timezone(&ctx.tz).date_naive());
    let (compliance, top_risks, overdue) = match program_state(&state, &ctx, &p).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, &ctx, e),
    };
    let clocks = match open_clocks(&state, &ctx, &p).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, &ctx, e),
    };
    let drills = match drills(&state, &ctx, &p).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, &ctx, e),
    };
    render(DashboardPage {
        f: frame(&state, &ctx, "dashboard.title"),
        tiles,
        companies,
        fiscal_year,
        compliance,
        top_risks,
        overdue,
        clocks,
        drills,
        drills_required: registers::DRILLS_PER_FISCAL_YEAR,
    })
}

async fn visible_companies(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
) -> Result<Vec<mamori_store::org::Company>, ApiError> {
    let mut ids = Vec::new();
    for spec in registers::ALL {
        match p.scope(spec.name, Action::Read, ctx.now) {
            Scope::All => return Ok(state.store.companies(&Scope::All).await?),
            Scope::Companies(c) => ids.extend(c),
        }
    }
    Ok(state.store.companies(&Scope::Companies(ids)).await?)
}

fn company_name(ctx: &Ctx, c: &mamori_store::org::Company) -> String {
    match ctx.lang {
        crate::i18n::Lang::Ja => c.name_ja.clone(),
        crate::i18n::Lang::En => c.name_en.clone(),
    }
}

// ---- register list, form, import ----

pub struct Column {
    pub label: String,
    pub href: String,
    pub mark: &'static str,
}

pub struct Row {
    pub href: String,
    pub ref_no: String,
    pub company: String,
    pub cells: Vec<String>,
    pub archived: bool,
}

pub struct FilterSelect {
    pub name: String,
    pub label: String,
    pub options: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage<'a> {
    f: Frame<'a>,
    register: &'static str,
    columns: Vec<Column>,
    rows: Vec<Row>,
    total: i64,
    next_href: String,
    search: String,
    selects: Vec<FilterSelect>,
    query: String,
    can_create: bool,
    can_export: bool,
    can_import: bool,
    /// Pages about the register beside its list: (href, label).
    links: Vec<(&'static str, String)>,
}

/// Pages that belong beside a register's list.
fn related(register: &str) -> &'static [(&'static str, &'static str)] {
    match register {
        "risks" => &[("/risks/heatmap", "heatmap.title")],
        "alerts" => &[("/rules", "nav.rules")],
        "compliance_assessments" | "requirement_assessments" => {
            &[("/campaigns", "campaigns.title")]
        }
        _ => &[],
    }
}

#[derive(Template)]
#[template(path = "list_rows.html")]
struct ListRows<'a> {
    f: Frame<'a>,
    columns: Vec<Column>,
    rows: Vec<Row>,
    total: i64,
    next_href: String,
}

fn label_of(
    ctx: &Ctx,
    state: &AppState,
    spec: &RegisterSpec,
    f: &mamori_domain::register::FieldSpec,
    s: &Stored,
) -> String {
    let t = ctx.t(state);
    match (f.kind, s.record.get(f.name)) {
        (_, Value::Null) => String::new(),
        (FieldKind::Enum(_), Value::Text(v)) => (spec.choices)(f.name, state.store.settings())
            .and_then(|choices| choices.into_iter().find(|c| c.value == *v))
            .map(|c| c.label.get(ctx.lang == crate::i18n::Lang::Ja).to_owned())
            .unwrap_or_else(|| t.tk(&["enum", spec.name, f.name, v])),
        (FieldKind::Scale(name), Value::Text(v)) => state
            .store
            .settings()
            .level(name, v)
            .map(|l| l.label().get(ctx.lang == crate::i18n::Lang::Ja).to_owned())
            .unwrap_or_else(|| v.clone()),
        (FieldKind::Classification, Value::Text(v)) => state
            .config
            .classification
            .get(v)
            .map(|l| {
                if ctx.lang == crate::i18n::Lang::Ja {
                    l.name_ja.clone()
                } else {
                    l.name_en.clone()
                }
            })
            .unwrap_or_else(|| v.clone()),
        (FieldKind::Bool, Value::Bool(b)) => {
            t.t(if *b { "common.yes" } else { "common.no" }).to_owned()
        }
        (FieldKind::Reference(_), _) => s
            .refs
            .get(f.name)
            .map(|r| {
                if ctx.lang == crate::i18n::Lang::Ja {
                    r.name_ja.clone()
                } else {
                    r.name_en.clone()
                }
            })
            .unwrap_or_default(),
        _ => kernel::text_value(f, s, ctx.tz),
    }
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn query_string(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The choices of an enum, classification or yes/no field, labelled in the
/// viewer's language, with `selected` marked; `None` for other kinds.
fn choice_options(
    state: &AppState,
    ctx: &Ctx,
    spec: &RegisterSpec,
    f: &mamori_domain::register::FieldSpec,
    selected: &str,
) -> Option<Vec<(String, String, bool)>> {
    let t = ctx.t(state);
    let ja = ctx.lang == crate::i18n::Lang::Ja;
    if let Some(choices) = (spec.choices)(f.name, state.store.settings()) {
        return Some(
            choices
                .into_iter()
                .map(|c| {
                    let label = c.label.get(ja).to_owned();
                    let chosen = selected == c.value;
                    (c.value, label, chosen)
                })
                .collect(),
        );
    }
    Some(match f.kind {
        FieldKind::Enum(options) => options
            .iter()
            .map(|o| {
                (
                    (*o).to_owned(),
                    t.tk(&["enum", spec.name, f.name, o]),
                    selected == *o,
                )
            })
            .collect(),
        FieldKind::Classification => state
            .config
            .classification
            .levels
            .iter()
            .map(|l| {
                let name = if ja { &l.name_ja } else { &l.name_en };
                (l.code.clone(), name.clone(), selected == l.code)
            })
            .collect(),
        FieldKind::Scale(name) => state
            .store
            .settings()
            .scale(name)
            .unwrap_or_default()
            .iter()
            .map(|l| {
                let label = l.label().get(ja).to_owned();
                (l.code.clone(), label, selected == l.code)
            })
            .collect(),
        FieldKind::Bool => vec![
            ("true".into(), t.t("common.yes").into(), selected == "true"),
            ("false".into(), t.t("common.no").into(), selected == "false"),
        ],
        _ => return None,
    })
}

pub async fn list_page(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: axum::http::HeaderMap,
) -> Response {
    let result = async {
        let spec = register(&name)?;
        let scope = require(&p, spec, Action::Read, ctx.now)?;
        let params = query.as_deref().map(url_pairs).unwrap_or_default();
        let q = kernel::list_query(&state, spec, scope, &params, true)?;
        let page = state.store.list_records(spec, &q).await?;
        let companies = state.store.companies(&Scope::All).await?;
        Ok::<_, ApiError>((spec, params, page, companies))
    }
    .await;
    let (spec, params, page, companies) = match result {
        Ok(r) => r,
        Err(e) => return error_page(&state, &ctx, e),
    };
    let t = ctx.t(&state);
    let base: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "after" && k != "sort")
        .cloned()
        .collect();
    let current_sort = params
        .iter()
        .find(|(k, _)| k == "sort")
        .map_or("ref_no".to_owned(), |(_, v)| v.clone());
    let mut columns = vec![];
    let sort_col = |field: &str, label: String| -> Column {
        let (next, mark) = if current_sort == field {
            (format!("-{field}"), "▲")
        } else if current_sort == format!("-{field}") {
            (field.to_owned(), "▼")
        } else {
            (field.to_owned(), "")
        };
        let mut qs = base.clone();
        qs.push(("sort".into(), next));
        Column {
            label,
            href: format!("/r/{}?{}", spec.name, query_string(&qs)),
            mark,
        }
    };
    columns.push(sort_col("ref_no", t.t("common.ref_no").to_owned()));
    let list_fields: Vec<_> = spec.fields.iter().filter(|f| f.list).collect();
    for f in &list_fields {
        let label = t.tk(&["field", spec.name, f.name]);
        if f.sortable {
            columns.push(sort_col(f.name, label));
        } else {
            columns.push(Column {
                label,
                href: String::new(),
                mark: "",
            });
        }
    }
    let rows: Vec<Row> = page
        .items
        .iter()
        .map(|s| Row {
            href: format!("/r/{}/{}", spec.name, s.id),
            ref_no: s.ref_no.clone(),
            company: companies
                .iter()
                .find(|c| c.id == s.company_id)
                .map(|c| c.code.clone())
                .unwrap_or_default(),
            cells: list_fields
                .iter()
                .map(|f| label_of(&ctx, &state, spec, f, s))
                .collect(),
            archived: s.archived_at.is_some(),
        })
        .collect();
    let next_href = page.next.map_or(String::new(), |c| {
        let mut qs: Vec<(String, String)> = params
            .iter()
            .filter(|(k, _)| k != "after")
            .cloned()
            .collect();
        qs.push(("after".into(), c.encode()));
        format!("/r/{}?{}", spec.name, query_string(&qs))
    });
    let total = page.total.unwrap_or(0);
    if headers.contains_key("hx-request") && !headers.contains_key("hx-boosted") {
        return render(ListRows {
            f: frame(&state, &ctx, "dashboard.title"),
            columns,
            rows,
            total,
            next_href,
        });
    }
    let selected = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut selects = Vec::new();
    let visible = visible_companies(&state, &ctx, &p)
        .await
        .unwrap_or_default();
    let company_sel = selected("company");
    selects.push(FilterSelect {
        name: "company".into(),
        label: t.t("common.company").into(),
        options: visible
            .iter()
            .map(|c| {
                (
                    c.id.to_string(),
                    company_name(&ctx, c),
                    company_sel == c.id.to_string(),
                )
            })
            .collect(),
    });
    for f in spec.fields.iter().filter(|f| f.filter) {
        let sel = selected(f.name);
        let Some(options) = choice_options(&state, &ctx, spec, f, &sel) else {
            continue;
        };
        selects.push(FilterSelect {
            name: f.name.into(),
            label: t.tk(&["field", spec.name, f.name]),
            options,
        });
    }
    let archived_sel = selected("archived");
    selects.push(FilterSelect {
        name: "archived".into(),
        label: t.t("common.archived").into(),
        options: vec![
            (
                "archived".into(),
                t.t("list.archived_only").into(),
                archived_sel == "archived",
            ),
            (
                "all".into(),
                t.t("list.archived_all").into(),
                archived_sel == "all",
            ),
        ],
    });
    let export_query = query_string(
        &params
            .iter()
            .filter(|(k, _)| k != "after")
            .cloned()
            .collect::<Vec<_>>(),
    );
    let page = ListPage {
        f: frame(&state, &ctx, &format!("nav.{}", spec.name)),
        register: spec.name,
        columns,
        rows,
        total,
        next_href,
        search: selected("q"),
        selects,
        query: export_query,
        can_create: spec.people_create && !p.scope(spec.name, Action::Create, ctx.now).is_empty(),
        can_export: !p.scope(spec.name, Action::Export, ctx.now).is_empty(),
        can_import: spec.people_create && !p.scope(spec.name, Action::Import, ctx.now).is_empty(),
        links: related(spec.name)
            .iter()
            .map(|(href, key)| (*href, t.t(key).to_owned()))
            .collect(),
    };
    render(page)
}

pub struct FormField {
    pub name: String,
    pub label: String,
    pub input: &'static str,
    pub value: String,
    pub options: Vec<(String, String, bool)>,
    pub required: bool,
    /// Set by mamori: shown, never sent back.
    pub readonly: bool,
    pub error: String,
    pub hint: String,
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage<'a> {
    f: Frame<'a>,
    register: &'static str,
    action: String,
    fields: Vec<FormField>,
    companies: Vec<(String, String, bool)>,
    is_new: bool,
    version: i64,
    ref_no: String,
    archived: bool,
    can_edit: bool,
    can_archive: bool,
    errors: Vec<String>,
    id: String,
    meta: String,
    /// Evidence files kept for the record, and whether one may be added.
    evidence: Vec<EvidenceView>,
    can_attach: bool,
    /// Records linked with this one, the registers it may link with
    /// (name, label) and whether the reader may link.
    links: Vec<LinkView>,
    link_registers: Vec<(String, String)>,
    /// For registers that keep history: what happened, newest first, and
    /// whether the reader may write a note.
    timeline: Vec<crate::incident::TimelineEntry>,
    can_note: bool,
    /// On an alert's page: the escalate form's choices (category, severity),
    /// empty when the reader may not escalate.
    escalate: Vec<(String, String)>,
    severities: Vec<(String, String)>,
    escalate_title: String,
    /// On an incident's page: the breach decision and the legal clocks.
    breach: Option<crate::incident::BreachView>,
    /// Records of other registers that refer to this one (an incident's
    /// tasks, an asset's risks): per register, its label, the link to all
    /// of them, and the first few (link, reference, title).
    referred: Vec<Referred>,
    /// On an incident's page, for vault readers: people kept, may add.
    vault: Option<(i64, bool)>,
}

/// A register's records that refer to the one shown: its label, the link
/// to all of them, and the first few (link, reference, title).
type Referred = (String, String, Vec<(String, String, String)>);

/// A linked record as the record page lists it.
pub struct LinkView {
    pub href: String,
    pub register: String,
    pub ref_no: String,
    pub title: String,
    pub archived: bool,
    /// The remove button's action; empty when the reader may not remove it.
    pub remove: String,
}

/// Records of other registers whose reference fields point at `stored`,
/// where the reader may read them: the first 20 of each, newest order of
/// the register, with a link to the filtered list.
async fn referred_by(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    spec: &RegisterSpec,
    stored: &Stored,
) -> Result<Vec<Referred>, ApiError> {
    let t = ctx.t(state);
    let mut out = Vec::new();
    for other in registers::ALL.iter().copied() {
        for f in other.fields.iter().filter(|f| f.filter) {
            let FieldKind::Reference(target) = f.kind else {
                continue;
            };
            if target.register() != Some(spec.name) || f.system {
                continue;
            }
            let scope = p.scope(other.name, Action::Read, ctx.now);
            if !scope.contains(stored.company_id) {
                continue;
            }
            let params = [(f.name.to_owned(), stored.id.to_string())];
            let Ok(mut q) = kernel::list_query(state, other, scope, &params, false) else {
                continue;
            };
            q.limit = 20;
            let items = state.store.list_records(other, &q).await?.items;
            if items.is_empty() {
                continue;
            }
            out.push((
                format!(
                    "{} ({})",
                    t.tk(&["nav", other.name]),
                    t.tk(&["field", other.name, f.name])
                ),
                format!("/r/{}?{}", other.name, query_string(&params)),
                items
                    .iter()
                    .map(|s| {
                        (
                            format!("/r/{}/{}", other.name, s.id),
                            s.ref_no.clone(),
                            other.title(&s.record),
                        )
                    })
                    .collect(),
            ));
        }
    }
    Ok(out)
}

/// An evidence file as the record page lists it.
pub struct EvidenceView {
    pub href: String,
    pub filename: String,
    pub size: String,
    pub sha256: String,
    pub added: String,
}

struct FormInput<'r> {
    values: &'r [(String, String)],
    errors: &'r [FieldError],
}

/// An answers field as one input per configured question
/// (`answers.<question id>`), each labelled with its question.
fn answer_fields(
    state: &AppState,
    ctx: &Ctx,
    spec: &RegisterSpec,
    f: &mamori_domain::register::FieldSpec,
    stored: Option<&Stored>,
    input: Option<&FormInput<'_>>,
) -> Vec<FormField> {
    let t = ctx.t(state);
    let ja = ctx.lang == crate::i18n::Lang::Ja;
    let Some(questionnaire) = state.store.settings().questionnaire(spec.name) else {
        return Vec::new();
    };
    let saved = stored
        .map(|s| mamori_domain::registers::stored_answers(s.record.get(f.name)))
        .unwrap_or_default();
    // Errors name the question; they show under the first one.
    let mut error = input
        .and_then(|i| i.errors.iter().find(|e| e.field == f.name))
        .map(|e| e.message.clone())
        .unwrap_or_default();
    questionnaire
        .questions
        .iter()
        .map(|q| {
            let name = format!("{}.{}", f.name, q.id);
            let value = match input {
                Some(i) => field(i.values, &name).to_owned(),
                None => saved
                    .get(&q.id)
                    .and_then(|a| a.as_str())
                    .unwrap_or_default()
                    .to_owned(),
            };
            let options: Vec<(String, String, bool)> = q
                .kind
                .options()
                .iter()
                .map(|o| ((*o).to_owned(), t.tk(&["answer", o]), value == *o))
                .collect();
            FormField {
                name,
                label: q.label(ja).to_owned(),
                input: if options.is_empty() { "text" } else { "select" },
                value,
                options,
                required: false,
                readonly: false,
                error: std::mem::take(&mut error),
                hint: String::new(),
            }
        })
        .collect()
}

async fn form_fields(
    state: &AppState,
    ctx: &Ctx,
    spec: &RegisterSpec,
    stored: Option<&Stored>,
    input: Option<FormInput<'_>>,
    company: Option<Uuid>,
) -> Result<Vec<FormField>, ApiError> {
    let t = ctx.t(state);
    let scope = company.map_or(Scope::All, |c| Scope::Companies(vec![c]));
    let ja = ctx.lang == crate::i18n::Lang::Ja;
    let departments: Vec<(String, String)> = state
        .store
        .departments(&scope)
        .await?
        .into_iter()
        .map(|d| {
            (
                d.id.to_string(),
                format!("{} {}", d.code, if ja { d.name_ja } else { d.name_en }),
            )
        })
        .collect();
    let committees: Vec<(String, String)> = if spec
        .fields
        .iter()
        .any(|f| f.kind == FieldKind::Reference(RefTarget::Committee))
    {
        let mut q = kernel::list_query(state, &registers::COMMITTEES, scope.clone(), &[], false)?;
        q.limit = 500;
        let page = state.store.list_records(&registers::COMMITTEES, &q).await?;
        page.items
            .iter()
            .map(|c| {
                let name = c
                    .record
                    .text(if ja { "name_ja" } else { "name_en" })
                    .unwrap_or_default();
                (
                    c.id.to_string(),
                    format!("{} {name}", c.record.text("code").unwrap_or_default()),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    for f in spec.fields {
        if f.kind == FieldKind::Answers {
            out.extend(answer_fields(state, ctx, spec, f, stored, input.as_ref()));
            continue;
        }
        let stored_value = stored.map(|s| match f.kind {
            // What mamori set is shown by name, as the list shows it.
            FieldKind::Reference(_) if f.system => s
                .refs
                .get(f.name)
                .map(|r| {
                    if ja {
                        r.name_ja.clone()
                    } else {
                        r.name_en.clone()
                    }
                })
                .unwrap_or_default(),
            FieldKind::Reference(RefTarget::Department | RefTarget::Committee) => {
                match s.record.get(f.name) {
                    Value::Ref(mamori_domain::register::RefValue::Id(id)) => id.to_string(),
                    _ => String::new(),
                }
            }
            _ => kernel::text_value(f, s, ctx.tz),
        });
        let value = match &input {
            Some(i) => field(i.values, f.name).to_owned(),
            None => stored_value.unwrap_or_default(),
        };
        let error = input
            .as_ref()
            .and_then(|i| i.errors.iter().find(|e| e.field == f.name))
            .map(|e| e.message.clone())
            .unwrap_or_default();
        let (kind, options, hint): (&'static str, Vec<(String, String, bool)>, String) = match f
            .kind
        {
            FieldKind::Text { .. } => ("text", vec![], String::new()),
            FieldKind::LongText => ("textarea", vec![], String::new()),
            FieldKind::Email => ("email", vec![], String::new()),
            FieldKind::Companies => ("text", vec![], t.t("form.companies_hint").to_owned()),
            FieldKind::Date => ("date", vec![], String::new()),
            FieldKind::Integer => ("number", vec![], String::new()),
            // Instants are set by mamori and shown in the viewer's zone.
            FieldKind::DateTime => ("text", vec![], String::new()),
            FieldKind::Enum(_)
            | FieldKind::Scale(_)
            | FieldKind::Classification
            | FieldKind::Bool => {
                let mut options = choice_options(state, ctx, spec, f, &value).unwrap_or_default();
                // A stored value the configuration no longer offers stays
                // selected as it is (saving then names the problem) rather
                // than silently becoming the first choice.
                if !value.is_empty() && !options.iter().any(|(code, _, _)| *code == value) {
                    options.insert(0, (value.clone(), value.clone(), true));
                }
                // A lifecycle offers the current value and its moves only.
                let current = stored.map(|s| s.record.text(f.name).unwrap_or_default());
                if let Some(next) = current.and_then(|c| f.next_values(c)) {
                    options.retain(|(code, _, _)| next.contains(&code.as_str()));
                }
                ("select", options, String::new())
            }
            FieldKind::Reference(target @ (RefTarget::Department | RefTarget::Committee)) => {
                let choices = if target == RefTarget::Department {
                    &departments
                } else {
                    &committees
                };
                let options = choices
                    .iter()
                    .map(|(id, label)| (id.clone(), label.clone(), value == *id))
                    .collect();
                ("select", options, String::new())
            }
            FieldKind::Reference(RefTarget::Person | RefTarget::GroupPerson) => {
                ("text", vec![], t.t("form.person_hint").to_owned())
            }
            FieldKind::Reference(RefTarget::Asset) => {
                ("text", vec![], t.t("form.asset_hint").to_owned())
            }
            FieldKind::Reference(RefTarget::Incident | RefTarget::Exercise) => {
                ("text", vec![], t.t("form.incident_hint").to_owned())
            }
            FieldKind::Reference(RefTarget::ReferenceControl) => (
                "text",
                vec![],
                t.t("form.reference_control_hint").to_owned(),
            ),
            // Set by mamori where they appear (adopting a framework).
            FieldKind::Reference(
                RefTarget::Framework | RefTarget::Requirement | RefTarget::Campaign,
            ) => ("text", vec![], String::new()),
            FieldKind::Answers => continue,
        };
        out.push(FormField {
            name: f.name.into(),
            label: t.tk(&["field", spec.name, f.name]),
            input: kind,
            value,
            options,
            required: f.required && !f.system,
            readonly: f.system,
            error,
            hint,
        });
    }
    Ok(out)
}

pub async fn new_page(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(name): Path<String>,
) -> Response {
    let result = async {
        let spec = register(&name)?;
        kernel::require_people_create(spec)?;
        let scope = require(&p, spec, Action::Create, ctx.now)?;
        let companies = state.store.companies(&scope).await?;
        let fields = form_fields(&state, &ctx, spec, None, None, None).await?;
        Ok::<_, ApiError>((spec, companies, fields))
    }
    .await;
    match result {
        Ok((spec, companies, fields)) => render(FormPage {
            f: frame(&state, &ctx, &format!("nav.{}", spec.name)),
            register: spec.name,
            action: format!("/r/{}/new", spec.name),
            fields,
            companies: companies
                .iter()
                .map(|c| (c.id.to_string(), company_name(&ctx, c), false))
                .collect(),
            is_new: true,
            version: 0,
            ref_no: String::new(),
            archived: false,
            can_edit: true,
            can_archive: false,
            errors: Vec::new(),
            id: String::new(),
            meta: String::new(),
            evidence: Vec::new(),
            can_attach: false,
            links: Vec::new(),
            link_registers: Vec::new(),
            timeline: Vec::new(),
            can_note: false,
            escalate: Vec::new(),
            severities: Vec::new(),
            escalate_title: String::new(),
            breach: None,
            referred: Vec::new(),
            vault: None,
        }),
        Err(e) => error_page(&state, &ctx, e),
    }
}

fn record_from_form(
    state: &AppState,
    spec: &RegisterSpec,
    pairs: &[(String, String)],
) -> Result<Record, Vec<FieldError>> {
    spec.parse_text(
        |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        },
        parse_ctx(state),
    )
}

pub async fn create(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(spec) = register(&name) else {
        return error_page(&state, &ctx, ApiError::NotFound);
    };
    let pairs = form(&body);
    let company = Uuid::parse_str(field(&pairs, "company_id")).ok();
    let outcome = match (company, record_from_form(&state, spec, &pairs)) {
        (Some(company), Ok(record)) => {
            kernel::create(&state, &ctx, &p, spec, company, record).await
        }
        (None, _) => Err(ApiError::Invalid(vec![FieldError::new(
            "company_id",
            ctx.t(&state).t("form.company_required"),
        )])),
        (_, Err(errors)) => Err(ApiError::Invalid(errors)),
    };
    match outcome {
        Ok(stored) => Redirect::to(&format!("/r/{}/{}", spec.name, stored.id)).into_response(),
        Err(e) => redisplay(&state, &ctx, &p, spec, None, &pairs, e, company).await,
    }
}

#[allow(clippy::too_many_arguments)]
async fn redisplay(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    spec: &'static RegisterSpec,
    stored: Option<&Stored>,
    pairs: &[(String, String)],
    e: ApiError,
    company: Option<Uuid>,
) -> Response {
    let (field_errors, general) = match e {
        ApiError::Invalid(errors) => (errors, Vec::new()),
        ApiError::Conflict(m) => (Vec::new(), vec![m]),
        ApiError::Stale(_) => (Vec::new(), vec![ctx.t(state).t("error.stale").to_owned()]),
        other => return error_page(state, ctx, other),
    };
    let mut general = general;
    general.extend(
        field_errors
            .iter()
            .filter(|e| spec.field(&e.field).is_none())
            .map(|e| format!("{}: {}", e.field, e.message)),
    );
    let fields = match form_fields(
        state,
        ctx,
        spec,
        stored,
        Some(FormInput {
            values: pairs,
            errors: &field_errors,
        }),
        company,
    )
    .await
    {
        Ok(f) => f,
        Err(e) => return error_page(state, ctx, e),
    };
    let scope = p.scope(spec.name, Action::Create, ctx.now);
    let companies = state.store.companies(&scope).await.unwrap_or_default();
    let page = FormPage {
        f: frame(state, ctx, &format!("nav.{}", spec.name)),
        register: spec.name,
        action: stored.map_or(format!("/r/{}/new", spec.name), |s| {
            format!("/r/{}/{}", spec.name, s.id)
        }),
        fields,
        companies: companies
            .iter()
            .map(|c| {
                (
                    c.id.to_string(),
                    company_name(ctx, c),
                    company == Some(c.id),
                )
            })
            .collect(),
        is_new: stored.is_none(),
        version: stored.map_or(0, |s| s.version),
        ref_no: stored.map(|s| s.ref_no.clone()).unwrap_or_default(),
        archived: stored.is_some_and(|s| s.archived_at.is_some()),
        can_edit: true,
        can_archive: false,
        errors: general,
        id: stored.map(|s| s.id.to_string()).unwrap_or_default(),
        meta: String::new(),
        evidence: Vec::new(),
        can_attach: false,
        links: Vec::new(),
        link_registers: Vec::new(),
        timeline: Vec::new(),
        can_note: false,
        escalate: Vec::new(),
        severities: Vec::new(),
        escalate_title: String::new(),
        breach: None,
        referred: Vec::new(),
        vault: None,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, render(page)).into_response()
}

pub async fn edit_page(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    let result = async {
        let spec = register(&name)?;
        let stored = kernel::get(&state, &ctx, &p, spec, parse_id(&id)?).await?;
        let fields = form_fields(
            &state,
            &ctx,
            spec,
            Some(&stored),
            None,
            Some(stored.company_id),
        )
        .await?;
        Ok::<_, ApiError>((spec, stored, fields))
    }
    .await;
    let (spec, stored, fields) = match result {
        Ok(r) => r,
        Err(e) => return error_page(&state, &ctx, e),
    };
    let t = ctx.t(&state);
    let companies = state
        .store
        .companies(&Scope::Companies(vec![stored.company_id]))
        .await
        .unwrap_or_default();
    let meta = format!(
        "{} {} · {} {}",
        t.t("common.created_at"),
        ctx.local(stored.created_at),
        t.t("common.updated_at"),
        ctx.local(stored.updated_at)
    );
    let evidence = state
        .store
        .evidence_for(spec.name, stored.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|e| EvidenceView {
            href: format!("/api/v1/evidence/{}", e.id),
            size: format!("{:.1} KB", e.size as f64 / 1024.0),
            sha256: e.sha256,
            added: format!("{} · {}", ctx.local(e.uploaded_at), e.uploaded_by),
            filename: e.filename,
        })
        .collect();
    let can_edit = p
        .scope(spec.name, Action::Update, ctx.now)
        .contains(stored.company_id);
    let ja = ctx.lang == crate::i18n::Lang::Ja;
    let links = crate::links::visible_links(&state, &ctx, &p, spec, stored.id, stored.company_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|l| {
            let may_remove = [spec.name, l.register].iter().any(|r| {
                p.scope(r, Action::Update, ctx.now)
                    .contains(stored.company_id)
            });
            LinkView {
                href: format!("/r/{}/{}", l.register, l.record_id),
                register: t.tk(&["nav", l.register]),
                title: if ja { l.title_ja } else { l.title_en },
                archived: l.archived,
                remove: if may_remove {
                    format!("/r/{}/{}/links/{}/delete", spec.name, stored.id, l.link_id)
                } else {
                    String::new()
                },
                ref_no: l.ref_no,
            }
        })
        .collect();
    let link_registers = if can_edit {
        crate::links::linkable(spec)
            .into_iter()
            .filter(|o| {
                p.scope(o.name, Action::Read, ctx.now)
                    .contains(stored.company_id)
            })
            .map(|o| (o.name.to_owned(), t.tk(&["nav", o.name])))
            .collect()
    } else {
        Vec::new()
    };
    let timeline = if spec.history {
        crate::incident::timeline(&state, &ctx, spec, stored.id)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let may_escalate = spec.name == registers::ALERTS.name
        && can_edit
        && p.scope(registers::INCIDENTS.name, Action::Create, ctx.now)
            .contains(stored.company_id);
    let options = |field: &str, values: &[&str]| -> Vec<(String, String)> {
        values
            .iter()
            .map(|v| ((*v).to_owned(), t.tk(&["enum", "incidents", field, v])))
            .collect()
    };
    let (escalate, severities) = if may_escalate {
        (
            options("category", registers::INCIDENT_CATEGORIES),
            state
                .store
                .settings()
                .scale(INCIDENT_SEVERITY)
                .unwrap_or_default()
                .iter()
                .map(|l| (l.code.clone(), l.label().get(ja).to_owned()))
                .collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let today = ctx.now.with_timezone(&ctx.tz).date_naive();
    let notices: Vec<String> = (spec.notices)(&stored.record, today)
        .into_iter()
        .map(|key| t.t(key).to_owned())
        .collect();
    render(FormPage {
        f: frame(&state, &ctx, &format!("nav.{}", spec.name)),
        register: spec.name,
        action: format!("/r/{}/{}", spec.name, stored.id),
        fields,
        companies: companies
            .iter()
            .map(|c| (c.id.to_string(), company_name(&ctx, c), true))
            .collect(),
        is_new: false,
        version: stored.version,
        ref_no: stored.ref_no.clone(),
        archived: stored.archived_at.is_some(),
        can_edit: p
            .scope(spec.name, Action::Update, ctx.now)
            .contains(stored.company_id),
        can_archive: p
            .scope(spec.name, Action::Archive, ctx.now)
            .contains(stored.company_id),
        errors: notices,
        id: stored.id.to_string(),
        meta,
        evidence,
        can_attach: can_edit,
        links,
        link_registers,
        can_note: can_edit && spec.history,
        timeline,
        escalate,
        severities,
        escalate_title: stored.record.text("title").unwrap_or_default().to_owned(),
        breach: (spec.name == registers::INCIDENTS.name)
            .then(|| crate::incident::breach_view(&state, &ctx, &p, &stored))
            .flatten(),
        referred: referred_by(&state, &ctx, &p, spec, &stored)
            .await
            .unwrap_or_default(),
        vault: if spec.name == registers::INCIDENTS.name {
            crate::incident::vault_summary(&state, &ctx, &p, &stored).await
        } else {
            None
        },
    })
}

pub async fn update(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path((name, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let pairs = form(&body);
    let result = async {
        let spec = register(&name)?;
        let id = parse_id(&id)?;
        let version: i64 = field(&pairs, "version")
            .parse()
            .map_err(|_| ApiError::BadRequest("version".into()))?;
        Ok::<_, ApiError>((spec, id, version))
    }
    .await;
    let (spec, id, version) = match result {
        Ok(r) => r,
        Err(e) => return error_page(&state, &ctx, e),
    };
    let outcome = match record_from_form(&state, spec, &pairs) {
        Ok(record) => kernel::update(&state, &ctx, &p, spec, id, version, record).await,
        Err(errors) => Err(ApiError::Invalid(errors)),
    };
    match outcome {
        Ok(stored) => Redirect::to(&format!("/r/{}/{}", spec.name, stored.id)).into_response(),
        Err(ApiError::NotFound) => error_page(&state, &ctx, ApiError::NotFound),
        Err(ApiError::Forbidden) => error_page(&state, &ctx, ApiError::Forbidden),
        Err(e) => {
            let stored = kernel::get(&state, &ctx, &p, spec, id).await.ok();
            let company = stored.as_ref().map(|s| s.company_id);
            redisplay(&state, &ctx, &p, spec, stored.as_ref(), &pairs, e, company).await
        }
    }
}

async fn archive_web(
    state: AppState,
    ctx: Ctx,
    p: Principal,
    name: String,
    id: String,
    body: Bytes,
    archive: bool,
) -> Response {
    let pairs = form(&body);
    let result = async {
        let spec = register(&name)?;
        let id = parse_id(&id)?;
        let version: i64 = field(&pairs, "version")
            .parse()
            .map_err(|_| ApiError::BadRequest("version".into()))?;
        kernel::set_archived(&state, &ctx, &p, spec, id, version, archive).await?;
        Ok::<_, ApiError>(format!("/r/{}/{}", spec.name, id))
    }
    .await;
    match result {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => error_page(&state, &ctx, e),
    }
}

pub async fn archive(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path((name, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    archive_web(state, ctx, p, name, id, body, true).await
}

pub async fn restore(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path((name, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    archive_web(state, ctx, p, name, id, body, false).await
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage<'a> {
    f: Frame<'a>,
    register: &'static str,
    columns: String,
    errors: Vec<RowError>,
    done: String,
    text: String,
}

pub async fn import_page(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(name): Path<String>,
) -> Response {
    let spec = match register(&name).and_then(|s| {
        kernel::require_people_create(s)?;
        require(&p, s, Action::Import, ctx.now).map(|_| s)
    }) {
        Ok(s) => s,
        Err(e) => return error_page(&state, &ctx, e),
    };
    render(ImportPage {
        f: frame(&state, &ctx, "import.title"),
        register: spec.name,
        columns: transfer::columns(spec, state.store.settings()).join(","),
        errors: Vec::new(),
        done: String::new(),
        text: String::new(),
    })
}

/// An upload form: a chosen file (multipart) or text pasted into
/// `text_field` (either encoding); and whether it is a dry run.
pub(crate) async fn import_input(
    state: &AppState,
    request: axum::extract::Request,
    text_field: &str,
) -> Result<(Vec<u8>, bool), ApiError> {
    use axum::extract::FromRequest;
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::TooLarge(state.config.max_body_bytes))?;
        let pairs = form(&body);
        return Ok((
            field(&pairs, text_field).as_bytes().to_vec(),
            field(&pairs, "mode") != "import",
        ));
    }
    let mut parts = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::BadRequest(format!("the upload could not be read: {e}")))?;
    let (mut file, mut text, mut mode) = (Vec::new(), Vec::new(), String::new());
    while let Some(part) = parts
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        let name = part.name().unwrap_or_default().to_owned();
        let bytes = part
            .bytes()
            .await
            .map_err(|e| ApiError::BadRequest(format!("the upload could not be read: {e}")))?;
        match name.as_str() {
            "file" => file = bytes.to_vec(),
            "mode" => mode = String::from_utf8_lossy(&bytes).into_owned(),
            n if n == text_field => text = bytes.to_vec(),
            _ => {}
        }
    }
    Ok((if file.is_empty() { text } else { file }, mode != "import"))
}

pub async fn import(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(name): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let spec = match register(&name) {
        Ok(s) => s,
        Err(e) => return error_page(&state, &ctx, e),
    };
    let (content, dry_run) = match import_input(&state, request, "csv").await {
        Ok(input) => input,
        Err(e) => return error_page(&state, &ctx, e),
    };
    let text = String::from_utf8_lossy(&content).into_owned();
    let t = ctx.t(&state);
    let outcome = transfer::import_csv(&state, &ctx, &p, spec, &content, dry_run).await;
    let (errors, done) = match outcome {
        Ok(o) if o.errors.is_empty() => {
            let key = if o.committed {
                "import.done"
            } else {
                "import.checked"
            };
            (
                Vec::new(),
                t.t(key)
                    .replace("{created}", &o.created.to_string())
                    .replace("{updated}", &o.updated.to_string()),
            )
        }
        Ok(o) => (o.errors, String::new()),
        Err(ApiError::BadRequest(m)) => (
            vec![RowError {
                line: 0,
                field: String::new(),
                message: m,
            }],
            String::new(),
        ),
        Err(e) => return error_page(&state, &ctx, e),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        render(ImportPage {
            f: frame(&state, &ctx, "import.title"),
            register: spec.name,
            columns: transfer::columns(spec, state.store.settings()).join(","),
            errors,
            done,
            text,
        }),
    )
        .into_response()
}
