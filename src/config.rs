//! Configuration: `blowback.toml` plus command-line overrides, resolved into one
//! [`Config`] value before any work starts. Every default is stated where it is defined.
//!
//! The file is found at `--config PATH`, else `./blowback.toml`, else
//! `<user config dir>/blowback/blowback.toml`; without any file the defaults apply.
//! Errors name the file, the line and the key, and say what to do.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ipnetwork::IpNetwork;
use serde::Deserialize;

/// Everything the pipeline needs to know about "us": the domain whose addresses are
/// forged, the mail system that receives its mail, and how to recognise our own mail.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Our own domains (lower-case). Bounces addressed to these are ours to judge;
    /// contacts at these domains are never reported. The default is none.
    pub own_domains: Vec<String>,
    /// Host names of our own MX and mailbox servers, used to find the line our mail
    /// system wrote on top of a bounce. The default is none (then the first public peer
    /// from the top is taken as the bouncer).
    pub own_mx: Vec<String>,
    /// Networks (CIDR) of our own outbound relays. A returned original that passed
    /// through them was sent by us. The default is none.
    pub own_relays: Vec<IpNetwork>,
    /// Networks we trust like our own MX (SpamAssassin's `trusted_networks`), e.g. the
    /// forwarding hosts of an old personal setup. The default is none.
    pub trusted_networks: Vec<IpNetwork>,
    /// BATV signing keys: key digit (0-9) → secret. A domain listed in `batv_domains`
    /// tags every outgoing envelope sender. The default is no keys.
    pub batv_keys: HashMap<String, String>,
    /// Domains whose outgoing mail is BATV-signed. The default is every own domain when
    /// `batv_keys` is set, none otherwise.
    pub batv_domains: Option<Vec<String>>,
    /// A file with one Message-ID per line of the mail we really sent. The default is none.
    pub outbound_log: Option<PathBuf>,
    /// Resource limits applied to every input.
    pub limits: Limits,
    /// Where enrichment finds its databases, servers and cache.
    pub enrich: EnrichSettings,
    /// Who collects evidence packs and with which signing key.
    #[serde(default)]
    pub evidence: crate::evidence::EvidenceSettings,
    /// Complaints: reporter identity, languages, formats, SMTP (`report`, `send`).
    #[serde(default)]
    pub report: crate::render::ReportSettings,
    /// The SMTP sink (`sink`).
    #[serde(default)]
    pub sink: crate::intake::SinkSettings,
    /// Pulling from a mailbox over IMAP (`fetch`).
    #[serde(default)]
    pub fetch: crate::intake::FetchSettings,
    /// The public notice page (`notice`).
    #[serde(default)]
    pub notice: crate::intake::NoticeSettings,
}

/// Enrichment settings; each can be overridden on the command line of `lookup`,
/// `analyze --resolve`, `report` and `evidence`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnrichSettings {
    /// Folder of the shipped databases. The default is `./data` when it exists, else the
    /// `data/` folder of the source tree blowback was built from.
    pub data_dir: Option<PathBuf>,
    /// IP→country MaxMind DB (e.g. GeoLite2-Country). The default is `<data_dir>/country.mmdb`.
    pub country_db: Option<PathBuf>,
    /// IP→ASN MaxMind DB (e.g. GeoLite2-ASN). The default is `<data_dir>/asn.mmdb`.
    pub asn_db: Option<PathBuf>,
    /// WHOIS servers map (whois-rust JSON; `host:port` allowed). The default is
    /// `<data_dir>/whois-servers.json`.
    pub whois_servers: Option<PathBuf>,
    /// Folder of IANA RDAP bootstrap files. The default is `<data_dir>/rdap-bootstrap`.
    pub rdap_bootstrap: Option<PathBuf>,
    /// DNS server `IP:PORT`. The default is the first nameserver of /etc/resolv.conf.
    pub dns_server: Option<std::net::SocketAddr>,
    /// SQLite file caching every answer (raw bytes, server, time). The default is
    /// `<user cache dir>/blowback/cache.sqlite`, or memory only when there is none.
    pub cache: Option<PathBuf>,
    /// Answer only from the cache and local data. The default is off.
    pub offline: bool,
}

/// Bounds on what one input may cost. A message over a limit is recorded as failed with
/// the limit's name, and the run goes on.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest message read, in bytes. The default is 64 MiB.
    pub max_message_bytes: u64,
    /// Deepest directory tree walked below an input directory. The default is 32.
    pub max_dir_depth: usize,
    /// Most header fields in a message's header block. The default is 2000.
    pub max_header_fields: usize,
    /// Longest header field (with its folded lines), in bytes. The default is 1 MiB.
    pub max_header_bytes: usize,
    /// Longest time one message may take to analyse, in seconds. The default is 30.
    pub max_seconds_per_message: f64,
    /// Deepest multipart nesting split. The default is 24.
    pub max_mime_depth: usize,
    /// Most MIME parts split in one message. The default is 1024.
    pub max_mime_parts: usize,
    /// Most reports descended into to reach the original (bounce of a bounce). The
    /// default is 8.
    pub max_carving_depth: u32,
    /// Most contacts kept per message. The default (and the most) is 500.
    pub max_contacts: usize,
    /// Longest URL kept, in bytes; longer ones are cut. The default (and the most) is 2048.
    pub max_url_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 64 * 1024 * 1024,
            max_dir_depth: 32,
            max_header_fields: 2000,
            max_header_bytes: 1024 * 1024,
            max_seconds_per_message: 30.0,
            max_mime_depth: crate::bounce::MAX_MIME_DEPTH,
            max_mime_parts: 1024,
            max_carving_depth: crate::bounce::MAX_REPORT_DEPTH,
            max_contacts: crate::contacts::MAX_CONTACTS,
            max_url_bytes: crate::contacts::MAX_URL_LEN,
        }
    }
}

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}, line {line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Finds and loads the configuration: `explicit` if given (it must exist), else
    /// `./blowback.toml`, else the user config dir, else the defaults.
    pub fn discover(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
        if let Some(path) = explicit {
            return Ok((Config::load(path)?, Some(path.to_path_buf())));
        }
        let candidates = [
            Some(PathBuf::from("blowback.toml")),
            dirs::config_dir().map(|d| d.join("blowback").join("blowback.toml")),
        ];
        for path in candidates.into_iter().flatten() {
            if path.is_file() {
                return Ok((Config::load(&path)?, Some(path)));
            }
        }
        Ok((Config::default(), None))
    }

    /// Loads one file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses TOML text; `path` is only used to name the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                message: err.message().to_string(),
            }
        })?;
        config.normalise(path)?;
        Ok(config)
    }

    fn normalise(&mut self, path: &Path) -> Result<(), ConfigError> {
        for list in [&mut self.own_domains, &mut self.own_mx] {
            for name in list.iter_mut() {
                *name = name.trim().trim_end_matches('.').to_ascii_lowercase();
            }
        }
        for key in self.batv_keys.keys() {
            if key.len() != 1 || !key.as_bytes()[0].is_ascii_digit() {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "batv_keys: key name {key:?} must be a single digit 0-9 (the BATV key number)"
                    ),
                });
            }
        }
        if let Some(domains) = &mut self.batv_domains {
            for name in domains.iter_mut() {
                *name = name.trim().to_ascii_lowercase();
            }
        }
        Ok(())
    }

    /// Domains whose outgoing envelope senders carry a BATV tag.
    pub fn batv_signing_domains(&self) -> Vec<String> {
        match (&self.batv_domains, self.batv_keys.is_empty()) {
            (Some(domains), _) => domains.clone(),
            (None, false) => self.own_domains.clone(),
            (None, true) => Vec::new(),
        }
    }

    /// True when `domain` is one of ours or a subdomain of one.
    pub fn is_own_domain(&self, domain: &str) -> bool {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        self.own_domains
            .iter()
            .any(|own| crate::hostname::in_domain(&domain, own))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let config = Config::parse("", Path::new("x.toml")).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.limits.max_message_bytes, 64 * 1024 * 1024);
    }

    #[test]
    fn parses_every_field() {
        let text = r#"
own_domains = ["Victim-Domain.NET."]
own_mx = ["mx1.victim-domain.net"]
own_relays = ["192.0.2.0/24", "2001:db8::/32"]
batv_keys = { "1" = "s3cret" }
outbound_log = "sent-ids.txt"
[limits]
max_message_bytes = 1000
"#;
        let config = Config::parse(text, Path::new("x.toml")).unwrap();
        assert_eq!(config.own_domains, vec!["victim-domain.net"]);
        assert_eq!(config.own_relays.len(), 2);
        assert_eq!(config.batv_signing_domains(), vec!["victim-domain.net"]);
        assert_eq!(config.limits.max_message_bytes, 1000);
        assert!(config.is_own_domain("mail.victim-domain.net"));
        assert!(!config.is_own_domain("notvictim-domain.net"));
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let err = Config::parse(
            "own_domains = []\nown_domain = [\"x\"]\n",
            Path::new("conf/b.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("conf/b.toml"), "{err}");
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("own_domain"), "{err}");
    }

    #[test]
    fn bad_cidr_is_an_error_with_its_line() {
        let err = Config::parse("\nown_relays = [\"300.1.2.3/8\"]\n", Path::new("b.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn batv_key_names_must_be_digits() {
        let err = Config::parse("batv_keys = { k = \"x\" }", Path::new("b.toml")).unwrap_err();
        assert!(err.to_string().contains("single digit"), "{err}");
    }
}

/// Command-line overrides of [`EnrichSettings`] (the `EnrichArgs` of every enriching
/// command, as plain values so this module needs no clap types).
#[derive(Debug, Clone, Default)]
pub struct EnrichOverrides {
    pub data_dir: Option<PathBuf>,
    pub whois_servers: Option<PathBuf>,
    pub rdap_bootstrap: Option<PathBuf>,
    pub dns_server: Option<std::net::SocketAddr>,
    pub cache: Option<PathBuf>,
    pub offline: bool,
}

impl EnrichSettings {
    /// The enrichment configuration: command line over config file over defaults.
    pub fn resolve(&self, over: &EnrichOverrides) -> crate::enrich::EnrichConfig {
        let data_dir = over
            .data_dir
            .clone()
            .or_else(|| self.data_dir.clone())
            .unwrap_or_else(default_data_dir);
        let cache_path = over
            .cache
            .clone()
            .or_else(|| self.cache.clone())
            .or_else(|| dirs::cache_dir().map(|d| d.join("blowback").join("cache.sqlite")));
        if let Some(parent) = cache_path.as_ref().and_then(|p| p.parent()) {
            let _ = std::fs::create_dir_all(parent);
        }
        crate::enrich::EnrichConfig {
            country_db: self.country_db.clone(),
            asn_db: self.asn_db.clone(),
            whois_servers_file: over
                .whois_servers
                .clone()
                .or_else(|| self.whois_servers.clone()),
            rdap_bootstrap_dir: over
                .rdap_bootstrap
                .clone()
                .or_else(|| self.rdap_bootstrap.clone()),
            dns_server: over.dns_server.or(self.dns_server),
            offline: over.offline || self.offline,
            cache_path,
            ..crate::enrich::EnrichConfig::with_data_dir(data_dir)
        }
    }
}

/// `./data` when it exists (a checkout), else the `data/` folder of the source tree this
/// binary was built from.
fn default_data_dir() -> PathBuf {
    let local = PathBuf::from("data");
    if local.join("MANIFEST").is_file() {
        return local;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data"))
}
