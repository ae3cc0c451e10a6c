//! URLs and domains: link targets of HTML parts, URLs written in text (with or without
//! scheme) and bare domains (`website: EXAMPLE.NET`).
//!
//! Every URL gives a `url` contact (scheme and host lower-cased, host in punycode, rest as
//! written) and a `domain` contact for its host. Hosts written as decimal or hex numbers
//! are decoded to dotted IPv4. Redirectors whose target is inside the URL (`?url=`,
//! `google.com/url?q=`, Safe Links) are unwrapped offline; known shorteners are flagged.
//! Bare domains must end in a known public suffix and not look like file names, version
//! numbers or abbreviations.

use std::net::Ipv4Addr;
use std::sync::LazyLock;

use regex::Regex;

use super::decode::{LinkTag, TextPart};
use super::{Contact, MAX_URL_LEN, Where, emails, filter, messengers, phones};

/// A URL with scheme, a `www.` host, or a bare domain with an optional path.
static URL_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?xi)
        (?P<scheme>(?:https?|ftp)://[^\s<>"'`\x{00A0}\x{3000}]+)
        |(?P<bare>(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+[\p{L}][\p{L}\p{N}-]*[\p{L}\p{N}]
            (?::\d{1,5})?(?:/[^\s<>"'`\x{00A0}\x{3000}]*)?)"#,
    )
    .expect("url regex")
});

/// Extensions of files and scripts that look like top-level domains in text.
const FILE_EXTENSIONS: &[&str] = &[
    "pdf", "png", "jpg", "jpeg", "gif", "doc", "docx", "xls", "xlsx", "zip", "rar", "7z", "exe",
    "dll", "js", "css", "htm", "html", "php", "asp", "aspx", "jsp", "txt", "csv", "xml", "json",
    "mp3", "mp4", "avi", "mov", "wmv", "svg", "bmp", "tif", "tiff", "ppt", "pptx", "odt", "rtf",
    "eml", "msg", "ics", "vcf", "apk", "dmg", "iso", "bin", "dat", "log", "ini", "cfg", "tmp",
    "bak", "gz", "tgz", "webp", "heic", "docm", "xlsm", "scr", "bat", "cmd", "vbs", "jar", "lnk",
];

/// Script extensions that are also country-code TLDs.
const SCRIPT_EXTENSIONS: &[&str] = &["pl", "py", "sh", "rb", "ps", "md", "rs", "cc"];

/// Query keys that carry the target of a redirector.
const REDIRECT_KEYS: &[&str] = &[
    "url",
    "u",
    "q",
    "target",
    "dest",
    "destination",
    "redirect",
    "redirect_url",
    "redirect_uri",
    "redirecturl",
    "link",
    "to",
    "goto",
    "next",
    "return",
    "returnurl",
    "out",
    "href",
    "l",
    "r",
    "go",
    "continue",
    "rurl",
    "uri",
];

const MAX_UNWRAP_DEPTH: usize = 3;

/// Contacts from the link targets of one HTML part.
pub fn from_links(part: &TextPart, out: &mut Vec<Contact>) {
    for link in &part.links {
        if matches!(link.tag, LinkTag::Image | LinkTag::LinkElement) {
            continue;
        }
        let field = if link.tag == LinkTag::Form {
            "action"
        } else {
            "href"
        };
        let at = Where::new(part.index, link.index, field);
        let lower = link.url.get(..12).unwrap_or(&link.url).to_ascii_lowercase();
        if lower.starts_with("mailto:") {
            emails::from_mailto(&link.url, at, out);
        } else if lower.starts_with("tel:")
            || lower.starts_with("callto:")
            || lower.starts_with("sms:")
        {
            phones::from_tel_link(&link.url, at, out);
        } else if let Some(url) = absolute(&link.url) {
            let role = if link.tag == LinkTag::Form {
                Some("form")
            } else {
                None
            };
            emit_url(&url, &link.url, at, "href", role, &link.anchor_text, 0, out);
        } else {
            messengers::from_uri(&link.url, at, out);
        }
    }
}

/// `https://...` as is, protocol-relative `//host/...` as `https:`; else `None`.
fn absolute(url: &str) -> Option<String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        Some(url.to_string())
    } else if url.starts_with("//") {
        Some(format!("https:{url}"))
    } else {
        None
    }
}

/// URLs, `www.` hosts and bare domains in text; returns the byte spans of what it took,
/// so e-mail and phone extraction can skip what is inside a URL.
pub fn from_text(part: usize, text: &str, out: &mut Vec<Contact>) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for m in URL_IN_TEXT.find_iter(text) {
        let before = text[..m.start()].chars().next_back();
        let glued = before.is_some_and(|c| c.is_alphanumeric());
        if glued
            || matches!(
                before,
                Some('@' | '.' | '-' | '_' | '/' | '=' | '%' | '&' | '+')
            )
        {
            // Part of an e-mail address, a path or a longer token.
            spans.push((m.start(), m.end()));
            continue;
        }
        let raw = trim_trailing(cap_len(m.as_str()));
        if text[m.start() + raw.len()..].starts_with('@') {
            // The local part of an e-mail address (`info.shop@example.com`).
            continue;
        }
        let at = Where::new(part, m.start(), "text");
        let scheme = raw.contains("://");
        if scheme {
            spans.push((m.start(), m.start() + raw.len()));
            emit_url(raw, raw, at, "text-url", None, "", 0, out);
        } else if !raw.contains('/')
            && (names_a_sender(&text[..m.start()])
                || company_name(&text[..m.start()], &text[m.start() + raw.len()..]))
        {
            // "a message from Example.com", "sent by example.net": who sent it, not
            // something to visit.
            continue;
        } else if let Some(taken) = bare(raw, at, out) {
            spans.push((m.start(), m.start() + taken));
        }
    }
    spans
}

/// The text before a bare domain ends with "from" or "by".
fn names_a_sender(before: &str) -> bool {
    let tail = before
        .get(before.len().saturating_sub(8)..)
        .unwrap_or(before)
        .trim_end()
        .to_ascii_lowercase();
    tail.ends_with(" from") || tail.ends_with(" by") || tail == "from" || tail == "by"
}

/// `pos` lies inside one of `spans` (sorted by start, not overlapping).
pub fn in_spans(spans: &[(usize, usize)], pos: usize) -> bool {
    let n = spans.partition_point(|&(s, _)| s <= pos);
    n > 0 && pos < spans[n - 1].1
}

/// "© 2024 Example.com, Inc.", "Example.com LLC": a company's name, not a site to visit.
fn company_name(before: &str, after: &str) -> bool {
    let mut from = before.len().saturating_sub(24);
    while !before.is_char_boundary(from) {
        from += 1;
    }
    let before = before[from..].to_lowercase();
    let after: String = after.chars().take(8).collect::<String>().to_lowercase();
    let after = after.trim_start_matches([',', ' ']);
    let suffixes = [
        "inc", "llc", "ltd", "corp", "gmbh", "s.a.", "plc", "limited",
    ];
    before.contains('©')
        || before.contains("copyright")
        || before.contains("(c)")
        || suffixes.iter().any(|s| after.starts_with(s))
}

/// Cuts punctuation that ends the sentence rather than the URL; keeps balanced `)`.
fn trim_trailing(raw: &str) -> &str {
    let mut s = raw;
    loop {
        let Some(last) = s.chars().next_back() else {
            return s;
        };
        let cut = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '*' | '»' | '”' | '’' | '>' | '\\' => {
                true
            }
            ')' => s.matches('(').count() < s.matches(')').count(),
            ']' => s.matches('[').count() < s.matches(']').count(),
            '}' => s.matches('{').count() < s.matches('}').count(),
            _ => false,
        };
        if !cut {
            return s;
        }
        s = &s[..s.len() - last.len_utf8()];
    }
}

/// Country-code TLDs that are also short words ("sign.in", "a praia.de"): a bare
/// two-label lower-case name ending in one is prose missing a space.
const WORDLIKE_TLDS: &[&str] = &[
    "de", "in", "to", "me", "is", "it", "at", "be", "no", "on", "us", "my", "so", "do", "go", "la",
    "le", "es", "se", "am", "an", "as", "by", "if", "or", "of", "im", "ne", "na", "en", "et", "un",
    "da", "di", "du", "el", "lu", "tu", "ma", "si", "om", "hr", "ml", "mg", "pm",
];

/// A bare domain (optionally with a path): returns how many bytes it used, if accepted.
fn bare(raw: &str, at: Where, out: &mut Vec<Contact>) -> Option<usize> {
    // "surwww.example.ma": a word glued to `www.`.
    let (raw, at) = match raw.to_ascii_lowercase().find("www.") {
        Some(i) if i > 0 && !raw[..i].contains('.') => {
            (&raw[i..], Where::new(at.part, at.offset + i, &at.field))
        }
        _ => (raw, at),
    };
    let host_end = raw.find(['/', ':']).unwrap_or(raw.len());
    let host = &raw[..host_end];
    let has_path = host_end < raw.len() && raw[host_end..].starts_with('/');
    if !plausible_bare_host(host, has_path) {
        return None;
    }
    let lower = host.to_lowercase();
    if has_path || lower.starts_with("www.") {
        let url = format!("http://{raw}");
        emit_url(&url, raw, at, "schemeless-url", None, "", 0, out);
    } else {
        emit_domain(host, &at, "bare-domain", "advertised", out);
    }
    Some(raw.len())
}

/// Text like `invoice.pdf`, `v1.2.3`, `e.g.` or `hello.World` is no domain.
fn plausible_bare_host(host: &str, has_path: bool) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let tld = labels.last().copied().unwrap_or("");
    if labels.len() < 2
        || tld.chars().count() < 2
        || labels.iter().any(|l| l.is_empty() || l.len() > 63)
    {
        return false;
    }
    let tld_lower = tld.to_lowercase();
    if FILE_EXTENSIONS.contains(&tld_lower.as_str()) {
        return false;
    }
    // Script names whose extension is also a country's TLD (`stats.pl`, `setup.py`)
    // count as domains only when written like one (`www.` or a path).
    let www = host.to_ascii_lowercase().starts_with("www.");
    if SCRIPT_EXTENSIONS.contains(&tld_lower.as_str()) && !www && !has_path {
        return false;
    }
    // Either all lower case (example.com), all upper case (EXAMPLE.NET) or a
    // capitalised first label (Example.com); `end.Thanks` is two sentences.
    let lower_tld = tld.chars().all(|c| !c.is_uppercase());
    let all_upper = host.chars().all(|c| !c.is_lowercase());
    if !lower_tld && !all_upper {
        return false;
    }
    if !lower_tld && labels.len() == 2 && labels[0].chars().count() < 3 {
        return false;
    }
    let prose =
        !has_path && labels.len() == 2 && lower_tld && labels[0].chars().all(char::is_alphabetic);
    if prose && WORDLIKE_TLDS.contains(&tld_lower.as_str()) {
        return false;
    }
    known_suffix(&to_ascii_host(&host.to_lowercase()).unwrap_or_default())
}

/// The host has a public suffix that is in the list and a registrable domain.
pub fn known_suffix(host: &str) -> bool {
    match psl::domain(host.as_bytes()) {
        Some(d) => d.suffix().is_known(),
        None => false,
    }
}

/// Registrable domain (public suffix + one label) of an ASCII host.
pub fn registrable(host: &str) -> Option<String> {
    let d = psl::domain(host.as_bytes())?;
    if !d.suffix().is_known() {
        return None;
    }
    std::str::from_utf8(d.as_bytes()).ok().map(str::to_string)
}

/// Lower-case ASCII (punycode) form of a host name.
pub fn to_ascii_host(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.');
    if host.is_ascii() {
        return Some(host.to_ascii_lowercase());
    }
    idna::domain_to_ascii(host).ok()
}

/// The host part of an absolute URL, and where it starts in the URL.
fn host_of(url: &str) -> Option<(usize, &str)> {
    let after = url.find("://")? + 3;
    let rest = &url[after..];
    let auth_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let auth = &rest[..auth_end];
    let host_start = auth.rfind('@').map_or(0, |i| i + 1);
    let hostport = &auth[host_start..];
    let host = if hostport.starts_with('[') {
        hostport.find(']').map_or(hostport, |i| &hostport[..=i])
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    Some((after + host_start, host))
}

/// A host that is an IPv4 address written as one decimal or hex number, or dotted with
/// hex/octal parts: the dotted-quad form and the rule.
pub fn numeric_ipv4(host: &str) -> Option<(String, &'static str)> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() == 1 {
        let value = parse_num(parts[0])?;
        let ip = Ipv4Addr::from(u32::try_from(value).ok()?);
        let rule = if parts[0].starts_with("0x") || parts[0].starts_with("0X") {
            "hex-ip"
        } else {
            "decimal-ip"
        };
        return (value >= 1 << 24).then(|| (ip.to_string(), rule));
    }
    if parts.len() != 4
        || parts.iter().all(|p| {
            p.parse::<u8>()
                .is_ok_and(|_| !p.starts_with('0') || p.len() == 1)
        })
    {
        return None;
    }
    let octets: Option<Vec<u8>> = parts
        .iter()
        .map(|p| parse_num(p).and_then(|v| u8::try_from(v).ok()))
        .collect();
    let o = octets?;
    Some((
        Ipv4Addr::new(o[0], o[1], o[2], o[3]).to_string(),
        "hex-octal-ip",
    ))
}

fn parse_num(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 12 {
        return None;
    }
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if s.len() > 1 && s.starts_with('0') {
        return u64::from_str_radix(&s[1..], 8).ok();
    }
    s.parse().ok()
}

/// Normalised host: (value, registrable domain, decoding rule for numeric IPs).
fn normal_host(host: &str) -> Option<(String, Option<String>, Option<&'static str>)> {
    if host.starts_with('[') {
        return Some((host.to_ascii_lowercase(), None, None));
    }
    if host.parse::<Ipv4Addr>().is_ok() {
        return Some((host.to_string(), None, None));
    }
    if let Some((ip, rule)) = numeric_ipv4(host) {
        return Some((ip, None, Some(rule)));
    }
    let ascii = to_ascii_host(host)?;
    if ascii.is_empty() || !ascii.contains('.') || !known_suffix(&ascii) {
        return None;
    }
    let reg = registrable(&ascii);
    Some((ascii, reg, None))
}

/// Emits the `url` and `domain` contacts of one absolute URL, the messenger handle it
/// names, and the target of a redirector.
#[allow(clippy::too_many_arguments)]
pub fn emit_url(
    url: &str,
    raw: &str,
    at: Where,
    how: &str,
    role: Option<&str>,
    anchor: &str,
    depth: usize,
    out: &mut Vec<Contact>,
) {
    let url = cap_len(url);
    let Some((host_at, host)) = host_of(url) else {
        return;
    };
    let Some((host_value, reg, ip_rule)) = normal_host(host) else {
        return;
    };
    let scheme = url[..url.find("://").unwrap_or(0)].to_ascii_lowercase();
    let value = format!("{scheme}://{host_value}{}", &url[host_at + host.len()..]);
    let target = (depth < MAX_UNWRAP_DEPTH)
        .then(|| redirect_target(url))
        .flatten();
    let role = role.unwrap_or_else(|| {
        if target.is_some() {
            "redirector"
        } else if super::platforms::is_shortener(&host_value) {
            "shortener"
        } else {
            filter::role_of(&value, &host_value, anchor)
        }
    });
    let ip_rules = ip_rule.unwrap_or("");
    out.push(
        Contact::new("url", value.clone(), cap_len(raw), at.clone(), how)
            .with_role(role)
            .with_registrable(reg.clone())
            .with_obfuscation(ip_rules),
    );
    let host_where = if at.field == "text" {
        Where::new(at.part, at.offset + raw.find(host).unwrap_or(0), "text")
    } else {
        at.clone()
    };
    out.push(
        Contact::new("domain", host_value, host, host_where, how)
            .with_role(role)
            .with_registrable(reg)
            .with_obfuscation(ip_rules),
    );
    messengers::from_url(&value, raw, at.clone(), out);
    if let Some(target) = target {
        let how = format!("{how}+redirect-unwrapped");
        emit_url(&target, raw, at, &how, None, anchor, depth + 1, out);
    }
}

fn emit_domain(host: &str, at: &Where, how: &str, role: &str, out: &mut Vec<Contact>) {
    let Some((value, reg, _)) = normal_host(host) else {
        return;
    };
    out.push(
        Contact::new("domain", value, host, at.clone(), how)
            .with_role(role)
            .with_registrable(reg),
    );
}

fn cap_len(s: &str) -> &str {
    if s.len() <= MAX_URL_LEN {
        return s;
    }
    let mut cut = MAX_URL_LEN;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

/// The absolute URL a redirector carries in its query or path, if any.
pub fn redirect_target(url: &str) -> Option<String> {
    let (before_query, query) = url.split_once('?').unwrap_or((url, ""));
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if !REDIRECT_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
            continue;
        }
        let decoded = percent_decode(value);
        let decoded = if decoded.contains("%3A") || decoded.contains("%3a") {
            percent_decode(&decoded)
        } else {
            decoded
        };
        if let Some(t) = absolute_http(&decoded) {
            return Some(t);
        }
    }
    // Path-embedded targets: /redirect/https://..., urldefense's /v3/__https://...__;
    // The scheme's `://` is looked for before the query: one inside the query (a target
    // URL) would put the start past the end of the path.
    let path_start = before_query.find("://").map_or(0, |i| i + 3);
    let path = &before_query[path_start..];
    let lower = path.to_ascii_lowercase();
    for marker in ["/__http", "/http", "%2fhttp"] {
        if let Some(i) = lower.find(marker) {
            let tail = &url[path_start + i + marker.len() - 4..];
            let tail = tail.split("__;").next().unwrap_or(tail);
            // An encoded target (`http:%2F%2Fhost%2Fpath`) ends where the wrapper's own
            // path resumes with a literal `/` (Amazon SES `/L0/<target>/1/<id>`).
            let encoded = tail
                .get(..12)
                .is_some_and(|h| h.to_ascii_lowercase().contains(":%2f%2f"));
            let tail = if encoded {
                tail.split('/').next().unwrap_or(tail)
            } else {
                tail
            };
            if let Some(t) = absolute_http(&percent_decode(tail)) {
                return Some(t);
            }
        }
    }
    None
}

fn absolute_http(s: &str) -> Option<String> {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let fixed = if lower.starts_with("http:/") && !lower.starts_with("http://") {
        format!("http://{}", &s[6..])
    } else if lower.starts_with("https:/") && !lower.starts_with("https://") {
        format!("https://{}", &s[7..])
    } else {
        s.to_string()
    };
    let l = fixed.get(..8).unwrap_or(&fixed).to_ascii_lowercase();
    let ok = (l.starts_with("http://") || l.starts_with("https://"))
        && host_of(&fixed).is_some_and(|(_, h)| h.contains('.'));
    ok.then(|| {
        fixed
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_string()
    })
}

/// Decodes `%XX` escapes (and `+` as space is left alone); invalid escapes are kept.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        from_text(0, text, &mut out);
        out.into_iter()
            .filter(|c| c.kind == "domain")
            .map(|c| c.value)
            .collect()
    }

    #[test]
    fn urls_and_bare_domains() {
        assert_eq!(
            hosts("see htTP://LBlpo.bbb2shop.com/x.php?e=a@b.example."),
            ["lblpo.bbb2shop.com"]
        );
        assert_eq!(
            hosts("website: EXAMPLE.NET, or CRYPTONCOIN.NET"),
            ["example.net", "cryptoncoin.net"]
        );
        assert_eq!(
            hosts("go to www.shop.example.com/deal (today)"),
            ["www.shop.example.com"]
        );
        assert_eq!(hosts("(http://a.example.org/x_(y))."), ["a.example.org"]);
        assert_eq!(hosts("join t.me/somechannel now"), ["t.me"]);
        assert_eq!(hosts("see www.onet.pl"), ["www.onet.pl"]);
        assert_eq!(
            hosts("billets surwww.oncf-voyages.ma"),
            ["www.oncf-voyages.ma"]
        );
        assert_eq!(
            hosts("visit www.spiegel.de or golemcoin.net"),
            ["www.spiegel.de", "golemcoin.net"]
        );
        assert_eq!(hosts("http://münchen.de/x"), ["xn--mnchen-3ya.de"]);
    }

    #[test]
    fn near_misses_are_not_domains() {
        for text in [
            "see invoice.pdf and image.png",
            "version 1.2.3 or v2.0.1",
            "e.g. this, i.e. that",
            "end of it.Thanks to all",
            "colour #ff0000 and 12.50 USD",
            "U.S.A. and a.m.",
            "mail me at john@example.com",
            "file report.docx",
            "dGhpcyBpcyBub2lzZQ==.AbCdEf",
            "Unusual sign.in activity",
            "contra a praia.de pagamento",
            "a message from Example.com",
            "© 2024 Amazon.com, Inc. or its affiliates",
            "Shop.com LLC",
            "run ses-get-stats.pl or setup.py",
        ] {
            assert!(hosts(text).is_empty(), "{text}: {:?}", hosts(text));
        }
    }

    #[test]
    fn numeric_hosts() {
        assert_eq!(
            numeric_ipv4("3520653040"),
            Some(("209.216.230.240".into(), "decimal-ip"))
        );
        assert_eq!(
            numeric_ipv4("0xD1D8E6F0"),
            Some(("209.216.230.240".into(), "hex-ip"))
        );
        assert_eq!(
            numeric_ipv4("0xd1.0330.230.240"),
            Some(("209.216.230.240".into(), "hex-octal-ip"))
        );
        assert_eq!(numeric_ipv4("1.2.3.4"), None);
        let mut out = Vec::new();
        from_text(0, "http://3520653040/x", &mut out);
        assert_eq!(out[1].value, "209.216.230.240");
        assert!(out[1].obfuscated);
    }

    #[test]
    fn redirectors() {
        assert_eq!(
            redirect_target("https://www.google.com/url?q=https%3A%2F%2Fevil.example%2Fp&sa=D")
                .as_deref(),
            Some("https://evil.example/p")
        );
        assert_eq!(redirect_target("https://eur01.safelinks.protection.outlook.com/?url=http%3A%2F%2Fx.example%2F&data=1").as_deref(), Some("http://x.example/"));
        assert_eq!(
            redirect_target("https://r.example/redirect/https://t.example/a").as_deref(),
            Some("https://t.example/a")
        );
        assert_eq!(redirect_target("https://shop.example/?q=shoes"), None);
        assert_eq!(
            redirect_target("http://x.r.eu-west-1.awstrack.me/L0/https:%2F%2Fwww.evil.example%2Fc%3Ft=1/1/0102-000000/abc=331").as_deref(),
            Some("https://www.evil.example/c?t=1")
        );
        let mut out = Vec::new();
        from_text(0, "https://bit.ly/3abc", &mut out);
        assert_eq!(out[0].role, "shortener");
    }
}
