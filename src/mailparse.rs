//! mail-parser set up to read only the header fields a stage uses.
//!
//! `MessageParser::new()` parses every field with its typed parser, the Received
//! tokenizer included, whichever fields the caller then reads; several stages parse
//! the same header blocks, and that was a large share of the time per message. Each
//! parser here names the fields its callers read, with the same typed parser mail-parser
//! would use by default, and skips the rest (or keeps them raw where a caller reads
//! fields by arbitrary name). Built once, shared by all threads.

use std::sync::LazyLock;

use mail_parser::{HeaderName, MessageParser};

/// `From` and `Subject` (a report's or a returned copy's identity).
pub fn from_and_subject() -> &'static MessageParser {
    static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
        MessageParser::new()
            .header_address(HeaderName::From)
            .header_text(HeaderName::Subject)
            .default_header_ignore()
    });
    &PARSER
}

/// `Date` only.
pub fn date() -> &'static MessageParser {
    static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
        MessageParser::new()
            .header_date(HeaderName::Date)
            .default_header_ignore()
    });
    &PARSER
}

/// Fields that name the recipient or sender without being address fields of RFC 5322:
/// callers read them by name, as raw text.
pub const DELIVERY_FIELDS: [&str; 4] = [
    "Delivered-To",
    "X-Original-To",
    "Envelope-To",
    "X-Envelope-To",
];

/// Address fields typed, `Return-Path` as an id, the delivery fields raw, the rest
/// skipped.
pub fn addresses() -> &'static MessageParser {
    static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
        DELIVERY_FIELDS
            .iter()
            .fold(MessageParser::new(), |p, name| p.header_raw(*name))
            .with_address_headers()
            .header_id(HeaderName::ReturnPath)
            .default_header_ignore()
    });
    &PARSER
}

/// What the verdict reads of a returned original: `Message-ID`, DKIM signatures and,
/// when `received` is set, the peers of its Received lines.
pub fn original_signals(received: bool) -> &'static MessageParser {
    static WITH_RECEIVED: LazyLock<MessageParser> =
        LazyLock::new(|| signals_parser().header_received(HeaderName::Received));
    static WITHOUT: LazyLock<MessageParser> = LazyLock::new(signals_parser);
    if received { &WITH_RECEIVED } else { &WITHOUT }
}

fn signals_parser() -> MessageParser {
    MessageParser::new()
        .header_id(HeaderName::MessageId)
        .header_raw(HeaderName::DkimSignature)
        .default_header_ignore()
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
    static PARSER: LazyLock<MessageParser> =
        LazyLock::new(|| MessageParser::new().with_mime_headers().default_header_ignore());
    &PARSER
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &[u8] = b"Received: from a.example ([192.0.2.1]) by b.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n\
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
        let m = from_and_subject().parse_headers(MESSAGE).expect("parses");
        assert_eq!(m.from(), full.from());
        assert_eq!(m.subject(), Some("Grüße"));
        let m = date().parse_headers(MESSAGE).expect("parses");
        assert_eq!(m.date(), full.date());
        let m = addresses().parse_headers(MESSAGE).expect("parses");
        assert_eq!(m.to(), full.to());
        assert_eq!(
            m.header("Delivered-To").and_then(|v| v.as_text()),
            Some("victim@example.net")
        );
        assert!(m.received().is_none());
        let m = original_signals(true).parse_headers(MESSAGE).expect("parses");
        assert_eq!(m.message_id(), Some("id@example.com"));
        assert!(m.received().is_some());
        let m = original_signals(false).parse_headers(MESSAGE).expect("parses");
        assert!(m.received().is_none());
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
