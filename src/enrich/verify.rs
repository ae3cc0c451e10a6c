//! Checks a registry answer against the question asked before anything in it is used.
//!
//! A WHOIS or RDAP answer is only evidence about the address or domain that was asked when
//! it says so itself: an IP network must contain the IP, a domain record must be for the
//! domain (or its registrable parent), and the network's origin AS and country must agree
//! with the shipped databases (`geo`). The result is a [`Verification`] with the reasons,
//! and only a `verified` answer may give an address to write to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// How far a registry answer was checked against the question and the local databases.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// The answer is about what was asked and agrees with the shipped databases.
    Verified,
    /// The answer contradicts the question or the shipped databases.
    Conflict,
    /// The answer could not be checked (no range or domain in it, nothing asked). The
    /// default.
    #[default]
    Unverified,
}

impl Verification {
    /// The snake_case name shown in tables and indexes.
    pub fn name(self) -> &'static str {
        match self {
            Verification::Verified => "verified",
            Verification::Conflict => "conflict",
            Verification::Unverified => "unverified",
        }
    }
}

/// An inclusive range of addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    pub start: IpAddr,
    pub end: IpAddr,
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

impl IpRange {
    /// Does the range hold `ip` (same family, between start and end)?
    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.start.is_ipv4()
            && (to_u128(self.start)..=to_u128(self.end)).contains(&to_u128(ip))
    }

    /// Number of addresses minus one: smaller is more specific.
    pub fn span(&self) -> u128 {
        to_u128(self.end).saturating_sub(to_u128(self.start))
    }

    /// `a/len` when the range is one CIDR block, else `a - b`.
    pub fn display(&self) -> String {
        let span = self.span();
        let bits: u32 = if self.start.is_ipv4() { 32 } else { 128 };
        let aligned = span.checked_add(1).is_some_and(u128::is_power_of_two)
            && to_u128(self.start) & span == 0;
        if aligned {
            let len = bits - (span + 1).trailing_zeros();
            format!("{}/{len}", self.start)
        } else if span == u128::MAX {
            format!("{}/0", self.start)
        } else {
            format!("{} - {}", self.start, self.end)
        }
    }
}

/// An address as registries write it: leading zeros (`074.125.000.000`), a `/32` suffix on
/// a single address, LACNIC's shortened `200.57.128`, upper-case IPv6.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let bare = text.split('/').next().unwrap_or(text).trim();
    if bare.contains(':') {
        return bare.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    let parts: Vec<&str> = bare.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        octets[i] = p.parse().ok()?;
    }
    Some(IpAddr::V4(Ipv4Addr::from(octets)))
}

fn cidr(text: &str) -> Option<IpRange> {
    let (addr, len) = text.trim().split_once('/')?;
    let start = parse_ip(addr)?;
    let bits: u32 = if start.is_ipv4() { 32 } else { 128 };
    let len: u32 = len.trim().parse().ok()?;
    if len > bits {
        return None;
    }
    let host = if len == 0 {
        if bits == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        }
    } else {
        (1u128 << (bits - len)) - 1
    };
    let s = to_u128(start) & !host;
    let e = s | host;
    Some(IpRange {
        start: from_u128(s, start.is_ipv4()),
        end: from_u128(e, start.is_ipv4()),
    })
}

fn from_u128(n: u128, v4: bool) -> IpAddr {
    if v4 {
        IpAddr::V4(Ipv4Addr::from(n as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(n))
    }
}

/// A range as registries write it: `a - b`, `a/len`, or several CIDRs joined by commas
/// (the smallest range covering them all).
pub fn parse_range(text: &str) -> Option<IpRange> {
    let text = text.trim();
    if let Some((a, b)) = text.split_once(" - ").or_else(|| text.split_once('-')) {
        let (start, end) = (parse_ip(a)?, parse_ip(b)?);
        let (s, e) = (to_u128(start), to_u128(end));
        if start.is_ipv4() != end.is_ipv4() || s > e {
            return None;
        }
        return Some(IpRange { start, end });
    }
    let blocks: Vec<IpRange> = text
        .split([',', ' '])
        .filter(|p| !p.trim().is_empty())
        .map(|p| cidr(p).or_else(|| parse_ip(p).map(|a| IpRange { start: a, end: a })))
        .collect::<Option<Vec<_>>>()?;
    let first = *blocks.first()?;
    blocks.iter().try_fold(first, |acc, b| {
        (acc.start.is_ipv4() == b.start.is_ipv4()).then(|| IpRange {
            start: if to_u128(b.start) < to_u128(acc.start) {
                b.start
            } else {
                acc.start
            },
            end: if to_u128(b.end) > to_u128(acc.end) {
                b.end
            } else {
                acc.end
            },
        })
    })
}

/// Country codes that name no country (regions, unknown).
fn is_real_country(cc: &str) -> bool {
    cc.len() == 2 && !["EU", "AP", "ZZ", "XX"].contains(&cc)
}

/// What a network answer says, to be checked.
#[derive(Debug, Clone, Default)]
pub struct NetworkClaim<'a> {
    pub range: Option<IpRange>,
    /// The range as written, for messages.
    pub range_text: Option<&'a str>,
    /// Origin AS numbers the answer names (ARIN OriginAS, RPSL route `origin:`).
    pub origin_asns: &'a [u32],
    pub country: Option<&'a str>,
}

/// What the shipped databases say about the address.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalFacts<'a> {
    pub asn: Option<u32>,
    pub country: Option<&'a str>,
}

/// Checks a network answer for `ip` against the question and the shipped databases.
pub fn check_network(
    ip: IpAddr,
    claim: &NetworkClaim,
    local: LocalFacts,
) -> (Verification, Vec<String>) {
    let mut notes = Vec::new();
    let Some(range) = claim.range else {
        let what = claim.range_text.unwrap_or("no range");
        notes.push(format!(
            "the answer gives no address range that can be read ({what}), so it cannot be checked against {ip}"
        ));
        return (Verification::Unverified, notes);
    };
    if !range.contains(ip) {
        notes.push(format!(
            "the answer describes {}, which does not hold {ip}",
            range.display()
        ));
        return (Verification::Conflict, notes);
    }
    let mut status = Verification::Verified;
    notes.push(format!("{} holds {ip}", range.display()));
    if let Some(asn) = local.asn
        && !claim.origin_asns.is_empty()
    {
        if claim.origin_asns.contains(&asn) {
            notes.push(format!("origin AS{asn} agrees with the AS database"));
        } else {
            let named: Vec<String> = claim.origin_asns.iter().map(|a| format!("AS{a}")).collect();
            notes.push(format!(
                "the answer names origin {} but the AS database says AS{asn}",
                named.join(", ")
            ));
            status = Verification::Conflict;
        }
    }
    if let (Some(theirs), Some(ours)) = (claim.country, local.country) {
        let theirs = theirs.to_ascii_uppercase();
        if is_real_country(&theirs) && is_real_country(ours) {
            if theirs.eq_ignore_ascii_case(ours) {
                notes.push(format!("country {ours} agrees with the country database"));
            } else {
                notes.push(format!(
                    "the answer says country {theirs} but the country database says {ours}"
                ));
                status = Verification::Conflict;
            }
        }
    }
    (status, notes)
}

/// Is a domain record's name `record` the domain asked (`asked`) or its registrable parent?
pub fn domain_matches(asked: &str, record: &str) -> bool {
    let norm = |s: &str| s.trim().trim_end_matches('.').to_ascii_lowercase();
    let (asked, record) = (norm(asked), norm(record));
    let asked = idna::domain_to_ascii(&asked).unwrap_or(asked);
    let record = idna::domain_to_ascii(&record).unwrap_or(record);
    !record.is_empty() && (asked == record || asked.ends_with(&format!(".{record}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn registry_address_forms_parse() {
        assert_eq!(parse_ip("074.125.000.000"), Some(ip("74.125.0.0")));
        assert_eq!(parse_ip("62.239.237.0/32"), Some(ip("62.239.237.0")));
        assert_eq!(parse_ip("2001:4860:FFFF::"), Some(ip("2001:4860:ffff::")));
        let r = parse_range("200.57.128/19").unwrap();
        assert_eq!((r.start, r.end), (ip("200.57.128.0"), ip("200.57.159.255")));
        let r = parse_range("62.239.237.0/32 - 62.239.237.255/32").unwrap();
        assert_eq!(r.display(), "62.239.237.0/24");
        assert_eq!(
            parse_range("80.80.80.0 - 80.80.81.255").unwrap().display(),
            "80.80.80.0/23"
        );
        assert_eq!(
            parse_range("1.0.0.0 - 1.0.0.2").unwrap().display(),
            "1.0.0.0 - 1.0.0.2"
        );
        let r = parse_range("2001:0240:010c::/48").unwrap();
        assert!(r.contains(ip("2001:240:10c:1::ca20:9d1d")));
        assert!(r.span() < parse_range("2001:0240::/32").unwrap().span());
        assert_eq!(parse_range("0.0.0.0/0").unwrap().display(), "0.0.0.0/0");
        assert!(parse_range("garbage").is_none());
        assert!(parse_range("10.0.0.9 - 10.0.0.1").is_none());
    }

    #[test]
    fn wrong_range_is_a_conflict_and_country_must_agree() {
        let claim = NetworkClaim {
            range: parse_range("80.80.80.0 - 80.80.81.255"),
            country: Some("NL"),
            ..Default::default()
        };
        let local = LocalFacts {
            asn: Some(12322),
            country: Some("FR"),
        };
        let (status, notes) = check_network(ip("82.238.40.111"), &claim, local);
        assert_eq!(status, Verification::Conflict);
        assert!(notes[0].contains("80.80.80.0/23"), "{notes:?}");
        let claim = NetworkClaim {
            range: parse_range("82.224.0.0 - 82.239.255.255"),
            country: Some("NL"),
            ..Default::default()
        };
        let (status, _) = check_network(ip("82.238.40.111"), &claim, local);
        assert_eq!(status, Verification::Conflict);
        let claim = NetworkClaim {
            country: Some("fr"),
            origin_asns: &[12322],
            ..claim
        };
        let (status, notes) = check_network(ip("82.238.40.111"), &claim, local);
        assert_eq!(status, Verification::Verified, "{notes:?}");
        let claim = NetworkClaim {
            origin_asns: &[3215],
            ..claim
        };
        assert_eq!(
            check_network(ip("82.238.40.111"), &claim, local).0,
            Verification::Conflict
        );
        assert_eq!(
            check_network(ip("82.238.40.111"), &NetworkClaim::default(), local).0,
            Verification::Unverified
        );
    }

    #[test]
    fn domains_match_themselves_and_parents_only() {
        assert!(domain_matches("google.com", "GOOGLE.COM."));
        assert!(domain_matches("www.example.co.uk", "example.co.uk"));
        assert!(!domain_matches(
            "google.com",
            "GOOGLE.COM.ZZZZZ.GET.LAID.AT.WWW.SWINGINGCOMMUNITY.COM"
        ));
        assert!(!domain_matches("notgoogle.com", "google.com"));
        assert!(!domain_matches("google.com", ""));
    }
}
