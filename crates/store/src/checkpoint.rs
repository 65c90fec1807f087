//! Checkpoints of the embedded SQLite file's write-ahead log, on a thread of
//! their own.
//!
//! By default SQLite checkpoints inside the commit that takes the log past
//! 1,000 pages: within that writer's turn, so every other write waits while
//! pages are copied into the database file and it is synced. Under
//! remote-write ingestion (hundreds of pages a commit) that was every few
//! commits. Here the writer checkpoints only as a backstop, and this thread
//! runs a passive checkpoint a few times a second beside the writes: a passive
//! checkpoint takes no writer's lock and waits for nobody. A page written many
//! times between two checkpoints is copied once.
//!
//! Durability does not change: a commit is safe once it is in the log, and a
//! checkpoint only moves what the log holds into the database file.

use std::path::Path;
use std::sync::Weak;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::StoreError;

/// The log's size, in pages, past which the writer checkpoints itself (64 MiB
/// of 4 KiB pages): reached only if this thread falls behind.
pub(crate) const BACKSTOP_PAGES: u32 = 16_384;

/// How often the log is checkpointed.
const EVERY: Duration = Duration::from_millis(250);

/// Checkpoints the file at `path` until `alive` has no owner left (the
/// database's last handle was dropped).
pub(crate) fn spawn<T: Send + Sync + 'static>(
    path: &Path,
    alive: Weak<T>,
) -> Result<(), StoreError> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            while alive.strong_count() > 0 {
                std::thread::sleep(EVERY);
                let checkpoint =
                    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                if let Err(error) = checkpoint {
                    tracing::warn!(%error, "could not checkpoint the SQLite log; the writer will when it grows");
                }
            }
        })
        .map_err(|error| StoreError::Unavailable(format!("cannot start the checkpoint thread: {error}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{Db, Exec, SqliteDurability};

    /// What the writer logged reaches the database file without the writer's
    /// help: its own checkpoint waits for a far longer log than this commit's.
    #[tokio::test]
    async fn the_thread_moves_the_log_into_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let db = Db::open_sqlite(&path, SqliteDurability::Normal)
            .await
            .unwrap();
        let tx = db.begin().await.unwrap();
        tx.execute(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
            vec![],
        )
        .await
        .unwrap();
        for id in 0..200_i64 {
            tx.execute(
                "INSERT INTO notes (id, body) VALUES ($1, $2)",
                crate::args![id, "x".repeat(1000)],
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let file_size = || std::fs::metadata(&path).unwrap().len();
        for _ in 0..40 {
            if file_size() >= 200_000 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(
            file_size() >= 200_000,
            "the file holds the commit: {} bytes",
            file_size()
        );
    }
}
