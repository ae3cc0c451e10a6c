//! The pack's report and memo in a real browser: headless Chromium opens them with no
//! console messages, a screenshot is saved (to `target/tmp/`), and the rendered DOM holds
//! the timeline chart (SVG bars) and the exhibit table with the originals' hashes.

mod evidence_util;

use std::path::Path;

use evidence_util::{Env, chromium, console_lines, corpus, have, text};

#[test]
fn report_and_memo_render_in_chromium_without_console_errors() {
    if !have(
        "chromium",
        &["--version"],
        "Chromium (Debian package `chromium`)",
    ) {
        return;
    }
    let env = Env::new();
    let inputs: Vec<String> = ["bs-0002.eml", "bs-0010.eml", "bs-0042.eml"]
        .map(corpus)
        .to_vec();
    env.pack(
        &inputs,
        "pack",
        &["--offline", "--case", "Victim v. Spammer"],
    );
    let report = env.path("pack/data/report.html");
    let memo = env.path("pack/data/memo.html");

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("evidence-report.png");
    let _ = std::fs::remove_file(&shot);
    let out = chromium(
        &env.path("profile-shot"),
        &[
            "--window-size=1240,1754",
            &format!("--screenshot={}", shot.display()),
        ],
        &report,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        console_lines(&out),
        Vec::<String>::new(),
        "console messages"
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );

    let dom = chromium(&env.path("profile-dom"), &["--dump-dom"], &report);
    assert!(dom.status.success(), "{}", text(&dom));
    assert_eq!(
        console_lines(&dom),
        Vec::<String>::new(),
        "console messages"
    );
    let html = String::from_utf8_lossy(&dom.stdout);
    assert!(
        html.contains("<svg class=\"chart\""),
        "the chart is on the page"
    );
    assert!(html.matches("<rect class=\"b\"").count() >= 3, "bars drawn");
    assert!(
        html.contains("<table class=\"exhibits"),
        "the exhibit table is on the page"
    );
    for input in &inputs {
        let id = blowback::hash::sha256_hex(&std::fs::read(input).unwrap());
        assert!(
            html.contains(&format!("data/originals/{id}.eml")),
            "exhibit {id} listed"
        );
    }

    let memo_dom = chromium(&env.path("profile-memo"), &["--dump-dom"], &memo);
    assert!(memo_dom.status.success(), "{}", text(&memo_dom));
    assert_eq!(
        console_lines(&memo_dom),
        Vec::<String>::new(),
        "console messages"
    );
    let memo_html = String::from_utf8_lossy(&memo_dom.stdout);
    assert!(memo_html.contains("Certification of the collector"));
    assert!(memo_html.contains("Jane Collector"));
}

#[test]
fn pages_are_self_contained_and_print_on_a4() {
    let env = Env::new();
    env.pack(&[corpus("bs-0002.eml")], "pack", &["--offline"]);
    for page in ["pack/data/report.html", "pack/data/memo.html"] {
        let html = std::fs::read_to_string(env.path(page)).unwrap();
        for outside in [" src=", "<link", "url(", "@import", "<script", "<iframe"] {
            assert!(
                !html.contains(outside),
                "{page} loads from outside: {outside}"
            );
        }
        assert!(html.contains("@page { size: A4;"), "{page} prints on A4");
    }
}
