//! Table fixtures for the contacts stage (`tests/fixtures/contacts/cases.json`): every
//! contact kind, every obfuscation rule, and near misses that must yield nothing.
//! Each case is `{name, text, html?, expect: ["kind:value"], obfuscated?: ["kind:value"]}`;
//! `expect` lists every contact (any role) and nothing else.

use blowback::contacts::{ContactContext, decode::text_part, extract_from_parts};
use serde_json::Value;

mod contacts_util;
use contacts_util::strings;

#[test]
fn contact_cases() {
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/contacts/cases.json").expect("cases"),
    )
    .expect("json");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let part = text_part(
            0,
            case["text"].as_str().expect("text"),
            case["html"].as_bool().unwrap_or(false),
        );
        let found = extract_from_parts(&[part], &ContactContext::default());
        let mut got: Vec<String> = found
            .iter()
            .map(|c| format!("{}:{}", c.kind, c.value))
            .collect();
        got.sort();
        got.dedup();
        let mut expect = strings(&case["expect"]);
        expect.sort();
        if got != expect {
            failures.push(format!("{name}: expected {expect:?}, got {got:?}"));
        }
        for o in strings(&case["obfuscated"]) {
            let hit = found
                .iter()
                .find(|c| format!("{}:{}", c.kind, c.value) == o);
            if !hit.is_some_and(|c| c.obfuscated && c.how.contains('+')) {
                failures.push(format!("{name}: {o} not marked obfuscated: {hit:?}"));
            }
        }
    }
    assert!(!cases.is_empty());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
