//! Contact extraction over any message bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let contacts = blowback::contacts::extract(data, &Default::default());
    for contact in contacts {
        assert!(!contact.value.is_empty());
    }
});
