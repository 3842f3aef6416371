//! Who a call comes from, for the per-address limits: the TCP peer, or,
//! when the peer is a trusted proxy (the ingress controller), the address
//! that proxy recorded in `X-Forwarded-For`. Without this, every client
//! behind an Ingress would share the proxy's address and one limit.

use std::net::{IpAddr, SocketAddr};

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
    /// then `X-Forwarded-For` read from the right (each proxy appends the
    /// address it received the request from), skipping trusted proxies:
    /// the first address that is not one is the client. Everything further
    /// left was written by the client and could be anything, so it is
    /// never believed, and an entry that is not an address (garbage, or
    /// `unknown`) ends the walk at the last proxy that could be believed:
    /// nothing a client writes can discard what the proxies recorded.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(&peer) {
            return peer;
        }
        // Several header lines form one list, in order; a line that is not
        // text counts as one unreadable entry.
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .rev()
            .flat_map(|line| line.to_str().unwrap_or("?").rsplit(','));
        let mut client = peer;
        for hop in hops {
            let Some(hop) = parse_hop(hop) else {
                break;
            };
            client = hop;
            if !self.contains(&hop) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port
/// (`203.0.113.7:4711`, `[2001:db8::1]:443`), as some proxies write it.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|address| address.ip()))
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
    fn garbage_a_client_wrote_further_left_does_not_hide_the_recorded_client() {
        let spoofed = forwarded_for("not-an-address, 198.51.100.1, 10.9.9.9");
        assert_eq!(
            proxies().client(ip("10.1.2.3"), &spoofed),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn an_unreadable_entry_ends_the_walk_at_the_last_trusted_proxy() {
        let chain = forwarded_for("198.51.100.1, unknown, 10.9.9.9");
        assert_eq!(proxies().client(ip("10.1.2.3"), &chain), ip("10.9.9.9"));
        let right_away = forwarded_for("198.51.100.1, ");
        assert_eq!(
            proxies().client(ip("10.1.2.3"), &right_away),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn a_client_cannot_pass_for_a_trusted_proxy_to_reach_further_left() {
        // The client (203.0.113.9) wrote "10.0.0.1, 1.2.3.4" itself; the
        // ingress appended 203.0.113.9. Only that is believed.
        let chain = forwarded_for("1.2.3.4, 10.0.0.1, 203.0.113.9");
        assert_eq!(proxies().client(ip("10.1.2.3"), &chain), ip("203.0.113.9"));
    }

    #[test]
    fn several_header_lines_are_one_list_read_from_the_last() {
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", "garbage".parse().expect("header"));
        headers.append("x-forwarded-for", "198.51.100.1".parse().expect("header"));
        headers.append("x-forwarded-for", "10.9.9.9".parse().expect("header"));
        assert_eq!(
            proxies().client(ip("10.1.2.3"), &headers),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn addresses_with_ports_are_read() {
        let v4 = forwarded_for("198.51.100.1:4711");
        assert_eq!(proxies().client(ip("10.1.2.3"), &v4), ip("198.51.100.1"));
        let v6 = forwarded_for("[2001:db8::1]:443, 10.9.9.9");
        assert_eq!(proxies().client(ip("10.1.2.3"), &v6), ip("2001:db8::1"));
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
