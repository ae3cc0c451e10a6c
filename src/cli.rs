//! Command-line definitions (clap). These types only validate; `main` resolves them
//! together with the config file into one [`crate::config::Config`] before any work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::ingest::FormatChoice;

/// blowback turns backscatter into action: it reads bounces, carves out the spam they
/// return, finds who really sent it and what it advertises.
#[derive(Debug, Parser)]
#[command(name = "blowback", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (default: ./blowback.toml, else the user config dir).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// No progress bar on stderr (what failed or was passed over is still named).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse messages: kind, verdict, returned original, origin IP, contacts.
    Analyze(AnalyzeArgs),
    /// Show the Received walk of one message hop by hop, in plain words.
    Explain(ExplainArgs),
    /// Look up an IP, domain, URL, e-mail address, AS number or phone number.
    Lookup(LookupArgs),
    /// Make a court-ready evidence pack (BagIt bag: exhibits, lookups, custody log,
    /// signature, timestamp request, report and legal memo).
    Evidence(EvidenceArgs),
    /// Check an evidence pack (directory or zip): every hash, the signature, the custody
    /// chain; names each changed, missing or extra file.
    Verify(VerifyArgs),
    /// Write complaints per responsible party to an outbox (nothing is sent).
    Report(ReportArgs),
    /// Show complaints that rest on third-party headers and record approval.
    Review(ReviewArgs),
    /// Send approved complaints over SMTP (a dry run unless --really).
    Send(SendArgs),
    /// Be the forged domain's mail server: keep every bounce in a Maildir, analyse and
    /// store it, and answer as `[sink] answer` says.
    Sink(SinkArgs),
    /// Pull new messages from an IMAP folder into a Maildir, analyse and store them.
    Fetch(FetchArgs),
    /// Write the public notice page ("We did not send this spam") from the case store.
    Notice(NoticeArgs),
}

/// Enrichment options shared by every command that enriches.
#[derive(Debug, Clone, Default, Args)]
pub struct EnrichArgs {
    /// WHOIS servers map (whois-rust JSON format; `host:port` allowed).
    #[arg(long, value_name = "FILE")]
    pub whois_servers: Option<PathBuf>,
    /// Folder of IANA RDAP bootstrap files (dns.json, ipv4.json, ipv6.json, asn.json).
    #[arg(long, value_name = "DIR")]
    pub rdap_bootstrap: Option<PathBuf>,
    /// DNS server to ask.
    #[arg(long, value_name = "IP:PORT")]
    pub dns_server: Option<std::net::SocketAddr>,
    /// Answer only from the cache and local data, and say what is missing.
    #[arg(long)]
    pub offline: bool,
    /// Folder of the shipped databases (default: ./data, else the source tree's data/).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// SQLite cache of lookups (default from config, else the user cache dir).
    #[arg(long, value_name = "FILE")]
    pub cache: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LookupArgs {
    /// An IP address, domain, URL, e-mail address, AS number (AS15169) or phone number (+…).
    #[arg(required = true, value_name = "QUERY")]
    pub queries: Vec<String>,
    /// JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub enrich: EnrichArgs,
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files, directories of .eml, mbox files, Maildir folders; `-` reads stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Input format; by default each input is detected.
    #[arg(long, value_enum, default_value_t = FormatChoice::Auto)]
    pub format: FormatChoice,
    /// Follow symbolic links to directories met while walking input directories (each
    /// directory is still read once: link loops end at the first repeat). Links named
    /// on the command line and links to files are always followed.
    #[arg(long)]
    pub follow: bool,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// One JSON object per message, one per line.
    #[arg(long, conflicts_with_all = ["json", "csv"])]
    pub ndjson: bool,
    /// All messages as one JSON array.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV with the main fields.
    #[arg(long)]
    pub csv: bool,
    /// Include the whole Received walk (each hop marked trusted, internal or untrusted).
    #[arg(long)]
    pub hops: bool,
    /// SQLite store: skip messages analysed by earlier runs (by SHA-256; unchanged files
    /// by path, size and time, without reading them) and remember new results.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// With --db: also write the stored results of messages analysed before.
    #[arg(long, requires = "db")]
    pub include_known: bool,
    /// Resolve origin, bouncer and advertised contacts over the network (RDAP, WHOIS,
    /// DNS): networks, abuse contacts, registrars. Country and AS from the local
    /// databases are always added.
    #[arg(long)]
    pub resolve: bool,
    #[command(flatten)]
    pub enrich: EnrichArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Outbox folder for the .eml files, INDEX.md and INDEX.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Resolve networks, abuse contacts and registrars over the network (RDAP, WHOIS,
    /// DNS); without it only country and AS from the local databases are known.
    #[arg(long)]
    pub resolve: bool,
    #[command(flatten)]
    pub enrich: EnrichArgs,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The outbox written by `report`.
    #[arg(value_name = "DIR")]
    pub outbox: PathBuf,
    /// Approve every complaint waiting for approval without asking.
    #[arg(long, conflicts_with = "approve")]
    pub approve_all: bool,
    /// Approve these complaint files (names in the outbox).
    #[arg(long, value_name = "FILE")]
    pub approve: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The outbox written by `report`.
    #[arg(value_name = "DIR")]
    pub outbox: PathBuf,
    /// Really send; without it nothing is sent and each complaint is listed.
    #[arg(long)]
    pub really: bool,
    /// SQLite store recording what was sent (default: report.db in the config).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Send again the complaints whose earlier delivery has an unknown outcome (the
    /// connection was lost after the message was sent); without it they are only listed.
    #[arg(long)]
    pub retry_uncertain: bool,
}

#[derive(Debug, Args)]
pub struct EvidenceArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Folder to write the pack to (must not exist or be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Also write the pack as `<DIR>.zip`.
    #[arg(long)]
    pub zip: bool,
    /// Also print the report and the memo to PDF into the pack (needs `chromium`).
    #[arg(long)]
    pub pdf: bool,
    /// Case name for the bag's metadata, the report and the memo.
    #[arg(long, value_name = "NAME")]
    pub case: Option<String>,
    /// Resolve networks, abuse contacts and registrars (RDAP, WHOIS, DNS) and save the raw
    /// answers in the pack (with --offline: from the cache only).
    #[arg(long)]
    pub resolve: bool,
    #[command(flatten)]
    pub enrich: EnrichArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The pack's folder or zip.
    #[arg(value_name = "PACK")]
    pub pack: PathBuf,
    /// Public key the pack must be signed with (the `.pub` file of the signer).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// An RFC 3161 timestamp response for the pack's request: checked and added to the
    /// pack folder.
    #[arg(long, value_name = "FILE")]
    pub add_tsr: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SinkArgs {
    /// Address and port to listen on (port 0: any free port, printed on stderr).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// Maildir to keep every message in (created when missing).
    #[arg(long, value_name = "DIR")]
    pub maildir: PathBuf,
    /// SQLite case store, as for `analyze --db`.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    pub enrich: EnrichArgs,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// imaps://user@host[:port]/FOLDER, or imap://… with STARTTLS (`%40` for an `@` in
    /// the user name). The password comes from the variable named in `[fetch] password_env`.
    #[arg(value_name = "URL")]
    pub url: String,
    /// Maildir to keep every message in (created when missing).
    #[arg(long, value_name = "DIR", default_value = "Maildir")]
    pub maildir: PathBuf,
    /// SQLite case store, as for `analyze --db`.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Stay connected and pull new mail as it arrives (IMAP IDLE).
    #[arg(long)]
    pub idle: bool,
    #[command(flatten)]
    pub enrich: EnrichArgs,
}

#[derive(Debug, Args)]
pub struct NoticeArgs {
    /// The SQLite case store (`analyze --db`, `sink --db`, `fetch --db`).
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
    /// Folder for index.html (created when missing; the page is replaced on each run).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}
