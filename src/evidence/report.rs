//! `data/report.html`: the readable report of a pack — summary, timeline, top origin
//! countries and networks, responsible parties, advertised contacts, the origin reasoning
//! per message, the method, and the exhibit list with hashes. Counts and charts about
//! spam take only the messages [`is_spam`] admits; the others are listed apart with their
//! verdict. Rendered with handlebars from
//! `templates/evidence/report.hbs`; every value goes through handlebars' HTML escaping
//! (the templates never use triple braces), and the page loads nothing from outside.

use std::collections::BTreeMap;

use handlebars::Handlebars;
use serde::Serialize;

use super::chart::{self, Timeline};
use super::collect::Collected;
use super::parties::Party;
use super::{EvidenceError, PackOptions};

const TEMPLATE: &str = include_str!("../../templates/evidence/report.hbs");
const STYLE: &str = include_str!("../../templates/evidence/style.hbs");

/// Every template the pages are rendered from, by file name (for the findings).
pub(crate) const TEMPLATES: [(&str, &str); 3] = [
    ("report.hbs", TEMPLATE),
    ("memo.hbs", super::memo::TEMPLATE),
    ("style.hbs", STYLE),
];

/// A file of the payload, for the exhibit list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exhibit {
    pub path: String,
    pub sha256: String,
    pub size: u64,
    pub what: String,
}

/// What the report (and the memo) are rendered from.
pub struct Input<'a> {
    pub options: &'a PackOptions,
    pub collected: &'a Collected,
    pub parties: &'a [Party],
    pub exhibits: &'a [Exhibit],
    pub fingerprint: &'a str,
    /// When the report and memo were made, RFC 3339 UTC.
    pub made: &'a str,
}

#[derive(Serialize)]
struct Count {
    name: String,
    count: usize,
    percent: String,
}

#[derive(Serialize)]
struct ContactRow {
    kind: String,
    value: String,
    messages: usize,
    obfuscated: bool,
    facts: String,
}

#[derive(Serialize)]
struct MessageRow {
    number: usize,
    exhibit: String,
    sha256: String,
    source: String,
    date: String,
    kind: String,
    verdict: String,
    subject: String,
    origin: String,
    confidence: String,
    reason: String,
    explanation: String,
    received: Vec<super::quote::Quote>,
    error: String,
}

/// A message left out of the spam counts, with why.
#[derive(Serialize)]
struct OtherRow {
    number: usize,
    kind: String,
    verdict: String,
    source: String,
}

/// Whether a message counts as spam in the report's counts and charts: a bounce (or
/// auto-reply, challenge…) judged backscatter, or a message that is no bounce at all, i.e.
/// spam received directly. Our own bounces and bounces whose verdict is unknown are not.
/// The rule-book of `accuse` decides it, so the report counts what `report` would accuse.
pub fn is_spam(record: &crate::output::Record) -> bool {
    crate::accuse::basis(record).is_ok()
}

#[derive(Serialize)]
struct Summary {
    messages: usize,
    /// Messages counted as spam ([`is_spam`]).
    spam: usize,
    /// Received directly (no bounce), among them.
    direct: usize,
    /// Messages left out of the spam counts.
    others: usize,
    backscatter: usize,
    with_origin: usize,
    without_origin: usize,
    failed: usize,
    not_mail: usize,
    contacts: usize,
    lookups: usize,
    parties: usize,
    countries: usize,
}

/// What both pages say about their making, and the case name for the page margins.
#[derive(Serialize)]
pub(crate) struct Making<'a> {
    /// RFC 3339 UTC.
    made: &'a str,
    tool: &'a str,
    host: &'a str,
    command_line: &'a str,
    /// The case name as a CSS string body, for the running header of every printed page.
    css_case: String,
}

impl<'a> Making<'a> {
    pub(crate) fn of(input: &Input<'a>) -> Making<'a> {
        Making {
            made: input.made,
            tool: &input.options.tool,
            host: &input.options.host,
            command_line: &input.options.command_line,
            css_case: css_string(&input.options.case),
        }
    }
}

/// Text as the body of a CSS string: every character but ASCII letters and digits as a
/// six-digit escape (spaces too: CSS swallows one space after an escape), so nothing in it
/// can end the string or the style sheet, and HTML escaping leaves it as it is.
pub(crate) fn css_string(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("\\{:06x}", c as u32)
            }
        })
        .collect()
}

#[derive(Serialize)]
struct View<'a> {
    making: Making<'a>,
    case: &'a str,
    tool: &'a str,
    operator: &'a str,
    organisation: &'a Option<String>,
    fingerprint: &'a str,
    summary: Summary,
    chart: Timeline,
    countries: Vec<Count>,
    networks: Vec<Count>,
    parties: &'a [Party],
    contacts: Vec<ContactRow>,
    messages: Vec<MessageRow>,
    others: Vec<OtherRow>,
    exhibits: &'a [Exhibit],
    failed: &'a [crate::ingest::IngestFailure],
    not_mail: &'a [String],
    lookups_missing: &'a [String],
}

/// Renders the report into `out`.
pub fn write<W: std::io::Write>(input: &Input, out: W) -> Result<(), EvidenceError> {
    let view = view(input);
    registry(TEMPLATE)?
        .render_to_write("page", &view, out)
        .map_err(|err| EvidenceError::Render {
            what: "report.html".into(),
            message: err.to_string(),
        })
}

/// The report as a string.
pub fn to_string(input: &Input) -> Result<String, EvidenceError> {
    let mut out = Vec::new();
    write(input, &mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A strict registry holding one page template and the shared style partial.
pub(crate) fn registry(template: &str) -> Result<Handlebars<'static>, EvidenceError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    // HTML-escaped as usual, and no control or bidi character from input reaches the page.
    hb.register_escape_fn(|value| {
        handlebars::html_escape(&crate::sanitize::printable_lines(value))
    });
    let err = |err: handlebars::TemplateError| EvidenceError::Render {
        what: "template".into(),
        message: err.to_string(),
    };
    hb.register_template_string("page", template).map_err(err)?;
    hb.register_template_string("style", STYLE).map_err(err)?;
    Ok(hb)
}

fn view<'a>(input: &'a Input) -> View<'a> {
    let spam: Vec<&super::collect::MessageFinding> = input
        .collected
        .messages
        .iter()
        .filter(|m| is_spam(&m.record))
        .collect();
    let records: Vec<&crate::output::Record> = spam.iter().map(|m| &m.record).collect();
    let times: Vec<Option<i64>> = spam.iter().map(|m| m.time).collect();
    let with_origin = records.iter().filter(|r| r.origin.is_some()).count();
    let contacts = contact_rows(&records);
    let countries = top(records.iter().filter_map(|r| {
        let origin = r.origin.as_ref()?;
        Some(
            origin
                .geo
                .as_ref()?
                .country
                .clone()
                .unwrap_or_else(|| "unknown".into()),
        )
    }));
    let networks = top(records.iter().filter_map(|r| {
        let origin = r.origin.as_ref()?;
        let geo = origin.geo.clone().unwrap_or_default();
        Some(match (geo.asn, geo.as_org) {
            (Some(asn), Some(org)) => format!("AS{asn} {org}"),
            (Some(asn), None) => format!("AS{asn}"),
            _ => "unknown network".into(),
        })
    }));
    let others = input
        .collected
        .messages
        .iter()
        .filter(|m| !is_spam(&m.record))
        .map(|m| OtherRow {
            number: m.number,
            kind: m
                .record
                .kind
                .map(|k| serde_name(&k))
                .unwrap_or_else(|| "unreadable".into()),
            verdict: serde_name(&m.record.verdict),
            source: crate::output::printable(&m.record.source),
        })
        .collect();
    View {
        making: Making::of(input),
        case: &input.options.case,
        tool: &input.options.tool,
        operator: &input.options.operator,
        organisation: &input.options.organisation,
        fingerprint: input.fingerprint,
        summary: Summary {
            messages: input.collected.messages.len(),
            spam: records.len(),
            direct: records
                .iter()
                .filter(|r| r.kind == Some(crate::bounce::Kind::NotABounce))
                .count(),
            others: input.collected.messages.len() - records.len(),
            backscatter: records
                .iter()
                .filter(|r| r.verdict == crate::verdict::VerdictKind::Backscatter)
                .count(),
            with_origin,
            without_origin: records.len() - with_origin,
            failed: input.collected.failed.len(),
            not_mail: input.collected.not_mail.len(),
            contacts: contacts.len(),
            lookups: input.collected.lookups.len(),
            parties: input.parties.len(),
            countries: records
                .iter()
                .filter_map(|r| r.origin.as_ref()?.geo.as_ref()?.country.clone())
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
        },
        chart: chart::timeline(&times),
        countries,
        networks,
        parties: input.parties,
        contacts,
        messages: input.collected.messages.iter().map(message_row).collect(),
        others,
        exhibits: input.exhibits,
        failed: &input.collected.failed,
        not_mail: &input.collected.not_mail,
        lookups_missing: &input.collected.lookups_missing,
    }
}

/// Counts, most first (ties by name), at most ten.
fn top(names: impl Iterator<Item = String>) -> Vec<Count> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for name in names {
        *counts.entry(name).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    let mut rows: Vec<(String, usize)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    rows.into_iter()
        .take(10)
        .map(|(name, count)| Count {
            percent: format!("{:.0}", 100.0 * count as f64 / total.max(1) as f64),
            name,
            count,
        })
        .collect()
}

fn contact_rows(records: &[&crate::output::Record]) -> Vec<ContactRow> {
    let mut rows: BTreeMap<(String, String), ContactRow> = BTreeMap::new();
    for record in records {
        for contact in record.contacts.iter().filter(|c| c.role == "advertised") {
            let row = rows
                .entry((contact.kind.clone(), contact.value.clone()))
                .or_insert_with(|| ContactRow {
                    kind: contact.kind.clone(),
                    value: contact.value.clone(),
                    messages: 0,
                    obfuscated: false,
                    facts: String::new(),
                });
            row.messages += 1;
            row.obfuscated |= contact.obfuscated;
            if row.facts.is_empty()
                && let Some(facts) = record
                    .contact_facts
                    .iter()
                    .find(|f| f.kind == contact.kind && f.value == contact.value)
            {
                row.facts = contact_facts_text(facts);
            }
        }
    }
    let mut rows: Vec<ContactRow> = rows.into_values().collect();
    rows.sort_by(|a, b| b.messages.cmp(&a.messages).then(a.value.cmp(&b.value)));
    rows
}

fn contact_facts_text(facts: &crate::annotate::ContactFacts) -> String {
    let mut parts = Vec::new();
    if let Some(registrar) = &facts.registrar {
        parts.push(format!("registrar {registrar}"));
    }
    let hosts: Vec<String> = facts
        .hosting
        .iter()
        .map(|h| match &h.geo.country {
            Some(cc) => format!("{} ({cc})", h.ip),
            None => h.ip.clone(),
        })
        .collect();
    if !hosts.is_empty() {
        parts.push(format!("hosted at {}", hosts.join(", ")));
    }
    if !facts.countries.is_empty() {
        parts.push(format!("countries {}", facts.countries.join(", ")));
    }
    parts.join("; ")
}

fn message_row(m: &super::collect::MessageFinding) -> MessageRow {
    let r = &m.record;
    MessageRow {
        number: m.number,
        exhibit: m.exhibit.clone(),
        sha256: r.id.clone().unwrap_or_default(),
        source: crate::output::printable(&r.source),
        date: m.date.clone().unwrap_or_else(|| "no date".into()),
        kind: r
            .kind
            .map(|k| serde_name(&k))
            .unwrap_or_else(|| "unreadable".into()),
        verdict: serde_name(&r.verdict),
        subject: r
            .original
            .as_ref()
            .and_then(|o| o.subject.clone())
            .unwrap_or_default(),
        origin: r
            .origin
            .as_ref()
            .map(|o| o.found.ip.clone())
            .unwrap_or_else(|| "none".into()),
        confidence: r
            .origin
            .as_ref()
            .map(|o| o.found.confidence.clone())
            .unwrap_or_default(),
        reason: r
            .origin
            .as_ref()
            .map(|o| o.found.reason.clone())
            .or_else(|| r.no_origin_reason.clone())
            .unwrap_or_default(),
        explanation: m.explanation.clone(),
        received: m.received.clone(),
        error: r.error.clone().unwrap_or_default(),
    }
}

/// The serde name of an enum value (`backscatter`, `not_a_bounce`).
fn serde_name(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn case_names_become_inert_css_strings() {
        assert_eq!(super::css_string("Ab 1"), "Ab\\0000201");
        let hostile = "x\"; } body { display: none } </style><script>";
        let css = super::css_string(hostile);
        assert!(css.chars().all(|c| c.is_ascii_alphanumeric() || c == '\\'));
    }
}
