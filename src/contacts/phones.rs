//! Phone numbers (and phone-number messenger handles: WhatsApp, Viber, Signal).
//!
//! A digit run is a phone number only when it is presented as one: a context word
//! (tel, phone, call, fax, mobile, WhatsApp, тел, Телефон, 電話 ...) shortly before it, or
//! an international `+` format. The nearest keyword wins, so "Order no.", "Ref",
//! "MTCN", "Account number" before a number reject it. Dates, times, prices, IP
//! addresses and digits glued to longer digit or letter runs (hash-buster noise) are
//! rejected before the `phonenumber` crate parses and validates what is left; the value
//! is E.164 and `country` its region. National numbers use the region from context,
//! the message's country-code TLDs or its script, then `US`.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use phonenumber::Mode;
use phonenumber::country::Id;
use regex::Regex;

use super::decode::TextPart;
use super::{Contact, ContactContext, Where};

/// A run of digits and phone punctuation, optionally opened by `+`, `(+` or `00`.
static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\(\s*)?[+＋]?\s?\(?\d[\d \t().\-/\u{A0}\u{2010}-\u{2015}]{5,28}\d")
        .expect("phone regex")
});

/// Keywords that present a phone number, lower case; `wa` etc. must be whole words.
const PHONE_WORDS: &[&str] = &[
    "tel",
    "tél",
    "tele",
    "telephone",
    "téléphone",
    "phone",
    "ph",
    "call",
    "calls",
    "calling",
    "fax",
    "mobile",
    "mob",
    "cell",
    "cellphone",
    "whatsapp",
    "whats app",
    "whatsap",
    "viber",
    "signal",
    "telegram",
    "hotline",
    "helpline",
    "sms",
    "text",
    "contact",
    "contacts",
    "ring",
    "dial",
    "tlf",
    "telefon",
    "telefone",
    "teléfono",
    "telefono",
    "celular",
    "handy",
    "numéro",
    "número",
    "numero",
    "telefax",
    "tel.",
    "t",
    "m",
    "f",
    "p",
    "тел",
    "телефон",
    "телефоны",
    "моб",
    "мобильный",
    "факс",
    "звоните",
    "звонить",
    "позвоните",
    "вайбер",
    "ватсап",
    "电话",
    "電話",
    "手机",
    "微信",
    "联系",
    "電話番号",
    "tfn",
    "toll",
    "free",
    "line",
    "direct",
];

/// Keywords that present some other number.
const OTHER_WORDS: &[&str] = &[
    "order",
    "ref",
    "reference",
    "tracking",
    "track",
    "invoice",
    "account",
    "acct",
    "a/c",
    "routing",
    "swift",
    "iban",
    "bic",
    "mtcn",
    "control",
    "transaction",
    "txn",
    "serial",
    "zip",
    "postal",
    "postcode",
    "pin",
    "id",
    "code",
    "ticket",
    "case",
    "batch",
    "amount",
    "sum",
    "total",
    "price",
    "usd",
    "eur",
    "gbp",
    "$",
    "€",
    "£",
    "¥",
    "₽",
    "date",
    "dated",
    "sort",
    "ssn",
    "passport",
    "license",
    "licence",
    "policy",
    "claim",
    "file",
    "parcel",
    "shipment",
    "awb",
    "consignment",
    "customer",
    "member",
    "client",
    "voucher",
    "coupon",
    "password",
    "otp",
    "verification",
    "bank",
    "box",
    "p.o",
    "po",
    "suite",
    "ste",
    "счет",
    "счёт",
    "заказ",
    "номер заказа",
    "инн",
    "огрн",
    "бик",
    "код",
    "订单",
    "金额",
];

/// Words between a keyword and its number that say nothing themselves.
const NEUTRAL_WORDS: &[&str] = &[
    "no",
    "nr",
    "num",
    "number",
    "nº",
    "n°",
    "our",
    "us",
    "at",
    "on",
    "or",
    "and",
    "the",
    "your",
    "is",
    "me",
    "to",
    "toll",
    "free",
    "номер",
    "по",
];

const MESSENGER_WORDS: &[(&str, &str)] = &[
    ("whatsapp", "whatsapp"),
    ("whats app", "whatsapp"),
    ("whatsap", "whatsapp"),
    ("ватсап", "whatsapp"),
    ("viber", "viber"),
    ("вайбер", "viber"),
    ("signal", "signal"),
];

static WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{L}][\p{L}.'/]*|[$€£¥₽]|[\u{4E00}-\u{9FFF}\u{3040}-\u{30FF}]+")
        .expect("word regex")
});

static DATE_OR_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}.*|\d{1,3}(?:\.\d{1,3}){3})$").expect("date regex")
});

/// How far back (in characters) a keyword may stand before the number.
const CONTEXT_CHARS: usize = 48;

/// Phone numbers in text (not inside one of `url_spans`).
pub fn from_text(
    part: usize,
    text: &str,
    url_spans: &[(usize, usize)],
    region: &Region,
    out: &mut Vec<Contact>,
) {
    for m in CANDIDATE.find_iter(text) {
        if super::urls::in_spans(url_spans, m.start()) {
            continue;
        }
        let raw = trim_raw(m.as_str());
        // `raw` is a subslice of `text`: its offset is exact, whatever was trimmed.
        let start = raw.as_ptr() as usize - text.as_ptr() as usize;
        let end = start + raw.len();
        if glued(text, start, end) || DATE_OR_TIME.is_match(raw) || price_after(&text[end..]) {
            continue;
        }
        let context = context_before(text, start);
        let (phone_word, messenger) = classify_context(&context);
        let international = raw.trim_start_matches(['(', ' ']).starts_with(['+', '＋']);
        if !phone_word && !international {
            continue;
        }
        let Some((e164, country)) = parse_remembered(raw, region.get()) else {
            continue;
        };
        let at = Where::new(part, start, "text");
        let spaced = spaced_digits(raw);
        let contact = Contact::new(
            "phone",
            e164.clone(),
            raw,
            at.clone(),
            if phone_word {
                "phone-context"
            } else {
                "international-format"
            },
        )
        .with_country(Some(country.clone()))
        .with_obfuscation(if spaced { "spaced-digits" } else { "" });
        out.push(contact);
        if let Some(kind) = messenger {
            out.push(
                Contact::new(kind, e164, raw, at, "messenger-context").with_country(Some(country)),
            );
        }
    }
}

/// Removes punctuation the candidate regex took that does not belong to the number.
fn trim_raw(s: &str) -> &str {
    let s = s.trim();
    let s = if s.starts_with('(') && !s[1..].contains(')') {
        &s[1..]
    } else {
        s
    };
    s.trim_start()
}

/// The candidate continues a longer digit, letter or decimal run: noise, ids, amounts.
fn glued(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let after2 = text[end..].chars().nth(1);
    let bad_before = before.is_some_and(|c| {
        c.is_alphanumeric()
            || matches!(
                c,
                '#' | '_' | '=' | '/' | '.' | ',' | '$' | '€' | '£' | '-' | '&' | '%'
            )
    });
    let bad_after = after.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '%')
        || (matches!(after, Some('.' | ',')) && after2.is_some_and(|c| c.is_ascii_digit()));
    bad_before || bad_after
}

fn price_after(rest: &str) -> bool {
    let next: String = rest
        .chars()
        .take(6)
        .collect::<String>()
        .trim_start()
        .to_lowercase();
    [
        "usd", "eur", "gbp", "$", "€", "£", "руб", "rub", "dollars", "euro",
    ]
    .iter()
    .any(|c| next.starts_with(c))
}

/// Up to `CONTEXT_CHARS` characters before `start`, on this line or, if the line has
/// nothing before the number, the line before.
fn context_before(text: &str, start: usize) -> String {
    // Look back a bounded number of bytes so a long line stays linear.
    let mut from = start.saturating_sub(CONTEXT_CHARS * 8);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let head = &text[from..start];
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let window_start = if head[line_start..].trim().is_empty() {
        head[..line_start.saturating_sub(1)]
            .rfind('\n')
            .map_or(0, |i| i + 1)
    } else {
        line_start
    };
    let window = &head[window_start..];
    let skip = window.chars().count().saturating_sub(CONTEXT_CHARS);
    window.chars().skip(skip).collect::<String>().to_lowercase()
}

/// Whether the nearest keyword presents a phone number, and which messenger it names
/// (any messenger word in the window, as in "Phone/WhatsApp:").
fn classify_context(context: &str) -> (bool, Option<&'static str>) {
    let words: Vec<&str> = WORD.find_iter(context).map(|m| m.as_str()).collect();
    let mut messenger = None;
    for w in &words {
        for piece in w.split(['/', '.']) {
            if let Some((_, kind)) = MESSENGER_WORDS.iter().find(|(word, _)| *word == piece) {
                messenger = Some(*kind);
            }
        }
    }
    for w in words.iter().rev() {
        let pieces: Vec<&str> = w
            .split('/')
            .flat_map(|p| [p, p.trim_end_matches('.')])
            .collect();
        // "Phone No.", "Order Nr": the word before decides.
        if pieces.iter().all(|p| NEUTRAL_WORDS.contains(p)) {
            continue;
        }
        if pieces.iter().any(|p| OTHER_WORDS.contains(p)) {
            return (false, None);
        }
        if pieces.iter().any(|p| PHONE_WORDS.contains(p))
            || w.contains("тел")
            || w.contains("phone")
        {
            return (true, messenger);
        }
    }
    (false, messenger)
}

/// Digits written one by one with spaces (`8 0 0 5 5 5 ...`).
fn spaced_digits(raw: &str) -> bool {
    let groups: Vec<&str> = raw
        .split([' ', '\u{A0}'])
        .filter(|g| !g.is_empty())
        .collect();
    groups.len() >= 7 && groups.iter().filter(|g| g.len() == 1).count() * 10 >= groups.len() * 7
}

/// Entries kept; a full table is emptied and refilled.
const MEMO_CAP: usize = 4096;

type Parsed = HashMap<(String, String), Option<(String, String)>>;

/// Numbers parsed so far in this run, shared by the analysis threads: spam repeats its
/// numbers within a message and across a campaign, and validating a number against the
/// phone metadata is the costly part.
static RUN_MEMO: LazyLock<Mutex<Parsed>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// [`parse`], remembered for the run (keyed by the digits and `+` signs written).
fn parse_remembered(raw: &str, region: &str) -> Option<(String, String)> {
    let digits: String = raw
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+' || *c == '＋')
        .collect();
    let key = (digits, region.to_string());
    if let Some(hit) = RUN_MEMO
        .lock()
        .ok()
        .and_then(|memo| memo.get(&key).cloned())
    {
        return hit;
    }
    let value = parse(raw, region);
    if let Ok(mut memo) = RUN_MEMO.lock() {
        if memo.len() >= MEMO_CAP {
            memo.clear();
        }
        memo.insert(key, value.clone());
    }
    value
}

/// E.164 value and region of a written number, if it is a valid number.
pub fn parse(raw: &str, region: &str) -> Option<(String, String)> {
    let digits: String = raw
        .chars()
        .filter_map(|c| c.to_digit(10))
        .map(|d| char::from(b'0' + d as u8))
        .collect();
    if !(7..=15).contains(&digits.len()) {
        return None;
    }
    let plus = raw.trim_start_matches(['(', ' ']).starts_with(['+', '＋']);
    let (text, country) = if plus {
        (format!("+{digits}"), None)
    } else if let Some(rest) = digits.strip_prefix("00") {
        (format!("+{rest}"), None)
    } else {
        (digits.clone(), region.parse::<Id>().ok())
    };
    enlarge_regex_cache();
    let number = phonenumber::parse(country, &text).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    let e164 = number.format().mode(Mode::E164).to_string();
    let id = number.country().id()?;
    Some((e164, id.as_ref().to_string()))
}

/// Regexes `phonenumber` keeps compiled. Its database compiles each metadata pattern on
/// first use into an LRU cache of 100, shared by all threads; validating numbers of a
/// few regions needs more than that, and every miss recompiles a pattern (the costliest
/// step of the contact stage when measured). A few hundred compiled patterns is a few MB.
const REGEX_CACHE: usize = 1024;

/// Loads `phonenumber`'s metadata now (tens of milliseconds), so that a run can do it
/// on a thread of its own instead of stalling the first analysis that meets a number
/// (and every other analysis thread waiting on the same load).
pub fn prepare() {
    enlarge_regex_cache();
}

fn enlarge_regex_cache() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let cache = phonenumber::metadata::DATABASE.cache();
        if let Ok(mut cache) = cache.lock() {
            *cache = regex_cache::RegexCache::new(REGEX_CACHE);
        }
    });
}

/// A `tel:`/`callto:`/`sms:` link target.
pub fn from_tel_link(href: &str, at: Where, out: &mut Vec<Contact>) {
    let number = href.split_once(':').map_or("", |(_, n)| n);
    let number = super::urls::percent_decode(number.split(['?', ';']).next().unwrap_or(""));
    if let Some((e164, country)) = parse(&number, "US") {
        out.push(Contact::new("phone", e164, href, at, "tel-link").with_country(Some(country)));
    }
}

/// The region for national numbers of one message, worked out when a number first
/// needs it (most messages have none, and the guess reads the links and the text).
pub struct Region<'a> {
    parts: &'a [TextPart],
    ctx: &'a ContactContext,
    value: std::cell::OnceCell<String>,
}

impl<'a> Region<'a> {
    pub fn new(parts: &'a [TextPart], ctx: &'a ContactContext) -> Self {
        Region {
            parts,
            ctx,
            value: std::cell::OnceCell::new(),
        }
    }

    /// A region given in advance.
    #[cfg(test)]
    pub fn fixed(region: &str) -> Region<'static> {
        static NO_CONTEXT: ContactContext = ContactContext {
            own_domains: Vec::new(),
            forged_addresses: Vec::new(),
            received_hosts: Vec::new(),
            region_hint: None,
        };
        let value = std::cell::OnceCell::new();
        let _ = value.set(region.to_string());
        Region {
            parts: &[],
            ctx: &NO_CONTEXT,
            value,
        }
    }

    pub fn get(&self) -> &str {
        self.value
            .get_or_init(|| guess_region(self.parts, self.ctx))
    }
}

/// The context's hint, else the most frequent country-code TLD among the message's link
/// hosts, else the script of its text, else `US`.
fn guess_region(parts: &[TextPart], ctx: &ContactContext) -> String {
    if let Some(hint) = ctx.region_hint.as_deref().map(str::to_ascii_uppercase)
        && hint.parse::<Id>().is_ok()
    {
        return hint;
    }
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for part in parts {
        for link in part.links.iter().take(200) {
            if let Some(cc) = cctld_region(&link.url) {
                *counts.entry(cc).or_default() += 1;
            }
        }
    }
    if let Some((cc, _)) = counts.into_iter().max_by_key(|(_, n)| *n) {
        return cc;
    }
    let sample: String = parts
        .iter()
        .flat_map(|p| p.text.chars().take(4000))
        .collect();
    script_region(&sample).unwrap_or("US").to_string()
}

fn cctld_region(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#', ':']).next()?;
    let tld = host.rsplit('.').next()?.to_ascii_uppercase();
    let tld = if tld == "UK" { "GB".to_string() } else { tld };
    // Vanity ccTLDs say nothing about where the advertiser is.
    if tld.len() != 2
        || [
            "CO", "IO", "ME", "TV", "WS", "CC", "LY", "GL", "GD", "TO", "FM", "AI", "SH", "AC",
        ]
        .contains(&tld.as_str())
    {
        return None;
    }
    tld.parse::<Id>().is_ok().then_some(tld)
}

fn script_region(sample: &str) -> Option<&'static str> {
    let count = |f: fn(char) -> bool| sample.chars().filter(|&c| f(c)).count();
    let cyr = count(|c| ('\u{400}'..='\u{4FF}').contains(&c));
    let kana = count(|c| ('\u{3040}'..='\u{30FF}').contains(&c));
    let han = count(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
    let hangul = count(|c| ('\u{AC00}'..='\u{D7AF}').contains(&c));
    let total = sample.chars().filter(|c| c.is_alphabetic()).count().max(1);
    let share = |n: usize| n * 4 >= total;
    if share(kana) {
        Some("JP")
    } else if share(han) {
        Some("CN")
    } else if share(hangul) {
        Some("KR")
    } else if share(cyr) {
        Some("RU")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phones(text: &str, region: &str) -> Vec<String> {
        let mut out = Vec::new();
        from_text(0, text, &[], &Region::fixed(region), &mut out);
        out.into_iter()
            .map(|c| format!("{}:{}", c.kind, c.value))
            .collect()
    }

    #[test]
    fn phone_formats() {
        assert_eq!(
            phones("or call 1-888-763-2497, or write", "US"),
            ["phone:+18887632497"]
        );
        assert_eq!(
            phones("Tel:(+234)80-5600-5672 -----", "US"),
            ["phone:+2348056005672"]
        );
        assert_eq!(
            phones("Phone/whatsapp Line: +380 97505 5230 URGENT", "US"),
            ["phone:+380975055230", "whatsapp:+380975055230"]
        );
        assert_eq!(
            phones("电话: +86-755-36939432", "US"),
            ["phone:+8675536939432"]
        );
        assert_eq!(
            phones("Телефон: 8 (495) 123-45-67", "RU"),
            ["phone:+74951234567"]
        );
        assert_eq!(
            phones("Mobile\n+44 7911 123456", "US"),
            ["phone:+447911123456"]
        );
        assert_eq!(
            phones("Fax: 0044 20 7946 0958", "US"),
            ["phone:+442079460958"]
        );
        assert_eq!(
            phones("Phone No.: (415) 867-5309", "US"),
            ["phone:+14158675309"]
        );
        assert_eq!(
            phones("Call us toll free at 1-888-763-2497", "US"),
            ["phone:+18887632497"]
        );
    }

    #[test]
    fn near_misses() {
        for text in [
            "Order number: 1-888-763-2497",
            "Order No. 1-888-763-2497",
            "Date: 2023-04-05 12:30",
            "MTCN: 843-221-9087",
            "Price 1 234 567.00 USD",
            "Account number: 012-879-6-034422-0",
            "from 192.168.100.200 ok",
            "Routing number: 026003269",
            "ref 555-123-4567 please",
            "postal code 10115 Berlin",
            "x 8374927493829348729384729384792 noise",
            "tracking: 1Z 999 AA1 01 2345 6784",
            "call us today 12/05/2024",
            "Total: $1,234,567.89",
            "id=4158675309&x",
        ] {
            assert!(
                phones(text, "US").is_empty(),
                "{text}: {:?}",
                phones(text, "US")
            );
        }
        // No context word and no `+`: not a phone.
        assert!(phones("Reference 4158675309", "US").is_empty());
        assert!(phones("it was 415 867 5309 times", "US").is_empty());
    }

    #[test]
    fn spaced_digits_are_obfuscation() {
        let mut out = Vec::new();
        from_text(
            0,
            "call 4 1 5 8 6 7 5 3 0 9 now",
            &[],
            &Region::fixed("US"),
            &mut out,
        );
        assert_eq!(out[0].value, "+14158675309");
        assert!(out[0].obfuscated);
    }

    #[test]
    fn regions() {
        assert_eq!(script_region("Позвоните нам сегодня"), Some("RU"));
        assert_eq!(
            cctld_region("https://shop.example.de/x").as_deref(),
            Some("DE")
        );
        assert_eq!(cctld_region("https://t.co/x"), None);
    }
}
