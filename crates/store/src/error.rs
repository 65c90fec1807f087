use thiserror::Error;

/// What can go wrong talking to the database, sorted by what a caller does about it.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("record not found")]
    NotFound,
    /// A unique constraint refused the write; carries the index or column text.
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    /// The database cannot be reached right now; worth a 503 and a retry.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored value OnePortal cannot read (a value the domain does not know):
    /// names the table, the column and the value, and is never read as a default.
    #[error("the database holds a value OnePortal cannot read in {table}.{column}: {detail}")]
    Unreadable {
        table: String,
        column: String,
        detail: String,
    },
    #[error("database error: {0}")]
    Other(sqlx::Error),
    /// An error of a read on the calling thread ([`crate::direct`]).
    #[error("database error: {0}")]
    Direct(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
        match error {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            rusqlite::Error::SqliteFailure(ref failure, _)
                if matches!(failure.code, DatabaseBusy | DatabaseLocked) =>
            {
                StoreError::Unavailable(error.to_string())
            }
            rusqlite::Error::FromSqlConversionFailure(index, _, ref source) => {
                StoreError::Unreadable {
                    table: "a table".into(),
                    column: format!("column {index}"),
                    detail: source.to_string(),
                }
            }
            other => StoreError::Direct(other),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(
                db.constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().to_owned()),
            ),
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => StoreError::Unavailable(error.to_string()),
            sqlx::Error::Database(ref db) if is_unavailable_code(db.code().as_deref()) => {
                StoreError::Unavailable(error.to_string())
            }
            other => StoreError::Other(other),
        }
    }
}

/// PostgreSQL's "server shutting down / cannot connect now" family (57P0x, 08xxx)
/// and SQLite's BUSY (5) after the busy timeout.
fn is_unavailable_code(code: Option<&str>) -> bool {
    matches!(code, Some(c) if c.starts_with("57P0") || c.starts_with("08") || c == "5")
}

/// The table a statement reads, for error messages: the name after its first `FROM`.
pub(crate) fn table_of(sql: &str) -> String {
    let mut words = sql.split_whitespace();
    words
        .by_ref()
        .find(|word| word.eq_ignore_ascii_case("FROM"))
        .and(words.next())
        .map(|name| name.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_'))
        .filter(|name| !name.is_empty())
        .unwrap_or("a table")
        .to_owned()
}

impl StoreError {
    /// A failed read: a column that does not decode becomes [`StoreError::Unreadable`].
    pub(crate) fn reading(table: &str, error: sqlx::Error) -> StoreError {
        match error {
            sqlx::Error::ColumnDecode { index, source } => StoreError::Unreadable {
                table: table.to_owned(),
                column: index.trim_matches('"').to_owned(),
                detail: source.to_string(),
            },
            other => StoreError::from(other),
        }
    }

    /// True when the unique violation is on the named index or column list.
    pub fn is_conflict_on(&self, needle: &str) -> bool {
        matches!(self, StoreError::Conflict(what) if what.contains(needle))
    }
}
