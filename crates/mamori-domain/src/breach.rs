//! Personal-data breach assessment (漏えい等事案の報告要否) and its clocks.
//!
//! Japan's APPI Art. 26(1) and the PPC Enforcement Rules Art. 7 require a
//! report to the Personal Information Protection Commission, and notice to
//! the people concerned (Art. 26(2)), when a leak, loss or damage of personal
//! data — or the suspicion of one — involves (1) sensitive personal
//! information (要配慮個人情報), (2) a risk of financial loss from misuse,
//! (3) a wrongful purpose (不正の目的, unauthorized access among them), or
//! (4) more than 1,000 people; data protected by advanced encryption whose
//! key is safe is exempt (Rule Art. 7(1)). The preliminary report (速報) is
//! due "promptly" — the PPC guideline (通則編 3-5-3-3) says within about 3 to
//! 5 days; mamori aims at a configurable target, 3 days by default — and the
//! final report (確報) within 30 days, 60 for a wrongful purpose (Rule Art.
//! 8(2)). Days are counted with the day the company became aware as day 1,
//! and a final deadline on a weekend, national holiday or 29 December – 3
//! January moves to the next working day (guideline 3-5-3-4). GDPR Art. 33
//! gives the supervisory authority 72 hours from awareness when EU residents
//! are affected; the aviation regulator's report (MLIT) has no deadline in a
//! statute we could confirm, so the group sets its own (24 hours by default).
//!
//! An exercise is never reported. Nothing here reads a clock: the instants
//! come in, the due instants go out.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::jp_calendar;

/// The group's own targets where the law leaves them open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreachSettings {
    /// Days for the PPC preliminary report, the day of awareness being day 1.
    pub preliminary_days: u32,
    /// Hours for the report to the aviation regulator (MLIT).
    pub mlit_hours: u32,
}

impl Default for BreachSettings {
    fn default() -> Self {
        BreachSettings {
            preliminary_days: 3,
            mlit_hours: 24,
        }
    }
}

impl BreachSettings {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=5).contains(&self.preliminary_days) {
            return Err(format!(
                "preliminary_days is {}; the PPC expects the preliminary report within about 3 to 5 days (1 to 5)",
                self.preliminary_days
            ));
        }
        if !(1..=720).contains(&self.mlit_hours) {
            return Err(format!("mlit_hours is {}; give 1 to 720", self.mlit_hours));
        }
        Ok(())
    }
}

/// What the incident says about the personal data involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// When the company (any department of it) became aware.
    pub aware_at: DateTime<Utc>,
    /// People affected, or the largest number it may be while unknown.
    pub people: i64,
    pub sensitive: bool,
    pub financial_risk: bool,
    pub wrongful_purpose: bool,
    /// Protected by advanced encryption, the key not leaked.
    pub encrypted: bool,
    pub exercise: bool,
    pub eu_residents: bool,
    /// Airline operations or safety are touched.
    pub aviation: bool,
}

/// What mamori decided and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Message keys, in order, that explain the decision; `breach.over_1000`
    /// takes the number of people.
    pub reasons: Vec<&'static str>,
    pub ppc_report: bool,
    pub notify_people: bool,
    pub preliminary_due: Option<DateTime<Utc>>,
    pub final_due: Option<DateTime<Utc>>,
    pub gdpr_due: Option<DateTime<Utc>>,
    pub mlit_due: Option<DateTime<Utc>>,
}

/// The last instant of day `n` (the awareness day being day 1) in `zone`.
fn end_of_day<Z: TimeZone>(zone: &Z, day: NaiveDate) -> Option<DateTime<Utc>> {
    let last = day.and_hms_opt(23, 59, 59)?;
    zone.from_local_datetime(&last)
        .latest()
        .map(|t| t.with_timezone(&Utc))
}

fn day_n(first: NaiveDate, n: u32) -> Option<NaiveDate> {
    first.checked_add_days(Days::new(u64::from(n.checked_sub(1)?)))
}

/// Decides and runs the clocks; `Err` when the deadline falls outside the
/// years the holiday calendar covers.
pub fn assess<Z: TimeZone>(
    facts: &Facts,
    settings: &BreachSettings,
    zone: &Z,
) -> Result<Assessment, String> {
    let mut reasons = Vec::new();
    let empty = Assessment {
        reasons: Vec::new(),
        ppc_report: false,
        notify_people: false,
        preliminary_due: None,
        final_due: None,
        gdpr_due: None,
        mlit_due: None,
    };
    if facts.exercise {
        return Ok(Assessment {
            reasons: vec!["breach.exercise"],
            ..empty
        });
    }
    let categories = [
        (facts.sensitive, "breach.sensitive"),
        (facts.financial_risk, "breach.financial_risk"),
        (facts.wrongful_purpose, "breach.wrongful_purpose"),
        (facts.people > 1000, "breach.over_1000"),
    ];
    let applies: Vec<&'static str> = categories
        .iter()
        .filter(|(yes, _)| *yes)
        .map(|(_, key)| *key)
        .collect();
    let ppc_report = !applies.is_empty() && !facts.encrypted;
    if applies.is_empty() {
        reasons.push("breach.no_category");
    } else if facts.encrypted {
        reasons.extend(applies.iter().copied());
        reasons.push("breach.encrypted");
    } else {
        reasons.extend(applies.iter().copied());
        reasons.push(if facts.wrongful_purpose {
            "breach.final_60"
        } else {
            "breach.final_30"
        });
    }
    let aware_day = facts.aware_at.with_timezone(zone).date_naive();
    let out_of_range = || "the deadline falls outside the holiday calendar (2022–2099)".to_owned();
    let (preliminary_due, final_due) = if ppc_report {
        let preliminary = day_n(aware_day, settings.preliminary_days)
            .and_then(|d| end_of_day(zone, d))
            .ok_or_else(out_of_range)?;
        let days = if facts.wrongful_purpose { 60 } else { 30 };
        let last = day_n(aware_day, days)
            .and_then(jp_calendar::next_working_day)
            .ok_or_else(out_of_range)?;
        (
            Some(preliminary),
            Some(end_of_day(zone, last).ok_or_else(out_of_range)?),
        )
    } else {
        (None, None)
    };
    let gdpr_due = facts.eu_residents.then(|| {
        reasons.push("breach.gdpr");
        facts.aware_at + chrono::Duration::hours(72)
    });
    let mlit_due = facts.aviation.then(|| {
        reasons.push("breach.mlit");
        facts.aware_at + chrono::Duration::hours(i64::from(settings.mlit_hours))
    });
    Ok(Assessment {
        reasons,
        ppc_report,
        notify_people: ppc_report,
        preliminary_due,
        final_due,
        gdpr_due,
        mlit_due,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Tokyo;

    fn jst(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("instant")
            .with_timezone(&Utc)
    }

    fn facts(aware: &str) -> Facts {
        Facts {
            aware_at: jst(aware),
            people: 10,
            sensitive: false,
            financial_risk: false,
            wrongful_purpose: false,
            encrypted: false,
            exercise: false,
            eu_residents: false,
            aviation: false,
        }
    }

    fn run(f: &Facts) -> Assessment {
        assess(f, &BreachSettings::default(), &Tokyo).expect("in range")
    }

    /// The cases the PPC's rules turn on, each with its expected answer.
    #[test]
    fn reportability_and_deadlines_table() {
        struct Case {
            what: &'static str,
            change: fn(&mut Facts),
            aware: &'static str,
            report: bool,
            final_due: Option<&'static str>,
        }
        let cases = [
            Case {
                what: "1,000 people exactly is not more than 1,000",
                change: |f| f.people = 1000,
                aware: "2025-04-01T10:00:00+09:00",
                report: false,
                final_due: None,
            },
            Case {
                what: "1,001 people",
                change: |f| f.people = 1001,
                aware: "2025-04-01T10:00:00+09:00",
                report: true,
                final_due: Some("2025-04-30T23:59:59+09:00"),
            },
            Case {
                what: "one person's sensitive data",
                change: |f| {
                    f.people = 1;
                    f.sensitive = true;
                },
                aware: "2025-04-01T10:00:00+09:00",
                report: true,
                final_due: Some("2025-04-30T23:59:59+09:00"),
            },
            Case {
                what: "a risk of financial loss (card numbers)",
                change: |f| f.financial_risk = true,
                aware: "2025-04-01T10:00:00+09:00",
                report: true,
                final_due: Some("2025-04-30T23:59:59+09:00"),
            },
            Case {
                what: "a wrongful purpose gives 60 days",
                change: |f| f.wrongful_purpose = true,
                aware: "2025-04-01T10:00:00+09:00",
                report: true,
                final_due: Some("2025-05-30T23:59:59+09:00"),
            },
            Case {
                what: "wrongful purpose and over 1,000: still 60 days",
                change: |f| {
                    f.wrongful_purpose = true;
                    f.people = 5000;
                },
                aware: "2025-04-01T10:00:00+09:00",
                report: true,
                final_due: Some("2025-05-30T23:59:59+09:00"),
            },
            Case {
                what: "encrypted with the key safe is exempt",
                change: |f| {
                    f.people = 50_000;
                    f.encrypted = true;
                },
                aware: "2025-04-01T10:00:00+09:00",
                report: false,
                final_due: None,
            },
            Case {
                what: "an exercise is never reported",
                change: |f| {
                    f.sensitive = true;
                    f.exercise = true;
                },
                aware: "2025-04-01T10:00:00+09:00",
                report: false,
                final_due: None,
            },
            Case {
                what: "day 30 in the year-end closure moves to 5 January",
                change: |f| f.people = 2000,
                aware: "2025-12-01T09:00:00+09:00",
                report: true,
                final_due: Some("2026-01-05T23:59:59+09:00"),
            },
            Case {
                what: "day 60 on a Saturday moves to Monday",
                change: |f| f.wrongful_purpose = true,
                aware: "2026-04-01T09:00:00+09:00",
                report: true,
                final_due: Some("2026-06-01T23:59:59+09:00"),
            },
            Case {
                what: "aware at 23:59 JST: that day is day 1",
                change: |f| f.people = 2000,
                aware: "2025-04-01T23:59:00+09:00",
                report: true,
                final_due: Some("2025-04-30T23:59:59+09:00"),
            },
            Case {
                what: "aware at 00:30 JST, still the previous day in UTC: JST's day counts",
                change: |f| f.people = 2000,
                aware: "2025-04-02T00:30:00+09:00",
                report: true,
                final_due: Some("2025-05-01T23:59:59+09:00"),
            },
        ];
        for case in cases {
            let mut f = facts(case.aware);
            (case.change)(&mut f);
            let a = run(&f);
            assert_eq!(a.ppc_report, case.report, "{}", case.what);
            assert_eq!(a.notify_people, case.report, "{}", case.what);
            assert_eq!(a.final_due, case.final_due.map(jst), "{}", case.what);
            assert!(!a.reasons.is_empty(), "{}: explained", case.what);
        }
    }

    #[test]
    fn the_preliminary_target_counts_the_awareness_day_as_day_one() {
        let mut f = facts("2026-11-27T18:00:00+09:00");
        f.people = 3000;
        let a = run(&f);
        assert_eq!(a.preliminary_due, Some(jst("2026-11-29T23:59:59+09:00")));
        assert_eq!(
            a.reasons,
            ["breach.over_1000", "breach.final_30"],
            "the reasons name the category and the period"
        );
        let five = assess(
            &f,
            &BreachSettings {
                preliminary_days: 5,
                ..BreachSettings::default()
            },
            &Tokyo,
        )
        .expect("in range");
        assert_eq!(five.preliminary_due, Some(jst("2026-12-01T23:59:59+09:00")));
    }

    #[test]
    fn gdpr_and_mlit_clocks_run_in_hours() {
        let mut f = facts("2026-11-27T18:00:00+09:00");
        f.eu_residents = true;
        f.aviation = true;
        let a = run(&f);
        assert!(!a.ppc_report, "ten people, no category");
        assert_eq!(a.gdpr_due, Some(jst("2026-11-30T18:00:00+09:00")));
        assert_eq!(a.mlit_due, Some(jst("2026-11-28T18:00:00+09:00")));
        assert_eq!(
            a.reasons,
            ["breach.no_category", "breach.gdpr", "breach.mlit"]
        );
        f.exercise = true;
        assert_eq!(run(&f).gdpr_due, None, "an exercise runs no clock");
    }

    #[test]
    fn settings_are_bounded() {
        assert!(BreachSettings::default().validate().is_ok());
        let bad = BreachSettings {
            preliminary_days: 9,
            ..BreachSettings::default()
        };
        assert!(bad.validate().expect_err("refused").contains("3 to 5"));
    }
}
