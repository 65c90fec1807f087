//! Who a limit counts a request under: an IPv4 address (also when mapped into
//! IPv6), or an IPv6 /64, since one subscriber is usually given a whole /64 and
//! could rotate through it. Connection caps and the token endpoint's failure
//! throttle both count this way.

use std::net::{IpAddr, Ipv6Addr};

/// The address a request is counted under: IPv4 as it is, IPv6 as its /64 network.
pub fn counted_address(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}
