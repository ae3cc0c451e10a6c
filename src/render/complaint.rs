//! One complaint per case: the handlebars text (and subject) for the party's language,
//! ARF and X-ARF attachments per sample message, assembled into one `.eml`
//! (`multipart/mixed`) with header values that never carry CR/LF.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::arf::{self, ArfHeaders, Evidence, FeedbackReport};
use super::mime::{base64_lines, header, quoted_printable, safe_token, sanitize};
use super::redact::Redactor;
use super::templates::{TemplateError, Templates};
use super::xarf::{self, XarfReport};
use super::{Format, ReportSettings, language_for};
use crate::cases::{Case, CaseMessage, Party, PartyKind, is_plain_address};
use crate::enrich::Jurisdictions;

/// Longest value shown in the complaint text (a 100 KB subject is cut).
const MAX_SHOWN: usize = 200;
/// Most contacts listed in the text.
const MAX_CONTACTS: usize = 30;

/// Everything rendering needs besides the case.
pub struct RenderInput<'a> {
    pub settings: &'a ReportSettings,
    pub templates: &'a Templates,
    /// Our own domains (redacted everywhere, see [`Redactor`]).
    pub own_domains: &'a [String],
    /// The carved message M of each message, by [`CaseMessage::id`].
    pub originals: &'a BTreeMap<String, Evidence>,
    /// The plain-words walk of each message, by id (quoted for the first sample).
    pub explain: &'a BTreeMap<String, String>,
    pub jurisdictions: Option<&'a Jurisdictions>,
    /// Unix time written as the complaint's Date.
    pub now: i64,
}

/// One attached file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attachment {
    pub name: String,
    pub what: String,
}

/// A rendered complaint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Complaint {
    pub case_id: String,
    /// File name in the outbox: hashes and a sanitised party name only.
    pub file_name: String,
    pub party: Party,
    pub language: String,
    pub formats: Vec<Format>,
    pub subject: String,
    pub count: usize,
    pub first_seen: String,
    pub last_seen: String,
    pub needs_review: bool,
    pub attachments: Vec<Attachment>,
    /// The case's addresses (accused source, bouncer or hosting addresses).
    pub ips: Vec<String>,
    /// The case's advertised domains and links, or accounts, redacted.
    pub contacts: Vec<String>,
    #[serde(skip)]
    pub eml: Vec<u8>,
}

/// Renders one case; `index` numbers the file name.
pub fn render_case(
    case: &Case,
    index: usize,
    input: &RenderInput,
) -> Result<Complaint, TemplateError> {
    let settings = input.settings;
    let formats = settings.formats_for(case.party.kind);
    let language = settings
        .language
        .clone()
        .unwrap_or_else(|| language_for(case.party.country.as_deref()).to_string());
    let samples: Vec<&CaseMessage> = case.messages.iter().take(settings.samples.max(1)).collect();
    let redactor = redactor_for(case, &samples, input);
    let mut parts: Vec<Part> = Vec::new();
    let mut attachments = Vec::new();
    for (n, message) in samples.iter().enumerate() {
        let evidence = input.originals.get(&message.id).map(|e| Evidence {
            bytes: redactor.bytes(&e.bytes),
            headers_only: e.headers_only,
        });
        if formats.contains(&Format::Arf)
            && let Some(evidence) = &evidence
        {
            let name = format!("arf-{}.eml", n + 1);
            parts.push(Part::message(
                &name,
                arf_for(case, message, evidence, n, input, &redactor),
            ));
            attachments.push(Attachment {
                name,
                what: format!(
                    "ARF (RFC 5965) report with the message {}",
                    shown(message.message_id.as_deref())
                ),
            });
        }
        if formats.contains(&Format::Xarf) {
            let name = format!("xarf-{}.json", n + 1);
            let report = xarf_for(case, message, input, &redactor);
            parts.push(Part::json(
                &name,
                redactor.text(&xarf::to_string(&report, evidence.as_ref())),
            ));
            attachments.push(Attachment {
                name,
                what: format!(
                    "X-ARF v4 (messaging/spam) report of {}",
                    shown(message.message_id.as_deref())
                ),
            });
        }
    }
    let data = template_data(case, &language, &attachments, input, &redactor);
    let subject = sanitize(
        &redactor.text(&input.templates.subject(&language, &data)?),
        300,
    );
    let body = if formats.contains(&Format::Human) {
        redactor.text(&input.templates.body(&language, case.party.kind, &data)?)
    } else {
        format!(
            "Abuse report of case {} ({} message(s)); the machine-readable reports are attached.\n",
            case.id, case.count
        )
    };
    let file_name = file_name(case, index);
    let eml = assemble(case, &subject, &body, &parts, input);
    Ok(Complaint {
        case_id: case.id.clone(),
        file_name,
        party: case.party.clone(),
        language,
        formats,
        subject,
        count: case.count,
        first_seen: day_time(case.first_seen),
        last_seen: day_time(case.last_seen),
        needs_review: case.needs_review,
        attachments,
        ips: case.ips.clone(),
        contacts: case.contacts.iter().map(|c| redactor.text(c)).collect(),
        eml,
    })
}

/// The redactor of a case: our domains and addresses, and the local parts of ours that
/// its samples carry in any form (none when redaction is switched off in config).
fn redactor_for(case: &Case, samples: &[&CaseMessage], input: &RenderInput) -> Redactor {
    if !input.settings.redact {
        return Redactor::new(&[], &[]);
    }
    let known: Vec<String> = case
        .messages
        .iter()
        .flat_map(|m| m.forged.iter().cloned())
        .collect();
    let mut redactor = Redactor::new(input.own_domains, &known)
        .keeping(input.settings.reporter_address.as_deref());
    for message in samples {
        if let Some(evidence) = input.originals.get(&message.id) {
            redactor.learn(&evidence.bytes);
        }
        for text in [&message.subject, &message.from].into_iter().flatten() {
            redactor.learn(text.as_bytes());
        }
        for recipient in &message.recipients {
            redactor.learn(recipient.as_bytes());
        }
    }
    redactor
}

/// `NNN-<kind>-<name>-<id>.eml`: the name lower-case ASCII letters, digits and dashes,
/// so nothing from input text can steer the path.
pub fn file_name(case: &Case, index: usize) -> String {
    let mut slug = String::new();
    for c in case.party.name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_matches('-');
    let slug = if slug.is_empty() { "party" } else { slug };
    format!(
        "{:03}-{}-{}-{}.eml",
        index + 1,
        case.party.kind.name().replace('_', "-"),
        slug,
        &case.id[..12.min(case.id.len())]
    )
}

/// The walk from the bouncing organisation down: our own mail system's internal hops
/// are nobody else's business.
fn bouncer_side(text: &str) -> impl Iterator<Item = &str> {
    let start = text
        .lines()
        .position(|l| l.trim_start().starts_with("The bouncing organisation"))
        .unwrap_or(0);
    text.lines().skip(start)
}

fn shown(text: Option<&str>) -> String {
    text.map(|t| sanitize(t, MAX_SHOWN))
        .unwrap_or_else(|| "(none)".into())
}

/// `2021-06-13 09:49 UTC`.
pub fn day_time(unix: i64) -> String {
    let d = mail_parser::DateTime::from_timestamp(unix);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        d.year, d.month, d.day, d.hour, d.minute
    )
}

fn day(unix: i64) -> String {
    day_time(unix)[..10].to_string()
}

fn rfc822(unix: i64) -> String {
    mail_parser::DateTime::from_timestamp(unix).to_rfc822()
}

fn template_data(
    case: &Case,
    language: &str,
    attachments: &[Attachment],
    input: &RenderInput,
    redactor: &Redactor,
) -> Value {
    let samples = input.settings.samples.max(1);
    let messages: Vec<Value> = case
        .messages
        .iter()
        .take(samples)
        .map(|m| {
            json!({
                "seen": day_time(m.seen),
                "subject": shown(m.subject.as_deref().map(|s| redactor.text(s)).as_deref()),
                "from": shown(m.from.as_deref().map(|f| redactor.text(f)).as_deref()),
                "message_id": shown(m.message_id.as_deref()),
                "direct": m.direct,
                "origin_ip": m.origin_ip,
                "confidence": m.origin_confidence.clone().unwrap_or_default(),
            })
        })
        .collect();
    let quotes_origin = matches!(
        case.party.kind,
        PartyKind::SourceNetwork | PartyKind::Authority
    );
    let mut reasons: Vec<String> = case
        .messages
        .iter()
        .filter(|_| quotes_origin)
        .filter_map(|m| m.origin_reason.as_deref())
        .map(|r| sanitize(r, 400))
        .collect();
    reasons.sort();
    reasons.dedup();
    reasons.truncate(5);
    let explain_lines: Vec<String> = if case.party.kind == PartyKind::SourceNetwork {
        case.messages
            .first()
            .and_then(|m| input.explain.get(&m.id))
            .map(|text| {
                bouncer_side(text)
                    .take(40)
                    .map(|l| sanitize(l, 300))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let contacts: Vec<String> = case
        .contacts
        .iter()
        .take(MAX_CONTACTS)
        .map(|c| sanitize(c, MAX_SHOWN))
        .collect();
    let law = case
        .party
        .country
        .as_deref()
        .and_then(|cc| law_of(cc, input.jurisdictions));
    json!({
        "kind": case.party.kind.name(),
        "direct": !case.messages.is_empty() && case.messages.iter().all(|m| m.direct),
        "language": language,
        "case_id": case.id,
        "reviewed": case.needs_review,
        "tool_version": env!("CARGO_PKG_VERSION"),
        "party": {
            "name": sanitize(&case.party.name, 300),
            "address": case.party.address,
            "country": case.party.country.clone().unwrap_or_else(|| "?".into()),
            "why": sanitize(&case.party.why, 400),
        },
        "reporter": {
            "name": sanitize(&input.settings.reporter_name, 100),
            "address": input.settings.reporter_address,
        },
        "count": case.count,
        "first_seen": day_time(case.first_seen),
        "last_seen": day_time(case.last_seen),
        "first_day": day(case.first_seen),
        "last_day": day(case.last_seen),
        "window_days": input.settings.campaign_window_days,
        "ips": case.ips,
        "contacts": contacts,
        "more_contacts": case.contacts.len().saturating_sub(MAX_CONTACTS),
        "messages": messages,
        "more_messages": case.count.saturating_sub(samples),
        "reasons": reasons,
        "explain_lines": explain_lines,
        "law": law,
        "attachments": attachments,
    })
}

/// The law of a country from the jurisdictions table, or the EU baseline.
fn law_of(cc: &str, table: Option<&Jurisdictions>) -> Option<Value> {
    let table = table?;
    if let Some(row) = table.get(cc) {
        return Some(json!({
            "country": row.iso3166,
            "law": sanitize(&row.law, 600),
            "model": sanitize(&row.model, 400),
            "status": row.status,
        }));
    }
    if Jurisdictions::is_eu(cc) {
        let fact = |k: &str| {
            table
                .eu_baseline
                .get(k)
                .and_then(|v| v["fact"].as_str())
                .unwrap_or("")
                .to_string()
        };
        return Some(json!({
            "country": format!("{cc} (EU)"),
            "law": sanitize(&fact("law"), 600),
            "model": sanitize(&fact("model"), 400),
            "status": "verified (EU baseline)",
        }));
    }
    None
}

fn reporter_from(settings: &ReportSettings) -> String {
    let address = settings
        .reporter_address
        .clone()
        .filter(|a| is_plain_address(a))
        .unwrap_or_else(|| "reporter@blowback.invalid".into());
    let name = sanitize(&settings.reporter_name, 80).replace(['"', '\\'], "");
    format!("\"{name}\" <{address}>")
}

fn arf_for(
    case: &Case,
    message: &CaseMessage,
    evidence: &Evidence,
    n: usize,
    input: &RenderInput,
    redactor: &Redactor,
) -> Vec<u8> {
    let redact = |a: &str| redactor.text(a);
    let mail_from = message
        .forged
        .first()
        .or(message.from.as_ref())
        .map(|a| redact(a));
    let report = FeedbackReport::new(format!("blowback/{}", env!("CARGO_PKG_VERSION")))
        .with_source_ip(match case.party.kind {
            PartyKind::Bouncer => message.bouncer_ip.clone(),
            _ => message.origin_ip.clone(),
        })
        .with_arrival_date(Some(rfc822(message.seen)))
        .with_original_mail_from(mail_from.filter(|a| a.contains('@')))
        .with_original_rcpt_to(
            rcpt_to(message, evidence)
                .iter()
                .map(|a| redact(a))
                .collect(),
        )
        .with_reported(
            message.reported_domains.clone(),
            message.reported_uris.iter().map(|u| redact(u)).collect(),
        );
    let headers = ArfHeaders {
        from: reporter_from(input.settings),
        to: case.party.address.clone().filter(|a| is_plain_address(a)),
        subject: format!(
            "Abuse report {} ({}/{})",
            &case.id[..12.min(case.id.len())],
            n + 1,
            case.count
        ),
        date: rfc822(input.now),
        message_id: format!(
            "<arf-{}-{}.{}>",
            n + 1,
            &case.id[..16.min(case.id.len())],
            message_id_domain(input.settings)
        ),
    };
    let note = format!(
        "This is an abuse report (ARF, RFC 5965) about one message of case {}.\n\
         The message is attached as {}; our own addresses are redacted (RFC 6590).\n",
        case.id,
        if message.direct {
            "our own mail system received it"
        } else {
            "it was returned inside a bounce"
        }
    );
    arf::to_bytes(&headers, &note, &report, evidence)
}

/// The recipients the bounce names, else the To addresses of M itself.
fn rcpt_to(message: &CaseMessage, evidence: &Evidence) -> Vec<String> {
    let named: Vec<String> = message
        .recipients
        .iter()
        .filter(|r| r.contains('@'))
        .cloned()
        .collect();
    if !named.is_empty() {
        return named;
    }
    let Some(headers) = mail_parser::MessageParser::new().parse_headers(&evidence.bytes) else {
        return Vec::new();
    };
    headers
        .to()
        .map(|to| {
            to.iter()
                .filter_map(|a| a.address())
                .filter(|a| a.contains('@'))
                .take(10)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn xarf_for(
    case: &Case,
    message: &CaseMessage,
    input: &RenderInput,
    redactor: &Redactor,
) -> XarfReport {
    let redact = |a: &str| redactor.text(a);
    let smtp_from = message
        .forged
        .first()
        .or(message.from.as_ref())
        .map(|a| redact(a))
        .filter(|a| a.contains('@'))
        .unwrap_or_else(|| "unknown@unknown.invalid".into());
    let mut id = Sha256::new();
    id.update(format!("{}\n{}", case.id, message.id));
    XarfReport {
        id_hex: hex::encode(id.finalize()),
        timestamp: mail_parser::DateTime::from_timestamp(message.seen).to_rfc3339(),
        reporter_org: input.settings.reporter_name.clone(),
        reporter_contact: input
            .settings
            .reporter_address
            .clone()
            .filter(|a| is_plain_address(a))
            .unwrap_or_else(|| "reporter@blowback.invalid".into()),
        source: message
            .origin_ip
            .clone()
            .or(message.reported_domains.first().cloned())
            .unwrap_or_else(|| "unknown".into()),
        smtp_from,
        smtp_to: message
            .recipients
            .first()
            .map(|r| redact(r))
            .filter(|r| is_plain_address(r)),
        subject: message.subject.as_deref().map(redact),
        message_id: message.message_id.clone(),
        confidence: message.origin_confidence.clone(),
        links: message.reported_uris.iter().map(|u| redact(u)).collect(),
        description: format!(
            "{} {} Client source port unknown (Received lines do not record it); source_port 25 is the SMTP service port.",
            if message.direct {
                "Spam received directly by the reporter's own mail system."
            } else {
                "Spam with forged sender addresses of the reporter's domain, returned to the reporter inside a bounce."
            },
            message
                .origin_reason
                .as_deref()
                .map(|r| sanitize(r, 400))
                .unwrap_or_default()
        ),
    }
}

fn message_id_domain(settings: &ReportSettings) -> String {
    settings
        .reporter_address
        .as_deref()
        .filter(|a| is_plain_address(a))
        .and_then(|a| a.rsplit_once('@'))
        .map(|(_, d)| d.to_ascii_lowercase())
        .unwrap_or_else(|| "blowback.invalid".into())
}

/// One MIME part after the text.
struct Part {
    head: String,
    body: Vec<u8>,
}

impl Part {
    fn message(name: &str, bytes: Vec<u8>) -> Part {
        Part {
            head: format!(
                "Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"{}\"\r\n",
                safe_token(name)
            ),
            body: bytes,
        }
    }

    fn json(name: &str, text: String) -> Part {
        let name = safe_token(name);
        Part {
            head: format!(
                "Content-Type: application/json; charset=utf-8; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n"
            ),
            body: base64_lines(text.as_bytes()).into_bytes(),
        }
    }
}

/// A boundary that occurs in none of the parts.
pub fn boundary(prefix: &str, parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let hash = hex::encode(hasher.finalize());
    let mut n = 0;
    loop {
        let candidate = format!("=_{prefix}_{}_{n}", &hash[..24]);
        if !parts
            .iter()
            .any(|p| memchr::memmem::find(p, candidate.as_bytes()).is_some())
        {
            return candidate;
        }
        n += 1;
    }
}

fn assemble(
    case: &Case,
    subject: &str,
    body: &str,
    parts: &[Part],
    input: &RenderInput,
) -> Vec<u8> {
    let text = quoted_printable(body);
    let mut all: Vec<&[u8]> = vec![text.as_bytes()];
    all.extend(parts.iter().map(|p| p.body.as_slice()));
    let boundary = boundary("blowback", &all);
    let mut out = String::new();
    out.push_str(&header("From", &reporter_from(input.settings)));
    match case
        .party
        .address
        .as_deref()
        .filter(|a| is_plain_address(a))
    {
        Some(to) => out.push_str(&header("To", to)),
        None => out.push_str(&header("X-Blowback-No-Address", &case.party.address_source)),
    }
    out.push_str(&header("Subject", subject));
    out.push_str(&header("Date", &rfc822(input.now)));
    out.push_str(&header(
        "Message-ID",
        &format!(
            "<case-{}.{}>",
            &case.id[..24.min(case.id.len())],
            message_id_domain(input.settings)
        ),
    ));
    out.push_str("MIME-Version: 1.0\r\n");
    out.push_str(&header("X-Blowback-Case", &case.id));
    out.push_str(&header(
        "X-Blowback-Party",
        &format!("{} {}", case.party.kind.name(), case.party.key),
    ));
    out.push_str(&header(
        "X-Blowback-Review",
        if case.needs_review {
            "required (rests on headers written by third parties)"
        } else {
            "not required"
        },
    ));
    out.push_str(&format!(
        "Content-Type: multipart/mixed;\r\n boundary=\"{boundary}\"\r\n\r\n"
    ));
    out.push_str("This is a multi-part message in MIME format.\r\n");
    out.push_str(&format!("\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"));
    out.push_str(&text);
    let mut bytes = out.into_bytes();
    for part in parts {
        bytes.extend_from_slice(format!("\r\n--{boundary}\r\n{}\r\n", part.head).as_bytes());
        bytes.extend_from_slice(&part.body);
        if !part.body.ends_with(b"\r\n") {
            bytes.extend_from_slice(b"\r\n");
        }
    }
    bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    bytes
}
