//! E-mail addresses written in text and in `mailto:` links.
//!
//! Addresses inside a URL (a query string's `?email=victim@...`) are not advertised and
//! are skipped; the domain must end in a known public suffix (so `phishing@pot` and
//! `image001.png@01D9...` content ids are not addresses). Disguised forms (`name at
//! domain dot com`, `[at]`) reach this module already rewritten by `deobfuscate`.

use std::sync::LazyLock;

use regex::Regex;

use super::urls::{percent_decode, registrable, to_ascii_host};
use super::{Contact, Where};

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+[\p{L}][\p{L}\p{N}-]*[\p{L}\p{N}]")
        .expect("email regex")
});

/// Addresses in text, except those inside one of `url_spans`.
pub fn from_text(part: usize, text: &str, url_spans: &[(usize, usize)], out: &mut Vec<Contact>) {
    for m in EMAIL.find_iter(text) {
        let inside_url = super::urls::in_spans(url_spans, m.start());
        // `phishing@pot@hotmail.com`: a broken address, not two.
        let glued = text[..m.start()].ends_with(['@', '.']);
        if inside_url || glued {
            continue;
        }
        let raw = m
            .as_str()
            .trim_start_matches(['\'', '=', '/', '{', '|', '}', '~', '-', '`']);
        let offset = m.end() - raw.len();
        if let Some(c) = contact(raw, Where::new(part, offset, "text"), "text-email") {
            out.push(c);
        }
    }
}

/// Addresses of a `mailto:` link (several may be separated by commas).
pub fn from_mailto(href: &str, at: Where, out: &mut Vec<Contact>) {
    let body = &href["mailto:".len()..];
    let to = body.split('?').next().unwrap_or("");
    for addr in percent_decode(to).split([',', ';']) {
        let addr = addr.trim();
        if let Some(c) = contact(addr, at.clone(), "mailto") {
            out.push(c);
        }
    }
}

/// A normalised address contact, if the address is well formed.
pub fn contact(raw: &str, at: Where, how: &str) -> Option<Contact> {
    let (local, domain) = raw.rsplit_once('@')?;
    if local.is_empty() || local.len() > 64 || local.starts_with('.') || local.ends_with('.') {
        return None;
    }
    let host = to_ascii_host(domain)?;
    let reg = registrable(&host)?;
    let value = format!("{}@{}", local.to_lowercase(), host);
    Some(Contact::new("email", value, raw, at, how).with_registrable(Some(reg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(text: &str, spans: &[(usize, usize)]) -> Vec<String> {
        let mut out = Vec::new();
        from_text(0, text, spans, &mut out);
        out.into_iter().map(|c| c.value).collect()
    }

    #[test]
    fn addresses() {
        assert_eq!(
            emails("Write to FBIagent01@Mail.ee today.", &[]),
            ["fbiagent01@mail.ee"]
        );
        assert_eq!(
            emails("<solutions@runsaa.com>", &[]),
            ["solutions@runsaa.com"]
        );
        assert_eq!(
            emails(
                "to phishing@pot and cid:image001.png@01D9A1B2.C3D4E5F0",
                &[]
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            emails("http://x.example/?email=a@b.com", &[(0, 32)]),
            Vec::<String>::new()
        );
        let mut out = Vec::new();
        from_mailto(
            "mailto:a@b.com,%20c@d.org?subject=hi",
            Where::new(0, 0, "href"),
            &mut out,
        );
        assert_eq!(
            out.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(),
            ["a@b.com", "c@d.org"]
        );
    }
}
