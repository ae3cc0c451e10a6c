//! mail-parser, asked for only what a stage reads.
//!
//! `MessageParser::new()` parses every field with its typed parser, the Received
//! tokenizer included, whichever fields the caller then reads; several stages read a
//! field or two of the same header blocks, and that was a large share of the time per
//! message. A single field is handed to mail-parser's parser for its type (address,
//! unstructured, date, id) on its own; where a whole message is parsed, the parser
//! names the fields its callers read and skips the rest. Built once, shared by all
//! threads.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

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
    match (decoder, charset) {
        (Some(decode), Some(name)) if !(bytes.is_ascii() && ascii_compatible(name)) => {
            match single_byte_table(name, decode) {
                Some(table) => decode_single_byte(&bytes, &table),
                None => decode(&bytes),
            }
        }
        _ => String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

type Decoder = fn(&[u8]) -> String;

/// The byte-to-character table of a single-byte charset (Windows, ISO 8859, KOI8), read
/// off mail-parser's own decoder, which maps each byte through such a table one
/// character at a time. With the table, runs of ASCII are copied whole. `None` for
/// every other charset, and for any decoder that does not behave byte by byte on the
/// probes.
fn single_byte_table(charset: &str, decode: Decoder) -> Option<Arc<[char; 256]>> {
    thread_local! {
        static TABLES: RefCell<HashMap<String, Option<Arc<[char; 256]>>>> =
            RefCell::new(HashMap::new());
    }
    let name = charset.trim().to_ascii_lowercase();
    if !is_single_byte(&name) || name.len() > 32 {
        return None;
    }
    TABLES.with_borrow_mut(|tables| {
        if let Some(known) = tables.get(&name) {
            return known.clone();
        }
        let table = probe_table(decode).map(Arc::new);
        // Names are bounded by the prefixes and length above; the cap keeps a flood of
        // made-up variants from growing the map.
        if tables.len() < 256 {
            tables.insert(name, table.clone());
        }
        table
    })
}

/// Each byte decoded alone; `None` unless decoding all bytes together, in both orders,
/// and a pair that would be one character in UTF-8, gives the same characters.
fn probe_table(decode: Decoder) -> Option<[char; 256]> {
    let mut table = ['\0'; 256];
    for (byte, slot) in (0..=255u8).zip(table.iter_mut()) {
        let text = decode(&[byte]);
        let mut chars = text.chars();
        *slot = chars.next()?;
        if chars.next().is_some() || (byte.is_ascii() && *slot != char::from(byte)) {
            return None;
        }
    }
    let forward: Vec<u8> = (0..=255u8).collect();
    let backward: Vec<u8> = (0..=255u8).rev().collect();
    for probe in [&forward[..], &backward[..], b"\xc3\xa9\x82\xa0\x1b$B"] {
        if decode(probe) != decode_single_byte(probe, &table) {
            return None;
        }
    }
    Some(table)
}

fn decode_single_byte(bytes: &[u8], table: &[char; 256]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut rest = bytes;
    while !rest.is_empty() {
        let ascii = rest
            .iter()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(ascii);
        out.push_str(std::str::from_utf8(run).unwrap_or_default());
        rest = match tail.split_first() {
            Some((&byte, after)) => {
                out.push(table[usize::from(byte)]);
                after
            }
            None => tail,
        };
    }
    out
}

/// Charsets whose first 128 code points are ASCII's (not UTF-7, UTF-16 or ISO-2022,
/// where ASCII bytes can shift or pair).
fn ascii_compatible(charset: &str) -> bool {
    let c = charset.trim().to_ascii_lowercase();
    ["us-ascii", "ascii", "utf-8", "utf8"].contains(&c.as_str()) || is_single_byte(&c)
}

/// Windows, ISO 8859 and KOI8 names (lower case): one byte per character, ASCII first.
fn is_single_byte(name: &str) -> bool {
    [
        "windows-125",
        "cp125",
        "iso-8859-",
        "iso8859-",
        "iso_8859-",
        "koi8-",
    ]
    .iter()
    .any(|prefix| name.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table path gives what mail-parser's decoder gives, and charsets that are not
    /// one byte per character never take it.
    #[test]
    fn single_byte_charsets_decode_as_mail_parser_does() {
        let mut seed = 0x2545_f491_u32;
        let mut noise = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    // Mostly ASCII with high bytes between, like real text.
                    if seed.is_multiple_of(4) {
                        (seed >> 8) as u8
                    } else {
                        (seed >> 8) as u8 & 0x7f
                    }
                })
                .collect()
        };
        let single = [
            "windows-1250",
            "windows-1251",
            "Windows-1252",
            "windows-1253",
            "windows-1254",
            "windows-1255",
            "windows-1256",
            "windows-1257",
            "windows-1258",
            "cp1252",
            "iso-8859-1",
            "ISO-8859-2",
            "iso-8859-5",
            "iso-8859-7",
            "iso-8859-15",
            "koi8-r",
            "koi8-u",
        ];
        for name in single {
            let decode =
                mail_parser::decoders::charsets::map::charset_decoder(name.as_bytes()).expect(name);
            assert!(single_byte_table(name, decode).is_some(), "{name}");
            for n in [0, 1, 7, 300, 5000] {
                let bytes = noise(n);
                assert_eq!(
                    body_text(bytes.clone(), Some(name)),
                    decode(&bytes),
                    "{name}"
                );
            }
        }
        for name in [
            "utf-8",
            "shift_jis",
            "iso-2022-jp",
            "utf-7",
            "gb2312",
            "big5",
        ] {
            if let Some(decode) =
                mail_parser::decoders::charsets::map::charset_decoder(name.as_bytes())
            {
                assert!(single_byte_table(name, decode).is_none(), "{name}");
            }
        }
    }

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
