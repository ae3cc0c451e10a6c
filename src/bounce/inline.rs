//! Inline copies: finds a header block that a bounce copied into its report text, after a
//! vendor marker ("------ This is a copy of the message, including all the headers.
//! ------", "--- Below this line is a copy of the message.", "----- Original message
//! -----", ...) or with no marker at all, by the shape of the block: a run of `Name: value`
//! lines with message header names (Received, Return-Path, Message-ID, From, ...). Blocks
//! made of delivery-status fields are skipped. One pass over the text: linear time.

use std::sync::LazyLock;

use super::headers::{self, Block, lines};
use crate::phrases::Phrases;

/// Header names that only a copied message carries (never report text).
const STRONG: &[&str] = &[
    "received",
    "return-path",
    "message-id",
    "dkim-signature",
    "x-received",
    "delivered-to",
    "arc-seal",
    "arc-message-signature",
    "arc-authentication-results",
    "authentication-results",
    "received-spf",
    "x-originating-ip",
    "domainkey-signature",
    "x-google-dkim-signature",
    "x-mailer",
    "list-unsubscribe",
    "thread-index",
    "x-ms-exchange-organization-authas",
];
/// Ordinary message header names.
const BASIC: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "reply-to",
    "sender",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "in-reply-to",
    "references",
    "errors-to",
    "user-agent",
    "envelope-to",
    "x-original-to",
    "importance",
    "x-priority",
];
/// Delivery-status field names: a block made of these is report data, not a copy.
const DSN: &[&str] = &[
    "reporting-mta",
    "received-from-mta",
    "arrival-date",
    "final-recipient",
    "original-recipient",
    "action",
    "status",
    "diagnostic-code",
    "remote-mta",
    "last-attempt-date",
    "will-retry-until",
    "x-actual-recipient",
    "original-envelope-id",
    "dsn-gateway",
    "x-postfix-queue-id",
    "x-postfix-sender",
    "x-display-name",
    "x-supplementary-info",
];

/// Words that, on a short line, announce a copy of the message below.
const MARKERS: &[&str] = &[
    "header of the original",
    "original header",
    "copy of the message",
    "copy of your message",
    "original message",
    "returned message",
    "unsent message",
    "undelivered message",
    "message headers follow",
    "headers follow",
    "message follows",
    "headers of the original",
    "original headers",
    "message header",
    "your message reads",
    "included below",
    "rejected message",
    "message text follows",
    "below this line",
    "original mail",
    "元のメッセージ",
    "原文",
    "original-message",
    "undeliverable message",
];
/// Words that say the copy is cut short.
const TRUNCATED: &[&str] = &[
    "only the first",
    "truncated",
    "has been shortened",
    "first part of",
];

/// A header block found in text.
#[derive(Debug, Clone)]
pub struct Found {
    pub block: Block,
    /// The report said the copy was cut short.
    pub truncated: bool,
}

/// A copy whose lines carry a quote or indent prefix (`> `, spaces), with the prefix removed.
#[derive(Debug, Clone)]
pub struct Unquoted {
    pub bytes: Vec<u8>,
    pub truncated: bool,
}

#[derive(Default)]
struct Tally {
    strong: usize,
    basic: usize,
    dsn: usize,
    other: usize,
    /// Whether a `From` field is among them (every message has one; a report's summary
    /// of "To, Cc, Date, Subject" need not).
    from: bool,
}

fn tally(text: &[u8], block: &Block) -> Tally {
    let mut t = Tally::default();
    for name in block.names(text) {
        let n = String::from_utf8_lossy(name).to_ascii_lowercase();
        let n = n.as_str();
        if STRONG.contains(&n) {
            t.strong += 1;
        } else if n.starts_with("content-") {
            // MIME part headers alone (a broken multipart read as text) are no copy.
            t.other += 1;
        } else if BASIC.contains(&n) {
            t.basic += 1;
            t.from |= n == "from";
        } else if DSN.contains(&n) || n.starts_with("x-postfix") {
            t.dsn += 1;
        } else {
            t.other += 1;
        }
    }
    t
}

fn acceptable(t: &Tally, marked: bool) -> bool {
    let msg = t.strong + t.basic;
    if t.dsn > msg + t.other || msg == 0 {
        return false;
    }
    if marked {
        t.strong >= 1 || t.basic >= 2
    } else {
        msg >= 2 && (t.strong >= 1 || (t.basic >= 3 && t.from))
    }
}

/// Whether `line` is a marker line; `lower`, its lower case when already at hand.
/// (Lower-casing neither makes nor removes white space: `lower` trimmed is `line`
/// trimmed in lower case.)
pub fn is_marker(line: &str, lower: Option<&str>) -> bool {
    let l = line.trim();
    if l.is_empty() || l.chars().count() > 100 {
        return false;
    }
    match lower {
        Some(lower) => MARKERS_IN.any_in(lower.trim()),
        None => MARKERS_IN.any_in(&l.to_lowercase()),
    }
}

static MARKERS_IN: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(MARKERS));
static TRUNCATED_IN: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(TRUNCATED));

/// Lines after a marker within which a weaker block is still accepted.
const MARKER_REACH: usize = 12;

/// Where the copy starts inside an accepted block: after any leading delivery-status
/// fields that the report wrote right above the copy without a blank line.
fn skip_report_fields(text: &[u8], block: &Block) -> usize {
    block
        .fields
        .iter()
        .find(|f| {
            let n = String::from_utf8_lossy(&text[f.name.clone()]).to_ascii_lowercase();
            !(DSN.contains(&n.as_str()) || n.starts_with("x-postfix"))
        })
        .map_or(block.start, |f| f.name.start)
}

/// Finds the first copied header block in `text[from..]`.
pub fn find(text: &[u8], from: usize) -> Option<Found> {
    let mut since_marker: Option<usize> = None;
    let mut truncated = false;
    let mut skip_to = from;
    for line in lines(text, from..text.len()) {
        if line.start < skip_to {
            continue;
        }
        let raw = &text[line.start..line.end];
        if headers::header_name_len(raw).is_some() {
            let block = headers::parse_block(text, line.start, text.len());
            let marked = since_marker.is_some_and(|n| n <= MARKER_REACH);
            if acceptable(&tally(text, &block), marked) {
                let start = skip_report_fields(text, &block);
                let block = headers::parse_block(text, start, text.len());
                return Some(Found { block, truncated });
            }
            skip_to = block.end.max(line.next);
            since_marker = since_marker.map(|n| n + 1);
            continue;
        }
        let s = String::from_utf8_lossy(raw);
        let lower = crate::utf8::to_lowercase(&s);
        if is_marker(&s, Some(&lower)) {
            since_marker = Some(0);
        } else if !s.trim().is_empty() {
            since_marker = since_marker.map(|n| n + 1);
        }
        truncated = truncated || TRUNCATED_IN.any_in(&lower);
    }
    None
}

/// The quote or indent prefix of a line whose rest is a message header field line.
fn quote_prefix(line: &[u8]) -> Option<usize> {
    let n = match line.first()? {
        b'>' => 1 + usize::from(line.get(1) == Some(&b' ')),
        b' ' | b'\t' => line
            .iter()
            .take_while(|c| **c == b' ' || **c == b'\t')
            .count(),
        _ => return None,
    };
    let rest = &line[n.min(line.len())..];
    let name = &rest[..headers::header_name_len(rest)?];
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    (STRONG.contains(&name.as_str()) || BASIC.contains(&name.as_str())).then_some(n)
}

/// Finds the first copy whose lines are quoted (`> `) or indented, and returns it with the
/// prefix removed. Such a copy needs a trace or id field (Received, Message-ID, ...): an
/// indented `Subject:`/`From:` summary in report text is not a copy. Each line is looked at once or twice: linear.
pub fn find_quoted(text: &[u8]) -> Option<Unquoted> {
    let mut since_marker: Option<usize> = None;
    let mut skip_to = 0;
    for line in lines(text, 0..text.len()) {
        if line.start < skip_to {
            continue;
        }
        let raw = &text[line.start..line.end];
        if let Some(n) = quote_prefix(raw) {
            let prefix = &raw[..n];
            let (bytes, end) = unquote(text, line.start, prefix);
            skip_to = end;
            let block = headers::parse_block(&bytes, 0, bytes.len());
            let t = tally(&bytes, &block);
            if t.strong >= 1 && acceptable(&t, since_marker.is_some_and(|m| m <= MARKER_REACH)) {
                return Some(Unquoted {
                    bytes,
                    truncated: false,
                });
            }
            continue;
        }
        let s = String::from_utf8_lossy(raw);
        if is_marker(&s, None) {
            since_marker = Some(0);
        } else if !s.trim().is_empty() {
            since_marker = since_marker.map(|n| n + 1);
        }
    }
    None
}

/// Collects the lines starting at `from` that carry `prefix` (a lone `>` or an empty line
/// counts as a quoted blank line), strips it, and returns the bytes and where they end.
fn unquote(text: &[u8], from: usize, prefix: &[u8]) -> (Vec<u8>, usize) {
    let quote = prefix.first() == Some(&b'>');
    let mut out = Vec::new();
    let mut end = from;
    let mut blanks = 0;
    for line in lines(text, from..text.len()) {
        let raw = &text[line.start..line.end];
        let eol = &text[line.end..line.next];
        let blank = raw.iter().all(|c| c.is_ascii_whitespace())
            || (quote && raw.iter().all(|c| *c == b'>' || c.is_ascii_whitespace()));
        if blank {
            blanks += 1;
            if blanks > 1 && !quote {
                break;
            }
            out.extend_from_slice(eol);
        } else if raw.starts_with(prefix) {
            blanks = 0;
            out.extend_from_slice(&raw[prefix.len()..]);
            out.extend_from_slice(eol);
        } else {
            break;
        }
        end = line.next;
    }
    (out, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start_of(text: &[u8]) -> Option<String> {
        find(text, 0).map(|f| {
            let l = headers::line_at(text, f.block.start).unwrap();
            String::from_utf8_lossy(&text[l.start..l.end]).into_owned()
        })
    }

    #[test]
    fn exim_marker() {
        let t = b"A message that you sent could not be delivered.\n\n  x@example.org\n\n------ This is a copy of the message, including all the headers. ------\n\nReturn-path: <a@b>\nReceived: from x by y\nFrom: a@b\n\nbody\n";
        assert_eq!(start_of(t).as_deref(), Some("Return-path: <a@b>"));
    }

    #[test]
    fn qmail_marker() {
        let t = b"Hi. This is the qmail-send program.\n<x@y>:\nno mailbox\n\n--- Below this line is a copy of the message.\n\nReturn-Path: <a@b>\nReceived: (qmail 1 invoked by uid 1); 1 Jan 2000\nSubject: hi\n\nhello\n";
        assert_eq!(start_of(t).as_deref(), Some("Return-Path: <a@b>"));
    }

    #[test]
    fn sendmail_v5_marker_with_weak_block() {
        let t = b"   ----- Unsent message follows -----\nFrom: a@b\nTo: c@d\n\nx\n";
        assert_eq!(start_of(t).as_deref(), Some("From: a@b"));
    }

    #[test]
    fn no_marker_found_by_shape_and_dsn_blocks_skipped() {
        let t = b"Unknown user.\n\nReporting-MTA: dns; mx\nArrival-Date: now\n\nFinal-Recipient: rfc822; x@y\nAction: failed\nStatus: 5.1.1\n\nReceived: from a by b\nMessage-Id: <1@b>\nSubject: s\n\nbody\n";
        assert_eq!(start_of(t).as_deref(), Some("Received: from a by b"));
    }

    #[test]
    fn indented_and_quoted_copies_are_unquoted() {
        let t = b"Original mail as follows:\n\n   Return-Path: <a@b>\n   Received: from x\n   \tby y\n   Subject: s\n\n   body\n";
        let u = find_quoted(t).unwrap();
        assert_eq!(
            u.bytes,
            b"Return-Path: <a@b>\nReceived: from x\n\tby y\nSubject: s\n\nbody\n"
        );
        let q = b"> Received: from x by y\n> Message-ID: <1@y>\n> Subject: s\n>\n> body\n";
        assert_eq!(
            find_quoted(q).unwrap().bytes,
            b"Received: from x by y\nMessage-ID: <1@y>\nSubject: s\n\nbody\n"
        );
    }

    #[test]
    fn indented_summary_is_not_a_copy() {
        let t =
            b"Message details:\n  Subject: Winner\n  Sent date: today\n  From: a@b\n  CC: none\n";
        assert!(find(t, 0).is_none());
        assert!(find_quoted(t).is_none());
    }

    #[test]
    fn report_fields_right_above_the_copy_are_left_out() {
        let t = b"Action: failed\nStatus: 5.1.1\nReceived: from a by b\nMessage-ID: <1@b>\nSubject: s\n\nbody\n";
        assert_eq!(start_of(t).as_deref(), Some("Received: from a by b"));
    }

    #[test]
    fn mime_part_headers_are_not_a_copy() {
        let t = b"attached returned message.\n\n--b\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\nContent-Transfer-Encoding: 7bit\n\nReceived: from a by b\nSubject: s\n\nx\n";
        assert_eq!(start_of(t).as_deref(), Some("Received: from a by b"));
    }

    #[test]
    fn report_text_with_one_field_is_not_a_copy() {
        let t = b"Subject: your mail\nwas not delivered because\nTo: nobody\n";
        assert!(find(t, 0).is_none());
    }
}
