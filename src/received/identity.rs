//! Who wrote a Received line: the receiving organisation of a walk (its host names,
//! registrable domains, addresses), the bouncer's identity as the outer message and the
//! report show it, and the large mail providers and hosted filters (rules 3 and 6).

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::Serialize;

use super::Hop;
use super::netclass::parse_ip;

/// A large mail provider or hosted filter, recognised by its registrable domains.
#[derive(Debug)]
pub(crate) struct Provider {
    pub name: &'static str,
    pub domains: &'static [&'static str],
}

/// Well-known providers. Hosts of one provider talking to each other are internal hops
/// (rule 3); a provider that received a message as inbound MX can be traversed (rule 6).
pub(crate) const PROVIDERS: &[Provider] = &[
    Provider {
        name: "microsoft",
        domains: &[
            "outlook.com",
            "office365.com",
            "exchangelabs.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "microsoft.com",
            "outlook.cn",
        ],
    },
    Provider {
        name: "google",
        domains: &["google.com", "googlemail.com", "gmail.com", "1e100.net"],
    },
    Provider {
        name: "yahoo",
        domains: &[
            "yahoo.com",
            "yahoo.co.jp",
            "yahoo.net",
            "yahoodns.net",
            "yahoo.co.uk",
            "yahoo.fr",
            "yahoo.de",
            "ymail.com",
            "aol.com",
        ],
    },
    Provider {
        name: "amazon",
        domains: &["amazonses.com", "amazonaws.com", "amazon.com", "awsapps.com"],
    },
    Provider {
        name: "mailru",
        domains: &["mail.ru", "my.com", "list.ru", "bk.ru", "inbox.ru", "internet.ru"],
    },
    Provider {
        name: "yandex",
        domains: &["yandex.net", "yandex.ru", "yandex.com", "yandex.com.tr", "ya.ru"],
    },
    Provider {
        name: "zoho",
        domains: &["zoho.com", "zohomail.com", "zoho.eu", "zoho.in", "zohomail.eu"],
    },
    Provider {
        name: "gmx",
        domains: &["gmx.net", "gmx.com", "gmx.de", "web.de", "kundenserver.de", "ionos.com"],
    },
    Provider {
        name: "apple",
        domains: &["icloud.com", "me.com", "mac.com", "apple.com"],
    },
    Provider {
        name: "sendgrid",
        domains: &["sendgrid.net", "sendgrid.com"],
    },
    Provider {
        name: "proton",
        domains: &["protonmail.ch", "proton.ch", "protonmail.com", "proton.me"],
    },
    Provider {
        name: "fastmail",
        domains: &["messagingengine.com", "fastmail.com"],
    },
    Provider {
        name: "mimecast",
        domains: &["mimecast.com", "mimecast-offshore.com", "mimecast.co.za"],
    },
    Provider {
        name: "proofpoint",
        domains: &["pphosted.com", "ppe-hosted.com", "proofpoint.com"],
    },
    Provider {
        name: "hornetsecurity",
        domains: &["hornetsecurity.com", "hornetsecurity.de", "hornetsecurity.net"],
    },
    Provider {
        name: "barracuda",
        domains: &["barracudanetworks.com", "barracuda.com", "cudasvc.com"],
    },
    Provider {
        name: "messagelabs",
        domains: &["messagelabs.com"],
    },
    Provider {
        name: "trendmicro",
        domains: &["trendmicro.com", "trendmicro.eu", "tmes.trendmicro.com"],
    },
    Provider {
        name: "sophos",
        domains: &["sophos.com"],
    },
    Provider {
        name: "cisco",
        domains: &["iphmx.com"],
    },
    Provider {
        name: "forcepoint",
        domains: &["mailcontrol.com"],
    },
    Provider {
        name: "spamexperts",
        domains: &["spamexperts.com", "antispamcloud.com"],
    },
];

/// Lower-cased host name without a trailing dot; `None` for empty or address literals.
pub(crate) fn host_name(h: &str) -> Option<String> {
    let h = h.trim().trim_end_matches('.').to_ascii_lowercase();
    if h.is_empty() || h.starts_with('[') || parse_ip(&h).is_some() || h.len() > 253 {
        return None;
    }
    Some(h)
}

/// A name that says nothing about an organisation (`localhost`, `unknown`, a bare label).
pub(crate) fn is_generic(h: &str) -> bool {
    let h = h.to_ascii_lowercase();
    !h.contains('.') || h.starts_with("localhost") || h == "unknown" || h.ends_with(".local")
        || h.ends_with(".localdomain") || h.ends_with(".internal") || h.ends_with(".lan")
}

/// The registrable domain (public suffix + one label) of a host name.
pub(crate) fn registrable(h: &str) -> Option<String> {
    let h = host_name(h)?;
    if !h.contains('.') {
        return None;
    }
    let d = psl::domain_str(&h)?;
    Some(d.to_string())
}

/// The provider a host name belongs to.
pub(crate) fn provider_of(h: &str) -> Option<&'static str> {
    let h = host_name(h)?;
    PROVIDERS
        .iter()
        .find(|p| p.domains.iter().any(|d| h == *d || h.ends_with(&format!(".{d}"))))
        .map(|p| p.name)
}

/// First DNS label (`mx1` of `mx1.example.net`).
pub(crate) fn first_label(h: &str) -> String {
    h.split('.').next().unwrap_or(h).to_ascii_lowercase()
}

/// A receiving organisation: names, domains, providers and addresses known to be its own.
#[derive(Debug, Clone, Default)]
pub(crate) struct Org {
    pub names: BTreeSet<String>,
    pub domains: BTreeSet<String>,
    pub providers: BTreeSet<&'static str>,
    pub ips: BTreeSet<IpAddr>,
}

impl Org {
    /// Adds a host name (generic names and literals are ignored for domains).
    pub fn add_name(&mut self, h: &str) {
        let Some(name) = host_name(h) else {
            if let Some(ip) = parse_ip(h) {
                self.ips.insert(ip);
            }
            return;
        };
        if let Some(p) = provider_of(&name) {
            self.providers.insert(p);
        }
        if !is_generic(&name) {
            if let Some(d) = registrable(&name) {
                self.domains.insert(d);
            }
        }
        self.names.insert(name);
    }

    /// Adds the receiving side of a hop this organisation wrote.
    pub fn learn(&mut self, hop: &Hop) {
        if let Some(by) = &hop.by_host {
            self.add_name(by);
        }
        if let Some(ip) = hop.by_ip {
            self.ips.insert(ip);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.ips.is_empty() && self.domains.is_empty()
    }

    /// Why `h` is one of this organisation's hosts, if it is.
    pub fn owns_name(&self, h: &str) -> Option<String> {
        let name = host_name(h)?;
        if self.names.contains(&name) && !is_generic(&name) {
            return Some(format!("{name} is a known host of the organisation"));
        }
        if let Some(p) = provider_of(&name) {
            if self.providers.contains(p) {
                return Some(format!("{name} belongs to {p}, like the organisation"));
            }
        }
        let d = registrable(&name)?;
        (!is_generic(&name) && self.domains.contains(&d))
            .then(|| format!("{name} is under the organisation's domain {d}"))
    }

    /// Why this organisation wrote `hop` (its `by` host or address is the organisation's).
    pub fn wrote(&self, hop: &Hop) -> Option<String> {
        if let Some(ip) = hop.by_ip {
            if self.ips.contains(&ip) {
                return Some(format!("the receiving address {ip} is the organisation's"));
            }
        }
        hop.by_host.as_deref().and_then(|b| self.owns_name(b))
    }

    pub fn merge(&mut self, other: &Org) {
        self.names.extend(other.names.iter().cloned());
        self.domains.extend(other.domains.iter().cloned());
        self.providers.extend(other.providers.iter().copied());
        self.ips.extend(other.ips.iter().copied());
    }
}

/// Who the bouncing (or wrapping) organisation is, and how we know.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BouncerIdentity {
    /// The address our mail system recorded for it.
    pub ip: Option<String>,
    /// Host names seen on the outer message's Received lines (strong evidence).
    pub hosts: Vec<String>,
    /// Host names only the report text gives (Reporting-MTA, MAILER-DAEMON@host).
    pub report_hosts: Vec<String>,
    /// Registrable domains of all of them.
    pub domains: Vec<String>,
    /// Large providers among them.
    pub providers: Vec<String>,
}

impl BouncerIdentity {
    pub(crate) fn from_orgs(ip: Option<IpAddr>, strong: &Org, weak: &Org) -> Self {
        let mut domains: BTreeSet<String> = strong.domains.clone();
        domains.extend(weak.domains.iter().cloned());
        let mut providers: BTreeSet<&str> = strong.providers.clone();
        providers.extend(weak.providers.iter().copied());
        BouncerIdentity {
            ip: ip.map(|i| i.to_string()),
            hosts: strong.names.iter().cloned().collect(),
            report_hosts: weak.names.iter().cloned().collect(),
            domains: domains.into_iter().collect(),
            providers: providers.into_iter().map(str::to_string).collect(),
        }
    }
}

/// The host part of `dns; host` (Reporting-MTA) or of `MAILER-DAEMON@host`.
pub(crate) fn report_host(field: &str) -> Option<String> {
    let v = field.trim();
    let v = match v.split_once(';') {
        Some((_, rest)) => rest.trim(),
        None => v,
    };
    let v = v.split_whitespace().next()?;
    host_name(v.trim_matches(|c| c == '<' || c == '>' || c == '[' || c == ']'))
}

/// The host of a daemon sender (`MAILER-DAEMON@host`, `postmaster@host`, ...).
pub(crate) fn daemon_host(from: &str) -> Option<String> {
    let addr = match (from.rfind('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => &from[a + 1..b],
        _ => from.split_whitespace().find(|w| w.contains('@')).unwrap_or(from),
    };
    let (local, host) = addr.rsplit_once('@')?;
    let local = local.to_ascii_lowercase();
    let daemon = ["mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mail.daemon"];
    if !daemon.iter().any(|d| local.contains(d)) {
        return None;
    }
    host_name(host.trim_matches(|c: char| c == '>' || c.is_whitespace()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_by_domain() {
        assert_eq!(provider_of("SJ0PR02MB7325.namprd02.prod.outlook.com"), Some("microsoft"));
        assert_eq!(provider_of("mail-sor-f41.google.com."), Some("google"));
        assert_eq!(provider_of("eu-smtp-delivery-182.mimecast.com"), Some("mimecast"));
        assert_eq!(provider_of("mx.example.com"), None);
        assert_eq!(provider_of("notoutlook.com"), None);
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable("mx1.victim-domain.net").as_deref(), Some("victim-domain.net"));
        assert_eq!(registrable("a.b.example.co.jp").as_deref(), Some("example.co.jp"));
        assert_eq!(registrable("localhost"), None);
        assert_eq!(registrable("[1.2.3.4]"), None);
    }

    #[test]
    fn report_hosts() {
        assert_eq!(report_host("dns; mx.example.org").as_deref(), Some("mx.example.org"));
        assert_eq!(daemon_host("Mail Delivery System <MAILER-DAEMON@mx.example.org>").as_deref(), Some("mx.example.org"));
        assert_eq!(daemon_host("joe@example.org"), None);
    }

    #[test]
    fn org_ownership() {
        let mut org = Org::default();
        org.add_name("mx.example.org");
        assert!(org.owns_name("relay.example.org").is_some());
        assert!(org.owns_name("localhost").is_none());
        assert!(org.owns_name("mx.other.example").is_none());
    }
}
