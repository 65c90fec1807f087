//! The hottest PostgreSQL reads on a few connections of their own.
//!
//! sqlx's pool tests every connection as it goes back (`ping`: a round trip
//! to the server after each statement), which doubles the round trips of a
//! request that reads once; its options cannot turn that off. These
//! connections skip it: a connection goes back only after its statement
//! finished, and one whose request was dropped mid-statement is dropped with
//! it, so none is left half-read. One that has lost its server (a restart, or
//! an administrator ending it) is replaced and the read tried once more on a
//! new connection: a read may be repeated.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgRow};
use sqlx::{Connection, FromRow, PgConnection, Postgres};
use tokio::sync::Semaphore;

use crate::arg::Arg;
use crate::error::{StoreError, is_unavailable_code, table_of};

/// How long a read waits for a connection before the database counts as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct PgReads(Arc<Inner>);

struct Inner {
    options: PgConnectOptions,
    idle: Mutex<Vec<PgConnection>>,
    turns: Semaphore,
}

impl std::fmt::Debug for PgReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgReads")
    }
}

impl PgReads {
    /// At most `connections` statements at once, each on its own connection;
    /// more wait their turn.
    pub(crate) fn new(options: PgConnectOptions, connections: usize) -> PgReads {
        PgReads(Arc::new(Inner {
            options,
            idle: Mutex::new(Vec::new()),
            turns: Semaphore::new(connections),
        }))
    }

    /// Every row of a read of committed data (outside any transaction).
    pub async fn fetch_all<T>(&self, sql: String, args: Vec<Arg>) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let table = table_of(&sql);
        let _turn = tokio::time::timeout(ACQUIRE_TIMEOUT, self.0.turns.acquire())
            .await
            .map_err(|_| StoreError::Unavailable("every read connection is busy".into()))?
            .map_err(|_| StoreError::Unavailable("the database is closing".into()))?;
        let idle = self.idle().pop();
        let mut connection = match idle {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        let result = run(&mut connection, &sql, args.clone()).await;
        let (result, connection) = match result {
            Err(error) if lost_server(&error) => {
                drop(connection);
                let mut fresh = self.connect().await?;
                (run(&mut fresh, &sql, args).await, fresh)
            }
            other => (other, connection),
        };
        match result {
            Ok(rows) => {
                self.idle().push(connection);
                Ok(rows)
            }
            // The connection may be mid-answer: it goes with the error.
            Err(error) => Err(StoreError::reading(&table, error)),
        }
    }

    /// A new connection, as long as the pool would wait for one.
    async fn connect(&self) -> Result<PgConnection, StoreError> {
        tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect_with(&self.0.options))
            .await
            .map_err(|_| StoreError::Unavailable("the database did not answer in time".into()))?
            .map_err(StoreError::from)
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<PgConnection>> {
        // The list holds connections only; a panic elsewhere leaves it usable.
        self.0.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn run<T>(
    connection: &mut PgConnection,
    sql: &str,
    args: Vec<Arg>,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let query = crate::db::bind_all!(
        sqlx::query_as::<Postgres, T>(sqlx::AssertSqlSafe(sql.to_owned())),
        args
    );
    query.fetch_all(connection).await
}

/// Whether an error says the connection lost its server (a closed socket, or
/// the server ending it: 57P01 at shutdown) rather than that the statement failed.
fn lost_server(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => is_unavailable_code(db.code().as_deref()),
        _ => false,
    }
}
