//! The `mamori` binary itself: an accepted ingest request keeps its alerts
//! when the process is killed right after answering.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn mamori(data: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("MAMORI_DATABASE_URL")
        .output()
        .expect("run mamori");
    assert!(
        out.status.success(),
        "mamori {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn accepted_alerts_survive_a_kill() {
    let dir = std::env::temp_dir().join(format!("mamori-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    mamori(&dir, &["migrate"]);
    mamori(
        &dir,
        &[
            "company",
            "add",
            "HD",
            "--name-ja",
            "雲路HD",
            "--name-en",
            "Kumoji HD",
            "--holding",
        ],
    );
    mamori(
        &dir,
        &[
            "company",
            "add",
            "AIR",
            "--name-ja",
            "雲路航空",
            "--name-en",
            "Kumoji Air",
        ],
    );
    mamori(
        &dir,
        &["user", "add", "soc", "--role", "csirt", "--company", "AIR"],
    );
    let token = mamori(
        &dir,
        &["token", "create", "--user", "soc", "--scope", "ingest"],
    )
    .trim()
    .to_owned();
    assert!(token.starts_with("mmr_"), "{token}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&dir)
        .env_remove("MAMORI_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mamori serve");
    // Wait (bounded) until it says it is running.
    let stdout = server.stdout.take().expect("stdout");
    let started = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("mamori is running"))
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    while !started.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(started.join().unwrap_or(false), "mamori serve started");

    let t0 = chrono::Utc::now() - chrono::Duration::minutes(30);
    let body: String = (0..25)
        .map(|i| {
            let at = (t0 + chrono::Duration::seconds(i)).to_rfc3339();
            format!(
                r#"{{"@timestamp":"{at}","event":{{"dataset":"customer.login","outcome":"failure"}},"source":{{"ip":"203.0.113.80"}},"user":{{"name":"JK{i:07}"}}}}"#
            ) + "\n"
        })
        .collect();
    let url = format!("http://127.0.0.1:{port}/api/v1/ingest?company=AIR");
    let answer = tokio::task::spawn_blocking(move || {
        ureq::post(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .send(body.as_bytes())
            .map(|mut r| r.body_mut().read_to_string().unwrap_or_default())
    })
    .await
    .expect("request task")
    .expect("ingest answered");
    // Killed (SIGKILL: no shutdown, no flush) the moment the answer is in.
    server.kill().expect("kill");
    server.wait().expect("reaped");
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("JSON answer");
    assert_eq!(answer["alerts"]["new"], 1, "{answer}");

    let store =
        mamori_store::Store::connect(&format!("sqlite://{}", dir.join("mamori.db").display()))
            .await
            .expect("reopen the database");
    let query = mamori_store::records::ListQuery {
        scope: mamori_domain::authz::Scope::All,
        company: None,
        filters: Vec::new(),
        search: None,
        archived: mamori_store::records::Archived::All,
        sort: None,
        desc: false,
        after: None,
        limit: 10,
        count: false,
    };
    let alerts = store
        .list_records(&mamori_domain::registers::ALERTS, &query)
        .await
        .expect("alerts")
        .items;
    assert_eq!(alerts.len(), 1, "the accepted alert is on disk");
    assert!(
        alerts[0]
            .record
            .text("title")
            .is_some_and(|t| t.contains("Credential stuffing"))
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
