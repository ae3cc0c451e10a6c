//! Contacts stage (pure): what M's body advertises — URLs, domains, e-mail addresses,
//! phone numbers and messenger handles, obfuscated or not.
//!
//! `extract` takes the raw bytes of M (the message under analysis, already carved out
//! of a bounce) and returns every advertised contact, deduplicated and sorted. The work
//! is split by verb: `decode` turns M's own MIME parts into plain text plus link targets,
//! `deobfuscate` undoes `hxxp`, `[.]`, ` at `, full-width letters and friends, `urls`,
//! `emails`, `phones` and `messengers` find candidates, and `filter` drops what is not
//! advertised (our own domains, forged senders, schema URLs, image CDNs) and gives each
//! link its role. Everything is linear in the size of M and bounded by the caps below.

mod decode;
mod deobfuscate;
mod emails;
mod filter;
mod messengers;
mod phones;
mod urls;

use serde::Serialize;
use std::collections::BTreeMap;

pub use decode::{decode, decode_message, Link, LinkTag, TextPart};

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
    /// `advertised`, `unsubscribe`, `tracking`, `redirector`, `shortener`, `form`.
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
    /// Host names and IP literals seen in M's Received lines: left out.
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
        Where { part, offset, field: field.to_string() }
    }
}

/// Lists the contacts advertised in `message` (the raw bytes of M).
pub fn extract(message: &[u8], ctx: &ContactContext) -> Vec<Contact> {
    let (parts, recipients) = decode::decode_message(message);
    if recipients.is_empty() {
        return extract_from_parts(&parts, ctx);
    }
    let mut ctx = ctx.clone();
    ctx.forged_addresses.extend(recipients);
    extract_from_parts(&parts, &ctx)
}

/// Lists the contacts advertised in already decoded text parts (see [`decode`]).
pub fn extract_from_parts(parts: &[TextPart], ctx: &ContactContext) -> Vec<Contact> {
    let region = phones::region_for(parts, ctx);
    let mut found = Vec::new();
    for part in parts {
        urls::from_links(part, &mut found);
        scan_text(part.index, &part.text, &region, &mut found);
        if let Some(clear) = deobfuscate::deobfuscate(&part.text) {
            let mut extra = Vec::new();
            scan_text(part.index, &clear.text, &region, &mut extra);
            found.extend(extra.into_iter().filter_map(|c| clear.restore(c, &part.text)));
        }
        if found.len() > MAX_CONTACTS * 20 {
            break;
        }
    }
    let kept = filter::apply(found, ctx);
    dedupe(kept)
}

/// Runs every text extractor over one text (the visible text or its de-obfuscated form).
/// Every contact's `raw` is the slice of `text` at `where_.offset`.
fn scan_text(part: usize, text: &str, region: &str, out: &mut Vec<Contact>) {
    let spans = urls::from_text(part, text, out);
    emails::from_text(part, text, &spans, out);
    phones::from_text(part, text, &spans, region, out);
    messengers::from_text(part, text, region, out);
}

/// Merges repeated contacts (same kind, value and role), keeping the first occurrence,
/// summing counts, and sorts by kind, value and role. Caps the list at [`MAX_CONTACTS`].
fn dedupe(found: Vec<Contact>) -> Vec<Contact> {
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
    if seen.obfuscated && !other.obfuscated || (seen.obfuscated == other.obfuscated && other_first) {
        let count = seen.count;
        *seen = other;
        seen.count = count;
    }
}
