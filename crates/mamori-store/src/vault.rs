//! The customer-data vault (顧客個人情報の保管庫): the people an incident
//! affects are customer personal data, kept only sealed — ChaCha20-Poly1305
//! (ring's AEAD) under a key the operator provides, bound to the row they
//! belong to — and opened only for those who may read them, every opening
//! written to the audit chain (who, which incident, how many; never the
//! data). Keys rotate: the first key seals, any listed key opens, and
//! `Store::reseal_vault` moves every row to the first key.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use mamori_domain::FieldError;
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::Append;
use crate::users::Actor;
use crate::{Result, Store, StoreError, with_pool, with_tx};

/// Keys, the sealing one first.
pub struct Vault {
    keys: Vec<(String, LessSafeKey)>,
    rng: SystemRandom,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key ids only: the keys never leave this struct.
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Vault").field("keys", &ids).finish()
    }
}

impl Vault {
    /// Keys written one a line (or comma-separated) as `id:base64`, each 32
    /// random bytes; the first seals. `#` starts a comment.
    pub fn from_text(text: &str) -> std::result::Result<Vault, String> {
        let mut keys = Vec::new();
        for (n, item) in text
            .split(['\n', ','])
            .map(|l| l.split('#').next().unwrap_or_default().trim())
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            let (id, b64) = item
                .split_once(':')
                .ok_or_else(|| format!("key {}: write it as id:base64", n + 1))?;
            let id = id.trim();
            if id.is_empty()
                || id.len() > 32
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(format!(
                    "key {}: the id must be 1 to 32 of a-z, 0-9, - and _",
                    n + 1
                ));
            }
            if keys.iter().any(|(k, _)| k == id) {
                return Err(format!("key id {id} is listed twice"));
            }
            let bytes = B64
                .decode(b64.trim())
                .map_err(|_| format!("key {id}: not base64"))?;
            let unbound = UnboundKey::new(&aead::CHACHA20_POLY1305, &bytes)
                .map_err(|_| format!("key {id}: must be 32 bytes ({} given)", bytes.len()))?;
            keys.push((id.to_owned(), LessSafeKey::new(unbound)));
        }
        if keys.is_empty() {
            return Err("no key is given".into());
        }
        Ok(Vault {
            keys,
            rng: SystemRandom::new(),
        })
    }

    /// A new key line (`id:base64`) from the system's random source.
    pub fn new_key_line(id: &str) -> std::result::Result<String, String> {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| "the system has no random source".to_owned())?;
        Ok(format!("{id}:{}", B64.encode(key)))
    }

    pub fn sealing_key_id(&self) -> &str {
        &self.keys[0].0
    }

    /// Seals `plain` for the row `row`: `key_id.base64(nonce | sealed | tag)`.
    pub fn seal(&self, plain: &[u8], row: Uuid) -> std::result::Result<String, String> {
        let (id, key) = &self.keys[0];
        let mut nonce = [0u8; 12];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| "the system has no random source".to_owned())?;
        let mut buf = plain.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(row.as_bytes()),
            &mut buf,
        )
        .map_err(|_| "sealing failed".to_owned())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{id}.{}", B64.encode(out)))
    }

    /// Opens what [`Vault::seal`] sealed for the same row.
    pub fn open(&self, sealed: &str, row: Uuid) -> std::result::Result<Vec<u8>, String> {
        let (id, b64) = sealed.split_once('.').ok_or("not a sealed value")?;
        let (_, key) = self
            .keys
            .iter()
            .find(|(k, _)| k == id)
            .ok_or_else(|| format!("sealed under key {id}, which is not configured"))?;
        let bytes = B64
            .decode(b64)
            .map_err(|_| "not a sealed value".to_owned())?;
        if bytes.len() < 12 + 16 {
            return Err("not a sealed value".into());
        }
        let (nonce, rest) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce
            .try_into()
            .map_err(|_| "not a sealed value".to_owned())?;
        let mut buf = rest.to_vec();
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(row.as_bytes()),
                &mut buf,
            )
            .map_err(|_| "the sealed value does not open (altered, or another row's)".to_owned())?;
        Ok(plain.to_vec())
    }
}

/// One person affected, as the CSIRT records them for notice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Person {
    pub name: String,
    pub member_no: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub notes: String,
}

impl Person {
    fn check(&self, n: usize) -> std::result::Result<(), FieldError> {
        let fields = [
            ("name", &self.name, 200),
            ("member_no", &self.member_no, 64),
            ("email", &self.email, 254),
            ("phone", &self.phone, 40),
            ("address", &self.address, 500),
            ("notes", &self.notes, 2000),
        ];
        for (field, value, max) in fields {
            if value.chars().count() > max || value.chars().any(|c| c.is_control() && c != '\n') {
                return Err(FieldError::new(
                    format!("people[{n}].{field}"),
                    format!("must be at most {max} characters without control characters"),
                ));
            }
        }
        if self.name.trim().is_empty() && self.member_no.trim().is_empty() {
            return Err(FieldError::new(
                format!("people[{n}]"),
                "needs a name or a member number",
            ));
        }
        Ok(())
    }
}

/// Most people one request adds.
pub const MAX_PEOPLE: usize = 10_000;

impl Store {
    /// The store with the vault's keys.
    pub fn with_vault(mut self, vault: Vault) -> Store {
        self.vault = Some(Arc::new(vault));
        self
    }

    fn vault(&self) -> Result<&Vault> {
        self.vault.as_deref().ok_or_else(|| {
            StoreError::Config(
                "the vault has no key: set vault_key_file or MAMORI_VAULT_KEYS (mamori vault keygen makes one)".into(),
            )
        })
    }

    /// Seals and keeps the people an incident affects; all or nothing.
    pub async fn add_affected(
        &self,
        incident: Uuid,
        company_id: Uuid,
        people: &[Person],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let vault = self.vault()?;
        if people.is_empty() || people.len() > MAX_PEOPLE {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "people",
                format!("give 1 to {MAX_PEOPLE} people"),
            )]));
        }
        let errors: Vec<FieldError> = people
            .iter()
            .enumerate()
            .filter_map(|(n, p)| p.check(n).err())
            .collect();
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let mut rows = Vec::new();
        for person in people {
            let id = Uuid::now_v7();
            let plain =
                serde_json::to_vec(person).map_err(|e| StoreError::Config(e.to_string()))?;
            rows.push((id, vault.seal(&plain, id).map_err(StoreError::Config)?));
        }
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            for (id, sealed) in &rows {
                sqlx::query("INSERT INTO affected_people (id, company_id, incident_id, sealed, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(id)
                    .bind(company_id)
                    .bind(incident)
                    .bind(sealed)
                    .bind(now)
                    .bind(&actor.name)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut entry = actor.entry("vault_add", "incidents", Some(incident));
            entry.company_id = Some(company_id);
            entry.detail = Some(format!("people={}", rows.len()));
            tx.append_audit(&entry, now).await?;
            Ok(())
        })?;
        Ok(rows.len())
    }

    /// How many people are kept for an incident (nothing is opened).
    pub async fn count_affected(&self, incident: Uuid) -> Result<i64> {
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM affected_people WHERE incident_id = $1")
                .bind(incident)
                .fetch_one(pool)
                .await?
        }))
    }

    /// Opens the people of an incident; the reading is audited first, so
    /// no opening goes unrecorded.
    pub async fn open_affected(
        &self,
        incident: Uuid,
        company_id: Uuid,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, Person)>> {
        let vault = self.vault()?;
        let rows: Vec<(Uuid, String)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT id, sealed FROM affected_people WHERE incident_id = $1 ORDER BY id")
                .bind(incident)
                .fetch_all(pool)
                .await?
        });
        let mut entry = actor.entry("vault_read", "incidents", Some(incident));
        entry.company_id = Some(company_id);
        entry.detail = Some(format!("people={}", rows.len()));
        self.audit(&entry, now).await?;
        rows.into_iter()
            .map(|(id, sealed)| {
                let plain = vault.open(&sealed, id).map_err(StoreError::Config)?;
                let person: Person = serde_json::from_slice(&plain)
                    .map_err(|e| StoreError::Config(e.to_string()))?;
                Ok((id, person))
            })
            .collect()
    }

    /// Reseals every row not under the sealing key (after a new key is put
    /// first); returns how many moved. Audited.
    pub async fn reseal_vault(&self, actor: &Actor, now: DateTime<Utc>) -> Result<usize> {
        let vault = self.vault()?;
        let prefix = format!("{}.", vault.sealing_key_id());
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            let rows: Vec<(Uuid, String)> = sqlx::query_as("SELECT id, sealed FROM affected_people")
                .fetch_all(&mut *tx)
                .await?;
            let mut moved = 0;
            for (id, sealed) in rows.iter().filter(|(_, s)| !s.starts_with(&prefix)) {
                let plain = vault.open(sealed, *id).map_err(StoreError::Config)?;
                let again = vault.seal(&plain, *id).map_err(StoreError::Config)?;
                sqlx::query("UPDATE affected_people SET sealed = $1 WHERE id = $2")
                    .bind(again)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                moved += 1;
            }
            let mut entry = actor.entry("vault_reseal", "incidents", None);
            entry.detail = Some(format!("rows={moved} key={}", vault.sealing_key_id()));
            tx.append_audit(&entry, now).await?;
            Ok(moved)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(lines: &[&str]) -> Vault {
        Vault::from_text(&lines.join("\n")).expect("keys")
    }

    #[test]
    fn sealed_values_open_for_their_row_only_and_keys_rotate() {
        let old = Vault::new_key_line("k2025").expect("key");
        let new = Vault::new_key_line("k2026").expect("key");
        let v = vault(&[&old]);
        let row = Uuid::now_v7();
        let sealed = v.seal("山田 太郎".as_bytes(), row).expect("seal");
        assert!(sealed.starts_with("k2025."));
        assert!(!sealed.contains("山田"));
        assert_eq!(v.open(&sealed, row).expect("open"), "山田 太郎".as_bytes());
        assert!(v.open(&sealed, Uuid::now_v7()).is_err(), "another row's");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(v.open(&tampered, row).is_err());
        // The new key seals; the old still opens until resealed.
        let rotated = vault(&[&new, &old]);
        assert_eq!(
            rotated.open(&sealed, row).expect("open"),
            "山田 太郎".as_bytes()
        );
        assert!(rotated.seal(b"x", row).expect("seal").starts_with("k2026."));
        assert!(
            vault(&[&new]).open(&sealed, row).is_err(),
            "the old key dropped"
        );
    }

    #[test]
    fn bad_keys_are_named() {
        for (text, says) in [
            ("", "no key"),
            ("k1", "id:base64"),
            ("k1:!!!", "not base64"),
            ("k1:AAAA", "32 bytes"),
            ("bad id:AAAA", "the id"),
        ] {
            let e = Vault::from_text(text).expect_err("refused");
            assert!(e.contains(says), "{text}: {e}");
        }
        let line = Vault::new_key_line("a").expect("key");
        assert!(
            Vault::from_text(&format!("{line}\n{line}"))
                .expect_err("twice")
                .contains("twice")
        );
        let debug = format!("{:?}", vault(&[&line]));
        assert!(
            !debug.contains(line.split(':').nth(1).expect("key")),
            "keys stay out of Debug"
        );
    }
}
