//! Enrichment against real loopback servers that replay captured answers.
//!
//! Each test starts its own WHOIS (TCP), RDAP (HTTP/1.1) and DNS (UDP) servers on 127.0.0.1
//! with port 0, serving the real captures in tests/fixtures/reference/, and points the
//! Enricher at them through the override settings (servers map file with host:port, RDAP
//! bootstrap folder with rewritten base URLs, DNS server IP:PORT). Nothing leaves the machine.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use blowback::enrich::{AbuseScope, EnrichConfig, Enricher, LookupResult, Timeouts, Verification};
use sha2::{Digest, Sha256};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(rel: &str) -> Vec<u8> {
    let p = repo().join("tests/fixtures/reference").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

type Counts = Arc<Mutex<HashMap<String, usize>>>;

fn count(c: &Counts, key: &str) -> usize {
    c.lock().unwrap().get(key).copied().unwrap_or(0)
}

// ------------------------------------------------------------------ WHOIS

/// What a fake WHOIS server does for one query.
#[derive(Clone)]
enum Reply {
    Bytes(Vec<u8>),
    /// Accept, read the query, never answer (holds the connection for 3 s).
    Silent,
    /// The first `n` queries get `throttle`, later ones `answer`.
    ThrottleFirst(usize, Vec<u8>, Vec<u8>),
    /// RWhois: answer, then keep the connection open for 3 s.
    KeepOpen(Vec<u8>),
}

/// Real host name → loopback `127.0.0.1:port`, applied to referral lines when serving.
type Rewrites = Arc<RwLock<Vec<(String, String)>>>;

struct WhoisFake {
    addr: String,
    counts: Counts,
}

fn whois_fake(routes: Vec<(&str, Reply)>, rewrites: &Rewrites) -> WhoisFake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let routes: HashMap<String, Reply> = routes
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let counts: Counts = Arc::default();
    let (c, rw) = (counts.clone(), rewrites.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (routes, c, rw) = (routes.clone(), c.clone(), rw.clone());
            std::thread::spawn(move || serve_whois(stream, &routes, &c, &rw));
        }
    });
    WhoisFake { addr, counts }
}

fn serve_whois(
    mut stream: std::net::TcpStream,
    routes: &HashMap<String, Reply>,
    counts: &Counts,
    rw: &Rewrites,
) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut line = String::new();
    if BufReader::new(&stream).read_line(&mut line).is_err() {
        return;
    }
    let query = line.trim().to_string();
    let n = {
        let mut c = counts.lock().unwrap();
        let e = c.entry(query.clone()).or_default();
        *e += 1;
        *e
    };
    let reply = routes
        .get(&query)
        .cloned()
        .unwrap_or_else(|| Reply::Bytes(format!("% no fixture for {query:?}\r\n").into_bytes()));
    let hold = |s: &mut std::net::TcpStream| {
        std::thread::sleep(Duration::from_secs(3));
        let _ = s.flush();
    };
    match reply {
        Reply::Bytes(b) => drop(stream.write_all(&rewrite(&b, rw))),
        Reply::Silent => hold(&mut stream),
        Reply::ThrottleFirst(k, t, a) => {
            drop(stream.write_all(&rewrite(if n <= k { &t } else { &a }, rw)))
        }
        Reply::KeepOpen(b) => {
            let _ = stream.write_all(&rewrite(&b, rw));
            hold(&mut stream);
        }
    }
}

/// Point referral lines at the loopback fakes; other bytes are sent exactly as captured.
fn rewrite(bytes: &[u8], rw: &Rewrites) -> Vec<u8> {
    let table = rw.read().unwrap();
    let mut out = Vec::with_capacity(bytes.len());
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        let s = String::from_utf8_lossy(line);
        let lower = s.to_ascii_lowercase();
        let is_ref = ["referralserver:", "refer:", "whois server:"]
            .iter()
            .any(|k| lower.contains(k));
        match table
            .iter()
            .find(|(real, _)| is_ref && lower.contains(real.as_str()))
        {
            Some((real, fake)) => {
                let start = lower.find(real.as_str()).unwrap();
                let mut end = start + real.len();
                // Drop a port the capture gave (rwhois://host:4321): the fake has its own.
                if s[end..].starts_with(':') {
                    end += 1 + s[end + 1..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .count();
                }
                out.extend_from_slice(format!("{}{}{}", &s[..start], fake, &s[end..]).as_bytes());
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

// ------------------------------------------------------------------- RDAP

#[derive(Clone)]
enum Http {
    Json(u16, Vec<u8>),
    Redirect(String),
    /// The first `n` requests get 429 with `Retry-After: 1`, later ones the JSON.
    TooManyFirst(usize, Vec<u8>),
}

struct RdapFake {
    base: String,
    counts: Counts,
}

fn rdap_fake(routes: Vec<(&str, Http)>) -> RdapFake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let routes: HashMap<String, Http> = routes
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let counts: Counts = Arc::default();
    let c = counts.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head);
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            let n = {
                let mut m = c.lock().unwrap();
                let e = m.entry(path.clone()).or_default();
                *e += 1;
                *e
            };
            let (status, extra, body) = match routes.get(&path) {
                Some(Http::Json(s, b)) => (*s, String::new(), b.clone()),
                Some(Http::Redirect(to)) => (302, format!("Location: {to}\r\n"), Vec::new()),
                Some(Http::TooManyFirst(k, _)) if n <= *k => (
                    429,
                    "Retry-After: 1\r\n".into(),
                    br#"{"errorCode":429,"title":"Too Many Requests"}"#.to_vec(),
                ),
                Some(Http::TooManyFirst(_, b)) => (200, String::new(), b.clone()),
                None => (
                    404,
                    String::new(),
                    br#"{"errorCode":404,"title":"Not Found"}"#.to_vec(),
                ),
            };
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/rdap+json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    RdapFake { base, counts }
}

/// The shipped IANA bootstrap files with every RIR/registry base URL pointed at the fake.
fn bootstrap_dir(dir: &Path, base: &str, com_base: Option<&str>) -> PathBuf {
    let out = dir.join("bootstrap");
    std::fs::create_dir_all(&out).unwrap();
    let map = [
        ("https://rdap.arin.net/registry/", "arin"),
        ("https://rdap.db.ripe.net/", "ripe"),
        ("https://rdap.apnic.net/", "apnic"),
        ("https://rdap.lacnic.net/rdap/", "lacnic"),
        ("https://rdap.afrinic.net/rdap/", "afrinic"),
        ("https://rdap.verisign.com/com/v1/", "verisign"),
    ];
    for f in ["dns.json", "ipv4.json", "ipv6.json", "asn.json"] {
        let mut s = std::fs::read_to_string(repo().join("data/rdap-bootstrap").join(f)).unwrap();
        for (real, name) in map {
            let to = match (name, com_base) {
                ("verisign", Some(c)) => c.to_string(),
                _ => format!("{base}/{name}/"),
            };
            s = s.replace(real, &to);
        }
        std::fs::write(out.join(f), s).unwrap();
    }
    out
}

// -------------------------------------------------------------------- DNS

fn dns_fake(zone: Vec<(&str, hickory_proto::rr::RecordType, &str)>) -> (SocketAddr, Counts) {
    use hickory_proto::op::{Message, OpCode, ResponseCode};
    use hickory_proto::rr::rdata::{A, AAAA, MX, NS, PTR};
    use hickory_proto::rr::{Name, RData, Record, RecordType};
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    let zone: Vec<(String, RecordType, String)> = zone
        .into_iter()
        .map(|(n, t, v)| (n.to_string(), t, v.to_string()))
        .collect();
    let counts: Counts = Arc::default();
    let c = counts.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut resp = Message::response(q.metadata.id, OpCode::Query);
            resp.metadata.recursion_available = true;
            let mut found = false;
            for query in &q.queries {
                let name = query
                    .name()
                    .to_ascii()
                    .trim_end_matches('.')
                    .to_ascii_lowercase();
                *c.lock()
                    .unwrap()
                    .entry(format!("{name} {}", query.query_type()))
                    .or_default() += 1;
                for (zn, zt, zv) in &zone {
                    if *zn != name || *zt != query.query_type() {
                        continue;
                    }
                    found = true;
                    let nm = |s: &str| Name::from_ascii(format!("{s}.")).unwrap();
                    let rdata = match zt {
                        RecordType::A => RData::A(A(zv.parse().unwrap())),
                        RecordType::AAAA => RData::AAAA(AAAA(zv.parse().unwrap())),
                        RecordType::PTR => RData::PTR(PTR(nm(zv))),
                        RecordType::NS => RData::NS(NS(nm(zv))),
                        RecordType::MX => {
                            let (p, x) = zv.split_once(' ').unwrap();
                            RData::MX(MX::new(p.parse().unwrap(), nm(x)))
                        }
                        _ => continue,
                    };
                    resp.add_answer(Record::from_rdata(query.name().clone(), 300, rdata));
                }
                resp.add_query(query.clone());
            }
            if !found {
                resp.metadata.response_code = ResponseCode::NXDomain;
            }
            let _ = sock.send_to(&resp.to_vec().unwrap(), from);
        }
    });
    (addr, counts)
}

// ----------------------------------------------------------------- config

const NOW: u64 = 1_800_000_000;

fn fast() -> Timeouts {
    Timeouts {
        whois: Duration::from_secs(3),
        http: Duration::from_secs(3),
        dns: Duration::from_millis(500),
        min_interval: Duration::ZERO,
        backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        retries: 2,
    }
}

/// A config that can only reach the given loopback servers: servers map file written from
/// `servers`, bootstrap folder (or an empty one), DNS off unless a server is given.
fn config(
    dir: &Path,
    servers: serde_json::Value,
    bootstrap: Option<PathBuf>,
    dns: Option<SocketAddr>,
) -> EnrichConfig {
    let servers_file = dir.join("servers.json");
    std::fs::write(&servers_file, serde_json::to_vec_pretty(&servers).unwrap()).unwrap();
    let empty = dir.join("no-bootstrap");
    std::fs::create_dir_all(&empty).unwrap();
    EnrichConfig {
        whois_servers_file: Some(servers_file),
        rdap_bootstrap_dir: Some(bootstrap.unwrap_or(empty)),
        dns_server: dns,
        no_dns: dns.is_none(),
        cache_path: Some(dir.join("cache.sqlite")),
        timeouts: fast(),
        now: Some(NOW),
        ..EnrichConfig::with_data_dir(repo().join("data"))
    }
}

fn ip_servers(host: &str, query: &str) -> serde_json::Value {
    serde_json::json!({"_": {"ip": {"host": host, "query": query}}, "": "127.0.0.1:9"})
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn emails(v: &[blowback::enrich::AbuseContact]) -> Vec<&str> {
    v.iter().map(|c| c.email.as_str()).collect()
}

// ------------------------------------------------------------- WHOIS: IPs

#[test]
fn whois_arin_ip_uses_n_plus_and_org_abuse() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let arin = whois_fake(
        vec![(
            "n + 74.125.225.229",
            Reply::Bytes(fixture("whois/ip/arin/74.125.225.229_ipwhois2015.txt")),
        )],
        &rw,
    );
    let e = Enricher::new(config(
        dir.path(),
        ip_servers(&arin.addr, "n + $addr\r\n"),
        None,
        None,
    ))
    .unwrap();
    let info = e.lookup_ip(ip("74.125.225.229"));
    let net = info.network.expect("network");
    assert_eq!(emails(&net.abuse), ["arin-contact@google.com"]);
    assert_eq!(net.abuse[0].scope, AbuseScope::Organisation);
    assert_eq!(net.abuse[0].via, "OrgAbuseEmail");
    assert_eq!(
        (net.country.as_deref(), net.netname.as_deref()),
        (Some("US"), Some("GOOGLE"))
    );
    assert_eq!(info.records[0].query, "n + 74.125.225.229");
    assert_eq!(info.country.as_deref(), Some("US"), "geo from data/");
    assert_eq!(count(&arin.counts, "n + 74.125.225.229"), 1);
}

#[test]
fn whois_ripe_ip_unfiltered_with_dash_b() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let ripe = whois_fake(
        vec![
            (
                "-B 80.80.80.80",
                Reply::Bytes(fixture("whois/ip/ripe/80.80.80.80_-B_unfiltered.txt")),
            ),
            (
                "80.80.80.80",
                Reply::Bytes(fixture("whois/ip/ripe/80.80.80.80_filtered.txt")),
            ),
        ],
        &rw,
    );
    let e = Enricher::new(config(
        dir.path(),
        ip_servers(&ripe.addr, "-B $addr\r\n"),
        None,
        None,
    ))
    .unwrap();
    let net = e.lookup_ip(ip("80.80.80.80")).network.unwrap();
    assert_eq!(net.abuse[0].email, "abuse@freenom.com");
    assert_eq!(net.abuse[0].via, "% Abuse contact for");
    assert_eq!(net.country.as_deref(), Some("NL"));
    assert_eq!(
        (
            count(&ripe.counts, "-B 80.80.80.80"),
            count(&ripe.counts, "80.80.80.80")
        ),
        (1, 0)
    );
}

#[test]
fn whois_apnic_ip_reached_through_iana_refer() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let apnic = whois_fake(
        vec![(
            "171.0.0.0",
            Reply::Bytes(fixture("whois/ip/apnic/171.0.0.0_irt-abuse-mailbox.txt")),
        )],
        &rw,
    );
    let iana = whois_fake(
        vec![(
            "171.0.0.0",
            Reply::Bytes(fixture("whois/iana/171.0.0.0.txt")),
        )],
        &rw,
    );
    rw.write()
        .unwrap()
        .push(("whois.apnic.net".into(), apnic.addr.clone()));
    let e = Enricher::new(config(
        dir.path(),
        ip_servers(&iana.addr, "$addr\r\n"),
        None,
        None,
    ))
    .unwrap();
    let info = e.lookup_ip(ip("171.0.0.0"));
    let net = info.network.unwrap();
    assert_eq!(net.abuse[0].email, "abuse@starhub.com");
    assert_eq!(net.country.as_deref(), Some("SG"));
    let servers: Vec<&str> = info.records.iter().map(|r| r.server.as_str()).collect();
    assert_eq!(
        servers,
        [iana.addr.as_str(), apnic.addr.as_str()],
        "every hop kept"
    );
}

#[test]
fn whois_arin_referral_to_lacnic_prefers_network_over_rir_catch_all() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let lacnic = whois_fake(
        vec![(
            "170.0.0.0",
            Reply::Bytes(fixture("whois/ip/lacnic/170.0.0.0_nicbr.txt")),
        )],
        &rw,
    );
    let arin = whois_fake(
        vec![(
            "n + 170.0.0.0",
            Reply::Bytes(fixture("whois/ip/arin/170.0.0.0_referral-to-lacnic.txt")),
        )],
        &rw,
    );
    rw.write()
        .unwrap()
        .push(("whois.lacnic.net".into(), lacnic.addr.clone()));
    let e = Enricher::new(config(
        dir.path(),
        ip_servers(&arin.addr, "n + $addr\r\n"),
        None,
        None,
    ))
    .unwrap();
    let info = e.lookup_ip(ip("170.0.0.0"));
    assert_eq!(info.records.len(), 2);
    let net = info.network.unwrap();
    assert_eq!(net.abuse[0].email, "noc@coopercitrus.com.br");
    assert_eq!(net.abuse[0].scope, AbuseScope::Network);
    assert_eq!(net.country.as_deref(), Some("BR"));
    assert!(
        net.abuse
            .iter()
            .all(|c| c.email != "abuse@lacnic.net" || c.scope == AbuseScope::RirCatchAll)
    );
}

#[test]
fn whois_afrinic_abuse_only_in_remarks_is_never_an_address() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let afrinic = whois_fake(
        vec![(
            "196.11.240.215",
            Reply::Bytes(fixture("whois/ip/afrinic/196.11.240.215_ipwhois2015.txt")),
        )],
        &rw,
    );
    let e = Enricher::new(config(
        dir.path(),
        ip_servers(&afrinic.addr, "$addr\r\n"),
        None,
        None,
    ))
    .unwrap();
    let net = e.lookup_ip(ip("196.11.240.215")).network.unwrap();
    // "remarks: please send abuse reports to abuse@mtnbusiness.co.za" is free text that
    // anyone maintaining the object can write; the registry designates no abuse contact
    // ("% No abuse contact registered"), so no address is taken from it.
    assert!(
        net.abuse
            .iter()
            .all(|c| c.email != "abuse@mtnbusiness.co.za"),
        "{:?}",
        net.abuse
    );
    assert_eq!(net.cidr.as_deref(), Some("196.11.239.0 - 196.11.246.255"));
    assert_eq!(net.country.as_deref(), Some("ZA"));
}

#[test]
fn whois_apnic_nir_catch_all_ranks_after_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let apnic = whois_fake(
        vec![(
            "210.107.73.73",
            Reply::Bytes(fixture("whois/ip/apnic/210.107.73.73_ipwhois2015.txt")),
        )],
        &rw,
    );
    let e = Enricher::new(config(
        dir.path(),
        ip_servers(&apnic.addr, "$addr\r\n"),
        None,
        None,
    ))
    .unwrap();
    let net = e.lookup_ip(ip("210.107.73.73")).network.unwrap();
    // The only designated contact is the NIR's IRT (mnt-irt → abuse-mailbox); the
    // addresses in the role's `remarks:` ("Only for whois information correction …")
    // are never taken.
    assert_eq!(
        net.abuse
            .iter()
            .map(|c| (c.email.as_str(), c.scope))
            .collect::<Vec<_>>(),
        [("hostmaster@nic.or.kr", AbuseScope::RirCatchAll)]
    );
    assert_eq!(net.cidr.as_deref(), Some("210.107.0.0/17"));
}

#[test]
fn whois_arin_referral_to_rwhois_keeps_both_answers() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let rwhois = whois_fake(
        vec![(
            "174.0.0.0",
            Reply::KeepOpen(fixture(
                "whois/ip/rwhois/rwhois.shawcable.net_4321_174.0.0.0.txt",
            )),
        )],
        &rw,
    );
    let arin = whois_fake(
        vec![(
            "n + 174.0.0.0",
            Reply::Bytes(fixture("whois/ip/arin/174.0.0.0_referral-to-rwhois.txt")),
        )],
        &rw,
    );
    rw.write()
        .unwrap()
        .push(("rwhois.shawcable.net".into(), rwhois.addr.clone()));
    let e = Enricher::new(config(
        dir.path(),
        ip_servers(&arin.addr, "n + $addr\r\n"),
        None,
        None,
    ))
    .unwrap();
    let t = Instant::now();
    let info = e.lookup_ip(ip("174.0.0.0"));
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "RWhois read stops at %ok, not at close"
    );
    let kinds: Vec<&str> = info.records.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["whois", "rwhois"]);
    assert_eq!(
        info.network.unwrap().abuse[0].email,
        "internet.abuse@sjrb.ca"
    );
    assert!(info.errors.is_empty(), "{:?}", info.errors);
}

#[test]
fn whois_silent_server_times_out_and_the_run_continues() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let silent = whois_fake(vec![("n + 74.125.225.229", Reply::Silent)], &rw);
    let mut cfg = config(
        dir.path(),
        ip_servers(&silent.addr, "n + $addr\r\n"),
        None,
        None,
    );
    cfg.timeouts.whois = Duration::from_millis(400);
    let e = Enricher::new(cfg).unwrap();
    let t = Instant::now();
    let info = e.lookup_ip(ip("74.125.225.229"));
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(
        info.errors
            .iter()
            .any(|m| m.contains("timed out") && m.contains(&silent.addr)),
        "{:?}",
        info.errors
    );
    assert_eq!(
        info.country.as_deref(),
        Some("US"),
        "local data still answers"
    );
    assert_eq!(info.asn, Some(15169));
    // The next query still runs.
    let again = e.lookup_ip(ip("8.8.8.8"));
    assert_eq!(again.as_org.as_deref(), Some("Google LLC"));
}

// --------------------------------------------------------- WHOIS: domains

fn domain_servers(entries: &[(&str, serde_json::Value)]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("_".into(), serde_json::json!({"ip": "127.0.0.1:9"}));
    for (k, v) in entries {
        m.insert(k.to_string(), v.clone());
    }
    serde_json::Value::Object(m)
}

#[test]
fn whois_com_registry_to_registrar_chain() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let mm = whois_fake(
        vec![(
            "google.com",
            Reply::Bytes(fixture(
                "whois/domain/com/google.com_markmonitor-registrar.txt",
            )),
        )],
        &rw,
    );
    let vs = whois_fake(
        vec![(
            "DOMAIN google.com",
            Reply::Bytes(fixture("whois/domain/com/google.com_verisign_2020.txt")),
        )],
        &rw,
    );
    rw.write()
        .unwrap()
        .push(("whois.markmonitor.com".into(), mm.addr.clone()));
    let servers = domain_servers(&[(
        "com",
        serde_json::json!({"host": vs.addr, "query": "DOMAIN $addr\r\n"}),
    )]);
    let e = Enricher::new(config(dir.path(), servers, None, None)).unwrap();
    let info = match e.lookup("https://mail.google.com/x").unwrap() {
        LookupResult::Domain(d) => d,
        other => panic!("{other:?}"),
    };
    assert_eq!(info.registered_domain.as_deref(), Some("google.com"));
    assert_eq!(info.registrar.as_deref(), Some("MarkMonitor Inc."));
    assert_eq!(info.registrar_iana_id.as_deref(), Some("292"));
    assert_eq!(emails(&info.abuse), ["abusecomplaints@markmonitor.com"]);
    assert_eq!(info.abuse[0].scope, AbuseScope::Registrar);
    let queries: Vec<(&str, &str)> = info
        .records
        .iter()
        .map(|r| (r.server.as_str(), r.query.as_str()))
        .collect();
    assert_eq!(
        queries,
        [
            (vs.addr.as_str(), "DOMAIN google.com"),
            (mm.addr.as_str(), "google.com")
        ]
    );
}

#[test]
fn whois_ru_domain_through_iana_refer() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let tc = whois_fake(
        vec![(
            "ya.ru",
            Reply::Bytes(fixture("whois/domain/ru/ya.ru_tcinet.txt")),
        )],
        &rw,
    );
    let iana = whois_fake(
        vec![(
            "ya.ru",
            Reply::Bytes(fixture("whois/iana/ru_for_ya.ru.txt")),
        )],
        &rw,
    );
    rw.write()
        .unwrap()
        .push(("whois.tcinet.ru".into(), tc.addr.clone()));
    let servers = domain_servers(&[("", serde_json::json!(iana.addr))]);
    let e = Enricher::new(config(dir.path(), servers, None, None)).unwrap();
    let info = e.lookup_domain("ya.ru");
    assert_eq!(info.records.len(), 2);
    assert_eq!(info.registrar.as_deref(), Some("RU-CENTER-RU"));
    assert_eq!(count(&tc.counts, "ya.ru"), 1);
}

#[test]
fn whois_non_utf8_answers_are_decoded_and_raw_bytes_kept() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let br_bytes = fixture("whois/domain/br/registro.br_registro-br.latin1.txt");
    let is_bytes = fixture("whois/domain/is/isnic.is_isnic.windows-1252.txt");
    let jp_bytes = fixture("whois/domain/jp/whois.jp_jprs.iso-2022-jp.txt");
    let br = whois_fake(vec![("registro.br", Reply::Bytes(br_bytes.clone()))], &rw);
    let is = whois_fake(vec![("isnic.is", Reply::Bytes(is_bytes.clone()))], &rw);
    let jp = whois_fake(vec![("whois.jp", Reply::Bytes(jp_bytes.clone()))], &rw);
    let servers = domain_servers(&[
        ("br", serde_json::json!(br.addr)),
        ("is", serde_json::json!(is.addr)),
        ("jp", serde_json::json!(jp.addr)),
    ]);
    let e = Enricher::new(config(dir.path(), servers, None, None)).unwrap();
    for (domain, raw, encoding, text) in [
        (
            "registro.br",
            &br_bytes,
            "windows-1252",
            "Núcleo de Inf. e Coord. do Ponto BR",
        ),
        ("isnic.is", &is_bytes, "windows-1252", "Reykjavík"),
        (
            "whois.jp",
            &jp_bytes,
            "ISO-2022-JP",
            "株式会社日本レジストリサービス",
        ),
    ] {
        let info = e.lookup_domain(domain);
        let rec = &info.records[0];
        assert_eq!(rec.encoding.as_deref(), Some(encoding), "{domain}");
        assert_eq!(
            rec.bytes_sha256,
            hex::encode(Sha256::digest(raw)),
            "{domain}: raw bytes kept"
        );
        assert_eq!(e.raw_answer(rec).as_ref(), Some(raw));
        assert!(e.decoded_answer(rec).unwrap().contains(text), "{domain}");
    }
}

#[test]
fn whois_throttling_answer_backs_off_then_succeeds_or_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let throttle = fixture("whois/throttled/pir.org.txt");
    let pir = whois_fake(
        vec![
            (
                "google.org",
                Reply::ThrottleFirst(
                    1,
                    throttle.clone(),
                    fixture("whois/domain/org/google.org_pir.txt"),
                ),
            ),
            (
                "registered.org",
                Reply::ThrottleFirst(usize::MAX, throttle.clone(), Vec::new()),
            ),
        ],
        &rw,
    );
    let servers = domain_servers(&[("org", serde_json::json!(pir.addr))]);
    let e = Enricher::new(config(dir.path(), servers, None, None)).unwrap();
    let ok = e.lookup_domain("google.org");
    assert_eq!(
        count(&pir.counts, "google.org"),
        2,
        "one throttled answer, one retry"
    );
    assert_eq!(ok.abuse[0].email, "abusecomplaints@markmonitor.com");
    assert!(
        ok.errors.iter().all(|m| !m.contains("throttled")),
        "{:?}",
        ok.errors
    );

    let bad = e.lookup_domain("registered.org");
    assert_eq!(
        count(&pir.counts, "registered.org"),
        3,
        "first try + 2 retries"
    );
    assert!(
        bad.errors
            .iter()
            .any(|m| m.contains("throttled") && m.contains("WHOIS LIMIT EXCEEDED")),
        "{:?}",
        bad.errors
    );
    // A throttling answer is never cached: a new run asks again.
    let again = e.lookup_domain("registered.org");
    assert!(!again.errors.is_empty());
    assert_eq!(count(&pir.counts, "registered.org"), 6);
}

// ------------------------------------------------------------------- RDAP

fn rdap_routes() -> Vec<(&'static str, Http)> {
    let j = |rel: &str| Http::Json(200, fixture(rel));
    vec![
        (
            "/arin/ip/74.125.225.229",
            j("rdap/ip/arin/74.125.225.229_ipwhois2015.json"),
        ),
        (
            "/arin/ip/2001:4860:4860::8888",
            j("rdap/ip/arin/2001_4860_4860__8888_ipwhois2015.json"),
        ),
        (
            "/ripe/ip/62.239.237.1",
            j("rdap/ip/ripe/62.239.237.1_ipwhois2015.json"),
        ),
        (
            "/ripe/ip/2a00:2381:ffff::1",
            j("rdap/ip/ripe/2a00_2381_ffff__1_ipwhois2015.json"),
        ),
        (
            "/lacnic/ip/200.57.141.161",
            j("rdap/ip/lacnic/200.57.141.161_ipwhois2015.json"),
        ),
        (
            "/lacnic/ip/2801:10:c000::",
            j("rdap/ip/lacnic/2801_10_c000___ipwhois2015.json"),
        ),
        ("/apnic/ip/1.1.1.1", j("rdap/ip/apnic/1.1.1.1_2024.json")),
        (
            "/afrinic/ip/196.11.240.215",
            j("rdap/ip/afrinic/196.11.240.215_ipwhois2015.json"),
        ),
        (
            "/arin/autnum/13335",
            j("rdap/autnum/arin_AS13335_2024.json"),
        ),
        (
            "/arin/ip/2606:4700:4700::1111",
            Http::TooManyFirst(1, fixture("rdap/ip/arin/2606_4700_4700__1111_2024.json")),
        ),
        (
            "/arin/ip/13.64.0.1",
            Http::TooManyFirst(usize::MAX, Vec::new()),
        ),
        (
            "/arin/ip/130.59.0.1",
            Http::Json(501, fixture("rdap/error/ripe_501.json")),
        ),
        (
            "/rdaporg/domain/google.com",
            Http::Redirect("/verisign/domain/google.com".into()),
        ),
        (
            "/verisign/domain/google.com",
            j("rdap/domain/com/google.com_verisign-registry_2024.json"),
        ),
    ]
}

#[test]
fn rdap_ip_abuse_and_country_for_each_rir() {
    let dir = tempfile::tempdir().unwrap();
    let fake = rdap_fake(rdap_routes());
    let boot = bootstrap_dir(dir.path(), &fake.base, None);
    let mut cfg = config(
        dir.path(),
        ip_servers("127.0.0.1:9", "$addr\r\n"),
        Some(boot),
        None,
    );
    cfg.timeouts.whois = Duration::from_millis(300);
    let e = Enricher::new(cfg).unwrap();
    for (addr, abuse, country) in [
        ("74.125.225.229", "arin-contact@google.com", None),
        ("2001:4860:4860::8888", "arin-contact@google.com", None),
        ("62.239.237.1", "zzdnsr@bt.com", Some("GB")),
        ("2a00:2381:ffff::1", "zzdnsr@bt.com", Some("GB")),
        ("200.57.141.161", "operacion.redes@triara.com", Some("MX")),
        ("2801:10:c000::", "sistemas.red@uco.edu.co", Some("CO")),
    ] {
        let info = e.lookup_ip(ip(addr));
        let net = info
            .network
            .unwrap_or_else(|| panic!("{addr}: {:?}", info.errors));
        assert_eq!(net.abuse[0].email, abuse, "{addr}");
        assert_eq!(net.abuse[0].scope, AbuseScope::Network, "{addr}");
        assert_eq!(net.country.as_deref(), country, "{addr}");
        assert_eq!(info.records[0].kind, "rdap");
        assert_eq!(info.records[0].status, Some(200));
        assert!(
            info.records.iter().all(|r| r.kind == "rdap"),
            "{addr}: no WHOIS needed"
        );
    }
    // APNIC's own helpdesk only: kept but ranked last as a catch-all; WHOIS is tried, then
    // the abuse contact of the announcing AS (13335, from data/asn.mmdb) via RDAP autnum.
    let apnic = e.lookup_ip(ip("1.1.1.1"));
    assert!(
        apnic.errors.iter().any(|m| m.contains("127.0.0.1:9")),
        "WHOIS was tried: {:?}",
        apnic.errors
    );
    let net = apnic.network.unwrap();
    assert_eq!(
        (net.abuse[0].email.as_str(), net.abuse[0].scope),
        ("abuse@cloudflare.com", AbuseScope::AutonomousSystem)
    );
    let last = net.abuse.last().unwrap();
    assert_eq!(
        (last.email.as_str(), last.scope),
        ("helpdesk@apnic.net", AbuseScope::RirCatchAll)
    );
    assert_eq!(net.country.as_deref(), Some("AU"));
    // AFRINIC without an abuse entity: network facts from RDAP.
    let af = e.lookup_ip(ip("196.11.240.215")).network.unwrap();
    assert_eq!(af.country.as_deref(), Some("ZA"));
}

#[test]
fn rdap_429_backs_off_then_succeeds_or_gives_up_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let fake = rdap_fake(rdap_routes());
    let boot = bootstrap_dir(dir.path(), &fake.base, None);
    let mut cfg = config(
        dir.path(),
        ip_servers("127.0.0.1:9", "$addr\r\n"),
        Some(boot),
        None,
    );
    cfg.timeouts.whois = Duration::from_millis(300);
    let e = Enricher::new(cfg).unwrap();
    let ok = e.lookup_ip(ip("2606:4700:4700::1111"));
    assert_eq!(count(&fake.counts, "/arin/ip/2606:4700:4700::1111"), 2);
    assert_eq!(ok.network.unwrap().abuse[0].email, "abuse@cloudflare.com");

    let bad = e.lookup_ip(ip("13.64.0.1"));
    assert_eq!(count(&fake.counts, "/arin/ip/13.64.0.1"), 3);
    assert!(
        bad.errors
            .iter()
            .any(|m| m.contains("429") && m.contains("gave up")),
        "{:?}",
        bad.errors
    );
    assert_eq!(bad.country.as_deref(), Some("US"), "the run continues");
}

#[test]
fn rdap_error_object_is_reported_and_whois_is_the_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let fake = rdap_fake(rdap_routes());
    let boot = bootstrap_dir(dir.path(), &fake.base, None);
    let rw = Rewrites::default();
    let ripe = whois_fake(
        vec![(
            "130.59.0.1",
            Reply::Bytes(fixture("whois/ip/ripe/80.80.80.80_filtered.txt")),
        )],
        &rw,
    );
    let e = Enricher::new(config(
        dir.path(),
        ip_servers(&ripe.addr, "$addr\r\n"),
        Some(boot),
        None,
    ))
    .unwrap();
    let info = e.lookup_ip(ip("130.59.0.1"));
    assert!(
        info.errors
            .iter()
            .any(|m| m.contains("HTTP 501") && m.contains("RDAP error 501")),
        "{:?}",
        info.errors
    );
    assert_eq!(count(&ripe.counts, "130.59.0.1"), 1);
    assert!(
        info.network
            .unwrap()
            .abuse
            .iter()
            .any(|c| c.email == "abuse@freenom.com")
    );
}

#[test]
fn rdap_domain_follows_redirect_and_finds_registrar_abuse() {
    let dir = tempfile::tempdir().unwrap();
    let fake = rdap_fake(rdap_routes());
    let boot = bootstrap_dir(
        dir.path(),
        &fake.base,
        Some(&format!("{}/rdaporg/", fake.base)),
    );
    let e = Enricher::new(config(dir.path(), domain_servers(&[]), Some(boot), None)).unwrap();
    let info = e.lookup_domain("google.com");
    assert_eq!(info.registrar.as_deref(), Some("MarkMonitor Inc."));
    assert_eq!(info.registrar_iana_id.as_deref(), Some("292"));
    assert_eq!(info.abuse[0].email, "abusecomplaints@markmonitor.com");
    assert_eq!(info.abuse[0].scope, AbuseScope::Registrar);
    assert_eq!(
        count(&fake.counts, "/verisign/domain/google.com"),
        1,
        "302 followed"
    );
}

// ------------------------------------------------------------- DNS, cache

#[test]
fn dns_forward_confirmed_ptr_and_domain_records() {
    use hickory_proto::rr::RecordType as T;
    let dir = tempfile::tempdir().unwrap();
    let (dns, counts) = dns_fake(vec![
        (
            "229.225.125.74.in-addr.arpa",
            T::PTR,
            "ord08s08-in-f5.1e100.net",
        ),
        ("ord08s08-in-f5.1e100.net", T::A, "74.125.225.229"),
        ("8.8.8.8.in-addr.arpa", T::PTR, "dns.google"),
        ("dns.google", T::A, "8.8.4.4"),
        ("google.com", T::A, "142.250.74.46"),
        ("google.com", T::AAAA, "2a00:1450:4001:82b::200e"),
        ("google.com", T::MX, "10 smtp.google.com"),
        ("google.com", T::NS, "ns1.google.com"),
        ("google.com", T::NS, "ns2.google.com"),
    ]);
    let mut cfg = config(dir.path(), domain_servers(&[]), None, Some(dns));
    cfg.whois_only = true;
    let e = Enricher::new(cfg).unwrap();
    let info = e.lookup_ip(ip("74.125.225.229"));
    assert_eq!(info.ptr.len(), 1);
    assert_eq!(
        (info.ptr[0].name.as_str(), info.ptr[0].confirmed),
        ("ord08s08-in-f5.1e100.net", true)
    );
    let unconfirmed = e.lookup_ip(ip("8.8.8.8"));
    assert_eq!(
        (
            unconfirmed.ptr[0].name.as_str(),
            unconfirmed.ptr[0].confirmed
        ),
        ("dns.google", false)
    );
    let d = e.lookup_domain("google.com");
    assert_eq!(d.a, ["142.250.74.46"]);
    assert_eq!(d.aaaa, ["2a00:1450:4001:82b::200e"]);
    assert_eq!(d.mx, ["10 smtp.google.com"]);
    assert_eq!(d.ns, ["ns1.google.com", "ns2.google.com"]);
    assert_eq!(count(&counts, "google.com MX"), 1);
}

#[test]
fn second_lookup_is_served_from_the_cache_and_offline_rerun_is_identical() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let lacnic = whois_fake(
        vec![(
            "170.0.0.0",
            Reply::Bytes(fixture("whois/ip/lacnic/170.0.0.0_nicbr.txt")),
        )],
        &rw,
    );
    let arin = whois_fake(
        vec![(
            "n + 170.0.0.0",
            Reply::Bytes(fixture("whois/ip/arin/170.0.0.0_referral-to-lacnic.txt")),
        )],
        &rw,
    );
    rw.write()
        .unwrap()
        .push(("whois.lacnic.net".into(), lacnic.addr.clone()));
    let cfg = config(
        dir.path(),
        ip_servers(&arin.addr, "n + $addr\r\n"),
        None,
        None,
    );
    let e = Enricher::new(cfg.clone()).unwrap();
    let first = e.lookup_ip(ip("170.0.0.0"));
    let second = e.lookup_ip(ip("170.0.0.0"));
    assert_eq!(first, second);
    assert_eq!(
        (
            count(&arin.counts, "n + 170.0.0.0"),
            count(&lacnic.counts, "170.0.0.0")
        ),
        (1, 1),
        "no second query"
    );
    assert_eq!(e.stats().network_queries, 2);
    assert_eq!(e.stats().cache_hits, 2);

    // A later offline run from the same cache file, with a different clock: same answer.
    let offline = Enricher::new(EnrichConfig {
        offline: true,
        now: Some(NOW + 86_400 * 365),
        ..cfg
    })
    .unwrap();
    assert_eq!(offline.lookup_ip(ip("170.0.0.0")), first);
    assert_eq!(offline.stats().network_queries, 0);
    // Not cached: says what is missing, asks nobody.
    let missing = offline.lookup_ip(ip("74.125.225.229"));
    assert!(
        missing
            .missing
            .iter()
            .any(|m| m.contains("n + 74.125.225.229") && m.contains("not in the cache")),
        "{:?}",
        missing.missing
    );
    assert_eq!(
        missing.country.as_deref(),
        Some("US"),
        "local data works offline"
    );
    assert_eq!(count(&arin.counts, "n + 74.125.225.229"), 0);
}

#[test]
fn documentation_and_private_addresses_are_never_looked_up() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let arin = whois_fake(vec![], &rw);
    let e = Enricher::new(config(
        dir.path(),
        ip_servers(&arin.addr, "n + $addr\r\n"),
        None,
        None,
    ))
    .unwrap();
    for q in [
        "192.0.2.1",
        "198.51.100.2",
        "203.0.113.3",
        "2001:db8::1",
        "10.0.0.1",
        "http://192.168.1.1/x",
    ] {
        let LookupResult::Ip(info) = e.lookup(q).unwrap() else {
            panic!("{q}")
        };
        assert!(
            info.not_looked_up
                .as_deref()
                .is_some_and(|m| m.starts_with("not looked up")),
            "{q}"
        );
        assert!(info.records.is_empty());
    }
    assert!(e.lookup_domain("www.example.com").not_looked_up.is_some());
    assert_eq!(e.stats().network_queries, 0);
    assert!(arin.counts.lock().unwrap().is_empty());
    let LookupResult::Phone(p) = e.lookup("+44 20 7946 0000").unwrap() else {
        panic!()
    };
    assert_eq!(p.countries[0], "GB");
}

#[test]
fn whois_registrar_and_abuse_for_several_tlds() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let cases = [
        (
            "bz",
            "mail.bz",
            "whois/domain/bz/mail.bz_afilias.txt",
            Some("Dynadot, LLC"),
            Some("abuse@dynadot.com"),
        ),
        (
            "info",
            "google.info",
            "whois/domain/info/google.info.txt",
            Some("MarkMonitor, Inc."),
            Some("abusecomplaints@markmonitor.com"),
        ),
        (
            "xyz",
            "google.xyz",
            "whois/domain/xyz/google.xyz.txt",
            Some("MarkMonitor, Inc."),
            Some("abusecomplaints@markmonitor.com"),
        ),
        (
            "fr",
            "google.fr",
            "whois/domain/fr/google.fr_afnic.txt",
            Some("MARKMONITOR Inc."),
            None,
        ),
        (
            "uk",
            "amazon.co.uk",
            "whois/domain/uk/amazon.co.uk_nominet.txt",
            Some("Amazon.com, Inc. t/a Amazon.com, Inc. [Tag = AMAZON-COM]"),
            None,
        ),
        (
            "nl",
            "app.nl",
            "whois/domain/nl/app.nl.txt",
            Some("Hosting Secure"),
            Some("abuse@hostingsecure.com"),
        ),
        (
            "eu",
            "eurid.eu",
            "whois/domain/eu/eurid.eu.txt",
            Some("EURid vzw"),
            None,
        ),
        (
            "cn",
            "google.cn",
            "whois/domain/cn/google.cn_cnnic.txt",
            Some("MarkMonitor Inc."),
            None,
        ),
    ];
    let fakes: Vec<WhoisFake> = cases
        .iter()
        .map(|(_, d, f, _, _)| whois_fake(vec![(*d, Reply::Bytes(fixture(f)))], &rw))
        .collect();
    // The registrar servers named in the answers are not captured: point them at a closed port.
    for host in ["whois.dynadot.com", "whois.markmonitor.com"] {
        rw.write()
            .unwrap()
            .push((host.into(), "127.0.0.1:9".into()));
    }
    let entries: Vec<(&str, serde_json::Value)> = cases
        .iter()
        .zip(&fakes)
        .map(|((tld, ..), f)| (*tld, serde_json::json!(f.addr)))
        .collect();
    let e = Enricher::new(config(dir.path(), domain_servers(&entries), None, None)).unwrap();
    for (_, domain, _, registrar, abuse) in cases {
        let info = e.lookup_domain(domain);
        assert_eq!(info.registrar.as_deref(), registrar, "{domain}");
        assert_eq!(
            info.abuse.first().map(|c| c.email.as_str()),
            abuse,
            "{domain}"
        );
        if abuse.is_some() {
            assert_eq!(info.abuse[0].scope, AbuseScope::Registrar, "{domain}");
        }
    }
}

#[test]
fn asn_by_rdap_and_by_whois_through_iana() {
    let dir = tempfile::tempdir().unwrap();
    let fake = rdap_fake(vec![(
        "/arin/autnum/2914",
        Http::Json(200, fixture("rdap/autnum/arin_AS2914.json")),
    )]);
    let boot = bootstrap_dir(dir.path(), &fake.base, None);
    let rw = Rewrites::default();
    let lacnic = whois_fake(
        vec![(
            "AS264957",
            Reply::Bytes(fixture("whois/ip/lacnic/AS264957_nicbr.txt")),
        )],
        &rw,
    );
    let iana = whois_fake(
        vec![("AS264957", Reply::Bytes(fixture("whois/iana/AS264957.txt")))],
        &rw,
    );
    rw.write()
        .unwrap()
        .push(("whois.lacnic.net".into(), lacnic.addr.clone()));
    let mut servers = ip_servers("127.0.0.1:9", "$addr\r\n");
    servers[""] = serde_json::json!(iana.addr);
    let e = Enricher::new(config(dir.path(), servers, Some(boot), None)).unwrap();
    let LookupResult::Asn(ntt) = e.lookup("AS2914").unwrap() else {
        panic!()
    };
    assert_eq!(ntt.name.as_deref(), Some("NTT-LTD-2914"));
    assert!(
        ntt.abuse
            .first()
            .is_some_and(|c| c.scope == AbuseScope::Network),
        "{:?}",
        ntt.abuse
    );
    assert!(ntt.records.iter().all(|r| r.kind == "rdap"));

    let LookupResult::Asn(br) = e.lookup("AS264957").unwrap() else {
        panic!()
    };
    assert_eq!(
        br.abuse.first().map(|c| c.email.as_str()),
        Some("noc@coopercitrus.com.br"),
        "{br:?}"
    );
    assert_eq!(br.country.as_deref(), Some("BR"));
    assert_eq!(
        br.holder.as_deref(),
        Some("Coopercitrus Cooperativa de Produtores Rurais")
    );
    let kinds: Vec<&str> = br.records.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["rdap", "whois", "whois"],
        "RDAP 404, then IANA, then LACNIC"
    );
}

#[test]
fn idn_domains_are_asked_in_punycode() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let rf = whois_fake(
        vec![(
            "xn--j1ay.xn--p1ai",
            Reply::Bytes(fixture("whois/domain/xn--p1ai/xn--j1ay.xn--p1ai.txt")),
        )],
        &rw,
    );
    let e = Enricher::new(config(
        dir.path(),
        domain_servers(&[("xn--p1ai", serde_json::json!(rf.addr))]),
        None,
        None,
    ))
    .unwrap();
    let info = e.lookup_domain("кц.рф");
    assert_eq!(info.domain, "xn--j1ay.xn--p1ai");
    assert_eq!(count(&rf.counts, "xn--j1ay.xn--p1ai"), 1);
    assert!(info.registrar.is_some(), "{info:?}");
}

// ------------------------------------------- issue 19: answers checked against the question

// See: issue 19, point 1 (an answer describing 80.80.80.0/23 was accepted for 82.238.40.111).
#[test]
fn whois_answer_for_the_wrong_range_is_a_conflict_and_gives_no_address() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let ripe = whois_fake(
        vec![(
            "-B 82.238.40.111",
            Reply::Bytes(fixture("whois/ip/ripe/80.80.80.80_-B_unfiltered.txt")),
        )],
        &rw,
    );
    let e = Enricher::new(config(
        dir.path(),
        ip_servers(&ripe.addr, "-B $addr\r\n"),
        None,
        None,
    ))
    .unwrap();
    let info = e.lookup_ip(ip("82.238.40.111"));
    assert_eq!(info.asn, Some(12322), "the shipped AS database");
    let net = info.network.unwrap();
    assert_eq!(net.status, Verification::Conflict, "{net:?}");
    assert!(
        net.checks
            .iter()
            .any(|c| c.contains("80.80.80.0/23") && c.contains("does not hold 82.238.40.111")),
        "{:?}",
        net.checks
    );
    assert!(
        net.abuse
            .iter()
            .filter(|c| c.status == Verification::Verified)
            .all(|c| !c.email.contains("freenom")),
        "{:?}",
        net.abuse
    );
    // The same capture for the address it describes is verified.
    let ripe2 = whois_fake(
        vec![(
            "-B 80.80.80.80",
            Reply::Bytes(fixture("whois/ip/ripe/80.80.80.80_-B_unfiltered.txt")),
        )],
        &rw,
    );
    let dir2 = tempfile::tempdir().unwrap();
    let e = Enricher::new(config(
        dir2.path(),
        ip_servers(&ripe2.addr, "-B $addr\r\n"),
        None,
        None,
    ))
    .unwrap();
    let net = e.lookup_ip(ip("80.80.80.80")).network.unwrap();
    assert_eq!(net.status, Verification::Verified, "{:?}", net.checks);
    assert_eq!(net.cidr.as_deref(), Some("80.80.80.0/23"));
    assert_eq!(net.abuse[0].email, "abuse@freenom.com");
    assert_eq!(net.abuse[0].status, Verification::Verified);
}

// See: issue 19, point 1 ("referral chains that end in an unrelated record").
#[test]
fn a_referral_to_an_unrelated_record_keeps_the_network_that_holds_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let unrelated = whois_fake(
        vec![(
            "62.239.237.1",
            Reply::Bytes(fixture("whois/ip/ripe/80.80.80.80_-B_unfiltered.txt")),
        )],
        &rw,
    );
    // The real BT answer, with a referral line added (synthetic) to a server that then
    // answers about another network.
    let mut first = fixture("whois/ip/ripe/62.239.237.1_ipwhois2015.txt");
    first.extend_from_slice(b"\nReferralServer: whois://whois.unrelated.example\n");
    let ripe = whois_fake(vec![("62.239.237.1", Reply::Bytes(first))], &rw);
    rw.write()
        .unwrap()
        .push(("whois.unrelated.example".into(), unrelated.addr.clone()));
    let e = Enricher::new(config(
        dir.path(),
        ip_servers(&ripe.addr, "$addr\r\n"),
        None,
        None,
    ))
    .unwrap();
    let info = e.lookup_ip(ip("62.239.237.1"));
    assert_eq!(
        count(&unrelated.counts, "62.239.237.1"),
        1,
        "the referral was followed"
    );
    let net = info.network.unwrap();
    assert_eq!(net.cidr.as_deref(), Some("62.239.237.0/24"), "{net:?}");
    assert_eq!(net.status, Verification::Verified, "{:?}", net.checks);
    assert_eq!(emails(&net.abuse), ["protect@bt.com"]);
    assert!(
        net.checks
            .iter()
            .any(|c| c.contains("ended in a less specific or unrelated record")),
        "{:?}",
        net.checks
    );
    assert!(
        net.checks
            .iter()
            .any(|c| c.contains("does not hold 62.239.237.1")),
        "{:?}",
        net.checks
    );
}

// See: issue 19, point 1 (a legacy Verisign answer gave the registrar of `GOOGLE.COM.ZZZZZ…`).
#[test]
fn registrar_answers_for_another_domain_are_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let mm = whois_fake(
        vec![(
            "google.com",
            Reply::Bytes(fixture(
                "whois/domain/com/google.com_markmonitor-registrar.txt",
            )),
        )],
        &rw,
    );
    let spam_host_registrar = whois_fake(vec![], &rw);
    let vs = whois_fake(
        vec![
            (
                "google.com",
                Reply::Bytes(fixture(
                    "whois/domain/com/google.com_verisign_legacy-hostname-spam.txt",
                )),
            ),
            (
                "not-google.com",
                Reply::Bytes(fixture("whois/domain/com/google.com_verisign_2020.txt")),
            ),
        ],
        &rw,
    );
    rw.write().unwrap().extend([
        ("whois.markmonitor.com".to_string(), mm.addr.clone()),
        (
            "whois.itsyourdomain.com".to_string(),
            spam_host_registrar.addr.clone(),
        ),
    ]);
    let servers = domain_servers(&[(
        "com",
        serde_json::json!({"host": vs.addr, "query": "$addr\r\n"}),
    )]);
    let e = Enricher::new(config(dir.path(), servers, None, None)).unwrap();
    let info = e.lookup_domain("google.com");
    assert_eq!(
        info.registrar_status,
        Verification::Verified,
        "{:?}",
        info.checks
    );
    assert_eq!(info.registrar.as_deref(), Some("MARKMONITOR INC."));
    assert_eq!(emails(&info.abuse), ["abusecomplaints@markmonitor.com"]);
    assert_eq!(
        count(&mm.counts, "google.com"),
        1,
        "the GOOGLE.COM record's referral"
    );
    assert!(
        spam_host_registrar.counts.lock().unwrap().is_empty(),
        "the first (spam host name) record's referral is not followed"
    );

    // An answer about google.com for a query about not-google.com gives nothing.
    let dir = tempfile::tempdir().unwrap();
    let servers = domain_servers(&[(
        "com",
        serde_json::json!({"host": vs.addr, "query": "$addr\r\n"}),
    )]);
    let e = Enricher::new(config(dir.path(), servers, None, None)).unwrap();
    let info = e.lookup_domain("not-google.com");
    assert_eq!(info.registrar, None, "{info:?}");
    assert!(info.abuse.is_empty(), "{:?}", info.abuse);
    assert!(
        info.checks
            .iter()
            .any(|c| c.contains("is about") && c.contains("not not-google.com")),
        "{:?}",
        info.checks
    );
}

// See: issue 19, point 7 (a dead DNS server serialised everything at 3 s a query).
#[test]
fn a_dead_dns_server_is_given_up_after_two_timeouts() {
    let dir = tempfile::tempdir().unwrap();
    // A UDP socket that reads every query and never answers.
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let dns = sock.local_addr().unwrap();
    let datagrams = Arc::new(Mutex::new(0usize));
    let seen = datagrams.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while sock.recv_from(&mut buf).is_ok() {
            *seen.lock().unwrap() += 1;
        }
    });
    let mut cfg = config(dir.path(), domain_servers(&[]), None, Some(dns));
    cfg.timeouts.dns = Duration::from_millis(100);
    let e = Enricher::new(cfg).unwrap();
    let infos: Vec<_> = [
        "a.blowback-test.de",
        "b.blowback-test.fr",
        "c.blowback-test.ro",
    ]
    .iter()
    .map(|d| e.lookup_domain(d))
    .collect();
    // Two queries, each tried twice, reached the server; nothing after that.
    assert_eq!(*datagrams.lock().unwrap(), 4);
    let errors: Vec<&String> = infos.iter().flat_map(|i| &i.errors).collect();
    assert_eq!(
        errors.iter().filter(|m| m.contains("(timed out)")).count(),
        2,
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .filter(|m| m.contains("counts as dead"))
            .count()
            >= 10,
        "{errors:?}"
    );
}

// See: issue 19, point 4 (hosting networks never got an address, even with --resolve).
#[test]
fn a_hosting_network_gets_the_checked_abuse_contact_of_the_resolved_address() {
    use blowback::annotate::Annotator;
    use blowback::app::Analyzer;
    use blowback::cases::{self, CaseOptions, PartyKind};
    use blowback::config::Config;
    use blowback::ingest::{FormatChoice, Inputs, Item};
    use hickory_proto::rr::RecordType;

    let dir = tempfile::tempdir().unwrap();
    let rw = Rewrites::default();
    let ripe = whois_fake(
        vec![(
            "62.239.237.1",
            Reply::Bytes(fixture("whois/ip/ripe/62.239.237.1_ipwhois2015.txt")),
        )],
        &rw,
    );
    let (dns, _) = dns_fake(vec![(
        "wo.adquiraseuplanobr.com.br",
        RecordType::A,
        "62.239.237.1",
    )]);
    let analysis = Config::parse(
        "own_domains = [\"victim-domain.net\"]\n",
        Path::new("t.toml"),
    )
    .unwrap();
    let limits = analysis.limits.clone();
    let mut analyzer = Analyzer::new(analysis, Default::default(), false, NOW as i64);
    analyzer.annotator = Some(
        Annotator::resolving(config(
            dir.path(),
            ip_servers(&ripe.addr, "$addr\r\n"),
            None,
            Some(dns),
        ))
        .unwrap(),
    );
    let input = repo()
        .join("tests/fixtures/corpus/backscatter/bs-0042.eml")
        .display()
        .to_string();
    let records: Vec<_> = Inputs::new(&[input], FormatChoice::Auto, &limits)
        .filter_map(|item| match item {
            Item::Message(m) => Some(analyzer.analyze(&m)),
            _ => None,
        })
        .collect();
    let facts = records[0]
        .contact_facts
        .iter()
        .find(|f| f.value == "wo.adquiraseuplanobr.com.br")
        .expect("the advertised domain was looked up");
    let host = &facts.hosting[0];
    assert_eq!(host.ip, "62.239.237.1");
    let network = host
        .network
        .as_ref()
        .expect("the hosting address was looked up");
    assert_eq!(
        network.status,
        Verification::Verified,
        "{:?}",
        network.checks
    );
    assert_eq!(network.cidr.as_deref(), Some("62.239.237.0/24"));
    let cases = cases::build(
        &records,
        &CaseOptions {
            window_days: 7,
            now: NOW as i64,
            ..Default::default()
        },
    );
    let hosting = cases
        .iter()
        .find(|c| c.party.kind == PartyKind::HostingNetwork)
        .expect("a hosting complaint");
    assert_eq!(hosting.party.address.as_deref(), Some("protect@bt.com"));
    assert_eq!(hosting.party.address_status, Verification::Verified);
    assert_eq!(hosting.ips, ["62.239.237.1"]);
}
