//! Accounts, role assignments, sessions, recovery codes and API tokens.
//! Secrets are stored only as hashes made by the caller.

use chrono::{DateTime, Utc};
use mamori_domain::authz::Assignment;
use mamori_domain::org::Role;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::audit::{Append, Entry};
use crate::{Result, Store, StoreError, with_pool, with_tx};

/// Who is acting, for the audit chain.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub name: String,
}

impl Actor {
    pub fn system(name: &str) -> Actor {
        Actor {
            id: None,
            name: name.to_owned(),
        }
    }

    pub(crate) fn entry(&self, action: &str, register: &str, record_id: Option<Uuid>) -> Entry {
        Entry {
            actor_id: self.id,
            actor: self.name.clone(),
            action: action.to_owned(),
            register: register.to_owned(),
            record_id,
            ..Entry::default()
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub person_id: Option<Uuid>,
    pub password_hash: String,
    pub must_change_password: bool,
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const USER_COLUMNS: &str = "id, username, display_name, person_id, password_hash, must_change_password, totp_secret, totp_enabled, totp_last_step, locale, time_zone, disabled_at, created_at";

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub person_id: Option<Uuid>,
    pub password_hash: String,
    pub must_change_password: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id_hash: String,
    pub user_id: Uuid,
    pub csrf_token: String,
    pub mfa_pending: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A token to store: only its hash, never the token itself.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub user_id: Uuid,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub scopes: &'a [String],
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub scopes: String,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Store {
    pub async fn count_users(&self) -> Result<i64> {
        Ok(
            with_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await?),
        )
    }

    pub async fn create_user(
        &self,
        new: &NewUser,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        with_tx!(self, tx => {
            let mut entry = actor.entry("create", "users", Some(id));
            entry.detail = Some(format!("username={}", new.username));
            tx.append_audit(&entry, now).await?;
            sqlx::query("INSERT INTO users (id, username, display_name, person_id, password_hash, must_change_password, totp_enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id)
                .bind(&new.username)
                .bind(&new.display_name)
                .bind(new.person_id)
                .bind(&new.password_hash)
                .bind(new.must_change_password)
                .bind(false)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_write)?;
            Ok(id)
        })
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        Ok(
            with_pool!(self, pool => sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(username).fetch_optional(pool).await?),
        )
    }

    pub async fn user_by_id(&self, id: Uuid) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(
            with_pool!(self, pool => sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(pool).await?),
        )
    }

    /// Sets a new password hash and ends every session of the user.
    pub async fn set_password(
        &self,
        user_id: Uuid,
        hash: &str,
        must_change: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        with_tx!(self, tx => {
            tx.append_audit(&actor.entry("set_password", "users", Some(user_id)), now).await?;
            let done = sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
                .bind(hash)
                .bind(must_change)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            Ok(())
        })
    }

    /// Stores a TOTP secret and, when `enabled`, the recovery-code hashes that
    /// replace any earlier ones.
    pub async fn set_totp(
        &self,
        user_id: Uuid,
        secret: Option<&str>,
        enabled: bool,
        recovery_hashes: &[String],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        with_tx!(self, tx => {
            let action = if enabled { "enable_totp" } else { "stage_totp" };
            tx.append_audit(&actor.entry(action, "users", Some(user_id)), now).await?;
            sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = $2, totp_last_step = NULL WHERE id = $3")
                .bind(secret)
                .bind(enabled)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            if enabled {
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                for hash in recovery_hashes {
                    sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                        .bind(user_id)
                        .bind(hash)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            Ok(())
        })
    }

    /// Records the last TOTP time step used, refusing a step at or before it
    /// (a code is good once). Returns false when the step was already used.
    pub async fn use_totp_step(&self, user_id: Uuid, step: i64) -> Result<bool> {
        let done = with_pool!(self, pool => {
            sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
                .bind(step)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// Spends a recovery code; false when it is unknown or spent.
    pub async fn use_recovery_code(
        &self,
        user_id: Uuid,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = with_pool!(self, pool => {
            sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
                .bind(now)
                .bind(user_id)
                .bind(hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    pub async fn set_locale(&self, user_id: Uuid, locale: &str) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE users SET locale = $1 WHERE id = $2").bind(locale).bind(user_id).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn assign_role(
        &self,
        user_id: Uuid,
        role: Role,
        company_id: Option<Uuid>,
        expires_at: Option<DateTime<Utc>>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        with_tx!(self, tx => {
            let mut entry = actor.entry("assign_role", "users", Some(user_id));
            entry.company_id = company_id;
            entry.detail = Some(format!("role={}", role.code()));
            tx.append_audit(&entry, now).await?;
            sqlx::query("INSERT INTO role_assignments (id, user_id, company_id, role, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(user_id)
                .bind(company_id)
                .bind(role.code())
                .bind(expires_at)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            Ok(id)
        })
    }

    pub async fn assignments(&self, user_id: Uuid) -> Result<Vec<Assignment>> {
        let rows: Vec<(String, Option<Uuid>, Option<DateTime<Utc>>)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT role, company_id, expires_at FROM role_assignments WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(role, company_id, expires_at)| {
                Role::parse(&role).map(|role| Assignment {
                    role,
                    company_id,
                    expires_at,
                })
            })
            .collect())
    }

    pub async fn create_session(&self, s: &Session) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf_token, mfa_pending, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&s.id_hash)
                .bind(s.user_id)
                .bind(&s.csrf_token)
                .bind(s.mfa_pending)
                .bind(s.created_at)
                .bind(s.last_seen_at)
                .bind(s.expires_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<Session>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as("SELECT id_hash, user_id, csrf_token, mfa_pending, created_at, last_seen_at, expires_at FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .fetch_optional(pool)
                .await?
        }))
    }

    pub async fn touch_session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2").bind(now).bind(id_hash).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(pool).await?;
        });
        Ok(())
    }

    /// Logs a user out everywhere.
    pub async fn delete_user_sessions(&self, user_id: Uuid) -> Result<u64> {
        Ok(with_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(pool).await?.rows_affected()
        }))
    }

    pub async fn create_token(
        &self,
        token: &NewToken<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        with_tx!(self, tx => {
            let mut entry = actor.entry("create_token", "users", Some(token.user_id));
            entry.detail = Some(format!("token={id} scopes={}", token.scopes.join(" ")));
            tx.append_audit(&entry, now).await?;
            sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(id)
                .bind(token.user_id)
                .bind(token.name)
                .bind(token.token_hash)
                .bind(token.scopes.join(" "))
                .bind(token.expires_at)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            Ok(id)
        })
    }

    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as("SELECT id, user_id, name, scopes, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(pool)
                .await?
        }))
    }
}
