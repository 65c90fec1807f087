//! How many connections one source address holds open at once. A client that
//! opens more than the limit (a slow-loris attack, a runaway script) is refused
//! at accept, so it cannot take every socket the server has.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use super::source::counted_address;

/// Open connections per source, with the limit `0` meaning none.
#[derive(Debug)]
pub struct ConnectionLimits {
    per_source: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One counted connection; dropping it (the connection closed) frees its place.
#[derive(Debug)]
pub struct ConnectionPermit {
    limits: Arc<ConnectionLimits>,
    source: IpAddr,
}

impl ConnectionLimits {
    pub fn new(per_source: u32) -> Arc<ConnectionLimits> {
        Arc::new(ConnectionLimits {
            per_source: per_source as usize,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A place for one more connection from `address`, or `None` when it holds the limit already.
    pub fn try_acquire(self: &Arc<Self>, address: IpAddr) -> Option<ConnectionPermit> {
        let source = counted_address(address);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(source).or_insert(0);
        if self.per_source > 0 && *count >= self.per_source {
            return None;
        }
        *count += 1;
        Some(ConnectionPermit {
            limits: self.clone(),
            source,
        })
    }

    /// Connections `address` holds now.
    pub fn open_from(&self, address: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&counted_address(address)).copied().unwrap_or(0)
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.source) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.source);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_the_limit_and_a_closed_connection_frees_its_place() {
        let limits = ConnectionLimits::new(2);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let first = limits.try_acquire(a).unwrap();
        let _second = limits.try_acquire(a).unwrap();
        assert!(limits.try_acquire(a).is_none());
        assert!(
            limits.try_acquire(b).is_some(),
            "another address is counted apart"
        );
        drop(first);
        assert!(limits.try_acquire(a).is_some());
    }

    #[test]
    fn ipv6_is_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let limits = ConnectionLimits::new(1);
        let _one = limits
            .try_acquire("2001:db8:1:2::1".parse().unwrap())
            .unwrap();
        assert!(
            limits
                .try_acquire("2001:db8:1:2::ffff".parse().unwrap())
                .is_none()
        );
        assert!(
            limits
                .try_acquire("2001:db8:1:3::1".parse().unwrap())
                .is_some()
        );
        let _v4 = limits.try_acquire("192.0.2.1".parse().unwrap()).unwrap();
        assert!(
            limits
                .try_acquire("::ffff:192.0.2.1".parse().unwrap())
                .is_none()
        );
    }

    #[test]
    fn zero_means_no_limit_and_counts_go_back_to_nothing() {
        let limits = ConnectionLimits::new(0);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let permits: Vec<_> = (0..1000).map(|_| limits.try_acquire(a).unwrap()).collect();
        assert_eq!(limits.open_from(a), 1000);
        drop(permits);
        assert_eq!(limits.open_from(a), 0);
        assert!(limits.open.lock().unwrap().is_empty());
    }
}
