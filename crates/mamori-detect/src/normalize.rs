//! One field vocabulary (ECS-like names) that sources and rules meet in.
//!
//! Sources name the same thing many ways (`c-ip`, `src_ip`, `clientip`); rules
//! do too (SigmaHQ's web rules use the W3C names `c-ip`, `cs-uri-query`, …).
//! Both sides pass field names through one [`FieldMap`], so a rule written for
//! either vocabulary matches events from any source.

use std::collections::HashMap;

use crate::event::Event;

/// Aliases and the canonical name each stands for. Only names that mean one
/// thing wherever they appear: a bare `status` or `query` does not.
const ALIASES: &[(&str, &str)] = &[
    // addresses and ports
    ("c-ip", "source.ip"),
    ("src_ip", "source.ip"),
    ("srcip", "source.ip"),
    ("client_ip", "source.ip"),
    ("clientip", "source.ip"),
    ("remote_addr", "source.ip"),
    ("SourceIp", "source.ip"),
    ("src_port", "source.port"),
    ("SourcePort", "source.port"),
    ("dst_ip", "destination.ip"),
    ("dstip", "destination.ip"),
    ("DestinationIp", "destination.ip"),
    ("s-ip", "destination.ip"),
    ("dst_port", "destination.port"),
    ("DestinationPort", "destination.port"),
    ("s-port", "destination.port"),
    ("DestinationHostname", "destination.domain"),
    // web (W3C extended log names used by SigmaHQ web rules)
    ("cs-uri-query", "url.query"),
    ("cs-uri-stem", "url.path"),
    ("c-uri", "url.original"),
    ("cs-uri", "url.original"),
    ("r-dns", "url.domain"),
    ("cs-host", "url.domain"),
    ("cs-method", "http.request.method"),
    ("sc-status", "http.response.status_code"),
    ("c-useragent", "user_agent.original"),
    ("cs-user-agent", "user_agent.original"),
    ("user_agent", "user_agent.original"),
    ("useragent", "user_agent.original"),
    ("cs-referer", "http.request.referrer"),
    ("referer", "http.request.referrer"),
    ("cs-cookie", "http.request.cookie"),
    ("cs-bytes", "http.request.bytes"),
    ("sc-bytes", "http.response.bytes"),
    // identity and outcome
    ("username", "user.name"),
    ("User", "user.name"),
    ("TargetUserName", "user.name"),
    // DNS
    ("QueryName", "dns.question.name"),
    ("qname", "dns.question.name"),
    // files and hashes
    ("md5", "file.hash.md5"),
    ("sha1", "file.hash.sha1"),
    ("sha256", "file.hash.sha256"),
    ("TargetFilename", "file.path"),
    // hosts and processes
    ("hostname", "host.name"),
    ("Computer", "host.name"),
];

/// A field every event with a `source.ip` has without sending it: the
/// address's network (IPv4 /24, IPv6 /48), so a correlation can group a
/// list attack spread over one provider's block of addresses.
pub const SOURCE_NETWORK: &str = "source.network";

/// The network of an address, as [`SOURCE_NETWORK`] gives it.
pub fn network_of(ip: &str) -> Option<String> {
    let ip = ip.trim();
    match ip.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(_) => {
            // The parser takes only plain decimal octets (no leading zeros),
            // so the text up to the last dot is the first three as written.
            let three = &ip[..ip.rfind('.')?];
            let mut net = String::with_capacity(three.len() + 5);
            net.push_str(three);
            net.push_str(".0/24");
            Some(net)
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
    }
}

/// A field derived when read, not sent: its value for the event whose
/// `source.ip` is `source_ip`.
pub fn derived<'a>(name: &str, source_ip: impl FnOnce() -> Option<&'a str>) -> Option<String> {
    if name == SOURCE_NETWORK {
        source_ip().and_then(network_of)
    } else {
        None
    }
}

/// Maps field names to the canonical vocabulary. Extra aliases can be added
/// per deployment (a source with its own names).
#[derive(Debug, Clone)]
pub struct FieldMap {
    aliases: HashMap<String, String>,
}

impl Default for FieldMap {
    fn default() -> Self {
        FieldMap {
            aliases: ALIASES
                .iter()
                .map(|(a, c)| ((*a).to_owned(), (*c).to_owned()))
                .collect(),
        }
    }
}

impl FieldMap {
    /// Adds or replaces an alias.
    pub fn alias(&mut self, alias: &str, canonical: &str) {
        self.aliases.insert(alias.to_owned(), canonical.to_owned());
    }

    /// Every alias with its canonical name.
    pub fn aliases(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.aliases.iter().map(|(a, c)| (a.clone(), c.clone()))
    }

    /// The canonical name of a field (itself when it has no alias).
    pub fn canonical<'a>(&'a self, name: &'a str) -> &'a str {
        self.aliases.get(name).map_or(name, String::as_str)
    }

    /// Renames the event's aliased fields to their canonical names. A
    /// canonical field already present wins over an alias.
    pub fn normalize(&self, event: &mut Event) {
        let renames: Vec<(String, String)> = event
            .fields()
            .filter_map(|(k, _)| self.aliases.get(k).map(|c| (k.to_owned(), c.clone())))
            .collect();
        for (alias, canonical) in renames {
            if let Some(value) = event.remove(&alias)
                && event.get(&canonical).is_none()
            {
                event.set(canonical, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_of_addresses() {
        assert_eq!(
            network_of("203.0.113.77").as_deref(),
            Some("203.0.113.0/24")
        );
        assert_eq!(
            network_of("2001:db8:12:34::1").as_deref(),
            Some("2001:db8:12::/48")
        );
        assert_eq!(network_of("not an address"), None);
        // The /24 is the parsed octets, whatever the text around them.
        let mut rng = crate::synthetic::Rng::new(24);
        for _ in 0..10_000 {
            let ip = std::net::Ipv4Addr::from(rng.next_u64() as u32);
            let [a, b, c, _] = ip.octets();
            let want = format!("{a}.{b}.{c}.0/24");
            assert_eq!(network_of(&format!(" {ip}\t")), Some(want), "{ip}");
        }
        for odd in [
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.",
            "1..3.4",
            "256.1.1.1",
            "",
            ".",
        ] {
            assert_eq!(network_of(odd), None, "{odd}");
        }
    }

    #[test]
    fn web_names_meet_ecs_names() {
        let map = FieldMap::default();
        let mut e = Event::new();
        e.set("c-ip", "198.51.100.7");
        e.set("cs-uri-query", "id=1' OR '1'='1");
        e.set("source.port", 443i64);
        map.normalize(&mut e);
        assert_eq!(e.get_str("source.ip"), Some("198.51.100.7"));
        assert_eq!(e.get_str("url.query"), Some("id=1' OR '1'='1"));
        assert_eq!(map.canonical("cs-uri-query"), "url.query");
        assert_eq!(map.canonical("source.ip"), "source.ip");
    }
}
