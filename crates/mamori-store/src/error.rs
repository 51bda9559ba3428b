//! The store's errors: what the caller asked wrongly, and what broke inside.

use mamori_domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique value is already taken.
    #[error("already exists: {0}")]
    Duplicate(String),
    /// The update carried an old version; the record has moved on.
    #[error("the record was changed by someone else (current version {current})")]
    Stale { current: i64 },
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration {version}: {source}")]
    Migration { version: i64, source: sqlx::Error },
}

impl StoreError {
    /// Maps unique-constraint violations to [`StoreError::Duplicate`].
    pub(crate) fn from_write(e: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            let what = db
                .constraint()
                .map(str::to_owned)
                .unwrap_or_else(|| db.message().replace("UNIQUE constraint failed: ", ""));
            return StoreError::Duplicate(what);
        }
        StoreError::Database(e)
    }
}
