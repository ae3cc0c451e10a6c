//! HTML bodies turned into visible text and link targets, in one pass over the bytes.
//!
//! Spam HTML is large, and the contact stage needs little of it: the text a reader sees
//! and the targets of `a`/`area` (`href`), `form` (`action`), `link` (`href`) and of
//! images (`src`, `background`, `poster`, `srcset`). This scanner follows the WHATWG
//! tokenizer where it matters for that: comments, doctypes and processing instructions
//! are skipped, `script`/`style`/`xmp`/`iframe`/`noembed`/`noframes` content is hidden
//! raw text, `title`/`textarea` content is text, attribute values may be quoted either
//! way or bare, the first of duplicate attributes wins, a tag cut off by the end of the
//! input is dropped, and character references are decoded with html5ever's table of
//! named references (a legacy reference without `;` inside an attribute value is left
//! alone before `=` or an alphanumeric, so `?a=1&copy=2` stays a URL). It replaced the
//! html5ever tokenizer here, which cost more than any other step of the stage.

use std::borrow::Cow;

use html5ever::data::{C1_REPLACEMENTS, NAMED_ENTITIES};

/// Which element a link target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkTag {
    /// `<a href>` or `<area href>`: a link the reader clicks.
    Anchor,
    /// `<form action>`: where a phishing form posts.
    Form,
    /// `<img src>`, `<input type=image src>`, `background=`: an image source.
    Image,
    /// `<link href>`: stylesheets, icons, preloads.
    LinkElement,
}

/// One link target of an HTML part.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The attribute value, entities decoded.
    pub url: String,
    pub tag: LinkTag,
    /// Visible text inside the `<a>` element (for unsubscribe detection), capped.
    pub anchor_text: String,
    /// Index of this link in the part (used as its offset).
    pub index: usize,
}

const MAX_ANCHOR_TEXT: usize = 200;
const MAX_LINKS: usize = 20_000;
/// Attributes read per tag; the rest of a longer tag is skipped.
const MAX_ATTRIBUTES: usize = 256;
/// Longest named character reference (`&CounterClockwiseContourIntegral;`).
const MAX_ENTITY_NAME: usize = 32;

/// Visible text and link targets of an HTML document.
pub fn render(html: &str) -> (String, Vec<Link>) {
    let mut state = State::default();
    let bytes = html.as_bytes();
    // One attribute list for every tag: a fresh one each time was an allocation per tag.
    let mut attrs = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let Some(lt) = memchr::memchr(b'<', &bytes[pos..]).map(|i| pos + i) else {
            state.chars(&decode(&html[pos..], false));
            break;
        };
        if lt > pos {
            state.chars(&decode(&html[pos..lt], false));
        }
        pos = markup(html, lt, &mut state, &mut attrs);
    }
    (state.text, state.links)
}

/// Reads the markup starting with `<` at `lt`; returns where text resumes.
fn markup<'a>(
    html: &'a str,
    lt: usize,
    state: &mut State,
    attrs: &mut Vec<(&'a str, &'a str)>,
) -> usize {
    let bytes = html.as_bytes();
    let rest = &bytes[lt + 1..];
    match rest.first() {
        Some(b'!') if rest.starts_with(b"!--") => {
            find(bytes, lt + 4, b"-->").map_or(bytes.len(), |end| end + 3)
        }
        Some(b'!' | b'?') => after_gt(bytes, lt + 1),
        Some(b'/') => match rest.get(1) {
            Some(c) if c.is_ascii_alphabetic() => {
                let (name, end) = tag_name(html, lt + 2);
                // Attributes of an end tag are read over and ignored.
                attrs.clear();
                let Some((close, _)) = attributes(html, end, attrs) else {
                    return bytes.len();
                };
                state.end_tag(&name);
                close
            }
            Some(b'>') => lt + 3,
            Some(_) => after_gt(bytes, lt + 2),
            None => bytes.len(),
        },
        Some(c) if c.is_ascii_alphabetic() => {
            let (name, end) = tag_name(html, lt + 1);
            attrs.clear();
            let Some((close, self_closing)) = attributes(html, end, attrs) else {
                return bytes.len();
            };
            state.start_tag(&name, attrs);
            if self_closing {
                return close;
            }
            match &*name {
                "script" | "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                    end_of_raw_text(bytes, close, &name)
                }
                "title" | "textarea" => {
                    let end = end_of_raw_text(bytes, close, &name);
                    state.chars(&decode(&html[close..end], false));
                    end
                }
                _ => close,
            }
        }
        // A `<` that opens no markup is text.
        _ => {
            state.chars("<");
            lt + 1
        }
    }
}

/// Offset after the next `>` at or after `from`, or the end.
fn after_gt(bytes: &[u8], from: usize) -> usize {
    memchr::memchr(b'>', &bytes[from.min(bytes.len())..]).map_or(bytes.len(), |i| from + i + 1)
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(&bytes[from.min(bytes.len())..], needle).map(|i| from + i)
}

/// Where the raw text of element `name` ends: at its `</name` end tag (any case), or
/// at the end of the input.
fn end_of_raw_text(bytes: &[u8], from: usize, name: &str) -> usize {
    let mut pos = from;
    while let Some(at) = find(bytes, pos, b"</") {
        let after = at + 2 + name.len();
        let named = bytes
            .get(at + 2..after)
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()));
        if named
            && bytes
                .get(after)
                .is_none_or(|c| matches!(c, b'>' | b'/') || c.is_ascii_whitespace())
        {
            return at;
        }
        pos = at + 2;
    }
    bytes.len()
}

/// A tag name from `from`, lower case, and the offset after it.
fn tag_name(html: &str, from: usize) -> (Cow<'_, str>, usize) {
    let bytes = html.as_bytes();
    let end = bytes[from..]
        .iter()
        .position(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'))
        .map_or(bytes.len(), |i| from + i);
    // `from` follows an ASCII `<` or `</`, and `end` is an ASCII byte or the end: both
    // are character boundaries. Names already in lower case (most) are borrowed.
    let name = &html[from..end];
    let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    };
    (name, end)
}

/// Reads attributes from `pos` to the tag's `>`; returns the offset after it and whether
/// the tag closed itself (`/>`), or `None` when the input ends inside the tag.
/// Names and values are kept as written (names compare without ASCII case,
/// `decode(value, true)` gives the value): most attributes are never read.
fn attributes<'a>(
    html: &'a str,
    mut pos: usize,
    out: &mut Vec<(&'a str, &'a str)>,
) -> Option<(usize, bool)> {
    let bytes = html.as_bytes();
    let mut self_closing = false;
    loop {
        while pos < bytes.len() && (bytes[pos].is_ascii_whitespace() || bytes[pos] == b'/') {
            self_closing = bytes[pos] == b'/';
            pos += 1;
        }
        match bytes.get(pos) {
            None => return None,
            Some(b'>') => return Some((pos + 1, self_closing)),
            Some(_) => self_closing = false,
        }
        // A name runs to whitespace, `/`, `>` or `=` (a leading `=` belongs to it).
        let start = pos;
        pos += 1;
        while pos < bytes.len()
            && !(bytes[pos].is_ascii_whitespace() || matches!(bytes[pos], b'/' | b'>' | b'='))
        {
            pos += 1;
        }
        let name = &html[start..pos];
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let mut value = "";
        if bytes.get(pos) == Some(&b'=') {
            pos += 1;
            while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
                pos += 1;
            }
            let (raw, next) = match bytes.get(pos) {
                Some(&q @ (b'"' | b'\'')) => {
                    let end = memchr::memchr(q, &bytes[pos + 1..]).map(|i| pos + 1 + i)?;
                    (&html[pos + 1..end], end + 1)
                }
                _ => {
                    let end = bytes[pos..]
                        .iter()
                        .position(|c| c.is_ascii_whitespace() || *c == b'>')
                        .map_or(bytes.len(), |i| pos + i);
                    (&html[pos..end], end)
                }
            };
            value = raw;
            pos = next;
        }
        if out.len() < MAX_ATTRIBUTES && !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            out.push((name, value));
        }
    }
}

/// Decodes character references; `in_attribute` applies the attribute-value rule for
/// legacy names without `;`.
fn decode(text: &str, in_attribute: bool) -> Cow<'_, str> {
    if !text.contains(['&', '\r', '\0']) {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while pos < bytes.len() {
        let Some(next) = bytes[pos..]
            .iter()
            .position(|c| matches!(c, b'&' | b'\r' | b'\0'))
            .map(|i| pos + i)
        else {
            out.push_str(&text[pos..]);
            break;
        };
        out.push_str(&text[pos..next]);
        match bytes[next] {
            b'\r' => {
                out.push('\n');
                pos = next + 1 + usize::from(bytes.get(next + 1) == Some(&b'\n'));
            }
            b'\0' => {
                out.push('\u{FFFD}');
                pos = next + 1;
            }
            _ => match reference(text, next + 1, in_attribute) {
                Some((decoded, end)) => {
                    out.extend(decoded);
                    pos = end;
                }
                None => {
                    out.push('&');
                    pos = next + 1;
                }
            },
        }
    }
    Cow::Owned(out)
}

/// The character reference after an `&` at `from - 1`: its text and where it ends.
fn reference(
    text: &str,
    from: usize,
    in_attribute: bool,
) -> Option<(impl Iterator<Item = char>, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(from) == Some(&b'#') {
        let hex = matches!(bytes.get(from + 1), Some(b'x' | b'X'));
        let digits_from = from + 1 + usize::from(hex);
        let digits_end = bytes[digits_from..]
            .iter()
            .position(|c| {
                if hex {
                    !c.is_ascii_hexdigit()
                } else {
                    !c.is_ascii_digit()
                }
            })
            .map_or(bytes.len(), |i| digits_from + i);
        if digits_end == digits_from {
            return None;
        }
        let digits = &text[digits_from..digits_end.min(digits_from + 8)];
        let value = u32::from_str_radix(digits, if hex { 16 } else { 10 }).unwrap_or(u32::MAX);
        let end = digits_end + usize::from(bytes.get(digits_end) == Some(&b';'));
        return Some((chars(u32::from(numeric(value)), 0), end));
    }
    let name_end = bytes[from..]
        .iter()
        .take(MAX_ENTITY_NAME)
        .position(|c| !c.is_ascii_alphanumeric())
        .map_or((from + MAX_ENTITY_NAME).min(bytes.len()), |i| from + i);
    if name_end == from {
        return None;
    }
    // The table also lists every prefix of a name, as (0, 0), for incremental matching.
    let entity = |name: &str| NAMED_ENTITIES.get(name).filter(|(a, _)| *a != 0);
    if bytes.get(name_end) == Some(&b';')
        && let Some(&(a, b)) = entity(&text[from..=name_end])
    {
        return Some((chars(a, b), name_end + 1));
    }
    // Legacy references without `;`: the longest name in the table that prefixes this one.
    for end in (from + 1..=name_end).rev() {
        if let Some(&(a, b)) = entity(&text[from..end]) {
            let next = bytes.get(end);
            if in_attribute && next.is_some_and(|c| *c == b'=' || c.is_ascii_alphanumeric()) {
                return None;
            }
            return Some((chars(a, b), end));
        }
    }
    None
}

fn chars(a: u32, b: u32) -> impl Iterator<Item = char> {
    [a, b]
        .into_iter()
        .filter(|&c| c != 0)
        .filter_map(char::from_u32)
}

/// A numeric reference's character, with the WHATWG replacements (NUL, surrogates and
/// out-of-range become U+FFFD; 0x80-0x9F are read as windows-1252).
fn numeric(value: u32) -> char {
    match value {
        0 | 0xD800..=0xDFFF | 0x11_0000.. => '\u{FFFD}',
        0x80..=0x9F => C1_REPLACEMENTS[(value - 0x80) as usize]
            .unwrap_or_else(|| char::from_u32(value).unwrap_or('\u{FFFD}')),
        _ => char::from_u32(value).unwrap_or('\u{FFFD}'),
    }
}

#[derive(Default)]
struct State {
    text: String,
    links: Vec<Link>,
    /// Index in `links` of the open `<a>`, collecting its anchor text.
    open_anchor: Option<usize>,
}

impl State {
    fn start_tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.spacing(name);
        for (attr, value) in attrs {
            let is = |wanted: &str| attr.eq_ignore_ascii_case(wanted);
            let link_tag = if matches!(name, "a" | "area") && is("href") {
                LinkTag::Anchor
            } else if name == "form" && is("action") {
                LinkTag::Form
            } else if name == "link" && is("href") {
                LinkTag::LinkElement
            } else if is("src") || is("background") || is("poster") || is("srcset") {
                LinkTag::Image
            } else {
                continue;
            };
            self.push_link(decode(value, true).trim(), link_tag, name == "a");
        }
    }

    fn end_tag(&mut self, name: &str) {
        self.spacing(name);
        if name == "a" {
            self.open_anchor = None;
        }
    }

    /// Block elements break the line; cells and images separate words.
    fn spacing(&mut self, name: &str) {
        if is_block(name) {
            self.text.push('\n');
        } else if matches!(name, "td" | "th" | "img") {
            self.text.push(' ');
        }
    }

    fn push_link(&mut self, url: &str, tag: LinkTag, is_anchor: bool) {
        if url.is_empty() || self.links.len() >= MAX_LINKS {
            return;
        }
        let index = self.links.len();
        // Control characters (C0, DEL, and C1, which UTF-8 writes after a 0xC2 byte)
        // are dropped; most URLs have none and are copied whole.
        let plain = url.bytes().all(|b| b >= 0x20 && b != 0x7F && b != 0xC2);
        let url = if plain {
            url.to_string()
        } else {
            url.chars().filter(|c| !c.is_control()).collect()
        };
        self.links.push(Link {
            url,
            tag,
            anchor_text: String::new(),
            index,
        });
        if is_anchor {
            self.open_anchor = Some(index);
        }
    }

    fn chars(&mut self, t: &str) {
        self.text.push_str(t);
        if let Some(i) = self.open_anchor {
            let anchor = &mut self.links[i].anchor_text;
            for c in t.chars() {
                if anchor.len() >= MAX_ANCHOR_TEXT {
                    break;
                }
                anchor.push(c);
            }
        }
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "br" | "p"
            | "div"
            | "tr"
            | "li"
            | "ul"
            | "ol"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "hr"
            | "blockquote"
            | "pre"
            | "center"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "title"
            | "dt"
            | "dd"
            | "tbody"
            | "thead"
            | "form"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(html: &str) -> Vec<String> {
        render(html).1.into_iter().map(|l| l.url).collect()
    }

    #[test]
    fn text_and_links() {
        let html = r#"<html><head><style>a{color:#ff0000}</style><link rel=stylesheet href="https://cdn.example/s.css"></head>
<body><p>Visit <a href="https://shop.example.com/?a=1&amp;b=2">our&nbsp;shop</a></p>
<img src="https://img.example/x.png" alt="WhatsApp"><script>var x="http://evil.example";</script>
<form action="https://phish.example/post"></form></body></html>"#;
        let (text, links) = render(html);
        assert!(text.contains("Visit our\u{a0}shop"), "{text}");
        assert!(!text.contains("color"));
        assert!(!text.contains("evil"));
        assert!(!text.contains("WhatsApp"));
        let got: Vec<_> = links.iter().map(|l| (l.url.as_str(), l.tag)).collect();
        assert_eq!(
            got,
            vec![
                ("https://cdn.example/s.css", LinkTag::LinkElement),
                ("https://shop.example.com/?a=1&b=2", LinkTag::Anchor),
                ("https://img.example/x.png", LinkTag::Image),
                ("https://phish.example/post", LinkTag::Form),
            ]
        );
        assert_eq!(links[1].anchor_text, "our\u{a0}shop");
    }

    #[test]
    fn character_references_follow_the_html_rules() {
        let (text, _) = render("a&lt;b &#x48;&#105; &copy 2024 &#150; &bogus; &#0; &amp");
        assert_eq!(text, "a<b Hi © 2024 – &bogus; \u{FFFD} &");
        // In an attribute, a legacy name before `=` or a letter is not a reference.
        assert_eq!(
            urls(r#"<a href="/x?a=1&copy=2&not=3&amp;y=4&lt;">x</a>"#),
            vec!["/x?a=1&copy=2&not=3&y=4<"]
        );
    }

    #[test]
    fn comments_raw_text_and_odd_markup() {
        let (text, links) = render(
            "<!-- <a href=http://hidden.example> --><!DOCTYPE html>1 < 2 <3\
             <SCRIPT type=x>document.write('<a href=http://js.example>')</script >\
             <title>T&amp;C</title><A HREF = 'http://caps.example' href=http://dup.example>go</A>\
             <a href=http://bare.example/p?q=1>bare</a><img src=\"http://cut.example",
        );
        assert!(text.contains("1 < 2 <3"), "{text}");
        assert!(text.contains("T&C"));
        assert!(!text.contains("document"));
        let got: Vec<&str> = links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            got,
            vec!["http://caps.example", "http://bare.example/p?q=1"]
        );
    }

    #[test]
    fn unclosed_raw_text_hides_the_rest() {
        let (text, links) = render("shown<style>a{} <a href=http://x.example>x</a>");
        assert_eq!(text, "shown");
        assert!(links.is_empty());
    }
}
