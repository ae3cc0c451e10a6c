//! Deliver: the edges of complaint handling. `report` analyses inputs, groups them into
//! cases and writes one `.eml` per complaint plus `INDEX.md` and `INDEX.json` to an
//! outbox (nothing is sent); `review` shows the complaints that rest on third-party
//! headers and records a person's approval in `outbox/APPROVALS.json` (bound to the
//! file's SHA-256, so an edited or regenerated file needs approval again); `send`
//! delivers approved complaints over SMTP (lettre), a dry run unless asked, at a
//! bounded rate, recording every delivery in the SQLite store before the next one so
//! nothing is sent twice and an interrupted run resumes.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::app::Analyzer;
use crate::bounce::{self, Completeness, Kind};
use crate::cases::{self, CaseOptions, is_plain_address};
use crate::enrich::{Jurisdictions, Verification};
use crate::ingest::Item;
use crate::output::{Record, printable};
use crate::received;
use crate::render::arf::Evidence;
use crate::render::{self, Complaint, RenderInput, SmtpSettings, Templates, TlsMode};
use crate::store::{Sent, Store};

/// Index file names in the outbox.
pub const INDEX_JSON: &str = "INDEX.json";
pub const INDEX_MD: &str = "INDEX.md";
pub const APPROVALS: &str = "APPROVALS.json";

/// An error that stops a command.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Template(#[from] render::templates::TemplateError),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Usage(String),
    #[error(
        "{path}: not a blowback outbox index ({message}); run `blowback report … --out DIR` first"
    )]
    Index { path: PathBuf, message: String },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> DeliverError + '_ {
    move |source| DeliverError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One line of INDEX.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub file: String,
    pub case_id: String,
    pub party_kind: String,
    pub party: String,
    pub address: Option<String>,
    pub address_source: String,
    /// `verified`, `conflict` or `unverified`: whether the registry answer behind the
    /// address was checked (an index without it, from an older run, reads `unverified`).
    #[serde(default)]
    pub address_status: Verification,
    pub country: Option<String>,
    pub language: String,
    pub count: usize,
    pub first_seen: String,
    pub last_seen: String,
    pub formats: Vec<render::Format>,
    pub why: String,
    pub needs_review: bool,
    pub subject: String,
    pub sha256: String,
    /// The addresses the complaint names (the accused source for a source network, the
    /// bouncer for a notice, hosting addresses).
    #[serde(default)]
    pub ips: Vec<String>,
    /// The advertised domains and links, or the accounts (mailbox provider), it names.
    #[serde(default)]
    pub contacts: Vec<String>,
}

/// What `report` did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReportSummary {
    pub inputs_read: usize,
    pub failed: Vec<(String, String)>,
    pub not_mail: usize,
    pub complaints: usize,
    pub without_address: usize,
}

impl ReportSummary {
    pub fn write(&self, mut out: impl Write, outbox: &Path) -> io::Result<()> {
        writeln!(
            out,
            "blowback: {} inputs read, {} failed; {} complaints written to {} ({} without a known abuse address); nothing sent",
            self.inputs_read,
            self.failed.len(),
            self.complaints,
            printable(&outbox.display().to_string()),
            self.without_address
        )?;
        for (source, error) in &self.failed {
            writeln!(out, "  failed: {}: {}", printable(source), printable(error))?;
        }
        Ok(())
    }
}

/// What `report` needs besides the analyzer.
pub struct ReportOptions<'a> {
    pub outbox: &'a Path,
    pub jurisdictions: Option<&'a Jurisdictions>,
    /// Unix time written as the complaints' Date.
    pub now: i64,
}

/// Analyses the inputs and writes the outbox.
pub fn report(
    analyzer: &Analyzer,
    inputs: impl Iterator<Item = Item>,
    opts: &ReportOptions,
) -> Result<ReportSummary, DeliverError> {
    let mut summary = ReportSummary::default();
    let mut records = Vec::new();
    let mut originals = BTreeMap::new();
    let mut explain = BTreeMap::new();
    for item in inputs {
        match item {
            Item::Message(message) => {
                summary.inputs_read += 1;
                let record = analyzer.analyze(&message);
                if let Some(error) = &record.error {
                    summary.failed.push((record.source.clone(), error.clone()));
                    continue;
                }
                let (evidence, walk_text) = evidence_of(analyzer, &message.bytes, &record);
                if let Some(evidence) = evidence {
                    originals.insert(message.id.clone(), evidence);
                }
                explain.insert(message.id.clone(), walk_text);
                records.push(record);
            }
            Item::Failed(failure) => {
                summary.inputs_read += 1;
                summary.failed.push((failure.source, failure.error));
            }
            Item::NotMail(_) | Item::Skipped { .. } => summary.not_mail += 1,
            Item::Known { .. } => {}
        }
    }
    let settings = &analyzer.config.report;
    let cases = cases::build(
        &records,
        &CaseOptions {
            window_days: settings.campaign_window_days,
            addresses: settings.addresses.clone(),
            jurisdictions: opts.jurisdictions,
            now: opts.now,
        },
    );
    let templates = Templates::load(settings.template_dir.as_deref())?;
    let input = RenderInput {
        settings,
        templates: &templates,
        own_domains: &analyzer.config.own_domains,
        originals: &originals,
        explain: &explain,
        jurisdictions: opts.jurisdictions,
        now: opts.now,
    };
    let complaints = cases
        .iter()
        .enumerate()
        .map(|(i, case)| render::render_case(case, i, &input))
        .collect::<Result<Vec<_>, _>>()?;
    summary.complaints = complaints.len();
    summary.without_address = complaints
        .iter()
        .filter(|c| c.party.address.is_none())
        .count();
    write_outbox(opts.outbox, &complaints)?;
    Ok(summary)
}

/// M's bytes (or the message itself when it is not a report) and the plain-words walk.
fn evidence_of(analyzer: &Analyzer, bytes: &[u8], record: &Record) -> (Option<Evidence>, String) {
    let report = bounce::decode(bytes);
    let walk = received::walk(bytes, &report, &analyzer.trust);
    let evidence = match (&report.original, record.kind) {
        (Some(original), _) => Some(Evidence {
            bytes: original.bytes.clone(),
            headers_only: original.completeness == Completeness::HeadersOnly,
        }),
        (None, Some(Kind::NotABounce)) => Some(Evidence {
            bytes: bytes.to_vec(),
            headers_only: false,
        }),
        _ => None,
    };
    (evidence, received::explain_to_string(&walk))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes every complaint and the two indexes, replacing an earlier run's.
pub fn write_outbox(dir: &Path, complaints: &[Complaint]) -> Result<(), DeliverError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    // Complaints an earlier run wrote here and this run does not: removed, so the
    // outbox holds exactly what INDEX.json lists (only names that index gave).
    if let Ok(previous) = read_index(dir) {
        for old in previous {
            if !complaints.iter().any(|c| c.file_name == old.file) {
                let _ = std::fs::remove_file(dir.join(&old.file));
            }
        }
    }
    let mut index = Vec::new();
    for complaint in complaints {
        let path = dir.join(&complaint.file_name);
        std::fs::write(&path, &complaint.eml).map_err(io_err(&path))?;
        index.push(IndexEntry {
            file: complaint.file_name.clone(),
            case_id: complaint.case_id.clone(),
            party_kind: complaint.party.kind.name().into(),
            party: complaint.party.name.clone(),
            address: complaint.party.address.clone(),
            address_source: complaint.party.address_source.clone(),
            address_status: complaint.party.address_status,
            country: complaint.party.country.clone(),
            language: complaint.language.clone(),
            count: complaint.count,
            first_seen: complaint.first_seen.clone(),
            last_seen: complaint.last_seen.clone(),
            formats: complaint.formats.clone(),
            why: complaint.party.why.clone(),
            needs_review: complaint.needs_review,
            subject: complaint.subject.clone(),
            sha256: sha256_hex(&complaint.eml),
            ips: complaint.ips.clone(),
            contacts: complaint.contacts.clone(),
        });
    }
    let path = dir.join(INDEX_JSON);
    let json = serde_json::to_string_pretty(&index).unwrap_or_default() + "\n";
    std::fs::write(&path, json).map_err(io_err(&path))?;
    let path = dir.join(INDEX_MD);
    std::fs::write(&path, index_markdown(&index)).map_err(io_err(&path))?;
    Ok(())
}

/// A Markdown cell: no line breaks, pipes escaped.
fn md(text: &str) -> String {
    render::mime::sanitize(text, 300).replace('|', "\\|")
}

fn index_markdown(index: &[IndexEntry]) -> String {
    let mut out = String::from(
        "# blowback outbox\n\nNothing here has been sent. Review with `blowback review DIR`, send with `blowback send DIR --really`.\n\n",
    );
    out.push_str("| file | party | kind | address | address status | country | messages | first seen | last seen | formats | review | why this party |\n");
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for e in index {
        let formats: Vec<String> = e
            .formats
            .iter()
            .map(|f| format!("{f:?}").to_lowercase())
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            md(&e.file),
            md(&e.party),
            e.party_kind,
            md(e.address.as_deref().unwrap_or("none known")),
            e.address_status.name(),
            md(e.country.as_deref().unwrap_or("?")),
            e.count,
            e.first_seen,
            e.last_seen,
            formats.join("+"),
            if e.needs_review { "required" } else { "no" },
            md(&e.why),
        ));
    }
    out
}

/// Reads INDEX.json.
pub fn read_index(dir: &Path) -> Result<Vec<IndexEntry>, DeliverError> {
    let path = dir.join(INDEX_JSON);
    let text = std::fs::read_to_string(&path).map_err(|e| DeliverError::Index {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let entries: Vec<IndexEntry> =
        serde_json::from_str(&text).map_err(|e| DeliverError::Index {
            path: path.clone(),
            message: e.to_string(),
        })?;
    for entry in &entries {
        let plain = entry
            .file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !plain || entry.file.starts_with('.') {
            return Err(DeliverError::Index {
                path,
                message: format!(
                    "file name {:?} is not a plain outbox name",
                    printable(&entry.file)
                ),
            });
        }
    }
    Ok(entries)
}

/// One recorded approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub file: String,
    pub case_id: String,
    /// SHA-256 of the file as approved.
    pub sha256: String,
    pub approved_at: i64,
    /// `interactive`, `--approve FILE` or `--approve-all`.
    pub how: String,
}

fn read_approvals(dir: &Path) -> Vec<Approval> {
    std::fs::read_to_string(dir.join(APPROVALS))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

fn write_approvals(dir: &Path, approvals: &[Approval]) -> Result<(), DeliverError> {
    let path = dir.join(APPROVALS);
    let json = serde_json::to_string_pretty(approvals).unwrap_or_default() + "\n";
    std::fs::write(&path, json).map_err(io_err(&path))
}

/// Is this file, with these exact bytes, approved?
fn approved(approvals: &[Approval], file: &str, sha: &str) -> bool {
    approvals.iter().any(|a| a.file == file && a.sha256 == sha)
}

/// How `review` decides.
pub enum ReviewMode<'a> {
    /// Only list what waits for approval.
    List,
    /// Approve these files.
    Files(&'a [String]),
    /// Approve everything (said explicitly with `--approve-all`).
    All,
    /// Ask a person for each complaint (y/N/q).
    Ask(&'a mut dyn BufRead),
}

/// What `review` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewSummary {
    pub approved: usize,
    pub pending: usize,
    pub not_needed: usize,
}

/// Shows each complaint that needs approval and records decisions.
pub fn review(
    dir: &Path,
    mode: ReviewMode,
    out: &mut dyn Write,
    now: i64,
) -> Result<ReviewSummary, DeliverError> {
    let entries = read_index(dir)?;
    let mut approvals = read_approvals(dir);
    let mut summary = ReviewSummary::default();
    let mut mode = mode;
    let wio = |e| DeliverError::Io {
        path: PathBuf::from("<stdout>"),
        source: e,
    };
    for entry in &entries {
        let path = dir.join(&entry.file);
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        let sha = sha256_hex(&bytes);
        if !entry.needs_review {
            summary.not_needed += 1;
            continue;
        }
        if approved(&approvals, &entry.file, &sha) {
            summary.approved += 1;
            continue;
        }
        show(entry, &bytes, out).map_err(wio)?;
        let how = match &mut mode {
            ReviewMode::List => None,
            ReviewMode::All => Some("--approve-all".to_string()),
            ReviewMode::Files(files) => files
                .iter()
                .any(|f| {
                    Path::new(f).file_name().and_then(|n| n.to_str()) == Some(entry.file.as_str())
                })
                .then(|| format!("--approve {}", entry.file)),
            ReviewMode::Ask(input) => {
                write!(out, "Approve {}? [y/N/q] ", entry.file).map_err(wio)?;
                out.flush().map_err(wio)?;
                let mut answer = String::new();
                input.read_line(&mut answer).map_err(wio)?;
                match answer.trim().to_ascii_lowercase().as_str() {
                    "y" | "yes" => Some("interactive".to_string()),
                    "q" | "quit" => {
                        summary.pending += 1;
                        break;
                    }
                    _ => None,
                }
            }
        };
        match how {
            Some(how) => {
                approvals.retain(|a| a.file != entry.file);
                approvals.push(Approval {
                    file: entry.file.clone(),
                    case_id: entry.case_id.clone(),
                    sha256: sha,
                    approved_at: now,
                    how,
                });
                write_approvals(dir, &approvals)?;
                summary.approved += 1;
                writeln!(out, "  approved").map_err(wio)?;
            }
            None => {
                summary.pending += 1;
                writeln!(out, "  not approved").map_err(wio)?;
            }
        }
    }
    writeln!(
        out,
        "{} approved, {} waiting for approval, {} need none",
        summary.approved, summary.pending, summary.not_needed
    )
    .map_err(wio)?;
    Ok(summary)
}

/// Prints one complaint for review: who, why, and its text.
fn show(entry: &IndexEntry, bytes: &[u8], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "== {}", entry.file)?;
    writeln!(
        out,
        "   to:       {} ({}; {})",
        printable(entry.address.as_deref().unwrap_or("no address known")),
        entry.address_status.name(),
        printable(&entry.address_source)
    )?;
    writeln!(
        out,
        "   party:    {} [{}], country {}",
        printable(&entry.party),
        entry.party_kind,
        entry.country.as_deref().unwrap_or("?")
    )?;
    writeln!(out, "   subject:  {}", printable(&entry.subject))?;
    writeln!(out, "   why:      {}", printable(&entry.why))?;
    writeln!(
        out,
        "   This complaint rests on Received lines written by third parties (the bouncer); check them before approving."
    )?;
    if let Some(message) = mail_parser::MessageParser::new().parse(bytes)
        && let Some(text) = message.body_text(0)
    {
        for line in text.lines() {
            writeln!(out, "   | {}", printable(line))?;
        }
    }
    Ok(())
}

/// What `send` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendSummary {
    pub sent: usize,
    pub would_send: usize,
    pub already_sent: usize,
    pub refused: usize,
    pub no_address: usize,
    pub failed: usize,
    /// Deliveries whose outcome is unknown (now or from an earlier run), not resent.
    pub uncertain: usize,
}

/// Why a delivery did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// Nothing was delivered (refused, or the connection failed before the message was
    /// handed over); sending again is safe.
    Failed(String),
    /// The message was handed over but the server's final reply never came: it may have
    /// been delivered. Sending again may deliver it twice.
    Uncertain(String),
}

/// Delivers one message; a trait so dry runs need no server.
pub trait Mailer {
    /// Sends `bytes` from `from` to every address of `to`; returns the server's answer.
    fn send(&mut self, from: &str, to: &[String], bytes: &[u8]) -> Result<String, SendFailure>;
}

/// SMTP through lettre's connection, step by step, so a failure after the message was
/// handed over (an unknown outcome) is told apart from one before it.
pub struct SmtpMailer {
    host: String,
    port: u16,
    hello: lettre::transport::smtp::extension::ClientId,
    tls: Option<lettre::transport::smtp::client::TlsParameters>,
    starttls: bool,
    credentials: Option<lettre::transport::smtp::authentication::Credentials>,
}

impl SmtpMailer {
    /// Builds the transport from settings; `password` comes from the environment
    /// variable the settings name; `hello` is the EHLO name (the reporter's domain; an
    /// address literal when none).
    pub fn new(
        settings: &SmtpSettings,
        password: Option<String>,
        hello: Option<&str>,
    ) -> Result<SmtpMailer, DeliverError> {
        use lettre::transport::smtp::client::TlsParameters;
        use lettre::transport::smtp::extension::ClientId;
        let usage = |e: lettre::transport::smtp::Error| DeliverError::Usage(format!("smtp: {e}"));
        let hello = match hello {
            Some(h) => ClientId::Domain(h.to_ascii_lowercase()),
            None => ClientId::default(),
        };
        let tls = match settings.tls {
            TlsMode::None => None,
            TlsMode::Starttls | TlsMode::Tls => {
                Some(TlsParameters::new(settings.host.clone()).map_err(usage)?)
            }
        };
        let credentials = match &settings.user {
            Some(user) => {
                let password = password.ok_or_else(|| {
                    DeliverError::Usage(format!(
                        "smtp: user {user} is set but the environment variable {} holding the password is not",
                        settings.password_env
                    ))
                })?;
                Some(lettre::transport::smtp::authentication::Credentials::new(
                    user.clone(),
                    password,
                ))
            }
            None => None,
        };
        Ok(SmtpMailer {
            host: settings.host.clone(),
            port: settings.port,
            hello,
            starttls: settings.tls == TlsMode::Starttls,
            tls,
            credentials,
        })
    }

    /// Connect, say hello, upgrade and log in: any failure here delivered nothing.
    fn open(&self) -> Result<lettre::transport::smtp::client::SmtpConnection, String> {
        use lettre::transport::smtp::authentication::DEFAULT_MECHANISMS;
        use lettre::transport::smtp::client::SmtpConnection;
        let wrapper = self.tls.as_ref().filter(|_| !self.starttls);
        let mut conn = SmtpConnection::connect(
            (self.host.as_str(), self.port),
            Some(Duration::from_secs(60)),
            &self.hello,
            wrapper,
            None,
        )
        .map_err(|e| e.to_string())?;
        if self.starttls
            && let Some(tls) = &self.tls
        {
            conn.starttls(tls, &self.hello).map_err(|e| e.to_string())?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)
                .map_err(|e| e.to_string())?;
        }
        Ok(conn)
    }
}

impl Mailer for SmtpMailer {
    fn send(&mut self, from: &str, to: &[String], bytes: &[u8]) -> Result<String, SendFailure> {
        use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
        use lettre::transport::smtp::extension::{MailBodyParameter, MailParameter};
        let failed = |e: String| SendFailure::Failed(e);
        let from: lettre::Address = from
            .parse()
            .map_err(|e| failed(format!("sender {from}: {e}")))?;
        let to: Vec<lettre::Address> = to
            .iter()
            .map(|t| t.parse().map_err(|e| failed(format!("recipient {t}: {e}"))))
            .collect::<Result<_, _>>()?;
        let mut conn = self.open().map_err(failed)?;
        let options = if bytes.is_ascii() {
            vec![]
        } else {
            vec![MailParameter::Body(MailBodyParameter::EightBitMime)]
        };
        let step = |r: Result<_, lettre::transport::smtp::Error>| r.map_err(|e| e.to_string());
        let before_data = (|| {
            step(conn.command(Mail::new(Some(from), options)))?;
            for rcpt in to {
                step(conn.command(Rcpt::new(rcpt, vec![])))?;
            }
            step(conn.command(Data))
        })();
        if let Err(e) = before_data {
            conn.abort();
            return Err(failed(e));
        }
        // From here the server may have the whole message: only its reply tells whether it
        // took responsibility. A negative reply is a clear failure; no reply (connection
        // lost, timeout, garbage) is an unknown outcome.
        let result = conn.message(bytes);
        conn.abort();
        match result {
            Ok(response) => Ok(format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Err(e) if e.is_permanent() || e.is_transient() => Err(failed(e.to_string())),
            Err(e) => Err(SendFailure::Uncertain(format!(
                "no reply after the message was sent: {e}"
            ))),
        }
    }
}

/// How `send` runs.
pub struct SendOptions<'a> {
    /// Really send (`--really`); otherwise a dry run that only says what it would do.
    pub really: bool,
    /// The envelope sender.
    pub reporter: Option<&'a str>,
    /// Most deliveries per minute (0 = no limit).
    pub rate_per_minute: u32,
    /// Send again what an earlier run may or may not have delivered
    /// (`--retry-uncertain`); otherwise such complaints are only listed.
    pub retry_uncertain: bool,
    pub now: i64,
}

/// The recipients a complaint file names itself (`To`, `Cc`), so an approval binds them:
/// nothing else (not INDEX.json) decides where it goes. `None` when a header names
/// something that is not a plain address.
pub fn file_recipients(bytes: &[u8]) -> Option<Vec<String>> {
    let message = mail_parser::MessageParser::new().parse_headers(bytes)?;
    let mut out: Vec<String> = Vec::new();
    for header in [message.to(), message.cc()].into_iter().flatten() {
        for addr in header.iter() {
            let email = addr.address()?.trim().to_string();
            if !is_plain_address(&email) {
                return None;
            }
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&email)) {
                out.push(email);
            }
        }
    }
    Some(out)
}

/// Sends the approved complaints of an outbox that were not sent before.
pub fn send(
    dir: &Path,
    store: Option<&Store>,
    mailer: &mut dyn Mailer,
    opts: &SendOptions,
    out: &mut dyn Write,
) -> Result<SendSummary, DeliverError> {
    let entries = read_index(dir)?;
    let approvals = read_approvals(dir);
    if opts.really && store.is_none() {
        return Err(DeliverError::Usage(
            "send --really needs the store that records what was sent (--db FILE or report.db in the config), so nothing is sent twice".into(),
        ));
    }
    let reporter = opts.reporter.filter(|r| is_plain_address(r));
    if opts.really && reporter.is_none() {
        return Err(DeliverError::Usage(
            "send --really needs report.reporter_address in the config (the sender of the complaints)".into(),
        ));
    }
    let wio = |e| DeliverError::Io {
        path: PathBuf::from("<stdout>"),
        source: e,
    };
    let mut summary = SendSummary::default();
    let interval = match opts.rate_per_minute {
        0 => Duration::ZERO,
        n => Duration::from_millis(60_000 / u64::from(n)),
    };
    let mut last_send: Option<std::time::Instant> = None;
    for entry in &entries {
        let path = dir.join(&entry.file);
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        let sha = sha256_hex(&bytes);
        if let Some(store) = store
            && let Some(sent) = store.sent(&entry.case_id)?
        {
            summary.already_sent += 1;
            writeln!(
                out,
                "already sent: {} to {} at {} ({})",
                entry.file,
                sent.recipient,
                crate::render::complaint::day_time(sent.sent_at),
                printable(&sent.response)
            )
            .map_err(wio)?;
            continue;
        }
        if entry.address_status != Verification::Verified || entry.address.is_none() {
            summary.no_address += 1;
            writeln!(out, "not sent: {}: no verified abuse address for {} ({}: {}); find one or set it in report.addresses", entry.file, printable(&entry.party), entry.address_status.name(), printable(&entry.address_source)).map_err(wio)?;
            continue;
        }
        let to = match file_recipients(&bytes) {
            Some(to) if !to.is_empty() => to,
            _ => {
                summary.no_address += 1;
                writeln!(
                    out,
                    "not sent: {}: the file names no plain recipient address in To/Cc",
                    entry.file
                )
                .map_err(wio)?;
                continue;
            }
        };
        let to_text = to.join(", ");
        if let Some(listed) = entry.address.as_deref()
            && !to.iter().any(|t| t.eq_ignore_ascii_case(listed))
        {
            writeln!(out, "note: {}: INDEX.json names {} but the file is addressed to {}; only the file's own recipients are used", entry.file, printable(listed), printable(&to_text)).map_err(wio)?;
        }
        if entry.needs_review && !approved(&approvals, &entry.file, &sha) {
            summary.refused += 1;
            writeln!(out, "refused: {} rests on headers written by third parties and is not approved (or changed since approval); run `blowback review {}` first", entry.file, printable(&dir.display().to_string())).map_err(wio)?;
            continue;
        }
        let earlier = match store {
            Some(store) => store.uncertain(&entry.case_id)?,
            None => None,
        };
        if let Some(earlier) = &earlier
            && !opts.retry_uncertain
        {
            summary.uncertain += 1;
            writeln!(
                out,
                "uncertain: {} to {} at {}: {}; it may have been delivered, so it is not sent again (check with the recipient, or send it again with --retry-uncertain)",
                entry.file,
                printable(&earlier.recipient),
                crate::render::complaint::day_time(earlier.sent_at),
                printable(&earlier.response)
            )
            .map_err(wio)?;
            continue;
        }
        if !opts.really {
            summary.would_send += 1;
            writeln!(
                out,
                "would send: {} to {} (dry run; add --really to send)",
                entry.file, to_text
            )
            .map_err(wio)?;
            continue;
        }
        if let Some(last) = last_send {
            let elapsed = last.elapsed();
            if elapsed < interval {
                std::thread::sleep(interval - elapsed);
            }
        }
        last_send = Some(std::time::Instant::now());
        let delivery = |response: &str| Sent {
            case_id: entry.case_id.clone(),
            file: entry.file.clone(),
            sha256: sha.clone(),
            recipient: to_text.clone(),
            sent_at: opts.now,
            response: response.to_string(),
        };
        match mailer.send(reporter.unwrap_or_default(), &to, &bytes) {
            Ok(response) => {
                if let Some(store) = store {
                    if earlier.is_some() {
                        store.record_sent_after_retry(&delivery(&response))?;
                    } else {
                        store.record_sent(&delivery(&response))?;
                    }
                }
                summary.sent += 1;
                writeln!(
                    out,
                    "sent: {} to {} ({})",
                    entry.file,
                    to_text,
                    printable(&response)
                )
                .map_err(wio)?;
            }
            Err(SendFailure::Uncertain(error)) => {
                if let Some(store) = store {
                    store.record_uncertain(&delivery(&error))?;
                }
                summary.uncertain += 1;
                writeln!(
                    out,
                    "uncertain: {} to {}: {}; it may have been delivered, so it is not sent again (check with the recipient, or send it again with --retry-uncertain)",
                    entry.file,
                    to_text,
                    printable(&error)
                )
                .map_err(wio)?;
            }
            Err(SendFailure::Failed(error)) => {
                summary.failed += 1;
                writeln!(
                    out,
                    "failed: {} to {}: {}",
                    entry.file,
                    to_text,
                    printable(&error)
                )
                .map_err(wio)?;
            }
        }
    }
    writeln!(
        out,
        "{} sent, {} would be sent, {} sent before, {} refused (not approved), {} without address, {} failed, {} uncertain",
        summary.sent, summary.would_send, summary.already_sent, summary.refused, summary.no_address, summary.failed, summary.uncertain
    )
    .map_err(wio)?;
    Ok(summary)
}
