//! Ingest: turns the inputs named on the command line (files, directory trees of
//! .eml files, mbox files, Maildir folders, `-` for stdin) into a stream of
//! [`RawMessage`]s, one at a time, so memory does not grow with the number of messages.
//!
//! Inputs are opened read-only and never changed. Anything that cannot be read becomes
//! an [`IngestFailure`] naming its source, so every input is accounted for.

mod input;
mod listing;
mod maildir;
mod mbox;
mod sniff;

use serde::Serialize;

pub use input::{Inputs, file_stamp, total_size};

/// One message exactly as read.
#[derive(Debug, Clone, PartialEq)]
pub struct RawMessage {
    /// SHA-256 (hex) of `bytes`.
    pub id: String,
    /// Where it came from: the path as given, plus `#<byte offset>` in an mbox.
    pub source: String,
    pub bytes: Vec<u8>,
    /// The date the mailbox recorded (mbox From_ line, Maildir file name), RFC 3339 UTC.
    pub envelope_date: Option<String>,
    pub format: Format,
}

impl RawMessage {
    pub fn new(
        source: String,
        bytes: Vec<u8>,
        format: Format,
        envelope_date: Option<String>,
    ) -> Self {
        RawMessage {
            id: crate::hash::sha256_hex(&bytes),
            source,
            bytes,
            envelope_date,
            format,
        }
    }
}

/// The container a message was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Eml,
    Mbox,
    Maildir,
}

/// How to read the inputs. The default is to detect the format of each input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatChoice {
    #[default]
    Auto,
    /// One message per file.
    Eml,
    /// mbox (mboxo or mboxrd; `>From ` lines are unquoted one level).
    Mbox,
    /// A Maildir folder (messages in cur/ and new/).
    Maildir,
}

/// An input, or part of one, that could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestFailure {
    pub source: String,
    pub error: String,
}

impl IngestFailure {
    pub fn new(source: String, error: String) -> Self {
        IngestFailure { source, error }
    }
}

/// What ingest yields, one per message or unreadable input.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Message(RawMessage),
    Failed(IngestFailure),
    /// A file met while walking a directory that is not mail at all (a README, a
    /// PROVENANCE.tsv): passed over and named in the summary, not counted as an input.
    NotMail(String),
    /// A path passed over without being read, and why: not a regular file (FIFO, socket,
    /// device), a symbolic link to a directory without `--follow`, or a file or directory
    /// already read in this run through another link.
    Skipped {
        source: String,
        reason: String,
    },
    /// A file an earlier run already analysed (same path, size and modification time,
    /// as the store recorded), not read again.
    Known {
        source: String,
        id: String,
    },
}

impl From<Result<RawMessage, IngestFailure>> for Item {
    fn from(read: Result<RawMessage, IngestFailure>) -> Self {
        match read {
            Ok(message) => Item::Message(message),
            Err(failure) => Item::Failed(failure),
        }
    }
}

/// Identifies a file without reading it: path as given, size and modification time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileStamp {
    pub source: String,
    pub size: u64,
    /// Modification time in nanoseconds since 1970.
    pub modified_ns: i128,
}

/// Answers "was this file analysed before?" with the message id, from the store.
pub type KnownFiles = Box<dyn Fn(&FileStamp) -> Option<String> + Send>;

/// Formats a Unix time as RFC 3339 UTC.
fn rfc3339(timestamp: i64) -> String {
    crate::timefmt::utc_rfc3339(timestamp)
}

/// Splits an mbox stream into messages (for callers holding the bytes, and fuzzing).
pub fn mbox_messages<R: std::io::BufRead>(
    name: String,
    reader: R,
    max_message_bytes: u64,
) -> impl Iterator<Item = Item> {
    mbox::MboxMessages::new(name, reader, max_message_bytes).map(Item::from)
}
