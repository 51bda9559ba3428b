//! E-mail notification by the escalation rules, to whoever is on duty.
//!
//! Every minute while serving, [`scan`] reads each company's active
//! escalation rules and queues, in the mail outbox, one message per rule
//! and thing to tell: an incident opened (after the rule's delay, only if
//! still `detected`), alerts raised (after the delay, only those still
//! `new`), a legal deadline due within a day or past, a drill inject
//! delivered. The recipients are the people on duty at the rule's tier at
//! that moment, and the rule's fixed address. [`deliver`] then hands what
//! is due to the SMTP server, retrying with growing waits and giving up
//! after [`MAX_ATTEMPTS`] (the outbox page shows why).
//!
//! Messages are written in Japanese, then English, and carry references,
//! titles, levels and a link: never a customer's personal data.

use chrono::{DateTime, Duration, Utc};
use lettre::message::{Mailbox, Message, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mamori_domain::authz::Scope;
use mamori_domain::register::{RefValue, RegisterSpec, Value};
use mamori_domain::registers::{
    ALERT_LEVELS, ALERTS, DUTY_SHIFTS, ESCALATION_RULES, INCIDENTS, MAX_SHIFT_DAYS, on_duty,
};
use mamori_domain::settings::INCIDENT_SEVERITY;
use mamori_store::mail::NewMail;
use mamori_store::records::Stored;
use mamori_store::users::Actor;
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::{Lang, T};

/// Tries per message before it is given up.
pub const MAX_ATTEMPTS: i64 = 6;
/// How far back a scan looks for incidents and alerts to tell of.
const LOOK_BACK_DAYS: i64 = 7;
/// Most alerts one message lists.
const ALERTS_PER_MAIL: usize = 50;

/// One active rule, read.
struct Rule {
    id: Uuid,
    ref_no: String,
    name: String,
    company_id: Uuid,
    created_at: DateTime<Utc>,
    event: String,
    tier: Option<String>,
    also: Option<String>,
    after: Duration,
    min_severity: Option<usize>,
    min_level: Option<usize>,
    exercises: bool,
}

impl Rule {
    fn of(state: &AppState, s: &Stored) -> Rule {
        let r = &s.record;
        let text = |f: &str| r.text(f).map(str::to_owned);
        Rule {
            id: s.id,
            ref_no: s.ref_no.clone(),
            name: r.text("name").unwrap_or_default().to_owned(),
            company_id: s.company_id,
            created_at: s.created_at,
            event: r.text("event").unwrap_or_default().to_owned(),
            tier: text("tier"),
            also: text("also_notify"),
            after: Duration::minutes(match r.get("after_minutes") {
                Value::Int(n) => *n,
                _ => 0,
            }),
            min_severity: r
                .text("min_severity")
                .and_then(|c| state.store.settings().rank(INCIDENT_SEVERITY, c)),
            min_level: r
                .text("min_level")
                .and_then(|c| ALERT_LEVELS.iter().position(|l| *l == c)),
            exercises: *r.get("exercises") == Value::Bool(true),
        }
    }

    /// Whether something opened at `created` (while the rule existed) is
    /// old enough to tell of at `now`.
    fn ripe(&self, created: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        created >= self.created_at && created + self.after <= now
    }
}

fn time(s: &Stored, field: &str) -> Option<DateTime<Utc>> {
    match s.record.get(field) {
        Value::Time(t) => Some(*t),
        _ => None,
    }
}

/// The addresses a rule reaches at `now`: the people on duty at its tier
/// in its company, and its fixed address.
async fn recipients(
    state: &AppState,
    rule: &Rule,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    if let Some(tier) = &rule.tier {
        let oldest = now - Duration::days(MAX_SHIFT_DAYS);
        let shifts = crate::kernel::list_all(
            state,
            &DUTY_SHIFTS,
            Scope::All,
            Some(rule.company_id),
            vec![("tier", Value::Text(tier.clone()))],
            (Some("starts_at"), true),
            |s| time(s, "starts_at").is_some_and(|t| t < oldest),
        )
        .await?;
        let people: Vec<Uuid> = shifts
            .iter()
            .filter(|s| on_duty(&s.record, now))
            .filter_map(|s| match s.record.get("person") {
                Value::Ref(RefValue::Id(id)) => Some(*id),
                _ => None,
            })
            .collect();
        out.extend(
            state
                .store
                .emails_of(&people)
                .await?
                .into_iter()
                .map(|(_, e)| e),
        );
    }
    out.extend(rule.also.clone());
    out.sort();
    out.dedup();
    Ok(out)
}

/// The active rules of every company.
async fn rules(state: &AppState) -> Result<Vec<Rule>, ApiError> {
    let found = crate::kernel::list_all(
        state,
        &ESCALATION_RULES,
        Scope::All,
        None,
        vec![("active", Value::Bool(true))],
        (None, true),
        |_| false,
    )
    .await?;
    Ok(found.iter().map(|s| Rule::of(state, s)).collect())
}

/// Scans once at `now`: delivers the drill injects that are due, and
/// queues what the rules say to send. Returns the keys of the messages
/// queued (for tests and logs). While e-mail is off, injects are still
/// delivered and nothing is queued. One rule's failure is logged and the
/// others go on.
pub async fn scan(state: &AppState, now: DateTime<Utc>) -> Result<Vec<String>, ApiError> {
    let rules = if state.config.smtp.enabled() {
        rules(state).await?
    } else {
        Vec::new()
    };
    let mut queued = Vec::new();
    // An inject's messages are queued before it is delivered: a failure
    // between the two delivers it next time, and queues nothing twice.
    let heading = format!("【{}】", both(state, &["mail", "drill_inject"]));
    let actor = Actor::system("mamori");
    for (inject, message, incident) in state.store.due_injects(now).await? {
        let incident = state
            .store
            .get_record(&INCIDENTS, incident, &Scope::All)
            .await?;
        for rule in rules
            .iter()
            .filter(|r| r.event == "drill_inject" && r.company_id == incident.company_id)
        {
            let (subject, lines) = inject_text(state, &incident, &message);
            let draft = Draft::new(format!("inject:{inject}"), subject, lines);
            queue(state, rule, vec![draft], now, &mut queued).await?;
        }
        if state
            .store
            .deliver_inject(inject, &heading, &actor, now)
            .await?
            .is_none()
        {
            tracing::warn!(%inject, "drill inject not delivered: its incident is no exercise");
        }
    }
    for rule in &rules {
        let drafts = match rule.event.as_str() {
            "incident_opened" => incident_mails(state, rule, now).await,
            "alert_new" => alert_mails(state, rule, now).await,
            "deadline_due_soon" | "deadline_overdue" => deadline_mails(state, rule, now).await,
            _ => continue,
        };
        let outcome = match drafts {
            Ok(drafts) => queue(state, rule, drafts, now, &mut queued).await,
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            tracing::warn!(rule = %rule.ref_no, error = %e, "escalation rule failed");
        }
    }
    Ok(queued)
}

/// Queues a rule's messages to whoever it reaches now; the keys of those
/// queued (not queued before) go to `queued`.
async fn queue(
    state: &AppState,
    rule: &Rule,
    drafts: Vec<Draft>,
    now: DateTime<Utc>,
    queued: &mut Vec<String>,
) -> Result<(), ApiError> {
    if drafts.is_empty() {
        return Ok(());
    }
    let to = recipients(state, rule, now).await?;
    for draft in drafts {
        let mail = NewMail {
            key: format!("esc:{}:{}", rule.id, draft.about),
            company_id: Some(rule.company_id),
            recipients: to.clone(),
            subject: draft.subject,
            body: body(state, rule, &draft.lines),
        };
        if state.store.enqueue_mail(&mail, now).await? {
            queued.push(mail.key);
        }
        // Marked after queueing: a crash between the two queues the same
        // message again under the same key, so nothing doubles.
        for mark in draft.marks {
            state.store.first_notice(&mark, now).await?;
        }
    }
    Ok(())
}

/// One message a rule sends.
struct Draft {
    /// What it is about (with the rule, the message's key).
    about: String,
    subject: String,
    lines: Vec<String>,
    /// Notices to mark sent once the message is queued.
    marks: Vec<String>,
}

impl Draft {
    fn new(about: String, subject: String, lines: Vec<String>) -> Draft {
        Draft {
            about,
            subject,
            lines,
            marks: Vec::new(),
        }
    }
}

fn both(state: &AppState, parts: &[&str]) -> String {
    let ja = T {
        lang: Lang::Ja,
        cat: &state.catalogues,
    };
    let en = T {
        lang: Lang::En,
        cat: &state.catalogues,
    };
    let (ja, en) = (ja.tk(parts), en.tk(parts));
    if ja == en { ja } else { format!("{ja} / {en}") }
}

fn local(state: &AppState, at: DateTime<Utc>) -> String {
    format!(
        "{} ({})",
        at.with_timezone(&state.tz).format("%Y-%m-%d %H:%M"),
        state.tz
    )
}

fn severity(state: &AppState, code: &str) -> String {
    state
        .store
        .settings()
        .level(INCIDENT_SEVERITY, code)
        .map_or_else(|| code.to_owned(), |l| format!("{} / {}", l.ja, l.en))
}

fn exercise_mark(state: &AppState, s: &Stored) -> String {
    if *s.record.get("exercise") == Value::Bool(true) {
        format!("【{}】", both(state, &["mail", "exercise"]))
    } else {
        String::new()
    }
}

/// The lines that describe an incident.
fn incident_lines(state: &AppState, s: &Stored) -> Vec<String> {
    let r = &s.record;
    let field = |f: &str| both(state, &["field", "incidents", f]);
    let code = |f: &str| r.text(f).unwrap_or_default();
    let mut lines = vec![
        format!("{}: {}", field("title"), code("title")),
        format!("{}: {}", both(state, &["mail", "reference"]), s.ref_no),
        format!(
            "{}: {}",
            field("category"),
            both(state, &["enum", "incidents", "category", code("category")])
        ),
        format!(
            "{}: {}",
            field("severity"),
            severity(state, code("severity"))
        ),
        format!(
            "{}: {}",
            field("status"),
            both(state, &["enum", "incidents", "status", code("status")])
        ),
    ];
    if let Some(at) = time(s, "detected_at") {
        lines.push(format!("{}: {}", field("detected_at"), local(state, at)));
    }
    lines.push(format!("{}/r/incidents/{}", state.config.base_url(), s.id));
    lines
}

/// A rule's company's records of `spec` from the last [`LOOK_BACK_DAYS`]
/// by the instant in `field`, newest first.
async fn recent(
    state: &AppState,
    spec: &'static RegisterSpec,
    rule: &Rule,
    field: &'static str,
    now: DateTime<Utc>,
) -> Result<Vec<Stored>, ApiError> {
    let oldest = now - Duration::days(LOOK_BACK_DAYS);
    crate::kernel::list_all(
        state,
        spec,
        Scope::All,
        Some(rule.company_id),
        Vec::new(),
        (Some(field), true),
        |s| time(s, field).is_some_and(|t| t < oldest),
    )
    .await
}

async fn incident_mails(
    state: &AppState,
    rule: &Rule,
    now: DateTime<Utc>,
) -> Result<Vec<Draft>, ApiError> {
    let found = recent(state, &INCIDENTS, rule, "detected_at", now).await?;
    let settings = state.store.settings();
    let mut out = Vec::new();
    for s in found {
        let r = &s.record;
        let exercise = *r.get("exercise") == Value::Bool(true);
        let rank = r
            .text("severity")
            .and_then(|c| settings.rank(INCIDENT_SEVERITY, c));
        if !rule.ripe(s.created_at, now)
            || (exercise && !rule.exercises)
            || rule
                .min_severity
                .is_some_and(|min| rank.is_some_and(|n| n < min))
            || (rule.after > Duration::zero() && r.text("status") != Some("detected"))
        {
            continue;
        }
        let heading = if rule.after > Duration::zero() {
            "unacknowledged_incident"
        } else {
            "new_incident"
        };
        let subject = format!(
            "[mamori] {}【{}】{} {}",
            exercise_mark(state, &s),
            both(state, &["mail", heading]),
            s.ref_no,
            r.text("title").unwrap_or_default()
        );
        let mut lines = vec![
            both(state, &["mail", &format!("{heading}_intro")])
                .replace("{minutes}", &rule.after.num_minutes().to_string()),
        ];
        lines.extend(incident_lines(state, &s));
        out.push(Draft::new(format!("incident:{}", s.id), subject, lines));
    }
    Ok(out)
}

async fn alert_mails(
    state: &AppState,
    rule: &Rule,
    now: DateTime<Utc>,
) -> Result<Vec<Draft>, ApiError> {
    let found = recent(state, &ALERTS, rule, "first_seen", now).await?;
    let mut chosen: Vec<Stored> = Vec::new();
    for s in found {
        let r = &s.record;
        let level = r
            .text("level")
            .and_then(|c| ALERT_LEVELS.iter().position(|l| *l == c));
        if !rule.ripe(s.created_at, now)
            || rule
                .min_level
                .is_some_and(|min| level.is_some_and(|n| n < min))
            || (rule.after > Duration::zero() && r.text("status") != Some("new"))
        {
            continue;
        }
        let key = format!("esc:{}:alert:{}", rule.id, s.id);
        if state.store.notice_sent(&key).await? {
            continue;
        }
        chosen.push(s);
    }
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    chosen.truncate(ALERTS_PER_MAIL);
    let heading = if rule.after > Duration::zero() {
        "unacknowledged_alerts"
    } else {
        "new_alerts"
    };
    let subject = format!(
        "[mamori]【{}】{} ({})",
        both(state, &["mail", heading]),
        chosen[0].record.text("title").unwrap_or_default(),
        chosen.len()
    );
    let mut lines = vec![
        both(state, &["mail", &format!("{heading}_intro")])
            .replace("{minutes}", &rule.after.num_minutes().to_string()),
    ];
    let base = state.config.base_url();
    for s in &chosen {
        let r = &s.record;
        lines.push(String::new());
        lines.push(format!(
            "{} [{}] {}",
            s.ref_no,
            r.text("level").unwrap_or_default(),
            r.text("title").unwrap_or_default()
        ));
        if let Some(at) = time(s, "first_seen") {
            lines.push(format!(
                "  {}: {}",
                both(state, &["field", "alerts", "first_seen"]),
                local(state, at)
            ));
        }
        lines.push(format!("  {base}/r/alerts/{}", s.id));
    }
    // The message's key names the alerts it tells of; each alert is then
    // marked told, so the next scan leaves it.
    let mut ids: Vec<String> = chosen.iter().map(|s| s.id.to_string()).collect();
    ids.sort();
    let digest = mamori_store::audit::sha256_hex(ids.join(",").as_bytes());
    let mut draft = Draft::new(format!("alerts:{}", &digest[..32]), subject, lines);
    draft.marks = chosen
        .iter()
        .map(|s| format!("esc:{}:alert:{}", rule.id, s.id))
        .collect();
    Ok(vec![draft])
}

async fn deadline_mails(
    state: &AppState,
    rule: &Rule,
    now: DateTime<Utc>,
) -> Result<Vec<Draft>, ApiError> {
    let overdue = rule.event == "deadline_overdue";
    let scope = Scope::Companies(vec![rule.company_id]);
    let mut out = Vec::new();
    for s in crate::incident::clocked_incidents(state, &scope).await? {
        for (clock, due, done) in crate::incident::raw_clocks(&s.record) {
            let past = now > due;
            if done.is_some()
                || past != overdue
                || due - now > Duration::hours(crate::reminders::AHEAD)
            {
                continue;
            }
            let heading = if overdue {
                "deadline_overdue"
            } else {
                "deadline_due_soon"
            };
            let subject = format!(
                "[mamori]【{}】{} {} — {}",
                both(state, &["mail", heading]),
                s.ref_no,
                both(state, &[clock]),
                local(state, due)
            );
            let mut lines = vec![
                both(state, &["mail", &format!("{heading}_intro")]),
                format!("{}: {}", both(state, &[clock]), local(state, due)),
            ];
            lines.extend(incident_lines(state, &s));
            out.push(Draft::new(
                format!("{}:{clock}:{heading}", s.id),
                subject,
                lines,
            ));
        }
    }
    Ok(out)
}

fn inject_text(state: &AppState, incident: &Stored, message: &str) -> (String, Vec<String>) {
    let subject = format!(
        "[mamori] {}【{}】{} {}",
        exercise_mark(state, incident),
        both(state, &["mail", "drill_inject"]),
        incident.ref_no,
        incident.record.text("title").unwrap_or_default()
    );
    let mut lines = vec![both(state, &["mail", "drill_inject_intro"]), String::new()];
    lines.extend(message.lines().map(str::to_owned));
    lines.push(String::new());
    lines.extend(incident_lines(state, incident));
    (subject, lines)
}

fn body(state: &AppState, rule: &Rule, lines: &[String]) -> String {
    let mut text = lines.join("\n");
    text.push_str("\n\n-- \n");
    text.push_str(
        &both(state, &["mail", "footer"])
            .replace("{rule}", &rule.name)
            .replace("{ref}", &rule.ref_no),
    );
    text.push('\n');
    text
}

/// Hands the messages due at `now` to the SMTP server; returns how many it
/// accepted.
pub async fn deliver(state: &AppState, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let smtp = &state.config.smtp;
    if !smtp.enabled() {
        return Ok(0);
    }
    let due = state.store.due_mail(now, 100).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let transport = transport(smtp).map_err(ApiError::Internal)?;
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|e| ApiError::Internal(format!("smtp.from: {e}")))?;
    let mut sent = 0;
    for mail in due {
        // (error, whether the server itself failed: unreachable, timed out,
        // or "try later") — then the rest wait for the next round instead
        // of each waiting out the timeout.
        let outcome = match message(&from, &mail) {
            Ok(message) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| (e.to_string(), !e.is_permanent())),
            Err(e) => Err((e, false)),
        };
        match outcome {
            Ok(()) => {
                state.store.mail_sent(mail.id, now).await?;
                sent += 1;
            }
            Err((error, server_down)) => {
                let tries = mail.attempts + 1;
                let retry = (tries < MAX_ATTEMPTS && mail.recipients().next().is_some())
                    .then(|| now + Duration::minutes(2_i64.pow(tries as u32)));
                tracing::warn!(mail = %mail.id, tries, %error, "notification e-mail not sent");
                state.store.mail_failed(mail.id, &error, retry, now).await?;
                if server_down {
                    break;
                }
            }
        }
    }
    Ok(sent)
}

fn message(from: &Mailbox, mail: &mamori_store::mail::Mail) -> Result<Message, String> {
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(mail.subject.clone());
    let mut any = false;
    for to in mail.recipients() {
        let to: Mailbox = to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?;
        builder = builder.to(to);
        any = true;
    }
    if !any {
        return Err(
            "nobody to send to: nobody on duty at the rule's tier and no fixed address".into(),
        );
    }
    builder
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| e.to_string())
}

fn transport(smtp: &crate::config::Smtp) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let mut builder = match smtp.security.as_str() {
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host),
        "none" => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &smtp.host,
        )),
        _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host),
    }
    .map_err(|e| format!("smtp: {e}"))?
    .port(smtp.port())
    .timeout(Some(std::time::Duration::from_secs(smtp.timeout_seconds)));
    if let Some(password) = smtp.password() {
        builder = builder.credentials(Credentials::new(smtp.username.clone(), password));
    }
    Ok(builder.build())
}

/// Runs the reminders, the rules and the sender every minute for as long
/// as the server runs.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            let now = Utc::now();
            if let Err(e) = crate::reminders::scan(&state, now).await {
                tracing::warn!(error = %e, "deadline reminders failed");
            }
            if let Err(e) = scan(&state, now).await {
                tracing::warn!(error = %e, "escalation rules failed");
            }
            if let Err(e) = deliver(&state, now).await {
                tracing::warn!(error = %e, "notification e-mail failed");
            }
        }
    });
}

/// One row of the outbox page.
struct MailView {
    created: String,
    to: String,
    subject: String,
    state: String,
    failed: bool,
    error: String,
    attempts: i64,
}

#[derive(askama::Template)]
#[template(path = "notifications.html")]
struct NotificationsPage<'a> {
    f: crate::web::Frame<'a>,
    rows: Vec<MailView>,
    smtp_off: bool,
}

/// `/notifications`: the latest e-mail the rules sent or will send, for
/// the companies whose escalation rules the reader may read.
pub async fn page(
    axum::extract::State(state): axum::extract::State<AppState>,
    crate::context::WebUser(ctx, p): crate::context::WebUser,
) -> axum::response::Response {
    let scope = p.scope(
        ESCALATION_RULES.name,
        mamori_domain::authz::Action::Read,
        ctx.now,
    );
    if scope.is_empty() {
        return crate::web::error_page(&state, &ctx, ApiError::Forbidden);
    }
    let mails = match state.store.recent_mail(&scope, 200).await {
        Ok(m) => m,
        Err(e) => return crate::web::error_page(&state, &ctx, e.into()),
    };
    let t = ctx.t(&state);
    let rows = mails
        .into_iter()
        .map(|m| {
            let (key, failed) = if m.sent_at.is_some() {
                ("notifications.sent", false)
            } else if m.failed_at.is_some() {
                ("notifications.failed", true)
            } else {
                ("notifications.pending", m.last_error.is_some())
            };
            MailView {
                created: ctx.local(m.created_at),
                to: m.recipients().collect::<Vec<_>>().join(", "),
                subject: m.subject.clone(),
                state: t.t(key).to_owned(),
                failed,
                error: m.last_error.clone().unwrap_or_default(),
                attempts: m.attempts,
            }
        })
        .collect();
    crate::web::render(NotificationsPage {
        f: crate::web::frame(&state, &ctx, "notifications.title"),
        rows,
        smtp_off: !state.config.smtp.enabled(),
    })
}
