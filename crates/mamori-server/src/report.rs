//! Drafts of the regulators' breach reports, filled from an incident: the
//! PPC report (個人情報保護委員会への漏えい等報告) with the nine items of
//! the Enforcement Rules Art. 8(1), preliminary or final, in Japanese; and
//! the GDPR Art. 33(3) notification in English. A printable page, and an
//! XLSX file with the same items; every draft taken is audited as an
//! export.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use mamori_domain::authz::Action;
use mamori_domain::register::Value;
use mamori_domain::registers::{CORRECTIVE_ACTIONS, INCIDENTS};
use mamori_store::records::Stored;

use crate::context::{WebUser, url_pairs};
use crate::error::ApiError;
use crate::kernel::{self, parse_id};
use crate::{AppState, Ctx};

/// Which draft.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    PpcPreliminary,
    PpcFinal,
    Gdpr,
}

impl Kind {
    fn parse(s: &str) -> Result<Kind, ApiError> {
        match s {
            "ppc_preliminary" => Ok(Kind::PpcPreliminary),
            "ppc_final" => Ok(Kind::PpcFinal),
            "gdpr" => Ok(Kind::Gdpr),
            _ => Err(ApiError::BadRequest(
                "kind must be ppc_preliminary, ppc_final or gdpr".into(),
            )),
        }
    }

    fn code(self) -> &'static str {
        match self {
            Kind::PpcPreliminary => "ppc_preliminary",
            Kind::PpcFinal => "ppc_final",
            Kind::Gdpr => "gdpr",
        }
    }
}

fn text(s: &Stored, field: &str) -> String {
    s.record.text(field).unwrap_or_default().trim().to_owned()
}

fn instant(ctx: &Ctx, s: &Stored, field: &str) -> String {
    match s.record.get(field) {
        Value::Time(t) => ctx.local(*t),
        _ => String::new(),
    }
}

/// The items, (heading, content), filled from the incident and the
/// corrective actions linked with it.
fn items(
    ctx: &Ctx,
    kind: Kind,
    s: &Stored,
    company: &str,
    measures: &[String],
) -> Vec<(String, String)> {
    let facts = mamori_domain::registers::incident_facts(&s.record);
    let people = match s.record.get("people_affected") {
        Value::Int(n) => n.to_string(),
        _ => String::new(),
    };
    let flag = |f: &str| *s.record.get(f) == Value::Bool(true);
    if kind == Kind::Gdpr {
        let missing = "to be provided in a further phase (Art. 33(4))";
        let or = |v: String| if v.is_empty() { missing.to_owned() } else { v };
        let aware = facts
            .as_ref()
            .map(|f| f.aware_at.to_rfc3339())
            .unwrap_or_default();
        return vec![
            ("Controller".into(), company.to_owned()),
            ("Reference".into(), s.ref_no.clone()),
            ("Became aware at".into(), or(aware)),
            (
                "(a) Nature of the breach, categories and approximate numbers of data subjects and records".into(),
                or([text(s, "description"), text(s, "data_items"), if people.is_empty() { String::new() } else { format!("Approximately {people} data subjects.") }]
                    .into_iter()
                    .filter(|x| !x.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n")),
            ),
            ("(b) Contact point (DPO or other)".into(), or(text(s, "contact_point"))),
            ("(c) Likely consequences".into(), or(text(s, "secondary_damage"))),
            (
                "(d) Measures taken or proposed, including to mitigate adverse effects".into(),
                or([text(s, "response_to_people"), measures.join("\n")]
                    .into_iter()
                    .filter(|x| !x.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n")),
            ),
        ];
    }
    let pending = if kind == Kind::PpcPreliminary {
        "確認中"
    } else {
        ""
    };
    let or = |v: String| if v.is_empty() { pending.to_owned() } else { v };
    let categories: Vec<&str> = [
        (
            flag("sensitive"),
            "要配慮個人情報が含まれる事態(施行規則第7条第1号)",
        ),
        (
            flag("financial_risk"),
            "財産的被害が生じるおそれがある事態(同第2号)",
        ),
        (
            flag("wrongful_purpose"),
            "不正の目的をもって行われたおそれがある事態(同第3号)",
        ),
        (
            facts.as_ref().is_some_and(|f| f.people > 1000),
            "本人の数が1,000人を超える事態(同第4号)",
        ),
    ]
    .into_iter()
    .filter(|(yes, _)| *yes)
    .map(|(_, label)| label)
    .collect();
    let summary = [
        format!("事案番号: {}", s.ref_no),
        format!("発生を検知した日時: {}", instant(ctx, s, "detected_at")),
        format!("事態を知った日時: {}", instant(ctx, s, "aware_at")),
        format!(
            "該当する事態: {}",
            if categories.is_empty() {
                "なし".to_owned()
            } else {
                categories.join("、")
            }
        ),
        text(s, "description"),
    ]
    .join("\n");
    vec![
        ("報告者".into(), company.to_owned()),
        (
            "報告の区分".into(),
            if kind == Kind::PpcPreliminary {
                "速報".into()
            } else {
                "確報".into()
            },
        ),
        ("(1) 概要".into(), summary),
        (
            "(2) 漏えい等が発生し、又は発生したおそれがある個人データの項目".into(),
            or(text(s, "data_items")),
        ),
        (
            "(3) 漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数".into(),
            or(if people.is_empty() {
                String::new()
            } else {
                format!("{people}人")
            }),
        ),
        ("(4) 原因".into(), or(text(s, "cause"))),
        (
            "(5) 二次被害又はそのおそれの有無及びその内容".into(),
            or(text(s, "secondary_damage")),
        ),
        (
            "(6) 本人への対応の実施状況".into(),
            or([
                text(s, "response_to_people"),
                match instant(ctx, s, "people_notified_at") {
                    at if at.is_empty() => String::new(),
                    at => format!("本人への通知: {at}"),
                },
            ]
            .into_iter()
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
            .join("\n")),
        ),
        ("(7) 公表の実施状況".into(), or(text(s, "announcement"))),
        ("(8) 再発防止のための措置".into(), or(measures.join("\n"))),
        (
            "(9) その他参考となる事項".into(),
            format!("mamori {} より作成した下書き", s.ref_no),
        ),
    ]
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    f: crate::web::Frame<'a>,
    heading: String,
    lang: &'static str,
    items: Vec<(String, String)>,
    xlsx: String,
    exercise: bool,
}

/// `/r/incidents/{id}/report?kind=ppc_preliminary|ppc_final|gdpr[&format=xlsx]`.
pub async fn report(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = query.as_deref().map(url_pairs).unwrap_or_default();
    let value = |k: &str| crate::web::field(&pairs, k).to_owned();
    let result = async {
        let kind = Kind::parse(&value("kind"))?;
        let s = kernel::get(&state, &ctx, &p, &INCIDENTS, parse_id(&id)?).await?;
        // A draft takes the incident's data out: those who may export it.
        if !may_draft(&ctx, &p, &s) {
            return Err(ApiError::Forbidden);
        }
        let company = state
            .store
            .companies(&mamori_domain::authz::Scope::All)
            .await?
            .into_iter()
            .find(|c| c.id == s.company_id)
            .map(|c| {
                if kind == Kind::Gdpr {
                    c.name_en
                } else {
                    c.name_ja
                }
            })
            .unwrap_or_default();
        // The corrective actions linked with it, as the measures taken.
        let measures: Vec<String> =
            crate::links::visible_links(&state, &ctx, &p, &INCIDENTS, s.id, s.company_id)
                .await?
                .into_iter()
                .filter(|l| l.register == CORRECTIVE_ACTIONS.name)
                .map(|l| {
                    format!(
                        "{} {}",
                        l.ref_no,
                        if kind == Kind::Gdpr {
                            l.title_en
                        } else {
                            l.title_ja
                        }
                    )
                })
                .collect();
        let entry = mamori_store::audit::Entry {
            actor_id: Some(p.user_id),
            actor: p.username.clone(),
            action: "export".into(),
            register: INCIDENTS.name.into(),
            record_id: Some(s.id),
            company_id: Some(s.company_id),
            detail: Some(format!("report={}", kind.code())),
            ..Default::default()
        };
        state.store.audit(&entry, ctx.now).await?;
        Ok::<_, ApiError>((kind, s.clone(), items(&ctx, kind, &s, &company, &measures)))
    }
    .await;
    let (kind, s, items) = match result {
        Ok(r) => r,
        Err(e) => return crate::web::error_page(&state, &ctx, e),
    };
    let heading = ctx
        .t(&state)
        .t(match kind {
            Kind::PpcPreliminary => "report.ppc_preliminary",
            Kind::PpcFinal => "report.ppc_final",
            Kind::Gdpr => "report.gdpr",
        })
        .to_owned();
    if value("format") == "xlsx" {
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|(h, c)| vec![h.clone(), c.clone()])
            .collect();
        let header = if kind == Kind::Gdpr {
            ["Item", "Content"]
        } else {
            ["項目", "内容"]
        };
        return match crate::transfer::to_xlsx("report", &header, &rows) {
            Ok(bytes) => {
                let name = format!("mamori-{}-{}.xlsx", s.ref_no, kind.code());
                (
                    [
                        (
                            axum::http::header::CONTENT_TYPE,
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                                .to_owned(),
                        ),
                        (
                            axum::http::header::CONTENT_DISPOSITION,
                            format!("attachment; filename=\"{name}\""),
                        ),
                    ],
                    bytes,
                )
                    .into_response()
            }
            Err(e) => crate::web::error_page(&state, &ctx, e),
        };
    }
    crate::web::render(ReportPage {
        f: crate::web::frame(&state, &ctx, "report.drafts"),
        heading,
        lang: if kind == Kind::Gdpr { "en" } else { "ja" },
        xlsx: format!(
            "/r/incidents/{}/report?kind={}&format=xlsx",
            s.id,
            kind.code()
        ),
        exercise: *s.record.get("exercise") == Value::Bool(true),
        items,
    })
}

/// Whether the reader may take drafts of `s`: those who may export incidents.
pub fn may_draft(ctx: &Ctx, p: &mamori_domain::authz::Principal, s: &Stored) -> bool {
    p.scope(INCIDENTS.name, Action::Export, ctx.now)
        .contains(s.company_id)
}
