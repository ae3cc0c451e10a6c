//! `report --resolve` over the bundled examples when the DNS server does not answer: the
//! issue-19 case where a dead resolver serialised every query at its full timeout (3 min
//! 53 s for 10 messages). A UDP socket on loopback reads every query and never answers;
//! WHOIS and RDAP point at a closed loopback port (refused at once), so only the dead DNS
//! server costs time. With servers marked dead after two timeouts the run must stay well
//! under 20 s. The `--offline` run of the same report is measured alongside as the floor.
//!
//! Run: `cargo bench --bench lookups` (add `--profile dev` to skip the release build; the
//! time is spent waiting on the network, not computing). Prints one Markdown table row per
//! program; BENCHMARKS.md keeps the last figures.

use std::net::UdpSocket;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    let dead = UdpSocket::bind("127.0.0.1:0").expect("udp socket");
    let dns = dead.local_addr().expect("address");
    let queries = Arc::new(AtomicUsize::new(0));
    let seen = queries.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while dead.recv_from(&mut buf).is_ok() {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    let servers = dir.path().join("servers.json");
    std::fs::write(
        &servers,
        r#"{"_": {"ip": "127.0.0.1:9"}, "": "127.0.0.1:9"}"#,
    )
    .expect("servers map");
    let bootstrap = dir.path().join("no-bootstrap");
    std::fs::create_dir_all(&bootstrap).expect("bootstrap dir");

    println!("| run | seconds | DNS datagrams sent | exit |");
    println!("|---|---|---|---|");
    for (label, extra) in [
        ("report --resolve, dead DNS server", vec!["--resolve"]),
        ("report --offline (floor)", vec!["--offline"]),
    ] {
        let out = dir
            .path()
            .join(format!("outbox-{}", extra[0].trim_start_matches('-')));
        let before = queries.load(Ordering::SeqCst);
        let started = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_blowback"))
            .current_dir(root)
            .args(["report", "--quiet", "--config", "examples/blowback.toml"])
            .args(&extra)
            .arg("--whois-servers")
            .arg(&servers)
            .arg("--rdap-bootstrap")
            .arg(&bootstrap)
            .args(["--dns-server", &dns.to_string(), "--data-dir", "data"])
            .arg("--cache")
            .arg(
                dir.path()
                    .join(format!("cache-{label}.sqlite").replace(' ', "_")),
            )
            .arg("--out")
            .arg(&out)
            .arg("examples/bounces")
            .output()
            .expect("run blowback");
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "| {label} | {seconds:.2} | {} | {} |",
            queries.load(Ordering::SeqCst) - before,
            status.status.code().unwrap_or(-1)
        );
        if !status.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&status.stderr));
        }
    }
}
