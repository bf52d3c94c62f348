//! READ DISC INFORMATION and READ TRACK INFORMATION replies: arbitrary bytes parse to Ok or Err.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmc::command::{ReadDiscInformation, ReadTrackInformation};
use mmc::Command;

fuzz_target!(|data: &[u8]| {
    let _ = ReadDiscInformation::default().parse(data);
    let _ = ReadTrackInformation::track(1).parse(data);
});
