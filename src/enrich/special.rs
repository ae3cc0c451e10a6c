//! Which addresses and names are never looked up, and what a query string is.
//!
//! Documentation ranges (RFC 5737, RFC 3849), private, loopback, link-local, CGNAT, multicast
//! and other non-public addresses never leave the machine: asking a registry about them leaks
//! what we are looking at and answers nothing. Same for reserved TLDs (RFC 2606, RFC 6761).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Query;

/// Why an address is not looked up, or `None` when it is public.
pub fn ip_not_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_not_public(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_not_public(v4);
            }
            v6_not_public(v6)
        }
    }
}

const DOC: &str = "not looked up: documentation range";
const PRIVATE: &str = "not looked up: private/non-public range";

fn v4_not_public(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    let doc = matches!(
        (o[0], o[1], o[2]),
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113)
    );
    if doc {
        return Some(DOC);
    }
    let private = ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_unspecified()
        || o[0] == 0
        || o[0] >= 240
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64/10 CGNAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0/24 IETF
        || (o[0] == 198 && (o[1] & 0xfe) == 18); // 198.18/15 benchmarking
    private.then_some(PRIVATE)
}

fn v6_not_public(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if s[0] == 0x2001 && s[1] == 0x0db8 {
        return Some(DOC);
    }
    let private = ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // ULA
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xe000) != 0x2000; // outside global unicast 2000::/3
    private.then_some(PRIVATE)
}

/// Why an AS number is not looked up (private, documentation, reserved), or `None`.
pub fn asn_not_public(asn: u32) -> Option<&'static str> {
    match asn {
        64496..=64511 | 65536..=65551 => Some("not looked up: documentation AS number"),
        0 | 23456 | 64512..=65535 | 4_200_000_000..=u32::MAX => {
            Some("not looked up: private/reserved AS number")
        }
        _ => None,
    }
}

/// Why a domain is not looked up (reserved names), or `None`.
pub fn domain_not_public(domain: &str) -> Option<&'static str> {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    let tld = d.rsplit('.').next().unwrap_or("");
    let reserved_tld = matches!(
        tld,
        "test"
            | "example"
            | "invalid"
            | "localhost"
            | "local"
            | "internal"
            | "lan"
            | "home"
            | "corp"
            | "arpa"
    );
    let example = ["example.com", "example.net", "example.org"]
        .iter()
        .any(|e| crate::hostname::in_domain(&d, e));
    if example || matches!(tld, "test" | "example" | "invalid") {
        return Some("not looked up: documentation/reserved domain");
    }
    (reserved_tld || !d.contains('.')).then_some("not looked up: non-public domain")
}

/// Recognise an IP, domain, URL, e-mail address or phone number.
pub fn parse_query(input: &str) -> Option<Query> {
    let s = input.trim().trim_matches(|c| c == '<' || c == '>');
    if let Ok(ip) = s
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Some(Query::Ip(ip));
    }
    if let Some(n) = s
        .strip_prefix("AS")
        .or(s.strip_prefix("as"))
        .or(s.strip_prefix("As"))
        && let Ok(n) = n.parse::<u32>()
    {
        return Some(Query::Asn(n));
    }
    if let Some(phone) = phone_digits(s) {
        return Some(Query::Phone(phone));
    }
    let host = if let Some((_, rest)) = s.split_once("://") {
        url_host(rest)
    } else if let Some(at) = s.rfind('@') {
        s[at + 1..].to_string()
    } else {
        url_host(s)
    };
    if let Ok(ip) = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Some(Query::Ip(ip));
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let ok = !host.is_empty()
        && host.contains('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == '_');
    ok.then_some(Query::Domain(host))
}

fn url_host(rest: &str) -> String {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit('@').next().unwrap_or("");
    if hostport.starts_with('[') {
        return hostport
            .split(']')
            .next()
            .unwrap_or("")
            .trim_start_matches('[')
            .to_string();
    }
    hostport.split(':').next().unwrap_or("").to_string()
}

/// `+<digits>` when the input looks like a phone number (`tel:` URIs too).
fn phone_digits(s: &str) -> Option<String> {
    let s = s.strip_prefix("tel:").unwrap_or(s);
    let plus = s.starts_with('+') || s.starts_with("00");
    let allowed = s
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().\u{a0}/".contains(c));
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if !plus || !allowed || !(7..=15).contains(&digits.len()) {
        return None;
    }
    let digits = if s.starts_with("00") {
        digits[2..].to_string()
    } else {
        digits
    };
    Some(format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_and_private_ranges_are_not_public() {
        for ip in ["192.0.2.1", "198.51.100.7", "203.0.113.255", "2001:db8::1"] {
            assert_eq!(ip_not_public(ip.parse().unwrap()), Some(DOC), "{ip}");
        }
        for ip in [
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "127.0.0.1",
            "100.64.0.1",
            "fe80::1",
            "fd00::1",
            "::1",
            "::ffff:10.0.0.1",
        ] {
            assert_eq!(ip_not_public(ip.parse().unwrap()), Some(PRIVATE), "{ip}");
        }
        for ip in ["8.8.8.8", "2001:4860:4860::8888", "80.80.80.80"] {
            assert_eq!(ip_not_public(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn queries_are_recognised() {
        assert_eq!(
            parse_query("8.8.8.8"),
            Some(Query::Ip("8.8.8.8".parse().unwrap()))
        );
        assert_eq!(
            parse_query("https://Spam.Example.CO.UK:8080/x?y"),
            Some(Query::Domain("spam.example.co.uk".into()))
        );
        assert_eq!(
            parse_query("bob@shop.ru"),
            Some(Query::Domain("shop.ru".into()))
        );
        assert_eq!(
            parse_query("http://[2001:db8::1]/"),
            Some(Query::Ip("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(
            parse_query("+44 20 7946 0000"),
            Some(Query::Phone("+442079460000".into()))
        );
        assert_eq!(
            parse_query("0049 30 1234567"),
            Some(Query::Phone("+49301234567".into()))
        );
        assert_eq!(parse_query("nonsense"), None);
        assert_eq!(parse_query("AS15169"), Some(Query::Asn(15169)));
        assert!(domain_not_public("www.example.com").is_some());
        assert!(domain_not_public("google.com").is_none());
    }
}
