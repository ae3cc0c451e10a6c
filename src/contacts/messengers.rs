//! Messenger handles: ICQ, Skype, Telegram, WhatsApp, Viber, WeChat, QQ, Signal, XMPP.
//!
//! From links (`t.me/name`, `t.me/+Invite`, `wa.me/380...`, `api.whatsapp.com/send?phone=`,
//! `skype:name?call`, `viber://chat?number=`, `xmpp:user@host`, `tg://resolve?domain=`,
//! `wpa.qq.com/msgrd?uin=`) and from labelled text (`Skype: name`, `ICQ: 123456`,
//! `Telegram: @name`, `TG @name`, `QQ：12345678`, `WeChat ID: name`, `Jabber: a@b.c`).
//! A label needs a separator or an `@` handle, so "skype" as a word and "skypen" are
//! not handles. Phone-number handles (WhatsApp/Viber/Signal next to a number) are found
//! by `phones`. Values are handles without `@`; phone handles are E.164.

use std::sync::LazyLock;

use regex::Regex;

use super::phones;
use super::urls::percent_decode;
use super::{Contact, Where};

static LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)
        (?P<label>(?-u:\b)(?:skype|icq|telegram|telegramm|tg|wechat|weixin|qq|jabber|xmpp|signal)(?-u:\b)|微信|QQ号|Телеграм|Телеграмм|Скайп|Аська)
        \s*(?:id|name|number|uin|account|handle|号|\#)?\s*
        (?P<sep>[:：=]|-\s|\s)\s*
        (?P<handle>@?[\p{L}\p{N}][\p{L}\p{N}._\-]*(?:@[\p{L}\p{N}.\-]+|:[\p{L}\p{N}.\-]+)?)",
    )
    .expect("messenger regex")
});

/// Handles from labelled text.
pub fn from_text(part: usize, text: &str, out: &mut Vec<Contact>) {
    for caps in LABELLED.captures_iter(text) {
        let (Some(label), Some(sep), Some(handle)) =
            (caps.name("label"), caps.name("sep"), caps.name("handle"))
        else {
            continue;
        };
        let kind = label_kind(label.as_str());
        let written = handle.as_str().trim_end_matches(['.', '-', '_']);
        if written.len() > 128 {
            continue;
        }
        let colon = sep.as_str().trim() != "";
        let Some(value) = validate(kind, written, colon) else {
            continue;
        };
        let at = Where::new(part, handle.start(), "text");
        out.push(Contact::new(kind, value, written, at, "labelled-handle"));
    }
}

fn label_kind(label: &str) -> &'static str {
    match label.to_lowercase().as_str() {
        "skype" | "скайп" => "skype",
        "icq" | "аська" => "icq",
        "telegram" | "telegramm" | "tg" | "телеграм" | "телеграмм" => "telegram",
        "wechat" | "weixin" | "微信" => "wechat",
        "qq" | "qq号" => "qq",
        "signal" => "signal",
        _ => "xmpp",
    }
}

/// Words that follow a messenger's name in prose and are never handles.
const PROSE: &[&str] = &[
    "is",
    "and",
    "or",
    "the",
    "for",
    "with",
    "call",
    "calls",
    "chat",
    "me",
    "us",
    "now",
    "app",
    "account",
    "group",
    "channel",
    "link",
    "here",
    "https",
    "http",
    "www",
    "bot",
    "support",
    "messenger",
    "message",
    "contact",
    "video",
    "meeting",
    "free",
    "download",
    "only",
    "via",
];

/// The normalised handle, or `None` when `written` is not a plausible handle for `kind`.
fn validate(kind: &str, written: &str, colon: bool) -> Option<String> {
    let at_sign = written.starts_with('@');
    let handle = written.trim_start_matches('@');
    if PROSE.contains(&handle.to_lowercase().as_str()) {
        return None;
    }
    let digits = handle.chars().all(|c| c.is_ascii_digit());
    match kind {
        "icq" => (digits && (5..=10).contains(&handle.len())).then(|| handle.to_string()),
        "qq" => (digits && (5..=11).contains(&handle.len())).then(|| handle.to_string()),
        "telegram" => {
            let ok = (colon || at_sign) && telegram_name(handle);
            ok.then(|| handle.to_lowercase())
        }
        "skype" => {
            let live = handle.starts_with("live:") && handle.len() > 6;
            let name = handle.len() >= 6
                && handle.len() <= 32
                && handle
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && handle
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".,-_@".contains(c));
            (colon && (live || name)).then(|| handle.to_lowercase())
        }
        "wechat" => {
            let ok = colon
                && (handle.len() >= 6 && handle.len() <= 20)
                && handle
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                && handle
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
            ok.then(|| handle.to_string())
        }
        "signal" => None, // Signal handles are phone numbers, found by `phones`.
        _ => {
            let (user, host) = handle.split_once('@')?;
            (colon && !user.is_empty() && host.contains('.')).then(|| handle.to_lowercase())
        }
    }
}

fn telegram_name(h: &str) -> bool {
    (5..=32).contains(&h.len())
        && h.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The handle named by an http(s) URL (value normalised by `urls`).
pub fn from_url(url: &str, raw: &str, at: Where, out: &mut Vec<Contact>) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.trim_start_matches("www.");
    let path_only = path.split(['?', '#']).next().unwrap_or("");
    let query = path.split_once('?').map_or("", |(_, q)| q);
    let found = match host {
        "t.me" | "telegram.me" | "telegram.dog" => telegram_path(path_only),
        "wa.me" => phone_handle("whatsapp", path_only),
        "api.whatsapp.com" | "web.whatsapp.com" => phone_handle("whatsapp", &param(query, "phone")),
        "chat.whatsapp.com" => {
            (!path_only.is_empty()).then(|| ("whatsapp", format!("group/{path_only}"), None))
        }
        "signal.me" => phone_handle("signal", url.rsplit('/').next().unwrap_or("")),
        "icq.im" | "icq.com" => {
            let uin = path_only
                .trim_start_matches("people/")
                .trim_end_matches('/');
            (uin.chars().all(|c| c.is_ascii_digit()) && (5..=10).contains(&uin.len()))
                .then(|| ("icq", uin.to_string(), None))
        }
        "wpa.qq.com" => {
            let uin = param(query, "uin");
            (!uin.is_empty() && uin.chars().all(|c| c.is_ascii_digit()))
                .then_some(("qq", uin, None))
        }
        "invite.viber.com" | "viber.click" => phone_handle("viber", path_only),
        _ => None,
    };
    if let Some((kind, value, country)) = found {
        out.push(Contact::new(kind, value, raw, at, "messenger-link").with_country(country));
    }
}

fn telegram_path(path: &str) -> Option<(&'static str, String, Option<String>)> {
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    let first = segs.next()?;
    let value = match first {
        "joinchat" => format!("+{}", segs.next()?),
        "s" => segs.next()?.to_lowercase(),
        "share" | "proxy" | "socks" | "addstickers" | "iv" | "setlanguage" | "addtheme" => {
            return None;
        }
        f if f.starts_with('+') && f.len() > 4 => f.to_string(),
        f if telegram_name(f) => f.to_lowercase(),
        _ => return None,
    };
    Some(("telegram", value, None))
}

fn phone_handle(
    kind: &'static str,
    number: &str,
) -> Option<(&'static str, String, Option<String>)> {
    let digits: String = number.chars().filter(|c| c.is_ascii_digit()).collect();
    let (e164, country) = phones::parse(&format!("+{digits}"), "US")?;
    Some((kind, e164, Some(country)))
}

fn param(query: &str, key: &str) -> String {
    query
        .split('&')
        .find_map(|kv| {
            kv.split_once('=')
                .filter(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| percent_decode(v))
        })
        .unwrap_or_default()
}

/// Handles in non-http link targets: `skype:`, `viber://`, `whatsapp://`, `tg://`,
/// `xmpp:`, `weixin://`, `tencent://`.
pub fn from_uri(href: &str, at: Where, out: &mut Vec<Contact>) {
    // Split the text as written (a target without `:` has no scheme and no handle);
    // slicing by an index found in another string could cut a multi-byte character.
    let Some((scheme, rest_orig)) = href.split_once(':') else {
        return;
    };
    let (scheme, rest) = (scheme.to_ascii_lowercase(), rest_orig.to_ascii_lowercase());
    let (scheme, rest) = (scheme.as_str(), rest.as_str());
    let query = rest.split_once('?').map_or("", |(_, q)| q);
    let found = match scheme {
        "skype" => {
            let name = rest_orig
                .split('?')
                .next()
                .unwrap_or("")
                .trim_start_matches("//");
            (!name.is_empty()).then(|| ("skype", name.to_lowercase(), None))
        }
        "viber" => phone_handle("viber", &param(query, "number")),
        "whatsapp" => phone_handle("whatsapp", &param(query, "phone")),
        "tg" => {
            let d = param(query, "domain");
            telegram_name(&d).then(|| ("telegram", d.to_lowercase(), None))
        }
        "xmpp" => {
            let jid = rest
                .trim_start_matches("//")
                .split('?')
                .next()
                .unwrap_or("");
            jid.contains('@').then(|| ("xmpp", jid.to_string(), None))
        }
        "weixin" => {
            let id = rest.rsplit(['/', '?', '=']).next().unwrap_or("");
            (!id.is_empty()).then(|| ("wechat", id.to_string(), None))
        }
        "tencent" => {
            let uin = param(query, "uin");
            (!uin.is_empty() && uin.chars().all(|c| c.is_ascii_digit()))
                .then_some(("qq", uin, None))
        }
        _ => None,
    };
    if let Some((kind, value, country)) = found {
        out.push(Contact::new(kind, value, href, at, "messenger-link").with_country(country));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Vec<String> {
        let mut out = Vec::new();
        from_text(0, t, &mut out);
        out.into_iter()
            .map(|c| format!("{}:{}", c.kind, c.value))
            .collect()
    }

    fn url(u: &str) -> Vec<String> {
        let mut out = Vec::new();
        from_url(u, u, Where::new(0, 0, "href"), &mut out);
        from_uri(u, Where::new(0, 0, "href"), &mut out);
        out.into_iter()
            .map(|c| format!("{}:{}", c.kind, c.value))
            .collect()
    }

    #[test]
    fn labelled_handles() {
        assert_eq!(text("Skype: john.doe77"), ["skype:john.doe77"]);
        assert_eq!(text("ICQ: 123456789"), ["icq:123456789"]);
        assert_eq!(text("Telegram: @CryptoBoss_1"), ["telegram:cryptoboss_1"]);
        assert_eq!(text("write TG @cryptoboss now"), ["telegram:cryptoboss"]);
        assert_eq!(text("QQ：12345678"), ["qq:12345678"]);
        assert_eq!(text("WeChat ID: wxid_abc123"), ["wechat:wxid_abc123"]);
        assert_eq!(
            text("Jabber: boss@jabber.example.org"),
            ["xmpp:boss@jabber.example.org"]
        );
    }

    #[test]
    fn words_are_not_handles() {
        for t in [
            "we use Skype for meetings",
            "skypen wir morgen",
            "Skype is great",
            "Telegram channel",
            "download Telegram today",
            "the TG team",
            "qq plus",
        ] {
            assert!(text(t).is_empty(), "{t}: {:?}", text(t));
        }
    }

    #[test]
    fn links() {
        assert_eq!(url("https://t.me/lidofinance"), ["telegram:lidofinance"]);
        assert_eq!(url("https://t.me/+AbCdEf12345"), ["telegram:+AbCdEf12345"]);
        assert_eq!(url("https://t.me/joinchat/AbCdEf"), ["telegram:+AbCdEf"]);
        assert_eq!(
            url("https://wa.me/380975055230"),
            ["whatsapp:+380975055230"]
        );
        assert_eq!(
            url("https://api.whatsapp.com/send?phone=447911123456&text=hi"),
            ["whatsapp:+447911123456"]
        );
        assert_eq!(
            url("skype:live:.cid.123abc?call"),
            ["skype:live:.cid.123abc"]
        );
        assert_eq!(
            url("viber://chat?number=%2B380975055230"),
            ["viber:+380975055230"]
        );
        assert_eq!(
            url("tg://resolve?domain=cryptoboss"),
            ["telegram:cryptoboss"]
        );
        assert_eq!(
            url("xmpp:boss@jabber.example.org"),
            ["xmpp:boss@jabber.example.org"]
        );
        assert_eq!(
            url("https://wpa.qq.com/msgrd?v=3&uin=12345678&site=qq"),
            ["qq:12345678"]
        );
        assert_eq!(url("https://icq.im/123456789"), ["icq:123456789"]);
        assert_eq!(url("https://t.me/share/url?url=x"), Vec::<String>::new());
    }
}
