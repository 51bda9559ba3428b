//! JSON lines straight into a [`Record`], without building a JSON tree:
//! strings borrow from the line unless they hold escapes, field names are
//! resolved to their schema slot (aliases included) as they are read.
//!
//! The scanner answers `None` for anything it does not handle exactly as
//! the general parser ([`super::parse_json`] then normalization) would:
//! every malformed line, duplicate names after flattening and aliasing,
//! objects nested past [`MAX_DEPTH`] or inside arrays, more than
//! [`MAX_FIELDS`] fields. The caller then runs the general parser, which
//! gives the event or the error. So the fast path never changes a result;
//! the tests compare both paths line by line.

use std::borrow::Cow;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use super::json::{TIME_FIELDS, parse_time};
use super::{MAX_DEPTH, MAX_FIELDS};
use crate::record::{Entry, Field, FxBuild, Key, Record, Schema, Val};

/// Up to this many unknown names a line, each is checked against the
/// others as it comes; past it, all are sorted once at the end.
const NAMES_CHECKED_AS_THEY_COME: usize = 16;

/// Arrays nested deeper than this go to the general parser (which bounds
/// nesting itself).
const MAX_ARRAY_DEPTH: usize = 64;

pub fn scan_json<'a>(line: &'a str, schema: &Schema) -> Option<Record<'a>> {
    scan_json_with(line, schema, &mut ScanState::default())
}

/// What the scanner keeps from one line to the next: buffers, and the field
/// names of the last line with their schema entries (a log source writes its
/// fields in the same order line after line, so a name usually costs one
/// comparison instead of a hash lookup).
#[derive(Debug, Default)]
pub struct ScanState {
    names: Vec<u64>,
    /// Whether two names hashed alike in this line (checked as they come
    /// while few, else by sorting at the end).
    names_clash: bool,
    /// The fields of one shared slot (a buffer of
    /// [`Scanner::resolve_aliases`]).
    group: Vec<usize>,
    /// Per schema slot, the line (by [`ScanState::line`]) that last filled
    /// it: a second field in one slot is seen as it comes, without sorting.
    filled: Vec<u32>,
    line: u32,
    /// The slots a second field landed in, this line.
    shared: Vec<u32>,
    /// (field index, start, end) of names read under an alias, as written.
    aliases: Vec<(usize, usize, usize)>,
    /// Names read under an alias that are not a slice of the line.
    owned_aliases: Vec<(usize, String)>,
    path: String,
    /// Per field position, the names lately read there with their entries.
    last: Vec<Ways>,
    /// Field lists of records given back (see [`ScanState::recycle`]),
    /// emptied, their allocations kept for the next lines.
    spare: Vec<Vec<Field<'static>>>,
    /// The minute of the last UTC time read.
    minute: Minute,
    /// Fields dropped by [`Scanner::resolve_aliases`] (a buffer).
    dropped: Vec<usize>,
}

/// Times in a stream mostly fall in the minute of the one before: the
/// last `YYYY-MM-DDTHH:MM:` read in full (by chrono), with its instant,
/// so the next time in that minute costs its seconds only. A time not in
/// that shape is read in full, so the answers are chrono's.
#[derive(Debug, Default)]
struct Minute {
    prefix: [u8; 17],
    /// The minute's day, and its first second counted from midnight.
    start: Option<(chrono::NaiveDate, u32)>,
}

impl Minute {
    fn parse(&mut self, text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        let b = text.as_bytes();
        if let (Some((day, first)), Some(head), Some(rest)) = (self.start, b.get(..17), b.get(17..))
            && head[16] == self.prefix[16]
            && same_bytes(&head[..16], &self.prefix[..16])
            && let Some((seconds, nanos)) = seconds_and_fraction(rest)
        {
            let time =
                chrono::NaiveTime::from_num_seconds_from_midnight_opt(first + seconds, nanos)?;
            return Some(day.and_time(time).and_utc());
        }
        let t = parse_time(text)?;
        if let (Some(head), Some(rest)) = (b.get(..17), b.get(17..))
            && head[10] == b'T'
            && head[16] == b':'
            && let Some((seconds, _)) = seconds_and_fraction(rest)
        {
            use chrono::Timelike;
            let naive = t.naive_utc();
            let of_day = naive.time().num_seconds_from_midnight();
            // Only when the instant is that minute's, as written (a `Z`
            // time always is).
            if of_day % 60 == seconds {
                self.prefix.copy_from_slice(head);
                self.start = Some((naive.date(), of_day - seconds));
            }
        }
        Some(t)
    }
}

/// `SS` then `Z`, or `SS.f…Z` with one to nine digits: seconds since the
/// minute began and nanoseconds. Leap seconds and anything else: `None`.
fn seconds_and_fraction(rest: &[u8]) -> Option<(u32, u32)> {
    let digit = |b: u8| b.is_ascii_digit().then(|| b - b'0');
    let (tens, ones) = (digit(*rest.first()?)?, digit(*rest.get(1)?)?);
    let seconds = u32::from(tens * 10 + ones);
    if seconds > 59 {
        return None;
    }
    let nanos = match &rest[2..] {
        [b'Z'] => 0,
        [b'.', fraction @ .., b'Z'] if (1..=9).contains(&fraction.len()) => {
            let mut n = 0u32;
            for &c in fraction {
                n = n * 10 + u32::from(digit(c)?);
            }
            const SCALE: [u32; 10] = [
                1_000_000_000,
                100_000_000,
                10_000_000,
                1_000_000,
                100_000,
                10_000,
                1_000,
                100,
                10,
                1,
            ];
            n * SCALE[fraction.len()]
        }
        _ => return None,
    };
    Some((seconds, nanos))
}

impl ScanState {
    /// Takes the field lists of records that are done with, for reuse.
    pub(crate) fn recycle(&mut self, fields: Vec<Field<'_>>) {
        // Bounded: at most 4,096 lists, none larger than an ordinary event's
        // (a hostile line with a thousand fields is not kept for later).
        if self.spare.len() < 4096 && fields.capacity() <= 128 {
            self.spare.push(relabel(fields));
        }
    }

    fn fields<'a>(&mut self) -> Vec<Field<'a>> {
        // An empty list of 'static fields serves any lifetime as it is.
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.last.len().max(8)))
    }
}

/// Names remembered per field position: sources that interleave a few
/// shapes of event (web, proxy, DNS) each find theirs.
const WAYS: usize = 4;

#[derive(Debug, Default)]
struct Ways {
    names: Vec<Way>,
    /// The way the next new name replaces.
    next: usize,
}

/// A name seen at a field's place: the name, its entry, its hash and the
/// name to share (for names without an entry).
type Way = (String, Option<Entry>, u64, Option<Arc<str>>);

/// An emptied list of fields, for values of another lifetime: collecting an
/// empty iterator into the same layout reuses the allocation (no unsafe).
fn relabel<'b>(v: Vec<Field<'_>>) -> Vec<Field<'b>> {
    // Fields are dropped by hand: only what owns memory is freed, without
    // a call into the general drop of a value per field.
    v.into_iter()
        .filter_map(|f| -> Option<Field<'b>> {
            match f.key {
                Key::Name(Cow::Owned(name)) => drop(name),
                Key::Shared(name) => drop(name),
                Key::Slot(_) | Key::Name(Cow::Borrowed(_)) => {}
            }
            match f.value {
                Val::Str(Cow::Owned(s)) => drop(s),
                Val::List(items) => drop(items),
                Val::Str(Cow::Borrowed(_))
                | Val::Null
                | Val::Bool(_)
                | Val::Int(_)
                | Val::Float(_) => {}
            }
            None
        })
        .collect()
}

/// [`scan_json`] with buffers and the name cache kept in `state`, which
/// must only ever see this one schema (see [`super::LineParser`]).
pub(crate) fn scan_json_with<'a>(
    line: &'a str,
    schema: &Schema,
    state: &mut ScanState,
) -> Option<Record<'a>> {
    if !schema.simple {
        return None;
    }
    state.names.clear();
    state.names_clash = false;
    state.shared.clear();
    state.line = state.line.wrapping_add(1);
    if state.line == 0 {
        // After 2^32 lines the marks could repeat: start them afresh.
        state.filled.iter_mut().for_each(|m| *m = 0);
        state.line = 1;
    }
    state.aliases.clear();
    state.owned_aliases.clear();
    state.path.clear();
    let mut s = Scanner {
        text: line,
        bytes: line.as_bytes(),
        pos: 0,
        fields: state.fields(),
        times: Default::default(),
        schema,
        state,
    };
    s.ws();
    s.eat(b'{')?;
    s.object(0)?;
    s.ws();
    if s.pos != s.bytes.len() {
        return None;
    }
    if s.state.names.len() > NAMES_CHECKED_AS_THEY_COME {
        s.state.names.sort_unstable();
        s.state.names_clash = s.state.names.windows(2).any(|w| w[0] == w[1]);
    }
    if s.state.names_clash {
        return None;
    }
    if !s.state.shared.is_empty() {
        s.resolve_aliases()?;
    }
    let Scanner { times, state, .. } = &mut s;
    let timestamp = times
        .iter()
        .find_map(|t| t.as_deref().and_then(|t| state.minute.parse(t)));
    Some(Record {
        timestamp,
        fields: s.fields,
        unnormalized: false,
    })
}

struct Scanner<'a, 's> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    fields: Vec<Field<'a>>,
    /// The string values of [`TIME_FIELDS`], by their raw names.
    times: [Option<Cow<'a, str>>; TIME_FIELDS.len()],
    schema: &'s Schema,
    state: &'s mut ScanState,
}

impl<'a> Scanner<'a, '_> {
    #[inline]
    fn ws(&mut self) {
        // Most lines have no space between tokens: one test says so.
        if self.bytes.get(self.pos).is_some_and(|&b| b > b' ') {
            return;
        }
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.bytes.get(self.pos) == Some(&b)).then(|| self.pos += 1)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The members of an object whose `{` was read, flattened under `path`.
    fn object(&mut self, depth: usize) -> Option<()> {
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            let outer = self.state.path.len();
            let nested = !self.state.path.is_empty();
            if nested {
                self.state.path.push('.');
                self.state.path.push_str(&key);
            }
            if self.peek() == Some(b'{') {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                if !nested {
                    self.state.path.push_str(&key);
                }
                self.object(depth + 1)?;
            } else {
                let value = self.value(0)?;
                if nested {
                    let path = std::mem::take(&mut self.state.path);
                    let pushed = self.push(&path, None, value);
                    self.state.path = path;
                    pushed?;
                } else {
                    match key {
                        Cow::Borrowed(name) => self.push(name, Some(name), value)?,
                        Cow::Owned(raw) => self.push(&raw, None, value)?,
                    }
                }
            }
            self.state.path.truncate(outer);
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Files a value under its dotted name as written (`raw`); `name` is
    /// that name borrowed from the line when it can be.
    #[inline(always)]
    fn push(&mut self, raw: &str, name: Option<&'a str>, value: Val<'a>) -> Option<()> {
        let index = self.fields.len();
        if index >= MAX_FIELDS {
            return None;
        }
        if self.state.last.len() <= index {
            self.state.last.resize_with(index + 1, Ways::default);
        }
        let ways = &mut self.state.last[index];
        let (entry, hash, shared) = match ways.names.iter().find(|(name, ..)| same(name, raw)) {
            Some((_, entry, hash, shared)) => {
                // A name the line holds needs no shared copy.
                let shared = if name.is_none() { shared.clone() } else { None };
                (*entry, *hash, shared)
            }
            None => {
                let entry = self.schema.entry(raw);
                let mut h = FxBuild::default().build_hasher();
                h.write(raw.as_bytes());
                let hash = h.finish();
                let shared: Option<Arc<str>> = entry.is_none().then(|| raw.into());
                let way = (raw.to_owned(), entry, hash, shared.clone());
                if ways.names.len() < WAYS {
                    ways.names.push(way);
                } else {
                    ways.names[ways.next] = way;
                    ways.next = (ways.next + 1) % WAYS;
                }
                (entry, hash, shared)
            }
        };
        let key = match entry {
            Some(e) => {
                if let (Some(rank), Val::Str(s)) = (e.time, &value) {
                    self.times[usize::from(rank)] = Some(s.clone());
                }
                if e.alias {
                    match name {
                        Some(n) => {
                            let start = n.as_ptr() as usize - self.text.as_ptr() as usize;
                            self.state.aliases.push((index, start, start + n.len()));
                        }
                        _ => self.state.owned_aliases.push((index, raw.to_owned())),
                    }
                }
                let slot = e.slot as usize;
                if self.state.filled.len() <= slot {
                    self.state.filled.resize(self.schema.len().max(slot + 1), 0);
                }
                if self.state.filled[slot] == self.state.line {
                    self.state.shared.push(e.slot);
                }
                self.state.filled[slot] = self.state.line;
                Key::Slot(e.slot)
            }
            None => {
                if self.state.names.len() < NAMES_CHECKED_AS_THEY_COME
                    && self.state.names.contains(&hash)
                {
                    self.state.names_clash = true;
                }
                self.state.names.push(hash);
                match (name, shared) {
                    (Some(name), _) => Key::Name(Cow::Borrowed(name)),
                    (None, Some(shared)) => Key::Shared(shared),
                    (None, None) => Key::Name(Cow::Owned(raw.to_owned())),
                }
            }
        };
        self.fields.push(Field { key, value });
        Some(())
    }

    /// The name a field was written under, when it was read under an alias.
    fn alias_of(&self, field: usize) -> Option<&str> {
        if let Some(&(_, start, end)) = self.state.aliases.iter().find(|a| a.0 == field) {
            return self.text.get(start..end);
        }
        self.state
            .owned_aliases
            .iter()
            .find(|a| a.0 == field)
            .map(|a| a.1.as_str())
    }

    /// Several fields landed in one slot: keep the one normalization keeps
    /// (the canonical name if written, else the alias first in name order)
    /// and drop the rest. Two fields written under the same name defer to
    /// the general parser.
    fn resolve_aliases(&mut self) -> Option<()> {
        let mut drop = std::mem::take(&mut self.state.dropped);
        drop.clear();
        let mut group = std::mem::take(&mut self.state.group);
        // A slot three fields share is listed twice.
        self.state.shared.sort_unstable();
        self.state.shared.dedup();
        for &slot in &self.state.shared {
            group.clear();
            let fields = self.fields.iter().enumerate();
            group.extend(
                fields
                    .filter(|(_, f)| f.key == Key::Slot(slot))
                    .map(|(i, _)| i),
            );
            let canonical = self.schema.name(slot);
            let raw = |i: usize| self.alias_of(i).unwrap_or(canonical);
            for (n, &a) in group.iter().enumerate() {
                if group[n + 1..].iter().any(|&b| raw(a) == raw(b)) {
                    return None;
                }
            }
            let keep = group
                .iter()
                .copied()
                .find(|&i| raw(i) == canonical)
                .or_else(|| group.iter().copied().min_by_key(|&i| raw(i)))?;
            drop.extend(group.iter().copied().filter(|&i| i != keep));
        }
        self.state.group = group;
        drop.sort_unstable();
        for &i in drop.iter().rev() {
            self.fields.remove(i);
        }
        self.state.dropped = drop;
        Some(())
    }

    /// A value other than an object member's nested object.
    fn value(&mut self, depth: usize) -> Option<Val<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Val::Str),
            b'[' => {
                if depth >= MAX_ARRAY_DEPTH {
                    return None;
                }
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat(b']').is_some() {
                    return Some(Val::List(items));
                }
                loop {
                    self.ws();
                    if self.peek()? == b'{' {
                        return None;
                    }
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(Val::List(items));
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal("true", Val::Bool(true)),
            b'f' => self.literal("false", Val::Bool(false)),
            b'n' => self.literal("null", Val::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &str, v: Val<'a>) -> Option<Val<'a>> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Some(v)
        } else {
            None
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number, valued as `serde_json` values it and as the general
    /// parser maps it (an integer that fits `i64`, else a float).
    fn number(&mut self) -> Option<Val<'a>> {
        let start = self.pos;
        let negative = self.eat(b'-').is_some();
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        let mut integer = true;
        if self.eat(b'.').is_some() {
            integer = false;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        let text = &self.text[start..self.pos];
        if integer && let Ok(i) = text.parse::<i64>() {
            // serde_json reads "-0" as the float -0.0.
            if !(negative && i == 0) {
                return Some(Val::Int(i));
            }
        }
        match serde_json::from_str::<serde_json::Value>(text).ok()? {
            serde_json::Value::Number(n) => Some(
                n.as_i64()
                    .map(Val::Int)
                    .or_else(|| n.as_f64().map(Val::Float))
                    .unwrap_or(Val::Null),
            ),
            _ => None,
        }
    }

    /// A string at the cursor, borrowed unless it holds escapes.
    #[inline(always)]
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.pos;
        self.pos = plain_run(self.bytes, self.pos);
        if self.bytes.get(self.pos) == Some(&b'"') {
            let s = self.text.get(start..self.pos)?;
            self.pos += 1;
            return Some(Cow::Borrowed(s));
        }
        self.escaped(start)
    }

    /// The rest of a string from `start` whose plain run stopped at the
    /// cursor on something other than its closing quote.
    #[cold]
    #[inline(never)]
    fn escaped(&mut self, start: usize) -> Option<Cow<'a, str>> {
        if *self.bytes.get(self.pos)? != b'\\' {
            return None;
        }
        let mut out = String::from(&self.text[start..self.pos]);
        loop {
            let b = *self.bytes.get(self.pos)?;
            match b {
                b'"' => {
                    self.pos += 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    self.pos += 1;
                    let c = match self.peek()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            let c = match hi {
                                0xD800..=0xDBFF => {
                                    self.eat(b'\\')?;
                                    self.eat(b'u')?;
                                    let lo = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&lo) {
                                        return None;
                                    }
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                                }
                                0xDC00..=0xDFFF => return None,
                                _ => char::from_u32(hi)?,
                            };
                            out.push(c);
                            continue;
                        }
                        _ => return None,
                    };
                    self.pos += 1;
                    out.push(c);
                }
                0..=0x1f => return None,
                _ => {
                    // Copy the run up to the next quote or escape whole.
                    let run = plain_run(self.bytes, self.pos);
                    out.push_str(self.text.get(self.pos..run)?);
                    self.pos = run;
                }
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16).ok()
    }
}

/// Whether two names are equal, in words for short ones (field names),
/// without a call.
#[inline]
fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let word = |s: &[u8], at: usize| -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// The end of the run of bytes from `at` that a JSON string holds as they
/// are: up to a quote, a backslash or a control character. Eight bytes at a
/// time while none is in sight.
fn plain_run(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let stop = control
            | zero_byte(w ^ (ONES * u64::from(b'"')))
            | zero_byte(w ^ (ONES * u64::from(b'\\')));
        if stop != 0 {
            // The lowest flagged byte is exact (a borrow only runs upward
            // from a true hit), so it is where the run ends.
            return at + (stop.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::FieldMap;

    #[test]
    fn plain_runs_end_where_a_byte_loop_ends() {
        let alphabet = [
            b'a', b' ', b'"', b'\\', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xc3, 0xff, b'!',
        ];
        let mut rng = crate::synthetic::Rng::new(7);
        for _ in 0..20_000 {
            let len = rng.below(40);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    // Mostly plain letters, as in logs.
                    if rng.below(6) == 0 {
                        alphabet[rng.below(alphabet.len())]
                    } else {
                        b'a'
                    }
                })
                .collect();
            let from = rng.below(len + 1);
            let naive = (from..len)
                .find(|&i| matches!(bytes[i], b'"' | b'\\') || bytes[i] < 0x20)
                .unwrap_or(len);
            assert_eq!(plain_run(&bytes, from), naive, "{bytes:?} from {from}");
        }
    }

    fn schema() -> Schema {
        Schema::new(&FieldMap::default())
    }

    #[test]
    fn fields_borrow_from_the_line_and_find_their_slots() {
        let schema = schema();
        let line = r#" {"@timestamp":"2026-11-28T01:02:03Z","c-ip":"192.0.2.1","user":{"name":"JM0000001","roles":["a","b"]},"sc-status":404,"n":-0,"f":1.5,"big":18446744073709551615,"esc":"a\"b\u00e9\ud83d\ude00","t":true,"z":null} "#;
        let r = scan_json(line, &schema).expect("handled by the scanner");
        assert_eq!(r.timestamp.map(|t| t.timestamp()), Some(1_795_827_723));
        let get = |n: &str| r.get(&schema, n).cloned();
        assert!(matches!(
            get("source.ip"),
            Some(Val::Str(Cow::Borrowed("192.0.2.1")))
        ));
        assert_eq!(
            get("c-ip"),
            get("source.ip"),
            "aliases find their canonical slot"
        );
        assert_eq!(get("http.response.status_code"), Some(Val::Int(404)));
        assert_eq!(get("user.name"), Some(Val::Str("JM0000001".into())));
        assert_eq!(
            get("user.roles"),
            Some(Val::List(vec![Val::Str("a".into()), Val::Str("b".into())]))
        );
        assert!(matches!(get("n"), Some(Val::Float(f)) if f == 0.0 && f.is_sign_negative()));
        assert_eq!(get("f"), Some(Val::Float(1.5)));
        assert_eq!(get("big"), Some(Val::Float(18_446_744_073_709_551_615.0)));
        assert_eq!(get("esc"), Some(Val::Str("a\"bé😀".into())));
        assert_eq!(get("t"), Some(Val::Bool(true)));
        assert_eq!(get("z"), Some(Val::Null));
    }

    #[test]
    fn aliases_of_one_field_resolve_as_normalization_does() {
        let schema = schema();
        let get = |line: &str| {
            let r = scan_json(line, &schema).expect("handled by the scanner");
            (
                r.fields.len(),
                r.get(&schema, "source.ip")
                    .and_then(|v| v.as_str().map(str::to_owned)),
            )
        };
        let canonical = r#"{"src_ip":"192.0.2.1","source":{"ip":"192.0.2.2"},"c-ip":"192.0.2.3"}"#;
        assert_eq!(get(canonical), (1, Some("192.0.2.2".into())));
        let aliases = r#"{"src_ip":"192.0.2.1","c-ip":"192.0.2.3","clientip":"192.0.2.4"}"#;
        assert_eq!(
            get(aliases),
            (1, Some("192.0.2.3".into())),
            "first in name order"
        );
    }

    /// A time in the minute of the one before is read from its seconds,
    /// and always as chrono reads it.
    #[test]
    fn times_in_the_same_minute_read_as_chrono_reads_them() {
        let mut minute = Minute::default();
        let mut rng = crate::synthetic::Rng::new(60);
        let tails = [
            "Z",
            ".5Z",
            ".123456789Z",
            ".1234567890Z",
            "+09:00",
            "z",
            ".Z",
            "",
            "Zx",
        ];
        for _ in 0..50_000 {
            let text = format!(
                "2026-{:02}-{:02}T{:02}:{:02}:{:02}{}",
                1 + rng.below(2),
                28 + rng.below(3),
                23 + rng.below(2),
                58 + rng.below(3),
                rng.below(62),
                tails[rng.below(tails.len())]
            );
            assert_eq!(minute.parse(&text), parse_time(&text), "{text}");
        }
        // The cache only ever answers for a minute chrono read.
        let mut fresh = Minute::default();
        assert_eq!(fresh.parse("2026-02-30T00:00:05Z"), None);
        assert_eq!(fresh.parse("2026-02-30T00:00:06Z"), None);
    }

    /// Names written twice (after flattening) go to the general parser,
    /// however many other names the line has; aliases sharing a slot are
    /// resolved, also on a state that has seen other lines.
    #[test]
    fn repeated_names_are_seen_without_sorting() {
        let schema = schema();
        let mut state = ScanState::default();
        let many = |n: usize, repeat: Option<usize>| {
            let mut parts: Vec<String> = (0..n).map(|i| format!(r#""k{i}":"v""#)).collect();
            if let Some(r) = repeat {
                parts.push(format!(r#""k{r}":"again""#));
            }
            format!("{{{}}}", parts.join(","))
        };
        for n in [1, 5, 15, 16, 17, 40] {
            let line = many(n, None);
            assert!(
                scan_json_with(&line, &schema, &mut state).is_some(),
                "{n} names"
            );
            for r in [0, n / 2, n - 1] {
                let line = many(n, Some(r));
                assert!(
                    scan_json_with(&line, &schema, &mut state).is_none(),
                    "{n} names, k{r} twice"
                );
            }
        }
        let flattened = r#"{"a.b":"1","a":{"b":"2"}}"#;
        assert!(scan_json_with(flattened, &schema, &mut state).is_none());
        let shared = r#"{"src_ip":"192.0.2.1","c-ip":"192.0.2.3"}"#;
        for _ in 0..3 {
            let r = scan_json_with(shared, &schema, &mut state).expect("aliases resolve");
            assert_eq!(r.fields.len(), 1);
        }
        let single = r#"{"c-ip":"192.0.2.3"}"#;
        let r = scan_json_with(single, &schema, &mut state).expect("one field");
        assert_eq!(
            r.fields.len(),
            1,
            "a slot filled on an earlier line is free again"
        );
    }

    #[test]
    fn a_parser_keeps_its_answers_across_lines_and_recycled_records() {
        use crate::parse::{Format, LineParser, parse_record};
        let map = FieldMap::default();
        let schema = std::sync::Arc::new(schema());
        let reference = chrono::DateTime::UNIX_EPOCH;
        let mut parser = LineParser::new(Format::JsonLines, &map, schema.clone(), reference);
        let lines = [
            r#"{"c-ip":"192.0.2.1","a":{"b":"x"},"n":1}"#,
            r#"{"c-ip":"192.0.2.2","a":{"c":"y"},"n":2}"#,
            r#"{"a":{"b":"z"},"c-ip":"192.0.2.3"}"#,
            r#"{"src_ip":"192.0.2.4","c-ip":"192.0.2.5"}"#,
            "not json",
        ];
        for _ in 0..3 {
            let mut batch = Vec::new();
            for line in lines {
                let fresh = parse_record(line, Format::JsonLines, &map, &schema, reference);
                let kept = parser.parse(line);
                assert_eq!(kept, fresh, "{line}");
                if let Ok(r) = kept {
                    batch.push(r);
                }
            }
            parser.recycle(&mut batch);
            assert!(batch.is_empty());
        }
    }

    #[test]
    fn what_it_cannot_answer_exactly_it_defers() {
        let schema = schema();
        for line in [
            r#"{"c-ip":"192.0.2.1","c-ip":"192.0.2.2"}"#,
            r#"{"source.ip":"192.0.2.1","source":{"ip":"192.0.2.2"}}"#,
            r#"{"a":{"b":1},"a.b":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":[{"b":1}]}"#,
            r#"{"a":"\ud800"}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":1} x"#,
            r#"[1]"#,
            "",
        ] {
            assert!(scan_json(line, &schema).is_none(), "{line}");
        }
    }
}
