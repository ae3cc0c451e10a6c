//! Explanation text: the lines in which a mail system explains why it refused or
//! returned a message ("550 5.7.1 rejected: your IP is listed at …, see http://…").
//!
//! Such text reaches M when the returned copy is itself a report (a bounce of a bounce)
//! or was quoted inline together with the bouncer's words. Hosts quoted there are the
//! blocklist's or the mail system's, never the spammer's: a contact found on such a line
//! (or on the line after one) gets the role `explanation` and is not accused. The words
//! are a table (easy to extend) of delivery-failure vocabulary that spam about a product
//! does not use; phrases of one word match whole words only.

use super::{Contact, TextPart};

/// Whole words of delivery-failure explanations.
const WORDS: &[&str] = &[
    "blocklist",
    "blocklisted",
    "blacklist",
    "blacklisted",
    "blocklists",
    "blacklists",
    "dnsbl",
    "rbl",
    "delist",
    "delisting",
    "undeliverable",
    "5.7.1",
    "5.7.0",
    "5.7.606",
    "5.7.511",
];

/// Phrases matched anywhere in a lower-cased line.
const PHRASES: &[&str] = &[
    "block list",
    "black list",
    "listed at",
    "listed in",
    "listed on",
    "listed by",
    "message rejected",
    "was rejected",
    "has been rejected",
    "been blocked",
    "is blocked",
    "are blocked",
    "relay denied",
    "relaying denied",
    "not permitted to relay",
    "open relay",
    "rejected because",
    "refused because",
    "sender address rejected",
    "access denied",
    "delivery failed",
    "could not be delivered",
    "blocked using",
    "mail server blocked",
];

/// How far around a contact a line is looked at, in bytes each way.
const REACH: usize = 400;

/// Gives the role `explanation` to advertised contacts in visible text that stand on an
/// explanation line or the line after one.
pub fn mark(parts: &[TextPart], found: &mut [Contact]) {
    for contact in found.iter_mut() {
        if contact.role != "advertised"
            || contact.where_.field != "text"
            || !matches!(contact.kind.as_str(), "url" | "domain" | "email")
        {
            continue;
        }
        let Some(part) = parts.iter().find(|p| p.index == contact.where_.part) else {
            continue;
        };
        if explains(&part.text, contact.where_.offset) {
            contact.role = "explanation".to_string();
        }
    }
}

/// Whether the line holding `offset` (or the line before it) is explanation text.
fn explains(text: &str, offset: usize) -> bool {
    let offset = offset.min(text.len());
    let mut start = offset.saturating_sub(REACH);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let mut end = (offset + REACH).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if start > end {
        return false;
    }
    let window = &text[start..end];
    let at = offset - start;
    let line_start = window[..at.min(window.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line_end = window[at.min(window.len())..]
        .find('\n')
        .map_or(window.len(), |i| at + i);
    let line = &window[line_start..line_end];
    let previous = window[..line_start.saturating_sub(1)]
        .rsplit('\n')
        .next()
        .filter(|_| line_start > 0)
        .unwrap_or("");
    is_explanation(line) || is_explanation(previous)
}

/// Whether one line reads as a mail system's explanation.
pub fn is_explanation(line: &str) -> bool {
    let lower = line.to_lowercase();
    if PHRASES.iter().any(|p| lower.contains(p)) {
        return true;
    }
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '.'))
        .map(|w| w.trim_matches('.'))
        .any(|w| WORDS.contains(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explanation_lines() {
        assert!(is_explanation(
            "550 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org"
        ));
        assert!(is_explanation(
            "Your IP is listed at www.mail-abuse.org/rbl"
        ));
        assert!(is_explanation("see ORDB (open relay database)"));
        assert!(!is_explanation(
            "Buy cheap pills at www.pills.example.ru today"
        ));
        assert!(!is_explanation("Our prices are garbled-free and unlisted"));
    }

    #[test]
    fn marks_the_line_and_the_next() {
        let text = "Hello\nMessage rejected: relay denied.\nSee http://www.ordb.org/faq\n\nVisit shop.example.ru now\n";
        assert!(explains(text, text.find("http").unwrap()));
        assert!(explains(text, text.find("relay").unwrap()));
        assert!(!explains(text, text.find("shop").unwrap()));
        assert!(!explains(text, 0));
        assert!(!explains("", 5));
    }
}
