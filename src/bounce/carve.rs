//! Carving the returned original M out of a report, in the spec's order: the first
//! `message/rfc822` or `message/global` part; else a `text/rfc822-headers` or
//! `message/global-headers` part; else a header block copied inline into a text part
//! (see `inline`). Bytes are kept exactly; when the carrier had no transfer encoding the
//! byte range inside the input is recorded too.

use super::Completeness;
use super::headers;
use super::inline;
use super::mime::{self, Cte, Part};

/// M as found one level down.
#[derive(Debug, Clone)]
pub struct Carved {
    pub bytes: Vec<u8>,
    /// Range in the buffer carved from, when copied verbatim.
    pub range: Option<(usize, usize)>,
    pub completeness: Completeness,
    pub carrier: String,
    /// The header block of `bytes` (read while carving; later stages reuse it).
    pub header: headers::Block,
}

const MESSAGE_TYPES: &[&str] = &[
    "message/rfc822",
    "message/global",
    "message/rfc-822",
    "message/rfc2822",
    "message/partial",
];
const HEADER_TYPES: &[&str] = &[
    "text/rfc822-headers",
    "message/global-headers",
    "text/rfc822-header",
    "text/rfc822",
];

/// Finds M in `buf` (parsed as `tree`). `inline_ok` allows the inline search.
pub fn carve(buf: &[u8], tree: &Part, inline_ok: bool) -> Option<Carved> {
    let parts = tree.flatten();
    let embedded = |types: &[&str]| {
        parts
            .iter()
            .filter(|p| types.contains(&p.ctype.as_str()) && !std::ptr::eq(**p, tree))
            .find_map(|p| whole_part(buf, p))
    };
    let eml = || {
        parts
            .iter()
            .filter(|p| p.children.is_empty() && eml_attachment(buf, p))
            .find_map(|p| whole_part(buf, p))
            .map(|c| Carved {
                carrier: "attachment".into(),
                ..c
            })
    };
    embedded(MESSAGE_TYPES)
        .or_else(eml)
        .or_else(|| {
            embedded(HEADER_TYPES).map(|c| Carved {
                carrier: if c.carrier == "message/global-headers" {
                    c.carrier
                } else {
                    "text/rfc822-headers".into()
                },
                ..c
            })
        })
        .or_else(|| {
            if inline_ok {
                parts.iter().find_map(|p| inline_part(buf, p))
            } else {
                None
            }
        })
}

/// A saved message attached under another type (`application/octet-stream`,
/// `text/plain`) with a `.eml` file name.
fn eml_attachment(buf: &[u8], p: &Part) -> bool {
    let named = |v: &str| {
        v.to_ascii_lowercase()
            .trim_end_matches(['"', ' '])
            .ends_with(".eml")
    };
    p.param("name").is_some_and(named)
        || p.header.text(buf, "content-disposition").is_some_and(|d| {
            d.split(';')
                .any(|x| x.trim().to_ascii_lowercase().starts_with("filename") && named(x))
        })
}

/// The body of an embedded message part, leading blank lines skipped.
fn whole_part(buf: &[u8], p: &Part) -> Option<Carved> {
    let (content, verbatim) = content(buf, p);
    let skip = leading_blank(&content);
    let msg = &content[skip..];
    let block = headers::parse_block(msg, 0, msg.len());
    if block.count == 0 {
        return None;
    }
    let range = verbatim.then(|| (p.body.start + skip, p.body.end));
    let carrier = if p.ctype == "message/global" || p.ctype == "message/global-headers" {
        p.ctype.clone()
    } else {
        "message/rfc822".into()
    };
    let completeness = completeness_of(msg, &block, false);
    Some(Carved {
        bytes: msg.to_vec(),
        range,
        completeness,
        carrier,
        header: block,
    })
}

/// A header block copied into a text part.
fn inline_part(buf: &[u8], p: &Part) -> Option<Carved> {
    let texty = (p.ctype.starts_with("text/") && p.ctype != "text/html")
        || p.ctype.starts_with("multipart/");
    if !p.children.is_empty() || !texty || HEADER_TYPES.contains(&p.ctype.as_str()) {
        return None;
    }
    let (content, verbatim) = content(buf, p);
    let Some(found) = inline::find(&content, 0) else {
        let u = inline::find_quoted(&content)?;
        let block = headers::parse_block(&u.bytes, 0, u.bytes.len());
        let completeness = completeness_of(&u.bytes, &block, u.truncated);
        return Some(Carved {
            bytes: u.bytes,
            range: None,
            completeness,
            carrier: "inline-quoted".into(),
            header: block,
        });
    };
    let b = &found.block;
    let end = if b.blank {
        b.start + end_marker(&content[b.start..])
    } else {
        b.end
    };
    let msg = &content[b.start..end];
    let block = headers::parse_block(msg, 0, msg.len());
    let range = verbatim.then(|| (p.body.start + b.start, p.body.start + end));
    let completeness = completeness_of(msg, &block, found.truncated);
    Some(Carved {
        bytes: msg.to_vec(),
        range,
        completeness,
        carrier: "inline".into(),
        header: block,
    })
}

/// Lines at the end of an inline copy searched for a closing marker.
const END_REACH: usize = 6;

/// Where an inline copy ends: before a closing marker line near the end of the text
/// (`------ End of the original message ------`, `--- End of forwarded message ---`),
/// with the line break before it; else at the end of the text.
fn end_marker(msg: &[u8]) -> usize {
    let lines: Vec<headers::Line> = headers::lines(msg, 0..msg.len()).collect();
    let from = lines.len().saturating_sub(END_REACH);
    let marker = lines[from..].iter().find(|l| {
        let t = String::from_utf8_lossy(&msg[l.start..l.end])
            .trim()
            .to_ascii_lowercase();
        let dashed = t.starts_with("--") || t.starts_with("==") || t.starts_with("**");
        dashed
            && t.contains("end of")
            && (t.contains("message") || t.contains("original") || t.contains("copy"))
    });
    marker.map_or(msg.len(), |l| l.start)
}

/// The part's body, transfer-decoded; `true` when no decoding was needed.
fn content(buf: &[u8], p: &Part) -> (Vec<u8>, bool) {
    let body = &buf[p.body.clone()];
    match p.cte {
        Cte::Identity => (body.to_vec(), true),
        cte => (mime::decode(body, cte), false),
    }
}

fn leading_blank(content: &[u8]) -> usize {
    let mut pos = 0;
    while let Some(l) = headers::line_at(content, pos) {
        if !content[l.start..l.end]
            .iter()
            .all(|c| c.is_ascii_whitespace())
            || l.next == pos
        {
            break;
        }
        pos = l.next;
    }
    pos
}

/// A bracketed note on the copy's last line saying the rest was left out
/// (`[remainder of message body omitted; too large]`).
fn cut_note(msg: &[u8]) -> bool {
    let tail = &msg[msg.len().saturating_sub(200)..];
    let last = String::from_utf8_lossy(tail);
    let line = last
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_ascii_lowercase();
    line.starts_with('[')
        && ["omitted", "truncated", "removed", "too large"]
            .iter()
            .any(|w| line.contains(w))
}

fn completeness_of(msg: &[u8], block: &headers::Block, said_truncated: bool) -> Completeness {
    let has_body = block.blank
        && msg[block.body.min(msg.len())..]
            .iter()
            .any(|c| !c.is_ascii_whitespace());
    if !has_body {
        return Completeness::HeadersOnly;
    }
    if said_truncated || cut_note(msg) || mime::top_truncated(msg, block) {
        return Completeness::Partial;
    }
    Completeness::Full
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_marker_ends_an_inline_copy() {
        let m = b"Subject: s\n\nbody\n\n------ End of the original message ------\nfooter\n";
        assert_eq!(&m[..end_marker(m)], b"Subject: s\n\nbody\n\n");
        let sig = b"Subject: s\n\n-- \nsig\n";
        assert_eq!(end_marker(sig), sig.len());
    }
}
