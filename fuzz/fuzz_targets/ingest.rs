//! mbox splitting and mail sniffing: any bytes give messages or named failures, and
//! the messages never hold more than the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut total = 0usize;
    for item in blowback::ingest::mbox_messages("fuzz".into(), data, 1 << 16) {
        if let blowback::ingest::Item::Message(message) = item {
            total += message.bytes.len();
        }
    }
    assert!(total <= data.len());
});
