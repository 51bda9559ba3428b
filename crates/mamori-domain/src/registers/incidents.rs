//! Incidents (インシデント): what the CSIRT handles, from detection to
//! lessons learned. Each moves along the risk-management manual's phases —
//! detected → triage → containment → eradication → recovery →
//! post-incident → closed — one phase at a time, with the reason for every
//! move; a closed incident may be reopened (back to triage), with a reason.
//! An exercise (訓練) is an incident marked as such: never counted as real.
//! References run per calendar year: `INC-2026-0042`.

use crate::breach::{Facts, assess};
use crate::error::FieldError;
use crate::register::{FieldKind, FieldSpec, Moves, Record, RefTarget, RegisterSpec, Value};
use crate::settings::{INCIDENT_SEVERITY, RegisterSettings};

pub const INCIDENT_CATEGORIES: &[&str] = &[
    "unauthorized_access",
    "account_takeover",
    "malware",
    "phishing",
    "data_leak",
    "loss_theft",
    "misdelivery",
    "denial_of_service",
    "other",
];

pub const INCIDENT_STATUSES: &[&str] = &[
    "detected",
    "triage",
    "containment",
    "eradication",
    "recovery",
    "post_incident",
    "closed",
];

pub const INCIDENT_MOVES: Moves = &[
    ("detected", &["triage"]),
    ("triage", &["containment"]),
    ("containment", &["eradication"]),
    ("eradication", &["recovery"]),
    ("recovery", &["post_incident"]),
    ("post_incident", &["closed"]),
    ("closed", &["triage"]),
];

pub const INCIDENTS: RegisterSpec = RegisterSpec {
    name: "incidents",
    table: "incidents",
    ref_prefix: "INC",
    ref_yearly: true,
    fields: &[
        FieldSpec::new("title", FieldKind::Text { max: 200 })
            .required()
            .list()
            .sortable(),
        FieldSpec::new("category", FieldKind::Enum(INCIDENT_CATEGORIES))
            .required()
            .list()
            .filter(),
        FieldSpec::new("severity", FieldKind::Scale(INCIDENT_SEVERITY))
            .required()
            .list()
            .filter(),
        FieldSpec::new("status", FieldKind::Enum(INCIDENT_STATUSES))
            .required()
            .list()
            .filter()
            .moves(INCIDENT_MOVES)
            .reason("status_reason"),
        FieldSpec::new("exercise", FieldKind::Bool).list().filter(),
        // The group's other companies the incident touches (the owner
        // handles it; these are told and can be found by it).
        FieldSpec::new("companies_affected", FieldKind::Companies).filter(),
        FieldSpec::new("detected_at", FieldKind::DateTime)
            .required()
            .list()
            .sortable(),
        FieldSpec::new("assignee", FieldKind::Reference(RefTarget::Person))
            .list()
            .filter(),
        FieldSpec::new("status_reason", FieldKind::LongText),
        FieldSpec::new("description", FieldKind::LongText),
        // Personal data: the facts that decide reportability, what mamori
        // decides from them, and when each report went out.
        FieldSpec::new("personal_data", FieldKind::Bool).filter(),
        FieldSpec::new("aware_at", FieldKind::DateTime),
        FieldSpec::new("people_affected", FieldKind::Integer),
        FieldSpec::new("data_items", FieldKind::LongText),
        FieldSpec::new("sensitive", FieldKind::Bool),
        FieldSpec::new("financial_risk", FieldKind::Bool),
        FieldSpec::new("wrongful_purpose", FieldKind::Bool),
        FieldSpec::new("encrypted", FieldKind::Bool),
        FieldSpec::new("eu_residents", FieldKind::Bool),
        FieldSpec::new("aviation_safety", FieldKind::Bool).filter(),
        FieldSpec::new("ppc_report", FieldKind::Bool)
            .system()
            .list()
            .filter(),
        FieldSpec::new("preliminary_due", FieldKind::DateTime)
            .system()
            .sortable(),
        FieldSpec::new("final_due", FieldKind::DateTime)
            .system()
            .sortable(),
        FieldSpec::new("gdpr_due", FieldKind::DateTime).system(),
        FieldSpec::new("mlit_due", FieldKind::DateTime).system(),
        // What the regulator's report asks beyond the facts above.
        FieldSpec::new("cause", FieldKind::LongText),
        FieldSpec::new("secondary_damage", FieldKind::LongText),
        FieldSpec::new("response_to_people", FieldKind::LongText),
        FieldSpec::new("announcement", FieldKind::LongText),
        FieldSpec::new("contact_point", FieldKind::Text { max: 300 }),
        FieldSpec::new("preliminary_reported_at", FieldKind::DateTime),
        FieldSpec::new("final_reported_at", FieldKind::DateTime),
        FieldSpec::new("people_notified_at", FieldKind::DateTime),
        FieldSpec::new("gdpr_notified_at", FieldKind::DateTime),
        FieldSpec::new("mlit_reported_at", FieldKind::DateTime),
    ],
    title_fields: &["title"],
    audit_reads: false,
    history: true,
    rollups: &[&["status"], &["category"], &["exercise"]],
    links: &["alerts", "assets", "risks", "controls"],
    people_create: true,
    on_create: crate::register::OnCreate::ApplyPlaybooks,
    propagate: &[],
    default_sort: "-detected_at",
    derive,
    notices: |_, _| Vec::new(),
    check,
    choices: |_, _| None,
};

/// The program's obligation: at least this many CSIRT drills per company
/// and fiscal year (April–March), from the group's basic policy.
pub const DRILLS_PER_FISCAL_YEAR: usize = 2;

/// Drills held in fiscal year `year`: the exercises among `detected`
/// (each an exercise's detection instant), counted by the fiscal year of
/// their date in `zone`.
pub fn drills_in_fiscal_year<Z: chrono::TimeZone>(
    detected: &[chrono::DateTime<chrono::Utc>],
    year: i32,
    zone: &Z,
) -> usize {
    detected
        .iter()
        .filter(|t| crate::fiscal::fiscal_year(t.with_timezone(zone).date_naive()) == year)
        .count()
}

fn flag(record: &Record, field: &str) -> bool {
    *record.get(field) == Value::Bool(true)
}

/// The breach facts a record states, when it states when the company
/// became aware (else when it was detected).
pub fn facts(record: &Record) -> Option<Facts> {
    let personal = flag(record, "personal_data");
    let aware_at = match (record.get("aware_at"), record.get("detected_at")) {
        (Value::Time(t), _) | (Value::Null, Value::Time(t)) => *t,
        _ => return None,
    };
    Some(Facts {
        aware_at,
        people: match record.get("people_affected") {
            Value::Int(n) if personal => *n,
            _ => 0,
        },
        sensitive: personal && flag(record, "sensitive"),
        financial_risk: personal && flag(record, "financial_risk"),
        wrongful_purpose: personal && flag(record, "wrongful_purpose"),
        encrypted: flag(record, "encrypted"),
        exercise: flag(record, "exercise"),
        eu_residents: personal && flag(record, "eu_residents"),
        aviation: flag(record, "aviation_safety"),
    })
}

/// Reportability and the due instants, from the facts on the settings.
fn derive(record: &mut Record, settings: &RegisterSettings) {
    let assessed = facts(record).and_then(|f| assess(&f, &settings.breach, &settings.zone).ok());
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or(Value::Null, Value::Time);
    let (report, preliminary, last, gdpr, mlit) = match assessed {
        Some(a) => (
            a.ppc_report,
            a.preliminary_due,
            a.final_due,
            a.gdpr_due,
            a.mlit_due,
        ),
        None => (false, None, None, None, None),
    };
    record.values.insert("ppc_report", Value::Bool(report));
    record.values.insert("preliminary_due", time(preliminary));
    record.values.insert("final_due", time(last));
    record.values.insert("gdpr_due", time(gdpr));
    record.values.insert("mlit_due", time(mlit));
}

fn check(record: &Record, settings: &RegisterSettings) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if flag(record, "personal_data") {
        if *record.get("aware_at") == Value::Null {
            errors.push(FieldError::new(
                "aware_at",
                "is required for personal data: the legal clocks run from it",
            ));
        }
        match record.get("people_affected") {
            Value::Int(n) if *n >= 0 => {}
            Value::Int(_) => errors.push(FieldError::new("people_affected", "cannot be negative")),
            _ => errors.push(FieldError::new(
                "people_affected",
                "is required for personal data (the largest number it may be, while unknown)",
            )),
        }
    }
    if let Some(f) = facts(record)
        && let Err(e) = assess(&f, &settings.breach, &settings.zone)
    {
        errors.push(FieldError::new("aware_at", e));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::SplitMix64 as Rng;
    use crate::register::{Record, Value};

    fn at(status: &str, reason: Option<&str>) -> Record {
        let mut r = Record::default();
        r.values.insert("status", Value::Text(status.into()));
        if let Some(reason) = reason {
            r.values.insert("status_reason", Value::Text(reason.into()));
        }
        r
    }

    fn allowed(from: &str, to: &str) -> bool {
        from == to
            || INCIDENT_MOVES
                .iter()
                .any(|(f, t)| *f == from && t.contains(&to))
    }

    /// Every pair of statuses: a move is accepted exactly when the
    /// lifecycle has it and a reason comes with it.
    #[test]
    fn no_illegal_move_is_ever_accepted() {
        for from in INCIDENT_STATUSES {
            for to in INCIDENT_STATUSES {
                let with_reason = at(to, Some("封じ込め完了を確認"));
                let errors = INCIDENTS.check_change(&at(from, None), &with_reason, &with_reason);
                assert_eq!(
                    errors.is_empty(),
                    allowed(from, to),
                    "{from} → {to}: {errors:?}"
                );
                if from != to {
                    let bare = at(to, None);
                    let errors = INCIDENTS.check_change(&at(from, None), &bare, &bare);
                    assert!(
                        errors.iter().any(|e| e.field == "status_reason"),
                        "{from} → {to} without a reason"
                    );
                }
            }
        }
    }

    #[test]
    fn drills_count_by_fiscal_year_in_japan() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .expect("instant")
                .with_timezone(&chrono::Utc)
        };
        let held = [
            // 1 April 08:00 JST is still 31 March in UTC: fiscal 2026 in Japan.
            at("2026-03-31T23:00:00Z"),
            at("2026-10-15T10:00:00+09:00"),
            at("2027-03-31T23:59:00+09:00"),
            at("2027-04-01T00:00:00+09:00"),
        ];
        let tokyo = chrono_tz::Asia::Tokyo;
        assert_eq!(drills_in_fiscal_year(&held, 2026, &tokyo), 3);
        assert_eq!(drills_in_fiscal_year(&held, 2027, &tokyo), 1);
        assert_eq!(drills_in_fiscal_year(&held, 2025, &tokyo), 0);
    }

    /// Random walks: whatever is asked, the statuses an incident passes
    /// through follow the lifecycle, and only reasoned moves happen.
    #[test]
    fn random_walks_follow_the_lifecycle() {
        let mut rng = Rng::new(2026);
        for _ in 0..2_000 {
            let mut current = "detected";
            for _ in 0..20 {
                let to = INCIDENT_STATUSES[rng.below(INCIDENT_STATUSES.len())];
                let reason = (rng.below(4) != 0).then_some("理由");
                let asked = at(to, reason);
                let previous = at(current, Some("前の理由"));
                let accepted = INCIDENTS.check_change(&previous, &asked, &asked).is_empty();
                if accepted {
                    assert!(allowed(current, to));
                    assert!(current == to || reason.is_some());
                    current = to;
                }
            }
        }
    }
}
