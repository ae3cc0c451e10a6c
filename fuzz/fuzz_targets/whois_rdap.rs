//! WHOIS and RDAP answer parsing: decoding, referrals, throttling, networks, abuse
//! contacts and registrars from any bytes.
#![no_main]
use blowback::enrich::{AbuseScope, abuse, whois};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (text, _) = whois::decode(data, "whois.example", None);
    let _ = whois::find_referral(&text);
    let _ = whois::throttled(&text);
    let _ = abuse::network_from_whois(&text, "fuzz");
    let _ = abuse::whois_abuse(&text, "fuzz");
    let _ = abuse::asn_from_whois(&text, "fuzz");
    let _ = abuse::registrar_from_whois(&text, "fuzz");
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = abuse::network_from_rdap(&value, "fuzz");
        let _ = abuse::rdap_abuse(&value, "fuzz", AbuseScope::Network);
        let _ = abuse::registrar_from_rdap(&value, "fuzz");
    }
});
