//! Hosts that appear in spam without the spammer owning them: mailbox providers,
//! large platforms and sending services, link shorteners and blocklist operators.
//!
//! The lists are data, not code: `data/platforms.tsv` (hand-curated, with the abuse
//! address of a provider where one is known) and `data/freemail.txt` (a public list of
//! free mailbox domains), both compiled in and read once. A host matches an entry for
//! itself or any parent domain, so `us1.badoo.com` matches `badoo.com`.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;

/// What a listed host is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostKind {
    /// A mailbox provider: an advertised address there is an account to close.
    Mailbox,
    /// A large platform, hosting or sending service: not the spammer's own site.
    Platform,
    /// A link shortener: its host is not accused; the target is what counts.
    Shortener,
    /// A blocklist or anti-spam service: quoted in explanation text, never advertised.
    Blocklist,
}

/// One listed domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The domain as listed (lower case).
    pub domain: &'static str,
    pub kind: HostKind,
    /// Who runs it.
    pub provider: &'static str,
    /// The provider's abuse mailbox, when the list knows one.
    pub abuse: Option<&'static str>,
    /// Where else to complain, or other remarks.
    pub note: &'static str,
}

const PLATFORMS_TSV: &str = include_str!("../../data/platforms.tsv");
const FREEMAIL_TXT: &str = include_str!("../../data/freemail.txt");

static TABLE: LazyLock<HashMap<&'static str, Listed>> =
    LazyLock::new(|| parse(PLATFORMS_TSV, FREEMAIL_TXT));

/// Builds the table: rows of the TSV first, then free mailbox domains not in it.
fn parse(tsv: &'static str, freemail: &'static str) -> HashMap<&'static str, Listed> {
    let mut table = HashMap::new();
    for line in data_lines(tsv) {
        let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
        let kind = match cells.get(1).copied() {
            Some("mailbox") => HostKind::Mailbox,
            Some("platform") => HostKind::Platform,
            Some("shortener") => HostKind::Shortener,
            Some("blocklist") => HostKind::Blocklist,
            _ => continue,
        };
        let cell = |i: usize| cells.get(i).copied().unwrap_or("");
        table.insert(
            cells[0],
            Listed {
                domain: cells[0],
                kind,
                provider: if cell(2).is_empty() {
                    cells[0]
                } else {
                    cell(2)
                },
                abuse: Some(cell(3)).filter(|a| !a.is_empty()),
                note: cell(4),
            },
        );
    }
    for domain in data_lines(freemail) {
        table.entry(domain).or_insert(Listed {
            domain,
            kind: HostKind::Mailbox,
            provider: domain,
            abuse: None,
            note: "",
        });
    }
    table
}

/// Lines that are neither blank nor `#` comments.
fn data_lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
}

/// The entry for a host (lower-case ASCII) or its nearest listed parent domain.
pub fn lookup(host: &str) -> Option<&'static Listed> {
    let host = host.trim_end_matches('.');
    let mut rest = host;
    loop {
        if let Some(entry) = TABLE.get(rest) {
            return Some(entry);
        }
        rest = rest.split_once('.')?.1;
        // A bare TLD is never listed; stop before looking it up.
        if !rest.contains('.') && !TABLE.contains_key(rest) {
            return None;
        }
    }
}

/// The kind of a listed host, if it is listed.
pub fn kind_of(host: &str) -> Option<HostKind> {
    lookup(host).map(|l| l.kind)
}

/// Whether the host is exactly a listed link shortener (a subdomain is the shortener's
/// customer's, e.g. a branded link domain, and is judged on its own).
pub fn is_shortener(host: &str) -> bool {
    TABLE
        .get(host.trim_end_matches('.'))
        .is_some_and(|l| l.kind == HostKind::Shortener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lists_load() {
        assert!(TABLE.len() > 4000, "freemail list loaded");
        let hotmail = lookup("hotmail.com").expect("hotmail listed");
        assert_eq!(hotmail.kind, HostKind::Mailbox);
        assert_eq!(hotmail.abuse, Some("abuse@outlook.com"));
        assert_eq!(kind_of("mx.us1.badoo.com"), None);
        assert_eq!(kind_of("www.mail-abuse.org"), Some(HostKind::Blocklist));
        assert_eq!(kind_of("u123.ct.sendgrid.net"), Some(HostKind::Platform));
        assert!(is_shortener("bit.ly"));
        assert!(!is_shortener("brand.bit.ly"));
        // Free mailbox domains from the public list, without a row of their own.
        assert_eq!(kind_of("abv.bg"), Some(HostKind::Mailbox));
        assert_eq!(kind_of("rambler.ru"), Some(HostKind::Mailbox));
    }

    #[test]
    fn lookalikes_and_tlds_do_not_match() {
        assert_eq!(kind_of("nothotmail.com"), None);
        assert_eq!(kind_of("hotmail.com.evil.example"), None);
        assert_eq!(kind_of("com"), None);
        assert_eq!(kind_of(""), None);
    }

    #[test]
    fn rows_parse_leniently() {
        let table = parse(
            "# comment\nfoo.example\tmailbox\tFoo\tabuse@foo.example\tnote\nbad row\nbar.example\tplatform\n",
            "baz.example\nfoo.example\n",
        );
        assert_eq!(table["foo.example"].abuse, Some("abuse@foo.example"));
        assert_eq!(table["bar.example"].provider, "bar.example");
        assert_eq!(table["baz.example"].kind, HostKind::Mailbox);
        assert_eq!(table.len(), 3);
    }
}
