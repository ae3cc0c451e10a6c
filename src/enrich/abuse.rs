//! Abuse-contact selection and network/registrar facts from WHOIS text and RDAP JSON.
//!
//! Registry rules (see reference/jurisdictions.md): RIPE/APNIC print `% Abuse contact for …`
//! and hold `abuse-mailbox:` on role/irt objects; LACNIC/AFRINIC use `abuse-c:` handles that
//! resolve to a `nic-hdl` with `e-mail:`; ARIN has `RAbuseEmail` (reassigned net) and
//! `OrgAbuseEmail`; gTLD registries and registrars print `Registrar Abuse Contact Email`; RDAP
//! has entities with role `abuse`, for domains nested in the `registrar` entity. A contact
//! that is an RIR's or NIR's own catch-all is kept but always ranked after a real network
//! contact. Every contact records its scope and where it came from.

use std::net::IpAddr;

use serde::Serialize;
use serde_json::Value;

use super::Network;
use super::verify::{IpRange, Verification, domain_matches, parse_range};

/// How specific an abuse contact is; lower sorts first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AbuseScope {
    /// The network's own abuse contact (abuse-c, abuse-mailbox, RAbuse, RDAP abuse role).
    Network,
    /// The organisation holding the network (ARIN OrgAbuseEmail).
    Organisation,
    /// The abuse contact of the autonomous system announcing the address.
    AutonomousSystem,
    /// A domain's registrar.
    Registrar,
    /// An RIR/NIR catch-all (e.g. the registry's own helpdesk), used only when nothing else.
    RirCatchAll,
}

/// One abuse address with its scope and source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbuseContact {
    pub email: String,
    pub scope: AbuseScope,
    /// Server or URL that gave it.
    pub source: String,
    /// The field or rule it came from, e.g. `% Abuse contact for`, `OrgAbuseEmail`.
    pub via: String,
    /// Whether the record it came from was checked against the question (see
    /// `verify`); only `verified` contacts are ever written to.
    pub status: Verification,
}

/// Sets the status of every contact (to that of the record they came from).
pub fn with_status(contacts: &mut [AbuseContact], status: Verification) {
    for c in contacts {
        c.status = status;
    }
}

const CATCH_ALL_DOMAINS: &[&str] = &[
    "arin.net",
    "ripe.net",
    "apnic.net",
    "lacnic.net",
    "afrinic.net",
    "iana.org",
    "cert.br",
    "nic.br",
    "registro.br",
    "nic.ad.jp",
    "jpnic.ad.jp",
    "krnic.or.kr",
    "kisa.or.kr",
    "nic.or.kr",
    "twnic.net.tw",
    "twnic.tw",
    "cnnic.cn",
    "cnnic.net.cn",
    "idnic.net",
    "vnnic.vn",
    "irinn.in",
];

/// Is this the RIR's/NIR's own address rather than the network's?
pub fn is_catch_all(email: &str) -> bool {
    let domain = email.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
    CATCH_ALL_DOMAINS
        .iter()
        .any(|d| crate::hostname::in_domain(&domain, d))
}

fn contact(email: &str, scope: AbuseScope, source: &str, via: &str) -> Option<AbuseContact> {
    let email = email
        .trim()
        .trim_matches(|c| c == '\'' || c == '"' || c == '<' || c == '>')
        .trim_end_matches('.');
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return None;
    }
    let scope = if is_catch_all(email) {
        AbuseScope::RirCatchAll
    } else {
        scope
    };
    Some(AbuseContact {
        email: email.to_ascii_lowercase(),
        scope,
        source: source.into(),
        via: via.into(),
        status: Verification::Unverified,
    })
}

/// Best first (verified before the rest, then by scope), one entry per address (the
/// best-ranked one).
pub fn rank(mut contacts: Vec<AbuseContact>) -> Vec<AbuseContact> {
    let mut out: Vec<AbuseContact> = Vec::new();
    contacts.sort_by_key(|c| (c.status, c.scope));
    for c in contacts {
        if !out.iter().any(|o| o.email == c.email) {
            out.push(c);
        }
    }
    out
}

/// `key: value` objects of a WHOIS answer, split at blank lines; comment lines dropped.
fn objects(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out = vec![Vec::new()];
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if !out.last().is_some_and(Vec::is_empty) {
                out.push(Vec::new());
            }
            continue;
        }
        if line.starts_with(['%', '#']) {
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            // `.fi` pads keys with dots (`registrar..........: X`).
            let k = k.trim().trim_end_matches('.').trim();
            if !k.is_empty() && k.len() < 60 {
                out.last_mut()
                    .unwrap()
                    .push((k.to_string(), v.trim().to_string()));
            }
        }
    }
    out.retain(|o| !o.is_empty());
    out
}

fn first<'a>(objs: &'a [Vec<(String, String)>], keys: &[&str]) -> Option<&'a str> {
    objs.iter()
        .flatten()
        .find(|(k, v)| !v.is_empty() && keys.iter().any(|x| k.eq_ignore_ascii_case(x)))
        .map(|(_, v)| v.as_str())
}

/// Keys that open a network object (RPSL, ARIN, LACNIC, RWhois, JPNIC/KRNIC styles).
const NETWORK_KEYS: &[&str] = &[
    "inetnum",
    "inet6num",
    "NetRange",
    "network",
    "IPv4 Address",
    "IP-Network",
];

/// One network object of a WHOIS answer with the contacts of its own section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhoisNetwork {
    /// The range as the registry wrote it (`NetRange`/`inetnum`/…).
    pub range_text: String,
    pub range: Option<IpRange>,
    /// ARIN `CIDR:` when given (shown instead of the range).
    pub cidr: Option<String>,
    pub netname: Option<String>,
    pub country: Option<String>,
    /// ARIN `OriginAS` and the `origin:` of RPSL route objects of the answer.
    pub origin_asns: Vec<u32>,
    pub abuse: Vec<AbuseContact>,
}

impl WhoisNetwork {
    /// As a [`Network`] (unchecked: the caller checks it against the question).
    pub fn into_network(self, source: &str) -> Network {
        let cidr = self
            .cidr
            .or_else(|| self.range.map(|r| r.display()))
            .unwrap_or(self.range_text);
        Network {
            cidr: Some(cidr),
            netname: self.netname,
            country: self.country,
            abuse: rank(self.abuse),
            source: Some(source.to_string()),
            range: self.range,
            origin_asns: self.origin_asns,
            ..Default::default()
        }
    }
}

fn get<'a>(obj: &'a [(String, String)], keys: &[&str]) -> Option<&'a str> {
    obj.iter()
        .find(|(k, v)| !v.is_empty() && keys.iter().any(|x| k.eq_ignore_ascii_case(x)))
        .map(|(_, v)| v.as_str())
}

fn asn_number(text: &str) -> Option<u32> {
    let t = text.trim();
    let digits = t
        .strip_prefix("AS")
        .or_else(|| t.strip_prefix("as"))
        .unwrap_or(t);
    digits.split_whitespace().next()?.parse().ok()
}

/// Every network object of a WHOIS answer, each with the abuse contacts the registry
/// designates for it: the `% Abuse contact for '<range>'` line naming its range, and the
/// `abuse-mailbox:`, `RAbuseEmail`, `OrgAbuseEmail`, `abuse-c:` and `mnt-irt:` of its own
/// section (the objects printed after it, up to the next network). Remarks are never read.
pub fn networks_from_whois(text: &str, source: &str) -> Vec<WhoisNetwork> {
    let objs = objects(text);
    let banner = abuse_banners(text);
    let routes: Vec<(IpRange, u32)> = objs
        .iter()
        .filter_map(|o| {
            let prefix = get(o, &["route", "route6"])?;
            Some((parse_range(prefix)?, asn_number(get(o, &["origin"])?)?))
        })
        .collect();
    let starts: Vec<usize> = (0..objs.len())
        .filter(|&i| get(&objs[i], NETWORK_KEYS).is_some())
        .collect();
    let mut out = Vec::new();
    for (n, &i) in starts.iter().enumerate() {
        let section = &objs[i..starts.get(n + 1).copied().unwrap_or(objs.len())];
        let head = &objs[i];
        let range_text = get(head, NETWORK_KEYS).unwrap_or_default().to_string();
        let range = parse_range(&range_text);
        let mut abuse: Vec<AbuseContact> = banner
            .iter()
            .filter(|(r, _)| {
                r.trim() == range_text.trim() || (range.is_some() && parse_range(r) == range)
            })
            .filter_map(|(_, email)| {
                contact(email, AbuseScope::Network, source, "% Abuse contact for")
            })
            .collect();
        for (k, v) in section.iter().flatten() {
            let scope = match k.to_ascii_lowercase().as_str() {
                "abuse-mailbox" | "rabuseemail" => AbuseScope::Network,
                "orgabuseemail" => AbuseScope::Organisation,
                _ => continue,
            };
            abuse.extend(contact(v, scope, source, k));
        }
        abuse.extend(referenced_abuse(head, &objs, source));
        let mut origin_asns: Vec<u32> = get(head, &["OriginAS", "origin"])
            .into_iter()
            .flat_map(|v| v.split([',', ' ']))
            .filter_map(asn_number)
            .collect();
        if let Some(ip_range) = range {
            origin_asns.extend(
                routes
                    .iter()
                    .filter(|(r, _)| r.contains(ip_range.start))
                    .map(|(_, a)| *a),
            );
        }
        origin_asns.sort_unstable();
        origin_asns.dedup();
        out.push(WhoisNetwork {
            cidr: get(head, &["CIDR"]).map(str::to_string),
            netname: get(
                head,
                &["netname", "NetName", "Network-Name", "network:Network-Name"],
            )
            .map(str::to_string),
            country: get(head, &["country", "Country"])
                .or_else(|| section.iter().find_map(|o| get(o, &["Country"])))
                .map(|c| c.to_ascii_uppercase()),
            range_text,
            range,
            origin_asns,
            abuse,
        });
    }
    out
}

/// `% Abuse contact for '<range>' is '<address>'` lines: (range, address).
fn abuse_banners(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("% Abuse contact for")?;
            let (range, addr) = rest.split_once(" is ")?;
            let range = range.trim().trim_matches(|c| c == '\'' || c == '"');
            Some((range.to_string(), addr.trim().to_string()))
        })
        .collect()
}

/// The network, from one RIR WHOIS answer, that holds `ip` most specifically; `None`
/// when the answer holds no network object. When none holds it, the first network is
/// returned (for the caller to record the conflict).
pub fn network_from_whois(text: &str, source: &str, ip: IpAddr) -> Option<WhoisNetwork> {
    let networks = networks_from_whois(text, source);
    let best = networks
        .iter()
        .filter(|n| n.range.is_some_and(|r| r.contains(ip)))
        .min_by_key(|n| n.range.map(|r| r.span()))
        .cloned();
    best.or_else(|| networks.into_iter().next())
}

/// Every abuse contact a WHOIS answer names in designated fields, unranked (for AS and
/// domain answers; network answers use [`networks_from_whois`]). Remarks are never read.
pub fn whois_abuse(text: &str, source: &str) -> Vec<AbuseContact> {
    let mut out: Vec<AbuseContact> = abuse_banners(text)
        .iter()
        .filter_map(|(_, email)| contact(email, AbuseScope::Network, source, "% Abuse contact for"))
        .collect();
    let objs = objects(text);
    for (k, v) in objs.iter().flatten() {
        let field = |scope| contact(v, scope, source, k);
        let hit = match k.to_ascii_lowercase().as_str() {
            "abuse-mailbox" | "rabuseemail" => field(AbuseScope::Network),
            "orgabuseemail" => field(AbuseScope::Organisation),
            "registrar abuse contact email" | "abuse contact email" | "abuse-email" => {
                field(AbuseScope::Registrar)
            }
            _ => None,
        };
        out.extend(hit);
    }
    for o in &objs {
        if get(o, &["aut-num", "ASNumber"]).is_some() {
            out.extend(referenced_abuse(o, &objs, source));
        }
    }
    out
}

/// `abuse-c: HANDLE` and `mnt-irt: IRT` of one object, resolved to the referenced
/// object's `abuse-mailbox:` (or, for an abuse-c handle, its `e-mail:`).
fn referenced_abuse(
    obj: &[(String, String)],
    objs: &[Vec<(String, String)>],
    source: &str,
) -> Vec<AbuseContact> {
    let mut out = Vec::new();
    for (key, handle) in obj {
        let key = key.to_ascii_lowercase();
        let targets: &[&str] = match key.as_str() {
            "abuse-c" => &["nic-hdl", "nic-hdl-br"],
            "mnt-irt" => &["irt"],
            _ => continue,
        };
        let Some(target) = objs.iter().find(|o| {
            o.iter().any(|(k, v)| {
                targets.iter().any(|t| k.eq_ignore_ascii_case(t)) && v.eq_ignore_ascii_case(handle)
            })
        }) else {
            continue;
        };
        let mailbox: Vec<&(String, String)> = target
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("abuse-mailbox"))
            .collect();
        let fields: Vec<&(String, String)> = if mailbox.is_empty() && key == "abuse-c" {
            target.iter().filter(|(k, _)| k == "e-mail").collect()
        } else {
            mailbox
        };
        for (k, v) in fields {
            out.extend(contact(
                v,
                AbuseScope::Network,
                source,
                &format!("{key} {handle} {k}"),
            ));
        }
    }
    out
}

/// AS facts read from a WHOIS answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsnFacts {
    /// The AS number the answer is about (`aut-num:`/`ASNumber:`).
    pub asn: Option<u32>,
    pub name: Option<String>,
    pub holder: Option<String>,
    pub country: Option<String>,
    pub abuse: Vec<AbuseContact>,
}

/// AS facts from a WHOIS answer, or `None` when it holds no aut-num/ASNumber object.
pub fn asn_from_whois(text: &str, source: &str) -> Option<AsnFacts> {
    let objs = objects(text);
    let asn = first(&objs, &["aut-num", "ASNumber"])?;
    Some(AsnFacts {
        asn: asn_number(asn),
        name: first(&objs, &["as-name", "ASName"]).map(str::to_string),
        holder: first(&objs, &["owner", "org-name", "OrgName", "descr"]).map(str::to_string),
        country: first(&objs, &["country", "Country"]).map(str::to_ascii_uppercase),
        abuse: whois_abuse(text, source),
    })
}

/// Keys whose value names the domain a record is about (`Server Name` opens a legacy
/// Verisign name-server record, which is never the domain's own).
const DOMAIN_KEYS: &[&str] = &["domain name", "domain", "[domain name]", "server name"];

/// Registrar fields, best first: gTLD, then ccTLD spellings (.fi dotted keys, .kz
/// `Current Registar`, .nz `registrar_name`, .tw `Registration Service Provider`, .id
/// `Sponsoring Registrar Organization`, .ua `registrar`, .kr `Authorized Agency`).
const REGISTRAR_KEYS: &[&str] = &[
    "Registrar",
    "Sponsoring Registrar",
    "Registrar Name",
    "registrar_name",
    "Current Registar",
    "Current Registrar",
    "Registration Service Provider",
    "Sponsoring Registrar Organization",
    "Authorized Agency",
];

/// A domain line: (is the domain's own record, the name).
fn domain_line(line: &str, next: Option<&str>) -> Option<(bool, String)> {
    // `** Domain Name:` (.tr), `a. [Domain Name]` / `[ドメイン名]` (.jp).
    let t = line.trim().trim_start_matches('*').trim_start();
    let t = t.strip_prefix("a. ").unwrap_or(t);
    let bracketed = t
        .strip_prefix("[Domain Name]")
        .or_else(|| t.strip_prefix("[ドメイン名]"));
    let (key, value) = if let Some(rest) = bracketed {
        ("[domain name]".to_string(), rest.trim())
    } else {
        let (k, v) = t.split_once(':')?;
        (
            k.trim().trim_end_matches('.').trim().to_ascii_lowercase(),
            v.trim(),
        )
    };
    if !DOMAIN_KEYS.contains(&key.as_str()) {
        return None;
    }
    let value = if value.is_empty() {
        next.map(str::trim).unwrap_or_default()
    } else {
        value
    };
    let name = value.split_whitespace().next()?.to_string();
    name.contains('.').then_some((key != "server name", name))
}

/// What a domain answer says about the domain asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRecord<'a> {
    /// The part of the answer about the domain: the whole answer when it holds one record
    /// or names no domain (`unverified`), nothing when it is about another (`conflict`).
    pub text: &'a str,
    pub status: Verification,
    /// Why it is (not) verified.
    pub note: String,
}

/// The record of a domain answer that is about `domain` (or its registrable parent).
/// Legacy Verisign answers list every host name that starts with the query
/// (`GOOGLE.COM.ZZZZZ…`) before the domain's own record; only that one counts.
pub fn domain_record<'a>(text: &'a str, domain: &str) -> DomainRecord<'a> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut offset = 0;
    let mut starts: Vec<(usize, bool, String)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some((own, name)) = domain_line(line, lines.get(i + 1).copied()) {
            starts.push((offset, own, name));
        }
        offset += line.len();
    }
    let Some(at) = starts
        .iter()
        .position(|(_, own, name)| *own && domain_matches(domain, name))
    else {
        let named: Vec<&str> = starts
            .iter()
            .filter(|s| s.1)
            .map(|s| s.2.as_str())
            .take(3)
            .collect();
        return DomainRecord {
            text: if named.is_empty() { text } else { "" },
            status: if named.is_empty() {
                Verification::Unverified
            } else {
                Verification::Conflict
            },
            note: if named.is_empty() {
                format!("the answer names no domain, so it cannot be checked against {domain}")
            } else {
                format!("the answer is about {}, not {domain}", named.join(", "))
            },
        };
    };
    let begin = if starts.len() == 1 { 0 } else { starts[at].0 };
    let end = starts
        .iter()
        .skip(at + 1)
        .find(|s| !s.1 || !domain_matches(domain, &s.2))
        .map_or(text.len(), |s| s.0);
    DomainRecord {
        text: &text[begin..end],
        status: Verification::Verified,
        note: format!("the answer is about {}", starts[at].2.to_ascii_lowercase()),
    }
}

/// Registrar facts from a domain WHOIS record (see [`domain_record`]): (registrar name,
/// IANA id, abuse contacts).
pub fn registrar_from_whois(
    text: &str,
    source: &str,
) -> (Option<String>, Option<String>, Vec<AbuseContact>) {
    let objs = objects(text);
    let name = first(&objs, REGISTRAR_KEYS)
        .map(str::to_string)
        .or_else(|| section(text, "registrar").first().map(|l| strip_label(l)));
    let id = first(
        &objs,
        &["Registrar IANA ID", "Sponsoring Registrar IANA ID"],
    )
    .map(str::to_string);
    let mut contacts = whois_abuse(text, source);
    for line in section(text, "abuse contact") {
        contacts.extend(
            line.split_whitespace()
                .filter_map(|w| contact(w, AbuseScope::Registrar, source, "Abuse Contact")),
        );
    }
    (name, id, contacts)
}

/// Lines under a header that stands alone (`Registrar:` then indented lines, as .uk, .nl,
/// .eu, .pl, .it print it), up to the next blank line.
fn section(text: &str, header: &str) -> Vec<String> {
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let h = l.trim().trim_end_matches(':').trim();
        if h.eq_ignore_ascii_case(header) {
            return lines
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
        }
    }
    Vec::new()
}

/// `Name:    X` / `Organization: X` → `X`; other lines unchanged.
fn strip_label(line: &str) -> String {
    match line.split_once(':') {
        Some((k, v))
            if ["name", "organization", "organisation"]
                .contains(&k.trim().to_ascii_lowercase().as_str()) =>
        {
            v.trim().to_string()
        }
        _ => line.trim().to_string(),
    }
}

// ---------------------------------------------------------------- RDAP

/// Network facts and abuse contacts from an RDAP `ip network` object (unchecked: the
/// caller checks the range against the question).
pub fn network_from_rdap(v: &Value, source: &str) -> Option<Network> {
    // Old RIR servers (e.g. RIPE in 2015) left out objectClassName; accept those by shape.
    let class = v.get("objectClassName").and_then(Value::as_str);
    if class != Some("ip network") && !(class.is_none() && v.get("startAddress").is_some()) {
        return None;
    }
    let cidrs: Vec<String> = v
        .get("cidr0_cidrs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let prefix = c.get("v4prefix").or(c.get("v6prefix"))?.as_str()?;
            Some(format!("{prefix}/{}", c.get("length")?.as_u64()?))
        })
        .collect();
    let text = |k: &str| v.get(k).and_then(Value::as_str);
    let range = match (text("startAddress"), text("endAddress")) {
        (Some(s), Some(e)) => parse_range(&format!("{s} - {e}")),
        _ => None,
    }
    .or_else(|| parse_range(&cidrs.join(", ")));
    let cidr = if cidrs.is_empty() {
        range.map(|r| r.display())
    } else {
        Some(cidrs.join(", "))
    };
    let origin_asns = v
        .get("arin_originas0_originautnums")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_u64().and_then(|n| u32::try_from(n).ok()))
        .collect();
    Some(Network {
        cidr,
        netname: text("name").map(str::to_string),
        country: text("country").map(str::to_ascii_uppercase),
        abuse: rank(rdap_abuse(v, source, AbuseScope::Network)),
        source: Some(source.to_string()),
        range,
        origin_asns,
        ..Default::default()
    })
}

/// Abuse contacts of an RDAP object: entities with role `abuse`, searched recursively; those
/// nested in a `registrar` entity get scope Registrar. Of an abuse entity's e-mails, those
/// marked `type: abuse` are its abuse address; the others only when none is marked.
pub fn rdap_abuse(v: &Value, source: &str, scope: AbuseScope) -> Vec<AbuseContact> {
    let mut out = Vec::new();
    for e in v
        .get("entities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let roles = roles(e);
        let inner = if roles.iter().any(|r| r == "registrar") {
            AbuseScope::Registrar
        } else {
            scope
        };
        if roles.iter().any(|r| r == "abuse") {
            for email in abuse_emails(e) {
                out.extend(contact(&email, inner, source, "rdap entity role abuse"));
            }
        }
        out.extend(rdap_abuse(e, source, inner));
    }
    out
}

/// The e-mails of an abuse entity: those typed `abuse` when any is, else all of them,
/// preferred (`pref`, lowest first) ones first.
fn abuse_emails(e: &Value) -> Vec<String> {
    let props = vcard_entries(e, "email");
    let typed = |p: &&(Value, String)| {
        let t = p.0.get("type");
        let has = |s: &str| s.eq_ignore_ascii_case("abuse");
        t.and_then(Value::as_str).is_some_and(has)
            || t.and_then(Value::as_array)
                .is_some_and(|a| a.iter().filter_map(Value::as_str).any(has))
    };
    let mut chosen: Vec<&(Value, String)> = props.iter().filter(typed).collect();
    if chosen.is_empty() {
        chosen = props.iter().collect();
    }
    let pref = |p: &&(Value, String)| {
        p.0.get("pref")
            .and_then(|x| x.as_str().and_then(|s| s.parse().ok()).or(x.as_u64()))
            .unwrap_or(u64::MAX)
    };
    chosen.sort_by_key(pref);
    chosen.into_iter().map(|p| p.1.clone()).collect()
}

fn roles(e: &Value) -> Vec<String> {
    e.get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_ascii_lowercase)
        .collect()
}

/// `email` values of a jCard (`vcardArray: ["vcard", [[name, params, type, value], ..]]`).
pub fn vcard_emails(e: &Value) -> Vec<String> {
    vcard_props(e, "email")
}

/// (params, text value) of each jCard property `name`.
fn vcard_entries(e: &Value, name: &str) -> Vec<(Value, String)> {
    let props = e
        .get("vcardArray")
        .and_then(|a| a.get(1))
        .and_then(Value::as_array);
    props
        .into_iter()
        .flatten()
        .filter(|p| p.get(0).and_then(Value::as_str) == Some(name))
        .filter_map(|p| {
            let value = p.get(3)?;
            // `org` may be structured: ["Org", "Unit"]; its first part is the name.
            let text = value
                .as_str()
                .or_else(|| value.get(0).and_then(Value::as_str))?;
            Some((p.get(1).cloned().unwrap_or(Value::Null), text.to_string()))
        })
        .collect()
}

fn vcard_props(e: &Value, name: &str) -> Vec<String> {
    vcard_entries(e, name).into_iter().map(|p| p.1).collect()
}

/// The holder of an RDAP autnum: of its `registrant` entities (RIPE lists maintainers as
/// registrants too), the organisation (vCard `kind: org` or an `org` property), by its
/// `org`, else its `fn`.
pub fn rdap_holder(v: &Value) -> Option<String> {
    let registrants: Vec<&Value> = v
        .get("entities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|e| roles(e).iter().any(|r| r == "registrant"))
        .collect();
    let is_org = |e: &&&Value| {
        !vcard_props(e, "org").is_empty()
            || vcard_props(e, "kind")
                .iter()
                .any(|k| k.eq_ignore_ascii_case("org"))
    };
    let holder = registrants.iter().find(is_org).or(registrants.first())?;
    vcard_props(holder, "org")
        .into_iter()
        .chain(vcard_props(holder, "fn"))
        .find(|s| !s.trim().is_empty())
}

/// Registrar facts from an RDAP domain object: (name, IANA id, abuse contacts).
pub fn registrar_from_rdap(
    v: &Value,
    source: &str,
) -> (Option<String>, Option<String>, Vec<AbuseContact>) {
    let registrar = v
        .get("entities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|e| roles(e).iter().any(|r| r == "registrar"));
    let name = registrar.and_then(|e| vcard_props(e, "fn").into_iter().next());
    let id = registrar.and_then(|e| {
        e.get("publicIds")?.as_array()?.iter().find_map(|p| {
            let t = p.get("type")?.as_str()?;
            t.to_ascii_lowercase()
                .contains("iana")
                .then(|| p.get("identifier")?.as_str().map(str::to_string))?
        })
    });
    (name, id, rdap_abuse(v, source, AbuseScope::Registrar))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catch_all_ranks_last_and_remarks_are_never_addresses() {
        let text = "% Abuse contact for '1.0.0.0 - 1.0.0.255' is 'abuse@apnic.net'\n\ninetnum: 1.0.0.0 - 1.0.0.255\nremarks: abuse reports to\nremarks: noc@example.net\nabuse-mailbox: abuse@example.net\n";
        let n = network_from_whois(text, "whois.apnic.net", "1.0.0.1".parse().unwrap()).unwrap();
        let n = n.into_network("whois.apnic.net");
        assert_eq!(n.abuse[0].email, "abuse@example.net");
        assert_eq!(n.abuse[1].scope, AbuseScope::RirCatchAll);
        assert!(n.abuse.iter().all(|c| c.email != "noc@example.net"));
    }

    #[test]
    fn the_most_specific_network_holding_the_address_wins() {
        let text = "inet6num: 2001:0240::/32\nnetname: BIG\nabuse-c: A1\n\nrole: R\nnic-hdl: A1\nabuse-mailbox: big@example.net\n\ninet6num: 2001:0240:010c::/48\nnetname: SMALL\nmnt-irt: IRT-X\n\ninet6num: 2001:0240:0200::/48\nnetname: OTHER\n\nirt: IRT-X\nabuse-mailbox: small@example.net\n";
        let n = network_from_whois(text, "w", "2001:240:10c:1::1".parse().unwrap()).unwrap();
        assert_eq!(n.netname.as_deref(), Some("SMALL"));
        let n = n.into_network("w");
        assert_eq!(n.cidr.as_deref(), Some("2001:240:10c::/48"));
        assert_eq!(emails(&n.abuse), ["small@example.net"]);
    }

    #[test]
    fn legacy_verisign_record_for_the_query_is_picked() {
        let text = "   Server Name: GOOGLE.COM.ZZZ.EXAMPLE.COM\n   Registrar: BAD ONE\n\n   Domain Name: GOOGLE.COM.EVIL.NET\n   Registrar: BAD TWO\n\n   Domain Name: GOOGLE.COM\n   Registrar: MARKMONITOR INC.\n   Whois Server: whois.markmonitor.com\n";
        let r = domain_record(text, "google.com");
        assert_eq!(r.status, Verification::Verified);
        assert_eq!(
            registrar_from_whois(r.text, "w").0.as_deref(),
            Some("MARKMONITOR INC.")
        );
        let other = domain_record("Domain Name: EXAMPLE.ORG\nRegistrar: X\n", "google.com");
        assert_eq!(other.status, Verification::Conflict);
        assert_eq!(other.text, "");
        assert_eq!(
            domain_record("Registrar: X\n", "google.com").status,
            Verification::Unverified
        );
    }

    #[test]
    fn rdap_abuse_mail_typed_abuse_and_the_organisation_as_holder() {
        let v: Value = serde_json::from_str(r#"{"objectClassName":"autnum","entities":[
            {"roles":["registrant"],"vcardArray":["vcard",[["fn",{},"text","coloclue-mnt"],["kind",{},"text","individual"]]]},
            {"roles":["registrant"],"vcardArray":["vcard",[["fn",{},"text","Netwerkvereniging Coloclue"],["kind",{},"text","org"]]]},
            {"roles":["abuse"],"vcardArray":["vcard",[["email",{"type":"email"},"text","ops@coloclue.net"],["email",{"type":"email"},"text","routers@coloclue.net"],["email",{"type":"abuse"},"text","abuse@coloclue.net"]]]}
        ]}"#).unwrap();
        assert_eq!(
            rdap_holder(&v).as_deref(),
            Some("Netwerkvereniging Coloclue")
        );
        let abuse = rdap_abuse(&v, "rdap", AbuseScope::Network);
        assert_eq!(emails(&abuse), ["abuse@coloclue.net"]);
    }

    fn emails(v: &[AbuseContact]) -> Vec<&str> {
        v.iter().map(|c| c.email.as_str()).collect()
    }

    #[test]
    fn lacnic_abuse_c_resolves() {
        let text = "inetnum: 200.57.128/19\ncountry: MX\nabuse-c: RYT2\n\nnic-hdl: RYT2\ne-mail: operacion.redes@TRIARA.COM\n";
        let n = network_from_whois(text, "whois.lacnic.net", "200.57.141.161".parse().unwrap())
            .unwrap()
            .into_network("whois.lacnic.net");
        assert_eq!(n.abuse[0].email, "operacion.redes@triara.com");
        assert_eq!(n.country.as_deref(), Some("MX"));
    }
}
