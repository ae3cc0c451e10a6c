//! `analyze --db`: a second run over the same input only does new mail, nothing is lost
//! or duplicated when a run covered only part of the input.

use std::fs;

use super::util::{fixture, ndjson, run_in, stderr};

fn maildir_with(dir: &std::path::Path, names: &[&str]) {
    fs::create_dir_all(dir.join("Maildir/cur")).unwrap();
    fs::create_dir_all(dir.join("Maildir/new")).unwrap();
    for (i, name) in names.iter().enumerate() {
        let bytes = fs::read(fixture(&format!("corpus/backscatter/{name}"))).unwrap();
        fs::write(
            dir.join(format!("Maildir/new/{}.M{i}.host", 1_700_000_000 + i)),
            bytes,
        )
        .unwrap();
    }
}

#[test]
fn second_run_skips_what_the_first_analysed_and_can_replay_it() {
    let dir = tempfile::tempdir().unwrap();
    maildir_with(dir.path(), &["bs-0001.eml", "bs-0002.eml", "bs-0003.eml"]);
    let args = ["analyze", "--ndjson", "--db", "store.db", "Maildir"];
    let first = run_in(dir.path(), &args, None);
    assert_eq!(ndjson(&first).len(), 3, "{}", stderr(&first));
    let second = run_in(dir.path(), &args, None);
    assert_eq!(ndjson(&second).len(), 0);
    assert!(
        stderr(&second).contains("3 inputs read") && stderr(&second).contains("3 already analysed"),
        "{}",
        stderr(&second)
    );
    let replay = run_in(
        dir.path(),
        &[
            "analyze",
            "--ndjson",
            "--db",
            "store.db",
            "--include-known",
            "Maildir",
        ],
        None,
    );
    assert_eq!(
        ndjson(&replay),
        ndjson(&first),
        "stored records are the ones written"
    );
}

#[test]
fn moved_or_new_mail_is_handled_by_id_and_nothing_is_lost_or_doubled() {
    let dir = tempfile::tempdir().unwrap();
    maildir_with(dir.path(), &["bs-0004.eml", "bs-0005.eml"]);
    let args = ["analyze", "--ndjson", "--db", "store.db", "Maildir"];
    let first = ndjson(&run_in(dir.path(), &args, None));
    // A mail client moves a message from new/ to cur/ (new name), and new mail arrives.
    let moved = dir.path().join("Maildir/new/1700000000.M0.host");
    fs::rename(
        &moved,
        dir.path().join("Maildir/cur/1700000000.M0.host:2,S"),
    )
    .unwrap();
    maildir_with(dir.path(), &["bs-0004.eml", "bs-0005.eml", "bs-0006.eml"]);
    let second = ndjson(&run_in(dir.path(), &args, None));
    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 1, "only the new message: {second:?}");
    let mut ids: Vec<&str> = first
        .iter()
        .chain(&second)
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);
}

#[test]
fn a_run_killed_midway_and_restarted_loses_and_doubles_nothing() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("Maildir/new")).unwrap();
    fs::create_dir_all(dir.path().join("Maildir/cur")).unwrap();
    let seed = fs::read(fixture("corpus/backscatter/bs-0002.eml")).unwrap();
    let total = 200;
    for i in 0..total {
        let mut message = seed.clone();
        message.extend(format!("\nvariation {i}\n").as_bytes());
        fs::write(
            dir.path()
                .join(format!("Maildir/new/{}.M{i}.host", 1_700_000_000 + i)),
            message,
        )
        .unwrap();
    }
    let mut child = super::util::bin()
        .current_dir(dir.path())
        .args([
            "analyze", "--ndjson", "--quiet", "--db", "store.db", "Maildir",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it after 100 records, then take what it had already written to the pipe
    // (a line cut by the kill is not a record).
    let mut first = Vec::new();
    let mut killed = false;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let Ok(line) = line else { break };
        if let Ok(record) = serde_json::from_str::<serde_json::Value>(&line) {
            first.push(record);
        }
        if first.len() == 100 && !killed {
            child.kill().unwrap();
            killed = true;
        }
    }
    let _ = child.wait();
    assert!(first.len() < total, "the run was cut short");
    let second = ndjson(&run_in(
        dir.path(),
        &[
            "analyze", "--ndjson", "--quiet", "--db", "store.db", "Maildir",
        ],
        None,
    ));
    let mut ids: Vec<&str> = first
        .iter()
        .chain(&second)
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        total,
        "every message analysed by one run or the other"
    );
    let store = blowback::store::Store::open(&dir.path().join("store.db")).unwrap();
    assert_eq!(
        store.count().unwrap(),
        total as i64,
        "each message stored exactly once"
    );
    let third = run_in(
        dir.path(),
        &["analyze", "--ndjson", "--db", "store.db", "Maildir"],
        None,
    );
    assert!(ndjson(&third).is_empty());
    assert!(
        stderr(&third).contains(&format!("{total} already analysed")),
        "{}",
        stderr(&third)
    );
}
