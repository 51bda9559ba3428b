//! The generic webhook: alerts a batch opened are POSTed as JSON to one
//! configured URL (`alert_webhook`), in the background, so an ingest answer
//! never waits for a chat server. With `alert_webhook_secret` set, the body
//! is signed: `X-Mamori-Signature: sha256=<hex HMAC-SHA256 of the body>`.
//!
//! The payload names each alert (id, reference, title, level, rule, ATT&CK tags, first
//! seen, company code, a link) and nothing an event carried: no addresses,
//! no member ids. A receiver that needs them asks the API with a token.

use std::time::Duration;

use hmac::{Hmac, Mac};
use mamori_store::alerts::NewAlert;
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

use crate::AppState;

/// Tries per notification, with the wait before each retry.
const RETRY_WAITS: &[u64] = &[2, 10];
/// How long one try may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The signature header's value for `body`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends the created alerts to the webhook, if one is configured.
pub fn notify(
    state: &AppState,
    company_code: &str,
    alerts: &[NewAlert],
    created: &[(Uuid, String, usize)],
) {
    let url = state.config.alert_webhook.clone();
    if url.is_empty() || created.is_empty() {
        return;
    }
    let base = state.config.base_url();
    let items: Vec<_> = created
        .iter()
        .filter_map(|(id, ref_no, i)| alerts.get(*i).map(|a| (id, ref_no, a)))
        .map(|(id, ref_no, a)| {
            json!({
                "id": id,
                "ref_no": ref_no,
                "title": a.title,
                "level": a.level,
                "rule_id": a.rule_id,
                "tags": a.tags,
                "first_seen": a.seen_at,
                "url": format!("{base}/r/alerts/{id}"),
            })
        })
        .collect();
    let body = json!({
        "type": "mamori.alerts.new",
        "company": company_code,
        "alerts": items,
    })
    .to_string()
    .into_bytes();
    send(state, body);
}

/// Posts `body` to the configured webhook in the background, signed, with
/// retries; nothing when none is configured.
pub fn send(state: &AppState, body: Vec<u8>) {
    let url = state.config.alert_webhook.clone();
    if url.is_empty() {
        return;
    }
    let secret = state.config.alert_webhook_secret.clone();
    let host = host_of(&url);
    tokio::spawn(async move {
        for attempt in 0..=RETRY_WAITS.len() {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(RETRY_WAITS[attempt - 1])).await;
            }
            let (url, secret, body) = (url.clone(), secret.clone(), body.clone());
            let sent = tokio::task::spawn_blocking(move || post(&url, &secret, &body)).await;
            match sent {
                Ok(Ok(())) => return,
                Ok(Err(e)) => tracing::warn!(%host, attempt, error = %e, "webhook failed"),
                Err(e) => tracing::warn!(%host, attempt, error = %e, "webhook failed"),
            }
        }
        tracing::error!(%host, "webhook gave up after {} tries", RETRY_WAITS.len() + 1);
    });
}

fn post(url: &str, secret: &str, body: &[u8]) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .build()
        .into();
    let mut request = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("User-Agent", concat!("mamori/", env!("CARGO_PKG_VERSION")));
    if !secret.is_empty() {
        request = request.header("X-Mamori-Signature", signature(secret, body));
    }
    request.send(body).map(|_| ()).map_err(|e| e.to_string())
}

/// The host of a URL, for logs (a webhook URL may carry a token in its path).
fn host_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .and_then(|authority| authority.rsplit('@').next())
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_name_the_host_only() {
        assert_eq!(
            host_of("https://hooks.example.com/services/T0/B0/secret?x=1"),
            "hooks.example.com"
        );
        assert_eq!(host_of("http://user:pw@10.0.0.5:8080/h"), "10.0.0.5:8080");
        assert_eq!(host_of("nonsense"), "");
    }

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
