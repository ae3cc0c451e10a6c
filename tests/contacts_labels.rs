//! Scores the contacts stage against the hand-checked labels of the corpus:
//! `tests/fixtures/corpus/labels.jsonl` and `backscatter/labels.jsonl` (where contacts
//! are labelled). Precision and recall of URL hosts, e-mail addresses and phone numbers
//! (by E.164 digits) must each be at least 0.95, and every labelled messenger handle must
//! be found. Prints the table and every miss.
//!
//! M is the file itself for `kind: spam`; for a bounce, M is carved here with mail-parser
//! (first `message/rfc822` part, else a `text/rfc822-headers` part) because the real
//! carver lives in the bounce stage. A backscatter message whose copy has a body but no
//! `message/rfc822` part uses the spam named in its `notes` (`spam=...`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use blowback::contacts::{extract, Contact, ContactContext};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde_json::Value;

const CORPUS: &str = "tests/fixtures/corpus";
const BAR: f64 = 0.95;

/// One labelled message: where M comes from and what it advertises.
struct Case {
    name: String,
    m: Vec<u8>,
    hosts: BTreeSet<String>,
    emails: BTreeSet<String>,
    phones: BTreeSet<String>,
    other: BTreeSet<String>,
}

#[derive(Default)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
    misses: Vec<String>,
}

impl Score {
    fn add(&mut self, case: &str, expected: &BTreeSet<String>, got: &BTreeSet<String>) {
        for e in expected {
            if got.contains(e) {
                self.tp += 1;
            } else {
                self.fn_ += 1;
                self.misses.push(format!("{case}: missed {e}"));
            }
        }
        for g in got.difference(expected) {
            self.fp += 1;
            self.misses.push(format!("{case}: extra  {g}"));
        }
    }

    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Label host as the stage normalises it: lower case, decimal IPv4 dotted.
fn norm_host(h: &str) -> String {
    let h = h.to_lowercase();
    match h.parse::<u32>() {
        Ok(n) if !h.contains('.') => std::net::Ipv4Addr::from(n).to_string(),
        _ => h,
    }
}

fn norm_other(o: &str) -> String {
    let (service, id) = o.split_once(':').unwrap_or(("?", o));
    let service = service.to_lowercase();
    let id = id.trim().trim_start_matches('@');
    let id = if matches!(service.as_str(), "whatsapp" | "viber" | "signal") { digits(id) } else { id.to_lowercase() };
    format!("{service}:{id}")
}

/// The returned original of a bounce; a returned report (bounce of a bounce) is
/// descended into.
fn carve(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut m = carve_once(bytes)?;
    for _ in 0..4 {
        let Some(msg) = MessageParser::default().parse(&m) else { break };
        let report = msg.content_type().is_some_and(|ct| ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report")));
        let daemon = msg.from().and_then(|f| f.first()).and_then(|a| a.address()).is_some_and(|a| a.to_ascii_lowercase().starts_with("mailer-daemon@"));
        if !report && !daemon {
            break;
        }
        m = match carve_once(&m) {
            Some(inner) => inner,
            None => carve_inline(&msg)?,
        };
    }
    Some(m)
}

/// A copy of the original pasted after a marker in a report's text (qmail, Exim, ...).
fn carve_inline(msg: &mail_parser::Message<'_>) -> Option<Vec<u8>> {
    const MARKERS: &[&str] = &[
        "--- Below this line is a copy of the message.",
        "------ This is a copy of the message, including all the headers. ------",
        "----- Original message -----",
        "------ Original message follows ------",
    ];
    let text = msg.body_text(0)?;
    MARKERS.iter().find_map(|marker| {
        let at = text.find(marker)? + marker.len();
        Some(text[at..].trim_start().as_bytes().to_vec())
    })
}

/// The first `message/rfc822` part, else the headers-only part.
fn carve_once(bytes: &[u8]) -> Option<Vec<u8>> {
    let msg = MessageParser::default().parse(bytes)?;
    for part in &msg.parts {
        if let PartType::Message(inner) = &part.body {
            return Some(inner.raw_message().to_vec());
        }
    }
    for part in &msg.parts {
        let ct = part.content_type()?;
        let sub = ct.subtype().unwrap_or("").to_ascii_lowercase();
        if sub == "rfc822-headers" || sub == "global-headers" {
            return Some(part.contents().to_vec());
        }
    }
    None
}

fn spam_of(notes: &str) -> Option<PathBuf> {
    let spam = notes.split("spam=").nth(1)?.split(';').next()?.trim();
    Some(Path::new(CORPUS).join(spam))
}

fn load(labels: &str, dir: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(Path::new(CORPUS).join(labels)).expect("labels");
    let mut cases = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).expect("label line");
        let contacts = &v["contacts"];
        if contacts.is_null() {
            continue;
        }
        let file = v["file"].as_str().expect("file");
        let path = Path::new(CORPUS).join(dir).join(file);
        let bytes = std::fs::read(&path).expect("corpus file");
        let body_present = v["original_body_present"].as_bool().unwrap_or(true);
        let m = if v["kind"] == "spam" {
            // A filter report wrapping the spam: M is the wrapped original (README rule 1).
            let outer_id = MessageParser::default().parse(&bytes).and_then(|m| m.message_id().map(|id| format!("<{id}>")));
            let labelled_id = v["original_message_id"].as_str().map(str::to_string);
            match carve_once(&bytes) {
                Some(inner) if outer_id != labelled_id => inner,
                _ => bytes,
            }
        } else {
            match carve(&bytes) {
                Some(m) => m,
                None if body_present => v["notes"].as_str().and_then(spam_of).map(|p| std::fs::read(p).expect("spam")).unwrap_or_default(),
                None => Vec::new(),
            }
        };
        let urls = strings(&contacts["urls"]);
        let mut hosts: BTreeSet<String> = strings(&contacts["url_hosts"]).iter().map(|h| norm_host(h)).collect();
        if hosts.is_empty() && !urls.is_empty() {
            hosts = urls.iter().filter_map(|u| u.split("://").nth(1)).map(|r| norm_host(r.split(['/', '?', '#']).next().unwrap_or(""))).collect();
        }
        cases.push(Case {
            name: format!("{dir}{file}"),
            m,
            hosts,
            emails: strings(&contacts["emails"]).iter().map(|e| e.to_lowercase()).collect(),
            phones: strings(&contacts["phones"]).iter().map(|p| digits(p)).collect(),
            other: strings(&contacts["other"]).iter().map(|o| norm_other(o)).collect(),
        });
    }
    cases
}

/// Phones match by E.164 digits; a national label (`0xx...`) matches its E.164 tail.
fn phone_set(found: &[Contact], expected: &BTreeSet<String>) -> BTreeSet<String> {
    found
        .iter()
        .filter(|c| c.kind == "phone")
        .map(|c| {
            let d = digits(&c.value);
            expected.iter().find(|e| d == **e || (e.len() >= 7 && d.ends_with(e.trim_start_matches('0')))).cloned().unwrap_or(d)
        })
        .collect()
}

const MESSENGERS: &[&str] = &["icq", "skype", "telegram", "whatsapp", "viber", "wechat", "qq", "signal", "xmpp"];

#[test]
fn contacts_match_labels() {
    let mut cases = load("labels.jsonl", "");
    cases.extend(load("backscatter/labels.jsonl", "backscatter/"));
    assert!(!cases.is_empty());
    let ctx = ContactContext { own_domains: vec!["victim-domain.net".into()], ..Default::default() };
    let (mut hosts, mut emails, mut phones, mut other) = (Score::default(), Score::default(), Score::default(), Score::default());
    for case in &cases {
        let found = extract(&case.m, &ctx);
        let got = |kind: &str| -> BTreeSet<String> { found.iter().filter(|c| c.kind == kind).map(|c| c.value.to_lowercase()).collect() };
        hosts.add(&case.name, &case.hosts, &got("domain"));
        emails.add(&case.name, &case.emails, &got("email"));
        phones.add(&case.name, &case.phones, &phone_set(&found, &case.phones));
        let msgs: BTreeSet<String> = found.iter().filter(|c| MESSENGERS.contains(&c.kind.as_str())).map(|c| norm_other(&format!("{}:{}", c.kind, c.value))).collect();
        other.add(&case.name, &case.other, &msgs);
    }
    println!("{} labelled messages", cases.len());
    println!("{:<10} {:>5} {:>5} {:>5} {:>9} {:>7}", "kind", "tp", "fp", "fn", "precision", "recall");
    for (name, s) in [("url_hosts", &hosts), ("emails", &emails), ("phones", &phones), ("messenger", &other)] {
        println!("{:<10} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}", name, s.tp, s.fp, s.fn_, s.precision(), s.recall());
    }
    for s in [&hosts, &emails, &phones, &other] {
        for m in &s.misses {
            println!("  {m}");
        }
    }
    for (name, s) in [("url_hosts", &hosts), ("emails", &emails), ("phones", &phones)] {
        assert!(s.precision() >= BAR && s.recall() >= BAR, "{name}: precision {:.3} recall {:.3}", s.precision(), s.recall());
    }
    assert_eq!(other.fn_, 0, "every labelled messenger handle must be found");
}
