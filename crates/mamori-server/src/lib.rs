//! mamori's HTTP edge: one route table for the web UI (server-rendered,
//! htmx), the REST API and its OpenAPI document, health and metrics; the
//! middleware that resolves who is asking (session cookie or API token),
//! enforces CSRF on every state change and sets security headers.
//!
//! Boundary: no SQL here (the store owns it) and no business rules (the
//! domain owns them). Handlers extract, call the kernel or the store, answer.

pub mod api;
pub mod auth;
mod campaign;
pub mod config;
mod context;
pub mod detection;
pub mod error;
mod evidence;
pub mod i18n;
mod incident;
pub mod kernel;
mod library;
mod links;
pub mod notify;
mod openapi;
mod public;
pub mod reminders;
mod report;
mod risk;
pub mod seed;
pub mod transfer;
pub(crate) mod web;
pub mod webhook;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use mamori_store::Store;
use tower_http::set_header::SetResponseHeaderLayer;

pub use config::Config;
pub use context::{Ctx, Session};

/// Everything a request handler may use; cloned per request (cheap).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub config: Config,
    pub catalogues: i18n::Catalogues,
    pub throttle: auth::Throttle,
    pub metrics: Metrics,
    /// A real argon2id hash to verify against when a username is unknown.
    pub dummy_hash: String,
    /// The detection engine (correlation state inside), shared by ingest.
    pub detector: Arc<std::sync::Mutex<mamori_detect::engine::Engine>>,
    /// Rules that did not load, shown to operators.
    pub rule_errors: Vec<String>,
    pub tz: chrono_tz::Tz,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Counters exported at `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub client_errors: AtomicU64,
    pub server_errors: AtomicU64,
    pub login_failures: AtomicU64,
    pub logins: AtomicU64,
}

impl Metrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl AppState {
    pub fn new(store: Store, config: Config) -> Result<AppState, String> {
        config.validate()?;
        let catalogues = i18n::Catalogues::load()?;
        let tz = config
            .time_zone
            .parse()
            .map_err(|_| format!("unknown time zone {}", config.time_zone))?;
        let dummy_hash = auth::hash_password(&auth::random_token())?;
        let (detector, rule_errors) = detection::build(&config)?;
        let throttle = auth::Throttle::new(
            config.login_window_minutes,
            config.login_max_failures_per_account,
            config.login_max_failures_per_address,
        );
        Ok(AppState(Arc::new(Inner {
            // The configured methodology is the one every write uses.
            store: store.with_settings(config.register_settings()),
            config,
            catalogues,
            throttle,
            metrics: Metrics::default(),
            dummy_hash,
            detector: Arc::new(std::sync::Mutex::new(detector)),
            rule_errors,
            tz,
        })))
    }
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The one route table.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let hsts = state.config.secure_cookies;
    let api = Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/docs", get(openapi::docs_page))
        .route("/v1/me", get(api::me))
        .route("/v1/companies", get(api::companies))
        .route("/v1/ingest", post(detection::ingest))
        .route("/v1/rules", get(detection::rules))
        .route("/v1/risks/heatmap", get(risk::heatmap))
        .route("/v1/libraries", post(library::create))
        .route("/v1/frameworks", get(library::frameworks))
        .route("/v1/frameworks/{id}", get(library::requirements))
        .route("/v1/frameworks/{id}/adopt", post(library::adopt))
        .route("/v1/frameworks/{id}/soa", get(library::soa))
        .route("/v1/campaigns", get(campaign::list).post(campaign::create))
        .route("/v1/campaigns/{id}", get(campaign::get))
        .route("/v1/mapping_sets", get(library::mapping_sets))
        .route("/v1/mapping_sets/{id}/coverage", get(library::coverage))
        .route("/v1/{register}", get(api::list).post(api::create))
        .route("/v1/{register}/export", get(api::export))
        .route("/v1/{register}/import", post(api::import))
        .route("/v1/{register}/{id}", get(api::get).patch(api::update))
        .route(
            "/v1/{register}/{id}/evidence",
            get(evidence::list).post(evidence::create),
        )
        .route("/v1/evidence/{id}", get(evidence::download))
        .route(
            "/v1/{register}/{id}/links",
            get(links::list).post(links::create),
        )
        .route("/v1/links/{id}", axum::routing::delete(links::delete))
        .route("/v1/alerts/escalate", post(incident::escalate_api))
        .route(
            "/v1/incidents/{id}/people",
            get(incident::people).post(incident::add_people),
        )
        .route(
            "/v1/{register}/{id}/notes",
            get(incident::notes).post(incident::create_note),
        )
        .route("/v1/{register}/{id}/timeline", get(incident::timeline_api))
        .route("/v1/{register}/{id}/archive", post(api::archive))
        .route("/v1/{register}/{id}/restore", post(api::restore));
    let app = Router::new()
        .route("/healthz", get(web::healthz))
        .route("/readyz", get(web::readyz))
        .route("/metrics", get(web::metrics))
        .route("/static/{file}", get(web::static_file))
        .route("/", get(web::dashboard))
        .route("/login", get(web::login_page).post(web::login))
        .route("/login/totp", get(web::totp_page).post(web::totp_login))
        .route("/logout", post(web::logout))
        .route("/logout/everywhere", post(web::logout_everywhere))
        .route(
            "/account/password",
            get(web::password_page).post(web::change_password),
        )
        .route(
            "/account/totp",
            get(web::totp_setup_page).post(web::totp_enable),
        )
        .route("/lang", post(web::set_lang))
        .route("/r/{register}", get(web::list_page))
        .route("/r/{register}/new", get(web::new_page).post(web::create))
        .route(
            "/r/{register}/import",
            get(web::import_page).post(web::import),
        )
        .route("/r/{register}/{id}", get(web::edit_page).post(web::update))
        .route("/r/{register}/{id}/evidence", post(evidence::upload_form))
        .route("/r/{register}/{id}/links", post(links::create_form))
        .route("/r/{register}/{id}/notes", post(incident::note_form))
        .route("/r/alerts/{id}/escalate", post(incident::escalate_form))
        .route("/r/incidents/{id}/report", get(report::report))
        .route(
            "/r/incidents/{id}/people",
            get(incident::people_page).post(incident::people_upload),
        )
        .route("/public/notices", get(public::notices))
        .route("/public/notices/{id}", get(public::notice))
        .route(
            "/r/{register}/{id}/links/{link}/delete",
            post(links::delete_form),
        )
        .route("/r/{register}/{id}/archive", post(web::archive))
        .route("/r/{register}/{id}/restore", post(web::restore))
        .route("/soon/{area}", get(web::coming_soon))
        .route("/alerts", get(detection::page))
        .route("/rules", get(detection::rules_page))
        .route("/notifications", get(notify::page))
        .route("/risks/heatmap", get(risk::heatmap_page))
        .route(
            "/campaigns",
            get(campaign::page).post(campaign::launch_form),
        )
        .route("/campaigns/{id}", get(campaign::campaign_page))
        .route("/frameworks", get(library::page).post(library::upload))
        .route("/frameworks/{id}", get(library::framework_page))
        .route("/mapping_sets/{id}", get(library::coverage_page))
        .route("/frameworks/{id}/adopt", post(library::adopt_form))
        .nest("/api", api)
        .fallback(web::not_found);
    let mut app = app
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            context::resolve,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    if hsts {
        app = app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    app.with_state(state)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    notify::spawn(state.clone());
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
