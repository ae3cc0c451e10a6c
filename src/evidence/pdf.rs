//! `--pdf`: prints the report and the memo to PDF with headless Chromium (`chromium` on
//! the PATH, started as the tests start it: no sandbox, no network services, a throwaway
//! profile), so the pack holds a fixed, paginated copy of each. Chromium honours the
//! pages' CSS paged media (A4, the case name and "page N of M" in the margins); its own
//! header and footer (date, file URL) are turned off. A run that does not end within
//! [`LIMIT`] is killed and named.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::EvidenceError;

/// How long one page may take to print.
const LIMIT: Duration = Duration::from_secs(120);

/// The browser the PDFs are printed with.
pub const BROWSER: &str = "chromium";

/// How Chromium is started (the tests start it the same way): headless, no sandbox
/// (containers), no network services, no first-run work.
pub const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// Prints the HTML page at `page` and returns the PDF's bytes.
pub fn print(page: &Path) -> Result<Vec<u8>, EvidenceError> {
    let scratch = Scratch::new()?;
    let out = scratch.0.join("page.pdf");
    let page = std::path::absolute(page).map_err(EvidenceError::io(page))?;
    let mut child = Command::new(BROWSER)
        .args(FLAGS)
        .arg("--no-pdf-header-footer")
        .arg(format!(
            "--user-data-dir={}",
            scratch.0.join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| {
            EvidenceError::Usage(format!(
                "--pdf needs Chromium (`{BROWSER}` on the PATH): {err}"
            ))
        })?;
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(EvidenceError::io(BROWSER))? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(failed(&page, "did not finish in time; stopped"));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let pdf = std::fs::read(&out).unwrap_or_default();
    if !status.success() || !pdf.starts_with(b"%PDF-") {
        return Err(failed(&page, &format!("{status}, no PDF written")));
    }
    Ok(pdf)
}

fn failed(page: &Path, why: &str) -> EvidenceError {
    EvidenceError::Render {
        what: format!("PDF of {}", page.display()),
        message: format!("{BROWSER} {why}"),
    }
}

/// A private folder for one print (profile and output), removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, EvidenceError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("blowback-pdf-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).map_err(EvidenceError::io(&dir))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
