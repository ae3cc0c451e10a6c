//! Header blocks: splits raw bytes into lines (LF, CRLF or CR-only) and a header block
//! into fields, with byte offsets kept so carving can point back into the input.
//! Lenient and bounded: a non-header line ends the block, the number of fields kept is
//! capped, and scanning is linear in the input.

use std::ops::Range;

/// Fields kept per block; later fields are scanned over but not stored.
const MAX_FIELDS: usize = 4096;
/// Bytes of a value returned as text (ids, dates, subjects are far shorter).
const TEXT_VALUE_LIMIT: usize = 64 * 1024;
/// Longest header name accepted.
const MAX_NAME: usize = 76;

/// One line: `start..end` is the content, `next` is the offset after its line break.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    pub start: usize,
    pub end: usize,
    pub next: usize,
}

/// Returns the line starting at `pos`, or `None` at the end of `buf`.
pub fn line_at(buf: &[u8], pos: usize) -> Option<Line> {
    if pos >= buf.len() {
        return None;
    }
    let rest = &buf[pos..];
    match memchr::memchr2(b'\n', b'\r', rest) {
        None => Some(Line {
            start: pos,
            end: buf.len(),
            next: buf.len(),
        }),
        Some(i) => {
            let end = pos + i;
            let next = if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
                end + 2
            } else {
                end + 1
            };
            Some(Line {
                start: pos,
                end,
                next,
            })
        }
    }
}

/// Iterates over the lines of `buf[range]`, offsets relative to `buf`.
pub fn lines(buf: &[u8], range: Range<usize>) -> impl Iterator<Item = Line> + '_ {
    let end = range.end.min(buf.len());
    let slice = &buf[..end];
    let mut pos = range.start.min(end);
    std::iter::from_fn(move || {
        let line = line_at(slice, pos)?;
        pos = line.next;
        Some(line)
    })
}

/// One header field; `name` and `value` index the buffer the block was parsed from.
/// `value` spans continuation lines (raw, still folded).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: Range<usize>,
    pub value: Range<usize>,
}

/// A parsed header block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub start: usize,
    pub fields: Vec<Field>,
    /// Number of fields seen (may exceed `fields.len()` when capped).
    pub count: usize,
    /// Offset where the block's lines end (before the blank line, if any).
    pub end: usize,
    /// Offset where the body starts (after the blank line, or `end` without one).
    pub body: usize,
    /// Whether a blank line closed the block.
    pub blank: bool,
}

/// Bytes before a message's first header line that say nothing: a UTF-8 byte order
/// mark, NULs, blank lines and leading white space (a file saved by an editor, a paste,
/// a broken export). Reading starts after them, so such a message reads like the same
/// message without them.
pub fn leading_junk(buf: &[u8]) -> usize {
    let mut at = 0;
    loop {
        if buf[at..].starts_with(b"\xef\xbb\xbf") {
            at += 3;
        } else if buf
            .get(at)
            .is_some_and(|c| matches!(c, b'\0' | b' ' | b'\t' | b'\r' | b'\n'))
        {
            at += 1;
        } else {
            return at;
        }
    }
}

/// Length of the header name if `line` looks like `Name: value`.
pub fn header_name_len(line: &[u8]) -> Option<usize> {
    let colon = memchr::memchr(b':', &line[..line.len().min(MAX_NAME + 1)])?;
    if colon == 0 || !line[0].is_ascii_alphabetic() {
        return None;
    }
    let ok = line[..colon]
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.');
    ok.then_some(colon)
}

/// Parses the header block starting at `start` (an mbox `From ` line is skipped).
/// Stops at a blank line or at the first line that is neither a field nor a continuation.
pub fn parse_block(buf: &[u8], start: usize, limit: usize) -> Block {
    let limit = limit.min(buf.len());
    let mut block = Block {
        start,
        end: start,
        body: start,
        ..Block::default()
    };
    let mut pos = start;
    if buf[pos.min(limit)..limit].starts_with(b"From ")
        && let Some(l) = line_at(&buf[..limit], pos)
    {
        pos = l.next;
        block.end = pos;
        block.body = pos;
    }
    let mut open = false;
    while let Some(line) = line_at(&buf[..limit], pos) {
        let text = &buf[line.start..line.end];
        if text.iter().all(|c| *c == b' ' || *c == b'\t') {
            block.blank = true;
            block.body = line.next;
            return block;
        }
        // Only asked of unindented lines (most lines of a long header are indented).
        let param_tail = || {
            memchr::memchr(b'=', text).is_some()
                && ends_with_semicolon(buf, block.fields.last())
                && header_name_len(text).is_none()
        };
        if open && (text[0] == b' ' || text[0] == b'\t' || param_tail()) {
            if let Some(f) = block
                .fields
                .last_mut()
                .filter(|_| block.count <= MAX_FIELDS)
            {
                f.value.end = line.end;
            }
        } else if let Some(n) = header_name_len(text) {
            block.count += 1;
            if block.count <= MAX_FIELDS {
                block.fields.push(Field {
                    name: line.start..line.start + n,
                    value: line.start + n + 1..line.end,
                });
            }
            open = true;
        } else if open && resumes(buf, line.next, limit) {
            if let Some(f) = block
                .fields
                .last_mut()
                .filter(|_| block.count <= MAX_FIELDS)
            {
                f.value.end = line.end;
            }
        } else {
            break;
        }
        block.end = line.next;
        block.body = line.next;
        pos = line.next;
    }
    block
}

/// Lines looked ahead for a resumed header block.
const RESUME_REACH: usize = 8;

/// Broken folding (continuation lines that lost their indentation): a stray line counts as
/// a continuation when a field line follows within `RESUME_REACH` lines, before any blank.
fn resumes(buf: &[u8], mut pos: usize, limit: usize) -> bool {
    for _ in 0..RESUME_REACH {
        let Some(l) = line_at(&buf[..limit], pos) else {
            return false;
        };
        let text = &buf[l.start..l.end];
        if text.iter().all(|c| *c == b' ' || *c == b'\t') {
            return false;
        }
        if header_name_len(text).is_some() {
            return true;
        }
        pos = l.next;
    }
    false
}

/// A value ending in `;` continues on an unindented `name=value` line in broken mail
/// (`Content-Type: multipart/alternative;` then `boundary="..."`).
fn ends_with_semicolon(buf: &[u8], field: Option<&Field>) -> bool {
    field.is_some_and(|f| buf[f.value.clone()].trim_ascii_end().ends_with(b";"))
}

impl Block {
    /// Names of the stored fields, as bytes.
    pub fn names<'a>(&'a self, buf: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields.iter().map(move |f| &buf[f.name.clone()])
    }

    /// Raw values of the fields called `name` (case-insensitive), in order.
    pub fn values<'s, 'a: 's>(
        &'s self,
        buf: &'a [u8],
        name: &'s str,
    ) -> impl DoubleEndedIterator<Item = &'a [u8]> + 's {
        self.fields
            .iter()
            .filter(move |f| buf[f.name.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(move |f| &buf[f.value.clone()])
    }

    /// First field called `name` (case-insensitive).
    pub fn get<'a>(&self, buf: &'a [u8], name: &str) -> Option<&'a [u8]> {
        self.values(buf, name).next()
    }

    /// Last field called `name` (case-insensitive): where a field should occur once, the
    /// one mail-parser reports.
    pub fn last<'a>(&self, buf: &'a [u8], name: &str) -> Option<&'a [u8]> {
        self.values(buf, name).next_back()
    }

    /// First field called `name`, unfolded, trimmed, as (lossy) text.
    pub fn text(&self, buf: &[u8], name: &str) -> Option<String> {
        self.get(buf, name)
            .map(|v| unfold(&v[..v.len().min(TEXT_VALUE_LIMIT)]))
            .filter(|s| !s.is_empty())
    }
}

/// Unfolds a raw value: line breaks and the whitespace runs they start become one space.
pub fn unfold(raw: &[u8]) -> String {
    let text = crate::utf8::lossy(raw);
    // Most values are one line: nothing to join.
    if memchr::memchr2(b'\r', b'\n', raw).is_none() {
        return text.trim().to_string();
    }
    let mut out = String::with_capacity(text.len());
    // The pieces between line breaks (`\r` and `\n` are single bytes, so every cut is
    // a character boundary).
    let (bytes, mut start) = (text.as_bytes(), 0);
    for i in 0.. {
        let end = memchr::memchr2(b'\r', b'\n', &bytes[start..]).map_or(bytes.len(), |p| start + p);
        let part = &text[start..end];
        let part = if i == 0 { part } else { part.trim_start() };
        if !part.is_empty() {
            if !out.is_empty() && i > 0 {
                out.push(' ');
            }
            out.push_str(part);
        }
        if end == bytes.len() {
            break;
        }
        start = end + 1;
    }
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `unfold` as first written (split on either break, then joined), for comparison.
    fn unfold_by_split(raw: &[u8]) -> String {
        let text = crate::utf8::lossy(raw);
        let mut out = String::new();
        for (i, part) in text.split(['\r', '\n']).enumerate() {
            let part = if i == 0 { part } else { part.trim_start() };
            if part.is_empty() {
                continue;
            }
            if !out.is_empty() && i > 0 {
                out.push(' ');
            }
            out.push_str(part);
        }
        out.trim().to_string()
    }

    #[test]
    fn unfold_matches_the_split_and_join() {
        let mut values: Vec<Vec<u8>> = [
            &b""[..],
            b"\r\n",
            b" a\r\n\tb ",
            b"a\n\n b\r\rc\r\n",
            b"\n x",
            b"caf\xc3\xa9\r\n \xff z\n",
        ]
        .iter()
        .map(|v| v.to_vec())
        .collect();
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/bounces");
        for entry in std::fs::read_dir(dir).expect("corpus") {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
            let head = &bytes[..bytes.len().min(4096)];
            values.extend(head.chunks(97).map(<[u8]>::to_vec));
        }
        for v in &values {
            assert_eq!(
                unfold(v),
                unfold_by_split(v),
                "{:?}",
                String::from_utf8_lossy(v)
            );
        }
    }

    #[test]
    fn lines_handle_all_three_line_endings() {
        let buf = b"a\nb\r\nc\rd";
        let got: Vec<_> = lines(buf, 0..buf.len())
            .map(|l| &buf[l.start..l.end])
            .collect();
        assert_eq!(got, vec![&b"a"[..], b"b", b"c", b"d"]);
    }

    #[test]
    fn a_field_after_a_value_ending_in_a_semicolon_is_its_own_field() {
        // `To: group:;` and Authentication-Results end in `;`; an encoded word has `=`.
        let buf = b"To: Undisclosed recipients:;\nSubject: =?utf-8?q?caf=C3=A9?=\nContent-Type: text/plain;\nboundary=x\n\nbody";
        let b = parse_block(buf, 0, buf.len());
        let names: Vec<&[u8]> = b.names(buf).collect();
        assert_eq!(names, vec![&b"To"[..], b"Subject", b"Content-Type"]);
        assert_eq!(
            b.text(buf, "content-type").as_deref(),
            Some("text/plain; boundary=x")
        );
    }

    #[test]
    fn block_unfolds_and_finds_body() {
        let buf = b"Subject: a\r\n b\r\nFrom: x@y\r\n\r\nbody";
        let b = parse_block(buf, 0, buf.len());
        assert_eq!(b.count, 2);
        assert!(b.blank);
        assert_eq!(&buf[b.body..], b"body");
        assert_eq!(b.text(buf, "subject").as_deref(), Some("a b"));
    }

    #[test]
    fn unindented_parameter_continues_a_field() {
        let buf = b"Content-Type: multipart/alternative;\nboundary=\"x\"\n\nbody";
        let b = parse_block(buf, 0, buf.len());
        assert_eq!(b.count, 1);
        assert_eq!(
            b.text(buf, "content-type").as_deref(),
            Some("multipart/alternative; boundary=\"x\"")
        );
    }

    #[test]
    fn unindented_continuations_are_kept_when_the_block_resumes() {
        let buf = b"Received: from a\n(10.0.0.1) by b\nwith SMTP\nFrom: x\n\nbody";
        let b = parse_block(buf, 0, buf.len());
        assert_eq!(b.count, 2);
        assert!(b.blank);
        assert_eq!(
            b.text(buf, "received").as_deref(),
            Some("from a (10.0.0.1) by b with SMTP")
        );
    }

    #[test]
    fn leading_bom_nul_and_blank_lines_are_skipped() {
        let buf = b"\xef\xbb\xbf\0\r\n \nFrom: x\n\nbody";
        let at = leading_junk(buf);
        assert_eq!(&buf[at..at + 5], b"From:");
        assert_eq!(leading_junk(b"From: x"), 0);
        assert_eq!(leading_junk(b""), 0);
        assert_eq!(leading_junk(b"\n\n"), 2);
    }

    #[test]
    fn block_stops_at_non_header_line() {
        let buf = b"From: x\nthis is text\n";
        let b = parse_block(buf, 0, buf.len());
        assert_eq!(b.count, 1);
        assert!(!b.blank);
    }
}
