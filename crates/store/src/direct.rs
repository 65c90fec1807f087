//! Reads of the embedded SQLite file on the calling thread, for the few reads
//! whose cost is the trip, not the query.
//!
//! sqlx runs each SQLite connection on a thread of its own: a statement is a
//! message to that thread and rows come back as messages, so a read that SQLite
//! answers in microseconds costs several thread wake-ups, and every row and
//! column is copied into sqlx's own row type. Profiles of the event feed and
//! of chart reads spent more time there than in SQLite. A [`DirectReads`] keeps
//! a few read-only connections of its own and runs a statement where it is
//! asked, mapping rows straight into the caller's type.
//!
//! Only single statements outside any transaction read this way: each is its
//! own consistent snapshot of what was committed, as on the pool. Writes, and
//! reads inside a transaction, stay on sqlx.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, Row};

use crate::arg::Arg;
use crate::error::StoreError;

/// How long a direct read waits for a lock (only a checkpoint or a schema
/// change takes one that blocks readers in WAL mode).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// More idle connections than this are closed rather than kept.
const KEEP_IDLE: usize = 8;

/// Read-only connections to one SQLite file, opened on first use and reused.
#[derive(Clone)]
pub struct DirectReads(Arc<Inner>);

struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for DirectReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DirectReads").field(&self.0.path).finish()
    }
}

/// How long a read may take, which decides where it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// A page of rows found by an index: run on the calling thread, as a
    /// hash-map lookup would be.
    Page,
    /// Thousands of rows (a month of chart points): the runtime is told the
    /// thread blocks, so other tasks move to another thread meanwhile.
    Scan,
}

impl DirectReads {
    pub(crate) fn new(path: &Path) -> DirectReads {
        DirectReads(Arc::new(Inner {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        }))
    }

    /// Runs `sql` with `args` bound to its `$n` placeholders by number, and
    /// maps every row with `map`.
    pub fn fetch_all<T>(
        &self,
        cost: Cost,
        sql: &str,
        args: &[Arg],
        mut map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        self.with_connection(cost, |connection| {
            let mut statement = connection.prepare_cached(sql)?;
            bind(&mut statement, args)?;
            let mut rows = statement.raw_query();
            let mut found = Vec::new();
            while let Some(row) = rows.next()? {
                found.push(map(row)?);
            }
            Ok(found)
        })
    }

    fn with_connection<T>(
        &self,
        cost: Cost,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let run = || {
            let connection = self.take()?;
            let result = read(&connection);
            // A connection whose read failed may hold a half-stepped
            // statement in its cache; a fresh one costs an open.
            if result.is_ok() {
                self.give_back(connection);
            }
            result.map_err(StoreError::from)
        };
        let blocking_is_allowed = tokio::runtime::Handle::try_current().is_ok_and(|handle| {
            handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        });
        if cost == Cost::Scan && blocking_is_allowed {
            tokio::task::block_in_place(run)
        } else {
            run()
        }
    }

    fn take(&self) -> rusqlite::Result<Connection> {
        if let Some(connection) = self.idle().pop() {
            return Ok(connection);
        }
        let connection = Connection::open_with_flags(
            &self.0.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        // With the histograms ANALYZE keeps (sqlite_stat4), SQLite plans a
        // statement for the values bound to it, and binding other values makes
        // it parse and plan the cached statement again at its next step: every
        // feed page did (perf: sqlite3Reprepare under sqlite3_step). One plan
        // for all values keeps the cache a cache; the indexes these reads use
        // leave the planner no better choice to make per value.
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        connection.set_prepared_statement_cache_capacity(32);
        Ok(connection)
    }

    fn give_back(&self, connection: Connection) {
        let mut idle = self.idle();
        if idle.len() < KEEP_IDLE {
            idle.push(connection);
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A panic while the lock was held left a list of connections, still good.
        self.0
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Binds `args[n - 1]` to each `$n` the statement names. SQLite numbers named
/// parameters by first appearance, so they are looked up by name, as sqlx does.
fn bind(statement: &mut rusqlite::CachedStatement<'_>, args: &[Arg]) -> rusqlite::Result<()> {
    for (n, arg) in args.iter().enumerate() {
        let Some(index) = statement.parameter_index(&format!("${}", n + 1))? else {
            continue;
        };
        match arg {
            Arg::I64(v) => statement.raw_bind_parameter(index, v)?,
            Arg::Text(v) => statement.raw_bind_parameter(index, v)?,
            Arg::Bool(v) => statement.raw_bind_parameter(index, v)?,
            Arg::Bytes(v) => statement.raw_bind_parameter(index, v)?,
            Arg::F64(v) => statement.raw_bind_parameter(index, v)?,
        }
    }
    Ok(())
}

/// A text column parsed into a domain value, failing the read with the
/// parser's message (which names the value), as [`crate::stored::Stored`] does on sqlx.
pub(crate) fn parsed<T>(row: &Row<'_>, index: usize) -> rusqlite::Result<T>
where
    T: TryFrom<String>,
    T::Error: std::fmt::Display,
{
    let text: String = row.get(index)?;
    T::try_from(text).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            error.to_string().into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Db, Exec, SqliteDurability};

    async fn db_with_notes() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite(&dir.path().join("t.db"), SqliteDurability::Normal)
            .await
            .unwrap();
        db.execute(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
            vec![],
        )
        .await
        .unwrap();
        (dir, db)
    }

    /// A cached statement keeps its plan when other values are bound to it,
    /// also where ANALYZE's histograms would have the planner look at them.
    #[tokio::test]
    async fn a_cached_statement_is_not_planned_again_for_other_values() {
        let (_dir, db) = db_with_notes().await;
        db.execute("CREATE INDEX notes_by_body ON notes (body)", vec![])
            .await
            .unwrap();
        // Skewed, so that the values' histograms differ.
        for id in 0..200_i64 {
            let body = if id < 190 { "common" } else { "rare" };
            db.execute(
                "INSERT INTO notes (id, body) VALUES ($1, $2)",
                crate::args![id, body],
            )
            .await
            .unwrap();
        }
        db.execute("ANALYZE", vec![]).await.unwrap();
        let direct = db.direct().expect("SQLite reads directly");
        let sql = "SELECT id FROM notes WHERE body = $1 AND id > $2 ORDER BY id LIMIT 5";
        for (body, after) in [
            ("common", 0_i64),
            ("rare", 190),
            ("common", 50),
            ("rare", 0),
        ] {
            let found = direct
                .fetch_all(
                    Cost::Page,
                    sql,
                    &[Arg::from(body), Arg::from(after)],
                    |row| row.get::<_, i64>(0),
                )
                .unwrap();
            assert!(!found.is_empty(), "{body} after {after}");
        }
        let connection = direct.take().unwrap();
        let statement = connection.prepare_cached(sql).unwrap();
        assert_eq!(
            statement.get_status(rusqlite::StatementStatus::RePrepare),
            0,
            "the statement was parsed and planned again"
        );
    }

    /// Placeholders bind by their number, in any order and more than once, as
    /// on sqlx, so the same SQL text serves both paths.
    #[tokio::test]
    async fn placeholders_bind_by_number() {
        let (_dir, db) = db_with_notes().await;
        let direct = db.direct().expect("SQLite reads directly");
        let rows = direct
            .fetch_all(
                Cost::Page,
                "SELECT $2, $1, $2",
                &[Arg::from("one"), Arg::from(2_i64)],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, i64>(2)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(rows, [(2, "one".to_owned(), 2)]);
    }

    /// A direct read sees every commit made through the pool before it, and
    /// a failed read leaves the next one unharmed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_see_commits_and_survive_errors() {
        let (_dir, db) = db_with_notes().await;
        let direct = db.direct().unwrap();
        let count = |cost| {
            direct
                .fetch_all(cost, "SELECT COUNT(*) FROM notes", &[], |row| {
                    row.get::<_, i64>(0)
                })
                .unwrap()[0]
        };
        assert_eq!(count(Cost::Page), 0);
        db.execute("INSERT INTO notes (id, body) VALUES (1, 'a')", vec![])
            .await
            .unwrap();
        assert_eq!(count(Cost::Scan), 1);
        let refused = direct.fetch_all(Cost::Page, "SELECT nothing FROM notes", &[], |_| Ok(()));
        assert!(refused.is_err());
        let written = direct.fetch_all(Cost::Page, "DELETE FROM notes", &[], |_| Ok(()));
        assert!(written.is_err(), "direct connections only read");
        assert_eq!(count(Cost::Page), 1);
    }
}
