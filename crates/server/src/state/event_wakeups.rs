//! Who waits for new events, and waking them when some commit (here or, through
//! the change feed, on another node).
//!
//! A long poll of the event feed waits for its own organization only: a commit
//! in one organization wakes that organization's waiters, not every waiter on
//! the node. The delivery and notification workers wait for any event.

use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::Notify;
use tokio::sync::futures::Notified;

#[derive(Default)]
pub struct EventWakeups {
    /// The workers: woken by every commit with events, and by changes to what they deliver.
    any: Notify,
    /// The feed's waiters, per organization.
    by_org: DashMap<i64, Arc<Notify>>,
}

impl EventWakeups {
    /// Completes at the next event commit in any organization (enable it before reading).
    pub fn any(&self) -> Notified<'_> {
        self.any.notified()
    }

    /// What a waiter for `org_id`'s events waits on.
    pub fn of(&self, org_id: i64) -> Arc<Notify> {
        self.by_org.entry(org_id).or_default().clone()
    }

    /// Events of these organizations committed; empty when the sender could not say which.
    pub fn wake(&self, orgs: &[i64]) {
        self.any.notify_waiters();
        if orgs.is_empty() {
            self.by_org.iter().for_each(|entry| entry.notify_waiters());
        } else {
            for org_id in orgs {
                if let Some(waiters) = self.by_org.get(org_id) {
                    waiters.notify_waiters();
                }
            }
        }
        // Organizations nobody waits for any more are forgotten.
        self.by_org
            .retain(|_, waiters| Arc::strong_count(waiters) > 1);
    }

    /// Only the workers: an endpoint was added, enabled or asked to recover.
    pub fn wake_workers(&self) {
        self.any.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn woken(waiting: std::pin::Pin<Box<Notified<'_>>>) -> bool {
        tokio::time::timeout(Duration::from_millis(50), waiting)
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_commit_wakes_its_organizations_waiters_and_the_workers_only() {
        let wakeups = EventWakeups::default();
        let (one, two) = (wakeups.of(1), wakeups.of(2));
        let (mut first, mut second) = (Box::pin(one.notified()), Box::pin(two.notified()));
        first.as_mut().enable();
        second.as_mut().enable();
        let mut worker = Box::pin(wakeups.any());
        worker.as_mut().enable();
        wakeups.wake(&[1]);
        assert!(woken(first).await);
        assert!(!woken(second).await);
        assert!(woken(worker).await);
        // Not knowing which organization wakes everyone.
        let mut second = Box::pin(two.notified());
        second.as_mut().enable();
        wakeups.wake(&[]);
        assert!(woken(second).await);
    }

    #[test]
    fn organizations_nobody_waits_for_are_forgotten() {
        let wakeups = EventWakeups::default();
        drop(wakeups.of(7));
        let kept = wakeups.of(8);
        wakeups.wake(&[7]);
        assert_eq!(wakeups.by_org.len(), 1);
        drop(kept);
    }
}
