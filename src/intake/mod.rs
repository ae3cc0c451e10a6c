//! Live intake: bounces arriving over SMTP (`sink`), pulled over IMAP (`fetch`), and the
//! public notice page made from the case store (`notice`). Each keeps a message byte for
//! byte in a Maildir (`maildir_write`) before anything else, then hands it to the same
//! analysis and store as `analyze --db` (`intake::keep`).

pub mod answer;
pub mod fetch;

pub mod keep;
pub mod maildir_write;
pub mod notice;

pub mod sink;
pub mod smtp;

use std::path::PathBuf;

use serde::Deserialize;

/// `[sink]` in blowback.toml: the SMTP server for the forged domain.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SinkSettings {
    /// What the end of DATA answers: `accept` (250) or `reject` (550 naming the origin
    /// network and the advertised contacts). The default is `accept`.
    pub answer: SinkAnswer,
    /// The host name in the greeting and in our Received line. The default is the
    /// first `own_mx`, else the machine's host name.
    pub hostname: Option<String>,
    /// PEM certificate chain and private key; with both, STARTTLS is offered. The
    /// default is none (no STARTTLS).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Largest message accepted, in bytes (announced as SIZE). The default is 25 MiB.
    pub max_message_bytes: u64,
    /// Most recipients of one message. The default is 100.
    pub max_recipients: usize,
    /// Most connections served at once; more are told 421. The default is 256.
    pub max_connections: usize,
    /// Longest wait for one command line, or for each line of DATA, in seconds. The
    /// default is 300 (RFC 5321 4.5.3.2).
    pub command_timeout_secs: u64,
    /// Longest a whole DATA transfer may take, in seconds. The default is 600.
    pub data_timeout_secs: u64,
    /// Most commands in one session. The default is 1000.
    pub max_commands: usize,
}

impl Default for SinkSettings {
    fn default() -> Self {
        SinkSettings {
            answer: SinkAnswer::Accept,
            hostname: None,
            tls_cert: None,
            tls_key: None,
            max_message_bytes: 25 * 1024 * 1024,
            max_recipients: 100,
            max_connections: 256,
            command_timeout_secs: 300,
            data_timeout_secs: 600,
            max_commands: 1000,
        }
    }
}

/// The sink's answer at the end of DATA.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkAnswer {
    #[default]
    Accept,
    Reject,
}

/// `[fetch]` in blowback.toml: pulling bounces from a hosted mailbox over IMAP.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchSettings {
    /// Name of the environment variable holding the IMAP password. The default is
    /// `BLOWBACK_IMAP_PASSWORD`.
    pub password_env: String,
    /// What to do with a message once kept: `seen` (set \Seen), `move:FOLDER`, or
    /// `none`. The default is `seen`.
    pub after: String,
    /// Where the UIDVALIDITY/UID of each mailbox is remembered. The default is
    /// `<maildir>/.blowback-fetch.json`.
    pub state: Option<PathBuf>,
    /// Extra PEM CA certificates to trust (a self-signed server). The default is none
    /// (the Mozilla roots only).
    pub ca_file: Option<PathBuf>,
    /// Most messages fetched per round trip. The default is 50.
    pub batch: usize,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            password_env: "BLOWBACK_IMAP_PASSWORD".into(),
            after: "seen".into(),
            state: None,
            ca_file: None,
            batch: 50,
        }
    }
}

/// `[notice]` in blowback.toml: the public notice page.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoticeSettings {
    /// Who to write to about the page (shown on it). The default is none.
    pub contact: Option<String>,
}

/// SMTP text and header text may hold printable ASCII only: anything else from the
/// input becomes `?`, so no control character or line break leaves blowback.
pub fn printable_ascii(text: &str, max: usize) -> String {
    text.chars()
        .take(max)
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_ascii_replaces_controls_and_cuts() {
        assert_eq!(printable_ascii("a\r\nb\u{7}é", 10), "a??b??");
        assert_eq!(printable_ascii("abcdef", 3), "abc");
    }
}
