//! MTA families and non-standard bounce wording: names the software or service that wrote
//! a bounce (`postfix`, `exim`, `qmail`, `exchange`, `office365`, `gmail`, ...) from its
//! headers and report text, and reads the failed recipients and the diagnostic a bounce
//! states in prose (`X-Failed-Recipients`, an address alone on a line, SMTP reply lines).

use std::sync::LazyLock;

use super::RecipientStatus;
use crate::phrases::Phrases;

/// (family, needles): the first family with a needle in the headers or text wins.
/// Needles are lower case; specific services come before the generic MTAs they run on.
const FAMILIES: &[(&str, &[&str])] = &[
    ("amazonses", &["amazonses.com", "x-ses-outgoing"]),
    (
        "amazonworkmail",
        &[
            "awsapps.com",
            "amazon workmail",
            "x-mailer: amazon workmail",
        ],
    ),
    ("sendgrid", &["sendgrid"]),
    ("mimecast", &["mimecast"]),
    (
        "office365",
        &[
            "protection.outlook.com",
            "outlook.office365.com",
            "prod.outlook.com",
            "microsoft 365",
        ],
    ),
    (
        "outlook",
        &[
            "postmaster@outlook.com",
            "postmaster@hotmail.com",
            "postmaster@mail.hotmail.com",
            "postmaster@live.com",
        ],
    ),
    ("googlegroups", &["googlegroups.com", "google groups"]),
    (
        "gmail",
        &[
            "mailer-daemon@googlemail.com",
            "mailer-daemon@google.com",
            "google tried to deliver",
            "gsmtp",
            "delivery to the following recipient failed permanently",
        ],
    ),
    ("yahoo", &["yahoo.com", "yahoo.co.jp", "yahoo!"]),
    ("aol", &["aol.com"]),
    (
        "apple",
        &[
            "icloud.com",
            "me.com",
            "oracle communications messaging server",
            "sun java(tm) system messaging server",
        ],
    ),
    ("mailru", &["mail.ru", "corp.mail.ru"]),
    ("yandex", &["yandex"]),
    ("gmx", &["gmx.net", "gmx.de", "web.de", "gmx.com"]),
    ("zoho", &["zoho"]),
    ("facebook", &["facebook.com"]),
    ("verizon", &["vtext.com", "verizon"]),
    ("ezweb", &["ezweb.ne.jp"]),
    ("kddi", &["kddi"]),
    ("docomo", &["docomo.ne.jp"]),
    ("mcafee", &["mcafee", "x-nai-header"]),
    ("mailmarshal", &["mailmarshal"]),
    ("mfilter", &["m-filter"]),
    ("amavis", &["amavis"]),
    ("imail", &["smtp32", "imail"]),
    ("domino", &["domino"]),
    ("notes", &["lotus notes", "------- failure reasons"]),
    (
        "exchange",
        &[
            "x-ms-exchange",
            "microsoft exchange",
            "microsoft smtp server",
            "x-mimeole: produced by microsoft exchange",
            "delivery has failed to these recipients",
        ],
    ),
    ("courier", &["courier mail server", "courier-mta"]),
    ("opensmtpd", &["opensmtpd", "this is the mailer-daemon at"]),
    ("dma", &["dragonfly mail agent"]),
    ("apachejames", &["james"]),
    ("fml", &["fml "]),
    ("qmail", &["qmail-send", "qmail"]),
    (
        "exim",
        &[
            "exim",
            "this message was created automatically by mail delivery software",
        ],
    ),
    ("postfix", &["postfix", "this is the mail system at host"]),
    (
        "sendmail",
        &[
            "sendmail",
            "transcript of session follows",
            "unsent message follows",
            "the original message was received at",
        ],
    ),
];

/// Services recognised by the domain of the bounce's sender.
const SENDER_DOMAINS: &[(&str, &str)] = &[
    ("googlegroups.com", "googlegroups"),
    ("googlemail.com", "gmail"),
    ("google.com", "gmail"),
    ("gmail.com", "gmail"),
    ("yahoo", "yahoo"),
    ("outlook.com", "outlook"),
    ("hotmail.", "outlook"),
    ("live.com", "outlook"),
    ("mail.ru", "mailru"),
    ("yandex", "yandex"),
    ("gmx.", "gmx"),
    ("web.de", "gmx"),
    ("zoho", "zoho"),
    ("icloud.com", "apple"),
    ("me.com", "apple"),
    ("mac.com", "apple"),
    ("facebook", "facebook"),
    ("vtext.com", "verizon"),
    ("ezweb.ne.jp", "ezweb"),
    ("docomo.ne.jp", "docomo"),
    ("aol.com", "aol"),
    ("amazonses.com", "amazonses"),
    ("sendgrid.net", "sendgrid"),
    ("mimecast", "mimecast"),
    ("bigfoot.com", "bigfoot"),
];

/// Phrases with which bounce software names itself in its own report text.
const SELF_NAMED: &[(&str, &str)] = &[
    ("google groups", "googlegroups"),
    ("dragonfly mail agent", "dma"),
    ("qmail-send program", "qmail"),
    ("this is the mail system at host", "postfix"),
    ("created automatically by mail delivery software", "exim"),
    (
        "this is the mailer-daemon, please do not reply",
        "opensmtpd",
    ),
    ("courier mail server", "courier"),
    ("google tried to deliver", "gmail"),
    (
        "delivery to the following recipient failed permanently",
        "gmail",
    ),
    ("delivery has failed to these recipients", "exchange"),
    ("your message did not reach some or all", "exchange"),
    ("------- failure reasons", "notes"),
    ("m-filter", "mfilter"),
    ("mailmarshal", "mailmarshal"),
];

/// Names the MTA family: a service known by the sender's domain, then the software's own
/// wording in the report text (before the returned copy), then markers in the report's
/// headers, then any marker in its text, in `FAMILIES` order.
pub fn family(sender: &str, headers: &str, text: &str) -> Option<String> {
    let domain = sender
        .rsplit_once('@')
        .map_or("", |(_, d)| d)
        .to_ascii_lowercase();
    let by_sender = SENDER_DOMAINS
        .iter()
        .find(|(d, _)| !domain.is_empty() && domain.contains(d))
        .map(|(_, f)| *f);
    let by_self = SELF_NAMED_IN.first_in(text).map(|i| SELF_NAMED[i].1);
    let found = match (by_sender, by_self) {
        (Some("gmail"), Some("googlegroups")) => Some("googlegroups"),
        (Some(f), _) | (None, Some(f)) => Some(f),
        (None, None) => None,
    };
    found
        .or_else(|| family_marked_in(headers))
        .or_else(|| family_marked_in(text))
        .map(str::to_string)
}

static SELF_NAMED_IN: LazyLock<Phrases> =
    LazyLock::new(|| Phrases::new(&SELF_NAMED.iter().map(|(n, _)| *n).collect::<Vec<_>>()));

/// Every `FAMILIES` needle in one list, with the family it names, in `FAMILIES` order.
static FAMILY_NEEDLES: LazyLock<(Phrases, Vec<&'static str>)> = LazyLock::new(|| {
    let (needles, families): (Vec<&str>, Vec<&str>) = FAMILIES
        .iter()
        .flat_map(|(family, needles)| needles.iter().map(move |n| (*n, *family)))
        .unzip();
    (Phrases::new(&needles), families)
});

/// The first family in `FAMILIES` order with a needle in `text`.
fn family_marked_in(text: &str) -> Option<&'static str> {
    let (needles, families) = &*FAMILY_NEEDLES;
    needles.first_in(text).map(|i| families[i])
}

/// Recipients named by `X-Failed-Recipients` (comma separated).
pub fn failed_recipients(value: &str) -> Vec<RecipientStatus> {
    value
        .split([',', ' '])
        .map(|a| a.trim().trim_start_matches('<').trim_end_matches('>'))
        .filter(|a| a.contains('@'))
        .map(|a| RecipientStatus {
            final_recipient: Some(a.to_string()),
            action: Some("failed".into()),
            ..Default::default()
        })
        .collect()
}

/// Recipients and diagnostics stated in prose: an address alone on a line (optionally in
/// angle brackets or followed by `:`), or `Unknown user: addr`, with the SMTP reply or
/// explanation on the following lines.
pub fn prose_recipients(text: &str, exclude: &[String]) -> Vec<RecipientStatus> {
    let mut out: Vec<RecipientStatus> = Vec::new();
    let lines: Vec<&str> = prose_lines(text).collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(addr) = lone_address(line) else {
            continue;
        };
        if summary_line(&lines, i) {
            continue;
        }
        if out
            .iter()
            .any(|r| r.final_recipient.as_deref() == Some(&addr))
        {
            continue;
        }
        let diagnostic = lines[i + 1..]
            .iter()
            .take(4)
            .map(|l| l.trim())
            .take_while(|l| !l.is_empty() && lone_address(l).is_none())
            .collect::<Vec<_>>()
            .join(" ");
        // An excluded address (the bounce's own addressee) counts only when the lines
        // right below it state its failure (a sender who wrote to itself).
        let bare = line
            .trim()
            .trim_start_matches('<')
            .get(..addr.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(&addr));
        if exclude.iter().any(|e| e.eq_ignore_ascii_case(&addr))
            && !(bare && states_failure(&diagnostic.to_ascii_lowercase()))
        {
            continue;
        }
        let inline_diag = line
            .split_once(':')
            .map(|(a, _)| a.trim())
            .filter(|a| !a.contains('@') && !a.is_empty() && !is_label(a));
        let diagnostic = inline_diag
            .map(str::to_string)
            .or((!diagnostic.is_empty()).then_some(diagnostic));
        out.push(RecipientStatus {
            final_recipient: Some(addr),
            diagnostic,
            ..Default::default()
        });
        if out.len() >= 64 {
            break;
        }
    }
    out
}

/// Words that make a line about an address a statement of failure.
const FAILURE_WORDS: &[&str] = &[
    "deliver",
    "unknown",
    "fail",
    "reject",
    "invalid",
    "not a valid",
    "no longer",
    "did not reach",
    "could not reach",
    "exceed",
    "full",
    "not found",
    "not exist",
    "no such",
    "error",
    "could not",
    "unable",
    "refused",
    "denied",
    "timed out",
    "quota",
    "550",
    "554",
    "553",
    "552",
    "551",
    "5.1.",
    "5.2.",
    "5.7.",
    "4.4.",
];

/// Recipients of an SMTP session transcript (`In: RCPT TO:<addr>`, `>>> RCPT To:<addr>`)
/// in which the server answered a 4xx/5xx reply at or after that command: every
/// recipient given before the failing reply was refused with the message.
pub fn transcript_recipients(text: &str) -> Vec<RecipientStatus> {
    let mut out: Vec<RecipientStatus> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    for line in text.lines().take(400) {
        let lower = line.to_ascii_lowercase();
        if let Some(at) = lower.find("rcpt to:") {
            let rest = &line[at + "rcpt to:".len()..];
            let word = rest.split_whitespace().next().unwrap_or("");
            if let Some(addr) = super::normalise::address(word) {
                pending.push(addr);
            }
            continue;
        }
        // A server reply, possibly after a direction mark (`Out:`, `<<<`).
        let reply = lower
            .trim_start()
            .trim_start_matches(|c: char| c.is_ascii_alphabetic() || "<:".contains(c))
            .trim_start();
        let failed = reply.len() >= 4
            && matches!(reply.as_bytes()[0], b'4' | b'5')
            && reply.as_bytes()[1..3].iter().all(u8::is_ascii_digit)
            && matches!(reply.as_bytes()[3], b' ' | b'-');
        if failed && !pending.is_empty() {
            for addr in pending.drain(..) {
                if !out
                    .iter()
                    .any(|r| r.final_recipient.as_deref() == Some(&addr))
                {
                    out.push(RecipientStatus {
                        final_recipient: Some(addr),
                        diagnostic: Some(line.trim().chars().take(300).collect()),
                        ..Default::default()
                    });
                }
            }
        }
    }
    out
}

/// Labels of the header lines with which a report summarises the original message
/// ("Your message / To: list@… / Subject: … / Sent: … / did not reach …").
const SUMMARY_LABELS: &[&str] = &["subject", "sent", "date", "from"];

/// Whether line `i` is the `To:`/`Cc:` line of such a summary: an addressee of the
/// original, not a failed recipient (a list address, say).
fn summary_line(lines: &[&str], i: usize) -> bool {
    let label = |l: &str| {
        l.trim_start_matches(['>', ' ', '\t'])
            .trim()
            .split_once(':')
            .map(|(h, _)| h.trim().to_ascii_lowercase())
    };
    let addressee = label(lines[i]).is_some_and(|h| matches!(h.as_str(), "to" | "cc" | "bcc"));
    addressee
        && lines[i.saturating_sub(3)..(i + 4).min(lines.len())]
            .iter()
            .any(|l| label(l).is_some_and(|h| SUMMARY_LABELS.contains(&h.as_str())))
}

/// Whether a (lower-case) text states a delivery failure.
fn states_failure(lower: &str) -> bool {
    FAILURE_WORDS.iter().any(|w| lower.contains(w))
}

/// Recipients mentioned in lines that state a failure (`addr: 550 ...`, `Could not be
/// delivered to: <addr>`, `User mailbox exceeds allowed size: addr`), used when no
/// address stands alone on a line. The rest of the line is the diagnostic.
pub fn mentioned_recipients(text: &str, exclude: &[String]) -> Vec<RecipientStatus> {
    let mut out: Vec<RecipientStatus> = Vec::new();
    for line in prose_lines(text) {
        let lower = line.to_ascii_lowercase();
        let head = lower
            .trim()
            .split_once(':')
            .map(|(h, _)| h.trim().to_string());
        if head.is_some_and(|h| SENDER_LABELS.contains(&h.as_str())) {
            continue;
        }
        let starts_with_addr = line
            .split_whitespace()
            .next()
            .is_some_and(|w| lone_address(w).is_some());
        if !starts_with_addr && !states_failure(&lower)
            || HELP_WORDS.iter().any(|w| lower.contains(w))
        {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let bracketed = words
            .iter()
            .any(|w| w.starts_with('<') && lone_address(w).is_some());
        for word in words.iter().copied() {
            let Some(addr) = lone_address(word) else {
                continue;
            };
            // A line that writes an address in angle brackets names the failed one so:
            // bare addresses beside it are display names (`x@y <addr>`) or context
            // (`<addr> may not follow x@y`).
            if bracketed && !word.starts_with('<') {
                continue;
            }
            let known = exclude
                .iter()
                .chain(out.iter().filter_map(|r| r.final_recipient.as_ref()))
                .any(|e| e.eq_ignore_ascii_case(&addr));
            if known {
                continue;
            }
            let rest = line.replacen(word, "", 1);
            let rest = rest.trim().trim_start_matches([':', '-', ' ']).trim();
            let diagnostic = (!rest.is_empty()).then(|| rest.chars().take(300).collect());
            out.push(RecipientStatus {
                final_recipient: Some(addr),
                diagnostic,
                ..Default::default()
            });
            if out.len() >= 64 {
                return out;
            }
        }
    }
    out
}

/// Field labels that introduce an address without saying anything about it.
const LABELS: &[&str] = &[
    "rcpt to",
    "to",
    "cc",
    "bcc",
    "recipient",
    "recipients",
    "address",
    "e-mail",
    "email",
    "original-recipient",
    "final-recipient",
];
/// Labels that introduce the sender, never a failed recipient.
const SENDER_LABELS: &[&str] = &[
    "from",
    "mail from",
    "sender",
    "return-path",
    "reply-to",
    "envelope-from",
    "delivered-to",
    "x-original-to",
    "message-id",
    "in-reply-to",
    "references",
    "errors-to",
];

/// Header names that open a copied message: report prose ends where one starts a line
/// (also when the copy is quoted or indented).
const COPY_START: &[&str] = &[
    "received:",
    "return-path:",
    "message-id:",
    "delivered-to:",
    "dkim-signature:",
];

/// The report prose: the lines before a copied message starts (its first header line,
/// or the marker that announces it: "Below this line is a copy of the message").
fn prose_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().take(400).take_while(|l| {
        let t = l.trim_start_matches(['>', ' ', '\t']).to_ascii_lowercase();
        !COPY_START.iter().any(|h| t.starts_with(h)) && !super::inline::is_marker(l, Some(&t))
    })
}

/// Words of advice and help text ("if x fails, try y", "contact postmaster@…"): a line
/// with them names addresses to write to, not addresses that failed.
const HELP_WORDS: &[&str] = &[
    "if ",
    "try ",
    "instead",
    "contact",
    "please send",
    "please write",
    "write to",
    "assistance",
    "for more information",
    "for further",
    "see ",
];

fn is_label(s: &str) -> bool {
    LABELS.contains(&s.to_ascii_lowercase().as_str())
}

fn lone_address(line: &str) -> Option<String> {
    let head = line
        .trim()
        .split_once(':')
        .map(|(h, _)| h.trim().to_ascii_lowercase());
    if head.is_some_and(|h| SENDER_LABELS.contains(&h.as_str())) {
        return None;
    }
    let l = line
        .trim()
        .trim_start_matches(['*', '-', '+', '•', '>', '#'])
        .trim();
    let l = l.trim_end_matches([':', '.', ',']).trim();
    let l = l.rsplit_once(": ").map_or(l, |(head, tail)| {
        if head.contains('@') || head.split_whitespace().count() > 3 {
            l
        } else {
            tail
        }
    });
    let l = l
        .trim()
        .trim_matches(['<', '>', '"', '\'', '(', ')', '[', ']']);
    let daemon = l.split('@').next().is_some_and(|local| {
        let local = local.to_ascii_lowercase();
        local == "mailer-daemon" || local == "postmaster"
    });
    let ok = !daemon && l.matches('@').count() == 1 && super::normalise::is_addr_spec(l);
    ok.then(|| l.to_string())
}

/// A short diagnostic from report text: the first line carrying an SMTP reply code.
pub fn diagnostic(text: &str) -> Option<String> {
    text.lines()
        .take(400)
        .map(str::trim)
        .find(|l| smtp_reply(l))
        .map(|l| l.chars().take(300).collect())
}

fn smtp_reply(line: &str) -> bool {
    let b = line.as_bytes();
    let at = b.windows(4).position(|w| {
        matches!(w[0], b'4' | b'5')
            && w[1].is_ascii_digit()
            && w[2].is_ascii_digit()
            && matches!(w[3], b' ' | b'-')
    });
    at.is_some_and(|i| i == 0 || !b[i - 1].is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_mentioned_in_failure_lines() {
        let t = "Your mail sent on: Thu\n     Could not be delivered to: <a@x.example>\nfrom victim@v.example\nb@x.example: 550 5.1.1 User Unknown\n";
        let r = mentioned_recipients(t, &[]);
        let got: Vec<_> = r
            .iter()
            .map(|r| r.final_recipient.as_deref().unwrap())
            .collect();
        assert_eq!(got, vec!["a@x.example", "b@x.example"]);
        assert_eq!(r[1].diagnostic.as_deref(), Some("550 5.1.1 User Unknown"));
    }

    #[test]
    fn families_from_markers() {
        assert_eq!(
            family("", "", "hi. this is the qmail-send program at x").as_deref(),
            Some("qmail")
        );
        assert_eq!(
            family("mailer-daemon@googlemail.com", "", "").as_deref(),
            Some("gmail")
        );
        assert_eq!(
            family("", "", "this is the mail system at host mx.").as_deref(),
            Some("postfix")
        );
        assert_eq!(family("", "", "nothing"), None);
    }

    #[test]
    fn prose_addresses_and_diagnostic() {
        let t = "I'm afraid I wasn't able to deliver.\n\n<kijitora@example.ne.jp>:\nSorry, no mailbox here by that name.\n\nUnknown user: neko@example.org\n   * bullet@example.org\n-- dash@example.org\n";
        let r = prose_recipients(t, &[]);
        assert_eq!(r.len(), 4);
        assert_eq!(
            r[0].final_recipient.as_deref(),
            Some("kijitora@example.ne.jp")
        );
        assert_eq!(
            r[0].diagnostic.as_deref(),
            Some("Sorry, no mailbox here by that name.")
        );
        assert_eq!(r[1].diagnostic.as_deref(), Some("Unknown user"));
        let v = prose_recipients(
            "  MAIL FROM: a@example.org\n  RCPT TO: b@example.org\n\"c@example.org\"\n",
            &[],
        );
        let got: Vec<_> = v
            .iter()
            .map(|r| {
                (
                    r.final_recipient.as_deref().unwrap(),
                    r.diagnostic.is_some(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![("b@example.org", false), ("c@example.org", false)]
        );
        assert_eq!(
            diagnostic("x\n550 5.1.1 <a@b>... User Unknown\n").as_deref(),
            Some("550 5.1.1 <a@b>... User Unknown")
        );
    }
}
