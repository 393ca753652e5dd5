//! Which address a login attempt comes from, behind reverse proxies.
//!
//! Per-client login throttling keys on the client's address. Behind a
//! proxy every connection comes from the proxy, so all clients would share
//! one counter (and one attacker would lock everyone out); the proxy names
//! the client in `X-Forwarded-For`. That header is whatever the client
//! sent with the proxies' additions appended, so only its right end, the
//! part our own proxies wrote, can be believed: the client is the
//! rightmost address that is not one of ours, and the header counts only
//! when the connection itself comes from one of ours. With no trusted
//! proxy (the default) the header is never read.

use std::net::IpAddr;
use std::str::FromStr;

#[cfg(test)]
use dashlive::net::BadNetwork;
use dashlive::net::Networks;
use hyper::HeaderMap;

/// The header a proxy appends the address it was connected from to.
const FORWARDED_FOR: &str = "x-forwarded-for";

/// More hops than any real chain of proxies: the walk through the header
/// stops there (its size is bounded anyway; this bounds the work too).
const MAX_HOPS: usize = 32;

/// The proxies whose `X-Forwarded-For` is believed: addresses and
/// networks (the setting `DASHLIVE_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Networks);

impl From<Networks> for TrustedProxies {
    fn from(n: Networks) -> TrustedProxies {
        TrustedProxies(n)
    }
}

impl TrustedProxies {
    /// As the setting names them (the settings read it as [`Networks`]).
    #[cfg(test)]
    pub fn parse(list: &str) -> Result<TrustedProxies, BadNetwork> {
        Networks::parse(list).map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.contains(ip)
    }

    /// The client's address: the peer's, unless the peer is a trusted
    /// proxy; then the rightmost address of `X-Forwarded-For` (its headers
    /// in order) that is not trusted. An entry that does not read as an
    /// address ends the walk at the proxy that passed it on, and a chain
    /// of nothing but trusted proxies gives its leftmost.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let values: Vec<&str> = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .map(|v| v.to_str().unwrap_or(""))
            .collect();
        let mut hop = peer;
        let entries = values.iter().rev().flat_map(|v| v.rsplit(','));
        for entry in entries.take(MAX_HOPS) {
            match IpAddr::from_str(entry.trim()) {
                Ok(ip) if self.trusts(ip) => hop = ip,
                Ok(ip) => return Some(ip.to_canonical()),
                Err(_) => return Some(hop),
            }
        }
        Some(hop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append(FORWARDED_FOR, v.parse().unwrap());
        }
        h
    }

    fn client(trusted: &str, peer: &str, xff: &[&str]) -> IpAddr {
        TrustedProxies::parse(trusted)
            .unwrap()
            .client(Some(ip(peer)), &headers(xff))
            .unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_never_read() {
        assert_eq!(
            client("", "198.51.100.9", &["192.0.2.1"]),
            ip("198.51.100.9")
        );
    }

    #[test]
    fn a_client_that_is_no_trusted_proxy_cannot_name_another_address() {
        // A direct client sends the header to spread its attempts over
        // many counters, or to spend another's.
        let c = client("10.0.0.0/8", "198.51.100.9", &["192.0.2.1, 10.0.0.1"]);
        assert_eq!(c, ip("198.51.100.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_address_it_appended() {
        let c = client("10.0.0.5", "10.0.0.5", &["203.0.113.7"]);
        assert_eq!(c, ip("203.0.113.7"));
    }

    #[test]
    fn addresses_the_client_put_before_the_proxys_are_ignored() {
        // The client sent `X-Forwarded-For: 192.0.2.1, 10.0.0.9`; the proxy
        // appended the address it saw.
        let c = client(
            "10.0.0.5",
            "10.0.0.5",
            &["192.0.2.1, 10.0.0.9, 203.0.113.7"],
        );
        assert_eq!(c, ip("203.0.113.7"));
        // ... also when the client's part is a header of its own.
        let c = client("10.0.0.5", "10.0.0.5", &["192.0.2.1", "203.0.113.7"]);
        assert_eq!(c, ip("203.0.113.7"));
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked_through() {
        // CDN edge 10.1.0.1 -> our load balancer 10.0.0.5 -> the origin.
        let c = client(
            "10.0.0.0/8",
            "10.0.0.5",
            &["192.0.2.1, 203.0.113.7, 10.1.0.1"],
        );
        assert_eq!(c, ip("203.0.113.7"));
    }

    #[test]
    fn a_trusted_proxy_without_the_header_is_the_client() {
        assert_eq!(client("10.0.0.0/8", "10.0.0.5", &[]), ip("10.0.0.5"));
    }

    #[test]
    fn only_trusted_addresses_give_the_leftmost() {
        let c = client("10.0.0.0/8", "10.0.0.5", &["10.2.0.1, 10.1.0.1"]);
        assert_eq!(c, ip("10.2.0.1"));
    }

    #[test]
    fn garbage_ends_the_walk_at_the_proxy_that_passed_it_on() {
        let c = client(
            "10.0.0.0/8",
            "10.0.0.5",
            &["203.0.113.7, 10.1.0.1, not-an-ip"],
        );
        assert_eq!(c, ip("10.0.0.5"));
        let c = client("10.0.0.0/8", "10.0.0.5", &["203.0.113.7, junk, 10.1.0.1"]);
        assert_eq!(c, ip("10.1.0.1"));
        // An address with a port is not what proxies write: not believed.
        let c = client("10.0.0.0/8", "10.0.0.5", &["203.0.113.7:4444"]);
        assert_eq!(c, ip("10.0.0.5"));
    }

    #[test]
    fn ipv4_mapped_addresses_match_ipv4_networks() {
        let c = client("10.0.0.0/8", "::ffff:10.0.0.5", &["::ffff:203.0.113.7"]);
        assert_eq!(c, ip("203.0.113.7"));
        let c = client("fd00::/8", "fd00::1", &["2001:db8::7"]);
        assert_eq!(c, ip("2001:db8::7"));
    }

    #[test]
    fn a_long_header_is_walked_only_so_far() {
        let long = vec!["10.9.9.9"; 1000].join(", ") + ", 203.0.113.7";
        assert_eq!(
            client("10.0.0.0/8", "10.0.0.5", &[&long]),
            ip("203.0.113.7")
        );
        let long = "203.0.113.7, ".to_string() + &vec!["10.9.9.9"; 1000].join(", ");
        assert_eq!(client("10.0.0.0/8", "10.0.0.5", &[&long]), ip("10.9.9.9"));
    }

    #[test]
    fn the_setting_takes_addresses_and_networks() {
        let p = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7 ::1,fd00::/8").unwrap();
        assert!(p.trusts(ip("10.200.0.1")) && p.trusts(ip("192.0.2.7")) && p.trusts(ip("::1")));
        assert!(!p.trusts(ip("192.0.2.8")) && !p.trusts(ip("11.0.0.1")));
        // A network written with host bits means the network.
        assert!(TrustedProxies::parse("10.1.2.3/8")
            .unwrap()
            .trusts(ip("10.9.9.9")));
        assert_eq!(
            TrustedProxies::parse(" ").unwrap(),
            TrustedProxies::default()
        );
        for bad in ["10.0.0.0/33", "example.com", "10.0.0", "*"] {
            assert_eq!(
                TrustedProxies::parse(&format!("::1, {bad}")),
                Err(BadNetwork { entry: bad.into() }),
                "{bad}"
            );
        }
    }
}
