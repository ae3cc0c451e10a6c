//! The bounce stage and the verdict: total over any bytes; a carved range lies inside
//! the input and hashes to the carved bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = blowback::bounce::decode(data);
    if let Some(original) = &report.original {
        if let Some((start, end)) = original.range {
            assert!(start <= end && end <= data.len());
            assert_eq!(&data[start..end], &original.bytes[..]);
        }
    }
    let config = blowback::config::Config::default();
    let ids = Default::default();
    let ctx = blowback::verdict::VerdictContext { config: &config, outbound_ids: &ids, arrival_day: 20_000 };
    let _ = blowback::verdict::judge(data, &report, &ctx, None);
});
