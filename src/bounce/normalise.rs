//! Normalised DSN values: recipient addresses as bare addr-specs (type prefix, comments,
//! `<>`, `smtp:`/`[SMTP:…]` wrappers removed; X.400 and other non-address values
//! rejected) and status codes as `X.Y.Z` (from the `Status` field, else from an enhanced
//! code or an SMTP reply code written in the diagnostic text), with where the code came
//! from.

use serde::Serialize;

use super::RecipientStatus;

/// Sets `status` to the normalised `Status` value, else to the code in the diagnostic,
/// and `status_source` to where it came from. An invalid `Status` is dropped.
pub fn fill_status(r: &mut RecipientStatus) {
    if r.status_source.is_some() {
        return;
    }
    let from_field = r.status.as_deref().and_then(status);
    let (code, source) = match from_field {
        Some(code) => (Some(code), Some(StatusSource::Dsn)),
        None => match r.diagnostic.as_deref().and_then(status_in_text) {
            Some((code, source)) => (Some(code), Some(source)),
            None => (None, None),
        },
    };
    r.status = code;
    r.status_source = source;
}

/// Where a recipient's status code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusSource {
    /// The DSN `Status` field.
    Dsn,
    /// An enhanced status code (`5.1.1`, `#5.1.1`) in the diagnostic text.
    EnhancedCode,
    /// Only an SMTP reply code (`550`) in the diagnostic text: the status is its class
    /// (`5.0.0`).
    ReplyCode,
}

/// The addr-spec in a DSN address value (`rfc822; <a@b>`, `SMTP:a@b`, `[SMTP:a@b]`,
/// `a@b (comment)`), or `None` when the value is not an Internet address (X.400
/// `/S=…/C=GB/`, a pipe, a source route, a bare domain).
pub fn address(value: &str) -> Option<String> {
    let v = value.trim();
    let v = match v.split_once(';') {
        Some((t, rest)) if is_type(t) => {
            if !t.trim().eq_ignore_ascii_case("rfc822") && !t.trim().eq_ignore_ascii_case("utf-8") {
                return None;
            }
            rest
        }
        _ => v,
    };
    let v = without_comments(v);
    let v = v.trim();
    let mut v = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .filter(|s| !s.contains('"'))
        .unwrap_or(v);
    loop {
        let before = v;
        v = v.trim();
        if let Some(inner) = v.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
            v = inner;
        }
        if let Some(inner) = v.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            v = inner;
        }
        if v.len() > 5 && v[..5].eq_ignore_ascii_case("smtp:") {
            v = &v[5..];
        }
        if v == before {
            break;
        }
    }
    // An unqualified host (`user@mailhub`) is still an address in a DSN field: the MTA
    // wrote what it delivered to.
    let unqualified = v.rsplit_once('@').is_some_and(|(_, d)| {
        !d.is_empty()
            && !d.contains('.')
            && d.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    }) && is_addr_spec(&format!("{v}.local"));
    (is_addr_spec(v) || unqualified).then(|| v.to_string())
}

/// The one address written inside a value that is not itself an address (`|/bin/prog
/// a@b /home/x`, `"Name" <a@b>`), when exactly one is there.
pub fn embedded_address(value: &str) -> Option<String> {
    let mut found: Option<String> = None;
    for word in value.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        let word = word.trim_matches(['<', '>', '"', '\'', '(', ')', '[', ']', ':', '.']);
        if is_addr_spec(word) {
            match &found {
                Some(f) if !f.eq_ignore_ascii_case(word) => return None,
                _ => found = Some(word.to_string()),
            }
        }
    }
    found
}

/// A plain Internet address: one `@`, a local part, a domain with a dot (or an address
/// literal), no spaces, no route or path characters.
pub fn is_addr_spec(v: &str) -> bool {
    let Some((local, domain)) = v.rsplit_once('@') else {
        return false;
    };
    let literal = domain.starts_with('[') && domain.ends_with(']');
    let quoted = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
    // RFC 5322 atext and dots; `/` and `|` too are atext but mark program and X.400
    // values here, never a mailbox a bounce names.
    let atext = local
        .chars()
        .all(|c| c.is_alphanumeric() || "!#$%&'*+-=?^_`{}~.".contains(c));
    v.len() <= 254
        && !local.is_empty()
        && (quoted || atext)
        && !v.contains(char::is_whitespace)
        && (literal
            || (domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && domain
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '.')))
}

fn is_type(t: &str) -> bool {
    let t = t.trim();
    !t.is_empty() && t.len() <= 16 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `text` without parenthesised comments (nesting counted; an unclosed one runs to the end).
fn without_comments(text: &str) -> String {
    if !text.contains('(') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The `X.Y.Z` code at the start of a `Status` value (`5.1.1 (permanent failure)` gives
/// `5.1.1`); `None` for an invalid value such as `550`.
pub fn status(value: &str) -> Option<String> {
    let code = value
        .trim()
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?;
    enhanced(code).then(|| code.to_string())
}

/// Whether `code` is a whole enhanced status code (`class.subject.detail`).
fn enhanced(code: &str) -> bool {
    let parts: Vec<&str> = code.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1].len() <= 3
}

/// The status stated in diagnostic text: the first enhanced code (`550 5.7.1 …`,
/// `(#5.1.1)`), else the class of the first SMTP reply code (`552 …` gives `5.0.0`).
pub fn status_in_text(text: &str) -> Option<(String, StatusSource)> {
    let tokens = || {
        text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map(|t| t.trim_end_matches('.'))
    };
    // A token must stand alone (not part of a version or an IP address: `1.2.3.4` splits
    // into four parts and fails the three-part test).
    if let Some(code) = tokens().find(|t| enhanced(t)) {
        return Some((code.to_string(), StatusSource::EnhancedCode));
    }
    let reply = text.as_bytes().windows(3).enumerate().find(|(i, w)| {
        matches!(w[0], b'4' | b'5')
            && w[1].is_ascii_digit()
            && w[2].is_ascii_digit()
            && (*i == 0 || !text.as_bytes()[i - 1].is_ascii_alphanumeric())
            && text
                .as_bytes()
                .get(i + 3)
                .is_none_or(|c| matches!(c, b' ' | b'-' | b'\t' | b'\r' | b'\n'))
    });
    reply.map(|(_, w)| (format!("{}.0.0", w[0] as char), StatusSource::ReplyCode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_unwrapped_and_non_addresses_rejected() {
        for (raw, want) in [
            ("rfc822; <a@example.org>", Some("a@example.org")),
            ("RFC822; SMTP:a@example.org", Some("a@example.org")),
            ("rfc822;[SMTP:a@example.org]", Some("a@example.org")),
            ("<smtp:a@example.org>", Some("a@example.org")),
            ("a@example.org (user unknown)", Some("a@example.org")),
            ("x400; /S=Smith/O=Corp/C=GB/", None),
            ("rfc822; /S=Smith/O=Corp/C=GB/", None),
            ("rfc822; @smtp.example.net:kijitora@server", None),
            ("rfc822; @mx.example.org", None),
            ("rfc822;|/usr/bin/prog a@example.org /home/x", None),
        ] {
            assert_eq!(address(raw).as_deref(), want, "{raw}");
        }
        assert_eq!(
            embedded_address("|/usr/bin/prog a@example.org /home/a@example.org").as_deref(),
            Some("a@example.org")
        );
        assert_eq!(embedded_address("a@example.org b@example.org"), None);
    }

    #[test]
    fn status_codes_are_normalised_or_read_from_the_text() {
        assert_eq!(
            status("5.1.1 (permanent failure)").as_deref(),
            Some("5.1.1")
        );
        assert_eq!(status("550"), None);
        assert_eq!(status("5.1"), None);
        let code = |t: &str| status_in_text(t);
        assert_eq!(
            code("smtp; 550 5.7.1 denied"),
            Some(("5.7.1".into(), StatusSource::EnhancedCode))
        );
        assert_eq!(
            code("Sorry, no mailbox here (#5.1.1)"),
            Some(("5.1.1".into(), StatusSource::EnhancedCode))
        );
        assert_eq!(
            code("host 192.0.2.1 said: 552 quota"),
            Some(("5.0.0".into(), StatusSource::ReplyCode))
        );
        assert_eq!(code("version 1.2.3.4 from 2550 ok"), None);
    }
}
