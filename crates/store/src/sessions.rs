//! Portal sessions, one table per kind of person: customers' users in
//! `portal_sessions`, provider staff in `staff_sessions`, so that neither
//! cookie opens the other side. Both tables have the same shape; only the
//! table and the column naming the person differ, so the SQL is written once.

use crate::{Exec, StoreError, args};

/// The statements for one kind's session table (see [`CUSTOMERS`], [`STAFF`]).
#[derive(Debug, Clone, Copy)]
pub struct SessionTable {
    insert: &'static str,
    find: &'static str,
    touch: &'static str,
    delete: &'static str,
    purge: &'static str,
    /// Rows that belong to one session and end with it.
    delete_with: Option<&'static str>,
}

/// `Exec` takes `&'static str` SQL, so the statements are put together at compile time.
macro_rules! session_table {
    ($table:literal, $person:literal, $delete_with:expr) => {
        SessionTable {
            insert: concat!(
                "INSERT INTO ",
                $table,
                " (token_hash, ",
                $person,
                ", csrf_token, created_at, last_seen_at, expires_at, ip) \
                 VALUES ($1, $2, $3, $4, $4, $5, $6)"
            ),
            find: concat!(
                "SELECT token_hash, ",
                $person,
                " AS person_id, csrf_token, created_at, last_seen_at, expires_at \
                 FROM ",
                $table,
                " WHERE token_hash = $1"
            ),
            touch: concat!(
                "UPDATE ",
                $table,
                " SET last_seen_at = $1 WHERE token_hash = $2"
            ),
            delete: concat!("DELETE FROM ", $table, " WHERE token_hash = $1"),
            purge: concat!(
                "DELETE FROM ",
                $table,
                " WHERE expires_at <= $1 OR last_seen_at < $2"
            ),
            delete_with: $delete_with,
        }
    };
}

/// Customers' sessions; a secret waiting to be shown once is shown only to the session that made it.
pub const CUSTOMERS: SessionTable = session_table!(
    "portal_sessions",
    "user_id",
    Some("DELETE FROM portal_secret_reveals WHERE session_hash = $1")
);

/// Provider staff's sessions.
pub const STAFF: SessionTable = session_table!("staff_sessions", "staff_id", None);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    /// The user's id in [`CUSTOMERS`], the staff member's in [`STAFF`].
    pub person_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub person_id: i64,
    pub csrf_token: &'a str,
    pub now: i64,
    pub expires_at: i64,
    pub ip: Option<String>,
}

pub async fn insert(
    db: &impl Exec,
    table: &SessionTable,
    session: NewSession<'_>,
) -> Result<(), StoreError> {
    db.execute(
        table.insert,
        args![
            session.token_hash,
            session.person_id,
            session.csrf_token,
            session.now,
            session.expires_at,
            session.ip
        ],
    )
    .await?;
    Ok(())
}

pub async fn find(
    db: &impl Exec,
    table: &SessionTable,
    token_hash: &str,
) -> Result<Option<SessionRow>, StoreError> {
    db.fetch_optional(table.find, args![token_hash]).await
}

pub async fn touch(
    db: &impl Exec,
    table: &SessionTable,
    token_hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.execute(table.touch, args![now, token_hash]).await?;
    Ok(())
}

pub async fn delete(
    db: &impl Exec,
    table: &SessionTable,
    token_hash: &str,
) -> Result<(), StoreError> {
    db.execute(table.delete, args![token_hash]).await?;
    if let Some(sql) = table.delete_with {
        db.execute(sql, args![token_hash]).await?;
    }
    Ok(())
}

/// Forgets sessions past their absolute expiry or idle since `idle_before`.
pub async fn purge_expired(
    db: &impl Exec,
    table: &SessionTable,
    now: i64,
    idle_before: i64,
) -> Result<(), StoreError> {
    db.execute(table.purge, args![now, idle_before]).await?;
    Ok(())
}
