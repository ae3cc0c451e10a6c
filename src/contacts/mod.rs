//! Contacts stage (pure): what M's body advertises — URLs, domains, e-mail addresses,
//! phone numbers and messenger handles, obfuscated or not.

use serde::Serialize;

/// One advertised contact, deduplicated per message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    /// `url`, `domain`, `email`, `phone`, `icq`, `skype`, `telegram`, `whatsapp`, ...
    pub kind: String,
    /// Normalised: lower-case host for `domain`, E.164 for `phone`, handle without `@`.
    pub value: String,
    /// As written (first occurrence).
    pub raw: String,
    pub obfuscated: bool,
}

/// What the extractor must know about the message's context.
#[derive(Debug, Clone, Default)]
pub struct ContactContext {
    /// Our own domains: never advertised contacts.
    pub own_domains: Vec<String>,
}

/// Lists the contacts advertised in `message` (the raw bytes of M).
pub fn extract(message: &[u8], ctx: &ContactContext) -> Vec<Contact> {
    let _ = (message, ctx);
    Vec::new()
}
