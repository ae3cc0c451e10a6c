//! Crash safety: a run killed with SIGKILL at random points and resumed with the same
//! `--db` leaves, across all its outputs, every message exactly once and no torn line.

use std::collections::BTreeMap;
use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::util::{bin, fixture, run_timed, sha256_hex, stderr};

/// Distinct messages: one real bounce with a numbered header in front.
fn messages(n: usize) -> Vec<Vec<u8>> {
    let bounce = fs::read(fixture("corpus/bounces/lhost-postfix-01.eml")).unwrap();
    (0..n)
        .map(|i| {
            let mut m = format!("X-Test-Number: {i}\n").into_bytes();
            m.extend_from_slice(&bounce);
            m
        })
        .collect()
}

/// A small deterministic generator for kill times (the seed is printed on failure).
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

#[test]
fn killed_runs_resume_with_every_message_out_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    let messages = messages(240);
    for (i, m) in messages.iter().enumerate() {
        fs::write(input.join(format!("{i:04}.eml")), m).unwrap();
    }
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let first_seed = seed;
    let args = ["analyze", "--ndjson", "--quiet", "--db", "store.db", "in"];
    let mut outputs = Vec::new();
    let mut kills = 0;
    // Kill runs at random points until one gets to the end on its own.
    for round in 0..10 {
        let out_path = dir.path().join(format!("out-{round}.ndjson"));
        let out = fs::File::create(&out_path).unwrap();
        let mut child = bin()
            .current_dir(dir.path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        outputs.push(out_path);
        let kill_after = Duration::from_millis(200 + next(&mut seed) % 2500);
        let start = Instant::now();
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if start.elapsed() >= kill_after {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        match finished {
            Some(status) => {
                assert!(status.success(), "run {round} failed (seed {first_seed})");
                break;
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
            }
        }
    }
    // A last run without a kill (it has nothing left to do if an earlier one ended).
    let last = run_timed(dir.path(), &args, Duration::from_secs(300));
    assert!(last.status.success(), "{}", stderr(&last));
    let last_path = dir.path().join("out-last.ndjson");
    fs::write(&last_path, &last.stdout).unwrap();
    outputs.push(last_path);

    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for path in &outputs {
        let text = fs::read(path).unwrap();
        assert!(
            text.is_empty() || text.ends_with(b"\n"),
            "{} ends in a torn line (seed {first_seed}, {kills} kills)",
            path.display()
        );
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let record: serde_json::Value = serde_json::from_slice(line).unwrap_or_else(|err| {
                panic!(
                    "torn line in {} ({err}; seed {first_seed}): {}",
                    path.display(),
                    String::from_utf8_lossy(line)
                )
            });
            let id = record["id"].as_str().expect("an id").to_string();
            *seen.entry(id).or_default() += 1;
        }
    }
    let expected: BTreeMap<String, usize> = messages.iter().map(|m| (sha256_hex(m), 1)).collect();
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    let missing = expected.keys().filter(|id| !seen.contains_key(*id)).count();
    assert!(
        twice.is_empty() && missing == 0 && seen.len() == expected.len(),
        "after {kills} kills (seed {first_seed}): {} written twice, {missing} missing, {} distinct of {}",
        twice.len(),
        seen.len(),
        expected.len()
    );
}
