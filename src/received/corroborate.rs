//! Corroboration and consistency: what Authentication-Results, Received-SPF,
//! X-Originating-IP and vendor gateway headers say about the peer (they count only when a
//! trusted hop wrote them, decided by their position above the origin's Received line), and
//! the chain's anomalies (time going backwards, HELO/address mismatches, broken links).

use std::net::IpAddr;

use serde::Serialize;

use super::identity::{provider_of, registrable};
use super::netclass::{IpClass, classify, parse_ip};
use super::parse::Field;
use super::{Hop, OriginReport, Role};

/// One hint header and what it says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Corroboration {
    /// The header name as written.
    pub header: String,
    /// The address it names.
    pub ip: Option<String>,
    /// The host name it names (DSN `Received-From-MTA`), when it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Written by a trusted hop (it sits above the origin's Received line).
    pub trusted: bool,
    /// Whether it names the origin (`None` when there is no origin).
    pub agrees: Option<bool>,
    /// It names an address that is neither the origin nor one of the trusted hops' peers.
    pub conflict: bool,
}

/// Headers that name the connecting client.
const HINTS: &[&str] = &[
    "authentication-results",
    "arc-authentication-results",
    "received-spf",
    "x-originating-ip",
    "x-sender-ip",
    "x-forefront-antispam-report",
    "x-ms-exchange-crosstenant-originalattributedtenantconnectingip",
    "x-barracuda-connect",
    "x-proofpoint-spam-details",
    "x-mimecast-originating-ip",
    "x-yandex-forward",
    "x-originating-client-ip",
    "x-spam-source",
];

/// Whether a field name is one of the hint headers (any case).
pub(crate) fn is_hint(name: &str) -> bool {
    HINTS.iter().any(|h| name.eq_ignore_ascii_case(h))
}

/// Collects the hint headers of M with their trust and agreement with `origin`.
pub(crate) fn collect(
    fields: &[Field],
    hops: &[Hop],
    origin: Option<usize>,
    roles: &[(Role, String)],
) -> Vec<Corroboration> {
    let received_pos: Vec<usize> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is("Received"))
        .map(|(i, _)| i)
        .collect();
    // Headers above the line that ends the trusted part were written by trusted hops.
    let last_trusted = roles.iter().position(|(r, _)| {
        matches!(
            r,
            Role::Origin | Role::End | Role::Untrusted | Role::Unconfirmed
        )
    });
    let limit = match last_trusted {
        Some(i) => received_pos.get(i).copied(),
        None if !hops.is_empty() => Some(fields.len()),
        None => None,
    };
    let origin_ip = origin.and_then(|o| hops.get(o)).and_then(|h| h.from_ip);
    let trusted_peers: Vec<IpAddr> = hops
        .iter()
        .zip(roles)
        .filter(|(_, (r, _))| matches!(r, Role::Internal | Role::Forwarder))
        .filter_map(|(h, _)| h.from_ip)
        .collect();
    let mut out = Vec::new();
    for (pos, f) in fields.iter().enumerate() {
        let lname = f.name.to_ascii_lowercase();
        if !HINTS.contains(&lname.as_str()) {
            continue;
        }
        let Some(ip) = hint_ip(&lname, &f.value) else {
            continue;
        };
        let trusted = limit.is_some_and(|l| pos < l);
        let agrees = origin_ip.map(|o| o == ip);
        let conflict = trusted
            && agrees == Some(false)
            && !trusted_peers.contains(&ip)
            && classify(ip).is_public();
        out.push(Corroboration {
            header: f.name.clone(),
            ip: Some(ip.to_string()),
            name: None,
            trusted,
            agrees,
            conflict,
        });
        if out.len() >= 50 {
            break;
        }
    }
    out
}

/// The report's own `Received-From-MTA` (RFC 3464: the MTA the bouncer received M from),
/// compared with the boundary hop: `agrees` says whether it names that peer.
pub(crate) fn received_from_mta(outer: &[u8], report: &OriginReport) -> Option<Corroboration> {
    let prefix = b"received-from-mta:";
    let scope = &outer[..outer.len().min(512 * 1024)];
    let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', scope).map(|i| i + 1));
    // The prefix holds no line end: where it matches, the line is at least that long,
    // so only the matching line's end is looked for.
    let start = starts.take(20_000).find(|&start| {
        scope
            .get(start..start + prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    })?;
    let end = memchr::memchr(b'\n', &scope[start..]).map_or(scope.len(), |i| start + i);
    let line = &scope[start..end];
    let line = String::from_utf8_lossy(&line[prefix.len()..]);
    let value = line.trim();
    let value = value.split_once(';').map_or(value, |(_, v)| v.trim());
    let name = value
        .split_whitespace()
        .next()?
        .trim_matches(|c| c == '[' || c == ']' || c == '(' || c == ')')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let ip = value
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '[' || c == ']')
        .find_map(parse_ip);
    let boundary = report.hops.iter().find(|h| {
        h.hop.from_ip.map(|i| i.to_string()) == report.boundary_ip && report.boundary_ip.is_some()
    });
    let agrees = boundary.map(|b| {
        let names = [b.hop.from_rdns.as_deref(), b.hop.from_helo.as_deref()];
        (ip.is_some() && ip == b.hop.from_ip)
            || names
                .into_iter()
                .flatten()
                .any(|n| n.trim_end_matches('.').eq_ignore_ascii_case(&name))
    });
    Some(Corroboration {
        header: "Received-From-MTA".into(),
        ip: ip.map(|i| i.to_string()),
        name: Some(name),
        trusted: true,
        agrees,
        conflict: false,
    })
}

/// The client address a hint header names.
fn hint_ip(lname: &str, value: &str) -> Option<IpAddr> {
    let lower = value.to_ascii_lowercase();
    let keys: &[&str] = match lname {
        "received-spf" => &["client-ip=", "client_ip="],
        "authentication-results" | "arc-authentication-results" => &[
            "sender ip is ",
            "client-ip=",
            "smtp.remote-ip=",
            "policy.iprev=",
        ],
        "x-forefront-antispam-report" => &["cip:"],
        "x-ms-exchange-crosstenant-originalattributedtenantconnectingip" => &["ip=["],
        "x-barracuda-connect" | "x-proofpoint-spam-details" => &["["],
        _ => &[""],
    };
    keys.iter().find_map(|k| {
        let at = lower.find(k)? + k.len();
        let rest = &value[at..];
        let token: String = rest
            .trim_start_matches(['[', ' '])
            .chars()
            .take_while(|c| c.is_ascii_hexdigit() || *c == '.' || *c == ':')
            .collect();
        parse_ip(token.trim_end_matches(':'))
    })
}

/// Anomalies of a chain: time going backwards, HELO literals that differ from the peer,
/// illegal peer addresses, and `by` hosts that do not match the next line's sender.
/// `origin` bounds the broken-link check to the trusted part.
pub(crate) fn chain_anomalies(hops: &[Hop], origin: Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, h) in hops.iter().enumerate() {
        if let Some(bad) = &h.illegal_ip {
            out.push(format!("hop {i}: [{bad}] is not a legal address"));
        }
        if let Some(ip) = h.from_ip {
            if matches!(
                classify(ip),
                IpClass::Reserved | IpClass::Unspecified | IpClass::Multicast
            ) {
                out.push(format!(
                    "hop {i}: peer address {ip} is not a legal source address"
                ));
            }
            if let Some(helo_ip) = h.from_helo.as_deref().and_then(helo_literal)
                && helo_ip != ip
            {
                out.push(format!(
                    "hop {i}: HELO {} differs from the peer address {ip}",
                    h.from_helo.as_deref().unwrap_or("")
                ));
            }
        }
        if let Some(next) = hops.get(i + 1) {
            if let (Some(upper), Some(lower)) = (h.timestamp, next.timestamp)
                && lower > upper + 600
            {
                out.push(format!(
                    "hop {}: dated {}s after the line above it (time goes backwards)",
                    i + 1,
                    lower - upper
                ));
            }
            if origin == Some(i) && !linked(h, next) {
                out.push(format!(
                    "the line below the origin was not written by the origin's peer {} (it names {}): the lower chain does not connect and looks forged",
                    h.from_rdns.as_deref().or(h.from_helo.as_deref()).unwrap_or("?"),
                    next.by_host.as_deref().unwrap_or("?")
                ));
            }
            if origin.is_some_and(|o| i < o) && !linked(h, next) {
                out.push(format!(
                    "hop {i}: sender {} does not match the next line's receiving host {}",
                    h.from_rdns
                        .as_deref()
                        .or(h.from_helo.as_deref())
                        .unwrap_or("?"),
                    next.by_host.as_deref().unwrap_or("?")
                ));
            }
        }
    }
    out.truncate(100);
    out
}

fn helo_literal(helo: &str) -> Option<IpAddr> {
    let t = helo.trim_matches(|c| c == '?');
    if t.starts_with('[') {
        parse_ip(t)
    } else {
        None
    }
}

/// The upper line's sender is the lower line's receiver (by name, first label or address).
fn linked(upper: &Hop, lower: &Hop) -> bool {
    if lower.by_host.is_none() && lower.by_ip.is_none() {
        return true;
    }
    if upper.from_ip.is_some() && (upper.from_ip == lower.by_ip) {
        return true;
    }
    let Some(b) = lower.by_host.as_deref().map(str::to_ascii_lowercase) else {
        return true;
    };
    let bl = b.split('.').next().unwrap_or("").to_string();
    let b_domain = registrable(&b);
    let b_provider = provider_of(&b);
    [upper.from_rdns.as_deref(), upper.from_helo.as_deref()]
        .into_iter()
        .flatten()
        .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
        .any(|n| {
            n == b
                || n.split('.').next() == Some(bl.as_str())
                || b == "localhost"
                || n == "localhost"
                || (b_domain.is_some() && registrable(&n) == b_domain)
                || (b_provider.is_some() && provider_of(&n) == b_provider)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hint_addresses() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        assert_eq!(
            hint_ip(
                "received-spf",
                "Pass (x: domain of a designates 1.2.3.4 as permitted sender) client-ip=1.2.3.4;"
            ),
            ip("1.2.3.4")
        );
        assert_eq!(
            hint_ip(
                "authentication-results",
                "spf=pass (sender IP is 52.102.128.23) smtp.mailfrom=x"
            ),
            ip("52.102.128.23")
        );
        assert_eq!(hint_ip("x-originating-ip", "[10.1.2.3]"), ip("10.1.2.3"));
        assert_eq!(
            hint_ip("x-forefront-antispam-report", "CIP:200.5.3.153;CTRY:PR;"),
            ip("200.5.3.153")
        );
        assert_eq!(
            hint_ip(
                "x-ms-exchange-crosstenant-originalattributedtenantconnectingip",
                "TenantId=e9;Ip=[200.5.3.153];Helo=[x]"
            ),
            ip("200.5.3.153")
        );
        assert_eq!(hint_ip("received-spf", "None"), None);
    }
}
