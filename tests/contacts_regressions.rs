//! Inputs that once crashed the contacts stage (found by `fuzz/` targets), each kept in
//! tests/fixtures/contacts/regressions/ and run through extraction and the whole
//! pipeline: a result, never a panic.

use std::path::Path;

#[test]
fn every_regression_input_gives_a_result() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/contacts/regressions");
    let mut tests_run = 0;
    for entry in std::fs::read_dir(&dir).expect("regressions folder") {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let contacts = blowback::contacts::extract(&bytes, &Default::default());
        assert!(
            contacts.iter().all(|c| !c.value.is_empty()),
            "{}",
            path.display()
        );
        let message = blowback::ingest::RawMessage::new(
            path.display().to_string(),
            bytes,
            blowback::ingest::Format::Eml,
            None,
        );
        let analyzer =
            blowback::app::Analyzer::new(Default::default(), Default::default(), false, 0);
        let record = analyzer.analyze(&message);
        assert!(
            record.error.is_none(),
            "{}: {:?}",
            path.display(),
            record.error
        );
        tests_run += 1;
    }
    assert!(tests_run > 0);
}

/// `fuzz/artifacts/contacts/crash-498738d1…`: a link target without `:` starting with a
/// multi-byte character was sliced at byte 1.
#[test]
fn link_target_without_scheme_starting_with_multibyte_text() {
    let message = "Content-Type: text/html\n\n<a href=\"\u{fffd}\u{fffd}CharlottesviineLadConsultant.de/26egXSN\">x</a>\n";
    let _ = blowback::contacts::extract(message.as_bytes(), &Default::default());
}

/// `fuzz/artifacts/contacts/crash-834db794…`: a URL whose only `://` is inside its query
/// made the redirect unwrapper slice past the end of the path.
#[test]
fn url_whose_scheme_separator_is_only_in_the_query() {
    let message = "Subject: x\n\nsee nekork.com/count.cgi?url=https://target.example/page\n";
    let _ = blowback::contacts::extract(message.as_bytes(), &Default::default());
}
