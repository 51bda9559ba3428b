//! Identity: password hashing (argon2id), random secrets, TOTP, login
//! throttling. Sessions and tokens are stored hashed; the raw values exist
//! only in the cookie or the `Authorization` header.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("password hashing failed: {e}"))
}

/// Checks a password against a stored hash; `None` spends the same effort
/// against `dummy` (a hash made at start) and fails, so a wrong username and
/// a wrong password take equally long.
pub fn verify_password(password: &str, stored: Option<&str>, dummy: &str) -> bool {
    let hash = stored.unwrap_or(dummy);
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && stored.is_some()
}

/// A random secret of 32 bytes, URL-safe text.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 hex of a secret, for storage and lookup.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A one-time password people can type: 16 characters, no look-alikes.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect()
}

/// API tokens carry a recognizable prefix so leaked ones can be found.
pub const TOKEN_PREFIX: &str = "mmr_";

pub fn new_api_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_token())
}

pub mod totp {
    use totp_rs::{Builder, Secret, Totp};

    fn build(secret_b32: &str) -> Option<Totp> {
        let secret = Secret::try_from_base32(secret_b32).ok()?;
        Builder::new().with_secret(secret).build().ok()
    }

    /// A new secret, base32.
    pub fn new_secret() -> String {
        let mut bytes = [0u8; 20];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        Secret::from(bytes).to_base32()
    }

    /// The `otpauth://` URI authenticator apps read.
    pub fn uri(secret_b32: &str, username: &str) -> String {
        let label: String = username
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect();
        format!(
            "otpauth://totp/mamori:{label}?secret={secret_b32}&issuer=mamori&algorithm=SHA1&digits=6&period=30"
        )
    }

    /// The time step the code is good for (±1 step), if it is good.
    pub fn check(secret_b32: &str, code: &str, unix_time: u64) -> Option<u64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        build(secret_b32)?.check(&code, unix_time)
    }

    /// The code for a moment (tests and the enrolment check).
    pub fn code(secret_b32: &str, unix_time: u64) -> Option<String> {
        Some(build(secret_b32)?.generate(unix_time).to_string())
    }
}

/// Recovery codes: ten, each `xxxx-xxxx`, shown once, stored hashed.
pub fn recovery_codes() -> Vec<String> {
    (0..10)
        .map(|_| {
            let s = one_time_password().to_lowercase();
            format!("{}-{}", &s[..4], &s[4..8])
        })
        .collect()
}

pub fn normalize_recovery_code(code: &str) -> String {
    code.trim().to_lowercase()
}

/// Failed-login counting per account and per source address, in memory.
#[derive(Debug)]
pub struct Throttle {
    window: Duration,
    max_per_account: u32,
    max_per_address: u32,
    failures: Mutex<HashMap<String, (u32, DateTime<Utc>)>>,
}

impl Throttle {
    pub fn new(window_minutes: i64, max_per_account: u32, max_per_address: u32) -> Self {
        Self {
            window: Duration::minutes(window_minutes),
            max_per_account,
            max_per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, address: &str) -> [String; 2] {
        [
            format!("u:{}", username.to_lowercase()),
            format!("a:{address}"),
        ]
    }

    /// When locked, the time until attempts are allowed again.
    pub fn locked(&self, username: &str, address: &str, now: DateTime<Utc>) -> Option<Duration> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let [account, addr] = Self::keys(username, address);
        let check = |key: &str, max: u32| {
            map.get(key).and_then(|(count, since)| {
                let until = *since + self.window;
                (*count >= max && until > now).then_some(until - now)
            })
        };
        check(&account, self.max_per_account).or_else(|| check(&addr, self.max_per_address))
    }

    pub fn failed(&self, username: &str, address: &str, now: DateTime<Utc>) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, (_, since)| *since + window > now);
        }
        for key in Self::keys(username, address) {
            let entry = map.entry(key).or_insert((0, now));
            if entry.1 + self.window <= now {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
    }

    pub fn succeeded(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("u:{}", username.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("空港の合言葉-2026").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("空港の合言葉-2026", Some(&hash), &hash));
        assert!(!verify_password("wrong", Some(&hash), &hash));
        assert!(!verify_password("空港の合言葉-2026", None, &hash));
    }

    #[test]
    fn totp_codes_check_once_per_step() {
        let secret = totp::new_secret();
        let now = 1_800_000_000;
        let code = totp::code(&secret, now).expect("code");
        assert_eq!(totp::check(&secret, &code, now), Some(now / 30));
        assert_eq!(totp::check(&secret, "12345", now), None);
        assert!(totp::uri(&secret, "sato").starts_with("otpauth://totp/mamori:sato?secret="));
    }

    #[test]
    fn throttle_locks_account_then_releases() {
        let t = Throttle::new(15, 3, 100);
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        for _ in 0..3 {
            assert!(t.locked("sato", "1.2.3.4", now).is_none());
            t.failed("sato", "1.2.3.4", now);
        }
        assert!(t.locked("SATO", "5.6.7.8", now).is_some());
        assert!(
            t.locked("sato", "1.2.3.4", now + Duration::minutes(16))
                .is_none()
        );
    }
}
