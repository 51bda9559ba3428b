//! Incident handling over HTTP beyond the kernel: escalating alerts into an
//! incident, notes on a record, and the timeline a record page shows (every
//! kept state with who made it and what changed, and the notes).

use axum::Json as JsonBody;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use mamori_domain::FieldError;
use mamori_domain::authz::{Action, Principal};
use mamori_domain::register::{COMPANY_KEY, RegisterSpec};
use mamori_domain::registers::{ALERTS, INCIDENTS};
use mamori_store::incidents::EscalateTo;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::context::{ApiUser, WebUser, url_pairs};
use crate::error::ApiError;
use crate::kernel::{self, parse_ctx, parse_id, register};
use crate::{AppState, Ctx};

/// What an escalation asks for, before it is checked.
struct Escalation {
    alerts: Vec<Uuid>,
    /// An incident's id or reference (`INC-2026-0001`), or none for a new one.
    incident: Option<String>,
    /// The new incident's fields (title, category, severity, …).
    fields: serde_json::Map<String, Json>,
}

async fn escalate(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    e: Escalation,
) -> Result<mamori_store::records::Stored, ApiError> {
    // Each alert visible and changeable by the principal.
    let mut company = None;
    for id in &e.alerts {
        let alert =
            kernel::visible_and_allowed(state, ctx, p, &ALERTS, *id, Action::Update).await?;
        company.get_or_insert(alert.company_id);
    }
    let company = company.ok_or_else(|| {
        ApiError::Invalid(vec![FieldError::new("alerts", "name at least one alert")])
    })?;
    let to = match e
        .incident
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(wanted) => {
            let id = match Uuid::parse_str(wanted) {
                Ok(id) => Some(id),
                Err(_) => state.store.id_by_ref(&INCIDENTS, wanted).await?,
            };
            let found = match id {
                Some(id) => {
                    kernel::visible_and_allowed(state, ctx, p, &INCIDENTS, id, Action::Update)
                        .await
                        .ok()
                }
                None => None,
            };
            let incident = found.ok_or_else(|| {
                ApiError::Invalid(vec![FieldError::new(
                    "incident",
                    format!("no incident {wanted:?} that you may change"),
                )])
            })?;
            EscalateTo::Incident(incident.id)
        }
        None => {
            if !p
                .scope(INCIDENTS.name, Action::Create, ctx.now)
                .contains(company)
            {
                return Err(ApiError::Forbidden);
            }
            let mut fields = e.fields;
            fields.remove(COMPANY_KEY);
            let mut record = INCIDENTS
                .parse_json(&fields, &[], parse_ctx(state))
                .map_err(ApiError::Invalid)?;
            // What is not said is as the alerts say: detected now, in triage.
            record
                .values
                .entry("status")
                .or_insert(mamori_domain::register::Value::Text("detected".into()));
            record
                .values
                .entry("detected_at")
                .or_insert(mamori_domain::register::Value::Time(ctx.now));
            EscalateTo::New(record)
        }
    };
    Ok(state
        .store
        .escalate_alerts(&e.alerts, to, &ctx.actor(), ctx.now)
        .await?)
}

/// `POST /api/v1/alerts/escalate` with `{"alerts": [ids], "incident": id or
/// reference}` to attach them to an incident, or with the new incident's
/// fields instead (`title`, `category`, `severity`, …): the alerts become
/// `escalated` and are linked with it. 200 with the incident.
pub async fn escalate_api(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    body: Bytes,
) -> Result<JsonBody<Json>, ApiError> {
    let parsed: Json = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body must be JSON: {e}")))?;
    let Json::Object(mut object) = parsed else {
        return Err(ApiError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let alerts = match object.remove("alerts") {
        Some(Json::Array(items)) if !items.is_empty() && items.len() <= 500 => items
            .iter()
            .map(|i| i.as_str().and_then(|s| Uuid::parse_str(s).ok()))
            .collect::<Option<Vec<Uuid>>>(),
        _ => None,
    }
    .ok_or_else(|| {
        ApiError::Invalid(vec![FieldError::new(
            "alerts",
            "must be a list of 1 to 500 alert ids",
        )])
    })?;
    let incident = match object.remove("incident") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s),
        Some(_) => {
            return Err(ApiError::Invalid(vec![FieldError::new(
                "incident",
                "must be an incident's id or reference",
            )]));
        }
    };
    let stored = escalate(
        &state,
        &ctx,
        &p,
        Escalation {
            alerts,
            incident,
            fields: object,
        },
    )
    .await?;
    Ok(JsonBody(kernel::to_json(&INCIDENTS, &stored)))
}

/// The alert page's escalate form: `incident` (a reference) to attach, or
/// `title`, `category` and `severity` for a new incident.
pub async fn escalate_form(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let pairs = std::str::from_utf8(&body)
        .map(url_pairs)
        .unwrap_or_default();
    let value = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let result = async {
        let alert = parse_id(&id)?;
        let mut fields = serde_json::Map::new();
        for key in ["title", "category", "severity"] {
            if let Some(v) = value(key) {
                fields.insert(key.to_owned(), Json::String(v));
            }
        }
        escalate(
            &state,
            &ctx,
            &p,
            Escalation {
                alerts: vec![alert],
                incident: value("incident"),
                fields,
            },
        )
        .await
    }
    .await;
    crate::web::after_form(
        &state,
        &ctx,
        result.map(|incident| format!("/r/incidents/{}", incident.id)),
    )
}

/// `GET /api/v1/{register}/{id}/notes`.
pub async fn notes(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path((name, id)): Path<(String, String)>,
) -> Result<JsonBody<Json>, ApiError> {
    let spec = register(&name)?;
    let stored = kernel::get(&state, &ctx, &p, spec, parse_id(&id)?).await?;
    Ok(JsonBody(
        json!({ "items": state.store.notes_of(spec, stored.id).await? }),
    ))
}

async fn add_note(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    (name, id): (&str, &str),
    body: &str,
) -> Result<mamori_store::incidents::Note, ApiError> {
    let spec = register(name)?;
    let stored =
        kernel::visible_and_allowed(state, ctx, p, spec, parse_id(id)?, Action::Update).await?;
    Ok(state
        .store
        .add_note(
            spec,
            stored.id,
            stored.company_id,
            body,
            &ctx.actor(),
            ctx.now,
        )
        .await?)
}

/// `POST /api/v1/{register}/{id}/notes` with `{"body": "…"}`: 201.
pub async fn create_note(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path((name, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let parsed: Json = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body must be JSON: {e}")))?;
    let text = parsed["body"]
        .as_str()
        .ok_or_else(|| ApiError::Invalid(vec![FieldError::new("body", "is required (text)")]))?;
    let note = add_note(&state, &ctx, &p, (&name, &id), text).await?;
    Ok((StatusCode::CREATED, JsonBody(json!(note))).into_response())
}

/// The record page's note form.
pub async fn note_form(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path((name, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let pairs = std::str::from_utf8(&body)
        .map(url_pairs)
        .unwrap_or_default();
    let text = pairs
        .iter()
        .find(|(k, _)| k == "body")
        .map_or("", |(_, v)| v.as_str());
    let result = add_note(&state, &ctx, &p, (&name, &id), text).await;
    crate::web::after_form(&state, &ctx, result.map(|_| format!("/r/{name}/{id}")))
}

/// One line of a record's timeline.
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub when: String,
    pub who: String,
    /// What happened, in the reader's language.
    pub what: String,
    /// A reason or a note's text.
    pub text: String,
    pub note: bool,
}

/// A field's value in a kept state, as the reader reads it.
fn shown(state: &AppState, ctx: &Ctx, spec: &RegisterSpec, field: &str, v: &Json) -> String {
    let t = ctx.t(state);
    match (spec.field(field).map(|f| f.kind), v) {
        (_, Json::Null) => "—".into(),
        (Some(mamori_domain::register::FieldKind::Enum(_)), Json::String(s)) => {
            t.tk(&["enum", spec.name, field, s])
        }
        (Some(mamori_domain::register::FieldKind::Scale(name)), Json::String(s)) => {
            state.store.settings().level(name, s).map_or_else(
                || s.clone(),
                |l| l.label().get(ctx.lang == crate::i18n::Lang::Ja).to_owned(),
            )
        }
        (Some(mamori_domain::register::FieldKind::Bool), Json::Bool(b)) => {
            t.t(if *b { "common.yes" } else { "common.no" }).to_owned()
        }
        (_, Json::String(s)) if s.chars().count() > 80 => {
            format!("{}…", s.chars().take(80).collect::<String>())
        }
        (_, Json::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// The timeline of a record: its kept states (what changed from the one
/// before, by whom) and its notes, newest first.
pub async fn timeline(
    state: &AppState,
    ctx: &Ctx,
    spec: &RegisterSpec,
    id: Uuid,
) -> Result<Vec<TimelineEntry>, ApiError> {
    let t = ctx.t(state);
    let mut out = Vec::new();
    let history = state.store.history_of(spec, id).await?;
    let mut before: Option<&Json> = None;
    for change in &history {
        let mut text = String::new();
        let what = match before {
            None => t.t("timeline.created").to_owned(),
            Some(previous) => {
                let mut parts = Vec::new();
                for f in spec.fields {
                    let (a, b) = (&previous[f.name], &change.fields[f.name]);
                    if a == b {
                        continue;
                    }
                    // A reason is shown beside the move it explains.
                    if spec.fields.iter().any(|g| g.reason == Some(f.name)) {
                        text = shown(state, ctx, spec, f.name, b);
                        continue;
                    }
                    let label = t.tk(&["field", spec.name, f.name]);
                    if f.moves.is_some() {
                        parts.push(format!(
                            "{label}: {} → {}",
                            shown(state, ctx, spec, f.name, a),
                            shown(state, ctx, spec, f.name, b)
                        ));
                    } else {
                        parts.push(label);
                    }
                }
                if parts.is_empty() {
                    t.t("timeline.archived_or_restored").to_owned()
                } else {
                    format!("{} {}", t.t("timeline.changed"), parts.join(", "))
                }
            }
        };
        out.push(TimelineEntry {
            at: change.at,
            when: ctx.local(change.at),
            who: change.by.clone().unwrap_or_default(),
            what,
            text,
            note: false,
        });
        before = Some(&change.fields);
    }
    for note in state.store.notes_of(spec, id).await? {
        out.push(TimelineEntry {
            at: note.created_at,
            when: ctx.local(note.created_at),
            who: note.created_by,
            what: t.t("timeline.note").to_owned(),
            text: note.body,
            note: true,
        });
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.at));
    Ok(out)
}

/// `GET /api/v1/{register}/{id}/timeline`: the same as the page shows.
pub async fn timeline_api(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path((name, id)): Path<(String, String)>,
) -> Result<JsonBody<Json>, ApiError> {
    let spec = register(&name)?;
    let stored = kernel::get(&state, &ctx, &p, spec, parse_id(&id)?).await?;
    let items: Vec<Json> = timeline(&state, &ctx, spec, stored.id)
        .await?
        .into_iter()
        .map(|e| json!({ "at": e.at, "by": e.who, "what": e.what, "text": e.text, "note": e.note }))
        .collect();
    Ok(JsonBody(json!({ "items": items })))
}

/// One legal clock of an incident, as its page and the dashboard show it.
pub struct ClockView {
    pub name: String,
    pub due: String,
    /// Done (when), time left, or overdue by how long.
    pub state: String,
    pub overdue: bool,
    pub done: bool,
    /// The due instant, for ordering.
    pub at: DateTime<Utc>,
}

/// The breach decision and its clocks, for an incident that states the
/// facts (personal data, or the aviation regulator's report).
pub struct BreachView {
    pub decision: String,
    pub reasons: Vec<String>,
    pub clocks: Vec<ClockView>,
    /// Whether the reader may take the regulators' report drafts.
    pub drafts: bool,
}

fn time_of(record: &mamori_domain::register::Record, field: &str) -> Option<DateTime<Utc>> {
    match record.get(field) {
        mamori_domain::register::Value::Time(t) => Some(*t),
        _ => None,
    }
}

/// "3 days 4 hours", "5 hours", "12 minutes".
fn span(state: &AppState, ctx: &Ctx, d: chrono::Duration) -> String {
    let t = ctx.t(state);
    let (days, hours, minutes) = (d.num_days(), d.num_hours() % 24, d.num_minutes() % 60);
    if days > 0 {
        t.t("clock.days_hours")
            .replace("{d}", &days.to_string())
            .replace("{h}", &hours.to_string())
    } else if hours > 0 {
        t.t("clock.hours").replace("{h}", &hours.to_string())
    } else {
        t.t("clock.minutes")
            .replace("{m}", &minutes.max(1).to_string())
    }
}

/// A clock: its message key, when it is due, and when it was done.
pub type RawClock = (&'static str, DateTime<Utc>, Option<DateTime<Utc>>);

/// The clocks a record runs, for each due instant it carries.
pub fn raw_clocks(r: &mamori_domain::register::Record) -> Vec<RawClock> {
    [
        (
            "clock.preliminary",
            "preliminary_due",
            "preliminary_reported_at",
        ),
        ("clock.final", "final_due", "final_reported_at"),
        ("clock.people", "final_due", "people_notified_at"),
        ("clock.gdpr", "gdpr_due", "gdpr_notified_at"),
        ("clock.mlit", "mlit_due", "mlit_reported_at"),
    ]
    .into_iter()
    .filter_map(|(name, due, done)| Some((name, time_of(r, due)?, time_of(r, done))))
    .collect()
}

/// The clocks an incident runs, open or done.
pub fn clocks(state: &AppState, ctx: &Ctx, s: &mamori_store::records::Stored) -> Vec<ClockView> {
    let t = ctx.t(state);
    let mut out = Vec::new();
    for (name, due_at, done_at) in raw_clocks(&s.record) {
        // Notice to people has no fixed deadline ("promptly"); it is shown
        // beside the final report's.
        let (state_text, overdue) = match done_at {
            Some(at) => (t.t("clock.done").replace("{at}", &ctx.local(at)), false),
            None if due_at >= ctx.now => (
                t.t("clock.left")
                    .replace("{span}", &span(state, ctx, due_at - ctx.now)),
                false,
            ),
            None => (
                t.t("clock.overdue")
                    .replace("{span}", &span(state, ctx, ctx.now - due_at)),
                true,
            ),
        };
        out.push(ClockView {
            name: t.t(name).to_owned(),
            due: ctx.local(due_at),
            state: state_text,
            overdue,
            done: done_at.is_some(),
            at: due_at,
        });
    }
    out
}

/// The decision, its reasons and the clocks; `None` for an incident that
/// states no facts to decide on.
pub fn breach_view(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    s: &mamori_store::records::Stored,
) -> Option<BreachView> {
    use mamori_domain::register::Value;
    let r = &s.record;
    let personal = *r.get("personal_data") == Value::Bool(true);
    let aviation = *r.get("aviation_safety") == Value::Bool(true);
    if !personal && !aviation {
        return None;
    }
    let facts = mamori_domain::registers::incident_facts(r)?;
    let settings = state.store.settings();
    let assessment =
        mamori_domain::breach::assess(&facts, &settings.breach, &settings.zone).ok()?;
    let t = ctx.t(state);
    let decision = if assessment.ppc_report {
        t.t("breach.report_required")
    } else if personal {
        t.t("breach.report_not_required")
    } else {
        t.t("breach.not_personal_data")
    };
    Some(BreachView {
        decision: decision.to_owned(),
        reasons: assessment
            .reasons
            .iter()
            .map(|k| t.t(k).replace("{people}", &facts.people.to_string()))
            .collect(),
        clocks: clocks(state, ctx, s),
        drafts: personal && crate::report::may_draft(ctx, p, s),
    })
}

/// The incident behind a vault request, when the principal may `action` on
/// the vault in its company (404 when the incident is not theirs to see).
async fn vault_incident(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    id: &str,
    action: Action,
) -> Result<mamori_store::records::Stored, ApiError> {
    let incident = kernel::get(state, ctx, p, &INCIDENTS, parse_id(id)?).await?;
    if !p
        .scope("vault", action, ctx.now)
        .contains(incident.company_id)
    {
        return Err(ApiError::Forbidden);
    }
    Ok(incident)
}

/// `GET /api/v1/incidents/{id}/people`: the people affected, opened from
/// the vault; every call is written to the audit chain.
pub async fn people(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(id): Path<String>,
) -> Result<JsonBody<Json>, ApiError> {
    let incident = vault_incident(&state, &ctx, &p, &id, Action::Read).await?;
    let people = state
        .store
        .open_affected(incident.id, incident.company_id, &ctx.actor(), ctx.now)
        .await?;
    Ok(JsonBody(json!({
        "items": people.into_iter().map(|(id, person)| {
            let mut v = json!(person);
            v["id"] = json!(id);
            v
        }).collect::<Vec<_>>(),
    })))
}

/// `POST /api/v1/incidents/{id}/people` with a JSON list of people (`name`,
/// `member_no`, `email`, `phone`, `address`, `notes`): sealed and kept.
pub async fn add_people(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let incident = vault_incident(&state, &ctx, &p, &id, Action::Create).await?;
    let people: Vec<mamori_store::vault::Person> = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be a JSON list of people (name, member_no, email, phone, address, notes): {e}"
        ))
    })?;
    let added = state
        .store
        .add_affected(
            incident.id,
            incident.company_id,
            &people,
            &ctx.actor(),
            ctx.now,
        )
        .await?;
    Ok((StatusCode::CREATED, JsonBody(json!({ "added": added }))).into_response())
}

/// People affected read from a CSV file (UTF-8, a header row naming any of
/// `name`, `member_no`, `email`, `phone`, `address`, `notes`); every bad
/// line is named.
pub fn people_from_csv(bytes: &[u8]) -> Result<Vec<mamori_store::vault::Person>, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ApiError::BadRequest(format!(
            "the file is not valid UTF-8 (first bad byte at offset {}); save it as CSV UTF-8",
            e.valid_up_to()
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::BadRequest(format!("cannot read the header row: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    const COLUMNS: &[&str] = &["name", "member_no", "email", "phone", "address", "notes"];
    if let Some(bad) = headers.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(ApiError::Invalid(vec![FieldError::new(
            bad,
            format!("unknown column; columns are: {}", COLUMNS.join(", ")),
        )]));
    }
    let mut people = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| ApiError::BadRequest(format!("line {}: {e}", i + 2)))?;
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|at| row.get(at))
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        people.push(mamori_store::vault::Person {
            name: cell("name"),
            member_no: cell("member_no"),
            email: cell("email"),
            phone: cell("phone"),
            address: cell("address"),
            notes: cell("notes"),
        });
        if people.len() > mamori_store::vault::MAX_PEOPLE {
            return Err(ApiError::BadRequest(format!(
                "more than {} people in one file; split it",
                mamori_store::vault::MAX_PEOPLE
            )));
        }
    }
    Ok(people)
}

#[derive(askama::Template)]
#[template(path = "vault.html")]
struct VaultPage<'a> {
    f: crate::web::Frame<'a>,
    incident: String,
    back: String,
    people: Vec<mamori_store::vault::Person>,
}

/// `/r/incidents/{id}/people`: the people affected, opened (audited).
pub async fn people_page(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let incident = vault_incident(&state, &ctx, &p, &id, Action::Read).await?;
        let people = state
            .store
            .open_affected(incident.id, incident.company_id, &ctx.actor(), ctx.now)
            .await?;
        Ok::<_, ApiError>((incident, people))
    }
    .await;
    match result {
        Ok((incident, people)) => crate::web::render(VaultPage {
            f: crate::web::frame(&state, &ctx, "vault.title"),
            incident: format!(
                "{} {}",
                incident.ref_no,
                incident.record.text("title").unwrap_or_default()
            ),
            back: format!("/r/incidents/{}", incident.id),
            people: people.into_iter().map(|(_, p)| p).collect(),
        }),
        Err(e) => crate::web::error_page(&state, &ctx, e),
    }
}

/// The incident page's upload of people affected (multipart, `file`: CSV).
pub async fn people_upload(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Response {
    use axum::extract::FromRequest;
    let result = async {
        let incident = vault_incident(&state, &ctx, &p, &id, Action::Create).await?;
        let mut parts = axum::extract::Multipart::from_request(request, &state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("the upload could not be read: {e}")))?;
        let mut file = None;
        while let Some(part) = parts
            .next_field()
            .await
            .map_err(|e| ApiError::BadRequest(format!("the upload could not be read: {e}")))?
        {
            if part.name() == Some("file") {
                file = Some(part.bytes().await.map_err(|e| {
                    ApiError::BadRequest(format!("the upload could not be read: {e}"))
                })?);
            }
        }
        let bytes = file.ok_or_else(|| ApiError::BadRequest("choose a CSV file".into()))?;
        let people = people_from_csv(&bytes)?;
        state
            .store
            .add_affected(
                incident.id,
                incident.company_id,
                &people,
                &ctx.actor(),
                ctx.now,
            )
            .await?;
        Ok(format!("/r/incidents/{}", incident.id))
    }
    .await;
    crate::web::after_form(&state, &ctx, result)
}

/// What the incident page says of the vault: how many people are kept,
/// and whether the reader may open or add (none when the reader may not).
pub async fn vault_summary(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    s: &mamori_store::records::Stored,
) -> Option<(i64, bool)> {
    let readable = p
        .scope("vault", Action::Read, ctx.now)
        .contains(s.company_id);
    if !readable {
        return None;
    }
    let count = state.store.count_affected(s.id).await.ok()?;
    let may_add = p
        .scope("vault", Action::Create, ctx.now)
        .contains(s.company_id);
    Some((count, may_add))
}

/// Real incidents that may run legal clocks — personal data, or the
/// aviation regulator's report — within `scope`, every page: what the
/// dashboard shows and the reminders scan.
pub async fn clocked_incidents(
    state: &AppState,
    scope: &mamori_domain::authz::Scope,
) -> Result<Vec<mamori_store::records::Stored>, ApiError> {
    use mamori_domain::register::Value;
    let mut out: Vec<mamori_store::records::Stored> = Vec::new();
    for flag in ["personal_data", "aviation_safety"] {
        let found = crate::kernel::list_all(
            state,
            &INCIDENTS,
            scope.clone(),
            None,
            vec![(flag, Value::Bool(true)), ("exercise", Value::Bool(false))],
            (None, false),
            |_| false,
        )
        .await?;
        for s in found {
            if !out.iter().any(|o| o.id == s.id) {
                out.push(s);
            }
        }
    }
    Ok(out)
}
