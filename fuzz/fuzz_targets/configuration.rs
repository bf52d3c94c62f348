//! GET CONFIGURATION replies (feature lists with lying lengths): Ok or Err, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmc::command::GetConfiguration;
use mmc::Command;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = GetConfiguration::all().parse(data) {
        let _ = c.profiles();
    }
});
