//! `blowback lookup` and the geo facts `analyze` adds, from the shipped data/ without
//! network (`--offline`, and a cache file in a temp dir).

use super::util::{fixture, ndjson, run_in, stderr};

#[test]
fn lookup_ipv4_and_ipv6_offline_from_shipped_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = fixture("../../data").display().to_string();
    let args = [
        "lookup",
        "--offline",
        "--json",
        "--cache",
        "cache.sqlite",
        "--data-dir",
        &data,
        "8.8.8.8",
        "2001:4860:4860::8888",
        "192.0.2.1",
    ];
    let output = run_in(dir.path(), &args, None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for result in &results.as_array().unwrap()[..2] {
        assert_eq!(result["country"], "US", "{result}");
        assert_eq!(result["asn"], 15169, "{result}");
    }
    assert!(
        results[2]["not_looked_up"]
            .as_str()
            .unwrap()
            .contains("documentation"),
        "{}",
        results[2]
    );
    let table = run_in(
        dir.path(),
        &args[..args.len() - 2]
            .iter()
            .copied()
            .filter(|a| *a != "--json")
            .collect::<Vec<_>>(),
        None,
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("country: US") && text.contains("AS15169"),
        "{text}"
    );
}

#[test]
fn analyze_adds_origin_and_bouncer_country_without_network() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("corpus/backscatter/bs-0010.eml")
        .display()
        .to_string();
    let data = fixture("../../data").display().to_string();
    let records = ndjson(&run_in(
        dir.path(),
        &["analyze", "--ndjson", "--data-dir", &data, &input],
        None,
    ));
    let origin = &records[0]["origin"];
    assert_eq!(origin["ip"], "82.238.40.111");
    assert_eq!(origin["geo"]["country"], "FR", "{origin}");
    assert!(
        origin["network"].is_null(),
        "no network lookups without --resolve"
    );
    assert!(
        records[0]["bouncer"]["geo"]["country"].is_string(),
        "{}",
        records[0]["bouncer"]
    );
}
