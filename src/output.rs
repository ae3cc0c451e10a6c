//! Output of `analyze`: the per-message [`Record`] (the stable contract in DESIGN.md)
//! and its writers — a readable table, NDJSON, a JSON array and CSV — all writing to
//! any `io::Write`, plus the run [`Summary`] printed on stderr.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::annotate::{ContactFacts, GeoFacts, NetworkFacts};
use crate::bounce::{Completeness, Kind, RecipientStatus, StatusSource};
use crate::contacts::Contact;
use crate::received::{NameCheck, Origin};
use crate::verdict::VerdictKind;

/// One analysed (or failed) input message. Field names and meanings are a stable
/// contract: add fields, never rename or change these.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub source: String,
    /// SHA-256 of the exact bytes; null only when the input could not be read at all.
    pub id: Option<String>,
    /// Null only when the input could not be read at all.
    pub kind: Option<Kind>,
    pub mta: Option<String>,
    pub verdict: VerdictKind,
    pub verdict_reasons: Vec<String>,
    /// The addresses the bounce says failed.
    pub recipients: Vec<String>,
    pub original: Option<OriginalSummary>,
    pub origin: Option<OriginFacts>,
    pub bouncer_ip: Option<String>,
    pub contacts: Vec<Contact>,
    pub error: Option<String>,
    // Beyond the contract's first fields:
    /// Size of the message in bytes (0 when it could not be read).
    pub size: usize,
    /// Our addresses the bounce came back to (the forged senders), BATV/SRS decoded.
    pub bounced_to: Vec<String>,
    /// The date the mailbox recorded (mbox From_ line, Maildir name).
    pub envelope_date: Option<String>,
    pub reporting_mta: Option<String>,
    pub arrival_date: Option<String>,
    /// Per-recipient DSN fields.
    pub dsn: Vec<RecipientStatus>,
    /// The first failed recipient's status, `X.Y.Z`.
    pub status: Option<String>,
    /// Where `status` came from: the DSN `Status` field (`dsn`), an enhanced code in the
    /// diagnostic text (`enhanced_code`) or only an SMTP reply code there (`reply_code`).
    pub status_source: Option<StatusSource>,
    /// The first external peer before forwarder traversal (usually equals origin.ip).
    pub boundary_ip: Option<String>,
    /// Why there is no origin, when there is none.
    pub no_origin_reason: Option<String>,
    /// Public addresses below the origin: possibly forged clues, never accused.
    pub untrusted_hops: Vec<String>,
    pub anomalies: Vec<String>,
    /// Reverse-DNS names the walk went past without proof (never accused on): confirming
    /// each forward (FCrDNS, `--resolve`) is what would make the origin more than `low`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs_fcrdns: Vec<NameCheck>,
    /// The bouncer's address with its country and AS (and network with `--resolve`).
    pub bouncer: Option<PeerFacts>,
    /// Registrars, abuse contacts and hosts of advertised contacts (with `--resolve`).
    pub contact_facts: Vec<ContactFacts>,
    /// Signs that the message answers other mail (null sender, `Auto-Submitted`, an
    /// auto-reply subject, a reply to our Message-ID): such a message is never spam
    /// received directly (see `accuse`).
    pub reply_signals: Vec<crate::accuse::ReplySignal>,
    /// The message's own Message-ID, From, Subject and Date when it is M itself (spam
    /// received directly: `original` is then null).
    pub message: Option<MessageHead>,
    /// When M was received from its origin, from the Received line that records the
    /// hand-over (RFC 3339, UTC); never the sender's `Date:`.
    pub received_at: Option<String>,
    /// The whole walk, with `--hops`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hops: Option<serde_json::Value>,
}

/// The origin as the walk found it, plus where it is (`geo`, from the local databases)
/// and whose network it is (`network`, with `--resolve`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OriginFacts {
    #[serde(flatten)]
    pub found: Origin,
    pub geo: Option<GeoFacts>,
    pub network: Option<NetworkFacts>,
}

impl From<Origin> for OriginFacts {
    fn from(found: Origin) -> Self {
        OriginFacts {
            found,
            geo: None,
            network: None,
        }
    }
}

/// An address with what is known about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerFacts {
    pub ip: String,
    pub geo: Option<GeoFacts>,
    pub network: Option<NetworkFacts>,
}

/// The identifying header fields of a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageHead {
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    /// As written (the sender's claim).
    pub date: Option<String>,
}

/// What the contract shows of the carved original M.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OriginalSummary {
    pub completeness: Completeness,
    pub sha256: String,
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub date: Option<String>,
    pub carrier: String,
    /// Byte range of M in the input, when copied verbatim.
    pub range: Option<(usize, usize)>,
    pub depth: u32,
}

impl Record {
    /// The record of an input that could not be read or analysed.
    pub fn failed(source: String, id: Option<String>, error: String) -> Self {
        Record {
            error: Some(error),
            ..Record::new(source, id)
        }
    }

    /// An empty record of a message, to be filled in by the stages.
    pub fn new(source: String, id: Option<String>) -> Self {
        Record {
            source,
            id,
            kind: None,
            mta: None,
            verdict: VerdictKind::Unknown,
            verdict_reasons: Vec::new(),
            recipients: Vec::new(),
            original: None,
            origin: None,
            bouncer_ip: None,
            contacts: Vec::new(),
            error: None,
            size: 0,
            bounced_to: Vec::new(),
            status: None,
            status_source: None,
            envelope_date: None,
            reporting_mta: None,
            arrival_date: None,
            dsn: Vec::new(),
            boundary_ip: None,
            no_origin_reason: None,
            untrusted_hops: Vec::new(),
            anomalies: Vec::new(),
            needs_fcrdns: Vec::new(),
            bouncer: None,
            contact_facts: Vec::new(),
            reply_signals: Vec::new(),
            message: None,
            received_at: None,
            hops: None,
        }
    }
}

/// How records are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// A readable table. The default.
    #[default]
    Table,
    Ndjson,
    Json,
    Csv,
}

/// Writes records one at a time in the chosen format. Each record's text is built
/// whole in a buffer and handed to the output in one write, flushed: a run killed at
/// any point leaves whole lines. With [`RecordWriter::hold`] the lines wait until
/// [`RecordWriter::flush`] (the store commits them first).
pub struct RecordWriter<W: Write> {
    out: W,
    format: OutputFormat,
    written: usize,
    /// Complete lines not handed to `out` yet.
    buf: Vec<u8>,
    hold: bool,
    /// The regular file `out` writes to, when known (for crash recovery).
    file: Option<OutputFile>,
}

/// The regular file an output goes to: its path and an open handle on it, to tell
/// where the next lines will land.
#[derive(Debug)]
pub struct OutputFile {
    path: String,
    file: std::fs::File,
}

impl OutputFile {
    /// Standard output, when it is a regular file whose path names it still.
    #[cfg(target_os = "linux")]
    pub fn stdout() -> Option<OutputFile> {
        use std::os::fd::AsFd;
        let file = std::fs::File::from(io::stdout().as_fd().try_clone_to_owned().ok()?);
        let metadata = file.metadata().ok()?;
        let path = std::fs::read_link("/proc/self/fd/1").ok()?;
        let named = std::fs::metadata(&path).ok()?;
        let same = crate::fsutil::file_id(&named) == crate::fsutil::file_id(&metadata);
        (metadata.is_file() && same).then_some(OutputFile {
            path: path.to_str()?.to_string(),
            file,
        })
    }

    #[cfg(not(target_os = "linux"))]
    pub fn stdout() -> Option<OutputFile> {
        None
    }

    /// Where lines written now land: the file's identity and current size.
    fn mark(&self) -> Option<crate::store::OutputMark> {
        let metadata = self.file.metadata().ok()?;
        let (dev, ino) = crate::fsutil::file_id(&metadata)?;
        Some(crate::store::OutputMark {
            path: self.path.clone(),
            dev,
            ino,
            offset: metadata.len(),
        })
    }
}

impl<W: Write> RecordWriter<W> {
    pub fn new(out: W, format: OutputFormat) -> Self {
        RecordWriter {
            out,
            format,
            written: 0,
            buf: Vec::new(),
            hold: false,
            file: None,
        }
    }

    /// Names the regular file `out` writes to (see [`OutputFile::stdout`]).
    pub fn with_file(mut self, file: Option<OutputFile>) -> Self {
        self.file = file;
        self
    }

    /// Where the held text will land when flushed, if the output is a known file.
    pub fn mark(&self) -> Option<crate::store::OutputMark> {
        self.file.as_ref()?.mark()
    }

    /// Keeps written records in the buffer until `flush`.
    pub fn hold(&mut self, hold: bool) {
        self.hold = hold;
    }

    /// The text written since the last flush, not yet out.
    pub fn held(&self) -> &[u8] {
        &self.buf
    }

    /// Writes text another run left pending (see `Store::recover_output`) first.
    pub fn write_raw(&mut self, text: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(text);
        self.emit()
    }

    /// Hands the buffer to the output unless held.
    fn emit(&mut self) -> io::Result<()> {
        if self.hold {
            return Ok(());
        }
        self.flush()
    }

    pub fn write(&mut self, record: &Record) -> io::Result<()> {
        self.format_record(record)?;
        self.written += 1;
        self.emit()
    }

    fn format_record(&mut self, record: &Record) -> io::Result<()> {
        let out = &mut self.buf;
        match self.format {
            OutputFormat::Ndjson => {
                serde_json::to_writer(&mut *out, record)?;
                out.push(b'\n');
            }
            OutputFormat::Json => {
                out.extend_from_slice(if self.written == 0 { b"[\n" } else { b",\n" });
                serde_json::to_writer(&mut *out, record)?;
            }
            OutputFormat::Table => {
                if self.written == 0 {
                    writeln!(out, "{}", table_row(TABLE_HEADER.map(String::from)))?;
                }
                writeln!(out, "{}", table_row(table_cells(record)))?;
            }
            OutputFormat::Csv => {
                if self.written == 0 {
                    writeln!(out, "{}", CSV_HEADER.join(","))?;
                }
                let cells: Vec<String> = csv_cells(record)
                    .iter()
                    .map(|c| csv_quote(&printable(c)))
                    .collect();
                writeln!(out, "{}", cells.join(","))?;
            }
        }
        Ok(())
    }

    /// Writes a record stored by an earlier run (JSON text). Table and CSV output
    /// show it as a row of its main fields.
    pub fn write_stored(&mut self, json: &str) -> io::Result<()> {
        match self.format {
            OutputFormat::Ndjson => writeln!(self.buf, "{json}")?,
            OutputFormat::Json => {
                self.buf
                    .extend_from_slice(if self.written == 0 { b"[\n" } else { b",\n" });
                self.buf.extend_from_slice(json.as_bytes());
            }
            OutputFormat::Table | OutputFormat::Csv => {
                let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
                let text = |key: &str| value[key].as_str().unwrap_or("-").to_string();
                let mut record =
                    Record::new(text("source"), value["id"].as_str().map(String::from));
                record.mta = value["mta"].as_str().map(String::from);
                record.bouncer_ip = value["bouncer_ip"].as_str().map(String::from);
                record.verdict_reasons = vec![format!("stored: {}", text("verdict"))];
                self.format_record(&record)?;
            }
        }
        self.written += 1;
        self.emit()
    }

    /// Pushes what was written so far to the output: one write of whole records.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        self.out.flush()
    }

    /// Closes the JSON array (and flushes).
    pub fn finish(mut self) -> io::Result<W> {
        if self.format == OutputFormat::Json {
            self.buf
                .extend_from_slice(if self.written == 0 { b"[]\n" } else { b"\n]\n" });
        }
        self.hold = false;
        self.flush()?;
        Ok(self.out)
    }
}

const TABLE_HEADER: [&str; 7] = [
    "SOURCE", "KIND", "MTA", "VERDICT", "ORIGIN", "CONF", "CONTACTS",
];
const TABLE_WIDTHS: [usize; 7] = [34, 14, 12, 12, 26, 6, 30];

fn table_cells(record: &Record) -> [String; 7] {
    // The table names what the spam advertises: domains, addresses, phones and handles
    // (full URLs, tracking and unsubscribe links are in the JSON).
    let advertised: Vec<String> = record
        .contacts
        .iter()
        .filter(|c| matches!(c.role.as_str(), "advertised" | "mailbox") && c.kind != "url")
        .map(|c| match c.kind.as_str() {
            "domain" | "email" | "phone" => c.value.clone(),
            kind => format!("{kind}:{}", c.value),
        })
        .collect();
    let contacts = match advertised.len() {
        0 => String::from("-"),
        1..=3 => advertised.join(" "),
        n => format!("{} +{} more", advertised[..3].join(" "), n - 3),
    };
    let origin = match (&record.origin, &record.error) {
        (_, Some(error)) => format!("error: {error}"),
        (Some(origin), None) => origin.found.ip.clone(),
        (None, None) => "-".into(),
    };
    [
        record.source.clone(),
        record
            .kind
            .map(|k| enum_name(&k))
            .unwrap_or_else(|| "-".into()),
        record.mta.clone().unwrap_or_else(|| "-".into()),
        enum_name(&record.verdict),
        origin,
        record
            .origin
            .as_ref()
            .map(|o| o.found.confidence.clone())
            .unwrap_or_else(|| "-".into()),
        contacts,
    ]
}

fn table_row(cells: [String; 7]) -> String {
    let mut line = String::new();
    for (column, (cell, width)) in cells.iter().zip(TABLE_WIDTHS).enumerate() {
        // The last column is not cut; a path keeps its end (the file name).
        let cell = match column {
            0 => fit(&printable(cell), width),
            6 => printable(cell),
            _ => printable(cell).chars().take(width).collect(),
        };
        line.push_str(&format!("{cell:<width$} "));
    }
    line.trim_end().to_string()
}

/// Shortens to `width` characters, keeping the end (the file name is at the end of a path).
fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    let tail: String = text.chars().skip(count - (width - 1)).collect();
    format!("…{tail}")
}

/// Input text shown on a terminal or in a spreadsheet: see [`crate::sanitize`].
pub use crate::sanitize::printable;

fn enum_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

const CSV_HEADER: [&str; 12] = [
    "source",
    "id",
    "kind",
    "mta",
    "verdict",
    "recipients",
    "original_message_id",
    "origin_ip",
    "origin_confidence",
    "bouncer_ip",
    "contacts",
    "error",
];

fn csv_cells(record: &Record) -> [String; 12] {
    [
        record.source.clone(),
        record.id.clone().unwrap_or_default(),
        record.kind.map(|k| enum_name(&k)).unwrap_or_default(),
        record.mta.clone().unwrap_or_default(),
        enum_name(&record.verdict),
        record.recipients.join(" "),
        record
            .original
            .as_ref()
            .and_then(|o| o.message_id.clone())
            .unwrap_or_default(),
        record
            .origin
            .as_ref()
            .map(|o| o.found.ip.clone())
            .unwrap_or_default(),
        record
            .origin
            .as_ref()
            .map(|o| o.found.confidence.clone())
            .unwrap_or_default(),
        record.bouncer_ip.clone().unwrap_or_default(),
        record
            .contacts
            .iter()
            .map(|c| format!("{}:{}", c.kind, c.value))
            .collect::<Vec<_>>()
            .join(" "),
        record.error.clone().unwrap_or_default(),
    ]
}

/// RFC 4180 quoting; a leading `=+-@` is prefixed with `'` so a spreadsheet never runs
/// spam text as a formula.
fn csv_quote(cell: &str) -> String {
    let cell = if cell.starts_with(['=', '+', '-', '@']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

/// Counts of one run, printed on stderr. Every input read is in exactly one of
/// `analysed`, `not_bounces` or `failed`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub inputs_read: usize,
    /// Bounces, delays, auto-replies, challenges and feedback reports analysed.
    pub analysed: usize,
    pub not_bounces: usize,
    pub failed: usize,
    /// Already analysed by an earlier run (`--db`), not analysed again.
    pub known: usize,
    pub by_kind: BTreeMap<String, usize>,
    pub backscatter: usize,
    pub own_bounces: usize,
    pub unknown_verdict: usize,
    pub with_origin: usize,
    /// (source, reason) of every failed input.
    pub failures: Vec<(String, String)>,
    /// Files met while walking a directory that are not mail (README, PROVENANCE.tsv, ...):
    /// not inputs, but named so nothing vanishes silently.
    pub skipped: Vec<String>,
    /// (path, reason) of what walking passed over without reading it: FIFOs, sockets,
    /// devices, links to directories without `--follow`, files met twice through links.
    pub passed_over: Vec<(String, String)>,
    /// Forged addresses of ours seen across the run, with counts: the joe job's spread.
    pub forged_addresses: BTreeMap<String, usize>,
}

impl Summary {
    pub fn add(&mut self, record: &Record) {
        self.inputs_read += 1;
        if let Some(error) = &record.error {
            self.failed += 1;
            self.failures.push((record.source.clone(), error.clone()));
            return;
        }
        let Some(kind) = record.kind else { return };
        *self.by_kind.entry(enum_name(&kind)).or_default() += 1;
        if kind == Kind::NotABounce {
            self.not_bounces += 1;
            self.with_origin += usize::from(record.origin.is_some());
            return;
        }
        self.analysed += 1;
        match record.verdict {
            VerdictKind::Backscatter => {
                self.backscatter += 1;
                for address in &record.bounced_to {
                    *self.forged_addresses.entry(address.clone()).or_default() += 1;
                }
            }
            VerdictKind::OwnBounce => self.own_bounces += 1,
            // A reply is never a report (it returned above as not a bounce).
            VerdictKind::Unknown | VerdictKind::Reply => self.unknown_verdict += 1,
        }
        self.with_origin += usize::from(record.origin.is_some());
    }

    /// The accounting invariant: nothing read is unaccounted for.
    pub fn balanced(&self) -> bool {
        self.inputs_read == self.analysed + self.not_bounces + self.failed + self.known
    }

    pub fn write(&self, mut out: impl Write) -> io::Result<()> {
        writeln!(
            out,
            "blowback: {} inputs read: {} analysed ({} backscatter, {} own bounces, {} unknown), {} not bounces, {} failed{}; origin found for {}",
            self.inputs_read,
            self.analysed,
            self.backscatter,
            self.own_bounces,
            self.unknown_verdict,
            self.not_bounces,
            self.failed,
            if self.known > 0 {
                format!(", {} already analysed (--db)", self.known)
            } else {
                String::new()
            },
            self.with_origin,
        )?;
        if !self.by_kind.is_empty() {
            let kinds: Vec<String> = self
                .by_kind
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            writeln!(out, "  kinds: {}", kinds.join(", "))?;
        }
        if !self.forged_addresses.is_empty() {
            let forged: Vec<String> = self
                .forged_addresses
                .iter()
                .map(|(a, n)| format!("{} ({n})", printable(a)))
                .collect();
            writeln!(out, "  forged addresses of ours: {}", forged.join(", "))?;
        }
        if !self.skipped.is_empty() {
            let names: Vec<String> = self.skipped.iter().map(|s| printable(s)).collect();
            writeln!(
                out,
                "  skipped, not mail: {} ({} {})",
                names.join(", "),
                names.len(),
                if names.len() == 1 { "file" } else { "files" }
            )?;
        }
        for (source, reason) in &self.passed_over {
            writeln!(
                out,
                "  passed over: {}: {}",
                printable(source),
                printable(reason)
            )?;
        }
        for (source, reason) in &self.failures {
            writeln!(
                out,
                "  failed: {}: {}",
                printable(source),
                printable(reason)
            )?;
        }
        if !self.balanced() {
            writeln!(
                out,
                "  ACCOUNTING ERROR: inputs read do not add up (this is a bug)"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_neutralises_terminal_controls() {
        assert_eq!(printable("a\x1b[31mb\r\nc\u{202e}d"), "a?[31mb??c?d");
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_quote("a,b"), "\"a,b\"");
        assert_eq!(csv_quote("=cmd()"), "'=cmd()");
        assert_eq!(csv_quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn json_array_is_well_formed_for_zero_one_and_two_records() {
        for n in 0..3 {
            let mut writer = RecordWriter::new(Vec::new(), OutputFormat::Json);
            for i in 0..n {
                writer
                    .write(&Record::failed(format!("s{i}"), None, "x".into()))
                    .unwrap();
            }
            let bytes = writer.finish().unwrap();
            let parsed: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(parsed.as_array().unwrap().len(), n);
        }
    }

    #[test]
    fn summary_accounts_for_every_record() {
        let mut summary = Summary::default();
        summary.add(&Record::failed("a".into(), None, "unreadable".into()));
        let mut ok = Record::new("b".into(), Some("id".into()));
        ok.kind = Some(Kind::NotABounce);
        summary.add(&ok);
        assert_eq!(
            (summary.inputs_read, summary.failed, summary.not_bounces),
            (2, 1, 1)
        );
        assert!(summary.balanced());
    }
}
