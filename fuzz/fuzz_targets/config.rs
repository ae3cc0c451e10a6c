//! Config parsing: any text gives a config or an error naming file and line.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(err) = blowback::config::Config::parse(text, std::path::Path::new("fuzz.toml")) {
            assert!(err.to_string().contains("fuzz.toml"));
        }
    }
});
