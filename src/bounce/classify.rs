//! Classification: decides whether a message is a bounce, a delay warning, an auto-reply,
//! a challenge, an MDN, an ARF feedback report or not a bounce at all. Structure first (RFC 3464
//! `multipart/report` with its `Action:` fields, RFC 5965 `feedback-report`, RFC 3798 MDN),
//! then general markers: the sender (MAILER-DAEMON, postmaster), a null return path,
//! `X-Failed-Recipients`, RFC 3834 `Auto-Submitted`, vendor auto-reply headers, and subject
//! and report vocabulary in several languages. Never keyed to particular files.

use std::sync::LazyLock;

use super::Kind;
use super::dsn::Dsn;
use crate::phrases::Phrases;

/// What the classifier looks at, gathered once by the caller.
#[derive(Debug)]
pub struct Evidence<'a> {
    /// Lower-case `report-type` parameter, if any.
    pub report_type: Option<String>,
    /// Lower-case content types of all parts.
    pub part_types: Vec<&'a str>,
    /// Lower-case names and unfolded values of the top-level header fields.
    pub headers: &'a [(String, String)],
    /// Decoded subject, lower case.
    pub subject: String,
    /// Sender address and display name, lower case.
    pub from: String,
    /// Report text (first text parts, decoded), lower case, bounded.
    pub text: String,
    pub dsn: &'a Dsn,
    /// Whether a returned original was found.
    pub carved: bool,
}

impl Evidence<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn has_part(&self, ctype: &str) -> bool {
        self.part_types.contains(&ctype)
    }
}

const SENDER_LOCALS: &[&str] = &[
    "mailer-daemon",
    "mailer_daemon",
    "mailerdaemon",
    "postmaster",
    "post_master",
    "mail-daemon",
    "maildaemon",
    "mdaemon",
    "mailadmin",
    "mail.delivery",
    "bounce",
    "bounces",
    "nobody-bounce",
];
const SENDER_NAMES: &[&str] = &[
    "mail delivery",
    "mailer-daemon",
    "mailer daemon",
    "postmaster",
    "mail administrator",
    "delivery status",
    "returned mail",
    "mail system",
];

const BOUNCE_SUBJECT: &[&str] = &[
    "undeliver",
    "undelivered",
    "delivery status notification",
    "delivery failure",
    "delivery failed",
    "failure notice",
    "failure notification",
    "returned mail",
    "returned to sender",
    "return to sender",
    "mail delivery",
    "could not be delivered",
    "not be delivered",
    "not delivered",
    "delivery has failed",
    "nondeliverable",
    "non-deliverable",
    "non deliverable",
    "non remis",
    "unzustellbar",
    "nicht zustellbar",
    "no se puede entregar",
    "no entregado",
    "non recapitabile",
    "mail system error",
    "delivery problem",
    "delivery notification",
    "message not delivered",
    "mail failure",
    "unable to deliver",
    "failed delivery",
    "returned message",
    "bounced",
    "rejected",
    "échec",
    "non distribuable",
    "niet bezorgd",
    "onbestelbaar",
    "zustellung",
    "配信",
    "不達",
    "送信エラー",
    "エラー",
    "warning: could not send",
    "error sending",
    "delivery report",
    "undeliverable",
    "returning to sender",
    "mail failed",
    "failed mail",
    "mail could not",
    "delayed mail",
    "delivery delayed",
    "mail delivery delayed",
    "delivery warning",
    "sorry, your message",
];
const BOUNCE_TEXT: &[&str] = &[
    "this is the mail system at",
    "could not be delivered",
    "couldn't be delivered",
    "wasn't able to deliver",
    "was not delivered",
    "delivery to the following recipient",
    "delivery has failed",
    "permanent error",
    "permanent fatal error",
    "undeliverable",
    "unable to deliver",
    "could not deliver",
    "failed permanently",
    "user unknown",
    "unknown user",
    "no such user",
    "mailbox unavailable",
    "address(es) failed",
    "transcript of session follows",
    "delivery failed",
    "rejected your message",
    "below this line is a copy",
    "this is a copy of the message",
    "original message follows",
    "unsent message follows",
    "message could not be",
    "mailbox is full",
    "does not exist",
    "not be delivered",
    "delivery failure",
    "mail delivery failed",
    "returned mail",
    "failed recipient",
    "recipient address rejected",
    "your message to",
    "message delivery failed",
    "the following addresses had",
    "mailer-daemon",
    "failure reasons",
    "returned message",
    "delivery to the following recipients failed",
    "message was not sent",
    "could not send",
    "unable to send",
    "has not yet been delivered",
    "will continue trying",
    "still being retried",
    "mailbox not found",
    "not a valid mailbox",
    "unknown host",
    "no valid recipients",
    "failed addresses",
    "invalid user",
    "no such user here",
    "550 ",
    "554 ",
    "5.1.1",
    "5.7.1",
    "relay access denied",
    "host unknown",
    "delivery status",
];
/// Statements that a delivery failed (report text, lower case): what makes a message
/// that is otherwise an auto-reply a bounce.
const FAILURE_TEXT: &[&str] = &[
    "user unknown",
    "unknown user",
    "no such user",
    "not a valid user",
    "invalid user",
    "invalid recipient",
    "unknown recipient",
    "recipient unknown",
    "does not exist",
    "doesn't exist",
    "mailbox unavailable",
    "mailbox not found",
    "mailbox is full",
    "could not be delivered",
    "couldn't be delivered",
    "was not delivered",
    "has not been delivered",
    "delivery has failed",
    "delivery failed",
    "failed permanently",
    "permanent error",
    "address rejected",
    "recipient rejected",
    "has been rejected",
    "was rejected",
    "unzustellbar",
    "existiert nicht",
    "n'existe pas",
    "no existe",
    "non esiste",
    "bestaat niet",
];
const DELAY_WORDS: &[&str] = &[
    "(delay)",
    "delayed",
    "delay ",
    "still being retried",
    "will continue trying",
    "will retry",
    "not yet been delivered",
    "could not be delivered for",
    "warning: could not send",
    "verzögert",
    "retardé",
    "retrasad",
    "ritardat",
    "遅延",
    "temporary failure",
    "delivery warning",
];
const PERMANENT_WORDS: &[&str] = &[
    "permanent error",
    "permanent fatal",
    "failed permanently",
    "given up",
    "giving up",
    "gave up",
    "has been returned",
    "delivery has failed",
];

const AUTO_SUBJECT: &[&str] = &[
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "auto-response",
    "autorespon",
    "automated response",
    "automatic response",
    "out of office",
    "out of the office",
    "away until",
    "away from",
    "i am away",
    "vacation",
    "on leave",
    "abwesenheit",
    "automatische antwort",
    "réponse automatique",
    "reponse automatique",
    "absence",
    "absent",
    "respuesta automática",
    "respuesta automatica",
    "fuera de la oficina",
    "risposta automatica",
    "fuori sede",
    "automatisch antwoord",
    "afwezig",
    "resposta automática",
    "resposta automatica",
    "ausente",
    "odpowiedź automatyczna",
    "автоответ",
    "автоматический ответ",
    "自動応答",
    "自動返信",
    "不在",
    "自动回复",
    "자동 응답",
    "otomatik yanıt",
    "automaattinen vastaus",
    "automatisk svar",
    "automatiskt svar",
    "autosvar",
    "automatyczna odpowiedź",
    "automatická odpověď",
    "automatikus válasz",
    "αυτόματη απάντηση",
    "automatski odgovor",
    "răspuns automat",
    "balasan otomatis",
    "tự động trả lời",
    "автоматична відповідь",
    "自動回覆",
    "自动答复",
    "不在通知",
    "إرد تلقائي",
    "رد تلقائي",
    "תשובה אוטומטית",
];
/// Subject prefixes that mark an auto-reply only at the start ("Auto: …"), being too
/// short to mean it anywhere else.
/// Auto-reply wording that opens a subject (after `Re:`/`AW:`-style prefixes), lower
/// case, in the common languages. Only the opening counts: spam about a "vacation" is
/// still spam, an answer titled "Vacation: …" is not. One table for classification and
/// for `accuse` (which refuses to call such a message spam received directly).
pub const AUTO_REPLY_OPENINGS: &[&str] = &[
    "auto:",
    "autoreply",
    "auto-reply",
    "auto reply",
    "automatic reply",
    "automatic response",
    "automated response",
    "auto response",
    "auto-response",
    "out of office",
    "out of the office",
    "vacation:",
    "abwesenheitsnotiz",
    "abwesenheit",
    "automatische antwort",
    "réponse automatique",
    "reponse automatique",
    "absence",
    "respuesta automática",
    "respuesta automatica",
    "fuera de la oficina",
    "risposta automatica",
    "fuori sede",
    "automatisch antwoord",
    "afwezig",
    "resposta automática",
    "resposta automatica",
    "ausente",
    "odpowiedź automatyczna",
    "autoodpowiedź",
    "nieobecność",
    "автоответ",
    "автоматический ответ",
    "自動応答",
    "自動返信",
    "不在",
    "自动回复",
    "自動回覆",
    "자동 응답",
    "automatiskt svar",
    "automatisk svar",
    "autosvar",
    "frånvaro",
    "automaattinen vastaus",
    "otomatik yanıt",
    "automatická odpověď",
    "autoreply:",
    "abwesend:",
    "absence:",
    "absent:",
];
const AUTO_TEXT: &[&str] = &[
    "out of the office",
    "out of office",
    "i am currently away",
    "i am away",
    "i'm away",
    "i will be away",
    "i am out",
    "i'm out",
    "on vacation",
    "on holiday",
    "limited access to email",
    "will respond to your message",
    "will reply to your",
    "upon my return",
    "when i return",
    "bin abwesend",
    "nicht im büro",
    "je suis absent",
    "estoy fuera",
    "sono assente",
    "this is an automatic reply",
    "automatic reply",
    "auto-reply",
    "automatically generated",
    "automatische antwort",
    "ich bin bis",
    "bin ich nicht im büro",
    "abwesend",
    "außer haus",
    "je serai absent",
    "absent du bureau",
    "réponse automatique",
    "de retour le",
    "fuera de la oficina",
    "estaré fuera",
    "respuesta automática",
    "fuori ufficio",
    "sarò assente",
    "risposta automatica",
    "ben afwezig",
    "ben ik afwezig",
    "automatisch antwoord",
    "estarei ausente",
    "fora do escritório",
    "resposta automática",
    "jestem nieobecny",
    "jestem nieobecna",
    "automatyczna odpowiedź",
    "меня нет в офисе",
    "в отпуске",
    "автоответ",
    "不在にしております",
    "休暇",
    "自動応答",
    "不在办公室",
    "休假",
    "自动回复",
];
const CHALLENGE_WORDS: &[&str] = &[
    "please confirm you are human",
    "confirm you are a human",
    "confirm that you are a human",
    "verify that you are a human",
    "prove you are human",
    "verify your message",
    "confirm your message",
    "verify your email",
    "sender verification",
    "challenge-response",
    "challenge response",
    "spamarrest",
    "spam arrest",
    "tmda",
    "boxbe",
    "mailblocks",
    "awaiting your confirmation",
    "pending your confirmation",
    "click the link below to confirm",
    "click the link below to verify",
    "please verify",
    "confirm that you sent",
    "confirm your e-mail",
    "approve your message",
    "to have your message delivered",
    "real person",
    "click on the link",
    "click here to confirm",
    "click here to verify",
    "reply to this message to confirm",
    "simply reply to this",
    "to be added to",
    "add you to my",
    "request approval",
];

fn any(hay: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| hay.contains(n))
}

// The lists searched in report text (up to 16 KB), each in one pass.
static BOUNCE_TEXT_IN: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(BOUNCE_TEXT));
static DELAY_WORDS_IN: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(DELAY_WORDS));
static PERMANENT_WORDS_IN: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(PERMANENT_WORDS));
static FAILURE_TEXT_IN: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(FAILURE_TEXT));
static AUTO_TEXT_IN: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(AUTO_TEXT));
static CHALLENGE_WORDS_IN: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(CHALLENGE_WORDS));

/// Whether the subject reads like an auto-reply (`Re:`/`AW:` style prefixes tolerated).
pub fn auto_subject(subject: &str) -> bool {
    any(subject, AUTO_SUBJECT)
}

/// Reply and forward prefixes a subject may carry before its own words, in the common
/// languages (`Re:`, `AW:`, `Fwd:`, `WG:`, `SV:`, `R:`, `RIF:`, `ODP:`, `TR:`).
const REPLY_PREFIXES: &[&str] = &[
    "re:", "aw:", "fw:", "fwd:", "wg:", "sv:", "r:", "rif:", "odp:", "tr:",
];

/// A lower-case subject without its leading reply/forward prefixes and brackets.
fn after_reply_prefixes(subject: &str) -> &str {
    let mut s = subject.trim_start();
    loop {
        let t = s.trim_start_matches(|c: char| c == '[' || c == '(' || c.is_whitespace());
        match REPLY_PREFIXES.iter().find(|p| t.starts_with(**p)) {
            Some(p) => s = &t[p.len()..],
            None => return t,
        }
    }
}

/// Whether the subject opens with auto-reply wording (after `Re:`/`AW:`/`[..]` prefixes):
/// the classifier's wider list (`vacation`, `absent`, …) or an opening of
/// [`AUTO_REPLY_OPENINGS`].
fn leading_auto_subject(subject: &str) -> bool {
    let s = after_reply_prefixes(subject);
    AUTO_SUBJECT
        .iter()
        .chain(AUTO_REPLY_OPENINGS)
        .any(|n| s.starts_with(n))
}

/// Whether a subject (any case) opens with auto-reply wording of [`AUTO_REPLY_OPENINGS`]:
/// the test `accuse` applies before it may call a message spam received directly.
pub fn opens_as_auto_reply(subject: &str) -> bool {
    let lower = subject.to_lowercase();
    let s = after_reply_prefixes(&lower);
    AUTO_REPLY_OPENINGS.iter().any(|n| s.starts_with(n))
}

/// Whether a returned copy is itself a delivery report worth descending into: a report
/// kind backed by report structure or by a mailer-daemon/postmaster sender.
pub fn is_report(ev: &Evidence) -> bool {
    may_be_report(ev) && matches!(kind(ev), Kind::Bounce | Kind::Delay | Kind::FeedbackReport)
}

/// The part of [`is_report`] that needs neither the text nor the DSN fields: report
/// structure or a mailer-daemon/postmaster sender. Without it, no text makes a report.
pub fn may_be_report(ev: &Evidence) -> bool {
    let structural = ev.report_type.is_some()
        || ev.part_types.iter().any(|t| {
            t.starts_with("message/delivery-status")
                || *t == "message/global-delivery-status"
                || *t == "message/feedback-report"
        });
    structural || daemon_sender(ev)
}

/// Decides the kind.
pub fn kind(ev: &Evidence) -> Kind {
    if ev.report_type.as_deref() == Some("feedback-report")
        || ev.has_part("message/feedback-report")
    {
        return Kind::FeedbackReport;
    }
    if arf_fields(ev) || complaint(ev) {
        return Kind::FeedbackReport;
    }
    if ev.report_type.as_deref() == Some("disposition-notification")
        || ev.has_part("message/disposition-notification")
    {
        return Kind::Mdn;
    }
    // A challenge may be dressed as a DSN (`Action: failed`): its request to the sender
    // decides, before the DSN fields.
    if challenge(ev) {
        return Kind::Challenge;
    }
    let failure = FAILURE_TEXT_IN.any_in(&ev.text);
    let auto = autoreply(ev);
    // An auto-reply that states a delivery failure ("not a valid user here") is a bounce
    // written by a responder; any other is an auto-reply, whatever else it carries.
    let mail_system = daemon_sender(ev)
        || ev.header("x-failed-recipients").is_some()
        || ev.report_type.is_some()
        || !ev.dsn.recipients.is_empty();
    if auto && !failure && !mail_system {
        return Kind::Autoreply;
    }
    if let Some(kind) = by_dsn(ev) {
        return kind;
    }
    if list_rejection(ev) {
        return Kind::Bounce;
    }
    let score = bounce_score(ev);
    let lure = html_only_lure(ev);
    if score >= 4 && sender_signal(ev) && !lure {
        return bounce_or_delay(ev);
    }
    if auto && failure && !lure {
        return bounce_or_delay(ev);
    }
    if auto {
        return Kind::Autoreply;
    }
    if score >= 6 && !lure {
        return bounce_or_delay(ev);
    }
    Kind::NotABounce
}

/// Subjects of abuse complaints written before ARF (a provider's "complaint about
/// message from <IP>" with the message attached).
const COMPLAINT_SUBJECT: &[&str] = &[
    "complaint about message from",
    "spam complaint",
    "email abuse report",
    "abuse report for",
];

/// A complaint about a message, with that message attached (not ARF-structured).
fn complaint(ev: &Evidence) -> bool {
    let attached = ev
        .part_types
        .iter()
        .any(|t| *t == "message/rfc822" || *t == "text/rfc822-headers");
    attached && ev.carved && any(&ev.subject, COMPLAINT_SUBJECT)
}

/// ARF fields written without the RFC 5965 structure (older feedback loops).
fn arf_fields(ev: &Evidence) -> bool {
    let lines = || ev.text.lines().map(str::trim_start);
    memchr::memmem::find(ev.text.as_bytes(), b"feedback-type:").is_some()
        && lines().any(|l| l.starts_with("feedback-type:"))
        && lines().any(|l| l.starts_with("user-agent:") || l.starts_with("version:"))
        && ev
            .part_types
            .iter()
            .any(|t| t.starts_with("message/") || *t == "text/rfc822-headers")
}

fn by_dsn(ev: &Evidence) -> Option<Kind> {
    let structural = ev.has_part("message/delivery-status")
        || ev.has_part("message/global-delivery-status")
        || ev.report_type.as_deref() == Some("delivery-status");
    if !structural && ev.dsn.recipients.is_empty() {
        return None;
    }
    if ev.dsn.has_action("failed") {
        return Some(Kind::Bounce);
    }
    if ev.dsn.has_action("delayed") {
        return Some(Kind::Delay);
    }
    if !structural {
        return None;
    }
    if ev.dsn.has_status_class('4') && !ev.dsn.has_status_class('5') {
        return Some(Kind::Delay);
    }
    Some(bounce_or_delay(ev))
}

fn bounce_or_delay(ev: &Evidence) -> Kind {
    let subject_delay = any(&ev.subject, DELAY_WORDS);
    let text_delay = DELAY_WORDS_IN.any_in(&ev.text);
    let permanent = PERMANENT_WORDS_IN.any_in(&ev.text) || any(&ev.subject, &["fail", "undeliver"]);
    if (subject_delay || text_delay) && !permanent {
        Kind::Delay
    } else {
        Kind::Bounce
    }
}

fn null_sender(ev: &Evidence) -> bool {
    ev.header("return-path").is_some_and(|v| {
        v.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim()
            .is_empty()
    })
}

/// The sender's local part is a mail system's (MAILER-DAEMON, postmaster, ...).
fn daemon_sender(ev: &Evidence) -> bool {
    // `<MAILER-DAEMON>` without a domain is the local part alone.
    let local = ev
        .from
        .rsplit_once('@')
        .map_or(ev.from.trim().trim_end_matches('>'), |(l, _)| l);
    let local = local.rsplit(['<', ' ', '"']).next().unwrap_or(local);
    SENDER_LOCALS.iter().any(|l| {
        local == *l
            || local
                .strip_prefix(l)
                .is_some_and(|rest| rest.starts_with('-'))
            || local
                .strip_suffix(l)
                .is_some_and(|rest| rest.ends_with('-'))
    })
}

/// Only the display name claims a mail system ("Mail Delivery System" <noreply@...>):
/// weak, since phishing copies it.
fn daemon_name(ev: &Evidence) -> bool {
    any(&ev.from, SENDER_NAMES)
}

/// Evidence that the message came from a mail system rather than a person or a spammer.
fn sender_signal(ev: &Evidence) -> bool {
    daemon_sender(ev) || null_sender(ev) || ev.header("x-failed-recipients").is_some() || ev.carved
}

fn bounce_score(ev: &Evidence) -> i32 {
    let mut s = 0;
    s += 2 * i32::from(daemon_sender(ev));
    s += i32::from(daemon_name(ev) && !daemon_sender(ev));
    s += i32::from(null_sender(ev));
    s += 3 * i32::from(ev.header("x-failed-recipients").is_some());
    s += 2 * i32::from(any(&ev.subject, BOUNCE_SUBJECT));
    s += 2 * i32::from(ev.carved);
    // The report text adds 2. The score only meets thresholds of 4 and up: below 2
    // without the text, none is in reach, and the text (of spam, mostly) is not searched.
    if s >= 2 {
        s += 2 * i32::from(BOUNCE_TEXT_IN.any_in(&ev.text));
    }
    s
}

/// A mailing-list manager refusing a post (non-member, loop): mail returned by software
/// for a message the sender supposedly wrote, hence backscatter like a bounce.
fn list_rejection(ev: &Evidence) -> bool {
    let manager = [
        "x-mlserver",
        "x-mailman-version",
        "mailing-list",
        "x-ml-name",
        "x-ezmlm-version",
        "x-listserver",
    ]
    .iter()
    .any(|h| ev.header(h).is_some());
    let words = [
        "not a member",
        "are not member",
        "non-member",
        "members only",
        "loop alert",
        "duplicated message-id",
        "rejected",
    ];
    manager && (any(&ev.subject, &words) || any(&ev.text, &words[..6]))
}

/// HTML without any plain-text part, no copy, no DSN: how phishing dressed as a bounce
/// looks ("undelivered messages pending"), not how mail systems write reports.
fn html_only_lure(ev: &Evidence) -> bool {
    let html = ev.part_types.contains(&"text/html");
    let plain = ev.part_types.contains(&"text/plain");
    html && !plain
        && !ev.carved
        && ev.dsn.recipients.is_empty()
        && ev.header("x-failed-recipients").is_none()
}

fn autoreply(ev: &Evidence) -> bool {
    let auto_submitted = ev
        .header("auto-submitted")
        .is_some_and(|v| v.contains("auto-replied"));
    let vendor = [
        "x-autoreply",
        "x-autorespond",
        "x-autoresponder",
        "x-vacation",
        "x-autogenerated",
    ]
    .iter()
    .any(|h| ev.header(h).is_some())
        || ev
            .header("x-apple-action")
            .is_some_and(|v| v.contains("vacation"))
        || ev
            .header("precedence")
            .is_some_and(|v| v.contains("auto_reply") || v.contains("auto-reply"))
        || ev
            .header("x-mailer")
            .is_some_and(|v| v.contains("vacation"));
    let said = auto_subject(&ev.subject) && (AUTO_TEXT_IN.any_in(&ev.text) || null_sender(ev));
    // A reply (In-Reply-To or References) from a null sender whose text says it was
    // written automatically or that its writer is away.
    let replied = (ev.header("in-reply-to").is_some() || ev.header("references").is_some())
        && null_sender(ev)
        && AUTO_TEXT_IN.any_in(&ev.text);
    auto_submitted
        || vendor
        || leading_auto_subject(&ev.subject)
        || said
        || replied
        || (ev.header("auto-submitted").is_some_and(|v| v != "no") && AUTO_TEXT_IN.any_in(&ev.text))
}

fn challenge(ev: &Evidence) -> bool {
    let header = ev.headers.iter().any(|(n, v)| {
        n.contains("tmda")
            || n.contains("spamarrest")
            || n.starts_with("x-boxbe")
            || (n == "x-delivery-agent" && v.contains("tmda"))
    });
    let subject = any(&ev.subject, CHALLENGE_WORDS)
        || any(
            &ev.subject,
            &[
                "please confirm",
                "confirmation required",
                "verify",
                "challenge",
            ],
        );
    // The text is searched only when the subject asks for a confirmation, or when the
    // text says the sender is not (yet) on the recipient's approved list and asks it to
    // act to have the message delivered.
    header
        || (subject && CHALLENGE_WORDS_IN.any_in(&ev.text))
        || (UNAPPROVED_IN.any_in(&ev.text) && CHALLENGE_WORDS_IN.any_in(&ev.text))
}

/// Statements that the sender is held until approved (challenge-response systems).
const UNAPPROVED: &[&str] = &[
    "not pre-approved",
    "not on the approved",
    "not in the approved",
    "not on my approved",
    "approved senders list",
    "is held pending",
    "held for verification",
    "has been held until",
    "awaiting verification",
    "whitelist",
];
static UNAPPROVED_IN: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(UNAPPROVED));
