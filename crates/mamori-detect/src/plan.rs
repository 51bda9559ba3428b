//! A rule's condition as [`crate::compiled::CompiledRules::matching`]
//! evaluates it: detection names resolved to indices and every field a
//! detection reads resolved to its schema slot once, when the rule is added,
//! instead of hashing names for every candidate event.
//!
//! The matchers are `rsigma-eval`'s own (cloned from the compiled rule) and
//! the walk mirrors its evaluator, so a rule matches here exactly when it
//! matches there (the differential tests hold the two to that). A named
//! detection with an array object scope is handed to `rsigma-eval` whole.

use rsigma_eval::event::EventValue;
use rsigma_eval::{CompiledDetection, CompiledMatcher, CompiledRule};
use rsigma_parser::{ConditionExpr, Quantifier};

use crate::record::{Bound, Schema};

/// A rule's conditions (any may hold) over its resolved detections.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    conditions: Vec<Cond>,
    detections: Vec<Det>,
}

#[derive(Debug, Clone)]
enum Cond {
    /// A named detection, by index.
    Det(usize),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// `N of pattern` (`1 of` is `Count(1)`): at least `need` of `of` hold.
    Count {
        need: u64,
        of: Vec<usize>,
    },
    /// `all of pattern`: every one of `of` holds (true when none match).
    All(Vec<usize>),
    /// An identifier the rule does not define.
    False,
}

#[derive(Debug, Clone)]
enum Det {
    AllOf(Vec<Item>),
    AnyOf(Vec<Det>),
    And(Vec<Det>),
    Keywords(CompiledMatcher),
    /// Evaluated by `rsigma-eval` under this name (array object scopes).
    Whole(String),
}

#[derive(Debug, Clone)]
struct Item {
    /// The field read and its slot; `None` for a keyword item.
    field: Option<(String, u32)>,
    matcher: CompiledMatcher,
    /// The matcher's test, done here for ASCII strings.
    ascii: Option<Ascii>,
    exists: Option<bool>,
}

/// A case-insensitive string matcher whose answer, for an ASCII value, is
/// the value's ASCII lowercase compared with the (lowercase) pattern: what
/// `rsigma-eval` computes after lowercasing the value into a new string
/// (Unicode lowercase is ASCII lowercase on ASCII text), without the copy.
#[derive(Debug, Clone)]
enum Ascii {
    Exact(String),
    StartsWith(String),
    EndsWith(String),
}

impl Ascii {
    fn of(m: &CompiledMatcher) -> Option<Ascii> {
        match m {
            CompiledMatcher::Exact {
                value,
                case_insensitive: true,
            } => Some(Ascii::Exact(value.clone())),
            CompiledMatcher::StartsWith {
                value,
                case_insensitive: true,
            } => Some(Ascii::StartsWith(value.clone())),
            CompiledMatcher::EndsWith {
                value,
                case_insensitive: true,
            } => Some(Ascii::EndsWith(value.clone())),
            _ => None,
        }
    }

    /// The answer for an ASCII `value`.
    fn holds(&self, value: &str) -> bool {
        // Byte by byte: the value's lowercase against the pattern as it is
        // (a pattern byte that is not lowercase ASCII never matches, as a
        // lowercased value never holds it).
        let lower_eq = |v: &[u8], p: &[u8]| {
            v.len() == p.len() && v.iter().zip(p).all(|(a, b)| a.to_ascii_lowercase() == *b)
        };
        let v = value.as_bytes();
        match self {
            Ascii::Exact(p) => lower_eq(v, p.as_bytes()),
            Ascii::StartsWith(p) => v.get(..p.len()).is_some_and(|h| lower_eq(h, p.as_bytes())),
            Ascii::EndsWith(p) => v
                .len()
                .checked_sub(p.len())
                .is_some_and(|at| lower_eq(&v[at..], p.as_bytes())),
        }
    }
}

impl Plan {
    /// Resolves `rule`'s names; interns the fields its detections read.
    pub(crate) fn new(rule: &CompiledRule, schema: &mut Schema) -> Plan {
        // Detection names in a fixed order, so selectors resolve the same way
        // every time.
        let mut names: Vec<&String> = rule.detections.keys().collect();
        names.sort();
        let detections = names
            .iter()
            .map(|name| {
                let det = &rule.detections[*name];
                if whole(det) {
                    Det::Whole((*name).clone())
                } else {
                    resolve(det, schema)
                }
            })
            .collect();
        let conditions = rule
            .conditions
            .iter()
            .map(|c| condition(c, &names))
            .collect();
        Plan {
            conditions,
            detections,
        }
    }

    /// Whether any of the rule's conditions holds for the event.
    pub(crate) fn matches(&self, rule: &CompiledRule, event: &Bound<'_, '_>) -> bool {
        let walk = Walk {
            plan: self,
            rule,
            event,
        };
        self.conditions.iter().any(|c| walk.cond(c))
    }
}

/// Whether a detection holds an array object scope anywhere.
fn whole(det: &CompiledDetection) -> bool {
    match det {
        CompiledDetection::AllOf(_) | CompiledDetection::Keywords(_) => false,
        CompiledDetection::AnyOf(dets) | CompiledDetection::And(dets) => dets.iter().any(whole),
        CompiledDetection::ArrayMatch { .. } | CompiledDetection::Conditional { .. } => true,
    }
}

fn resolve(det: &CompiledDetection, schema: &mut Schema) -> Det {
    match det {
        CompiledDetection::AllOf(items) => Det::AllOf(
            items
                .iter()
                .map(|i| Item {
                    field: i.field.as_ref().map(|f| (f.clone(), schema.intern(f))),
                    matcher: i.matcher.clone(),
                    ascii: Ascii::of(&i.matcher),
                    exists: i.exists,
                })
                .collect(),
        ),
        CompiledDetection::AnyOf(dets) => {
            Det::AnyOf(dets.iter().map(|d| resolve(d, schema)).collect())
        }
        CompiledDetection::And(dets) => Det::And(dets.iter().map(|d| resolve(d, schema)).collect()),
        CompiledDetection::Keywords(m) => Det::Keywords(m.clone()),
        // `whole` keeps these out.
        CompiledDetection::ArrayMatch { .. } | CompiledDetection::Conditional { .. } => {
            Det::AnyOf(Vec::new())
        }
    }
}

fn condition(c: &ConditionExpr, names: &[&String]) -> Cond {
    let index = |name: &str| names.iter().position(|n| n.as_str() == name);
    match c {
        ConditionExpr::Identifier(name) => index(name).map_or(Cond::False, Cond::Det),
        ConditionExpr::And(cs) => Cond::And(cs.iter().map(|c| condition(c, names)).collect()),
        ConditionExpr::Or(cs) => Cond::Or(cs.iter().map(|c| condition(c, names)).collect()),
        ConditionExpr::Not(inner) => Cond::Not(Box::new(condition(inner, names))),
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let of: Vec<usize> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| pattern.matches_detection_name(n))
                .map(|(i, _)| i)
                .collect();
            match quantifier {
                Quantifier::Any => Cond::Count { need: 1, of },
                Quantifier::Count(need) => Cond::Count { need: *need, of },
                Quantifier::All => Cond::All(of),
            }
        }
    }
}

struct Walk<'p, 'e, 'r, 's> {
    plan: &'p Plan,
    rule: &'p CompiledRule,
    event: &'e Bound<'r, 's>,
}

impl Walk<'_, '_, '_, '_> {
    fn cond(&self, c: &Cond) -> bool {
        match c {
            Cond::Det(i) => self.named(*i),
            Cond::And(cs) => cs.iter().all(|c| self.cond(c)),
            Cond::Or(cs) => cs.iter().any(|c| self.cond(c)),
            Cond::Not(inner) => !self.cond(inner),
            Cond::Count { need, of } => {
                *need == 0
                    || of
                        .iter()
                        .filter(|i| self.named(**i))
                        .take(*need as usize)
                        .count() as u64
                        >= *need
            }
            Cond::All(of) => of.iter().all(|i| self.named(*i)),
            Cond::False => false,
        }
    }

    fn named(&self, i: usize) -> bool {
        self.det(&self.plan.detections[i])
    }

    fn det(&self, d: &Det) -> bool {
        match d {
            Det::AllOf(items) => items.iter().all(|i| self.item(i)),
            Det::AnyOf(ds) => ds.iter().any(|d| self.det(d)),
            Det::And(ds) => ds.iter().all(|d| self.det(d)),
            Det::Keywords(m) => m.matches_keyword(self.event),
            Det::Whole(name) => rsigma_eval::compiler::eval_condition(
                &ConditionExpr::Identifier(name.clone()),
                &self.rule.detections,
                self.event,
                &mut Vec::new(),
            ),
        }
    }

    fn item(&self, item: &Item) -> bool {
        let value = |(name, slot): &(String, u32)| -> Option<EventValue<'_>> {
            self.event.get_at(name, *slot)
        };
        if let Some(expect) = item.exists {
            return match &item.field {
                Some(f) => value(f).is_some_and(|v| !v.is_null()) == expect,
                None => !expect,
            };
        }
        match &item.field {
            Some(f) => match (value(f), &item.ascii) {
                (Some(EventValue::Str(s)), Some(ascii)) if s.is_ascii() => ascii.holds(&s),
                (Some(v), _) => item.matcher.matches(&v, self.event),
                (None, _) => matches!(item.matcher, CompiledMatcher::Null),
            },
            None => item.matcher.matches_keyword(self.event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On ASCII values the byte compare answers as `rsigma-eval`'s matchers
    /// (lowercase copy, then compare), patterns of any case and script.
    #[test]
    fn ascii_tests_answer_as_the_matchers() {
        let mut rng = crate::synthetic::Rng::new(11);
        let alphabet = ["a", "B", "c", "-", " ", "é", "K", "k", "\u{212a}"];
        let text = |rng: &mut crate::synthetic::Rng, ascii: bool| -> String {
            (0..rng.below(6))
                .map(|_| {
                    let pick = alphabet[rng.below(alphabet.len())];
                    if ascii && !pick.is_ascii() { "a" } else { pick }
                })
                .collect()
        };
        for _ in 0..50_000 {
            let value = text(&mut rng, true);
            // Patterns as rsigma-eval stores them (lowercased), and now and
            // then as written, to hold the compare to the matcher anyway.
            let mut pattern = text(&mut rng, false);
            if rng.below(4) != 0 {
                pattern = pattern.to_lowercase();
            }
            for m in [
                CompiledMatcher::Exact {
                    value: pattern.clone(),
                    case_insensitive: true,
                },
                CompiledMatcher::StartsWith {
                    value: pattern.clone(),
                    case_insensitive: true,
                },
                CompiledMatcher::EndsWith {
                    value: pattern.clone(),
                    case_insensitive: true,
                },
            ] {
                let ascii = Ascii::of(&m).expect("a case-insensitive string matcher");
                let event = rsigma_eval::event::JsonEvent::borrow(&serde_json::Value::Null);
                let theirs = m.matches(&EventValue::Str(value.as_str().into()), &event);
                assert_eq!(ascii.holds(&value), theirs, "{m:?} on {value:?}");
            }
        }
    }
}
