//! Threat-intelligence indicator sets: IP addresses and CIDR ranges (longest
//! prefix wins), domains (a listed domain matches its subdomains), URLs and
//! file hashes (MD5, SHA-1, SHA-256). Built once, read by many; a running
//! engine swaps in a new set atomically ([`SharedIndicators`]). Every match
//! says which indicator and which source it came from.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use crate::event::{Event, Value};
use crate::record::{Record, Schema, Val};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Ip,
    Cidr,
    Domain,
    Url,
    Md5,
    Sha1,
    Sha256,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ip => "ip",
            Kind::Cidr => "cidr",
            Kind::Domain => "domain",
            Kind::Url => "url",
            Kind::Md5 => "md5",
            Kind::Sha1 => "sha1",
            Kind::Sha256 => "sha256",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndicatorError {
    #[error("empty indicator")]
    Empty,
    #[error("{0:?} is not an IP address, CIDR range, domain, URL or MD5/SHA-1/SHA-256 hash")]
    Unrecognized(String),
    #[error("{0:?}: the prefix length is out of range")]
    Prefix(String),
    #[error("{0:?}: international domain names must be given in punycode (xn--…)")]
    NotAscii(String),
    #[error("more than 65,535 sources")]
    TooManySources,
}

/// An entry: what was listed, and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    pub value: Box<str>,
    source: u16,
}

/// A hit: the event field, the indicator and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorMatch {
    pub field: String,
    pub kind: Kind,
    pub indicator: String,
    pub source: String,
}

/// Fields of the common vocabulary that indicators are looked up in.
const IP_FIELDS: &[&str] = &[
    "source.ip",
    "destination.ip",
    "client.ip",
    "server.ip",
    "host.ip",
];
const DOMAIN_FIELDS: &[&str] = &[
    "destination.domain",
    "url.domain",
    "dns.question.name",
    "server.domain",
    "source.domain",
];
const URL_FIELDS: &[&str] = &["url.original", "url.full"];
const HASH_FIELDS: &[&str] = &[
    "file.hash.md5",
    "file.hash.sha1",
    "file.hash.sha256",
    "file.hash",
    "process.hash.md5",
    "process.hash.sha1",
    "process.hash.sha256",
];

/// An immutable, compact set of indicators.
#[derive(Debug, Default)]
pub struct IndicatorSet {
    /// Per prefix length present, longest first: masked address → entry.
    v4: Vec<(u8, HashMap<u32, u32>)>,
    v6: Vec<(u8, HashMap<u128, u32>)>,
    domains: HashMap<Box<str>, u32>,
    urls: HashMap<Box<str>, u32>,
    hashes: HashMap<Box<[u8]>, u32>,
    entries: Vec<Entry>,
    sources: Vec<String>,
}

/// Collects indicators, then [`IndicatorSetBuilder::build`]s a set.
#[derive(Debug, Default)]
pub struct IndicatorSetBuilder {
    set: IndicatorSet,
    v4: HashMap<u8, HashMap<u32, u32>>,
    v6: HashMap<u8, HashMap<u128, u32>>,
    duplicates: usize,
}

fn mask4(addr: u32, prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        addr & (u32::MAX << (32 - u32::from(prefix)))
    }
}

fn mask6(addr: u128, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        addr & (u128::MAX << (128 - u32::from(prefix)))
    }
}

/// Lower-case, without a trailing dot; `None` when it is not a domain name.
fn normalize_domain(s: &str) -> Option<String> {
    let d = s.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    ok.then_some(d)
}

/// Scheme and host lower-cased, fragment dropped.
fn normalize_url(s: &str) -> Option<String> {
    let s = s.trim();
    let (scheme, rest) = s.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+')
    {
        return None;
    }
    let rest = rest.split('#').next().unwrap_or_default();
    let (host, path) = rest
        .find('/')
        .map_or((rest, ""), |i| (&rest[..i], &rest[i..]));
    if host.is_empty() {
        return None;
    }
    Some(format!(
        "{}://{}{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase(),
        path
    ))
}

fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?;
    Some(host.split(':').next().unwrap_or(host))
}

fn decode_hash(s: &str) -> Option<(Kind, Vec<u8>)> {
    let s = s.trim();
    let kind = match s.len() {
        32 => Kind::Md5,
        40 => Kind::Sha1,
        64 => Kind::Sha256,
        _ => return None,
    };
    let bytes = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    Some((kind, bytes))
}

impl IndicatorSetBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many values were listed more than once (the first listing is kept).
    pub fn duplicates(&self) -> usize {
        self.duplicates
    }

    fn source_id(&mut self, source: &str) -> Result<u16, IndicatorError> {
        if let Some(i) = self.set.sources.iter().position(|s| s == source) {
            return Ok(i as u16);
        }
        if self.set.sources.len() >= usize::from(u16::MAX) {
            return Err(IndicatorError::TooManySources);
        }
        self.set.sources.push(source.to_owned());
        Ok((self.set.sources.len() - 1) as u16)
    }

    fn entry(&mut self, kind: Kind, value: String, source: u16) -> u32 {
        self.set.entries.push(Entry {
            kind,
            value: value.into_boxed_str(),
            source,
        });
        (self.set.entries.len() - 1) as u32
    }

    /// Adds one indicator, recognizing its kind; returns the kind.
    pub fn add(&mut self, value: &str, source: &str) -> Result<Kind, IndicatorError> {
        let v = value.trim();
        if v.is_empty() {
            return Err(IndicatorError::Empty);
        }
        let src = self.source_id(source)?;
        if let Ok(ip) = v.parse::<IpAddr>() {
            let prefix = if ip.is_ipv4() { 32 } else { 128 };
            self.add_network(ip, prefix, Kind::Ip, v.to_owned(), src);
            return Ok(Kind::Ip);
        }
        if let Some((addr, len)) = v.split_once('/')
            && let Ok(ip) = addr.parse::<IpAddr>()
        {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let prefix = len
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| IndicatorError::Prefix(v.to_owned()))?;
            self.add_network(ip, prefix, Kind::Cidr, v.to_owned(), src);
            return Ok(Kind::Cidr);
        }
        if v.contains("://") {
            let url = normalize_url(v).ok_or_else(|| IndicatorError::Unrecognized(v.to_owned()))?;
            if self.set.urls.contains_key(url.as_str()) {
                self.duplicates += 1;
            } else {
                let id = self.entry(Kind::Url, url.clone(), src);
                self.set.urls.insert(url.into_boxed_str(), id);
            }
            return Ok(Kind::Url);
        }
        if let Some((kind, bytes)) = decode_hash(v) {
            if self.set.hashes.contains_key(bytes.as_slice()) {
                self.duplicates += 1;
            } else {
                let id = self.entry(kind, v.to_ascii_lowercase(), src);
                self.set.hashes.insert(bytes.into_boxed_slice(), id);
            }
            return Ok(kind);
        }
        if !v.is_ascii() {
            return Err(IndicatorError::NotAscii(v.to_owned()));
        }
        let domain =
            normalize_domain(v).ok_or_else(|| IndicatorError::Unrecognized(v.to_owned()))?;
        if self.set.domains.contains_key(domain.as_str()) {
            self.duplicates += 1;
        } else {
            let id = self.entry(Kind::Domain, domain.clone(), src);
            self.set.domains.insert(domain.into_boxed_str(), id);
        }
        Ok(Kind::Domain)
    }

    fn add_network(&mut self, ip: IpAddr, prefix: u8, kind: Kind, text: String, src: u16) {
        match ip {
            IpAddr::V4(a) => {
                let key = mask4(u32::from(a), prefix);
                if self.v4.get(&prefix).is_some_and(|m| m.contains_key(&key)) {
                    self.duplicates += 1;
                    return;
                }
                let id = self.entry(kind, text, src);
                self.v4.entry(prefix).or_default().insert(key, id);
            }
            IpAddr::V6(a) => {
                let key = mask6(u128::from(a), prefix);
                if self.v6.get(&prefix).is_some_and(|m| m.contains_key(&key)) {
                    self.duplicates += 1;
                    return;
                }
                let id = self.entry(kind, text, src);
                self.v6.entry(prefix).or_default().insert(key, id);
            }
        }
    }

    /// Adds one indicator per line; blank lines and `#` comments are skipped.
    /// Returns how many were added and each bad line with its number.
    pub fn add_lines(&mut self, text: &str, source: &str) -> (usize, Vec<(usize, IndicatorError)>) {
        let mut added = 0;
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match self.add(line, source) {
                Ok(_) => added += 1,
                Err(e) => errors.push((i + 1, e)),
            }
        }
        (added, errors)
    }

    pub fn build(mut self) -> IndicatorSet {
        let mut v4: Vec<_> = self.v4.into_iter().collect();
        v4.sort_by_key(|e| std::cmp::Reverse(e.0));
        let mut v6: Vec<_> = self.v6.into_iter().collect();
        v6.sort_by_key(|e| std::cmp::Reverse(e.0));
        self.set.v4 = v4;
        self.set.v6 = v6;
        self.set.entries.shrink_to_fit();
        self.set
    }
}

impl IndicatorSet {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn source(&self, entry: &Entry) -> &str {
        &self.sources[usize::from(entry.source)]
    }

    /// The most specific entry covering the address.
    pub fn ip(&self, ip: IpAddr) -> Option<&Entry> {
        let id = match ip {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4.iter().find_map(|(p, m)| m.get(&mask4(a, *p)))
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.v6.iter().find_map(|(p, m)| m.get(&mask6(a, *p)))
            }
        }?;
        self.entries.get(*id as usize)
    }

    /// The domain itself, or the nearest listed parent domain.
    pub fn domain(&self, name: &str) -> Option<&Entry> {
        if self.domains.is_empty() {
            return None;
        }
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let mut candidate = name.as_str();
        loop {
            if let Some(id) = self.domains.get(candidate) {
                return self.entries.get(*id as usize);
            }
            candidate = candidate.split_once('.')?.1;
        }
    }

    pub fn url(&self, url: &str) -> Option<&Entry> {
        if self.urls.is_empty() {
            return None;
        }
        let id = self.urls.get(normalize_url(url)?.as_str())?;
        self.entries.get(*id as usize)
    }

    pub fn hash(&self, hex: &str) -> Option<&Entry> {
        let (_, bytes) = decode_hash(hex)?;
        let id = self.hashes.get(bytes.as_slice())?;
        self.entries.get(*id as usize)
    }

    fn hit(&self, field: &str, e: &Entry) -> IndicatorMatch {
        IndicatorMatch {
            field: field.to_owned(),
            kind: e.kind,
            indicator: e.value.to_string(),
            source: self.source(e).to_owned(),
        }
    }

    /// Every indicator the event's address, domain, URL and hash fields hit.
    pub fn match_event(&self, event: &Event) -> Vec<IndicatorMatch> {
        self.match_fields(|f| match event.get(f) {
            Some(Value::Str(s)) => vec![s.as_str()],
            Some(Value::List(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        })
    }

    /// [`IndicatorSet::match_event`] for a record.
    pub fn match_record(&self, record: &Record<'_>, schema: &Schema) -> Vec<IndicatorMatch> {
        if self.is_empty() {
            return Vec::new();
        }
        self.match_fields(|f| match record.get(schema, f) {
            Some(Val::Str(s)) => vec![&**s],
            Some(Val::List(items)) => items.iter().filter_map(Val::as_str).collect(),
            _ => Vec::new(),
        })
    }

    fn match_fields<'e>(
        &self,
        values: impl Fn(&'static str) -> Vec<&'e str>,
    ) -> Vec<IndicatorMatch> {
        let mut hits = Vec::new();
        let texts = |fields: &'static [&'static str]| {
            fields
                .iter()
                .flat_map(|f| values(f).into_iter().map(move |v| (*f, v)))
                .collect::<Vec<_>>()
        };
        for (f, v) in texts(IP_FIELDS) {
            if let Some(e) = v.trim().parse::<IpAddr>().ok().and_then(|ip| self.ip(ip)) {
                hits.push(self.hit(f, e));
            }
        }
        for (f, v) in texts(DOMAIN_FIELDS) {
            if let Some(e) = self.domain(v) {
                hits.push(self.hit(f, e));
            }
        }
        for (f, v) in texts(URL_FIELDS) {
            if let Some(e) = self.url(v) {
                hits.push(self.hit(f, e));
            } else if let Some(e) = url_host(v).and_then(|h| self.domain(h)) {
                hits.push(self.hit(f, e));
            }
        }
        for (f, v) in texts(HASH_FIELDS) {
            if let Some(e) = self.hash(v) {
                hits.push(self.hit(f, e));
            }
        }
        hits
    }
}

/// The set a running engine reads, replaced whole while it runs: readers
/// keep the set they took until they finish with it.
#[derive(Debug)]
pub struct SharedIndicators(RwLock<Arc<IndicatorSet>>);

impl SharedIndicators {
    pub fn new(set: IndicatorSet) -> Self {
        SharedIndicators(RwLock::new(Arc::new(set)))
    }

    pub fn current(&self) -> Arc<IndicatorSet> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Swaps in a new set; returns the old one.
    pub fn replace(&self, set: IndicatorSet) -> Arc<IndicatorSet> {
        let mut guard = self.0.write().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut *guard, Arc::new(set))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> IndicatorSet {
        let mut b = IndicatorSetBuilder::new();
        let text = "# Aviation-ISAC feed\n203.0.113.0/24\n203.0.113.66\n2001:db8::/32\nevil.example\nhttps://Bad.example/payload.bin#x\nd41d8cd98f00b204e9800998ecf8427e\n\nnot an indicator\n";
        let (added, errors) = b.add_lines(text, "A-ISAC");
        assert_eq!(added, 6);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, 9);
        b.add("203.0.113.66", "T-ISAC").expect("duplicate is fine");
        assert_eq!(b.duplicates(), 1);
        b.build()
    }

    #[test]
    fn longest_prefix_wins() {
        let s = set();
        let ip = |t: &str| t.parse::<IpAddr>().expect("ip");
        assert_eq!(s.ip(ip("203.0.113.66")).map(|e| e.kind), Some(Kind::Ip));
        assert_eq!(
            s.ip(ip("203.0.113.7")).map(|e| &*e.value),
            Some("203.0.113.0/24")
        );
        assert_eq!(s.ip(ip("198.51.100.1")), None);
        assert_eq!(s.ip(ip("2001:db8:1::5")).map(|e| e.kind), Some(Kind::Cidr));
    }

    #[test]
    fn domains_urls_hashes() {
        let s = set();
        assert!(s.domain("cdn.EVIL.example.").is_some());
        assert!(s.domain("notevil.example").is_none());
        assert!(s.url("https://bad.example/payload.bin").is_some());
        assert!(s.url("https://bad.example/other").is_none());
        assert!(s.hash("D41D8CD98F00B204E9800998ECF8427E").is_some());
    }

    #[test]
    fn events_report_field_indicator_and_source() {
        let s = set();
        let mut e = Event::new();
        e.set("destination.ip", "203.0.113.66");
        e.set("dns.question.name", "c2.evil.example");
        e.set("url.original", "http://www.evil.example/login");
        let hits = s.match_event(&e);
        assert_eq!(hits.len(), 3);
        assert_eq!(hits[0].indicator, "203.0.113.66");
        assert_eq!(hits[0].source, "A-ISAC");
        assert_eq!(hits[1].field, "dns.question.name");
        assert_eq!(hits[2].kind, Kind::Domain);
    }

    #[test]
    fn swapping_keeps_readers_on_their_set() {
        let shared = SharedIndicators::new(set());
        let before = shared.current();
        let mut b = IndicatorSetBuilder::new();
        b.add("198.51.100.1", "new").expect("ok");
        shared.replace(b.build());
        assert_eq!(before.len(), 6);
        assert_eq!(shared.current().len(), 1);
    }
}
