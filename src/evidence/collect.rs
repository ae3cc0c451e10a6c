//! Collecting the exhibits: runs the analysis over every input and writes what it rests
//! on into the bag's payload — each input byte for byte (`data/originals/<sha256>.eml`),
//! each carved original with a sidecar giving its byte range in the parent
//! (`data/extracted/<sha256>.eml` + `.json`), and the raw registry and DNS answers behind
//! the findings (`data/lookups/<sha256 of kind, server, query>.<ext>` + `.json`).
//! File names come only from hashes, never from input text.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::Serialize;

use crate::app::Analyzer;
use crate::enrich::{Enricher, LookupRecord};
use crate::ingest::{IngestFailure, Item};
use crate::output::Record;

use super::bag::BagWriter;
use super::{EvidenceError, sha256_hex, utc};

/// One analysed input message and its exhibits.
#[derive(Debug, Clone, Serialize)]
pub struct MessageFinding {
    /// Exhibit number, from 1, in input order.
    pub number: usize,
    /// `data/originals/<sha256>.eml`: the input exactly as read.
    pub exhibit: String,
    pub extracted: Option<Extracted>,
    /// The bounce's own Date, RFC 3339 UTC.
    pub date: Option<String>,
    /// The same as Unix seconds (for the timeline).
    #[serde(skip)]
    pub time: Option<i64>,
    /// The Received walk in plain words.
    pub explanation: String,
    /// The Received lines the walk relied on, verbatim, with their byte offsets.
    pub received: Vec<super::quote::Quote>,
    /// The analysis, as `analyze --ndjson` writes it.
    pub record: Record,
}

/// A carved original saved as an exhibit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Extracted {
    pub path: String,
    pub sidecar: String,
    pub sha256: String,
    pub size: usize,
    /// The message it was carved from.
    pub parent: String,
    pub parent_sha256: String,
    /// Byte range `[start, end)` inside the parent when copied verbatim; null when it had
    /// to be decoded (then the sidecar says so).
    pub range: Option<(usize, usize)>,
    pub completeness: crate::bounce::Completeness,
    pub carrier: String,
    pub depth: u32,
}

/// A raw answer saved as an exhibit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedLookup {
    pub path: String,
    pub sidecar: String,
    /// When the server answered, RFC 3339 UTC.
    pub time_utc: String,
    #[serde(flatten)]
    pub record: LookupRecord,
}

/// Everything collected from one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Collected {
    pub messages: Vec<MessageFinding>,
    pub failed: Vec<IngestFailure>,
    pub not_mail: Vec<String>,
    pub lookups: Vec<SavedLookup>,
    /// Lookups whose raw answer was not in the cache (named, not saved).
    pub lookups_missing: Vec<String>,
}

/// Analyses every input and writes the message exhibits into the bag.
pub fn messages(
    analyzer: &Analyzer,
    inputs: impl Iterator<Item = Item>,
    bag: &mut BagWriter,
) -> Result<Collected, EvidenceError> {
    let mut collected = Collected::default();
    for item in inputs {
        match item {
            Item::Message(message) => {
                let exhibit = format!("data/originals/{}.eml", message.id);
                bag.put(&exhibit, &message.bytes)?;
                let report = crate::bounce::decode(&message.bytes);
                let walk = crate::received::walk(&message.bytes, &report, &analyzer.trust);
                let extracted = match &report.original {
                    Some(original) => Some(save_extracted(bag, &exhibit, &message.id, original)?),
                    None => None,
                };
                let time = header_date(&message.bytes);
                let received = quote_received(
                    &walk,
                    &exhibit,
                    &message.bytes,
                    report.original.as_ref(),
                    extracted.as_ref(),
                );
                collected.messages.push(MessageFinding {
                    number: collected.messages.len() + 1,
                    exhibit,
                    extracted,
                    date: time.map(|t| utc(t.max(0) as u64)),
                    time,
                    explanation: crate::received::explain_to_string(&walk),
                    received,
                    record: analyzer.analyze(&message),
                });
            }
            Item::Failed(failure) => collected.failed.push(failure),
            Item::NotMail(source) | Item::Skipped { source, .. } => collected.not_mail.push(source),
            Item::Known { source, .. } => collected.not_mail.push(source),
        }
    }
    Ok(collected)
}

/// Quotes the Received lines the walk relied on: the bounce's in its exhibit; the returned
/// original's inside the bounce when carved verbatim, else in the carved copy.
fn quote_received(
    walk: &crate::received::OriginReport,
    exhibit: &str,
    bytes: &[u8],
    original: Option<&crate::bounce::Original>,
    extracted: Option<&Extracted>,
) -> Vec<super::quote::Quote> {
    use super::quote::{Place, quotes};
    let outer = Place {
        file: exhibit,
        bytes,
        offset: 0,
    };
    let inner = match (original, extracted) {
        (Some(original), Some(x)) => Some(
            match x
                .range
                .and_then(|(start, end)| Some((start, bytes.get(start..end)?)))
            {
                Some((start, verbatim)) => Place {
                    file: exhibit,
                    bytes: verbatim,
                    offset: start,
                },
                None => Place {
                    file: &x.path,
                    bytes: &original.bytes,
                    offset: 0,
                },
            },
        ),
        _ => None,
    };
    quotes(walk, &outer, inner.as_ref())
}

fn save_extracted(
    bag: &mut BagWriter,
    parent: &str,
    parent_sha256: &str,
    original: &crate::bounce::Original,
) -> Result<Extracted, EvidenceError> {
    let path = format!("data/extracted/{}.eml", original.sha256);
    let extracted = Extracted {
        sidecar: format!("data/extracted/{}.json", original.sha256),
        sha256: original.sha256.clone(),
        size: original.bytes.len(),
        parent: parent.to_string(),
        parent_sha256: parent_sha256.to_string(),
        range: original.range,
        completeness: original.completeness,
        carrier: original.carrier.clone(),
        depth: original.depth,
        path,
    };
    bag.put(&extracted.path, &original.bytes)?;
    let mut sidecar = serde_json::to_value(&extracted).unwrap_or_default();
    sidecar["note"] = serde_json::Value::String(match original.range {
        Some((start, end)) => {
            format!("bytes {start}..{end} (end exclusive) of {parent}, copied verbatim")
        }
        None => format!(
            "decoded from {parent} (its transfer encoding undone), so no verbatim byte range"
        ),
    });
    bag.put(&extracted.sidecar, &pretty(&sidecar))?;
    Ok(extracted)
}

/// Looks up the origin and bouncer addresses and the advertised domains again (answers
/// come from the cache the analysis filled) and saves the raw answers.
pub fn lookups(
    enricher: &Enricher,
    collected: &mut Collected,
    bag: &mut BagWriter,
) -> Result<(), EvidenceError> {
    let mut records: Vec<LookupRecord> = Vec::new();
    for ip in addresses(collected) {
        records.extend(enricher.lookup_ip(ip).records);
    }
    for domain in domains(collected) {
        records.extend(enricher.lookup_domain(&domain).records);
    }
    records.sort_by(|a, b| (&a.kind, &a.server, &a.query).cmp(&(&b.kind, &b.server, &b.query)));
    records.dedup_by(|a, b| (&a.kind, &a.server, &a.query) == (&b.kind, &b.server, &b.query));
    for record in records {
        match enricher.raw_answer(&record) {
            Some(bytes) => collected.lookups.push(save_lookup(bag, record, &bytes)?),
            None => collected.lookups_missing.push(format!(
                "{} {} {}: raw answer not in the cache",
                record.kind, record.server, record.query
            )),
        }
    }
    Ok(())
}

fn save_lookup(
    bag: &mut BagWriter,
    record: LookupRecord,
    bytes: &[u8],
) -> Result<SavedLookup, EvidenceError> {
    let key =
        sha256_hex(format!("{}\n{}\n{}", record.kind, record.server, record.query).as_bytes());
    let ext = match record.kind.as_str() {
        "rdap" => "json",
        "dns" => "dns",
        _ => "txt",
    };
    let saved = SavedLookup {
        path: format!("data/lookups/{key}.{ext}"),
        sidecar: format!("data/lookups/{key}.json"),
        time_utc: utc(record.time),
        record,
    };
    let saved = if ext == "json" {
        SavedLookup {
            path: format!("data/lookups/{key}.answer.json"),
            ..saved
        }
    } else {
        saved
    };
    bag.put(&saved.path, bytes)?;
    bag.put(
        &saved.sidecar,
        &pretty(&serde_json::to_value(&saved).unwrap_or_default()),
    )?;
    Ok(saved)
}

/// Public origin and bouncer addresses, sorted.
fn addresses(collected: &Collected) -> BTreeSet<IpAddr> {
    collected
        .messages
        .iter()
        .flat_map(|m| {
            let origin = m.record.origin.as_ref().map(|o| o.found.ip.clone());
            origin.into_iter().chain(m.record.bouncer_ip.clone())
        })
        .filter_map(|ip| ip.parse().ok())
        .collect()
}

/// Domains of advertised domain and e-mail contacts, sorted.
fn domains(collected: &Collected) -> BTreeSet<String> {
    collected
        .messages
        .iter()
        .flat_map(|m| &m.record.contacts)
        .filter(|c| c.role == "advertised" && matches!(c.kind.as_str(), "domain" | "email"))
        .map(|c| c.value.rsplit('@').next().unwrap_or(&c.value).to_string())
        .collect()
}

/// The message's own Date header as Unix seconds.
fn header_date(bytes: &[u8]) -> Option<i64> {
    let parsed = mail_parser::MessageParser::new().parse_headers(bytes)?;
    let date = parsed.date()?;
    date.is_valid().then(|| date.to_timestamp())
}

/// Pretty JSON with a final newline.
pub(crate) fn pretty(value: &impl Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}
