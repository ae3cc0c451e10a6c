//! Helpers: run the binary with a clean environment in a temp dir, read fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

/// A temp dir holding `blowback.toml` with `config` (the binary reads it from its
/// working directory).
pub fn dir_with_config(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blowback.toml"), config).unwrap();
    dir
}

pub fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_blowback"));
    command
        .env_remove("HOME")
        .env("XDG_CONFIG_HOME", "/nonexistent-blowback-test");
    command
}

/// Runs the binary in `dir` with `args`, optionally feeding `stdin`.
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut command = bin();
    command
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = command.spawn().expect("binary starts");
    if let Some(bytes) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().expect("binary runs")
}

/// NDJSON stdout as JSON values.
pub fn ndjson(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(output.stdout.clone())
        .expect("stdout is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    blowback::hash::sha256_hex(bytes)
}

/// Runs the binary in `dir` with `args`, stdout and stderr captured, and fails the test
/// with a message (killing the process) if it has not ended within `limit`: a hang is
/// a failed test, never a stuck CI.
pub fn run_timed(dir: &Path, args: &[&str], limit: std::time::Duration) -> Output {
    let mut child = bin()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait works").is_some() {
            return child.wait_with_output().expect("binary runs");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("binary ends once killed");
            panic!(
                "blowback {args:?} hung for {limit:?}; stderr: {}",
                stderr(&output)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
