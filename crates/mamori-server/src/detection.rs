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
use mamori_store::alerts::NewAlert;
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

/// The engine's alerts as the store keeps them. Alerts below "low" (the
/// building blocks of correlations) are not kept.
pub(crate) fn to_store(
    alerts: &[mamori_detect::engine::Alert],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<NewAlert> {
    alerts
        .iter()
        .filter(|a| a.level != "informational")
        .map(|a| NewAlert {
            dedup_key: a.dedup_key.clone(),
            title: a.title.to_string(),
            rule_id: a.rule_id.as_deref().map(str::to_owned),
            level: a.level.to_owned(),
            tags: a.tags.to_vec(),
            detail: detail(&a.source),
            seen_at: a.timestamp.unwrap_or(now),
        })
        .collect()
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
    let new = to_store(alerts, now);
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

/// `/alerts`: the alerts list is the `alerts` register's list page; old
/// links and bookmarks keep working.
pub async fn page(RawQuery(query): RawQuery) -> Response {
    let target = match query.filter(|q| !q.is_empty()) {
        Some(q) => format!("/r/alerts?{q}"),
        None => "/r/alerts".to_owned(),
    };
    axum::response::Redirect::to(&target).into_response()
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
    /// The rule's alerts (empty for a rule without an id).
    alerts_href: String,
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
                t.tk(&["enum", "alerts", "level", &r.level])
            },
            kind: t.tk(&["rule_kind", r.kind]),
            alerts_href: r.id.as_deref().map_or(String::new(), |id| {
                format!(
                    "/r/alerts?{}",
                    crate::web::query_string(&[("rule_id".into(), id.into())])
                )
            }),
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
