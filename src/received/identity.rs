//! Who wrote a Received line: the receiving organisation of a walk (its host names,
//! registrable domains, addresses), the bouncer's identity as the outer message and the
//! report show it, and the large mail providers and hosted filters (rules 3 and 6).

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::{LazyLock, OnceLock};

use serde::Serialize;

use mail_parser::PartType;

use crate::bounce::BounceReport;

use super::netclass::{is_public, parse_ip};
use super::parse::Field;
use super::transfer::OuterView;
use super::{Hop, TrustConfig};

/// A large mail provider or hosted filter, recognised by its registrable domains.
#[derive(Debug)]
pub(crate) struct Provider {
    pub name: &'static str,
    pub domains: &'static [&'static str],
    /// Well-known address ranges (address ownership); empty when names suffice.
    pub nets: &'static [&'static str],
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
        nets: &[
            "40.92.0.0/15",
            "40.107.0.0/16",
            "52.96.0.0/14",
            "52.100.0.0/14",
            "104.47.0.0/17",
            "65.52.0.0/14",
            "207.46.0.0/16",
            "157.55.0.0/16",
            "157.56.0.0/16",
            "134.170.0.0/16",
            "2a01:111::/32",
            "2603:1000::/24",
        ],
    },
    Provider {
        name: "google",
        domains: &["google.com", "googlemail.com", "gmail.com", "1e100.net"],
        nets: &[
            "209.85.128.0/17",
            "74.125.0.0/16",
            "64.233.160.0/19",
            "66.102.0.0/20",
            "66.249.80.0/20",
            "72.14.192.0/18",
            "108.177.0.0/17",
            "172.217.0.0/16",
            "173.194.0.0/16",
            "142.250.0.0/15",
            "2607:f8b0::/32",
            "2a00:1450::/32",
            "2404:6800::/32",
            "2800:3f0::/32",
        ],
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
        nets: &[
            "98.136.0.0/14",
            "74.6.0.0/16",
            "66.163.160.0/19",
            "66.196.64.0/18",
            "67.195.0.0/16",
            "68.180.128.0/17",
            "106.10.128.0/18",
            "124.108.96.0/19",
            "183.79.0.0/16",
            "182.22.0.0/16",
            "216.252.96.0/19",
        ],
    },
    Provider {
        name: "amazon",
        domains: &[
            "amazonses.com",
            "amazonaws.com",
            "amazon.com",
            "awsapps.com",
        ],
        nets: &[
            "54.240.0.0/18",
            "23.249.208.0/20",
            "23.251.224.0/19",
            "199.255.192.0/22",
            "199.127.232.0/22",
        ],
    },
    Provider {
        name: "mailru",
        domains: &[
            "mail.ru",
            "my.com",
            "list.ru",
            "bk.ru",
            "inbox.ru",
            "internet.ru",
        ],
        nets: &[
            "217.69.128.0/20",
            "94.100.176.0/20",
            "185.30.176.0/22",
            "128.140.168.0/21",
            "5.61.232.0/21",
        ],
    },
    Provider {
        name: "yandex",
        domains: &[
            "yandex.net",
            "yandex.ru",
            "yandex.com",
            "yandex.com.tr",
            "ya.ru",
        ],
        nets: &[],
    },
    Provider {
        name: "zoho",
        domains: &[
            "zoho.com",
            "zohomail.com",
            "zoho.eu",
            "zoho.in",
            "zohomail.eu",
        ],
        nets: &[],
    },
    Provider {
        name: "gmx",
        domains: &[
            "gmx.net",
            "gmx.com",
            "gmx.de",
            "web.de",
            "kundenserver.de",
            "ionos.com",
        ],
        nets: &[],
    },
    Provider {
        name: "apple",
        domains: &["icloud.com", "me.com", "mac.com", "apple.com"],
        nets: &[],
    },
    Provider {
        name: "sendgrid",
        domains: &["sendgrid.net", "sendgrid.com"],
        nets: &[],
    },
    Provider {
        name: "proton",
        domains: &["protonmail.ch", "proton.ch", "protonmail.com", "proton.me"],
        nets: &[],
    },
    Provider {
        name: "fastmail",
        domains: &["messagingengine.com", "fastmail.com"],
        nets: &[],
    },
    Provider {
        name: "mimecast",
        domains: &["mimecast.com", "mimecast-offshore.com", "mimecast.co.za"],
        nets: &[],
    },
    Provider {
        name: "proofpoint",
        domains: &[
            "pphosted.com",
            "ppe-hosted.com",
            "proofpoint.com",
            "ppops.net",
        ],
        nets: &[],
    },
    Provider {
        name: "hornetsecurity",
        domains: &[
            "hornetsecurity.com",
            "hornetsecurity.de",
            "hornetsecurity.net",
            "antispameurope.com",
        ],
        nets: &[],
    },
    Provider {
        name: "barracuda",
        domains: &["barracudanetworks.com", "barracuda.com", "cudasvc.com"],
        nets: &[],
    },
    Provider {
        name: "messagelabs",
        domains: &["messagelabs.com"],
        nets: &[],
    },
    Provider {
        name: "trendmicro",
        domains: &["trendmicro.com", "trendmicro.eu", "tmes.trendmicro.com"],
        nets: &[],
    },
    Provider {
        name: "sophos",
        domains: &["sophos.com"],
        nets: &[],
    },
    Provider {
        name: "cisco",
        domains: &["iphmx.com"],
        nets: &[],
    },
    Provider {
        name: "forcepoint",
        domains: &["mailcontrol.com"],
        nets: &[],
    },
    Provider {
        name: "cloudflare",
        domains: &["mxrecord.io", "mxrecord.mx"],
        nets: &[],
    },
    Provider {
        name: "titanhq",
        domains: &["spamtitan.com"],
        nets: &[],
    },
    Provider {
        name: "vade",
        domains: &["vadesecure.com"],
        nets: &[],
    },
    Provider {
        name: "retarus",
        domains: &["retarus.com", "retarus.net"],
        nets: &[],
    },
    Provider {
        name: "spamexperts",
        domains: &["spamexperts.com", "antispamcloud.com"],
        nets: &[],
    },
];

/// Lower-cased host name without a trailing dot; `None` for empty or address literals.
/// Borrowed when already in lower case (most names are).
pub(crate) fn host_name(h: &str) -> Option<Cow<'_, str>> {
    let h = h.trim().trim_end_matches('.');
    // Checked before any copy: `parse_ip` and the length ignore ASCII case.
    if h.is_empty() || h.starts_with('[') || h.len() > 253 || parse_ip(h).is_some() {
        return None;
    }
    Some(if h.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(h.to_ascii_lowercase())
    } else {
        Cow::Borrowed(h)
    })
}

/// A name that says nothing about an organisation (`localhost`, `unknown`, a bare label).
pub(crate) fn is_generic(h: &str) -> bool {
    !h.contains('.')
        || starts_with_ci(h, "localhost")
        || h.eq_ignore_ascii_case("unknown")
        || [".local", ".localdomain", ".internal", ".lan"]
            .iter()
            .any(|suffix| ends_with_ci(h, suffix))
}

/// `h.to_ascii_lowercase().starts_with(prefix)` for a lower-case ASCII `prefix`, without
/// the copy.
fn starts_with_ci(h: &str, prefix: &str) -> bool {
    h.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// `h.to_ascii_lowercase().ends_with(suffix)` for a lower-case ASCII `suffix`.
fn ends_with_ci(h: &str, suffix: &str) -> bool {
    h.len() >= suffix.len()
        && h.as_bytes()[h.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// The registrable domain (public suffix + one label) of a host name.
pub(crate) fn registrable(h: &str) -> Option<String> {
    registrable_host(&host_name(h)?)
}

/// [`registrable`] for a name already through [`host_name`].
fn registrable_host(h: &str) -> Option<String> {
    if !h.contains('.') {
        return None;
    }
    psl::domain_str(h).map(str::to_string)
}

/// Domain -> index of the first provider listing it. A name and each of its parent
/// domains are looked up, and the provider listed first wins, as in a scan of the list.
static BY_DOMAIN: LazyLock<HashMap<&'static str, usize>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (i, p) in PROVIDERS.iter().enumerate() {
        for d in p.domains {
            map.entry(*d).or_insert(i);
        }
    }
    map
});

/// The provider a host name belongs to.
pub(crate) fn provider_of(h: &str) -> Option<&'static str> {
    let h = host_name(h)?;
    provider_of_host(&h)
}

/// [`provider_of`] for a name already through [`host_name`].
fn provider_of_host(h: &str) -> Option<&'static str> {
    let parents = h.match_indices('.').map(|(i, _)| &h[i + 1..]);
    std::iter::once(h)
        .chain(parents)
        .filter_map(|d| BY_DOMAIN.get(d).copied())
        .min()
        .map(|i| PROVIDERS[i].name)
}

/// The provider that owns an address (well-known ranges only).
pub(crate) fn provider_of_ip(ip: IpAddr) -> Option<&'static str> {
    static NETS: OnceLock<Vec<(ipnetwork::IpNetwork, &'static str)>> = OnceLock::new();
    let nets = NETS.get_or_init(|| {
        PROVIDERS
            .iter()
            .flat_map(|p| {
                p.nets
                    .iter()
                    .filter_map(move |n| n.parse().ok().map(|n| (n, p.name)))
            })
            .collect()
    });
    nets.iter().find(|(n, _)| n.contains(ip)).map(|(_, p)| *p)
}

/// Whether the provider's address ranges are known here.
pub(crate) fn provider_has_nets(name: &str) -> bool {
    PROVIDERS
        .iter()
        .any(|p| p.name == name && !p.nets.is_empty())
}

/// A name that any host may carry (`localhost`, `unknown`, `mail`, `server`, ...): never
/// evidence of who wrote a line, even as an exact match.
pub(crate) fn is_placeholder(h: &str) -> bool {
    starts_with_ci(h, "localhost")
        || (!h.contains('.')
            && (h.len() < 4
                || [
                    "unknown",
                    "mail",
                    "server",
                    "smtp",
                    "mailserver",
                    "mx",
                    "host",
                    "user",
                    "exchange",
                    "gateway",
                    "relay",
                    "mailhost",
                    "default",
                ]
                .iter()
                .any(|name| h.eq_ignore_ascii_case(name))))
}

/// For a host under a private pseudo-domain (`mail01.corp.local`, `a.server.lan`), the
/// domain below its first label (`corp.local`): the public suffix list knows no owner there.
fn internal_parent(h: &str) -> Option<String> {
    let h = h.to_ascii_lowercase();
    let internal = [
        ".local",
        ".lan",
        ".internal",
        ".localdomain",
        ".intra",
        ".corp",
        ".home",
    ];
    if !internal.iter().any(|s| h.ends_with(s)) || h.starts_with("localhost") {
        return None;
    }
    let (_, parent) = h.split_once('.')?;
    parent.contains('.').then(|| parent.to_string())
}

/// A name with no organisation in it at all (`localhost`, a bare label).
pub(crate) fn is_unqualified(h: &str) -> bool {
    let h = h.to_ascii_lowercase();
    !h.contains('.') || h.starts_with("localhost")
}

fn fleet_stem(label: &str) -> String {
    label
        .trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '_')
        .to_string()
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
                self.add_ip(ip);
            }
            return;
        };
        if let Some(p) = provider_of_host(&name) {
            self.providers.insert(p);
        }
        if !is_generic(&name)
            && let Some(d) = registrable_host(&name)
        {
            self.domains.insert(d);
        }
        self.names.insert(name.into_owned());
    }

    /// Adds the receiving side of a hop this organisation wrote.
    pub fn learn(&mut self, hop: &Hop) {
        if let Some(by) = &hop.by_host {
            self.add_name(by);
        }
        if let Some(ip) = hop.by_ip {
            self.add_ip(ip);
        }
    }

    /// Adds an address of the organisation (and its provider, by address ownership).
    pub fn add_ip(&mut self, ip: IpAddr) {
        if let Some(p) = provider_of_ip(ip) {
            self.providers.insert(p);
        }
        self.ips.insert(ip);
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.ips.is_empty() && self.domains.is_empty()
    }

    /// Why `h` is one of this organisation's hosts, if it is.
    pub fn owns_name(&self, h: &str) -> Option<String> {
        let name = host_name(h)?;
        if let Some(why) = self.same_fleet(&name) {
            return Some(why);
        }
        if self.names.contains(&*name) && !is_placeholder(&name) {
            return Some(format!("{name} is a known host of the organisation"));
        }
        if let Some(parent) = internal_parent(&name)
            && self
                .names
                .iter()
                .any(|n| internal_parent(n).as_deref() == Some(parent.as_str()))
        {
            return Some(format!(
                "{name} is under the organisation's internal domain {parent}"
            ));
        }
        // `name` went through `host_name` once; a second pass changes it only when it
        // ends in blanks (`a. .`), and is skipped otherwise.
        let normal = if name.ends_with(char::is_whitespace) {
            host_name(&name)?
        } else {
            Cow::Borrowed(&*name)
        };
        if let Some(p) = provider_of_host(&normal)
            && self.providers.contains(p)
        {
            return Some(format!("{name} belongs to {p}, like the organisation"));
        }
        let d = registrable_host(&normal)?;
        (!is_generic(&name) && self.domains.contains(&d))
            .then(|| format!("{name} is under the organisation's domain {d}"))
    }

    /// An unqualified host name (`geopod-ismtpd-34`) named like one of the organisation's
    /// hosts (`geopod-ismtpd-20.example.net`): same stem before the trailing number.
    fn same_fleet(&self, name: &str) -> Option<String> {
        if !is_unqualified(name) || name.starts_with("localhost") {
            return None;
        }
        let stem = fleet_stem(name);
        if stem.len() < 6 {
            return None;
        }
        self.names
            .iter()
            .find(|n| n.contains('.') && fleet_stem(&first_label(n)) == stem)
            .map(|n| format!("{name} is named like the organisation's host {n}"))
    }

    /// Why this organisation wrote `hop` (its `by` host or address is the organisation's).
    pub fn wrote(&self, hop: &Hop) -> Option<String> {
        if let Some(ip) = hop.by_ip
            && self.ips.contains(&ip)
        {
            return Some(format!("the receiving address {ip} is the organisation's"));
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

/// The bouncer as its own Received lines show it (strong) and as the report text names it
/// (weak). For a report found inside a report (M at depth > 1, e.g. our backup MX reporting
/// that it could not deliver the bouncer's report), the identity is read from the innermost
/// report that carried M, as received by us.
pub(crate) fn bouncer_orgs(
    outer: &[u8],
    bounce: &BounceReport,
    view: &OuterView,
    ours: &Org,
    cfg: &TrustConfig,
) -> (Org, Org) {
    let depth = bounce.original.as_ref().map_or(1, |o| o.depth);
    let mut us = ours.clone();
    us.names.extend(view.walk.org.names.iter().cloned());
    us.ips.extend(view.walk.org.ips.iter().copied());
    if depth > 1 {
        let Some(inner) = nested_report(outer, depth - 1) else {
            return (Org::default(), inline_report_org(outer, bounce, &us));
        };
        let inner_view = OuterView::new(&inner, &us, cfg);
        let texts = [
            field(&inner_view.fields, "Reporting-MTA")
                .or_else(|| body_field(&inner, "Reporting-MTA")),
            field(&inner_view.fields, "From"),
        ];
        let strong = outer_org(&inner_view, &us);
        return (strong, report_org(&texts, &us));
    }
    // A report with no external peer on its own lines was read as generated (or never left
    // one provider): those lines are the bouncer's own.
    let exclude = if view.walk.origin.is_some() {
        us
    } else {
        ours.clone()
    };
    let texts = [bounce.reporting_mta.clone(), bounce.bounce_from.clone()];
    (outer_org(view, &exclude), report_org(&texts, &exclude))
}

/// Names and addresses on a report's own Received lines from the peer that handed it to us
/// downwards (all of them when no such peer is recorded), except `exclude`'s.
fn outer_org(view: &OuterView, exclude: &Org) -> Org {
    let mut org = Org::default();
    let keep = |n: &str| exclude.owns_name(n).is_none();
    let below = match view.walk.origin {
        Some(b) => {
            let h = &view.hops[b];
            for n in [&h.from_rdns, &h.from_helo].into_iter().flatten() {
                if keep(n) {
                    org.add_name(n);
                }
            }
            if let Some(ip) = h.from_ip {
                org.add_ip(ip);
            }
            b + 1
        }
        None => view.start,
    };
    for h in view.hops.iter().skip(below) {
        for n in [&h.by_host, &h.from_rdns, &h.from_helo]
            .into_iter()
            .flatten()
        {
            if keep(n) && !is_placeholder(n) {
                org.add_name(n);
            }
        }
        for ip in [h.by_ip, h.from_ip].into_iter().flatten() {
            if is_public(ip) {
                org.add_ip(ip);
            }
        }
    }
    org
}

fn report_org(texts: &[Option<String>], exclude: &Org) -> Org {
    let mut org = Org::default();
    let (mta, from) = (
        texts.first().cloned().flatten(),
        texts.get(1).cloned().flatten(),
    );
    let hosts = [
        mta.as_deref().and_then(report_host),
        from.as_deref().and_then(daemon_host),
    ];
    for h in hosts.into_iter().flatten() {
        if exclude.owns_name(&h).is_none() {
            org.add_name(&h);
        }
    }
    org
}

/// Reports copied inline (no MIME): every daemon sender and Reporting-MTA written in the
/// text names a reporting host; those that are not ours are the bouncer's.
fn inline_report_org(outer: &[u8], bounce: &BounceReport, exclude: &Org) -> Org {
    let mut org = report_org(
        &[bounce.reporting_mta.clone(), bounce.bounce_from.clone()],
        exclude,
    );
    let text = String::from_utf8_lossy(&outer[..outer.len().min(512 * 1024)]);
    for line in text.lines().take(20_000) {
        let lower = line.to_ascii_lowercase();
        let host = if lower.starts_with("reporting-mta:") {
            report_host(&line[14..])
        } else if lower.starts_with("from:") {
            daemon_host(&line[5..])
        } else {
            None
        };
        if let Some(h) = host.filter(|h| exclude.owns_name(h).is_none()) {
            org.add_name(&h);
        }
    }
    org
}

fn field(fields: &[Field], name: &str) -> Option<String> {
    fields.iter().find(|f| f.is(name)).map(|f| f.value.clone())
}

/// A `Name: value` line anywhere in a report (the delivery-status part).
fn body_field(bytes: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(256 * 1024)]);
    let prefix = format!("{}:", name.to_ascii_lowercase());
    text.lines()
        .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim().to_string())
}

/// The report `levels` message/rfc822 parts down from `outer` (first such part each time).
fn nested_report(outer: &[u8], levels: u32) -> Option<Vec<u8>> {
    let mut cur = outer.to_vec();
    for _ in 0..levels.min(8) {
        let msg = crate::mailparse::structure().parse(&cur)?;
        let inner = msg.parts.iter().skip(1).find_map(|p| match &p.body {
            PartType::Message(m) => Some(m.raw_message().to_vec()),
            _ => None,
        })?;
        cur = inner;
    }
    Some(cur)
}

/// The host part of `dns; host` (Reporting-MTA) or of `MAILER-DAEMON@host`.
pub(crate) fn report_host(field: &str) -> Option<String> {
    let v = field.trim();
    let v = match v.split_once(';') {
        Some((_, rest)) => rest.trim(),
        None => v,
    };
    let v = v.split_whitespace().next()?;
    host_name(v.trim_matches(|c| c == '<' || c == '>' || c == '[' || c == ']')).map(Cow::into_owned)
}

/// The host of a daemon sender (`MAILER-DAEMON@host`, `postmaster@host`, ...).
pub(crate) fn daemon_host(from: &str) -> Option<String> {
    let addr = match (from.rfind('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => &from[a + 1..b],
        _ => from
            .split_whitespace()
            .find(|w| w.contains('@'))
            .unwrap_or(from),
    };
    let (local, host) = addr.rsplit_once('@')?;
    let local = local.to_ascii_lowercase();
    let daemon = [
        "mailer-daemon",
        "postmaster",
        "mail-daemon",
        "mailerdaemon",
        "mail.daemon",
    ];
    if !daemon.iter().any(|d| local.contains(d)) {
        return None;
    }
    host_name(host.trim_matches(|c: char| c == '>' || c.is_whitespace())).map(Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_by_domain() {
        assert_eq!(
            provider_of("SJ0PR02MB7325.namprd02.prod.outlook.com"),
            Some("microsoft")
        );
        assert_eq!(provider_of("mail-sor-f41.google.com."), Some("google"));
        assert_eq!(
            provider_of("eu-smtp-delivery-182.mimecast.com"),
            Some("mimecast")
        );
        assert_eq!(provider_of("mx.example.com"), None);
        assert_eq!(provider_of("notoutlook.com"), None);
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(
            registrable("mx1.victim-domain.net").as_deref(),
            Some("victim-domain.net")
        );
        assert_eq!(
            registrable("a.b.example.co.jp").as_deref(),
            Some("example.co.jp")
        );
        assert_eq!(registrable("localhost"), None);
        assert_eq!(registrable("[1.2.3.4]"), None);
    }

    #[test]
    fn report_hosts() {
        assert_eq!(
            report_host("dns; mx.example.org").as_deref(),
            Some("mx.example.org")
        );
        assert_eq!(
            daemon_host("Mail Delivery System <MAILER-DAEMON@mx.example.org>").as_deref(),
            Some("mx.example.org")
        );
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
