//! What is not advertised, and the role of what is.
//!
//! Dropped: our own domains and forged addresses (from the context), `MAILER-DAEMON` and
//! `postmaster`, hosts seen in M's Received lines, XML namespace / schema / DTD hosts,
//! image CDNs of big mail providers, and the link rewriters of the recipient's own
//! filter (Safe Links, urldefense: their target is kept). Unsubscribe and tracking links
//! stay, marked by `role`, so complaints can tell them from the spammer's own pages, and
//! so do contacts on listed hosts (mailbox providers, platforms, blocklists; see
//! [`super::platforms`]): found, but not the spammer's own domains.

use std::sync::LazyLock;

use super::platforms::{self, HostKind};
use super::{Contact, ContactContext};
use crate::hostname::in_domain;
use crate::phrases::Phrases;

static UNSUBSCRIBE_WORDS_IN: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(UNSUBSCRIBE_WORDS));
static TRACKING_PATHS_IN: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(TRACKING_PATHS));

/// Hosts (and their subdomains) of XML namespaces, schemas and DTDs.
const SCHEMA_DOMAINS: &[&str] = &[
    "w3.org",
    "schema.org",
    "purl.org",
    "xmlsoap.org",
    "openxmlformats.org",
    "xmlns.com",
    "wapforum.org",
    "openmobilealliance.org",
    "schemas.microsoft.com",
    "ns.adobe.com",
    "schemas.android.com",
    "ogp.me",
    "microsoft.com/office",
    "iptc.org",
    "xml.org",
];

/// Names reserved for documentation and tests (RFC 2606, RFC 6761): placeholders in
/// anonymised mail, never a real advertiser.
const RESERVED_DOMAINS: &[&str] = &[
    "example.com",
    "example.net",
    "example.org",
    "example",
    "test",
    "invalid",
    "localhost",
];

/// Image and static-content CDNs of big mail providers (proxied images, icons).
const MAIL_CDN_DOMAINS: &[&str] = &[
    "googleusercontent.com",
    "ggpht.com",
    "gstatic.com",
    "yimg.com",
    "imgsmail.ru",
    "mail.ru/static",
    "outlook.office365.com/owa/prem",
    "res.cdn.office.net",
    "statics.teams.cdn.office.net",
    "imagecache.mail.yahoo.com",
    "proxy.imgsmail.ru",
];

/// Link rewriters of the recipient's mail filter: the wrapper is not the spammer's.
const RECIPIENT_REWRITERS: &[&str] = &[
    "safelinks.protection.outlook.com",
    "urldefense.proofpoint.com",
    "urldefense.com",
    "linkprotect.cudasvc.com",
    "protect-eu.mimecast.com",
    "protect-us.mimecast.com",
    "protect2.fireeye.com",
    "secure-web.cisco.com",
    "clicktime.symantec.com",
];

const UNSUBSCRIBE_WORDS: &[&str] = &[
    "unsubscribe",
    "unsub",
    "optout",
    "opt-out",
    "opt_out",
    "opt out",
    "remove me",
    "removeme",
    "/remove",
    "abmelden",
    "abbestellen",
    "désabonner",
    "desabonner",
    "désinscri",
    "desinscri",
    "descadastr",
    "cancelar inscri",
    "darse de baja",
    "disiscri",
    "afmelden",
    "uitschrijven",
    "отписаться",
    "отписк",
    "退订",
    "取消订阅",
    "配信停止",
    "preferences",
    "list-manage.com/unsubscribe",
];

const TRACKING_PATHS: &[&str] = &[
    "/track/",
    "/tracking/",
    "/ls/click",
    "/wf/click",
    "/wf/open",
    "/click?",
    "/click/",
    "/open.php",
    "/o.php",
    "/pixel",
    "/beacon",
    "/trk/",
    "/t/click",
    "/e/c/",
    "/mpss/",
    "/ss/c/",
];

const TRACKING_HOST_LABELS: &[&str] = &[
    "click",
    "clicks",
    "track",
    "tracking",
    "trk",
    "links",
    "link",
    "email",
    "e",
    "em",
    "t",
    "r",
    "go",
    "clickserve",
    "ct",
    "mandrillapp",
    "sendgrid",
    "list-manage",
    "exct",
    "rs6",
    "mjt",
    "view",
    "mailing",
];

/// The role of a URL: `unsubscribe`, `tracking` or `advertised`.
pub fn role_of(url: &str, host: &str, anchor: &str) -> &'static str {
    let lower = url.to_lowercase();
    let anchor = anchor.to_lowercase();
    if UNSUBSCRIBE_WORDS_IN.any_in(&lower) || UNSUBSCRIBE_WORDS_IN.any_in(&anchor) {
        return "unsubscribe";
    }
    let first = host.split('.').next().unwrap_or("");
    let tracking_host = host.split('.').count() > 2 && TRACKING_HOST_LABELS.contains(&first);
    let tracking_provider = [
        "sendgrid.net",
        "list-manage.com",
        "mandrillapp.com",
        "mjt.lu",
        "exct.net",
        "rs6.net",
        "mailchimp.com",
        "hubspotlinks.com",
        "mcsv.net",
    ]
    .iter()
    .any(|d| in_domain(host, d));
    if tracking_host || tracking_provider || TRACKING_PATHS_IN.any_in(&lower) {
        return "tracking";
    }
    "advertised"
}

/// Drops what is not advertised.
pub fn apply(found: Vec<Contact>, ctx: &ContactContext) -> Vec<Contact> {
    let own: Vec<String> = ctx
        .own_domains
        .iter()
        .map(|d| d.trim().trim_end_matches('.').to_lowercase())
        .collect();
    let forged: Vec<String> = ctx
        .forged_addresses
        .iter()
        .map(|a| a.trim().trim_matches(['<', '>']).to_lowercase())
        .collect();
    let received: Vec<String> = ctx
        .received_hosts
        .iter()
        .map(|h| h.trim().trim_matches(['[', ']']).to_lowercase())
        .collect();
    found
        .into_iter()
        .filter(|c| keep(c, &own, &forged, &received))
        .map(listed_role)
        .collect()
}

/// The role of a contact on a listed host (`data/platforms.tsv`, `data/freemail.txt`):
/// an address at a mailbox provider is an account (`mailbox`), a link to a platform or
/// a blocklist is not the spammer's site (`platform`, `explanation`). Roles already
/// given (unsubscribe, tracking, shortener, explanation, ...) stay.
fn listed_role(mut c: Contact) -> Contact {
    if c.role != "advertised" {
        return c;
    }
    let host = match c.kind.as_str() {
        "email" => c.value.rsplit_once('@').map_or("", |(_, d)| d),
        "url" | "domain" => host(&c),
        _ => return c,
    };
    let role = match (platforms::kind_of(host), c.kind.as_str()) {
        (None, _) => return c,
        (Some(HostKind::Mailbox), "email") => "mailbox",
        (Some(HostKind::Blocklist), _) => "explanation",
        (Some(HostKind::Shortener), "url" | "domain") => "shortener",
        (Some(_), _) => "platform",
    };
    c.role = role.to_string();
    c
}

fn keep(c: &Contact, own: &[String], forged: &[String], received: &[String]) -> bool {
    match c.kind.as_str() {
        "email" => keep_email(&c.value, own, forged),
        "url" | "domain" => keep_host(host(c), &c.value, own, received),
        "xmpp" => !own.iter().any(|d| {
            c.value
                .rsplit_once('@')
                .is_some_and(|(_, h)| in_domain(h, d))
        }),
        _ => true,
    }
}

fn host(c: &Contact) -> &str {
    if c.kind == "domain" {
        return &c.value;
    }
    let rest = c
        .value
        .split_once("://")
        .map_or(c.value.as_str(), |(_, r)| r);
    let auth = rest.split(['/', '?', '#']).next().unwrap_or("");
    let h = auth.rsplit('@').next().unwrap_or(auth);
    if h.starts_with('[') {
        h
    } else {
        h.split(':').next().unwrap_or(h)
    }
}

fn keep_email(value: &str, own: &[String], forged: &[String]) -> bool {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    let robot = matches!(
        local,
        "mailer-daemon" | "postmaster" | "mailerdaemon" | "noreply-dmarc-support"
    );
    let reserved = RESERVED_DOMAINS.iter().any(|d| in_domain(domain, d));
    !robot
        && !reserved
        && !forged.iter().any(|f| f == value)
        && !own.iter().any(|d| in_domain(domain, d))
}

fn keep_host(host: &str, value: &str, own: &[String], received: &[String]) -> bool {
    let listed = |list: &[Listed]| {
        list.iter().any(|entry| {
            in_domain(host, entry.host)
                && entry
                    .path
                    .as_ref()
                    .is_none_or(|path| value.contains(path.as_str()))
        })
    };
    !own.iter().any(|d| in_domain(host, d))
        && !listed(&RESERVED_LISTED)
        && !received.iter().any(|r| r == host)
        && !listed(&SCHEMA_LISTED)
        && !listed(&MAIL_CDN_LISTED)
        && !listed(&RECIPIENT_REWRITERS_LISTED)
}

/// A list entry `host` (the host and its subdomains) or `host/path` (URLs on that host
/// whose text contains `/path`), split once rather than per contact.
struct Listed {
    host: &'static str,
    /// `/path`, with its slash.
    path: Option<String>,
}

fn split_entries(entries: &[&'static str]) -> Vec<Listed> {
    entries
        .iter()
        .map(|entry| match entry.split_once('/') {
            Some((host, path)) => Listed {
                host,
                path: Some(format!("/{path}")),
            },
            None => Listed {
                host: entry,
                path: None,
            },
        })
        .collect()
}

static RESERVED_LISTED: LazyLock<Vec<Listed>> = LazyLock::new(|| split_entries(RESERVED_DOMAINS));
static SCHEMA_LISTED: LazyLock<Vec<Listed>> = LazyLock::new(|| split_entries(SCHEMA_DOMAINS));
static MAIL_CDN_LISTED: LazyLock<Vec<Listed>> = LazyLock::new(|| split_entries(MAIL_CDN_DOMAINS));
static RECIPIENT_REWRITERS_LISTED: LazyLock<Vec<Listed>> =
    LazyLock::new(|| split_entries(RECIPIENT_REWRITERS));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::Where;

    fn c(kind: &str, value: &str) -> Contact {
        Contact::new(
            kind,
            value.to_string(),
            value,
            Where::new(0, 0, "text"),
            "test",
        )
    }

    #[test]
    fn drops_what_is_not_advertised() {
        let ctx = ContactContext {
            own_domains: vec!["victim-domain.net".into()],
            forged_addresses: vec!["<joe@forged.example>".into()],
            received_hosts: vec!["mx.bouncer.example".into()],
            region_hint: None,
        };
        let found = vec![
            c("email", "joe@forged.example"),
            c("email", "mailer-daemon@bouncer.example"),
            c("email", "info@sub.victim-domain.net"),
            c("domain", "www.w3.org"),
            c("url", "http://schemas.microsoft.com/office/2004/12/omml"),
            c("domain", "mx.bouncer.example"),
            c("domain", "ci3.googleusercontent.com"),
            c(
                "url",
                "https://eur01.safelinks.protection.outlook.com/?url=x",
            ),
            c("email", "sales@spam.example.ru"),
            c("domain", "www.example.com"),
            c("domain", "notvictim-domain.net"),
        ];
        let kept: Vec<String> = apply(found, &ctx).into_iter().map(|c| c.value).collect();
        assert_eq!(kept, ["sales@spam.example.ru", "notvictim-domain.net"]);
    }

    #[test]
    fn listed_hosts_get_roles_not_accusations() {
        let found = vec![
            c("email", "susanl2001@hotmail.com"),
            c("url", "https://www.facebook.com/some.page"),
            c("domain", "www.mail-abuse.org"),
            c("email", "sales@pills.example.ru"),
            c("url", "https://bit.ly/abc"),
        ];
        let roles: Vec<(String, String)> = apply(found, &ContactContext::default())
            .into_iter()
            .map(|c| (c.value, c.role))
            .collect();
        let role = |v: &str| {
            roles
                .iter()
                .find(|(value, _)| value == v)
                .map(|(_, r)| r.as_str())
        };
        assert_eq!(role("susanl2001@hotmail.com"), Some("mailbox"));
        assert_eq!(role("https://www.facebook.com/some.page"), Some("platform"));
        assert_eq!(role("www.mail-abuse.org"), Some("explanation"));
        assert_eq!(role("sales@pills.example.ru"), Some("advertised"));
        assert_eq!(role("https://bit.ly/abc"), Some("shortener"));
    }

    #[test]
    fn roles() {
        assert_eq!(
            role_of("https://x.example/unsubscribe?id=1", "x.example", ""),
            "unsubscribe"
        );
        assert_eq!(
            role_of(
                "https://x.example/p?id=1",
                "x.example",
                "Click here to opt out"
            ),
            "unsubscribe"
        );
        assert_eq!(
            role_of(
                "https://click.mail.x.example/?qs=1",
                "click.mail.x.example",
                ""
            ),
            "tracking"
        );
        assert_eq!(
            role_of(
                "https://u123.ct.sendgrid.net/ls/click?upn=1",
                "u123.ct.sendgrid.net",
                ""
            ),
            "tracking"
        );
        assert_eq!(role_of("https://t.me/name", "t.me", ""), "advertised");
        assert_eq!(
            role_of("https://shop.example.com/deal", "shop.example.com", "Buy"),
            "advertised"
        );
    }
}
