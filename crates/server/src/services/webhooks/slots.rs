//! How many attempts this node has in flight to each endpoint, and how many it may.
//!
//! A healthy endpoint may take `healthy_limit` attempts at once. One whose last
//! attempt failed takes one at a time until it succeeds again: endpoints that
//! hang for the whole timeout then hold one of the node's slots each, not
//! `healthy_limit`, and the healthy endpoints keep the rest. Its backlog waits
//! in the database, due, and flows again at full width after its first success.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct EndpointSlots {
    healthy_limit: usize,
    endpoints: Mutex<HashMap<i64, Load>>,
}

#[derive(Default)]
struct Load {
    in_flight: usize,
    failing: bool,
}

/// One attempt in flight to an endpoint; dropping it frees the slot.
pub struct Slot {
    slots: Arc<EndpointSlots>,
    endpoint: i64,
}

impl EndpointSlots {
    pub fn new(healthy_limit: usize) -> Arc<EndpointSlots> {
        Arc::new(EndpointSlots {
            healthy_limit,
            endpoints: Mutex::new(HashMap::new()),
        })
    }

    fn limit(&self, load: &Load) -> usize {
        if load.failing { 1 } else { self.healthy_limit }
    }

    fn endpoints(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Load>> {
        // The map holds counters only; a panic elsewhere leaves it usable.
        self.endpoints
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Endpoints that may take no more attempts now.
    pub fn full(&self) -> Vec<i64> {
        self.endpoints()
            .iter()
            .filter(|(_, load)| load.in_flight >= self.limit(load))
            .map(|(endpoint, _)| *endpoint)
            .collect()
    }

    /// A slot for an attempt to the endpoint, if it may take one more now.
    pub fn try_take(self: &Arc<Self>, endpoint: i64) -> Option<Slot> {
        let mut endpoints = self.endpoints();
        let load = endpoints.entry(endpoint).or_default();
        if load.in_flight >= self.limit(load) {
            return None;
        }
        load.in_flight += 1;
        Some(Slot {
            slots: self.clone(),
            endpoint,
        })
    }

    /// What the endpoint's latest attempt came to.
    pub fn record(&self, endpoint: i64, succeeded: bool) {
        let mut endpoints = self.endpoints();
        if succeeded {
            if let Some(load) = endpoints.get_mut(&endpoint) {
                load.failing = false;
            }
        } else {
            endpoints.entry(endpoint).or_default().failing = true;
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut endpoints = self.slots.endpoints();
        if let Some(load) = endpoints.get_mut(&self.endpoint) {
            load.in_flight -= 1;
            // Healthy endpoints at rest are forgotten; failing ones stay marked.
            if load.in_flight == 0 && !load.failing {
                endpoints.remove(&self.endpoint);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_healthy_endpoint_takes_its_limit_and_a_failing_one_takes_one() {
        let slots = EndpointSlots::new(4);
        let healthy: Vec<Slot> = (0..4).filter_map(|_| slots.try_take(1)).collect();
        assert_eq!(healthy.len(), 4);
        assert!(slots.try_take(1).is_none(), "a fifth attempt must wait");
        assert_eq!(slots.full(), vec![1]);

        slots.record(2, false);
        let probe = slots
            .try_take(2)
            .expect("a failing endpoint still gets one attempt");
        assert!(
            slots.try_take(2).is_none(),
            "a failing endpoint gets one at a time"
        );
        drop(probe);
        slots.record(2, true);
        let recovered: Vec<Slot> = (0..4).filter_map(|_| slots.try_take(2)).collect();
        assert_eq!(
            recovered.len(),
            4,
            "a success gives the endpoint its width back"
        );
    }

    #[test]
    fn dropping_a_slot_frees_it() {
        let slots = EndpointSlots::new(1);
        let one = slots.try_take(7).unwrap();
        assert!(slots.try_take(7).is_none());
        drop(one);
        assert!(slots.try_take(7).is_some());
        assert!(slots.full().is_empty(), "an endpoint at rest is not full");
    }
}
