//! Address classes for the trust walk: which peers are public (can be an origin), which
//! are private, loopback, link-local, CGNAT, multicast or reserved (always internal), and
//! which are documentation placeholders (public for the walk, never geolocated).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use ipnetwork::IpNetwork;
use serde::Serialize;

/// What kind of address a peer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IpClass {
    /// Routable on the internet: can be an origin.
    Public,
    /// RFC 5737 / RFC 3849 documentation ranges: public for the walk, but placeholders.
    Documentation,
    /// RFC 1918 (IPv4).
    Private,
    /// 127/8, ::1.
    Loopback,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// fc00::/7.
    UniqueLocal,
    /// 100.64/10 (carrier-grade NAT, RFC 6598).
    Cgnat,
    /// 224/4, ff00::/8.
    Multicast,
    /// 0/8, 240/4, benchmarking, IETF protocol assignments, discard-only, ...
    Reserved,
    /// 0.0.0.0, ::.
    Unspecified,
}

impl IpClass {
    /// Public or documentation: a peer with this class can be an origin.
    pub fn is_public(self) -> bool {
        matches!(self, IpClass::Public | IpClass::Documentation)
    }
}

/// Non-public ranges, most specific first.
const NON_PUBLIC: &[(&str, IpClass)] = &[
    ("0.0.0.0/32", IpClass::Unspecified),
    ("0.0.0.0/8", IpClass::Reserved),
    ("10.0.0.0/8", IpClass::Private),
    ("100.64.0.0/10", IpClass::Cgnat),
    ("127.0.0.0/8", IpClass::Loopback),
    ("169.254.0.0/16", IpClass::LinkLocal),
    ("172.16.0.0/12", IpClass::Private),
    ("192.0.0.0/24", IpClass::Reserved),
    ("192.168.0.0/16", IpClass::Private),
    ("198.18.0.0/15", IpClass::Reserved),
    ("224.0.0.0/4", IpClass::Multicast),
    ("240.0.0.0/4", IpClass::Reserved),
    ("::/128", IpClass::Unspecified),
    ("::1/128", IpClass::Loopback),
    ("::/96", IpClass::Reserved),
    ("100::/64", IpClass::Reserved),
    ("fe80::/10", IpClass::LinkLocal),
    ("fc00::/7", IpClass::UniqueLocal),
    ("ff00::/8", IpClass::Multicast),
];

/// Documentation ranges (RFC 5737, RFC 3849).
const DOCUMENTATION: &[&str] = &[
    "192.0.2.0/24",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "2001:db8::/32",
];

fn nets(list: &[&str]) -> Vec<IpNetwork> {
    list.iter().filter_map(|s| s.parse().ok()).collect()
}

fn non_public() -> &'static [(IpNetwork, IpClass)] {
    static CELL: OnceLock<Vec<(IpNetwork, IpClass)>> = OnceLock::new();
    CELL.get_or_init(|| {
        NON_PUBLIC
            .iter()
            .filter_map(|(s, c)| s.parse().ok().map(|n| (n, *c)))
            .collect()
    })
}

fn documentation() -> &'static [IpNetwork] {
    static CELL: OnceLock<Vec<IpNetwork>> = OnceLock::new();
    CELL.get_or_init(|| nets(DOCUMENTATION))
}

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes IPv4; everything else is unchanged.
pub fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// The class of an address (IPv4-mapped addresses are classed as IPv4).
pub fn classify(ip: IpAddr) -> IpClass {
    let ip = normalize(ip);
    if is_documentation(ip) {
        return IpClass::Documentation;
    }
    non_public()
        .iter()
        .find(|(net, _)| net.contains(ip))
        .map(|(_, c)| *c)
        .unwrap_or(IpClass::Public)
}

/// Public for the walk (documentation placeholders included).
pub fn is_public(ip: IpAddr) -> bool {
    classify(ip).is_public()
}

/// A documentation placeholder: report it, but never geolocate or WHOIS it.
pub fn is_documentation(ip: IpAddr) -> bool {
    let ip = normalize(ip);
    documentation().iter().any(|n| n.contains(ip))
}

/// Parses an address as written in a Received header: `1.2.3.4`, `IPv6:2001:db8::1`,
/// `::ffff:1.2.3.4`, `fe80::1%14`, `1.2.3.4:25`. IPv4-mapped addresses become IPv4.
/// Rejects IPv4 with leading zeros in an octet only when it cannot be parsed at all.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim().trim_matches(|c| c == '[' || c == ']');
    let t = strip_prefix_ci(t, "ipv6:").unwrap_or(t);
    // A zone index (`%14`) is dropped; a byte loop, as the text is short.
    let t = t
        .bytes()
        .position(|b| b == b'%')
        .map_or(t, |zone| &t[..zone]);
    // Host names are the common case here: refuse them before any parsing.
    if t.is_empty()
        || t.len() > 64
        || !t
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
    {
        return None;
    }
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Some(normalize(ip));
    }
    // `1.2.3.4:port`
    if let Some((host, port)) = t.rsplit_once(':')
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && let Ok(v4) = host.parse::<Ipv4Addr>()
    {
        return Some(IpAddr::V4(v4));
    }
    parse_v4_lenient(t).map(IpAddr::V4)
}

/// IPv4 written with leading zeros (`192.000.002.001`), which std rejects.
fn parse_v4_lenient(t: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = t.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut o = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        o[i] = p.parse().ok()?;
    }
    Some(Ipv4Addr::from(o))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len() && s.is_char_boundary(prefix.len()) {
        let (head, tail) = s.split_at(prefix.len());
        if head.eq_ignore_ascii_case(prefix) {
            return Some(tail);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> IpClass {
        classify(s.parse().unwrap())
    }

    #[test]
    fn non_public_ranges() {
        assert_eq!(c("10.1.2.3"), IpClass::Private);
        assert_eq!(c("172.31.255.1"), IpClass::Private);
        assert_eq!(c("192.168.0.1"), IpClass::Private);
        assert_eq!(c("127.0.0.1"), IpClass::Loopback);
        assert_eq!(c("::1"), IpClass::Loopback);
        assert_eq!(c("169.254.3.4"), IpClass::LinkLocal);
        assert_eq!(c("fe80::1"), IpClass::LinkLocal);
        assert_eq!(c("fd00::5"), IpClass::UniqueLocal);
        assert_eq!(c("100.64.0.1"), IpClass::Cgnat);
        assert_eq!(c("100.127.255.255"), IpClass::Cgnat);
        assert_eq!(c("224.0.0.5"), IpClass::Multicast);
        assert_eq!(c("ff02::1"), IpClass::Multicast);
        assert_eq!(c("240.1.1.1"), IpClass::Reserved);
        assert_eq!(c("0.0.0.0"), IpClass::Unspecified);
        assert_eq!(c("::"), IpClass::Unspecified);
        assert_eq!(c("::ffff:10.0.0.1"), IpClass::Private);
    }

    #[test]
    fn documentation_is_public_but_flagged() {
        for s in ["192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::1"] {
            let ip: IpAddr = s.parse().unwrap();
            assert!(is_public(ip), "{s}");
            assert!(is_documentation(ip), "{s}");
        }
        assert!(!is_documentation("8.8.8.8".parse().unwrap()));
        assert_eq!(c("100.63.255.255"), IpClass::Public);
        assert_eq!(c("2a01:111:f400::1"), IpClass::Public);
    }

    #[test]
    fn parses_written_forms() {
        let v4: IpAddr = "1.2.3.4".parse().unwrap();
        assert_eq!(parse_ip("[1.2.3.4]"), Some(v4));
        assert_eq!(parse_ip("::ffff:1.2.3.4"), Some(v4));
        assert_eq!(parse_ip("IPv6:::ffff:1.2.3.4"), Some(v4));
        assert_eq!(parse_ip("1.2.3.4:25"), Some(v4));
        assert_eq!(parse_ip("001.002.003.004"), Some(v4));
        assert_eq!(parse_ip("fe80::1%14"), "fe80::1".parse().ok());
        assert_eq!(parse_ip("IPv6:2001:db8::1"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("15.20.1234.5"), None);
        assert_eq!(parse_ip("host.example"), None);
        assert_eq!(parse_ip(""), None);
    }
}
