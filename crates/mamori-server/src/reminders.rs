//! Reminders before, and alerts after, an incident's legal deadlines: a
//! scan (every minute while serving) finds the open clocks of real
//! incidents that fall due within a day, or have run out, and posts each
//! once to the webhook (`mamori.deadline.due_soon`,
//! `mamori.deadline.overdue`). What was sent is kept, so a restart sends
//! nothing twice. [`crate::notify::spawn`] runs it every minute, and the
//! escalation rules may send the same deadlines by e-mail.

use chrono::{DateTime, Duration, Utc};
use mamori_domain::authz::Scope;
use serde_json::{Value as Json, json};

use crate::AppState;
use crate::error::ApiError;

/// How long before a deadline the reminder goes.
pub const AHEAD: i64 = 24;

/// Scans once at `now`; returns the notices sent (for tests and logs).
pub async fn scan(state: &AppState, now: DateTime<Utc>) -> Result<Vec<Json>, ApiError> {
    let mut sent = Vec::new();
    let base = state.config.base_url();
    for s in crate::incident::clocked_incidents(state, &Scope::All).await? {
        for (clock, due, done) in crate::incident::raw_clocks(&s.record) {
            if done.is_some() || due - now > Duration::hours(AHEAD) {
                continue;
            }
            let kind = if now > due { "overdue" } else { "due_soon" };
            let key = format!("{}:{clock}:{kind}", s.id);
            if !state.store.first_notice(&key, now).await? {
                continue;
            }
            let notice = json!({
                "type": format!("mamori.deadline.{kind}"),
                "incident": s.ref_no,
                "title": s.record.text("title"),
                "clock": clock.trim_start_matches("clock."),
                "due": due,
                "url": format!("{base}/r/incidents/{}", s.id),
            });
            crate::webhook::send(state, notice.to_string().into_bytes());
            sent.push(notice);
        }
    }
    Ok(sent)
}
