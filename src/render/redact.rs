//! Redaction of our own addresses (RFC 6590): the one function everything `render`
//! writes passes through, so no form of our local parts leaves in a complaint.
//!
//! A [`Redactor`] knows our domains and the local parts it has seen at them ("secrets").
//! It learns them from the addresses it is given (forged senders, recipients) and from
//! the samples themselves, in every form an address takes: plain, quoted
//! (`"jane.secret"@our-domain`), plus-tagged (`jane.secret+tag@`), BATV (`prvs=…=jane@`),
//! SRS-wrapped (`SRS0=…=our-domain=jane@forwarder`), inside RFC 2047 encoded words and
//! inside base64 blocks (a nested message, a bounce of a bounce). Then every address at
//! our domains becomes `redacted@<domain>`, and every secret anywhere becomes `redacted`.

use regex::bytes::{Captures, Regex};

use super::mime::base64;

/// What replaces a local part.
const REDACTED: &str = "redacted";

/// Local parts that name a role, not a person: never scrubbed from free text (they are
/// common words), only from addresses.
const ROLE_NAMES: &[&str] = &[
    "abuse",
    "admin",
    "contact",
    "hostmaster",
    "info",
    "mail",
    "mailer-daemon",
    "noreply",
    "no-reply",
    "postmaster",
    "root",
    "sales",
    "support",
    "webmaster",
    "redacted",
];

/// Shortest local part scrubbed from free text.
const MIN_SECRET: usize = 3;

/// Redacts our own addresses; built once per complaint.
#[derive(Debug, Clone)]
pub struct Redactor {
    /// Our domains, lower case.
    domains: Vec<String>,
    /// Local parts of ours seen so far, lower case, longest first.
    secrets: Vec<String>,
    address: Option<Regex>,
    srs: Option<Regex>,
    encoded_word: Regex,
    base64_block: Regex,
    secret: Option<Regex>,
    /// Our addresses that are meant to be seen (the reporter's own), lower case.
    kept: Vec<String>,
}

impl Redactor {
    /// A redactor for our domains plus the domains of `known` addresses of ours (the
    /// forged senders), which it also learns.
    pub fn new(own_domains: &[String], known: &[String]) -> Redactor {
        let mut domains: Vec<String> = own_domains
            .iter()
            .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        domains.extend(
            known
                .iter()
                .filter_map(|a| a.trim_matches(['<', '>', ' ']).rsplit_once('@'))
                .map(|(_, d)| d.trim_end_matches('.').to_ascii_lowercase())
                .filter(|d| !d.is_empty()),
        );
        domains.sort();
        domains.dedup();
        let alternatives = domains
            .iter()
            .map(|d| regex::escape(d))
            .collect::<Vec<_>>()
            .join("|");
        let compile = |pattern: String| {
            (!domains.is_empty())
                .then(|| Regex::new(&pattern).ok())
                .flatten()
        };
        let mut redactor = Redactor {
            address: compile(format!(
                r#"(?i)("(?:[^"\\\r\n]|\\.){{0,128}}"|[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.-]{{1,128}})@((?:[A-Za-z0-9-]+\.)*(?:{alternatives}))\b"#
            )),
            srs: compile(format!(
                r"(?i)=((?:[A-Za-z0-9-]+\.)*(?:{alternatives}))=([A-Za-z0-9!#$%&'*+/?^_`{{|}}~.-]{{1,128}})@"
            )),
            encoded_word: Regex::new(r"=\?[A-Za-z0-9_.:*-]{1,40}\?[BbQq]\?[^?\s]{1,1000}\?=")
                .expect("fixed pattern"),
            base64_block: Regex::new(r"(?m)(?:^[A-Za-z0-9+/]{40,}={0,2}\r?\n){2,}(?:^[A-Za-z0-9+/]{1,}={0,2}(?:\r?\n|$))?")
                .expect("fixed pattern"),
            secret: None,
            secrets: Vec::new(),
            kept: Vec::new(),
            domains,
        };
        for address in known {
            redactor.learn(address.as_bytes());
        }
        redactor
    }

    /// Keeps one address of ours as written: the reporter's own, which signs and
    /// sends the complaint (its local part is not learnt as a secret either).
    pub fn keeping(mut self, address: Option<&str>) -> Redactor {
        if let Some(address) = address {
            self.kept.push(address.trim().to_ascii_lowercase());
            self.secrets
                .retain(|s| !address.to_ascii_lowercase().starts_with(&format!("{s}@")));
            self.compile_secrets();
        }
        self
    }

    /// Learns the local parts of our addresses that occur in `bytes` (in any form).
    pub fn learn(&mut self, bytes: &[u8]) {
        let mut found = Vec::new();
        self.collect(bytes, &mut found, 0);
        let before = self.secrets.len();
        for local in found {
            for secret in secret_forms(&local) {
                let kept = self
                    .kept
                    .iter()
                    .any(|k| k.starts_with(&format!("{secret}@")));
                if !kept && !self.secrets.contains(&secret) {
                    self.secrets.push(secret);
                }
            }
        }
        if self.secrets.len() != before {
            self.compile_secrets();
        }
    }

    fn compile_secrets(&mut self) {
        self.secrets
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        let alternatives = self
            .secrets
            .iter()
            .map(|s| regex::escape(s))
            .collect::<Vec<_>>()
            .join("|");
        self.secret = (!self.secrets.is_empty())
            .then(|| Regex::new(&format!("(?i)(?:{alternatives})")).ok())
            .flatten();
    }

    /// Local parts of our addresses in `bytes`, decoding encoded words and base64 blocks
    /// (to a bounded depth: a nested message inside a nested message).
    fn collect(&self, bytes: &[u8], out: &mut Vec<String>, depth: usize) {
        if let Some(re) = &self.address {
            for caps in re.captures_iter(bytes) {
                out.push(String::from_utf8_lossy(&caps[1]).into_owned());
            }
        }
        if let Some(re) = &self.srs {
            for caps in re.captures_iter(bytes) {
                out.push(String::from_utf8_lossy(&caps[2]).into_owned());
            }
        }
        if depth >= 3 {
            return;
        }
        for word in self.encoded_word.find_iter(bytes) {
            if let Some(text) = crate::mailparse::unstructured(word.as_bytes()) {
                self.collect(text.as_bytes(), out, depth + 1);
            }
        }
        for block in self.base64_block.find_iter(bytes) {
            self.collect(&base64_decode(block.as_bytes()), out, depth + 1);
        }
    }

    /// The bytes with every form of our addresses redacted.
    pub fn bytes(&self, bytes: &[u8]) -> Vec<u8> {
        self.redact(bytes, 0)
    }

    /// [`Redactor::bytes`] for text.
    pub fn text(&self, text: &str) -> String {
        String::from_utf8_lossy(&self.bytes(text.as_bytes())).into_owned()
    }

    fn redact(&self, bytes: &[u8], depth: usize) -> Vec<u8> {
        if self.domains.is_empty() {
            return bytes.to_vec();
        }
        let mut out = bytes.to_vec();
        if depth < 3 {
            out = self
                .encoded_word
                .replace_all(&out, |caps: &Captures| {
                    self.encoded_word_redacted(&caps[0], depth)
                })
                .into_owned();
            out = self
                .base64_block
                .replace_all(&out, |caps: &Captures| {
                    self.base64_redacted(&caps[0], depth)
                })
                .into_owned();
        }
        if let Some(re) = &self.address {
            out = re
                .replace_all(&out, |caps: &Captures| {
                    let whole = String::from_utf8_lossy(&caps[0]).to_ascii_lowercase();
                    if self.kept.contains(&whole) {
                        caps[0].to_vec()
                    } else {
                        [REDACTED.as_bytes(), b"@", &caps[2]].concat()
                    }
                })
                .into_owned();
        }
        if let Some(re) = &self.srs {
            out = re
                .replace_all(&out, format!("=$1={REDACTED}@").as_bytes())
                .into_owned();
        }
        if let Some(re) = &self.secret {
            out = re.replace_all(&out, REDACTED.as_bytes()).into_owned();
        }
        out
    }

    /// An encoded word re-encoded (UTF-8, base64) with its text redacted, when it
    /// held anything of ours; else as it was.
    fn encoded_word_redacted(&self, word: &[u8], depth: usize) -> Vec<u8> {
        let Some(text) = crate::mailparse::unstructured(word) else {
            return word.to_vec();
        };
        let redacted = self.redact(text.as_bytes(), depth + 1);
        if redacted == text.as_bytes() {
            return word.to_vec();
        }
        format!("=?UTF-8?B?{}?=", base64(&redacted)).into_bytes()
    }

    /// A base64 block re-encoded (76-character lines, the block's line ends) with its
    /// content redacted, when it held anything of ours; else as it was.
    fn base64_redacted(&self, block: &[u8], depth: usize) -> Vec<u8> {
        let decoded = base64_decode(block);
        let redacted = self.redact(&decoded, depth + 1);
        if redacted == decoded {
            return block.to_vec();
        }
        let eol = if block.windows(2).any(|w| w == b"\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        let flat = base64(&redacted);
        let mut out = String::with_capacity(flat.len() + flat.len() / 38);
        for chunk in flat.as_bytes().chunks(76) {
            out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
            out.push_str(eol);
        }
        out.into_bytes()
    }
}

fn base64_decode(block: &[u8]) -> Vec<u8> {
    crate::bounce::mime::base64(block)
}

/// The forms of a local part scrubbed from free text: the part itself unquoted, without
/// a BATV prefix, and before a `+` tag; role names and very short parts are left.
fn secret_forms(local: &str) -> Vec<String> {
    let mut local = local.trim().trim_matches('"').to_lowercase();
    local = local.replace("\\\"", "\"").replace("\\\\", "\\");
    // BATV: prvs=TAG=local, btv1==TAG==local (the tag runs to the last '=').
    for prefix in ["prvs=", "btv1=", "msprvs1="] {
        if let Some(rest) = local.strip_prefix(prefix)
            && let Some((_, base)) = rest.rsplit_once('=')
        {
            local = base.to_string();
        }
    }
    let mut forms = vec![local.clone()];
    if let Some((base, _)) = local.split_once('+') {
        forms.push(base.to_string());
    }
    forms
        .into_iter()
        .filter(|f| f.chars().count() >= MIN_SECRET && !ROLE_NAMES.contains(&f.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(known: &[&str]) -> Redactor {
        Redactor::new(
            &["victim-domain.net".to_string()],
            &known.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    }

    #[test]
    fn every_form_of_an_own_address() {
        let mut r = redactor(&[]);
        let text = "From: \"jane.secret\"@victim-domain.net\r\nTo: jane.secret+promo@Victim-Domain.net, prvs=1234abcd=bob.hidden@mail.victim-domain.net\r\nReturn-Path: <SRS0=HHH=TT=victim-domain.net=carol.srs@forwarder.example>\r\n\r\nHello jane.secret, bob.hidden and carol.srs! Write to a@other.org\r\n";
        r.learn(text.as_bytes());
        let out = r.text(text);
        for secret in ["jane.secret", "bob.hidden", "carol.srs"] {
            assert!(!out.to_lowercase().contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("redacted@victim-domain.net"));
        assert!(out.contains("a@other.org"));
        assert!(out.contains("=victim-domain.net=redacted@forwarder.example"));
    }

    #[test]
    fn encoded_words_and_base64_blocks() {
        let encoded = format!(
            "To: =?UTF-8?B?{}?= <x@victim-domain.net>\r\n",
            base64("Jane Secret jane.secret@victim-domain.net".as_bytes())
        );
        let body = base64(
            "Original-Recipient: rfc822;jane.secret@victim-domain.net\r\nline two of the nested message, long enough\r\n"
                .repeat(3)
                .as_bytes(),
        );
        let lines: String = body
            .as_bytes()
            .chunks(76)
            .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
            .collect();
        let text = format!("{encoded}\r\n{lines}");
        let mut r = redactor(&[]);
        r.learn(text.as_bytes());
        let out = r.bytes(text.as_bytes());
        let decoded_words =
            crate::mailparse::unstructured(&out[4..out.iter().position(|&b| b == b'<').unwrap()])
                .unwrap_or_default();
        assert!(!decoded_words.contains("jane.secret"), "{decoded_words}");
        let nested =
            base64_decode(&out[out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..]);
        assert!(!String::from_utf8_lossy(&nested).contains("jane.secret"));
        assert!(String::from_utf8_lossy(&nested).contains("redacted@victim-domain.net"));
    }

    #[test]
    fn known_addresses_and_role_names() {
        let r = redactor(&["<jane.secret@victim-domain.net>"]);
        assert_eq!(r.text("Dear Jane.Secret,"), "Dear redacted,");
        let r = redactor(&["postmaster@victim-domain.net"]);
        assert_eq!(
            r.text("the postmaster said: postmaster@victim-domain.net"),
            "the postmaster said: redacted@victim-domain.net"
        );
        assert_eq!(Redactor::new(&[], &[]).text("a@b.example"), "a@b.example");
        let r = redactor(&["jane.secret@victim-domain.net", "reports@victim-domain.net"])
            .keeping(Some("Reports@victim-domain.net"));
        assert_eq!(
            r.text("From: reports@victim-domain.net, jane.secret@victim-domain.net"),
            "From: reports@victim-domain.net, redacted@victim-domain.net"
        );
    }
}
