//! Geo/ASN from the shipped data/ databases, without network.

use std::path::PathBuf;

use blowback::enrich::geo::Geo;

fn geo() -> Geo {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
    Geo::open(&data.join("country.mmdb"), &data.join("asn.mmdb")).unwrap()
}

#[test]
fn google_dns_v4_and_v6() {
    let g = geo();
    assert!(g.missing().is_empty());
    for ip in ["8.8.8.8", "2001:4860:4860::8888"] {
        let a = g.lookup(ip.parse().unwrap());
        assert_eq!(a.country.as_deref(), Some("US"), "{ip}");
        assert_eq!(a.asn, Some(15169), "{ip}");
        assert_eq!(a.as_org.as_deref(), Some("Google LLC"), "{ip}");
    }
}

#[test]
fn other_registries() {
    let g = geo();
    let a = g.lookup("80.80.80.80".parse().unwrap());
    assert_eq!((a.country.as_deref(), a.asn), (Some("NL"), Some(60679)));
    assert_eq!(g.lookup("1.1.1.1".parse().unwrap()).asn, Some(13335));
}

#[test]
fn missing_files_leave_parts_empty() {
    let g = Geo::open(
        "/nonexistent/c.mmdb".as_ref(),
        "/nonexistent/a.mmdb".as_ref(),
    )
    .unwrap();
    assert_eq!(g.missing().len(), 2);
    assert_eq!(g.lookup("8.8.8.8".parse().unwrap()).country, None);
}
