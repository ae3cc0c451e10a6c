//! Live checks against the real registries: never run by default (no network in CI).

use blowback::enrich::{EnrichConfig, Enricher};

fn enricher() -> Enricher {
    let data = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
    Enricher::new(EnrichConfig::with_data_dir(data)).unwrap()
}

#[test]
#[ignore = "requires network"]
fn live_ip_google_dns() {
    let info = enricher().lookup_ip("8.8.8.8".parse().unwrap());
    assert!(info.network.is_some_and(|n| !n.abuse.is_empty()));
}

#[test]
#[ignore = "requires network"]
fn live_domain_google_com() {
    let info = enricher().lookup_domain("google.com");
    assert!(info.abuse.iter().any(|c| c.email.contains("markmonitor")));
}
