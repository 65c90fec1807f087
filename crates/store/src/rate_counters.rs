//! Fixed-window counters shared by the nodes on one PostgreSQL database, so that
//! rate limits hold across nodes. Nodes count in memory and call [`add_and_read`]
//! a few times a second with what they counted since; nothing here runs per request.

use crate::{Db, Exec, StoreError, args};

/// What one node counted for one key in one window since its last sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub key: String,
    pub window_start: i64,
    /// 0 only reads the cluster's total.
    pub delta: i64,
}

/// A window's total over every node, including the deltas just added.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Total {
    pub key: String,
    pub window_start: i64,
    pub count: i64,
}

/// Adds the deltas and returns the totals of every (key, window) asked for that
/// has a row. On PostgreSQL this is one statement for all keys, with rows
/// locked in key order so that nodes syncing at once cannot deadlock.
pub async fn add_and_read(db: &Db, mut deltas: Vec<Delta>) -> Result<Vec<Total>, StoreError> {
    if deltas.is_empty() {
        return Ok(Vec::new());
    }
    deltas.sort_by(|a, b| (&a.key, a.window_start).cmp(&(&b.key, b.window_start)));
    match db {
        Db::Pg(pool) => {
            let mut keys = Vec::with_capacity(deltas.len());
            let mut starts = Vec::with_capacity(deltas.len());
            let mut counts = Vec::with_capacity(deltas.len());
            for d in deltas {
                keys.push(d.key);
                starts.push(d.window_start);
                counts.push(d.delta);
            }
            Ok(sqlx::query_as::<_, Total>(
                "WITH input AS ( \
                   SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[]) AS i(key, window_start, delta) \
                 ), added AS ( \
                   INSERT INTO rate_counters (key, window_start, count) \
                   SELECT key, window_start, delta FROM input WHERE delta > 0 ORDER BY key, window_start \
                   ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + EXCLUDED.count \
                   RETURNING key, window_start, count \
                 ) \
                 SELECT key, window_start, count FROM added \
                 UNION ALL \
                 SELECT r.key, r.window_start, r.count FROM rate_counters r \
                   JOIN input i ON r.key = i.key AND r.window_start = i.window_start WHERE i.delta = 0",
            )
            .bind(keys)
            .bind(starts)
            .bind(counts)
            .fetch_all(pool)
            .await?)
        }
        // One node by definition: nodes do not sync on SQLite. Kept working for completeness.
        Db::Sqlite(..) => {
            let mut totals = Vec::new();
            for d in deltas {
                let total: Option<Total> = if d.delta > 0 {
                    db.fetch_optional(
                        "INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, $3) \
                         ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + excluded.count \
                         RETURNING key, window_start, count",
                        args![d.key, d.window_start, d.delta],
                    )
                    .await?
                } else {
                    db.fetch_optional(
                        "SELECT key, window_start, count FROM rate_counters WHERE key = $1 AND window_start = $2",
                        args![d.key, d.window_start],
                    )
                    .await?
                };
                totals.extend(total);
            }
            Ok(totals)
        }
    }
}

/// Deletes windows that began before `before` (Unix ms).
pub async fn purge(db: &impl Exec, before: i64) -> Result<u64, StoreError> {
    db.execute(
        "DELETE FROM rate_counters WHERE window_start < $1",
        args![before],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteDurability;

    fn delta(key: &str, window_start: i64, delta: i64) -> Delta {
        Delta {
            key: key.into(),
            window_start,
            delta,
        }
    }

    #[tokio::test]
    async fn adds_deltas_and_reads_totals_and_purges_old_windows() {
        let path = std::env::temp_dir().join(format!(
            "oneportal-rate-counters-{}-{}.db",
            std::process::id(),
            crate::now_ms()
        ));
        let db = Db::open_sqlite(&path, SqliteDurability::Normal)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let first = add_and_read(&db, vec![delta("b", 0, 2), delta("a", 0, 1)])
            .await
            .unwrap();
        assert_eq!(first.len(), 2);
        let second = add_and_read(
            &db,
            vec![delta("a", 0, 3), delta("b", 0, 0), delta("c", 0, 0)],
        )
        .await
        .unwrap();
        let mut got: Vec<_> = second.iter().map(|t| (t.key.as_str(), t.count)).collect();
        got.sort();
        assert_eq!(got, [("a", 4), ("b", 2)], "0 only reads; no row, no total");
        add_and_read(&db, vec![delta("a", 60_000, 1)])
            .await
            .unwrap();
        assert_eq!(purge(&db, 60_000).await.unwrap(), 2);
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
