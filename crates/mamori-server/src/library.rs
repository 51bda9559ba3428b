//! Framework libraries over HTTP: load one (YAML in CISO Assistant's
//! library format), list the frameworks loaded, read a framework's
//! requirement tree; and the pages for the same. Libraries are group-wide:
//! loading one needs the right across the whole group.

use askama::Template;
use axum::Json as JsonBody;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_domain::FieldError;
use mamori_domain::authz::{Action, Principal, Scope};
use mamori_domain::library::Library;
use mamori_domain::library_format::parse_library;
use mamori_domain::registers::REQUIREMENT_ASSESSMENTS as ASSESSMENTS;
use mamori_store::library::{FrameworkRow, NodeRow};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::context::{ApiUser, WebUser};
use crate::error::ApiError;
use crate::{AppState, Ctx};

const AREA: &str = "libraries";

/// Reading needs the right somewhere; loading needs it group-wide.
fn allowed(p: &Principal, ctx: &Ctx, action: Action) -> Result<(), ApiError> {
    match p.scope(AREA, action, ctx.now) {
        Scope::All => Ok(()),
        Scope::Companies(ids) if action == Action::Read && !ids.is_empty() => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

/// The library in `body`, or every problem with it (place and reason).
fn parse(body: &[u8]) -> Result<Library, ApiError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the library is not valid UTF-8 (first bad byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    if text.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "the body is empty; send a library file (YAML)".into(),
        ));
    }
    parse_library(text).map_err(|errors| {
        ApiError::Invalid(
            errors
                .into_iter()
                .map(|e| FieldError::new(e.at, e.reason))
                .collect(),
        )
    })
}

async fn load(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    body: &[u8],
) -> Result<mamori_store::library::Loaded, ApiError> {
    allowed(p, ctx, Action::Import)?;
    let lib = parse(body)?;
    Ok(state
        .store
        .load_library(&lib, &ctx.actor(), ctx.now)
        .await?)
}

/// `POST /api/v1/libraries` with a library file (YAML) as the body.
pub async fn create(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    body: Bytes,
) -> Result<Response, ApiError> {
    let loaded = load(&state, &ctx, &p, &body).await?;
    Ok((StatusCode::CREATED, JsonBody(json!(loaded))).into_response())
}

/// `GET /api/v1/frameworks`: the frameworks loaded.
pub async fn frameworks(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
) -> Result<JsonBody<Json>, ApiError> {
    allowed(&p, &ctx, Action::Read)?;
    Ok(JsonBody(
        json!({ "items": state.store.frameworks().await? }),
    ))
}

async fn framework(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    id: &str,
) -> Result<(FrameworkRow, Vec<NodeRow>), ApiError> {
    allowed(p, ctx, Action::Read)?;
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let f = state
        .store
        .frameworks()
        .await?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or(ApiError::NotFound)?;
    let nodes = state.store.framework_nodes(id).await?;
    Ok((f, nodes))
}

/// `GET /api/v1/frameworks/{id}`: a framework and its requirement tree.
pub async fn requirements(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(id): Path<String>,
) -> Result<JsonBody<Json>, ApiError> {
    let (f, nodes) = framework(&state, &ctx, &p, &id).await?;
    Ok(JsonBody(json!({ "framework": f, "nodes": nodes })))
}

/// A framework as the list shows it: named in the viewer's language.
struct FrameworkView {
    id: Uuid,
    name: String,
    ref_id: String,
    nodes: i64,
    assessable: i64,
    library: String,
}

#[derive(Template)]
#[template(path = "frameworks.html")]
struct FrameworksPage<'a> {
    f: crate::web::Frame<'a>,
    items: Vec<FrameworkView>,
    /// Mapping sets: (link to their coverage, name, source → target).
    mappings: Vec<(String, String, String)>,
    can_load: bool,
    errors: Vec<String>,
    done: String,
}

async fn frameworks_page(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    errors: Vec<String>,
    done: String,
) -> Response {
    let items = match allowed(p, ctx, Action::Read) {
        Ok(()) => match (
            state.store.frameworks().await,
            state.store.mapping_sets().await,
        ) {
            (Ok(f), Ok(m)) => Ok((f, m)),
            (Err(e), _) | (_, Err(e)) => Err(ApiError::from(e)),
        },
        Err(e) => Err(e),
    };
    match items {
        Ok((items, sets)) => {
            let status = if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let ja = ctx.lang == crate::i18n::Lang::Ja;
            let page = FrameworksPage {
                f: crate::web::frame(state, ctx, "frameworks.title"),
                items: items
                    .into_iter()
                    .map(|i| FrameworkView {
                        id: i.id,
                        name: i.name_ja.filter(|_| ja).unwrap_or(i.name),
                        ref_id: i.ref_id,
                        nodes: i.nodes,
                        assessable: i.assessable,
                        library: format!(
                            "{} (v{}, {})",
                            i.library_urn, i.library_version, i.locale
                        ),
                    })
                    .collect(),
                mappings: sets
                    .into_iter()
                    .map(|m| {
                        (
                            format!("/mapping_sets/{}", m.id),
                            m.name.unwrap_or_else(|| m.urn.clone()),
                            format!(
                                "{} → {} ({})",
                                m.source_framework_urn, m.target_framework_urn, m.mappings
                            ),
                        )
                    })
                    .collect(),
                can_load: allowed(p, ctx, Action::Import).is_ok(),
                errors,
                done,
            };
            match page.render() {
                Ok(html) => (status, axum::response::Html(html)).into_response(),
                Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
            }
        }
        Err(e) => crate::web::error_page(state, ctx, e),
    }
}

/// `/frameworks`: the frameworks loaded, and loading a library.
pub async fn page(State(state): State<AppState>, WebUser(ctx, p): WebUser) -> Response {
    frameworks_page(&state, &ctx, &p, Vec::new(), String::new()).await
}

/// The page's upload form (a file, or YAML pasted).
pub async fn upload(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    request: axum::extract::Request,
) -> Response {
    let body = match crate::web::import_input(&state, request, "yaml").await {
        Ok((body, _)) => body,
        Err(e) => return crate::web::error_page(&state, &ctx, e),
    };
    match load(&state, &ctx, &p, &body).await {
        Ok(loaded) => {
            let t = ctx.t(&state);
            let done = t
                .t("frameworks.loaded")
                .replace("{urn}", &loaded.urn)
                .replace("{nodes}", &loaded.nodes.to_string())
                .replace("{mappings}", &loaded.mappings.to_string());
            frameworks_page(&state, &ctx, &p, Vec::new(), done).await
        }
        Err(ApiError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            frameworks_page(&state, &ctx, &p, errors, String::new()).await
        }
        Err(ApiError::BadRequest(m)) => {
            frameworks_page(&state, &ctx, &p, vec![m], String::new()).await
        }
        Err(e) => crate::web::error_page(&state, &ctx, e),
    }
}

/// One node as the tree page shows it.
struct NodeView {
    indent: i64,
    ref_id: String,
    name: String,
    description: String,
    assessable: bool,
}

#[derive(Template)]
#[template(path = "framework.html")]
struct FrameworkPage<'a> {
    f: crate::web::Frame<'a>,
    framework: FrameworkRow,
    nodes: Vec<NodeView>,
    /// Companies the viewer may adopt it for, and export the SoA of:
    /// (id, name).
    adopt: Vec<(String, String)>,
    soa: Vec<(String, String)>,
}

/// `/frameworks/{id}`: a framework's requirement tree.
pub async fn framework_page(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(id): Path<String>,
) -> Response {
    let found = async {
        let (framework, nodes) = framework(&state, &ctx, &p, &id).await?;
        let mut lists = Vec::new();
        for action in [Action::Create, Action::Export] {
            let companies = state
                .store
                .companies(&p.scope(ASSESSMENTS.name, action, ctx.now))
                .await?;
            lists.push(companies);
        }
        Ok::<_, ApiError>((framework, nodes, lists))
    }
    .await;
    match found {
        Ok((framework, nodes, lists)) => {
            let ja = ctx.lang == crate::i18n::Lang::Ja;
            let named = |list: &[mamori_store::org::Company]| -> Vec<(String, String)> {
                list.iter()
                    .map(|c| {
                        let name = if ja { &c.name_ja } else { &c.name_en };
                        (c.id.to_string(), format!("{} {name}", c.code))
                    })
                    .collect()
            };
            let adopt = named(&lists[0]);
            let soa = named(&lists[1]);
            let mut frame = crate::web::frame(&state, &ctx, "frameworks.title");
            frame.title = framework
                .name_ja
                .clone()
                .filter(|_| ja)
                .unwrap_or_else(|| framework.name.clone());
            let page = FrameworkPage {
                f: frame,
                framework,
                nodes: nodes
                    .into_iter()
                    .map(|n| NodeView {
                        indent: (n.depth - 1).clamp(0, 8),
                        ref_id: n.ref_id.unwrap_or_default(),
                        name: n.name_ja.filter(|_| ja).or(n.name).unwrap_or_default(),
                        description: n.description.unwrap_or_default(),
                        assessable: n.assessable,
                    })
                    .collect(),
                adopt,
                soa,
            };
            match page.render() {
                Ok(html) => axum::response::Html(html).into_response(),
                Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
            }
        }
        Err(e) => crate::web::error_page(&state, &ctx, e),
    }
}

/// The company a form or query names, if the principal may `action` in it.
fn company_for(
    p: &Principal,
    ctx: &Ctx,
    action: Action,
    value: Option<&str>,
) -> Result<Uuid, ApiError> {
    let company = value
        .and_then(|v| Uuid::parse_str(v.trim()).ok())
        .ok_or_else(|| ApiError::BadRequest("company must be a company id".into()))?;
    if p.scope(ASSESSMENTS.name, action, ctx.now).contains(company) {
        Ok(company)
    } else {
        Err(ApiError::Forbidden)
    }
}

/// `POST /api/v1/frameworks/{id}/adopt` with `{"company_id": …}`: the
/// company takes the framework on; one assessment per assessable
/// requirement it lacks is created (`created` says how many).
pub async fn adopt(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<JsonBody<Json>, ApiError> {
    let parsed: Json = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body must be JSON: {e}")))?;
    let company = company_for(&p, &ctx, Action::Create, parsed["company_id"].as_str())?;
    let (f, _) = framework(&state, &ctx, &p, &id).await?;
    let created = state
        .store
        .adopt_framework(company, f.id, &ctx.actor(), ctx.now)
        .await?;
    Ok(JsonBody(json!({ "created": created })))
}

/// The framework page's adoption form.
pub async fn adopt_form(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let pairs = std::str::from_utf8(&body)
        .map(crate::context::url_pairs)
        .unwrap_or_default();
    let company = pairs
        .iter()
        .find(|(k, _)| k == "company")
        .map(|(_, v)| v.as_str());
    let result = async {
        let company = company_for(&p, &ctx, Action::Create, company)?;
        let (f, _) = framework(&state, &ctx, &p, &id).await?;
        state
            .store
            .adopt_framework(company, f.id, &ctx.actor(), ctx.now)
            .await?;
        Ok::<_, ApiError>((company, f.id))
    }
    .await;
    match result {
        Ok((company, framework)) => axum::response::Redirect::to(&format!(
            "/r/requirement_assessments?framework={framework}&company={company}"
        ))
        .into_response(),
        Err(e) => crate::web::error_page(&state, &ctx, e),
    }
}

/// An `as_of` parameter: an instant (RFC 3339), or a date meaning the end
/// of that day in the viewer's time zone.
fn as_of(ctx: &Ctx, value: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    let value = value.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        ApiError::BadRequest(
            "as_of must be a date (2026-03-31) or an instant (2026-03-31T18:00:00+09:00)".into(),
        )
    })?;
    let end = day
        .and_hms_opt(23, 59, 59)
        .and_then(|t| t.and_local_timezone(ctx.tz).latest())
        .ok_or_else(|| ApiError::BadRequest("as_of is not a time in your zone".into()))?;
    Ok(end.with_timezone(&chrono::Utc))
}

/// `GET /api/v1/frameworks/{id}/soa?company=<id>&format=xlsx|csv[&as_of=]`: the
/// company's Statement of Applicability for the framework, in the
/// framework's order: control, title, applicable, justification,
/// implementation, owner, next review; with `as_of`, as the assessments
/// stood then (from their kept history). Audited as an export.
pub async fn soa(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(id): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, ApiError> {
    let params = query
        .as_deref()
        .map(crate::context::url_pairs)
        .unwrap_or_default();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let format = param("format").unwrap_or("xlsx");
    if format != "csv" && format != "xlsx" {
        return Err(ApiError::BadRequest("format must be xlsx or csv".into()));
    }
    let company = company_for(&p, &ctx, Action::Export, param("company"))?;
    let as_of = param("as_of").map(|v| as_of(&ctx, v)).transpose()?;
    let (f, nodes) = framework(&state, &ctx, &p, &id).await?;
    // Each requirement's assessment, now or as it stood then: its fields.
    let states: Vec<(Uuid, Json)> = match as_of {
        None => {
            let mut q = crate::kernel::list_query(
                &state,
                &ASSESSMENTS,
                Scope::Companies(vec![company]),
                &[("framework".to_owned(), f.id.to_string())],
                false,
            )?;
            q.limit = 500;
            let mut out = Vec::new();
            loop {
                let page = state.store.list_records(&ASSESSMENTS, &q).await?;
                out.extend(
                    page.items
                        .iter()
                        .map(|s| (s.id, mamori_store::records::fields_json(&s.record))),
                );
                match page.next {
                    Some(next) => q.after = Some(next),
                    None => break,
                }
            }
            out
        }
        Some(at) => state
            .store
            .states_as_of(&ASSESSMENTS, company, at)
            .await?
            .into_iter()
            .filter(|s| !s.archived && s.fields["framework"] == json!(f.id))
            .map(|s| (s.record_id, s.fields))
            .collect(),
    };
    if states.is_empty() {
        return Err(ApiError::BadRequest(match as_of {
            None => "the company has not adopted this framework; adopt it first".into(),
            Some(at) => format!(
                "the company had not adopted this framework on {}",
                ctx.local(at)
            ),
        }));
    }
    let by_node: std::collections::HashMap<String, &(Uuid, Json)> = states
        .iter()
        .filter_map(|s| s.1["requirement"].as_str().map(|r| (r.to_owned(), s)))
        .collect();
    // Evidence kept then: file name and the start of its SHA-256.
    let mut evidence: std::collections::HashMap<Uuid, Vec<String>> =
        std::collections::HashMap::new();
    for e in state
        .store
        .evidence_of_company(ASSESSMENTS.name, company)
        .await?
    {
        if as_of.is_none_or(|at| e.uploaded_at <= at) {
            evidence.entry(e.record_id).or_default().push(format!(
                "{} (sha256:{})",
                e.filename,
                &e.sha256[..12]
            ));
        }
    }
    let t = ctx.t(&state);
    let ja = ctx.lang == crate::i18n::Lang::Ja;
    let text = |s: &Json, field: &str| s[field].as_str().unwrap_or_default().to_owned();
    let label = |s: &Json, field: &str| {
        s[field]
            .as_str()
            .map(|v| t.tk(&["enum", ASSESSMENTS.name, field, v]))
            .unwrap_or_default()
    };
    // Owners by name (as named today).
    let mut owners: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for (_, s) in &states {
        if let Some(id) = s["owner"].as_str().and_then(|o| Uuid::parse_str(o).ok())
            && !owners.contains_key(&id.to_string())
        {
            let name = match state
                .store
                .get_record(&mamori_domain::registers::PEOPLE, id, &Scope::All)
                .await
            {
                Ok(p) => format!(
                    "{} {}",
                    p.record.text("family_name").unwrap_or_default(),
                    p.record.text("given_name").unwrap_or_default()
                ),
                Err(_) => String::new(),
            };
            owners.insert(id.to_string(), name);
        }
    }
    let data: Vec<Vec<String>> = nodes
        .iter()
        .filter_map(|n| by_node.get(&n.id.to_string()).map(|s| (n, *s)))
        .map(|(n, (record_id, s))| {
            vec![
                n.ref_id.clone().unwrap_or_default(),
                n.name_ja
                    .clone()
                    .filter(|_| ja)
                    .or_else(|| n.name.clone())
                    .unwrap_or_default(),
                label(s, "applicability"),
                text(s, "justification"),
                label(s, "implementation"),
                owners.get(&text(s, "owner")).cloned().unwrap_or_default(),
                text(s, "review_date"),
                evidence
                    .get(record_id)
                    .map(|files| files.join("; "))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let entry = mamori_store::audit::Entry {
        actor_id: Some(p.user_id),
        actor: p.username.clone(),
        action: "export".into(),
        register: ASSESSMENTS.name.into(),
        company_id: Some(company),
        detail: Some(format!(
            "soa framework={} format={format} rows={}",
            f.urn,
            data.len()
        )),
        ..Default::default()
    };
    state.store.audit(&entry, ctx.now).await?;
    let headers: Vec<String> = [
        "soa.control",
        "soa.title",
        "soa.applicable",
        "soa.justification",
        "soa.implementation",
        "soa.owner",
        "soa.review_date",
        "soa.evidence",
    ]
    .iter()
    .map(|k| t.t(k).to_owned())
    .collect();
    let header_row: Vec<&str> = headers.iter().map(String::as_str).collect();
    crate::transfer::download("soa", format, &ctx, &header_row, &data)
}

/// `GET /api/v1/mapping_sets`: the mapping sets loaded.
pub async fn mapping_sets(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
) -> Result<JsonBody<Json>, ApiError> {
    allowed(&p, &ctx, Action::Read)?;
    Ok(JsonBody(
        json!({ "items": state.store.mapping_sets().await? }),
    ))
}

/// How far a source requirement is met through its mapped targets: the
/// best of the company's assessments of them.
fn coverage_of(implementations: &[Option<&str>]) -> &'static str {
    let has = |v: &str| implementations.contains(&Some(v));
    if implementations.is_empty() {
        "unmapped"
    } else if has("implemented") {
        "implemented"
    } else if has("partial") {
        "partial"
    } else {
        "open"
    }
}

/// One source requirement seen through a mapping set.
struct Covered {
    ref_id: Option<String>,
    name: Option<String>,
    name_ja: Option<String>,
    status: &'static str,
    targets: Vec<mamori_store::library::MappedStatus>,
}

/// A mapping set's source framework seen through a company's assessments
/// of the target framework.
struct Coverage {
    set: mamori_store::library::MappingSetRow,
    company: Uuid,
    summary: std::collections::BTreeMap<&'static str, i64>,
    items: Vec<Covered>,
}

async fn coverage_for(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    id: &str,
    company: Option<&str>,
) -> Result<Coverage, ApiError> {
    allowed(p, ctx, Action::Read)?;
    let company = company_for(p, ctx, Action::Read, company)?;
    let set_id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let set = state
        .store
        .mapping_sets()
        .await?
        .into_iter()
        .find(|s| s.id == set_id)
        .ok_or(ApiError::NotFound)?;
    let frameworks = state.store.frameworks().await?;
    let source = frameworks
        .iter()
        .find(|f| f.urn == set.source_framework_urn)
        .ok_or(ApiError::NotFound)?;
    let statuses = state.store.mapped_statuses(set.id, company).await?;
    let mut by_source: std::collections::HashMap<String, Vec<mamori_store::library::MappedStatus>> =
        std::collections::HashMap::new();
    for s in statuses {
        by_source.entry(s.source_urn.clone()).or_default().push(s);
    }
    let mut summary = std::collections::BTreeMap::new();
    let mut items = Vec::new();
    for n in state
        .store
        .framework_nodes(source.id)
        .await?
        .into_iter()
        .filter(|n| n.assessable)
    {
        let targets = by_source.remove(&n.urn).unwrap_or_default();
        // Only applicable targets count towards coverage.
        let implementations: Vec<Option<&str>> = targets
            .iter()
            .map(|t| {
                (t.applicability.as_deref() == Some("applicable"))
                    .then_some(t.implementation.as_deref())
                    .flatten()
            })
            .collect();
        let status = if targets.is_empty() {
            "unmapped"
        } else {
            coverage_of(&implementations)
        };
        *summary.entry(status).or_default() += 1;
        items.push(Covered {
            ref_id: n.ref_id,
            name: n.name,
            name_ja: n.name_ja,
            status,
            targets,
        });
    }
    Ok(Coverage {
        set,
        company,
        summary,
        items,
    })
}

/// `GET /api/v1/mapping_sets/{id}/coverage?company=<id>`: the source
/// framework's requirements seen through the company's assessments of the
/// target framework (one it adopted): per requirement the best status of
/// its mapped targets (`implemented`, `partial`, `open`, or `unmapped`),
/// with a summary.
pub async fn coverage(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(id): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<JsonBody<Json>, ApiError> {
    let params = query
        .as_deref()
        .map(crate::context::url_pairs)
        .unwrap_or_default();
    let company = params
        .iter()
        .find(|(k, _)| k == "company")
        .map(|(_, v)| v.as_str());
    let c = coverage_for(&state, &ctx, &p, &id, company).await?;
    let items: Vec<Json> = c
        .items
        .iter()
        .map(|i| {
            json!({
                "ref_id": i.ref_id,
                "name": i.name,
                "name_ja": i.name_ja,
                "status": i.status,
                "targets": i.targets.iter().map(|t| json!({
                    "ref_id": t.target_ref_id,
                    "relationship": t.relationship,
                    "applicability": t.applicability,
                    "implementation": t.implementation,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(JsonBody(json!({
        "mapping_set": c.set,
        "company": c.company,
        "summary": c.summary,
        "items": items,
    })))
}

struct CoverageRow {
    ref_id: String,
    name: String,
    status: &'static str,
    status_label: String,
    targets: String,
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage<'a> {
    f: crate::web::Frame<'a>,
    set: String,
    companies: Vec<(String, String, bool)>,
    summary: Vec<(String, i64)>,
    rows: Vec<CoverageRow>,
}

/// `/mapping_sets/{id}?company=<id>`: the coverage as a page.
pub async fn coverage_page(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(id): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let params = query
        .as_deref()
        .map(crate::context::url_pairs)
        .unwrap_or_default();
    let result = async {
        let readable = state
            .store
            .companies(&p.scope(ASSESSMENTS.name, Action::Read, ctx.now))
            .await?;
        // The first company the reader may see, when none is asked for.
        let company = params
            .iter()
            .find(|(k, _)| k == "company")
            .map(|(_, v)| v.clone())
            .or_else(|| readable.first().map(|c| c.id.to_string()));
        let c = coverage_for(&state, &ctx, &p, &id, company.as_deref()).await?;
        Ok::<_, ApiError>((c, readable))
    }
    .await;
    let (c, readable) = match result {
        Ok(r) => r,
        Err(e) => return crate::web::error_page(&state, &ctx, e),
    };
    let t = ctx.t(&state);
    let ja = ctx.lang == crate::i18n::Lang::Ja;
    let label = |status: &str| t.tk(&["coverage", status]);
    crate::web::render(CoveragePage {
        f: crate::web::frame(&state, &ctx, "coverage.title"),
        set: c.set.name.clone().unwrap_or_else(|| c.set.urn.clone()),
        companies: readable
            .iter()
            .map(|x| {
                let name = if ja { &x.name_ja } else { &x.name_en };
                (
                    x.id.to_string(),
                    format!("{} {name}", x.code),
                    x.id == c.company,
                )
            })
            .collect(),
        summary: ["implemented", "partial", "open", "unmapped"]
            .iter()
            .map(|s| (label(s), c.summary.get(s).copied().unwrap_or(0)))
            .collect(),
        rows: c
            .items
            .into_iter()
            .map(|i| CoverageRow {
                ref_id: i.ref_id.unwrap_or_default(),
                name: i.name_ja.filter(|_| ja).or(i.name).unwrap_or_default(),
                status: i.status,
                status_label: label(i.status),
                targets: i
                    .targets
                    .iter()
                    .map(|m| {
                        let status = m
                            .implementation
                            .as_deref()
                            .filter(|_| m.applicability.as_deref() == Some("applicable"))
                            .map(|v| {
                                t.tk(&["enum", "requirement_assessments", "implementation", v])
                            })
                            .unwrap_or_else(|| "—".to_owned());
                        format!("{} ({status})", m.target_ref_id.clone().unwrap_or_default())
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
    })
}
