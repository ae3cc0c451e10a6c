//! The real messages in `tests/fixtures/corpus`, for unit tests that compare two
//! implementations of one thing over every message we have.

use std::path::{Path, PathBuf};

/// Every `.eml` under `tests/fixtures/corpus`, with its path, sorted by path so that a
/// failure names the same message on every run.
pub(crate) fn messages() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus folder") {
            let path = entry.expect("corpus entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "eml") {
                let bytes = std::fs::read(&path).expect("corpus message");
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    assert!(out.len() > 500, "only {} corpus messages", out.len());
    out
}
