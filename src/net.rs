//! Networks of IP addresses as settings list them (`10.0.0.0/8, ::1`): the
//! proxies the origin believes, and the addresses its validator must not
//! fetch from.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// Addresses and networks; empty: none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks(Vec<IpNet>);

/// An entry of a list that is neither an address nor a network.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{entry:?} is not an IP address or a network such as 10.0.0.0/8 or fd00::/8")]
pub struct BadNetwork {
    pub entry: String,
}

impl Networks {
    /// Addresses (`10.0.0.7`, `::1`) and networks (`10.0.0.0/8`,
    /// `fd00::/8`) separated by commas or spaces.
    pub fn parse(list: &str) -> Result<Networks, BadNetwork> {
        list.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
            .map(|e| {
                IpNet::from_str(e)
                    .or_else(|_| IpAddr::from_str(e).map(IpNet::from))
                    .map(|n| n.trunc())
                    .map_err(|_| BadNetwork {
                        entry: e.to_string(),
                    })
            })
            .collect::<Result<_, _>>()
            .map(Networks)
    }

    /// Whether `ip` (an IPv4-mapped IPv6 address as its IPv4 one) is in
    /// one of them.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// These and `other`'s.
    pub fn and(mut self, other: &Networks) -> Networks {
        self.0.extend(other.0.iter().copied());
        self
    }
}

impl fmt::Display for Networks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<String> = self.0.iter().map(IpNet::to_string).collect();
        f.write_str(&shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_and_networks_of_both_families_are_read() {
        let n = Networks::parse("10.0.0.0/8, ::1 192.0.2.7").unwrap();
        assert!(n.contains(ip("10.1.2.3")) && n.contains(ip("::1")));
        assert!(n.contains(ip("192.0.2.7")) && !n.contains(ip("192.0.2.8")));
        assert!(n.contains(ip("::ffff:10.9.9.9")), "IPv4-mapped");
        assert_eq!(n.to_string(), "10.0.0.0/8, ::1/128, 192.0.2.7/32");
        assert_eq!(Networks::parse("").unwrap(), Networks::default());
        assert_eq!(
            Networks::parse("10.0.0.0/8, proxy.example")
                .unwrap_err()
                .entry,
            "proxy.example"
        );
        let both = Networks::parse("10.0.0.0/8").unwrap().and(&n);
        assert!(both.contains(ip("192.0.2.7")));
    }
}
