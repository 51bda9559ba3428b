//! Benchmark (not a test): with 100,000 assets in SQLite, p50/p99 of the API
//! list and of the list page for a filtered, sorted query, and of a single
//! get, driven through the real router.
//!
//! `cargo run --release -p mamori-server --example bench_list [-- ROWS ITERATIONS]`

mod support;

use std::time::Instant;

use chrono::Utc;
use mamori_domain::register::{Record, RefValue, Value};
use mamori_domain::registers::ASSETS;
use mamori_server::{AppState, Config, seed};
use mamori_store::Store;
use mamori_store::records::ImportRow;
use mamori_store::users::Actor;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let iterations: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let dir = std::env::temp_dir().join(format!("mamori-bench-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = Store::connect(&format!("sqlite://{}", dir.join("bench.db").display()))
        .await
        .expect("db");
    store.migrate().await.expect("migrate");
    let now = Utc::now();
    seed::load_demo(&store, now).await.expect("demo");
    let companies = store
        .companies(&mamori_domain::authz::Scope::All)
        .await
        .expect("companies");
    let classes = ["public", "internal", "confidential", "secret"];
    let kinds = ["information", "system", "server", "cloud_service", "device"];
    let started = Instant::now();
    let actor = Actor::system("bench");
    for chunk in 0..rows.div_ceil(10_000) {
        let batch: Vec<ImportRow> = (chunk * 10_000..((chunk + 1) * 10_000).min(rows))
            .map(|i| {
                let mut r = Record::default();
                r.values.insert(
                    "name",
                    Value::Text(format!(
                        "資産 {:06} {}",
                        (i * 7919) % rows,
                        ["顧客DB", "予約", "社内ポータル", "端末"][i % 4]
                    )),
                );
                r.values
                    .insert("kind", Value::Text(kinds[i % kinds.len()].into()));
                r.values.insert(
                    "classification",
                    Value::Text(classes[(i / 3) % classes.len()].into()),
                );
                r.values.insert(
                    "customer_personal_info",
                    Value::Bool(i % 5 == 0 && classes[(i / 3) % 4] != "public"),
                );
                r.values
                    .insert("location", Value::Text("本社データセンター".into()));
                let _ = RefValue::Key(String::new());
                ImportRow {
                    line: i,
                    company_id: companies[1 + i % (companies.len() - 1)].id,
                    ref_no: None,
                    record: r,
                }
            })
            .collect();
        let out = store
            .import_records(&ASSETS, batch, false, &actor, now)
            .await
            .expect("import");
        assert!(out.errors.is_empty(), "{:?}", out.errors.first());
    }
    println!(
        "loaded {rows} assets in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let access = support::access(&store, now).await;
    let any = store
        .list_records(
            &ASSETS,
            &mamori_store::records::ListQuery {
                scope: mamori_domain::authz::Scope::All,
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
    let router =
        mamori_server::router(AppState::new(store.clone(), Config::default()).expect("state"));

    let filtered = "classification=secret&customer_personal_info=true&sort=-name&limit=50";
    let cases: Vec<(&str, String, bool)> = vec![
        (
            "API list (filtered, sorted, with count)",
            format!("/api/v1/assets?{filtered}&count=true"),
            true,
        ),
        ("API list, 2nd page via cursor", String::new(), true),
        (
            "list page (HTML, filtered, sorted)",
            format!("/r/assets?{filtered}"),
            false,
        ),
        ("API get one record", format!("/api/v1/assets/{any}"), true),
    ];
    let first = support::call(&router, &cases[0].1, true, &access).await;
    let next: serde_json::Value = serde_json::from_slice(&first).expect("json");
    let second = format!(
        "/api/v1/assets?{filtered}&after={}",
        next["next"].as_str().expect("a second page")
    );
    support::header();
    for (name, path, api) in cases {
        let path = if path.is_empty() {
            second.clone()
        } else {
            path
        };
        support::time(&router, name, &path, api, &access, iterations).await;
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
