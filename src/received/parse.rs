//! Header block splitting and Received line parsing: one `Hop` per Received header, with the
//! peer address the receiving host recorded (never the HELO argument, never digits inside a
//! host name). Lenient and total: any text gives a `Hop`, possibly with empty fields.
//!
//! mail-parser's Received parser is used as a second opinion for `by`, `id`, `for` and the
//! date; the `from` clause (where the formats differ most) is read here.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::LazyLock;

use mail_parser::parsers::MessageStream;
use mail_parser::{DateTime, HeaderValue};

use super::Hop;
use super::netclass::parse_ip;
use crate::phrases::Phrases;

/// At most this many header fields are read from one header block.
pub const MAX_FIELDS: usize = 2000;
/// A header value is cut at this many bytes.
pub const MAX_FIELD_LEN: usize = 16 * 1024;
/// At most this many Received headers are parsed and walked.
pub const MAX_HOPS: usize = 200;

/// One header field as written: name and value with line breaks removed.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub value: String,
}

impl Field {
    /// Case-insensitive name test.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// Splits the header block at the top of `bytes` (up to the first empty line) into fields,
/// unfolding continuation lines. Accepts LF, CRLF and CR-only line endings; skips an mbox
/// `From ` line and lines that are not header fields.
pub fn header_fields(bytes: &[u8]) -> Vec<Field> {
    header_fields_named(bytes, |_| true)
}

/// [`header_fields`], keeping only the fields whose name `keep` accepts (the others still
/// count towards `MAX_FIELDS`). Most of a header is fields a reader never looks at: they
/// are not copied.
pub fn header_fields_named(bytes: &[u8], keep: impl Fn(&str) -> bool) -> Vec<Field> {
    let mut fields: Vec<Field> = Vec::new();
    let mut started = false;
    let mut seen = 0usize;
    // Whether continuation lines belong to a kept field (a line that is not a field
    // leaves this as it was: its continuations go to the field before it).
    let mut continuing = false;
    for line in lines(bytes) {
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            // Blank lines before the block (a carved copy often starts with one) are skipped.
            if started {
                break;
            }
            continue;
        }
        started = true;
        if line[0] == b' ' || line[0] == b'\t' {
            if continuing
                && let Some(last) = fields.last_mut()
                && last.value.len() < MAX_FIELD_LEN
            {
                last.value.push_str(&crate::utf8::lossy(line));
            }
            continue;
        }
        if seen >= MAX_FIELDS {
            break;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let name = crate::utf8::lossy(&line[..colon]);
        let name = name.trim_end();
        if name.is_empty() || name.contains(' ') {
            continue;
        }
        seen += 1;
        continuing = keep(name);
        if continuing {
            let value = crate::utf8::lossy(&line[colon + 1..]);
            fields.push(Field {
                name: name.to_string(),
                value: value.trim_start().to_string(),
            });
        }
    }
    for f in &mut fields {
        if f.value.len() > MAX_FIELD_LEN {
            let mut end = MAX_FIELD_LEN;
            while !f.value.is_char_boundary(end) {
                end -= 1;
            }
            f.value.truncate(end);
        }
    }
    fields
}

/// Lines of `bytes` without their terminators (LF, CRLF or a lone CR).
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr2(b'\n', b'\r', rest);
        match end {
            None => {
                let line = rest;
                rest = &[];
                Some(line)
            }
            Some(i) => {
                let line = &rest[..i];
                let skip = if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                rest = &rest[i + skip..];
                Some(line)
            }
        }
    })
}

/// Parses every Received field of a header block, topmost first (index 0), at most
/// `MAX_HOPS`.
pub fn received_hops(fields: &[Field]) -> Vec<Hop> {
    fields
        .iter()
        .filter(|f| f.is("Received"))
        .take(MAX_HOPS)
        .enumerate()
        .map(|(i, f)| parse_received(i, &f.value))
        .collect()
}

/// One lexical item of a Received value, a slice of it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    Word(&'a str),
    /// The text inside a parenthesised comment (nested parentheses kept), trimmed.
    Comment(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kw {
    Lead,
    From,
    By,
    Via,
    With,
    Id,
    For,
}

/// A keyword and the tokens after it, up to the next keyword.
#[derive(Debug)]
struct Clause<'t, 'a> {
    kw: Kw,
    toks: &'t [Tok<'a>],
}

impl Clause<'_, '_> {
    fn words(&self) -> impl Iterator<Item = &str> {
        self.toks.iter().filter_map(|t| match t {
            Tok::Word(w) => Some(*w),
            Tok::Comment(_) => None,
        })
    }
    fn comments(&self) -> impl Iterator<Item = &str> {
        self.toks.iter().filter_map(|t| match t {
            Tok::Comment(c) => Some(*c),
            Tok::Word(_) => None,
        })
    }
}

/// Parses one Received value (as written, folded or not) into a `Hop`.
pub fn parse_received(index: usize, value: &str) -> Hop {
    let raw = collapse_ws(value);
    let (head, tail) = split_date(&raw);
    let toks = tokenize(head);
    let clauses = clauses(&toks);
    let mut hop = Hop {
        index,
        ..Hop::default()
    };
    for c in &clauses {
        match c.kw {
            Kw::From if hop.from_ip.is_none() && hop.from_helo.is_none() => read_from(c, &mut hop),
            Kw::By if hop.by_host.is_none() => read_by(c, &mut hop),
            Kw::With if hop.protocol.is_none() => hop.protocol = read_with(c),
            Kw::Via if hop.via.is_none() => hop.via = c.words().next().map(str::to_string),
            Kw::Id if hop.id.is_none() => hop.id = c.words().next().map(clean_id),
            Kw::For if hop.for_.is_none() => hop.for_ = c.words().next().map(clean_addr),
            _ => {}
        }
    }
    hop.timestamp = tail.and_then(parse_date);
    let lower = raw.to_ascii_lowercase();
    hop.raw = raw;
    exim_host_name(&mut hop, &lower);
    qmail_host_name(&mut hop);
    // mail-parser's tokenizer costs more than this whole parse: ask it only when this
    // parse missed something it may find (a `for` clause both read alike).
    if hop.timestamp.is_none() || hop.by_host.is_none() || hop.id.is_none() {
        // It can only fill what its keywords (`;` before the date, `by`, `id`, `for`)
        // introduce: without one of them in the text it has nothing to add. (`lower` is
        // the value with its whitespace collapsed, which keeps every keyword as it was.)
        let may_add = (hop.timestamp.is_none() && lower.contains(';'))
            || (hop.by_host.is_none() && lower.contains("by"))
            || (hop.id.is_none() && lower.contains("id"))
            || (hop.for_.is_none() && lower.contains("for"));
        if may_add {
            second_opinion(value, &mut hop);
        }
    }
    hop.date = hop.timestamp.map(crate::timefmt::utc_rfc3339);
    hop.authenticated = looks_authenticated(&hop, &lower);
    hop
}

/// Exim writes `from NAME ([ip])` only when NAME is the verified host name (rDNS); without
/// one it writes `from [ip] (helo=...)`. Postfix and Sendmail always put the rDNS (or
/// `unknown`) inside the parentheses, so this applies to Exim lines only.
/// `lower` is the raw value in lower case.
fn exim_host_name(hop: &mut Hop, lower: &str) {
    if hop.from_rdns.is_some() || !lower.contains("(exim ") {
        return;
    }
    let Some(name) = hop.from_helo.as_deref() else {
        return;
    };
    if name.starts_with('[') || parse_ip(name).is_some() || !name.contains('.') {
        return;
    }
    let pattern = format!("from {name} ([");
    if hop.raw.contains(&pattern) {
        hop.from_rdns = Some(name.trim_end_matches('.').to_string());
    }
}

/// qmail writes `from REMOTEHOST (IP) by host with SMTP`: REMOTEHOST is the rDNS name it
/// looked up (`unknown` without one); a differing HELO goes in `(HELO x)`. Microsoft's
/// `from HELO (IP)` looks alike but says `with Microsoft SMTP Server`, `mapi` or `HTTP`.
fn qmail_host_name(hop: &mut Hop) {
    if hop.from_rdns.is_some() || hop.from_ip.is_none() || hop.by_note.is_some() {
        return;
    }
    let proto = hop.protocol.as_deref().unwrap_or("").to_ascii_uppercase();
    if !matches!(
        proto.as_str(),
        "SMTP" | "ESMTP" | "ESMTPS" | "ESMTPA" | "ESMTPSA" | "QMQP"
    ) {
        return;
    }
    let Some(name) = hop.from_helo.as_deref() else {
        return;
    };
    if name.starts_with('[') || parse_ip(name).is_some() || !name.contains('.') {
        return;
    }
    let ip = hop.from_ip.map(|i| i.to_string()).unwrap_or_default();
    if hop.raw.contains(&format!("from {name} ({ip})")) {
        hop.from_rdns = Some(name.trim_end_matches('.').to_string());
    }
}

/// Fills what the own parser missed from mail-parser's reading of the same value.
fn second_opinion(value: &str, hop: &mut Hop) {
    let mut text = value.to_string();
    text.push('\n');
    let parsed = MessageStream::new(text.as_bytes()).parse_received();
    let HeaderValue::Received(r) = parsed else {
        return;
    };
    if hop.timestamp.is_none() {
        hop.timestamp = r.date.filter(|d| d.is_valid()).map(|d| d.to_timestamp());
    }
    if hop.by_host.is_none()
        && let Some(by) = &r.by
    {
        hop.by_host = Some(match by {
            mail_parser::Host::Name(n) => n.trim_end_matches('.').to_string(),
            mail_parser::Host::IpAddr(ip) => ip.to_string(),
        });
    }
    if hop.id.is_none() {
        hop.id = r.id.as_deref().map(clean_id);
    }
    if hop.for_.is_none() {
        hop.for_ = r.for_.as_deref().map(clean_addr);
    }
}

fn collapse_ws(s: &str) -> String {
    if s.is_ascii() {
        return collapse_ascii_ws(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for ch in s.chars() {
        if ch.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(ch);
        }
    }
    out
}

/// [`collapse_ws`] for ASCII text (ASCII whitespace is `char::is_whitespace` for ASCII:
/// space, tab, line feed, vertical tab, form feed, carriage return), word by word.
fn collapse_ascii_ws(s: &str) -> String {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        let spaces = i;
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        if i > spaces && !out.is_empty() {
            out.push(' ');
        }
        let word = i;
        while i < bytes.len() && !is_space(bytes[i]) {
            i += 1;
        }
        // ASCII: every byte offset is a character boundary.
        out.push_str(&s[word..i]);
    }
    out
}

/// Splits at the last `;` outside comments: clauses before, date after.
fn split_date(s: &str) -> (&str, Option<&str>) {
    let mut depth = 0usize;
    let mut last = None;
    for i in memchr::memchr3_iter(b'(', b')', b';', s.as_bytes()) {
        match s.as_bytes()[i] {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => last = Some(i),
            _ => {}
        }
    }
    match last {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// Words and comments of a value whose whitespace `collapse_ws` has made single spaces.
fn tokenize(s: &str) -> Vec<Tok<'_>> {
    let bytes = s.as_bytes();
    let mut toks = Vec::with_capacity(24);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' => i += 1,
            b'(' => {
                let start = i + 1;
                let mut depth = 1usize;
                let mut end = bytes.len();
                let mut j = start;
                while j < bytes.len() {
                    match bytes[j] {
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = j;
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                toks.push(Tok::Comment(s[start..end].trim()));
                i = (end + 1).min(bytes.len());
            }
            _ => {
                let start = i;
                while i < bytes.len() && bytes[i] != b' ' && bytes[i] != b'(' {
                    i += 1;
                }
                toks.push(Tok::Word(&s[start..i]));
            }
        }
    }
    toks
}

fn keyword(w: &str) -> Option<Kw> {
    const KEYWORDS: [(&str, Kw); 6] = [
        ("from", Kw::From),
        ("by", Kw::By),
        ("via", Kw::Via),
        ("with", Kw::With),
        ("id", Kw::Id),
        ("for", Kw::For),
    ];
    KEYWORDS
        .iter()
        .find(|(name, _)| w.eq_ignore_ascii_case(name))
        .map(|(_, kw)| *kw)
}

fn clauses<'t, 'a>(toks: &'t [Tok<'a>]) -> Vec<Clause<'t, 'a>> {
    let mut out = Vec::with_capacity(8);
    let mut kw = Kw::Lead;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        let Tok::Word(w) = t else { continue };
        if let Some(next) = keyword(w) {
            out.push(Clause {
                kw,
                toks: &toks[start..i],
            });
            (kw, start) = (next, i + 1);
        }
    }
    out.push(Clause {
        kw,
        toks: &toks[start..],
    });
    out
}

/// Reads the `from` clause: HELO, rDNS and the peer address the receiver recorded.
fn read_from(c: &Clause, hop: &mut Hop) {
    let first = c.words().next().map(str::to_string);
    let mut helo_kw: Option<String> = None;
    let mut ip: Option<IpAddr> = None;
    let mut rdns: Option<String> = None;
    for (i, t) in c.toks.iter().enumerate() {
        match t {
            Tok::Comment(text) => {
                if let Some(h) = comment_helo(text) {
                    helo_kw.get_or_insert(h);
                    if is_helo_comment(text) {
                        continue;
                    }
                }
                if ip.is_none()
                    && let Some((found, name)) = comment_peer(text)
                {
                    ip = Some(found);
                    rdns = name;
                    // `(name [ip])`: the receiver has a place for the rDNS name (Postfix,
                    // Sendmail, Courier); `(ip)` alone is Microsoft's or qmail's form.
                    hop.records_rdns = name_before_bracket(text);
                }
                if ip.is_none() {
                    hop.illegal_ip = hop.illegal_ip.take().or_else(|| illegal_literal(text));
                }
                if find_ignore_case(text, "may be forged").is_some() {
                    hop.may_be_forged = true;
                }
            }
            // A bracketed literal after the first word: `from host [1.2.3.4] by` (fetchmail).
            Tok::Word(w) if i > 0 && ip.is_none() && w.starts_with('[') => {
                ip = parse_ip(bracket_inner(w));
            }
            Tok::Word(_) => {}
        }
    }
    let first_ip = first.as_deref().and_then(literal_ip);
    if ip.is_none() {
        ip = first_ip;
        // Exim writes `[ip]` first when it found no host name.
        hop.records_rdns = first_ip.is_some() && helo_kw.is_some();
    }
    if ip.is_some() {
        hop.illegal_ip = None;
    }
    match helo_kw {
        Some(h) => {
            hop.from_helo = Some(h);
            if rdns.is_none() && first_ip.is_none() {
                rdns = first.filter(|w| !w.eq_ignore_ascii_case("unknown"));
            }
        }
        None => hop.from_helo = first,
    }
    hop.from_rdns = rdns
        .map(|r| r.trim_end_matches('.').to_string())
        .filter(|r| !r.is_empty());
    hop.from_ip = ip;
}

/// `(name [ip])` or `(unknown [ip])`: a name slot before the bracketed address.
fn name_before_bracket(text: &str) -> bool {
    let t = strip_helo_value(text);
    t.find('[').is_some_and(|open| !t[..open].trim().is_empty())
}

/// A bracketed address literal that is not a legal address (`[300.1.2.3]`).
fn illegal_literal(text: &str) -> Option<String> {
    let open = text.find('[')?;
    let len = text[open..].find(']')?;
    let inner = &text[open + 1..open + len];
    let looks_like_ip = !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':')
        && (inner.contains('.') || inner.contains(':'));
    (looks_like_ip && parse_ip(inner).is_none()).then(|| inner.to_string())
}

/// `HELO x` / `EHLO x` (qmail, Yahoo) or `helo=x` (Exim) inside a comment.
fn comment_helo(text: &str) -> Option<String> {
    if is_helo_comment(text) {
        return text.split_whitespace().nth(1).map(str::to_string);
    }
    let at = find_ignore_case(text, "helo=")?;
    let rest = &text[at + 5..];
    let value: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ')')
        .collect();
    (!value.is_empty()).then_some(value)
}

fn is_helo_comment(text: &str) -> bool {
    text.get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("helo ") || p.eq_ignore_ascii_case("ehlo "))
}

/// Where `needle` (lower-case ASCII) first occurs in `hay`, ASCII case ignored.
fn find_ignore_case(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The peer address (and the rDNS name written before it) recorded inside a comment:
/// `rdns [IP]`, `[IPv6:…]`, `[IP]:port`, `IP`, `IP with plain`, `user@domain@IP`.
/// A `helo=` value is never read as the address.
fn comment_peer(text: &str) -> Option<(IpAddr, Option<String>)> {
    let without_helo = strip_helo_value(text);
    if let Some(open) = without_helo.find('[')
        && let Some(len) = without_helo[open..].find(']')
    {
        let inner = &without_helo[open + 1..open + len];
        if let Some(ip) = parse_ip(inner) {
            let before = without_helo[..open].split_whitespace().last();
            let name = before.and_then(rdns_word);
            return Some((ip, name));
        }
    }
    let token = without_helo.split_whitespace().next()?;
    let token = token.trim_end_matches([',', ';']);
    let token = token.rsplit('@').next().unwrap_or(token);
    parse_ip(token).map(|ip| (ip, None))
}

fn strip_helo_value(text: &str) -> Cow<'_, str> {
    match find_ignore_case(text, "helo=") {
        None => Cow::Borrowed(text),
        Some(at) => {
            let rest = &text[at..];
            let end = rest
                .find(char::is_whitespace)
                .map(|e| at + e)
                .unwrap_or(text.len());
            Cow::Owned(format!("{} {}", &text[..at], &text[end..]))
        }
    }
}

/// The host name written before a bracketed address, if it is a name (sendmail writes
/// `ident@host`; `unknown` means no rDNS).
fn rdns_word(w: &str) -> Option<String> {
    let w = w.rsplit('@').next().unwrap_or(w);
    let w = w.trim_matches(|c: char| c == '(' || c == ')' || c == ',');
    if w.is_empty() || w.eq_ignore_ascii_case("unknown") || parse_ip(w).is_some() {
        return None;
    }
    if w.contains('=') || w.contains(':') {
        return None;
    }
    Some(w.to_string())
}

/// An address literal written as the first word: `[1.2.3.4]`, `[IPv6:…]`, `1.2.3.4`.
fn literal_ip(w: &str) -> Option<IpAddr> {
    if w.starts_with('[') {
        return parse_ip(bracket_inner(w));
    }
    parse_ip(w)
}

fn bracket_inner(w: &str) -> &str {
    let w = w.strip_prefix('[').unwrap_or(w);
    w.split(']').next().unwrap_or(w)
}

fn read_by(c: &Clause, hop: &mut Hop) {
    let host = c
        .words()
        .next()
        .map(|w| w.trim_end_matches(['.', ';']).to_string());
    hop.by_ip = host.as_deref().and_then(literal_ip);
    if hop.by_ip.is_none() {
        hop.by_ip = c.comments().find_map(|t| comment_peer(t).map(|(ip, _)| ip));
    }
    hop.by_host = host.filter(|h| !h.is_empty());
    hop.by_note = c.comments().next().map(str::to_string);
}

fn read_with(c: &Clause) -> Option<String> {
    let mut words = Vec::new();
    for t in c.toks {
        match t {
            Tok::Word(w) => words.push(w.trim_end_matches(';').to_string()),
            Tok::Comment(_) => break,
        }
        if words.len() >= 4 {
            break;
        }
    }
    let joined = words.join(" ");
    (!joined.is_empty()).then_some(joined)
}

fn clean_id(w: &str) -> String {
    w.trim_end_matches(';').to_string()
}

fn clean_addr(w: &str) -> String {
    w.trim_end_matches(';')
        .trim_matches(|c| c == '<' || c == '>')
        .to_string()
}

fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let d = DateTime::parse_rfc822(text)?;
    d.is_valid().then(|| d.to_timestamp())
}

/// SMTP AUTH or another sign of an authenticated submission in this hop (`lower`: the
/// raw value in lower case).
fn looks_authenticated(hop: &Hop, lower: &str) -> bool {
    let proto = hop.protocol.as_deref().unwrap_or("").to_ascii_uppercase();
    let first = proto.split_whitespace().next().unwrap_or("");
    if matches!(
        first,
        "ESMTPA"
            | "ESMTPSA"
            | "LMTPA"
            | "LMTPSA"
            | "UTF8SMTPA"
            | "UTF8SMTPSA"
            | "SMTPA"
            | "SMTPSA"
            | "ASMTP"
    ) {
        return true;
    }
    // Every marker names `auth` but the three `with MECHANISM)` comments: a line with
    // neither (most) is settled by two quick scans, without the phrase search.
    let mechanism = memchr::memmem::find_iter(lower.as_bytes(), " with ").any(|at| {
        let after = &lower[at + 6..];
        ["plain)", "login)", "cram-md5)"]
            .iter()
            .any(|m| after.starts_with(m))
    });
    let auth = memchr::memmem::find(lower.as_bytes(), b"auth").is_some();
    (mechanism || auth) && AUTH_MARKERS_IN.any_in(lower)
}

/// Signs of SMTP AUTH in a Received line, lower case. Each names `auth` or is one of
/// the ` with MECHANISM)` comments: `looks_authenticated` filters on that.
const AUTH_MARKERS: &[&str] = &[
    " with plain)",
    " with login)",
    " with cram-md5)",
    "(authenticated",
    "authenticated sender",
    "authenticated user",
    "authenticated as",
    "(auth=",
    " auth=",
    "smtp-auth",
];

static AUTH_MARKERS_IN: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(AUTH_MARKERS));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_whitespace_as_splitting_and_joining_does() {
        let reference = |s: &str| {
            s.split(char::is_whitespace)
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let pieces = [
            "a", "bc", " ", "\t", "\r\n", "\n", "\x0b", "\x0c", "(x;", ")", ";",
        ];
        let mut state = 0x1234_5678_9abc_def1_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as usize
        };
        for _ in 0..5_000 {
            let len = next() % 20;
            let text: String = (0..len).map(|_| pieces[next() % pieces.len()]).collect();
            assert_eq!(collapse_ascii_ws(&text), reference(&text), "{text:?}");
            assert_eq!(collapse_ws(&text), reference(&text), "{text:?}");
        }
        assert_eq!(collapse_ws("  é\u{2003}x\t y "), "é x y");
    }

    fn hop(s: &str) -> Hop {
        parse_received(0, s)
    }

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn auth_markers_pass_the_quick_filter() {
        for m in AUTH_MARKERS {
            let mechanism = ["plain)", "login)", "cram-md5)"]
                .iter()
                .any(|k| m.strip_prefix(" with ") == Some(k));
            assert!(mechanism || m.contains("auth"), "{m}");
        }
        let h = hop(
            "from a.example (a.example [192.0.2.1]) (Authenticated sender: x) by mx.example with ESMTP id 1; Tue, 1 Aug 2023 10:00:00 +0000",
        );
        assert!(h.authenticated);
        let h = hop(
            "from a.example ([192.0.2.1]) by mx.example (x with LOGIN) with ESMTP id 1; Tue, 1 Aug 2023 10:00:00 +0000",
        );
        assert!(h.authenticated, "{h:?}");
        let h = hop(
            "from a.example ([192.0.2.1]) by mx.example (x with login; y) with ESMTP id 1; Tue, 1 Aug 2023 10:00:00 +0000",
        );
        assert!(!h.authenticated, "{h:?}");
        let h = hop(
            "from a.example ([192.0.2.1]) by mx.example (authenticated bits 0 with login) with ESMTP id 1; Tue, 1 Aug 2023 10:00:00 +0000",
        );
        assert!(h.authenticated);
    }

    #[test]
    fn postfix_form() {
        let h = hop(
            "from mail.example.org (mail.example.org [192.0.2.1]) by mx.example.net (Postfix) with ESMTPS id ABC for <a@b.example>; Sun, 17 Nov 2024 05:58:16 +0100 (CET)",
        );
        assert_eq!(h.from_helo.as_deref(), Some("mail.example.org"));
        assert_eq!(h.from_rdns.as_deref(), Some("mail.example.org"));
        assert_eq!(h.from_ip, ip("192.0.2.1"));
        assert_eq!(h.by_host.as_deref(), Some("mx.example.net"));
        assert_eq!(h.protocol.as_deref(), Some("ESMTPS"));
        assert_eq!(h.id.as_deref(), Some("ABC"));
        assert_eq!(h.for_.as_deref(), Some("a@b.example"));
        assert_eq!(h.date.as_deref(), Some("2024-11-17T04:58:16Z"));
    }

    #[test]
    fn helo_literal_is_not_the_peer() {
        let h = hop("from [10.0.0.5] (host.example [198.51.100.7]) by mx.example.net");
        assert_eq!(h.from_ip, ip("198.51.100.7"));
        assert_eq!(h.from_helo.as_deref(), Some("[10.0.0.5]"));
        assert_eq!(h.from_rdns.as_deref(), Some("host.example"));
    }

    #[test]
    fn exim_port_and_helo() {
        let h = hop(
            "from [192.0.2.135] (port=51580 helo=[192.0.2.203]) by smtp23.mail.ru with esmtpa (envelope-from <a@b>)",
        );
        assert_eq!(h.from_ip, ip("192.0.2.135"));
        assert_eq!(h.from_helo.as_deref(), Some("[192.0.2.203]"));
        assert!(h.authenticated);
        let h = hop("from host5.example.org ([192.0.2.124]:00000) by mx9.example.jp");
        assert_eq!(h.from_ip, ip("192.0.2.124"));
        let h = hop("from rdns.example ([198.51.100.9] helo=liar.example) by mx");
        assert_eq!(h.from_ip, ip("198.51.100.9"));
        assert_eq!(h.from_rdns.as_deref(), Some("rdns.example"));
        assert_eq!(h.from_helo.as_deref(), Some("liar.example"));
    }

    #[test]
    fn qmail_forms() {
        let h = hop(
            "from unknown (HELO ?192.0.2.3?) (192.0.2.135 with plain) by applesmtp521.example with SMTP; Sat, 22 Nov 2014 07:11:04 +0900",
        );
        assert_eq!(h.from_ip, ip("192.0.2.135"));
        assert_eq!(h.from_helo.as_deref(), Some("?192.0.2.3?"));
        assert_eq!(h.from_rdns, None);
        assert!(h.authenticated);
        let h = hop("from pro.example (HELO x.example) (user@domain.example@102.69.220.202) by y");
        assert_eq!(h.from_ip, ip("102.69.220.202"));
        assert_eq!(h.from_rdns.as_deref(), Some("pro.example"));
    }

    #[test]
    fn microsoft_and_ipv6() {
        let h = hop(
            "from EXMBX2.intern.example (172.16.176.53) by mailgw.example (172.16.176.23) with Microsoft SMTP Server (version=TLS1_2) id 15.2.1258.28; Tue, 5 Nov 2024 04:27:48 +0200",
        );
        assert_eq!(h.from_ip, ip("172.16.176.53"));
        assert_eq!(h.by_ip, ip("172.16.176.23"));
        assert_eq!(h.protocol.as_deref(), Some("Microsoft SMTP Server"));
        assert_eq!(h.id.as_deref(), Some("15.2.1258.28"));
        let h = hop("from localhost (localhost [IPv6:::1]) by mx1 (Postfix)");
        assert_eq!(h.from_ip, ip("::1"));
        let h = hop("from a (2603:10d6:103:6e::35) by b");
        assert_eq!(h.from_ip, ip("2603:10d6:103:6e::35"));
        let h = hop("from x ([::ffff:198.51.100.3]) by b");
        assert_eq!(h.from_ip, ip("198.51.100.3"));
        let h = hop("from x (fe80::1%14) by b with mapi");
        assert_eq!(h.from_ip, ip("fe80::1"));
    }

    #[test]
    fn garbage_and_missing_parts() {
        let h = hop("from  by 24.3.96.11;");
        assert_eq!(h.from_ip, None);
        assert_eq!(h.by_host.as_deref(), Some("24.3.96.11"));
        let h = hop("from mx.example.com (mx.example.com [91.119.73.19]) for <me@example.com>");
        assert_eq!(h.from_ip, ip("91.119.73.19"));
        assert_eq!(h.by_host, None);
        let h = hop("((((([[[[;;;");
        assert_eq!(h.from_ip, None);
        let h = hop("");
        assert_eq!(h.by_host, None);
    }

    #[test]
    fn header_block_after_leading_blank_lines() {
        let f = header_fields(b"\n\r\n  \nReceived: from a by b\nX: y\n\nReceived: body\n");
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn header_block_line_endings() {
        for sep in ["\n", "\r\n", "\r"] {
            let text = format!(
                "Received: from a{sep}\tby b; Mon, 1 Jan 2024 00:00:00 +0000{sep}Subject: x{sep}{sep}body"
            );
            let f = header_fields(text.as_bytes());
            assert_eq!(f.len(), 2);
            let hops = received_hops(&f);
            assert_eq!(hops[0].by_host.as_deref(), Some("b"));
            assert_eq!(hops[0].date.as_deref(), Some("2024-01-01T00:00:00Z"));
        }
    }
}
