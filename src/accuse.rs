//! Who may be accused: the one rule-book that `report` (through [`crate::cases`]),
//! `evidence` (through the same cases) and `notice` ask. Pure: a [`Record`] in, a
//! [`Judgement`] out, each refusal with a named [`Refusal`].
//!
//! The rules (also in the README, "Who blowback accuses"):
//! - Only a report judged `backscatter`, or spam received directly, is reported at all.
//!   An `own_bounce` or `unknown` verdict, a failed input, a delay or feedback report
//!   that is not backscatter, and every auto-reply, challenge or receipt are not.
//! - A message is "spam received directly" only when it is no kind of report and shows
//!   no reply signal: a null envelope sender, `Auto-Submitted` other than `no`, vendor
//!   auto-reply headers, an auto-reply subject, or `In-Reply-To`/`References` naming a
//!   Message-ID at one of our domains ([`reply_signals`]).
//! - A spam source is accused only from the walk's origin, with confidence `high` or
//!   `medium`, at a public address that is not a documentation one, and never the host
//!   that delivered the report to us (`bouncer_ip`): that one gets the bouncer's notice.
//! - A domain is accused as advertised only when a contact with role `advertised` names
//!   it (the spammer's own); an address at a mailbox provider names an account to close
//!   ([`MailboxAccount`]), never the provider's domain.

use serde::Serialize;

use crate::bounce::Kind;
use crate::contacts::platforms;
use crate::hostname::in_domain;
use crate::output::Record;
use crate::verdict::VerdictKind;

/// Why something is not accused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The input could not be analysed.
    Failed,
    /// The bounce is of our own mail.
    OwnBounce,
    /// A report whose verdict is not `backscatter`.
    NotBackscatter,
    /// An auto-reply, challenge, receipt or other report: never spam received directly.
    ReportNotSpam,
    /// A message with a reply signal: an answer to mail, not spam received directly.
    ReplySignal,
    /// The walk found no origin.
    NoOrigin,
    /// The origin's confidence is low.
    LowConfidence,
    /// The origin is a private, reserved or documentation address.
    NotPublic,
    /// The origin is the host that delivered the report to us: a bouncer, not a source.
    DeliveredToUs,
}

impl Refusal {
    /// One sentence for people.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Failed => "the input could not be analysed",
            Refusal::OwnBounce => "the bounce is of our own mail",
            Refusal::NotBackscatter => {
                "a report not judged backscatter: it may be of our own mail, so nobody is accused"
            }
            Refusal::ReportNotSpam => {
                "an auto-reply, challenge or receipt is an answer to mail, never spam received directly"
            }
            Refusal::ReplySignal => {
                "the message carries a reply signal (null sender, Auto-Submitted, auto-reply subject or a reply to our mail): it is never spam received directly"
            }
            Refusal::NoOrigin => "no trustworthy hand-over is recorded",
            Refusal::LowConfidence => "the origin was found with low confidence",
            Refusal::NotPublic => "the origin is a private, reserved or documentation address",
            Refusal::DeliveredToUs => {
                "the origin is the host that delivered the report to us: it is the bouncer, not the spam's source"
            }
        }
    }
}

/// A sign that a message answers other mail (RFC 3834 and common practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplySignal {
    /// `Return-Path: <>`: the null envelope sender of reports and auto-replies.
    NullSender,
    /// `Auto-Submitted` other than `no`.
    AutoSubmitted,
    /// Vendor auto-reply headers (`X-Autoreply`, `X-Autorespond`, `Precedence:
    /// auto_reply`, `X-Auto-Response-Suppress` with `Auto-Submitted` absent, ...).
    AutoReplyHeader,
    /// An auto-reply subject in one of the common languages.
    AutoReplySubject,
    /// `In-Reply-To` or `References` names a Message-ID at one of our domains.
    RepliesToOurs,
}

/// Why a message may be reported at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A report of spam forged in our name (verdict `backscatter`).
    Backscatter,
    /// Spam received directly by our own mail system.
    Direct,
}

/// An account at a mailbox provider that the spam advertises.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct MailboxAccount {
    /// The address, lower case.
    pub account: String,
    /// The provider's listed domain (`hotmail.com`).
    pub domain: String,
}

/// What may be accused for one message, and why not otherwise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    pub basis: Result<Basis, Refusal>,
    /// The spam source's address.
    pub source: Result<String, Refusal>,
    /// The host that bounced the spam to us (a notice, not an accusation).
    pub bouncer: Option<String>,
    /// Registrable domains the spammer controls (advertised contacts).
    pub sites: Vec<String>,
    /// Advertised accounts at mailbox providers.
    pub mailboxes: Vec<MailboxAccount>,
}

impl Judgement {
    fn refused(why: Refusal) -> Judgement {
        Judgement {
            basis: Err(why),
            source: Err(why),
            bouncer: None,
            sites: Vec::new(),
            mailboxes: Vec::new(),
        }
    }
}

/// Judges one analysed message.
pub fn judge(record: &Record) -> Judgement {
    let basis = match basis(record) {
        Ok(basis) => basis,
        Err(why) => return Judgement::refused(why),
    };
    let bouncer = record
        .bouncer_ip
        .clone()
        .filter(|ip| basis == Basis::Backscatter && accusable_ip(ip));
    Judgement {
        basis: Ok(basis),
        source: source(record),
        bouncer,
        sites: sites(record),
        mailboxes: mailboxes(record),
    }
}

/// Whether the message may be reported at all, and as what.
pub fn basis(record: &Record) -> Result<Basis, Refusal> {
    if record.error.is_some() {
        return Err(Refusal::Failed);
    }
    match record.kind {
        None => Err(Refusal::Failed),
        Some(_) if record.verdict == VerdictKind::OwnBounce => Err(Refusal::OwnBounce),
        Some(Kind::NotABounce) if !record.reply_signals.is_empty() => Err(Refusal::ReplySignal),
        // A message that is no report has no verdict on backscatter (`unknown`); any
        // other verdict the walk gives it says it is not plain spam.
        Some(Kind::NotABounce) if record.verdict == VerdictKind::Unknown => Ok(Basis::Direct),
        Some(Kind::NotABounce) => Err(Refusal::ReplySignal),
        Some(_) if record.verdict == VerdictKind::Backscatter => Ok(Basis::Backscatter),
        Some(Kind::Bounce | Kind::Delay | Kind::FeedbackReport) => Err(Refusal::NotBackscatter),
        Some(_) => Err(Refusal::ReportNotSpam),
    }
}

/// The spam source, or why none is accused.
fn source(record: &Record) -> Result<String, Refusal> {
    let origin = record.origin.as_ref().ok_or(Refusal::NoOrigin)?;
    let found = &origin.found;
    if found.confidence == "low" {
        return Err(Refusal::LowConfidence);
    }
    if found.documentation || !accusable_ip(&found.ip) {
        return Err(Refusal::NotPublic);
    }
    if record.kind != Some(Kind::NotABounce) && record.bouncer_ip.as_deref() == Some(&found.ip) {
        return Err(Refusal::DeliveredToUs);
    }
    Ok(found.ip.clone())
}

/// A public address that is not a documentation one (those stand for anonymised ones).
pub fn accusable_ip(ip: &str) -> bool {
    ip.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| crate::received::is_public(ip) && !crate::received::is_documentation(ip))
}

/// Registrable domains of advertised contacts, sorted.
fn sites(record: &Record) -> Vec<String> {
    let mut out: Vec<String> = record
        .contacts
        .iter()
        .filter(|c| c.role == "advertised")
        .filter(|c| matches!(c.kind.as_str(), "domain" | "url" | "email"))
        .filter_map(|c| c.registrable_domain.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Advertised accounts at listed mailbox providers, sorted.
fn mailboxes(record: &Record) -> Vec<MailboxAccount> {
    let mut out: Vec<MailboxAccount> = record
        .contacts
        .iter()
        .filter(|c| c.role == "mailbox" && c.kind == "email")
        .filter_map(|c| {
            let (_, domain) = c.value.rsplit_once('@')?;
            let listed = platforms::lookup(domain)?;
            Some(MailboxAccount {
                account: c.value.to_lowercase(),
                domain: listed.domain.to_string(),
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether facts looked up for a contact may be used against its domain's registrar and
/// hosting: only for a contact the spammer controls (role `advertised`).
pub fn may_ask_about(record: &Record, value: &str) -> bool {
    record
        .contacts
        .iter()
        .any(|c| c.role == "advertised" && c.value == value)
}

/// The reply signals in a message's own header block (`fields`: name and raw value of
/// each field, in order), given its decoded subject and our domains.
pub fn reply_signals<'a>(
    fields: impl Iterator<Item = (&'a [u8], &'a [u8])>,
    subject: Option<&str>,
    own_domains: &[String],
) -> Vec<ReplySignal> {
    let mut out = Vec::new();
    for (name, value) in fields {
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        let value = crate::bounce::headers::unfold(value).to_ascii_lowercase();
        let signal = match name.as_str() {
            "return-path"
                if value
                    .trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
                    .is_empty() =>
            {
                Some(ReplySignal::NullSender)
            }
            "auto-submitted" if !value.starts_with("no") => Some(ReplySignal::AutoSubmitted),
            "x-autoreply" | "x-autorespond" | "x-autoresponder" | "x-mail-autoreply"
            | "x-autogenerated" => Some(ReplySignal::AutoReplyHeader),
            "precedence" if value.contains("auto_reply") || value.contains("auto-reply") => {
                Some(ReplySignal::AutoReplyHeader)
            }
            "in-reply-to" | "references" if names_our_id(&value, own_domains) => {
                Some(ReplySignal::RepliesToOurs)
            }
            _ => None,
        };
        out.extend(signal);
    }
    if subject.is_some_and(auto_reply_subject) {
        out.push(ReplySignal::AutoReplySubject);
    }
    out.sort();
    out.dedup();
    out
}

/// Whether a subject opens with auto-reply wording (the one table is the bounce stage's,
/// [`crate::bounce::opens_as_auto_reply`], so classification and accusation agree).
pub fn auto_reply_subject(subject: &str) -> bool {
    crate::bounce::opens_as_auto_reply(subject)
}

/// Whether a list of message ids names one at our domains (or their subdomains).
fn names_our_id(value: &str, own_domains: &[String]) -> bool {
    value
        .split(|c: char| c == '<' || c == '>' || c == ',' || c.is_whitespace())
        .filter_map(|id| id.rsplit_once('@'))
        .any(|(_, host)| {
            let host = host.trim_end_matches('.');
            own_domains
                .iter()
                .any(|d| in_domain(host, &d.trim_end_matches('.').to_ascii_lowercase()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::Contact;
    use crate::output::OriginFacts;
    use crate::received::Origin;

    fn origin(ip: &str, confidence: &str) -> OriginFacts {
        OriginFacts::from(Origin {
            ip: ip.into(),
            hop: 1,
            helo: None,
            rdns: None,
            method: "trust_transfer".into(),
            confidence: confidence.into(),
            reason: "test".into(),
            documentation: false,
            rdns_may_be_forged: false,
        })
    }

    fn record(kind: Kind, verdict: VerdictKind) -> Record {
        let mut r = Record::new("x.eml".into(), Some("id".into()));
        r.kind = Some(kind);
        r.verdict = verdict;
        r.origin = Some(origin("81.2.69.142", "high"));
        r.bouncer_ip = Some("89.160.20.112".into());
        r
    }

    fn contact(kind: &str, value: &str, role: &str, reg: &str) -> Contact {
        Contact::new(
            kind,
            value.into(),
            value,
            crate::contacts::Where::new(0, 0, "text"),
            "test",
        )
        .with_role(role)
        .with_registrable(Some(reg.into()))
    }

    #[test]
    fn backscatter_accuses_the_origin_and_notifies_the_bouncer() {
        let j = judge(&record(Kind::Bounce, VerdictKind::Backscatter));
        assert_eq!(j.basis, Ok(Basis::Backscatter));
        assert_eq!(j.source.as_deref(), Ok("81.2.69.142"));
        assert_eq!(j.bouncer.as_deref(), Some("89.160.20.112"));
    }

    #[test]
    fn every_refusal_is_named() {
        let refusal = |r: Record| judge(&r).source.unwrap_err();
        assert_eq!(
            refusal(record(Kind::Bounce, VerdictKind::Unknown)),
            Refusal::NotBackscatter
        );
        assert_eq!(
            refusal(record(Kind::Bounce, VerdictKind::OwnBounce)),
            Refusal::OwnBounce
        );
        assert_eq!(
            refusal(record(Kind::Autoreply, VerdictKind::Unknown)),
            Refusal::ReportNotSpam
        );
        assert_eq!(
            refusal(record(Kind::Challenge, VerdictKind::Unknown)),
            Refusal::ReportNotSpam
        );
        let mut low = record(Kind::Bounce, VerdictKind::Backscatter);
        low.origin = Some(origin("81.2.69.142", "low"));
        assert_eq!(refusal(low), Refusal::LowConfidence);
        let mut doc = record(Kind::Bounce, VerdictKind::Backscatter);
        doc.origin = Some(origin("192.0.2.7", "high"));
        assert_eq!(refusal(doc), Refusal::NotPublic);
        let mut private = record(Kind::Bounce, VerdictKind::Backscatter);
        private.origin = Some(origin("10.1.2.3", "high"));
        assert_eq!(refusal(private), Refusal::NotPublic);
        let mut bouncer = record(Kind::Autoreply, VerdictKind::Backscatter);
        bouncer.origin = Some(origin("89.160.20.112", "high"));
        assert_eq!(refusal(bouncer), Refusal::DeliveredToUs);
        let mut none = record(Kind::Bounce, VerdictKind::Backscatter);
        none.origin = None;
        assert_eq!(refusal(none), Refusal::NoOrigin);
        let mut failed = record(Kind::Bounce, VerdictKind::Backscatter);
        failed.error = Some("x".into());
        assert_eq!(refusal(failed), Refusal::Failed);
        assert!(!Refusal::DeliveredToUs.reason().is_empty());
    }

    #[test]
    fn direct_spam_only_without_reply_signals() {
        let direct = record(Kind::NotABounce, VerdictKind::Unknown);
        assert_eq!(judge(&direct).basis, Ok(Basis::Direct));
        assert_eq!(judge(&direct).bouncer, None);
        let mut reply = direct.clone();
        reply.reply_signals = vec![ReplySignal::NullSender];
        assert_eq!(judge(&reply).source, Err(Refusal::ReplySignal));
    }

    #[test]
    fn only_the_spammers_domains_and_accounts() {
        let mut r = record(Kind::NotABounce, VerdictKind::Unknown);
        r.contacts = vec![
            contact("email", "susanl2001@hotmail.com", "mailbox", "hotmail.com"),
            contact(
                "domain",
                "www.mail-abuse.org",
                "explanation",
                "mail-abuse.org",
            ),
            contact(
                "url",
                "https://pills.example.ru/x",
                "advertised",
                "example.ru",
            ),
            contact(
                "url",
                "https://www.facebook.com/x",
                "platform",
                "facebook.com",
            ),
        ];
        let j = judge(&r);
        assert_eq!(j.sites, ["example.ru"]);
        assert_eq!(
            j.mailboxes,
            [MailboxAccount {
                account: "susanl2001@hotmail.com".into(),
                domain: "hotmail.com".into()
            }]
        );
        assert!(may_ask_about(&r, "https://pills.example.ru/x"));
        assert!(!may_ask_about(&r, "susanl2001@hotmail.com"));
    }

    #[test]
    fn reply_signals_from_headers() {
        let own = vec!["victim-domain.net".to_string()];
        let fields: Vec<(&[u8], &[u8])> = vec![
            (b"Return-Path", b" <>"),
            (b"Auto-Submitted", b" no"),
            (b"In-Reply-To", b" <abc.123@mail.victim-domain.net>"),
        ];
        assert_eq!(
            reply_signals(fields.into_iter(), Some("Abwesenheitsnotiz: Hallo"), &own),
            [
                ReplySignal::NullSender,
                ReplySignal::AutoReplySubject,
                ReplySignal::RepliesToOurs
            ]
        );
        let plain: Vec<(&[u8], &[u8])> = vec![
            (b"Return-Path", b" <spam@pills.example.ru>"),
            (b"References", b" <x@other.example>"),
            (b"Auto-Submitted", b" auto-replied"),
        ];
        assert_eq!(
            reply_signals(plain.into_iter(), Some("Cheap vacation deals"), &own),
            [ReplySignal::AutoSubmitted]
        );
        for subject in [
            "Auto: Re: offer",
            "AW: Abwesenheitsnotiz",
            "Réponse automatique : absent",
            "RE: [Automatic reply] hello",
            "自動返信: ありがとう",
            "Автоответ: я в отпуске",
        ] {
            assert!(auto_reply_subject(subject), "{subject}");
        }
        assert!(!auto_reply_subject("Best prices on autoparts"));
    }
}
