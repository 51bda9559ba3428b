//! What the benchmarks share: a signed-in principal (API token and web
//! session) and timing of requests through the real router.

use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, header};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use mamori_domain::org::Role;
use mamori_server::{auth, seed};
use mamori_store::Store;
use mamori_store::users::{Actor, NewToken, Session};
use tower::ServiceExt;

/// A CISO-office principal: a bearer token and a session cookie.
pub struct Access {
    pub token: String,
    pub session: String,
}

/// Creates the `bench` user (CISO office, TOTP enrolled) with a token and a
/// session.
pub async fn access(store: &Store, now: DateTime<Utc>) -> Access {
    let actor = Actor::system("bench");
    let cred = seed::create_user_with_otp(
        store,
        &seed::Account {
            username: "bench",
            display_name: "bench",
            role: Role::CisoOffice,
            company: None,
            expires: None,
        },
        &actor,
        now,
    )
    .await
    .expect("user");
    let user = store
        .user_by_username(&cred.username)
        .await
        .expect("q")
        .expect("user");
    store
        .set_password(
            user.id,
            &auth::hash_password("bench-password-123").expect("hash"),
            false,
            &actor,
            now,
        )
        .await
        .expect("pw");
    // A real session has enrolled a second factor (required by default).
    store
        .set_totp(
            user.id,
            Some(&auth::totp::new_secret()),
            true,
            &[],
            &actor,
            now,
        )
        .await
        .expect("totp");
    let token = auth::new_api_token();
    store
        .create_token(
            &NewToken {
                user_id: user.id,
                name: "bench",
                token_hash: &auth::digest(&token),
                scopes: &["*".to_owned()],
                expires_at: now + Duration::days(1),
            },
            &actor,
            now,
        )
        .await
        .expect("token");
    let session = auth::random_token();
    store
        .create_session(&Session {
            id_hash: auth::digest(&session),
            user_id: user.id,
            csrf_token: auth::random_token(),
            mfa_pending: false,
            created_at: now,
            last_seen_at: now,
            expires_at: now + Duration::hours(12),
        })
        .await
        .expect("session");
    Access { token, session }
}

/// One request through the router (API with the token, pages with the
/// session); the body.
pub async fn call(router: &axum::Router, path: &str, api: bool, access: &Access) -> Vec<u8> {
    let mut b = Request::builder().uri(path);
    b = if api {
        b.header(header::AUTHORIZATION, format!("Bearer {}", access.token))
    } else {
        b.header(header::COOKIE, format!("mamori_session={}", access.session))
    };
    let res = router
        .clone()
        .oneshot(b.body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec()
}

pub fn header() {
    println!(
        "{:<42} {:>9} {:>9} {:>9}",
        "case", "p50 ms", "p99 ms", "max ms"
    );
}

/// Warms up, then times `iterations` requests and prints p50, p99, max.
pub async fn time(
    router: &axum::Router,
    name: &str,
    path: &str,
    api: bool,
    access: &Access,
    iterations: usize,
) {
    for _ in 0..iterations.min(100) {
        call(router, path, api, access).await;
    }
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t = Instant::now();
        call(router, path, api, access).await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{name:<42} {:>9.2} {:>9.2} {:>9.2}",
        pct(0.50),
        pct(0.99),
        times[times.len() - 1]
    );
}
