//! Counts kept up to date with every write ([`RegisterSpec::rollups`]):
//! per register and company, the active records, and the active records by
//! the values of each listed group of fields. Every insert, update,
//! archive and restore adjusts them in its own transaction, so the group
//! dashboard and heat maps read a few hundred counts instead of a million
//! records. [`Store::migrate`] rebuilds them from the records whenever the
//! registers' rollup definitions change (and on first use).

use mamori_domain::authz::Scope;
use mamori_domain::register::{FieldKind, Record, RefValue, RegisterSpec, Value};
use mamori_domain::registers::ALL;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::audit::Append;
use crate::records::{SqlValue, Where, scope_clause};
use crate::{Dialect, Result, Store, bind_values, with_pool, with_tx};

/// A rollup key: the values of up to three fields, as text (`""` for none).
pub type Key = [String; 3];

/// One count: the rollup (0 for all active records, `n` for the spec's
/// `n`-th group), the company, the key and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub company_id: Uuid,
    pub key: Key,
    pub n: i64,
}

fn key_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Text(s) => s.clone(),
        // Hex without hyphens: what both databases print for a stored id.
        Value::Ref(RefValue::Id(id)) => id.simple().to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_json().to_string(),
    }
}

/// The keys an active record counts under, one per rollup.
fn keys(spec: &RegisterSpec, record: &Record) -> Vec<(i64, Key)> {
    let mut out = vec![(0, Key::default())];
    for (n, group) in spec.rollups.iter().enumerate() {
        let mut key = Key::default();
        for (slot, field) in key.iter_mut().zip(group.iter()) {
            let flag = spec.field(field).is_some_and(|f| f.kind == FieldKind::Bool);
            *slot = match record.get(field) {
                // An unset flag is stored as false.
                Value::Null if flag => "false".to_owned(),
                v => key_text(v),
            };
        }
        out.push((n as i64 + 1, key));
    }
    out
}

/// What a write changes: the keys of the active state before (if any) go
/// down by one, those after (if any) up by one; unchanged keys drop out.
pub(crate) fn changes(
    spec: &RegisterSpec,
    before: Option<&Record>,
    after: Option<&Record>,
) -> Vec<(i64, Key, i64)> {
    let mut out: Vec<(i64, Key, i64)> = Vec::new();
    for (record, delta) in [(before, -1), (after, 1)] {
        for (rollup, key) in record.map(|r| keys(spec, r)).unwrap_or_default() {
            match out.iter_mut().find(|(r, k, _)| *r == rollup && *k == key) {
                Some(found) => found.2 += delta,
                None => out.push((rollup, key, delta)),
            }
        }
    }
    out.retain(|c| c.2 != 0);
    out
}

/// Applies [`changes`] on a connection inside the write's transaction.
macro_rules! apply_rollups {
    ($spec:expr, $conn:expr, $company_id:expr, $before:expr, $after:expr) => {{
        let spec: &mamori_domain::register::RegisterSpec = $spec;
        let mut out: $crate::Result<()> = Ok(());
        for (rollup, key, delta) in $crate::rollups::changes(spec, $before, $after) {
            let done = sqlx::query(
                "INSERT INTO rollups (register, rollup, company_id, k1, k2, k3, n) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (register, rollup, company_id, k1, k2, k3) DO UPDATE SET n = rollups.n + excluded.n",
            )
            .bind(spec.name)
            .bind(rollup)
            .bind($company_id)
            .bind(&key[0])
            .bind(&key[1])
            .bind(&key[2])
            .bind(delta)
            .execute(&mut **$conn)
            .await;
            if let Err(e) = done {
                out = Err(e.into());
                break;
            }
        }
        out
    }};
}
pub(crate) use apply_rollups;

/// A fingerprint of every register's rollups (FNV-1a), kept in `counters`
/// so a changed definition rebuilds them.
fn fingerprint() -> i64 {
    let mut text = String::from("rollups v1");
    for spec in ALL {
        text.push_str(&format!(";{}:{:?}", spec.name, spec.rollups));
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h >> 1) as i64
}

const FINGERPRINT: &str = "rollups_fingerprint";

impl Store {
    /// Rebuilds the rollups when their definitions changed since the last
    /// build (or were never built).
    pub(crate) async fn ensure_rollups(&self) -> Result<()> {
        let stored: Option<i64> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
                .bind(FINGERPRINT)
                .fetch_optional(pool)
                .await?
        });
        if stored != Some(fingerprint()) {
            self.rebuild_rollups().await?;
        }
        Ok(())
    }

    /// Counts every rollup afresh from the records, in one transaction
    /// (after a bulk load in SQL, or when the definitions changed).
    pub async fn rebuild_rollups(&self) -> Result<()> {
        let dialect = self.dialect();
        with_tx!(self, tx => {
            tx.lock_for_write().await?;
            sqlx::query("DELETE FROM rollups").execute(&mut *tx).await?;
            for spec in ALL {
                let mut groups: Vec<&[&str]> = vec![&[]];
                groups.extend(spec.rollups.iter().copied());
                for (rollup, group) in groups.into_iter().enumerate() {
                    let mut exprs: Vec<String> = Vec::new();
                    for name in group {
                        let field = spec.field(name).ok_or_else(|| {
                            crate::StoreError::Config(format!("{}: no field {name} to roll up", spec.name))
                        })?;
                        exprs.push(match (field.kind, dialect) {
                            (FieldKind::Reference(_), Dialect::Sqlite) => format!("COALESCE(lower(hex({name})), '')"),
                            (FieldKind::Reference(_), Dialect::Postgres) => format!("COALESCE(replace({name}::text, '-', ''), '')"),
                            // Flags as the API writes them: true or false.
                            (FieldKind::Bool, _) => format!("CASE WHEN {name} THEN 'true' ELSE 'false' END"),
                            _ => format!("COALESCE({name}, '')"),
                        });
                    }
                    let mut group_by = vec!["company_id".to_owned()];
                    group_by.extend(exprs.iter().cloned());
                    while exprs.len() < 3 {
                        exprs.push("''".to_owned());
                    }
                    let sql = format!(
                        "INSERT INTO rollups (register, rollup, company_id, k1, k2, k3, n) \
                         SELECT $1, $2, company_id, {e}, COUNT(*) FROM {table} WHERE archived_at IS NULL \
                         GROUP BY {g}",
                        e = exprs.join(", "),
                        g = group_by.join(", "),
                        table = spec.table
                    );
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(spec.name)
                        .bind(rollup as i64)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let set = sqlx::query("UPDATE counters SET value = $1 WHERE name = $2")
                .bind(fingerprint())
                .bind(FINGERPRINT)
                .execute(&mut *tx)
                .await?;
            if set.rows_affected() == 0 {
                sqlx::query("INSERT INTO counters (name, value) VALUES ($1, $2)")
                    .bind(FINGERPRINT)
                    .bind(fingerprint())
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(())
        })
    }

    /// The counts of one rollup (0: all active records; `n`: the spec's
    /// `n`-th group) within `scope`, for one company when given.
    pub async fn rollup(
        &self,
        spec: &RegisterSpec,
        rollup: usize,
        scope: &Scope,
        company: Option<Uuid>,
    ) -> Result<Vec<Count>> {
        let mut w = Where {
            clauses: vec!["t.n <> 0".to_owned()],
            values: Vec::new(),
        };
        w.push(
            |n| format!("t.register = ${n}"),
            SqlValue::Text(spec.name.to_owned()),
        );
        w.push(|n| format!("t.rollup = ${n}"), SqlValue::Int(rollup as i64));
        scope_clause(scope, &mut w);
        if let Some(company) = company {
            w.push(|n| format!("t.company_id = ${n}"), SqlValue::Id(company));
        }
        let sql = format!(
            "SELECT t.company_id, t.k1, t.k2, t.k3, t.n FROM rollups t{}",
            w.sql()
        );
        let rows: Vec<(Uuid, String, String, String, i64)> = with_pool!(self, pool => {
            bind_values!(sqlx::query_as(AssertSqlSafe(sql.as_str())), &w.values).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(company_id, k1, k2, k3, n)| Count {
                company_id,
                key: [k1, k2, k3],
                n,
            })
            .collect())
    }

    /// Active records of `spec` within `scope`, from the rollups.
    pub async fn count_active(&self, spec: &RegisterSpec, scope: &Scope) -> Result<i64> {
        Ok(self
            .rollup(spec, 0, scope, None)
            .await?
            .iter()
            .map(|c| c.n)
            .sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_domain::registers::RISKS;

    fn risk(l: &str, i: &str) -> Record {
        let mut r = Record::default();
        r.values
            .insert("inherent_likelihood", Value::Text(l.into()));
        r.values.insert("inherent_impact", Value::Text(i.into()));
        r
    }

    #[test]
    fn a_write_moves_only_the_keys_that_changed() {
        let created = changes(&RISKS, None, Some(&risk("3", "4")));
        assert_eq!(created.len(), 3, "all, inherent, residual: {created:?}");
        assert!(created.iter().all(|c| c.2 == 1));
        let moved = changes(&RISKS, Some(&risk("3", "4")), Some(&risk("3", "5")));
        assert_eq!(
            moved,
            [
                (1, ["3".into(), "4".into(), String::new()], -1),
                (1, ["3".into(), "5".into(), String::new()], 1)
            ]
        );
        assert!(changes(&RISKS, Some(&risk("3", "4")), Some(&risk("3", "4"))).is_empty());
        let archived = changes(&RISKS, Some(&risk("3", "4")), None);
        assert!(archived.iter().all(|c| c.2 == -1));
    }

    #[test]
    fn ids_are_keyed_as_the_databases_print_them() {
        let id = Uuid::now_v7();
        let key = key_text(&Value::Ref(RefValue::Id(id)));
        assert_eq!(key, id.simple().to_string());
        assert_eq!(key.len(), 32);
        assert!(!key.contains('-'));
    }
}
