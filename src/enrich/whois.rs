//! WHOIS (RFC 3912) over TCP, with referrals followed by us so every hop is kept.
//!
//! whois-rust does one exchange per hop (`follow = 0`, its timeout and size cap, its
//! `host[:port]` parsing); this module picks the server from the servers map, writes the
//! query in each registry's syntax (ARIN `n + IP`, RIPE `-B IP`, Verisign `domain NAME`),
//! follows ARIN `ReferralServer` (whois:// and rwhois://), IANA `refer:` and registry →
//! registrar `Registrar WHOIS Server`, decodes non-UTF-8 answers while keeping the bytes,
//! recognises throttling answers and paces queries per server.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use regex::Regex;
use serde_json::{Map, Value};
use whois_rust::{WhoIs, WhoIsError, WhoIsLookupOptions, WhoIsServerValue};

use super::{EnrichError, Timeouts};

/// One server entry of the map: host (maybe `host:port`), query template, punycode flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEntry {
    pub host: String,
    /// Template with `$addr`, e.g. `n + $addr\r\n`. `None` = `$addr\r\n`.
    pub query: Option<String>,
    pub punycode: bool,
}

impl ServerEntry {
    pub fn plain(host: &str) -> ServerEntry {
        ServerEntry {
            host: host.to_string(),
            query: None,
            punycode: true,
        }
    }

    /// The query line as sent, without CRLF.
    pub fn query_line(&self, target: &str) -> String {
        let t = self.query.as_deref().unwrap_or("$addr\r\n");
        t.replace("$addr", target)
            .trim_end_matches(['\r', '\n'])
            .to_string()
    }
}

fn host_only(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split(']')
            .next()
            .unwrap_or(host)
            .trim_start_matches('[');
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => host,
    }
}

/// The servers map (node-whois / whois-rust `servers.json` format).
#[derive(Debug, Clone)]
pub struct ServersMap {
    tlds: HashMap<String, ServerEntry>,
    ip: ServerEntry,
}

impl ServersMap {
    /// Read and check a servers file (it must also load in whois-rust).
    pub fn load(path: &Path) -> Result<ServersMap, EnrichError> {
        let err = |m: String| EnrichError::Data {
            path: path.display().to_string(),
            message: m,
        };
        WhoIs::from_path(path).map_err(|e| err(format!("{e:?}")))?;
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let map: Map<String, Value> =
            serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        Self::from_map(map).ok_or_else(|| err("no `_`.`ip` server".into()))
    }

    fn from_map(map: Map<String, Value>) -> Option<ServersMap> {
        let ip = map.get("_")?.get("ip").and_then(entry)?;
        let tlds = map
            .iter()
            .filter(|(k, _)| *k != "_")
            .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), entry(v)?)))
            .collect();
        Some(ServersMap { tlds, ip })
    }

    /// Server for IP addresses (`_`.`ip`).
    pub fn for_ip(&self) -> &ServerEntry {
        &self.ip
    }

    /// Server for a domain: longest matching suffix, then `""`.
    pub fn for_domain(&self, domain: &str) -> Option<&ServerEntry> {
        let mut d = domain.trim_end_matches('.').to_ascii_lowercase();
        loop {
            if let Some(e) = self.tlds.get(&d) {
                return Some(e);
            }
            if d.is_empty() {
                return None;
            }
            d = d
                .split_once('.')
                .map(|(_, rest)| rest.to_string())
                .unwrap_or_default();
        }
    }

    /// The entry whose host is `host` (to reuse its query template on a referral).
    pub fn for_host(&self, host: &str) -> Option<&ServerEntry> {
        if self.ip.host.eq_ignore_ascii_case(host) {
            return Some(&self.ip);
        }
        let mut hits: Vec<&ServerEntry> = self
            .tlds
            .values()
            .filter(|e| e.host.eq_ignore_ascii_case(host))
            .collect();
        hits.sort_by_key(|e| (e.query.is_none(), e.query.clone()));
        hits.first().copied()
    }
}

fn entry(v: &Value) -> Option<ServerEntry> {
    match v {
        Value::String(h) => Some(ServerEntry::plain(h)),
        Value::Object(o) => Some(ServerEntry {
            host: o.get("host")?.as_str()?.to_string(),
            query: o.get("query").and_then(Value::as_str).map(str::to_string),
            punycode: o.get("punycode").and_then(Value::as_bool).unwrap_or(true),
        }),
        _ => None,
    }
}

/// What a WHOIS query is about; decides the query syntax on a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Ip,
    /// `AS<n>`.
    Asn,
    Domain,
}

/// A referral found in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    /// `whois` or `rwhois`.
    pub protocol: &'static str,
    /// `host` or `host:port`.
    pub host: String,
}

static RE_ARIN_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^\s*ReferralServer:\s*(r?whois)://([^\s/]+)").unwrap());
static RE_IANA_REF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?m)^refer:\s*(\S+)").unwrap());
static RE_REGISTRAR_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^\s*(?:Registrar WHOIS Server|Whois Server|Registrar Whois):[ \t]*(?:whois://)?([A-Za-z0-9.\-]+(?::\d+)?)[ \t]*\r?$").unwrap()
});

/// The referral an answer gives, if any: ARIN ReferralServer, IANA refer:, registrar server.
pub fn find_referral(text: &str) -> Option<Referral> {
    if let Some(c) = RE_ARIN_REF.captures(text) {
        let protocol = if c[1].eq_ignore_ascii_case("rwhois") {
            "rwhois"
        } else {
            "whois"
        };
        return Some(Referral {
            protocol,
            host: c[2].to_ascii_lowercase(),
        });
    }
    if let Some(c) = RE_IANA_REF.captures(text) {
        return Some(Referral {
            protocol: "whois",
            host: c[1].to_ascii_lowercase(),
        });
    }
    let c = RE_REGISTRAR_REF.captures(text)?;
    let host = c[1].to_ascii_lowercase();
    host.contains('.').then_some(Referral {
        protocol: "whois",
        host,
    })
}

static RE_THROTTLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(query limit|request limit|limit exceeded|exceeded (?:your |the )?quota|quota .{0,40}exceeded|",
        r"too many (?:requests|queries|connections)|please go away|slow down|access control limit|",
        r"connection limit|excessive querying|grace period, wait|request denied|",
        r"whois database is currently down|rate limit|%ERROR:201|please wait a while and try again)"
    ))
    .unwrap()
});
static RE_WAIT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)(\d{1,6})\s*seconds").unwrap());

/// A throttling/quota/unavailable answer: the line that says so and any wait it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttle {
    pub line: String,
    pub wait: Option<Duration>,
}

/// Recognise a throttling answer (short plain text, not a TCP error).
pub fn throttled(text: &str) -> Option<Throttle> {
    let line = text.lines().find(|l| RE_THROTTLE.is_match(l))?;
    let wait = RE_WAIT
        .captures(line)
        .and_then(|c| c[1].parse().ok())
        .map(Duration::from_secs);
    Some(Throttle {
        line: line.trim().trim_start_matches('%').trim().to_string(),
        wait,
    })
}

/// Decode an answer; returns the text and the encoding's name. ISO-2022-JP is detected by its
/// escape sequences (it is valid ASCII, so a UTF-8 check passes it), then UTF-8, then the
/// server's known charset, then chardetng with the TLD as hint.
pub fn decode(bytes: &[u8], server: &str, tld: Option<&str>) -> (String, &'static str) {
    if bytes
        .windows(3)
        .any(|w| w == b"\x1b$B" || w == b"\x1b$@" || w == b"\x1b(J")
    {
        let (s, _, _) = encoding_rs::ISO_2022_JP.decode(bytes);
        return (s.into_owned(), "ISO-2022-JP");
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_string(), "UTF-8");
    }
    let enc = known_server_encoding(host_only(server)).unwrap_or_else(|| {
        let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
        det.feed(bytes, true);
        let hint = tld.filter(|t| t.is_ascii()).map(str::as_bytes);
        det.guess(hint, chardetng::Utf8Detection::Allow)
    });
    let (s, _, _) = enc.decode(bytes);
    (s.into_owned(), enc.name())
}

/// Charsets of servers known not to send UTF-8 (from the Debian whois client's table).
fn known_server_encoding(host: &str) -> Option<&'static encoding_rs::Encoding> {
    let latin1 = [
        "whois.lacnic.net",
        "whois.ripe.net",
        "whois.registro.br",
        "whois.cira.ca",
        "whois.fi",
        "whois.nic.hu",
        "whois.isnic.is",
        "whois.dns.lu",
        "whois.norid.no",
        "whois.dns.pt",
        "whois.ax",
    ];
    match host {
        h if latin1.contains(&h) => Some(encoding_rs::WINDOWS_1252),
        "whois.nic.tr" => Some(encoding_rs::WINDOWS_1254),
        "whois.domain.kg" => Some(encoding_rs::WINDOWS_1251),
        "whois.jprs.jp" | "whois.nic.ad.jp" => Some(encoding_rs::ISO_2022_JP),
        _ => None,
    }
}

/// Why one WHOIS exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhoisFailure {
    Timeout(String),
    Throttled(String),
    Other(String),
}

impl std::fmt::Display for WhoisFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WhoisFailure::Timeout(m) | WhoisFailure::Throttled(m) | WhoisFailure::Other(m) => {
                f.write_str(m)
            }
        }
    }
}

/// Talks to WHOIS servers: one exchange per call, paced per server.
pub struct WhoisClient {
    pub map: ServersMap,
    timeouts: Timeouts,
    last: Mutex<HashMap<String, Instant>>,
}

impl WhoisClient {
    pub fn new(map: ServersMap, timeouts: Timeouts) -> WhoisClient {
        WhoisClient {
            map,
            timeouts,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// The server to ask next after `referral`, with the registry's query syntax.
    /// Number queries (IP, ASN) use the registry's syntax (ARIN `n + IP`, RIPE `-B IP`) and
    /// never a TLD entry's template; domain queries reuse the map's template for that host.
    pub fn referral_entry(&self, referral: &Referral, subject: Subject) -> ServerEntry {
        let host = host_only(&referral.host);
        let builtin = match (host, subject) {
            ("whois.arin.net", Subject::Ip) => Some("n + $addr\r\n"),
            ("whois.ripe.net", Subject::Ip | Subject::Asn) => Some("-B $addr\r\n"),
            ("whois.verisign-grs.com", Subject::Domain) => Some("domain $addr\r\n"),
            _ => None,
        };
        if subject == Subject::Domain
            && builtin.is_none()
            && let Some(e) = self.map.for_host(&referral.host)
        {
            return e.clone();
        }
        ServerEntry {
            host: referral.host.clone(),
            query: builtin.map(str::to_string),
            punycode: true,
        }
    }

    /// One exchange with a WHOIS (or RWhois) server, retried with back-off when the answer is
    /// a throttling notice. Returns the raw answer bytes.
    pub fn exchange(
        &self,
        server: &ServerEntry,
        protocol: &str,
        target: &str,
    ) -> Result<Vec<u8>, WhoisFailure> {
        let mut backoff = self.timeouts.backoff;
        for attempt in 0..=self.timeouts.retries {
            self.pace(&server.host);
            let bytes = if protocol == "rwhois" {
                self.rwhois_once(server, target)?
            } else {
                self.whois_once(server, target)?
            };
            let Some(t) = throttled(&String::from_utf8_lossy(&bytes)) else {
                return Ok(bytes);
            };
            if attempt == self.timeouts.retries {
                return Err(WhoisFailure::Throttled(format!(
                    "{} throttled the query (gave up after {} retries): {}",
                    server.host, attempt, t.line
                )));
            }
            let wait = t
                .wait
                .unwrap_or(backoff)
                .min(self.timeouts.max_backoff)
                .max(backoff);
            std::thread::sleep(wait);
            backoff = (backoff * 2).min(self.timeouts.max_backoff);
        }
        unreachable!("loop returns on the last attempt")
    }

    fn pace(&self, host: &str) {
        let wait = {
            let mut last = self.last.lock().expect("pacing lock");
            let now = Instant::now();
            let wait = last
                .get(host)
                .map(|t| self.timeouts.min_interval.saturating_sub(now - *t))
                .unwrap_or_default();
            last.insert(host.to_string(), now + wait);
            wait
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }

    fn whois_once(&self, server: &ServerEntry, target: &str) -> Result<Vec<u8>, WhoisFailure> {
        let other = |e: WhoIsError| WhoisFailure::Other(format!("{}: {e:?}", server.host));
        let mut template = server.query.clone().unwrap_or("$addr\r\n".into());
        let mut target = target.to_string();
        // whois-rust would lower-case `AS15169` as if it were a domain: send it as written.
        if is_asn(&target) {
            template = template.replace("$addr", &target);
            target = "asn.invalid".into();
        }
        let value = serde_json::json!({"host": server.host, "query": template, "punycode": server.punycode});
        let value = WhoIsServerValue::from_value(&value).map_err(other)?;
        let mut options = WhoIsLookupOptions::from_string(target).map_err(other)?;
        options.server = Some(value);
        options.follow = 0;
        options.timeout = Some(self.timeouts.whois);
        let engine = WhoIs::from_host(&server.host).map_err(other)?;
        engine
            .lookup_raw(options)
            .map_err(|e| self.io_failure(&server.host, e))
    }

    fn io_failure(&self, host: &str, e: WhoIsError) -> WhoisFailure {
        match e {
            WhoIsError::IOError(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                WhoisFailure::Timeout(format!(
                    "{host}: no answer within {:?} (timed out)",
                    self.timeouts.whois
                ))
            }
            WhoIsError::IOError(io) => WhoisFailure::Other(format!("{host}: {io}")),
            e => WhoisFailure::Other(format!("{host}: {e:?}")),
        }
    }

    /// RWhois (RFC 2167): the server greets, answers, then says `%ok`/`%error` and may keep
    /// the connection open, so we read until that line instead of until close.
    fn rwhois_once(&self, server: &ServerEntry, target: &str) -> Result<Vec<u8>, WhoisFailure> {
        let timeout = self.timeouts.whois;
        let deadline = Instant::now() + timeout;
        let addr = if server.host.contains(':') {
            server.host.clone()
        } else {
            format!("{}:4321", server.host)
        };
        let fail = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                WhoisFailure::Timeout(format!("{addr}: no answer within {timeout:?} (timed out)"))
            }
            _ => WhoisFailure::Other(format!("{addr}: {e}")),
        };
        let sock = addr
            .to_socket_addrs()
            .map_err(fail)?
            .next()
            .ok_or_else(|| WhoisFailure::Other(format!("{addr}: no address")))?;
        let mut stream = TcpStream::connect_timeout(&sock, timeout).map_err(fail)?;
        stream
            .write_all(format!("{target}\r\n").as_bytes())
            .map_err(fail)?;
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(fail(std::io::ErrorKind::TimedOut.into()));
            }
            stream.set_read_timeout(Some(left)).map_err(fail)?;
            let n = stream.read(&mut buf).map_err(fail)?;
            out.extend_from_slice(&buf[..n]);
            let done = n == 0 || out.len() > 4 << 20 || rwhois_done(&out);
            if done {
                return Ok(out);
            }
        }
    }
}

fn is_asn(target: &str) -> bool {
    target.len() > 2
        && target[..2].eq_ignore_ascii_case("as")
        && target[2..].bytes().all(|b| b.is_ascii_digit())
}

fn rwhois_done(out: &[u8]) -> bool {
    let text = String::from_utf8_lossy(out);
    text.lines()
        .skip(1)
        .any(|l| l.starts_with("%ok") || l.starts_with("%error"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrals_of_each_kind() {
        assert_eq!(
            find_referral("ReferralServer:  whois://whois.lacnic.net\n"),
            Some(Referral {
                protocol: "whois",
                host: "whois.lacnic.net".into()
            })
        );
        assert_eq!(
            find_referral("ReferralServer:  rwhois://rwhois.shawcable.net:4321\n"),
            Some(Referral {
                protocol: "rwhois",
                host: "rwhois.shawcable.net:4321".into()
            })
        );
        assert_eq!(
            find_referral("refer:        whois.apnic.net\n")
                .unwrap()
                .host,
            "whois.apnic.net"
        );
        assert_eq!(
            find_referral("   Registrar WHOIS Server: whois.markmonitor.com\r\n")
                .unwrap()
                .host,
            "whois.markmonitor.com"
        );
        assert_eq!(find_referral("Registrar WHOIS Server: \r\n"), None);
    }

    #[test]
    fn throttling_lines() {
        assert!(throttled("WHOIS LIMIT EXCEEDED - SEE WWW.PIR.ORG/WHOIS FOR DETAILS\n").is_some());
        assert_eq!(
            throttled("Please go away for 13 Seconds\n").unwrap().wait,
            Some(Duration::from_secs(13))
        );
        assert!(throttled("inetnum: 1.0.0.0 - 1.0.0.255\nnetname: X\n").is_none());
    }

    #[test]
    fn referral_query_syntax() {
        let map = ServersMap::from_map(serde_json::from_str(r#"{"_": {"ip": "whois.arin.net"}, "xx": "whois.ripe.net", "com": {"host": "whois.verisign-grs.com", "query": "DOMAIN $addr\r\n"}}"#).unwrap()).unwrap();
        let c = WhoisClient::new(map, Timeouts::default());
        let r = |h: &str| Referral {
            protocol: "whois",
            host: h.into(),
        };
        assert_eq!(
            c.referral_entry(&r("whois.ripe.net"), Subject::Ip)
                .query_line("80.80.80.80"),
            "-B 80.80.80.80"
        );
        assert_eq!(
            c.referral_entry(&r("whois.arin.net"), Subject::Ip)
                .query_line("8.8.8.8"),
            "n + 8.8.8.8"
        );
        assert_eq!(
            c.referral_entry(&r("whois.arin.net"), Subject::Asn)
                .query_line("AS15169"),
            "AS15169"
        );
        assert_eq!(
            c.referral_entry(&r("whois.lacnic.net"), Subject::Ip)
                .query_line("170.0.0.0"),
            "170.0.0.0"
        );
        assert_eq!(
            c.referral_entry(&r("whois.verisign-grs.com"), Subject::Domain)
                .query_line("x.com"),
            "domain x.com"
        );
        assert_eq!(
            c.referral_entry(&r("whois.markmonitor.com"), Subject::Domain)
                .query_line("x.com"),
            "x.com"
        );
    }

    #[test]
    fn host_port_split() {
        assert_eq!(host_only("127.0.0.1:4343"), "127.0.0.1");
        assert_eq!(host_only("whois.arin.net"), "whois.arin.net");
    }
}
