//! The Received lines an exhibit's origin reasoning rests on, quoted verbatim with their
//! byte offsets in the exhibit file, so anyone can find them with a text editor. The walk
//! (`crate::received`) says which hops of which chain it trusted; here each such hop is
//! located in the raw header block (the bounce's own, or the returned original's inside
//! the bounce or in its carved copy) and kept only when the bytes found say what the walk
//! read (same text, white space aside).

use serde::Serialize;

use crate::received::{OriginReport, Role, WalkedHop};

/// One quoted Received field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    /// `bounce` (the message as received) or `returned original` (the spam it carries).
    pub chain: &'static str,
    /// Position in its chain (0 = topmost).
    pub hop: usize,
    /// What the walk made of it.
    pub role: Role,
    /// The exhibit file holding the bytes.
    pub file: String,
    /// Byte range `[start, end)` of the field (name, value and folded lines, without the
    /// final line break) in `file`.
    pub start: usize,
    pub end: usize,
    /// The bytes of that range (invalid UTF-8 replaced).
    pub text: String,
}

/// Where a chain's header block lies: a file of the pack, and the bytes of the message
/// that begins at `offset` in it.
pub struct Place<'a> {
    pub file: &'a str,
    pub bytes: &'a [u8],
    pub offset: usize,
}

/// The quotes of the hops the walk relied on (every role but `untrusted`), bounce chain
/// first. `inner` is where the returned original lies (`None`: there is none, or M is the
/// message itself, as for spam received directly).
pub fn quotes(walk: &OriginReport, outer: &Place, inner: Option<&Place>) -> Vec<Quote> {
    let (outer_chain, inner_chain) = if walk.outer_hops.is_empty() {
        // Spam received directly: M is the message itself.
        (&walk.hops, &Vec::new())
    } else {
        (&walk.outer_hops, &walk.hops)
    };
    let mut out = locate("bounce", outer_chain, outer);
    if let Some(inner) = inner {
        out.extend(locate("returned original", inner_chain, inner));
    }
    out
}

fn locate(chain: &'static str, hops: &[WalkedHop], place: &Place) -> Vec<Quote> {
    let spans = received_spans(place.bytes);
    hops.iter()
        .filter(|h| h.role != Role::Untrusted)
        .filter_map(|h| {
            let (start, end) = *spans.get(h.hop.index)?;
            let field = &place.bytes[start..end];
            let value = field.splitn(2, |b| *b == b':').nth(1)?;
            let said = String::from_utf8_lossy(value);
            let same = said.split_whitespace().eq(h.hop.raw.split_whitespace())
                // The walk reads only the first 16 KiB of a very long field.
                || (h.hop.raw.len() > 4096 && collapse(&said).starts_with(&collapse(&h.hop.raw)));
            same.then(|| Quote {
                chain,
                hop: h.hop.index,
                role: h.role,
                file: place.file.to_string(),
                start: place.offset + start,
                end: place.offset + end,
                text: String::from_utf8_lossy(field).into_owned(),
            })
        })
        .collect()
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Byte ranges of the Received fields of the header block at the top of `bytes`, in
/// order (folded lines included, final line break not). Blank lines before the block and
/// an mbox `From ` line are passed over, as the header reader does.
pub fn received_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    let mut started = false;
    let mut pos = 0;
    while pos < bytes.len() {
        let next = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i + 1);
        let line = &bytes[pos..next];
        let content = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(line);
        let end = pos + content.len();
        if content.iter().all(u8::is_ascii_whitespace) {
            if started {
                break;
            }
        } else if content[0] == b' ' || content[0] == b'\t' {
            if let Some(span) = current.as_mut() {
                span.1 = end;
            }
        } else if !started && content.starts_with(b"From ") {
            started = true;
        } else {
            started = true;
            spans.extend(current.take());
            if is_received(content) {
                current = Some((pos, end));
            }
        }
        pos = next;
    }
    spans.extend(current);
    spans
}

/// `Received:` (any case, white space allowed before the colon).
fn is_received(line: &[u8]) -> bool {
    line.len() > 8
        && line[..8].eq_ignore_ascii_case(b"received")
        && line[8..]
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t'))
            .is_some_and(|b| *b == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_fields_are_found_with_their_folded_lines() {
        let mail = b"\r\nReturn-Path: <>\r\nReceived: from a (a [192.0.2.1])\r\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000\r\nX-Received-Note: no\r\nreceived : from c\r\nSubject: x\r\n\r\nReceived: in the body\r\n";
        let spans = received_spans(mail);
        let texts: Vec<&[u8]> = spans.iter().map(|(s, e)| &mail[*s..*e]).collect();
        assert_eq!(
            texts,
            vec![
                &b"Received: from a (a [192.0.2.1])\r\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000"[..],
                &b"received : from c"[..],
            ]
        );
    }

    #[test]
    fn an_unterminated_header_block_is_read_to_its_end() {
        assert_eq!(received_spans(b"Received: x"), vec![(0, 11)]);
        assert_eq!(received_spans(b""), Vec::<(usize, usize)>::new());
        assert_eq!(received_spans(b"\n\n\n"), Vec::<(usize, usize)>::new());
    }
}
