//! X-ARF v4 (class `messaging`, type `spam`): one JSON report per message, built in
//! code with serde_json, following the xarf-spec schema `types/messaging-spam.json`
//! (a copy with its provenance is kept in `tests/fixtures/report/xarf/`).
//!
//! The schema requires `source_port` when `protocol` is `smtp`. Received lines do not
//! record the client's port, so blowback writes 25 (the SMTP service port) and says in
//! `description` that the client port is unknown.

use serde_json::{Value, json};

use super::arf::Evidence;
use super::mime::base64;

/// Largest evidence payload the schema allows (5 MB).
const MAX_EVIDENCE: usize = 5 * 1024 * 1024;

/// What one X-ARF report says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct XarfReport {
    /// Stable id (hex); formatted as a UUID (version 4 bits set).
    pub id_hex: String,
    /// RFC 3339 time of the incident.
    pub timestamp: String,
    pub reporter_org: String,
    pub reporter_contact: String,
    /// Origin IP, else the first advertised domain.
    pub source: String,
    pub smtp_from: String,
    pub smtp_to: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    /// `high`, `medium` or `low` (the walk's confidence).
    pub confidence: Option<String>,
    pub links: Vec<String>,
    pub description: String,
}

/// A UUID-shaped id from hex (version 4, RFC 4122 variant bits set).
pub fn uuid_from_hex(hex: &str) -> String {
    let mut h: Vec<char> = hex.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    h.resize(32, '0');
    h[12] = '4';
    h[16] = ['8', '9', 'a', 'b'][h[16].to_digit(16).unwrap_or(0) as usize % 4];
    let s: String = h.into_iter().collect::<String>().to_ascii_lowercase();
    format!(
        "{}-{}-{}-{}-{}",
        &s[0..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}

fn cut(text: &str, max: usize) -> String {
    super::mime::sanitize(text, max)
}

/// The report as a JSON value.
pub fn build(report: &XarfReport, evidence: Option<&Evidence>) -> Value {
    let mut value = json!({
        "xarf_version": "4.0.0",
        "report_id": uuid_from_hex(&report.id_hex),
        "timestamp": report.timestamp,
        "reporter": {
            "org": cut(&report.reporter_org, 200),
            "contact": report.reporter_contact,
            "type": "automated",
        },
        "source_identifier": report.source,
        "source_port": 25,
        "class": "messaging",
        "type": "spam",
        "protocol": "smtp",
        "smtp_from": report.smtp_from,
        "evidence_source": "user_complaint",
        "tags": ["spam:backscatter", "tool:blowback"],
        "description": cut(&report.description, 1000),
    });
    let obj = value.as_object_mut().expect("built as an object");
    if let Some(to) = &report.smtp_to {
        obj.insert("smtp_to".into(), json!(to));
    }
    if let Some(subject) = &report.subject {
        obj.insert("subject".into(), json!(cut(subject, 500)));
    }
    if let Some(id) = &report.message_id {
        obj.insert("message_id".into(), json!(cut(id, 200)));
    }
    if let Some(confidence) = &report.confidence {
        let score = match confidence.as_str() {
            "high" => 0.9,
            "medium" => 0.6,
            _ => 0.3,
        };
        obj.insert("confidence".into(), json!(score));
    }
    let links: Vec<&String> = report
        .links
        .iter()
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
        .filter(|l| !l.chars().any(|c| c.is_control() || c == ' '))
        .take(50)
        .collect();
    obj.insert(
        "spam_indicators".into(),
        json!({ "suspicious_links": links, "bulk_characteristics": true }),
    );
    if let Some(evidence) = evidence.filter(|e| e.bytes.len() <= MAX_EVIDENCE) {
        use sha2::{Digest, Sha256};
        let hash = hex::encode(Sha256::digest(&evidence.bytes));
        obj.insert(
            "evidence".into(),
            json!([{
                "content_type": if evidence.headers_only { "text/rfc822-headers" } else { "message/rfc822" },
                "description": "the spam as returned inside the bounce, our own addresses redacted (RFC 6590)",
                "payload": base64(&evidence.bytes),
                "hash": format!("sha256:{hash}"),
                "size": evidence.bytes.len(),
            }]),
        );
    }
    value
}

/// The report as pretty JSON text.
pub fn to_string(report: &XarfReport, evidence: Option<&Evidence>) -> String {
    let mut text = serde_json::to_string_pretty(&build(report, evidence)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        let id = uuid_from_hex("00112233445566778899aabbccddeeff00");
        assert_eq!(id, "00112233-4455-4677-8899-aabbccddeeff");
    }
}
