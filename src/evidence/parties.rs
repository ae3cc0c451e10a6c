//! Who is responsible, as far as the records show: the networks the spam came from
//! (their abuse contacts), the networks that bounced it to us, the registrars and hosting
//! networks of the advertised domains, and the authorities of the countries involved.
//! Also which jurisdictions are involved and why. Complaints are made by `report`; until
//! the pack is pointed at those cases, each party says none is recorded here.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::enrich::Jurisdictions;
use crate::output::Record;

/// One responsible party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    /// `source_network`, `bouncer_network`, `registrar`, `hosting_network`, `authority`.
    pub role: String,
    /// The role in words (`Origin network`, …).
    pub role_label: String,
    pub name: String,
    pub country: Option<String>,
    /// Abuse addresses (best first) or, for an authority, how to complain.
    pub contacts: Vec<String>,
    /// Why this party is named.
    pub basis: String,
    /// Messages the party is involved in.
    pub messages: usize,
    /// The complaint made to it, if any is recorded.
    pub complaint: Option<String>,
}

/// A country involved, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Involved {
    pub country: String,
    pub reasons: Vec<String>,
}

const LABELS: [&str; 5] = [
    "Origin network",
    "Bouncer network",
    "Registrar",
    "Hosting network",
    "Authority",
];

const ROLES: [&str; 5] = [
    "source_network",
    "bouncer_network",
    "registrar",
    "hosting_network",
    "authority",
];

#[derive(Default)]
struct Acc {
    country: Option<String>,
    contacts: Vec<String>,
    basis: Vec<String>,
    messages: usize,
}

/// The parties derivable from the records, sorted by role then name.
pub fn derive(records: &[&Record], jurisdictions: Option<&Jurisdictions>) -> Vec<Party> {
    let mut acc: BTreeMap<(usize, String), Acc> = BTreeMap::new();
    for record in records {
        if let Some(origin) = &record.origin {
            let geo = origin.geo.clone().unwrap_or_default();
            let net = origin.network.clone().unwrap_or_default();
            let name = network_name(
                net.as_org.or(geo.as_org),
                net.netname,
                net.asn.or(geo.asn),
                &origin.found.ip,
            );
            let a = acc.entry((0, name)).or_default();
            a.country = a.country.take().or(net.country).or(geo.country);
            a.contacts.extend(net.abuse.iter().map(|c| c.email.clone()));
            a.basis.push(format!("origin {}", origin.found.ip));
            a.messages += 1;
        }
        if let Some(bouncer) = &record.bouncer {
            let geo = bouncer.geo.clone().unwrap_or_default();
            let net = bouncer.network.clone().unwrap_or_default();
            let name = network_name(
                net.as_org.or(geo.as_org),
                net.netname,
                net.asn.or(geo.asn),
                &bouncer.ip,
            );
            let a = acc.entry((1, name)).or_default();
            a.country = a.country.take().or(net.country).or(geo.country);
            a.contacts.extend(net.abuse.iter().map(|c| c.email.clone()));
            a.basis.push(format!("bounced to us from {}", bouncer.ip));
            a.messages += 1;
        }
        for facts in &record.contact_facts {
            if let Some(registrar) = &facts.registrar {
                let a = acc.entry((2, registrar.clone())).or_default();
                a.contacts
                    .extend(facts.abuse.iter().map(|c| c.email.clone()));
                a.basis.push(format!("registrar of {}", facts.value));
                a.messages += 1;
            }
            for host in &facts.hosting {
                let name = network_name(host.geo.as_org.clone(), None, host.geo.asn, &host.ip);
                let a = acc.entry((3, name)).or_default();
                a.country = a.country.take().or(host.geo.country.clone());
                a.basis
                    .push(format!("hosts {} at {}", facts.value, host.ip));
                a.messages += 1;
            }
        }
    }
    if let Some(table) = jurisdictions {
        for involved in involved(records) {
            if let Some(row) = table.get(&involved.country) {
                let a = acc
                    .entry((4, row.authority_and_channel.clone()))
                    .or_default();
                a.country = Some(involved.country.clone());
                a.basis
                    .push(format!("{}: {}", row.law, involved.reasons.join("; ")));
            }
        }
    }
    acc.into_iter()
        .map(|((role, name), a)| Party {
            role: ROLES[role].into(),
            role_label: LABELS[role].into(),
            name,
            country: a.country,
            contacts: dedup(a.contacts),
            basis: dedup(a.basis).join("; "),
            messages: a.messages,
            complaint: None,
        })
        .collect()
}

fn network_name(
    org: Option<String>,
    netname: Option<String>,
    asn: Option<u32>,
    ip: &str,
) -> String {
    match (org.or(netname), asn) {
        (Some(name), Some(asn)) => format!("{name} (AS{asn})"),
        (Some(name), None) => name,
        (None, Some(asn)) => format!("AS{asn}"),
        (None, None) => format!("network of {ip}"),
    }
}

fn dedup(mut items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    items.retain(|i| seen.insert(i.clone()));
    items
}

/// Countries involved: the origin's (and its network's), the hosting countries of
/// advertised domains, and the countries of advertised phone numbers. Sorted by code.
pub fn involved(records: &[&Record]) -> Vec<Involved> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |cc: &Option<String>, why: String| {
        if let Some(cc) = cc.as_ref().filter(|c| c.len() == 2) {
            map.entry(cc.to_ascii_uppercase()).or_default().push(why);
        }
    };
    for record in records {
        if let Some(origin) = &record.origin {
            let geo = origin.geo.clone().unwrap_or_default();
            add(&geo.country, format!("origin IP {}", origin.found.ip));
            let net = origin.network.clone().unwrap_or_default();
            add(
                &net.country,
                format!("network of origin IP {}", origin.found.ip),
            );
        }
        for facts in &record.contact_facts {
            for host in &facts.hosting {
                add(
                    &host.geo.country,
                    format!("{} hosted at {}", facts.value, host.ip),
                );
            }
        }
        for contact in &record.contacts {
            if contact.role == "advertised"
                && matches!(
                    contact.kind.as_str(),
                    "phone" | "whatsapp" | "viber" | "signal"
                )
                && contact.value.starts_with('+')
            {
                let info = crate::enrich::phone::lookup_phone(&contact.value);
                let why = match info.countries.len() {
                    0 | 1 => format!("phone number {}", contact.value),
                    n => format!(
                        "phone number {} (its calling code is shared by {n} countries; the main one is named)",
                        contact.value
                    ),
                };
                add(&info.countries.first().cloned(), why);
            }
        }
    }
    map.into_iter()
        .map(|(country, reasons)| Involved {
            country,
            reasons: dedup(reasons),
        })
        .collect()
}
