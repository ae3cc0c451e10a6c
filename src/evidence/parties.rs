//! Who is responsible, as far as the records show: the networks the spam came from
//! (their abuse contacts), the networks that bounced it to us, the registrars and hosting
//! networks of the advertised domains, and the authorities of the countries involved.
//! Also which jurisdictions are involved and why. The parties are the cases of the
//! complaint stage (`crate::cases`), so the pack names exactly whom `report` addresses.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cases::{self, Case, CaseOptions, PartyKind};
use crate::enrich::Jurisdictions;
use crate::output::Record;

/// One responsible party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    /// `source_network`, `bouncer_network`, `registrar`, `hosting_network`, `authority`,
    /// `mailbox_provider`.
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

/// In the order of [`PartyKind::ALL`].
const LABELS: [&str; 6] = [
    "Origin network",
    "Bouncer network",
    "Hosting network",
    "Registrar",
    "Authority",
    "Mailbox provider",
];

/// In the order of [`PartyKind::ALL`].
const ROLES: [&str; 6] = [
    "source_network",
    "bouncer_network",
    "hosting_network",
    "registrar",
    "authority",
    "mailbox_provider",
];

/// The parties the complaint stage (`blowback report`) addresses for these records: one
/// per responsible party and campaign window, with the complaint prepared for it.
pub fn derive(records: &[&Record], jurisdictions: Option<&Jurisdictions>) -> Vec<Party> {
    let owned: Vec<Record> = records.iter().map(|r| (*r).clone()).collect();
    let options = CaseOptions {
        window_days: 7,
        addresses: BTreeMap::new(),
        jurisdictions,
        // Undated messages count as seen at the newest date in the records, so the
        // same inputs always give the same pack.
        now: newest_date(records),
    };
    cases::build(&owned, &options)
        .into_iter()
        .map(party_of)
        .collect()
}

fn party_of(case: Case) -> Party {
    let role = PartyKind::ALL
        .iter()
        .position(|k| *k == case.party.kind)
        .unwrap_or(0);
    let address = case.party.address.clone();
    let span = match (day(case.first_seen), day(case.last_seen)) {
        (first, last) if first == last => first,
        (first, last) => format!("{first} to {last}"),
    };
    let complaint = format!(
        "case {}, {} message{}, {span}: {}",
        &case.id[..8.min(case.id.len())],
        case.count,
        if case.count == 1 { "" } else { "s" },
        match &address {
            Some(to) => format!("complaint to {to}"),
            None => "no abuse address known".to_string(),
        },
    );
    Party {
        role: ROLES[role].into(),
        role_label: LABELS[role].into(),
        name: case.party.name,
        country: case.party.country,
        contacts: address.into_iter().collect(),
        basis: case.party.why,
        messages: case.count,
        complaint: Some(complaint),
    }
}

fn day(unix: i64) -> String {
    mail_parser::DateTime::from_timestamp(unix).to_rfc3339()[..10].to_string()
}

fn newest_date(records: &[&Record]) -> i64 {
    records
        .iter()
        .flat_map(|r| {
            [
                r.arrival_date.as_deref(),
                r.envelope_date.as_deref(),
                r.original.as_ref().and_then(|o| o.date.as_deref()),
            ]
        })
        .flatten()
        .filter_map(cases::parse_date)
        .max()
        .unwrap_or(0)
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
