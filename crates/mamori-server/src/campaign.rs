//! Assessment campaigns over HTTP: launch one (a framework, the companies,
//! a due date), list them, follow each company's progress; and the pages
//! for the same. Launching needs the right to create compliance
//! assessments in every company named; reading shows the companies the
//! reader may see.

use askama::Template;
use axum::Json as JsonBody;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use mamori_domain::FieldError;
use mamori_domain::authz::{Action, Principal, Scope};
use mamori_domain::registers::{COMPLIANCE_ASSESSMENTS, REQUIREMENT_ASSESSMENTS};
use mamori_store::campaigns::{Campaign, CampaignCompany, NewCampaign};
use mamori_store::org::Company;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::context::{ApiUser, WebUser};
use crate::error::ApiError;
use crate::kernel::require;
use crate::{AppState, Ctx};

/// What a launch request says, before it is checked.
struct Launch<'a> {
    name: &'a str,
    framework: &'a str,
    /// Company codes or ids; none means every company the launcher may
    /// create assessments in.
    companies: Vec<&'a str>,
    due_date: &'a str,
}

/// Checks a launch and names every problem.
async fn checked(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    launch: &Launch<'_>,
) -> Result<NewCampaign, ApiError> {
    let scope = require(p, &COMPLIANCE_ASSESSMENTS, Action::Create, ctx.now)?;
    let mut errors = Vec::new();
    let name = launch.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "name",
            "must be 1 to 200 characters on one line",
        ));
    }
    let due_date = NaiveDate::parse_from_str(launch.due_date.trim(), "%Y-%m-%d")
        .map_err(|_| {
            errors.push(FieldError::new(
                "due_date",
                "must be a date written YYYY-MM-DD",
            ))
        })
        .ok();
    let frameworks = state.store.frameworks().await?;
    let wanted = launch.framework.trim();
    let framework = frameworks
        .iter()
        .find(|f| f.id.to_string() == wanted || f.urn == wanted);
    if framework.is_none() {
        errors.push(FieldError::new(
            "framework",
            "no such framework is loaded (give its id or URN)",
        ));
    }
    let all = state.store.companies(&Scope::All).await?;
    let mut companies = Vec::new();
    if launch.companies.is_empty() {
        companies.extend(all.iter().filter(|c| scope.contains(c.id)).map(|c| c.id));
    }
    for wanted in &launch.companies {
        let wanted = wanted.trim();
        match all
            .iter()
            .find(|c| c.code == wanted || c.id.to_string() == wanted)
        {
            None => errors.push(FieldError::new(
                "companies",
                format!("no company {wanted:?}"),
            )),
            Some(c) if !scope.contains(c.id) => return Err(ApiError::Forbidden),
            Some(c) if companies.contains(&c.id) => {}
            Some(c) => companies.push(c.id),
        }
    }
    if companies.is_empty() && errors.is_empty() {
        errors.push(FieldError::new("companies", "name at least one company"));
    }
    match (errors.is_empty(), framework, due_date) {
        (true, Some(f), Some(due_date)) => Ok(NewCampaign {
            name: name.to_owned(),
            framework_id: f.id,
            companies,
            due_date,
        }),
        _ => Err(ApiError::Invalid(errors)),
    }
}

fn campaign_json(c: &Campaign, companies: &[CampaignCompany]) -> Json {
    json!({
        "id": c.id,
        "name": c.name,
        "framework_id": c.framework_id,
        "due_date": c.due_date,
        "started_at": c.started_at,
        "started_by": c.started_by,
        "companies": companies.iter().map(|x| json!({
            "company_id": x.company_id,
            "assessment_id": x.assessment_id,
            "ref_no": x.ref_no,
            "status": x.status,
            "requirements": x.requirements,
            "reviewed": x.reviewed,
            "progress": x.progress(),
            "applicable": x.applicable,
            "implemented": x.implemented,
        })).collect::<Vec<_>>(),
    })
}

/// `POST /api/v1/campaigns` with `{"name", "framework" (id or URN),
/// "companies" (codes or ids; omitted for every company you may assess),
/// "due_date"}`: 201 with the campaign and its companies.
pub async fn create(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    body: Bytes,
) -> Result<(StatusCode, JsonBody<Json>), ApiError> {
    let parsed: Json = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body must be JSON: {e}")))?;
    let Json::Object(object) = &parsed else {
        return Err(ApiError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    if let Some(unknown) = object
        .keys()
        .find(|k| !["name", "framework", "companies", "due_date"].contains(&k.as_str()))
    {
        return Err(ApiError::Invalid(vec![FieldError::new(
            unknown,
            "unknown field",
        )]));
    }
    let text = |key: &str| -> Result<&str, ApiError> {
        match object.get(key) {
            None | Some(Json::Null) => Ok(""),
            Some(Json::String(s)) => Ok(s),
            Some(_) => Err(ApiError::Invalid(vec![FieldError::new(
                key,
                "must be text",
            )])),
        }
    };
    let companies = match object.get("companies") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) if items.len() <= 1000 => items
            .iter()
            .map(|i| i.as_str())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ApiError::Invalid(vec![FieldError::new(
                    "companies",
                    "must be a list of company codes or ids",
                )])
            })?,
        Some(_) => {
            return Err(ApiError::Invalid(vec![FieldError::new(
                "companies",
                "must be a list of at most 1,000 company codes or ids",
            )]));
        }
    };
    let launch = Launch {
        name: text("name")?,
        framework: text("framework")?,
        companies,
        due_date: text("due_date")?,
    };
    let new = checked(&state, &ctx, &p, &launch).await?;
    let campaign = state
        .store
        .launch_campaign(&new, &ctx.actor(), ctx.now)
        .await?;
    let scope = p.scope(COMPLIANCE_ASSESSMENTS.name, Action::Read, ctx.now);
    let companies = state.store.campaign_progress(&campaign, &scope).await?;
    Ok((
        StatusCode::CREATED,
        JsonBody(campaign_json(&campaign, &companies)),
    ))
}

/// Campaigns the reader takes part in (or all, group-wide), each with
/// its companies' statuses counted from the rollups.
async fn visible(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
) -> Result<Vec<(Campaign, Vec<(String, i64)>)>, ApiError> {
    let scope = require(p, &COMPLIANCE_ASSESSMENTS, Action::Read, ctx.now)?;
    // Rollup 1 counts assessments by (campaign, status).
    let counts = state
        .store
        .rollup(&COMPLIANCE_ASSESSMENTS, 1, &scope, None)
        .await?;
    let mut out = Vec::new();
    for c in state.store.campaigns().await? {
        let key = c.id.simple().to_string();
        let mut statuses: Vec<(String, i64)> = Vec::new();
        for n in counts.iter().filter(|n| n.key[0] == key) {
            match statuses.iter_mut().find(|(s, _)| *s == n.key[1]) {
                Some(found) => found.1 += n.n,
                None => statuses.push((n.key[1].clone(), n.n)),
            }
        }
        if !statuses.is_empty() || scope == Scope::All {
            out.push((c, statuses));
        }
    }
    Ok(out)
}

/// `GET /api/v1/campaigns`: the campaigns, with how many of their
/// assessments are in each status.
pub async fn list(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
) -> Result<JsonBody<Json>, ApiError> {
    let items: Vec<Json> = visible(&state, &ctx, &p)
        .await?
        .into_iter()
        .map(|(c, statuses)| {
            let mut j = campaign_json(&c, &[]);
            if let Json::Object(o) = &mut j {
                o.remove("companies");
                o.insert(
                    "statuses".into(),
                    Json::Object(statuses.into_iter().map(|(s, n)| (s, json!(n))).collect()),
                );
            }
            j
        })
        .collect();
    Ok(JsonBody(json!({ "items": items })))
}

async fn one(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    id: &str,
) -> Result<(Campaign, Vec<CampaignCompany>), ApiError> {
    let scope = require(p, &COMPLIANCE_ASSESSMENTS, Action::Read, ctx.now)?;
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let campaign = state.store.campaign(id).await?;
    let companies = state.store.campaign_progress(&campaign, &scope).await?;
    // A campaign none of whose companies the reader sees is not theirs.
    if companies.is_empty() && scope != Scope::All {
        return Err(ApiError::NotFound);
    }
    Ok((campaign, companies))
}

/// `GET /api/v1/campaigns/{id}`: the campaign and, per company the reader
/// may see, its assessment's status and progress.
pub async fn get(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(id): Path<String>,
) -> Result<JsonBody<Json>, ApiError> {
    let (campaign, companies) = one(&state, &ctx, &p, &id).await?;
    Ok(JsonBody(campaign_json(&campaign, &companies)))
}

// ---- pages ----

struct CampaignView {
    href: String,
    name: String,
    framework: String,
    due_date: String,
    statuses: String,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage<'a> {
    f: crate::web::Frame<'a>,
    items: Vec<CampaignView>,
    /// The launch form's choices; empty when the reader may not launch.
    frameworks: Vec<(String, String)>,
    companies: Vec<(String, String)>,
    errors: Vec<String>,
}

fn framework_name(
    ctx: &Ctx,
    frameworks: &[mamori_store::library::FrameworkRow],
    id: Uuid,
) -> String {
    let ja = ctx.lang == crate::i18n::Lang::Ja;
    frameworks
        .iter()
        .find(|f| f.id == id)
        .map(|f| {
            f.name_ja
                .clone()
                .filter(|_| ja)
                .unwrap_or_else(|| f.name.clone())
        })
        .unwrap_or_default()
}

fn company_label(ctx: &Ctx, c: &Company) -> String {
    let name = if ctx.lang == crate::i18n::Lang::Ja {
        &c.name_ja
    } else {
        &c.name_en
    };
    format!("{} {name}", c.code)
}

async fn campaigns_page(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    errors: Vec<String>,
) -> Result<Response, ApiError> {
    let t = ctx.t(state);
    let frameworks = state.store.frameworks().await?;
    let items = visible(state, ctx, p)
        .await?
        .into_iter()
        .map(|(c, statuses)| CampaignView {
            href: format!("/campaigns/{}", c.id),
            framework: framework_name(ctx, &frameworks, c.framework_id),
            due_date: c.due_date.to_string(),
            statuses: statuses
                .iter()
                .map(|(s, n)| {
                    format!(
                        "{} {n}",
                        t.tk(&["enum", "compliance_assessments", "status", s])
                    )
                })
                .collect::<Vec<_>>()
                .join(" · "),
            name: c.name,
        })
        .collect();
    let launch = p.scope(COMPLIANCE_ASSESSMENTS.name, Action::Create, ctx.now);
    let (framework_choices, company_choices) = if launch.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        (
            frameworks
                .iter()
                .map(|f| (f.id.to_string(), framework_name(ctx, &frameworks, f.id)))
                .collect(),
            state
                .store
                .companies(&launch)
                .await?
                .iter()
                .map(|c| (c.code.clone(), company_label(ctx, c)))
                .collect(),
        )
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = CampaignsPage {
        f: crate::web::frame(state, ctx, "campaigns.title"),
        items,
        frameworks: framework_choices,
        companies: company_choices,
        errors,
    };
    Ok((status, crate::web::render(page)).into_response())
}

/// `/campaigns`: the campaigns, and launching one.
pub async fn page(State(state): State<AppState>, WebUser(ctx, p): WebUser) -> Response {
    campaigns_page(&state, &ctx, &p, Vec::new())
        .await
        .unwrap_or_else(|e| crate::web::error_page(&state, &ctx, e))
}

/// The launch form.
pub async fn launch_form(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    body: Bytes,
) -> Response {
    let pairs = crate::web::form(&body);
    let value = |k: &str| crate::web::field(&pairs, k);
    let launch = Launch {
        name: value("name"),
        framework: value("framework"),
        companies: pairs
            .iter()
            .filter(|(k, _)| k == "company")
            .map(|(_, v)| v.as_str())
            .collect(),
        due_date: value("due_date"),
    };
    let result = async {
        let new = checked(&state, &ctx, &p, &launch).await?;
        Ok::<_, ApiError>(
            state
                .store
                .launch_campaign(&new, &ctx.actor(), ctx.now)
                .await?,
        )
    }
    .await;
    match result {
        Ok(c) => axum::response::Redirect::to(&format!("/campaigns/{}", c.id)).into_response(),
        Err(ApiError::Invalid(errors)) => campaigns_page(
            &state,
            &ctx,
            &p,
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect(),
        )
        .await
        .unwrap_or_else(|e| crate::web::error_page(&state, &ctx, e)),
        Err(e) => crate::web::error_page(&state, &ctx, e),
    }
}

struct CompanyRow {
    company: String,
    assessment_href: String,
    ref_no: String,
    status: String,
    progress: i64,
    reviewed: i64,
    requirements: i64,
    compliance: i64,
    requirements_href: String,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage<'a> {
    f: crate::web::Frame<'a>,
    name: String,
    framework: String,
    due_date: String,
    started: String,
    rows: Vec<CompanyRow>,
}

/// `/campaigns/{id}`: each company's status and progress.
pub async fn campaign_page(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let (campaign, progress) = one(&state, &ctx, &p, &id).await?;
        let frameworks = state.store.frameworks().await?;
        let companies = state.store.companies(&Scope::All).await?;
        Ok::<_, ApiError>((campaign, progress, frameworks, companies))
    }
    .await;
    let (campaign, progress, frameworks, companies) = match result {
        Ok(r) => r,
        Err(e) => return crate::web::error_page(&state, &ctx, e),
    };
    let t = ctx.t(&state);
    let can_see_requirements = !p
        .scope(REQUIREMENT_ASSESSMENTS.name, Action::Read, ctx.now)
        .is_empty();
    let rows = progress
        .iter()
        .map(|x| CompanyRow {
            company: companies
                .iter()
                .find(|c| c.id == x.company_id)
                .map(|c| company_label(&ctx, c))
                .unwrap_or_default(),
            assessment_href: format!("/r/compliance_assessments/{}", x.assessment_id),
            ref_no: x.ref_no.clone(),
            status: t.tk(&["enum", "compliance_assessments", "status", &x.status]),
            progress: x.progress(),
            reviewed: x.reviewed,
            requirements: x.requirements,
            compliance: if x.applicable == 0 {
                100
            } else {
                x.implemented * 100 / x.applicable
            },
            requirements_href: if can_see_requirements {
                format!(
                    "/r/requirement_assessments?framework={}&company={}",
                    campaign.framework_id, x.company_id
                )
            } else {
                String::new()
            },
        })
        .collect();
    crate::web::render(CampaignPage {
        f: crate::web::frame(&state, &ctx, "campaigns.title"),
        framework: framework_name(&ctx, &frameworks, campaign.framework_id),
        due_date: campaign.due_date.to_string(),
        started: campaign
            .started_at
            .with_timezone(&ctx.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        name: campaign.name,
        rows,
    })
}
