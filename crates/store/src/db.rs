//! One code path over two databases: native sqlx pools behind an enum, and
//! `$1`-placeholder SQL that both SQLite and PostgreSQL accept. sqlx binds a
//! `$n` to the n-th value on SQLite too (checked by a test below), so a
//! statement may use its values in any order and more than once.

use std::future::Future;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use tokio::sync::Mutex;

pub use crate::arg::Arg;
use crate::checkpoint;
use crate::direct::DirectReads;
use crate::error::{StoreError, table_of};

/// A connection pool to the embedded SQLite file or a PostgreSQL server.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, WriteGate, DirectReads),
    Pg(PgPool),
}

/// SQLite lets one transaction write at a time. This process's transactions
/// queue for that turn here, in order and waking the moment it is free, rather
/// than in SQLite's busy handler, which polls with sleeps of up to 100 ms and so
/// leaves the lock idle most of the time under concurrent writes. Other
/// processes (the CLI) still meet SQLite's own lock and busy timeout.
///
/// Every transaction then runs on the one connection behind the gate. In WAL
/// mode a connection drops its whole page cache when it finds that another
/// connection wrote since its last transaction; with writes spread over the
/// pool, each write read its pages again from the file. The one writer keeps
/// its cache (see [`WRITER_CACHE_KIB`]) from one transaction to the next.
#[derive(Clone, Debug)]
pub struct WriteGate {
    turn: std::sync::Arc<tokio::sync::Semaphore>,
    writer: SqlitePool,
}

impl WriteGate {
    /// Waits for this process's turn to write, as long as the busy timeout allows.
    async fn enter(&self) -> Result<tokio::sync::OwnedSemaphorePermit, StoreError> {
        match tokio::time::timeout(BUSY_TIMEOUT, self.turn.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(StoreError::Unavailable("the database is closing".into())),
            Err(_) => Err(StoreError::Unavailable(
                "the database is busy with other writes; retry shortly".into(),
            )),
        }
    }
}

/// The page cache of the one connection that writes: the pages writes touch
/// again (a pushed series' newest samples, indexes' right edges) stay in memory.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// How long a write waits for SQLite's lock before it is refused as unavailable.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Which backend a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How durable a SQLite commit is. `Normal` survives a process crash (the
/// case OnePortal guarantees); `Full` also survives power loss, at a cost per write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteDurability {
    #[default]
    Normal,
    Full,
}

/// A pooled PostgreSQL connection idle this long is pinged before it is used.
const CHECK_IDLE_CONNECTIONS_AFTER: Duration = Duration::from_secs(1);

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Opens (creating if needed) the SQLite database at `path`.
    ///
    /// The database holds customer data, sealed keys and secret hashes, so its files are
    /// readable by this user only (0600) whatever the umask: the file is created 0600
    /// before SQLite opens it (SQLite gives `-wal` and `-shm` the database file's mode),
    /// and files an older version left open to others are tightened.
    pub async fn open_sqlite(path: &Path, durability: SqliteDurability) -> Result<Db, StoreError> {
        create_private(path)?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match durability {
                SqliteDurability::Normal => SqliteSynchronous::Normal,
                SqliteDurability::Full => SqliteSynchronous::Full,
            })
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // A page of up to 100 rows passes from SQLite's thread without it
            // waiting for the reader to take each row in turn.
            .row_buffer_size(128);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // sqlx pings a connection on every acquire by default: a round trip to
            // the connection's thread before each statement, for a database in this
            // process that cannot hang up (and it pings on release anyway).
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(BUSY_TIMEOUT)
            .connect_with(
                options
                    .pragma("cache_size", format!("-{WRITER_CACHE_KIB}"))
                    // Checkpoints run beside the writes (see `checkpoint`); this only
                    // bounds the log should that thread fall behind.
                    .pragma("wal_autocheckpoint", checkpoint::BACKSTOP_PAGES.to_string()),
            )
            .await?;
        for file in sqlite_files(path) {
            restrict(&file)?;
        }
        let gate = WriteGate {
            turn: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            writer,
        };
        checkpoint::spawn(path, std::sync::Arc::downgrade(&gate.turn))?;
        Ok(Db::Sqlite(pool, gate, DirectReads::new(path)))
    }

    /// Connects to PostgreSQL. A short acquire timeout makes an outage answer
    /// quickly (503) instead of queueing requests forever.
    pub async fn connect_postgres(url: &str, max_connections: u32) -> Result<Db, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            // sqlx pings a connection on every acquire by default, a round trip to
            // the server before each statement. It also pings every connection as it
            // goes back to the pool, so only one that sat idle since (through a
            // server restart, say) is checked again, as PgBouncer's server_check_delay does.
            .test_before_acquire(false)
            .before_acquire(|connection, meta| {
                Box::pin(async move {
                    if meta.idle_for >= CHECK_IDLE_CONNECTIONS_AFTER {
                        sqlx::Connection::ping(connection).await?;
                    }
                    Ok(true)
                })
            })
            .acquire_timeout(Duration::from_secs(3))
            .connect_with(options)
            .await?;
        Ok(Db::Pg(pool))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Pg(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations this binary carries; returns how many were new.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let before = self.applied_migrations().await.unwrap_or(0);
        match self {
            Db::Sqlite(pool, ..) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Pg(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(self.applied_migrations().await?.saturating_sub(before))
    }

    async fn applied_migrations(&self) -> Result<usize, StoreError> {
        let (n,): (i64,) = self
            .fetch_one(
                "SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE",
                vec![],
            )
            .await?;
        Ok(n as usize)
    }

    /// True when a trivial query succeeds: the readiness probe.
    pub async fn ping(&self) -> bool {
        self.fetch_one::<(i64,)>("SELECT CAST(1 AS BIGINT)", vec![])
            .await
            .is_ok()
    }

    /// Starts a transaction. SQLite takes the write lock at once (`BEGIN
    /// IMMEDIATE`) so that a read-then-write never fails on lock upgrade.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let inner = match self {
            Db::Sqlite(_, gate, _) => {
                let permit = gate.enter().await?;
                let tx = gate.writer.begin_with("BEGIN IMMEDIATE").await?;
                InTransaction::Sqlite(tx, permit)
            }
            Db::Pg(pool) => InTransaction::Pg(pool.begin().await?),
        };
        Ok(Held(Mutex::new(inner)))
    }

    /// A connection for one request's reads (see [`Reader`]).
    pub async fn reader(&self) -> Result<Reader, StoreError> {
        let inner = match self {
            Db::Sqlite(pool, ..) => Pooled::Sqlite(pool.acquire().await?),
            Db::Pg(pool) => Pooled::Pg(pool.acquire().await?),
        };
        Ok(Held(Mutex::new(inner)))
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool, gate, _) => {
                gate.writer.close().await;
                pool.close().await;
            }
            Db::Pg(pool) => pool.close().await,
        }
    }
}

/// The database file and the two SQLite keeps beside it in WAL mode.
pub fn sqlite_files(path: &Path) -> [std::path::PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    [path.to_path_buf(), with("-wal"), with("-shm")]
}

/// Creates an empty database file, 0600, unless there is one.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(file_error(e, "cannot create", path)),
    }
}

/// Takes group and other access away from a database file that has it.
fn restrict(file: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(metadata) = std::fs::metadata(file) else {
            return Ok(());
        };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode & 0o700))
                .map_err(|e| file_error(e, "cannot restrict", file))?;
            tracing::info!(file = %file.display(), was = format!("{mode:o}"), "made a database file readable by this user only");
        }
    }
    Ok(())
}

fn file_error(error: std::io::Error, what: &str, path: &Path) -> StoreError {
    StoreError::Other(sqlx::Error::Io(std::io::Error::new(
        error.kind(),
        format!("{what} {}: {error}", path.display()),
    )))
}

/// `$first, $first+1, …`: `count` numbered parameters for an `IN` list.
pub(crate) fn numbered_marks(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `sql_with_marks` with each `?` numbered after the values already in `args`,
/// its `values` appended to `args` in order.
pub(crate) fn number_marks(sql_with_marks: &str, values: Vec<Arg>, args: &mut Vec<Arg>) -> String {
    let mut sql = String::new();
    let mut values = values.into_iter();
    for (i, part) in sql_with_marks.split('?').enumerate() {
        if i > 0 {
            args.push(values.next().expect("one value per mark"));
            sql.push_str(&format!("${}", args.len()));
        }
        sql.push_str(part);
    }
    sql
}

/// A row type that decodes from both backends' rows.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                Arg::I64(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
                Arg::Bytes(v) => q.bind(v),
                Arg::F64(v) => q.bind(v),
            };
        }
        q
    }};
}

/// Runs the same statement on either backend, on a pool or in a transaction.
/// Repositories take `&impl Exec`, so one function serves both.
pub trait Exec: Sync {
    fn execute(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    fn fetch_all<T: Record>(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Vec<T>, StoreError>> + Send;
    fn fetch_optional<T: Record>(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Option<T>, StoreError>> + Send;

    /// Reads of committed data on the calling thread ([`DirectReads`]): only on
    /// the SQLite pool itself, never in a transaction (it would not see the
    /// transaction's own writes) nor on PostgreSQL.
    fn direct(&self) -> Option<&DirectReads> {
        None
    }

    /// For SQL assembled at run time (lists with filters); values still go through `args`.
    fn fetch_all_dynamic<T: Record>(
        &self,
        sql: String,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Vec<T>, StoreError>> + Send;

    fn fetch_one<T: Record>(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<T, StoreError>> + Send {
        async move {
            self.fetch_optional(sql, args)
                .await?
                .ok_or(StoreError::NotFound)
        }
    }
}

/// One statement on whichever backend holds it: `$build` (`query` or
/// `query_as`, with the row type in brackets) with `$args` bound, then `$run`
/// on the pool or on a held connection (and `$then` on its result).
macro_rules! on_backend {
    (pool $pool:expr => $build:ident [$($row:ty)?] ($sql:expr, $args:expr) . $run:ident $(. $then:ident)?) => {
        match $pool {
            Pool::Sqlite(pool) => bind_all!(sqlx::$build::<Sqlite $(, $row)?>($sql), $args)
                .$run(pool)
                .await?$(.$then())?,
            Pool::Pg(pool) => bind_all!(sqlx::$build::<Postgres $(, $row)?>($sql), $args)
                .$run(pool)
                .await?$(.$then())?,
        }
    };
    (held $connection:expr => $build:ident [$($row:ty)?] ($sql:expr, $args:expr) . $run:ident $(. $then:ident)?) => {
        match $connection {
            Connection::Sqlite(c) => bind_all!(sqlx::$build::<Sqlite $(, $row)?>($sql), $args)
                .$run(&mut *c)
                .await?$(.$then())?,
            Connection::Pg(c) => bind_all!(sqlx::$build::<Postgres $(, $row)?>($sql), $args)
                .$run(&mut *c)
                .await?$(.$then())?,
        }
    };
}

impl Exec for Db {
    fn direct(&self) -> Option<&DirectReads> {
        match self {
            Db::Sqlite(_, _, direct) => Some(direct),
            Db::Pg(_) => None,
        }
    }

    async fn fetch_all_dynamic<T: Record>(
        &self,
        sql: String,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, StoreError> {
        // The statement moves into sqlx; keep its table for an unreadable row's error.
        let table = table_of(&sql);
        let (_turn, pool) = self.pool_for(writes(&sql)).await?;
        let sql = sqlx::AssertSqlSafe(sql);
        async { Ok::<_, sqlx::Error>(on_backend!(pool pool => query_as[T](sql, args).fetch_all)) }
            .await
            .map_err(|error| StoreError::reading(&table, error))
    }

    async fn execute(&self, sql: &'static str, args: Vec<Arg>) -> Result<u64, StoreError> {
        // Only writes come this way (schema changes too): always the writer's turn.
        let (_turn, pool) = self.pool_for(true).await?;
        Ok(on_backend!(pool pool => query[](sql, args).execute.rows_affected))
    }

    async fn fetch_all<T: Record>(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, StoreError> {
        let (_turn, pool) = self.pool_for(writes(sql)).await?;
        async { Ok::<_, sqlx::Error>(on_backend!(pool pool => query_as[T](sql, args).fetch_all)) }
            .await
            .map_err(|error| StoreError::reading(&table_of(sql), error))
    }

    async fn fetch_optional<T: Record>(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> Result<Option<T>, StoreError> {
        let (_turn, pool) = self.pool_for(writes(sql)).await?;
        async {
            Ok::<_, sqlx::Error>(on_backend!(pool pool => query_as[T](sql, args).fetch_optional))
        }
        .await
        .map_err(|error| StoreError::reading(&table_of(sql), error))
    }
}

/// The pool a statement outside a transaction runs on.
enum Pool<'a> {
    Sqlite(&'a SqlitePool),
    Pg(&'a PgPool),
}

/// The turn to write on SQLite, held until the statement is done.
type WriteTurn = Option<tokio::sync::OwnedSemaphorePermit>;

impl Db {
    /// Where a statement outside a transaction runs. On SQLite a write (also
    /// one read back, `UPDATE … RETURNING`) queues for the turn like any transaction and
    /// runs on the writer (see [`WriteGate`]): on a reading connection it would
    /// poll for the lock in SQLite's busy handler, and under back-to-back
    /// transactions wait there for seconds. Reads take the reading pool.
    async fn pool_for(&self, write: bool) -> Result<(WriteTurn, Pool<'_>), StoreError> {
        Ok(match self {
            Db::Sqlite(_, gate, _) if write => {
                (Some(gate.enter().await?), Pool::Sqlite(&gate.writer))
            }
            Db::Sqlite(pool, ..) => (None, Pool::Sqlite(pool)),
            Db::Pg(pool) => (None, Pool::Pg(pool)),
        })
    }
}

/// Whether a statement changes the database: its first word is a write.
fn writes(sql: &str) -> bool {
    let first = sql.split_whitespace().next().unwrap_or_default();
    ["INSERT", "UPDATE", "DELETE", "REPLACE"]
        .iter()
        .any(|verb| first.eq_ignore_ascii_case(verb))
}

/// A connection held across statements, as the statements need it.
enum Connection<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Pg(&'a mut sqlx::PgConnection),
}

trait HoldsConnection: Send {
    fn connection(&mut self) -> Connection<'_>;
}

/// A connection and the statements run on it in turn: a transaction ([`Tx`])
/// or one request's reads ([`Reader`]).
pub struct Held<C>(Mutex<C>);

/// A transaction; dropped without [`Tx::commit`] it rolls back.
pub type Tx = Held<InTransaction>;

/// One pooled connection for several reads, outside any transaction.
///
/// Each statement on the pool takes a connection and gives it back, and sqlx
/// checks every connection it gets back with a ping: on SQLite one more trip to
/// the connection's thread, on PostgreSQL one more round trip to the server. A
/// request that reads several times (a case and its conversation, a page and its
/// total) pays that once on a reader instead of once per statement.
pub type Reader = Held<Pooled>;

pub enum InTransaction {
    /// With this process's turn to write, held until commit or rollback.
    Sqlite(
        Transaction<'static, Sqlite>,
        tokio::sync::OwnedSemaphorePermit,
    ),
    Pg(Transaction<'static, Postgres>),
}

pub enum Pooled {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Pg(sqlx::pool::PoolConnection<Postgres>),
}

impl HoldsConnection for InTransaction {
    fn connection(&mut self) -> Connection<'_> {
        match self {
            InTransaction::Sqlite(tx, _) => Connection::Sqlite(tx),
            InTransaction::Pg(tx) => Connection::Pg(tx),
        }
    }
}

impl HoldsConnection for Pooled {
    fn connection(&mut self) -> Connection<'_> {
        match self {
            Pooled::Sqlite(c) => Connection::Sqlite(c),
            Pooled::Pg(c) => Connection::Pg(c),
        }
    }
}

impl Tx {
    pub async fn backend(&self) -> Backend {
        match &*self.0.lock().await {
            InTransaction::Sqlite(..) => Backend::Sqlite,
            InTransaction::Pg(_) => Backend::Postgres,
        }
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self.0.into_inner() {
            InTransaction::Sqlite(tx, _permit) => tx.commit().await?,
            InTransaction::Pg(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

impl<C: HoldsConnection> Exec for Held<C> {
    async fn fetch_all_dynamic<T: Record>(
        &self,
        sql: String,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, StoreError> {
        let table = table_of(&sql);
        let sql = sqlx::AssertSqlSafe(sql);
        let mut guard = self.0.lock().await;
        async {
            Ok::<_, sqlx::Error>(
                on_backend!(held guard.connection() => query_as[T](sql, args).fetch_all),
            )
        }
        .await
        .map_err(|error| StoreError::reading(&table, error))
    }

    async fn execute(&self, sql: &'static str, args: Vec<Arg>) -> Result<u64, StoreError> {
        let mut guard = self.0.lock().await;
        Ok(on_backend!(held guard.connection() => query[](sql, args).execute.rows_affected))
    }

    async fn fetch_all<T: Record>(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, StoreError> {
        let mut guard = self.0.lock().await;
        async {
            Ok::<_, sqlx::Error>(
                on_backend!(held guard.connection() => query_as[T](sql, args).fetch_all),
            )
        }
        .await
        .map_err(|error| StoreError::reading(&table_of(sql), error))
    }

    async fn fetch_optional<T: Record>(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> Result<Option<T>, StoreError> {
        let mut guard = self.0.lock().await;
        async {
            Ok::<_, sqlx::Error>(
                on_backend!(held guard.connection() => query_as[T](sql, args).fetch_optional),
            )
        }
        .await
        .map_err(|error| StoreError::reading(&table_of(sql), error))
    }
}

#[cfg(test)]
mod tests {
    use super::{Db, Exec, SqliteDurability};
    use crate::args;

    /// SQLite on its own numbers `$n` parameters by first appearance; sqlx reads
    /// the number, so a statement may name its values in any order, as
    /// PostgreSQL allows. Much of this crate's SQL relies on it (`SET a = $2
    /// WHERE id = $1`), so it is checked here rather than assumed.
    #[tokio::test]
    async fn numbered_placeholders_bind_by_their_number_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite(&dir.path().join("t.db"), SqliteDurability::Full)
            .await
            .unwrap();
        let (second, first, again): (i64, String, i64) = db
            .fetch_one("SELECT $2 AS a, $1 AS b, $2 AS c", args!["one", 2_i64])
            .await
            .unwrap();
        assert_eq!((second, first.as_str(), again), (2, "one", 2));
    }

    /// A reader is one connection, not a transaction: each of its statements
    /// sees what was committed before it, including a write committed while the
    /// reader was held, and holding it keeps no writer waiting.
    #[tokio::test]
    async fn a_reader_sees_each_commit_and_holds_no_writer_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite(&dir.path().join("t.db"), SqliteDurability::Normal)
            .await
            .unwrap();
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)", vec![])
            .await
            .unwrap();
        let reader = db.reader().await.unwrap();
        let count = || async {
            let (n,): (i64,) = reader
                .fetch_one("SELECT COUNT(*) FROM notes", vec![])
                .await
                .unwrap();
            n
        };
        assert_eq!(count().await, 0);
        let tx = tokio::time::timeout(std::time::Duration::from_secs(2), db.begin())
            .await
            .expect("a held reader keeps no writer waiting")
            .unwrap();
        tx.execute("INSERT INTO notes (id) VALUES (1)", vec![])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(count().await, 1);
    }

    /// A write read back (`UPDATE … RETURNING`) outside a transaction waits for
    /// the writer's turn like a transaction, instead of taking a reading
    /// connection and meeting the lock in SQLite's busy handler.
    #[tokio::test]
    async fn a_write_read_back_waits_for_the_writers_turn() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite(&dir.path().join("t.db"), SqliteDurability::Normal)
            .await
            .unwrap();
        db.execute(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, seen INTEGER)",
            vec![],
        )
        .await
        .unwrap();
        db.execute("INSERT INTO notes (id, seen) VALUES (1, 0)", vec![])
            .await
            .unwrap();
        let Db::Sqlite(_, gate, _) = &db else {
            unreachable!("opened on SQLite")
        };
        let turn = gate.enter().await.unwrap();
        let update = db.fetch_all::<(i64,)>(
            "UPDATE notes SET seen = 1 WHERE id = 1 RETURNING id",
            vec![],
        );
        tokio::pin!(update);
        let waited = tokio::time::timeout(std::time::Duration::from_millis(300), &mut update).await;
        assert!(waited.is_err(), "the write ran while another held the turn");
        drop(turn);
        assert_eq!(update.await.unwrap(), vec![(1,)]);
        // A read takes no turn.
        let _turn = gate.enter().await.unwrap();
        let (seen,): (i64,) = db
            .fetch_one("SELECT seen FROM notes WHERE id = 1", vec![])
            .await
            .unwrap();
        assert_eq!(seen, 1);
    }

    #[test]
    fn writes_are_told_by_their_first_word() {
        for write in [
            "INSERT INTO t",
            "  update t SET",
            "DELETE FROM t",
            "REPLACE INTO t",
        ] {
            assert!(super::writes(write), "{write}");
        }
        for read in [
            "SELECT 1",
            "\n SELECT id FROM t",
            "",
            "WITH x AS (SELECT 1) SELECT * FROM x",
        ] {
            assert!(!super::writes(read), "{read}");
        }
    }

    #[test]
    fn both_backends_carry_the_same_migration_versions() {
        let versions = |m: &sqlx::migrate::Migrator| {
            m.iter()
                .map(|m| (m.version, m.description.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            versions(&super::SQLITE_MIGRATIONS),
            versions(&super::POSTGRES_MIGRATIONS)
        );
    }
}
