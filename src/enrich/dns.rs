//! DNS look-ups: PTR (forward-confirmed) for IPs, A/AAAA/MX/NS for domains.
//!
//! A small stub resolver: hickory-proto builds and parses the messages, a std UDP socket asks
//! one recursive server (from config, e.g. `--dns-server 127.0.0.1:5353`, or the first
//! `nameserver` in /etc/resolv.conf) with one retry, and TCP is used when the answer is
//! truncated. Raw answer bytes go to the cache like any other answer.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::str::FromStr;
use std::time::Duration;

use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RData, RecordType};

/// The resolver named in a resolv.conf text (first `nameserver`), port 53.
pub fn resolv_conf_server(text: &str) -> Option<SocketAddr> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|v| v.trim().split('%').next()?.parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .next()
}

/// Build the wire query for `name` / `rtype` with a random id; returns (id, bytes).
pub fn build_query(name: &str, rtype: RecordType) -> Result<(u16, Vec<u8>), String> {
    let name = Name::from_str(&format!("{}.", name.trim_end_matches('.')))
        .map_err(|e| format!("{name}: {e}"))?;
    let mut msg = Message::query();
    msg.metadata.recursion_desired = true;
    msg.add_query(Query::query(name, rtype));
    Ok((msg.metadata.id, msg.to_vec().map_err(|e| e.to_string())?))
}

/// Ask `server`; returns the raw answer bytes.
pub fn exchange(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let (id, query) = build_query(name, rtype)?;
    let bind = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let sock = UdpSocket::bind(bind).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 4096];
    for _try in 0..2 {
        sock.send_to(&query, server)
            .map_err(|e| format!("{server}: {e}"))?;
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let answer = buf[..n].to_vec();
        let ok = from == server && Message::from_vec(&answer).is_ok_and(|m| m.metadata.id == id);
        if !ok {
            continue;
        }
        if Message::from_vec(&answer).is_ok_and(|m| m.metadata.truncation) {
            return exchange_tcp(server, &query, timeout);
        }
        return Ok(answer);
    }
    Err(format!(
        "DNS {server}: no answer for {name} {rtype} within {timeout:?} (timed out)"
    ))
}

fn exchange_tcp(server: SocketAddr, query: &[u8], timeout: Duration) -> Result<Vec<u8>, String> {
    let err = |e: std::io::Error| format!("DNS {server} (TCP): {e}");
    let mut s = TcpStream::connect_timeout(&server, timeout).map_err(err)?;
    s.set_read_timeout(Some(timeout)).map_err(err)?;
    let mut framed = (query.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    s.write_all(&framed).map_err(err)?;
    let mut len = [0u8; 2];
    s.read_exact(&mut len).map_err(err)?;
    let mut answer = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut answer).map_err(err)?;
    Ok(answer)
}

/// Parsed answer: response code and the record data of the asked type as text, plus the
/// smallest TTL (for the cache).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub rcode: u16,
    pub values: Vec<String>,
    pub min_ttl: Option<u32>,
}

/// Read the records of `rtype` from a raw answer (CNAME chains are followed by the server).
pub fn parse_answer(bytes: &[u8], rtype: RecordType) -> Result<Answer, String> {
    let msg = Message::from_vec(bytes).map_err(|e| e.to_string())?;
    let mut values = Vec::new();
    let mut min_ttl: Option<u32> = None;
    for r in &msg.answers {
        let v = match (&r.data, rtype) {
            (RData::A(a), RecordType::A) => a.0.to_string(),
            (RData::AAAA(a), RecordType::AAAA) => a.0.to_string(),
            (RData::MX(mx), RecordType::MX) => {
                format!("{} {}", mx.preference, trim_dot(&mx.exchange.to_ascii()))
            }
            (RData::NS(ns), RecordType::NS) => trim_dot(&ns.0.to_ascii()),
            (RData::PTR(p), RecordType::PTR) => trim_dot(&p.0.to_ascii()),
            _ => continue,
        };
        min_ttl = Some(min_ttl.map_or(r.ttl, |t| t.min(r.ttl)));
        values.push(v);
    }
    values.sort();
    values.dedup();
    Ok(Answer {
        rcode: u16::from(msg.metadata.response_code),
        values,
        min_ttl,
    })
}

fn trim_dot(s: &str) -> String {
    s.trim_end_matches('.').to_ascii_lowercase()
}

/// The reverse-DNS name of an IP (`4.3.2.1.in-addr.arpa`, nibbles for IPv6).
pub fn reverse_name(ip: IpAddr) -> String {
    trim_dot(&Name::from(ip).to_ascii())
}
