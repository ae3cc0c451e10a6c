//! Scores the contacts stage against the hand-checked labels of the corpus:
//! `tests/fixtures/corpus/labels.jsonl` and `backscatter/labels.jsonl` (where contacts
//! are labelled). Precision and recall of URL hosts, e-mail addresses and phone numbers
//! (by E.164 digits) must each be at least 0.95, and every labelled messenger handle must
//! be found. Prints the table and every miss.
//!
//! Each file goes through the whole analyze pipeline (bounce stage carving M, the trust
//! walk, then contact extraction with the context the pipeline builds), as a user runs it
//! with `own_domains = ["victim-domain.net"]`.

use std::collections::BTreeSet;
use std::path::Path;

use blowback::app::Analyzer;
use blowback::config::Config;
use blowback::contacts::Contact;
use blowback::ingest::{Format, RawMessage};

/// The pipeline as a user of the victim domain runs it.
fn analyzer() -> Analyzer {
    let config = Config::parse(
        "own_domains = [\"victim-domain.net\"]",
        Path::new("test.toml"),
    )
    .unwrap();
    Analyzer::new(config, Default::default(), false, 1_700_000_000)
}
use serde_json::Value;

mod contacts_util;
use contacts_util::strings;

const CORPUS: &str = "tests/fixtures/corpus";
const BAR: f64 = 0.95;

/// One labelled message: where M comes from and what it advertises.
struct Case {
    name: String,
    found: Vec<Contact>,
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
    let id = if matches!(service.as_str(), "whatsapp" | "viber" | "signal") {
        digits(id)
    } else {
        id.to_lowercase()
    };
    format!("{service}:{id}")
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
        let message = RawMessage::new(path.display().to_string(), bytes, Format::Eml, None);
        let found = analyzer().analyze(&message).contacts;
        let urls = strings(&contacts["urls"]);
        let mut hosts: BTreeSet<String> = strings(&contacts["url_hosts"])
            .iter()
            .map(|h| norm_host(h))
            .collect();
        if hosts.is_empty() && !urls.is_empty() {
            hosts = urls
                .iter()
                .filter_map(|u| u.split("://").nth(1))
                .map(|r| norm_host(r.split(['/', '?', '#']).next().unwrap_or("")))
                .collect();
        }
        cases.push(Case {
            name: format!("{dir}{file}"),
            found,
            hosts,
            emails: strings(&contacts["emails"])
                .iter()
                .map(|e| e.to_lowercase())
                .collect(),
            phones: strings(&contacts["phones"])
                .iter()
                .map(|p| digits(p))
                .collect(),
            other: strings(&contacts["other"])
                .iter()
                .map(|o| norm_other(o))
                .collect(),
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
            expected
                .iter()
                .find(|e| d == **e || (e.len() >= 7 && d.ends_with(e.trim_start_matches('0'))))
                .cloned()
                .unwrap_or(d)
        })
        .collect()
}

const MESSENGERS: &[&str] = &[
    "icq", "skype", "telegram", "whatsapp", "viber", "wechat", "qq", "signal", "xmpp",
];

#[test]
fn contacts_match_labels() {
    let mut cases = load("labels.jsonl", "");
    cases.extend(load("backscatter/labels.jsonl", "backscatter/"));
    assert!(!cases.is_empty());
    let (mut hosts, mut emails, mut phones, mut other) = (
        Score::default(),
        Score::default(),
        Score::default(),
        Score::default(),
    );
    for case in &cases {
        let found = &case.found;
        let got = |kind: &str| -> BTreeSet<String> {
            found
                .iter()
                .filter(|c| c.kind == kind)
                .map(|c| c.value.to_lowercase())
                .collect()
        };
        hosts.add(&case.name, &case.hosts, &got("domain"));
        emails.add(&case.name, &case.emails, &got("email"));
        phones.add(&case.name, &case.phones, &phone_set(found, &case.phones));
        let msgs: BTreeSet<String> = found
            .iter()
            .filter(|c| MESSENGERS.contains(&c.kind.as_str()))
            .map(|c| norm_other(&format!("{}:{}", c.kind, c.value)))
            .collect();
        other.add(&case.name, &case.other, &msgs);
    }
    println!("{} labelled messages", cases.len());
    println!(
        "{:<10} {:>5} {:>5} {:>5} {:>9} {:>7}",
        "kind", "tp", "fp", "fn", "precision", "recall"
    );
    for (name, s) in [
        ("url_hosts", &hosts),
        ("emails", &emails),
        ("phones", &phones),
        ("messenger", &other),
    ] {
        println!(
            "{:<10} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
            name,
            s.tp,
            s.fp,
            s.fn_,
            s.precision(),
            s.recall()
        );
    }
    for s in [&hosts, &emails, &phones, &other] {
        for m in &s.misses {
            println!("  {m}");
        }
    }
    for (name, s) in [
        ("url_hosts", &hosts),
        ("emails", &emails),
        ("phones", &phones),
    ] {
        assert!(
            s.precision() >= BAR && s.recall() >= BAR,
            "{name}: precision {:.3} recall {:.3}",
            s.precision(),
            s.recall()
        );
    }
    assert_eq!(
        other.fn_, 0,
        "every labelled messenger handle must be found"
    );
}
