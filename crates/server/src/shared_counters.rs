//! Request and failure counts that hold across nodes on one PostgreSQL database,
//! without a database write per request.
//!
//! Every node counts in memory, per key, in fixed one-minute windows aligned on
//! the Unix clock. A background task ([`spawn_sync`]) runs every
//! [`SYNC_INTERVAL`]: in one statement it adds what this node counted since the
//! last sync to the shared `rate_counters` table and reads back the cluster's
//! totals of the windows this node is tracking. A limit is decided from the
//! cluster total as of the last sync plus this node's own count since then.
//!
//! Across the current and the previous window the count is a sliding-window
//! estimate (as Cloudflare's): `previous × (share of the previous window still
//! inside the last minute) + current`, so that a caller cannot double its quota
//! around a window boundary.
//!
//! What a node does not yet know is what the other nodes counted since they and
//! then it last synced: a limit can be overshot by at most the traffic the other
//! nodes let through in two sync intervals (plus the syncs' own duration); a
//! node new to a key also decides its first requests alone until its next sync.
//! If the database
//! cannot be reached, the counts stay local and are sent with the next sync
//! that succeeds; meanwhile each node decides from what it knows.
//!
//! Nodes' clocks must agree to well within a window (NTP does).
//! Only used on PostgreSQL: on SQLite there is one node and the limits keep
//! their purely in-memory forms.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use oneportal_store::rate_counters::{self, Delta, Total};
use oneportal_store::{Db, now_ms};
use tokio::sync::watch;

/// How often each node adds its counts to the shared table and reads the totals.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(200);
/// The counting window, for quotas that are per minute.
pub const WINDOW_MS: i64 = 60_000;
/// Windows that began this long ago are deleted from the shared table.
const KEEP_MS: i64 = 5 * WINDOW_MS;
/// A window that just ended is still read back this long, for other nodes' late counts.
const LATE_MS: i64 = 2_000;

#[derive(Debug, Default, Clone, Copy)]
struct Window {
    /// Unix ms at which the window began.
    start: i64,
    /// The cluster's total at the last sync (including what this node sent then).
    synced: u64,
    /// Counted here and being sent by the sync in progress.
    sending: u64,
    /// Counted here since the last sync.
    local: u64,
    /// The cluster's total has been read at least once.
    read: bool,
}

impl Window {
    fn starting(start: i64) -> Window {
        Window {
            start,
            ..Window::default()
        }
    }

    fn total(&self) -> u64 {
        self.synced + self.sending + self.local
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    current: Window,
    previous: Window,
}

impl Entry {
    fn new(start: i64) -> Entry {
        Entry {
            current: Window::starting(start),
            previous: Window::starting(start - WINDOW_MS),
        }
    }

    /// Moves to the window that began at `start`. A clock that went back keeps the window it has.
    fn roll(&mut self, start: i64) {
        if self.current.start >= start {
            return;
        }
        self.previous = if self.current.start == start - WINDOW_MS {
            self.current
        } else {
            Window::starting(start - WINDOW_MS)
        };
        self.current = Window::starting(start);
    }

    /// Share of the current window gone by at `now`, from 0 to 1.
    fn elapsed(&self, now: i64) -> f64 {
        ((now - self.current.start) as f64 / WINDOW_MS as f64).clamp(0.0, 1.0)
    }

    fn estimate(&self, now: i64) -> f64 {
        self.previous.total() as f64 * (1.0 - self.elapsed(now)) + self.current.total() as f64
    }

    fn window_mut(&mut self, start: i64) -> Option<&mut Window> {
        if self.current.start == start {
            Some(&mut self.current)
        } else if self.previous.start == start {
            Some(&mut self.previous)
        } else {
            None
        }
    }

    /// How long until one more fits under `limit`, counting nothing meanwhile;
    /// `None` when it fits now.
    fn wait(&self, limit: u64, now: i64) -> Option<Duration> {
        let estimate = self.estimate(now);
        let room = limit.saturating_sub(1) as f64;
        if fits(estimate, limit) {
            return None;
        }
        let window = WINDOW_MS as f64;
        let elapsed = self.elapsed(now);
        let previous = self.previous.total() as f64;
        let current = self.current.total() as f64;
        let wait_ms = if current <= room && previous > 0.0 {
            // Still in this window, once enough of the previous one has slid out.
            ((1.0 - (room - current) / previous) - elapsed) * window
        } else {
            // In the next window, once enough of this one has slid out.
            (1.0 - elapsed) * window + (1.0 - room / current.max(1.0)) * window
        };
        // Float noise must not add a millisecond.
        Some(Duration::from_millis(
            (wait_ms - 1e-6).ceil().max(1.0) as u64
        ))
    }
}

/// One more fits when the estimate, a fraction counted as a whole request, stays under `limit`.
fn fits(estimate: f64, limit: u64) -> bool {
    estimate <= limit.saturating_sub(1) as f64 + 1e-9 && limit > 0
}

fn window_start(now: i64) -> i64 {
    now.div_euclid(WINDOW_MS) * WINDOW_MS
}

/// Per-key counts of this node plus the cluster's totals as of the last sync.
#[derive(Debug, Default)]
pub struct SharedCounters {
    entries: DashMap<String, Entry>,
}

impl SharedCounters {
    pub fn new() -> SharedCounters {
        SharedCounters::default()
    }

    fn with_entry<T>(&self, key: &str, now: i64, f: impl FnOnce(&mut Entry) -> T) -> T {
        let start = window_start(now);
        if let Some(mut entry) = self.entries.get_mut(key) {
            entry.roll(start);
            return f(&mut entry);
        }
        let mut entry = self
            .entries
            .entry(key.to_owned())
            .or_insert_with(|| Entry::new(start));
        entry.roll(start);
        f(&mut entry)
    }

    /// The sliding count of `key` over the last minute, across the cluster as far as known.
    pub fn estimate(&self, key: &str, now: i64) -> f64 {
        match self.entries.get(key) {
            Some(entry) => {
                let mut copy = *entry;
                copy.roll(window_start(now));
                copy.estimate(now)
            }
            None => 0.0,
        }
    }

    /// How long until `key` has room for one more under `limit`; `None` when it has now.
    pub fn wait(&self, key: &str, limit: u64, now: i64) -> Option<Duration> {
        match self.entries.get(key) {
            Some(entry) => {
                let mut copy = *entry;
                copy.roll(window_start(now));
                copy.wait(limit, now)
            }
            None if limit == 0 => Some(Duration::from_millis(WINDOW_MS as u64)),
            None => None,
        }
    }

    /// Counts one, whatever the limit; returns the estimate including it.
    pub fn add(&self, key: &str, now: i64) -> f64 {
        self.with_entry(key, now, |entry| {
            entry.current.local += 1;
            entry.estimate(now)
        })
    }

    /// Counts one if it fits under `limit` and returns the estimate including it;
    /// otherwise counts nothing and returns how long to wait.
    pub fn try_add(&self, key: &str, limit: u64, now: i64) -> Result<f64, Duration> {
        self.with_entry(key, now, |entry| match entry.wait(limit, now) {
            Some(wait) => Err(wait),
            None => {
                entry.current.local += 1;
                Ok(entry.estimate(now))
            }
        })
    }

    /// Takes back one counted by [`try_add`](Self::try_add) when another limit refused the request.
    pub fn undo(&self, key: &str, now: i64) {
        if let Some(mut entry) = self.entries.get_mut(key)
            && let Some(window) = entry.window_mut(window_start(now))
        {
            window.local = window.local.saturating_sub(1);
        }
    }

    /// What to send in a sync: every tracked key's current window (its count
    /// since the last sync, perhaps 0 to only read the total) and the previous
    /// window while other nodes may still add to it or before it was read once.
    /// The counts sent are held apart until [`synced`](Self::synced) or [`sync_failed`](Self::sync_failed).
    pub fn take_deltas(&self, now: i64) -> Vec<Delta> {
        let start = window_start(now);
        let mut deltas = Vec::new();
        for mut entry in self.entries.iter_mut() {
            let key = entry.key().clone();
            entry.roll(start);
            let entry = entry.value_mut();
            let previous_wanted =
                now < entry.previous.start + WINDOW_MS + LATE_MS || !entry.previous.read;
            for (window, wanted) in [
                (&mut entry.previous, previous_wanted),
                (&mut entry.current, true),
            ] {
                if window.local > 0 || wanted {
                    deltas.push(Delta {
                        key: key.clone(),
                        window_start: window.start,
                        delta: window.local as i64,
                    });
                    window.sending += window.local;
                    window.local = 0;
                }
            }
        }
        deltas
    }

    /// Takes in the cluster's totals after the deltas were added.
    pub fn synced(&self, sent: &[Delta], totals: Vec<Total>) {
        let totals: HashMap<(String, i64), i64> = totals
            .into_iter()
            .map(|t| ((t.key, t.window_start), t.count))
            .collect();
        for delta in sent {
            if let Some(mut entry) = self.entries.get_mut(&delta.key)
                && let Some(window) = entry.window_mut(delta.window_start)
            {
                let total = totals
                    .get(&(delta.key.clone(), delta.window_start))
                    .map(|&t| t.max(0) as u64);
                // Without a row the cluster has counted nothing but what was sent (0).
                window.synced = total.unwrap_or(window.synced + window.sending);
                window.sending = 0;
                window.read = true;
            }
        }
    }

    /// Puts the counts of a failed sync back, to be sent with the next one.
    pub fn sync_failed(&self, sent: &[Delta]) {
        for delta in sent {
            if let Some(mut entry) = self.entries.get_mut(&delta.key)
                && let Some(window) = entry.window_mut(delta.window_start)
            {
                window.local += window.sending;
                window.sending = 0;
            }
        }
    }

    /// Forgets keys with nothing counted in the current or previous window. Runs
    /// between syncs (in the sync task), never while one is in flight.
    pub fn sweep(&self, now: i64) {
        let start = window_start(now);
        // Unsent counts of older windows no longer matter to any node's estimate.
        self.entries
            .retain(|_, entry| entry.current.start >= start - WINDOW_MS);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// One sync with the shared table.
    pub async fn sync(&self, db: &Db) -> Result<(), oneportal_store::StoreError> {
        let sent = self.take_deltas(now_ms());
        if sent.is_empty() {
            return Ok(());
        }
        match rate_counters::add_and_read(db, sent.clone()).await {
            Ok(totals) => {
                self.synced(&sent, totals);
                Ok(())
            }
            Err(error) => {
                self.sync_failed(&sent);
                Err(error)
            }
        }
    }
}

/// Syncs every [`SYNC_INTERVAL`] for the life of the server, deletes old windows
/// now and then, and syncs once more at shutdown.
pub fn spawn_sync(counters: Arc<SharedCounters>, db: Db, mut shutdown: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SYNC_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ticks: u64 = 0;
        let mut failing = false;
        loop {
            let stopping = tokio::select! {
                _ = tick.tick() => false,
                _ = shutdown.wait_for(|stop| *stop) => true,
            };
            let started = std::time::Instant::now();
            match counters.sync(&db).await {
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!("rate-limit counters are shared across nodes again");
                }
                Ok(()) => {}
                Err(error) if !failing => {
                    failing = true;
                    tracing::warn!(%error, "could not share rate-limit counters; each node counts alone until the database answers");
                }
                Err(_) => {}
            }
            metrics::histogram!("oneportal_rate_counter_sync_seconds")
                .record(started.elapsed().as_secs_f64());
            if stopping {
                break;
            }
            ticks += 1;
            // Every 10 s: forget idle keys here. Every 5 min: delete old windows (any node may).
            if ticks.is_multiple_of(50) {
                counters.sweep(now_ms());
            }
            if ticks.is_multiple_of(1500)
                && let Err(error) = rate_counters::purge(&db, now_ms() - KEEP_MS).await
            {
                tracing::warn!(%error, "could not delete old rate-limit windows");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000; // a window boundary (divisible by 60 000)

    /// Another node's sync: adds `n` to the shared total of the current window.
    fn cluster_adds(table: &mut HashMap<(String, i64), i64>, key: &str, now: i64, n: i64) {
        *table
            .entry((key.to_owned(), window_start(now)))
            .or_default() += n;
    }

    /// This node's sync against an in-memory stand-in for the table.
    fn sync(counters: &SharedCounters, table: &mut HashMap<(String, i64), i64>, now: i64) {
        let sent = counters.take_deltas(now);
        let mut totals = Vec::new();
        for d in &sent {
            let slot = table.entry((d.key.clone(), d.window_start)).or_default();
            *slot += d.delta;
            totals.push(Total {
                key: d.key.clone(),
                window_start: d.window_start,
                count: *slot,
            });
        }
        counters.synced(&sent, totals);
    }

    #[test]
    fn decides_from_the_synced_total_plus_its_own_count_since() {
        let counters = SharedCounters::new();
        let mut table = HashMap::new();
        assert_eq!(counters.try_add("k", 5, T0 + 1_000), Ok(1.0));
        cluster_adds(&mut table, "k", T0 + 1_000, 2);
        assert_eq!(
            counters.estimate("k", T0 + 1_100),
            1.0,
            "unknown until a sync"
        );
        sync(&counters, &mut table, T0 + 1_200);
        assert_eq!(
            counters.estimate("k", T0 + 1_300),
            3.0,
            "1 here + 2 elsewhere"
        );
        assert_eq!(counters.try_add("k", 5, T0 + 1_400), Ok(4.0));
        assert_eq!(counters.try_add("k", 5, T0 + 1_500), Ok(5.0));
        let wait = counters.try_add("k", 5, T0 + 1_600).unwrap_err();
        assert!(wait > Duration::from_secs(58), "{wait:?}");
        sync(&counters, &mut table, T0 + 1_700);
        assert_eq!(table[&("k".to_owned(), T0)], 5, "each count sent once");
        assert_eq!(counters.estimate("k", T0 + 1_800), 5.0);
    }

    #[test]
    fn a_failed_sync_keeps_the_counts_for_the_next() {
        let counters = SharedCounters::new();
        counters.add("k", T0 + 10);
        counters.add("k", T0 + 20);
        let sent = counters.take_deltas(T0 + 30);
        assert_eq!(
            sent.iter().map(|d| d.delta).sum::<i64>(),
            2,
            "sent: {sent:?}"
        );
        counters.add("k", T0 + 40);
        assert_eq!(
            counters.estimate("k", T0 + 50),
            3.0,
            "in flight still counts"
        );
        counters.sync_failed(&sent);
        assert_eq!(counters.estimate("k", T0 + 60), 3.0);
        let mut table = HashMap::new();
        sync(&counters, &mut table, T0 + 70);
        assert_eq!(table[&("k".to_owned(), T0)], 3);
        assert_eq!(counters.estimate("k", T0 + 80), 3.0);
    }

    #[test]
    fn the_previous_window_slides_out() {
        let counters = SharedCounters::new();
        for _ in 0..10 {
            counters.add("k", T0 + 59_000);
        }
        // A quarter into the next window, three quarters of the previous one still count.
        assert_eq!(counters.estimate("k", T0 + 75_000), 7.5);
        // A fraction counts as a whole request: 7.5 leaves no room under 8.
        assert!(counters.try_add("k", 8, T0 + 75_000).is_err());
        assert!(counters.try_add("k", 9, T0 + 75_000).is_ok());
        // 7.5 + 1 = 8.5 rounds up to 9: wait until the previous window's share is 7.
        let wait = counters.wait("k", 9, T0 + 75_000).unwrap();
        assert_eq!(wait, Duration::from_secs(3), "at 78 s, 10 × 0.7 + 1 = 8");
        assert!(counters.try_add("k", 9, T0 + 78_000).is_ok());
        // Two windows on, nothing is left.
        assert_eq!(counters.estimate("k", T0 + 180_000), 0.0);
        counters.sweep(T0 + 180_000);
        assert!(counters.is_empty());
    }

    #[test]
    fn a_full_window_waits_into_the_next() {
        let counters = SharedCounters::new();
        for _ in 0..4 {
            counters.try_add("k", 4, T0 + 30_000).unwrap();
        }
        // 30 s to the boundary, then 15 s until 4 × 0.75 = 3 leaves room for one.
        assert_eq!(
            counters.try_add("k", 4, T0 + 30_000),
            Err(Duration::from_secs(45))
        );
        assert_eq!(counters.wait("other", 4, T0), None, "keys are apart");
    }

    #[test]
    fn a_node_new_to_a_key_reads_both_windows_from_the_cluster() {
        let counters = SharedCounters::new();
        let mut table = HashMap::new();
        cluster_adds(&mut table, "k", T0 - 1, 6); // previous window, elsewhere
        cluster_adds(&mut table, "k", T0 + 1, 2); // current window, elsewhere
        counters.add("k", T0 + 30_000);
        sync(&counters, &mut table, T0 + 30_000);
        assert_eq!(counters.estimate("k", T0 + 30_000), 6.0 * 0.5 + 3.0);
        // The previous window is read once, then no more once it is well over.
        let sent = counters.take_deltas(T0 + 30_200);
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].window_start, T0);
    }

    #[test]
    fn counts_of_a_window_that_rolled_are_sent_with_it() {
        let counters = SharedCounters::new();
        counters.add("k", T0 + 59_990);
        counters.add("k", T0 + 60_010);
        let mut table = HashMap::new();
        sync(&counters, &mut table, T0 + 60_100);
        assert_eq!(table[&("k".to_owned(), T0)], 1);
        assert_eq!(table[&("k".to_owned(), T0 + 60_000)], 1);
    }

    #[test]
    fn undo_takes_back_a_count() {
        let counters = SharedCounters::new();
        counters.try_add("k", 3, T0).unwrap();
        counters.undo("k", T0);
        assert_eq!(counters.estimate("k", T0), 0.0);
    }
}
