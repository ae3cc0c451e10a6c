//! Helpers shared by the evidence tests: a temp dir with a config (operator, signing key),
//! running the binary with a clean environment, copying and listing packs, and finding
//! the external checkers (the `bagit` package, Chromium), which must exist in CI.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn corpus(name: &str) -> String {
    repo()
        .join("tests/fixtures/corpus/backscatter")
        .join(name)
        .display()
        .to_string()
}

/// A working folder with `blowback.toml` naming our domain (that of the `bs-*` corpus
/// files), the operator and a signing key inside it.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "own_domains = [\"victim-domain.net\"]\n\n[evidence]\noperator = \"Jane Collector\"\norganisation = \"Example Hosting Ltd\"\ncontact = \"abuse-desk@example.org\"\nsigning_key = \"{}\"\n",
            dir.path().join("keys/signing.key").display()
        );
        std::fs::write(dir.path().join("blowback.toml"), config).unwrap();
        Env { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs `blowback --config blowback.toml <args>` in the folder.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("binary runs")
    }

    /// The command [`Env::run`] runs, to start it another way.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_blowback"));
        command
            .current_dir(self.dir.path())
            .env_remove("HOME")
            .env("XDG_CONFIG_HOME", "/nonexistent-blowback-test")
            .env("XDG_DATA_HOME", "/nonexistent-blowback-test")
            .arg("--config")
            .arg(self.path("blowback.toml"))
            .args(args)
            .stdin(Stdio::null());
        command
    }

    /// `evidence <inputs> --offline --data-dir <repo>/data --cache cache.sqlite --out <out>` plus `extra`.
    pub fn pack(&self, inputs: &[String], out: &str, extra: &[&str]) -> Output {
        let data = repo().join("data").display().to_string();
        let mut args: Vec<&str> = vec!["evidence"];
        args.extend(inputs.iter().map(String::as_str));
        args.extend(["--data-dir", &data, "--cache", "cache.sqlite", "--out", out]);
        args.extend(extra);
        let output = self.run(&args);
        assert!(
            output.status.success(),
            "evidence failed: {}",
            text(&output)
        );
        output
    }
}

/// stdout and stderr together.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Every file under `dir` as sorted relative paths.
pub fn files(dir: &Path) -> Vec<String> {
    blowback::evidence::bag::list_files(dir).unwrap()
}

pub fn copy_dir(from: &Path, to: &Path) {
    for rel in files(from) {
        let target = to.join(&rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&rel), target).unwrap();
    }
}

/// Is `program --version` runnable? If not: fail in CI (`CI` set), else skip loudly.
pub fn have(program: &str, args: &[&str], what: &str) -> bool {
    let found = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{what} is required in CI (.ci/run installs it) but `{program}` is not available"
        );
        eprintln!(
            "\n*** SKIPPED: {what} not available (`{program}` missing); install it to run this test ***\n"
        );
    }
    found
}

/// Headless Chromium opening `page` with a profile of its own (no network, logs on stderr).
pub fn chromium(profile: &Path, args: &[&str], page: &Path) -> Output {
    // Started as `evidence --pdf` starts it, plus console logging on stderr.
    Command::new(blowback::evidence::pdf::BROWSER)
        .args(blowback::evidence::pdf::FLAGS)
        .args(["--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
}

/// Console messages (errors, warnings, logs) and page errors Chromium logged.
pub fn console_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("net::ERR_"))
        .map(String::from)
        .collect()
}
