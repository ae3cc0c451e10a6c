//! Cases: analysed messages grouped by the party responsible for acting on them.
//!
//! A pure stage (no I/O, no clock): records from `analyze` in, sorted [`Case`]s out.
//! Who may be accused is decided by [`crate::accuse`], the one rule-book; this stage
//! only groups what it allows. Parties are the origin network (the abuse contact of the
//! origin IP), the bouncer's network (a polite "reject, don't bounce" notice), the
//! hosting networks and registrars of domains the spammer controls, the mailbox
//! providers of advertised accounts ("close this account"), and the authority of each
//! jurisdiction involved (from `data/jurisdictions.json`). Each
//! party's messages are cut into campaign windows: a case opens with its first message
//! and holds every later one up to `window_days` after it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::accuse::{self, Basis, Judgement};
use crate::annotate::{GeoFacts, NetworkFacts};
use crate::contacts::platforms;
use crate::enrich::{AbuseContact, AbuseScope, Jurisdictions, Verification};
use crate::output::Record;

/// Who a case is addressed to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// The network the spam entered the bouncer's organisation from.
    SourceNetwork,
    /// The bouncer's network: sends backscatter instead of rejecting.
    Bouncer,
    /// A network hosting an advertised domain.
    HostingNetwork,
    /// The registrar of an advertised domain.
    Registrar,
    /// The anti-spam authority of a country involved.
    Authority,
    /// A mailbox provider holding an account the spam advertises: "close this account".
    MailboxProvider,
}

impl PartyKind {
    pub const ALL: [PartyKind; 6] = [
        PartyKind::SourceNetwork,
        PartyKind::Bouncer,
        PartyKind::HostingNetwork,
        PartyKind::Registrar,
        PartyKind::Authority,
        PartyKind::MailboxProvider,
    ];

    /// The snake_case name used in file names, templates and config.
    pub fn name(self) -> &'static str {
        match self {
            PartyKind::SourceNetwork => "source_network",
            PartyKind::Bouncer => "bouncer",
            PartyKind::HostingNetwork => "hosting_network",
            PartyKind::Registrar => "registrar",
            PartyKind::Authority => "authority",
            PartyKind::MailboxProvider => "mailbox_provider",
        }
    }
}

/// A responsible party.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Party {
    pub kind: PartyKind,
    /// Stable key: abuse address, `AS<n>`, registrar name or country code.
    pub key: String,
    /// Name to address it by (network name, AS organisation, registrar, authority).
    pub name: String,
    /// Where the complaint goes; `None` when no abuse address is known.
    pub address: Option<String>,
    /// Where the address came from (`% Abuse contact for`, `config`, ...) or why none.
    pub address_source: String,
    /// Whether the registry answer the address comes from was checked against the
    /// question (`verified`); a hand-set address counts as verified. No address is ever
    /// taken from an answer that is not verified.
    pub address_status: Verification,
    /// ISO 3166 alpha-2 of the party, when known.
    pub country: Option<String>,
    /// Why this party gets a complaint, in one sentence.
    pub why: String,
}

/// One message as a case shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CaseMessage {
    /// Unix time the message was seen (bounce arrival, mailbox date, M's Date).
    pub seen: i64,
    /// SHA-256 of the bounce (or message) bytes.
    pub id: String,
    pub source: String,
    pub original_sha256: Option<String>,
    pub message_id: Option<String>,
    pub subject: Option<String>,
    pub from: Option<String>,
    /// The accused source (the walk's origin, when the rule-book allows it).
    pub origin_ip: Option<String>,
    pub origin_reason: Option<String>,
    pub origin_confidence: Option<String>,
    pub bouncer_ip: Option<String>,
    /// Our addresses the spam was forged from (to redact).
    pub forged: Vec<String>,
    /// Recipients the bounce names (the spam's targets at the bouncer).
    pub recipients: Vec<String>,
    pub reported_domains: Vec<String>,
    pub reported_uris: Vec<String>,
    /// Spam received directly by our own mail system (not returned in a bounce).
    pub direct: bool,
    /// When the origin handed the spam over, from that Received line (RFC 3339, UTC).
    pub received_at: Option<String>,
}

/// One complaint-to-be: a party, a campaign window, its messages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    /// Hex SHA-256 of kind, party key and first-seen time: stable across runs, so a
    /// case is never sent twice.
    pub id: String,
    pub party: Party,
    pub first_seen: i64,
    pub last_seen: i64,
    pub count: usize,
    /// Origin IPs (or bouncer IPs, hosting IPs) involved, sorted.
    pub ips: Vec<String>,
    /// Advertised contacts involved, sorted.
    pub contacts: Vec<String>,
    /// Every message, oldest first.
    pub messages: Vec<CaseMessage>,
    /// True when the complaint rests on headers written by third parties (anything but
    /// our own MX's record of the bouncer): a person must approve it before sending.
    pub needs_review: bool,
}

/// What grouping needs besides the records.
#[derive(Debug, Clone, Default)]
pub struct CaseOptions<'a> {
    /// Length of a campaign window in days. The default is 7.
    pub window_days: u32,
    /// Abuse addresses set by hand, keyed by `AS<n>`, registrar name or abuse key;
    /// they win over looked-up ones.
    pub addresses: BTreeMap<String, String>,
    /// The jurisdictions table (authorities); none means no authority cases.
    pub jurisdictions: Option<&'a Jurisdictions>,
    /// Unix time used for a message with no usable date.
    pub now: i64,
}

/// Groups records into cases, sorted by party kind, party key and time.
pub fn build(records: &[Record], opts: &CaseOptions) -> Vec<Case> {
    // Keyed by kind and key; the party's details are taken from the smallest of its
    // descriptions so the result does not depend on input order.
    let mut by_party: BTreeMap<(PartyKind, String), (Party, Vec<Item>)> = BTreeMap::new();
    for record in records {
        let judgement = accuse::judge(record);
        let Ok(basis) = judgement.basis else {
            continue;
        };
        let message = case_message(record, &judgement, basis, opts.now);
        for (party, ips, contacts) in parties_of(record, &judgement, &message, opts) {
            let entry = by_party
                .entry((party.kind, party.key.clone()))
                .or_insert_with(|| (party.clone(), Vec::new()));
            if party < entry.0 {
                entry.0 = party;
            }
            entry.1.push((message.clone(), ips, contacts));
        }
    }
    let window = i64::from(opts.window_days.max(1)) * 86_400;
    let mut cases = Vec::new();
    for (party, mut items) in by_party.into_values() {
        items.sort();
        items.dedup_by(|a, b| a.0.id == b.0.id);
        let mut current: Vec<(CaseMessage, Vec<String>, Vec<String>)> = Vec::new();
        for item in items {
            if let Some(first) = current.first()
                && item.0.seen - first.0.seen > window
            {
                cases.push(make_case(&party, std::mem::take(&mut current)));
            }
            current.push(item);
        }
        if !current.is_empty() {
            cases.push(make_case(&party, current));
        }
    }
    cases
}

/// One message with the addresses and contacts it gives a party.
type Item = (CaseMessage, Vec<String>, Vec<String>);

fn make_case(party: &Party, items: Vec<(CaseMessage, Vec<String>, Vec<String>)>) -> Case {
    let first_seen = items.first().map(|i| i.0.seen).unwrap_or(0);
    let last_seen = items.last().map(|i| i.0.seen).unwrap_or(0);
    let ips: BTreeSet<String> = items.iter().flat_map(|i| i.1.clone()).collect();
    let contacts: BTreeSet<String> = items.iter().flat_map(|i| i.2.clone()).collect();
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "{}\n{}\n{first_seen}",
        party.kind.name(),
        party.key
    ));
    Case {
        id: hex::encode(hasher.finalize()),
        party: party.clone(),
        first_seen,
        last_seen,
        count: items.len(),
        ips: ips.into_iter().collect(),
        contacts: contacts.into_iter().collect(),
        needs_review: party.kind != PartyKind::Bouncer,
        messages: items.into_iter().map(|i| i.0).collect(),
    }
}

fn case_message(record: &Record, judgement: &Judgement, basis: Basis, now: i64) -> CaseMessage {
    let original = record.original.as_ref();
    let head = record.message.as_ref();
    let mut reported_uris: Vec<String> = record
        .contacts
        .iter()
        .filter(|c| c.role == "advertised" && c.kind == "url")
        .map(|c| c.value.clone())
        .collect();
    reported_uris.sort();
    reported_uris.dedup();
    let origin = record.origin.as_ref().filter(|_| judgement.source.is_ok());
    CaseMessage {
        seen: seen_time(record).unwrap_or(now),
        id: record.id.clone().unwrap_or_default(),
        source: record.source.clone(),
        original_sha256: original.map(|o| o.sha256.clone()),
        message_id: original
            .and_then(|o| o.message_id.clone())
            .or_else(|| head.and_then(|h| h.message_id.clone())),
        subject: original
            .and_then(|o| o.subject.clone())
            .or_else(|| head.and_then(|h| h.subject.clone())),
        from: original
            .and_then(|o| o.from.clone())
            .or_else(|| head.and_then(|h| h.from.clone())),
        origin_ip: origin.map(|o| o.found.ip.clone()),
        origin_reason: origin.map(|o| o.found.reason.clone()),
        origin_confidence: origin.map(|o| o.found.confidence.clone()),
        bouncer_ip: record.bouncer_ip.clone(),
        forged: record.bounced_to.clone(),
        recipients: record.recipients.clone(),
        reported_domains: judgement.sites.clone(),
        reported_uris,
        direct: basis == Basis::Direct,
        received_at: record.received_at.clone(),
    }
}

/// When the message was seen: the bounce's arrival date, the mailbox's date, M's Date,
/// else the trusted Received stamp of the hand-over (for spam received directly, our own
/// MX's line). The older sources stay first so the ids of bounce cases, which hash the
/// first time seen, do not change between versions.
fn seen_time(record: &Record) -> Option<i64> {
    [
        record.arrival_date.as_deref(),
        record.envelope_date.as_deref(),
        record.original.as_ref().and_then(|o| o.date.as_deref()),
        record.received_at.as_deref(),
    ]
    .into_iter()
    .flatten()
    .find_map(parse_date)
}

/// An RFC 5322 (or RFC 3339) date as Unix time.
pub fn parse_date(text: &str) -> Option<i64> {
    let date = mail_parser::DateTime::parse_rfc822(text)
        .or_else(|| mail_parser::DateTime::parse_rfc3339(text))?;
    date.is_valid().then(|| date.to_timestamp())
}

type PartyFacts = (Party, Vec<String>, Vec<String>);

fn parties_of(
    record: &Record,
    judgement: &Judgement,
    message: &CaseMessage,
    opts: &CaseOptions,
) -> Vec<PartyFacts> {
    let mut out = Vec::new();
    let contacts: Vec<String> = message
        .reported_domains
        .iter()
        .chain(&message.reported_uris)
        .cloned()
        .collect();
    let mut countries = BTreeSet::new();
    if let Some(origin) = record.origin.as_ref().filter(|_| judgement.source.is_ok()) {
        let party = network_party(
            PartyKind::SourceNetwork,
            &origin.found.ip,
            origin.geo.as_ref(),
            origin.network.as_ref(),
            opts,
            if message.direct {
                "the spam was delivered to our mail system from an address in this network, as our own mail server's Received line records"
            } else {
                "the spam entered the bouncing organisation from an address in this network, as the bouncer's own Received line records"
            }
            .to_string(),
        );
        countries.extend(party.country.clone());
        out.push((party, vec![origin.found.ip.clone()], contacts.clone()));
    }
    if let Some(bouncer) = &record.bouncer
        && judgement.bouncer.as_deref() == Some(bouncer.ip.as_str())
    {
        let party = network_party(
            PartyKind::Bouncer,
            &bouncer.ip,
            bouncer.geo.as_ref(),
            bouncer.network.as_ref(),
            opts,
            "its mail server accepted spam with a forged sender and bounced it to the forged address instead of rejecting it during the SMTP session".to_string(),
        );
        out.push((party, vec![bouncer.ip.clone()], Vec::new()));
    }
    for facts in record
        .contact_facts
        .iter()
        .filter(|f| accuse::may_ask_about(record, &f.value))
    {
        let domain = facts.value.rsplit('@').next().unwrap_or(&facts.value);
        let domain = psl::domain_str(domain).unwrap_or(domain).to_string();
        for host in &facts.hosting {
            if host.geo.asn.is_some() {
                let party = network_party(
                    PartyKind::HostingNetwork,
                    &host.ip,
                    Some(&host.geo),
                    host.network.as_ref(),
                    opts,
                    "domains advertised in the spam resolve to addresses in this network".into(),
                );
                countries.extend(party.country.clone());
                out.push((party, vec![host.ip.clone()], vec![domain.clone()]));
            }
        }
        if let Some(party) = registrar_party(facts, opts) {
            out.push((party, Vec::new(), vec![domain.clone()]));
        }
        countries.extend(facts.countries.iter().cloned());
    }
    for contact in record.contacts.iter().filter(|c| c.role == "advertised") {
        countries.extend(contact.country.clone());
    }
    for account in &judgement.mailboxes {
        out.push((
            mailbox_party(&account.domain, opts),
            Vec::new(),
            vec![account.account.clone()],
        ));
    }
    if let Some(table) = opts.jurisdictions {
        for cc in countries {
            if let Some(party) = authority_party(table, &cc) {
                out.push((
                    party,
                    message.origin_ip.iter().cloned().collect(),
                    contacts.clone(),
                ));
            }
        }
    }
    out
}

/// The party for a network: its abuse contact when known, else its AS organisation
/// with no address (a complaint `send` refuses).
fn network_party(
    kind: PartyKind,
    ip: &str,
    geo: Option<&GeoFacts>,
    network: Option<&NetworkFacts>,
    opts: &CaseOptions,
    why: String,
) -> Party {
    let asn = network.and_then(|n| n.asn).or(geo.and_then(|g| g.asn));
    let as_org = network
        .and_then(|n| n.as_org.clone())
        .or(geo.and_then(|g| g.as_org.clone()));
    let country = network
        .and_then(|n| n.country.clone())
        .or(geo.and_then(|g| g.country.clone()));
    let abuse = network.and_then(|n| verified_contact(&n.abuse));
    let as_key = asn.map(|a| format!("AS{a}"));
    let manual = as_key.as_ref().and_then(|k| opts.addresses.get(k));
    let (address, address_source, address_status) = addressed(
        manual,
        abuse,
        network.map(|n| (n.status, n.checks.as_slice())),
    );
    let name = [
        network.and_then(|n| n.netname.clone()),
        as_org.clone(),
        as_key.clone(),
    ]
    .into_iter()
    .flatten()
    .next()
    .unwrap_or_else(|| ip.to_string());
    let name = match (&as_key, &as_org) {
        (Some(key), Some(org)) if name == *org => format!("{org} ({key})"),
        _ => name,
    };
    let key = address.clone().or(as_key).unwrap_or_else(|| ip.to_string());
    Party {
        kind,
        key: key.to_ascii_lowercase(),
        name,
        address,
        address_source,
        address_status,
        country: country.map(|c| c.to_ascii_uppercase()),
        why,
    }
}

/// The first verified contact, a network's own before a registry's catch-all.
fn verified_contact(contacts: &[AbuseContact]) -> Option<&AbuseContact> {
    let mut verified = contacts
        .iter()
        .filter(|a| a.status == Verification::Verified);
    let first = verified.clone().next();
    verified
        .find(|a| a.scope != AbuseScope::RirCatchAll)
        .or(first)
}

/// A party's address, where it came from and its status: set by hand (counts as
/// verified), else the verified contact, else none and why (`check`: the registry
/// answer's status and checks).
fn addressed(
    manual: Option<&String>,
    abuse: Option<&AbuseContact>,
    check: Option<(Verification, &[String])>,
) -> (Option<String>, String, Verification) {
    match (manual, abuse) {
        (Some(manual), _) => (
            Some(manual.clone()),
            "config: report.addresses".to_string(),
            Verification::Verified,
        ),
        (None, Some(abuse)) => (
            Some(abuse.email.clone()),
            format!("{} ({})", abuse.via, abuse.source),
            Verification::Verified,
        ),
        (None, None) => (
            None,
            no_address_reason(check),
            check.map_or(Verification::Unverified, |c| c.0),
        ),
    }
}

/// Why a party has no address: none known, or the registry answer failed its check.
fn no_address_reason(check: Option<(Verification, &[String])>) -> String {
    match check {
        Some((status @ (Verification::Conflict | Verification::Unverified), checks))
            if !checks.is_empty() =>
        {
            format!(
                "no verified abuse address (registry answer {}: {})",
                status.name(),
                checks.join("; ")
            )
        }
        _ => "no abuse address known".to_string(),
    }
}

fn registrar_party(facts: &crate::annotate::ContactFacts, opts: &CaseOptions) -> Option<Party> {
    let registrar = facts.registrar.clone();
    let abuse = verified_contact(&facts.abuse);
    if registrar.is_none() && abuse.is_none() {
        return None;
    }
    let name = registrar
        .clone()
        .unwrap_or_else(|| abuse.map(|a| a.email.clone()).unwrap_or_default());
    let manual = opts.addresses.get(&name);
    let (address, address_source, address_status) = addressed(
        manual,
        abuse,
        Some((facts.registrar_status, facts.checks.as_slice())),
    );
    Some(Party {
        kind: PartyKind::Registrar,
        key: address
            .clone()
            .unwrap_or_else(|| name.clone())
            .to_ascii_lowercase(),
        name,
        address,
        address_source,
        address_status,
        country: None,
        why: "it is the registrar of domains advertised in the spam".into(),
    })
}

/// The mailbox provider of an advertised account: its listed abuse address (or one
/// set by hand under its domain), else none.
fn mailbox_party(domain: &str, opts: &CaseOptions) -> Party {
    let listed = platforms::lookup(domain);
    let provider = listed.map_or(domain, |l| l.provider);
    let manual = opts.addresses.get(domain);
    // A hand-curated address is not a registry's answer: it stays `unverified` (so `send`
    // holds it back) until the user confirms it in `report.addresses`.
    let (address, address_source, address_status) = match (manual, listed.and_then(|l| l.abuse)) {
        (Some(m), _) => (
            Some(m.clone()),
            "config: report.addresses".to_string(),
            Verification::Verified,
        ),
        (None, Some(a)) => (
            Some(a.to_string()),
            "data/platforms.tsv (hand-curated, check before sending)".to_string(),
            Verification::Unverified,
        ),
        (None, None) => (
            None,
            match listed.map(|l| l.note).filter(|n| !n.is_empty()) {
                Some(note) => format!("no abuse address known: {note}"),
                None => "no abuse address known".to_string(),
            },
            Verification::Unverified,
        ),
    };
    Party {
        kind: PartyKind::MailboxProvider,
        key: address
            .clone()
            .unwrap_or_else(|| provider.to_string())
            .to_ascii_lowercase(),
        name: provider.to_string(),
        address,
        address_source,
        address_status,
        country: None,
        why: "the spam advertises an account at this mailbox provider as the contact to answer: please close it".into(),
    }
}

fn authority_party(table: &Jurisdictions, cc: &str) -> Option<Party> {
    let row = table.get(cc)?;
    // Only a channel the table marks verified is written to; any other goes by web form.
    let verified = row.status == "verified"
        && !row
            .authority_and_channel
            .to_ascii_lowercase()
            .contains("unverified");
    let listed = first_email(&row.authority_and_channel);
    let address = listed.clone().filter(|_| verified);
    Some(Party {
        kind: PartyKind::Authority,
        key: row.iso3166.to_ascii_lowercase(),
        name: authority_name(&row.authority_and_channel),
        address_source: match (&address, &listed) {
            (Some(_), _) => format!("jurisdictions table ({})", row.status),
            (None, Some(_)) => format!(
                "the e-mail channel in the jurisdictions table is not verified ({}); use the web form",
                row.status
            ),
            (None, None) => {
                "no e-mail channel in the jurisdictions table (use the web form)".into()
            }
        },
        address_status: if address.is_some() {
            Verification::Verified
        } else {
            Verification::Unverified
        },
        address,
        country: Some(row.iso3166.clone()),
        why: format!(
            "the spam's origin network, hosting or advertised contacts are in {} ({})",
            row.iso3166, row.law
        ),
    })
}

/// The authority's name: the table cell up to the first bracket, sentence or list
/// break, at most 80 characters.
fn authority_name(text: &str) -> String {
    let end = [" (", ". ", ";", " – ", ":"]
        .iter()
        .filter_map(|sep| text.find(sep))
        .min()
        .unwrap_or(text.len());
    crate::render::mime::sanitize(text[..end].trim(), 80)
}

/// The first plain e-mail address in a text (in backticks or bare).
fn first_email(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '`' | '(' | ')' | ',' | ';'))
        .map(|w| w.trim_end_matches('.'))
        .find(|w| is_plain_address(w))
        .map(String::from)
}

/// A conservative e-mail address check: what may go into a To header as is.
pub fn is_plain_address(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && domain.len() <= 253
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_addresses_in_authority_text() {
        assert_eq!(
            first_email("forward to `spam@uce.gov` (FTC page archived 2008)").as_deref(),
            Some("spam@uce.gov")
        );
        assert_eq!(first_email("web form only"), None);
        assert!(!is_plain_address("a@b.c\r\nBcc: x@y.z"));
    }

    #[test]
    fn dates_parse() {
        assert_eq!(
            parse_date("Sun, 13 Jun 2021 09:49:07 +0000"),
            Some(1_623_577_747)
        );
        assert_eq!(parse_date("nonsense"), None);
    }
}
