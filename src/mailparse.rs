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

/// A field kept as written (mail-parser's raw reading: blanks trimmed, folds kept).
pub fn raw_text(raw: &[u8]) -> Option<String> {
    let value = terminated(raw);
    match MessageStream::new(&value).parse_raw() {
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

/// Text of a body in its declared charset (mail-parser's decoders; no usable charset
/// reads as UTF-8), bad bytes as U+FFFD. ASCII in an ASCII-compatible charset is the
/// same text in every one of them and is taken as it is, without a table lookup per byte.
pub fn body_text(bytes: Vec<u8>, charset: Option<&str>) -> String {
    let decoder =
        charset.and_then(|c| mail_parser::decoders::charsets::map::charset_decoder(c.as_bytes()));
    match decoder {
        Some(decode) if !(bytes.is_ascii() && charset.is_some_and(ascii_compatible)) => {
            decode(&bytes)
        }
        _ => String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// Charsets whose first 128 code points are ASCII's (not UTF-7, UTF-16 or ISO-2022,
/// where ASCII bytes can shift or pair).
fn ascii_compatible(charset: &str) -> bool {
    let c = charset.trim().to_ascii_lowercase();
    ["us-ascii", "ascii", "utf-8", "utf8"].contains(&c.as_str())
        || [
            "windows-125",
            "cp125",
            "iso-8859-",
            "iso8859-",
            "iso_8859-",
            "koi8-",
        ]
        .iter()
        .any(|prefix| c.starts_with(prefix))
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

    #[test]
    fn ascii_compatible_charsets_read_ascii_as_it_is() {
        let ascii: Vec<u8> = (0u8..128).collect();
        for charset in [
            "us-ascii",
            "utf-8",
            "windows-1250",
            "windows-1251",
            "windows-1252",
            "windows-1253",
            "windows-1254",
            "windows-1255",
            "windows-1256",
            "windows-1257",
            "windows-1258",
            "cp1251",
            "iso-8859-1",
            "iso-8859-2",
            "iso-8859-5",
            "iso-8859-7",
            "iso-8859-9",
            "iso-8859-15",
            "iso8859-1",
            "koi8-r",
            "koi8-u",
        ] {
            assert!(ascii_compatible(charset), "{charset}");
            // UTF-8 has no decoder of its own: it is read as UTF-8 either way.
            if let Some(decode) =
                mail_parser::decoders::charsets::map::charset_decoder(charset.as_bytes())
            {
                assert_eq!(decode(&ascii).as_bytes(), &ascii[..], "{charset}");
            }
            assert_eq!(
                body_text(ascii.clone(), Some(charset)).as_bytes(),
                &ascii[..]
            );
        }
        for charset in ["utf-7", "utf-16", "iso-2022-jp", "shift_jis"] {
            assert!(!ascii_compatible(charset), "{charset}");
        }
        assert_eq!(body_text(b"\xd2\xe5".to_vec(), Some("windows-1251")), "Те");
        assert_eq!(body_text(b"a\xffb".to_vec(), None), "a\u{fffd}b");
    }
}
