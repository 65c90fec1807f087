//! Requests OnePortal makes to addresses its customers chose (webhook
//! endpoints), and the rule that keeps them off the provider's own network.
//!
//! An address is checked when the connection is made, after DNS resolution:
//! a hostname that resolves to a private, loopback, link-local, multicast or
//! cloud-metadata address is refused like the address itself, and so is one
//! that answers a redirect (redirects are not followed). The operator may
//! allow-list networks (`webhooks.allowed_networks`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long a delivery may take to connect, and in all.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(15);

/// Where outbound requests may go.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    /// Whether `http://` is allowed besides `https://`.
    pub allow_http: bool,
    /// Networks allowed although they are of a refused kind.
    pub allowed: Vec<IpNet>,
}

impl OutboundPolicy {
    /// Whether a connection to `ip` is allowed.
    pub fn permits(&self, ip: IpAddr) -> bool {
        !is_internal(ip) || self.allowed.iter().any(|net| net.contains(&ip))
    }

    /// Checks a URL before anything is sent: its scheme, and its host when it is an
    /// address. A host name is checked on resolution, when the connection is made.
    pub fn check_url(&self, url: &str) -> Result<reqwest::Url, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("the URL is not valid: {e}"))?;
        match parsed.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => return Err("the URL must use https://".into()),
            other => return Err(format!("the URL must use https://, not {other}://")),
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("the URL may not hold a user name or password".into());
        }
        let host = parsed.host_str().ok_or("the URL has no host")?;
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            && !self.permits(ip)
        {
            return Err(refused(ip));
        }
        Ok(parsed)
    }

    /// A client that checks every resolved address, follows no redirect and keeps to the timeouts.
    pub fn client(&self) -> reqwest::Client {
        install_tls_provider();
        reqwest::Client::builder()
            .dns_resolver(Arc::new(CheckedResolver {
                policy: self.clone(),
            }))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .no_proxy()
            .user_agent("OnePortal-Webhooks/1")
            .build()
            .expect("the webhook client's settings are valid")
    }
}

/// Makes aws-lc-rs the process's TLS provider (the one the rest of OnePortal
/// uses), which reqwest needs before it builds a client. Calling it again is harmless.
pub fn install_tls_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

fn refused(ip: IpAddr) -> String {
    format!(
        "{ip} is a private, loopback, link-local, multicast or metadata address; webhooks are not delivered there"
    )
}

/// Addresses inside the provider's or the machine's own networks.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal_v4(v4),
            None => is_internal_v6(v6),
        },
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, cloud metadata among them
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, 100.64/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7 (fd00:ec2::254 metadata among them)
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || ip.to_ipv4().is_some_and(|v4| ip.segments()[..6] == [0; 6] && is_internal_v4(v4)) // IPv4-compatible
}

/// Resolves with the system resolver, then drops every address the policy refuses.
struct CheckedResolver {
    policy: OutboundPolicy,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|addr| policy.permits(addr.ip()))
                .collect();
            if allowed.is_empty() {
                let why = match found.first() {
                    Some(addr) => format!("{host} resolves to {}", refused(addr.ip())),
                    None => format!("{host} did not resolve"),
                };
                return Err(why.into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_of_every_kind_are_refused_and_public_ones_pass() {
        let policy = OutboundPolicy::default();
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
        ] {
            let ip: IpAddr = internal.parse().unwrap();
            assert!(!policy.permits(ip), "{internal} must be refused");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1"] {
            assert!(
                policy.permits(public.parse().unwrap()),
                "{public} is public"
            );
        }
        let allowed = OutboundPolicy {
            allow_http: false,
            allowed: vec!["10.20.0.0/16".parse().unwrap()],
        };
        assert!(allowed.permits("10.20.1.1".parse().unwrap()));
        assert!(!allowed.permits("10.21.1.1".parse().unwrap()));
    }

    #[test]
    fn urls_are_checked_for_scheme_credentials_and_literal_addresses() {
        let policy = OutboundPolicy::default();
        assert!(policy.check_url("https://hooks.example.com/x").is_ok());
        for bad in [
            "http://hooks.example.com/x",
            "ftp://hooks.example.com/x",
            "https://user:pw@hooks.example.com/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::ffff:192.168.0.1]/x",
            "not a url",
        ] {
            assert!(policy.check_url(bad).is_err(), "{bad} must be refused");
        }
        let plain = OutboundPolicy {
            allow_http: true,
            allowed: Vec::new(),
        };
        assert!(plain.check_url("http://hooks.example.com/x").is_ok());
    }
}
