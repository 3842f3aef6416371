//! Who a call comes from, for the per-address limits: the TCP peer, or,
//! when the peer is a trusted proxy (the ingress controller), the address
//! that proxy recorded in `X-Forwarded-For`. Without this, every client
//! behind an Ingress would share the proxy's address and one limit.

use std::net::IpAddr;

use http::HeaderMap;
use ipnet::IpNet;
use tonic::transport::server::TcpConnectInfo;

/// The client address of a call, put in the request extensions by the edge
/// so handlers (the login throttle) see the same address the limits do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    fn contains(&self, ip: &IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(ip))
    }

    /// The client behind `peer`: the peer itself unless it is trusted;
    /// then the nearest address in `X-Forwarded-For` (read right to left)
    /// that is not a trusted proxy. Addresses further left were written by
    /// the client and could be anything, so they are never believed.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(&peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map_while(|hop| hop.trim().parse().ok())
            .collect();
        let mut client = peer;
        for hop in forwarded.into_iter().rev() {
            client = hop;
            if !self.contains(&hop) {
                break;
            }
        }
        client
    }
}

/// The TCP peer of a request, if it came over TCP.
pub fn peer<B>(request: &http::Request<B>) -> Option<IpAddr> {
    request
        .extensions()
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .map(|address| address.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies() -> TrustedProxies {
        TrustedProxies::new(vec!["10.0.0.0/8".parse().expect("CIDR")])
    }

    fn forwarded_for(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().expect("header"));
        headers
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("IP")
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let client = proxies().client(ip("203.0.113.9"), &forwarded_for("198.51.100.1"));
        assert_eq!(client, ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_address_it_recorded() {
        let client = proxies().client(ip("10.1.2.3"), &forwarded_for("198.51.100.1"));
        assert_eq!(client, ip("198.51.100.1"));
    }

    #[test]
    fn addresses_a_client_made_up_further_left_are_ignored() {
        let spoofed = forwarded_for("1.2.3.4, 198.51.100.1");
        assert_eq!(
            proxies().client(ip("10.1.2.3"), &spoofed),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn chained_trusted_proxies_are_skipped() {
        let chain = forwarded_for("198.51.100.1, 10.9.9.9");
        assert_eq!(proxies().client(ip("10.1.2.3"), &chain), ip("198.51.100.1"));
    }

    #[test]
    fn a_trusted_peer_without_the_header_is_the_client() {
        let client = proxies().client(ip("10.1.2.3"), &HeaderMap::new());
        assert_eq!(client, ip("10.1.2.3"));
    }

    #[test]
    fn trusting_nobody_is_the_default() {
        let client =
            TrustedProxies::default().client(ip("10.1.2.3"), &forwarded_for("198.51.100.1"));
        assert_eq!(client, ip("10.1.2.3"));
    }
}
