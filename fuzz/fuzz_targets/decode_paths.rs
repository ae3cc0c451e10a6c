//! The contact stage's two readings of M agree: the plain-structure reading (blowback's
//! own MIME walker) gives exactly what a full mail-parser parse gives, whenever it
//! takes a message on.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fast = blowback::contacts::decode_message(data);
    let reference = blowback::contacts::decode::decode_by_mail_parser(data);
    assert_eq!(fast, reference);
});
