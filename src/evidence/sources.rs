//! The standing of a source the legal memo cites: primary (the statute or the authority's
//! own site, i.e. a government or legislature domain), an archived copy of such a page, or
//! secondary (law firms, news, blogs, encyclopaedias and their mirrors, marketing sites).
//! Judged from the structure of the host name alone, against [`GOVERNMENT_LABELS`]; a
//! host the table does not recognise is secondary, so an authority's site under another
//! name is marked too weakly, never too strongly. The memo explains every mark
//! ([`LEGEND`]).

use serde::Serialize;

/// How far a cited page can be relied on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// A government or legislature domain: the law or the authority itself.
    Primary,
    /// A copy of a primary page kept by another site (a web archive).
    ArchivedPrimary,
    /// Anything else: a lead to the primary text, not proof of it.
    Secondary,
}

/// Labels that make a domain a government's or legislature's own when they are the
/// top-level domain (`ftc.gov`) or are followed only by two-letter country labels
/// (`acma.gov.au`, `soumu.go.jp`, `interieur.gouv.fr`, `crtc.gc.ca`, `dia.govt.nz`,
/// `economie.fgov.be`, `bmj.gv.at`, `admin.ch`, `bund.de`, `gob.mx`, `europa.eu`,
/// `parliament.uk`, `gouv.qc.ca`). Extend here.
pub const GOVERNMENT_LABELS: &[&str] = &[
    "gov",
    "govt",
    "gouv",
    "gob",
    "go",
    "gv",
    "gc",
    "fgov",
    "admin",
    "bund",
    "europa",
    "parliament",
];

/// What each mark in the memo means, in the order the memo lists them.
pub const LEGEND: &[(&str, &str)] = &[
    (
        "primary",
        "the statute or the authority's own site (a government or legislature domain)",
    ),
    (
        "archived primary",
        "a copy of such a page kept by a web archive; check that it is still current",
    ),
    (
        "secondary",
        "any other site (law firm, news, blog, encyclopaedia or a mirror of one, marketing site): a lead to the primary text, not proof of it",
    ),
    (
        "†",
        "in the law or authority text: a citation detail from general knowledge, not taken from a checked source",
    ),
    (
        "*unverified*",
        "in the law or authority text: that item has not been checked against any source",
    ),
];

impl Standing {
    /// The mark the memo shows (a key of [`LEGEND`]).
    pub fn mark(self) -> &'static str {
        match self {
            Standing::Primary => "primary",
            Standing::ArchivedPrimary => "archived primary",
            Standing::Secondary => "secondary",
        }
    }
}

/// The standing of a cited URL.
pub fn standing(url: &str) -> Standing {
    let (host, rest) = host_and_rest(url);
    if is_government(&host) {
        return Standing::Primary;
    }
    // An archive keeps the original URL inside its own: `…/20080916/http://www.ftc.gov/…`.
    let embedded = ["http://", "https://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme).map(|at| &rest[at..]))
        .min_by_key(|tail| std::cmp::Reverse(tail.len()));
    match embedded {
        Some(inner) if is_government(&host_and_rest(inner).0) => Standing::ArchivedPrimary,
        _ => Standing::Secondary,
    }
}

/// The lower-case host of a URL (no user, port or final dot) and what follows it.
fn host_and_rest(url: &str) -> (String, &str) {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let authority = &after_scheme[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next().unwrap_or_default();
    (
        host.trim_end_matches('.').to_ascii_lowercase(),
        &after_scheme[end..],
    )
}

fn is_government(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    if labels.last() == Some(&"gov") {
        return true;
    }
    // A government label followed only by country labels.
    (0..labels.len() - 1).any(|i| {
        GOVERNMENT_LABELS.contains(&labels[i])
            && labels[i + 1..]
                .iter()
                .all(|l| l.len() == 2 && l.bytes().all(|b| b.is_ascii_alphabetic()))
    })
}

#[cfg(test)]
mod tests {
    use super::Standing::*;
    use super::*;

    #[test]
    fn government_hosts_are_primary_and_the_rest_secondary() {
        let cases = [
            ("https://www.acma.gov.au/theACMA/reporting-spam", Primary),
            ("http://www.soumu.go.jp/main_sosiki/x.html", Primary),
            ("https://crtc.gc.ca/eng/casl-lcap.htm", Primary),
            ("http://www.ico.gov.uk./complaints/x.aspx", Primary),
            ("https://economie.fgov.be/fr/themes/spam", Primary),
            ("http://www.interieur.gouv.fr/A-votre-service", Primary),
            ("https://www.ftc.gov/spam", Primary),
            (
                "http://europa.eu/rapid/press-release_IP-05-146_en.htm",
                Primary,
            ),
            ("https://publications.parliament.uk/pa/cm/636.htm", Primary),
            ("https://www.quebec.gouv.qc.ca/x", Primary),
            ("https://admin.ch/x", Primary),
            (
                "https://webarchive.library.unt.edu/eot2008/20080916164759/http://www.ftc.gov/bcp/spam/report.html",
                ArchivedPrimary,
            ),
            (
                "https://wiki.outremer.quest/content/wikipedia_en_all_maxi_2023-10/A/CAN-SPAM_Act",
                Secondary,
            ),
            (
                "https://verticalresponse.com/blog/email-anti-spam-laws",
                Secondary,
            ),
            (
                "https://www.lexology.com/library/detail.aspx?g=1",
                Secondary,
            ),
            // A government word elsewhere in the name is no government domain.
            ("https://go.example.com/gov", Secondary),
            ("https://gov.example.org/", Secondary),
            ("https://admin.com/", Secondary),
            ("https://www.gov.example.com.evil.net/", Secondary),
            ("not a url", Secondary),
            ("", Secondary),
        ];
        for (url, expected) in cases {
            assert_eq!(standing(url), expected, "{url}");
        }
    }

    #[test]
    fn every_mark_is_explained() {
        for standing in [Primary, ArchivedPrimary, Secondary] {
            assert!(LEGEND.iter().any(|(mark, _)| *mark == standing.mark()));
        }
    }
}
