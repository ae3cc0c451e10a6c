//! `report` with enrichment over the network, against a loopback WHOIS server that
//! replays a real RIPE answer: the origin network's abuse contact is found and the
//! complaint goes to it. The bounce is corpus bounce bs-0042 with its origin address
//! replaced by the address the captured answer is for (80.80.80.80), so the capture
//! is replayed for the query it answered. Nothing here touches the internet.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use blowback::annotate::Annotator;
use blowback::app::Analyzer;
use blowback::config::Config;
use blowback::deliver::{self, ReportOptions};
use blowback::enrich::{EnrichConfig, Jurisdictions, Timeouts};
use blowback::ingest::{FormatChoice, Inputs};

const NOW: i64 = 1_764_000_000;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A WHOIS server on loopback answering `-B 80.80.80.80` with the captured RIPE
/// answer and anything else with "no entries found".
fn whois_server() -> String {
    whois_server_answering(&["-B 80.80.80.80"])
}

/// A WHOIS server on loopback answering the given query lines with the captured RIPE
/// answer for 80.80.80.80 (whatever was asked) and anything else with "no entries found".
fn whois_server_answering(queries: &'static [&'static str]) -> String {
    let capture = std::fs::read(
        repo().join("tests/fixtures/reference/whois/ip/ripe/80.80.80.80_-B_unfiltered.txt"),
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            let reply = if queries.contains(&line.trim()) {
                capture.clone()
            } else {
                b"%ERROR:101: no entries found\r\n".to_vec()
            };
            let _ = stream.write_all(&reply);
        }
    });
    addr
}

fn enrich_config(dir: &Path, whois: &str) -> EnrichConfig {
    let servers = dir.join("servers.json");
    std::fs::write(
        &servers,
        serde_json::to_vec(&serde_json::json!({
            "_": {"ip": {"host": whois, "query": "-B $addr\r\n"}},
            "": "127.0.0.1:9"
        }))
        .unwrap(),
    )
    .unwrap();
    let empty = dir.join("no-bootstrap");
    std::fs::create_dir_all(&empty).unwrap();
    EnrichConfig {
        whois_servers_file: Some(servers),
        rdap_bootstrap_dir: Some(empty),
        no_dns: true,
        cache_path: Some(dir.join("cache.sqlite")),
        timeouts: Timeouts {
            whois: Duration::from_secs(5),
            http: Duration::from_secs(2),
            dns: Duration::from_millis(200),
            min_interval: Duration::ZERO,
            backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            retries: 0,
        },
        now: Some(NOW as u64),
        ..EnrichConfig::with_data_dir(repo().join("data"))
    }
}

/// Runs `report` over `input` with look-ups through the WHOIS server at `whois`; returns
/// the outbox.
fn report_resolved(
    dir: &Path,
    input: &Path,
    whois: &str,
    jurisdictions: Option<&Jurisdictions>,
) -> PathBuf {
    let config = Config::parse(
        "own_domains = [\"victim-domain.net\"]\n[report]\nreporter_address = \"postmaster@victim-domain.net\"\n",
        Path::new("t.toml"),
    )
    .unwrap();
    let limits = config.limits.clone();
    let mut analyzer = Analyzer::new(config, Default::default(), false, NOW);
    analyzer.annotator = Some(Annotator::resolving(enrich_config(dir, whois)).unwrap());
    let outbox = dir.join("outbox");
    let inputs = vec![input.display().to_string()];
    deliver::report(
        &analyzer,
        Inputs::new(&inputs, FormatChoice::Auto, &limits),
        &ReportOptions {
            outbox: &outbox,
            jurisdictions,
            now: NOW,
        },
    )
    .unwrap();
    outbox
}

#[test]
fn the_origin_networks_abuse_contact_is_found_and_addressed() {
    let dir = tempfile::tempdir().unwrap();
    let bounce =
        std::fs::read_to_string(repo().join("tests/fixtures/corpus/backscatter/bs-0042.eml"))
            .unwrap()
            .replace("86.125.127.208", "80.80.80.80");
    let input = dir.path().join("bounce.eml");
    std::fs::write(&input, bounce).unwrap();
    let table = Jurisdictions::load(&repo().join("data/jurisdictions.json")).unwrap();
    let outbox = report_resolved(dir.path(), &input, &whois_server(), Some(&table));
    let index = deliver::read_index(&outbox).unwrap();
    let origin = index
        .iter()
        .find(|e| e.party_kind == "source_network")
        .expect("an origin complaint");
    assert_eq!(origin.address.as_deref(), Some("abuse@freenom.com"));
    assert!(
        origin.address_source.contains("% Abuse contact for"),
        "{origin:?}"
    );
    assert_eq!(origin.country.as_deref(), Some("NL"));
    assert_eq!(origin.language, "en");
    let bytes = std::fs::read(outbox.join(&origin.file)).unwrap();
    let parsed = mail_parser::MessageParser::new().parse(&bytes).unwrap();
    assert_eq!(parsed.header_raw("To").unwrap().trim(), "abuse@freenom.com");
    let text = parsed.body_text(0).unwrap();
    assert!(text.contains("80.80.80.80"), "{text}");
    // The Dutch authority is named with the law from the jurisdictions table.
    assert!(
        index
            .iter()
            .any(|e| e.party_kind == "authority" && e.country.as_deref() == Some("NL"))
    );
}

// See: issue 19, point 1 (a WHOIS answer describing 80.80.80.0/23 was accepted for
// 82.238.40.111 and every complaint of the run went to abuse@freenom.com).
#[test]
fn an_answer_for_another_network_addresses_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let input = repo().join("tests/fixtures/corpus/backscatter/bs-0010.eml");
    // The server answers every address of the run with the freenom network.
    let whois = whois_server_answering(&["-B 82.238.40.111", "-B 209.85.220.41"]);
    let outbox = report_resolved(dir.path(), &input, &whois, None);
    let index = deliver::read_index(&outbox).unwrap();
    assert!(
        index
            .iter()
            .all(|e| e.address.as_deref() != Some("abuse@freenom.com")),
        "{index:?}"
    );
    let origin = index
        .iter()
        .find(|e| e.party_kind == "source_network")
        .expect("an origin complaint");
    assert_eq!(origin.address, None);
    assert_eq!(
        origin.address_status,
        blowback::enrich::Verification::Conflict
    );
    assert!(
        origin
            .address_source
            .contains("80.80.80.0/23, which does not hold 82.238.40.111"),
        "{origin:?}"
    );
    assert_eq!(origin.country.as_deref(), Some("FR"), "{origin:?}");
    let md = std::fs::read_to_string(outbox.join("INDEX.md")).unwrap();
    assert!(md.contains("| conflict |"), "{md}");
}
