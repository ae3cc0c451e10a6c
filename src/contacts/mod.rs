//! Contacts stage (pure): what M's body advertises — URLs, domains, e-mail addresses,
//! phone numbers and messenger handles, obfuscated or not.
//!
//! `extract` takes the raw bytes of M (the message under analysis, already carved out
//! of a bounce) and returns every advertised contact, deduplicated and sorted. The work
//! is split by verb: `decode` turns M's own MIME parts into plain text plus link targets,
//! `deobfuscate` undoes `hxxp`, `[.]`, ` at `, full-width letters and friends, `urls`,
//! `emails`, `phones` and `messengers` find candidates, `explanation` marks what a mail
//! system's explanation text quotes, and `filter` drops what is not advertised (our own
//! domains, forged senders, schema URLs, image CDNs) and gives each contact its role
//! (mailbox providers, platforms and shorteners are data: [`platforms`]). Everything is linear in the size of M and bounded by the caps below.

pub mod decode;
mod deobfuscate;
mod emails;
mod explanation;
mod filter;
mod html;
mod messengers;
mod mime_text;
mod phones;
pub mod platforms;
mod urls;

use serde::Serialize;
use std::collections::BTreeMap;

pub use decode::{Link, LinkTag, TextPart, decode, decode_message};
pub use phones::prepare;

/// At most this many distinct contacts are returned per message.
pub const MAX_CONTACTS: usize = 500;
/// URLs longer than this (in bytes) are cut here before they are stored.
pub const MAX_URL_LEN: usize = 2048;
/// At most this many bytes of decoded text per MIME part are scanned.
pub const MAX_PART_TEXT: usize = 32 * 1024 * 1024;

/// Where a contact was first seen in M.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Where {
    /// Index of M's MIME part (0 = the top-level part, in `mail-parser`'s order).
    pub part: usize,
    /// Byte offset in that part's decoded text (or in the list of link targets).
    pub offset: usize,
    /// `text` for visible text, or the HTML attribute the value came from (`href`, `action`).
    pub field: String,
}

/// One advertised contact, deduplicated per message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    /// `url`, `domain`, `email`, `phone`, `icq`, `skype`, `telegram`, `whatsapp`, `viber`,
    /// `wechat`, `qq`, `signal`, `xmpp`.
    pub kind: String,
    /// Normalised: lower-case ASCII (punycode) host for `domain`, E.164 for `phone`,
    /// handle without `@` for messengers (E.164 for phone-number messengers).
    pub value: String,
    /// As written (first occurrence).
    pub raw: String,
    /// The contact was written in a disguised form (`hxxp`, `[.]`, ` at `, full-width, ...).
    pub obfuscated: bool,
    /// Where it was first seen.
    #[serde(rename = "where")]
    pub where_: Where,
    /// Which rule found or decoded it (`text-url`, `href`, `mailto`, `at-dot-words`, ...);
    /// obfuscation rules are joined with `+`.
    pub how: String,
    /// `advertised` (the spammer's own: accused), or why not: `unsubscribe`, `tracking`,
    /// `redirector`, `shortener`, `form`, `mailbox` (an address at a mailbox provider: an
    /// account to close, the provider's domain is not accused), `platform` (a link to a
    /// large platform or sending service), `explanation` (quoted in a mail system's
    /// explanation text, or a blocklist's site).
    pub role: String,
    /// How many times it occurs in M.
    pub count: u32,
    /// ISO 3166 country of a phone number (or phone-number messenger handle).
    pub country: Option<String>,
    /// Registrable domain (public suffix + 1 label) of a URL, domain or e-mail address.
    pub registrable_domain: Option<String>,
}

/// What the extractor must know about the message's context.
#[derive(Debug, Clone, Default)]
pub struct ContactContext {
    /// Our own domains: never advertised contacts (subdomains included).
    pub own_domains: Vec<String>,
    /// Forged addresses (the bounce's recipients): left out of the e-mail contacts.
    pub forged_addresses: Vec<String>,
    /// Host names and IP literals seen in M's Received lines: left out (exact match).
    /// Pass the receiving side's hosts (the bouncer, our MX), not the untrusted hops below
    /// the origin: a spammer's own domain often appears there and in the body alike.
    pub received_hosts: Vec<String>,
    /// ISO 3166 region used for national phone numbers (e.g. the origin IP's country).
    /// The default is none: the message's ccTLDs and language decide, then `US`.
    pub region_hint: Option<String>,
}

impl Contact {
    /// A contact seen once, advertised, not obfuscated; adjust with the `with_*` builders.
    pub(crate) fn new(kind: &str, value: String, raw: &str, where_: Where, how: &str) -> Self {
        Contact {
            kind: kind.to_string(),
            value,
            raw: raw.to_string(),
            obfuscated: false,
            where_,
            how: how.to_string(),
            role: "advertised".to_string(),
            count: 1,
            country: None,
            registrable_domain: None,
        }
    }

    pub(crate) fn with_role(mut self, role: &str) -> Self {
        self.role = role.to_string();
        self
    }

    pub(crate) fn with_obfuscation(mut self, rules: &str) -> Self {
        if !rules.is_empty() {
            self.obfuscated = true;
            self.how = format!("{}+{}", self.how, rules);
        }
        self
    }

    pub(crate) fn with_country(mut self, country: Option<String>) -> Self {
        self.country = country;
        self
    }

    pub(crate) fn with_registrable(mut self, domain: Option<String>) -> Self {
        self.registrable_domain = domain;
        self
    }
}

impl Where {
    pub(crate) fn new(part: usize, offset: usize, field: &str) -> Self {
        Where {
            part,
            offset,
            field: field.to_string(),
        }
    }
}

/// Lists the contacts advertised in `message` (the raw bytes of M).
pub fn extract(message: &[u8], ctx: &ContactContext) -> Vec<Contact> {
    extract_with(message, None, ctx)
}

/// [`extract`] for a message whose MIME structure the bounce stage already read.
pub fn extract_with(
    message: &[u8],
    structure: Option<&crate::bounce::mime::Part>,
    ctx: &ContactContext,
) -> Vec<Contact> {
    let (parts, recipients) = decode::decode_message_with(message, structure);
    if recipients.is_empty() {
        return extract_from_parts(&parts, ctx);
    }
    let mut ctx = ctx.clone();
    ctx.forged_addresses.extend(recipients);
    extract_from_parts(&parts, &ctx)
}

/// Lists the contacts advertised in already decoded text parts (see [`decode`]).
pub fn extract_from_parts(parts: &[TextPart], ctx: &ContactContext) -> Vec<Contact> {
    let region = phones::Region::new(parts, ctx);
    let mut found = Vec::new();
    for part in parts {
        urls::from_links(part, &mut found);
        for (start, chunk) in chunks(&part.text) {
            let first = found.len();
            scan_chunk(part.index, chunk, &region, &mut found);
            for c in &mut found[first..] {
                c.where_.offset += start;
            }
            if found.len() > COMPACT_AT {
                found = dedupe(found);
            }
        }
    }
    explanation::mark(parts, &mut found);
    let kept = filter::apply(found, ctx);
    dedupe(kept)
}

/// Found contacts are merged whenever this many have piled up, so memory stays bounded.
const COMPACT_AT: usize = 4 * MAX_CONTACTS;
/// Text is scanned in chunks of about this many bytes, cut at line ends.
const CHUNK: usize = 64 * 1024;

/// Splits text at line ends (else at spaces, else anywhere) into chunks of about
/// [`CHUNK`] bytes, with their offsets. Contacts never span lines, so none is cut.
fn chunks(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let mut end = (start + CHUNK).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        if end < text.len() {
            let window = &text[start..end];
            let cut = window
                .rfind('\n')
                .or_else(|| window.rfind(' '))
                .filter(|&i| i > CHUNK / 2);
            if let Some(i) = cut {
                end = start + i + 1;
            }
        }
        let chunk = (start, &text[start..end]);
        start = end;
        Some(chunk)
    })
}

/// Both passes over one chunk: as written, then de-obfuscated (keeping only what the
/// disguise hid, and dropping the fragments the first pass saw of it).
fn scan_chunk(part: usize, text: &str, region: &phones::Region, found: &mut Vec<Contact>) {
    let first = found.len();
    scan_text(part, text, region, found);
    if let Some(clear) = deobfuscate::deobfuscate(text) {
        let mut extra = Vec::new();
        scan_text(part, &clear.text, region, &mut extra);
        let restored: Vec<Contact> = extra
            .into_iter()
            .filter_map(|c| clear.restore(c, text))
            .collect();
        drop_fragments(found, first, &restored);
        found.extend(restored);
    }
}

/// Removes what the first pass found inside a disguised contact (`example.ru/x` of
/// `hxxp://evil[.]example.ru/x`, `evil.ru` of `boss[at]evil.ru`): fragments, not contacts.
fn drop_fragments(found: &mut Vec<Contact>, first: usize, restored: &[Contact]) {
    let mut spans: Vec<(usize, usize)> = restored
        .iter()
        .map(|c| (c.where_.offset, c.where_.offset + c.raw.len()))
        .collect();
    spans.sort_unstable();
    // Largest end among the spans starting at or before each one.
    let reach: Vec<usize> = spans
        .iter()
        .scan(0, |m, &(_, e)| {
            *m = (*m).max(e);
            Some(*m)
        })
        .collect();
    let inside = |c: &Contact| {
        let (s, e) = (c.where_.offset, c.where_.offset + c.raw.len());
        let n = spans.partition_point(|&(rs, _)| rs <= s);
        n > 0 && reach[n - 1] >= e
    };
    let tail = found.split_off(first);
    found.extend(tail.into_iter().filter(|c| !inside(c)));
}

/// Runs every text extractor over one text (the visible text or its de-obfuscated form).
/// Every contact's `raw` is the slice of `text` at `where_.offset`.
fn scan_text(part: usize, text: &str, region: &phones::Region, out: &mut Vec<Contact>) {
    let spans = urls::from_text(part, text, out);
    emails::from_text(part, text, &spans, out);
    phones::from_text(part, text, &spans, region, out);
    messengers::from_text(part, text, out);
}

/// Merges repeated contacts (same kind, value and role), keeping the first occurrence,
/// summing counts, and sorts by kind, value and role. Caps the list at [`MAX_CONTACTS`].
fn dedupe(mut found: Vec<Contact>) -> Vec<Contact> {
    if found.len() > MAX_CONTACTS {
        return dedupe_capped(found);
    }
    // No more contacts than the cap: no key is turned away, so a stable sort and a merge
    // of each run give the same list, without a copy of every key.
    fn key(c: &Contact) -> (&str, &str, &str) {
        (&c.kind, &c.value, &c.role)
    }
    found.sort_by(|a, b| key(a).cmp(&key(b)));
    let mut out: Vec<Contact> = Vec::with_capacity(found.len());
    for c in found {
        match out.last_mut() {
            Some(seen) if key(seen) == key(&c) => merge(seen, c),
            _ => out.push(c),
        }
    }
    out
}

/// [`dedupe`] of more contacts than the cap: keys are kept in the order first seen.
fn dedupe_capped(found: Vec<Contact>) -> Vec<Contact> {
    let mut map: BTreeMap<(String, String, String), Contact> = BTreeMap::new();
    for c in found {
        let key = (c.kind.clone(), c.value.clone(), c.role.clone());
        match map.get_mut(&key) {
            Some(seen) => merge(seen, c),
            None => {
                if map.len() < MAX_CONTACTS {
                    map.insert(key, c);
                }
            }
        }
    }
    map.into_values().collect()
}

fn merge(seen: &mut Contact, other: Contact) {
    seen.count = seen.count.saturating_add(other.count);
    let other_first = other.where_ < seen.where_;
    if seen.obfuscated && !other.obfuscated || (seen.obfuscated == other.obfuscated && other_first)
    {
        let count = seen.count;
        *seen = other;
        seen.count = count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(body: &str) -> Vec<u8> {
        format!("From: a@b.example\r\nTo: victim@victim-domain.net\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}").into_bytes()
    }

    #[test]
    fn dedupes_with_counts_and_sorts() {
        let m = msg(
            "Buy at https://pills.example.ru/a now.\nAgain https://pills.example.ru/a\nMail sales@pills.example.ru or victim@victim-domain.net\n",
        );
        let found = extract(&m, &ContactContext::default());
        let keys: Vec<(&str, &str, u32)> = found
            .iter()
            .map(|c| (c.kind.as_str(), c.value.as_str(), c.count))
            .collect();
        assert_eq!(
            keys,
            [
                ("domain", "pills.example.ru", 2),
                ("email", "sales@pills.example.ru", 1),
                ("url", "https://pills.example.ru/a", 2)
            ]
        );
        assert_eq!(found[0].registrable_domain.as_deref(), Some("example.ru"));
        assert_eq!(found[2].where_, Where::new(0, 7, "text"));
    }

    #[test]
    fn sorted_dedupe_is_the_capped_one_under_the_cap() {
        let mut state = 0x0dd1_5ea5_e5ca_1ab1_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as usize
        };
        for _ in 0..200 {
            let found: Vec<Contact> = (0..next() % 60)
                .map(|i| {
                    let kind = ["url", "domain", "email"][next() % 3];
                    let value = format!("v{}", next() % 5);
                    let c =
                        Contact::new(kind, value, "raw", Where::new(next() % 3, i, "text"), "h")
                            .with_role(["advertised", "forged"][next() % 2]);
                    if next() % 3 == 0 {
                        c.with_obfuscation("spaced")
                    } else {
                        c
                    }
                })
                .collect();
            assert_eq!(dedupe(found.clone()), dedupe_capped(found));
        }
    }

    #[test]
    fn serializes_where_and_fields() {
        let found = extract(&msg("Tel: +44 20 7946 0958"), &ContactContext::default());
        let json = serde_json::to_value(&found[0]).expect("json");
        assert_eq!(json["kind"], "phone");
        assert_eq!(json["value"], "+442079460958");
        assert_eq!(json["country"], "GB");
        assert_eq!(json["where"]["part"], 0);
        assert_eq!(json["role"], "advertised");
    }

    #[test]
    fn context_leaves_out_own_forged_and_received() {
        let ctx = ContactContext {
            own_domains: vec!["victim-domain.net".into()],
            forged_addresses: vec!["joe@forged.example.ru".into()],
            received_hosts: vec!["mx1.relay.example.ru".into()],
            region_hint: Some("de".into()),
        };
        let m = msg(
            "www.victim-domain.net joe@forged.example.ru mx1.relay.example.ru Telefon: 030 1234567\n",
        );
        let found: Vec<String> = extract(&m, &ctx)
            .into_iter()
            .map(|c| format!("{}:{}", c.kind, c.value))
            .collect();
        assert_eq!(found, ["phone:+49301234567"]);
    }

    #[test]
    fn obfuscated_contact_keeps_raw_as_written() {
        let found = extract(
            &msg("write to boss [at] evil-shop [dot] ru please"),
            &ContactContext::default(),
        );
        let c = found.iter().find(|c| c.kind == "email").expect("email");
        assert_eq!(c.value, "boss@evil-shop.ru");
        assert_eq!(c.raw, "boss [at] evil-shop [dot] ru");
        assert!(c.obfuscated);
        assert_eq!(c.how, "text-email+bracket-at+bracket-dot");
        assert_eq!(c.where_.offset, 9);
    }

    #[test]
    fn hostile_input_is_bounded() {
        let long = format!("http://x.example.ru/{}", "a".repeat(100_000));
        let found = extract(&msg(&long), &ContactContext::default());
        assert!(found.iter().all(|c| c.value.len() <= MAX_URL_LEN + 16));
        let many: String = (0..3000)
            .map(|i| format!("https://h{i}.example.ru/\n"))
            .collect();
        assert!(extract(&msg(&many), &ContactContext::default()).len() <= MAX_CONTACTS);
        assert!(extract(b"\xff\xfe\x00garbage", &ContactContext::default()).is_empty());
    }
}
