//! `blowback notice` end to end: corpus bounces (and a hostile one) analysed into a case
//! store with `analyze --db`, the page written from it, then opened in headless Chromium
//! (Debian's package, installed by .ci/run) with no console messages. The page is
//! self-contained, names the labelled origin network and advertised site, never shows our
//! own addresses, and shows input text only escaped.

mod evidence_util;

use std::path::Path;
use std::process::{Command, Output};

use evidence_util::{chromium, console_lines, corpus, have, text};

fn blowback(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blowback"))
        .arg("--config")
        .arg(dir.join("blowback.toml"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// A bounce whose returned spam advertises markup and our own address.
const HOSTILE: &str = "From: MAILER-DAEMON@mx.bouncer.example\r\n\
To: someone@victim-domain.net\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain\r\n\
\r\n\
Delivery failed.\r\n\
--b\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Final-Recipient: rfc822; x@bouncer.example\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
\r\n\
--b\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
From: someone@victim-domain.net\r\n\
To: x@bouncer.example\r\n\
Subject: offer\r\n\
Content-Type: text/html\r\n\
\r\n\
<a href=\"http://cheap-pills.example/buy?x=&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">buy</a>\r\n\
Write to boss@victim-domain.net or call +1 202 555 0143\r\n\
--b--\r\n";

fn make_page(dir: &Path) -> String {
    std::fs::write(
        dir.join("blowback.toml"),
        "own_domains = [\"victim-domain.net\"]\n[notice]\ncontact = \"postmaster@victim-domain.net <script>\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("hostile.eml"), HOSTILE).unwrap();
    let mut args = vec![
        "analyze".to_string(),
        "--db".into(),
        "cases.db".into(),
        "--offline".into(),
        "--ndjson".into(),
    ];
    for name in ["bs-0021.eml", "bs-0015.eml", "bs-0029.eml", "bs-0002.eml"] {
        args.push(corpus(name));
    }
    args.push("hostile.eml".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = blowback(dir, &args);
    assert!(out.status.code() == Some(0), "{}", text(&out));
    let out = blowback(dir, &["notice", "--db", "cases.db", "--out", "site"]);
    assert!(out.status.success(), "{}", text(&out));
    std::fs::read_to_string(dir.join("site/index.html")).unwrap()
}

#[test]
fn the_page_tells_the_story_without_our_addresses_or_raw_input() {
    let dir = tempfile::tempdir().unwrap();
    let html = make_page(dir.path());
    assert!(html.contains("We did not send this spam"));
    assert!(
        html.contains("<div class=\"v\" id=\"bounces\">5</div>"),
        "five messages counted"
    );
    // bs-0021's labelled origin 66.108.239.242 is in AS12271; its advertised site.
    assert!(html.contains("AS12271"), "origin network named");
    assert!(html.contains("smarttrck.com"), "advertised site listed");
    assert!(html.contains("+12025550143"), "advertised phone listed");
    assert!(
        !html.contains("boss@victim-domain.net"),
        "our own address left out"
    );
    for outside in [
        " src=", "<link", "url(", "@import", "<script", "<iframe", "<img",
    ] {
        assert!(!html.contains(outside), "raw or outside content: {outside}");
    }
    assert!(
        html.contains("&lt;script&gt;"),
        "the contact setting is escaped"
    );
    // A second run replaces the page in place.
    let out = blowback(dir.path(), &["notice", "--db", "cases.db", "--out", "site"]);
    assert!(out.status.success());
    let names: Vec<_> = std::fs::read_dir(dir.path().join("site"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["index.html"]);
}

#[test]
fn the_page_renders_in_chromium_without_console_messages() {
    if !have(
        "chromium",
        &["--version"],
        "Chromium (Debian package `chromium`)",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    make_page(dir.path());
    let page = dir.path().join("site/index.html");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("notice-page.png");
    let _ = std::fs::remove_file(&shot);
    let out = chromium(
        &dir.path().join("profile-shot"),
        &[
            "--window-size=1024,1400",
            &format!("--screenshot={}", shot.display()),
        ],
        &page,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(console_lines(&out), Vec::<String>::new());
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    let dom = chromium(&dir.path().join("profile-dom"), &["--dump-dom"], &page);
    assert!(dom.status.success(), "{}", text(&dom));
    assert_eq!(console_lines(&dom), Vec::<String>::new());
    let html = String::from_utf8_lossy(&dom.stdout);
    assert!(html.contains("smarttrck.com"));
    assert!(!html.contains("<img"), "no element made from input text");
}
