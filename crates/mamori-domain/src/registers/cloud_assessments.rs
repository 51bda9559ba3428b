//! Cloud-service risk assessments (クラウドサービス利用前評価): before a
//! company uses a cloud service, it answers the default questions (where
//! the data is, certifications, encryption, access control and MFA,
//! logging, incident notice to us, sub-processors, exit and deletion) and
//! records a verdict, the conditions of use, the most restricted handling
//! class the service may hold, and an expiry that puts it back in the queue.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::error::FieldError;
use crate::register::{FieldKind, FieldSpec, Record, RefTarget, RegisterSpec, Value};
use crate::settings::{Label, RegisterSettings};

pub const CLOUD_VERDICTS: &[&str] = &["approved", "approved_with_conditions", "rejected"];

/// How a question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// `yes` or `no` (a certification held).
    YesNo,
    /// How well the service meets it: `met`, `partial`, `not_met`.
    Rating,
    /// A short text (where the data is kept).
    Text,
}

impl AnswerKind {
    /// The answers a choice question takes; empty for text.
    pub fn options(self) -> &'static [&'static str] {
        match self {
            AnswerKind::YesNo => &["yes", "no"],
            AnswerKind::Rating => &["met", "partial", "not_met"],
            AnswerKind::Text => &[],
        }
    }
}

/// Longest text answer, in characters.
pub const ANSWER_TEXT_MAX: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable identifier: lower-case letters, digits and `_`; answers are
    /// kept under it.
    pub id: String,
    pub kind: AnswerKind,
    pub ja: String,
    pub en: String,
    /// An approval may leave it unanswered.
    #[serde(default)]
    pub optional: bool,
}

impl Question {
    fn new(id: &str, kind: AnswerKind, ja: &str, en: &str) -> Self {
        Question {
            id: id.to_owned(),
            kind,
            ja: ja.to_owned(),
            en: en.to_owned(),
            optional: false,
        }
    }

    pub fn label(&self, ja: bool) -> &str {
        if ja { &self.ja } else { &self.en }
    }

    /// One answer, checked; `None` for no answer.
    fn answer(&self, raw: &Json) -> Result<Option<String>, String> {
        let text = match raw {
            Json::Null => return Ok(None),
            Json::Bool(b) if self.kind == AnswerKind::YesNo => {
                return Ok(Some(if *b { "yes" } else { "no" }.to_owned()));
            }
            Json::String(s) => s.trim(),
            _ => return Err(format!("{}: must be text", self.id)),
        };
        self.answer_text(text)
    }

    fn answer_text(&self, text: &str) -> Result<Option<String>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if self.kind == AnswerKind::Text {
            if text.chars().count() > ANSWER_TEXT_MAX
                || text.chars().any(|c| c.is_control() && c != '\n')
            {
                return Err(format!(
                    "{}: must be at most {ANSWER_TEXT_MAX} characters without control characters",
                    self.id
                ));
            }
            return Ok(Some(text.to_owned()));
        }
        let options = self.kind.options();
        let text = match text {
            "はい" => "yes",
            "いいえ" => "no",
            other => other,
        };
        options
            .iter()
            .find(|o| **o == text)
            .map(|o| Some((*o).to_owned()))
            .ok_or_else(|| format!("{}: must be one of: {}", self.id, options.join(", ")))
    }
}

/// The questions every cloud-service assessment answers
/// (クラウドサービス評価項目), in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Questionnaire {
    pub questions: Vec<Question>,
}

impl Default for Questionnaire {
    fn default() -> Self {
        use AnswerKind::{Rating, Text, YesNo};
        Questionnaire {
            questions: vec![
                Question::new(
                    "data_location",
                    Text,
                    "データの保管場所（国・地域）",
                    "Where the data is kept (country, region)",
                ),
                Question::new(
                    "iso27001",
                    YesNo,
                    "ISO/IEC 27001 認証",
                    "ISO/IEC 27001 certified",
                ),
                Question::new(
                    "iso27017",
                    YesNo,
                    "ISO/IEC 27017 認証",
                    "ISO/IEC 27017 certified",
                ),
                Question::new("ismap", YesNo, "ISMAP 登録", "Registered in ISMAP"),
                Question::new("soc2", YesNo, "SOC 2 報告書", "SOC 2 report available"),
                Question::new(
                    "encryption",
                    Rating,
                    "保存時・通信時の暗号化",
                    "Encryption at rest and in transit",
                ),
                Question::new(
                    "access_control_mfa",
                    Rating,
                    "アクセス制御と多要素認証",
                    "Access control and multi-factor authentication",
                ),
                Question::new(
                    "logging",
                    Rating,
                    "ログの取得と提供",
                    "Logging, and logs available to us",
                ),
                Question::new(
                    "incident_notice",
                    Rating,
                    "インシデント発生時の当社への通知",
                    "Incident notice to us",
                ),
                Question::new(
                    "subprocessors",
                    Rating,
                    "再委託先の管理と開示",
                    "Sub-processors controlled and disclosed",
                ),
                Question::new(
                    "exit_deletion",
                    Rating,
                    "契約終了時のデータ返却・消去",
                    "Exit: data returned and deleted",
                ),
            ],
        }
    }
}

impl Questionnaire {
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.questions.is_empty() || self.questions.len() > 100 {
            return Err(format!(
                "has {} questions; a questionnaire has 1 to 100",
                self.questions.len()
            ));
        }
        for (n, q) in self.questions.iter().enumerate() {
            let ok_id = !q.id.is_empty()
                && q.id.len() <= 40
                && q.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok_id {
                return Err(format!(
                    "question {} has id {:?}; ids are 1 to 40 of a-z, 0-9 and _",
                    n + 1,
                    q.id
                ));
            }
            if self.questions[..n].iter().any(|p| p.id == q.id) {
                return Err(format!("question id {:?} is used twice", q.id));
            }
            Label::new(&q.ja, &q.en).validate(&format!("question {:?}", q.id))?;
        }
        Ok(())
    }

    /// Answers given as a JSON object (question id → answer), checked and
    /// written in one canonical form (names sorted); `Null` when
    /// nothing is answered.
    pub fn parse_json(&self, raw: &Json) -> Result<Value, String> {
        let object = match raw {
            Json::Null => return Ok(Value::Null),
            Json::Object(o) => o,
            _ => return Err("must be an object of question id to answer".into()),
        };
        if let Some(unknown) = object.keys().find(|k| self.question(k).is_none()) {
            return Err(format!(
                "{unknown}: no such question (questions: {})",
                self.ids().join(", ")
            ));
        }
        let mut answers = Vec::new();
        for q in &self.questions {
            if let Some(a) = object
                .get(&q.id)
                .map(|raw| q.answer(raw))
                .transpose()?
                .flatten()
            {
                answers.push((q.id.as_str(), a));
            }
        }
        Ok(canonical(&answers))
    }

    /// Answers given one text per question (form fields, CSV columns named
    /// `<field>.<question id>`); questions not given stay unanswered.
    pub fn parse_text<'s>(
        &self,
        mut get: impl FnMut(&str) -> Option<&'s str>,
    ) -> Result<Value, String> {
        let mut answers = Vec::new();
        for q in &self.questions {
            if let Some(a) = get(&q.id).map(|t| q.answer_text(t)).transpose()?.flatten() {
                answers.push((q.id.as_str(), a));
            }
        }
        Ok(canonical(&answers))
    }

    fn ids(&self) -> Vec<&str> {
        self.questions.iter().map(|q| q.id.as_str()).collect()
    }
}

fn canonical(answers: &[(&str, String)]) -> Value {
    if answers.is_empty() {
        return Value::Null;
    }
    let map: serde_json::Map<String, Json> = answers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Json::String(v.clone())))
        .collect();
    Value::Text(Json::Object(map).to_string())
}

/// The stored answers of a record (question id → answer).
pub fn stored_answers(value: &Value) -> serde_json::Map<String, Json> {
    match value {
        Value::Text(t) => match serde_json::from_str(t) {
            Ok(Json::Object(map)) => map,
            _ => serde_json::Map::new(),
        },
        _ => serde_json::Map::new(),
    }
}

pub const CLOUD_ASSESSMENTS: RegisterSpec = RegisterSpec {
    name: "cloud_assessments",
    table: "cloud_assessments",
    ref_prefix: "CSA",
    ref_yearly: false,
    fields: &[
        FieldSpec::new("asset", FieldKind::Reference(RefTarget::Asset))
            .required()
            .list()
            .filter(),
        FieldSpec::new("verdict", FieldKind::Enum(CLOUD_VERDICTS))
            .required()
            .list()
            .filter(),
        FieldSpec::new("max_classification", FieldKind::Classification)
            .list()
            .filter(),
        FieldSpec::new("expiry", FieldKind::Date)
            .required()
            .list()
            .sortable(),
        FieldSpec::new("assessed_on", FieldKind::Date)
            .required()
            .sortable(),
        FieldSpec::new("assessor", FieldKind::Reference(RefTarget::Person)),
        FieldSpec::new("answers", FieldKind::Answers),
        FieldSpec::new("conditions", FieldKind::LongText),
        FieldSpec::new("notes", FieldKind::LongText),
    ],
    title_fields: &[],
    audit_reads: false,
    history: false,
    rollups: &[],
    links: &[],
    people_create: true,
    on_create: crate::register::OnCreate::Nothing,
    propagate: &[],
    default_sort: "expiry",
    derive: |_, _| {},
    notices,
    check,
    choices: |_, _| None,
};

fn check(record: &Record, settings: &RegisterSettings) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let verdict = record.text("verdict");
    if verdict == Some("approved_with_conditions") && record.text("conditions").is_none() {
        errors.push(FieldError::new(
            "conditions",
            "is required when the service is approved with conditions",
        ));
    }
    if verdict != Some("rejected") {
        // An approval says what may go there and is answered in full.
        if *record.get("max_classification") == Value::Null {
            errors.push(FieldError::new(
                "max_classification",
                "is required when the service is approved",
            ));
        }
        let answers = stored_answers(record.get("answers"));
        let open: Vec<&str> = settings
            .cloud_questionnaire
            .questions
            .iter()
            .filter(|q| !q.optional && !answers.contains_key(&q.id))
            .map(|q| q.id.as_str())
            .collect();
        if !open.is_empty() {
            errors.push(FieldError::new(
                "answers",
                format!(
                    "must be complete before an approval; unanswered: {}",
                    open.join(", ")
                ),
            ));
        }
    }
    if let (Value::Date(on), Value::Date(until)) = (record.get("assessed_on"), record.get("expiry"))
        && until <= on
    {
        errors.push(FieldError::new(
            "expiry",
            "must be after the assessment date",
        ));
    }
    errors
}

fn notices(record: &Record, today: NaiveDate) -> Vec<&'static str> {
    match record.get("expiry") {
        Value::Date(d) if *d < today => vec!["notice.cloud_assessment_expired"],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full(q: &Questionnaire) -> Json {
        let map: serde_json::Map<String, Json> = q
            .questions
            .iter()
            .map(|q| {
                let a = match q.kind {
                    AnswerKind::Text => "東京リージョン",
                    AnswerKind::YesNo => "yes",
                    AnswerKind::Rating => "met",
                };
                (q.id.clone(), json!(a))
            })
            .collect();
        Json::Object(map)
    }

    fn answers(verdict: &str) -> Record {
        let q = Questionnaire::default();
        let mut r = Record::default();
        r.values.insert("verdict", Value::Text(verdict.into()));
        r.values
            .insert("answers", q.parse_json(&full(&q)).expect("valid"));
        r.values
            .insert("max_classification", Value::Text("confidential".into()));
        let day = |d| Value::Date(NaiveDate::from_ymd_opt(2026, 4, d).expect("date"));
        r.values.insert("assessed_on", day(1));
        r.values.insert("expiry", day(30));
        r
    }

    fn check_default(r: &Record) -> Vec<FieldError> {
        check(r, &RegisterSettings::default())
    }

    #[test]
    fn approvals_are_answered_in_full_and_conditions_written() {
        assert!(check_default(&answers("approved")).is_empty());
        assert_eq!(
            check_default(&answers("approved_with_conditions"))[0].field,
            "conditions"
        );
        let q = Questionnaire::default();
        let mut partial = answers("approved");
        let mut some = full(&q);
        some.as_object_mut().expect("object").remove("logging");
        partial
            .values
            .insert("answers", q.parse_json(&some).expect("valid"));
        partial.values.insert("max_classification", Value::Null);
        let errors = check_default(&partial);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["max_classification", "answers"]);
        assert!(errors[1].message.ends_with("unanswered: logging"));
        let mut rejected = answers("rejected");
        rejected.values.insert("answers", Value::Null);
        rejected.values.insert("max_classification", Value::Null);
        assert!(
            check_default(&rejected).is_empty(),
            "a rejection need not be complete"
        );
        let mut backwards = answers("approved");
        backwards.values.insert(
            "expiry",
            Value::Date(NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")),
        );
        assert_eq!(check_default(&backwards)[0].field, "expiry");
        let late = NaiveDate::from_ymd_opt(2026, 5, 1).expect("date");
        assert_eq!(
            notices(&answers("approved"), late),
            ["notice.cloud_assessment_expired"]
        );
    }

    #[test]
    fn answers_are_checked_against_the_questionnaire() {
        let q = Questionnaire::default();
        // Canonical: names sorted, answers trimmed, はい read as yes.
        let v = q
            .parse_json(&json!({"logging": " partial ", "ismap": "はい", "soc2": false}))
            .expect("valid");
        assert_eq!(
            v,
            Value::Text(r#"{"ismap":"yes","logging":"partial","soc2":"no"}"#.into())
        );
        let map = stored_answers(&v);
        assert_eq!(map["ismap"], "yes");
        assert_eq!(map["soc2"], "no");
        assert_eq!(map["logging"], "partial");
        assert_eq!(q.parse_json(&json!({})), Ok(Value::Null));
        let unknown = q
            .parse_json(&json!({"colour": "red"}))
            .expect_err("refused");
        assert!(unknown.starts_with("colour: no such question"));
        let bad = q
            .parse_json(&json!({"logging": "perfect"}))
            .expect_err("refused");
        assert_eq!(bad, "logging: must be one of: met, partial, not_met");
        assert!(q.parse_json(&json!(["met"])).is_err());
        assert!(q.parse_json(&json!({"ismap": 1})).is_err());
        let long = "あ".repeat(ANSWER_TEXT_MAX + 1);
        assert!(q.parse_json(&json!({"data_location": long})).is_err());
        let from_form = q
            .parse_text(|id| match id {
                "encryption" => Some("met"),
                "data_location" => Some("  "),
                _ => None,
            })
            .expect("valid");
        assert_eq!(stored_answers(&from_form).len(), 1);
    }

    #[test]
    fn a_configured_questionnaire_is_checked() {
        let mut q = Questionnaire::default();
        assert_eq!(q.validate(), Ok(()));
        q.questions[1].id = "data_location".into();
        assert!(q.validate().expect_err("refused").contains("used twice"));
        let mut q = Questionnaire::default();
        q.questions[0].id = "Data Location".into();
        assert!(q.validate().expect_err("refused").contains("question 1"));
        let mut q = Questionnaire::default();
        q.questions[2].en.clear();
        assert!(q.validate().expect_err("refused").contains("iso27017"));
        assert!(Questionnaire { questions: vec![] }.validate().is_err());
        // An optional question may stay open at approval.
        let mut settings = RegisterSettings::default();
        for q in &mut settings.cloud_questionnaire.questions {
            q.optional = q.id == "soc2";
        }
        let mut r = answers("approved");
        let mut some = full(&settings.cloud_questionnaire);
        some.as_object_mut().expect("object").remove("soc2");
        r.values.insert(
            "answers",
            settings
                .cloud_questionnaire
                .parse_json(&some)
                .expect("valid"),
        );
        assert!(check(&r, &settings).is_empty());
    }
}
