//! Which addresses may deliver notifications.

use std::net::IpAddr;
use std::str::FromStr;

use http::HeaderMap;

/// The networks QIWI documents as the source of its notifications.
pub const QIWI_NETWORKS: &[&str] = &[
    "79.142.16.0/20",
    "195.189.100.0/22",
    "91.232.230.0/23",
    "91.213.51.0/24",
];

/// An IP network (`79.142.16.0/20`, `::1/128`; a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

/// Why a text is not an IP network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpNetError(String);

impl std::fmt::Display for IpNetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not an IP network: {:?}", self.0)
    }
}

impl std::error::Error for IpNetError {}

impl FromStr for IpNet {
    type Err = IpNetError;
    fn from_str(s: &str) -> Result<Self, IpNetError> {
        let err = || IpNetError(s.to_owned());
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| err())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(err)?,
            None => max,
        };
        Ok(IpNet { addr, prefix })
    }
}

impl IpNet {
    /// Whether `ip` is in this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Where notifications may come from. By default from anywhere; with an allow-list, only
/// from its networks.
///
/// **Behind a proxy.** `X-Forwarded-For` is read only when the connection itself comes from a
/// proxy named in [`SourcePolicy::trust_proxies`]. Each trusted proxy appends the address it
/// received the request from, so the list is read from the right: trusted proxies are skipped,
/// and the first address that is not one is the client judged against the allow-list.
/// Everything further left was written by that client and is never believed. An entry that is
/// not a bare IP address (`1.2.3.4:5678`, `[::1]:80`, `unknown`, garbage) fails the check
/// instead of being skipped, because skipping it would let a forged entry further left be
/// believed; configure the proxy to write bare addresses (nginx's `$remote_addr`, not
/// `$proxy_add_x_forwarded_for` with ports). All `X-Forwarded-For` headers are read as one
/// list, in order.
#[derive(Debug, Clone, Default)]
pub struct SourcePolicy {
    allowed: Option<Vec<IpNet>>,
    trusted_proxies: Vec<IpNet>,
}

impl SourcePolicy {
    /// Accept only QIWI's documented networks.
    pub fn qiwi_networks() -> Self {
        let nets = QIWI_NETWORKS
            .iter()
            .map(|n| n.parse().expect("valid network"))
            .collect();
        SourcePolicy {
            allowed: Some(nets),
            trusted_proxies: Vec::new(),
        }
    }

    /// Accept only these networks.
    pub fn allow(nets: impl IntoIterator<Item = IpNet>) -> Self {
        SourcePolicy {
            allowed: Some(nets.into_iter().collect()),
            trusted_proxies: Vec::new(),
        }
    }

    /// Believe `X-Forwarded-For` from these proxies (your load balancer).
    pub fn trust_proxies(mut self, proxies: impl IntoIterator<Item = IpNet>) -> Self {
        self.trusted_proxies = proxies.into_iter().collect();
        self
    }

    /// The address the notification came from: the peer, or, behind trusted proxies, the
    /// last forwarded address that is not one of them. `None` when a forwarded entry that
    /// must be read is not a bare IP address.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> Option<IpAddr> {
        let trusted = |ip: IpAddr| self.trusted_proxies.iter().any(|n| n.contains(ip));
        if !trusted(peer) {
            return Some(peer);
        }
        let mut entries = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            entries.extend(value.to_str().ok()?.split(','));
        }
        for entry in entries.into_iter().rev() {
            let ip = entry.trim().parse::<IpAddr>().ok()?;
            if !trusted(ip) {
                return Some(ip);
            }
        }
        Some(peer)
    }

    /// Whether a delivery from `peer` (with these headers) is allowed.
    pub fn allows(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> bool {
        let Some(allowed) = &self.allowed else {
            return true;
        };
        let Some(peer) = peer else {
            return false;
        };
        self.client_ip(peer, headers)
            .is_some_and(|ip| allowed.iter().any(|n| n.contains(ip)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_contain_what_they_should() {
        let n: IpNet = "79.142.16.0/20".parse().unwrap();
        assert!(n.contains("79.142.31.255".parse().unwrap()));
        assert!(!n.contains("79.142.32.0".parse().unwrap()));
        assert!(n.contains("::ffff:79.142.16.1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("nonsense".parse::<IpNet>().is_err());
        let any: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(any.contains("1.2.3.4".parse().unwrap()));
    }

    #[test]
    fn ipv6_networks_and_custom_allow_lists() {
        let n: IpNet = "2a00:1450::/32".parse().unwrap();
        assert!(n.contains("2a00:1450:4001::1".parse().unwrap()));
        assert!(!n.contains("2a00:1451::1".parse().unwrap()));
        assert!(!n.contains("1.2.3.4".parse().unwrap()), "no family mixing");
        let host: IpNet = "::1".parse().unwrap();
        assert!(host.contains("::1".parse().unwrap()));
        assert!(!host.contains("::2".parse().unwrap()));
        let all6: IpNet = "::/0".parse().unwrap();
        assert!(all6.contains("2001:db8::7".parse().unwrap()));
        let err = "10.0.0.0/33".parse::<IpNet>().unwrap_err();
        assert_eq!(err.to_string(), r#"not an IP network: "10.0.0.0/33""#);

        let policy = SourcePolicy::allow(["10.1.0.0/16".parse().unwrap(), n]);
        let none = HeaderMap::new();
        assert!(policy.allows(Some("10.1.2.3".parse().unwrap()), &none));
        assert!(policy.allows(Some("2a00:1450::9".parse().unwrap()), &none));
        assert!(!policy.allows(Some("10.2.0.1".parse().unwrap()), &none));
        assert!(!policy.allows(None, &none));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let policy = SourcePolicy::qiwi_networks().trust_proxies(["10.0.0.0/8".parse().unwrap()]);
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "6.6.6.6, 91.213.51.7, 10.0.0.2".parse().unwrap(),
        );
        // From the trusted balancer: the client is the last non-proxy address.
        assert!(policy.allows(Some("10.1.1.1".parse().unwrap()), &h));
        // From anywhere else the header is ignored: the peer itself is judged.
        assert!(!policy.allows(Some("6.6.6.6".parse().unwrap()), &h));
        assert!(policy.allows(Some("91.213.51.1".parse().unwrap()), &HeaderMap::new()));
        let mut spoof = HeaderMap::new();
        spoof.insert("x-forwarded-for", "91.213.51.7".parse().unwrap());
        assert!(!policy.allows(Some("8.8.8.8".parse().unwrap()), &spoof));
        assert!(SourcePolicy::default().allows(None, &HeaderMap::new()));
        // Entries that are not bare addresses fail the check; they are never skipped to
        // believe a forged entry further left.
        let balancer = Some("10.1.1.1".parse().unwrap());
        for forwarded in [
            "91.213.51.7, 1.2.3.4:5678",
            "91.213.51.7, [2001:db8::1]:443",
            "91.213.51.7, unknown",
            "91.213.51.7, ",
            "91.213.51.7,,10.0.0.2",
            "91.213.51.7, 91.213.51.8:80",
        ] {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", forwarded.parse().unwrap());
            assert!(!policy.allows(balancer, &h), "{forwarded}");
        }
        // Several headers are one list: the last header's last entry is nearest.
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "6.6.6.6".parse().unwrap());
        h.append("x-forwarded-for", "91.213.51.7".parse().unwrap());
        assert!(policy.allows(balancer, &h));
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "91.213.51.7".parse().unwrap());
        h.append("x-forwarded-for", "6.6.6.6".parse().unwrap());
        assert!(!policy.allows(balancer, &h));
        // A trusted peer with no header is judged itself.
        assert_eq!(
            policy.client_ip("10.1.1.1".parse().unwrap(), &HeaderMap::new()),
            balancer
        );
        assert!(!SourcePolicy::qiwi_networks().allows(None, &HeaderMap::new()));
    }
}
