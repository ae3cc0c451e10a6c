//! The shipped data/ files: MANIFEST checksums, jurisdictions table, loadable maps.

use std::path::PathBuf;

use blowback::enrich::Jurisdictions;
use sha2::{Digest, Sha256};

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

#[test]
fn manifest_checksums_match_the_files() {
    let manifest = std::fs::read_to_string(data().join("MANIFEST")).unwrap();
    let mut checked = 0;
    for line in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let bytes = std::fs::read(data().join(cols[0])).unwrap();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), cols[1], "{}", cols[0]);
        assert_eq!(bytes.len().to_string(), cols[2], "{}", cols[0]);
        checked += 1;
    }
    assert_eq!(checked, 10);
}

#[test]
fn jurisdictions_keep_law_channel_and_status() {
    let j = Jurisdictions::load(&data().join("jurisdictions.json")).unwrap();
    assert!(j.all().len() >= 40);
    let us = j.get("US").unwrap();
    assert_eq!(
        (us.consent_model.as_str(), us.status.as_str()),
        ("opt-out", "partly-verified")
    );
    assert!(us.law.contains("CAN-SPAM"));
    let gb = j.get("GB").unwrap();
    assert_eq!(gb.country, "UK");
    assert!(
        gb.authority_and_channel
            .contains("Information Commissioner")
    );
    assert_eq!(j.get("PL").unwrap().status, "unverified");
    assert_eq!(j.get("DE").unwrap().consent_model, "opt-in");
    assert!(
        Jurisdictions::is_eu("PT") && j.get("PT").is_none(),
        "EU baseline covers PT"
    );
    assert!(
        j.eu_baseline["law"]["fact"]
            .as_str()
            .unwrap()
            .contains("2002/58/EC")
    );
    assert_eq!(j.date_verified, None);
}

#[test]
fn whois_servers_map_loads_in_whois_rust() {
    whois_rust::WhoIs::from_path(data().join("whois-servers.json")).unwrap();
}

/// Every captured answer: throttling notices are recognised, real answers never are.
#[test]
fn throttling_detector_over_all_whois_captures() {
    use blowback::enrich::whois::throttled;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference/whois");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p)
            } else {
                files.push(p)
            }
        }
    }
    files.sort();
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().to_string();
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).to_string();
        // Not throttling: an IDN conversion error.
        let expect = rel.starts_with("throttled/") && !rel.contains("error_55000000010");
        if throttled(&text).is_some() != expect {
            wrong.push(format!(
                "{rel}: expected throttled={expect}, line {:?}",
                throttled(&text).map(|t| t.line)
            ));
        }
    }
    assert!(files.len() > 150);
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn enricher_can_be_shared_between_threads() {
    fn is<T: Send + Sync>() {}
    is::<blowback::enrich::Enricher>();
}
