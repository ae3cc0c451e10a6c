//! The pack's report and memo in a real browser: headless Chromium opens them with no
//! console messages, a screenshot is saved (to `target/tmp/`), and the rendered DOM holds
//! the timeline chart (SVG bars) and the exhibit table with the originals' hashes.

mod evidence_util;

use std::path::Path;
use std::process::Command;

use evidence_util::{Env, chromium, console_lines, corpus, have, text};

/// Packs three corpus messages into `pack` for the case "Victim v. Spammer".
fn three_packed(env: &Env, extra: &[&str]) -> Vec<String> {
    let inputs: Vec<String> = ["bs-0002.eml", "bs-0010.eml", "bs-0042.eml"]
        .map(corpus)
        .to_vec();
    let args = [&["--offline", "--case", "Victim v. Spammer"][..], extra].concat();
    env.pack(&inputs, "pack", &args);
    inputs
}

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
    let inputs = three_packed(&env, &[]);
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

/// `--pdf`: Chromium's print of both pages is in the pack, listed, hashed and verified;
/// `pdftotext` reads on every page the case name and "page N of M", and the making line.
#[test]
fn pdf_prints_of_report_and_memo_are_in_the_pack_with_numbered_pages() {
    if !have(
        "chromium",
        &["--version"],
        "Chromium (Debian package `chromium`)",
    ) || !have(
        "pdftotext",
        &["-v"],
        "pdftotext (Debian package `poppler-utils`)",
    ) {
        return;
    }
    let env = Env::new();
    three_packed(&env, &["--pdf"]);
    let verify = env.run(&["verify", "pack"]);
    assert!(verify.status.success(), "{}", text(&verify));
    let manifest = std::fs::read_to_string(env.path("pack/manifest-sha256.txt")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    for pdf in ["data/report.pdf", "data/memo.pdf"] {
        let bytes = std::fs::read(env.path("pack").join(pdf)).unwrap();
        let sha = blowback::hash::sha256_hex(&bytes);
        assert!(
            manifest.contains(&format!("{sha}  {pdf}")),
            "{pdf} listed with its hash"
        );
        let out = Command::new("pdftotext")
            .arg(env.path("pack").join(pdf))
            .arg("-")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        let pdf_text = String::from_utf8_lossy(&out.stdout).into_owned();
        // pdftotext ends every page with a form feed.
        let pages: Vec<&str> = pdf_text
            .split('\x0c')
            .filter(|p| !p.trim().is_empty())
            .collect();
        assert!(pages.len() >= 2, "{pdf}: {} pages", pages.len());
        for (n, page) in pages.iter().enumerate() {
            let footer = format!("page {} of {}", n + 1, pages.len());
            assert!(
                page.contains(&footer),
                "{pdf} page {}: no {footer:?}\n{page}",
                n + 1
            );
            assert!(
                page.contains("Victim v. Spammer"),
                "{pdf} page {}: no case name\n{page}",
                n + 1
            );
            assert!(
                page.contains("made 20"),
                "{pdf} page {}: no making date",
                n + 1
            );
        }
        assert!(
            pdf_text.contains(&format!("by blowback {version}")),
            "{pdf}: tool"
        );
        // Wrapped lines aside, the command line as typed.
        let joined: String = pdf_text.split_whitespace().collect();
        assert!(
            joined.contains("--case'Victimv.Spammer'--pdf"),
            "{pdf}: command line"
        );
    }
}

/// The pack says when and by what it was made: `Bagging-Date`, the report's and memo's
/// making line (time, tool version, command line), all within the run's custody times.
#[test]
fn pack_report_and_memo_are_dated() {
    let env = Env::new();
    env.pack(
        &[corpus("bs-0010.eml")],
        "pack",
        &["--offline", "--case", "Victim v. Spammer"],
    );
    let custody = std::fs::read_to_string(env.path("pack/data/custody.jsonl")).unwrap();
    let steps: Vec<serde_json::Value> = custody
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let time = |i: usize, key: &str| steps[i][key].as_str().unwrap().to_string();
    let (first, last) = (time(0, "started"), time(steps.len() - 1, "time"));
    let info = std::fs::read_to_string(env.path("pack/bag-info.txt")).unwrap();
    assert!(
        info.contains(&format!("Bagging-Date: {}\n", &last[..10])),
        "{info}"
    );
    let render = steps.iter().position(|s| s["step"] == "render").unwrap();
    for page in ["report.html", "memo.html"] {
        let html = std::fs::read_to_string(env.path("pack/data").join(page)).unwrap();
        let made = html
            .split_once("<time class=\"made\" datetime=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(made, _)| made.to_string())
            .unwrap_or_else(|| panic!("{page} states no making time"));
        assert!(
            first <= made && made <= time(render, "time"),
            "{page} made {made}, run {first}..{last}"
        );
        assert!(
            html.contains(&format!(
                ">{made}</time> by blowback {}",
                env!("CARGO_PKG_VERSION")
            )),
            "{page}: by what"
        );
        assert!(
            html.contains("--offline --case &#x27;Victim v. Spammer&#x27;")
                || html.contains("--offline --case &#39;Victim v. Spammer&#39;"),
            "{page}: the command line"
        );
        assert!(
            html.contains(
                "@bottom-right { content: \"page \" counter(page) \" of \" counter(pages);"
            ),
            "{page}: page numbers"
        );
        assert!(
            html.contains("@top-left { content: \"Victim\\000020v\\00002e\\000020Spammer\";"),
            "{page}: the case name on every page"
        );
    }
}

/// Counts and charts about spam take only backscatter (and spam received directly); a
/// bounce whose verdict is unknown is listed apart with its verdict. The report speaks
/// of complaints written, never made; the memo explains its marks and counts the files
/// the manifest lists.
#[test]
fn spam_counts_leave_out_other_verdicts_and_counts_match_the_manifest() {
    let env = Env::new();
    let mut inputs: Vec<String> = ["bs-0002.eml", "bs-0010.eml", "bs-0042.eml"]
        .map(corpus)
        .to_vec();
    // A real bounce to another domain's mail: not ours, so its verdict is unknown.
    inputs.push(
        evidence_util::repo()
            .join("tests/fixtures/corpus/bounces/lhost-postfix-03.eml")
            .display()
            .to_string(),
    );
    env.pack(&inputs, "pack", &["--offline"]);
    let report = std::fs::read_to_string(env.path("pack/data/report.html")).unwrap();
    assert!(report.contains("4 messages were read and analysed. 3 count as spam: 3 judged"));
    let others = report
        .split_once("<h3>Messages not counted as spam</h3>")
        .expect("the others are listed apart")
        .1;
    assert!(
        others.contains("<td class=\"num\">4</td><td>bounce</td><td>unknown</td>"),
        "exhibit 4 with its verdict"
    );
    let bars: usize = report
        .split("<rect class=\"b\"")
        .skip(1)
        .map(|bar| {
            let title = bar.split_once("<title>").unwrap().1;
            let count = title.split_once("</title>").unwrap().0;
            count.rsplit_once(": ").unwrap().1.parse::<usize>().unwrap()
        })
        .sum();
    assert_eq!(bars, 3, "the timeline counts the three spam messages only");
    let origins = report.split_once("<section id=\"origins\">").unwrap().1;
    let origins = origins.split_once("</section>").unwrap().0;
    let counted: usize = origins
        .split("<td class=\"num\">")
        .skip(1)
        .step_by(2)
        .map(|cell| cell.split_once('<').unwrap().0.parse::<usize>().unwrap())
        .sum();
    assert!(
        counted <= 2 * 3,
        "countries and networks over the spam only: {counted}"
    );
    assert!(!report.contains("complaints made"));
    assert!(report.contains("the complaints written"));

    let memo = std::fs::read_to_string(env.path("pack/data/memo.html")).unwrap();
    for mark in [
        "primary",
        "archived primary",
        "secondary",
        "†",
        "*unverified*",
    ] {
        assert!(
            memo.contains(&format!("<tr><th style=\"width:32mm\">{mark}</th>")),
            "the memo explains {mark}"
        );
    }
    for (at, _) in memo.match_indices("<code>http") {
        assert!(
            memo[..at].ends_with("</span> "),
            "a source without its mark: {}",
            &memo[at..at + 80]
        );
    }
    let manifest = std::fs::read_to_string(env.path("pack/manifest-sha256.txt")).unwrap();
    let listed = manifest.lines().count();
    assert!(
        memo.contains(&format!("this pack's payload: {listed} files,")),
        "the certification counts the manifest's {listed} files"
    );
}
