//! The Received stage against the hand-checked labels of the corpus: `origin.ip` must equal
//! `originating_ip` and `bouncer_ip` must equal the label for at least 97% of the files.
//! Every miss is listed with its file and the walk's reason.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use blowback::received::{self, OriginReport, TrustConfig};
use serde_json::Value;

const BAR: f64 = 0.97;

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
            let bounce = blowback::bounce::decode(&bytes);
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
            let r = received::walk(
                &bytes,
                &blowback::bounce::decode(&bytes),
                &TrustConfig::default(),
            );
            n += 1;
            if let Ok(want) = std::env::var("EXPLAIN_ANY")
                && p.to_string_lossy().contains(&want)
            {
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
