//! Alerts raised by the detection engine, kept in the kernel's `alerts`
//! register (see `mamori_domain::registers::ALERTS`): one record per company
//! and dedup key. Seeing the same alert again counts it and moves its last
//! seen time; it does not repeat it. Lists, triage, export and archive go
//! through the register kernel like any other register.

use chrono::{DateTime, Utc};
use mamori_domain::register::{Record, RegisterSpec, Value};
use mamori_domain::registers::ALERTS;
use uuid::Uuid;

use crate::audit::Append;
use crate::records::insert_record;
use crate::users::Actor;
use crate::{Result, Store, with_tx};

#[derive(Debug, Clone)]
pub struct NewAlert {
    pub dedup_key: String,
    pub title: String,
    pub rule_id: Option<String>,
    pub level: String,
    pub tags: Vec<String>,
    /// What raised it (indicator, correlation group), as JSON text.
    pub detail: Option<String>,
    pub seen_at: DateTime<Utc>,
}

impl NewAlert {
    /// The record of a first sighting.
    fn record(&self) -> Record {
        let text = |s: &str| Value::Text(s.to_owned());
        let mut r = Record::default();
        let values = [
            ("dedup_key", text(&self.dedup_key)),
            ("title", text(&self.title)),
            ("rule_id", self.rule_id.as_deref().map_or(Value::Null, text)),
            ("level", text(&self.level)),
            ("tags", Value::Text(self.tags.join(" "))),
            ("status", text("new")),
            ("detail", self.detail.as_deref().map_or(Value::Null, text)),
            ("first_seen", Value::Time(self.seen_at)),
            ("last_seen", Value::Time(self.seen_at)),
            ("count", Value::Int(1)),
        ];
        for (name, value) in values {
            r.values.insert(name, value);
        }
        r
    }
}

/// How many alerts a batch opened, and how many it counted again.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Recorded {
    pub new: usize,
    pub repeated: usize,
    /// The alerts created: (id, reference, position in the list recorded).
    #[serde(skip)]
    pub created: Vec<(Uuid, String, usize)>,
}

impl Store {
    /// Records alerts in one transaction: new ones are created (with their
    /// reference, audited), known ones get their count and last-seen time
    /// bumped. A repeat is an observation, not an edit: it leaves the
    /// version alone, so triage in progress is not made stale by it.
    pub async fn record_alerts(
        &self,
        company_id: Uuid,
        alerts: &[NewAlert],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Recorded> {
        if alerts.is_empty() {
            return Ok(Recorded::default());
        }
        let spec: &RegisterSpec = &ALERTS;
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let mut recorded = Recorded::default();
            for (position, a) in alerts.iter().enumerate() {
                let existing: Option<(Uuid, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT id, last_seen FROM alerts WHERE company_id = $1 AND dedup_key = $2",
                )
                .bind(company_id)
                .bind(&a.dedup_key)
                .fetch_optional(&mut *tx)
                .await?;
                match existing {
                    Some((id, last_seen)) => {
                        sqlx::query("UPDATE alerts SET count = count + 1, last_seen = $1 WHERE id = $2")
                            .bind(last_seen.max(a.seen_at))
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        recorded.repeated += 1;
                    }
                    None => {
                        let id = Uuid::now_v7();
                        let record = a.record();
                        let ref_no = insert_record!(spec, &self.settings, &mut tx, id, company_id, &record, actor, now)?;
                        recorded.new += 1;
                        recorded.created.push((id, ref_no, position));
                    }
                }
            }
            Ok(recorded)
        })
    }
}
