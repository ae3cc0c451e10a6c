//! RDAP (RFC 9082/9083) over HTTPS, servers found with the IANA bootstrap files (RFC 9224).
//!
//! The bootstrap folder (default `data/rdap-bootstrap`) holds `dns.json`, `ipv4.json`,
//! `ipv6.json` and `asn.json`; a test or a private mirror points it at another folder with
//! other base URLs. The client is `ureq` with rustls; it follows redirects (rdap.org style
//! 302s), reads error bodies instead of failing on them, and backs off on HTTP 429.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use ipnetwork::IpNetwork;
use serde_json::Value;

use super::{EnrichError, Timeouts};

/// The IANA bootstrap registries, parsed.
#[derive(Debug, Clone, Default)]
pub struct Bootstrap {
    dns: Vec<(String, String)>,
    ip: Vec<(IpNetwork, String)>,
    asn: Vec<(u32, u32, String)>,
}

impl Bootstrap {
    /// Read the files of a bootstrap folder; a missing file leaves that kind empty.
    pub fn load(dir: &Path) -> Result<Bootstrap, EnrichError> {
        let mut b = Bootstrap::default();
        for (name, entries) in ["dns.json", "ipv4.json", "ipv6.json", "asn.json"]
            .iter()
            .map(|n| (*n, read_services(&dir.join(n))))
        {
            for (keys, url) in entries? {
                for k in keys {
                    match name {
                        "dns.json" => b.dns.push((k.to_ascii_lowercase(), url.clone())),
                        "asn.json" => b
                            .asn
                            .extend(parse_asn_range(&k).map(|(lo, hi)| (lo, hi, url.clone()))),
                        _ => {
                            b.ip.extend(k.parse::<IpNetwork>().ok().map(|n| (n, url.clone())))
                        }
                    }
                }
            }
        }
        Ok(b)
    }

    /// Base URL for a domain: the longest matching label suffix.
    pub fn for_domain(&self, domain: &str) -> Option<&str> {
        let d = domain.trim_end_matches('.').to_ascii_lowercase();
        self.dns
            .iter()
            .filter(|(k, _)| crate::hostname::in_domain(&d, k))
            .max_by_key(|(k, _)| k.len())
            .map(|(_, u)| u.as_str())
    }

    /// Base URL for an IP: the most specific covering prefix.
    pub fn for_ip(&self, ip: IpAddr) -> Option<&str> {
        self.ip
            .iter()
            .filter(|(n, _)| n.contains(ip))
            .max_by_key(|(n, _)| n.prefix())
            .map(|(_, u)| u.as_str())
    }

    pub fn for_asn(&self, asn: u32) -> Option<&str> {
        self.asn
            .iter()
            .find(|(lo, hi, _)| (*lo..=*hi).contains(&asn))
            .map(|(_, _, u)| u.as_str())
    }
}

type Services = Vec<(Vec<String>, String)>;

fn read_services(path: &Path) -> Result<Services, EnrichError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let err = |m: String| EnrichError::Data {
        path: path.display().to_string(),
        message: m,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
    let services = v
        .get("services")
        .and_then(Value::as_array)
        .ok_or_else(|| err("no `services` array".into()))?;
    let strings = |x: Option<&Value>| -> Vec<String> {
        x.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    Ok(services
        .iter()
        .filter_map(|s| {
            let urls = strings(s.get(1));
            // Prefer https; keep http (used by loopback tests and some mirrors) otherwise.
            let url = urls
                .iter()
                .find(|u| u.starts_with("https://"))
                .or(urls.first())?
                .clone();
            Some((strings(s.get(0)), url))
        })
        .collect())
}

fn parse_asn_range(k: &str) -> Option<(u32, u32)> {
    match k.split_once('-') {
        Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
        None => k.parse().ok().map(|a| (a, a)),
    }
}

/// Join a base URL and a path (`ip/1.2.3.4`, `domain/x.com`, `autnum/15169`).
pub fn url(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path)
}

/// One HTTP answer: status, final URL after redirects, body bytes.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// RDAP HTTP client.
pub struct RdapClient {
    agent: ureq::Agent,
    timeouts: Timeouts,
}

impl RdapClient {
    pub fn new(timeouts: Timeouts) -> RdapClient {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeouts.http))
            .http_status_as_error(false)
            .max_redirects(5)
            .user_agent(concat!(
                "blowback/",
                env!("CARGO_PKG_VERSION"),
                " (RDAP client)"
            ))
            .build();
        RdapClient {
            agent: config.into(),
            timeouts,
        }
    }

    /// GET an RDAP URL. HTTP 429 (and 503 with Retry-After) is retried after the server's
    /// Retry-After or our back-off, up to `retries` times; other statuses are returned with
    /// their body so the caller can read RDAP error objects.
    pub fn get(&self, url: &str) -> Result<HttpAnswer, String> {
        let mut backoff = self.timeouts.backoff;
        for attempt in 0..=self.timeouts.retries {
            let resp = self
                .agent
                .get(url)
                .header("Accept", "application/rdap+json, application/json")
                .call();
            let mut resp = resp.map_err(|e| describe(url, &e))?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let body = resp
                .body_mut()
                .with_config()
                .limit(8 << 20)
                .read_to_vec()
                .map_err(|e| describe(url, &e))?;
            let again = status == 429 || (status == 503 && retry_after.is_some());
            if !again {
                return Ok(HttpAnswer { status, body });
            }
            if attempt == self.timeouts.retries {
                return Err(format!(
                    "{url}: HTTP {status} (rate limited), gave up after {attempt} retries"
                ));
            }
            let wait = retry_after
                .map(Duration::from_secs)
                .unwrap_or(backoff)
                .min(self.timeouts.max_backoff);
            std::thread::sleep(wait);
            backoff = (backoff * 2).min(self.timeouts.max_backoff);
        }
        unreachable!("loop returns on the last attempt")
    }
}

fn describe(url: &str, e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("{url}: no answer in time (timed out)"),
        e => format!("{url}: {e}"),
    }
}

/// The message of an RDAP error object (`errorCode`, `title`, `description`), if it is one.
pub fn error_message(v: &Value) -> Option<String> {
    let code = v.get("errorCode")?;
    let title = v.get("title").and_then(Value::as_str).unwrap_or("");
    let desc: Vec<&str> = v
        .get("description")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    Some(
        format!("RDAP error {code}: {title} {}", desc.join(" "))
            .trim()
            .to_string(),
    )
}
