//! The adversarial walk suite (`tests/fixtures/forged/walk-*.eml`, issue 18): forged lines
//! naming our MX or the bouncer's hosts, HELO and reverse names of ours from foreign
//! addresses, the reverse-name-equals-forged-`by` trick, hosted filters, challenges and
//! auto-replies. Runs `analyze --ndjson` on every fixture with only `own_domains`
//! configured and checks its sidecar `walk-*.expect.json`: kind, verdict, origin, and who
//! would be accused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn forged_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forged")
}

/// `analyze --ndjson` on `files` with only `own_domains` configured (its NDJSON output).
fn analyze(files: &[PathBuf]) -> String {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden-config.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_blowback"))
        .env_remove("HOME")
        .env("XDG_CONFIG_HOME", "/nonexistent-blowback-test")
        .args(["analyze", "--ndjson", "--config"])
        .arg(&config)
        .args(files)
        .output()
        .expect("run blowback");
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// `a|b` in an expect field lists the acceptable values (the message kind of an auto-reply
/// is the bounce stage's call; either way it must not yield an origin).
fn one_of(want: &Value, got: &str) -> bool {
    want.as_str()
        .is_some_and(|w| w.split('|').any(|alt| alt == got))
}

/// Who an abuse complaint could name from this record under the issue-18 rules: the
/// origin of spam received directly (not a reply) or of backscatter, and only when its
/// confidence is not low and the address is real (public, not a documentation range).
fn accused(record: &Value) -> Vec<String> {
    let kind = record["kind"].as_str().unwrap_or("");
    let verdict = record["verdict"].as_str().unwrap_or("");
    let reportable = match kind {
        "not_a_bounce" => verdict != "reply",
        _ => verdict == "backscatter",
    };
    let origin = &record["origin"];
    let real = origin["documentation"] == Value::Bool(false)
        && origin["ip"]
            .as_str()
            .is_some_and(|ip| ip.parse().is_ok_and(blowback::received::is_public));
    if reportable && real && origin["confidence"].as_str() != Some("low") {
        vec![origin["ip"].as_str().unwrap_or("").to_string()]
    } else {
        Vec::new()
    }
}

#[test]
fn every_walk_fixture_gets_its_one_correct_outcome() {
    let dir = forged_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/forged")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("walk-") && n.ends_with(".eml"))
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "expected at least 20 walk fixtures, found {}",
        files.len()
    );
    let stdout = analyze(&files);
    let records: BTreeMap<String, Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("one JSON object per line"))
        .map(|r| {
            let name = Path::new(r["source"].as_str().unwrap_or(""))
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_string();
            (name, r)
        })
        .collect();
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in &files {
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap();
        let expect_path = dir.join(format!("{stem}.expect.json"));
        let expect: Value = serde_json::from_str(
            &std::fs::read_to_string(&expect_path)
                .unwrap_or_else(|e| panic!("{}: {e}", expect_path.display())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", expect_path.display()));
        for field in [
            "rule",
            "source",
            "kind",
            "verdict",
            "origin_ip",
            "accused_ips",
        ] {
            assert!(
                expect.get(field).is_some(),
                "{stem}: expect file lacks {field}"
            );
        }
        let Some(record) = records.get(stem) else {
            failures.push(format!("{stem}: no record"));
            continue;
        };
        checked += 1;
        let kind = record["kind"].as_str().unwrap_or("");
        let verdict = record["verdict"].as_str().unwrap_or("");
        let origin = record["origin"]["ip"].as_str();
        let accused = accused(record);
        let want_accused: Vec<String> = expect["accused_ips"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let mut wrong = Vec::new();
        if !one_of(&expect["kind"], kind) {
            wrong.push(format!("kind {kind}"));
        }
        if !one_of(&expect["verdict"], verdict) {
            wrong.push(format!("verdict {verdict}"));
        }
        if origin != expect["origin_ip"].as_str() {
            wrong.push(format!("origin {origin:?}"));
        }
        if accused != want_accused {
            wrong.push(format!("accused {accused:?}"));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{stem} ({}): got {}; want kind {}, verdict {}, origin {}, accused {}\n   reasons: {}; no origin: {}",
                expect["rule"].as_str().unwrap_or(""),
                wrong.join(", "),
                expect["kind"],
                expect["verdict"],
                expect["origin_ip"],
                expect["accused_ips"],
                record["verdict_reasons"],
                record["no_origin_reason"],
            ));
        }
    }
    assert_eq!(checked, files.len(), "every fixture gives a record");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The reverse-name trick leaves a trail: the name the walk went past unconfirmed is in
/// the record (`needs_fcrdns`) with the address `--resolve` would have to confirm.
#[test]
fn unconfirmed_names_are_recorded_for_a_forward_check() {
    let file = forged_dir().join("walk-rdns-trick-relay.eml");
    let record: Value = serde_json::from_str(&analyze(&[file])).expect("one record");
    assert_eq!(
        record["needs_fcrdns"],
        serde_json::json!([{"name": "relay2.srvfarm.net", "ip": "88.198.123.32"}]),
        "{record}"
    );
    assert_eq!(record["origin"]["confidence"], "low", "{record}");
    let reason = record["origin"]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("FCrDNS"), "{reason}");
}
