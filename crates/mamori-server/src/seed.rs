//! First start and demo data: the group, an administrator with a one-time
//! password, and (on request) a believable demo group.

use chrono::{DateTime, Utc};
use mamori_domain::demo::demo_group;
use mamori_domain::org::Role;
use mamori_domain::register::{Record, RefValue, Value};
use mamori_domain::registers::{ASSETS, COMMITTEE_MEMBERS, COMMITTEES, DEPARTMENTS, PEOPLE, RISKS};
use mamori_store::Store;
use mamori_store::records::{Archived, ImportRow, ListQuery};
use mamori_store::users::{Actor, NewUser};

use crate::auth;

/// An account made by the seed, with the one-time password to hand over.
#[derive(Debug, Clone)]
pub struct Credential {
    pub username: String,
    pub password: String,
    pub role: Role,
}

/// An account to create, with its one role.
#[derive(Debug, Clone)]
pub struct Account<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    /// `None`: the role holds across the whole group.
    pub company: Option<uuid::Uuid>,
    pub expires: Option<DateTime<Utc>>,
}

/// Creates a user who must change the one-time password at first login.
pub async fn create_user_with_otp(
    store: &Store,
    account: &Account<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Credential, String> {
    let Account {
        username,
        display_name,
        role,
        company,
        expires,
    } = account.clone();
    let password = auth::one_time_password();
    let hash = auth::hash_password(&password)?;
    let new = NewUser {
        username: username.to_owned(),
        display_name: display_name.to_owned(),
        person_id: None,
        password_hash: hash,
        must_change_password: true,
    };
    let id = store
        .create_user(&new, actor, now)
        .await
        .map_err(|e| format!("cannot create user {username}: {e}"))?;
    store
        .assign_role(id, role, company, expires, actor, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Credential {
        username: username.to_owned(),
        password,
        role,
    })
}

/// On the very first start (no users): the group's holding company (unless
/// the demo brings its own) and the administrator; with `demo`, the demo
/// group and the alerts a few minutes of the airline's traffic raise.
pub async fn first_start(
    store: &Store,
    demo: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Credential>, String> {
    if store.count_users().await.map_err(|e| e.to_string())? > 0 {
        return Ok(Vec::new());
    }
    let actor = Actor::system("system");
    let mut creds = Vec::new();
    if demo {
        creds.extend(load_demo(store, now).await?);
        let air = store
            .company_by_code("AIR")
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the demo group has no airline")?;
        demo_alerts(store, air.id, now).await?;
    } else if store
        .companies(&mamori_domain::authz::Scope::All)
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        store
            .create_company(
                "HD",
                "グループ本社",
                "Group headquarters",
                true,
                &actor,
                now,
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    creds.insert(
        0,
        create_user_with_otp(
            store,
            &Account {
                username: "admin",
                display_name: "管理者 / Administrator",
                role: Role::Admin,
                company: None,
                expires: None,
            },
            &actor,
            now,
        )
        .await?,
    );
    Ok(creds)
}

/// Loads the demo group: companies, departments, committees, 240 people,
/// assets across every handling class, the group's main risks, and demo
/// accounts.
pub async fn load_demo(store: &Store, now: DateTime<Utc>) -> Result<Vec<Credential>, String> {
    let g = demo_group(2014);
    let actor = Actor::system("demo");
    let err = |e: mamori_store::StoreError| e.to_string();
    let existing = store
        .companies(&mamori_domain::authz::Scope::All)
        .await
        .map_err(err)?;
    if existing
        .iter()
        .any(|c| g.companies.iter().any(|d| d.code == c.code))
    {
        return Err("the demo group is already loaded (or a company uses one of its codes)".into());
    }
    let mut ids = std::collections::HashMap::new();
    for c in &g.companies {
        let id = store
            .create_company(c.code, c.name_ja, c.name_en, c.is_holding, &actor, now)
            .await
            .map_err(err)?;
        ids.insert(c.code, id);
    }
    let departments: Vec<ImportRow> = g
        .departments
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut r = Record::default();
            r.values.insert("code", Value::Text(d.code.clone()));
            r.values.insert("name_ja", Value::Text(d.name_ja.clone()));
            r.values.insert("name_en", Value::Text(d.name_en.clone()));
            ImportRow {
                line: i + 1,
                company_id: ids[d.company_code],
                ref_no: None,
                record: r,
            }
        })
        .collect();
    import_demo(store, &DEPARTMENTS, departments, &actor, now, "departments").await?;
    let people: Vec<ImportRow> = g
        .people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut r = Record::default();
            r.values.insert("employee_no", text(&p.employee_no));
            r.values.insert("family_name", text(&p.family_name));
            r.values.insert("given_name", text(&p.given_name));
            r.values
                .insert("family_name_kana", text(&p.family_name_kana));
            r.values.insert("given_name_kana", text(&p.given_name_kana));
            r.values.insert("email", text(&p.email));
            r.values.insert(
                "department",
                Value::Ref(RefValue::Key(p.department_code.clone())),
            );
            r.values.insert("job_title", text(&p.job_title));
            r.values.insert("employment", text(p.employment));
            ImportRow {
                line: i + 1,
                company_id: ids[p.company_code],
                ref_no: None,
                record: r,
            }
        })
        .collect();
    import_demo(store, &PEOPLE, people, &actor, now, "people").await?;
    let assets: Vec<ImportRow> = g
        .assets
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut r = Record::default();
            r.values.insert("name", text(&a.name));
            r.values.insert("kind", text(a.kind));
            r.values.insert("classification", text(a.classification));
            r.values.insert(
                "customer_personal_info",
                Value::Bool(a.customer_personal_info),
            );
            r.values.insert(
                "owner",
                Value::Ref(RefValue::Key(a.owner_employee_no.clone())),
            );
            r.values.insert("location", text(&a.location));
            r.values.insert("description", text(&a.description));
            ImportRow {
                line: i + 1,
                company_id: ids[a.company_code],
                ref_no: None,
                record: r,
            }
        })
        .collect();
    import_demo(store, &ASSETS, assets, &actor, now, "assets").await?;
    // Committees of the holding company and their members from across the group.
    let hd = ids
        .get("HD")
        .copied()
        .ok_or("the demo group has no holding company")?;
    let committee = |code: &str, ja: &str, en: &str, purpose: &str, line: usize| {
        let mut r = Record::default();
        r.values.insert("code", text(code));
        r.values.insert("name_ja", text(ja));
        r.values.insert("name_en", text(en));
        r.values.insert("purpose", text(purpose));
        ImportRow {
            line,
            company_id: hd,
            ref_no: None,
            record: r,
        }
    };
    let committees = vec![
        committee(
            "ISC",
            "情報セキュリティ委員会",
            "Information Security Committee",
            "情報セキュリティに関する方針・リスク・インシデント・監査結果の審議",
            1,
        ),
        committee(
            "GRM",
            "グループリスクマネジメント会議",
            "Group Risk Management Meeting",
            "グループ全体のリスクの管理状況の確認とマネジメントレビュー",
            2,
        ),
    ];
    import_demo(store, &COMMITTEES, committees, &actor, now, "committees").await?;
    let user_person = |username: &str| {
        g.users
            .iter()
            .find(|u| u.username == username)
            .map(|u| u.employee_no.clone())
    };
    let mut members: Vec<(&str, String, &str)> = Vec::new();
    for (username, role) in [
        ("ciso", "chair"),
        ("csirt", "secretary"),
        ("officer.air", "member"),
    ] {
        if let Some(no) = user_person(username) {
            members.push(("ISC", no, role));
        }
    }
    for c in g
        .companies
        .iter()
        .filter(|c| !c.is_holding && c.code != "AIR")
    {
        let head = g
            .people
            .iter()
            .find(|p| p.company_code == c.code && p.department_code.ends_with("-IT"))
            .or_else(|| g.people.iter().find(|p| p.company_code == c.code));
        if let Some(p) = head {
            members.push(("ISC", p.employee_no.clone(), "member"));
        }
    }
    for (username, role) in [("ciso", "chair"), ("hr", "member")] {
        if let Some(no) = user_person(username) {
            members.push(("GRM", no, role));
        }
    }
    let rows: Vec<ImportRow> = members
        .into_iter()
        .enumerate()
        .map(|(i, (committee, person, role))| {
            let mut r = Record::default();
            r.values
                .insert("committee", Value::Ref(RefValue::Key(committee.to_owned())));
            r.values.insert("person", Value::Ref(RefValue::Key(person)));
            r.values.insert("role", text(role));
            ImportRow {
                line: i + 1,
                company_id: hd,
                ref_no: None,
                record: r,
            }
        })
        .collect();
    import_demo(
        store,
        &COMMITTEE_MEMBERS,
        rows,
        &actor,
        now,
        "committee members",
    )
    .await?;

    let approver = g
        .people
        .iter()
        .find(|p| p.company_code == "GND")
        .map(|p| p.employee_no.clone())
        .ok_or("the demo group has no ground-handling staff")?;
    demo_risks(store, &ids, &approver, &actor, now).await?;
    demo_controls(store, &ids, &actor, now).await?;
    demo_playbooks(store, &ids, &actor, now).await?;
    demo_incidents(store, &ids, &actor, now).await?;
    demo_corrective_actions(store, &ids, &actor, now).await?;
    let air_approver = g
        .people
        .iter()
        .find(|p| p.company_code == "AIR")
        .map(|p| p.employee_no.clone())
        .ok_or("the demo group has no airline staff")?;
    demo_disclosures(store, &ids, &air_approver, &actor, now).await?;
    let air_staff: Vec<String> = g
        .people
        .iter()
        .filter(|p| p.company_code == "AIR")
        .map(|p| p.employee_no.clone())
        .take(3)
        .collect();
    demo_notification(store, &ids, &air_staff, &actor, now).await?;
    let group_csirt = g
        .people
        .iter()
        .find(|p| p.company_code != "AIR")
        .map(|p| p.employee_no.clone())
        .ok_or("the demo group has staff outside the airline")?;
    demo_incident_team(store, &ids, &air_staff[0], &group_csirt, &actor, now).await?;
    demo_cloud_assessments(store, &actor, now).await?;

    let mut creds = Vec::new();
    for u in &g.users {
        let role = Role::parse(u.role).ok_or_else(|| format!("demo role {} unknown", u.role))?;
        let company = u.company_code.map(|c| ids[c]);
        let person = g.people.iter().find(|p| p.employee_no == u.employee_no);
        let name = person.map_or(u.username.clone(), |p| {
            format!("{} {}", p.family_name, p.given_name)
        });
        creds.push(
            create_user_with_otp(
                store,
                &Account {
                    username: &u.username,
                    display_name: &name,
                    role,
                    company,
                    expires: None,
                },
                &actor,
                now,
            )
            .await?,
        );
    }
    Ok(creds)
}

/// A few minutes of the airline's traffic: customer-portal logins (with credential-stuffing
/// bursts), web, proxy and DNS traffic from mamori's own generator, run
/// through the built-in rules; what they raise is stored as alerts.
/// Returns how many alerts were opened.
pub async fn demo_alerts(
    store: &Store,
    company: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<usize, String> {
    let actor = &Actor::system("demo");
    use mamori_detect::synthetic::Traffic;
    let mut rules = mamori_detect::sigma::SigmaRules::new(Default::default());
    let (_, errors) = rules.load_builtin();
    if let Some(e) = errors.first() {
        return Err(format!("a built-in rule does not load: {e}"));
    }
    let mut parser = rules.line_parser(mamori_detect::parse::Format::JsonLines, now);
    let mut engine = mamori_detect::engine::Engine::new(rules, Default::default());
    let mut traffic = Traffic::new(2014, now - chrono::Duration::hours(1));
    let lines: Vec<String> = (0..DEMO_EVENTS).map(|_| traffic.line().1).collect();
    let records = lines
        .iter()
        .map(|l| parser.parse(l))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("a generated event does not parse: {e}"))?;
    let alerts = crate::detection::to_store(&engine.process_records(&records), now);
    let recorded = store
        .record_alerts(company, &alerts, actor, now)
        .await
        .map_err(|e| format!("demo alerts not stored: {e}"))?;
    Ok(recorded.new)
}

/// Events in the demo's traffic (about 7 minutes' worth at the generator's
/// pace, with stuffing bursts).
const DEMO_EVENTS: usize = 20_000;

/// The risks the group faces, as its companies would assess them: the two
/// attacks it suffered first. (company, title, threat, vulnerability,
/// inherent likelihood and impact, treatment, residual likelihood and
/// impact, status)
struct DemoRisk(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const DEMO_RISKS: &[DemoRisk] = &[
    DemoRisk(
        "AIR",
        "リスト型攻撃によるマイレージ口座の乗っ取り",
        "他サイトから流出したID・パスワードの試行",
        "パスワードのみの認証、試行回数の制限なし",
        "5",
        "4",
        "mitigate",
        "3",
        "3",
        "treating",
    ),
    DemoRisk(
        "AIR",
        "標的型メールによる端末感染と顧客情報の流出",
        "業務連絡を装ったマルウェア付きメール",
        "顧客情報システムへの端末からの直接アクセス",
        "4",
        "5",
        "mitigate",
        "2",
        "4",
        "treating",
    ),
    DemoRisk(
        "AIR",
        "予約システムの停止(ランサムウェア)",
        "ランサムウェアによる暗号化",
        "バックアップがネットワーク上に常時接続",
        "3",
        "5",
        "mitigate",
        "2",
        "3",
        "assessed",
    ),
    DemoRisk(
        "HD",
        "クラウドサービスの設定不備による情報漏えい",
        "公開設定のストレージの探索",
        "設定の定期点検がない",
        "3",
        "4",
        "mitigate",
        "2",
        "2",
        "treating",
    ),
    DemoRisk(
        "HD",
        "内部不正による顧客情報の持ち出し",
        "権限を持つ従業員の不正",
        "大量参照の監視がない",
        "2",
        "5",
        "mitigate",
        "2",
        "3",
        "assessed",
    ),
    DemoRisk(
        "TRV",
        "委託先からの顧客情報の漏えい",
        "委託先での不正アクセス・紛失",
        "委託先の管理状況の確認が年1回のみ",
        "3",
        "4",
        "transfer",
        "2",
        "4",
        "treating",
    ),
    DemoRisk(
        "TRV",
        "電子メールの誤送信による個人情報漏えい",
        "宛先の誤り",
        "送信前の確認手順がない",
        "4",
        "2",
        "mitigate",
        "2",
        "2",
        "identified",
    ),
    DemoRisk(
        "GND",
        "業務用端末の紛失",
        "空港内での置き忘れ・盗難",
        "端末の暗号化が一部のみ",
        "3",
        "2",
        "accept",
        "3",
        "2",
        "accepted",
    ),
    DemoRisk(
        "CGO",
        "貨物管理システムの脆弱性の悪用",
        "公開された脆弱性を突く攻撃",
        "パッチ適用の遅れ",
        "3",
        "3",
        "mitigate",
        "",
        "",
        "identified",
    ),
    DemoRisk(
        "ITS",
        "特権IDの共有によるなりすまし",
        "退職者・委託先による共有IDの悪用",
        "特権IDの個人への割り当てがない",
        "2",
        "4",
        "avoid",
        "1",
        "4",
        "closed",
    ),
];

/// The demo airline's controls against the two attacks it suffered: (name,
/// category, status, the risk it treats).
const DEMO_CONTROLS: &[(&str, &str, &str, &str)] = &[
    (
        "顧客ログインの多要素認証",
        "technical",
        "in_progress",
        "リスト型攻撃によるマイレージ口座の乗っ取り",
    ),
    (
        "ログイン試行の回数制限と検知",
        "technical",
        "active",
        "リスト型攻撃によるマイレージ口座の乗っ取り",
    ),
    (
        "標的型メール訓練(年2回)",
        "people",
        "active",
        "標的型メールによる端末感染と顧客情報の流出",
    ),
    (
        "顧客情報システムへの接続の分離",
        "technical",
        "planned",
        "標的型メールによる端末感染と顧客情報の流出",
    ),
];

/// Loads [`DEMO_CONTROLS`] in the airline and links each with its risk.
async fn demo_controls(
    store: &Store,
    ids: &std::collections::HashMap<&str, uuid::Uuid>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), String> {
    use mamori_domain::registers::CONTROLS;
    let air = *ids.get("AIR").ok_or("the demo group has no airline")?;
    let records = DEMO_CONTROLS
        .iter()
        .map(|(name, category, status, _)| {
            let mut r = Record::default();
            r.values.insert("name", text(name));
            r.values.insert("category", text(category));
            r.values.insert("status", text(status));
            r
        })
        .collect();
    import_airline(store, ids, &CONTROLS, records, actor, now, "controls").await?;
    let all = |spec| {
        let query = mamori_store::records::ListQuery {
            scope: mamori_domain::authz::Scope::Companies(vec![air]),
            company: None,
            filters: Vec::new(),
            search: None,
            archived: mamori_store::records::Archived::Active,
            sort: None,
            desc: false,
            after: None,
            limit: 100,
            count: false,
        };
        async move {
            store
                .list_records(spec, &query)
                .await
                .map_err(|e| e.to_string())
        }
    };
    let controls = all(&CONTROLS).await?.items;
    let risks = all(&RISKS).await?.items;
    for (name, _, _, risk) in DEMO_CONTROLS {
        let find = |items: &[mamori_store::records::Stored], field: &str, value: &str| {
            items
                .iter()
                .find(|s| s.record.text(field) == Some(value))
                .map(|s| s.id)
                .ok_or(format!("demo record {value} missing"))
        };
        let (control, risk) = (find(&controls, "name", name)?, find(&risks, "title", risk)?);
        store
            .link_records((&CONTROLS, control), (&RISKS, risk), actor, now)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The airline's incidents: the two attacks it suffered, and a drill.
/// (title, category, severity, status, reason, days ago, exercise)
const DEMO_INCIDENTS: &[(&str, &str, &str, &str, &str, i64, bool)] = &[
    (
        "マイレージ口座への不正ログイン(リスト型攻撃)",
        "account_takeover",
        "critical",
        "closed",
        "多要素認証の導入と検知ルールの稼働を確認し終結",
        200,
        false,
    ),
    (
        "標的型メールによる端末感染と顧客情報の流出",
        "data_leak",
        "critical",
        "post_incident",
        "復旧完了。再発防止策を策定中",
        120,
        false,
    ),
    (
        "CSIRT 訓練 2026年度上期(標的型メール)",
        "phishing",
        "medium",
        "closed",
        "訓練終了。振り返りを実施",
        60,
        true,
    ),
];

/// The airline's playbooks, from its risk-management manual: (name,
/// category, steps).
const DEMO_PLAYBOOKS: &[(&str, &str, &str)] = &[
    (
        "会員アカウント乗っ取りへの対応",
        "account_takeover",
        "+0 攻撃元のアドレス・ネットワークを遮断する\n+0 影響を受けた会員アカウントを停止し、パスワードを再設定させる\n+1 マイル交換・登録情報変更など不正利用の有無を確認する\n+2 個人情報保護委員会への報告要否を判定する\n+3 会員への通知と公表の要否を決める\n+30 再発防止策を是正処置に登録する",
    ),
    (
        "情報漏えいへの対応",
        "data_leak",
        "+0 ログ・端末などの証拠を保全する\n+0 感染端末をネットワークから切り離す\n+1 漏えいした個人データの項目と本人の数を確定する\n+2 個人情報保護委員会への速報を提出する\n+3 本人への通知と公表を準備する\n+29 個人情報保護委員会への確報を提出する\n+30 再発防止策を是正処置に登録する",
    ),
];

async fn demo_playbooks(
    store: &Store,
    ids: &std::collections::HashMap<&str, uuid::Uuid>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), String> {
    use mamori_domain::registers::PLAYBOOKS;
    let records = DEMO_PLAYBOOKS
        .iter()
        .map(|(name, category, steps)| {
            let mut r = Record::default();
            r.values.insert("name", text(name));
            r.values.insert("category", text(category));
            r.values.insert("steps", text(steps));
            r.values.insert("active", Value::Bool(true));
            r
        })
        .collect();
    import_airline(store, ids, &PLAYBOOKS, records, actor, now, "playbooks").await
}

/// The airline's notices: one published about the account takeovers
/// (written by the demo, approved and published by a second pair of eyes,
/// as the store insists), one still a draft.
async fn demo_disclosures(
    store: &Store,
    ids: &std::collections::HashMap<&str, uuid::Uuid>,
    approver: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), String> {
    use mamori_domain::registers::DISCLOSURES;
    let err = |e: mamori_store::StoreError| format!("demo disclosures: {e:?}");
    let notice = |title: &str, status: &str, body: &str| {
        let mut r = Record::default();
        r.values.insert("title", text(title));
        r.values.insert("status", text(status));
        r.values.insert("body", text(body));
        r
    };
    import_airline(
        store,
        ids,
        &DISCLOSURES,
        vec![notice(
            "標的型メールによる情報流出について(第2報)",
            "draft",
            "調査の結果判明した事項をお知らせします。",
        )],
        actor,
        now,
        "disclosures",
    )
    .await?;
    let air = *ids.get("AIR").ok_or("the demo group has no airline")?;
    let made = store
        .create_record(
            &DISCLOSURES,
            air,
            notice(
                "マイレージ会員サイトへの不正ログインについて(お詫びとお願い)",
                "in_review",
                "他のサービスから流出したとみられるIDとパスワードを使った不正ログインが確認されました。該当する会員の皆さまには個別にご連絡し、パスワードの変更をお願いしております。ログイン時の多要素認証を順次導入いたします。",
            ),
            actor,
            now,
        )
        .await
        .map_err(err)?;
    let reviewer = Actor::system("demo-approver");
    let mut approve = Record::default();
    approve.values.insert("status", text("approved"));
    approve.values.insert(
        "approved_by",
        Value::Ref(RefValue::Key(approver.to_owned())),
    );
    let approved = store
        .update_record(&DISCLOSURES, made.id, made.version, approve, &reviewer, now)
        .await
        .map_err(err)?;
    let mut publish = Record::default();
    publish.values.insert("status", text("published"));
    store
        .update_record(
            &DISCLOSURES,
            made.id,
            approved.version,
            publish,
            &reviewer,
            now,
        )
        .await
        .map_err(err)?;
    Ok(())
}

/// The airline's roster (this week: a first responder each day and night
/// shift, a second line all week), its escalation rules, and two injects
/// for its drill.
async fn demo_notification(
    store: &Store,
    ids: &std::collections::HashMap<&str, uuid::Uuid>,
    staff: &[String],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), String> {
    use mamori_domain::registers::{DRILL_INJECTS, DUTY_SHIFTS, ESCALATION_RULES};
    let [day, night, second] = staff else {
        return Err("the demo airline needs three staff for its roster".into());
    };
    // Shifts change at 09:00 and 21:00 in the group's zone.
    let zone = store.settings().zone;
    let today = now.with_timezone(&zone).date_naive();
    let at = |days: i64, hour: u32| {
        (today + chrono::Duration::days(days))
            .and_hms_opt(hour, 0, 0)
            .and_then(|t| t.and_local_timezone(zone).earliest())
            .map(|t| t.with_timezone(&Utc))
            .ok_or("a shift boundary does not exist in the group's zone")
    };
    let shift = |who: &str, tier: &str, from: DateTime<Utc>, to: DateTime<Utc>| {
        let mut r = Record::default();
        r.values
            .insert("person", Value::Ref(RefValue::Key(who.to_owned())));
        r.values.insert("tier", text(tier));
        r.values.insert("starts_at", Value::Time(from));
        r.values.insert("ends_at", Value::Time(to));
        r
    };
    let mut shifts = Vec::new();
    for d in -1..6 {
        shifts.push(shift(day, "1", at(d, 9)?, at(d, 21)?));
        shifts.push(shift(night, "1", at(d, 21)?, at(d + 1, 9)?));
    }
    shifts.push(shift(second, "2", at(-1, 9)?, at(6, 9)?));
    import_airline(store, ids, &DUTY_SHIFTS, shifts, actor, now, "duty shifts").await?;
    let rule =
        |name: &str, event: &str, tier: &str, after: i64, min: Option<(&'static str, &str)>| {
            let mut r = Record::default();
            r.values.insert("name", text(name));
            r.values.insert("event", text(event));
            r.values.insert("tier", text(tier));
            r.values.insert("after_minutes", Value::Int(after));
            r.values.insert("active", Value::Bool(true));
            if let Some((field, value)) = min {
                r.values.insert(field, text(value));
            }
            r
        };
    let high = demo_severity(store, "high");
    let mut rules = vec![
        rule(
            "重大インシデントは当番へ即時",
            "incident_opened",
            "1",
            0,
            Some(("min_severity", high.as_str())),
        ),
        rule("30分未着手なら第2段階へ", "incident_opened", "2", 30, None),
        rule(
            "高レベルのアラートは当番へ",
            "alert_new",
            "1",
            0,
            Some(("min_level", "high")),
        ),
        rule("報告期限の前日と超過", "deadline_due_soon", "2", 0, None),
        rule("訓練インジェクト", "drill_inject", "1", 0, None),
    ];
    rules[1]
        .values
        .insert("also_notify", text("ciso-office@air.example.jp"));
    import_airline(
        store,
        ids,
        &ESCALATION_RULES,
        rules,
        actor,
        now,
        "escalation rules",
    )
    .await?;
    let drill = airline_incident(store, ids, "exercise", Value::Bool(true)).await?;
    let inject = |hours: i64, message: &str| {
        let mut r = Record::default();
        r.values.insert("incident", Value::Ref(RefValue::Id(drill)));
        r.values
            .insert("due_at", Value::Time(now + chrono::Duration::hours(hours)));
        r.values.insert("message", text(message));
        r
    };
    let injects = vec![
        inject(
            24,
            "顧客情報システムの管理者アカウントで深夜に大量の照会が記録された。",
        ),
        inject(
            26,
            "報道機関から、顧客情報の流出について問い合わせがあった。",
        ),
    ];
    import_airline(
        store,
        ids,
        &DRILL_INJECTS,
        injects,
        actor,
        now,
        "drill injects",
    )
    .await
}

/// The first of the demo airline's incidents whose `field` holds `value`.
async fn airline_incident(
    store: &Store,
    ids: &std::collections::HashMap<&str, uuid::Uuid>,
    field: &str,
    value: Value,
) -> Result<uuid::Uuid, String> {
    use mamori_domain::registers::INCIDENTS;
    let spec = INCIDENTS
        .field(field)
        .ok_or_else(|| format!("incidents have no {field}"))?;
    let found = store
        .list_records(
            &INCIDENTS,
            &ListQuery {
                scope: mamori_domain::authz::Scope::All,
                company: ids.get("AIR").copied(),
                filters: vec![(spec, value)],
                search: None,
                archived: Archived::Active,
                sort: None,
                desc: false,
                after: None,
                limit: 1,
                count: false,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    found
        .items
        .first()
        .map(|s| s.id)
        .ok_or_else(|| format!("the demo airline has no incident with that {field}"))
}

/// Who handles the airline's data leak: a group CSIRT lead from another
/// company, and the airline's own handler.
async fn demo_incident_team(
    store: &Store,
    ids: &std::collections::HashMap<&str, uuid::Uuid>,
    handler: &str,
    lead: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), String> {
    use mamori_domain::registers::INCIDENT_TEAM;
    let leak = airline_incident(store, ids, "category", text("data_leak")).await?;
    let member = |who: &str, role: &str| {
        let mut r = Record::default();
        r.values.insert("incident", Value::Ref(RefValue::Id(leak)));
        r.values
            .insert("person", Value::Ref(RefValue::Key(who.to_owned())));
        r.values.insert("role", text(role));
        r.values.insert("joined_at", Value::Time(now));
        r
    };
    let team = vec![member(lead, "lead"), member(handler, "handler")];
    import_airline(
        store,
        ids,
        &INCIDENT_TEAM,
        team,
        actor,
        now,
        "incident team",
    )
    .await
}

/// The airline's measures against recurrence: (title, status, days to due).
const DEMO_CORRECTIVE_ACTIONS: &[(&str, &str, i64)] = &[
    ("全会員向けログインへの多要素認証の展開", "in_progress", 60),
    ("メール添付ファイルの無害化と実行制限", "implemented", 14),
];

async fn demo_corrective_actions(
    store: &Store,
    ids: &std::collections::HashMap<&str, uuid::Uuid>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), String> {
    use mamori_domain::registers::CORRECTIVE_ACTIONS;
    let records = DEMO_CORRECTIVE_ACTIONS
        .iter()
        .map(|(title, status, days)| {
            let mut r = Record::default();
            r.values.insert("title", text(title));
            r.values.insert("status", text(status));
            r.values.insert(
                "due_date",
                Value::Date(now.date_naive() + chrono::Duration::days(*days)),
            );
            r
        })
        .collect();
    import_airline(
        store,
        ids,
        &CORRECTIVE_ACTIONS,
        records,
        actor,
        now,
        "corrective actions",
    )
    .await
}

async fn demo_incidents(
    store: &Store,
    ids: &std::collections::HashMap<&str, uuid::Uuid>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), String> {
    use mamori_domain::registers::INCIDENTS;
    let records = DEMO_INCIDENTS
        .iter()
        .map(
            |(title, category, severity, status, reason, days, exercise)| {
                let mut r = Record::default();
                r.values.insert("title", text(title));
                r.values.insert("category", text(category));
                r.values
                    .insert("severity", text(&demo_severity(store, severity)));
                r.values.insert("status", text(status));
                r.values.insert("status_reason", text(reason));
                r.values.insert("exercise", Value::Bool(*exercise));
                r.values.insert(
                    "detected_at",
                    Value::Time(now - chrono::Duration::days(*days)),
                );
                r
            },
        )
        .collect();
    import_airline(store, ids, &INCIDENTS, records, actor, now, "incidents").await
}

/// Loads [`DEMO_RISKS`]; the accepted one carries its acceptance.
async fn demo_risks(
    store: &Store,
    ids: &std::collections::HashMap<&str, uuid::Uuid>,
    approver: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let rows: Vec<ImportRow> = DEMO_RISKS
        .iter()
        .enumerate()
        .map(
            |(
                i,
                DemoRisk(company, title, threat, vulnerability, il, ii, treatment, rl, ri, status),
            )| {
                let mut r = Record::default();
                for (field, value) in [
                    ("title", title),
                    ("threat", threat),
                    ("vulnerability", vulnerability),
                    ("inherent_likelihood", il),
                    ("inherent_impact", ii),
                    ("treatment", treatment),
                    ("residual_likelihood", rl),
                    ("residual_impact", ri),
                    ("status", status),
                ] {
                    r.values.insert(field, text(value));
                }
                // On a configured matrix smaller than the demo's 5 × 5, the
                // demo's steps are brought within it.
                let matrix = &store.settings().risk_matrix;
                for (name, axis) in [
                    ("inherent_likelihood", "likelihood"),
                    ("inherent_impact", "impact"),
                    ("residual_likelihood", "likelihood"),
                    ("residual_impact", "impact"),
                ] {
                    let top = matrix.steps(axis).len();
                    if let Some(step) = r.text(name).and_then(|v| v.parse::<usize>().ok())
                        && step > top
                    {
                        r.values.insert(name, Value::Text(top.to_string()));
                    }
                }
                r.values.insert(
                    "review_date",
                    Value::Date(now.date_naive() + chrono::Duration::days(30 * (i as i64 + 1))),
                );
                if *treatment == "accept" {
                    r.values.insert(
                        "acceptance_approver",
                        Value::Ref(RefValue::Key(approver.to_owned())),
                    );
                    r.values.insert(
                        "acceptance_reason",
                        text("端末は業務データを保持せず、紛失時は遠隔消去できるため"),
                    );
                    r.values.insert(
                        "acceptance_expiry",
                        Value::Date(now.date_naive() + chrono::Duration::days(180)),
                    );
                }
                ImportRow {
                    line: i + 1,
                    company_id: ids[company],
                    ref_no: None,
                    record: r,
                }
            },
        )
        .collect();
    import_demo(store, &RISKS, rows, actor, now, "risks").await?;
    Ok(())
}

/// The demo's severity (on the default four-level scale) on the scale in
/// force: the level at the same relative height.
fn demo_severity(store: &Store, code: &str) -> String {
    use mamori_domain::settings::{INCIDENT_SEVERITY, ScaleLevel};
    let settings = store.settings();
    let scale = settings.scale(INCIDENT_SEVERITY).unwrap_or_default();
    if scale.iter().any(|l| l.code == code) || scale.is_empty() {
        return code.to_owned();
    }
    let default = ScaleLevel::default_severity();
    let rank = default.iter().position(|l| l.code == code).unwrap_or(0);
    let top = scale.len() - 1;
    let at = (rank * top + (default.len() - 1) / 2) / (default.len() - 1);
    scale[at.min(top)].code.clone()
}

/// Demo text as a field value: empty text is no value.
fn text(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::Text(s.to_owned())
    }
}

/// Loads the libraries mamori ships (ISO/IEC 27001:2022, APPI safety
/// measures, the group's basic policy) that are not loaded yet; returns how
/// many it loaded. Run at every start, so an upgrade brings new ones.
pub async fn builtin_libraries(store: &Store, now: DateTime<Utc>) -> Result<usize, String> {
    let actor = Actor::system("mamori");
    let mut loaded = 0;
    for (name, text) in mamori_domain::library_format::BUILTIN {
        let lib = mamori_domain::library_format::parse_library(text)
            .map_err(|e| format!("the built-in library {name} does not read: {e:?}"))?;
        if store
            .library_loaded(&lib.urn)
            .await
            .map_err(|e| e.to_string())?
        {
            continue;
        }
        store
            .load_library(&lib, &actor, now)
            .await
            .map_err(|e| format!("the built-in library {name} did not load: {e}"))?;
        loaded += 1;
    }
    Ok(loaded)
}

/// Assessments of the demo's cloud services: approved, approved with
/// conditions, rejected, and one whose approval has run out.
async fn demo_cloud_assessments(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), String> {
    use mamori_domain::registers::{ASSETS, AnswerKind, CLOUD_ASSESSMENTS};
    let questionnaire = &store.settings().cloud_questionnaire;
    let kind = ASSETS.field("kind").ok_or("assets have no kind")?;
    let query = mamori_store::records::ListQuery {
        scope: mamori_domain::authz::Scope::All,
        company: None,
        filters: vec![(kind, Value::Text("cloud_service".into()))],
        search: None,
        archived: mamori_store::records::Archived::Active,
        sort: None,
        desc: false,
        after: None,
        limit: 4,
        count: false,
    };
    let services = store
        .list_records(&ASSETS, &query)
        .await
        .map_err(|e| e.to_string())?
        .items;
    let today = now.date_naive();
    let plans = [
        ("approved", "met", "confidential", 365, "東京リージョン", ""),
        (
            "approved_with_conditions",
            "partial",
            "internal",
            180,
            "日本国内(東京・大阪)",
            "顧客の個人情報は保存しない。管理者アカウントは多要素認証を必須とする。",
        ),
        ("rejected", "not_met", "", 90, "不明(国外の可能性)", ""),
        ("approved", "met", "internal", -10, "東京リージョン", ""),
    ];
    let rows: Vec<ImportRow> = services
        .iter()
        .zip(plans)
        .enumerate()
        .map(
            |(i, (asset, (verdict, answer, class, days, location, conditions)))| {
                let mut r = Record::default();
                r.values.insert("asset", Value::Ref(RefValue::Id(asset.id)));
                r.values.insert("verdict", text(verdict));
                r.values.insert("max_classification", text(class));
                r.values.insert("conditions", text(conditions));
                // Whatever questionnaire is configured: text questions get
                // the location, yes/no a yes unless the service failed.
                let answers: serde_json::Map<String, serde_json::Value> = questionnaire
                    .questions
                    .iter()
                    .map(|q| {
                        let a = match q.kind {
                            AnswerKind::Text => location,
                            AnswerKind::YesNo if answer == "not_met" => "no",
                            AnswerKind::YesNo => "yes",
                            AnswerKind::Rating => answer,
                        };
                        (q.id.clone(), serde_json::Value::from(a))
                    })
                    .collect();
                let answers = questionnaire
                    .parse_json(&serde_json::Value::Object(answers))
                    .unwrap_or(Value::Null);
                r.values.insert("answers", answers);
                let assessed = today - chrono::Duration::days(30);
                r.values.insert("assessed_on", Value::Date(assessed));
                // The last one ran out ten days ago.
                r.values
                    .insert("expiry", Value::Date(today + chrono::Duration::days(days)));
                ImportRow {
                    line: i + 1,
                    company_id: asset.company_id,
                    ref_no: None,
                    record: r,
                }
            },
        )
        .collect();
    import_demo(
        store,
        &CLOUD_ASSESSMENTS,
        rows,
        actor,
        now,
        "cloud assessments",
    )
    .await?;
    Ok(())
}

/// Imports demo rows all or nothing; a refusal names what and the first
/// bad row.
/// Loads records into the demo airline (AIR) through the kernel's import.
async fn import_airline(
    store: &Store,
    ids: &std::collections::HashMap<&str, uuid::Uuid>,
    spec: &mamori_domain::register::RegisterSpec,
    records: Vec<Record>,
    actor: &Actor,
    now: DateTime<Utc>,
    what: &str,
) -> Result<(), String> {
    let air = *ids.get("AIR").ok_or("the demo group has no airline")?;
    let rows = records
        .into_iter()
        .enumerate()
        .map(|(i, record)| ImportRow {
            line: i + 1,
            company_id: air,
            ref_no: None,
            record,
        })
        .collect();
    import_demo(store, spec, rows, actor, now, what).await
}

async fn import_demo(
    store: &Store,
    spec: &mamori_domain::register::RegisterSpec,
    rows: Vec<ImportRow>,
    actor: &Actor,
    now: DateTime<Utc>,
    what: &str,
) -> Result<(), String> {
    let outcome = store
        .import_records(spec, rows, false, actor, now)
        .await
        .map_err(|e| e.to_string())?;
    match outcome.errors.first() {
        None => Ok(()),
        Some(first) => Err(format!("demo {what} rejected: {first:?}")),
    }
}
