//! Evidence packs: what a lawyer or a court needs from a run, in one BagIt 1.0 bag
//! (RFC 8493) that anyone can check without blowback.
//!
//! `collect` runs the analysis over the inputs and gathers the exhibits (byte-exact
//! originals, carved originals with their byte ranges, raw lookups); `parties` derives who
//! is responsible; `chart`, `report` and `memo` render what people read (`pdf` prints
//! them with headless Chromium); `custody` writes the chain-of-custody log; `bag` lays the
//! bag out and writes its manifests; `sign` signs the tag manifest with Ed25519; `timestamp` builds the RFC 3161 request and checks a
//! response; `load` reads a bag (directory or zip) without trusting it and `verify` checks
//! it and names every file that differs.
//!
//! Everything in the bag except the times of making (the custody log, `Bagging-Date`,
//! the making line of the report and memo, the PDFs) and the files that hash them (the
//! manifests, the signature and the timestamp request) depends only on the inputs, the
//! configuration and the lookup cache, so the same run gives the same pack.

pub mod bag;
pub mod chart;
pub mod collect;
pub mod custody;
pub mod load;
pub mod memo;
pub mod parties;
pub mod pdf;
pub mod provenance;
pub mod quote;
pub mod report;
pub mod sign;
pub mod sources;
pub mod timestamp;
pub mod verify;

use std::path::PathBuf;

use serde::Deserialize;

/// `[evidence]` in blowback.toml: who collects, and with which key.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvidenceSettings {
    /// Name of the person collecting the evidence, written into the custody log, the
    /// bag's metadata and the certification page. The default is the login name ($USER).
    pub operator: Option<String>,
    /// The collector's organisation (bag-info `Source-Organization`). The default is none.
    pub organisation: Option<String>,
    /// How to reach the collector (e-mail or phone), for bag-info `Contact-Email`/the
    /// certification page. The default is none.
    pub contact: Option<String>,
    /// Ed25519 signing key (hex seed, 32 bytes). Generated on first use when missing
    /// (its fingerprint is printed). The default is
    /// `<user data dir>/blowback/evidence-signing.key`.
    pub signing_key: Option<PathBuf>,
    /// Case name used when `--case` is not given. The default is `blowback evidence`.
    pub case: Option<String>,
}

/// Names of the bag's own files (RFC 8493 and ours).
pub mod names {
    pub const BAGIT: &str = "bagit.txt";
    pub const BAG_INFO: &str = "bag-info.txt";
    pub const MANIFEST: &str = "manifest-sha256.txt";
    pub const TAGMANIFEST: &str = "tagmanifest-sha256.txt";
    /// Public half of the signing key (a tag file, so the tag manifest covers it).
    pub const PUBLIC_KEY: &str = "blowback-signing-key.pub";
    /// Ed25519 signature over the tag manifest.
    pub const SIGNATURE: &str = "tagmanifest-sha256.txt.sig";
    /// RFC 3161 request over the tag manifest.
    pub const TSQ: &str = "tagmanifest-sha256.txt.tsq";
    /// RFC 3161 response, once added.
    pub const TSR: &str = "tagmanifest-sha256.txt.tsr";
    pub const FINDINGS: &str = "data/findings.json";
    pub const CUSTODY: &str = "data/custody.jsonl";
    pub const REPORT: &str = "data/report.html";
    pub const MEMO: &str = "data/memo.html";
    /// Chromium's print of the report and the memo, with `--pdf`.
    pub const REPORT_PDF: &str = "data/report.pdf";
    pub const MEMO_PDF: &str = "data/memo.pdf";
}

/// Everything a pack run needs besides the inputs, resolved by the caller.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// The bag's directory (must not exist or be empty).
    pub out: PathBuf,
    /// Also write `<out>.zip`.
    pub zip: bool,
    /// Also print the report and the memo to PDF (headless Chromium) into the pack.
    pub pdf: bool,
    pub case: String,
    pub operator: String,
    pub organisation: Option<String>,
    pub contact: Option<String>,
    /// Machine the pack was made on (custody log).
    pub host: String,
    /// The command line as typed (custody log).
    pub command_line: String,
    /// `blowback <version>`.
    pub tool: String,
    /// The clock (Unix seconds), read when each step ends: the custody log's times, the
    /// making time of the report and memo, `Bagging-Date`.
    pub clock: fn() -> u64,
}

impl PackOptions {
    /// Resolves the options of one run from the settings and what the command line gave.
    pub fn resolve(
        settings: &EvidenceSettings,
        out: PathBuf,
        zip: bool,
        case: Option<String>,
    ) -> Self {
        PackOptions {
            out,
            zip,
            pdf: false,
            case: case
                .or_else(|| settings.case.clone())
                .unwrap_or_else(|| "blowback evidence".into()),
            operator: settings
                .operator
                .clone()
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "unknown operator".into()),
            organisation: settings.organisation.clone(),
            contact: settings.contact.clone(),
            host: host_name(),
            command_line: std::env::args_os()
                .map(|a| shell_quote(&a.to_string_lossy()))
                .collect::<Vec<_>>()
                .join(" "),
            tool: format!("blowback {}", env!("CARGO_PKG_VERSION")),
            clock: system_clock,
        }
    }
}

/// Unix seconds now.
fn system_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An argument as a POSIX shell would need it written.
fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// The machine's name, from the kernel (no network).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown host".into())
}

/// Why a pack could not be made or checked.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("rendering {what}: {message}")]
    Render { what: String, message: String },
    #[error("zip {path}: {message}")]
    Zip { path: String, message: String },
}

impl EvidenceError {
    pub(crate) fn io(path: impl AsRef<std::path::Path>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.as_ref().display().to_string();
        move |source| EvidenceError::Io { path, source }
    }
}

/// SHA-256 hex of bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    crate::hash::sha256_hex(bytes)
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time.
pub(crate) fn utc(seconds: u64) -> String {
    mail_parser::DateTime::from_timestamp(seconds as i64).to_rfc3339()
}

/// What `blowback evidence` did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub pack: bag::PackOutcome,
    /// The key file, when it was generated by this run.
    pub generated_key: Option<PathBuf>,
}

/// `blowback evidence`: loads (or makes) the signing key and the jurisdiction table,
/// sets up enrichment (local data always; registries with `resolve`), and makes the pack.
pub fn run(
    mut analyzer: crate::app::Analyzer,
    inputs: impl Iterator<Item = crate::ingest::Item>,
    enrich: crate::enrich::EnrichConfig,
    resolve: bool,
    key_path: Option<PathBuf>,
    options: &PackOptions,
) -> Result<RunOutcome, EvidenceError> {
    let key_path = key_path.or_else(sign::default_key_path).ok_or_else(|| {
        EvidenceError::Usage("no place for a signing key: set [evidence] signing_key".into())
    })?;
    let (key, generated) = sign::load_or_generate(&key_path)?;
    let data_files = provenance::data_files(&enrich, resolve);
    let jurisdictions =
        crate::enrich::Jurisdictions::load(&enrich.data_dir.join("jurisdictions.json")).ok();
    let usage =
        |err: crate::enrich::EnrichError| EvidenceError::Usage(format!("enrichment: {err}"));
    let enricher = if resolve {
        analyzer.annotator =
            Some(crate::annotate::Annotator::resolving(enrich.clone()).map_err(usage)?);
        Some(crate::enrich::Enricher::new(enrich).map_err(usage)?)
    } else {
        analyzer.annotator = Some(crate::annotate::Annotator::local(&enrich));
        None
    };
    let pack = bag::make(
        &analyzer,
        inputs,
        enricher.as_ref(),
        jurisdictions.as_ref(),
        &data_files,
        &key,
        options,
    )?;
    Ok(RunOutcome {
        pack,
        generated_key: generated.then_some(key_path),
    })
}

/// Refuses a pack folder inside an input folder: the walk over the inputs would meet
/// the pack's own files.
pub fn check_out_dir(out: &std::path::Path, inputs: &[String]) -> Result<(), EvidenceError> {
    let out = resolved(out);
    for input in inputs.iter().filter(|i| std::path::Path::new(i).is_dir()) {
        let dir = resolved(std::path::Path::new(input));
        if out.starts_with(&dir) {
            return Err(EvidenceError::Usage(format!(
                "the pack folder {} is inside the input folder {input}; put it elsewhere",
                out.display()
            )));
        }
    }
    Ok(())
}

/// The absolute path with the existing part's links resolved.
fn resolved(path: &std::path::Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
    let mut out = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_path_buf());
    out.extend(rest.iter().rev());
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_lines_are_written_as_a_shell_would_read_them() {
        assert_eq!(super::shell_quote("--case"), "--case");
        assert_eq!(
            super::shell_quote("Victim v. Spammer"),
            "'Victim v. Spammer'"
        );
        assert_eq!(super::shell_quote("it's"), "'it'\\''s'");
        assert_eq!(super::shell_quote(""), "''");
    }
}
