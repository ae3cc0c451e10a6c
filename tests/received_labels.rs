//! The Received stage against the hand-checked labels of the corpus: `origin.ip` must equal
//! `originating_ip` and `bouncer_ip` must equal the label for at least 97% of the files.
//! Every miss is listed with its file and the walk's reason.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use blowback::bounce::{BounceReport, Completeness, Kind, Original};
use blowback::received::{self, OriginReport, TrustConfig};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde_json::Value;

const BAR: f64 = 0.97;

// ---------------------------------------------------------------------------------------
// STOPGAP carve_for_test: builds a BounceReport until the bounce stage lands; replace with
// `blowback::bounce::decode` after merging. Deliberately small.

fn carve_for_test(bytes: &[u8], label_kind: &str) -> BounceReport {
    let kind = match label_kind {
        "bounce" => Kind::Bounce,
        "delay" => Kind::Delay,
        "autoreply" => Kind::Autoreply,
        "feedback-report" => Kind::FeedbackReport,
        _ => Kind::NotABounce,
    };
    let spam = kind == Kind::NotABounce;
    let mut m = if spam {
        wrapped_spam(bytes)
    } else {
        embedded(bytes)
    };
    let mut depth = 1;
    while let Some(inner) = m
        .as_ref()
        .filter(|b| is_report(b))
        .and_then(|b| embedded(b))
    {
        m = Some(inner);
        depth += 1;
        if depth > 4 {
            break;
        }
    }
    let original = m.map(|bytes| Original {
        bytes,
        range: None,
        completeness: Completeness::Full,
        sha256: String::new(),
        message_id: None,
        from: None,
        subject: None,
        date: None,
        carrier: "test".into(),
        depth,
    });
    BounceReport {
        kind,
        mta: None,
        reporting_mta: if spam {
            None
        } else {
            field_anywhere(bytes, "Reporting-MTA")
        },
        arrival_date: None,
        recipients: Vec::new(),
        bounce_from: header(bytes, "From"),
        original,
    }
}

fn is_report(bytes: &[u8]) -> bool {
    let ct = header(bytes, "Content-Type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let from = header(bytes, "From")
        .unwrap_or_default()
        .to_ascii_lowercase();
    ct.contains("multipart/report") || from.contains("mailer-daemon") || from.contains("postmaster")
}

fn header(bytes: &[u8], name: &str) -> Option<String> {
    received::header_fields(bytes)
        .into_iter()
        .find(|f| f.is(name))
        .map(|f| f.value)
}

fn field_anywhere(bytes: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let lname = name.to_ascii_lowercase();
    text.lines()
        .find(|l| l.to_ascii_lowercase().starts_with(&format!("{lname}:")))
        .map(|l| l[name.len() + 1..].trim().to_string())
}

/// A SpamAssassin report_safe wrapper: the wrapped message/rfc822 original.
fn wrapped_spam(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = String::from_utf8_lossy(bytes);
    if !text.contains("Spam detection software") {
        return None;
    }
    first_message_part(bytes)
}

fn first_message_part(bytes: &[u8]) -> Option<Vec<u8>> {
    let msg = MessageParser::default().parse(bytes)?;
    msg.parts.iter().skip(1).find_map(|p| match &p.body {
        PartType::Message(m) => Some(m.raw_message().to_vec()),
        _ => None,
    })
}

fn embedded(bytes: &[u8]) -> Option<Vec<u8>> {
    if let Some(m) = first_message_part(bytes) {
        return Some(m);
    }
    let msg = MessageParser::default().parse(bytes)?;
    for p in msg.parts.iter().skip(1) {
        let ct = p
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
            .unwrap_or_default()
            .to_ascii_lowercase();
        if ct == "text/rfc822-headers"
            || ct == "message/global-headers"
            || ct == "message/rfc822-headers"
        {
            return Some(p.contents().to_vec());
        }
    }
    for p in msg.parts.iter() {
        if let PartType::Text(t) = &p.body
            && let Some(h) = inline_headers(t)
        {
            return Some(h.into_bytes());
        }
    }
    None
}

fn inline_headers(text: &str) -> Option<String> {
    const MARKERS: &[&str] = &[
        "copy of the message",
        "below this line is a copy",
        "original message",
        "original message follows",
        "unsent message below",
        "message header follows",
        "headers of the original",
        "original message headers",
        "returned message",
        "undelivered message",
    ];
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| {
        let l = l.to_ascii_lowercase();
        MARKERS.iter().any(|m| l.contains(m))
    });
    let from = start.map(|s| s + 1).unwrap_or(0);
    let starts_block = |l: &&str| {
        let l = l.to_ascii_lowercase();
        l.starts_with("received:") || l.starts_with("return-path:")
    };
    let first = lines
        .iter()
        .skip(from)
        .position(starts_block)
        .or_else(|| lines.iter().skip(from).position(|l| is_header_line(l)))
        .map(|p| p + from)?;
    if start.is_none()
        && !lines[first..]
            .iter()
            .take(30)
            .any(|l| l.to_ascii_lowercase().starts_with("received:"))
    {
        return None;
    }
    Some(lines[first..].join("\n"))
}

fn is_header_line(l: &str) -> bool {
    let l = l.trim_start_matches('>').trim_start();
    let lower = l.to_ascii_lowercase();
    [
        "received:",
        "return-path:",
        "from:",
        "message-id:",
        "date:",
        "to:",
        "subject:",
        "x-",
        "delivered-to:",
        "mime-version:",
        "dkim-signature:",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

// ---------------------------------------------------------------------------------------

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

fn norm(v: &Value) -> Option<String> {
    let s = v.as_str()?;
    match s.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => Some(
            v6.to_ipv4_mapped()
                .map(|v4| v4.to_string())
                .unwrap_or_else(|| v6.to_string()),
        ),
        Ok(ip) => Some(ip.to_string()),
        Err(_) => Some(s.to_string()),
    }
}

fn norm_opt(s: Option<&str>) -> Option<String> {
    norm(&Value::from(s?.to_string()))
}

/// Site config for the SpamAssassin samples: the recipient's own forwarding hosts are
/// declared trusted, as SpamAssassin's `trusted_networks` would (rule 10).
fn config_for(file: &str) -> TrustConfig {
    let mut cfg = TrustConfig::default();
    if file.starts_with("spam/spamassassin/") {
        cfg.trusted_hosts = vec![
            "netnoteinc.com".into(),
            "slashnull.org".into(),
            "jmason.org".into(),
        ];
    }
    cfg
}

struct Case {
    file: String,
    label: Value,
    report: OriginReport,
}

fn run_all() -> Vec<Case> {
    run_with(config_for)
}

fn run_with(config: fn(&str) -> TrustConfig) -> Vec<Case> {
    let mut cases = Vec::new();
    for (dir, prefix) in [
        (corpus(), ""),
        (corpus().join("backscatter"), "backscatter/"),
    ] {
        let labels = std::fs::read_to_string(dir.join("labels.jsonl")).expect("labels");
        for line in labels.lines().filter(|l| !l.trim().is_empty()) {
            let label: Value = serde_json::from_str(line).expect("label json");
            let file = label["file"].as_str().unwrap().to_string();
            let bytes = std::fs::read(dir.join(&file)).expect("corpus file");
            let bounce = carve_for_test(&bytes, label["kind"].as_str().unwrap_or(""));
            let full = format!("{prefix}{file}");
            let report = received::walk(&bytes, &bounce, &config(&full));
            cases.push(Case {
                file: full,
                label,
                report,
            });
        }
    }
    cases
}

#[test]
fn origin_and_bouncer_agree_with_labels() {
    let cases = run_all();
    assert!(!cases.is_empty());
    let (mut origin_ok, mut bouncer_ok) = (0usize, 0usize);
    let mut misses = Vec::new();
    for c in &cases {
        let want = norm(&c.label["originating_ip"]);
        let got = norm_opt(c.report.origin.as_ref().map(|o| o.ip.as_str()));
        if want == got {
            origin_ok += 1;
        } else {
            let why = c
                .report
                .origin
                .as_ref()
                .map(|o| o.reason.clone())
                .or(c.report.no_origin_reason.clone())
                .unwrap_or_default();
            misses.push(format!(
                "ORIGIN  {}: want {:?} got {:?} — {}",
                c.file, want, got, why
            ));
        }
        let want_b = norm(&c.label["bouncer_ip"]);
        let got_b = norm_opt(c.report.bouncer_ip.as_deref());
        if want_b == got_b {
            bouncer_ok += 1;
        } else {
            misses.push(format!(
                "BOUNCER {}: want {:?} got {:?}",
                c.file, want_b, got_b
            ));
        }
    }
    let n = cases.len() as f64;
    let boundary_ok = cases
        .iter()
        .filter(|c| norm(&c.label["boundary_ip"]) == norm_opt(c.report.boundary_ip.as_deref()))
        .count();
    let untrusted_ok = cases
        .iter()
        .filter(|c| {
            let mut want: Vec<String> = c.label["untrusted_hops"]
                .as_array()
                .map(|a| a.iter().filter_map(norm).collect())
                .unwrap_or_default();
            let mut got: Vec<String> = c
                .report
                .untrusted_hops
                .iter()
                .filter_map(|s| norm_opt(Some(s)))
                .collect();
            want.sort();
            got.sort();
            if want != got && std::env::var("SHOW_UNTRUSTED").is_ok() {
                println!("  untrusted {}: want {:?} got {:?}", c.file, want, got);
            }
            want == got
        })
        .count();
    println!(
        "boundary agreement (informative): {boundary_ok}/{}",
        cases.len()
    );
    println!(
        "untrusted_hops agreement (informative): {untrusted_ok}/{}",
        cases.len()
    );
    for c in &cases {
        if norm(&c.label["boundary_ip"]) != norm_opt(c.report.boundary_ip.as_deref()) {
            println!(
                "  boundary {}: want {} got {:?}",
                c.file, c.label["boundary_ip"], c.report.boundary_ip
            );
        }
    }
    println!(
        "origin agreement: {origin_ok}/{} = {:.1}%",
        cases.len(),
        100.0 * origin_ok as f64 / n
    );
    println!(
        "bouncer agreement: {bouncer_ok}/{} = {:.1}%",
        cases.len(),
        100.0 * bouncer_ok as f64 / n
    );
    for m in &misses {
        println!("{m}");
    }
    assert!(origin_ok as f64 / n >= BAR, "origin agreement below {BAR}");
    assert!(
        bouncer_ok as f64 / n >= BAR,
        "bouncer agreement below {BAR}"
    );
}

/// Set `EXPLAIN=<file>` to print the walk of one file.
#[test]
fn explain_one_file_on_request() {
    let Ok(want) = std::env::var("EXPLAIN") else {
        return;
    };
    for c in run_all().iter().filter(|c| c.file.contains(&want)) {
        println!("== {}\n{}", c.file, received::explain_to_string(&c.report));
        println!(
            "label: origin {} boundary {} bouncer {}\n",
            c.label["originating_ip"], c.label["boundary_ip"], c.label["bouncer_ip"]
        );
    }
}

/// The victim's own domain declared in config (as a real user would) changes nothing.
#[test]
fn labels_hold_with_the_victims_domain_in_config() {
    fn with_own(file: &str) -> TrustConfig {
        let mut cfg = config_for(file);
        if file.starts_with("backscatter/") {
            cfg.own_domains = vec!["victim-domain.net".into()];
        }
        cfg
    }
    let cases = run_with(with_own);
    let ok = |c: &Case| {
        norm(&c.label["originating_ip"])
            == norm_opt(c.report.origin.as_ref().map(|o| o.ip.as_str()))
            && norm(&c.label["bouncer_ip"]) == norm_opt(c.report.bouncer_ip.as_deref())
    };
    let good = cases.iter().filter(|c| ok(c)).count();
    for c in cases.iter().filter(|c| !ok(c)) {
        println!("miss with own_domains: {}", c.file);
    }
    println!("with own_domains: {good}/{}", cases.len());
    assert!(good as f64 / cases.len() as f64 >= BAR);
}

/// Every corpus file, labelled or not, through the walk: never panics; with `SURVEY=1`
/// prints one line per file (origin, bouncer, reason) for reading.
#[test]
fn survey_every_corpus_file() {
    let show = std::env::var("SURVEY").is_ok();
    let mut n = 0;
    for dir in [
        "bounces",
        "spam/phishing_pot",
        "spam/spamassassin",
        "backscatter",
    ] {
        let mut paths: Vec<_> = std::fs::read_dir(corpus().join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        paths.sort();
        for p in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        {
            let bytes = std::fs::read(p).unwrap();
            let kind = if dir.starts_with("spam") {
                "spam"
            } else {
                "bounce"
            };
            let r = received::walk(
                &bytes,
                &carve_for_test(&bytes, kind),
                &TrustConfig::default(),
            );
            n += 1;
            if let Ok(want) = std::env::var("EXPLAIN_ANY")
                && p.to_string_lossy().contains(&want) {
                    println!("== {}\n{}", p.display(), received::explain_to_string(&r));
                }
            if show {
                let o = r
                    .origin
                    .as_ref()
                    .map(|o| format!("{} [{}] {}", o.ip, o.method, o.reason))
                    .unwrap_or_else(|| {
                        format!("null: {}", r.no_origin_reason.clone().unwrap_or_default())
                    });
                println!(
                    "{dir}/{} | bouncer {:?} | {o}",
                    p.file_name().unwrap().to_string_lossy(),
                    r.bouncer_ip
                );
            }
        }
    }
    assert!(n > 500);
}
