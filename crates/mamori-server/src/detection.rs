//! Detection in the server: the engine built at start from mamori's rules,
//! extra rule folders and indicator files; `POST /api/v1/ingest` (NDJSON,
//! syslog or CEF lines) evaluated at once, its alerts written before the
//! answer, so an accepted request never loses them; the alerts list (API and
//! page).

use std::sync::Arc;

use askama::Template;
use axum::Json as JsonBody;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use mamori_detect::engine::{Engine, Source};
use mamori_detect::indicators::IndicatorSetBuilder;
use mamori_detect::normalize::FieldMap;
use mamori_detect::parse::Format;
use mamori_detect::sigma::RuleKind;
use mamori_detect::sigma::SigmaRules;
use mamori_domain::authz::Action;
use mamori_store::alerts::{AlertRow, LEVELS, NewAlert, STATUSES};
use serde_json::{Value as Json, json};

use crate::context::{ApiUser, WebUser, url_pairs};
use crate::error::ApiError;
use crate::{AppState, Config};

/// Bad lines listed in an ingest answer (the rest are counted).
const SHOW_BAD: usize = 100;

/// Builds the engine: built-in rules, configured rule folders, indicators.
/// A rule that does not load is reported, not fatal; a missing indicator
/// file is fatal (it names the file).
pub fn build(config: &Config) -> Result<(Engine, Vec<String>), String> {
    let mut rules = SigmaRules::new(FieldMap::default());
    let (_, mut errors) = rules.load_builtin();
    let (_, extra) = rules.load_paths(&config.rules_dirs);
    errors.extend(extra);
    let mut builder = IndicatorSetBuilder::new();
    for path in &config.indicator_files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the indicator file {}: {e}", path.display()))?;
        let source = path
            .file_stem()
            .map_or("indicators".into(), |s| s.to_string_lossy().into_owned());
        let (_, bad) = builder.add_lines(&text, &source);
        for (line, e) in bad {
            tracing::warn!(file = %path.display(), line, error = %e, "indicator skipped");
        }
    }
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for m in &messages {
        tracing::warn!(error = %m, "rule not loaded");
    }
    tracing::info!(rules = rules.len(), "detection rules loaded");
    Ok((Engine::new(rules, Arc::new(builder.build())), messages))
}

fn detail(source: &Source) -> Option<String> {
    match source {
        Source::Rule => None,
        Source::Indicator(m) => Some(
            json!({ "indicator": { "field": m.field, "kind": m.kind.name(), "value": m.indicator, "source": m.source } })
                .to_string(),
        ),
        Source::Correlation { group, value } => {
            let group: serde_json::Map<String, Json> = group.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            Some(json!({ "correlation": { "group": group, "value": value } }).to_string())
        }
    }
}

/// What detection made of a body of lines.
struct Detected {
    events: usize,
    /// (line number, reason) of the first [`SHOW_BAD`] unreadable lines.
    bad_lines: Vec<(usize, String)>,
    bad: usize,
    alerts: Vec<mamori_detect::engine::Alert>,
}

/// Parses the lines (zero-copy, into the engine's records) and evaluates
/// them (under the engine's lock), off the async threads.
async fn detect(
    state: &AppState,
    text: Bytes,
    format: Format,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Detected, ApiError> {
    let detector = state.detector.clone();
    tokio::task::spawn_blocking(move || {
        let text = std::str::from_utf8(&text).unwrap_or_default();
        // Parsing needs only the rules' schema: the engine is locked for
        // evaluation alone, so concurrent requests parse side by side.
        let mut parser = detector
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .rules
            .line_parser(format, now);
        let (mut records, mut bad_lines, mut bad) = (Vec::new(), Vec::new(), 0usize);
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match parser.parse(line) {
                Ok(r) => records.push(r),
                Err(e) => {
                    bad += 1;
                    if bad_lines.len() < SHOW_BAD {
                        bad_lines.push((i + 1, e.to_string()));
                    }
                }
            }
        }
        let alerts = detector
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .process_records(&records);
        Detected {
            events: records.len(),
            bad_lines,
            bad,
            alerts,
        }
    })
    .await
    .map_err(|e| ApiError::Internal(format!("detection failed: {e}")))
}

/// Records a company's alerts; shared by the ingest endpoint and the syslog
/// listener.
async fn record(
    state: &AppState,
    company: &mamori_store::org::Company,
    alerts: &[mamori_detect::engine::Alert],
    actor: &mamori_store::users::Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<mamori_store::alerts::Recorded, ApiError> {
    // Alerts below "low" (the building blocks of correlations) are not kept.
    let new: Vec<NewAlert> = alerts
        .iter()
        .filter(|a| a.level != "informational")
        .map(|a| NewAlert {
            dedup_key: a.dedup_key.clone(),
            title: a.title.clone(),
            rule_id: a.rule_id.clone(),
            level: a.level.clone(),
            tags: a.tags.clone(),
            detail: detail(&a.source),
            seen_at: a.timestamp.unwrap_or(now),
        })
        .collect();
    let recorded = state
        .store
        .record_alerts(company.id, &new, actor, now)
        .await?;
    crate::webhook::notify(state, &company.code, &new, &recorded.created);
    Ok(recorded)
}

/// Starts the syslog listener (UDP datagrams and newline-framed TCP on the
/// same address) when configured; returns the bound address. Lines are
/// parsed as syslog (a CEF or JSON body is read too); unreadable ones are
/// counted in the log, never fatal.
pub async fn spawn_syslog(state: AppState) -> std::io::Result<Option<std::net::SocketAddr>> {
    if state.config.syslog_listen.is_empty() {
        return Ok(None);
    }
    let code = state.config.syslog_company.clone();
    let company = state
        .store
        .company_by_code(&code)
        .await
        .map_err(std::io::Error::other)?
        .ok_or_else(|| {
            std::io::Error::other(format!("syslog_company {code:?} is not a company code"))
        })?;
    let udp = tokio::net::UdpSocket::bind(&state.config.syslog_listen).await?;
    let addr = udp.local_addr()?;
    let tcp = tokio::net::TcpListener::bind(addr).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(10_000);
    let udp_tx = tx.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let Ok((n, _)) = udp.recv_from(&mut buf).await else {
                continue;
            };
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let _ = udp_tx.send(line.to_owned()).await;
            }
        }
    });
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = tcp.accept().await else {
                continue;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut reader = tokio::io::BufReader::new(stream);
                let mut frame = Vec::new();
                loop {
                    match next_frame(&mut reader, &mut frame).await {
                        Ok(Frame::Message) => {
                            let text = String::from_utf8_lossy(&frame).into_owned();
                            if tx.send(text).await.is_err() {
                                break;
                            }
                        }
                        Ok(Frame::TooLong) => {
                            tracing::warn!(
                                "syslog frame longer than {} bytes skipped",
                                mamori_detect::parse::MAX_LINE
                            );
                        }
                        Ok(Frame::End) | Err(_) => break,
                    }
                }
            });
        }
    });
    let actor = mamori_store::users::Actor::system("syslog");
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut lines = vec![first];
            while lines.len() < 1000 {
                match rx.try_recv() {
                    Ok(l) => lines.push(l),
                    Err(_) => break,
                }
            }
            let now = chrono::Utc::now();
            let text = Bytes::from(lines.join("\n"));
            let result = match detect(&state, text, Format::Auto, now).await {
                Ok(d) => {
                    if d.bad > 0 {
                        tracing::warn!(bad = d.bad, "syslog lines not readable as events");
                    }
                    record(&state, &company, &d.alerts, &actor, now).await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                tracing::error!(error = %e, "syslog detection failed");
            }
        }
    });
    tracing::info!(%addr, company = %code, "syslog listener started (UDP and TCP)");
    Ok(Some(addr))
}

/// The value of `name` among decoded query or form pairs.
fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The company with this code, if it is in `scope`; else a 400 that says
/// which company may not be used and why (`what`).
async fn company_in(
    state: &AppState,
    scope: &mamori_domain::authz::Scope,
    code: &str,
    what: &str,
) -> Result<mamori_store::org::Company, ApiError> {
    state
        .store
        .company_by_code(code)
        .await?
        .filter(|c| scope.contains(c.id))
        .ok_or_else(|| ApiError::BadRequest(format!("no company with code {code:?} {what}")))
}

/// What [`next_frame`] read.
#[derive(Debug, PartialEq, Eq)]
enum Frame {
    /// A message, in the buffer.
    Message,
    /// A frame over [`mamori_detect::parse::MAX_LINE`] bytes, skipped.
    TooLong,
    /// The stream ended.
    End,
}

/// Reads one syslog message from a TCP stream, framed as RFC 6587 allows:
/// octet counting (`LEN SP MSG`, what RFC 5425 senders use) when the frame
/// starts with a digit, else a line ending in LF (CR LF too). Never holds
/// more than [`mamori_detect::parse::MAX_LINE`] bytes of one frame.
async fn next_frame<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    out: &mut Vec<u8>,
) -> std::io::Result<Frame> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    const MAX: usize = mamori_detect::parse::MAX_LINE;
    out.clear();
    // Skip blank lines between frames.
    loop {
        let available = reader.fill_buf().await?;
        match available.first() {
            None => return Ok(Frame::End),
            Some(b'\n' | b'\r') => reader.consume(1),
            Some(_) => break,
        }
    }
    if reader
        .fill_buf()
        .await?
        .first()
        .is_some_and(|b| (b'1'..=b'9').contains(b))
    {
        // Octet counting: up to 7 digits, a space, then exactly that many bytes.
        while out.len() <= 7 {
            let available = reader.fill_buf().await?;
            let Some(&b) = available.first() else { break };
            if !b.is_ascii_digit() {
                break;
            }
            out.push(b);
            reader.consume(1);
        }
        let counted = reader.fill_buf().await?.first() == Some(&b' ');
        if counted
            && let Ok(len) = std::str::from_utf8(out)
                .unwrap_or_default()
                .parse::<usize>()
        {
            reader.consume(1);
            out.clear();
            if len > MAX {
                let skipped =
                    tokio::io::copy(&mut reader.take(len as u64), &mut tokio::io::sink()).await?;
                return Ok(if skipped < len as u64 {
                    Frame::End
                } else {
                    Frame::TooLong
                });
            }
            out.resize(len, 0);
            return match reader.read_exact(out).await {
                Ok(_) => Ok(Frame::Message),
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(Frame::End),
                Err(e) => Err(e),
            };
        }
        // Digits without a space: the start of an LF-terminated line.
    }
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            // The stream ended inside a line: what came is the last message.
            return Ok(if too_long || out.is_empty() {
                Frame::End
            } else {
                Frame::Message
            });
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..i], i + 1),
            None => (available, available.len()),
        };
        if !too_long {
            if out.len() + chunk.len() > MAX {
                too_long = true;
                out.clear();
            } else {
                out.extend_from_slice(chunk);
            }
        }
        let ended = done <= available.len() && available.get(done - 1) == Some(&b'\n');
        reader.consume(done);
        if ended {
            if too_long {
                return Ok(Frame::TooLong);
            }
            if out.last() == Some(&b'\r') {
                out.pop();
            }
            return Ok(Frame::Message);
        }
    }
}

/// `POST /api/v1/ingest?company=CODE[&format=auto|json|syslog|cef]`: one
/// event per line. Needs the `ingest` (alerts:create) right in the company.
pub async fn ingest(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<JsonBody<Json>, ApiError> {
    let scope = p.scope("alerts", Action::Create, ctx.now);
    if scope.is_empty() {
        return Err(ApiError::Forbidden);
    }
    let params = query.as_deref().map(url_pairs).unwrap_or_default();
    let param = |name: &str| param(&params, name);
    let code = param("company").ok_or_else(|| {
        ApiError::BadRequest("company (the company code the events belong to) is required".into())
    })?;
    let company = company_in(&state, &scope, code, "that you may send events for").await?;
    let format = match param("format") {
        None => Format::Auto,
        Some(f) => Format::parse_name(f).ok_or_else(|| {
            ApiError::BadRequest("format must be auto, json, syslog or cef".into())
        })?,
    };
    if let Err(e) = std::str::from_utf8(&body) {
        return Err(ApiError::BadRequest(format!(
            "the body is not valid UTF-8 (first bad byte at offset {})",
            e.valid_up_to()
        )));
    }
    let d = detect(&state, body, format, ctx.now).await?;
    if d.events == 0 {
        return Err(ApiError::BadRequest(match d.bad_lines.first() {
            Some((line, error)) => {
                format!("no line could be read as an event; line {line}: {error}")
            }
            None => "the body holds no events (send one event per line)".into(),
        }));
    }
    let recorded = record(&state, &company, &d.alerts, &ctx.actor(), ctx.now).await?;
    let bad_lines: Vec<Json> = d
        .bad_lines
        .iter()
        .map(|(line, error)| json!({ "line": line, "error": error }))
        .collect();
    Ok(JsonBody(json!({
        "events": d.events,
        "bad": d.bad,
        "bad_lines": bad_lines,
        "alerts": recorded,
    })))
}

/// The alerts list's filters, page size and cursor, from the query string.
#[derive(Debug, Default)]
struct Filters {
    status: Option<String>,
    level: Option<String>,
    /// A company code.
    company: Option<String>,
    /// Words in the title.
    q: Option<String>,
    limit: i64,
    after: Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)>,
}

/// Rows per page unless `limit` says otherwise (at most [`MAX_PAGE`]).
const PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;
/// Rows in one export.
const MAX_EXPORT: i64 = 10_000;

/// A page cursor: the last row's last-seen time and id.
fn cursor(row: &AlertRow) -> String {
    format!("{}_{}", row.last_seen.timestamp_micros(), row.id)
}

fn parse_cursor(text: &str) -> Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)> {
    let (micros, id) = text.split_once('_')?;
    Some((
        chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        uuid::Uuid::parse_str(id).ok()?,
    ))
}

fn filters(query: &Option<String>) -> Result<Filters, ApiError> {
    let params = query.as_deref().map(url_pairs).unwrap_or_default();
    let get = |name: &str| {
        param(&params, name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let pick = |name: &str, allowed: &[&str]| -> Result<Option<String>, ApiError> {
        match get(name) {
            None => Ok(None),
            Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v)),
            Some(v) => Err(ApiError::BadRequest(format!(
                "{name} {v:?} is not one of: {}",
                allowed.join(", ")
            ))),
        }
    };
    let limit = match get("limit") {
        None => PAGE,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                ApiError::BadRequest(format!("limit must be a number from 1 to {MAX_PAGE}"))
            })?,
    };
    let after = match get("after") {
        None => None,
        Some(v) => Some(parse_cursor(&v).ok_or_else(|| {
            ApiError::BadRequest("after is not a cursor from this list's next link".into())
        })?),
    };
    let q = get("q");
    if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::BadRequest(
            "q is longer than 200 characters".into(),
        ));
    }
    Ok(Filters {
        status: pick("status", STATUSES)?,
        level: pick("level", LEVELS)?,
        company: get("company"),
        q,
        limit,
        after,
    })
}

/// `PATCH /api/v1/alerts/{id}` with `{"status": …, "version": …}`: triage.
pub async fn set_status(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Result<JsonBody<Json>, ApiError> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let read = p.scope("alerts", Action::Read, ctx.now);
    if read.is_empty() {
        return Err(ApiError::Forbidden);
    }
    let parsed: Json = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    let status = parsed["status"]
        .as_str()
        .ok_or_else(|| ApiError::BadRequest("status is required".into()))?;
    let version = parsed["version"]
        .as_i64()
        .ok_or_else(|| ApiError::BadRequest("version (the one you read) is required".into()))?;
    if let Some(extra) = parsed
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "status" && *k != "version"))
    {
        return Err(ApiError::Invalid(vec![mamori_domain::FieldError::new(
            extra.clone(),
            "unknown field",
        )]));
    }
    let row = change_status(&state, &ctx, &p, id, version, status).await?;
    Ok(JsonBody(json!(row)))
}

/// Another company's alert is 404; one the caller may read but not triage is 403.
async fn change_status(
    state: &AppState,
    ctx: &crate::Ctx,
    p: &mamori_domain::authz::Principal,
    id: uuid::Uuid,
    version: i64,
    status: &str,
) -> Result<AlertRow, ApiError> {
    let read = p.scope("alerts", Action::Read, ctx.now);
    let update = p.scope("alerts", Action::Update, ctx.now);
    if !STATUSES.contains(&status) {
        return Err(ApiError::Invalid(vec![mamori_domain::FieldError::new(
            "status",
            format!("must be one of: {}", STATUSES.join(", ")),
        )]));
    }
    match state
        .store
        .set_alert_status(id, &update, version, status, &ctx.actor(), ctx.now)
        .await
    {
        Err(mamori_store::StoreError::NotFound) => {
            // Visible but not ours to change → 403; not visible → 404.
            let visible = state
                .store
                .alert(id)
                .await?
                .is_some_and(|a| read.contains(a.company_id));
            Err(if visible {
                ApiError::Forbidden
            } else {
                ApiError::NotFound
            })
        }
        other => Ok(other?),
    }
}

/// The triage form on the Monitoring page.
pub async fn set_status_form(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Response {
    let pairs = std::str::from_utf8(&body)
        .map(url_pairs)
        .unwrap_or_default();
    let field = |name: &str| param(&pairs, name).unwrap_or_default();
    let result = async {
        let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
        let version: i64 = field("version")
            .parse()
            .map_err(|_| ApiError::BadRequest("version".into()))?;
        change_status(&state, &ctx, &p, id, version, field("status")).await
    }
    .await;
    match result {
        Ok(_) => axum::response::Redirect::to("/alerts").into_response(),
        Err(e) => crate::web::error_page(&state, &ctx, e),
    }
}

/// Alerts the principal may `action` (read or export), with the filters
/// asked for, one page of `limit` rows.
async fn visible_alerts(
    state: &AppState,
    ctx: &crate::Ctx,
    p: &mamori_domain::authz::Principal,
    action: Action,
    f: &Filters,
    limit: i64,
) -> Result<Vec<AlertRow>, ApiError> {
    let scope = p.scope("alerts", action, ctx.now);
    if scope.is_empty() {
        return Err(ApiError::Forbidden);
    }
    let company = match &f.company {
        None => None,
        Some(code) => Some(
            company_in(state, &scope, code, "whose alerts you may see")
                .await?
                .id,
        ),
    };
    let query = mamori_store::alerts::AlertQuery {
        status: f.status.as_deref(),
        level: f.level.as_deref(),
        company,
        title: f.q.as_deref(),
        before: f.after,
    };
    Ok(state.store.list_alerts(&scope, &query, limit).await?)
}

/// `GET /api/v1/alerts?status=&level=&company=&q=&limit=&after=`: the alerts
/// the caller may see, most recently seen first, a page at a time (`next`
/// is the cursor for `after`, null on the last page).
pub async fn list(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    RawQuery(query): RawQuery,
) -> Result<JsonBody<Json>, ApiError> {
    let f = filters(&query)?;
    let mut rows = visible_alerts(&state, &ctx, &p, Action::Read, &f, f.limit + 1).await?;
    let next = (rows.len() as i64 > f.limit).then(|| {
        rows.truncate(f.limit as usize);
        rows.last().map(cursor)
    });
    Ok(JsonBody(
        json!({ "items": rows, "next": next.flatten(), "rules_not_loaded": state.rule_errors }),
    ))
}

/// `GET /api/v1/alerts/export?format=csv|xlsx&…filters`: the filtered list
/// (up to 10,000 rows) as a file, dates in the viewer's time zone; audited.
pub async fn export(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let f = filters(&query)?;
    let params = query.as_deref().map(url_pairs).unwrap_or_default();
    let format = param(&params, "format").unwrap_or("csv").to_owned();
    if format != "csv" && format != "xlsx" {
        return Err(ApiError::BadRequest("format must be csv or xlsx".into()));
    }
    let rows = visible_alerts(&state, &ctx, &p, Action::Export, &f, MAX_EXPORT).await?;
    let companies = state
        .store
        .companies(&mamori_domain::authz::Scope::All)
        .await?;
    let code = |id: uuid::Uuid| {
        companies
            .iter()
            .find(|c| c.id == id)
            .map_or(String::new(), |c| c.code.clone())
    };
    let t = ctx.t(&state);
    let header_row = [
        "last_seen",
        "first_seen",
        "company",
        "level",
        "title",
        "count",
        "status",
        "tags",
        "rule_id",
        "id",
    ];
    let data: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                ctx.local(r.last_seen),
                ctx.local(r.first_seen),
                code(r.company_id),
                t.tk(&["alert_level", &r.level]),
                r.title.clone(),
                r.count.to_string(),
                t.tk(&["alert_status", &r.status]),
                r.tags.clone(),
                r.rule_id.clone().unwrap_or_default(),
                r.id.to_string(),
            ]
        })
        .collect();
    let entry = mamori_store::audit::Entry {
        actor_id: Some(p.user_id),
        actor: p.username.clone(),
        action: "export".into(),
        register: "alerts".into(),
        detail: Some(format!("format={format} records={}", data.len())),
        ..Default::default()
    };
    state.store.audit(&entry, ctx.now).await?;
    crate::transfer::download("alerts", &format, &ctx, &header_row, &data)
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage<'a> {
    f: crate::web::Frame<'a>,
    rows: Vec<AlertRow>,
    when: Vec<String>,
    statuses: Vec<(String, String, bool)>,
    levels: Vec<(String, String, bool)>,
    companies: Vec<(String, String, bool)>,
    q: String,
    next_link: Option<String>,
    filters_query: String,
    can_export: bool,
    rule_errors: Vec<String>,
    can_triage: bool,
}

pub async fn page(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    RawQuery(query): RawQuery,
) -> Response {
    let result = async {
        let f = filters(&query)?;
        let rows = visible_alerts(&state, &ctx, &p, Action::Read, &f, f.limit + 1).await?;
        Ok::<_, ApiError>((f, rows))
    }
    .await;
    let (f, mut rows) = match result {
        Ok(r) => r,
        Err(e) => return crate::web::error_page(&state, &ctx, e),
    };
    let next = (rows.len() as i64 > f.limit).then(|| {
        rows.truncate(f.limit as usize);
        rows.last().map(cursor)
    });
    let t = ctx.t(&state);
    let choices = |prefix: &str, all: &[&str], selected: &Option<String>| {
        all.iter()
            .map(|v| {
                (
                    (*v).to_owned(),
                    t.tk(&[prefix, v]),
                    selected.as_deref() == Some(*v),
                )
            })
            .collect::<Vec<_>>()
    };
    // The filters again, for the next-page and export links.
    let mut keep: Vec<(String, String)> = Vec::new();
    for (k, v) in [
        ("status", &f.status),
        ("level", &f.level),
        ("company", &f.company),
        ("q", &f.q),
    ] {
        if let Some(v) = v {
            keep.push((k.to_owned(), v.clone()));
        }
    }
    let filters_query = crate::web::query_string(&keep);
    let next_link = next.flatten().map(|c| {
        let mut pairs = keep.clone();
        pairs.push(("after".to_owned(), c));
        format!("/alerts?{}", crate::web::query_string(&pairs))
    });
    let companies = state
        .store
        .companies(&p.scope("alerts", Action::Read, ctx.now))
        .await
        .unwrap_or_default();
    let page = AlertsPage {
        f: crate::web::frame(&state, &ctx, "nav.monitoring"),
        when: rows.iter().map(|r| ctx.local(r.last_seen)).collect(),
        statuses: choices("alert_status", STATUSES, &f.status),
        levels: choices("alert_level", LEVELS, &f.level),
        companies: companies
            .iter()
            .map(|c| {
                (
                    c.code.clone(),
                    format!("{} {}", c.code, c.name_ja),
                    f.company.as_deref() == Some(c.code.as_str()),
                )
            })
            .collect(),
        q: f.q.clone().unwrap_or_default(),
        next_link,
        filters_query,
        can_export: !p.scope("alerts", Action::Export, ctx.now).is_empty(),
        rows,
        rule_errors: state.rule_errors.clone(),
        can_triage: !p.scope("alerts", Action::Update, ctx.now).is_empty(),
    };
    match page.render() {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
    }
}

/// One loaded rule as the rules list shows it.
#[derive(Debug, Clone, serde::Serialize)]
struct RuleRow {
    title: String,
    id: Option<String>,
    level: String,
    kind: &'static str,
    tags: String,
    file: String,
    /// Matches (detections) or firings (correlations) since start; only for
    /// principals who may read alerts of the whole group (the engine serves
    /// every company).
    hits: Option<u64>,
}

/// The loaded rules, filtered by `q` (title, id or tag) and sorted by hits
/// (most first) or title.
fn rule_rows(state: &AppState, show_hits: bool, q: &str, by_title: bool) -> Vec<RuleRow> {
    let engine = state.detector.lock().unwrap_or_else(|p| p.into_inner());
    let q = q.to_lowercase();
    let mut rows: Vec<RuleRow> = engine
        .rules
        .rules()
        .iter()
        .filter(|r| {
            q.is_empty()
                || r.title.to_lowercase().contains(&q)
                || r.id.as_deref().is_some_and(|i| i.contains(&q))
                || r.tags.iter().any(|t| t.to_lowercase().contains(&q))
        })
        .map(|r| RuleRow {
            title: r.title.clone(),
            id: r.id.clone(),
            level: r.level.clone().unwrap_or_default(),
            kind: match r.kind {
                RuleKind::Detection => "detection",
                RuleKind::NativeCorrelation => "native_correlation",
                RuleKind::Correlation => "correlation",
            },
            tags: r.tags.join(" "),
            file: r.file.display().to_string(),
            hits: show_hits.then_some(r.hits),
        })
        .collect();
    if by_title {
        rows.sort_by(|a, b| a.title.cmp(&b.title));
    } else {
        rows.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| a.title.cmp(&b.title)));
    }
    rows
}

/// Who may see the rules list, and whether with hit counts.
fn rules_access(ctx: &crate::Ctx, p: &mamori_domain::authz::Principal) -> Result<bool, ApiError> {
    let scope = p.scope("alerts", Action::Read, ctx.now);
    if scope.is_empty() {
        return Err(ApiError::Forbidden);
    }
    Ok(scope == mamori_domain::authz::Scope::All)
}

fn rules_query(query: &Option<String>) -> Result<(String, bool), ApiError> {
    let params = query.as_deref().map(url_pairs).unwrap_or_default();
    let q = param(&params, "q").unwrap_or_default().trim().to_owned();
    if q.chars().count() > 200 {
        return Err(ApiError::BadRequest(
            "q is longer than 200 characters".into(),
        ));
    }
    let by_title = match param(&params, "sort") {
        None | Some("" | "hits") => false,
        Some("title") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "sort {other:?} is not one of: hits, title"
            )));
        }
    };
    Ok((q, by_title))
}

/// `GET /api/v1/rules?q=&sort=hits|title`: the detection rules loaded, with
/// hit counts, and those that could not be loaded with the reason.
pub async fn rules(
    State(state): State<AppState>,
    ApiUser(ctx, p): ApiUser,
    RawQuery(query): RawQuery,
) -> Result<JsonBody<Json>, ApiError> {
    let show_hits = rules_access(&ctx, &p)?;
    let (q, by_title) = rules_query(&query)?;
    let items = rule_rows(&state, show_hits, &q, by_title);
    Ok(JsonBody(
        json!({ "items": items, "not_loaded": state.rule_errors }),
    ))
}

/// A rules-list row as the page shows it (labels in the viewer's language).
struct RuleView {
    title: String,
    level: String,
    kind: String,
    tags: String,
    file: String,
    hits: u64,
}

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage<'a> {
    f: crate::web::Frame<'a>,
    rows: Vec<RuleView>,
    loaded: usize,
    show_hits: bool,
    rule_errors: Vec<String>,
    q: String,
    sort: &'static str,
}

/// `/rules`: the rules page.
pub async fn rules_page(
    State(state): State<AppState>,
    WebUser(ctx, p): WebUser,
    RawQuery(query): RawQuery,
) -> Response {
    let checked = rules_access(&ctx, &p).and_then(|show| Ok((show, rules_query(&query)?)));
    let (show_hits, (q, by_title)) = match checked {
        Ok(v) => v,
        Err(e) => return crate::web::error_page(&state, &ctx, e),
    };
    let t = ctx.t(&state);
    let rows: Vec<RuleView> = rule_rows(&state, show_hits, &q, by_title)
        .into_iter()
        .map(|r| RuleView {
            level: if r.level.is_empty() {
                String::new()
            } else {
                t.tk(&["alert_level", &r.level])
            },
            kind: t.tk(&["rule_kind", r.kind]),
            title: r.title,
            tags: r.tags,
            file: r.file,
            hits: r.hits.unwrap_or_default(),
        })
        .collect();
    let loaded = state
        .detector
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .rules
        .len();
    let page = RulesPage {
        f: crate::web::frame(&state, &ctx, "nav.monitoring"),
        rows,
        loaded,
        show_hits,
        rule_errors: state.rule_errors.clone(),
        q,
        sort: if by_title { "title" } else { "hits" },
    };
    match page.render() {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8]) -> Vec<Result<String, Frame>> {
        let mut reader = tokio::io::BufReader::with_capacity(7, input);
        let mut out = Vec::new();
        let mut all = Vec::new();
        loop {
            match next_frame(&mut reader, &mut out).await.expect("in memory") {
                Frame::Message => all.push(Ok(String::from_utf8_lossy(&out).into_owned())),
                Frame::End => return all,
                other => all.push(Err(other)),
            }
        }
    }

    #[tokio::test]
    async fn octet_counted_and_lf_framed_messages_mix() {
        let input = b"<13>1 a\r\n13 <13>1 b\nc d e8 <13>1 f\n\n<13>1 g";
        assert_eq!(
            frames(input).await,
            vec![
                Ok("<13>1 a".into()),
                Ok("<13>1 b\nc d e".into()),
                Ok("<13>1 f\n".into()),
                Ok("<13>1 g".into()),
            ]
        );
    }

    #[tokio::test]
    async fn oversized_frames_are_skipped_not_held() {
        let max = mamori_detect::parse::MAX_LINE;
        let mut input = format!("{} ", max + 1).into_bytes();
        input.extend(std::iter::repeat_n(b'x', max + 1));
        input.extend(std::iter::repeat_n(b'y', max + 10));
        input.extend(b"\n<13>1 after\n12345\n");
        assert_eq!(
            frames(&input).await,
            vec![
                Err(Frame::TooLong),
                Err(Frame::TooLong),
                Ok("<13>1 after".into()),
                Ok("12345".into()),
            ]
        );
        // A count promising more than arrives ends the stream quietly.
        assert_eq!(frames(b"30 <13>1 short").await, vec![]);
    }
}
