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
    for line in manifest.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let bytes = std::fs::read(data().join(cols[0])).unwrap();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), cols[1], "{}", cols[0]);
        assert_eq!(bytes.len().to_string(), cols[2], "{}", cols[0]);
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[test]
fn jurisdictions_keep_law_channel_and_status() {
    let j = Jurisdictions::load(&data().join("jurisdictions.json")).unwrap();
    assert!(j.all().len() >= 40);
    let us = j.get("US").unwrap();
    assert_eq!((us.consent_model.as_str(), us.status.as_str()), ("opt-out", "partly-verified"));
    assert!(us.law.contains("CAN-SPAM"));
    let gb = j.get("GB").unwrap();
    assert_eq!(gb.country, "UK");
    assert!(gb.authority_and_channel.contains("Information Commissioner"));
    assert_eq!(j.get("PL").unwrap().status, "unverified");
    assert_eq!(j.get("DE").unwrap().consent_model, "opt-in");
    assert!(Jurisdictions::is_eu("PT") && j.get("PT").is_none(), "EU baseline covers PT");
    assert!(j.eu_baseline["law"]["fact"].as_str().unwrap().contains("2002/58/EC"));
    assert_eq!(j.date_verified, None);
}

#[test]
fn whois_servers_map_loads_in_whois_rust() {
    whois_rust::WhoIs::from_path(data().join("whois-servers.json")).unwrap();
}
