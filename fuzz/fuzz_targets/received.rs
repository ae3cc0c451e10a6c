//! Received parsing and the trust walk over any bytes (as a bounce and as M).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = blowback::bounce::decode(data);
    let walk = blowback::received::walk(data, &report, &Default::default());
    let _ = blowback::received::explain_to_string(&walk);
    let fields = blowback::received::header_fields(data);
    let _ = blowback::received::received_hops(&fields);
});
