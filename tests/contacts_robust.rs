//! The contacts stage never panics on hostile bytes: every corpus file (bounces, spam,
//! synthetic backscatter) as M, and deterministic mutations of them (truncation, byte
//! flips, spliced garbage). Results stay within the caps and are sorted and deduplicated.

use std::path::Path;

use blowback::contacts::{ContactContext, MAX_CONTACTS, MAX_URL_LEN, extract};

fn corpus_files() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "bounces",
        "spam/phishing_pot",
        "spam/spamassassin",
        "backscatter",
    ] {
        let dir = Path::new("tests/fixtures/corpus").join(dir);
        for entry in std::fs::read_dir(dir).expect("corpus dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "eml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn check(bytes: &[u8], name: &str) {
    let found = extract(bytes, &ContactContext::default());
    assert!(found.len() <= MAX_CONTACTS, "{name}");
    for pair in found.windows(2) {
        let key =
            |c: &blowback::contacts::Contact| (c.kind.clone(), c.value.clone(), c.role.clone());
        assert!(
            key(&pair[0]) < key(&pair[1]),
            "{name}: not sorted/deduplicated"
        );
    }
    for c in &found {
        assert!(
            c.value.len() <= MAX_URL_LEN + 64 && c.count >= 1,
            "{name}: {c:?}"
        );
    }
}

#[test]
fn every_corpus_file_is_handled() {
    let files = corpus_files();
    assert!(files.len() > 600, "{} files", files.len());
    for path in &files {
        check(
            &std::fs::read(path).expect("read"),
            &path.display().to_string(),
        );
    }
}

#[test]
fn mutated_files_are_handled() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for path in corpus_files().iter().step_by(23) {
        let bytes = std::fs::read(path).expect("read");
        for _ in 0..4 {
            let mut m = bytes.clone();
            let cut = (next() as usize) % (m.len() + 1);
            m.truncate(cut.max(m.len() / 2));
            for _ in 0..16 {
                if m.is_empty() {
                    break;
                }
                let i = (next() as usize) % m.len();
                m[i] = next() as u8;
            }
            let at = (next() as usize) % (m.len() + 1);
            m.splice(
                at..at,
                b"=\xff\xfe<a href=\"hxxp://x[.]y\">\x00+1 ("
                    .iter()
                    .copied(),
            );
            check(&m, &path.display().to_string());
        }
    }
}
