//! The chain-of-custody log (`data/custody.jsonl`): one JSON object per line per step of
//! the run — when it started and ended (read from the clock as it happened), who
//! (operator), where (host), with what (tool version, command line), what went in and
//! what came out (paths and SHA-256; a saved registry answer also with the time the server
//! gave it). Each line carries the SHA-256 of the line before it (`prev`; 64 zeros for the
//! first), so a removed, inserted or edited line breaks the chain and `verify` says where;
//! steps out of time order are named too.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{PackOptions, sha256_hex, utc};

/// The `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Something that went into or came out of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// A path inside the bag, or an input as named on the command line.
    pub name: String,
    pub sha256: String,
    /// When it came to be, if that is not the step's time (a registry answer: when the
    /// server answered), RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// One step of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3, … in order.
    pub seq: u64,
    /// When the step started, RFC 3339 UTC.
    #[serde(default)]
    pub started: String,
    /// When the step ended, RFC 3339 UTC.
    pub time: String,
    /// `collect`, `lookup`, `analyze`, `render`.
    pub step: String,
    pub description: String,
    pub operator: String,
    pub host: String,
    pub tool: String,
    pub command_line: String,
    pub inputs: Vec<Item>,
    pub outputs: Vec<Item>,
    /// SHA-256 of the previous line (without its newline).
    pub prev: String,
}

/// The log being written.
pub struct Log {
    lines: Vec<String>,
    operator: String,
    host: String,
    tool: String,
    command_line: String,
    clock: fn() -> u64,
}

impl Log {
    pub fn new(options: &PackOptions) -> Self {
        Log {
            lines: Vec::new(),
            operator: options.operator.clone(),
            host: options.host.clone(),
            tool: options.tool.clone(),
            command_line: options.command_line.clone(),
            clock: options.clock,
        }
    }

    /// The clock now, to pass as a step's start.
    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Appends a step that started at `started` and ends now.
    pub fn step(
        &mut self,
        started: u64,
        step: &str,
        description: &str,
        inputs: Vec<Item>,
        outputs: Vec<Item>,
    ) {
        let entry = Entry {
            seq: self.lines.len() as u64 + 1,
            started: utc(started),
            time: utc(self.now()),
            step: step.into(),
            description: description.into(),
            operator: self.operator.clone(),
            host: self.host.clone(),
            tool: self.tool.clone(),
            command_line: self.command_line.clone(),
            inputs,
            outputs,
            prev: self
                .lines
                .last()
                .map(|l| sha256_hex(l.as_bytes()))
                .unwrap_or_else(|| GENESIS.into()),
        };
        self.lines
            .push(serde_json::to_string(&entry).unwrap_or_default());
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.lines
            .iter()
            .flat_map(|l| [l.as_bytes(), b"\n"].concat())
            .collect()
    }
}

/// Checks the chain and that every output that is a file of the bag still has its hash.
/// `files` maps bag paths to their SHA-256. Returns the problems, each naming the line.
pub fn check(log: &[u8], files: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    let text = match std::str::from_utf8(log) {
        Ok(text) => text,
        Err(_) => return vec!["not UTF-8".into()],
    };
    if !text.ends_with('\n') {
        problems.push("does not end with a newline (truncated?)".into());
    }
    let mut prev = GENESIS.to_string();
    let mut last_time = String::new();
    for (index, line) in text.lines().enumerate() {
        let n = index + 1;
        let entry: Entry = match serde_json::from_str(line) {
            Ok(entry) => entry,
            Err(err) => {
                problems.push(format!("line {n}: not a custody entry ({err})"));
                prev = sha256_hex(line.as_bytes());
                continue;
            }
        };
        if entry.seq != n as u64 {
            problems.push(format!("line {n}: step number {} out of order", entry.seq));
        }
        if entry.prev != prev {
            problems.push(format!(
                "line {n}: chain broken (prev {} but the line before hashes to {prev})",
                entry.prev
            ));
        }
        // RFC 3339 UTC times in one format order as strings.
        if !entry.started.is_empty() && entry.started > entry.time {
            problems.push(format!(
                "line {n}: ends ({}) before it starts ({})",
                entry.time, entry.started
            ));
        }
        if entry.time < last_time {
            problems.push(format!(
                "line {n}: out of time order ({} after {last_time})",
                entry.time
            ));
        }
        last_time = entry.time.clone();
        for output in &entry.outputs {
            match files.get(&output.name) {
                Some(hash) if *hash != output.sha256 => problems.push(format!(
                    "line {n}: {} was {} when recorded, is {hash} now",
                    output.name, output.sha256
                )),
                None if output.name.starts_with("data/") => {
                    problems.push(format!("line {n}: {} is missing", output.name))
                }
                _ => {}
            }
        }
        prev = sha256_hex(line.as_bytes());
    }
    if text.trim().is_empty() {
        problems.push("empty".into());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> Vec<u8> {
        let mut options = PackOptions::resolve(&Default::default(), "x".into(), false, None);
        options.clock = ticking;
        let mut log = Log::new(&options);
        let item = |n: &str| Item {
            name: n.into(),
            sha256: "aa".into(),
            time: None,
        };
        let t = log.now();
        log.step(t, "collect", "a", vec![], vec![item("data/a")]);
        let t = log.now();
        log.step(
            t,
            "analyze",
            "b",
            vec![item("data/a")],
            vec![item("data/b")],
        );
        let t = log.now();
        log.step(t, "render", "c", vec![], vec![]);
        log.to_bytes()
    }

    /// A clock that moves a minute each time it is read.
    fn ticking() -> u64 {
        static NOW: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1_700_000_000);
        NOW.fetch_add(60, std::sync::atomic::Ordering::Relaxed)
    }

    #[test]
    fn each_step_has_its_own_time_in_order() {
        let text = String::from_utf8(log()).unwrap();
        let entries: Vec<Entry> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for pair in entries.windows(2) {
            assert!(pair[0].started < pair[0].time, "{:?}", pair[0]);
            assert!(pair[0].time < pair[1].started, "{pair:?}");
        }
        // A step moved before its predecessor in time is named.
        let swapped = text.replacen(&entries[1].time, "2000-01-01T00:00:00Z", 1);
        let problems = check(swapped.as_bytes(), &BTreeMap::new());
        assert!(
            problems
                .iter()
                .any(|p| p.contains("line 2") && p.contains("before it starts")),
            "{problems:?}"
        );
    }

    #[test]
    fn intact_chain_passes_and_edits_are_found() {
        let files: BTreeMap<String, String> = [
            ("data/a".into(), "aa".into()),
            ("data/b".into(), "aa".into()),
        ]
        .into();
        let good = log();
        assert_eq!(check(&good, &files), Vec::<String>::new());
        let text = String::from_utf8(good).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let dropped = format!("{}\n{}\n", lines[0], lines[2]);
        let problems = check(dropped.as_bytes(), &files);
        assert!(
            problems.iter().any(|p| p.contains("line 2")),
            "{problems:?}"
        );
        let changed: BTreeMap<String, String> = [
            ("data/a".into(), "ab".into()),
            ("data/b".into(), "aa".into()),
        ]
        .into();
        assert!(!check(text.as_bytes(), &changed).is_empty());
    }
}
