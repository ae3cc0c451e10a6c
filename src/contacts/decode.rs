//! Decoding M's own MIME parts into text the extractors can read.
//!
//! `mail-parser` undoes transfer encodings and charsets (windows-125x, KOI8, ISO-2022-JP,
//! UTF-16, UTF-7, ...; bad bytes become U+FFFD and decoding goes on): by a full parse, or,
//! for M of plain structure, through `mime_text.rs`, which gives the same parts and text
//! without decoding attachments. A part declared `7bit` that is really quoted-printable
//! is decoded again. HTML goes through the scanner of `html.rs`: visible text (no script,
//! style, comments or alt text) plus the link targets of `a`/`area` (`href`), `form`
//! (`action`), `img`/`input` (`src`) and `link` (stylesheets and friends). Nested
//! `message/rfc822` parts are not M's own text and are skipped.

use std::borrow::Cow;

use mail_parser::{Encoding, Message, MessagePart, MimeHeaders, PartType};

use super::mime_text::Body;

use super::MAX_PART_TEXT;

pub use super::html::{Link, LinkTag};

/// Decoded text of one MIME part of M.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextPart {
    /// Index of the part in M (mail-parser's part order).
    pub index: usize,
    /// The part was HTML (or text that is really HTML).
    pub html: bool,
    /// Visible text.
    pub text: String,
    /// Link and image targets (HTML only).
    pub links: Vec<Link>,
}

/// Decodes every text part of M itself (not of messages nested inside it).
pub fn decode(message: &[u8]) -> Vec<TextPart> {
    decode_message(message).0
}

/// M's text parts and the addresses M was sent to (`To`, `Cc`, `Delivered-To`,
/// `X-Original-To`, `Envelope-To`): the recipient's own address is never advertised.
///
/// Messages of plain structure are read by `mime_text` (the same parts and text as
/// mail-parser, without decoding attachments); the rest by a full mail-parser parse.
pub fn decode_message(message: &[u8]) -> (Vec<TextPart>, Vec<String>) {
    decode_message_with(message, None)
}

/// [`decode_message`] reusing M's MIME structure when the bounce stage read it.
pub fn decode_message_with(
    message: &[u8],
    structure: Option<&crate::bounce::mime::Part>,
) -> (Vec<TextPart>, Vec<String>) {
    match super::mime_text::bodies(message, structure) {
        Some((bodies, header)) => (
            bodies.into_iter().map(finish).collect(),
            recipients_in_block(message, &header),
        ),
        None => decode_by_mail_parser(message),
    }
}

/// [`decode_message`] by a full mail-parser parse alone: the reading the plain-structure
/// path must agree with (compared in tests and by the `decode_paths` fuzz target).
pub fn decode_by_mail_parser(message: &[u8]) -> (Vec<TextPart>, Vec<String>) {
    let Some(msg) = crate::mailparse::bodies().parse(message) else {
        return (Vec::new(), Vec::new());
    };
    let parts = text_parts(&msg).into_iter().map(finish).collect();
    (parts, recipients(&msg))
}

fn recipients(msg: &Message<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for addr in [msg.to(), msg.cc()].into_iter().flatten() {
        out.extend(
            addr.iter()
                .filter_map(|a| a.address())
                .map(str::to_lowercase),
        );
    }
    for name in crate::mailparse::DELIVERY_FIELDS {
        for value in msg.header_values(name) {
            if let Some(text) = value.as_text() {
                add_delivery_addresses(&mut out, text);
            }
        }
    }
    out.truncate(1000);
    out
}

/// [`recipients`] from a header block, field by field with mail-parser's own readers
/// (the last `To` and `Cc`, as mail-parser reports them; every delivery field).
fn recipients_in_block(message: &[u8], block: &crate::bounce::headers::Block) -> Vec<String> {
    let mut out = Vec::new();
    for name in ["to", "cc"] {
        if let Some(raw) = block.last(message, name) {
            out.extend(
                crate::mailparse::mailboxes(raw)
                    .into_iter()
                    .filter_map(|m| m.address)
                    .map(|a| a.to_lowercase()),
            );
        }
    }
    for name in crate::mailparse::DELIVERY_FIELDS {
        for raw in block.values(message, name) {
            if let Some(text) = crate::mailparse::raw_text(raw) {
                add_delivery_addresses(&mut out, &text);
            }
        }
    }
    out.truncate(1000);
    out
}

fn add_delivery_addresses(out: &mut Vec<String>, text: &str) {
    out.extend(
        text.split([',', ' ', '<', '>'])
            .filter(|a| a.contains('@'))
            .map(str::to_lowercase),
    );
}

/// The text and HTML parts of a parsed message, in part order.
fn text_parts<'m>(msg: &'m Message<'_>) -> Vec<Body<'m>> {
    let raw = msg.raw_message();
    let mut out = Vec::new();
    for (index, part) in msg.parts.iter().enumerate() {
        let (text, html) = match &part.body {
            PartType::Text(t) => (t, false),
            PartType::Html(t) => (t, true),
            _ => continue,
        };
        let (start, end) = (part.offset_body as usize, part.offset_end as usize);
        out.push(Body {
            index,
            text: Cow::Borrowed(text.as_ref()),
            html,
            identity: part.encoding == Encoding::None,
            raw: raw.get(start..end.min(raw.len())),
            charset: part
                .content_type()
                .and_then(|ct| ct.attribute("charset"))
                .map(str::to_string),
            folded: is_folded_format(part),
        });
    }
    out
}

/// The contact stage's own reading of a decoded part: undeclared quoted-printable,
/// folded iCalendar/vCard lines, the size cap, HTML rendering.
fn finish(body: Body<'_>) -> TextPart {
    let text = fix_undeclared_qp(&body);
    let text = if body.folded {
        Cow::Owned(unfold(&text))
    } else {
        text
    };
    let text = &text[..char_floor(&text, MAX_PART_TEXT)];
    text_part(body.index, text, body.html || looks_like_html(text))
}

/// Builds the `TextPart` of one decoded body.
pub fn text_part(index: usize, text: &str, html: bool) -> TextPart {
    if html {
        let (text, links) = render_html(text);
        TextPart {
            index,
            html: true,
            text,
            links,
        }
    } else {
        TextPart {
            index,
            html: false,
            text: text.to_string(),
            links: Vec::new(),
        }
    }
}

/// A part without transfer encoding whose body has QP soft line breaks or `=3D` is
/// decoded as quoted-printable anyway (old spamware declares `7bit`).
fn fix_undeclared_qp<'t>(body: &'t Body<'_>) -> Cow<'t, str> {
    let text: &str = &body.text;
    if !body.identity || !looks_like_qp(text) {
        return Cow::Borrowed(text);
    }
    let Some(raw) = body.raw else {
        return Cow::Borrowed(text);
    };
    Cow::Owned(crate::mailparse::body_text(
        lenient_qp_decode(raw),
        body.charset.as_deref(),
    ))
}

/// Quoted-printable decoding that never fails: `=XX` becomes the byte, `=` before a line
/// end (after optional blanks) is a soft break, any other `=` stays as written.
pub fn lenient_qp_decode(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        let hex = |c: u8| (c as char).to_digit(16);
        if let (Some(h), Some(l)) = (
            body.get(i + 1).and_then(|&c| hex(c)),
            body.get(i + 2).and_then(|&c| hex(c)),
        ) {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        let mut j = i + 1;
        while j < body.len() && (body[j] == b' ' || body[j] == b'\t') {
            j += 1;
        }
        match body.get(j) {
            Some(b'\r') if body.get(j + 1) == Some(&b'\n') => i = j + 2,
            Some(b'\n' | b'\r') => i = j + 1,
            None => i = j,
            _ => {
                out.push(b'=');
                i += 1;
            }
        }
    }
    out
}

fn looks_like_qp(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (mut soft, mut escapes) = (0, 0);
    for at in memchr::memchr_iter(b'=', bytes) {
        let next = &bytes[at + 1..];
        if next.starts_with(b"\n") || next.starts_with(b"\r\n") {
            soft += 1;
        } else if next.starts_with(b"3D") || next.starts_with(b"20") {
            escapes += 1;
        }
        if soft >= 2 || escapes >= 2 {
            return true;
        }
    }
    false
}

/// iCalendar and vCard parts fold long lines (RFC 5545 3.1, RFC 6350 3.2).
fn is_folded_format(part: &MessagePart<'_>) -> bool {
    part.content_type()
        .and_then(|ct| ct.subtype())
        .is_some_and(|s| {
            let s = s.to_ascii_lowercase();
            s == "calendar" || s == "vcard" || s == "x-vcard" || s == "directory"
        })
}

fn unfold(text: &str) -> String {
    text.replace("\r\n ", "")
        .replace("\r\n\t", "")
        .replace("\n ", "")
        .replace("\n\t", "")
}

fn looks_like_html(text: &str) -> bool {
    // The first 4096 characters: no more bytes than that hold no more characters.
    let end = if text.len() <= 4096 {
        text.len()
    } else {
        text.char_indices().nth(4096).map_or(text.len(), |(i, _)| i)
    };
    let head = text[..end].to_ascii_lowercase();
    head.contains("<html")
        || head.contains("<body")
        || (head.contains("<a ") && head.contains("href="))
}

/// The largest char boundary of `text` at or below `max`.
fn char_floor(text: &str, max: usize) -> usize {
    let mut cut = max.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

/// Renders HTML to visible text and link targets (see `html.rs`).
pub fn render_html(html: &str) -> (String, Vec<Link>) {
    super::html::render(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_message_parts_are_skipped() {
        let msg = b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nouter text\r\n--XX\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@d.example\r\nContent-Type: text/plain\r\n\r\ninner text\r\n--XX--\r\n";
        let parts = decode(msg);
        let all: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert!(all.contains("outer text"));
        assert!(!all.contains("inner text"), "{all}");
    }

    #[test]
    fn charsets_and_undeclared_qp() {
        let koi8 =
            b"Content-Type: text/plain; charset=koi8-r\r\n\r\n\xf4\xc5\xcc: +7 495 123-45-67\r\n";
        assert!(decode(koi8)[0].text.starts_with("Тел: +7"));
        let cp1251 = b"Content-Type: text/plain; charset=windows-1251\r\n\r\n\xd2\xe5\xeb\xe5\xf4\xee\xed\r\n";
        assert!(decode(cp1251)[0].text.starts_with("Телефон"));
        let qp = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\n\r\nour Abuse Contr=\r\nol Center at http://a.example/?x=3D1 =\r\nnow\r\n";
        assert!(
            decode(qp)[0]
                .text
                .contains("Control Center at http://a.example/?x=1 now")
        );
        let utf7 = b"Content-Type: text/plain; charset=utf-7\r\n\r\nHi +BCIENQQ7-\r\n";
        assert!(decode(utf7)[0].text.contains("Тел"));
        let sjis =
            b"Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n\x1b$B%a!<%k\x1b(B test\r\n";
        assert!(decode(sjis)[0].text.contains("メール"));
    }
}
