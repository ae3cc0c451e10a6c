//! The analyze command: output formats, exit codes and configuration errors.

use super::util::{dir_with_config, fixture, ndjson, run_in, stderr};

const CONTRACT_FIELDS: [&str; 13] = [
    "source",
    "id",
    "kind",
    "mta",
    "verdict",
    "verdict_reasons",
    "recipients",
    "original",
    "origin",
    "bouncer_ip",
    "contacts",
    "error",
    "bounced_to",
];

#[test]
fn ndjson_and_json_carry_every_contract_field() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("corpus/bounces/lhost-postfix-01.eml")
        .display()
        .to_string();
    let lines = ndjson(&run_in(dir.path(), &["analyze", "--ndjson", &input], None));
    let array: serde_json::Value =
        serde_json::from_slice(&run_in(dir.path(), &["analyze", "--json", &input], None).stdout)
            .unwrap();
    assert_eq!(
        array.as_array().unwrap(),
        &lines,
        "--json is the same objects as one array"
    );
    for field in CONTRACT_FIELDS {
        assert!(lines[0].get(field).is_some(), "missing {field}");
    }
}

#[test]
fn table_and_csv_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("corpus/bounces/lhost-postfix-01.eml")
        .display()
        .to_string();
    let table = String::from_utf8(run_in(dir.path(), &["analyze", &input], None).stdout).unwrap();
    assert!(table.starts_with("SOURCE"), "{table}");
    assert_eq!(table.lines().count(), 2);
    let csv =
        String::from_utf8(run_in(dir.path(), &["analyze", "--csv", &input], None).stdout).unwrap();
    assert!(csv.starts_with("source,id,kind"), "{csv}");
}

#[test]
fn config_errors_exit_2_and_name_file_line_and_key() {
    let dir = dir_with_config("own_domains = [\"a.example\"]\nbogus_key = 1\n");
    let output = run_in(dir.path(), &["analyze", "x.eml"], None);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("blowback.toml") && err.contains("line 2") && err.contains("bogus_key"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run_in(dir.path(), &["analyze"], None).status.code(),
        Some(2)
    );
    assert_eq!(
        run_in(dir.path(), &["analyze", "--json", "--csv", "x"], None)
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn the_shipped_example_config_parses() {
    let example = fixture("../../blowback.example.toml");
    blowback::config::Config::load(&example).expect("blowback.example.toml is valid");
}

#[test]
fn bundled_examples_show_backscatter_with_reasons_and_forged_addresses() {
    let root = fixture("../..");
    let output = run_in(
        &root,
        &[
            "analyze",
            "--ndjson",
            "--config",
            "examples/blowback.toml",
            "examples/bounces",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = ndjson(&output);
    assert_eq!(records.len(), 10);
    let backscatter: Vec<_> = records
        .iter()
        .filter(|r| r["verdict"] == "backscatter")
        .collect();
    assert_eq!(backscatter.len(), 5, "the five bs-*.eml files");
    for record in backscatter {
        assert!(record["source"].as_str().unwrap().contains("/bs-"));
        assert!(record["origin"]["ip"].is_string(), "{record}");
        assert!(!record["verdict_reasons"].as_array().unwrap().is_empty());
    }
    assert!(
        stderr(&output).contains("forged addresses of ours: admin@victim-domain.net"),
        "{}",
        stderr(&output)
    );
}
