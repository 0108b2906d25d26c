#![no_main]
//! Arbitrary bytes, raw and inside a valid envelope: `Ok` or `Err`, never a
//! panic; a rejected blob changes nothing.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    converge_testkit::fuzz::decode_doc(data);
});
