//! Japan's calendar of days off, as the PPC counts a reporting deadline
//! that lands on one (行政機関の休日に関する法律 Art. 1(1)): Saturdays and
//! Sundays, national holidays (国民の祝日に関する法律, with substitute
//! holidays and the "citizens' holiday" between two holidays), and 29
//! December to 3 January.
//!
//! The holidays follow the law as it stands since 2020 (Sports Day, Marine
//! Day and Mountain Day on their regular dates; the 2020–2021 Olympic moves
//! are not modelled), with the equinoxes from the usual approximation,
//! valid for 1980–2099. Years outside 2022–2099 are refused rather than
//! guessed.

use chrono::{Datelike, NaiveDate, Weekday};

/// The years this calendar answers for.
pub const YEARS: std::ops::RangeInclusive<i32> = 2022..=2099;

fn nth_monday(year: i32, month: u32, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, n)
}

/// Days of the vernal (March) and autumnal (September) equinoxes.
fn equinoxes(year: i32) -> (u32, u32) {
    let y = f64::from(year - 1980);
    let leap = f64::from((year - 1980) / 4);
    let vernal = (20.8431 + 0.242194 * y - leap).floor() as u32;
    let autumnal = (23.2488 + 0.242194 * y - leap).floor() as u32;
    (vernal, autumnal)
}

/// The national holidays named by law in `year`, before substitutes.
fn named_holidays(year: i32) -> Vec<NaiveDate> {
    let (vernal, autumnal) = equinoxes(year);
    let day = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    [
        day(1, 1),
        nth_monday(year, 1, 2),
        day(2, 11),
        day(2, 23),
        day(3, vernal),
        day(4, 29),
        day(5, 3),
        day(5, 4),
        day(5, 5),
        nth_monday(year, 7, 3),
        day(8, 11),
        nth_monday(year, 9, 3),
        day(9, autumnal),
        nth_monday(year, 10, 2),
        day(11, 3),
        day(11, 23),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every national holiday of `year` (with substitute holidays and
/// citizens' holidays), in order; `None` outside [`YEARS`].
pub fn holidays(year: i32) -> Option<Vec<NaiveDate>> {
    if !YEARS.contains(&year) {
        return None;
    }
    let named = named_holidays(year);
    let mut all = named.clone();
    // A holiday on a Sunday moves to the next day that is not a holiday.
    for h in &named {
        if h.weekday() == Weekday::Sun {
            let mut d = h.succ_opt()?;
            while all.contains(&d) {
                d = d.succ_opt()?;
            }
            all.push(d);
        }
    }
    // A day between two holidays is a holiday too (国民の休日).
    for h in &named {
        let (Some(next), Some(after)) = (h.succ_opt(), h.checked_add_days(chrono::Days::new(2)))
        else {
            continue;
        };
        if named.contains(&after) && !all.contains(&next) && next.weekday() != Weekday::Sun {
            all.push(next);
        }
    }
    all.sort();
    all.dedup();
    Some(all)
}

/// Whether government offices are closed on `day`; `None` outside [`YEARS`].
pub fn is_day_off(day: NaiveDate) -> Option<bool> {
    if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        return Some(true);
    }
    let (m, d) = (day.month(), day.day());
    if (m == 12 && d >= 29) || (m == 1 && d <= 3) {
        return Some(true);
    }
    Some(holidays(day.year())?.contains(&day))
}

/// `day`, or the first day after it that is not a day off.
pub fn next_working_day(mut day: NaiveDate) -> Option<NaiveDate> {
    while is_day_off(day)? {
        day = day.succ_opt()?;
    }
    Some(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn listed(year: i32) -> Vec<String> {
        holidays(year)
            .expect("in range")
            .iter()
            .map(|h| h.format("%m-%d").to_string())
            .collect()
    }

    /// The Cabinet Office's published lists for 2025 and 2026.
    #[test]
    fn holidays_match_the_published_lists() {
        assert_eq!(
            listed(2025),
            [
                "01-01", "01-13", "02-11", "02-23", "02-24", "03-20", "04-29", "05-03", "05-04",
                "05-05", "05-06", "07-21", "08-11", "09-15", "09-23", "10-13", "11-03", "11-23",
                "11-24"
            ]
        );
        assert_eq!(
            listed(2026),
            [
                "01-01", "01-12", "02-11", "02-23", "03-20", "04-29", "05-03", "05-04", "05-05",
                "05-06", "07-20", "08-11", "09-21", "09-22", "09-23", "10-12", "11-03", "11-23"
            ]
        );
    }

    #[test]
    fn days_off_and_the_next_working_day() {
        assert_eq!(is_day_off(d("2025-12-30")), Some(true), "year-end closure");
        assert_eq!(is_day_off(d("2026-01-03")), Some(true));
        assert_eq!(is_day_off(d("2026-01-05")), Some(false));
        assert_eq!(next_working_day(d("2025-12-30")), Some(d("2026-01-05")));
        assert_eq!(
            next_working_day(d("2026-05-30")),
            Some(d("2026-06-01")),
            "a Saturday"
        );
        assert_eq!(
            next_working_day(d("2026-09-19")),
            Some(d("2026-09-24")),
            "silver week"
        );
        assert_eq!(next_working_day(d("2026-06-02")), Some(d("2026-06-02")));
        assert_eq!(is_day_off(d("2101-01-10")), None, "beyond the calendar");
    }
}
