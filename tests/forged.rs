//! The adversarial suite of issue 18: every `*.eml` in `tests/fixtures/forged/` is run
//! through `blowback report` offline with the folder's `blowback.toml`, and the outbox
//! must accuse exactly what the message's `NAME.expect.json` says (the true origin, the
//! spammer's own domains, the advertised mailbox accounts) and nothing else, and no file
//! written may contain any of its `must_not_contain` strings (our own addresses, wording
//! that does not fit the message), in any encoding the complaint uses.
//! See: /work/issues/issue18.md (point 5).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forged")
}

/// A string list from the expect file; a missing key means "nothing".
fn list(expect: &Value, key: &str) -> BTreeSet<String> {
    expect[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default()
}

/// What the outbox accuses: origin addresses (every party but the bouncer's notice),
/// advertised domains (not links, not accounts) and mailbox accounts.
fn accused(index: &Value) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let (mut ips, mut domains, mut accounts) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for entry in index.as_array().expect("INDEX.json is a list") {
        let kind = entry["party_kind"].as_str().unwrap_or("");
        let strings = |key: &str| -> Vec<String> {
            entry[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_ascii_lowercase)
                        .collect()
                })
                .unwrap_or_default()
        };
        if kind != "bouncer" && kind != "hosting_network" {
            ips.extend(strings("ips"));
        }
        for contact in strings("contacts") {
            if kind == "mailbox_provider" {
                accounts.insert(contact);
            } else if !contact.contains("://") && !contact.contains('@') {
                domains.insert(contact);
            }
        }
    }
    (ips, domains, accounts)
}

/// The texts a file carries: as written, quoted-printable soft breaks joined, and every
/// base64 run decoded (attachments, encoded words).
fn readable(bytes: &[u8]) -> String {
    let raw = String::from_utf8_lossy(bytes).into_owned();
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let mut out = format!("{raw}\n{joined}\n{}", qp_decode(&joined));
    for run in raw.split(|c: char| !(c.is_ascii_alphanumeric() || "+/=\r\n".contains(c))) {
        let compact: String = run.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.len() >= 16 {
            out.push_str(&String::from_utf8_lossy(&base64_decode(&compact)));
            out.push('\n');
        }
    }
    out
}

fn qp_decode(text: &str) -> String {
    String::from_utf8_lossy(&blowback::bounce::mime::quoted_printable(text.as_bytes())).into_owned()
}

fn base64_decode(text: &str) -> Vec<u8> {
    blowback::bounce::mime::base64(text.as_bytes())
}

/// Runs one message; returns what is wrong with the outbox, if anything.
fn check(eml: &Path) -> Vec<String> {
    let expect_path = eml.with_extension("expect.json");
    let expect: Value = serde_json::from_slice(
        &std::fs::read(&expect_path).unwrap_or_else(|e| panic!("{}: {e}", expect_path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", expect_path.display()));
    let outbox = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_blowback"))
        .env_remove("HOME")
        .env("XDG_CONFIG_HOME", "/nonexistent-blowback-test")
        .args(["report", "--quiet", "--config"])
        .arg(folder().join("blowback.toml"))
        .arg("--data-dir")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("data"))
        .arg("--out")
        .arg(outbox.path())
        .arg(eml)
        .output()
        .expect("binary runs");
    let name = eml.file_name().unwrap().to_string_lossy().into_owned();
    if !output.status.success() {
        return vec![format!(
            "{name}: report failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )];
    }
    let index: Value =
        serde_json::from_slice(&std::fs::read(outbox.path().join("INDEX.json")).unwrap()).unwrap();
    let (ips, domains, accounts) = accused(&index);
    let mut wrong = Vec::new();
    for (what, got, key) in [
        ("accused_ips", ips, "accused_ips"),
        ("accused_domains", domains, "accused_domains"),
        ("mailbox_accounts", accounts, "mailbox_accounts"),
    ] {
        let want = list(&expect, key);
        if got != want {
            wrong.push(format!("{name}: {what} {got:?}, expected {want:?}"));
        }
    }
    let forbidden = list(&expect, "must_not_contain");
    for file in std::fs::read_dir(outbox.path()).unwrap() {
        let path = file.unwrap().path();
        let text = readable(&std::fs::read(&path).unwrap()).to_lowercase();
        for needle in &forbidden {
            if text.contains(needle.as_str()) {
                wrong.push(format!(
                    "{name}: {} contains {needle:?}",
                    path.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    wrong
}

#[test]
fn forged_suite_accuses_only_the_true_origin_and_the_spammers_own() {
    let mut emls: Vec<PathBuf> = std::fs::read_dir(folder())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    emls.sort();
    let mut wrong = Vec::new();
    for eml in &emls {
        wrong.extend(check(eml));
    }
    assert!(!emls.is_empty(), "no message in tests/fixtures/forged ran");
    assert!(
        wrong.is_empty(),
        "{} problem(s):\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_checker_sees_encoded_text() {
    let text =
        "Subject: =?UTF-8?B?amFuZS5zZWNyZXQ=?=\r\nbody jane.se=\r\ncret2 x=3Djane.secret3\r\n";
    let seen = readable(text.as_bytes());
    for needle in ["jane.secret", "jane.secret2", "x=jane.secret3"] {
        assert!(seen.contains(needle), "{needle}");
    }
}
