//! RFC 3464 delivery-status fields: reads the per-message fields (`Reporting-MTA`,
//! `Arrival-Date`) and one `RecipientStatus` per recipient group (`Final-Recipient`,
//! `Original-Recipient`, `Action`, `Status`, `Diagnostic-Code`, `Remote-MTA`), from a
//! `message/delivery-status` part or from the same fields written inline in report text.
//! Type prefixes (`rfc822;`, `dns;`, `smtp;`) are stripped and values unfolded; the
//! recipient and status values are normalised as [`super::normalise`] describes.

use super::RecipientStatus;
use super::headers::{self, line_at};
use super::normalise;

/// What the delivery-status fields say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dsn {
    pub reporting_mta: Option<String>,
    pub arrival_date: Option<String>,
    pub recipients: Vec<RecipientStatus>,
}

/// Most recipient groups read from one report.
const MAX_RECIPIENTS: usize = 256;

/// Reads delivery-status fields from `text` (the body of a delivery-status part, or
/// report text that may contain such fields among other lines).
pub fn parse(text: &[u8]) -> Dsn {
    let mut dsn = Dsn::default();
    let mut current: Option<RecipientStatus> = None;
    let mut pos = 0;
    while let Some(line) = line_at(text, pos) {
        pos = line.next;
        let raw = &text[line.start..line.end];
        let Some(n) = headers::header_name_len(raw) else {
            if raw.iter().all(u8::is_ascii_whitespace) {
                flush(&mut dsn, &mut current);
            }
            continue;
        };
        let (value, next) = folded_value(text, line.start + n + 1, line.next);
        pos = next;
        let name = String::from_utf8_lossy(&raw[..n]).to_ascii_lowercase();
        apply(&mut dsn, &mut current, &name, value);
    }
    flush(&mut dsn, &mut current);
    dsn
}

/// The value starting at `from`, joined with its continuation lines.
fn folded_value(text: &[u8], from: usize, mut next: usize) -> (String, usize) {
    let mut end = line_at(text, from).map_or(text.len(), |l| l.end).max(from);
    while let Some(l) = line_at(text, next) {
        if l.end > l.start
            && matches!(text[l.start], b' ' | b'\t')
            && !text[l.start..l.end].iter().all(u8::is_ascii_whitespace)
        {
            end = l.end;
            next = l.next;
        } else {
            break;
        }
    }
    (headers::unfold(&text[from.min(end)..end]), next)
}

fn apply(dsn: &mut Dsn, cur: &mut Option<RecipientStatus>, name: &str, value: String) {
    match name {
        "reporting-mta" => set(&mut dsn.reporting_mta, strip_type(&value)),
        "arrival-date" => set(&mut dsn.arrival_date, value),
        "final-recipient" => {
            if cur.as_ref().is_some_and(|r| r.final_recipient.is_some()) {
                flush(dsn, cur);
            }
            cur.get_or_insert_with(Default::default).final_recipient = Some(value);
        }
        "original-recipient" => set(
            &mut cur.get_or_insert_with(Default::default).original_recipient,
            value,
        ),
        "action" => set(
            &mut cur.get_or_insert_with(Default::default).action,
            value.to_ascii_lowercase(),
        ),
        "status" => set(&mut cur.get_or_insert_with(Default::default).status, value),
        "diagnostic-code" => set(
            &mut cur.get_or_insert_with(Default::default).diagnostic,
            strip_type(&value),
        ),
        "remote-mta" => set(
            &mut cur.get_or_insert_with(Default::default).remote_mta,
            strip_type(&value),
        ),
        _ => {}
    }
}

fn set(slot: &mut Option<String>, value: String) {
    if slot.is_none() && !value.is_empty() {
        *slot = Some(value);
    }
}

fn flush(dsn: &mut Dsn, cur: &mut Option<RecipientStatus>) {
    if let Some(mut r) = cur.take() {
        let useful =
            r.final_recipient.is_some() || r.original_recipient.is_some() || r.action.is_some();
        if useful && dsn.recipients.len() < MAX_RECIPIENTS {
            normalise_recipient(&mut r);
            dsn.recipients.push(r);
        }
    }
}

/// The failed address: `Final-Recipient` when it is an Internet address, else
/// `Original-Recipient`, else the one address written inside `Final-Recipient` (a pipe
/// or program delivery); `None` when there is none (the report text may name it).
/// Status normalised to `X.Y.Z`, else read from the diagnostic.
fn normalise_recipient(r: &mut RecipientStatus) {
    let raw_final = r.final_recipient.take();
    let original = r.original_recipient.take();
    r.original_recipient = original
        .as_deref()
        .map(|o| normalise::address(o).unwrap_or_else(|| strip_type(o)));
    r.final_recipient = raw_final
        .as_deref()
        .and_then(normalise::address)
        .or_else(|| original.as_deref().and_then(normalise::address))
        .or_else(|| raw_final.as_deref().and_then(normalise::embedded_address));
    normalise::fill_status(r);
}

/// Strips an address/name type prefix such as `rfc822;`, `dns;`, `smtp;`, `x-unix;`.
pub fn strip_type(value: &str) -> String {
    let v = value.trim();
    match v.split_once(';') {
        Some((t, rest))
            if !t.is_empty()
                && t.len() <= 16
                && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            rest.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim()
                .to_string()
        }
        _ => v.to_string(),
    }
}

impl Dsn {
    /// Whether any recipient failed / was delayed.
    pub fn has_action(&self, action: &str) -> bool {
        self.recipients
            .iter()
            .any(|r| r.action.as_deref().is_some_and(|a| a.starts_with(action)))
    }

    /// Whether the status codes say permanent (5.x.x) or transient (4.x.x).
    pub fn has_status_class(&self, class: char) -> bool {
        self.recipients.iter().any(|r| {
            r.status
                .as_deref()
                .is_some_and(|s| s.trim_start().starts_with(class))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_message_and_recipient_fields() {
        let t = b"Reporting-MTA: dns; mx.example.jp\nArrival-Date: Thu, 29 Apr 2013\n\nFinal-Recipient: rfc822; a@example.org\nOriginal-Recipient: rfc822;b@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: x-unix; no such\n    user\nRemote-MTA: dns; mx.example.org\n\nFinal-Recipient: RFC822; c@example.org\nAction: Delayed\nStatus: 4.4.7\n";
        let d = parse(t);
        assert_eq!(d.reporting_mta.as_deref(), Some("mx.example.jp"));
        assert_eq!(d.recipients.len(), 2);
        let r = &d.recipients[0];
        assert_eq!(r.final_recipient.as_deref(), Some("a@example.org"));
        assert_eq!(r.original_recipient.as_deref(), Some("b@example.org"));
        assert_eq!(r.diagnostic.as_deref(), Some("no such user"));
        assert_eq!(r.remote_mta.as_deref(), Some("mx.example.org"));
        assert!(d.has_action("failed") && d.has_action("delayed"));
    }
}
