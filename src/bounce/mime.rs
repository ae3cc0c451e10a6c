//! MIME structure with exact byte offsets: splits a message into a bounded tree of parts
//! (content type, parameters, transfer encoding, header/body ranges). Carving needs the
//! offsets to report where M sits in the bounce, which is why this small walker exists
//! next to `mail-parser` (used for decoding header values). Depth and part count are
//! bounded; boundary scanning is linear per level.

use std::ops::Range;

use super::headers::{self, Block};

/// Deepest multipart nesting that is split; deeper parts stay opaque leaves.
pub const MAX_DEPTH: usize = 24;
/// Most parts split out of one message.
pub const MAX_PARTS: usize = 1024;

/// Content-Transfer-Encoding of a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cte {
    Identity,
    Base64,
    QuotedPrintable,
}

/// One MIME part (or the whole message).
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub header: Block,
    pub body: Range<usize>,
    /// Lower-case `type/subtype`; `text/plain` when absent.
    pub ctype: String,
    pub params: Vec<(String, String)>,
    pub cte: Cte,
    pub children: Vec<Part>,
    /// A multipart whose closing delimiter was missing (truncated).
    pub truncated: bool,
}

impl Part {
    /// A parameter of the Content-Type, by lower-case name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Visits this part and its descendants in document order.
    pub fn walk<'a>(&'a self, out: &mut Vec<&'a Part>) {
        out.push(self);
        for c in &self.children {
            c.walk(out);
        }
    }

    /// All parts in document order.
    pub fn flatten(&self) -> Vec<&Part> {
        let mut v = Vec::new();
        self.walk(&mut v);
        v
    }
}

/// Parses `buf` as a message, within the default bounds.
pub fn parse(buf: &[u8]) -> Part {
    parse_limited(buf, MAX_DEPTH, MAX_PARTS)
}

/// Parses `buf` as a message, nesting at most `max_depth` multiparts and splitting at
/// most `max_parts` parts; what lies beyond stays an unsplit body.
pub fn parse_limited(buf: &[u8], max_depth: usize, max_parts: usize) -> Part {
    let header = headers::parse_block(buf, headers::leading_junk(buf), buf.len());
    parse_limited_with(buf, header, max_depth, max_parts)
}

/// [`parse_limited`] for a message whose header block (`parse_block(buf, 0, buf.len())`)
/// was already read.
pub fn parse_limited_with(buf: &[u8], header: Block, max_depth: usize, max_parts: usize) -> Part {
    let mut budget = Budget {
        parts_left: max_parts,
        max_depth,
    };
    part_with_header(buf, header, 0..buf.len(), 0, "text/plain", &mut budget)
}

/// What splitting may still cost.
struct Budget {
    parts_left: usize,
    max_depth: usize,
}

fn parse_part(
    buf: &[u8],
    range: Range<usize>,
    depth: usize,
    default: &str,
    budget: &mut Budget,
) -> Part {
    let header = headers::parse_block(buf, range.start, range.end);
    part_with_header(buf, header, range, depth, default, budget)
}

fn part_with_header(
    buf: &[u8],
    header: Block,
    range: Range<usize>,
    depth: usize,
    default: &str,
    budget: &mut Budget,
) -> Part {
    let body = header.body.min(range.end)..range.end;
    let (ctype, params) = match header.get(buf, "content-type") {
        Some(v) => content_type(&headers::unfold(v)),
        None => (default.to_string(), Vec::new()),
    };
    let cte = match header.text(buf, "content-transfer-encoding") {
        Some(v) if v.to_ascii_lowercase().contains("base64") => Cte::Base64,
        Some(v) if v.to_ascii_lowercase().contains("quoted") => Cte::QuotedPrintable,
        _ => Cte::Identity,
    };
    let mut part = Part {
        header,
        body,
        ctype,
        params,
        cte,
        children: Vec::new(),
        truncated: false,
    };
    if part.ctype.starts_with("multipart/")
        && depth < budget.max_depth
        && budget.parts_left > 0
        && let Some(boundary) = part.param("boundary").map(|b| b.as_bytes().to_vec())
    {
        split(buf, &mut part, &boundary, depth, budget);
    }
    part
}

fn split(buf: &[u8], part: &mut Part, boundary: &[u8], depth: usize, budget: &mut Budget) {
    if boundary.is_empty() {
        return;
    }
    let child_default = if part.ctype == "multipart/digest" {
        "message/rfc822"
    } else {
        "text/plain"
    };
    let (ranges, closed) = delimit_or_guess(buf, part.body.clone(), boundary);
    part.truncated = !closed;
    for r in ranges {
        if budget.parts_left == 0 {
            break;
        }
        budget.parts_left -= 1;
        part.children
            .push(parse_part(buf, r, depth + 1, child_default, budget));
    }
}

/// [`delimit`] with the declared boundary, or with the one the body really uses when the
/// declared one delimits nothing.
fn delimit_or_guess(buf: &[u8], body: Range<usize>, boundary: &[u8]) -> (Vec<Range<usize>>, bool) {
    let (ranges, closed) = delimit(buf, body.clone(), boundary);
    if ranges.is_empty()
        && !closed
        && let Some(actual) = guess_boundary(buf, body.clone())
    {
        return delimit(buf, body, &actual);
    }
    (ranges, closed)
}

/// `parse(buf).truncated` without parsing the parts: whether `buf`, whose header block
/// (`parse_block(buf, 0, buf.len())`) is `header`, is a multipart that lacks its closing
/// delimiter.
pub fn top_truncated(buf: &[u8], header: &Block) -> bool {
    let Some(value) = header.get(buf, "content-type") else {
        return false;
    };
    let (ctype, params) = content_type(&headers::unfold(value));
    let boundary = params
        .iter()
        .find(|(n, _)| n == "boundary")
        .map(|(_, v)| v.as_bytes());
    match boundary {
        Some(boundary) if ctype.starts_with("multipart/") && !boundary.is_empty() => {
            let body = header.body.min(buf.len())..buf.len();
            !delimit_or_guess(buf, body, boundary).1
        }
        _ => false,
    }
}

/// Finds the body parts between `--boundary` lines; returns them and whether the close
/// delimiter was seen.
pub fn delimit(buf: &[u8], range: Range<usize>, boundary: &[u8]) -> (Vec<Range<usize>>, bool) {
    let mut pat = b"--".to_vec();
    pat.extend_from_slice(boundary);
    let finder = memchr::memmem::Finder::new(&pat);
    let hay = &buf[..range.end];
    let mut pos = range.start;
    let mut ranges = Vec::new();
    let mut open: Option<usize> = None;
    while let Some(i) = finder.find(&hay[pos..]) {
        let at = pos + i;
        pos = at + pat.len();
        if !(at == range.start || matches!(hay[at - 1], b'\n' | b'\r')) {
            continue;
        }
        let after = &hay[pos..];
        let close = after.starts_with(b"--");
        let rest_ok = after
            .iter()
            .skip(if close { 2 } else { 0 })
            .take_while(|c| !matches!(c, b'\n' | b'\r'))
            .all(|c| c.is_ascii_whitespace());
        if !rest_ok && !close {
            continue;
        }
        if let Some(s) = open.take() {
            ranges.push(s..strip_eol_before(hay, at, s));
        }
        if close {
            return (ranges, true);
        }
        let next = headers::line_at(hay, pos).map_or(hay.len(), |l| l.next);
        open = Some(next);
        pos = next;
    }
    if let Some(s) = open {
        ranges.push(s..range.end);
    }
    (ranges, false)
}

/// Lines scanned for a delimiter when the declared boundary never occurs.
const GUESS_LINES: usize = 200;

/// The boundary actually used when the declared one never occurs (broken or rewritten
/// mail): the first `--token` line of the body whose token opens another line later.
fn guess_boundary(buf: &[u8], range: Range<usize>) -> Option<Vec<u8>> {
    let first = headers::lines(buf, range.clone())
        .take(GUESS_LINES)
        .find_map(|l| {
            let t = &buf[l.start..l.end];
            let token = t.strip_prefix(b"--")?.trim_ascii_end();
            let ok = token.len() >= 4
                && token.len() <= 200
                && !token.starts_with(b"-")
                && token.iter().all(|c| c.is_ascii_graphic());
            ok.then(|| (token.to_vec(), l.next))
        });
    let (token, after) = first?;
    let mut pat = b"\n--".to_vec();
    pat.extend_from_slice(&token);
    memchr::memmem::find(&buf[after.saturating_sub(1)..range.end], &pat).map(|_| token)
}

/// The line break right before a delimiter belongs to the delimiter.
fn strip_eol_before(buf: &[u8], at: usize, floor: usize) -> usize {
    let mut end = at;
    if end > floor && buf[end - 1] == b'\n' {
        end -= 1;
        if end > floor && buf[end - 1] == b'\r' {
            end -= 1;
        }
    } else if end > floor && buf[end - 1] == b'\r' {
        end -= 1;
    }
    end
}

/// Splits a Content-Type value into lower-case `type/subtype` and lower-case-named params.
pub fn content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut items = split_params(value).into_iter();
    let ctype = items.next().unwrap_or_default().trim().to_ascii_lowercase();
    let ctype = if ctype.contains('/') {
        if ctype.contains(char::is_whitespace) {
            ctype.replace(char::is_whitespace, "")
        } else {
            ctype
        }
    } else {
        "text/plain".to_string()
    };
    let params = items
        .filter_map(|p| {
            let (n, v) = p.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .map_or(v, |v| v.strip_suffix('"').unwrap_or(v));
            Some((
                n.trim().trim_end_matches('*').to_ascii_lowercase(),
                v.to_string(),
            ))
        })
        .collect();
    (ctype, params)
}

fn split_params(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    // `;` and `"` are ASCII: every cut is a character boundary.
    for (i, b) in value.bytes().enumerate() {
        match b {
            b';' if !quoted => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            b'"' => quoted = !quoted,
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

/// Decodes a transfer-encoded body leniently (bad input never fails).
pub fn decode(body: &[u8], cte: Cte) -> Vec<u8> {
    match cte {
        Cte::Identity => body.to_vec(),
        Cte::Base64 => base64(body),
        Cte::QuotedPrintable => quoted_printable(body),
    }
}

/// Base64, skipping characters outside the alphabet and stopping at padding.
pub fn base64(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                acc = 0;
                bits = 0;
                continue;
            }
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Quoted-printable that keeps the input's own line endings (LF, CRLF or CR) and leaves
/// malformed `=` sequences as written.
pub fn quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != b'=' {
            // Everything up to the next `=` is copied as it is.
            let run = memchr::memchr(b'=', &input[i..]).unwrap_or(input.len() - i);
            out.extend_from_slice(&input[i..i + run]);
            i += run;
            continue;
        }
        let rest = &input[i + 1..];
        let ws = rest
            .iter()
            .take_while(|c| **c == b' ' || **c == b'\t')
            .count();
        match rest.get(ws) {
            Some(b'\r') if rest.get(ws + 1) == Some(&b'\n') => i += ws + 3,
            Some(b'\n') | Some(b'\r') => i += ws + 2,
            None if ws == 0 => i += 1,
            _ => match (
                rest.first().and_then(|h| hex(*h)),
                rest.get(1).and_then(|h| hex(*h)),
            ) {
                (Some(a), Some(b)) => {
                    out.push((a << 4) | b);
                    i += 3;
                }
                _ => {
                    out.push(b'=');
                    i += 1;
                }
            },
        }
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_multipart_with_exact_ranges() {
        let m = b"Content-Type: multipart/mixed; boundary=\"b\"\n\npre\n--b\nContent-Type: text/plain\n\none\n--b\n\ntwo\n--b--\n";
        let p = parse(m);
        assert_eq!(p.children.len(), 2);
        assert_eq!(&m[p.children[0].body.clone()], b"one");
        assert_eq!(&m[p.children[1].body.clone()], b"two");
        assert!(!p.truncated);
    }

    #[test]
    fn undeclared_boundary_is_guessed() {
        let m = b"Content-Type: multipart/mixed; boundary=\"declared\"\n\nintro\n--actual1\n\none\n--actual1\n\ntwo\n--actual1--\n";
        let p = parse(m);
        assert_eq!(p.children.len(), 2);
        assert_eq!(&m[p.children[1].body.clone()], b"two");
    }

    #[test]
    fn truncated_multipart_runs_to_end() {
        let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\nmore";
        let p = parse(m);
        assert_eq!(p.children.len(), 1);
        assert_eq!(&m[p.children[0].body.clone()], b"one\r\nmore");
        assert!(p.truncated);
        assert!(top_truncated(m, &p.header));
    }

    #[test]
    fn top_truncation_is_the_parsed_trees() {
        let mut messages: Vec<Vec<u8>> = [
            &b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b--\n"[..],
            b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n",
            b"Content-Type: multipart/mixed; boundary=\"\"\n\n--b\n\none\n",
            b"Content-Type: multipart/mixed; boundary=wrong\n\n--real\n\none\n--real--\n",
            b"Content-Type: multipart/mixed; boundary=wrong\n\n--real\n\none\n",
            b"Content-Type: text/plain; boundary=b\n\n--b\n",
            b"Subject: no type\n\nbody\n",
            b"",
        ]
        .iter()
        .map(|m| m.to_vec())
        .collect();
        messages.extend(
            crate::test_corpus::messages()
                .into_iter()
                .map(|(_, bytes)| bytes),
        );
        let mut truncated = 0;
        for m in &messages {
            let tree = parse(m);
            assert_eq!(top_truncated(m, &tree.header), tree.truncated);
            truncated += usize::from(tree.truncated);
        }
        assert!(truncated >= 2, "the cases include truncated multiparts");
    }

    #[test]
    fn decoders_are_lenient_and_keep_line_endings() {
        assert_eq!(quoted_printable(b"a=3Db=\r\nc\r\nd=ZZ="), b"a=bc\r\nd=ZZ");
        assert_eq!(quoted_printable(b"x=\ry\rz"), b"xy\rz");
        assert_eq!(base64(b"aGVs\nbG8=!!"), b"hello");
    }
}
