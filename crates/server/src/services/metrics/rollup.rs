//! The background rollup: closed five minutes of samples become five-minute
//! points, and the hours they complete become hourly points; then what is
//! older than each resolution keeps is forgotten.
//!
//! Points are computed by reads (which on SQLite's WAL never wait for a writer
//! nor hold one up) and written in short transactions, so pushes keep landing
//! while a rollup runs. Every step is an idempotent upsert: two nodes rolling
//! up the same span on PostgreSQL write the same points.

use oneportal_domain::metrics::Resolution;
use oneportal_store::metrics as store;
use oneportal_store::{StoreError, now_ms};

use crate::state::AppState;

const FIVE_MINUTES: i64 = 5 * 60_000;
const HOUR: i64 = 60 * 60_000;
/// Samples may arrive this late and still be in their five minutes' first rollup.
const SETTLE_MS: i64 = 60_000;
/// Each pass also redoes this much before where it stopped, for samples that came later still.
const REDO_TRAILING_MS: i64 = 15 * 60_000;
/// The most one transaction writes: an hour of five-minute points.
const CHUNK_MS: i64 = HOUR;
/// Series whose old samples one purge transaction deletes.
const PURGE_BATCH: i64 = 200;

fn floor(at: i64, width: i64) -> i64 {
    at - at.rem_euclid(width)
}

/// Rolls up every closed five minutes not yet rolled up (and any that late
/// samples reopened); answers how many points were written.
pub async fn run(state: &AppState) -> Result<usize, StoreError> {
    let now = now_ms();
    let closed = floor(now - SETTLE_MS, FIVE_MINUTES);
    let oldest = floor(now - Resolution::Raw.kept_ms(), HOUR);
    let mark = store::rollup_mark(&state.db, Resolution::FiveMinutes).await?;
    let hours_mark = store::rollup_mark(&state.db, Resolution::Hour).await?;
    let done = mark.map_or(oldest, |m| m.done_to);
    state.metric_series.set_rolled_up_to(done);
    let redo = mark.and_then(|m| m.redo_from);
    if closed <= done && redo.is_none() {
        return Ok(0);
    }
    let mut from = (done - REDO_TRAILING_MS).max(oldest);
    if let Some(redo) = redo {
        from = from.min(floor(redo, FIVE_MINUTES)).max(oldest);
    }
    let mut hours_from = hours_mark.map_or(floor(from, HOUR), |m| m.done_to.min(floor(from, HOUR)));
    let mut written = 0;
    while from < closed {
        let to = (from + CHUNK_MS).min(closed);
        let points = store::roll_up_points(&state.db, Resolution::FiveMinutes, (from, to)).await?;
        let tx = state.db.begin().await?;
        store::write_points(&tx, Resolution::FiveMinutes, &points).await?;
        let last = to >= closed;
        store::set_rollup_mark(
            &tx,
            Resolution::FiveMinutes,
            to.max(done),
            if last { redo } else { None },
        )
        .await?;
        tx.commit().await?;
        written += points.len();
        // Hours this chunk completed.
        let hours_to = floor(to, HOUR);
        if hours_to > hours_from {
            let hours =
                store::roll_up_points(&state.db, Resolution::Hour, (hours_from, hours_to)).await?;
            let tx = state.db.begin().await?;
            store::write_points(&tx, Resolution::Hour, &hours).await?;
            store::set_rollup_mark(&tx, Resolution::Hour, hours_to, None).await?;
            tx.commit().await?;
            written += hours.len();
            hours_from = hours_to;
        }
        from = to;
    }
    state.metric_series.set_rolled_up_to(closed.max(done));
    metrics::counter!("oneportal_metric_points_rolled_up_total").increment(written as u64);
    Ok(written)
}

/// Forgets samples and points older than their resolution keeps; answers how many.
pub async fn purge(state: &AppState) -> Result<u64, StoreError> {
    let now = now_ms();
    let last = store::last_series_id(&state.db).await?;
    let mut deleted = 0;
    let mut first = 1;
    while first <= last {
        let tx = state.db.begin().await?;
        deleted += store::purge(&tx, (first, first + PURGE_BATCH - 1), now).await?;
        tx.commit().await?;
        first += PURGE_BATCH;
    }
    Ok(deleted)
}
