//! Hand-made hostile messages through the binary, under a 4 GiB address-space limit:
//! each gets a result or a named failure, every one is accounted for, and no input text
//! reaches the terminal or CSV as a control sequence or formula.

use std::fs;
use std::path::Path;
use std::process::Command;

use super::util::{bin, dir_with_config, ndjson, stderr};

/// Runs blowback with `args` in `dir` under `ulimit -v` (memory must stay bounded).
fn run_limited(dir: &Path, args: &[&str]) -> std::process::Output {
    let program = bin().get_program().to_owned();
    let mut command = Command::new("sh");
    command
        .current_dir(dir)
        .arg("-c")
        .arg("ulimit -v 4194304 && exec \"$0\" \"$@\"")
        .arg(program)
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent-blowback-test")
        .env_remove("HOME");
    command.output().expect("blowback runs")
}

fn deep_multipart(depth: usize) -> Vec<u8> {
    let mut out = b"From: a@b.example\nSubject: deep\n".to_vec();
    for i in 0..depth {
        out.extend(
            format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n").as_bytes(),
        );
    }
    out.extend(b"Content-Type: text/plain\n\nhello\n");
    out
}

fn many_parts(parts: usize) -> Vec<u8> {
    let mut out = b"From: a@b.example\nContent-Type: multipart/mixed; boundary=\"x\"\n\n".to_vec();
    for i in 0..parts {
        out.extend(format!("--x\nContent-Type: text/plain\n\npart {i}\n").as_bytes());
    }
    out.extend(b"--x--\n");
    out
}

fn hostile_set() -> Vec<(&'static str, Vec<u8>)> {
    let mut long_header = b"Subject: ".to_vec();
    long_header.extend(std::iter::repeat_n(b'A', 50 * 1024 * 1024));
    long_header.extend(b"\n\nbody\n");
    let mut dots = b"From: a@b.example\nSubject: dots\n\n".to_vec();
    dots.extend(std::iter::repeat_n(b'.', 20 * 1024 * 1024));
    dots.push(b'\n');
    let mut nul_everywhere = Vec::new();
    for chunk in [
        &b"Received: from x\0y ([198.51.100.\x007])\n"[..],
        b"Subject: \xff\xfe\0\n",
        b"Content-Type: text/plain; charset=\"\0bogus\xff\"\n\n\0\xc3\x28body\0",
    ] {
        nul_everywhere.extend_from_slice(chunk);
    }
    let injection = b"From: \"evil\r\nBcc: victim@example.org\" <a@b.example>\nSubject: hi\x1b[31m\r\nX-Injected: yes\n\n=HYPERLINK(\"http://x\")\n{{#each this}}{{/each}} <script>alert(1)</script>\n".to_vec();
    vec![
        ("deep.eml", deep_multipart(10_000)),
        ("parts.eml", many_parts(100_000)),
        ("long-header.eml", long_header),
        ("dots.eml", dots),
        ("nul.eml", nul_everywhere),
        ("injection.eml", injection),
    ]
}

#[test]
fn hostile_messages_are_each_accounted_for_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let set = hostile_set();
    for (name, bytes) in &set {
        fs::write(dir.path().join(name), bytes).unwrap();
    }
    let mut args = vec!["analyze", "--ndjson"];
    args.extend(set.iter().map(|(name, _)| *name));
    let output = run_limited(dir.path(), &args);
    let records = ndjson(&output);
    assert_eq!(
        records.len(),
        set.len(),
        "every input has a record: {}",
        stderr(&output)
    );
    for (record, (name, bytes)) in records.iter().zip(&set) {
        assert_eq!(record["source"], *name);
        assert_eq!(record["id"], blowback::hash::sha256_hex(bytes).as_str());
    }
    let long = &records[2];
    assert!(
        long["error"]
            .as_str()
            .unwrap_or("")
            .contains("limits.max_header_bytes"),
        "{long}"
    );
    let summary = stderr(&output);
    assert!(
        summary.contains(&format!("{} inputs read", set.len())),
        "{summary}"
    );
}

#[test]
fn input_text_never_reaches_the_terminal_or_a_spreadsheet_as_code() {
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\x1b[2J\r\nname=cmd|.eml";
    fs::write(dir.path().join(name), &hostile_set()[5].1).unwrap();
    let table = run_limited(dir.path(), &["analyze", name]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
    assert_eq!(
        text.lines().count(),
        2,
        "one header row and one record row: {text:?}"
    );
    let summary = stderr(&table);
    assert!(!summary.contains('\x1b'), "{summary:?}");
    let csv = run_limited(dir.path(), &["analyze", "--csv", name]);
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert!(csv.lines().all(|line| !line.starts_with('=')), "{csv}");
}

#[test]
fn dot_dot_names_stay_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("in/sub")).unwrap();
    fs::write(dir.path().join("in/x.eml"), b"Subject: x\n\nbody\n").unwrap();
    let output = run_limited(
        &dir.path().join("in/sub"),
        &["analyze", "--ndjson", "../x.eml", "../../in/../in/x.eml"],
    );
    let records = ndjson(&output);
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0]["source"], "../x.eml",
        "the source is the path as given, nothing resolved or written"
    );
    assert_eq!(records[0]["id"], records[1]["id"]);
}

#[test]
fn configured_limits_are_applied_and_named() {
    let dir =
        dir_with_config("[limits]\nmax_header_fields = 3\nmax_contacts = 1\nmax_url_bytes = 30\n");
    fs::write(
        dir.path().join("many-headers.eml"),
        b"A: 1\nB: 2\nC: 3\nD: 4\n\nbody\n",
    )
    .unwrap();
    let spam = b"From: x@spam.example\nSubject: offer\n\nVisit https://shop-one.biz/a/very/long/path/that/goes/on and https://shop-two.biz/ or call +44 20 7946 0958\n";
    fs::write(dir.path().join("spam.eml"), spam).unwrap();
    let output = run_limited(
        dir.path(),
        &["analyze", "--ndjson", "many-headers.eml", "spam.eml"],
    );
    let records = ndjson(&output);
    assert!(
        records[0]["error"]
            .as_str()
            .unwrap()
            .contains("limits.max_header_fields"),
        "{}",
        records[0]
    );
    let contacts = records[1]["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    assert!(contacts[0]["value"].as_str().unwrap().len() <= 30);
}

#[test]
fn a_message_over_the_time_budget_is_failed_by_name_and_the_run_goes_on() {
    let dir = dir_with_config("[limits]\nmax_seconds_per_message = 0.000001\n");
    let mut dots = b"From: a@b.example\nSubject: dots\n\n".to_vec();
    dots.extend(std::iter::repeat_n(b'.', 2 * 1024 * 1024));
    fs::write(dir.path().join("slow.eml"), &dots).unwrap();
    fs::write(dir.path().join("also.eml"), &dots).unwrap();
    let output = run_limited(dir.path(), &["analyze", "--ndjson", "slow.eml", "also.eml"]);
    assert_eq!(output.status.code(), Some(1));
    let records = ndjson(&output);
    assert_eq!(records.len(), 2, "both accounted for");
    for record in &records {
        assert!(
            record["error"]
                .as_str()
                .unwrap()
                .contains("limits.max_seconds_per_message"),
            "{record}"
        );
        assert!(record["id"].is_string());
    }
}
