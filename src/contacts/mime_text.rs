//! M's text parts read with blowback's own MIME walker (`bounce::mime`) instead of a
//! second full `mail-parser` parse, for the messages both read the same way.
//!
//! A full parse decodes every part of M, attachments included, and types its header
//! fields: about two thirds of the cost of parsing the whole bounce again. Most spam has
//! a plain structure (clean header blocks, simple Content-Type values, delimiters on
//! lines of their own), and for that structure this module gives what mail-parser would:
//! the same part numbers (pre-order, multipart containers counted), the same decoded
//! text (its transfer decoders are followed step by step, with its own tables, and the
//! charset step is the same), the same choice of text and HTML parts. Anything else (a
//! nested message, a delimiter that is not alone on its line, an encoding mail-parser
//! would call broken, an unusual header line or Content-Type) returns `None`, and the
//! caller parses M with mail-parser as before. A unit test compares both readings over
//! every message and returned copy of the test corpus.

use std::borrow::Cow;

use mail_parser::decoders::base64::BASE64_MAP;
use mail_parser::decoders::quoted_printable::HEX_MAP;

use crate::bounce::headers::Block;
use crate::bounce::mime::{Cte, Part};

/// One text part of M, decoded, before the contact stage's own fixes.
pub(super) struct Body<'a> {
    /// The part's number in mail-parser's order.
    pub index: usize,
    pub text: Cow<'a, str>,
    /// `text/html`.
    pub html: bool,
    /// Sent without transfer encoding (a candidate for undeclared quoted-printable).
    pub identity: bool,
    /// The body as written.
    pub raw: Option<&'a [u8]>,
    pub charset: Option<String>,
    /// iCalendar or vCard, whose lines are folded.
    pub folded: bool,
}

/// The text parts of `message` and its header block, or `None` when its structure is
/// one this reading does not take on. `structure` is the message's MIME tree when the
/// bounce stage read it (any depth and part limits: a part left unsplit fails the
/// checks below).
pub(super) fn bodies<'a>(
    message: &'a [u8],
    structure: Option<&'a Part>,
) -> Option<(Vec<Body<'a>>, Cow<'a, Block>)> {
    let mut walk = Walk {
        message,
        next_index: 0,
        out: Vec::new(),
    };
    match structure {
        Some(tree) => {
            walk.part(tree, b"")?;
            Some((walk.out, Cow::Borrowed(&tree.header)))
        }
        None => {
            let tree = crate::bounce::mime::parse(message);
            walk.part(&tree, b"")?;
            Some((walk.out, Cow::Owned(tree.header)))
        }
    }
}

struct Walk<'a> {
    message: &'a [u8],
    next_index: usize,
    out: Vec<Body<'a>>,
}

impl<'a> Walk<'a> {
    /// Reads one part; `boundary` is its parent's (empty for M itself).
    fn part(&mut self, part: &Part, boundary: &[u8]) -> Option<()> {
        let m = self.message;
        let index = self.next_index;
        self.next_index += 1;
        // mail-parser reads a message without header fields its own way.
        if index == 0 && part.header.count == 0 {
            return None;
        }
        if !clean_header_block(m, part)? {
            // A message that is only a header block (a copy returned without its body):
            // mail-parser makes it one empty text part.
            if index != 0 || part.header.body != m.len() {
                return None;
            }
            self.out.push(Body {
                index,
                text: Cow::Borrowed(""),
                html: false,
                identity: true,
                raw: None,
                charset: None,
                folded: false,
            });
            return Some(());
        }
        let content_type = single_value(m, part, "content-type")?;
        if let Some(value) = &content_type {
            simple_content_type(value).then_some(())?;
        }
        let cte = single_value(m, part, "content-transfer-encoding")?;
        let cte = match cte.as_deref().map(|v| v.trim().to_ascii_lowercase()) {
            None => Cte::Identity,
            Some(v) if matches!(v.as_str(), "7bit" | "8bit" | "binary") => Cte::Identity,
            Some(v) if v == "base64" => Cte::Base64,
            Some(v) if v == "quoted-printable" => Cte::QuotedPrintable,
            Some(_) => return None,
        };
        let (kind, subtype) = part.ctype.split_once('/')?;
        if kind == "multipart" {
            // A digest's parts default to message/rfc822, which this reading leaves out.
            if subtype == "digest" {
                return None;
            }
            let own = part.param("boundary")?.as_bytes();
            delimiters_are_clean(m, part, own).then_some(())?;
            for child in &part.children {
                self.part(child, own)?;
            }
            return Some(());
        }
        // mail-parser parses a nested message as a message of its own.
        if kind == "message" && matches!(subtype, "rfc822" | "global") {
            return None;
        }
        let text = kind == "text";
        let raw = &m[part.body.clone()];
        // With the delimiters checked, a part sent as is ends where the walker ended it;
        // an encoded one is decoded as mail-parser would, which also finds its end.
        let bytes = match cte {
            Cte::Identity => text.then(|| raw.to_vec()),
            Cte::Base64 => match plain_base64(raw, text) {
                Some(bytes) => bytes,
                None => self.decoded(part, boundary, base64_mime, text)?,
            },
            Cte::QuotedPrintable => self.decoded(part, boundary, quoted_printable_mime, text)?,
        };
        let Some(bytes) = bytes else {
            return Some(());
        };
        let charset = part.param("charset").map(str::to_string);
        self.out.push(Body {
            index,
            text: Cow::Owned(crate::mailparse::body_text(bytes, charset.as_deref())),
            html: subtype == "html",
            identity: cte == Cte::Identity,
            raw: Some(raw),
            charset,
            folded: matches!(subtype, "calendar" | "vcard" | "x-vcard" | "directory"),
        });
        Some(())
    }
}

/// One of mail-parser's transfer decoders followed step by step: from a body's start to
/// the rest of the message, a boundary and whether to keep the bytes, it gives where the
/// part ends and its bytes.
type Decoder = fn(&[u8], &[u8], bool) -> Option<(usize, Vec<u8>)>;

impl Walk<'_> {
    /// A body decoded by one of mail-parser's decoders, followed to the boundary; `None`
    /// when it reports a problem or ends the part elsewhere than the walker.
    fn decoded(
        &self,
        part: &Part,
        boundary: &[u8],
        decoder: Decoder,
        keep: bool,
    ) -> Option<Option<Vec<u8>>> {
        let (end, bytes) = decoder(&self.message[part.body.start..], boundary, keep)?;
        (part.body.start + end == part.body.end).then_some(keep.then_some(bytes))
    }
}

/// The part's header block is lines of `Name: value` with folded continuations, each
/// ending in LF or CRLF, closed by an empty line (true) or by the end of the message
/// (false): where both parsers agree on every field and on where the body starts.
fn clean_header_block(m: &[u8], part: &Part) -> Option<bool> {
    let block = &part.header;
    let head = m.get(block.start..block.body)?;
    let mut fields = 0;
    let mut closed = false;
    let mut rest = head;
    while !rest.is_empty() {
        if closed {
            return None;
        }
        // Every line ends in a line feed; a carriage return only right before it.
        let end = memchr::memchr(b'\n', rest)?;
        let line = &rest[..end];
        rest = &rest[end + 1..];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if memchr::memchr(b'\r', line).is_some() {
            return None;
        }
        match line.first() {
            None => closed = true,
            Some(b' ' | b'\t') => {
                if fields == 0 || line.iter().all(u8::is_ascii_whitespace) {
                    return None;
                }
            }
            Some(_) => {
                let name = line
                    .iter()
                    .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    .count();
                if name == 0 || line.get(name) != Some(&b':') {
                    return None;
                }
                fields += 1;
            }
        }
    }
    (fields == block.count && fields == block.fields.len()).then_some(closed)
}

/// The unfolded value of a field that occurs at most once; `Some(None)` when absent,
/// `None` when repeated.
fn single_value(m: &[u8], part: &Part, name: &str) -> Option<Option<String>> {
    let mut values = part.header.values(m, name);
    let first = values.next();
    if values.next().is_some() {
        return None;
    }
    Some(first.map(crate::bounce::headers::unfold))
}

/// `type/subtype` followed by `; name=value` parameters, names in lower case, values as
/// plain tokens or quoted strings without escapes: no comments, encoded words, RFC 2231
/// parameters or repeated names, on which parsers differ.
fn simple_content_type(value: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    if !value.is_ascii() || value.contains('\\') || value.contains("=?") {
        return false;
    }
    let mut quoted = false;
    for c in value.chars() {
        match (c, quoted) {
            ('"', _) => quoted = !quoted,
            // A `;` inside quotes would split the value below.
            (';', true) => return false,
            // Comments are read differently by different parsers.
            ('(' | ')', false) => return false,
            _ => {}
        }
    }
    let mut items = value.split(';');
    let Some((kind, subtype)) = items.next().and_then(|t| t.trim().split_once('/')) else {
        return false;
    };
    if !token(kind) || !token(subtype) {
        return false;
    }
    let mut names: Vec<&str> = Vec::new();
    let items: Vec<&str> = items.map(|i| i.trim_start()).collect();
    for (at, item) in items.iter().enumerate() {
        if item.trim().is_empty() && at + 1 == items.len() {
            continue;
        }
        let Some((name, value)) = item.trim_end().split_once('=') else {
            return false;
        };
        let quoted = value.len() >= 2
            && value.starts_with('"')
            && value.ends_with('"')
            && !value[1..value.len() - 1].contains('"');
        let plain = !value.is_empty()
            && value
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b';');
        let name_ok = token(name) && !name.bytes().any(|b| b.is_ascii_uppercase());
        if !name_ok || !(quoted || plain) || names.contains(&name) {
            return false;
        }
        names.push(name);
    }
    true
}

/// Every `--boundary` in the multipart's body starts a line of its own (after LF, or at
/// the body's start) and is a delimiter the walker took: `--boundary` then blanks and a
/// line end, or the close `--boundary--` after at least one part. mail-parser takes any `--boundary` as a
/// delimiter, even inside a line, so any other occurrence could split the part
/// differently.
fn delimiters_are_clean(m: &[u8], part: &Part, boundary: &[u8]) -> bool {
    if boundary.is_empty() || part.truncated {
        return false;
    }
    let mut pattern = b"--".to_vec();
    pattern.extend_from_slice(boundary);
    let hay = &m[..part.body.end];
    for (opens, found) in memchr::memmem::find_iter(&hay[part.body.start..], &pattern).enumerate() {
        let at = part.body.start + found;
        if at != part.body.start && hay[at - 1] != b'\n' {
            return false;
        }
        let after = &hay[at + pattern.len()..];
        if after.starts_with(b"--") {
            // mail-parser reads a close as the first delimiter as an open one.
            return opens > 0 && opens == part.children.len();
        }
        let blanks = after
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let eol = &after[blanks..];
        if !(eol.starts_with(b"\n") || eol.starts_with(b"\r\n")) {
            return false;
        }
    }
    false
}

/// Base64 that is only alphabet, blanks and line breaks, with `=` only at its end:
/// what mail-parser's decoder makes of it (a final group without padding is dropped,
/// a padded one gives its whole bytes), computed in bulk. `None` for anything else,
/// which goes through [`base64_mime`].
fn plain_base64(body: &[u8], keep: bool) -> Option<Option<Vec<u8>>> {
    const BLANK: u8 = 64;
    const PAD: u8 = 65;
    const BAD: u8 = 255;
    static TABLE: [u8; 256] = {
        let mut table = [BAD; 256];
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut i = 0;
        while i < 64 {
            table[alphabet[i] as usize] = i as u8;
            i += 1;
        }
        table[b' ' as usize] = BLANK;
        table[b'\t' as usize] = BLANK;
        table[b'\r' as usize] = BLANK;
        table[b'\n' as usize] = BLANK;
        table[b'=' as usize] = PAD;
        table
    };
    // Everything before the first `=` is alphabet or blanks, everything after it `=`
    // or blanks.
    let (head, tail) = body.split_at(memchr::memchr(b'=', body).unwrap_or(body.len()));
    // Most base64 is attachments, only checked, and this check is all the work done on
    // them: a flag per byte, or-ed over blocks, with one branch per block.
    static NOT_HEAD: [u8; 256] = {
        let mut flags = [0u8; 256];
        let mut i = 0;
        while i < 256 {
            flags[i] = (TABLE[i] > BLANK) as u8;
            i += 1;
        }
        flags
    };
    let head_clean = head.chunks(64).all(|block| {
        block
            .iter()
            .fold(0u8, |seen, &b| seen | NOT_HEAD[usize::from(b)])
            == 0
    });
    let tail_clean = tail
        .iter()
        .all(|&b| matches!(TABLE[usize::from(b)], BLANK | PAD));
    if !head_clean || !tail_clean {
        return None;
    }
    if !keep {
        return Some(None);
    }
    let mut out = Vec::with_capacity(head.len() / 4 * 3);
    let (mut group, mut filled) = (0u32, 0u8);
    let mut i = 0;
    while i < head.len() {
        // Whole groups of four in a row (most of a line) at once.
        if filled == 0
            && let Some(four) = head.get(i..i + 4)
        {
            let [a, b, c, d] = [0, 1, 2, 3].map(|k| u32::from(TABLE[usize::from(four[k])]));
            if (a | b | c | d) < u32::from(BLANK) {
                let whole = (a << 18) | (b << 12) | (c << 6) | d;
                out.extend_from_slice(&whole.to_be_bytes()[1..]);
                i += 4;
                continue;
            }
        }
        let value = TABLE[usize::from(head[i])];
        i += 1;
        if value == BLANK {
            continue;
        }
        group = (group << 6) | u32::from(value);
        filled += 1;
        if filled == 4 {
            out.extend_from_slice(&group.to_be_bytes()[1..]);
            (group, filled) = (0, 0);
        }
    }
    if !tail.is_empty() {
        match filled {
            1 => out.push((group << 2) as u8),
            2 => out.push((group >> 4) as u8),
            3 => out.extend_from_slice(&[(group >> 10) as u8, (group >> 2) as u8]),
            _ => {}
        }
    }
    Some(keep.then_some(out))
}

/// mail-parser's `decode_base64_mime`, step by step: the end of the part and, when
/// `keep`, the decoded bytes. `None` where it reports an encoding problem.
fn base64_mime(data: &[u8], boundary: &[u8], keep: bool) -> Option<(usize, Vec<u8>)> {
    let mut buf = Vec::new();
    let (mut chunk, mut byte_count) = (0u32, 0u8);
    let (mut last, mut before_last, mut end) = (b'\n', 0u8, 0usize);
    let mut i = 0;
    while i < data.len() {
        let ch = data[i];
        i += 1;
        let value = BASE64_MAP[usize::from(byte_count)][usize::from(ch)];
        if value < 0x01ff_ffff {
            byte_count = (byte_count + 1) & 3;
            if byte_count == 1 {
                chunk = value;
            } else {
                chunk |= value;
                if byte_count == 0 && keep {
                    buf.extend_from_slice(&chunk.to_le_bytes()[0..3]);
                }
            }
        } else {
            match ch {
                b'=' => match byte_count {
                    1 | 2 => {
                        if keep {
                            buf.push(chunk.to_le_bytes()[0]);
                        }
                        byte_count = 0;
                    }
                    3 => {
                        if keep {
                            buf.extend_from_slice(&chunk.to_le_bytes()[0..2]);
                        }
                        byte_count = 0;
                    }
                    _ => {}
                },
                b'\n' => end = if last == b'\r' { i - 2 } else { i - 1 },
                b' ' | b'\t' | b'\r' => {}
                b'-' if last == b'-' => {
                    if boundary.is_empty() || !data[i..].starts_with(boundary) {
                        return None;
                    }
                    return Some((if before_last == b'\n' { end } else { i - 2 }, buf));
                }
                b'-' => {}
                _ => return None,
            }
        }
        before_last = last;
        last = ch;
    }
    boundary.is_empty().then_some((i, buf))
}

/// mail-parser's `decode_quoted_printable_mime`, step by step (line ends become LF until
/// a CR is seen, then CRLF; blanks before a line end are dropped). `None` where it
/// reports an encoding problem, or where its arithmetic would wrap. The bytes are always
/// kept (the flag is for the shared [`Decoder`] shape): quoted-printable attachments are
/// rare, and its failures must be found by decoding anyway.
fn quoted_printable_mime(data: &[u8], boundary: &[u8], _keep: bool) -> Option<(usize, Vec<u8>)> {
    #[derive(PartialEq)]
    enum State {
        None,
        Eq,
        Hex1,
    }
    let mut buf = Vec::with_capacity(data.len().min(1 << 16));
    let mut state = State::None;
    let mut hex1 = 0i8;
    let (mut last, mut before_last, mut end) = (0u8, 0u8, 0usize);
    let mut blanks = 0usize;
    let mut crlf: &[u8] = b"\n";
    let mut i = 0;
    // Where the next `=`, LF or CR is (at or after `i` while `i <= next_special`): found
    // once per stretch, not again at every `-` of a long line of them (that was
    // quadratic).
    let mut next_special: Option<usize> = None;
    while i < data.len() {
        // Outside an escape, whole runs of ordinary bytes and whole `=XX` escapes and
        // soft breaks are taken at once, with the same effect on the output, the blank
        // count and the last two bytes as byte by byte.
        if state == State::None {
            let rest = &data[i..];
            let special_at = match next_special {
                Some(at) if at >= i => at,
                _ => i + memchr::memchr3(b'=', b'\n', b'\r', rest).unwrap_or(rest.len()),
            };
            next_special = Some(special_at);
            let special = special_at - i;
            let run = memchr::memchr(b'-', &rest[..special]).unwrap_or(special);
            if run > 1 {
                let bytes = &rest[..run];
                buf.extend_from_slice(bytes);
                let trailing = bytes
                    .iter()
                    .rev()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count();
                blanks = if trailing == run {
                    blanks + run
                } else {
                    trailing
                };
                (before_last, last) = (bytes[run - 2], bytes[run - 1]);
                i += run;
                continue;
            }
            if let [b'=', high, low, ..] = *rest
                && HEX_MAP[usize::from(high)] != -1
                && HEX_MAP[usize::from(low)] != -1
            {
                let byte =
                    ((HEX_MAP[usize::from(high)] as u8) << 4) | HEX_MAP[usize::from(low)] as u8;
                buf.push(byte);
                blanks = 0;
                (before_last, last) = (high, low);
                i += 3;
                continue;
            }
            if rest.starts_with(b"=\n") {
                end = i + 1;
                blanks = 0;
                (before_last, last) = (b'=', b'\n');
                i += 2;
                continue;
            }
            if rest.starts_with(b"=\r\n") {
                crlf = b"\r\n";
                end = i + 1;
                blanks = 0;
                (before_last, last) = (b'\r', b'\n');
                i += 3;
                continue;
            }
        }
        let ch = data[i];
        i += 1;
        match ch {
            b'=' => {
                if state != State::None {
                    return None;
                }
                state = State::Eq;
            }
            b'\n' => {
                end = if last == b'\r' { i - 2 } else { i - 1 };
                if state == State::Eq {
                    state = State::None;
                } else {
                    let keep = buf.len().checked_sub(blanks)?;
                    buf.truncate(keep);
                    buf.extend_from_slice(crlf);
                }
                blanks = 0;
            }
            b'\r' => crlf = b"\r\n",
            b'-' if !boundary.is_empty() && last == b'-' && data[i..].starts_with(boundary) => {
                if before_last == b'\n' {
                    let keep = buf.len().checked_sub(crlf.len() + 1)?;
                    buf.truncate(keep);
                } else {
                    buf.truncate(buf.len().checked_sub(1)?);
                    end = i - 2;
                }
                return Some((end, buf));
            }
            _ => match state {
                State::None => {
                    blanks = if ch.is_ascii_whitespace() {
                        blanks + 1
                    } else {
                        0
                    };
                    buf.push(ch);
                }
                State::Eq => {
                    hex1 = HEX_MAP[usize::from(ch)];
                    if hex1 != -1 {
                        state = State::Hex1;
                    } else if !ch.is_ascii_whitespace() {
                        state = State::None;
                        buf.extend_from_slice(&[b'=', ch]);
                        blanks = 0;
                    }
                }
                State::Hex1 => {
                    let hex2 = HEX_MAP[usize::from(ch)];
                    state = State::None;
                    if hex2 != -1 {
                        buf.push(((hex1 as u8) << 4) | hex2 as u8);
                    } else {
                        buf.extend_from_slice(&[b'=', last, ch]);
                    }
                    blanks = 0;
                }
            },
        }
        before_last = last;
        last = ch;
    }
    boundary.is_empty().then_some((i, buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::decode::{TextPart, decode_message, decode_message_with};

    /// What mail-parser alone makes of M (the reading `bodies` must match).
    fn by_mail_parser(message: &[u8]) -> (Vec<TextPart>, Vec<String>) {
        super::super::decode::decode_by_mail_parser(message)
    }

    /// Every corpus message and every returned copy, each marked when it is what the
    /// contact stage reads (the copy of a bounce, the message itself otherwise), with
    /// the MIME structure the bounce stage read for it.
    fn corpus_messages() -> Vec<(String, Vec<u8>, bool, Option<Part>)> {
        let mut out = Vec::new();
        for (path, bytes) in crate::test_corpus::messages() {
            // The contact stage reads the returned copy of a bounce, and the message
            // itself otherwise: compare both.
            let report = crate::bounce::decode(&bytes);
            let name = path.display().to_string();
            let copied = report.original.is_some();
            out.push((name.clone(), bytes, !copied, report.structure));
            if let Some(original) = report.original {
                let copy = format!("{name} (copy)");
                out.push((copy, original.bytes, true, original.structure));
            }
        }
        out
    }

    #[test]
    fn reads_every_corpus_message_it_takes_as_mail_parser_does() {
        let messages = corpus_messages();
        let (mut read, mut taken) = (0, 0);
        for (name, bytes, read_by_stage, structure) in &messages {
            read += usize::from(*read_by_stage);
            // The bounce stage's tree and a fresh walk must lead to the same reading.
            let reused = decode_message_with(bytes, structure.as_ref());
            assert_eq!(reused, decode_message(bytes), "{name}");
            if bodies(bytes, None).is_none() {
                continue;
            }
            taken += usize::from(*read_by_stage);
            assert_eq!(reused, by_mail_parser(bytes), "{name}");
        }
        // The comparison means something only if most of what the stage reads takes
        // this path.
        assert!(read > 600, "{read}");
        assert!(taken * 10 >= read * 8, "{taken} of {read}");
    }

    fn parts(message: &[u8]) -> Option<Vec<(usize, String, bool)>> {
        let (bodies, _) = bodies(message, None)?;
        Some(
            bodies
                .into_iter()
                .map(|b| (b.index, b.text.into_owned(), b.html))
                .collect(),
        )
    }

    #[test]
    fn numbers_parts_as_mail_parser_does_and_decodes_text_only() {
        let m = b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=\"X\"\r\n\r\npre\r\n--X\r\nContent-Type: multipart/alternative; boundary=Y\r\n\r\n--Y\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =\r\nbar  \r\n--Y\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+aGk8L2I+\r\n--Y--\r\n--X\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--X--\r\n";
        let got = parts(m).expect("plain structure");
        assert_eq!(
            got,
            [
                (2, "café bar".to_string(), false),
                (3, "<b>hi</b>".to_string(), true)
            ]
        );
        assert_eq!(decode_message(m), by_mail_parser(m));
    }

    #[test]
    fn structures_read_differently_are_left_to_mail_parser() {
        let cases: [&[u8]; 7] = [
            // A delimiter inside a line: mail-parser splits there too.
            b"From: a@b.example\nContent-Type: multipart/mixed; boundary=X\n\n--X\n\ntext --X more\n--X--\n",
            // A nested message.
            b"From: a@b.example\nContent-Type: multipart/mixed; boundary=X\n\n--X\nContent-Type: message/rfc822\n\nFrom: c@d.example\n\ninner\n--X--\n",
            // Broken base64 (mail-parser keeps it as text).
            b"From: a@b.example\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\nnot base64!\n",
            // A comment in the Content-Type.
            b"From: a@b.example\nContent-Type: text/plain (note); charset=utf-8\n\nbody\n",
            // An unknown transfer encoding.
            b"From: a@b.example\nContent-Transfer-Encoding: x-uuencode\n\nbody\n",
            // A multipart whose first delimiter is its close.
            b"From: a@b.example\nContent-Type: multipart/mixed; boundary=X\n\n--X--\n",
            // No blank line after the header block.
            b"From: a@b.example\nSubject: only headers",
        ];
        for case in cases {
            assert!(
                bodies(case, None).is_none(),
                "{}",
                String::from_utf8_lossy(case)
            );
            // And the contact stage still reads them (by mail-parser).
            assert_eq!(decode_message(case), by_mail_parser(case));
        }
    }

    #[test]
    fn a_soft_break_right_before_a_boundary_is_left_to_mail_parser() {
        // mail-parser's decoder then takes more off its output than it holds (it wraps
        // in a release build and panics in a debug one); this reading declines.
        assert!(quoted_printable_mime(b"=\n--X--\n", b"X", true).is_none());
        assert_eq!(
            quoted_printable_mime(b"a=3Db=\nc \n--X--\n", b"X", true),
            Some((9, b"a=bc".to_vec()))
        );
    }

    #[test]
    fn hostile_structures_neither_panic_nor_disagree() {
        let cases: [&[u8]; 5] = [
            b"",
            b"\n\n\n",
            b"From: a@b.example\nContent-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n",
            b"From: a@b.example\nContent-Transfer-Encoding: quoted-printable\n\n=\n==\n=4",
            b"From: a@b.example\nContent-Type: multipart/mixed; boundary=X\n\n--X\nContent-Transfer-Encoding: base64\n\nQQ=\n--X\n\n-\n--X--",
        ];
        for case in cases {
            assert_eq!(
                decode_message(case),
                by_mail_parser(case),
                "{}",
                String::from_utf8_lossy(case)
            );
        }
    }
}
