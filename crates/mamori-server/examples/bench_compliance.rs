//! Benchmark (not a test): the risk and compliance pages at group scale —
//! 50 companies, 100,000 risks and 1,000,000 requirement assessments in
//! SQLite (bulk-loaded in SQL, not through the per-row kernel import) —
//! p50/p99 of the dashboard, the heat maps and the risk list, driven through
//! the real router as the CISO office (the whole group).
//!
//! `cargo run --release -p mamori-server --example bench_compliance [-- RISKS ASSESSMENTS ITERATIONS]`

mod support;

use std::time::Instant;

use chrono::Utc;
use mamori_domain::library::{Framework, Library, RequirementNode};
use mamori_server::{AppState, Config, seed};
use mamori_store::users::Actor;
use mamori_store::{Db, Store};
use uuid::Uuid;

const COMPANIES: usize = 50;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let risks: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let assessments: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let iterations: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let dir = std::env::temp_dir().join(format!("mamori-bench-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = Store::connect(&format!("sqlite://{}", dir.join("bench.db").display()))
        .await
        .expect("db");
    store.migrate().await.expect("migrate");
    let now = Utc::now();
    let actor = Actor::system("bench");
    seed::load_demo(&store, now).await.expect("demo");
    seed::builtin_libraries(&store, now)
        .await
        .expect("libraries");
    let mut companies = store
        .companies(&mamori_domain::authz::Scope::All)
        .await
        .expect("companies")
        .into_iter()
        .map(|c| c.id)
        .collect::<Vec<_>>();
    for i in companies.len()..COMPANIES {
        let code = format!("C{i:03}");
        let id = store
            .create_company(
                &code,
                &format!("子会社{i}"),
                &format!("Subsidiary {i}"),
                false,
                &actor,
                now,
            )
            .await
            .expect("company");
        companies.push(id);
    }
    // One framework large enough that every company assesses its share.
    let per_company = assessments.div_ceil(COMPANIES);
    let nodes = (0..per_company)
        .map(|i| RequirementNode {
            urn: format!("urn:bench:framework:large:{i}"),
            parent_urn: None,
            ref_id: Some(format!("R.{i}")),
            name: Some(format!("Requirement {i}")),
            name_ja: Some(format!("要求事項 {i}")),
            description: None,
            assessable: true,
            depth: 1,
            reference_controls: Vec::new(),
        })
        .collect();
    let library = Library {
        urn: "urn:bench:library:large".into(),
        ref_id: "LARGE".into(),
        name: "A large framework".into(),
        name_ja: None,
        description: None,
        locale: "en".into(),
        version: 1,
        provider: None,
        dependencies: Vec::new(),
        frameworks: vec![Framework {
            urn: "urn:bench:framework:large".into(),
            ref_id: "LARGE".into(),
            name: "A large framework".into(),
            name_ja: None,
            description: None,
            nodes,
        }],
        reference_controls: Vec::new(),
        mapping_sets: Vec::new(),
    };
    let started = Instant::now();
    store
        .load_library(&library, &actor, now)
        .await
        .expect("library");
    let Db::Sqlite(pool) = store.db() else {
        panic!("SQLite only")
    };
    let framework: Uuid =
        sqlx::query_scalar("SELECT id FROM frameworks WHERE urn = 'urn:bench:framework:large'")
            .fetch_one(pool)
            .await
            .expect("framework");
    let node_ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM requirement_nodes WHERE framework_id = $1 ORDER BY position",
    )
    .bind(framework)
    .fetch_all(pool)
    .await
    .expect("nodes");
    let implementations = [
        "not_started",
        "planned",
        "partial",
        "implemented",
        "implemented",
    ];
    let mut n = 0usize;
    for (c, company) in companies.iter().enumerate() {
        let mut tx = pool.begin().await.expect("tx");
        for (i, node) in node_ids.iter().enumerate() {
            if n >= assessments {
                break;
            }
            n += 1;
            sqlx::query("INSERT INTO requirement_assessments (id, ref_no, company_id, version, created_at, updated_at, requirement, framework, applicability, implementation) VALUES ($1, $2, $3, 1, $4, $4, $5, $6, $7, $8)")
                .bind(Uuid::now_v7())
                .bind(format!("REQ-B{n:07}"))
                .bind(company)
                .bind(now)
                .bind(node)
                .bind(framework)
                .bind(if (i + c) % 17 == 0 { "excluded" } else { "applicable" })
                .bind(implementations[(i * 7 + c) % implementations.len()])
                .execute(&mut *tx)
                .await
                .expect("assessment");
        }
        tx.commit().await.expect("commit");
    }
    let loaded_assessments = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut tx = pool.begin().await.expect("tx");
    let levels = ["low", "medium", "high", "critical"];
    for i in 0..risks {
        let (l, m) = (1 + (i * 7) % 5, 1 + (i * 11) % 5);
        let (rl, rm) = (1 + (l - 1) / 2, 1 + (m - 1) / 2);
        let score = (l * m) as i64;
        let level = levels[[5, 10, 17].iter().filter(|t| score >= **t).count()];
        let rscore = (rl * rm) as i64;
        let rlevel = levels[[5, 10, 17].iter().filter(|t| rscore >= **t).count()];
        sqlx::query("INSERT INTO risks (id, ref_no, company_id, version, created_at, updated_at, title, inherent_level, inherent_score, residual_level, status, inherent_likelihood, inherent_impact, residual_likelihood, residual_impact, residual_score, review_date) VALUES ($1, $2, $3, 1, $4, $4, $5, $6, $7, $8, 'assessed', $9, $10, $11, $12, $13, $14)")
            .bind(Uuid::now_v7())
            .bind(format!("RSK-B{i:07}"))
            .bind(companies[i % companies.len()])
            .bind(now)
            .bind(format!("リスク {i}: 顧客情報の漏えい"))
            .bind(level)
            .bind(score)
            .bind(rlevel)
            .bind(l.to_string())
            .bind(m.to_string())
            .bind(rl.to_string())
            .bind(rm.to_string())
            .bind(rscore)
            .bind(now.date_naive() + chrono::Duration::days((i % 400) as i64 - 30))
            .execute(&mut *tx)
            .await
            .expect("risk");
    }
    tx.commit().await.expect("commit");
    let loaded_risks = started.elapsed().as_secs_f64();
    // Loaded in SQL past the kernel: count the rollups afresh, as mamori
    // does when their definitions change.
    let started = Instant::now();
    store.rebuild_rollups().await.expect("rollups");
    let rolled = started.elapsed().as_secs_f64();
    sqlx::query("ANALYZE").execute(pool).await.expect("analyze");
    println!(
        "# {COMPANIES} companies; loaded {n} requirement assessments in {loaded_assessments:.1} s and {risks} risks in {loaded_risks:.1} s; rollups rebuilt in {rolled:.1} s"
    );
    let access = support::access(&store, now).await;
    let router =
        mamori_server::router(AppState::new(store.clone(), Config::default()).expect("state"));
    let company = companies[1];
    let cases = [
        ("dashboard (group)", "/".to_owned(), false),
        ("heat map page (group)", "/risks/heatmap".to_owned(), false),
        (
            "heat map API (one company)",
            format!("/api/v1/risks/heatmap?company={company}"),
            true,
        ),
        (
            "risk list page (group, by score)",
            "/r/risks".to_owned(),
            false,
        ),
        (
            "risk list page (filtered: critical, one company)",
            format!("/r/risks?inherent_level=critical&company={company}"),
            false,
        ),
    ];
    support::header();
    for (name, path, api) in cases {
        support::time(&router, name, &path, api, &access, iterations).await;
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
