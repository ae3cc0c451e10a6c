//! The bounce stage against an independent parser: over `tests/fixtures/bounces-extra/`
//! (342 real bounces, each with the answer of sisimai 4.25 in `sisimai.jsonl`), where
//! sisimai reports a failure, a complaint or a vacation reply, blowback must give the
//! matching kind (detection) and the same set of recipients (case-insensitive). Files in
//! `DISAGREE.tsv` are those where sisimai is wrong, with the reason; they count as
//! agreeing. The same comparison as `scripts/compare_sisimai.py`, in process. Prints the
//! figures for the development two thirds and the held-out third (SHA-256 of the file
//! name, first byte mod 3 == 0), and fails below the bar or when no file ran.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use blowback::bounce::{Kind, decode};
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bounces-extra");
const DETECTION_BAR: f64 = 0.99;
const RECIPIENTS_BAR: f64 = 0.97;

fn held_out(name: &str) -> bool {
    blowback::hash::sha256_hex(name.as_bytes())
        .get(..2)
        .and_then(|h| u8::from_str_radix(h, 16).ok())
        .is_some_and(|b| b % 3 == 0)
}

fn expected(reasons: &BTreeSet<String>) -> &'static [Kind] {
    let only = |r: &str| reasons.len() == 1 && reasons.contains(r);
    if only("feedback") {
        &[Kind::FeedbackReport]
    } else if only("vacation") {
        &[Kind::Autoreply]
    } else {
        &[Kind::Bounce, Kind::Delay, Kind::Challenge, Kind::Mdn]
    }
}

#[derive(Default)]
struct Tally {
    decoded: usize,
    detected: usize,
    same_recipients: usize,
}

#[test]
fn agrees_with_sisimai_where_sisimai_decodes() {
    let disagree: BTreeSet<String> = fs::read_to_string(Path::new(DIR).join("DISAGREE.tsv"))
        .expect("DISAGREE.tsv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next().map(str::to_string))
        .collect();
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    let labels = fs::read_to_string(Path::new(DIR).join("sisimai.jsonl")).expect("labels");
    for line in labels.lines().filter(|l| !l.trim().is_empty()) {
        let label: Value = serde_json::from_str(line).expect("a JSON line");
        let file = label["file"].as_str().expect("file");
        // Sisimai runs with `delivered` on: a successful delivery is no failure.
        let records: Vec<&Value> = label["records"]
            .as_array()
            .map(|r| r.iter().filter(|r| r["reason"] != "delivered").collect())
            .unwrap_or_default();
        if records.is_empty() {
            continue;
        }
        let bytes = fs::read(Path::new(DIR).join(file)).expect(file);
        let report = decode(&bytes);
        let reasons: BTreeSet<String> = records
            .iter()
            .filter_map(|r| r["reason"].as_str().map(str::to_string))
            .collect();
        let kinds = expected(&reasons);
        let want: BTreeSet<String> = records
            .iter()
            .filter_map(|r| r["recipient"].as_str().map(str::to_lowercase))
            .collect();
        let got: BTreeSet<String> = report
            .recipients
            .iter()
            .filter_map(|r| r.final_recipient.as_deref().map(str::to_lowercase))
            .collect();
        let agreed = disagree.contains(file);
        let detected = agreed || kinds.contains(&report.kind);
        // Sisimai's recipient of a vacation reply is the replier, no failed recipient.
        let same = agreed || detected && (want == got || kinds == [Kind::Autoreply]);
        for split in ["all", if held_out(file) { "held" } else { "dev" }] {
            let t = tallies.entry(split).or_default();
            t.decoded += 1;
            t.detected += usize::from(detected);
            t.same_recipients += usize::from(same);
        }
        if !same {
            misses.push(format!(
                "{file}: {:?} {got:?}, sisimai {want:?}",
                report.kind
            ));
        }
    }
    for (split, t) in &tallies {
        println!(
            "{split}: sisimai decodes {}, detection {}/{} ({:.1}%), recipients {}/{} ({:.1}%)",
            t.decoded,
            t.detected,
            t.decoded,
            100.0 * t.detected as f64 / t.decoded as f64,
            t.same_recipients,
            t.decoded,
            100.0 * t.same_recipients as f64 / t.decoded as f64,
        );
    }
    for m in &misses {
        println!("miss: {m}");
    }
    let all = tallies.get("all").expect("no file ran");
    assert!(all.decoded >= 300, "only {} files ran", all.decoded);
    let detection = all.detected as f64 / all.decoded as f64;
    let recipients = all.same_recipients as f64 / all.decoded as f64;
    assert!(detection >= DETECTION_BAR, "detection {detection:.3}");
    assert!(recipients >= RECIPIENTS_BAR, "recipients {recipients:.3}");
}
