//! Undoing the disguises spammers put on contacts: `hxxp://`, `[.]`, `(dot)`, ` dot `,
//! `name at domain dot com`, `[at]`, full-width letters, mixed-script look-alikes
//! (Cyrillic `а` in `pаypal`), zero-width characters and `word . word` spacing.
//!
//! One linear pass of one regex rewrites the text and records every substitution, so a
//! contact found in the clear text can be mapped back to the span it was written as
//! (`raw`) and named by the rules that decoded it (`how`).

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::Contact;

/// The de-obfuscated text and the substitutions that made it.
#[derive(Debug)]
pub struct Clear {
    pub text: String,
    subs: Vec<Sub>,
}

/// One rewritten span: `orig` in the original text became `clear` in `Clear::text`.
#[derive(Debug, Clone)]
struct Sub {
    orig: (usize, usize),
    clear: (usize, usize),
    rule: &'static str,
}

static DISGUISE: LazyLock<Regex> = LazyLock::new(|| {
    let at = r"(?:\s*\[\s*(?:at|@)\s*\]\s*|\s*\(\s*(?:at|@)\s*\)\s*|\s*\{\s*(?:at|@)\s*\}\s*|\s*<at>\s*|\s+at\s+|\s+@\s+|\s*\[\s*@\s*\]\s*|＠)";
    let dot = r"(?:\s*\[\s*(?:\.|dot|d0t)\s*\]\s*|\s*\(\s*(?:\.|dot)\s*\)\s*|\s*\{\s*(?:\.|dot)\s*\}\s*|\s*<dot>\s*|\s+dot\s+|[\x20\t]+\.[\x20\t]+|\.)";
    let label = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?";
    // ASCII word boundaries: a Unicode `\b` would push the lazy DFA off non-ASCII text.
    let pattern = format!(
        r"(?xi)
        (?P<zw>[\u{{200B}}-\u{{200D}}\u{{2060}}-\u{{2064}}\u{{FEFF}}\u{{00AD}}]+)
        |(?P<fw>[\u{{FF01}}-\u{{FF5E}}\u{{3002}}\u{{FF61}}]+)
        |(?P<scheme>(?-u:\b)(?:hxxp|hxtp|htxp|hxxxp|h\*\*p|h\.\.p|http)(?P<s>s?)(?:\[:\]|\(:\)|\[\s*:\s*\]|:)(?://|\[/\]\[/\]|\\\\))
        |(?P<email>(?-u:\b)(?P<local>[a-z0-9][a-z0-9._+-]*){at}(?P<domain>{label}(?:{dot}{label})+)(?-u:\b))
        |(?P<host>(?-u:\b){label}(?:{dot}{label})+(?-u:\b))"
    );
    Regex::new(&pattern).expect("disguise regex")
});

/// A word mixing ASCII letters with Cyrillic or Greek letters (`pаypal`).
static LOOKALIKE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[\p{L}\p{N}]*(?:[a-z][\p{L}\p{N}]*[\p{Cyrillic}\p{Greek}]|[\p{Cyrillic}\p{Greek}][\p{L}\p{N}]*[a-z])[\p{L}\p{N}]*")
        .expect("lookalike regex")
});

/// Splits a domain written with disguised dots into its labels.
static DOT_SEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s*\[\s*(?:\.|dot|d0t)\s*\]\s*|\s*\(\s*(?:\.|dot)\s*\)\s*|\s*\{\s*(?:\.|dot)\s*\}\s*|\s*<dot>\s*|\s+dot\s+|[ \t]+\.[ \t]+|\.").expect("dot regex")
});

/// Words that are followed by a plain " at " in prose, never an address's local part.
const AT_STOPWORDS: &[&str] = &[
    "us",
    "me",
    "you",
    "him",
    "her",
    "them",
    "it",
    "we",
    "i",
    "look",
    "looking",
    "arrive",
    "arrived",
    "stay",
    "available",
    "located",
    "based",
    "here",
    "there",
    "online",
    "home",
    "work",
    "out",
    "up",
    "now",
    "only",
    "all",
    "just",
    "click",
    "visit",
    "contact",
    "reach",
    "email",
    "mail",
    "write",
    "call",
    "find",
    "found",
    "see",
    "shop",
    "buy",
    "order",
    "sign",
    "signed",
    "log",
    "login",
    "is",
    "are",
    "was",
    "be",
    "and",
    "or",
    "the",
    "a",
    "an",
    "of",
    "to",
    "off",
    "save",
    "starting",
    "starts",
    "price",
    "priced",
    "from",
    "open",
    "held",
];

/// Rewrites the disguised contacts in `text`; `None` when nothing was disguised.
pub fn deobfuscate(text: &str) -> Option<Clear> {
    let mut edits: Vec<(usize, usize, String, &'static str)> = Vec::new();
    // The DFA finds candidates fast; captures are computed only for those.
    for found in DISGUISE.find_iter(text) {
        if plain_token(found.as_str()) {
            continue;
        }
        let Some(caps) = DISGUISE.captures_at(text, found.start()) else {
            continue;
        };
        let m = caps.get(0).expect("match");
        if let Some((replacement, rule)) = rewrite(&caps) {
            edits.push((m.start(), m.end(), replacement, rule));
        }
    }
    if has_lookalike_script(text) {
        for m in LOOKALIKE_WORD.find_iter(text) {
            if let Some(word) = confusables_to_ascii(m.as_str()) {
                edits.push((m.start(), m.end(), word, "confusable"));
            }
        }
        edits.sort_by_key(|e| e.0);
    }
    apply_edits(text, edits)
}

/// Builds the clear text from non-overlapping edits (sorted by start; on overlap the
/// earlier edit wins).
fn apply_edits(text: &str, edits: Vec<(usize, usize, String, &'static str)>) -> Option<Clear> {
    let mut out = String::new();
    let mut subs = Vec::new();
    let mut last = 0;
    for (start, end, replacement, rule) in edits {
        if start < last {
            continue;
        }
        out.push_str(&text[last..start]);
        let clear_start = out.len();
        out.push_str(&replacement);
        subs.push(Sub {
            orig: (start, end),
            clear: (clear_start, out.len()),
            rule,
        });
        last = end;
    }
    if subs.is_empty() {
        return None;
    }
    out.push_str(&text[last..]);
    Some(Clear { text: out, subs })
}

fn has_lookalike_script(text: &str) -> bool {
    text.chars().any(|c| ('\u{370}'..='\u{4FF}').contains(&c))
}

/// A dotted ASCII token without any disguise (`www.example.com`, `1.2.3`): nothing to do.
fn plain_token(token: &str) -> bool {
    token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !token.to_ascii_lowercase().contains("dot")
}

fn rewrite(caps: &Captures<'_>) -> Option<(String, &'static str)> {
    if caps.name("zw").is_some() {
        return Some((String::new(), "zero-width"));
    }
    if let Some(m) = caps.name("fw") {
        return Some((
            m.as_str().chars().map(fullwidth_to_ascii).collect(),
            "fullwidth",
        ));
    }
    if let Some(m) = caps.name("scheme") {
        let written = m.as_str();
        let s = caps.name("s").map_or("", |s| s.as_str());
        let clear = format!("http{s}://");
        return (!written.eq_ignore_ascii_case(&clear)).then_some((clear, "defanged-scheme"));
    }
    if caps.name("email").is_some() {
        return rewrite_email(caps);
    }
    if let Some(m) = caps.name("host") {
        return rewrite_host(m.as_str());
    }
    None
}

fn rewrite_email(caps: &Captures<'_>) -> Option<(String, &'static str)> {
    let local = caps.name("local")?.as_str();
    if local.len() > 64 {
        return None;
    }
    let domain = caps.name("domain")?.as_str();
    let whole = caps.get(0)?.as_str();
    let at_written = &whole[local.len()..whole.len() - domain.len()];
    let plain_at = at_written.trim().eq_ignore_ascii_case("at") || at_written.trim() == "@";
    let (clear_domain, dot_rule) = match rewrite_host(domain) {
        Some((d, rule)) => (d, Some(rule)),
        None => (domain.to_string(), None),
    };
    // "look at example.com" is prose: a bare " at " needs a disguised dot as well.
    if plain_at
        && (dot_rule.is_none() || AT_STOPWORDS.contains(&local.to_ascii_lowercase().as_str()))
    {
        return rewrite_host(domain)
            .map(|(d, rule)| (format!("{}{}{}", local, at_written, d), rule));
    }
    let at_rule = if plain_at { "at-word" } else { "bracket-at" };
    let rule = match dot_rule {
        Some("dot-word") => {
            if plain_at {
                "at-dot-words"
            } else {
                "bracket-at+dot-word"
            }
        }
        Some(_) => {
            if plain_at {
                "at-word+bracket-dot"
            } else {
                "bracket-at+bracket-dot"
            }
        }
        None => at_rule,
    };
    Some((format!("{local}@{clear_domain}"), rule))
}

/// `example[.]com`, `example dot com`, `example . com` → `example.com`; `None` if the
/// dots were plain.
fn rewrite_host(host: &str) -> Option<(String, &'static str)> {
    let mut out = String::with_capacity(host.len());
    let mut rule = None;
    let mut last = 0;
    for m in DOT_SEP.find_iter(host) {
        out.push_str(&host[last..m.start()]);
        out.push('.');
        let sep = m.as_str();
        if sep != "." {
            let t = sep.trim().to_ascii_lowercase();
            rule = Some(match t.as_str() {
                "dot" => "dot-word",
                "." => "spaced-dot",
                _ => "bracket-dot",
            });
        }
        last = m.end();
    }
    out.push_str(&host[last..]);
    let rule = rule?;
    // "the end dot com" style prose is rare; "word . Word" sentence ends are not: a
    // spaced dot must be followed by a lower-case or all-caps label.
    if rule == "spaced-dot"
        && out.split('.').any(|l| {
            l.chars().next().is_some_and(|c| c.is_uppercase())
                && l.chars().any(|c| c.is_lowercase())
        })
    {
        return None;
    }
    Some((out, rule))
}

fn fullwidth_to_ascii(c: char) -> char {
    match c {
        '\u{3002}' | '\u{FF61}' => '.',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// A word that mixes ASCII letters with Cyrillic or Greek look-alikes becomes ASCII.
fn confusables_to_ascii(word: &str) -> Option<String> {
    if word.is_ascii() || !word.chars().any(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    word.chars()
        .map(|c| if c.is_ascii() { Some(c) } else { confusable(c) })
        .collect()
}

fn confusable(c: char) -> Option<char> {
    Some(match c {
        'а' | 'α' => 'a',
        'е' | 'ε' => 'e',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'с' | 'ϲ' => 'c',
        'у' | 'γ' => 'y',
        'х' | 'χ' => 'x',
        'і' | 'ι' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'ԁ' => 'd',
        'ν' => 'v',
        'к' | 'κ' => 'k',
        'т' | 'τ' => 't',
        'н' => 'h',
        'м' => 'm',
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'Е' | 'Ε' => 'E',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Н' | 'Η' => 'H',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'С' => 'C',
        'Т' | 'Τ' => 'T',
        'Х' | 'Χ' => 'X',
        'І' | 'Ι' => 'I',
        'Ѕ' => 'S',
        'Ζ' => 'Z',
        _ => return None,
    })
}

impl Clear {
    /// Maps a contact found in the clear text back onto the original text: `None` if it
    /// covers no substitution (the first pass already found it), else the contact with
    /// the original `raw`, offset and the rules that decoded it.
    pub fn restore(&self, mut c: Contact, original: &str) -> Option<Contact> {
        let start = c.where_.offset;
        let end = start + c.raw.len();
        let touched: Vec<&Sub> = self
            .subs
            .iter()
            .skip(self.first_sub_ending_after(start))
            .take_while(|s| s.clear.0 <= end)
            .filter(|s| overlaps(s.clear, (start, end)))
            .collect();
        if touched.is_empty() {
            return None;
        }
        let mut rules: Vec<&str> = touched.iter().flat_map(|s| s.rule.split('+')).collect();
        rules.sort_unstable();
        rules.dedup();
        let (o_start, o_end) = (self.to_original(start, true), self.to_original(end, false));
        if let Some(raw) = original.get(o_start..o_end) {
            c.raw = raw.to_string();
            c.where_.offset = o_start;
        }
        Some(c.with_obfuscation(&rules.join("+")))
    }

    fn first_sub_ending_after(&self, pos: usize) -> usize {
        self.subs.partition_point(|s| s.clear.1 <= pos)
    }

    /// Original offset of clear offset `pos`; a position inside a substitution maps to
    /// its start (`start == true`) or its end.
    fn to_original(&self, pos: usize, start: bool) -> usize {
        let j = self.subs.partition_point(|s| s.clear.1 <= pos);
        if let Some(s) = self.subs.get(j)
            && s.clear.0 < pos
        {
            return if start { s.orig.0 } else { s.orig.1 };
        }
        match j.checked_sub(1).map(|k| &self.subs[k]) {
            Some(prev) => pos - prev.clear.1 + prev.orig.1,
            None => pos,
        }
    }
}

fn overlaps(sub: (usize, usize), span: (usize, usize)) -> bool {
    if sub.0 == sub.1 {
        return span.0 < sub.0 && sub.0 < span.1;
    }
    sub.0 < span.1 && span.0 < sub.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clear(s: &str) -> String {
        deobfuscate(s)
            .map(|c| c.text)
            .unwrap_or_else(|| s.to_string())
    }

    #[test]
    fn rules() {
        assert_eq!(clear("hxxp://evil[.]example/x"), "http://evil.example/x");
        assert_eq!(clear("hxxps[:]//evil(.)example"), "https://evil.example");
        assert_eq!(
            clear("mail john at example dot com now"),
            "mail john@example.com now"
        );
        assert_eq!(clear("john[at]example[dot]com"), "john@example.com");
        assert_eq!(clear("john (at) example.com"), "john@example.com");
        assert_eq!(clear("visit example dot com"), "visit example.com");
        assert_eq!(clear("ｅｘａｍｐｌｅ．ｃｏｍ"), "example.com");
        assert_eq!(clear("pаypal.com"), "paypal.com");
        assert_eq!(clear("exa\u{200B}mple.com"), "example.com");
        assert_eq!(clear("www . example . com"), "www.example.com");
    }

    #[test]
    fn prose_is_left_alone() {
        assert!(deobfuscate("Look at example.com for details at home.").is_none());
        assert!(deobfuscate("Contact us at sales dot com").is_none_or(|c| !c.text.contains('@')));
        assert!(deobfuscate("Привет мир, это текст").is_none());
        assert!(deobfuscate("The end . Next sentence").is_none());
    }
}
