//! No control character (C0, DEL, C1) and no bidi formatting character from input
//! reaches an output a person or a spreadsheet reads: the table, CSV, `explain`, the
//! complaints and INDEX.md of `report`, `review`, and the pack's report.html and
//! memo.html. The hostile text rides in the spam's Subject (every such character, in an
//! encoded word), in a URL of its body (ESC, BEL, an override) and in the file name.

use std::fs;
use std::path::Path;
use std::time::Duration;

use blowback::sanitize::{all_unsafe, is_unsafe};

use super::util::{fixture, run_timed, stderr};

const LIMIT: Duration = Duration::from_secs(180);

/// The input's file name: a terminal title sequence and a right-to-left override.
const NAME: &str = "evil\x1b]0;title\x07\u{202e}lmth.eml";

fn hostile_bounce() -> Vec<u8> {
    let text =
        String::from_utf8(fs::read(fixture("corpus/backscatter/bs-0002.eml")).unwrap()).unwrap();
    let every: String = all_unsafe().collect();
    let subject = format!("MARKER{every}END");
    let encoded = blowback::render::mime::base64(subject.as_bytes());
    let text = text.replacen(
        "Subject: Re: Congratulations on your Facebook winning prize,",
        &format!("Subject: =?utf-8?b?{encoded}?="),
        1,
    );
    let text = text.replacen(
        "We look forward to have you.",
        "We look forward to have you. See https://evil-prize.ru/claim\x1b]0;pwned\x07\u{202e}x/now",
        1,
    );
    text.into_bytes()
}

/// Fails naming the output and the first unsafe character found (line breaks and tabs
/// of the output's own layout are allowed).
fn assert_clean(what: &str, text: &str) {
    let text = text.replace("\r\n", "\n");
    if let Some((at, c)) = text
        .char_indices()
        .find(|&(_, c)| is_unsafe(c) && c != '\n' && c != '\t')
    {
        let from = text[..at]
            .char_indices()
            .rev()
            .nth(40)
            .map_or(0, |(i, _)| i);
        panic!(
            "{what}: U+{:04X} at {at}: {:?}",
            c as u32,
            &text[from..(at + 8).min(text.len())]
        );
    }
}

fn out(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn no_control_or_bidi_character_from_input_reaches_a_human_readable_output() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("blowback.toml"),
        "own_domains = [\"victim-domain.net\"]\n[report]\nreporter_name = \"Postmaster\"\nreporter_address = \"postmaster@victim-domain.net\"\n[report.addresses]\nAS8708 = \"abuse@rcs-rds.ro\"\n",
    )
    .unwrap();
    fs::create_dir(root.join("in")).unwrap();
    fs::write(root.join("in").join(NAME), hostile_bounce()).unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let data = data.to_str().unwrap();

    let table = run_timed(root, &["analyze", "in"], LIMIT);
    assert_clean("table", &out(&table));
    assert!(out(&table).contains("lmth.eml"), "{}", out(&table));
    assert_clean("summary", &stderr(&table));

    let csv = run_timed(root, &["analyze", "--csv", "in"], LIMIT);
    assert_clean("CSV", &out(&csv));
    assert!(
        out(&csv).contains("evil-prize.ru"),
        "the URL is in the CSV: {}",
        out(&csv)
    );
    assert!(
        out(&csv).contains("evil?]0;title??lmth.eml"),
        "{}",
        out(&csv)
    );

    let ndjson = run_timed(root, &["analyze", "--ndjson", "in"], LIMIT);
    assert!(
        out(&ndjson).contains("\\u001b"),
        "NDJSON keeps the data, JSON-escaped"
    );

    let explain = run_timed(root, &["explain", "in"], LIMIT);
    assert_clean("explain", &out(&explain));
    assert!(out(&explain).contains("lmth.eml"));

    let report = run_timed(
        root,
        &[
            "report",
            "--offline",
            "--data-dir",
            data,
            "--out",
            "outbox",
            "in",
        ],
        LIMIT,
    );
    assert!(report.status.success(), "{}", stderr(&report));
    let index = fs::read_to_string(root.join("outbox/INDEX.md")).unwrap();
    assert_clean("INDEX.md", &index);
    let mut complaints = 0;
    for entry in fs::read_dir(root.join("outbox")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "eml") {
            let bytes = fs::read(&path).unwrap();
            let message = mail_parser::MessageParser::default().parse(&bytes).unwrap();
            assert_clean("complaint subject", message.subject().unwrap_or(""));
            for i in 0..message.text_body_count() {
                assert_clean(
                    &format!("complaint text {}", path.display()),
                    &message.body_text(i).unwrap_or_default(),
                );
            }
            complaints += 1;
        }
    }
    assert!(complaints > 0, "{}", stderr(&report));
    let review = run_timed(root, &["review", "outbox"], LIMIT);
    assert_clean("review", &out(&review));
    assert!(!out(&review).is_empty());

    let evidence = run_timed(
        root,
        &[
            "evidence",
            "--offline",
            "--data-dir",
            data,
            "--out",
            "pack",
            "in",
        ],
        LIMIT,
    );
    assert!(evidence.status.success(), "{}", stderr(&evidence));
    let mut pages = 0;
    for page in ["report.html", "memo.html"] {
        let found = walk(&root.join("pack"))
            .into_iter()
            .filter(|p| p.file_name().is_some_and(|n| n == page));
        for path in found {
            let html = fs::read_to_string(&path).unwrap();
            assert_clean(page, &html);
            if page == "report.html" {
                assert!(html.contains("lmth.eml"), "the hostile name is on the page");
            }
            pages += 1;
        }
    }
    assert_eq!(pages, 2, "report.html and memo.html found");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
