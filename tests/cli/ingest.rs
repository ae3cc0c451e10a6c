//! Every input format, read byte-exact with stable ids; broken inputs named, not lost.

use std::fs;
use std::os::unix::fs::symlink;

use super::util::{dir_with_config, fixture, ndjson, run_in, sha256_hex, stderr};

const SAMPLES: [&str; 3] = [
    "corpus/bounces/lhost-exim-01.eml",
    "corpus/bounces/lhost-postfix-01.eml",
    "corpus/backscatter/bs-0002.eml",
];

fn sample_bytes() -> Vec<Vec<u8>> {
    SAMPLES
        .iter()
        .map(|s| fs::read(fixture(s)).unwrap())
        .collect()
}

/// mboxrd escaping: one more `>` before any `>*From ` line.
fn mbox_of(messages: &[Vec<u8>]) -> (Vec<u8>, Vec<usize>) {
    let mut mbox = Vec::new();
    let mut offsets = Vec::new();
    for message in messages {
        offsets.push(mbox.len());
        mbox.extend_from_slice(b"From MAILER-DAEMON Fri Jul  5 10:00:00 2019\n");
        for line in message.split_inclusive(|&b| b == b'\n') {
            let unquoted = line.iter().position(|&b| b != b'>').unwrap_or(line.len());
            if line[unquoted..].starts_with(b"From ") {
                mbox.push(b'>');
            }
            mbox.extend_from_slice(line);
        }
        if !message.ends_with(b"\n") {
            mbox.push(b'\n');
        }
        mbox.push(b'\n');
    }
    (mbox, offsets)
}

#[test]
fn single_files_keep_path_and_hash_of_exact_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = SAMPLES
        .iter()
        .map(|s| fixture(s).display().to_string())
        .collect();
    let mut args = vec!["analyze", "--ndjson"];
    args.extend(paths.iter().map(String::as_str));
    let output = run_in(dir.path(), &args, None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = ndjson(&output);
    assert_eq!(records.len(), 3);
    for ((record, path), bytes) in records.iter().zip(&paths).zip(sample_bytes()) {
        assert_eq!(record["source"], path.as_str());
        assert_eq!(record["id"], sha256_hex(&bytes).as_str());
    }
}

#[test]
fn mbox_messages_get_offsets_dates_and_original_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let messages = sample_bytes();
    let (mbox, offsets) = mbox_of(&messages);
    fs::write(dir.path().join("box.mbox"), &mbox).unwrap();
    let output = run_in(dir.path(), &["analyze", "--ndjson", "box.mbox"], None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = ndjson(&output);
    assert_eq!(records.len(), messages.len());
    for ((record, offset), bytes) in records.iter().zip(offsets).zip(&messages) {
        assert_eq!(record["source"], format!("box.mbox#{offset}").as_str());
        assert_eq!(
            record["id"],
            sha256_hex(bytes).as_str(),
            "unquoting restores the exact message"
        );
        assert_eq!(record["envelope_date"], "2019-07-05T10:00:00Z");
    }
}

#[test]
fn maildir_reads_cur_and_new_with_dates_and_names_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let messages = sample_bytes();
    fs::write(maildir.join("cur/1562320800.M1P1.mx:2,S"), &messages[0]).unwrap();
    fs::write(maildir.join("new/1562320801.M2P2.mx"), &messages[1]).unwrap();
    fs::write(maildir.join("tmp/1562320802.M3P3.mx"), &messages[2]).unwrap();
    symlink(
        maildir.join("missing"),
        maildir.join("new/1562320803.M4P4.mx"),
    )
    .unwrap();
    let output = run_in(dir.path(), &["analyze", "--ndjson", "Maildir"], None);
    assert_eq!(output.status.code(), Some(1), "one file failed: exit 1");
    let records = ndjson(&output);
    assert_eq!(
        records.len(),
        3,
        "two messages (tmp/ is not delivered mail) and one failure"
    );
    assert_eq!(records[0]["envelope_date"], "2019-07-05T10:00:00Z");
    assert_eq!(records[0]["id"], sha256_hex(&messages[0]).as_str());
    assert_eq!(records[1]["envelope_date"], "2019-07-05T10:00:01Z");
    assert!(
        records[2]["error"]
            .as_str()
            .unwrap()
            .contains("cannot open"),
        "{}",
        records[2]
    );
    assert!(
        stderr(&output).contains("1562320803.M4P4.mx"),
        "failure named in summary"
    );
}

#[test]
fn stdin_is_sniffed_as_one_message_or_an_mbox() {
    let dir = tempfile::tempdir().unwrap();
    let messages = sample_bytes();
    let single = run_in(
        dir.path(),
        &["analyze", "--ndjson", "-"],
        Some(&messages[0]),
    );
    let records = ndjson(&single);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["source"], "-");
    assert_eq!(records[0]["id"], sha256_hex(&messages[0]).as_str());
    let (mbox, offsets) = mbox_of(&messages);
    let many = run_in(dir.path(), &["analyze", "--ndjson", "-"], Some(&mbox));
    let records = ndjson(&many);
    assert_eq!(records.len(), 3);
    assert_eq!(records[2]["source"], format!("-#{}", offsets[2]).as_str());
}

#[test]
fn directory_trees_are_walked_in_order_and_non_mail_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("in");
    fs::create_dir_all(tree.join("b/deeper")).unwrap();
    let messages = sample_bytes();
    fs::write(tree.join("a.eml"), &messages[0]).unwrap();
    fs::write(tree.join("b/deeper/c.eml"), &messages[1]).unwrap();
    fs::write(tree.join("b/z.eml"), &messages[2]).unwrap();
    fs::write(tree.join("README"), b"Notes about these bounces\n").unwrap();
    let output = run_in(dir.path(), &["analyze", "--ndjson", "in"], None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let sources: Vec<String> = ndjson(&output)
        .iter()
        .map(|r| r["source"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sources, ["in/a.eml", "in/b/deeper/c.eml", "in/b/z.eml"]);
    assert!(
        stderr(&output).contains("skipped, not mail: in/README"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn inputs_are_never_changed() {
    let dir = tempfile::tempdir().unwrap();
    let (mbox, _) = mbox_of(&sample_bytes());
    let path = dir.path().join("box.mbox");
    fs::write(&path, &mbox).unwrap();
    let before = fs::metadata(&path).unwrap();
    let output = run_in(dir.path(), &["analyze", "--json", "box.mbox"], None);
    assert_eq!(output.status.code(), Some(0));
    let after = fs::metadata(&path).unwrap();
    assert_eq!(fs::read(&path).unwrap(), mbox);
    assert_eq!(before.modified().unwrap(), after.modified().unwrap());
    assert_eq!(before.permissions(), after.permissions());
}

#[test]
fn broken_inputs_each_get_a_named_result() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<u8>); 4] = [
        ("empty.eml", Vec::new()),
        ("nul.eml", b"Subject: a\0b\n\n\0\0\0body\0".to_vec()),
        ("binary.eml", (0..=255u8).cycle().take(10_000).collect()),
        ("truncated.eml", b"Content-Type: multipart/report; boundary=\"x\"\n\n--x\nContent-Type: message/rfc822\n\nReceived: from".to_vec()),
    ];
    for (name, bytes) in &cases {
        fs::write(dir.path().join(name), bytes).unwrap();
    }
    let mut args = vec!["analyze", "--ndjson", "--format", "auto"];
    args.extend(cases.iter().map(|(name, _)| *name));
    args.push("missing.eml");
    let output = run_in(dir.path(), &args, None);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let records = ndjson(&output);
    // Four messages analysed best-effort, and the missing file as one named failure.
    assert_eq!(records.len(), 5, "{records:?}");
    let failures: Vec<&serde_json::Value> =
        records.iter().filter(|r| !r["error"].is_null()).collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["source"], "missing.eml");
    let summary = stderr(&output);
    assert!(summary.contains("5 inputs read"), "{summary}");
    assert!(summary.contains("1 failed"), "{summary}");
}

#[test]
fn forced_mbox_with_junk_before_the_first_from_line_names_the_junk() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = b"junk line\nFrom a@b Fri Jul  5 10:00:00 2019\nSubject: x\n\nbody\n";
    fs::write(dir.path().join("box"), bytes).unwrap();
    let output = run_in(
        dir.path(),
        &["analyze", "--ndjson", "--format", "mbox", "box"],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    let records = ndjson(&output);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["source"], "box#0");
    assert!(
        records[0]["error"]
            .as_str()
            .unwrap()
            .contains("before the first From_ line")
    );
    assert_eq!(records[1]["source"], "box#10");
    assert!(records[1]["error"].is_null());
}

/// A message of exactly `len` bytes: a header block, then filler lines.
fn message_of_len(len: usize) -> Vec<u8> {
    let mut message = b"From: a@b.example\nSubject: size\n\n".to_vec();
    while message.len() < len {
        let line = b"filler text that is long enough to need many lines\n";
        message.extend_from_slice(&line[..line.len().min(len - message.len())]);
    }
    message
}

#[test]
fn the_message_size_limit_is_exact_and_large_files_are_read_whole() {
    let dir = dir_with_config("[limits]\nmax_message_bytes = 200000\n");
    // Larger than what is read to sniff a file, so the head and the rest are joined.
    let sizes = [
        ("small.eml", 100),
        ("large.eml", 150_000),
        ("limit.eml", 200_000),
    ];
    for (name, len) in sizes {
        fs::write(dir.path().join(name), message_of_len(len)).unwrap();
    }
    fs::write(dir.path().join("over.eml"), message_of_len(200_001)).unwrap();
    let output = run_in(
        dir.path(),
        &[
            "analyze",
            "--ndjson",
            "small.eml",
            "large.eml",
            "limit.eml",
            "over.eml",
        ],
        None,
    );
    let records = ndjson(&output);
    assert_eq!(records.len(), 4, "{}", stderr(&output));
    for (record, (name, len)) in records.iter().zip(sizes) {
        assert_eq!(record["source"], name);
        assert_eq!(
            record["id"],
            sha256_hex(&message_of_len(len)).as_str(),
            "{name}"
        );
        assert!(record["error"].is_null(), "{record}");
    }
    assert_eq!(records[3]["source"], "over.eml");
    assert!(
        records[3]["error"]
            .as_str()
            .unwrap()
            .contains("larger than limits.max_message_bytes (200000 bytes)"),
        "{}",
        records[3]
    );
}
