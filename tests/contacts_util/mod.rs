//! Helpers shared by the contact-stage test files.

use serde_json::Value;

/// The strings of a JSON array (none when `v` is not an array).
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
