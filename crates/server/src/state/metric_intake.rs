//! What this node's metrics intake took and refused since it started, for the
//! staff page (`/metrics` has the same counts to sum across nodes).

use std::collections::VecDeque;
use std::sync::Mutex;

use dashmap::DashMap;

/// Service ids kept to show staff which labelling mistakes are being pushed.
const RECENT_UNKNOWN: usize = 10;

pub struct IntakeTally {
    /// Since when this node counts (Unix ms).
    pub since: i64,
    /// Samples by outcome: `accepted` or a rejection's reason.
    samples: DashMap<&'static str, u64>,
    /// The latest service ids pushed that named no service, newest first.
    unknown: Mutex<VecDeque<String>>,
}

impl Default for IntakeTally {
    fn default() -> Self {
        IntakeTally {
            since: oneportal_store::now_ms(),
            samples: DashMap::new(),
            unknown: Mutex::new(VecDeque::new()),
        }
    }
}

impl IntakeTally {
    pub fn add(&self, outcome: &'static str, samples: u64) {
        if samples > 0 {
            *self.samples.entry(outcome).or_default() += samples;
        }
    }

    pub fn saw_unknown(&self, services: &[String]) {
        let Ok(mut unknown) = self.unknown.lock() else {
            return;
        };
        for service in services {
            unknown.retain(|s| s != service);
            unknown.push_front(service.clone());
            unknown.truncate(RECENT_UNKNOWN);
        }
    }

    /// Samples by outcome, most first.
    pub fn samples(&self) -> Vec<(&'static str, u64)> {
        let mut counts: Vec<_> = self
            .samples
            .iter()
            .map(|e| (*e.key(), *e.value()))
            .collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        counts
    }

    pub fn unknown_services(&self) -> Vec<String> {
        self.unknown
            .lock()
            .map(|u| u.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_by_outcome_and_unknown_services_keep_the_newest_ten_once_each() {
        let tally = IntakeTally::default();
        tally.add("accepted", 5);
        tally.add("unknown_service", 2);
        tally.add("accepted", 3);
        tally.add("too_old", 0);
        assert_eq!(
            tally.samples(),
            vec![("accepted", 8), ("unknown_service", 2)]
        );
        let ids: Vec<String> = (0..12).map(|i| format!("SVC-{i}")).collect();
        tally.saw_unknown(&ids);
        tally.saw_unknown(&["SVC-5".to_owned()]);
        let shown = tally.unknown_services();
        assert_eq!(shown.len(), 10);
        assert_eq!(shown[0], "SVC-5");
        assert_eq!(shown.iter().filter(|s| *s == "SVC-5").count(), 1);
    }
}
