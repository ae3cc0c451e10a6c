//! Bounce stage (pure): classifies a message (bounce, delay, auto-reply, challenge,
//! ARF report, not a bounce), reads what the report states (RFC 3464 fields or the
//! MTA's own wording) and carves the returned original M out of it.
//!
//! `mail_parser::Message` borrows the input bytes, so it never leaves this module:
//! everything returned is plain owned data.

use serde::Serialize;

/// What kind of message this is, as in the `analyze` output contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A failure DSN or non-delivery report.
    Bounce,
    /// A delay warning (delivery still being tried).
    Delay,
    Autoreply,
    Challenge,
    /// An abuse feedback report (RFC 5965 ARF).
    FeedbackReport,
    /// Anything else, e.g. spam received directly.
    NotABounce,
}

/// How much of the original the bounce returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Completeness {
    Full,
    HeadersOnly,
    Partial,
    Reconstructed,
}

/// The message under analysis M, carved out of a bounce.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Original {
    /// M's bytes as carved (decoded from the carrier's transfer encoding if it had one).
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Byte range of M inside the bounce's raw bytes, when M was copied verbatim
    /// (no transfer decoding needed); `None` when it had to be decoded.
    pub range: Option<(usize, usize)>,
    pub completeness: Completeness,
    /// SHA-256 (hex) of `bytes`.
    pub sha256: String,
    /// As written, angle brackets kept.
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub date: Option<String>,
    /// How M was carried: `message/rfc822`, `text/rfc822-headers`, `inline`, ...
    pub carrier: String,
    /// How many reports deep M was found (1 = directly inside this bounce).
    pub depth: u32,
}

/// One recipient block of a DSN, or what a non-standard bounce says about a recipient.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RecipientStatus {
    pub final_recipient: Option<String>,
    pub original_recipient: Option<String>,
    pub action: Option<String>,
    pub status: Option<String>,
    pub diagnostic: Option<String>,
    pub remote_mta: Option<String>,
}

/// Everything the bounce stage learns from one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BounceReport {
    pub kind: Kind,
    /// Bounce format / MTA family (`postfix`, `exim`, `exchange`, ...).
    pub mta: Option<String>,
    pub reporting_mta: Option<String>,
    pub arrival_date: Option<String>,
    pub recipients: Vec<RecipientStatus>,
    /// The bounce's own sender address (often `MAILER-DAEMON@host`).
    pub bounce_from: Option<String>,
    pub original: Option<Original>,
}

/// Decodes one message. Total: any bytes give a report, never a panic.
pub fn decode(bytes: &[u8]) -> BounceReport {
    let _ = bytes;
    BounceReport {
        kind: Kind::NotABounce,
        mta: None,
        reporting_mta: None,
        arrival_date: None,
        recipients: Vec::new(),
        bounce_from: None,
        original: None,
    }
}
