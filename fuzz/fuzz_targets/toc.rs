//! READ TOC/PMA/ATIP replies in every format this crate parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmc::command::{ReadAtip, ReadFullToc, ReadSessionInfo, ReadToc};
use mmc::Command;

fuzz_target!(|data: &[u8]| {
    let _ = ReadToc::default().parse(data);
    let _ = ReadSessionInfo::default().parse(data);
    let _ = ReadFullToc::default().parse(data);
    let _ = ReadAtip::default().parse(data);
});
