//! mamori's compiled rule set: which rules can possibly match an event,
//! answered in one pass over the event's fields, before any rule runs.
//!
//! Each rule is compiled by `rsigma-eval` (so a rule means exactly what it
//! means to the oracle), then reduced to its *needs*, in conjunctive normal
//! form: a few clauses that must all hold, each a set of facts of which one
//! must hold. A fact is a field being present, a needle in a field's value
//! (case folded or not; anywhere, as a prefix or suffix, or as the whole
//! value), or a needle in any string of the event (keywords); a regex
//! contributes the literals every match must contain. The needs of all
//! rules are indexed per field: needles in Aho-Corasick automata (keyword
//! needles merged into them), whole values in hash maps, needles under
//! three bytes checked one by one. An event's fields are looked up once;
//! a rule whose clauses are all met is a candidate, and only candidates are
//! evaluated (by the compiled condition). Rules whose needs cannot be told
//! (a condition that is only a negation, for one) are evaluated for every
//! event.
//!
//! Soundness rests on one property: when a rule matches, every one of its
//! clauses holds. Needs are derived from the compiled matchers (see
//! `matcher_clauses`) and err towards "evaluate": any matcher this module
//! does not understand becomes a presence need or no need at all. The
//! differential tests compare every match with `rsigma-eval`'s own engine.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_syntax::hir::{Hir, HirKind};
use rsigma_eval::matcher::GroupMode;
use rsigma_eval::{CompiledDetection, CompiledMatcher, CompiledRule, EvaluationResult};
use rsigma_parser::{ConditionExpr, Quantifier, SigmaRule};

use crate::dfa::Dfa;
use crate::plan::Plan;
use crate::record::{Bound, FxBuild, Key, Record, Schema, Val};

/// Where a needle is looked for, and how it must occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// Somewhere in the value.
    Within,
    /// At the start of the value.
    Prefix,
    /// At the end of the value.
    Suffix,
    /// As the whole value.
    Whole,
    /// Somewhere in the value, when the value is ASCII (a literal a regex
    /// needs: regex case folding and Unicode lowercase part ways only
    /// outside ASCII, so non-ASCII values skip the index for it).
    WithinAscii,
}

/// One fact a rule's match may imply.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Need {
    /// The field is present (any value, null included).
    Present(u32),
    /// The needle occurs in the field's string value (folded when `folded`).
    Needle {
        slot: u32,
        how: How,
        folded: bool,
        text: String,
    },
    /// The needle occurs in some string of the event.
    Keyword { folded: bool, text: String },
}

/// Facts of which at least one holds when the rule matches.
type Clause = Vec<Need>;

/// Clauses that all hold when the rule matches (conjunctive normal form).
/// No clause: nothing is known, evaluate always. An empty clause: the rule
/// can never match.
type Needs = Vec<Clause>;

/// Clauses kept per rule: the most selective ones.
const MAX_CLAUSES: usize = 4;

/// Folded keyword needles are merged into field automata up to this many.
const MAX_MERGED_KEYWORDS: usize = 512;

/// Needles shorter than this occur in most values: they stay out of the
/// automata (where they would report a hit at most positions) and are
/// checked on their own, with their position (prefix, suffix) where the
/// matcher has one. Keywords this short are not indexed at all.
const MIN_NEEDLE: usize = 3;

fn never() -> Needs {
    vec![Vec::new()]
}

/// How selective a clause is: never-true first, then needle-only clauses
/// with the longest shortest needle (whole-value needles count double).
fn score(clause: &Clause) -> (bool, bool, usize, usize) {
    let presence = clause.iter().any(|n| matches!(n, Need::Present(_)));
    let shortest = clause
        .iter()
        .map(|n| match n {
            Need::Present(_) => 0,
            Need::Needle {
                how: How::Whole,
                text,
                ..
            } => 2 * text.len() + 2,
            Need::Needle { text, .. } | Need::Keyword { text, .. } => text.len(),
        })
        .min()
        .unwrap_or(usize::MAX);
    (
        clause.is_empty(),
        !presence,
        shortest,
        usize::MAX - clause.len(),
    )
}

/// All of several needs hold (an AND): their clauses together, the best few.
fn and(parts: impl IntoIterator<Item = Needs>) -> Needs {
    let mut clauses: Vec<Clause> = parts.into_iter().flatten().collect();
    clauses.sort_by_key(|c| std::cmp::Reverse(score(c)));
    clauses.dedup();
    clauses.truncate(MAX_CLAUSES);
    clauses
}

/// One of several needs holds (an OR): one clause, the union of each
/// part's best clause. A part with no clause makes the whole unknown.
fn or(parts: impl IntoIterator<Item = Needs>) -> Needs {
    let mut union = Vec::new();
    for part in parts {
        let best = part.into_iter().max_by_key(score);
        match best {
            Some(clause) => union.extend(clause),
            None => return Vec::new(),
        }
    }
    vec![union]
}

/// A needle as a matcher needs it: where, folded, text.
type Pattern = (How, bool, String);

/// Clauses of needles a string matcher's match implies; `None` when the
/// matcher is not understood (then only the field's presence is known).
fn matcher_clauses(m: &CompiledMatcher) -> Option<Vec<Vec<Pattern>>> {
    let one = |how: How, folded: bool, text: &str| Some(vec![vec![(how, folded, text.to_owned())]]);
    match m {
        CompiledMatcher::Exact {
            value,
            case_insensitive,
        } => one(How::Whole, *case_insensitive, value),
        CompiledMatcher::Contains {
            value,
            case_insensitive,
        } => one(How::Within, *case_insensitive, value),
        CompiledMatcher::StartsWith {
            value,
            case_insensitive,
        } => one(How::Prefix, *case_insensitive, value),
        CompiledMatcher::EndsWith {
            value,
            case_insensitive,
        } => one(How::Suffix, *case_insensitive, value),
        CompiledMatcher::AhoCorasickSet {
            needles,
            case_insensitive,
            ..
        } => Some(vec![
            needles
                .iter()
                .map(|n| (How::Within, *case_insensitive, n.clone()))
                .collect(),
        ]),
        CompiledMatcher::Regex(re) => regex_needles(re.as_str()).map(|c| vec![c]),
        CompiledMatcher::RegexSetMatch {
            set,
            mode: GroupMode::Any,
        } => {
            let mut union = Vec::new();
            for p in set.patterns() {
                union.extend(regex_needles(p)?);
            }
            Some(vec![union])
        }
        CompiledMatcher::RegexSetMatch {
            set,
            mode: GroupMode::All,
        } => {
            let clauses: Vec<Vec<Pattern>> = set
                .patterns()
                .iter()
                .filter_map(|p| regex_needles(p))
                .collect();
            (!clauses.is_empty()).then_some(clauses)
        }
        CompiledMatcher::AnyOf(children)
        | CompiledMatcher::CaseInsensitiveGroup {
            children,
            mode: GroupMode::Any,
        } => {
            let mut union = Vec::new();
            for c in children {
                let clauses = matcher_clauses(c)?;
                let best = clauses
                    .into_iter()
                    .max_by_key(|c| c.iter().map(|(_, _, t)| t.len()).min().unwrap_or(0))?;
                union.extend(best);
            }
            Some(vec![union])
        }
        CompiledMatcher::AllOf(children)
        | CompiledMatcher::CaseInsensitiveGroup {
            children,
            mode: GroupMode::All,
        } => {
            let clauses: Vec<Vec<Pattern>> = children
                .iter()
                .filter_map(matcher_clauses)
                .flatten()
                .collect();
            (!clauses.is_empty()).then_some(clauses)
        }
        _ => None,
    }
}

/// Literals one of which every match of the regex contains, lowercased,
/// ASCII only; `None` when the regex does not promise any.
///
/// The literals come from the pattern with a leading case-insensitive flag
/// taken off: a case-insensitive match in an ASCII value holds such a
/// literal in some ASCII case, so the lowercased value holds it lowercased.
/// (Values outside ASCII do not consult these needles.)
fn regex_needles(pattern: &str) -> Option<Vec<Pattern>> {
    let twin = match pattern.strip_prefix("(?").and_then(|t| t.split_once(')')) {
        Some((flags, rest)) if flags.chars().all(|c| c.is_ascii_alphabetic()) => {
            let flags = flags.replace('i', "");
            if flags.is_empty() {
                rest.to_owned()
            } else {
                format!("(?{flags}){rest}")
            }
        }
        _ => pattern.to_owned(),
    };
    let hir = regex_syntax::Parser::new().parse(&twin).ok()?;
    let texts = required_literals(&hir)?;
    let texts: Option<Vec<String>> = texts
        .into_iter()
        .map(|t| {
            let text = String::from_utf8(t).ok()?;
            (!text.is_empty() && text.is_ascii()).then(|| text.to_ascii_lowercase())
        })
        .collect();
    Some(
        texts?
            .into_iter()
            .map(|t| (How::WithinAscii, true, t))
            .collect(),
    )
}

/// Literals one of which occurs in every match: in a concatenation, the
/// best of its parts; in an alternation, one from each branch.
fn required_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let shortest = |set: &Vec<Vec<u8>>| set.iter().map(Vec::len).min().unwrap_or(0);
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![lit.0.to_vec()]),
        HirKind::Capture(c) => required_literals(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required_literals(&r.sub),
        HirKind::Concat(parts) => parts
            .iter()
            .filter_map(required_literals)
            .max_by_key(shortest),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(required_literals(b)?);
            }
            Some(all)
        }
        _ => None,
    }
}

struct Deriver<'s> {
    schema: &'s mut Schema,
}

impl Deriver<'_> {
    fn condition(
        &mut self,
        expr: &ConditionExpr,
        dets: &HashMap<String, CompiledDetection>,
    ) -> Needs {
        match expr {
            ConditionExpr::Identifier(name) => match dets.get(name) {
                Some(d) => self.detection(d),
                None => never(),
            },
            ConditionExpr::And(xs) => and(xs
                .iter()
                .map(|x| self.condition(x, dets))
                .collect::<Vec<_>>()),
            ConditionExpr::Or(xs) => or(xs
                .iter()
                .map(|x| self.condition(x, dets))
                .collect::<Vec<_>>()),
            ConditionExpr::Not(_) => Vec::new(),
            ConditionExpr::Selector {
                quantifier,
                pattern,
            } => {
                let chosen: Vec<&CompiledDetection> = dets
                    .iter()
                    .filter(|(n, _)| pattern.matches_detection_name(n))
                    .map(|(_, d)| d)
                    .collect();
                let each: Vec<Needs> = chosen.iter().map(|d| self.detection(d)).collect();
                match quantifier {
                    Quantifier::Count(0) => Vec::new(),
                    Quantifier::Count(n) if (chosen.len() as u64) < *n => never(),
                    Quantifier::Any | Quantifier::Count(_) => or(each),
                    Quantifier::All => and(each),
                }
            }
        }
    }

    fn detection(&mut self, det: &CompiledDetection) -> Needs {
        match det {
            CompiledDetection::AllOf(items) => and(items
                .iter()
                .map(|i| self.item(i.field.as_deref(), &i.matcher, i.exists))
                .collect::<Vec<_>>()),
            CompiledDetection::AnyOf(ds) => {
                or(ds.iter().map(|d| self.detection(d)).collect::<Vec<_>>())
            }
            CompiledDetection::And(ds) => {
                and(ds.iter().map(|d| self.detection(d)).collect::<Vec<_>>())
            }
            CompiledDetection::Keywords(m) => self.item(None, m, None),
            _ => Vec::new(),
        }
    }

    fn item(
        &mut self,
        field: Option<&str>,
        matcher: &CompiledMatcher,
        exists: Option<bool>,
    ) -> Needs {
        match (field, exists) {
            (Some(f), Some(true)) => vec![vec![Need::Present(self.schema.intern(f))]],
            (_, Some(_)) => Vec::new(),
            (None, None) => match matcher_clauses(matcher) {
                Some(clauses)
                    if clauses
                        .iter()
                        .flatten()
                        .all(|(_, _, t)| t.len() >= MIN_NEEDLE) =>
                {
                    // Keywords: any string of the event; whole-value and
                    // ASCII-only needles are looked for within (a superset).
                    and(clauses.into_iter().map(|c| {
                        vec![
                            c.into_iter()
                                .map(|(_, folded, text)| Need::Keyword { folded, text })
                                .collect(),
                        ]
                    }))
                }
                _ => Vec::new(),
            },
            // A missing field matches nothing but the null matcher.
            (Some(_), None) if matches!(matcher, CompiledMatcher::Null) => Vec::new(),
            (Some(f), None) => {
                let slot = self.schema.intern(f);
                match matcher_clauses(matcher) {
                    Some(clauses) => and(clauses.into_iter().map(|c| {
                        let clause: Clause = if c
                            .iter()
                            .any(|(how, _, t)| t.is_empty() && *how != How::Whole)
                        {
                            vec![Need::Present(slot)]
                        } else {
                            c.into_iter()
                                .map(|(how, folded, text)| Need::Needle {
                                    slot,
                                    how,
                                    folded,
                                    text,
                                })
                                .collect()
                        };
                        vec![clause]
                    })),
                    None => vec![vec![Need::Present(slot)]],
                }
            }
        }
    }
}

/// A rule's clause, as the index reports it: `rule << 2 | clause`.
type Hit = u32;

fn hit(rule: usize, clause: usize) -> Hit {
    ((rule as u32) << 2) | clause as u32
}

/// Needles of one case folding looked for within values, and the clauses
/// each one serves: always, or (`ascii`) only in ASCII values.
#[derive(Debug, Default)]
struct Needles {
    texts: Vec<String>,
    hits: Vec<Vec<Hit>>,
    ascii: Vec<Vec<Hit>>,
    /// Keyword needles merged into a field's automaton (see
    /// [`CompiledRules::index`]): their hits, reported apart.
    keyword: Vec<Vec<Hit>>,
    ids: HashMap<String, usize, FxBuild>,
    automaton: Option<Searcher>,
    /// The needles' first two bytes, as a 65,536-bit set: a value without
    /// any of these pairs holds no needle, and is not walked. Built for the
    /// general searcher only (the DFA is as cheap as this test).
    starts: Vec<u64>,
}

/// How a set of needles is searched: mamori's DFA (case folded in its byte
/// classes when the needles are), or, for sets too large for its table,
/// the general Aho-Corasick searcher over a lowercased copy.
#[derive(Debug)]
enum Searcher {
    Dfa(Box<Dfa>),
    General(AhoCorasick),
}

impl Needles {
    fn id(&mut self, text: &str) -> usize {
        *self.ids.entry(text.to_owned()).or_insert_with(|| {
            self.texts.push(text.to_owned());
            self.hits.push(Vec::new());
            self.ascii.push(Vec::new());
            self.keyword.push(Vec::new());
            self.texts.len() - 1
        })
    }

    fn add(&mut self, text: &str, h: Hit, ascii_only: bool) {
        let id = self.id(text);
        let list = if ascii_only {
            &mut self.ascii[id]
        } else {
            &mut self.hits[id]
        };
        if list.last() != Some(&h) {
            list.push(h);
        }
    }

    /// Adds a keyword needle with the hits it stands for.
    fn add_keyword(&mut self, text: &str, hits: &[Hit]) {
        let id = self.id(text);
        self.keyword[id].extend_from_slice(hits);
    }

    /// Builds the searcher; `folded` needles are looked for regardless of
    /// ASCII case.
    fn build(&mut self, folded: bool) {
        self.automaton = if self.texts.is_empty() {
            None
        } else if let Some(dfa) = Dfa::new(&self.texts, folded) {
            Some(Searcher::Dfa(Box::new(dfa)))
        } else {
            self.starts = vec![0; 1024];
            for t in &self.texts {
                // Every needle here has at least MIN_NEEDLE (3) bytes.
                if let [a, b, ..] = t.as_bytes() {
                    let pair = usize::from(*a) << 8 | usize::from(*b);
                    self.starts[pair >> 6] |= 1 << (pair & 63);
                }
            }
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&self.texts)
                .or_else(|_| {
                    AhoCorasick::builder()
                        .match_kind(MatchKind::Standard)
                        .build(&self.texts)
                })
                .ok()
                .map(Searcher::General)
        };
    }

    /// Whether a folded search needs the haystack lowercased first.
    fn needs_lowercase(&self) -> bool {
        matches!(self.automaton, Some(Searcher::General(_)))
    }

    /// Whether some needle may start in `hay` (no false negatives).
    fn may_hold(&self, hay: &str) -> bool {
        hay.as_bytes().windows(2).any(|w| {
            let pair = usize::from(w[0]) << 8 | usize::from(w[1]);
            self.starts[pair >> 6] & (1 << (pair & 63)) != 0
        })
    }

    /// The clauses whose needles occur in `hay` (lowercased first when
    /// [`Needles::needs_lowercase`] says so).
    fn scan(&self, hay: &str, ascii: bool, out: &mut Vec<Hit>, keyword: &mut Vec<Hit>) {
        let mut found = |id: usize| {
            out.extend_from_slice(&self.hits[id]);
            if ascii {
                out.extend_from_slice(&self.ascii[id]);
            }
            keyword.extend_from_slice(&self.keyword[id]);
        };
        match &self.automaton {
            None => {}
            Some(Searcher::Dfa(dfa)) => dfa.scan(hay.as_bytes(), |id| found(id as usize)),
            Some(Searcher::General(ac)) => {
                if !self.may_hold(hay) {
                    return;
                }
                for m in ac.find_overlapping_iter(hay) {
                    found(m.pattern().as_usize());
                }
            }
        }
    }
}

/// The needs indexed for one place: a field, or every string (keywords).
#[derive(Debug, Default)]
struct Place {
    present: Vec<Hit>,
    folded: Needles,
    cased: Needles,
    /// Whole values, folded and not.
    whole_folded: HashMap<String, Vec<Hit>, FxBuild>,
    whole_cased: HashMap<String, Vec<Hit>, FxBuild>,
    /// Every clause with a needle here: the hits when the value is not a
    /// plain string (numbers and lists are compared as the matchers do,
    /// which the index does not model).
    any_needle: Vec<Hit>,
    /// Every clause with an ASCII-only needle here: the hits for a value
    /// outside ASCII.
    any_ascii: Vec<Hit>,
    /// Needles shorter than [`MIN_NEEDLE`], checked one by one.
    short: Vec<(How, bool, String, Hit)>,
    /// The folded keyword needles are in this field's folded automaton: a
    /// string scanned here needs no folded keyword scan of its own.
    merged_keywords: bool,
}

impl Place {
    fn add(&mut self, how: How, folded: bool, text: &str, h: Hit) {
        if text.len() < MIN_NEEDLE && how != How::Whole {
            let how = if how == How::WithinAscii {
                self.any_ascii.push(h);
                How::WithinAscii
            } else {
                how
            };
            self.short
                .push((how, folded || how == How::WithinAscii, text.to_owned(), h));
            self.any_needle.push(h);
            return;
        }
        match (how, folded) {
            (How::Within | How::Prefix | How::Suffix, true) => self.folded.add(text, h, false),
            (How::Within | How::Prefix | How::Suffix, false) => self.cased.add(text, h, false),
            (How::WithinAscii, _) => {
                self.folded.add(text, h, true);
                self.any_ascii.push(h);
            }
            (How::Whole, true) => self
                .whole_folded
                .entry(text.to_owned())
                .or_default()
                .push(h),
            (How::Whole, false) => self.whole_cased.entry(text.to_owned()).or_default().push(h),
        }
        self.any_needle.push(h);
    }

    fn build(&mut self) {
        for list in [&mut self.present, &mut self.any_needle, &mut self.any_ascii] {
            list.sort_unstable();
            list.dedup();
        }
        self.folded.build(true);
        self.cased.build(false);
    }

    fn has_needles(&self) -> bool {
        !self.any_needle.is_empty()
    }

    /// Looks for the needles of this place in `hay`. Returns whether the
    /// folded keyword needles merged here were looked for too (their hits go
    /// to `keyword`).
    fn scan_str(
        &self,
        hay: &str,
        lower: &mut String,
        out: &mut Vec<Hit>,
        keyword: &mut Vec<Hit>,
    ) -> bool {
        if self.cased.automaton.is_some() {
            self.cased.scan(hay, true, out, keyword);
        }
        if let Some(h) = self.whole_cased.get(hay) {
            out.extend_from_slice(h);
        }
        let short_folded = self.short.iter().any(|n| n.1);
        for (how, _, text, h) in self.short.iter().filter(|n| !n.1) {
            if short_holds(*how, hay, text) {
                out.push(*h);
            }
        }
        if self.folded.automaton.is_none() && self.whole_folded.is_empty() && !short_folded {
            return false;
        }
        // Folded as the matchers fold: Unicode lowercase. An ASCII value is
        // copied and lowercased only for what does not fold it itself.
        let ascii = hay.is_ascii();
        let copy = self.folded.needs_lowercase() || !self.whole_folded.is_empty() || short_folded;
        let folded: &str = if ascii {
            if copy && hay.bytes().any(|b| b.is_ascii_uppercase()) {
                lower.clear();
                lower.push_str(hay);
                lower.make_ascii_lowercase();
                lower
            } else {
                hay
            }
        } else {
            *lower = hay.to_lowercase();
            out.extend_from_slice(&self.any_ascii);
            lower
        };
        self.folded.scan(folded, ascii, out, keyword);
        if let Some(h) = self.whole_folded.get(folded) {
            out.extend_from_slice(h);
        }
        for (how, _, text, h) in self.short.iter().filter(|n| n.1) {
            if (ascii || *how != How::WithinAscii) && short_holds(*how, folded, text) {
                out.push(*h);
            }
        }
        self.merged_keywords && self.folded.automaton.is_some()
    }
}

impl Place {
    /// The cased keyword needles only (the folded ones were looked for with
    /// the field's own needles).
    fn cased_keywords(&self, hay: &str, out: &mut Vec<Hit>) {
        if self.cased.automaton.is_some() {
            self.cased.scan(hay, true, out, &mut Vec::new());
        }
    }
}

fn short_holds(how: How, hay: &str, needle: &str) -> bool {
    match how {
        How::Prefix => hay.starts_with(needle),
        How::Suffix => hay.ends_with(needle),
        How::Whole => hay == needle,
        How::Within | How::WithinAscii => hay.contains(needle),
    }
}

/// Compiled detection rules with their candidate index.
#[derive(Debug, Default)]
pub struct CompiledRules {
    rules: Vec<CompiledRule>,
    /// Each rule's condition with its names resolved (what `matching` runs).
    plans: Vec<Plan>,
    needs: Vec<Needs>,
    places: Vec<Place>,
    keywords: Place,
    /// Rules with keyword clauses: (rule, how many other clauses it has).
    keyword_rules: Vec<(u32, usize)>,
    always: Vec<u32>,
    indexed: bool,
}

impl CompiledRules {
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Compiles a rule (with `rsigma-eval`'s compiler) and derives its needs.
    /// Call [`CompiledRules::index`] after the last one.
    pub fn add(&mut self, rule: &SigmaRule, schema: &mut Schema) -> rsigma_eval::Result<()> {
        let compiled = rsigma_eval::compile_rule(rule)?;
        let mut deriver = Deriver { schema };
        let mut each: Vec<Needs> = compiled
            .conditions
            .iter()
            .map(|c| deriver.condition(c, &compiled.detections))
            .collect();
        // One condition keeps all its clauses (the OR of one would keep only
        // its best clause); several give the OR of their best.
        let needs = match each.len() {
            1 => each.remove(0),
            _ => or(each),
        };
        self.plans.push(Plan::new(&compiled, schema));
        self.rules.push(compiled);
        self.needs.push(needs);
        self.indexed = false;
        Ok(())
    }

    /// Takes back the rule added last (its twin could not be loaded).
    pub fn pop(&mut self) {
        self.rules.pop();
        self.plans.pop();
        self.needs.pop();
        self.indexed = false;
    }

    /// Builds the candidate index over every rule added so far.
    pub fn index(&mut self, schema: &Schema) {
        self.places = (0..schema.len()).map(|_| Place::default()).collect();
        self.keywords = Place::default();
        self.keyword_rules.clear();
        self.always.clear();
        for (rule, needs) in self.needs.iter().enumerate() {
            if needs.is_empty() {
                self.always.push(rule as u32);
                continue;
            }
            let keyword_clauses = needs
                .iter()
                .filter(|c| c.iter().any(|n| matches!(n, Need::Keyword { .. })))
                .count();
            if keyword_clauses > 0 {
                self.keyword_rules
                    .push((rule as u32, needs.len() - keyword_clauses));
            }
            for (c, clause) in needs.iter().enumerate() {
                let h = hit(rule, c);
                for need in clause {
                    match need {
                        Need::Present(slot) => self.places[*slot as usize].present.push(h),
                        Need::Needle {
                            slot,
                            how,
                            folded,
                            text,
                        } => self.places[*slot as usize].add(*how, *folded, text, h),
                        Need::Keyword { folded, text } => {
                            self.keywords.add(How::Within, *folded, text, h);
                        }
                    }
                }
            }
        }
        // Fields with needles take the folded keyword needles into their
        // own folded automaton, so their strings are walked and remembered
        // once, not twice (keyword sets are small; a big one stays apart).
        if self.keywords.folded.texts.len() <= MAX_MERGED_KEYWORDS {
            let keywords = &self.keywords.folded;
            for place in &mut self.places {
                if !place.has_needles() {
                    continue;
                }
                for (text, hits) in keywords.texts.iter().zip(&keywords.hits) {
                    place.folded.add_keyword(text, hits);
                }
                place.merged_keywords = true;
            }
        }
        for place in self
            .places
            .iter_mut()
            .chain(std::iter::once(&mut self.keywords))
        {
            place.build();
        }
        self.indexed = true;
    }

    /// A rule's title and what the index waits for before running it
    /// (`always`, or its clauses), for reports.
    pub fn describe(&self, rule: usize) -> (String, String) {
        let title = self
            .rules
            .get(rule)
            .map(|r| r.title.clone())
            .unwrap_or_default();
        let needs = match self.needs.get(rule) {
            Some(needs) if !needs.is_empty() => format!("{needs:?}"),
            _ => "always".to_owned(),
        };
        (title, needs)
    }

    /// One line per indexed field: its name, how many needles it has and
    /// the shortest of them (the ones that hit most often).
    pub fn index_report(&self, schema: &Schema) -> Vec<String> {
        let line = |name: &str, p: &Place| {
            let mut texts: Vec<&String> = p.folded.texts.iter().chain(&p.cased.texts).collect();
            texts.sort_by_key(|t| t.len());
            format!(
                "{name}: {} needles, {} whole values, {} presence; shortest {:?}",
                texts.len(),
                p.whole_folded.len() + p.whole_cased.len(),
                p.present.len(),
                texts.iter().take(6).collect::<Vec<_>>()
            )
        };
        let mut out: Vec<String> = self
            .places
            .iter()
            .enumerate()
            .filter(|(_, p)| p.has_needles() || !p.present.is_empty())
            .map(|(i, p)| line(schema.name(i as u32), p))
            .collect();
        if self.keywords.has_needles() {
            out.push(line("(keywords)", &self.keywords));
        }
        out
    }

    /// How many rules are evaluated for every event (their needs could not
    /// be told).
    pub fn always_evaluated(&self) -> usize {
        self.always.len()
    }

    /// The rules that may match the record, in rule order, into
    /// `scratch.rules`.
    pub fn candidates(&self, record: &Record<'_>, scratch: &mut Scratch) {
        let Scratch {
            hits,
            rules: out,
            keyword_hits,
            scanned,
            lower,
            memo,
            met,
            ..
        } = scratch;
        out.clear();
        hits.clear();
        keyword_hits.clear();
        scanned.clear();
        if record.unnormalized || !self.indexed {
            out.extend(0..self.rules.len() as u32);
            return;
        }
        for f in &record.fields {
            let mut done = false;
            if let Key::Slot(slot) = f.key
                && let Some(place) = self.places.get(slot as usize)
            {
                hits.extend_from_slice(&place.present);
                if place.has_needles() {
                    match &f.value {
                        Val::Str(s) => {
                            done = memo.scan(slot, s, hits, keyword_hits, |h, k| {
                                place.scan_str(s, lower, h, k)
                            });
                        }
                        _ => hits.extend_from_slice(&place.any_needle),
                    }
                }
            }
            scanned.push(done);
        }
        let mut met = Met::new(met, self.needs.len());
        met.note(hits);
        // Keywords are looked for in every string of the event, so only when
        // a rule with keyword clauses may still become a candidate: it has at
        // least as many clauses met as it has clauses without keywords (a
        // clause mixing keywords and fields may already be met by a field).
        if self
            .keyword_rules
            .iter()
            .any(|&(rule, others)| met.count(rule) >= others)
        {
            hits.clear();
            hits.extend_from_slice(keyword_hits);
            let (kw, cased_only) = (&self.keywords, Place::cased_keywords);
            for (f, done) in record.fields.iter().zip(scanned.iter()) {
                if *done {
                    f.value.each_str(&mut |s| cased_only(kw, s, hits));
                } else {
                    f.value.each_str(&mut |s| {
                        memo.scan(KEYWORDS, s, hits, keyword_hits, |h, k| {
                            kw.scan_str(s, lower, h, k)
                        });
                    });
                }
            }
            met.note(hits);
        }
        // A rule is a candidate when every one of its clauses was hit.
        out.extend(
            met.touched()
                .iter()
                .copied()
                .filter(|&rule| met.count(rule) == self.needs[rule as usize].len()),
        );
        out.extend_from_slice(&self.always);
        out.sort_unstable();
    }

    /// The rules that match the record, by index, into `scratch` (see
    /// [`Scratch::matched`]). Only the condition is evaluated: no result is
    /// built.
    pub fn matching(&self, record: &Record<'_>, schema: &Schema, scratch: &mut Scratch) {
        self.candidates(record, scratch);
        let bound = Bound { record, schema };
        scratch.matched.clear();
        for &r in &scratch.rules {
            if self.plans[r as usize].matches(&self.rules[r as usize], &bound) {
                scratch.matched.push(r);
            }
        }
    }

    /// A compiled rule, by index.
    pub fn rule(&self, index: u32) -> &CompiledRule {
        &self.rules[index as usize]
    }

    /// The detection rules that match, as `rsigma-eval` reports them.
    pub fn evaluate(
        &self,
        record: &Record<'_>,
        schema: &Schema,
        scratch: &mut Scratch,
    ) -> Vec<EvaluationResult> {
        self.candidates(record, scratch);
        let bound = Bound { record, schema };
        scratch
            .rules
            .iter()
            .filter_map(|&r| rsigma_eval::evaluate_rule(&self.rules[r as usize], &bound))
            .collect()
    }
}

/// The memo's place number for keyword scans.
const KEYWORDS: u32 = u32::MAX;
/// Entries in the memo (direct-mapped by hash).
const MEMO_SIZE: usize = 4096;
/// Slots noting values seen once (see [`Memo::seen_once`]).
const SEEN_ONCE_SIZE: usize = 8192;
/// Longer values are scanned every time, not remembered.
const MEMO_MAX_VALUE: usize = 512;

/// What scanning a value in a place found, remembered for the next time the
/// same value comes (logs repeat user agents, hosts, methods, paths). A pure
/// cache: a scan's result depends on the place and the value alone.
#[derive(Debug, Default)]
struct Memo {
    entries: Vec<MemoEntry>,
    /// The hashes of values seen once, by a slot of their own: a value is
    /// remembered only the second time it comes, so values that never
    /// repeat (session ids, random paths) cost no copy and do not push
    /// out the ones that do (user agents, hosts).
    seen_once: Vec<u64>,
}

#[derive(Debug, Default)]
struct MemoEntry {
    place: u32,
    value: String,
    hits: Vec<Hit>,
    keyword: Vec<Hit>,
    merged: bool,
    used: bool,
}

impl Memo {
    /// The scan of `value` in `place`: remembered, or done by `scan` (which
    /// appends to the two lists and says whether keywords were merged in).
    #[inline(always)]
    fn scan(
        &mut self,
        place: u32,
        value: &str,
        hits: &mut Vec<Hit>,
        keyword: &mut Vec<Hit>,
        scan: impl FnOnce(&mut Vec<Hit>, &mut Vec<Hit>) -> bool,
    ) -> bool {
        if value.len() > MEMO_MAX_VALUE {
            return scan(hits, keyword);
        }
        if self.entries.is_empty() {
            self.entries.resize_with(MEMO_SIZE, MemoEntry::default);
            self.seen_once = vec![0; SEEN_ONCE_SIZE];
        }
        let mut h = FxBuild::default().build_hasher();
        h.write_u32(place);
        h.write(value.as_bytes());
        let hash = h.finish();
        let e = &mut self.entries[(hash as usize) % MEMO_SIZE];
        if e.used && e.place == place && e.value == value {
            hits.extend_from_slice(&e.hits);
            keyword.extend_from_slice(&e.keyword);
            return e.merged;
        }
        // The first sighting is only noted (a hash of 0 counts as one seen).
        let door = &mut self.seen_once[(hash >> 32) as usize % SEEN_ONCE_SIZE];
        if *door != hash | 1 {
            *door = hash | 1;
            return scan(hits, keyword);
        }
        let (h0, k0) = (hits.len(), keyword.len());
        let merged = scan(hits, keyword);
        e.used = true;
        e.place = place;
        e.value.clear();
        e.value.push_str(value);
        e.hits.clear();
        e.hits.extend_from_slice(&hits[h0..]);
        e.keyword.clear();
        e.keyword.extend_from_slice(&keyword[k0..]);
        e.merged = merged;
        merged
    }
}

/// Which clauses of each rule an event met: a bit per clause, kept per
/// rule with the event's number (so nothing is cleared between events).
#[derive(Debug, Default)]
struct Marks {
    /// Per rule: the event that last touched it, and its clause bits.
    rules: Vec<(u32, u8)>,
    touched: Vec<u32>,
    event: u32,
}

/// [`Marks`] for one event.
struct Met<'m> {
    marks: &'m mut Marks,
}

impl<'m> Met<'m> {
    fn new(marks: &'m mut Marks, rules: usize) -> Met<'m> {
        if marks.rules.len() != rules {
            marks.rules = vec![(0, 0); rules];
            marks.event = 0;
        }
        marks.event = marks.event.wrapping_add(1);
        if marks.event == 0 {
            marks.rules.iter_mut().for_each(|r| *r = (0, 0));
            marks.event = 1;
        }
        marks.touched.clear();
        Met { marks }
    }

    fn note(&mut self, hits: &[Hit]) {
        let Marks {
            rules,
            touched,
            event,
        } = &mut *self.marks;
        for &h in hits {
            let rule = h >> 2;
            let Some(r) = rules.get_mut(rule as usize) else {
                continue;
            };
            if r.0 != *event {
                *r = (*event, 0);
                touched.push(rule);
            }
            r.1 |= 1 << (h & 3);
        }
    }

    /// How many clauses of the rule were met.
    fn count(&self, rule: u32) -> usize {
        match self.marks.rules.get(rule as usize) {
            Some(&(event, bits)) if event == self.marks.event => bits.count_ones() as usize,
            _ => 0,
        }
    }

    fn touched(&self) -> &[u32] {
        &self.marks.touched
    }
}

/// Buffers [`CompiledRules::evaluate`] reuses from one event to the next.
#[derive(Debug, Default)]
pub struct Scratch {
    hits: Vec<Hit>,
    met: Marks,
    rules: Vec<u32>,
    memo: Memo,
    matched: Vec<u32>,
    keyword_hits: Vec<Hit>,
    scanned: Vec<bool>,
    lower: String,
}

impl Scratch {
    /// The candidates [`CompiledRules::candidates`] found last.
    pub fn candidates(&self) -> &[u32] {
        &self.rules
    }

    /// The rules [`CompiledRules::matching`] found last.
    pub fn matched(&self) -> &[u32] {
        &self.matched
    }
}
