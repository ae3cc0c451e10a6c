//! Golden outputs: `analyze --ndjson` on real corpus messages of many MTAs compared with
//! reviewed JSON in tests/fixtures/golden/<name>.json. A mismatch writes
//! <name>.json.failed next to it; `UPDATE_GOLDEN=1` rewrites the expectations.

use std::fs;

use super::util::{fixture, run_in, stderr};

const FILES: [&str; 14] = [
    "bounces/lhost-postfix-01.eml",
    "bounces/lhost-exim-08.eml",
    "bounces/lhost-qmail-01.eml",
    "bounces/lhost-sendmail-58.eml",
    "bounces/lhost-exchange2007-05.eml",
    "bounces/lhost-office365-04.eml",
    "bounces/lhost-yahoo-01.eml",
    "bounces/rfc3834-01.eml",
    "bounces/arf-01.eml",
    "backscatter/bs-0002.eml",
    "backscatter/bs-0003.eml",
    "backscatter/bs-0077.eml",
    "spam/phishing_pot/sample-392.eml",
    "spam/spamassassin/badmime2.eml",
];

#[test]
fn analyze_output_matches_reviewed_golden_files() {
    let corpus = fixture("corpus");
    let golden_dir = fixture("golden");
    fs::create_dir_all(&golden_dir).unwrap();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    let mut tests_run = 0;
    for file in FILES {
        let output = run_in(&corpus, &["analyze", "--ndjson", "--config", "../golden-config.toml", "--data-dir", "../../../data", file], None);
        assert_eq!(output.status.code(), Some(0), "{file}: {}", stderr(&output));
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let pretty = serde_json::to_string_pretty(&value).unwrap() + "\n";
        let name = file.replace('/', "__").replace(".eml", ".json");
        let path = golden_dir.join(&name);
        if update {
            fs::write(&path, &pretty).unwrap();
        } else if fs::read_to_string(&path).ok().as_deref() != Some(pretty.as_str()) {
            fs::write(path.with_extension("json.failed"), &pretty).unwrap();
            mismatches.push(name);
        }
        tests_run += 1;
    }
    assert_eq!(tests_run, FILES.len());
    assert!(mismatches.is_empty(), "golden mismatches (see .failed files): {mismatches:?}");
}
