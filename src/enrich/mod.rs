//! Enrichment: who is behind an IP, a domain or a phone number.
//!
//! This stage owns every network look-up blowback makes: geo/ASN from local MaxMind-format
//! databases (`geo`), WHOIS over TCP with our own referral following (`whois`), RDAP over
//! HTTPS with the IANA bootstrap (`rdap`), DNS (`dns`), abuse-contact selection (`abuse`) and
//! the SQLite answer cache that makes reports reproducible offline (`cache`).
//!
//! [`Enricher`] is built once from an [`EnrichConfig`] and answers `lookup_ip`,
//! `lookup_domain` and `lookup` (any query string). Results are plain owned data
//! ([`IpInfo`], [`DomainInfo`], [`PhoneInfo`]) with the raw [`LookupRecord`]s behind them, so
//! evidence packs can show what each server said and when. Errors on one source are recorded in
//! the result (`errors`) and the other sources still run.
//!
//! Wiring from the CLI: `--whois-servers FILE` → [`EnrichConfig::whois_servers_file`],
//! `--rdap-bootstrap DIR` → `rdap_bootstrap_dir`, `--dns-server IP:PORT` → `dns_server`,
//! `--offline` → `offline`, the cache file → `cache_path`. Build one [`Enricher`] per run and
//! call [`Enricher::lookup`] per query; raw answers for evidence come from
//! [`Enricher::raw_answer`].

pub mod abuse;
pub mod cache;
pub mod dns;
pub mod geo;
pub mod health;
pub mod jurisdictions;
pub mod lookup;
pub mod phone;
pub mod rdap;
pub mod special;
pub mod verify;
pub mod whois;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

pub use abuse::{AbuseContact, AbuseScope};
pub use jurisdictions::{Jurisdiction, Jurisdictions};
pub use lookup::Enricher;
pub use verify::Verification;

/// Everything the enricher needs, resolved before any work starts.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrichConfig {
    /// Folder holding the shipped databases. The default is `data` (relative to the current
    /// directory); the other paths default to files inside it.
    pub data_dir: PathBuf,
    /// IP→country MaxMind DB. The default is `<data_dir>/country.mmdb`. A GeoLite2-Country or
    /// GeoLite2-City file works too.
    pub country_db: Option<PathBuf>,
    /// IP→ASN MaxMind DB. The default is `<data_dir>/asn.mmdb`. A GeoLite2-ASN file works too.
    pub asn_db: Option<PathBuf>,
    /// WHOIS servers map in node-whois/whois-rust format. Hosts may carry `:port`. The default
    /// is `<data_dir>/whois-servers.json`.
    pub whois_servers_file: Option<PathBuf>,
    /// Folder with IANA RDAP bootstrap files (dns.json, ipv4.json, ipv6.json, asn.json). The
    /// default is `<data_dir>/rdap-bootstrap`.
    pub rdap_bootstrap_dir: Option<PathBuf>,
    /// DNS server to ask. The default is the first `nameserver` of /etc/resolv.conf.
    pub dns_server: Option<SocketAddr>,
    /// Answer only from the cache and local data; say what is missing. The default is off.
    pub offline: bool,
    /// SQLite cache file. The default is no file: an in-memory cache for this run only.
    pub cache_path: Option<PathBuf>,
    /// Network timeouts and pacing.
    pub timeouts: Timeouts,
    /// How long a cached answer counts as fresh when online. The default is 7 days.
    pub cache_ttl: Duration,
    /// Skip RDAP and use WHOIS only. The default is RDAP first, WHOIS as fallback and for
    /// what RDAP lacks.
    pub whois_only: bool,
    /// Skip DNS look-ups. The default is to do them.
    pub no_dns: bool,
    /// The current time as Unix seconds, for reproducible tests. The default reads the clock.
    pub now: Option<u64>,
}

impl Default for EnrichConfig {
    fn default() -> Self {
        EnrichConfig {
            data_dir: PathBuf::from("data"),
            country_db: None,
            asn_db: None,
            whois_servers_file: None,
            rdap_bootstrap_dir: None,
            dns_server: None,
            offline: false,
            cache_path: None,
            timeouts: Timeouts::default(),
            cache_ttl: Duration::from_secs(7 * 24 * 3600),
            whois_only: false,
            no_dns: false,
            now: None,
        }
    }
}

impl EnrichConfig {
    /// Config with every path inside `data_dir`.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        EnrichConfig {
            data_dir: data_dir.into(),
            ..Default::default()
        }
    }

    pub fn country_db_path(&self) -> PathBuf {
        self.country_db
            .clone()
            .unwrap_or_else(|| self.data_dir.join("country.mmdb"))
    }

    pub fn asn_db_path(&self) -> PathBuf {
        self.asn_db
            .clone()
            .unwrap_or_else(|| self.data_dir.join("asn.mmdb"))
    }

    pub fn whois_servers_path(&self) -> PathBuf {
        self.whois_servers_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("whois-servers.json"))
    }

    pub fn rdap_bootstrap_path(&self) -> PathBuf {
        self.rdap_bootstrap_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("rdap-bootstrap"))
    }
}

/// Timeouts and pacing for network look-ups.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeouts {
    /// Whole WHOIS exchange (connect, send, read to close). The default is 15 s.
    pub whois: Duration,
    /// One RDAP HTTP request. The default is 15 s.
    pub http: Duration,
    /// One DNS query (UDP, one retry). The default is 3 s.
    pub dns: Duration,
    /// Least time between two queries to one WHOIS/RDAP server. The default is 1 s.
    pub min_interval: Duration,
    /// First back-off after a throttling answer or HTTP 429; doubles each retry and is capped
    /// at `max_backoff`. The default is 5 s.
    pub backoff: Duration,
    /// Longest single back-off wait (also caps a server's Retry-After). The default is 60 s.
    pub max_backoff: Duration,
    /// Retries after throttling. The default is 2.
    pub retries: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            whois: Duration::from_secs(15),
            http: Duration::from_secs(15),
            dns: Duration::from_secs(3),
            min_interval: Duration::from_secs(1),
            backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(60),
            retries: 2,
        }
    }
}

/// One raw answer seen from a server (or read back from the cache), for evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookupRecord {
    /// `whois`, `rwhois`, `rdap` or `dns`.
    pub kind: String,
    /// Host (and port) or base URL asked.
    pub server: String,
    /// Query text as sent (WHOIS line without CRLF, RDAP URL, DNS `name TYPE`).
    pub query: String,
    /// When the answer was received, Unix seconds (UTC).
    pub time: u64,
    /// SHA-256 of the raw answer bytes, hex.
    pub bytes_sha256: String,
    /// Size of the raw answer in bytes.
    pub size: usize,
    /// HTTP status for RDAP, DNS response code for DNS.
    pub status: Option<u16>,
    /// Character encoding the WHOIS answer was decoded from.
    pub encoding: Option<String>,
}

/// The registered network an IP belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Network {
    /// CIDR(s) of the network, or the range as the registry wrote it.
    pub cidr: Option<String>,
    pub netname: Option<String>,
    pub country: Option<String>,
    /// Abuse contacts, best first.
    pub abuse: Vec<AbuseContact>,
    /// Which server/record this network came from.
    pub source: Option<String>,
    /// Whether the answer was checked against the address asked and the shipped databases;
    /// only a `verified` network's contacts are ever written to.
    pub status: Verification,
    /// What the check found (range held or not, AS and country agreement), and why a
    /// referral chain stopped where it did.
    pub checks: Vec<String>,
    /// The range parsed from the answer (for the check; `cidr` is what is shown).
    #[serde(skip)]
    pub range: Option<verify::IpRange>,
    /// Origin AS numbers the answer names.
    #[serde(skip)]
    pub origin_asns: Vec<u32>,
}

/// What is known about one IP address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct IpInfo {
    pub ip: String,
    /// Set when the address was not looked up (documentation or non-public range).
    pub not_looked_up: Option<String>,
    /// Country of the address from the local database (ISO 3166 alpha-2).
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    pub network: Option<Network>,
    /// PTR names with `confirmed` when they resolve back to the address.
    pub ptr: Vec<PtrName>,
    /// Raw answers behind this result.
    pub records: Vec<LookupRecord>,
    /// Sources that failed (timeouts, throttling, HTTP errors); the other sources still ran.
    pub errors: Vec<String>,
    /// In offline mode: what was not in the cache.
    pub missing: Vec<String>,
}

/// A reverse-DNS name of an IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PtrName {
    pub name: String,
    /// The name's A/AAAA records contain the IP (forward-confirmed reverse DNS).
    pub confirmed: bool,
}

/// What is known about one domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct DomainInfo {
    /// The name as asked (lower case, ASCII/punycode).
    pub domain: String,
    /// Registrable domain (public suffix + 1), which is what WHOIS/RDAP are asked about.
    pub registered_domain: Option<String>,
    pub not_looked_up: Option<String>,
    pub registrar: Option<String>,
    pub registrar_iana_id: Option<String>,
    /// Abuse contacts (registrar first), best first.
    pub abuse: Vec<AbuseContact>,
    /// Whether the registrar facts come from a record for this domain (or its registrable
    /// parent); only `verified` contacts are ever written to.
    pub registrar_status: Verification,
    /// What the checks of the domain answers found.
    pub checks: Vec<String>,
    pub a: Vec<String>,
    pub aaaa: Vec<String>,
    /// `preference exchange`.
    pub mx: Vec<String>,
    pub ns: Vec<String>,
    pub records: Vec<LookupRecord>,
    pub errors: Vec<String>,
    pub missing: Vec<String>,
}

/// What is known about one autonomous system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct AsnInfo {
    pub asn: u32,
    /// AS name or handle as the registry has it.
    pub name: Option<String>,
    /// Holder (organisation) where the registry names it.
    pub holder: Option<String>,
    pub country: Option<String>,
    /// Abuse contacts, best first.
    pub abuse: Vec<AbuseContact>,
    /// Whether the answers were about this AS number.
    pub status: Verification,
    pub checks: Vec<String>,
    pub records: Vec<LookupRecord>,
    pub errors: Vec<String>,
    pub missing: Vec<String>,
}

/// What is known about one phone number (no network needed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneInfo {
    /// Digits with a leading `+`.
    pub number: String,
    pub calling_code: Option<String>,
    /// ISO 3166 alpha-2 codes sharing the calling code (e.g. `["US","CA",..]` for +1).
    pub countries: Vec<String>,
}

/// The answer to [`Enricher::lookup`], by kind of query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LookupResult {
    Ip(IpInfo),
    Domain(DomainInfo),
    Asn(AsnInfo),
    Phone(PhoneInfo),
}

/// What a query string was recognised as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Ip(IpAddr),
    Domain(String),
    /// `AS15169` or `as15169`.
    Asn(u32),
    Phone(String),
}

/// Counters for tests and `--verbose`: how many answers came from the network and the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct EnrichStats {
    pub network_queries: u64,
    pub cache_hits: u64,
}

/// A failure to build the enricher (bad data file, bad cache path).
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error("cannot read {path}: {message}")]
    Data { path: String, message: String },
    #[error("cache {path}: {message}")]
    Cache { path: String, message: String },
    #[error(
        "cannot recognise {0:?} as an IP, domain, URL, e-mail address, AS number or phone number"
    )]
    BadQuery(String),
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}
