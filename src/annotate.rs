//! Adds what enrichment knows to an analysed record: country and AS of the origin and
//! the bouncer from the local databases (always), and with `--resolve` their networks
//! and abuse contacts (RDAP/WHOIS/DNS) and the registrars and hosts of advertised
//! domains. Documentation and non-public addresses are never looked up.

use std::net::IpAddr;

use serde::Serialize;

use crate::enrich::geo::Geo;
use crate::enrich::{AbuseContact, EnrichConfig, Enricher, IpInfo, Verification};
use crate::output::Record;

/// Country and AS of an address, from the local databases.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GeoFacts {
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
}

/// The network an address belongs to and who handles abuse for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NetworkFacts {
    pub cidr: Option<String>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    pub netname: Option<String>,
    pub country: Option<String>,
    pub abuse: Vec<AbuseContact>,
    pub source: Option<String>,
    /// Whether the registry answer was checked against the address and the shipped
    /// databases (`verified`, `conflict`, `unverified`); only verified contacts are used.
    pub status: Verification,
    /// What the check found.
    pub checks: Vec<String>,
    /// Why some facts are missing (a source failed, not looked up, not cached).
    pub notes: Vec<String>,
}

/// What is known about an advertised contact (with `--resolve`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ContactFacts {
    pub kind: String,
    pub value: String,
    pub registrar: Option<String>,
    pub abuse: Vec<AbuseContact>,
    /// Whether the registrar facts come from a record for this domain.
    pub registrar_status: Verification,
    /// What the checks of the domain answers found.
    pub checks: Vec<String>,
    /// Addresses the domain resolves to, with their networks' country and AS.
    pub hosting: Vec<HostingFacts>,
    pub countries: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HostingFacts {
    pub ip: String,
    pub geo: GeoFacts,
    /// The registered network holding the address and its abuse contacts, through the
    /// same checked look-up as an origin IP (with `--resolve`).
    pub network: Option<NetworkFacts>,
}

/// Hosting addresses of one domain that are looked up (the rest are listed by geo only).
const HOSTING_LOOKUPS: usize = 4;

/// Advertised contacts looked up at once (each server still gets only its own bound).
const PARALLEL_CONTACTS: usize = 8;

/// Adds facts to records. Built once per run; shared across threads.
pub struct Annotator {
    geo: Option<Geo>,
    resolver: Option<Enricher>,
}

impl Annotator {
    /// Local databases only (no network).
    pub fn local(config: &EnrichConfig) -> Self {
        let geo = Geo::open(&config.country_db_path(), &config.asn_db_path()).ok();
        Annotator {
            geo,
            resolver: None,
        }
    }

    /// Local databases plus network lookups.
    pub fn resolving(config: EnrichConfig) -> Result<Self, crate::enrich::EnrichError> {
        let geo = Geo::open(&config.country_db_path(), &config.asn_db_path()).ok();
        Ok(Annotator {
            geo,
            resolver: Some(Enricher::new(config)?),
        })
    }

    pub fn geo(&self, ip: IpAddr) -> Option<GeoFacts> {
        if !crate::received::is_public(ip) || crate::received::is_documentation(ip) {
            return None;
        }
        let answer = self.geo.as_ref()?.lookup(ip);
        Some(GeoFacts {
            country: answer.country,
            asn: answer.asn,
            as_org: answer.as_org,
        })
    }

    fn network(&self, ip: IpAddr) -> Option<NetworkFacts> {
        let info = self.resolver.as_ref()?.lookup_ip(ip);
        Some(network_facts(info))
    }

    /// Annotates one record in place.
    pub fn annotate(&self, record: &mut Record) {
        let origin_ip = record
            .origin
            .as_ref()
            .and_then(|o| o.found.ip.parse::<IpAddr>().ok());
        let bouncer_ip = record
            .bouncer_ip
            .as_deref()
            .and_then(|ip| ip.parse::<IpAddr>().ok());
        let advertised: Vec<(&str, &str)> = record
            .contacts
            .iter()
            .filter(|c| c.role == "advertised" && self.resolver.is_some())
            .map(|c| (c.kind.as_str(), c.value.as_str()))
            .collect();
        // The origin, the bouncer and the advertised contacts are looked up at once: a slow
        // server then costs its timeout once, not once per party.
        let (origin_net, bouncer_net, contact_facts) = std::thread::scope(|s| {
            let origin = s.spawn(move || origin_ip.and_then(|ip| self.network(ip)));
            let bouncer = s.spawn(move || bouncer_ip.and_then(|ip| self.network(ip)));
            let contacts = self.contacts_facts(&advertised);
            (
                origin.join().ok().flatten(),
                bouncer.join().ok().flatten(),
                contacts,
            )
        });
        if let Some(origin) = &mut record.origin
            && let Some(ip) = origin_ip
        {
            origin.geo = self.geo(ip);
            origin.network = origin_net;
        }
        if let Some(ip) = bouncer_ip {
            record.bouncer = Some(crate::output::PeerFacts {
                ip: ip.to_string(),
                geo: self.geo(ip),
                network: bouncer_net,
            });
        }
        if self.resolver.is_some() {
            record.contact_facts = contact_facts;
        }
    }

    /// Facts of every advertised contact, looked up concurrently in groups, in input order.
    fn contacts_facts(&self, contacts: &[(&str, &str)]) -> Vec<ContactFacts> {
        let mut out = Vec::with_capacity(contacts.len());
        for group in contacts.chunks(PARALLEL_CONTACTS) {
            let facts: Vec<Option<ContactFacts>> = std::thread::scope(|s| {
                let handles: Vec<_> = group
                    .iter()
                    .map(|(kind, value)| s.spawn(move || self.contact_facts(kind, value)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().ok().flatten())
                    .collect()
            });
            out.extend(facts.into_iter().flatten());
        }
        out
    }

    fn contact_facts(&self, kind: &str, value: &str) -> Option<ContactFacts> {
        let resolver = self.resolver.as_ref()?;
        let mut facts = ContactFacts {
            kind: kind.into(),
            value: value.into(),
            ..Default::default()
        };
        match kind {
            "domain" | "email" => {
                let domain = value.rsplit('@').next().unwrap_or(value);
                let info = resolver.lookup_domain(domain);
                facts.registrar = info.registrar;
                facts.abuse = info.abuse;
                facts.registrar_status = info.registrar_status;
                facts.checks = info.checks;
                facts.hosting = info
                    .a
                    .iter()
                    .chain(&info.aaaa)
                    .filter_map(|ip| ip.parse::<IpAddr>().ok())
                    .enumerate()
                    .map(|(i, ip)| HostingFacts {
                        ip: ip.to_string(),
                        geo: self.geo(ip).unwrap_or_default(),
                        network: (i < HOSTING_LOOKUPS && self.geo(ip).is_some())
                            .then(|| self.network(ip))
                            .flatten(),
                    })
                    .collect();
                facts.notes = info
                    .errors
                    .into_iter()
                    .chain(info.missing)
                    .chain(info.not_looked_up)
                    .collect();
            }
            "phone" | "whatsapp" | "viber" | "signal" if value.starts_with('+') => {
                facts.countries = resolver.lookup_phone(value).countries;
            }
            _ => return None,
        }
        Some(facts)
    }
}

fn network_facts(info: IpInfo) -> NetworkFacts {
    let mut notes: Vec<String> = info.errors.into_iter().chain(info.missing).collect();
    notes.extend(info.not_looked_up);
    let network = info.network.unwrap_or_default();
    // A network answer that failed its check names no one: its name and country are
    // not the address's (the country comes from the shipped database instead).
    let trusted = network.status == Verification::Verified;
    NetworkFacts {
        cidr: network.cidr,
        asn: info.asn,
        as_org: info.as_org,
        netname: network.netname.filter(|_| trusted),
        country: network.country.filter(|_| trusted).or(info.country),
        abuse: network.abuse,
        source: network.source,
        status: network.status,
        checks: network.checks,
        notes,
    }
}
