//! mail-parser, asked for only what a stage reads.
//!
//! `MessageParser::new()` parses every field with its typed parser, the Received
//! tokenizer included, whichever fields the caller then reads; several stages read a
//! field or two of the same header blocks, and that was a large share of the time per
//! message. A single field is handed to mail-parser's parser for its type (address,
//! unstructured, date, id) on its own; where a whole message is parsed, the parser
//! names the fields its callers read and skips the rest. Built once, shared by all
//! threads.

use std::sync::LazyLock;

use mail_parser::parsers::MessageStream;
use mail_parser::{HeaderName, HeaderValue, MessageParser};

/// One address of an address field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: Option<String>,
}

/// A field value (as written, still folded) with the line end mail-parser's field
/// parsers expect.
fn terminated(raw: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(raw.len() + 2);
    value.extend_from_slice(raw);
    value.extend_from_slice(b"\r\n");
    value
}

/// The addresses of one address field (`From`, `To`, ...), groups flattened: mail-parser's
/// address parser on that field alone, so no other field is parsed.
pub fn mailboxes(raw: &[u8]) -> Vec<Mailbox> {
    let value = terminated(raw);
    match MessageStream::new(&value).parse_address() {
        HeaderValue::Address(address) => address
            .iter()
            .map(|a| Mailbox {
                name: a.name().map(str::to_string),
                address: a.address().map(str::to_string),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// An unstructured field (`Subject`), RFC 2047 words decoded.
pub fn unstructured(raw: &[u8]) -> Option<String> {
    let value = terminated(raw);
    match MessageStream::new(&value).parse_unstructured() {
        HeaderValue::Text(text) => Some(text.into_owned()),
        _ => None,
    }
}

/// A date field as a Unix time, when it is a valid date.
pub fn timestamp(raw: &[u8]) -> Option<i64> {
    let value = terminated(raw);
    match MessageStream::new(&value).parse_date() {
        HeaderValue::DateTime(date) if date.is_valid() => Some(date.to_timestamp()),
        _ => None,
    }
}

/// A field holding one message id or path (`Message-ID`, `Return-Path`), brackets off.
pub fn single_id(raw: &[u8]) -> Option<String> {
    let value = terminated(raw);
    match MessageStream::new(&value).parse_id() {
        HeaderValue::Text(text) => Some(text.into_owned()),
        _ => None,
    }
}

/// Fields that name the recipient or sender without being address fields of RFC 5322:
/// the contact stage reads them by name, as raw text.
pub const DELIVERY_FIELDS: [&str; 4] = [
    "Delivered-To",
    "X-Original-To",
    "Envelope-To",
    "X-Envelope-To",
];

/// Received lines typed (the verdict's check of a copy against our relays), the rest
/// skipped.
pub fn received_lines() -> &'static MessageParser {
    static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
        MessageParser::new()
            .header_received(HeaderName::Received)
            .default_header_ignore()
    });
    &PARSER
}

/// Whole messages (MIME structure and bodies) with `To`/`Cc` typed, the delivery fields
/// raw and the rest skipped: the contact stage's reading of M.
pub fn bodies() -> &'static MessageParser {
    static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
        DELIVERY_FIELDS
            .iter()
            .fold(MessageParser::new(), |p, name| p.header_raw(*name))
            .with_mime_headers()
            .header_address(HeaderName::To)
            .header_address(HeaderName::Cc)
            .default_header_ignore()
    });
    &PARSER
}

/// MIME structure only (to find nested messages).
pub fn structure() -> &'static MessageParser {
    static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
        MessageParser::new()
            .with_mime_headers()
            .default_header_ignore()
    });
    &PARSER
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field-level readers give what the whole-message parse gives for that field.
    #[test]
    fn field_readers_agree_with_the_default_parse() {
        let full = MessageParser::new().parse(MESSAGE).expect("parses");
        let first = full.from().and_then(|a| a.first()).expect("a From address");
        assert_eq!(
            mailboxes(b" Sender <sender@example.com>"),
            vec![Mailbox {
                name: first.name().map(str::to_string),
                address: first.address().map(str::to_string),
            }]
        );
        assert_eq!(
            unstructured(b" =?utf-8?q?Gr=C3=BC=C3=9Fe?=").as_deref(),
            full.subject()
        );
        assert_eq!(
            timestamp(b" Mon, 1 Jan 2024 00:00:00 +0000"),
            full.date().map(|d| d.to_timestamp())
        );
        assert_eq!(
            single_id(b" <id@example.com>").as_deref(),
            full.message_id()
        );
        assert_eq!(
            mailboxes(b" a@example.com,\r\n  \"B\" <b@example.com>")
                .into_iter()
                .filter_map(|m| m.address)
                .collect::<Vec<_>>(),
            vec!["a@example.com", "b@example.com"]
        );
        assert_eq!(timestamp(b" not a date"), None);
        assert!(mailboxes(b"").is_empty());
    }

    const MESSAGE: &[u8] =
        b"Received: from a.example ([192.0.2.1]) by b.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n\
From: Sender <sender@example.com>\r\n\
To: rcpt@example.net\r\n\
Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\
Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n\
Message-ID: <id@example.com>\r\n\
Delivered-To: victim@example.net\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain\r\n\
\r\n\
hello\r\n\
--b--\r\n";

    /// Each configuration reads its fields exactly as the full default parse does.
    #[test]
    fn configured_parsers_agree_with_the_default_parse() {
        let full = MessageParser::new().parse(MESSAGE).expect("parses");
        let m = received_lines().parse_headers(MESSAGE).expect("parses");
        assert_eq!(m.received(), full.received());
        assert!(m.message_id().is_none());
        let m = bodies().parse(MESSAGE).expect("parses");
        assert_eq!(m.body_text(0).as_deref(), full.body_text(0).as_deref());
        assert_eq!(m.to(), full.to());
        assert_eq!(
            m.header("delivered-to").and_then(|v| v.as_text()),
            Some("victim@example.net")
        );
        let m = structure().parse(MESSAGE).expect("parses");
        assert_eq!(m.parts.len(), full.parts.len());
    }
}
