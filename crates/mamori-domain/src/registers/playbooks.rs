//! Playbooks (対応手順) and incident tasks. A playbook is a company's list
//! of steps for one category of incident (the risk-management manual's
//! steps, edited per company); when an incident of that category is
//! opened, each step of the company's active playbooks becomes a task on
//! it, in the same transaction. A step is one line; `+N ` before it puts
//! its due date N days after the incident's detection (day 0 otherwise).

use crate::error::FieldError;
use crate::register::{FieldKind, FieldSpec, Moves, OnCreate, Record, RefTarget, RegisterSpec};

use super::incidents::INCIDENT_CATEGORIES;

pub const TASK_STATUSES: &[&str] = &["open", "done"];
pub const TASK_MOVES: Moves = &[("open", &["done"]), ("done", &["open"])];

/// Most steps one playbook has.
pub const MAX_STEPS: usize = 100;

pub const PLAYBOOKS: RegisterSpec = RegisterSpec {
    name: "playbooks",
    table: "playbooks",
    ref_prefix: "PBK",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("name", FieldKind::Text { max: 200 })
            .required()
            .list()
            .sortable(),
        FieldSpec::new("category", FieldKind::Enum(INCIDENT_CATEGORIES))
            .required()
            .list()
            .filter(),
        FieldSpec::new("active", FieldKind::Bool).list().filter(),
        FieldSpec::new("steps", FieldKind::LongText).required(),
    ],
    title_fields: &["name"],
    audit_reads: false,
    history: true,
    rollups: &[],
    links: &[],
    people_create: true,
    default_sort: "name",
    on_create: OnCreate::Nothing,
    propagate: &[],
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |r, _| check_steps(r),
    choices: |_, _| None,
};

pub const INCIDENT_TASKS: RegisterSpec = RegisterSpec {
    name: "incident_tasks",
    table: "incident_tasks",
    ref_prefix: "TSK",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("incident", FieldKind::Reference(RefTarget::Incident))
            .required()
            .list()
            .filter(),
        FieldSpec::new("title", FieldKind::Text { max: 300 })
            .required()
            .list()
            .sortable(),
        FieldSpec::new("status", FieldKind::Enum(TASK_STATUSES))
            .required()
            .list()
            .filter()
            .moves(TASK_MOVES),
        FieldSpec::new("owner", FieldKind::Reference(RefTarget::Person))
            .list()
            .filter(),
        FieldSpec::new("due_date", FieldKind::Date)
            .list()
            .sortable(),
        FieldSpec::new("notes", FieldKind::LongText),
    ],
    title_fields: &["title"],
    audit_reads: false,
    history: true,
    rollups: &[&["status"]],
    links: &[],
    people_create: true,
    default_sort: "due_date",
    on_create: OnCreate::Nothing,
    propagate: &[],
    derive: |_, _| {},
    notices: |_, _| Vec::new(),
    check: |_, _| Vec::new(),
    choices: |_, _| None,
};

/// A playbook's steps: (days after detection, task title), in order.
pub fn steps(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let parsed = line.strip_prefix('+').and_then(|rest| {
                let (days, title) = rest.split_once(char::is_whitespace)?;
                Some((days.parse::<u32>().ok()?, title.trim().to_owned()))
            });
            parsed.unwrap_or((0, line.to_owned()))
        })
        .collect()
}

fn check_steps(record: &Record) -> Vec<FieldError> {
    let Some(text) = record.text("steps") else {
        return Vec::new();
    };
    let all = steps(text);
    if all.is_empty() || all.len() > MAX_STEPS {
        return vec![FieldError::new(
            "steps",
            format!("must have 1 to {MAX_STEPS} steps, one a line"),
        )];
    }
    match all
        .iter()
        .position(|(days, title)| *days > 365 || title.chars().count() > 300)
    {
        Some(n) => vec![FieldError::new(
            "steps",
            format!("step {}: at most +365 days and 300 characters", n + 1),
        )],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_one_a_line_with_their_days() {
        let text = "+0 証拠を保全する\n\n  攻撃元を遮断する  \n+3 個人情報保護委員会への報告要否を判定する\n+x 日数でないもの";
        assert_eq!(
            steps(text),
            [
                (0, "証拠を保全する".to_owned()),
                (0, "攻撃元を遮断する".to_owned()),
                (3, "個人情報保護委員会への報告要否を判定する".to_owned()),
                (0, "+x 日数でないもの".to_owned()),
            ]
        );
        let mut r = Record::default();
        r.values.insert(
            "steps",
            crate::register::Value::Text("+400 遠すぎる".into()),
        );
        assert_eq!(check_steps(&r)[0].field, "steps");
    }
}
