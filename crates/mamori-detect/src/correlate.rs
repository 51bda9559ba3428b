//! mamori's own sliding-window correlations: `event_count` and
//! `value_count`, the shapes of list-based login attacks, spraying and bulk
//! reads. Compiled by `rsigma-eval` (so a rule means what it means there),
//! run here with incremental counts: a distinct count costs O(1) per event
//! where `rsigma-eval` rebuilds a set of the whole window. Every other
//! correlation (temporal, sums, tumbling and session windows, chains) stays
//! with `rsigma-eval`'s engine.
//!
//! With `lateness` 0 the semantics are `rsigma-eval`'s, event for event (the
//! differential test holds them to it): a window is what arrived within
//! `timespan` before the event, in arrival order. With `lateness` L > 0,
//! events may arrive up to L seconds behind the newest one of their group
//! and are counted where they belong in time: each event is judged on the
//! window `[t - timespan, t]` of its own time, and entries are kept until
//! they fall L seconds behind every window they could still belong to.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use rsigma_eval::correlation::{CompiledCorrelation, GroupByField};
use rsigma_eval::{CorrelationAction, CorrelationEventMode};
use rsigma_parser::{CorrelationType, WindowMode};

use crate::record::FxBuild;
use crate::sigma::RuleHit;

/// Limits of the correlation state.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Windows kept (across correlations and groups) before eviction.
    pub max_state: usize,
    /// Entries kept inside one window.
    pub max_group_entries: usize,
    /// After firing for a group, quiet for this long (event time).
    pub suppress_secs: i64,
    /// How far behind the newest event of its group an event may arrive and
    /// still be counted where it belongs (seconds); `None`: events count in
    /// arrival order, as in `rsigma-eval`.
    pub lateness_secs: Option<i64>,
}

#[derive(Debug)]
struct Correlation {
    compiled: CompiledCorrelation,
    distinct: bool,
    /// `temporal` (false) or `temporal_ordered` (true).
    temporal: Option<bool>,
    /// For each referenced rule, the list its hits go to (the first place
    /// its name stands in `rule_refs`).
    lists: Vec<usize>,
}

/// One group's window. Entries are in time order; `from` is the first entry
/// inside the current window (`[newest - timespan, newest]`), whose values
/// `counts` holds.
#[derive(Debug, Default)]
struct Window {
    /// Values are shared with `counts`: one allocation per event.
    entries: VecDeque<(i64, Arc<str>)>,
    from: usize,
    counts: HashMap<Arc<str>, u32, FxBuild>,
    newest: i64,
    /// Temporal correlations: the hit times of each referenced rule, in time
    /// order.
    hits: Vec<VecDeque<i64>>,
    /// The correlation it belongs to.
    corr: usize,
}

impl Window {
    fn is_empty(&self) -> bool {
        self.entries.len() <= self.from && self.hits.iter().all(VecDeque::is_empty)
    }

    fn latest(&self) -> i64 {
        let hits = self.hits.iter().filter_map(|h| h.back().copied()).max();
        self.entries
            .back()
            .map(|e| e.0)
            .max(hits)
            .unwrap_or(i64::MIN)
    }

    fn count_out(&mut self, i: usize, distinct: bool) {
        if distinct && let Some(c) = self.counts.get_mut(&self.entries[i].1) {
            *c -= 1;
            if *c == 0 {
                self.counts.remove(&self.entries[i].1);
            }
        }
    }

    fn count_in(&mut self, value: &Arc<str>, distinct: bool) {
        if distinct {
            match self.counts.get_mut(&**value) {
                Some(c) => *c += 1,
                None => {
                    self.counts.insert(Arc::clone(value), 1);
                }
            }
        }
    }

    /// Moves the window's start to `cutoff` and drops entries older than
    /// `keep_from` (never later than `cutoff`).
    fn advance(&mut self, cutoff: i64, keep_from: i64, distinct: bool) {
        while self.from < self.entries.len() && self.entries[self.from].0 < cutoff {
            self.count_out(self.from, distinct);
            self.from += 1;
        }
        while self.from > 0 && self.entries.front().is_some_and(|e| e.0 < keep_from) {
            self.entries.pop_front();
            self.from -= 1;
        }
    }

    /// Keeps the newest `cap` entries.
    fn truncate(&mut self, cap: usize, distinct: bool) {
        while self.entries.len() > cap.max(1) {
            if self.from == 0 {
                self.count_out(0, distinct);
            } else {
                self.from -= 1;
            }
            self.entries.pop_front();
        }
    }

    fn current(&self, distinct: bool) -> f64 {
        if distinct {
            self.counts.len() as f64
        } else {
            (self.entries.len() - self.from) as f64
        }
    }

    /// The count over `[start, end]` (a late event's own window).
    fn over(&self, start: i64, end: i64, distinct: bool) -> f64 {
        let lo = self.entries.partition_point(|e| e.0 < start);
        let hi = self.entries.partition_point(|e| e.0 <= end);
        if !distinct {
            return hi.saturating_sub(lo) as f64;
        }
        let mut seen: Vec<&str> = self.entries.range(lo..hi.max(lo)).map(|e| &*e.1).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len() as f64
    }
}

/// The correlations run here, their state, and what they fired.
#[derive(Debug)]
pub struct Correlations {
    list: Vec<Correlation>,
    by_rule: HashMap<String, Vec<usize>, FxBuild>,
    /// hashbrown's map: a window is found or made with one lookup.
    state: hashbrown::HashMap<String, Window, FxBuild>,
    last_alert: HashMap<String, i64, FxBuild>,
    limits: Limits,
    key: String,
    /// The correlations an update feeds (a buffer).
    targets: Vec<usize>,
    /// The value every plain count stores.
    empty: Arc<str>,
}

impl Correlations {
    pub fn new(limits: Limits) -> Self {
        Correlations {
            list: Vec::new(),
            by_rule: HashMap::default(),
            state: hashbrown::HashMap::default(),
            last_alert: HashMap::default(),
            limits,
            key: String::new(),
            targets: Vec::new(),
            empty: Arc::from(""),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether a compiled correlation is one this module runs.
    pub fn supports(c: &CompiledCorrelation) -> bool {
        matches!(
            c.correlation_type,
            CorrelationType::EventCount
                | CorrelationType::ValueCount
                | CorrelationType::Temporal
                | CorrelationType::TemporalOrdered
        ) && c.window_mode == WindowMode::Sliding
            && c.extended_expr.is_none()
            && c.action.is_none_or(|a| a == CorrelationAction::Alert)
            && c.event_mode.is_none_or(|m| m == CorrelationEventMode::None)
            && c.max_group_entries.is_none()
            && c.suppress_secs.is_none()
            && c.condition.percentile.is_none()
    }

    pub fn add(&mut self, compiled: CompiledCorrelation) {
        let idx = self.list.len();
        for r in &compiled.rule_refs {
            self.by_rule.entry(r.clone()).or_default().push(idx);
        }
        let distinct = compiled.correlation_type == CorrelationType::ValueCount;
        let temporal = match compiled.correlation_type {
            CorrelationType::Temporal => Some(false),
            CorrelationType::TemporalOrdered => Some(true),
            _ => None,
        };
        let lists = compiled
            .rule_refs
            .iter()
            .map(|r| compiled.rule_refs.iter().position(|x| x == r).unwrap_or(0))
            .collect();
        self.list.push(Correlation {
            compiled,
            distinct,
            temporal,
            lists,
        });
    }

    /// Whether a detection of the rule (by id or name) feeds a correlation
    /// here.
    pub fn feeds(&self, id: Option<&str>, name: Option<&str>) -> bool {
        [id, name]
            .into_iter()
            .flatten()
            .any(|r| self.by_rule.contains_key(r))
    }

    /// Before an event's detections are fed: bounds the state. At the cap,
    /// windows that have emptied go first, then the stalest until a tenth
    /// is free, so the work is paid once per tenth of the cap, never per
    /// event. (`rsigma-eval` stops as soon as it is under the cap, which
    /// under steady new groups means a full pass per event.)
    pub fn bound(&mut self, now: i64) {
        if self.state.len() < self.limits.max_state {
            return;
        }
        let list = &self.list;
        let lateness = self.limits.lateness_secs.unwrap_or(0);
        self.state.retain(|_, w| {
            if let Some(c) = list.get(w.corr) {
                let cutoff = now - c.compiled.timespan_secs as i64;
                w.advance(cutoff, cutoff - lateness, c.distinct);
                for h in &mut w.hits {
                    while h.front().is_some_and(|t| *t < cutoff - lateness) {
                        h.pop_front();
                    }
                }
            }
            !w.is_empty()
        });
        let target = self.limits.max_state * 9 / 10;
        if self.state.len() > target {
            let excess = self.state.len() - target;
            let mut by_age: Vec<(i64, String)> = self
                .state
                .iter()
                .map(|(k, w)| (w.latest(), k.clone()))
                .collect();
            by_age.select_nth_unstable(excess - 1);
            for (_, key) in by_age.into_iter().take(excess) {
                self.state.remove(&key);
                self.last_alert.remove(&key);
            }
        }
        let suppress = self.limits.suppress_secs;
        self.last_alert.retain(|_, t| now - *t < suppress);
    }

    /// Feeds one detection of the rule (`id`, `name`) at event time `ts`.
    /// `field(name, null_is_text)` reads the event's fields as text (a
    /// borrowed value costs no copy). Fired correlations go to `out`.
    pub fn feed<'e>(
        &mut self,
        id: Option<&str>,
        name: Option<&str>,
        ts: i64,
        field: &impl Fn(&str, bool) -> Option<Cow<'e, str>>,
        out: &mut Vec<RuleHit>,
    ) {
        let (mut refs, mut n) = ([""; 2], 0);
        for r in [id, name].into_iter().flatten() {
            refs[n] = r;
            n += 1;
        }
        let refs = &refs[..n];
        let mut targets = std::mem::take(&mut self.targets);
        targets.clear();
        for r in refs {
            targets.extend(self.by_rule.get(*r).into_iter().flatten().copied());
        }
        targets.sort_unstable();
        targets.dedup();
        for &idx in &targets {
            self.update(idx, refs, ts, field, out);
        }
        self.targets = targets;
    }

    fn update<'e>(
        &mut self,
        idx: usize,
        refs: &[&str],
        ts: i64,
        field: &impl Fn(&str, bool) -> Option<Cow<'e, str>>,
        out: &mut Vec<RuleHit>,
    ) {
        let c = &self.list[idx];
        let distinct = c.distinct;
        let span = c.compiled.timespan_secs as i64;
        // The state key: correlation, then the group's values (read again
        // only when the correlation fires).
        self.key.clear();
        push_number(&mut self.key, idx);
        for g in &c.compiled.group_by {
            let v = field(resolve(g, refs), false).map(kept);
            self.key.push('\u{1e}');
            match &v {
                Some(v) => {
                    self.key.push('=');
                    self.key.push_str(v);
                }
                None => self.key.push('\u{0}'),
            }
        }
        let group = |c: &Correlation| -> Vec<Option<String>> {
            c.compiled
                .group_by
                .iter()
                .map(|g| field(resolve(g, refs), false).map(|v| kept(v).into_owned()))
                .collect()
        };
        if let Some(ordered) = c.temporal {
            let list = refs
                .iter()
                .find_map(|r| c.compiled.rule_refs.iter().position(|x| x == r))
                .map(|i| c.lists[i]);
            return self.update_temporal(idx, ordered, list, ts, &group, out);
        }
        let value = if distinct {
            let fields = c.compiled.condition.field.as_deref().unwrap_or_default();
            match fields {
                [one] => field(one, true).map(kept),
                _ => {
                    let mut parts = Vec::with_capacity(fields.len());
                    for f in fields {
                        match field(f, true) {
                            Some(v) => parts.push(v),
                            None => {
                                parts.clear();
                                break;
                            }
                        }
                    }
                    (!parts.is_empty()).then(|| kept(Cow::Owned(parts.join("\u{1f}"))))
                }
            }
        } else {
            Some(Cow::Borrowed(""))
        };
        let cap = self.limits.max_group_entries;
        let lateness = self.limits.lateness_secs.unwrap_or(0);
        let window = window_for(&mut self.state, &self.key, idx);
        let Some(late) = arrival(window, ts, self.limits.lateness_secs) else {
            return;
        };
        if !late {
            window.newest = ts;
            window.advance(ts - span, ts - span - lateness, distinct);
        }
        if let Some(v) = value {
            // In time order: an on-time event goes last.
            let at = if late {
                window.entries.partition_point(|e| e.0 <= ts)
            } else {
                window.entries.len()
            };
            let v: Arc<str> = if v.is_empty() {
                Arc::clone(&self.empty)
            } else {
                Arc::from(v)
            };
            window.entries.insert(at, (ts, Arc::clone(&v)));
            if at < window.from || (late && ts < window.newest - span) {
                window.from += 1;
            } else {
                window.count_in(&v, distinct);
            }
            window.truncate(cap, distinct);
        }
        let c = &self.list[idx];
        let mut fired = None;
        let now = window.current(distinct);
        if c.compiled.condition.check(now) {
            fired = Some(now);
        } else if late {
            let own = window.over(ts - span, ts, distinct);
            if c.compiled.condition.check(own) {
                fired = Some(own);
            }
        }
        let Some(aggregated) = fired else { return };
        self.fire(idx, ts, &group, aggregated, out);
    }

    /// A temporal correlation's update: `list` is where the rule's hit goes
    /// (none when the rule is not one of its references by either name).
    fn update_temporal(
        &mut self,
        idx: usize,
        ordered: bool,
        list: Option<usize>,
        ts: i64,
        group: &impl Fn(&Correlation) -> Vec<Option<String>>,
        out: &mut Vec<RuleHit>,
    ) {
        let c = &self.list[idx];
        let span = c.compiled.timespan_secs as i64;
        let lateness = self.limits.lateness_secs;
        let cap = self.limits.max_group_entries.max(1);
        let window = window_for(&mut self.state, &self.key, idx);
        if window.hits.len() < c.compiled.rule_refs.len() {
            window
                .hits
                .resize(c.compiled.rule_refs.len(), VecDeque::new());
        }
        let Some(late) = arrival(window, ts, lateness) else {
            return;
        };
        if !late {
            window.newest = ts;
            let keep_from = ts - span - lateness.unwrap_or(0);
            for h in &mut window.hits {
                while h.front().is_some_and(|t| *t < keep_from) {
                    h.pop_front();
                }
            }
        }
        if let Some(list) = list {
            let h = &mut window.hits[list];
            let at = h.partition_point(|t| *t <= ts);
            if late {
                h.insert(at, ts)
            } else {
                h.push_back(ts)
            }
            while h.len() > cap {
                h.pop_front();
            }
        }
        // The windows judged: all that is kept (arrival order, as
        // rsigma-eval), or the newest event's window and, for a late event,
        // its own.
        let (lo, hi) = match lateness {
            None => (i64::MIN, i64::MAX),
            Some(_) => (window.newest - span, window.newest),
        };
        let value = |lo: i64, hi: i64| temporal_value(c, &window.hits, ordered, lo, hi);
        let mut fired = Some(value(lo, hi)).filter(|v| c.compiled.condition.check(*v));
        if fired.is_none() && late {
            fired = Some(value(ts - span, ts)).filter(|v| c.compiled.condition.check(*v));
        }
        if let Some(aggregated) = fired {
            self.fire(idx, ts, group, aggregated, out);
        }
    }

    /// Reports a firing unless the group fired within the suppression time.
    fn fire(
        &mut self,
        idx: usize,
        ts: i64,
        group: &impl Fn(&Correlation) -> Vec<Option<String>>,
        aggregated: f64,
        out: &mut Vec<RuleHit>,
    ) {
        let c = &self.list[idx];
        if let Some(&last) = self.last_alert.get(self.key.as_str())
            && ts - last < self.limits.suppress_secs
        {
            return;
        }
        self.last_alert.insert(self.key.clone(), ts);
        // The group's values, read only for a firing that is reported.
        let group = group(c);
        let pairs = c
            .compiled
            .group_by
            .iter()
            .zip(group)
            .filter_map(|(g, v)| v.map(|v| (g.name().to_owned(), v)))
            .collect();
        out.push(RuleHit {
            title: c.compiled.title.as_str().into(),
            id: c.compiled.id.as_deref().map(Arc::from),
            level: c.compiled.level.as_ref().map(|l| l.as_str()),
            tags: c.compiled.tags.as_slice().into(),
            correlation: Some((pairs, aggregated)),
        });
    }
}

/// A temporal window's value over `[lo, hi]`, as `rsigma-eval` computes it:
/// `temporal`, how many referenced rules hit; `temporal_ordered`, all of
/// them (or 0) when their hits can be taken in the referenced order.
fn temporal_value(c: &Correlation, hits: &[VecDeque<i64>], ordered: bool, lo: i64, hi: i64) -> f64 {
    let within = |list: usize| {
        hits[list]
            .iter()
            .copied()
            .filter(move |t| (lo..=hi).contains(t))
    };
    if !ordered {
        return c
            .lists
            .iter()
            .filter(|l| within(**l).next().is_some())
            .count() as f64;
    }
    if c.lists.iter().any(|l| within(*l).next().is_none()) {
        return 0.0;
    }
    // The earliest possible time for each step in turn (exact: a later
    // choice never opens a sequence an earlier one closes).
    let mut at = i64::MIN;
    for &l in &c.lists {
        match within(l).filter(|t| *t >= at).min() {
            Some(t) => at = t,
            None => return 0.0,
        }
    }
    c.lists.len() as f64
}

/// The group's window, made on its first event.
fn window_for<'s>(
    state: &'s mut hashbrown::HashMap<String, Window, FxBuild>,
    key: &str,
    corr: usize,
) -> &'s mut Window {
    state.entry_ref(key).or_insert_with(|| Window {
        corr,
        ..Window::default()
    })
}

/// Whether an event at `ts` is late for the window (`Some(true)`), on time
/// (`Some(false)`), or later than the lateness allows (`None`: not counted).
/// Without a lateness, every event counts as it arrives.
fn arrival(window: &Window, ts: i64, lateness: Option<i64>) -> Option<bool> {
    let late = lateness.is_some() && !window.is_empty() && ts < window.newest;
    (!late || ts >= window.newest - lateness.unwrap_or(0)).then_some(late)
}

/// Values longer than this are kept as their SHA-256: an event cannot make
/// the state hold its megabytes (a window may keep thousands of values),
/// and distinct values stay distinct.
const MAX_KEPT_VALUE: usize = 256;

fn kept(v: Cow<'_, str>) -> Cow<'_, str> {
    if v.len() <= MAX_KEPT_VALUE {
        return v;
    }
    use sha2::Digest;
    Cow::Owned(format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(v.as_bytes()))
    ))
}

/// Appends `n` in decimal (a state key's correlation number), without the
/// formatting machinery.
fn push_number(key: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    key.extend(digits[at..].iter().map(|&d| char::from(d)));
}

fn resolve<'g>(g: &'g GroupByField, refs: &[&str]) -> &'g str {
    g.resolve(refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stuffing(max_state: usize) -> Correlations {
        let yaml = "title: t\nid: c1\ncorrelation:\n  type: value_count\n  rules: [r1]\n  group-by: [source.ip]\n  timespan: 5m\n  condition: {field: user.name, gte: 3}\nlevel: high\n";
        let parsed = rsigma_parser::parse_sigma_yaml(yaml).expect("yaml");
        let compiled = rsigma_eval::correlation::compile_correlation(&parsed.correlations[0])
            .expect("compiles");
        let mut c = Correlations::new(Limits {
            max_state,
            max_group_entries: 100,
            suppress_secs: 300,
            lateness_secs: Some(60),
        });
        c.add(compiled);
        c
    }

    #[test]
    fn huge_values_are_kept_as_digests_and_stay_distinct() {
        let mut c = stuffing(100);
        let mut out = Vec::new();
        for i in 0..3 {
            let member = format!("{i}{}", "x".repeat(100_000));
            let field = |name: &str, _: bool| match name {
                "source.ip" => Some(Cow::Owned("y".repeat(50_000))),
                "user.name" => Some(Cow::Owned(member.clone())),
                _ => None,
            };
            c.feed(Some("c0"), Some("r1"), 1_000 + i, &field, &mut out);
        }
        assert_eq!(out.len(), 1, "three distinct members fire");
        let (group, value) = out[0].correlation.clone().expect("a correlation");
        assert_eq!(value, 3.0);
        assert!(group[0].1.starts_with("sha256:") && group[0].1.len() == 71);
        let held: usize = c.state.keys().map(String::len).sum::<usize>()
            + c.state
                .values()
                .flat_map(|w| w.entries.iter().map(|e| e.1.len()))
                .sum::<usize>();
        assert!(held < 2_000, "{held} bytes held");
    }

    #[test]
    fn state_stays_bounded_and_keeps_the_freshest_windows() {
        let mut c = stuffing(10);
        let mut out = Vec::new();
        for i in 0..100i64 {
            let ip = format!("192.0.2.{i}");
            let field = |name: &str, _: bool| match name {
                "source.ip" => Some(Cow::Owned(ip.clone())),
                "user.name" => Some(Cow::Owned(format!("m{i}"))),
                _ => None,
            };
            c.bound(1_000 + i);
            c.feed(Some("c0"), Some("r1"), 1_000 + i, &field, &mut out);
            assert!(c.state.len() <= 10, "{} windows", c.state.len());
        }
        // The newest group is still counted: two more members fire it.
        for m in ["a", "b"] {
            let field = |name: &str, _: bool| match name {
                "source.ip" => Some(Cow::Borrowed("192.0.2.99")),
                "user.name" => Some(Cow::Borrowed(m)),
                _ => None,
            };
            c.bound(1_100);
            c.feed(Some("c0"), Some("r1"), 1_100, &field, &mut out);
        }
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].correlation.as_ref().map(|c| c.1), Some(3.0));
    }
}
