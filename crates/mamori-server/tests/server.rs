//! Integration tests through the real router, on SQLite and (when
//! `MAMORI_TEST_POSTGRES_URL` is set, as `.ci/run` does) on PostgreSQL.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{Duration, Utc};
use http_body_util::BodyExt;
use mamori_domain::authz::{Action, allows};
use mamori_domain::org::Role;
use mamori_domain::register::RegisterSpec;
use mamori_domain::registers::{self, AnswerKind};
use mamori_server::{AppState, Config, auth, seed};
use mamori_store::Store;
use mamori_store::users::{Actor, NewUser};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

// ---- harness ----

struct TestApp {
    router: Router,
    state: AppState,
    store: Store,
    pg_admin: Option<(String, String)>,
    /// The SQLite file, on that backend.
    db_file: Option<std::path::PathBuf>,
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("mamori_session=") && !c.starts_with("mamori_session=;"))
            .map(|c| c.split(';').next().unwrap_or_default().to_owned())
    }
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

fn backends() -> Vec<Backend> {
    let mut b = vec![Backend::Sqlite];
    if std::env::var("MAMORI_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        b.push(Backend::Postgres);
    }
    b
}

impl TestApp {
    /// An app that does not insist on TOTP (most tests log in with a password alone).
    async fn new(backend: Backend) -> TestApp {
        Self::with_config(
            backend,
            Config {
                require_totp: false,
                ..Config::default()
            },
        )
        .await
    }

    async fn with_config(backend: Backend, config: Config) -> TestApp {
        Self::with_vault(backend, config, None).await
    }

    async fn with_vault(
        backend: Backend,
        config: Config,
        vault: Option<mamori_store::vault::Vault>,
    ) -> TestApp {
        let (url, pg_admin) = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("mamori-test-{}", Uuid::now_v7()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                (format!("sqlite://{}", dir.join("t.db").display()), None)
            }
            Backend::Postgres => {
                let admin = std::env::var("MAMORI_TEST_POSTGRES_URL").expect("set");
                let name = format!("mamori_t_{}", Uuid::now_v7().simple());
                let pool = sqlx::PgPool::connect(&admin)
                    .await
                    .expect("postgres reachable");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&pool)
                    .await
                    .expect("create db");
                pool.close().await;
                let base = admin
                    .rsplit_once('/')
                    .map_or(admin.as_str(), |(b, _)| b)
                    .to_owned();
                (format!("{base}/{name}"), Some((admin, name)))
            }
        };
        let db_file = url.strip_prefix("sqlite://").map(std::path::PathBuf::from);
        let mut store = Store::connect(&url)
            .await
            .expect("connect")
            .with_settings(config.register_settings());
        if let Some(vault) = vault {
            store = store.with_vault(vault);
        }
        store.migrate().await.expect("migrate");
        seed::load_demo(&store, Utc::now())
            .await
            .expect("demo loads");
        let state = AppState::new(store.clone(), config).expect("state");
        TestApp {
            router: mamori_server::router(state.clone()),
            state,
            store,
            pg_admin,
            db_file,
        }
    }

    async fn finish(self) {
        // Whatever the test wrote, the counts kept with each write equal
        // the counts made afresh from the records.
        let all_counts = || async {
            let mut out = Vec::new();
            for spec in registers::ALL {
                for rollup in 0..=spec.rollups.len() {
                    let mut counts = self
                        .store
                        .rollup(spec, rollup, &mamori_domain::authz::Scope::All, None)
                        .await
                        .expect("rollup");
                    counts.sort_by(|a, b| (a.company_id, &a.key).cmp(&(b.company_id, &b.key)));
                    out.push((spec.name, rollup, counts));
                }
            }
            out
        };
        let kept = all_counts().await;
        self.store.rebuild_rollups().await.expect("rebuild");
        assert_eq!(kept, all_counts().await, "rollups drifted from the records");
        self.store.close().await;
        if let Some((admin, name)) = self.pg_admin {
            let pool = sqlx::PgPool::connect(&admin)
                .await
                .expect("postgres reachable");
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&pool)
            .await;
            pool.close().await;
        }
    }

    async fn send(&self, req: Request<Body>) -> Answer {
        let mut req = req;
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 40000))));
        let res = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn api(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).expect("request")).await
    }

    async fn raw(
        &self,
        token: &str,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// A user with a known password, one role, and a `*` token.
    async fn user(
        &self,
        username: &str,
        role: Role,
        company: Option<&str>,
        password: &str,
    ) -> (Uuid, String) {
        let now = Utc::now();
        let actor = Actor::system("test");
        let company_id = match company {
            Some(code) => Some(
                self.store
                    .company_by_code(code)
                    .await
                    .expect("query")
                    .expect("company exists")
                    .id,
            ),
            None => None,
        };
        let hash = auth::hash_password(password).expect("hash");
        let id = self
            .store
            .create_user(
                &NewUser {
                    username: username.into(),
                    display_name: username.into(),
                    person_id: None,
                    password_hash: hash,
                    must_change_password: false,
                },
                &actor,
                now,
            )
            .await
            .expect("user");
        let expires = if role == Role::ExternalAuditor {
            Some(now + Duration::days(30))
        } else {
            None
        };
        self.store
            .assign_role(id, role, company_id, expires, &actor, now)
            .await
            .expect("role");
        let token = auth::new_api_token();
        self.store
            .create_token(
                &mamori_store::users::NewToken {
                    user_id: id,
                    name: "test",
                    token_hash: &auth::digest(&token),
                    scopes: &["*".to_owned()],
                    expires_at: now + Duration::days(1),
                },
                &actor,
                now,
            )
            .await
            .expect("token");
        (id, token)
    }

    async fn ingest(&self, token: &str, query: &str, body: Vec<u8>) -> Answer {
        self.raw(
            token,
            Method::POST,
            &format!("/api/v1/ingest?{query}"),
            "application/x-ndjson",
            body,
        )
        .await
    }

    async fn triage(&self, token: &str, alert: &str, status: &str, version: i64) -> Answer {
        let body = json!({ "status": status, "version": version });
        self.api(
            token,
            Method::PATCH,
            &format!("/api/v1/alerts/{alert}"),
            Some(body),
        )
        .await
    }

    async fn company_id(&self, code: &str) -> Uuid {
        self.store
            .company_by_code(code)
            .await
            .expect("query")
            .expect("company")
            .id
    }

    async fn form(&self, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Answer {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).expect("request")).await
    }

    async fn page(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut b = Request::builder().uri(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).expect("request")).await
    }

    /// Logs in through the form and returns the session cookie and CSRF token.
    async fn login(&self, username: &str, password: &str) -> (String, String) {
        let a = self
            .form(
                "/login",
                None,
                &[("username", username), ("password", password)],
            )
            .await;
        assert_eq!(
            a.status,
            StatusCode::SEE_OTHER,
            "login of {username}: {}",
            a.text()
        );
        let cookie = a.cookie().expect("session cookie");
        let mut page = self.page("/account/password", Some(&cookie)).await;
        if page.status == StatusCode::SEE_OTHER {
            let next = page.location().to_owned();
            page = self.page(&next, Some(&cookie)).await;
        }
        (cookie, csrf_of(&page.text()))
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("page has a csrf field");
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

macro_rules! on_every_backend {
    ($name:ident, $body:ident) => {
        #[tokio::test]
        async fn $name() {
            for backend in backends() {
                $body(backend).await;
            }
        }
    };
}

const PASSWORD: &str = "羽田-成田-伊丹-2026!";

// ---- identity ----

async fn login_flow(b: Backend) {
    let app = TestApp::new(b).await;
    // The demo accounts must change their one-time password first.
    let now = Utc::now();
    let cred = seed::create_user_with_otp(
        &app.store,
        &seed::Account {
            username: "newbie",
            display_name: "新人",
            role: Role::Employee,
            company: None,
            expires: None,
        },
        &Actor::system("t"),
        now,
    )
    .await
    .expect("user");
    let a = app
        .form(
            "/login",
            None,
            &[("username", "newbie"), ("password", &cred.password)],
        )
        .await;
    assert_eq!(a.location(), "/account/password");
    let cookie = a.cookie().expect("cookie");
    let home = app.page("/", Some(&cookie)).await;
    assert_eq!(
        home.location(),
        "/account/password",
        "forced to change the password"
    );
    let api = app
        .send(
            Request::builder()
                .uri("/api/v1/me")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    let csrf = csrf_of(&app.page("/account/password", Some(&cookie)).await.text());
    let weak = app
        .form(
            "/account/password",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("current", &cred.password),
                ("new", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let changed = app
        .form(
            "/account/password",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("current", &cred.password),
                ("new", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text());
    assert_eq!(changed.location(), "/account/totp");
    let new_cookie = changed.cookie().expect("a fresh session");
    assert_ne!(new_cookie, cookie, "session id rotated");
    assert_eq!(
        app.page("/", Some(&cookie)).await.location(),
        "/login",
        "old session ended"
    );
    assert_eq!(
        app.page("/", Some(&new_cookie)).await.status,
        StatusCode::OK
    );

    // Unknown user and wrong password answer alike.
    let unknown = app
        .form(
            "/login",
            None,
            &[("username", "nobody"), ("password", "x-y-z-1-2-3")],
        )
        .await;
    let wrong = app
        .form(
            "/login",
            None,
            &[("username", "newbie"), ("password", "x-y-z-1-2-3")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.text().replace("nobody", "newbie"), wrong.text());
    app.finish().await;
}
on_every_backend!(login_password_change_and_rotation, login_flow);

async fn totp_flow(b: Backend) {
    let app = TestApp::with_config(b, Config::default()).await;
    app.user("sato", Role::SecurityOfficer, Some("AIR"), PASSWORD)
        .await;
    let (cookie, csrf) = app.login("sato", PASSWORD).await;
    // Enrolment is required before anything else (the default).
    assert_eq!(
        app.page("/", Some(&cookie)).await.location(),
        "/account/totp"
    );
    let me = app
        .send(
            Request::builder()
                .uri("/api/v1/me")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(me.status, StatusCode::FORBIDDEN);
    let setup = app.page("/account/totp", Some(&cookie)).await;
    let html = setup.text();
    let secret = html
        .split("class=\"secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("secret shown")
        .to_owned();
    let bad = app
        .form(
            "/account/totp",
            Some(&cookie),
            &[("csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let now = Utc::now().timestamp() as u64;
    let code = auth::totp::code(&secret, now).expect("code");
    let enabled = app
        .form(
            "/account/totp",
            Some(&cookie),
            &[("csrf", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK);
    assert_eq!(
        app.page("/", Some(&cookie)).await.status,
        StatusCode::OK,
        "enrolled: the app opens"
    );
    let recovery: Vec<String> = enabled
        .text()
        .split("<code>")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .map(str::to_owned)
        .collect();
    assert_eq!(recovery.len(), 10);

    // Password alone now leads to the second step only.
    let step1 = app
        .form(
            "/login",
            None,
            &[("username", "sato"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(step1.location(), "/login/totp");
    let pending = step1.cookie().expect("cookie");
    assert_eq!(
        app.page("/", Some(&pending)).await.location(),
        "/login",
        "half-logged-in is not logged in"
    );
    let pcsrf = csrf_of(&app.page("/login/totp", Some(&pending)).await.text());
    // The code used at enrolment cannot be replayed.
    let replay = app
        .form(
            "/login/totp",
            Some(&pending),
            &[("csrf", &pcsrf), ("code", &code)],
        )
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    let ok = app
        .form(
            "/login/totp",
            Some(&pending),
            &[("csrf", &pcsrf), ("code", &recovery[0])],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let full = ok.cookie().expect("new session");
    assert_eq!(app.page("/", Some(&full)).await.status, StatusCode::OK);
    // A recovery code works once.
    let again = app
        .form(
            "/login",
            None,
            &[("username", "sato"), ("password", PASSWORD)],
        )
        .await
        .cookie()
        .expect("cookie");
    let c2 = csrf_of(&app.page("/login/totp", Some(&again)).await.text());
    let reuse = app
        .form(
            "/login/totp",
            Some(&again),
            &[("csrf", &c2), ("code", &recovery[0])],
        )
        .await;
    assert_eq!(reuse.status, StatusCode::UNAUTHORIZED);
    app.finish().await;
}
on_every_backend!(totp_enrolment_login_and_recovery_codes, totp_flow);

async fn csrf_flow(b: Backend) {
    let app = TestApp::new(b).await;
    app.user("kato", Role::SecurityOfficer, Some("AIR"), PASSWORD)
        .await;
    let (cookie, csrf) = app.login("kato", PASSWORD).await;
    let air = app.company_id("AIR").await.to_string();
    let fields = [
        ("company_id", air.as_str()),
        ("name", "CSRF テスト"),
        ("kind", "system"),
        ("classification", "internal"),
    ];
    let refused = app.form("/r/assets/new", Some(&cookie), &fields).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.json()["error"]["code"], "csrf");
    let mut with = fields.to_vec();
    with.push(("csrf", "wrong"));
    assert_eq!(
        app.form("/r/assets/new", Some(&cookie), &with).await.status,
        StatusCode::FORBIDDEN
    );
    with.pop();
    with.push(("csrf", &csrf));
    let created = app.form("/r/assets/new", Some(&cookie), &with).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
    // JSON with the session cookie needs the header.
    let req = |token: Option<&str>| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/assets")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            b = b.header("x-csrf-token", t);
        }
        b.body(Body::from(json!({"company_id": air, "name": "API", "kind": "system", "classification": "internal"}).to_string())).expect("req")
    };
    assert_eq!(app.send(req(None)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.send(req(Some(&csrf))).await.status, StatusCode::CREATED);
    app.finish().await;
}
on_every_backend!(csrf_is_required_on_every_state_change, csrf_flow);

async fn throttle_flow(b: Backend) {
    let app = TestApp::new(b).await;
    app.user("ito", Role::Employee, Some("AIR"), PASSWORD).await;
    for _ in 0..5 {
        let a = app
            .form(
                "/login",
                None,
                &[("username", "ito"), ("password", "wrong-password-1")],
            )
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let locked = app
        .form(
            "/login",
            None,
            &[("username", "ito"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.text().contains("分後"), "says how long to wait");
    // The same answer for an account that does not exist.
    for _ in 0..5 {
        app.form(
            "/login",
            None,
            &[("username", "ghost"), ("password", "wrong-password-1")],
        )
        .await;
    }
    assert_eq!(
        app.form("/login", None, &[("username", "ghost"), ("password", "x")])
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    app.finish().await;
}
on_every_backend!(login_is_throttled_per_account, throttle_flow);

// ---- authorization: the whole table ----

async fn permission_walk(b: Backend) {
    let app = TestApp::new(b).await;
    let own = app.company_id("TRV").await;
    let other = app.company_id("GND").await;
    let (_, admin) = app.user("root", Role::Admin, None, PASSWORD).await;
    let now = Utc::now();
    for spec in registers::ALL {
        // One record in each company, made by an administrator.
        let mut records = Vec::new();
        for company in [own, other] {
            records.push(make_record(spec, company, &app, &admin).await);
        }
        for role in Role::ALL {
            let (_, token) = app
                .user(
                    &format!("{}-{}", role.code(), spec.name),
                    role,
                    Some("TRV"),
                    PASSWORD,
                )
                .await;
            let can = |a: Action| allows(role, spec.name, a);
            for (i, rec) in records.iter().enumerate() {
                let is_own = i == 0;
                let id = rec["id"].as_str().expect("id");
                let ctx = format!(
                    "{} {} {}",
                    role.code(),
                    spec.name,
                    if is_own { "own" } else { "other" }
                );
                // read
                let got = app
                    .api(
                        &token,
                        Method::GET,
                        &format!("/api/v1/{}/{id}", spec.name),
                        None,
                    )
                    .await
                    .status;
                let expect = match (can(Action::Read), is_own) {
                    (false, _) => StatusCode::FORBIDDEN,
                    (true, true) => StatusCode::OK,
                    (true, false) => StatusCode::NOT_FOUND,
                };
                assert_eq!(got, expect, "read {ctx}");
                // update (a harmless change)
                let version = app
                    .api(
                        &admin,
                        Method::GET,
                        &format!("/api/v1/{}/{id}", spec.name),
                        None,
                    )
                    .await
                    .json()["version"]
                    .as_i64()
                    .expect("v");
                let field = spec
                    .fields
                    .iter()
                    .find(|f| !f.system)
                    .expect("a field people set");
                let change = json!({ "version": version, field.name: rec[field.name] });
                let got = app
                    .api(
                        &token,
                        Method::PATCH,
                        &format!("/api/v1/{}/{id}", spec.name),
                        Some(change),
                    )
                    .await
                    .status;
                let expect = expected_on_record(can(Action::Read), can(Action::Update), is_own);
                assert_eq!(got, expect, "update {ctx}");
                // archive then restore
                let current = app
                    .api(
                        &admin,
                        Method::GET,
                        &format!("/api/v1/{}/{id}", spec.name),
                        None,
                    )
                    .await
                    .json()["version"]
                    .as_i64()
                    .expect("v");
                let got = app
                    .api(
                        &token,
                        Method::POST,
                        &format!("/api/v1/{}/{id}/archive", spec.name),
                        Some(json!({"version": current})),
                    )
                    .await
                    .status;
                let expect = expected_on_record(can(Action::Read), can(Action::Archive), is_own);
                assert_eq!(got, expect, "archive {ctx}");
                if got == StatusCode::OK {
                    let restored = app
                        .api(
                            &token,
                            Method::POST,
                            &format!("/api/v1/{}/{id}/restore", spec.name),
                            Some(json!({"version": current + 1})),
                        )
                        .await;
                    assert_eq!(restored.status, StatusCode::OK, "restore {ctx}");
                }
                // create in that company
                let body = sample(spec.name, if is_own { own } else { other }, &app, &admin).await;
                let got = app
                    .api(
                        &token,
                        Method::POST,
                        &format!("/api/v1/{}", spec.name),
                        Some(body),
                    )
                    .await
                    .status;
                let expect = match (spec.people_create, can(Action::Create), is_own) {
                    (false, _, _) => StatusCode::METHOD_NOT_ALLOWED,
                    (true, false, _) => StatusCode::FORBIDDEN,
                    (true, true, true) => StatusCode::CREATED,
                    (true, true, false) => StatusCode::UNPROCESSABLE_ENTITY,
                };
                assert_eq!(got, expect, "create {ctx}");
            }
            // list and export never show the other company's record
            let list = app
                .api(
                    &token,
                    Method::GET,
                    &format!("/api/v1/{}?limit=500", spec.name),
                    None,
                )
                .await;
            if can(Action::Read) {
                let ids: Vec<String> = list.json()["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|r| r["company_id"].as_str().unwrap_or_default().to_owned())
                    .collect();
                assert!(
                    !ids.is_empty() && ids.iter().all(|c| *c == own.to_string()),
                    "list {} {}",
                    role.code(),
                    spec.name
                );
            } else {
                assert_eq!(list.status, StatusCode::FORBIDDEN);
            }
            let export = app
                .api(
                    &token,
                    Method::GET,
                    &format!("/api/v1/{}/export?format=csv", spec.name),
                    None,
                )
                .await;
            if can(Action::Export) {
                assert_eq!(export.status, StatusCode::OK);
                let text = export.text();
                assert!(
                    text.contains("TRV") && !text.contains("GND"),
                    "export {} {}",
                    role.code(),
                    spec.name
                );
            } else {
                assert_eq!(
                    export.status,
                    StatusCode::FORBIDDEN,
                    "export {} {}",
                    role.code(),
                    spec.name
                );
            }
            let csv = import_sample(spec.name, "TRV", &app, &admin).await;
            let import = app
                .raw(
                    &token,
                    Method::POST,
                    &format!("/api/v1/{}/import?dry_run=true", spec.name),
                    "text/csv",
                    csv.into_bytes(),
                )
                .await;
            let expect = if !spec.people_create {
                StatusCode::METHOD_NOT_ALLOWED
            } else if can(Action::Import) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                import.status,
                expect,
                "import {} {}: {}",
                role.code(),
                spec.name,
                import.text()
            );
            if spec.people_create && can(Action::Import) {
                let other_csv = import_sample(spec.name, "GND", &app, &admin).await;
                let refused = app
                    .raw(
                        &token,
                        Method::POST,
                        &format!("/api/v1/{}/import?dry_run=true", spec.name),
                        "text/csv",
                        other_csv.into_bytes(),
                    )
                    .await;
                assert_eq!(
                    refused.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "import into another company"
                );
            }
        }
    }
    let _ = now;
    app.finish().await;
}
on_every_backend!(permission_table_walked_over_http, permission_walk);

/// What acting on an existing record answers: 403 without the right to read
/// the register at all, 404 for another company's record, 403 when it may be
/// read but not changed, 200 otherwise.
fn expected_on_record(read: bool, act: bool, own: bool) -> StatusCode {
    match (read, act, own) {
        (false, _, _) => StatusCode::FORBIDDEN,
        (true, _, false) => StatusCode::NOT_FOUND,
        (true, false, true) => StatusCode::FORBIDDEN,
        (true, true, true) => StatusCode::OK,
    }
}

/// A record of `spec` in `company`, as the API answers it: created by an
/// administrator, or for a register mamori fills itself, raised by mamori.
async fn make_record(spec: &RegisterSpec, company: Uuid, app: &TestApp, admin: &str) -> Value {
    if spec.name == "requirement_assessments" {
        // Made by adopting a shipped framework (the basic policy's ten points).
        seed::builtin_libraries(&app.store, Utc::now())
            .await
            .expect("libraries");
        let frameworks = app
            .api(admin, Method::GET, "/api/v1/frameworks", None)
            .await
            .json();
        let policy = frameworks["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|f| f["urn"] == "urn:mamori:framework:group-basic-policy")
            .expect("the basic policy")["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let adopted = app
            .api(
                admin,
                Method::POST,
                &format!("/api/v1/frameworks/{policy}/adopt"),
                Some(json!({ "company_id": company })),
            )
            .await;
        assert_eq!(adopted.status, StatusCode::OK, "{}", adopted.text());
        return app
            .api(
                admin,
                Method::GET,
                &format!("/api/v1/requirement_assessments?company={company}&limit=1"),
                None,
            )
            .await
            .json()["items"][0]
            .clone();
    }
    if spec.name == "compliance_assessments" {
        // Made by launching a campaign for the company.
        seed::builtin_libraries(&app.store, Utc::now())
            .await
            .expect("libraries");
        let launched = app
            .api(
                admin,
                Method::POST,
                "/api/v1/campaigns",
                Some(json!({
                    "name": format!("walk {company}"),
                    "framework": "urn:mamori:framework:group-basic-policy",
                    "companies": [company], "due_date": "2027-03-31"
                })),
            )
            .await;
        assert_eq!(launched.status, StatusCode::CREATED, "{}", launched.text());
        let id = launched.json()["companies"][0]["assessment_id"].clone();
        return app
            .api(
                admin,
                Method::GET,
                &format!(
                    "/api/v1/compliance_assessments/{}",
                    id.as_str().expect("id")
                ),
                None,
            )
            .await
            .json();
    }
    if !spec.people_create {
        let alert = mamori_store::alerts::NewAlert {
            dedup_key: format!("walk|{company}"),
            title: "試験アラート / Test alert".into(),
            rule_id: Some("walk".into()),
            level: "high".into(),
            tags: vec!["attack.t1110".into()],
            detail: None,
            seen_at: Utc::now(),
        };
        let recorded = app
            .store
            .record_alerts(company, &[alert], &Actor::system("test"), Utc::now())
            .await
            .expect("alert");
        let id = recorded.created[0].0;
        return app
            .api(
                admin,
                Method::GET,
                &format!("/api/v1/{}/{id}", spec.name),
                None,
            )
            .await
            .json();
    }
    let body = sample(spec.name, company, app, admin).await;
    let a = app
        .api(
            admin,
            Method::POST,
            &format!("/api/v1/{}", spec.name),
            Some(body),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    a.json()
}

/// A valid create body for `register` in `company`; makes what it refers to.
async fn sample(register: &str, company: Uuid, app: &TestApp, admin: &str) -> Value {
    let n = Uuid::now_v7().simple().to_string();
    match register {
        "people" => json!({
            "company_id": company, "employee_no": format!("T{}", &n[20..]), "family_name": "試験", "given_name": "太郎",
            "family_name_kana": "シケン", "email": format!("t{}@example.jp", &n[20..]), "employment": "employee"
        }),
        "assets" => {
            json!({ "company_id": company, "name": format!("試験資産 {}", &n[24..]), "kind": "system", "classification": "internal" })
        }
        "committees" => {
            json!({ "company_id": company, "code": format!("C{}", &n[22..]), "name_ja": "試験委員会", "name_en": "Test committee" })
        }
        "departments" => {
            json!({ "company_id": company, "code": format!("D{}", &n[20..]), "name_ja": "試験部", "name_en": "Testing" })
        }
        "committee_members" => {
            let (committee, person) = committee_and_person(company, app, admin).await;
            json!({ "company_id": company, "committee": committee["id"], "person": person["id"], "role": "member" })
        }
        "alerts" => json!({ "company_id": company, "status": "new" }),
        "disclosures" => {
            json!({ "company_id": company, "title": "試験のお知らせ", "status": "draft", "body": "本文" })
        }
        "playbooks" => {
            json!({ "company_id": company, "name": "試験手順", "category": "other", "steps": "+0 記録する", "active": false })
        }
        "incident_tasks" => {
            let incident = Box::pin(sample("incidents", company, app, admin)).await;
            let made = app
                .api(admin, Method::POST, "/api/v1/incidents", Some(incident))
                .await
                .json();
            json!({ "company_id": company, "incident": made["id"], "title": "試験タスク", "status": "open" })
        }
        "corrective_actions" => {
            json!({ "company_id": company, "title": "試験の是正処置", "status": "planned", "due_date": "2027-03-31" })
        }
        "incident_team" => {
            let incident = Box::pin(sample("incidents", company, app, admin)).await;
            let incident = app
                .api(admin, Method::POST, "/api/v1/incidents", Some(incident))
                .await
                .json();
            let person = Box::pin(sample("people", company, app, admin)).await;
            let person = app
                .api(admin, Method::POST, "/api/v1/people", Some(person))
                .await
                .json();
            json!({ "company_id": company, "incident": incident["id"], "person": person["id"], "role": "handler" })
        }
        "duty_shifts" => {
            let person = Box::pin(sample("people", company, app, admin)).await;
            let made = app
                .api(admin, Method::POST, "/api/v1/people", Some(person))
                .await
                .json();
            json!({ "company_id": company, "person": made["id"], "tier": "1",
                    "starts_at": "2026-12-01T09:00:00+09:00", "ends_at": "2026-12-01T21:00:00+09:00" })
        }
        "escalation_rules" => json!({
            "company_id": company, "name": "試験の規則", "event": "incident_opened", "tier": "1",
            "after_minutes": 15, "active": false
        }),
        "drill_injects" => {
            let mut incident = Box::pin(sample("incidents", company, app, admin)).await;
            incident["exercise"] = json!(true);
            let made = app
                .api(admin, Method::POST, "/api/v1/incidents", Some(incident))
                .await
                .json();
            json!({ "company_id": company, "incident": made["id"],
                    "due_at": "2027-01-15T10:00:00+09:00", "message": "試験の付与" })
        }
        "incidents" => json!({
            "company_id": company, "title": "試験インシデント", "category": "malware", "severity": "high",
            "status": "detected", "detected_at": "2026-11-28T09:00:00+09:00"
        }),
        "controls" => {
            json!({ "company_id": company, "name": format!("試験管理策 {}", &n[24..]), "status": "planned" })
        }
        "compliance_assessments" => json!({ "company_id": company, "status": "not_started" }),
        "requirement_assessments" => {
            json!({ "company_id": company, "applicability": "applicable" })
        }
        "cloud_assessments" => {
            let asset = Box::pin(sample("assets", company, app, admin)).await;
            let created = app
                .api(admin, Method::POST, "/api/v1/assets", Some(asset))
                .await
                .json();
            json!({
                "company_id": company, "asset": created["id"], "verdict": "rejected",
                "assessed_on": "2026-04-01", "expiry": "2027-03-31"
            })
        }
        "risks" => json!({
            "company_id": company, "title": format!("試験リスク {}", &n[24..]),
            "inherent_likelihood": "3", "inherent_impact": "4", "status": "identified"
        }),
        other => panic!("no sample for {other}"),
    }
}

async fn committee_and_person(company: Uuid, app: &TestApp, admin: &str) -> (Value, Value) {
    let body = Box::pin(sample("committees", company, app, admin)).await;
    let committee = app
        .api(admin, Method::POST, "/api/v1/committees", Some(body))
        .await
        .json();
    let person = app
        .api(
            admin,
            Method::GET,
            &format!("/api/v1/people?company={company}&limit=1"),
            None,
        )
        .await
        .json()["items"][0]
        .clone();
    (committee, person)
}

async fn import_sample(register: &str, company: &str, app: &TestApp, admin: &str) -> String {
    let n = Uuid::now_v7().simple().to_string();
    match register {
        "people" => format!(
            "company,employee_no,family_name,given_name,email,employment\n{company},I{},山田,花子,i{}@example.jp,employee\n",
            &n[20..],
            &n[20..]
        ),
        "assets" => {
            format!("company,name,kind,classification\n{company},取込資産,system,confidential\n")
        }
        "committees" => format!(
            "company,code,name_ja,name_en\n{company},K{},取込委員会,Imported committee\n",
            &n[22..]
        ),
        "departments" => format!(
            "company,code,name_ja,name_en\n{company},E{},取込部,Imported\n",
            &n[20..]
        ),
        "committee_members" => {
            let (committee, person) =
                committee_and_person(app.company_id(company).await, app, admin).await;
            format!(
                "company,committee,person,role\n{company},{},{},secretary\n",
                committee["code"].as_str().expect("code"),
                person["employee_no"].as_str().expect("no")
            )
        }
        "alerts" => format!("company,status\n{company},new\n"),
        "disclosures" => {
            format!("company,title,status,body\n{company},取込のお知らせ,draft,本文\n")
        }
        "playbooks" => format!(
            "company,name,category,steps,active\n{company},取込手順,other,+0 記録する,false\n"
        ),
        "incident_tasks" => {
            let incident = app
                .api(
                    admin,
                    Method::GET,
                    &format!(
                        "/api/v1/incidents?company={}&limit=1",
                        app.company_id(company).await
                    ),
                    None,
                )
                .await
                .json()["items"][0]["ref_no"]
                .as_str()
                .expect("an incident")
                .to_owned();
            format!("company,incident,title,status\n{company},{incident},取込タスク,open\n")
        }
        "corrective_actions" => {
            format!("company,title,status,due_date\n{company},取込是正処置,planned,2027-03-31\n")
        }
        "incident_team" => {
            let of = |register: &'static str, key: &'static str| async move {
                app.api(
                    admin,
                    Method::GET,
                    &format!(
                        "/api/v1/{register}?company={}&limit=1",
                        app.company_id(company).await
                    ),
                    None,
                )
                .await
                .json()["items"][0][key]
                    .as_str()
                    .expect("a record")
                    .to_owned()
            };
            let incident = of("incidents", "ref_no").await;
            let person = of("people", "employee_no").await;
            format!("company,incident,person,role\n{company},{incident},{person},legal\n")
        }
        "duty_shifts" => {
            let person = app
                .api(
                    admin,
                    Method::GET,
                    &format!(
                        "/api/v1/people?company={}&limit=1",
                        app.company_id(company).await
                    ),
                    None,
                )
                .await
                .json()["items"][0]["employee_no"]
                .as_str()
                .expect("a person")
                .to_owned();
            format!(
                "company,person,tier,starts_at,ends_at\n{company},{person},2,2026-12-02T09:00:00+09:00,2026-12-03T09:00:00+09:00\n"
            )
        }
        "escalation_rules" => format!(
            "company,name,event,tier,after_minutes,active\n{company},取込規則,deadline_overdue,2,0,false\n"
        ),
        "drill_injects" => {
            let mut incident = Box::pin(sample(
                "incidents",
                app.company_id(company).await,
                app,
                admin,
            ))
            .await;
            incident["exercise"] = json!(true);
            let made = app
                .api(admin, Method::POST, "/api/v1/incidents", Some(incident))
                .await
                .json();
            format!(
                "company,incident,due_at,message\n{company},{},2027-01-15T10:00:00+09:00,取込の付与\n",
                made["ref_no"].as_str().expect("ref")
            )
        }
        "incidents" => format!(
            "company,title,category,severity,status,detected_at\n{company},取込インシデント,malware,high,detected,2026-11-28T09:00:00+09:00\n"
        ),
        "controls" => format!("company,name,status\n{company},取込管理策,planned\n"),
        "requirement_assessments" => format!("company,applicability\n{company},applicable\n"),
        "compliance_assessments" => format!("company,status\n{company},not_started\n"),
        "risks" => format!(
            "company,title,inherent_likelihood,inherent_impact,status\n{company},取込リスク,2,2,identified\n"
        ),
        "cloud_assessments" => {
            let asset = app
                .api(
                    admin,
                    Method::GET,
                    &format!(
                        "/api/v1/assets?company={}&limit=1",
                        app.company_id(company).await
                    ),
                    None,
                )
                .await
                .json()["items"][0]["ref_no"]
                .as_str()
                .expect("an asset")
                .to_owned();
            format!(
                "company,asset,verdict,assessed_on,expiry\n{company},{asset},rejected,2026-04-01,2027-03-31\n"
            )
        }
        other => panic!("no sample for {other}"),
    }
}

// ---- the register kernel ----

async fn kernel_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, token) = app.user("ciso2", Role::CisoOffice, None, PASSWORD).await;
    let air = app.company_id("AIR").await;

    // Filter, sort and keyset pagination over the demo assets.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let after = next
            .as_deref()
            .map(|c| format!("&after={c}"))
            .unwrap_or_default();
        let page = app
            .api(
                &token,
                Method::GET,
                &format!("/api/v1/assets?company={air}&sort=-name&limit=4{after}"),
                None,
            )
            .await
            .json();
        for item in page["items"].as_array().expect("items") {
            assert_eq!(item["company_id"], json!(air));
            seen.push(item["name"].as_str().expect("name").to_owned());
        }
        next = page["next"].as_str().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    let total = app
        .api(
            &token,
            Method::GET,
            &format!("/api/v1/assets?company={air}&count=true&limit=1"),
            None,
        )
        .await
        .json()["total"]
        .as_i64()
        .expect("total");
    assert_eq!(seen.len() as i64, total, "pages cover every record once");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(seen, sorted, "descending by name");
    let secret = app
        .api(
            &token,
            Method::GET,
            "/api/v1/assets?classification=secret&customer_personal_info=true&limit=500",
            None,
        )
        .await
        .json();
    assert!(
        secret["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["classification"] == "secret" && i["customer_personal_info"] == true)
    );
    let found = app
        .api(
            &token,
            Method::GET,
            "/api/v1/assets?q=%E3%83%9E%E3%82%A4%E3%83%AC%E3%83%BC%E3%82%B8",
            None,
        )
        .await
        .json();
    assert!(found["items"].as_array().expect("items").iter().any(|i| {
        i["name"]
            .as_str()
            .unwrap_or_default()
            .contains("マイレージ")
    }));

    // Create, update with the version, and a stale update is 409.
    let created = app.api(&token, Method::POST, "/api/v1/assets", Some(json!({"company_id": air, "name": "試験用運航システムZ", "kind": "system", "classification": "secret", "review_date": "2027-03-31"}))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let rec = created.json();
    let id = rec["id"].as_str().expect("id").to_owned();
    assert!(rec["ref_no"].as_str().expect("ref").starts_with("AST-"));
    let updated = app
        .api(
            &token,
            Method::PATCH,
            &format!("/api/v1/assets/{id}"),
            Some(json!({"version": 1, "location": "羽田"})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text());
    assert_eq!(updated.json()["version"], 2);
    assert_eq!(
        updated.json()["name"],
        "試験用運航システムZ",
        "untouched fields stay"
    );
    let stale = app
        .api(
            &token,
            Method::PATCH,
            &format!("/api/v1/assets/{id}"),
            Some(json!({"version": 1, "location": "成田"})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.json()["error"]["current_version"], 2);
    // Archive hides it from the default list; restore brings it back.
    assert_eq!(
        app.api(
            &token,
            Method::POST,
            &format!("/api/v1/assets/{id}/archive"),
            Some(json!({"version": 2}))
        )
        .await
        .status,
        StatusCode::OK
    );
    let active = app
        .api(
            &token,
            Method::GET,
            "/api/v1/assets?q=%E8%A9%A6%E9%A8%93%E7%94%A8%E9%81%8B%E8%88%AA",
            None,
        )
        .await
        .json();
    assert_eq!(active["items"].as_array().expect("items").len(), 0);
    let archived = app
        .api(
            &token,
            Method::GET,
            "/api/v1/assets?q=%E8%A9%A6%E9%A8%93%E7%94%A8%E9%81%8B%E8%88%AA&archived=archived",
            None,
        )
        .await
        .json();
    assert_eq!(archived["items"].as_array().expect("items").len(), 1);
    assert_eq!(
        app.api(
            &token,
            Method::POST,
            &format!("/api/v1/assets/{id}/restore"),
            Some(json!({"version": 3}))
        )
        .await
        .status,
        StatusCode::OK
    );

    // A reference to a record of another company is refused.
    let gnd_person = app
        .api(
            &token,
            Method::GET,
            &format!(
                "/api/v1/people?company={}&limit=1",
                app.company_id("GND").await
            ),
            None,
        )
        .await
        .json()["items"][0]["id"]
        .clone();
    let cross = app
        .api(
            &token,
            Method::PATCH,
            &format!("/api/v1/assets/{id}"),
            Some(json!({"version": 4, "owner": gnd_person})),
        )
        .await;
    assert_eq!(cross.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(cross.json()["error"]["fields"][0]["field"], "owner");
    // Unique values answer 409 with what clashed.
    let person = app
        .api(&token, Method::GET, "/api/v1/people?limit=1", None)
        .await
        .json()["items"][0]
        .clone();
    let dup = app.api(&token, Method::POST, "/api/v1/people", Some(json!({"company_id": air, "employee_no": person["employee_no"], "family_name": "重複", "given_name": "一郎", "email": "dup@example.jp", "employment": "employee"}))).await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.text());

    // A group committee takes members from any company; its committee must be its own company's.
    let hd = app.company_id("HD").await;
    let isc = app
        .api(&token, Method::GET, "/api/v1/committees?q=ISC", None)
        .await
        .json()["items"][0]
        .clone();
    assert_eq!(isc["company_id"], json!(hd));
    let gnd_person = app
        .api(
            &token,
            Method::GET,
            &format!(
                "/api/v1/people?company={}&sort=-ref_no&limit=1",
                app.company_id("GND").await
            ),
            None,
        )
        .await
        .json()["items"][0]["id"]
        .clone();
    let member = app.api(&token, Method::POST, "/api/v1/committee_members", Some(json!({"company_id": hd, "committee": isc["id"], "person": gnd_person, "role": "observer"}))).await;
    assert_eq!(member.status, StatusCode::CREATED, "{}", member.text());
    assert!(
        member.json()["references"]["person"]["name_ja"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    let wrong = app.api(&token, Method::POST, "/api/v1/committee_members", Some(json!({"company_id": air, "committee": isc["id"], "person": gnd_person, "role": "member"}))).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.json()["error"]["fields"][0]["field"], "committee");
    let again = app.api(&token, Method::POST, "/api/v1/committee_members", Some(json!({"company_id": hd, "committee": isc["id"], "person": gnd_person, "role": "member"}))).await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "one membership per person and committee"
    );
    app.finish().await;
}
on_every_backend!(register_kernel_list_create_update_archive, kernel_flow);

async fn bad_input(b: Backend) {
    let config = Config {
        max_body_bytes: 64 * 1024,
        require_totp: false,
        ..Config::default()
    };
    let app = TestApp::with_config(b, config).await;
    let (_, token) = app.user("chk", Role::Admin, None, PASSWORD).await;
    let before = app
        .api(
            &token,
            Method::GET,
            "/api/v1/assets?count=true&archived=all&limit=1",
            None,
        )
        .await
        .json()["total"]
        .clone();
    let air = app.company_id("AIR").await;
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (b"{\"name\": ".to_vec(), StatusCode::BAD_REQUEST, "malformed JSON"),
        (b"[1,2]".to_vec(), StatusCode::BAD_REQUEST, "JSON object"),
        (vec![0xff, 0xfe, 0x00], StatusCode::BAD_REQUEST, "UTF-8"),
        (json!({"company_id": air, "name": 42, "kind": "system", "classification": "internal"}).to_string().into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "must be a string"),
        (json!({"company_id": air, "name": "x", "kind": "system", "classification": "internal", "colour": "red"}).to_string().into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "unknown field"),
        (json!({"company_id": air, "name": "x", "kind": "spaceship", "classification": "internal"}).to_string().into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "must be one of"),
        (json!({"company_id": air, "kind": "system", "classification": "internal"}).to_string().into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "is required"),
        (json!({"company_id": air, "name": "x", "kind": "system", "classification": "public", "customer_personal_info": true}).to_string().into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "cannot be public"),
        (json!({"company_id": "nope", "name": "x", "kind": "system", "classification": "internal"}).to_string().into_bytes(), StatusCode::UNPROCESSABLE_ENTITY, "company"),
        (json!({"company_id": air, "name": "x".repeat(70_000), "kind": "system", "classification": "internal"}).to_string().into_bytes(), StatusCode::PAYLOAD_TOO_LARGE, ""),
    ];
    for (body, status, needle) in cases {
        let a = app
            .raw(
                &token,
                Method::POST,
                "/api/v1/assets",
                "application/json",
                body,
            )
            .await;
        assert_eq!(a.status, status, "{needle}: {}", a.text());
        assert!(a.text().contains(needle), "{needle}: {}", a.text());
    }
    // CSV: invalid UTF-8, wrong column count, unknown column; every bad row listed; nothing written.
    let bad_utf8 = app
        .raw(
            &token,
            Method::POST,
            "/api/v1/assets/import",
            "text/csv",
            b"company,name,kind,classification\nAIR,\xff\xfe,system,internal\n".to_vec(),
        )
        .await;
    assert_eq!(bad_utf8.status, StatusCode::BAD_REQUEST);
    assert!(bad_utf8.text().contains("UTF-8"));
    let csv = "company,name,kind,classification\nAIR,良い行,system,internal\nAIR,列が足りない,system\nXXX,会社がない,system,internal\nAIR,種別が違う,rocket,internal\nAIR,,system,internal\n";
    let rejected = app
        .raw(
            &token,
            Method::POST,
            "/api/v1/assets/import",
            "text/csv",
            csv.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(
        rejected.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        rejected.text()
    );
    let rows = rejected.json()["error"]["rows"]
        .as_array()
        .expect("rows")
        .clone();
    let lines: Vec<i64> = rows
        .iter()
        .map(|r| r["line"].as_i64().expect("line"))
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 6], "{rows:?}");
    assert!(
        rows[0]["message"]
            .as_str()
            .expect("msg")
            .contains("columns")
    );
    let unknown = app
        .raw(
            &token,
            Method::POST,
            "/api/v1/assets/import",
            "text/csv",
            b"company,name,colour\nAIR,x,red\n".to_vec(),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.text().contains("unknown column"));
    let after = app
        .api(
            &token,
            Method::GET,
            "/api/v1/assets?count=true&archived=all&limit=1",
            None,
        )
        .await
        .json()["total"]
        .clone();
    assert_eq!(before, after, "nothing was written");
    // Bad list parameters are named.
    let a = app
        .api(&token, Method::GET, "/api/v1/assets?sort=description", None)
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().contains("cannot sort by"));
    assert_eq!(
        app.api(&token, Method::GET, "/api/v1/assets?after=garbage", None)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.api(&token, Method::GET, "/api/v1/assets?limit=0", None)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.api(&token, Method::GET, "/api/v1/nothing", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(&token, Method::GET, "/api/v1/assets/not-a-uuid", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api("mmr_forged", Method::GET, "/api/v1/assets", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    app.finish().await;
}
on_every_backend!(bad_input_is_refused_and_changes_nothing, bad_input);

async fn round_trip(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, token) = app.user("exporter", Role::CisoOffice, None, PASSWORD).await;
    // Alerts are exported in their own test; mamori makes them, none import.
    for spec in registers::ALL.iter().filter(|s| s.people_create) {
        let csv = app
            .api(
                &token,
                Method::GET,
                &format!("/api/v1/{}/export?format=csv", spec.name),
                None,
            )
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.body.starts_with(&[0xEF, 0xBB, 0xBF]), "BOM for Excel");
        let text = csv.text();
        // Records, not lines: a long text (a playbook's steps) spans lines.
        let rows = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes())
            .records()
            .count();
        assert!(rows >= 2, "{}: demo rows exported", spec.name);
        // Dry run, then the import: every row updates its record, none is new.
        let dry = app
            .raw(
                &token,
                Method::POST,
                &format!("/api/v1/{}/import?dry_run=true", spec.name),
                "text/csv",
                csv.body.clone(),
            )
            .await;
        assert_eq!(dry.status, StatusCode::OK, "{}", dry.text());
        assert_eq!(dry.json()["committed"], false);
        let done = app
            .raw(
                &token,
                Method::POST,
                &format!("/api/v1/{}/import", spec.name),
                "text/csv",
                csv.body.clone(),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text());
        assert_eq!(done.json()["updated"].as_u64(), Some(rows as u64));
        assert_eq!(done.json()["created"], 0);
        let again = app
            .api(
                &token,
                Method::GET,
                &format!("/api/v1/{}/export?format=csv", spec.name),
                None,
            )
            .await;
        assert_eq!(
            again.text(),
            text,
            "{}: export → import → export is stable",
            spec.name
        );
        let xlsx = app
            .api(
                &token,
                Method::GET,
                &format!("/api/v1/{}/export?format=xlsx", spec.name),
                None,
            )
            .await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.body.starts_with(b"PK"), "an XLSX is a zip");
    }
    // Japanese survives the trip.
    let csv = app
        .api(
            &token,
            Method::GET,
            "/api/v1/people/export?format=csv",
            None,
        )
        .await
        .text();
    assert!(csv.contains("社員") || csv.contains("employee"));
    assert!(
        csv.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)),
        "kanji intact"
    );
    app.finish().await;
}
on_every_backend!(export_import_round_trip, round_trip);

// ---- audit chain ----

async fn audit_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, token) = app.user("aud", Role::CisoOffice, None, PASSWORD).await;
    let person = app
        .api(&token, Method::GET, "/api/v1/people?limit=1", None)
        .await
        .json()["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let before = app.store.recent_audit(1).await.expect("audit")[0].0;
    app.api(
        &token,
        Method::GET,
        &format!("/api/v1/people/{person}"),
        None,
    )
    .await;
    let last = &app.store.recent_audit(1).await.expect("audit")[0];
    assert_eq!(
        (last.3.as_str(), last.4.as_str()),
        ("read", "people"),
        "a read of personal data is audited"
    );
    assert_eq!(last.0, before + 1);
    let exported = app
        .api(
            &token,
            Method::GET,
            "/api/v1/people/export?format=xlsx",
            None,
        )
        .await;
    assert_eq!(exported.status, StatusCode::OK);
    let last = &app.store.recent_audit(1).await.expect("audit")[0];
    assert_eq!(
        (last.3.as_str(), last.4.as_str()),
        ("export", "people"),
        "an export is audited"
    );
    let v = app.store.verify_audit_chain().await.expect("verify");
    assert_eq!(v.broken, None);
    assert!(v.entries > 300);
    // Tamper with one entry directly in the database.
    let sql = "UPDATE audit_log SET actor = 'mallory' WHERE seq = 10";
    match app.store.db() {
        mamori_store::Db::Sqlite(p) => {
            sqlx::query(sql).execute(p).await.expect("tamper");
        }
        mamori_store::Db::Postgres(p) => {
            sqlx::query(sql).execute(p).await.expect("tamper");
        }
    }
    let v = app.store.verify_audit_chain().await.expect("verify");
    let (seq, why) = v.broken.expect("broken");
    assert_eq!(seq, 10);
    assert!(why.contains("altered"), "{why}");
    app.finish().await;
}
on_every_backend!(audit_chain_records_and_detects_tampering, audit_flow);

// ---- scoping, pages, documents ----

async fn auditor_scope(b: Backend) {
    let app = TestApp::new(b).await;
    app.user("kansa", Role::InternalAuditor, Some("CGO"), PASSWORD)
        .await;
    let (cookie, _) = app.login("kansa", PASSWORD).await;
    let list = app.page("/r/assets", Some(&cookie)).await;
    assert_eq!(list.status, StatusCode::OK);
    let html = list.text();
    assert!(html.contains("CGO"));
    for code in ["AIR", "RGN", "ITS", "TRV", "GND"] {
        assert!(
            !html.contains(&format!("<td>{code}</td>")),
            "auditor of CGO sees {code}"
        );
    }
    assert!(
        !html.contains("/r/assets/new"),
        "no create button for an auditor"
    );
    let other = app
        .store
        .list_records(
            &registers::ASSETS,
            &mamori_store::records::ListQuery {
                scope: mamori_domain::authz::Scope::Companies(vec![app.company_id("AIR").await]),
                company: None,
                filters: vec![],
                search: None,
                archived: mamori_store::records::Archived::Active,
                sort: None,
                desc: false,
                after: None,
                limit: 1,
                count: false,
            },
        )
        .await
        .expect("list")
        .items[0]
        .id;
    assert_eq!(
        app.page(&format!("/r/assets/{other}"), Some(&cookie))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.finish().await;
}
on_every_backend!(auditor_sees_only_own_company, auditor_scope);

async fn pages(b: Backend) {
    let app = TestApp::new(b).await;
    app.user("web", Role::SecurityOfficer, Some("AIR"), PASSWORD)
        .await;
    let (cookie, csrf) = app.login("web", PASSWORD).await;
    let home = app.page("/", Some(&cookie)).await.text();
    assert!(
        home.contains("ダッシュボード") && home.contains("インシデント対応"),
        "Japanese by default, future capabilities named"
    );
    // English from the switch, kept for the user.
    let switched = app
        .form(
            "/lang",
            Some(&cookie),
            &[("csrf", &csrf), ("lang", "en"), ("back", "/r/people")],
        )
        .await;
    assert_eq!(switched.location(), "/r/people");
    let people = app
        .page(
            "/r/people?sort=-family_name&employment=contractor",
            Some(&cookie),
        )
        .await;
    assert_eq!(people.status, StatusCode::OK);
    let text = people.text();
    assert!(text.contains("Employee number") && text.contains("Contractor"));
    // htmx asks for the rows only.
    let rows = app
        .send(
            Request::builder()
                .uri("/r/people?q=%E4%BD%90%E8%97%A4")
                .header(header::COOKIE, &cookie)
                .header("hx-request", "true")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert!(rows.text().starts_with("<div id=\"rows\">"));
    // The form validates and shows the field's message.
    let air = app.company_id("AIR").await.to_string();
    let bad = app
        .form(
            "/r/assets/new",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("company_id", &air),
                ("name", ""),
                ("kind", "system"),
                ("classification", "internal"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("is required"));
    // Import page: the dry run lists bad rows.
    let checked = app
        .form(
            "/r/assets/import",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("mode", "check"),
                (
                    "csv",
                    "company,name,kind,classification\nAIR,x,rocket,internal\n",
                ),
            ],
        )
        .await;
    assert_eq!(checked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(checked.text().contains("must be one of"));
    // The same through a file upload (multipart; the CSRF token rides in the query).
    let boundary = "mamoriBoundary7";
    let upload = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\nimport\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n\u{feff}company,name,kind,classification\nAIR,アップロード資産,device,internal\n\r\n--{boundary}--\r\n"
    );
    let send = |csrf: &str| {
        Request::builder()
            .method(Method::POST)
            .uri(format!("/r/assets/import?csrf={csrf}"))
            .header(header::COOKIE, &cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(upload.clone()))
            .expect("req")
    };
    assert_eq!(app.send(send("wrong")).await.status, StatusCode::FORBIDDEN);
    let uploaded = app.send(send(&csrf)).await;
    assert_eq!(uploaded.status, StatusCode::OK, "{}", uploaded.text());
    assert!(
        uploaded.text().contains("Imported (1 new"),
        "{}",
        uploaded.text()
    );
    // Anonymous visitors go to the login page, in English when they ask.
    let anon = app.page("/r/assets", None).await;
    assert_eq!(anon.location(), "/login");
    let en = app
        .send(
            Request::builder()
                .uri("/login")
                .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert!(en.text().contains("Log in"));
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/static/htmx.min.js",
        "/static/app.css",
        "/api/docs",
    ] {
        assert_eq!(app.page(path, None).await.status, StatusCode::OK, "{path}");
    }
    let login = app.page("/login", None).await;
    let csp = login
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .expect("CSP");
    assert!(
        csp.contains("script-src 'self'")
            && csp.contains("frame-ancestors 'none'")
            && !csp.contains("unsafe-inline")
    );
    assert!(!login.text().contains("<script>"), "no inline script");
    app.finish().await;
}
on_every_backend!(web_pages_work_in_both_languages, pages);

#[tokio::test]
async fn openapi_lists_every_register() {
    let app = TestApp::new(Backend::Sqlite).await;
    let doc = app.page("/api/openapi.json", None).await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for spec in registers::ALL {
        for suffix in ["", "/{id}", "/{id}/archive", "/{id}/restore", "/export"] {
            assert!(
                doc["paths"]
                    .get(format!("/api/v1/{}{suffix}", spec.name))
                    .is_some(),
                "{} {suffix}",
                spec.name
            );
        }
        // Creating and importing exist only where people create records.
        let path = format!("/api/v1/{}", spec.name);
        assert_eq!(
            doc["paths"][&path].get("post").is_some(),
            spec.people_create,
            "{path}"
        );
        assert_eq!(
            doc["paths"].get(format!("{path}/import")).is_some(),
            spec.people_create,
            "{path}"
        );
    }
    let alert = &doc["components"]["schemas"]["Alerts"]["properties"];
    assert_eq!(alert["count"]["type"], json!(["integer", "null"]));
    assert_eq!(alert["last_seen"]["format"], "date-time");
    assert_eq!(alert["last_seen"]["readOnly"], true);
    let update = &doc["components"]["schemas"]["AlertsUpdate"]["properties"];
    assert!(update.get("status").is_some() && update.get("count").is_none());
    for path in [
        "/api/v1/ingest",
        "/api/v1/rules",
        "/api/v1/risks/heatmap",
        "/api/v1/libraries",
        "/api/v1/frameworks",
        "/api/v1/frameworks/{id}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
    app.finish().await;
}

#[test]
fn every_generated_message_key_exists_in_both_languages() {
    let cat = mamori_server::i18n::Catalogues::load().expect("catalogues");
    let mut keys = Vec::new();
    for spec in registers::ALL {
        keys.push(format!("nav.{}", spec.name));
        for f in spec.fields {
            keys.push(format!("field.{}.{}", spec.name, f.name));
            let configured = (spec.choices)(f.name, &Default::default()).is_some();
            if let mamori_domain::register::FieldKind::Enum(options) = f.kind
                && !configured
            {
                keys.extend(
                    options
                        .iter()
                        .map(|o| format!("enum.{}.{}.{o}", spec.name, f.name)),
                );
            }
        }
    }
    for kind in [AnswerKind::YesNo, AnswerKind::Rating] {
        keys.extend(kind.options().iter().map(|o| format!("answer.{o}")));
    }
    for rule in ["too_short", "too_long", "contains_username", "too_simple"] {
        keys.push(format!("password.{rule}"));
    }
    // Keys written in the templates.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for entry in std::fs::read_dir(dir).expect("templates") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        for part in text.split("t.t(\"").skip(1) {
            keys.push(part.split('"').next().unwrap_or_default().to_owned());
        }
    }
    for lang in [mamori_server::i18n::Lang::Ja, mamori_server::i18n::Lang::En] {
        let missing: Vec<&String> = keys.iter().filter(|k| !cat.has(lang, k)).collect();
        assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
    }
    assert_eq!(cat.mismatches(), Vec::<String>::new());
}

// ---- detection: ingest and alerts ----

async fn ingest_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, csirt) = app.user("soc", Role::Csirt, Some("AIR"), PASSWORD).await;
    let (_, employee) = app
        .user("staff", Role::Employee, Some("AIR"), PASSWORD)
        .await;
    let t0 = Utc::now() - Duration::minutes(30);
    let mut body = String::new();
    for i in 0..25 {
        let at = (t0 + Duration::seconds(i)).to_rfc3339();
        body.push_str(&format!(
            r#"{{"@timestamp":"{at}","event":{{"dataset":"customer.login","outcome":"failure"}},"source":{{"ip":"203.0.113.50"}},"user":{{"name":"JM{i:07}"}}}}"#
        ));
        body.push('\n');
    }
    body.push_str("this line is not an event\n");
    let first = app
        .ingest(&csirt, "company=AIR", body.clone().into_bytes())
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let answer = first.json();
    assert_eq!(answer["events"], 25);
    assert_eq!(answer["bad"], 1);
    assert_eq!(answer["bad_lines"][0]["line"], 26);
    assert_eq!(answer["alerts"]["new"], 1, "{answer}");
    // The alert is stored (before the answer), scoped, and counted on repeat.
    let alerts = app
        .api(&csirt, Method::GET, "/api/v1/alerts?level=high", None)
        .await
        .json();
    let items = alerts["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 1);
    assert!(
        items[0]["title"]
            .as_str()
            .expect("title")
            .contains("Credential stuffing")
    );
    assert_eq!(items[0]["status"], "new");
    assert!(
        items[0]["tags"]
            .as_str()
            .expect("tags")
            .contains("attack.t1110.004")
    );
    // Seen again after the suppression window: the same alert, counted.
    let mut later = String::new();
    for i in 0..25 {
        let at = (t0 + Duration::minutes(10) + Duration::seconds(i)).to_rfc3339();
        later.push_str(&format!(
            r#"{{"@timestamp":"{at}","event":{{"dataset":"customer.login","outcome":"failure"}},"source":{{"ip":"203.0.113.50"}},"user":{{"name":"JX{i:07}"}}}}"#
        ));
        later.push('\n');
    }
    let second = app
        .ingest(&csirt, "company=AIR", later.into_bytes())
        .await
        .json();
    assert_eq!(second["alerts"]["repeated"], 1, "{second}");
    let again = app
        .api(&csirt, Method::GET, "/api/v1/alerts", None)
        .await
        .json();
    assert_eq!(again["items"].as_array().expect("items").len(), 1);
    assert_eq!(again["items"][0]["count"], 2);
    // Triage: allowed moves with the version read; stale, illegal and foreign ones refused.
    let id = again["items"][0]["id"].as_str().expect("id").to_owned();
    let version = again["items"][0]["version"].as_i64().expect("version");
    let acked = app.triage(&csirt, &id, "acknowledged", version).await;
    assert_eq!(acked.status, StatusCode::OK, "{}", acked.text());
    assert_eq!(acked.json()["status"], "acknowledged");
    let stale = app.triage(&csirt, &id, "resolved", version).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let illegal = app.triage(&csirt, &id, "new", version + 1).await;
    assert_eq!(illegal.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = app.triage(&csirt, &id, "deleted", version + 1).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, air_officer) = app
        .user("air-officer", Role::SecurityOfficer, Some("AIR"), PASSWORD)
        .await;
    let read_only = app.triage(&air_officer, &id, "resolved", version + 1).await;
    assert_eq!(
        read_only.status,
        StatusCode::FORBIDDEN,
        "an officer reads alerts, CSIRT triages them"
    );
    let (_, gnd_csirt) = app
        .user("gnd-csirt", Role::Csirt, Some("GND"), PASSWORD)
        .await;
    let foreign = app.triage(&gnd_csirt, &id, "resolved", version + 1).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    // What detection set cannot be written; alerts are not made by hand.
    let forged = app
        .api(
            &csirt,
            Method::PATCH,
            &format!("/api/v1/alerts/{id}"),
            Some(json!({ "count": 0, "version": version + 1 })),
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(forged.json()["error"]["fields"][0]["field"], "count");
    let company = app.company_id("AIR").await;
    let by_hand = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/alerts",
            Some(json!({ "company_id": company, "status": "new" })),
        )
        .await;
    assert_eq!(by_hand.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(by_hand.text().contains("created by mamori"));
    let imported = app
        .raw(
            &csirt,
            Method::POST,
            "/api/v1/alerts/import",
            "text/csv",
            b"company,status\nAIR,new\n".to_vec(),
        )
        .await;
    assert_eq!(imported.status, StatusCode::METHOD_NOT_ALLOWED);
    let fp = app.triage(&csirt, &id, "false_positive", version + 1).await;
    assert_eq!(fp.status, StatusCode::OK);
    assert_eq!(fp.json()["count"], 2, "triage leaves what detection set");
    let last = &app.store.recent_audit(1).await.expect("audit")[0];
    assert_eq!((last.3.as_str(), last.4.as_str()), ("update", "alerts"));
    // Rights and bad input.
    assert_eq!(
        app.ingest(&employee, "company=AIR", body.clone().into_bytes())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.ingest(&csirt, "company=GND", body.clone().into_bytes())
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.ingest(&csirt, "", body.clone().into_bytes())
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.ingest(&csirt, "company=AIR", vec![0xff, 0xfe])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.ingest(&csirt, "company=AIR", b"garbage\n".to_vec())
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.ingest(&csirt, "company=AIR&format=xml", body.clone().into_bytes())
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.api(&employee, Method::GET, "/api/v1/alerts", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let (_, gnd_officer) = app
        .user("gnd", Role::SecurityOfficer, Some("GND"), PASSWORD)
        .await;
    let other = app
        .api(&gnd_officer, Method::GET, "/api/v1/alerts", None)
        .await
        .json();
    assert_eq!(
        other["items"].as_array().expect("items").len(),
        0,
        "another company's alerts stay hidden"
    );
    assert_eq!(
        app.api(&csirt, Method::GET, "/api/v1/alerts?status=open", None)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A token limited to ingest can send events and nothing else.
    let (uid, _) = app
        .user("shipper", Role::Csirt, Some("AIR"), PASSWORD)
        .await;
    let token = auth::new_api_token();
    let now = Utc::now();
    app.store
        .create_token(
            &mamori_store::users::NewToken {
                user_id: uid,
                name: "fluent-bit",
                token_hash: &auth::digest(&token),
                scopes: &["ingest".to_owned()],
                expires_at: now + Duration::days(1),
            },
            &Actor::system("t"),
            now,
        )
        .await
        .expect("token");
    assert_eq!(
        app.ingest(&token, "company=AIR", body.clone().into_bytes())
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.api(&token, Method::GET, "/api/v1/alerts", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.api(&token, Method::GET, "/api/v1/assets", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The page lists it.
    let (cookie, _) = app.login("soc", PASSWORD).await;
    let old_link = app.page("/alerts?status=new", Some(&cookie)).await;
    assert_eq!(old_link.location(), "/r/alerts?status=new");
    let page = app.page("/r/alerts", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Credential stuffing"));
    assert!(page.text().contains("ALR-000001"));
    assert!(
        !page.text().contains("/r/alerts/new"),
        "no hand-made alerts"
    );
    assert_eq!(
        app.page("/r/alerts/new", Some(&cookie)).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    // The rules list: what is loaded and how often it hit; counts only for
    // those who may read the whole group's alerts (the engine serves all).
    let (_, group_csirt) = app.user("hd-csirt", Role::Csirt, None, PASSWORD).await;
    let rules = app
        .api(&group_csirt, Method::GET, "/api/v1/rules?q=customer", None)
        .await;
    assert_eq!(rules.status, StatusCode::OK, "{}", rules.text());
    let rules = rules.json();
    let find = |items: &Value, title: &str| {
        items["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|r| r["title"].as_str().is_some_and(|t| t.contains(title)))
            .cloned()
            .expect(title)
    };
    let stuffing = find(&rules, "Credential stuffing");
    assert_eq!(stuffing["kind"], "native_correlation");
    assert_eq!(stuffing["hits"], 2, "{stuffing}");
    assert_eq!(
        find(&rules, "Customer login failed")["hits"],
        75,
        "three bodies of 25"
    );
    assert_eq!(
        find(&rules, "account takeover")["kind"],
        "native_correlation"
    );
    assert!(
        rules["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|r| r["title"]
                .as_str()
                .is_some_and(|t| t.to_lowercase().contains("customer"))
                || r["tags"].as_str().is_some_and(|t| t.contains("customer"))),
        "q filters"
    );
    let local = app
        .api(&csirt, Method::GET, "/api/v1/rules", None)
        .await
        .json();
    assert!(find(&local, "Credential stuffing")["hits"].is_null());
    assert_eq!(
        app.api(&csirt, Method::GET, "/api/v1/rules?sort=size", None)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.api(&employee, Method::GET, "/api/v1/rules", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let rules_page = app.page("/rules?sort=title", Some(&cookie)).await;
    assert_eq!(rules_page.status, StatusCode::OK);
    assert!(rules_page.text().contains("リスト型攻撃"));
    // Reopen from the alert's page: its status offers only the moves the
    // lifecycle allows; what detection set is shown, not editable.
    let record_page = app.page(&format!("/r/alerts/{id}"), Some(&cookie)).await;
    let html = record_page.text();
    assert!(html.contains(r#"<option value="new""#), "{html}");
    assert!(!html.contains(r#"<option value="escalated""#), "{html}");
    assert!(html.contains(r#"name="count" type="number" value="2" disabled"#));
    let csrf = csrf_of(&html);
    let current = app
        .api(&csirt, Method::GET, "/api/v1/alerts", None)
        .await
        .json()["items"][0]["version"]
        .to_string();
    let reopened = app
        .form(
            &format!("/r/alerts/{id}"),
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("version", &current),
                ("status", "new"),
                ("count", "0"),
            ],
        )
        .await;
    assert_eq!(
        reopened.location(),
        format!("/r/alerts/{id}"),
        "{}",
        reopened.text()
    );
    let status = app
        .api(&csirt, Method::GET, "/api/v1/alerts", None)
        .await
        .json()["items"][0]
        .clone();
    assert_eq!(status["status"], "new");
    assert_eq!(status["count"], 2, "a form cannot set what detection set");
    app.finish().await;
}
on_every_backend!(ingest_detects_and_stores_alerts, ingest_flow);

async fn syslog_flow(b: Backend) {
    use tokio::io::AsyncWriteExt;
    let config = Config {
        require_totp: false,
        syslog_listen: "127.0.0.1:0".into(),
        syslog_company: "AIR".into(),
        ..Config::default()
    };
    let app = TestApp::with_config(b, config).await;
    let (_, csirt) = app
        .user("syslog-reader", Role::Csirt, Some("AIR"), PASSWORD)
        .await;
    let addr = mamori_server::detection::spawn_syslog(app.state.clone())
        .await
        .expect("listener")
        .expect("configured");
    let t0 = Utc::now() - Duration::minutes(5);
    let line = |i: i64, prefix: &str| {
        let at = (t0 + Duration::seconds(i)).to_rfc3339();
        format!(
            r#"<134>1 {at} portal01 login - - - {{"event":{{"dataset":"customer.login","outcome":"failure"}},"source":{{"ip":"203.0.113.60"}},"user":{{"name":"{prefix}{i:06}"}}}}"#
        )
    };
    // Half over UDP, half over TCP, plus one unreadable line.
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("udp");
    for i in 0..12 {
        udp.send_to(line(i, "JU").as_bytes(), addr)
            .await
            .expect("send");
    }
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("tcp");
    let mut batch = String::from("not syslog at all\n");
    for i in 12..25 {
        batch.push_str(&line(i, "JT"));
        batch.push('\n');
    }
    tcp.write_all(batch.as_bytes()).await.expect("write");
    tcp.shutdown().await.expect("close");
    // Processing is asynchronous: wait (bounded) for the alert.
    let mut found = Value::Null;
    for _ in 0..100 {
        let alerts = app
            .api(&csirt, Method::GET, "/api/v1/alerts", None)
            .await
            .json();
        if alerts["items"].as_array().is_some_and(|a| !a.is_empty()) {
            found = alerts["items"][0].clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        found["title"]
            .as_str()
            .is_some_and(|t| t.contains("Credential stuffing")),
        "{found}"
    );
    assert_eq!(found["company_id"], json!(app.company_id("AIR").await));
    app.finish().await;
}
on_every_backend!(syslog_listener_feeds_detection, syslog_flow);

async fn webhook_flow(b: Backend) {
    use axum::routing::post;
    // A real HTTP receiver: every POST it gets, with its signature header.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Option<String>, Vec<u8>)>();
    let receiver = axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let tx = tx.clone();
                async move {
                    let sig = headers
                        .get("x-mamori-signature")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let _ = tx.send((sig, body.to_vec()));
                    StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let config = Config {
        require_totp: false,
        alert_webhook: format!("http://127.0.0.1:{port}/hook"),
        alert_webhook_secret: "s3cret".into(),
        ..Config::default()
    };
    let app = TestApp::with_config(b, config).await;
    let (_, csirt) = app
        .user("hook-soc", Role::Csirt, Some("AIR"), PASSWORD)
        .await;
    let t0 = Utc::now() - Duration::minutes(20);
    let body: String = (0..25)
        .map(|i| {
            let at = (t0 + Duration::seconds(i)).to_rfc3339();
            format!(
                r#"{{"@timestamp":"{at}","event":{{"dataset":"customer.login","outcome":"failure"}},"source":{{"ip":"203.0.113.70"}},"user":{{"name":"JW{i:07}"}}}}"#
            ) + "\n"
        })
        .collect();
    let answer = app.ingest(&csirt, "company=AIR", body.into_bytes()).await;
    assert_eq!(answer.json()["alerts"]["new"], 1, "{}", answer.text());
    let (sig, payload) = tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv())
        .await
        .expect("the webhook is called")
        .expect("a request");
    assert_eq!(
        sig.as_deref(),
        Some(mamori_server::webhook::signature("s3cret", &payload).as_str()),
        "signed with the secret"
    );
    let v: Value = serde_json::from_slice(&payload).expect("JSON");
    assert_eq!(v["type"], "mamori.alerts.new");
    assert_eq!(v["company"], "AIR");
    assert_eq!(v["alerts"].as_array().expect("alerts").len(), 1);
    assert!(
        v["alerts"][0]["title"]
            .as_str()
            .is_some_and(|t| t.contains("Credential stuffing"))
    );
    let text = String::from_utf8_lossy(&payload);
    assert!(
        !text.contains("203.0.113.70") && !text.contains("JW0000001"),
        "no address or member id leaves in the payload: {text}"
    );
    app.finish().await;
}
on_every_backend!(webhook_posts_new_alerts, webhook_flow);

async fn alerts_list_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, csirt) = app
        .user("list-soc", Role::Csirt, Some("AIR"), PASSWORD)
        .await;
    let (_, committee) = app
        .user(
            "list-committee",
            Role::CommitteeMember,
            Some("AIR"),
            PASSWORD,
        )
        .await;
    // 23 malware alerts on 23 PCs, one of them with a Japanese file name.
    let t0 = Utc::now() - Duration::minutes(10);
    let body: String = (0..23)
        .map(|i| {
            let at = (t0 + Duration::seconds(i)).to_rfc3339();
            format!(
                r#"{{"@timestamp":"{at}","event":{{"kind":"alert","category":"malware"}},"host":{{"name":"PC-AIR-{i:04}"}},"file":{{"name":"請求書{i}.pdf.exe"}}}}"#
            ) + "\n"
        })
        .collect();
    let answer = app.ingest(&csirt, "company=AIR", body.into_bytes()).await;
    assert_eq!(answer.json()["alerts"]["new"], 23, "{}", answer.text());
    // Pages of 10 by cursor: 10, 10, 3, no repeats, newest first.
    let mut seen = Vec::new();
    let mut path = "/api/v1/alerts?limit=10&level=high".to_owned();
    loop {
        let page = app.api(&csirt, Method::GET, &path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let v = page.json();
        let items = v["items"].as_array().expect("items").clone();
        seen.extend(
            items
                .iter()
                .map(|i| i["id"].as_str().expect("id").to_owned()),
        );
        match v["next"].as_str() {
            Some(next) => path = format!("/api/v1/alerts?limit=10&level=high&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 23);
    let unique: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 23, "no row twice across pages");
    // Filters: company, words, rule, sorted by count; bad input named.
    let (air, gnd) = (app.company_id("AIR").await, app.company_id("GND").await);
    let found = app
        .api(
            &csirt,
            Method::GET,
            &format!("/api/v1/alerts?company={air}&q=MALWARE&sort=-count"),
            None,
        )
        .await
        .json();
    let items = found["items"].as_array().expect("items");
    assert_eq!(items.len(), 23);
    assert!(
        items[0]["ref_no"]
            .as_str()
            .is_some_and(|r| r.starts_with("ALR-"))
    );
    let rule = items[0]["rule_id"].as_str().expect("rule id");
    let by_rule = app
        .api(
            &csirt,
            Method::GET,
            &format!("/api/v1/alerts?rule_id={rule}&limit=500"),
            None,
        )
        .await
        .json();
    assert_eq!(by_rule["items"].as_array().expect("items").len(), 23);
    let foreign = app
        .api(
            &csirt,
            Method::GET,
            &format!("/api/v1/alerts?company={gnd}"),
            None,
        )
        .await
        .json();
    assert_eq!(
        foreign["items"].as_array().expect("items").len(),
        0,
        "another company's alerts stay out of reach"
    );
    let none = app
        .api(&csirt, Method::GET, "/api/v1/alerts?q=%25", None)
        .await
        .json();
    assert_eq!(
        none["items"].as_array().expect("items").len(),
        0,
        "% is a letter, not a wildcard"
    );
    for bad in [
        "limit=0",
        "limit=x",
        "after=garbage",
        "company=NOPE",
        "sort=dedup_key",
    ] {
        assert_eq!(
            app.api(&csirt, Method::GET, &format!("/api/v1/alerts?{bad}"), None)
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    // Export: CSV with a BOM and Japanese intact, XLSX; audited; needs the right.
    let csv = app
        .api(
            &csirt,
            Method::GET,
            &format!("/api/v1/alerts/export?format=csv&company={air}"),
            None,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with(&[0xEF, 0xBB, 0xBF]), "BOM for Excel");
    let text = String::from_utf8(csv.body[3..].to_vec()).expect("UTF-8");
    assert_eq!(text.lines().count(), 24, "header and 23 rows");
    assert!(
        text.contains("マルウェア") && text.contains("AIR"),
        "{}",
        &text[..300.min(text.len())]
    );
    let xlsx = app
        .api(
            &csirt,
            Method::GET,
            "/api/v1/alerts/export?format=xlsx",
            None,
        )
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.body.starts_with(b"PK"), "an XLSX file is a zip");
    let last = &app.store.recent_audit(1).await.expect("audit")[0];
    assert_eq!((last.3.as_str(), last.4.as_str()), ("export", "alerts"));
    assert_eq!(
        app.api(
            &committee,
            Method::GET,
            "/api/v1/alerts/export?format=csv",
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "committee members read alerts but do not export them"
    );
    assert_eq!(
        app.api(
            &csirt,
            Method::GET,
            "/api/v1/alerts/export?format=pdf",
            None
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    // The page pages too, and offers the exports.
    let (cookie, _) = app.login("list-soc", PASSWORD).await;
    let page = app.page("/r/alerts?limit=5", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("/api/v1/alerts/export?format=csv"));
    assert!(html.contains("after="), "a next-page link");
    assert!(html.contains("マルウェア"), "Japanese titles intact");
    // The demo's alerts come from its traffic run through the real rules.
    let travel = app.company_id("TRV").await;
    let opened = seed::demo_alerts(&app.store, travel, Utc::now())
        .await
        .expect("demo alerts");
    let demo = app
        .api(
            &csirt,
            Method::GET,
            &format!("/api/v1/alerts?company={travel}&limit=500"),
            None,
        )
        .await;
    assert_eq!(
        demo.json()["items"].as_array().map(Vec::len),
        Some(0),
        "the airline's CSIRT does not see the travel company's alerts"
    );
    let (_, group) = app.user("list-hd", Role::Csirt, None, PASSWORD).await;
    let demo = app
        .api(
            &group,
            Method::GET,
            &format!("/api/v1/alerts?company={travel}&limit=500"),
            None,
        )
        .await
        .json();
    let titles: Vec<&str> = demo["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert_eq!(titles.len(), opened);
    assert!(
        titles.iter().any(|t| t.contains("Credential stuffing")),
        "{titles:?}"
    );
    app.finish().await;
}
on_every_backend!(alerts_list_pages_filters_and_exports, alerts_list_flow);

async fn risks_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, officer) = app
        .user("air-risk", Role::SecurityOfficer, Some("AIR"), PASSWORD)
        .await;
    let (_, ciso) = app.user("hd-risk", Role::CisoOffice, None, PASSWORD).await;
    let air = app.company_id("AIR").await;
    // Scores and levels come from likelihood and impact; nobody writes them.
    let created = app
        .api(
            &officer,
            Method::POST,
            "/api/v1/risks",
            Some(json!({
                "company_id": air, "title": "旅客データの誤送信", "status": "identified",
                "inherent_likelihood": "3", "inherent_impact": "4",
                "residual_likelihood": "2", "residual_impact": "2", "treatment": "mitigate"
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let risk = created.json();
    assert_eq!(risk["inherent_score"], 12);
    assert_eq!(risk["inherent_level"], "high");
    assert_eq!(risk["residual_score"], 4);
    assert_eq!(risk["residual_level"], "low");
    assert!(
        risk["ref_no"]
            .as_str()
            .is_some_and(|r| r.starts_with("RSK-"))
    );
    let id = risk["id"].as_str().expect("id").to_owned();
    let patch = |body: Value| {
        let (app, officer, id) = (&app, &officer, &id);
        async move {
            app.api(
                officer,
                Method::PATCH,
                &format!("/api/v1/risks/{id}"),
                Some(body),
            )
            .await
        }
    };
    let forged = patch(json!({ "inherent_score": 1, "version": 1 })).await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        forged.json()["error"]["fields"][0]["field"],
        "inherent_score"
    );
    let skipped = patch(json!({ "status": "treating", "version": 1 })).await;
    assert_eq!(
        skipped.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "identified cannot jump to treating"
    );
    let unapproved =
        patch(json!({ "status": "assessed", "treatment": "accept", "version": 1 })).await;
    assert_eq!(unapproved.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unapproved.text().contains("acceptance_approver"),
        "{}",
        unapproved.text()
    );
    let rescored =
        patch(json!({ "inherent_impact": "5", "status": "assessed", "version": 1 })).await;
    assert_eq!(rescored.status, StatusCode::OK, "{}", rescored.text());
    assert_eq!(rescored.json()["inherent_score"], 15);
    assert_eq!(rescored.json()["inherent_level"], "high");
    // The heat map counts what the list holds, cell by cell, in scope.
    let list = app
        .api(&officer, Method::GET, "/api/v1/risks?limit=500", None)
        .await
        .json();
    let mut expected = [[0i64; 5]; 5];
    for r in list["items"].as_array().expect("items") {
        assert_eq!(
            r["company_id"],
            json!(air),
            "an officer sees their company's risks"
        );
        let at = |f: &str| {
            r[f].as_str()
                .and_then(|v| v.parse::<usize>().ok())
                .expect("scale")
        };
        expected[at("inherent_impact") - 1][at("inherent_likelihood") - 1] += 1;
    }
    let map = app
        .api(&officer, Method::GET, "/api/v1/risks/heatmap", None)
        .await
        .json();
    assert_eq!(map["inherent"], json!(expected));
    assert_eq!(
        map["inherent"][4][2], 2,
        "the demo's ransomware risk and the new one at likelihood 3, impact 5"
    );
    let group = app
        .api(&ciso, Method::GET, "/api/v1/risks/heatmap", None)
        .await
        .json();
    let total = |m: &Value| -> i64 {
        m.as_array()
            .expect("rows")
            .iter()
            .flat_map(|r| {
                r.as_array()
                    .expect("cells")
                    .iter()
                    .map(|c| c.as_i64().unwrap_or(0))
            })
            .sum()
    };
    assert_eq!(
        total(&group["inherent"]),
        11,
        "ten demo risks and the new one"
    );
    assert_eq!(total(&map["inherent"]), 4);
    // The group roll-up: per company, its risks per level, adding up.
    let companies = group["companies"].as_array().expect("companies");
    let sum = |c: &Value, side: &str| -> i64 {
        c[side]
            .as_object()
            .expect("levels")
            .values()
            .filter_map(Value::as_i64)
            .sum()
    };
    assert_eq!(
        companies.iter().map(|c| sum(c, "inherent")).sum::<i64>(),
        11
    );
    let air_row = companies
        .iter()
        .find(|c| c["company_id"] == json!(air))
        .expect("AIR");
    assert_eq!(sum(air_row, "inherent"), 4);
    assert_eq!(sum(air_row, "residual"), total(&map["residual"]));
    let only_air = app
        .api(
            &ciso,
            Method::GET,
            &format!("/api/v1/risks/heatmap?company={air}"),
            None,
        )
        .await
        .json();
    assert_eq!(only_air["inherent"], map["inherent"]);
    assert_eq!(
        app.api(
            &ciso,
            Method::GET,
            "/api/v1/risks/heatmap?company=AIR",
            None
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    let (_, employee) = app
        .user("air-staff", Role::Employee, Some("AIR"), PASSWORD)
        .await;
    assert_eq!(
        app.api(&employee, Method::GET, "/api/v1/risks/heatmap", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The page draws both maps; a cell links to the risks it counts.
    let (cookie, _) = app.login("air-risk", PASSWORD).await;
    let page = app.page("/risks/heatmap", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert_eq!(html.matches("<svg").count(), 2, "inherent beside residual");
    assert!(html.contains(r#"data-cell="3-5""#));
    let link = "/r/risks?inherent_likelihood=3&#38;inherent_impact=5";
    assert!(html.contains(link), "{html}");
    let cell = app
        .page(
            "/r/risks?inherent_likelihood=3&inherent_impact=5",
            Some(&cookie),
        )
        .await
        .text();
    assert!(cell.contains("旅客データの誤送信"));
    let list_page = app.page("/r/risks", Some(&cookie)).await.text();
    assert!(
        list_page.contains("/risks/heatmap"),
        "the list links its heat map"
    );
    let (group_cookie, _) = app.login("hd-risk", PASSWORD).await;
    let group_page = app.page("/risks/heatmap", Some(&group_cookie)).await.text();
    assert!(group_page.contains("data-company=\"AIR "), "{group_page}");
    assert!(
        group_page.contains(&format!("inherent_level=critical&#38;company={air}"))
            || group_page.contains(&format!("inherent_level=high&#38;company={air}")),
        "a count links to its risks"
    );
    assert!(!html.contains("data-company="), "one company: no roll-up");
    // An acceptance that has run out shows as overdue on the risk's page.
    let person = app
        .api(
            &ciso,
            Method::GET,
            &format!("/api/v1/people?company={air}&limit=1"),
            None,
        )
        .await
        .json()["items"][0]["id"]
        .clone();
    let accepted = patch(json!({
        "status": "accepted", "treatment": "accept", "acceptance_approver": person,
        "acceptance_reason": "対策費用が損失の見込みを上回るため", "acceptance_expiry": "2020-03-31",
        "version": 2
    }))
    .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    let risk_page = app
        .page(&format!("/r/risks/{id}"), Some(&cookie))
        .await
        .text();
    assert!(
        risk_page.contains("リスク受容の期限が過ぎています")
            || risk_page.contains("The risk acceptance has expired"),
        "{risk_page}"
    );
    // The dashboard counts it among the overdue and lists the top risks.
    let dashboard = app.page("/", Some(&cookie)).await.text();
    assert!(
        dashboard.contains(r#"<span class="count">1</span><span>受容期限を過ぎたリスク</span>"#)
            || dashboard
                .contains(r#"<span class="count">1</span><span>Risk acceptances expired</span>"#),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("標的型メールによる端末感染"),
        "AIR's top risk"
    );
    assert!(
        !dashboard.contains("委託先からの顧客情報"),
        "TRV's risks stay out"
    );
    app.finish().await;
}
on_every_backend!(risk_register_scores_and_heat_map, risks_flow);

fn library_fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/ciso-assistant-library")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn library_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, ciso) = app.user("hd-lib", Role::CisoOffice, None, PASSWORD).await;
    let (_, officer) = app
        .user("air-lib", Role::SecurityOfficer, Some("AIR"), PASSWORD)
        .await;
    let (_, employee) = app
        .user("air-emp", Role::Employee, Some("AIR"), PASSWORD)
        .await;
    let load = |token: &str, file: &str| {
        let (app, token, body) = (&app, token.to_owned(), library_fixture(file));
        async move {
            app.raw(
                &token,
                Method::POST,
                "/api/v1/libraries",
                "application/yaml",
                body,
            )
            .await
        }
    };
    // A mapping set needs both of its frameworks loaded first.
    let early = load(&ciso, "mapping-nist-csf-2.0-to-iso27001-2022.yaml").await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.text().contains("is not loaded"), "{}", early.text());
    let iso = load(&ciso, "iso27001-2022.yaml").await;
    assert_eq!(iso.status, StatusCode::CREATED, "{}", iso.text());
    let expected = mamori_domain::library::parse_ciso_assistant(
        std::str::from_utf8(&library_fixture("iso27001-2022.yaml")).expect("UTF-8"),
    )
    .expect("parses");
    assert_eq!(iso.json()["nodes"], expected.frameworks[0].nodes.len());
    assert_eq!(
        iso.json()["reference_controls"],
        expected.reference_controls.len()
    );
    assert_eq!(
        load(&officer, "nist-csf-2.0.yaml").await.status,
        StatusCode::FORBIDDEN,
        "a company's officer reads libraries; the CISO office loads them"
    );
    assert_eq!(
        load(&ciso, "nist-csf-2.0.yaml").await.status,
        StatusCode::CREATED
    );
    let mapping = load(&ciso, "mapping-nist-csf-2.0-to-iso27001-2022.yaml").await;
    assert_eq!(mapping.status, StatusCode::CREATED, "{}", mapping.text());
    assert_eq!(mapping.json()["mappings"], 686);
    let again = load(&ciso, "iso27001-2022.yaml").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().contains("already loaded"));
    let last = &app.store.recent_audit(1).await.expect("audit")[0];
    assert_eq!((last.3.as_str(), last.4.as_str()), ("import", "libraries"));
    // Bad files change nothing and say where and why.
    let bad = app
        .raw(
            &ciso,
            Method::POST,
            "/api/v1/libraries",
            "application/yaml",
            b"urn: urn:x:l\nname: X\nobjects:\n  framework:\n    urn: urn:x:f\n    name: F\n    requirement_nodes:\n    - urn: urn:x:n\n      parent_urn: urn:x:none\n      ref_id: N\n".to_vec(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.json()["error"]["fields"][0]["field"],
        "objects.framework.requirement_nodes[0].parent_urn"
    );
    let garbage = app
        .raw(
            &ciso,
            Method::POST,
            "/api/v1/libraries",
            "application/yaml",
            b"{".to_vec(),
        )
        .await;
    assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        garbage.json()["error"]["fields"][0]["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("line "))
    );
    // Reading: the frameworks with their counts, a tree in the file's order.
    let list = app
        .api(&officer, Method::GET, "/api/v1/frameworks", None)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let items = list.json()["items"].as_array().expect("items").clone();
    assert_eq!(
        items.len(),
        2,
        "two frameworks (mapping sets are not frameworks)"
    );
    let iso_row = items
        .iter()
        .find(|f| f["urn"] == "urn:intuitem:risk:framework:iso27001-2022")
        .expect("ISO/IEC 27001");
    let id = iso_row["id"].as_str().expect("id");
    let tree = app
        .api(
            &officer,
            Method::GET,
            &format!("/api/v1/frameworks/{id}"),
            None,
        )
        .await
        .json();
    let nodes = tree["nodes"].as_array().expect("nodes");
    assert_eq!(
        nodes.len() as u64,
        iso_row["nodes"].as_u64().expect("count")
    );
    assert_eq!(nodes[0]["depth"], 1);
    assert_eq!(
        app.api(&employee, Method::GET, "/api/v1/frameworks", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The pages: the list, a tree, and the upload form's errors.
    let (cookie, _) = app.login("hd-lib", PASSWORD).await;
    let page = app.page("/frameworks", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(&format!("/frameworks/{id}")));
    let csrf = csrf_of(&html);
    let tree_page = app.page(&format!("/frameworks/{id}"), Some(&cookie)).await;
    assert!(tree_page.text().contains("A.5.1"));
    let refused = app
        .form(
            "/frameworks",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("mode", "import"),
                ("yaml", "urn: urn:x:l\nname: Nothing\n"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("objects: holds no framework"));
    // Coverage of NIST CSF through the company's ISO/IEC 27001 work.
    let air = app.company_id("AIR").await;
    let adopted = app
        .api(
            &ciso,
            Method::POST,
            &format!("/api/v1/frameworks/{id}/adopt"),
            Some(json!({ "company_id": air })),
        )
        .await;
    assert_eq!(adopted.status, StatusCode::OK, "{}", adopted.text());
    let assessments = app
        .api(
            &ciso,
            Method::GET,
            &format!("/api/v1/requirement_assessments?company={air}&framework={id}&limit=500"),
            None,
        )
        .await
        .json();
    let context = assessments["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| {
            a["references"]["requirement"]["key"] == "urn:intuitem:risk:req_node:iso27001-2022:4.1"
        })
        .expect("4.1")
        .clone();
    let done = app
        .api(
            &ciso,
            Method::PATCH,
            &format!(
                "/api/v1/requirement_assessments/{}",
                context["id"].as_str().expect("id")
            ),
            Some(json!({ "implementation": "implemented", "version": 1 })),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    let sets = app
        .api(&ciso, Method::GET, "/api/v1/mapping_sets", None)
        .await
        .json();
    let forward = sets["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["source_framework_urn"] == "urn:intuitem:risk:framework:nist-csf-2.0")
        .expect("NIST to ISO")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let coverage = app
        .api(
            &ciso,
            Method::GET,
            &format!("/api/v1/mapping_sets/{forward}/coverage?company={air}"),
            None,
        )
        .await;
    assert_eq!(coverage.status, StatusCode::OK, "{}", coverage.text());
    let coverage = coverage.json();
    let gv_oc_01 = coverage["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["ref_id"] == "GV.OC-01")
        .expect("GV.OC-01")
        .clone();
    assert_eq!(gv_oc_01["status"], "implemented", "{gv_oc_01}");
    let nist_assessable = items
        .iter()
        .find(|f| f["urn"] == "urn:intuitem:risk:framework:nist-csf-2.0")
        .expect("NIST")["assessable"]
        .as_i64()
        .expect("n");
    let counted: i64 = coverage["summary"]
        .as_object()
        .expect("summary")
        .values()
        .filter_map(Value::as_i64)
        .sum();
    assert_eq!(counted, nist_assessable);
    // The same as a page, reached from the frameworks page.
    let (cookie, _) = app.login("air-lib", PASSWORD).await;
    let frameworks_page = app.page("/frameworks", Some(&cookie)).await.text();
    assert!(
        frameworks_page.contains(&format!("/mapping_sets/{forward}")),
        "{frameworks_page}"
    );
    let page = app
        .page(
            &format!("/mapping_sets/{forward}?company={air}"),
            Some(&cookie),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let page = page.text();
    assert_eq!(
        page.matches("<tr data-status=").count() as i64,
        nist_assessable
    );
    assert_eq!(
        page.matches("data-status=\"implemented\"").count() as i64,
        coverage["summary"]["implemented"].as_i64().unwrap_or(0)
    );
    assert!(page.contains("GV.OC-01"));
    assert_eq!(
        app.api(
            &employee,
            Method::GET,
            &format!("/api/v1/mapping_sets/{forward}/coverage?company={air}"),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // mamori's own format loads the same way.
    let ours = app
        .raw(
            &ciso,
            Method::POST,
            "/api/v1/libraries",
            "application/yaml",
            "format: mamori-library/1\nurn: urn:mamori:library:mlit\nname: MLIT aviation guideline\nname_ja: 航空分野における情報セキュリティ確保に係る安全ガイドライン\nframework:\n  urn: urn:mamori:framework:mlit\n  name: MLIT aviation\n  requirements:\n  - ref_id: \"1\"\n    name: Governance\n    name_ja: 管理体制\n"
                .as_bytes()
                .to_vec(),
        )
        .await;
    assert_eq!(ours.status, StatusCode::CREATED, "{}", ours.text());
    // The libraries mamori ships load once, at every start if missing.
    assert_eq!(seed::builtin_libraries(&app.store, Utc::now()).await, Ok(3));
    assert_eq!(seed::builtin_libraries(&app.store, Utc::now()).await, Ok(0));
    let all = app
        .api(&officer, Method::GET, "/api/v1/frameworks", None)
        .await
        .json();
    let shipped = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|f| f["urn"] == "urn:mamori:framework:iso27001-2022")
        .expect("ISO/IEC 27001 shipped")
        .clone();
    assert_eq!(shipped["name_ja"], "ISO/IEC 27001:2022(JIS Q 27001:2023)");
    let tree = app
        .page(
            &format!("/frameworks/{}", shipped["id"].as_str().expect("id")),
            Some(&cookie),
        )
        .await
        .text();
    assert!(
        tree.contains("情報セキュリティのための方針群")
            || tree.contains("Policies for information security"),
        "{tree}"
    );
    app.finish().await;
}
on_every_backend!(framework_libraries_load_whole_and_read_back, library_flow);

async fn cloud_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, ciso) = app.user("hd-cloud", Role::CisoOffice, None, PASSWORD).await;
    // The demo's assessments, soonest expiry first: the lapsed one leads.
    let list = app
        .api(&ciso, Method::GET, "/api/v1/cloud_assessments", None)
        .await
        .json();
    let items = list["items"].as_array().expect("items");
    assert!(items.len() >= 3, "{list}");
    let first = &items[0];
    let verdicts: Vec<&str> = items.iter().filter_map(|i| i["verdict"].as_str()).collect();
    assert!(verdicts.contains(&"approved_with_conditions") && verdicts.contains(&"rejected"));
    let (cookie, _) = app.login("hd-cloud", PASSWORD).await;
    let page = app
        .page(
            &format!("/r/cloud_assessments/{}", first["id"].as_str().expect("id")),
            Some(&cookie),
        )
        .await
        .text();
    assert!(
        page.contains("有効期限が過ぎています") || page.contains("This assessment has expired"),
        "{page}"
    );
    // The questions are the configured questionnaire's, in the page.
    assert!(page.contains("name=\"answers.ismap\""), "{page}");
    assert!(page.contains("ISMAP"));
    // An approval must answer every question and say what the service may hold.
    let incomplete = app
        .api(
            &ciso,
            Method::POST,
            "/api/v1/cloud_assessments",
            Some(json!({
                "company_id": first["company_id"], "asset": first["asset"], "verdict": "approved",
                "assessed_on": "2026-04-01", "expiry": "2027-03-31",
                "answers": { "encryption": "met", "ismap": true }
            })),
        )
        .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = incomplete.json()["error"]["fields"].clone();
    let fields: Vec<&str> = errors
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["max_classification", "answers"], "{errors}");
    let unanswered = errors[1]["message"].as_str().expect("message");
    assert!(
        unanswered.contains("logging") && !unanswered.contains("encryption"),
        "{unanswered}"
    );
    // A question that is not asked, or an answer it does not take, is named.
    for (answers, named) in [
        (json!({ "colour": "red" }), "colour: no such question"),
        (json!({ "logging": "perfect" }), "logging: must be one of"),
        (json!("met"), "must be an object"),
    ] {
        let bad = app
            .api(
                &ciso,
                Method::POST,
                "/api/v1/cloud_assessments",
                Some(json!({
                    "company_id": first["company_id"], "asset": first["asset"], "verdict": "rejected",
                    "assessed_on": "2026-04-01", "expiry": "2027-03-31", "answers": answers
                })),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text().contains(named), "{}", bad.text());
    }
    // Answers come back as an object, and go out one column per question.
    let full: serde_json::Map<String, Value> = app
        .state
        .store
        .settings()
        .cloud_questionnaire
        .questions
        .iter()
        .map(|q| {
            let a = match q.kind {
                AnswerKind::Text => "東京リージョン",
                AnswerKind::YesNo => "yes",
                AnswerKind::Rating => "partial",
            };
            (q.id.clone(), json!(a))
        })
        .collect();
    let created = app
        .api(
            &ciso,
            Method::POST,
            "/api/v1/cloud_assessments",
            Some(json!({
                "company_id": first["company_id"], "asset": first["asset"],
                "verdict": "approved_with_conditions", "conditions": "顧客データは置かない",
                "max_classification": "internal",
                "assessed_on": "2026-04-01", "expiry": "2027-03-31", "answers": full
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let created = created.json();
    assert_eq!(created["answers"]["data_location"], "東京リージョン");
    assert_eq!(created["answers"]["logging"], "partial");
    let csv = app
        .api(
            &ciso,
            Method::GET,
            "/api/v1/cloud_assessments/export?format=csv",
            None,
        )
        .await
        .text();
    let header = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .expect("header");
    assert!(
        header.contains("answers.data_location,answers.iso27001") && !header.contains(",answers,"),
        "{header}"
    );
    let row = csv
        .lines()
        .find(|l| l.starts_with(created["ref_no"].as_str().expect("ref")))
        .expect("the new row");
    assert!(row.contains("東京リージョン,yes,yes"), "{row}");
    app.finish().await;
}
on_every_backend!(cloud_service_assessments_check_approvals, cloud_flow);

/// A group that configures its own matrix: three likelihood steps, four
/// impact steps, a level per cell.
async fn configured_matrix_flow(b: Backend) {
    let step =
        |n: usize| mamori_domain::settings::Label::new(&format!("段階{n}"), &format!("Step {n}"));
    let matrix = registers::RiskMatrix {
        likelihood: (1..=3).map(step).collect(),
        impact: (1..=4).map(step).collect(),
        thresholds: [3, 6, 9],
        cells: [
            "high critical critical",
            "medium high critical",
            "low medium high",
            "low low medium",
        ]
        .iter()
        .map(|row| row.split(' ').map(str::to_owned).collect())
        .collect(),
    };
    let app = TestApp::with_config(
        b,
        Config {
            require_totp: false,
            risk_matrix: matrix,
            ..Config::default()
        },
    )
    .await;
    let (_, ciso) = app
        .user("hd-matrix", Role::CisoOffice, None, PASSWORD)
        .await;
    let air = app.company_id("AIR").await;
    let risk = |l: &str, i: &str| {
        json!({
            "company_id": air, "title": "構成済みマトリクスの試験", "status": "identified",
            "inherent_likelihood": l, "inherent_impact": i
        })
    };
    let created = app
        .api(&ciso, Method::POST, "/api/v1/risks", Some(risk("3", "4")))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let created = created.json();
    assert_eq!(created["inherent_score"], 12);
    assert_eq!(created["inherent_level"], "critical");
    let low = app
        .api(&ciso, Method::POST, "/api/v1/risks", Some(risk("3", "1")))
        .await
        .json();
    assert_eq!(
        low["inherent_level"], "medium",
        "from the cell, not the score"
    );
    let beyond = app
        .api(&ciso, Method::POST, "/api/v1/risks", Some(risk("4", "2")))
        .await;
    assert_eq!(beyond.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        beyond
            .text()
            .contains("beyond the risk matrix's 3 likelihood steps"),
        "{}",
        beyond.text()
    );
    // The heat map has the matrix's shape; the form offers its steps.
    let map = app
        .api(&ciso, Method::GET, "/api/v1/risks/heatmap", None)
        .await
        .json();
    let rows = map["inherent"].as_array().expect("rows");
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.as_array().map(Vec::len) == Some(3)));
    let (cookie, _) = app.login("hd-matrix", PASSWORD).await;
    let page = app.page("/risks/heatmap", Some(&cookie)).await.text();
    assert_eq!(page.matches("data-cell=").count(), 2 * 12, "two 3 × 4 maps");
    assert!(page.contains("4 段階4") || page.contains("4 Step 4"));
    let form = app
        .page(
            &format!("/r/risks/{}", created["id"].as_str().expect("id")),
            Some(&cookie),
        )
        .await
        .text();
    assert!(
        form.contains("<option value=\"3\" selected>3 段階3</option>")
            || form.contains("<option value=\"3\" selected>3 Step 3</option>"),
        "{form}"
    );
    assert!(
        !form.contains("<option value=\"5\""),
        "no step beyond the matrix"
    );
    app.finish().await;
}
on_every_backend!(
    a_configured_risk_matrix_drives_levels_and_maps,
    configured_matrix_flow
);
/// A campaign across companies: one assessment each, progress per company.
async fn campaign_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, ciso) = app.user("hd-camp", Role::CisoOffice, None, PASSWORD).await;
    let (_, officer) = app
        .user("air-camp", Role::SecurityOfficer, Some("AIR"), PASSWORD)
        .await;
    seed::builtin_libraries(&app.store, Utc::now())
        .await
        .expect("libraries");
    let urn = "urn:mamori:framework:iso27001-2022";
    let launch = |token: &str, body: Value| {
        let (app, token) = (&app, token.to_owned());
        async move {
            app.api(&token, Method::POST, "/api/v1/campaigns", Some(body))
                .await
        }
    };
    // Officers work a campaign; they do not launch one.
    let body = json!({ "name": "2026年度 ISMS 自己評価", "framework": urn, "companies": ["AIR", "GND"], "due_date": "2027-01-31" });
    assert_eq!(
        launch(&officer, body.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    // Every problem is named, and nothing is made.
    let bad = launch(
        &ciso,
        json!({ "name": " ", "framework": "urn:nothing", "companies": ["XXX"], "due_date": "31/01/2027" }),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = bad.json()["error"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(fields, ["name", "due_date", "framework", "companies"]);
    assert_eq!(
        app.api(&ciso, Method::GET, "/api/v1/campaigns", None)
            .await
            .json()["items"],
        json!([])
    );
    let created = launch(&ciso, body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let campaign = created.json();
    let companies = campaign["companies"].as_array().expect("companies");
    assert_eq!(companies.len(), 2);
    let assessable = companies[0]["requirements"].as_i64().expect("count");
    assert!(
        assessable >= 93,
        "ISO/IEC 27001's clauses and controls: {assessable}"
    );
    assert!(
        companies
            .iter()
            .all(|c| c["status"] == "not_started" && c["reviewed"] == 0)
    );
    // The same name again is refused.
    assert_eq!(
        launch(&ciso, body).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The AIR officer reviews two requirements and starts the assessment.
    let id = campaign["id"].as_str().expect("id");
    let framework = campaign["framework_id"].as_str().expect("framework");
    let air = app.company_id("AIR").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let list = app
        .api(
            &officer,
            Method::GET,
            &format!("/api/v1/requirement_assessments?framework={framework}&limit=2"),
            None,
        )
        .await
        .json();
    for item in list["items"].as_array().expect("items") {
        let changed = app
            .api(
                &officer,
                Method::PATCH,
                &format!(
                    "/api/v1/requirement_assessments/{}",
                    item["id"].as_str().expect("id")
                ),
                Some(json!({ "version": item["version"], "implementation": "implemented" })),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    }
    let mine = companies
        .iter()
        .find(|c| c["company_id"] == json!(air))
        .expect("AIR's");
    let path = format!(
        "/api/v1/compliance_assessments/{}",
        mine["assessment_id"].as_str().expect("id")
    );
    let current = app.api(&officer, Method::GET, &path, None).await.json();
    let skipped = app
        .api(
            &officer,
            Method::PATCH,
            &path,
            Some(json!({ "version": current["version"], "status": "approved" })),
        )
        .await;
    assert_eq!(
        skipped.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "submitted before approved"
    );
    let started = app
        .api(
            &officer,
            Method::PATCH,
            &path,
            Some(json!({ "version": current["version"], "status": "in_progress" })),
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text());
    // The officer sees AIR's part alone; the CISO office every company.
    let seen = app
        .api(
            &officer,
            Method::GET,
            &format!("/api/v1/campaigns/{id}"),
            None,
        )
        .await
        .json();
    let rows = seen["companies"].as_array().expect("companies");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["reviewed"], 2);
    assert_eq!(rows[0]["status"], "in_progress");
    assert_eq!(rows[0]["progress"], 2 * 100 / assessable);
    let listed = app
        .api(&ciso, Method::GET, "/api/v1/campaigns", None)
        .await
        .json();
    assert_eq!(
        listed["items"][0]["statuses"],
        json!({ "in_progress": 1, "not_started": 1 })
    );
    // The pages: the list with its launch form, the campaign's progress.
    let (cookie, csrf) = app.login("hd-camp", PASSWORD).await;
    let page = app.page("/campaigns", Some(&cookie)).await.text();
    assert!(
        page.contains("2026年度 ISMS 自己評価") && page.contains("name=\"due_date\""),
        "{page}"
    );
    let detail = app
        .page(&format!("/campaigns/{id}"), Some(&cookie))
        .await
        .text();
    assert_eq!(detail.matches("data-progress=").count(), 2);
    assert!(detail.contains(&format!("data-progress=\"{}\"", 2 * 100 / assessable)));
    let launched = app
        .form(
            "/campaigns",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("name", "APPI 安全管理措置 点検"),
                ("framework", framework),
                ("company", "AIR"),
                ("due_date", "2027-03-31"),
            ],
        )
        .await;
    assert_eq!(
        launched.status,
        StatusCode::SEE_OTHER,
        "{}",
        launched.text()
    );
    app.finish().await;
}
on_every_backend!(assessment_campaigns_across_companies, campaign_flow);

/// Controls linked with the risks they treat, from either end, within one
/// company, audited.
async fn links_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, ciso) = app.user("hd-link", Role::CisoOffice, None, PASSWORD).await;
    let (_, officer) = app
        .user("air-link", Role::SecurityOfficer, Some("AIR"), PASSWORD)
        .await;
    let (_, gnd) = app
        .user("gnd-link", Role::SecurityOfficer, Some("GND"), PASSWORD)
        .await;
    let (air, gnd_id) = (app.company_id("AIR").await, app.company_id("GND").await);
    let risks = app
        .api(
            &officer,
            Method::GET,
            &format!("/api/v1/risks?company={air}&limit=50"),
            None,
        )
        .await
        .json();
    let stuffing = risks["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["title"] == "リスト型攻撃によるマイレージ口座の乗っ取り")
        .expect("the demo's stuffing risk")
        .clone();
    let risk_links = format!(
        "/api/v1/risks/{}/links",
        stuffing["id"].as_str().expect("id")
    );
    let linked = app
        .api(&officer, Method::GET, &risk_links, None)
        .await
        .json();
    assert_eq!(
        linked["items"].as_array().map(Vec::len),
        Some(2),
        "{linked}"
    );
    assert!(
        linked["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|l| l["register"] == "controls")
    );
    // A new control, linked from its own end by the risk's reference.
    let control = app
        .api(
            &officer,
            Method::POST,
            "/api/v1/controls",
            Some(json!({ "company_id": air, "name": "パスワードリスト照合(漏えい済み認証情報)", "status": "planned", "category": "technical" })),
        )
        .await;
    assert_eq!(control.status, StatusCode::CREATED, "{}", control.text());
    let control = control.json();
    let control_links = format!(
        "/api/v1/controls/{}/links",
        control["id"].as_str().expect("id")
    );
    let made = app
        .api(
            &officer,
            Method::POST,
            &control_links,
            Some(json!({ "register": "risks", "record": stuffing["ref_no"] })),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let link_id = made.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(
        app.api(&officer, Method::GET, &risk_links, None)
            .await
            .json()["items"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "seen from the risk too"
    );
    // Once per pair, whichever end; only registers that link; one company.
    let again = app
        .api(
            &officer,
            Method::POST,
            &risk_links,
            Some(json!({ "register": "controls", "record": control["ref_no"] })),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let wrong = app
        .api(
            &officer,
            Method::POST,
            &control_links,
            Some(json!({ "register": "people", "record": "JA0001" })),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .contains("controls records link with: risks, requirement_assessments"),
        "{}",
        wrong.text()
    );
    let theirs = app
        .api(
            &ciso,
            Method::POST,
            "/api/v1/controls",
            Some(
                json!({ "company_id": gnd_id, "name": "地上支援の入退室管理", "status": "active" }),
            ),
        )
        .await
        .json();
    let theirs_links = format!(
        "/api/v1/controls/{}/links",
        theirs["id"].as_str().expect("id")
    );
    let across = app
        .api(
            &ciso,
            Method::POST,
            &theirs_links,
            Some(json!({ "register": "risks", "record": stuffing["ref_no"] })),
        )
        .await;
    assert_eq!(across.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(across.text().contains("one company"), "{}", across.text());
    let unseen = app
        .api(
            &gnd,
            Method::POST,
            &theirs_links,
            Some(json!({ "register": "risks", "record": stuffing["ref_no"] })),
        )
        .await;
    assert_eq!(
        unseen.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another company's risk is not named"
    );
    assert!(unseen.text().contains("that you may read"));
    // Removing: not by another company's officer; then by AIR's, audited.
    let path = format!("/api/v1/links/{link_id}");
    assert_eq!(
        app.api(&gnd, Method::DELETE, &path, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(&officer, Method::DELETE, &path, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.api(&officer, Method::DELETE, &path, None).await.status,
        StatusCode::NOT_FOUND
    );
    let actions: Vec<String> = app
        .store
        .recent_audit(5)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.3)
        .collect();
    assert_eq!(actions[0], "unlink");
    assert!(actions.contains(&"link".to_owned()));
    // The risk's page lists its controls and offers to link more.
    let (cookie, csrf) = app.login("air-link", PASSWORD).await;
    let page = app
        .page(
            &format!("/r/risks/{}", stuffing["id"].as_str().expect("id")),
            Some(&cookie),
        )
        .await
        .text();
    assert!(
        page.contains("顧客ログインの多要素認証") || page.contains("CTL-"),
        "{page}"
    );
    assert!(page.contains("name=\"record\""));
    let form = app
        .form(
            &format!("/r/controls/{}/links", control["id"].as_str().expect("id")),
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("register", "risks"),
                ("record", stuffing["ref_no"].as_str().expect("ref")),
            ],
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.text());
    assert_eq!(
        app.store.verify_audit_chain().await.expect("verify").broken,
        None
    );
    app.finish().await;
}
on_every_backend!(controls_link_with_risks_from_either_end, links_flow);
/// Raises alerts in a company as detection would; their ids.
async fn raise_alerts(app: &TestApp, company: Uuid, keys: &[&str]) -> Vec<Uuid> {
    let alerts: Vec<mamori_store::alerts::NewAlert> = keys
        .iter()
        .map(|key| mamori_store::alerts::NewAlert {
            dedup_key: (*key).to_owned(),
            title: format!("リスト型攻撃の疑い {key}"),
            rule_id: Some("mamori-credential-stuffing".into()),
            level: "high".into(),
            tags: vec!["attack.t1110.004".into()],
            detail: None,
            seen_at: Utc::now(),
        })
        .collect();
    app.store
        .record_alerts(company, &alerts, &Actor::system("test"), Utc::now())
        .await
        .expect("alerts")
        .created
        .into_iter()
        .map(|(id, _, _)| id)
        .collect()
}

/// Incidents: yearly references, a lifecycle whose every move needs a
/// reason, a timeline with notes, and alerts escalated into them.
async fn incident_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, csirt) = app.user("csirt-inc", Role::Csirt, None, PASSWORD).await;
    let (_, gnd) = app
        .user("gnd-inc", Role::SecurityOfficer, Some("GND"), PASSWORD)
        .await;
    let (air, gnd_id) = (app.company_id("AIR").await, app.company_id("GND").await);
    let year = Utc::now()
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y");
    let opened = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/incidents",
            Some(json!({
                "company_id": air, "title": "顧客情報システムへの不審な接続", "category": "unauthorized_access",
                "severity": "high", "status": "detected", "detected_at": "2026-11-28T09:00:00+09:00"
            })),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text());
    let incident = opened.json();
    // The demo's three are 0001 to 0003.
    assert_eq!(incident["ref_no"], format!("INC-{year}-0004"));
    let path = format!("/api/v1/incidents/{}", incident["id"].as_str().expect("id"));
    let patch = |body: Value| {
        let (app, csirt, path) = (&app, csirt.clone(), path.clone());
        async move { app.api(&csirt, Method::PATCH, &path, Some(body)).await }
    };
    // A phase cannot be skipped, and a move needs its reason.
    let skipped =
        patch(json!({ "version": 1, "status": "containment", "status_reason": "急ぐ" })).await;
    assert_eq!(skipped.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bare = patch(json!({ "version": 1, "status": "triage" })).await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.text().contains("status_reason"), "{}", bare.text());
    let moved = patch(json!({ "version": 1, "status": "triage", "status_reason": "CSIRT が受付、影響範囲を確認中" })).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
    let note = app
        .api(
            &csirt,
            Method::POST,
            &format!("{path}/notes"),
            Some(json!({ "body": "プロキシログを保全した" })),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.text());
    let empty = app
        .api(
            &csirt,
            Method::POST,
            &format!("{path}/notes"),
            Some(json!({ "body": "  " })),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let timeline = app
        .api(&csirt, Method::GET, &format!("{path}/timeline"), None)
        .await
        .json();
    let items = timeline["items"].as_array().expect("items");
    assert_eq!(items.len(), 3, "{timeline}");
    assert_eq!(items[0]["text"], "プロキシログを保全した");
    assert!(
        items[1]["what"].as_str().expect("what").contains("→"),
        "{timeline}"
    );
    assert_eq!(items[1]["text"], "CSIRT が受付、影響範囲を確認中");
    assert_eq!(items[1]["by"], "csirt-inc");
    // Alerts escalate into a new incident, or onto one that exists.
    let raised = raise_alerts(&app, air, &["esc-1", "esc-2", "esc-3"]).await;
    let escalated = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/alerts/escalate",
            Some(json!({
                "alerts": [raised[0], raised[1]], "title": "マイレージ口座へのリスト型攻撃",
                "category": "account_takeover", "severity": "critical"
            })),
        )
        .await;
    assert_eq!(escalated.status, StatusCode::OK, "{}", escalated.text());
    let second = escalated.json();
    assert_eq!(second["ref_no"], format!("INC-{year}-0005"));
    assert_eq!(second["status"], "detected");
    let onto = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/alerts/escalate",
            Some(json!({ "alerts": [raised[2]], "incident": second["ref_no"] })),
        )
        .await;
    assert_eq!(onto.status, StatusCode::OK, "{}", onto.text());
    let links = app
        .api(
            &csirt,
            Method::GET,
            &format!(
                "/api/v1/incidents/{}/links",
                second["id"].as_str().expect("id")
            ),
            None,
        )
        .await
        .json();
    assert_eq!(links["items"].as_array().map(Vec::len), Some(3), "{links}");
    for id in &raised {
        let alert = app
            .api(&csirt, Method::GET, &format!("/api/v1/alerts/{id}"), None)
            .await
            .json();
        assert_eq!(alert["status"], "escalated");
    }
    // Another company's alert does not join; nor does the other officer see them.
    let theirs = raise_alerts(&app, gnd_id, &["esc-gnd"]).await;
    let across = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/alerts/escalate",
            Some(json!({ "alerts": [theirs[0]], "incident": second["ref_no"] })),
        )
        .await;
    assert_eq!(
        across.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        across.text()
    );
    let unseen = app
        .api(
            &gnd,
            Method::POST,
            "/api/v1/alerts/escalate",
            Some(json!({ "alerts": [raised[0]], "title": "x", "category": "other", "severity": "low" })),
        )
        .await;
    assert_eq!(unseen.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.api(
            &csirt,
            Method::POST,
            "/api/v1/alerts/escalate",
            Some(json!({ "alerts": [] }))
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // An exercise is marked, and filtered out of the real ones.
    let drill = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/incidents",
            Some(json!({
                "company_id": air, "title": "CSIRT 訓練: 標的型メール", "category": "phishing", "severity": "medium",
                "status": "detected", "detected_at": "2026-11-28T10:00:00+09:00", "exercise": true
            })),
        )
        .await;
    assert_eq!(drill.status, StatusCode::CREATED);
    let real = app
        .api(
            &csirt,
            Method::GET,
            "/api/v1/incidents?exercise=false&count=true",
            None,
        )
        .await
        .json();
    assert_eq!(real["total"], 4, "the demo's two real ones and these two");
    // The pages: the incident's timeline and links; the alert's escalate form.
    let (cookie, csrf) = app.login("csirt-inc", PASSWORD).await;
    let page = app
        .page(
            &format!("/r/incidents/{}", incident["id"].as_str().expect("id")),
            Some(&cookie),
        )
        .await
        .text();
    assert!(
        page.contains("プロキシログを保全した") && page.contains("CSIRT が受付"),
        "{page}"
    );
    let fresh = raise_alerts(&app, air, &["esc-form"]).await;
    let alert_page = app
        .page(&format!("/r/alerts/{}", fresh[0]), Some(&cookie))
        .await
        .text();
    assert!(
        alert_page.contains(&format!("/r/alerts/{}/escalate", fresh[0])),
        "{alert_page}"
    );
    let by_form = app
        .form(
            &format!("/r/alerts/{}/escalate", fresh[0]),
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("incident", ""),
                ("title", "フォームから起票"),
                ("category", "malware"),
                ("severity", "high"),
            ],
        )
        .await;
    assert_eq!(by_form.status, StatusCode::SEE_OTHER, "{}", by_form.text());
    let noted = app
        .form(
            &format!(
                "/r/incidents/{}/notes",
                incident["id"].as_str().expect("id")
            ),
            Some(&cookie),
            &[("csrf", &csrf), ("body", "経営層へ第一報")],
        )
        .await;
    assert_eq!(noted.status, StatusCode::SEE_OTHER);
    app.finish().await;
}
on_every_backend!(incidents_lifecycle_timeline_and_escalation, incident_flow);
/// A personal-data breach: mamori decides reportability from the facts,
/// explains it, and runs the clocks on the incident and the dashboard.
async fn breach_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, csirt) = app.user("csirt-breach", Role::Csirt, None, PASSWORD).await;
    let air = app.company_id("AIR").await;
    let base = json!({
        "company_id": air, "title": "顧客情報システムからの情報流出の疑い", "category": "data_leak",
        "severity": "critical", "status": "triage", "detected_at": "2026-04-01T09:00:00+09:00",
        "personal_data": true
    });
    let with = |extra: Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    // Facts that decide are required together.
    let missing = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/incidents",
            Some(with(json!({}))),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.text().contains("aware_at") && missing.text().contains("people_affected"));
    // Unauthorized access to 3,400 customers' data: 60 days, from 1 April JST.
    let made = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/incidents",
            Some(with(json!({
                "aware_at": "2026-04-01T10:30:00+09:00", "people_affected": 3400,
                "wrongful_purpose": true, "eu_residents": true,
                "data_items": "氏名、マイレージ会員番号、メールアドレス"
            }))),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let incident = made.json();
    assert_eq!(incident["ppc_report"], true);
    let instant = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("instant")).expect("rfc 3339")
    };
    let jst = |s: &str| chrono::DateTime::parse_from_rfc3339(s).expect("rfc 3339");
    assert_eq!(
        instant(&incident["preliminary_due"]),
        jst("2026-04-03T23:59:59+09:00")
    );
    assert_eq!(
        instant(&incident["final_due"]),
        jst("2026-06-01T23:59:59+09:00"),
        "day 60 is Saturday 30 May: the next working day"
    );
    assert_eq!(
        instant(&incident["gdpr_due"]),
        jst("2026-04-04T10:30:00+09:00")
    );
    // What mamori set cannot be written.
    let forced = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/incidents",
            Some(with(json!({ "ppc_report": false }))),
        )
        .await;
    assert_eq!(forced.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Encrypted with the key safe: nothing to report; an exercise neither.
    for extra in [
        json!({ "aware_at": "2026-04-01T10:30:00+09:00", "people_affected": 3400, "encrypted": true }),
        json!({ "aware_at": "2026-04-01T10:30:00+09:00", "people_affected": 3400, "exercise": true, "sensitive": true }),
    ] {
        let quiet = app
            .api(&csirt, Method::POST, "/api/v1/incidents", Some(with(extra)))
            .await;
        assert_eq!(quiet.status, StatusCode::CREATED, "{}", quiet.text());
        assert_eq!(quiet.json()["ppc_report"], false);
        assert_eq!(quiet.json()["final_due"], Value::Null);
    }
    // The page explains and counts down; the dashboard lists what is open.
    let (cookie, _) = app.login("csirt-breach", PASSWORD).await;
    let page = app
        .page(
            &format!("/r/incidents/{}", incident["id"].as_str().expect("id")),
            Some(&cookie),
        )
        .await
        .text();
    assert!(
        page.contains("個人情報保護委員会への報告と本人への通知が必要です")
            || page.contains("A report to the Personal Information Protection Commission"),
        "{page}"
    );
    assert!(
        page.contains("3400") || page.contains("3,400"),
        "the count explained"
    );
    assert!(
        page.contains("class=\"overdue\""),
        "1 April's clocks have run out"
    );
    let dashboard = app.page("/", Some(&cookie)).await.text();
    assert!(
        dashboard.contains("顧客情報システムからの情報流出の疑い"),
        "{dashboard}"
    );
    // Recording the final report stops its clock.
    let path = format!("/api/v1/incidents/{}", incident["id"].as_str().expect("id"));
    let reported = app
        .api(
            &csirt,
            Method::PATCH,
            &path,
            Some(json!({ "version": 1, "final_reported_at": "2026-05-20T15:00:00+09:00" })),
        )
        .await;
    assert_eq!(reported.status, StatusCode::OK, "{}", reported.text());
    let page = app
        .page(
            &format!("/r/incidents/{}", incident["id"].as_str().expect("id")),
            Some(&cookie),
        )
        .await
        .text();
    assert!(page.contains("2026-05-20 15:00"), "done, and when");
    // The regulators' drafts, filled from the incident and its corrective actions.
    let filled = app
        .api(
            &csirt,
            Method::PATCH,
            &path,
            Some(json!({
                "version": 2, "cause": "業務端末のマルウェア感染による認証情報の窃取",
                "secondary_damage": "現時点で不正利用は確認されていない",
                "announcement": "2026年4月10日に当社ウェブサイトで公表"
            })),
        )
        .await;
    assert_eq!(filled.status, StatusCode::OK, "{}", filled.text());
    let capa = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/corrective_actions",
            Some(json!({ "company_id": air, "title": "端末からの顧客DB直接接続の廃止", "status": "planned", "due_date": "2026-09-30" })),
        )
        .await
        .json();
    let linked = app
        .api(
            &csirt,
            Method::POST,
            &format!("{path}/links"),
            Some(json!({ "register": "corrective_actions", "record": capa["ref_no"] })),
        )
        .await;
    assert_eq!(linked.status, StatusCode::CREATED, "{}", linked.text());
    let id = incident["id"].as_str().expect("id");
    let draft = app
        .page(
            &format!("/r/incidents/{id}/report?kind=ppc_final"),
            Some(&cookie),
        )
        .await
        .text();
    for expected in [
        "(4) 原因",
        "業務端末のマルウェア感染による認証情報の窃取",
        "3400人",
        "不正の目的をもって行われたおそれがある事態",
        "端末からの顧客DB直接接続の廃止",
        "2026年4月10日に当社ウェブサイトで公表",
    ] {
        assert!(draft.contains(expected), "{expected} in {draft}");
    }
    let gdpr = app
        .page(
            &format!("/r/incidents/{id}/report?kind=gdpr"),
            Some(&cookie),
        )
        .await
        .text();
    assert!(
        gdpr.contains("Approximately 3400 data subjects") && gdpr.contains("(b) Contact point")
    );
    let xlsx = app
        .page(
            &format!("/r/incidents/{id}/report?kind=ppc_preliminary&format=xlsx"),
            Some(&cookie),
        )
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.body.starts_with(b"PK"), "an XLSX file");
    assert_eq!(
        app.page(
            &format!("/r/incidents/{id}/report?kind=memo"),
            Some(&cookie)
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    let last = &app.store.recent_audit(1).await.expect("audit")[0];
    assert_eq!(last.3, "export", "every draft taken is audited");
    // Reading an incident is not enough to take its data out in a draft.
    app.user("ext-breach", Role::ExternalAuditor, Some("AIR"), PASSWORD)
        .await;
    let (auditor, _) = app.login("ext-breach", PASSWORD).await;
    assert_eq!(
        app.page(&format!("/r/incidents/{id}"), Some(&auditor))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.page(
            &format!("/r/incidents/{id}/report?kind=ppc_final"),
            Some(&auditor)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    app.finish().await;
}
on_every_backend!(personal_data_breach_reportability_and_clocks, breach_flow);

/// A corrective action is verified, and closed, only with evidence.
async fn capa_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, officer) = app
        .user("air-capa", Role::SecurityOfficer, Some("AIR"), PASSWORD)
        .await;
    let air = app.company_id("AIR").await;
    let made = app
        .api(
            &officer,
            Method::POST,
            "/api/v1/corrective_actions",
            Some(json!({ "company_id": air, "title": "顧客DBへの接続元制限", "status": "implemented", "due_date": "2027-01-31",
                         "residual_likelihood": "1", "residual_impact": "2" })),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let capa = made.json();
    let closed_at_birth = app
        .api(
            &officer,
            Method::POST,
            "/api/v1/corrective_actions",
            Some(json!({ "company_id": air, "title": "x", "status": "closed", "due_date": "2027-01-31" })),
        )
        .await;
    assert_eq!(closed_at_birth.status, StatusCode::UNPROCESSABLE_ENTITY);
    let path = format!(
        "/api/v1/corrective_actions/{}",
        capa["id"].as_str().expect("id")
    );
    let verify = |version: i64| {
        let (app, officer, path) = (&app, officer.clone(), path.clone());
        async move {
            app.api(
                &officer,
                Method::PATCH,
                &path,
                Some(json!({ "version": version, "status": "verified", "verification": "接続ログで拒否を確認" })),
            )
            .await
        }
    };
    let refused = verify(1).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("only with evidence"),
        "{}",
        refused.text()
    );
    let unchanged = app.api(&officer, Method::GET, &path, None).await.json();
    assert_eq!(unchanged["status"], "implemented", "nothing changed");
    assert_eq!(unchanged["version"], 1);
    let attached = app
        .raw(
            &officer,
            Method::POST,
            &format!("{path}/evidence?filename=接続ログ.csv"),
            "text/csv",
            "時刻,送信元,結果\n2026-11-28 10:00,198.51.100.7,拒否\n"
                .as_bytes()
                .to_vec(),
        )
        .await;
    assert_eq!(attached.status, StatusCode::CREATED, "{}", attached.text());
    // The risk it treats: once the measure is verified, the risk stands
    // where the corrective action says (and an archived one is left be).
    let capa_ref = capa["ref_no"].clone();
    let risk = |title: &'static str| {
        let (app, officer, capa_ref) = (&app, officer.clone(), capa_ref.clone());
        async move {
            let made = app
                .api(
                    &officer,
                    Method::POST,
                    "/api/v1/risks",
                    Some(json!({ "company_id": air, "title": title, "status": "treating", "treatment": "mitigate",
                                 "inherent_likelihood": "4", "inherent_impact": "4",
                                 "residual_likelihood": "3", "residual_impact": "3" })),
                )
                .await;
            assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
            let risk = made.json();
            let linked = app
                .api(
                    &officer,
                    Method::POST,
                    &format!("/api/v1/risks/{}/links", risk["id"].as_str().expect("id")),
                    Some(json!({ "register": "corrective_actions", "record": capa_ref })),
                )
                .await;
            assert_eq!(linked.status, StatusCode::CREATED, "{}", linked.text());
            risk
        }
    };
    let treated = risk("顧客DBへの不正接続").await;
    let retired = risk("旧顧客DBへの不正接続").await;
    let archived = app
        .api(
            &officer,
            Method::POST,
            &format!(
                "/api/v1/risks/{}/archive",
                retired["id"].as_str().expect("id")
            ),
            Some(json!({ "version": retired["version"] })),
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.text());
    // The CSIRT may verify corrective actions but not change risks: the
    // move that would change them is refused to it.
    let (_, csirt) = app.user("csirt-capa", Role::Csirt, None, PASSWORD).await;
    let by_csirt = app
        .api(
            &csirt,
            Method::PATCH,
            &path,
            Some(json!({ "version": 1, "status": "verified", "verification": "確認" })),
        )
        .await;
    assert_eq!(
        by_csirt.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        by_csirt.text()
    );
    assert!(by_csirt.text().contains("risks"), "{}", by_csirt.text());
    let verified = verify(1).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text());
    let now = app
        .api(
            &officer,
            Method::GET,
            &format!("/api/v1/risks/{}", treated["id"].as_str().expect("id")),
            None,
        )
        .await
        .json();
    assert_eq!(
        (
            now["residual_likelihood"].as_str(),
            now["residual_impact"].as_str()
        ),
        (Some("1"), Some("2")),
        "{now}"
    );
    assert_eq!(now["residual_score"], 2);
    assert_eq!(now["version"], treated["version"].as_i64().expect("v") + 1);
    let timeline = app
        .api(
            &officer,
            Method::GET,
            &format!(
                "/api/v1/risks/{}/timeline",
                treated["id"].as_str().expect("id")
            ),
            None,
        )
        .await
        .json();
    let last = timeline["items"]
        .as_array()
        .and_then(|i| i.last())
        .cloned()
        .expect("a change");
    assert_eq!(last["by"], "air-capa", "{timeline}");
    let left = app
        .api(
            &officer,
            Method::GET,
            &format!("/api/v1/risks/{}", retired["id"].as_str().expect("id")),
            None,
        )
        .await
        .json();
    assert_eq!(
        left["residual_likelihood"], "3",
        "archived risks are left be"
    );
    // Half a position is refused by the corrective action itself.
    let half = app
        .api(
            &officer,
            Method::POST,
            "/api/v1/corrective_actions",
            Some(json!({ "company_id": air, "title": "半端", "status": "planned", "due_date": "2027-01-31",
                         "residual_likelihood": "2" })),
        )
        .await;
    assert_eq!(
        half.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        half.text()
    );
    assert!(half.text().contains("residual_impact"));
    app.finish().await;
}
on_every_backend!(corrective_actions_close_only_with_evidence, capa_flow);
/// Drills count towards the program's obligation per company and fiscal
/// year, and never as real incidents.
async fn drills_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, csirt) = app.user("csirt-drill", Role::Csirt, None, PASSWORD).await;
    let gnd = app.company_id("GND").await;
    let now = Utc::now().to_rfc3339();
    for title in ["訓練: ランサムウェア", "訓練: 誤送信"] {
        let made = app
            .api(
                &csirt,
                Method::POST,
                "/api/v1/incidents",
                Some(json!({
                    "company_id": gnd, "title": title, "category": "other", "severity": "medium",
                    "status": "detected", "detected_at": now, "exercise": true
                })),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    }
    let (cookie, _) = app.login("csirt-drill", PASSWORD).await;
    let dashboard = app.page("/", Some(&cookie)).await.text();
    let row = |code: &str| {
        dashboard
            .split("<tr")
            .find(|r| r.contains("data-drills=") && r.contains(&format!("<td>{code} ")))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        row("GND").contains("data-drills=\"2\"") && !row("GND").contains("overdue"),
        "{dashboard}"
    );
    assert!(row("TRV").contains("data-drills=\"0\"") && row("TRV").contains("overdue"));
    // The incidents tile counts the demo's two real incidents, not the drills.
    assert!(
        dashboard.contains("<span class=\"count\">2</span><span>インシデント対応</span>")
            || dashboard.contains("<span class=\"count\">2</span><span>Incident response</span>"),
        "{dashboard}"
    );
    app.finish().await;
}
on_every_backend!(drills_count_per_fiscal_year_and_never_as_real, drills_flow);
/// Opening an incident applies its company's playbooks as tasks; the
/// incident's page lists them.
async fn playbook_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, csirt) = app.user("csirt-pbk", Role::Csirt, None, PASSWORD).await;
    let (air, gnd) = (app.company_id("AIR").await, app.company_id("GND").await);
    let open = |company: Uuid, category: &str| {
        let (app, csirt) = (&app, csirt.clone());
        let body = json!({
            "company_id": company, "title": "会員アカウントへの不正ログイン", "category": category,
            "severity": "high", "status": "detected", "detected_at": "2026-11-28T09:00:00+09:00"
        });
        async move {
            app.api(&csirt, Method::POST, "/api/v1/incidents", Some(body))
                .await
                .json()
        }
    };
    let incident = open(air, "account_takeover").await;
    let tasks = app
        .api(
            &csirt,
            Method::GET,
            &format!(
                "/api/v1/incident_tasks?incident={}&sort=due_date&limit=50",
                incident["id"].as_str().expect("id")
            ),
            None,
        )
        .await
        .json();
    let items = tasks["items"].as_array().expect("items");
    assert_eq!(items.len(), 6, "the airline's six steps: {tasks}");
    assert!(items.iter().all(|t| t["status"] == "open"));
    assert_eq!(items[0]["due_date"], "2026-11-28");
    assert_eq!(items[5]["due_date"], "2026-12-28", "+30 days");
    // Another company, or a category without a playbook: no tasks.
    for made in [
        open(gnd, "account_takeover").await,
        open(air, "misdelivery").await,
    ] {
        let none = app
            .api(
                &csirt,
                Method::GET,
                &format!(
                    "/api/v1/incident_tasks?incident={}&count=true",
                    made["id"].as_str().expect("id")
                ),
                None,
            )
            .await
            .json();
        assert_eq!(none["total"], 0);
    }
    // A company edits its own playbook: an empty one is refused.
    let bad = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/playbooks",
            Some(json!({ "company_id": gnd, "name": "空", "category": "malware", "steps": "\n\n", "active": true })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The incident's page lists its tasks.
    let (cookie, _) = app.login("csirt-pbk", PASSWORD).await;
    let page = app
        .page(
            &format!("/r/incidents/{}", incident["id"].as_str().expect("id")),
            Some(&cookie),
        )
        .await
        .text();
    assert!(
        page.contains("攻撃元のアドレス・ネットワークを遮断する"),
        "{page}"
    );
    assert!(page.contains("section class=\"referred\""));
    app.finish().await;
}
on_every_backend!(playbooks_become_tasks_when_an_incident_opens, playbook_flow);

/// The people an incident affects are kept sealed: readable by the CSIRT
/// alone, each reading audited, and never in plain text in the database or
/// a backup of it.
async fn vault_flow(b: Backend) {
    use mamori_store::vault::Vault;
    let first = Vault::new_key_line("k2026").expect("key");
    let app = TestApp::with_vault(
        b,
        Config {
            require_totp: false,
            ..Config::default()
        },
        Some(Vault::from_text(&first).expect("keys")),
    )
    .await;
    let (_, csirt) = app.user("csirt-vault", Role::Csirt, None, PASSWORD).await;
    let (_, officer) = app
        .user("air-vault", Role::SecurityOfficer, Some("AIR"), PASSWORD)
        .await;
    let (_, admin) = app.user("root-vault", Role::Admin, None, PASSWORD).await;
    let incidents = app
        .api(
            &csirt,
            Method::GET,
            "/api/v1/incidents?category=data_leak",
            None,
        )
        .await
        .json();
    let incident = incidents["items"][0]["id"]
        .as_str()
        .expect("the demo's leak")
        .to_owned();
    let path = format!("/api/v1/incidents/{incident}/people");
    let people = json!([
        { "name": "山田 太郎", "member_no": "JM12345678", "email": "taro.yamada@example.jp", "phone": "090-1234-5678" },
        { "name": "佐藤 花子", "email": "hanako.sato@example.jp", "address": "東京都大田区羽田空港3-3-2" }
    ]);
    let added = app.api(&csirt, Method::POST, &path, Some(people)).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    assert_eq!(added.json()["added"], 2);
    // Bad lists are refused whole.
    let nameless = app
        .api(
            &csirt,
            Method::POST,
            &path,
            Some(json!([{ "email": "x@example.jp" }])),
        )
        .await;
    assert_eq!(nameless.status, StatusCode::UNPROCESSABLE_ENTITY);
    let not_a_list = app
        .api(&csirt, Method::POST, &path, Some(json!({ "name": "x" })))
        .await;
    assert_eq!(not_a_list.status, StatusCode::BAD_REQUEST);
    // Read by the CSIRT, audited; not by the company's officer or an administrator.
    let read = app.api(&csirt, Method::GET, &path, None).await.json();
    let names: Vec<&str> = read["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["山田 太郎", "佐藤 花子"]);
    let last = &app.store.recent_audit(1).await.expect("audit")[0];
    assert_eq!(
        (last.3.as_str(), last.2.as_str()),
        ("vault_read", "csirt-vault")
    );
    for token in [&officer, &admin] {
        assert_eq!(
            app.api(token, Method::GET, &path, None).await.status,
            StatusCode::FORBIDDEN
        );
    }
    // No plain text in the database file, its write-ahead log, or a backup.
    if let Some(file) = &app.db_file {
        let backup = file.with_extension("backup.db");
        if let mamori_store::Db::Sqlite(pool) = app.store.db() {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "VACUUM INTO '{}'",
                backup.display()
            )))
            .execute(pool)
            .await
            .expect("backup");
        }
        let mut wal = file.clone().into_os_string();
        wal.push("-wal");
        // The search finds what is kept in clear (a demo incident's title).
        let control = "標的型メールによる端末感染と顧客情報の流出".as_bytes();
        let found = [file.clone(), std::path::PathBuf::from(&wal), backup.clone()]
            .iter()
            .map(|p| std::fs::read(p).unwrap_or_default())
            .filter(|bytes| bytes.windows(control.len()).any(|w| w == control))
            .count();
        assert!(
            found >= 2,
            "the clear title is in the file or its log, and in the backup"
        );
        for path in [file.clone(), std::path::PathBuf::from(wal), backup] {
            let bytes = std::fs::read(&path).unwrap_or_default();
            for secret in [
                "taro.yamada@example.jp",
                "山田 太郎",
                "090-1234-5678",
                "羽田空港3-3-2",
                "JM12345678",
            ] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{secret} in {}",
                    path.display()
                );
            }
        }
    }
    // The page: the count, an audited opening, a CSV upload; bad columns named.
    let (cookie, csrf) = app.login("csirt-vault", PASSWORD).await;
    let incident_page = app
        .page(&format!("/r/incidents/{incident}"), Some(&cookie))
        .await
        .text();
    assert!(
        incident_page.contains("data-people=\"2\""),
        "{incident_page}"
    );
    let (officer_cookie, _) = app.login("air-vault", PASSWORD).await;
    let officer_page = app
        .page(&format!("/r/incidents/{incident}"), Some(&officer_cookie))
        .await
        .text();
    assert!(
        !officer_page.contains("data-people="),
        "officers do not see the vault"
    );
    let opened = app
        .page(&format!("/r/incidents/{incident}/people"), Some(&cookie))
        .await;
    assert_eq!(opened.status, StatusCode::OK);
    assert!(opened.text().contains("taro.yamada@example.jp"));
    let boundary = "mamoriVault1";
    let upload = |csv: &str| {
        Request::builder()
            .method(Method::POST)
            .uri(format!("/r/incidents/{incident}/people?csrf={csrf}"))
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
            )))
            .expect("request")
    };
    let added = app
        .send(upload(
            "\u{feff}name,email,member_no\n鈴木 一郎,ichiro.suzuki@example.jp,JM00000001\n",
        ))
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    let bad = app.send(upload("name,passport\n鈴木 一郎,X\n")).await;
    assert!(bad.text().contains("passport"), "{}", bad.text());
    assert_eq!(
        app.store
            .count_affected(parse_uuid(&incident))
            .await
            .expect("count"),
        3
    );
    // Rotation: a new key first, everything resealed, the old key dropped.
    let second = Vault::new_key_line("k2027").expect("key");
    let rotated = app
        .store
        .clone()
        .with_vault(Vault::from_text(&format!("{second}\n{first}")).expect("keys"));
    let actor = Actor::system("test");
    assert_eq!(
        rotated
            .reseal_vault(&actor, Utc::now())
            .await
            .expect("reseal"),
        3
    );
    let only_new = app
        .store
        .clone()
        .with_vault(Vault::from_text(&second).expect("keys"));
    let company = app.company_id("AIR").await;
    let opened = only_new
        .open_affected(parse_uuid(&incident), company, &actor, Utc::now())
        .await
        .expect("opens under the new key");
    assert_eq!(opened.len(), 3);
    app.finish().await;
}
on_every_backend!(customer_data_vault_seals_and_audits, vault_flow);

fn parse_uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).expect("uuid")
}

/// Without the operator's key, the vault refuses to take anything.
async fn vault_without_key(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, csirt) = app.user("csirt-nokey", Role::Csirt, None, PASSWORD).await;
    let incidents = app
        .api(&csirt, Method::GET, "/api/v1/incidents", None)
        .await
        .json();
    let incident = incidents["items"][0]["id"]
        .as_str()
        .expect("an incident")
        .to_owned();
    let refused = app
        .api(
            &csirt,
            Method::POST,
            &format!("/api/v1/incidents/{incident}/people"),
            Some(json!([{ "name": "山田 太郎" }])),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.text().contains("vault has no key"),
        "{}",
        refused.text()
    );
    app.finish().await;
}
on_every_backend!(the_vault_needs_the_operators_key, vault_without_key);
/// A notice is drafted, reviewed, approved by someone named, published on
/// the public pages for anyone to read, and withdrawn from them.
async fn disclosure_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, ciso) = app.user("hd-pub", Role::CisoOffice, None, PASSWORD).await;
    let (_, second) = app.user("hd-pub-2", Role::CisoOffice, None, PASSWORD).await;
    let air = app.company_id("AIR").await;
    let approver = app
        .api(
            &ciso,
            Method::GET,
            &format!("/api/v1/people?company={air}&limit=1"),
            None,
        )
        .await
        .json()["items"][0]["id"]
        .clone();
    let made = app
        .api(
            &ciso,
            Method::POST,
            "/api/v1/disclosures",
            Some(json!({
                "company_id": air, "title": "不正ログインによるお客様情報の流出について",
                "status": "draft", "body": "2026年4月1日、当社会員サイトへの不正ログインを確認しました。"
            })),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let id = made.json()["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/disclosures/{id}");
    let step_by = |who: String, version: i64, body: Value| {
        let (app, path) = (&app, path.clone());
        async move {
            let mut body = body;
            body["version"] = json!(version);
            app.api(&who, Method::PATCH, &path, Some(body)).await
        }
    };
    let step = |version: i64, body: Value| step_by(ciso.clone(), version, body);
    let public = || async { app.page("/public/notices", None).await.text() };
    assert!(
        !public()
            .await
            .contains("不正ログインによるお客様情報の流出について"),
        "a draft stays inside"
    );
    assert_eq!(
        step(1, json!({ "status": "published" })).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        step(1, json!({ "status": "in_review" })).await.status,
        StatusCode::OK
    );
    let unnamed = step(2, json!({ "status": "approved" })).await;
    assert_eq!(unnamed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unnamed.text().contains("approved_by"));
    // Four eyes: who wrote it does not approve it.
    let own = step(2, json!({ "status": "approved", "approved_by": approver })).await;
    assert_eq!(
        own.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        own.text()
    );
    assert!(own.text().contains("four eyes"), "{}", own.text());
    assert_eq!(
        step_by(
            second.clone(),
            2,
            json!({ "status": "approved", "approved_by": approver })
        )
        .await
        .status,
        StatusCode::OK
    );
    // What was approved is what goes out: no edit without going back.
    let edit = step(3, json!({ "body": "承認後に書き換えた本文" })).await;
    assert_eq!(
        edit.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        edit.text()
    );
    assert!(edit.text().contains("body"));
    assert_eq!(
        step(3, json!({ "status": "published" })).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nor does its writer publish it"
    );
    let renamed = step_by(
        second.clone(),
        3,
        json!({ "status": "published", "approved_by": Value::Null }),
    )
    .await;
    assert_eq!(
        renamed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "publishing renames nobody"
    );
    let published = step_by(second.clone(), 3, json!({ "status": "published" })).await;
    assert_eq!(published.status, StatusCode::OK);
    assert_eq!(
        published.json()["approved_account"],
        "hd-pub-2",
        "who approved, recorded"
    );
    let forged = step_by(
        second.clone(),
        4,
        json!({ "status": "withdrawn", "approved_account": "someone" }),
    )
    .await;
    assert_eq!(
        forged.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "set by mamori alone"
    );
    // Anyone reads it, without signing in; its page too.
    let listed = public().await;
    assert!(
        listed.contains("不正ログインによるお客様情報の流出について"),
        "{listed}"
    );
    assert!(listed.contains("2026年4月1日、当社会員サイトへの不正ログインを確認しました。"));
    let one = app.page(&format!("/public/notices/{id}"), None).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(
        step(4, json!({ "status": "withdrawn" })).await.status,
        StatusCode::OK
    );
    assert!(
        !public()
            .await
            .contains("不正ログインによるお客様情報の流出について"),
        "withdrawn"
    );
    assert_eq!(
        app.page(&format!("/public/notices/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Its history is kept: every version, with who made it.
    let timeline = app
        .api(&ciso, Method::GET, &format!("{path}/timeline"), None)
        .await
        .json();
    assert_eq!(timeline["items"].as_array().map(Vec::len), Some(5));
    app.finish().await;
}
on_every_backend!(disclosures_publish_after_approval, disclosure_flow);
/// Reminders before a deadline and alerts after it go to the webhook,
/// each once; exercises and clocks already stopped send nothing.
async fn reminder_flow(b: Backend) {
    use axum::routing::post;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    let receiver = axum::Router::new().route(
        "/hook",
        post(move |body: axum::body::Bytes| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body.to_vec());
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let app = TestApp::with_config(
        b,
        Config {
            require_totp: false,
            alert_webhook: format!("http://127.0.0.1:{port}/hook"),
            ..Config::default()
        },
    )
    .await;
    let (_, csirt) = app.user("csirt-remind", Role::Csirt, None, PASSWORD).await;
    let air = app.company_id("AIR").await;
    let now = Utc::now();
    let open = |aware: chrono::DateTime<Utc>, exercise: bool| {
        let (app, csirt) = (&app, csirt.clone());
        async move {
            let made = app
                .api(
                    &csirt,
                    Method::POST,
                    "/api/v1/incidents",
                    Some(json!({
                        "company_id": air, "title": format!("期限の試験 {exercise}"), "category": "data_leak",
                        "severity": "high", "status": "triage", "detected_at": aware.to_rfc3339(),
                        "personal_data": true, "aware_at": aware.to_rfc3339(), "people_affected": 5000,
                        "exercise": exercise
                    })),
                )
                .await;
            assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
            made.json()
        }
    };
    // Aware 40 days ago: the preliminary and final reports are overdue.
    let late = open(now - chrono::Duration::days(40), false).await;
    // An exercise never sends anything.
    open(now - chrono::Duration::days(40), true).await;
    let sent = mamori_server::reminders::scan(&app.state, now)
        .await
        .expect("scan");
    let kinds: Vec<(String, String)> = sent
        .iter()
        .map(|n| {
            (
                n["type"].as_str().unwrap_or_default().to_owned(),
                n["clock"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("mamori.deadline.overdue".into(), "final".into())),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("mamori.deadline.overdue".into(), "preliminary".into())));
    assert!(
        sent.iter().all(|n| n["incident"] == late["ref_no"]),
        "only the real one: {sent:?}"
    );
    // Each goes once, also to the receiver.
    assert!(
        mamori_server::reminders::scan(&app.state, now)
            .await
            .expect("scan")
            .is_empty()
    );
    for _ in 0..sent.len() {
        let body = tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
            .await
            .expect("delivered")
            .expect("a body");
        let notice: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(notice["incident"], late["ref_no"]);
    }
    // Aware two days ago: the preliminary target ends tonight (JST), a
    // reminder; the final report is weeks away, nothing yet.
    let soon = open(now - chrono::Duration::hours(48), false).await;
    let later = mamori_server::reminders::scan(&app.state, now)
        .await
        .expect("scan");
    let about_soon: Vec<&Value> = later
        .iter()
        .filter(|n| n["incident"] == soon["ref_no"])
        .collect();
    assert_eq!(about_soon.len(), 1, "{later:?}");
    assert_eq!(about_soon[0]["type"], "mamori.deadline.due_soon");
    assert_eq!(about_soon[0]["clock"], "preliminary");
    app.finish().await;
}
on_every_backend!(deadline_reminders_go_once_to_the_webhook, reminder_flow);

// ---- notification: on-duty roster, escalation rules, e-mail ----

/// A real SMTP server (aiosmtpd, `scripts/smtp_sink.py`) that writes every
/// message it accepts, decoded, to a folder. It needs a Python with
/// aiosmtpd in `MAMORI_TEST_SMTP_PYTHON` (`.ci/run` makes one); outside CI
/// the e-mail test is skipped without it, in CI it fails.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
    spool: std::path::PathBuf,
}

impl SmtpSink {
    fn start() -> Option<SmtpSink> {
        let python = match std::env::var("MAMORI_TEST_SMTP_PYTHON") {
            Ok(p) if !p.is_empty() => p,
            _ => {
                assert!(
                    std::env::var("CI").is_err(),
                    "CI must set MAMORI_TEST_SMTP_PYTHON to a Python with aiosmtpd"
                );
                eprintln!("e-mail test skipped: set MAMORI_TEST_SMTP_PYTHON (see .ci/run)");
                return None;
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let spool = std::env::temp_dir().join(format!("mamori-smtp-{}", Uuid::now_v7()));
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/smtp_sink.py");
        let mut child = std::process::Command::new(python)
            .args([script, &port.to_string(), &spool.display().to_string()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the SMTP sink starts");
        let mut line = String::new();
        let out = child.stdout.take().expect("stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line)
            .expect("the sink speaks");
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start");
        Some(SmtpSink { child, port, spool })
    }

    /// What the server has received so far, in order.
    fn received(&self) -> Vec<Value> {
        let mut names: Vec<_> = std::fs::read_dir(&self.spool)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        names.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|e| e == "json"));
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).expect("read")).expect("json"))
            .collect()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.spool);
    }
}

/// The roster and the rules decide who is mailed, when, and only once;
/// escalation waits for the delay and stops once triage begins; alerts,
/// drill injects; a down server is retried and shown; the outbox page is
/// scoped.
async fn notification_flow(b: Backend) {
    let Some(mut sink) = SmtpSink::start() else {
        return;
    };
    let app = TestApp::with_config(
        b,
        Config {
            require_totp: false,
            public_url: "https://mamori.air.example".into(),
            smtp: mamori_server::config::Smtp {
                host: "127.0.0.1".into(),
                port: sink.port,
                security: "none".into(),
                from: "mamori <mamori@air.example>".into(),
                ..Default::default()
            },
            ..Config::default()
        },
    )
    .await;
    let (_, csirt) = app.user("csirt-notify", Role::Csirt, None, PASSWORD).await;
    let air = app.company_id("AIR").await;
    // The demo airline's own roster and rules step aside.
    for register in ["duty_shifts", "escalation_rules"] {
        let list = app
            .api(
                &csirt,
                Method::GET,
                &format!("/api/v1/{register}?limit=500"),
                None,
            )
            .await
            .json();
        for item in list["items"].as_array().expect("items") {
            let gone = app
                .api(
                    &csirt,
                    Method::POST,
                    &format!(
                        "/api/v1/{register}/{}/archive",
                        item["id"].as_str().expect("id")
                    ),
                    Some(json!({ "version": item["version"] })),
                )
                .await;
            assert_eq!(gone.status, StatusCode::OK, "{}", gone.text());
        }
    }
    let start = Utc::now();
    let post = |register: &'static str, body: Value| {
        let (app, csirt) = (&app, csirt.clone());
        async move {
            let made = app
                .api(
                    &csirt,
                    Method::POST,
                    &format!("/api/v1/{register}"),
                    Some(body),
                )
                .await;
            assert_eq!(
                made.status,
                StatusCode::CREATED,
                "{register}: {}",
                made.text()
            );
            made.json()
        }
    };
    let (_, admin) = app.user("admin-notify", Role::Admin, None, PASSWORD).await;
    let person = |no: &'static str, email: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let made = app
                .api(
                    &admin,
                    Method::POST,
                    "/api/v1/people",
                    Some(
                        json!({ "company_id": air, "employee_no": no, "family_name": "当番",
                                 "given_name": no, "email": email, "employment": "employee" }),
                    ),
                )
                .await;
            assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
            made.json()
        }
    };
    let first = person("D001", "duty1@air.example").await;
    let gone = person("D002", "offduty@air.example").await;
    let second = person("D003", "duty2@air.example").await;
    let hours = |h: i64| (start + Duration::hours(h)).to_rfc3339();
    for (who, tier, from, to) in [
        (&first, "1", -1, 8),
        (&gone, "1", -10, -1),
        (&second, "2", -1, 8),
    ] {
        post(
            "duty_shifts",
            json!({ "company_id": air, "person": who["id"], "tier": tier,
                    "starts_at": hours(from), "ends_at": hours(to) }),
        )
        .await;
    }
    // A shift that ends before it starts is refused, naming the field.
    let backwards = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/duty_shifts",
            Some(
                json!({ "company_id": air, "person": first["id"], "tier": "1",
                         "starts_at": hours(2), "ends_at": hours(1) }),
            ),
        )
        .await;
    assert_eq!(
        backwards.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        backwards.text()
    );
    assert!(backwards.text().contains("ends_at"));
    let rule = |name: &'static str, extra: Value| {
        let mut body =
            json!({ "company_id": air, "name": name, "active": true, "after_minutes": 0 });
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        post("escalation_rules", body)
    };
    rule(
        "重大度「高」以上は当番へ即時",
        json!({ "event": "incident_opened", "tier": "1", "min_severity": "high" }),
    )
    .await;
    rule(
        "30分未着手なら第2段階とCISO室へ",
        json!({ "event": "incident_opened", "tier": "2", "after_minutes": 30,
                "also_notify": "ciso-office@air.example" }),
    )
    .await;
    rule(
        "高以上のアラート",
        json!({ "event": "alert_new", "tier": "1", "min_level": "high" }),
    )
    .await;
    rule(
        "訓練インジェクト",
        json!({ "event": "drill_inject", "tier": "1" }),
    )
    .await;
    let mut off = rule(
        "無効な規則",
        json!({ "event": "incident_opened", "tier": "1" }),
    )
    .await;
    off = app
        .api(
            &csirt,
            Method::PATCH,
            &format!(
                "/api/v1/escalation_rules/{}",
                off["id"].as_str().expect("id")
            ),
            Some(json!({ "active": false, "version": off["version"] })),
        )
        .await
        .json();
    assert_eq!(off["active"], false);
    // A severity outside the configured scale is refused.
    let bad = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/escalation_rules",
            Some(
                json!({ "company_id": air, "name": "x", "event": "incident_opened", "tier": "1",
                         "after_minutes": 0, "min_severity": "catastrophic" }),
            ),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    assert!(bad.text().contains("min_severity"), "{}", bad.text());

    let incident = |title: &'static str, severity: &'static str, exercise: bool| {
        post(
            "incidents",
            json!({ "company_id": air, "title": title, "category": "unauthorized_access",
                    "severity": severity, "status": "detected", "exercise": exercise,
                    "detected_at": Utc::now().to_rfc3339() }),
        )
    };
    let high = incident("顧客情報システムへの不正アクセス", "high", false).await;
    let low = incident("不審メールの報告", "low", false).await;
    let minute = start + Duration::minutes(1);
    let queued = mamori_server::notify::scan(&app.state, minute)
        .await
        .expect("scan");
    assert_eq!(
        queued.len(),
        1,
        "only the high one, only the first rule: {queued:?}"
    );
    assert!(
        mamori_server::notify::scan(&app.state, minute)
            .await
            .expect("scan")
            .is_empty(),
        "nothing twice"
    );
    assert_eq!(
        mamori_server::notify::deliver(&app.state, minute)
            .await
            .expect("deliver"),
        1
    );
    let got = sink.received();
    assert_eq!(got.len(), 1, "{got:?}");
    let mail = &got[0];
    assert_eq!(
        mail["rcpt_tos"],
        json!(["duty1@air.example"]),
        "tier 1, on duty now"
    );
    assert_eq!(mail["mail_from"], "mamori@air.example");
    let subject = mail["subject"].as_str().expect("subject");
    assert!(subject.contains("新規インシデント"), "{subject}");
    assert!(
        subject.contains(high["ref_no"].as_str().expect("ref")),
        "{subject}"
    );
    assert!(
        subject.contains("顧客情報システムへの不正アクセス"),
        "{subject}"
    );
    let body = mail["body"].as_str().expect("body");
    assert!(body.contains("高 / High"), "{body}");
    assert!(
        body.contains("不正アクセス / Unauthorized access"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "https://mamori.air.example/r/incidents/{}",
            high["id"].as_str().expect("id")
        )),
        "{body}"
    );
    assert!(body.contains("重大度「高」以上は当番へ即時"), "{body}");
    assert!(
        mamori_server::notify::deliver(&app.state, minute)
            .await
            .expect("deliver")
            == 0
    );

    // Triage begins on the low one; 31 minutes on, only the high one is
    // still untouched, and goes to tier 2 and the CISO office.
    let moved = app
        .api(
            &csirt,
            Method::PATCH,
            &format!("/api/v1/incidents/{}", low["id"].as_str().expect("id")),
            Some(json!({ "status": "triage", "status_reason": "受付", "version": low["version"] })),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
    let later = start + Duration::minutes(31);
    let queued = mamori_server::notify::scan(&app.state, later)
        .await
        .expect("scan");
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(
        mamori_server::notify::deliver(&app.state, later)
            .await
            .expect("deliver"),
        1
    );
    let got = sink.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[1]["rcpt_tos"],
        json!(["ciso-office@air.example", "duty2@air.example"])
    );
    assert!(
        got[1]["subject"]
            .as_str()
            .expect("s")
            .contains("未着手のインシデント")
    );
    assert!(got[1]["body"].as_str().expect("b").contains("30分"));

    // Alerts: one message for the new high alerts.
    let raised = raise_alerts(&app, air, &["notify-1", "notify-2"]).await;
    let queued = mamori_server::notify::scan(&app.state, later + Duration::minutes(1))
        .await
        .expect("scan");
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert!(
        mamori_server::notify::scan(&app.state, later + Duration::minutes(2))
            .await
            .expect("scan")
            .is_empty(),
        "each alert is told once"
    );

    // Drill injects reach an exercise's timeline (and e-mail) when due;
    // never a real incident's.
    let drill = incident("標的型メール訓練", "medium", true).await;
    let inject = post(
        "drill_injects",
        json!({ "company_id": air, "incident": drill["id"], "due_at": hours(1),
                "message": "攻撃者が別の端末からも通信を開始した" }),
    )
    .await;
    let stray = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/drill_injects",
            Some(json!({ "company_id": air, "incident": high["id"], "due_at": (start - Duration::minutes(5)).to_rfc3339(),
                         "message": "実インシデントには届かない" })),
        )
        .await;
    assert_eq!(
        stray.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        stray.text()
    );
    assert!(stray.text().contains("exercise"), "{}", stray.text());
    let before = mamori_server::notify::scan(&app.state, later + Duration::minutes(3))
        .await
        .expect("scan");
    assert!(before.is_empty(), "not due yet: {before:?}");
    let at = start + Duration::minutes(61);
    let queued = mamori_server::notify::scan(&app.state, at)
        .await
        .expect("scan");
    assert_eq!(queued.len(), 1, "{queued:?}");
    let notes = app
        .store
        .notes_of(
            &registers::INCIDENTS,
            parse_uuid(drill["id"].as_str().expect("id")),
        )
        .await
        .expect("notes");
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]
            .body
            .contains("攻撃者が別の端末からも通信を開始した")
    );
    let delivered = app
        .api(
            &csirt,
            Method::GET,
            &format!(
                "/api/v1/drill_injects/{}",
                inject["id"].as_str().expect("id")
            ),
            None,
        )
        .await
        .json();
    assert!(delivered["delivered_at"].is_string(), "{delivered}");
    assert!(
        app.store
            .notes_of(
                &registers::INCIDENTS,
                parse_uuid(high["id"].as_str().expect("id"))
            )
            .await
            .expect("notes")
            .is_empty()
    );
    assert_eq!(
        mamori_server::notify::deliver(&app.state, at)
            .await
            .expect("deliver"),
        2
    );
    let got = sink.received();
    assert_eq!(got.len(), 4);
    let alerts_mail = got
        .iter()
        .find(|m| {
            m["subject"]
                .as_str()
                .is_some_and(|s| s.contains("新しいアラート"))
        })
        .expect("the alerts' message");
    for id in &raised {
        assert!(
            alerts_mail["body"]
                .as_str()
                .expect("b")
                .contains(&id.to_string())
        );
    }
    let inject_mail = got
        .iter()
        .find(|m| {
            m["subject"]
                .as_str()
                .is_some_and(|s| s.contains("訓練インジェクト"))
        })
        .expect("the inject's message");
    assert!(
        inject_mail["subject"]
            .as_str()
            .expect("s")
            .contains("【訓練 / EXERCISE】")
    );

    // The server goes down: the message waits and is shown with the reason.
    sink.stop();
    let urgent = incident("マイレージ口座の乗っ取り", "critical", false).await;
    let down = Utc::now() + Duration::minutes(1);
    assert_eq!(
        mamori_server::notify::scan(&app.state, down)
            .await
            .expect("scan")
            .len(),
        1
    );
    assert_eq!(
        mamori_server::notify::deliver(&app.state, down)
            .await
            .expect("deliver"),
        0
    );
    let outbox = app
        .store
        .recent_mail(&mamori_domain::authz::Scope::All, 10)
        .await
        .expect("outbox");
    let waiting = outbox
        .iter()
        .find(|m| m.subject.contains(urgent["ref_no"].as_str().expect("ref")))
        .expect("queued");
    assert!(waiting.sent_at.is_none() && waiting.failed_at.is_none());
    assert_eq!(waiting.attempts, 1);
    assert!(waiting.last_error.is_some());
    assert!(waiting.next_try_at > down, "tried again later");
    // The outbox page: the CSIRT sees it; another company's officer not.
    let (_, _) = app
        .user("csirt-notify-web", Role::Csirt, None, PASSWORD)
        .await;
    let (cookie, _) = app.login("csirt-notify-web", PASSWORD).await;
    let page = app.page("/notifications", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let page = page.text();
    assert!(
        page.contains(urgent["ref_no"].as_str().expect("ref")),
        "{page}"
    );
    assert!(page.contains("duty1@air.example"));
    app.user(
        "gnd-officer-notify",
        Role::SecurityOfficer,
        Some("GND"),
        PASSWORD,
    )
    .await;
    let (cookie, _) = app.login("gnd-officer-notify", PASSWORD).await;
    let page = app.page("/notifications", Some(&cookie)).await.text();
    assert!(!page.contains("duty1@air.example"), "AIR's mail is AIR's");
    app.finish().await;
}
on_every_backend!(escalation_rules_mail_whoever_is_on_duty, notification_flow);

/// A configured severity scale replaces the default one everywhere; an
/// incident names the other group companies it touches, which are checked
/// and can be filtered by.
async fn severity_scale_flow(b: Backend) {
    let level = |code: &str, ja: &str, en: &str| mamori_domain::settings::ScaleLevel {
        code: code.into(),
        ja: ja.into(),
        en: en.into(),
    };
    let app = TestApp::with_config(
        b,
        Config {
            require_totp: false,
            incident_severity: vec![
                level("s1", "軽微", "Minor"),
                level("s2", "重要", "Major"),
                level("s3", "重大", "Severe"),
            ],
            ..Config::default()
        },
    )
    .await;
    let (_, csirt) = app.user("csirt-scale", Role::Csirt, None, PASSWORD).await;
    let air = app.company_id("AIR").await;
    let incident = |severity: &str, companies: Value| {
        json!({ "company_id": air, "title": "委託先経由の情報漏えい", "category": "data_leak",
                "severity": severity, "status": "detected", "detected_at": Utc::now().to_rfc3339(),
                "companies_affected": companies })
    };
    let made = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/incidents",
            Some(incident("s2", json!("GND, AIR、GND"))),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let made = made.json();
    assert_eq!(made["companies_affected"], "AIR,GND", "sorted, once each");
    let old = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/incidents",
            Some(incident("high", Value::Null)),
        )
        .await;
    assert_eq!(old.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        old.text().contains("severity") && old.text().contains("s1, s2, s3"),
        "{}",
        old.text()
    );
    let nowhere = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/incidents",
            Some(incident("s1", json!(["GND", "NOPE"]))),
        )
        .await;
    assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        nowhere.text().contains("no company with code \\\"NOPE\\\""),
        "{}",
        nowhere.text()
    );
    let hostile = app
        .api(
            &csirt,
            Method::POST,
            "/api/v1/incidents",
            Some(incident("s1", json!("GND'; DROP TABLE incidents;--"))),
        )
        .await;
    assert_eq!(
        hostile.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        hostile.text()
    );
    let listed = app
        .api(
            &csirt,
            Method::GET,
            "/api/v1/incidents?companies_affected=GND",
            None,
        )
        .await
        .json();
    let ids: Vec<&Value> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(ids, vec![&made["id"]], "{listed}");
    let none = app
        .api(
            &csirt,
            Method::GET,
            "/api/v1/incidents?companies_affected=SKY",
            None,
        )
        .await
        .json();
    assert_eq!(none["items"].as_array().map(Vec::len), Some(0));
    for (filter, found) in [("AIR,GND", 1), ("GND,SKY", 0), ("gnd", 0), ("G_D", 0)] {
        let listed = app
            .api(
                &csirt,
                Method::GET,
                &format!("/api/v1/incidents?companies_affected={filter}"),
                None,
            )
            .await;
        assert_eq!(listed.status, StatusCode::OK, "{filter}: {}", listed.text());
        assert_eq!(
            listed.json()["items"].as_array().map(Vec::len),
            Some(found),
            "{filter}"
        );
    }
    // The demo's incidents took the scale's levels; pages name them.
    let all = app
        .api(&csirt, Method::GET, "/api/v1/incidents?limit=100", None)
        .await
        .json();
    for item in all["items"].as_array().expect("items") {
        let severity = item["severity"].as_str().expect("severity");
        assert!(["s1", "s2", "s3"].contains(&severity), "{item}");
    }
    app.user("csirt-scale-web", Role::Csirt, None, PASSWORD)
        .await;
    let (cookie, _) = app.login("csirt-scale-web", PASSWORD).await;
    let page = app
        .page(
            &format!("/r/incidents/{}", made["id"].as_str().expect("id")),
            Some(&cookie),
        )
        .await
        .text();
    assert!(page.contains("重要"), "the level's name");
    assert!(page.contains(r#"value="s3""#), "the scale's levels offered");
    assert!(!page.contains(r#"value="critical""#));
    app.finish().await;
}
on_every_backend!(
    configured_severity_scale_and_companies_affected,
    severity_scale_flow
);

async fn soa_flow(b: Backend) {
    let app = TestApp::new(b).await;
    let (_, ciso) = app.user("hd-soa", Role::CisoOffice, None, PASSWORD).await;
    let (_, officer) = app
        .user("air-soa", Role::SecurityOfficer, Some("AIR"), PASSWORD)
        .await;
    let (_, gnd_officer) = app
        .user("gnd-soa", Role::SecurityOfficer, Some("GND"), PASSWORD)
        .await;
    seed::builtin_libraries(&app.store, Utc::now())
        .await
        .expect("libraries");
    let air = app.company_id("AIR").await;
    let frameworks = app
        .api(&officer, Method::GET, "/api/v1/frameworks", None)
        .await
        .json();
    let iso = frameworks["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|f| f["urn"] == "urn:mamori:framework:iso27001-2022")
        .expect("ISO/IEC 27001")
        .clone();
    let id = iso["id"].as_str().expect("id");
    let adopt = |token: &str| {
        let (app, token, id) = (&app, token.to_owned(), id.to_owned());
        async move {
            app.api(
                &token,
                Method::POST,
                &format!("/api/v1/frameworks/{id}/adopt"),
                Some(json!({ "company_id": air })),
            )
            .await
        }
    };
    // Adopting creates one assessment per assessable requirement, once.
    assert_eq!(adopt(&gnd_officer).await.status, StatusCode::FORBIDDEN);
    let first = adopt(&officer).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.json()["created"], iso["assessable"]);
    assert_eq!(adopt(&officer).await.json()["created"], 0);
    let adopted_at = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let list = app
        .api(
            &officer,
            Method::GET,
            &format!("/api/v1/requirement_assessments?framework={id}&limit=500&count=true"),
            None,
        )
        .await
        .json();
    assert_eq!(list["total"], iso["assessable"]);
    // Exclude one control (a justification is required), implement another.
    let find = |ref_id: &str| {
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|a| {
                a["references"]["requirement"]["name_en"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(&format!("{ref_id} ")))
            })
            .cloned()
            .unwrap_or_else(|| panic!("{ref_id}"))
    };
    let outsourced = find("A.8.30");
    let path = format!(
        "/api/v1/requirement_assessments/{}",
        outsourced["id"].as_str().expect("id")
    );
    let unjustified = app
        .api(
            &officer,
            Method::PATCH,
            &path,
            Some(json!({ "applicability": "excluded", "version": 1 })),
        )
        .await;
    assert_eq!(unjustified.status, StatusCode::UNPROCESSABLE_ENTITY);
    let excluded = app
        .api(
            &officer,
            Method::PATCH,
            &path,
            Some(json!({ "applicability": "excluded", "justification": "開発を外部に委託していない", "version": 1 })),
        )
        .await;
    assert_eq!(excluded.status, StatusCode::OK, "{}", excluded.text());
    let backup = find("A.8.13");
    let done = app
        .api(
            &officer,
            Method::PATCH,
            &format!(
                "/api/v1/requirement_assessments/{}",
                backup["id"].as_str().expect("id")
            ),
            Some(json!({ "implementation": "implemented", "version": 1 })),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    // Evidence on the implemented control: kept with its SHA-256, every
    // download audited; files that are not what they say are refused.
    let backup_id = backup["id"].as_str().expect("id");
    let pdf = b"%PDF-1.7\n% backup procedure\n".to_vec();
    let attached = app
        .raw(
            &officer,
            Method::POST,
            &format!(
                "/api/v1/requirement_assessments/{backup_id}/evidence?filename=%E3%83%90%E3%83%83%E3%82%AF%E3%82%A2%E3%83%83%E3%83%97%E6%89%8B%E9%A0%86.pdf"
            ),
            "application/pdf",
            pdf.clone(),
        )
        .await;
    assert_eq!(attached.status, StatusCode::CREATED, "{}", attached.text());
    let meta = attached.json();
    assert_eq!(meta["sha256"], mamori_store::audit::sha256_hex(&pdf));
    assert_eq!(meta["filename"], "バックアップ手順.pdf");
    let disguised = app
        .raw(
            &officer,
            Method::POST,
            &format!("/api/v1/requirement_assessments/{backup_id}/evidence?filename=report.pdf"),
            "application/pdf",
            b"MZ\x90\x00 not a pdf".to_vec(),
        )
        .await;
    assert_eq!(disguised.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.raw(
            &gnd_officer,
            Method::POST,
            &format!("/api/v1/requirement_assessments/{backup_id}/evidence?filename=x.pdf"),
            "application/pdf",
            pdf.clone(),
        )
        .await
        .status,
        StatusCode::NOT_FOUND,
        "another company's record is not there for them"
    );
    let listed = app
        .api(
            &officer,
            Method::GET,
            &format!("/api/v1/requirement_assessments/{backup_id}/evidence"),
            None,
        )
        .await
        .json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    let file = app
        .api(
            &officer,
            Method::GET,
            &format!("/api/v1/evidence/{}", meta["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(file.body, pdf);
    let last = &app.store.recent_audit(1).await.expect("audit")[0];
    assert_eq!(
        (last.3.as_str(), last.4.as_str()),
        ("read", "requirement_assessments")
    );
    assert_eq!(
        app.api(
            &gnd_officer,
            Method::GET,
            &format!("/api/v1/evidence/{}", meta["id"].as_str().expect("id")),
            None,
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // The SoA: every control in the framework's order, as the auditor reads it.
    let csv = app
        .api(
            &officer,
            Method::GET,
            &format!("/api/v1/frameworks/{id}/soa?company={air}&format=csv"),
            None,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
    assert!(csv.body.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8(csv.body[3..].to_vec()).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len() as u64,
        iso["assessable"].as_u64().expect("n") + 1
    );
    assert!(lines[1].starts_with("4.1,"), "{}", lines[1]);
    let a830 = lines
        .iter()
        .find(|l| l.starts_with("A.8.30,"))
        .expect("A.8.30");
    assert!(a830.contains("開発を外部に委託していない"), "{a830}");
    let a813 = lines
        .iter()
        .find(|l| l.starts_with("A.8.13,"))
        .expect("A.8.13");
    assert!(a813.contains("バックアップ手順.pdf (sha256:"), "{a813}");
    let a5 = lines
        .iter()
        .position(|l| l.starts_with("A.5.2,"))
        .expect("A.5.2");
    let a10 = lines
        .iter()
        .position(|l| l.starts_with("A.5.10,"))
        .expect("A.5.10");
    assert!(a5 < a10, "the framework's order, not text order");
    let xlsx = app
        .api(
            &officer,
            Method::GET,
            &format!("/api/v1/frameworks/{id}/soa?company={air}"),
            None,
        )
        .await;
    assert!(xlsx.body.starts_with(b"PK"));
    let last = &app.store.recent_audit(1).await.expect("audit")[0];
    assert_eq!(
        (last.3.as_str(), last.4.as_str()),
        ("export", "requirement_assessments")
    );
    let gnd = app.company_id("GND").await;
    assert_eq!(
        app.api(
            &officer,
            Method::GET,
            &format!("/api/v1/frameworks/{id}/soa?company={gnd}"),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.api(
            &ciso,
            Method::GET,
            &format!("/api/v1/frameworks/{id}/soa?company={gnd}"),
            None
        )
        .await
        .status,
        StatusCode::BAD_REQUEST,
        "GND has not adopted it"
    );
    // As it stood before the exclusion: from the kept history.
    let before = app
        .api(
            &officer,
            Method::GET,
            &format!(
                "/api/v1/frameworks/{id}/soa?company={air}&format=csv&as_of={}",
                adopted_at.to_rfc3339().replace('+', "%2B")
            ),
            None,
        )
        .await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text());
    let then = String::from_utf8(before.body[3..].to_vec()).expect("UTF-8");
    let a830_then = then
        .lines()
        .find(|l| l.starts_with("A.8.30,"))
        .expect("A.8.30 then");
    assert!(
        !a830_then.contains("開発を外部に委託していない"),
        "{a830_then}"
    );
    assert!(
        !then.contains("バックアップ手順.pdf"),
        "the evidence came later"
    );
    assert_eq!(then.lines().count(), lines.len());
    assert_eq!(
        app.api(
            &officer,
            Method::GET,
            &format!("/api/v1/frameworks/{id}/soa?company={air}&as_of=2020-01-01"),
            None
        )
        .await
        .status,
        StatusCode::BAD_REQUEST,
        "not adopted yet then"
    );
    assert_eq!(
        app.api(
            &officer,
            Method::GET,
            &format!("/api/v1/frameworks/{id}/soa?company={air}&as_of=yesterday"),
            None
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    // The dashboard shows how far AIR has come: one implemented of the
    // applicable requirements (all assessable ones but the excluded).
    let applicable = iso["assessable"].as_i64().expect("n") - 1;
    let (cookie, _) = app.login("air-soa", PASSWORD).await;
    let dashboard = app.page("/", Some(&cookie)).await.text();
    assert!(
        dashboard.contains(&format!(r#"data-percent="{}""#, 100 / applicable)),
        "{dashboard}"
    );
    assert!(dashboard.contains(&format!("1 / {applicable}")));
    // The framework page offers adoption and the SoA.
    let page = app
        .page(&format!("/frameworks/{id}"), Some(&cookie))
        .await
        .text();
    assert!(page.contains(&format!("/frameworks/{id}/adopt")));
    assert!(page.contains(&format!("/api/v1/frameworks/{id}/soa?company={air}")));
    app.finish().await;
}
on_every_backend!(adoption_and_statement_of_applicability, soa_flow);
