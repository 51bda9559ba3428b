//! Japanese fiscal years (年度): April to March.

use chrono::{Datelike, NaiveDate};

/// The fiscal year a date falls in, named by the calendar year it starts in:
/// 2026-04-01 ..= 2027-03-31 is fiscal year 2026 (2026年度).
pub fn fiscal_year(date: NaiveDate) -> i32 {
    if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// First and last day of a fiscal year.
pub fn fiscal_year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    let start = NaiveDate::from_ymd_opt(year, 4, 1).expect("April 1st exists every year");
    let end = NaiveDate::from_ymd_opt(year + 1, 3, 31).expect("March 31st exists every year");
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    #[test]
    fn april_starts_the_year() {
        assert_eq!(fiscal_year(d(2026, 3, 31)), 2025);
        assert_eq!(fiscal_year(d(2026, 4, 1)), 2026);
        assert_eq!(fiscal_year(d(2027, 1, 15)), 2026);
        assert_eq!(fiscal_year_bounds(2026), (d(2026, 4, 1), d(2027, 3, 31)));
    }
}
