//! Table-driven test of the Received parser: every distinct form found in the corpus plus
//! the forms of issue 3, with the expected HELO, rDNS, peer address, receiving host,
//! protocol and UTC date. Regenerate the expectations with `UPDATE_GOLDEN=1` (then review
//! the diff: the table is the specification of the parser).

use std::path::Path;

use blowback::received::parse_received;
use serde_json::{Value, json};

const TABLE: &str = "tests/fixtures/received/lines.json";

fn parsed(header: &str) -> Value {
    let hop = parse_received(0, header);
    json!({
        "helo": hop.from_helo,
        "rdns": hop.from_rdns,
        "ip": hop.from_ip.map(|i| i.to_string()),
        "by": hop.by_host,
        "protocol": hop.protocol,
        "date": hop.date,
    })
}

#[test]
fn received_lines_parse_as_tabled() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(TABLE);
    let text = std::fs::read_to_string(&path).expect("table");
    let mut rows: Vec<Value> = serde_json::from_str(&text).expect("table json");
    let update = std::env::var("UPDATE_GOLDEN").is_ok();
    let mut failures = Vec::new();
    for row in rows.iter_mut() {
        let header = row["header"].as_str().expect("header").to_string();
        let got = parsed(&header);
        if update {
            row["expected"] = got;
            continue;
        }
        if row["expected"] != got {
            failures.push(format!(
                "{header}\n  expected {}\n  got      {got}",
                row["expected"]
            ));
        }
    }
    if update {
        let out = serde_json::to_string_pretty(&rows).expect("json");
        std::fs::write(&path, out + "\n").expect("write table");
    }
    println!("{} Received lines in the table", rows.len());
    assert!(rows.len() >= 150, "the table must hold at least 150 lines");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
