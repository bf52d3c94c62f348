//! Sense data from a drive is untrusted: both decoders must return, never panic, and the
//! text rendering must work on whatever they produce.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lenient = mmc::Sense::new(data);
    let _ = lenient.to_string();
    let _ = lenient.disposition();
    let _ = lenient.progress();
    if let Ok(s) = mmc::Sense::parse(data) {
        let _ = s.to_string();
        let _ = s.information();
    }
});
