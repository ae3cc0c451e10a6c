//! Render: turns [`crate::cases::Case`]s into complaint e-mails.
//!
//! A pure stage. What people read (the complaint text, its subject) is rendered by
//! handlebars from `templates/<lang>/<party kind>.hbs` in strict mode, with values
//! escaped for plain text (control characters and bidi overrides become spaces), so spam
//! text is data and never template syntax. Machine formats are built in code: ARF
//! (RFC 5965) in [`arf`], X-ARF v4 in
//! [`xarf`]. [`complaint`] assembles one `.eml` per case; [`mime`] holds the header and
//! body encoders (RFC 2047, quoted-printable, base64) that keep CR/LF out of headers.
//! Everything written passes through [`redact`] (RFC 6590): our own addresses, in any
//! form and at any depth, never leave.

pub mod arf;
pub mod complaint;
pub mod mime;
pub mod redact;
pub mod templates;
pub mod xarf;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::cases::PartyKind;

pub use complaint::{Attachment, Complaint, RenderInput, render_case};
pub use templates::Templates;

/// A complaint format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The plain-text e-mail a person reads (handlebars).
    Human,
    /// RFC 5965 Abuse Reporting Format, one report per sample message.
    Arf,
    /// X-ARF v4 JSON (messaging/spam), one per sample message.
    Xarf,
}

/// `[report]` in blowback.toml: who complains, how, and how mail is delivered.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// The reporter's name, shown in From and the signature. The default is
    /// "blowback user".
    pub reporter_name: String,
    /// The reporter's address (From, envelope sender, X-ARF contact). The default is
    /// none; `send --really` then refuses to run.
    pub reporter_address: Option<String>,
    /// Write every complaint in this language (`en`, `de`, `ru`, `es`, `bg`). The
    /// default is the party's country's language, English otherwise.
    pub language: Option<String>,
    /// Length of a campaign window in days: one complaint per party per window. The
    /// default is 7.
    pub campaign_window_days: u32,
    /// Formats per party kind (`source_network`, `bouncer`, `hosting_network`,
    /// `registrar`, `authority`). The default is human + ARF, and human only for the
    /// bouncer (its notice is not a spam report) and authorities (who take full
    /// messages through their own channels).
    pub formats: BTreeMap<PartyKind, Vec<Format>>,
    /// A folder of templates laid out like `templates/` (`<lang>/<kind>.hbs`); files
    /// there override the shipped ones. The default is none.
    pub template_dir: Option<PathBuf>,
    /// Abuse addresses set by hand, keyed by `AS<n>` or registrar name. The default is none.
    pub addresses: BTreeMap<String, String>,
    /// Replace the local part of our own addresses, in every form, in everything
    /// written: text, headers, ARF, X-ARF and samples (RFC 6590). The default is on.
    pub redact: bool,
    /// Sample messages attached (ARF / X-ARF) per complaint. The default is 5.
    pub samples: usize,
    /// SQLite store recording what was sent (`send --db` overrides). The default is none.
    pub db: Option<PathBuf>,
    /// Outgoing mail server.
    pub smtp: SmtpSettings,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            reporter_name: "blowback user".into(),
            reporter_address: None,
            language: None,
            campaign_window_days: 7,
            formats: BTreeMap::new(),
            template_dir: None,
            addresses: BTreeMap::new(),
            redact: true,
            samples: 5,
            db: None,
            smtp: SmtpSettings::default(),
        }
    }
}

impl ReportSettings {
    /// The formats for a party kind (config, else the default).
    pub fn formats_for(&self, kind: PartyKind) -> Vec<Format> {
        if let Some(formats) = self.formats.get(&kind) {
            let mut formats = formats.clone();
            formats.sort();
            formats.dedup();
            return formats;
        }
        match kind {
            PartyKind::Bouncer | PartyKind::Authority => vec![Format::Human],
            _ => vec![Format::Human, Format::Arf],
        }
    }
}

/// How to reach the outgoing mail server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    /// Host name. The default is `localhost`.
    pub host: String,
    /// Port. The default is 587.
    pub port: u16,
    /// `none`, `starttls` or `tls` (implicit TLS, port 465). The default is `starttls`.
    pub tls: TlsMode,
    /// User name for AUTH. The default is none (no authentication).
    pub user: Option<String>,
    /// Name of the environment variable holding the password. The default is
    /// `BLOWBACK_SMTP_PASSWORD`.
    pub password_env: String,
    /// Most complaints sent per minute. The default is 10.
    pub rate_per_minute: u32,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        SmtpSettings {
            host: "localhost".into(),
            port: 587,
            tls: TlsMode::default(),
            user: None,
            password_env: "BLOWBACK_SMTP_PASSWORD".into(),
            rate_per_minute: 10,
        }
    }
}

/// Transport security towards the mail server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain SMTP (only for a server on this machine).
    None,
    /// STARTTLS required. The default.
    #[default]
    Starttls,
    /// Implicit TLS from the first byte.
    Tls,
}

/// The languages templates exist in.
pub const LANGUAGES: [&str; 5] = ["en", "de", "ru", "es", "bg"];

/// The template language for a party's country: German, Russian, Spanish and
/// Bulgarian where they are an official or common business language, English otherwise.
pub fn language_for(country: Option<&str>) -> &'static str {
    match country.map(|c| c.to_ascii_uppercase()).as_deref() {
        Some("DE" | "AT" | "CH" | "LI" | "LU") => "de",
        Some("RU" | "BY" | "KZ" | "KG") => "ru",
        Some(
            "ES" | "MX" | "AR" | "CO" | "CL" | "PE" | "VE" | "EC" | "GT" | "CU" | "BO" | "DO"
            | "HN" | "PY" | "SV" | "NI" | "CR" | "PA" | "UY",
        ) => "es",
        Some("BG") => "bg",
        _ => "en",
    }
}
