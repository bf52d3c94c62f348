//! The directory walk on arbitrary bytes: it must return, and its work must stay within the
//! budget the image's own size sets (metadata bytes read, entries met, path bytes handed
//! out), however the records point into each other.
#![no_main]

use std::io::Cursor;
use std::path::Path;

use iso9660::{Image, WalkBudget};
use libfuzzer_sys::fuzz_target;

/// Smallest directory record: every entry met is one in some directory sector read.
const MIN_RECORD: u64 = 34;

fuzz_target!(|data: &[u8]| {
    // Short inputs still reach the directories: the prefix byte moves sector 16 forward.
    let Some((&shift, rest)) = data.split_first() else {
        return;
    };
    let mut image = vec![0u8; 16 * 2048 - usize::from(shift % 16) * 2048];
    image.extend_from_slice(rest);
    let Ok(mut img) = Image::open(Cursor::new(&image[..])) else {
        return;
    };
    let budget = WalkBudget::for_volume_end(img.volume_end());
    let Ok(root) = img.root() else {
        return;
    };
    let mut seen = 0u64;
    let mut damaged = 0u64;
    let r = img.walk_lossy(
        &root,
        Path::new(""),
        |_| {
            seen += 1;
            Ok(())
        },
        |_| {
            damaged += 1;
            Ok(())
        },
    );
    let Ok(stats) = r else {
        return;
    };
    assert_eq!(stats.entries, seen);
    assert_eq!(stats.damaged, damaged);
    assert!(stats.metadata_bytes <= budget.metadata_bytes, "{stats:?} {budget:?}");
    assert!(stats.path_bytes <= budget.path_bytes, "{stats:?} {budget:?}");
    assert!(
        stats.entries <= budget.metadata_bytes / MIN_RECORD + 1,
        "{stats:?} {budget:?}"
    );
});
