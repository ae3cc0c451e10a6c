//! Abuse-contact selection and network/registrar facts from WHOIS text and RDAP JSON.
//!
//! Registry rules (see reference/jurisdictions.md): RIPE/APNIC print `% Abuse contact for …`
//! and hold `abuse-mailbox:` on role/irt objects; LACNIC/AFRINIC use `abuse-c:` handles that
//! resolve to a `nic-hdl` with `e-mail:`; ARIN has `RAbuseEmail` (reassigned net) and
//! `OrgAbuseEmail`; gTLD registries and registrars print `Registrar Abuse Contact Email`; RDAP
//! has entities with role `abuse`, for domains nested in the `registrar` entity. A contact
//! that is an RIR's or NIR's own catch-all is kept but always ranked after a real network
//! contact. Every contact records its scope and where it came from.

use serde::Serialize;
use serde_json::Value;

use super::Network;

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
    /// An address found only in free-text `remarks:`.
    Remarks,
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
    })
}

/// Best first, one entry per address (the best-ranked one).
pub fn rank(mut contacts: Vec<AbuseContact>) -> Vec<AbuseContact> {
    let mut out: Vec<AbuseContact> = Vec::new();
    contacts.sort_by_key(|c| c.scope);
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
            let k = k.trim();
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

fn last<'a>(objs: &'a [Vec<(String, String)>], keys: &[&str]) -> Option<&'a str> {
    objs.iter()
        .flatten()
        .rev()
        .find(|(k, v)| !v.is_empty() && keys.iter().any(|x| k.eq_ignore_ascii_case(x)))
        .map(|(_, v)| v.as_str())
}

/// Network facts and abuse contacts from one RIR WHOIS answer. `None` when the answer holds
/// no network object (e.g. a throttling notice or a bare referral).
pub fn network_from_whois(text: &str, source: &str) -> Option<Network> {
    let objs = objects(text);
    let arin_style = first(&objs, &["NetRange"]).is_some();
    let range = if arin_style {
        last(&objs, &["CIDR"]).or(last(&objs, &["NetRange"]))
    } else {
        first(
            &objs,
            &[
                "inetnum",
                "inet6num",
                "network",
                "IPv4 Address",
                "IP-Network",
            ],
        )
    }?;
    let netname = if arin_style {
        last(&objs, &["NetName"])
    } else {
        first(&objs, &["netname", "Network-Name", "network:Network-Name"])
    };
    let country = if arin_style {
        last(&objs, &["Country"])
    } else {
        first(&objs, &["country"])
    };
    Some(Network {
        cidr: Some(range.to_string()),
        netname: netname.map(str::to_string),
        country: country.map(|c| c.to_ascii_uppercase()),
        abuse: rank(whois_abuse(text, source)),
        source: Some(source.to_string()),
    })
}

/// Every abuse contact a WHOIS answer names, unranked.
pub fn whois_abuse(text: &str, source: &str) -> Vec<AbuseContact> {
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.trim().strip_prefix("% Abuse contact for")
            && let Some(addr) = rest.split(" is ").nth(1)
        {
            out.extend(contact(
                addr,
                AbuseScope::Network,
                source,
                "% Abuse contact for",
            ));
        }
    }
    let objs = objects(text);
    for (k, v) in objs.iter().flatten() {
        let field = |scope| contact(v, scope, source, k);
        let hit = match k.to_ascii_lowercase().as_str() {
            "abuse-mailbox" | "rabuseemail" => field(AbuseScope::Network),
            "orgabuseemail" => field(AbuseScope::Organisation),
            "registrar abuse contact email" | "abuse contact email" => field(AbuseScope::Registrar),
            _ => None,
        };
        out.extend(hit);
    }
    out.extend(abuse_c_handles(&objs, source));
    out.extend(remarks_abuse(&objs, source));
    out
}

/// LACNIC/AFRINIC/RIPE style `abuse-c: HANDLE` resolved to the handle's `e-mail:`.
fn abuse_c_handles(objs: &[Vec<(String, String)>], source: &str) -> Vec<AbuseContact> {
    let handles: Vec<&str> = objs
        .iter()
        .flatten()
        .filter(|(k, _)| k.eq_ignore_ascii_case("abuse-c"))
        .map(|(_, v)| v.as_str())
        .collect();
    let mut out = Vec::new();
    for h in handles {
        let obj = objs.iter().find(|o| {
            o.iter()
                .any(|(k, v)| (k == "nic-hdl" || k == "nic-hdl-br") && v.eq_ignore_ascii_case(h))
        });
        for (k, v) in obj.into_iter().flatten() {
            if k == "e-mail" || k == "abuse-mailbox" {
                out.extend(contact(
                    v,
                    AbuseScope::Network,
                    source,
                    &format!("abuse-c {h} {k}"),
                ));
            }
        }
    }
    out
}

/// Addresses in `remarks:` of an object whose remarks mention abuse (AFRINIC, APNIC).
fn remarks_abuse(objs: &[Vec<(String, String)>], source: &str) -> Vec<AbuseContact> {
    let mut out = Vec::new();
    for o in objs {
        let remarks: Vec<&str> = o
            .iter()
            .filter(|(k, _)| k == "remarks")
            .map(|(_, v)| v.as_str())
            .collect();
        if !remarks
            .iter()
            .any(|r| r.to_ascii_lowercase().contains("abuse"))
        {
            continue;
        }
        for word in remarks.iter().flat_map(|r| r.split_whitespace()) {
            out.extend(contact(
                word.trim_end_matches([',', ';', ')']),
                AbuseScope::Remarks,
                source,
                "remarks",
            ));
        }
    }
    out
}

/// AS facts read from a WHOIS answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsnFacts {
    pub name: Option<String>,
    pub holder: Option<String>,
    pub country: Option<String>,
    pub abuse: Vec<AbuseContact>,
}

/// AS facts from a WHOIS answer, or `None` when it holds no aut-num/ASNumber object.
pub fn asn_from_whois(text: &str, source: &str) -> Option<AsnFacts> {
    let objs = objects(text);
    first(&objs, &["aut-num", "ASNumber"])?;
    Some(AsnFacts {
        name: first(&objs, &["as-name", "ASName"]).map(str::to_string),
        holder: first(&objs, &["owner", "org-name", "OrgName", "descr"]).map(str::to_string),
        country: first(&objs, &["country", "Country"]).map(str::to_ascii_uppercase),
        abuse: whois_abuse(text, source),
    })
}

/// Registrar facts from a domain WHOIS answer: (registrar name, IANA id, abuse contacts).
pub fn registrar_from_whois(
    text: &str,
    source: &str,
) -> (Option<String>, Option<String>, Vec<AbuseContact>) {
    let objs = objects(text);
    let name = first(
        &objs,
        &[
            "Registrar",
            "Sponsoring Registrar",
            "registrar",
            "Registrar Name",
        ],
    )
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

/// Network facts and abuse contacts from an RDAP `ip network` object.
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
    let range = match (
        v.get("startAddress").and_then(Value::as_str),
        v.get("endAddress").and_then(Value::as_str),
    ) {
        (Some(s), Some(e)) => Some(format!("{s} - {e}")),
        _ => None,
    };
    let cidr = if cidrs.is_empty() {
        range
    } else {
        Some(cidrs.join(", "))
    };
    Some(Network {
        cidr,
        netname: v.get("name").and_then(Value::as_str).map(str::to_string),
        country: v
            .get("country")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase),
        abuse: rank(rdap_abuse(v, source, AbuseScope::Network)),
        source: Some(source.to_string()),
    })
}

/// Abuse contacts of an RDAP object: entities with role `abuse`, searched recursively; those
/// nested in a `registrar` entity get scope Registrar.
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
            for email in vcard_emails(e) {
                out.extend(contact(&email, inner, source, "rdap entity role abuse"));
            }
        }
        out.extend(rdap_abuse(e, source, inner));
    }
    out
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

fn vcard_props(e: &Value, name: &str) -> Vec<String> {
    let props = e
        .get("vcardArray")
        .and_then(|a| a.get(1))
        .and_then(Value::as_array);
    props
        .into_iter()
        .flatten()
        .filter(|p| p.get(0).and_then(Value::as_str) == Some(name))
        .filter_map(|p| p.get(3).and_then(Value::as_str).map(str::to_string))
        .collect()
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
    fn catch_all_ranks_last() {
        let text = "% Abuse contact for '1.0.0.0 - 1.0.0.255' is 'abuse@apnic.net'\n\ninetnum: 1.0.0.0 - 1.0.0.255\nremarks: abuse reports to\nremarks: noc@example.net\n";
        let n = network_from_whois(text, "whois.apnic.net").unwrap();
        assert_eq!(n.abuse[0].email, "noc@example.net");
        assert_eq!(n.abuse[1].scope, AbuseScope::RirCatchAll);
    }

    #[test]
    fn lacnic_abuse_c_resolves() {
        let text = "inetnum: 200.57.128/19\ncountry: MX\nabuse-c: RYT2\n\nnic-hdl: RYT2\ne-mail: operacion.redes@TRIARA.COM\n";
        let n = network_from_whois(text, "whois.lacnic.net").unwrap();
        assert_eq!(n.abuse[0].email, "operacion.redes@triara.com");
        assert_eq!(n.country.as_deref(), Some("MX"));
    }
}
