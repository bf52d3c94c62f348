//! Hostile images cost work in proportion to their size, and one damaged record costs only
//! itself.

#[path = "support/crafted.rs"]
mod crafted;

use std::io::Cursor;
use std::path::Path;

use iso9660::{Error, Image, WalkBudget};

/// Entries a walk of an image of `bytes` bytes can honestly meet: every record is at least
/// 34 bytes of some directory sector.
fn entry_bound(bytes: usize) -> u64 {
    (bytes / 34) as u64 + 64
}

#[test]
fn overlapping_directories_cost_no_more_than_the_image() {
    let img = crafted::overlapping_dirs();
    let bound = entry_bound(img.len());
    let mut image = Image::open(Cursor::new(&img[..])).unwrap();
    let mut visited = 0u64;
    // The strict walk stops at the first overlap; before directory extents were claimed
    // sector by sector, it went on for hundreds of millions of entries.
    let r = image.walk(|_| {
        visited += 1;
        if visited > bound {
            return Err(Error::NotFound("over budget".into()));
        }
        Ok(())
    });
    assert!(
        visited <= bound,
        "visited {visited} entries of a 4 MiB image"
    );
    assert!(
        matches!(r, Err(Error::Corrupt { what, .. }) if what.contains("overlaps")),
        "{r:?}"
    );

    let root = image.root().unwrap();
    let mut damaged = Vec::new();
    let mut seen = 0u64;
    let stats = image
        .walk_lossy(
            &root,
            Path::new(""),
            |_| {
                seen += 1;
                Ok(())
            },
            |d| {
                damaged.push(d.clone());
                Ok(())
            },
        )
        .unwrap();
    let budget = WalkBudget::for_volume_end(img.len() as u64 / 2048);
    assert!(stats.metadata_bytes <= budget.metadata_bytes, "{stats:?}");
    assert!(stats.path_bytes <= budget.path_bytes, "{stats:?}");
    assert!(stats.entries <= bound, "{stats:?}");
    assert!(stats.metadata_bytes <= img.len() as u64, "{stats:?}");
    // D00 is read; the 63 other root entries overlap it.
    let root_damage: Vec<_> = damaged
        .iter()
        .filter(|d| d.path.components().count() == 1)
        .collect();
    assert_eq!(root_damage.len(), 63, "{:?}", &root_damage[..3]);
    assert!(root_damage.iter().all(|d| d.is_dir));
}

#[test]
fn a_file_past_the_end_costs_only_itself() {
    let img = crafted::one_bad_extent();
    let mut image = Image::open(Cursor::new(&img[..])).unwrap();
    let root = image.root().unwrap();
    let mut paths = Vec::new();
    let mut damaged = Vec::new();
    image
        .walk_lossy(
            &root,
            Path::new(""),
            |w| {
                paths.push(w.path.to_string_lossy().into_owned());
                Ok(())
            },
            |d| {
                damaged.push(d.clone());
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(paths, ["A.TXT", "C.TXT", "SUB", "SUB/D.TXT"]);
    assert_eq!(damaged.len(), 1);
    assert_eq!(damaged[0].path, Path::new("B.TXT"));
    assert!(damaged[0].what.contains("past the end"), "{:?}", damaged[0]);
    // Unrelated files read as before; the damaged one is named.
    for (name, content) in crafted::GOOD_FILES {
        let e = image.lookup(name).unwrap();
        let mut out = Vec::new();
        image.read_file(&e, &mut out).unwrap();
        assert_eq!(out, content);
    }
    assert!(matches!(image.lookup("B.TXT"), Err(Error::Corrupt { .. })));
    // The strict forms still refuse the directory.
    assert!(image.read_dir(&root).is_err());
    assert!(image.walk(|_| Ok(())).is_err());
}

#[test]
fn a_tiny_image_declaring_a_huge_directory_costs_only_its_bytes() {
    // The volume claims 2^32 - 1 sectors and the root 4 GiB of records, but the data ends
    // after the root's first sector: the walk stops there instead of trying two million
    // sectors, and says where the data ended.
    let sectors = crafted::ROOT_LBA + 1;
    let root_len = u32::MAX - 2047;
    let mut img = crafted::volume(sectors, root_len);
    let kids = [crafted::record(crafted::ROOT_LBA, 0, false, b"A.TXT;1")];
    crafted::put(
        &mut img,
        crafted::ROOT_LBA,
        &crafted::dir_sector(crafted::ROOT_LBA, root_len, crafted::ROOT_LBA, &kids),
    );
    // The descriptor's volume space size: both-endian at bytes 80..88.
    let pvd = 16 * crafted::SECTOR;
    img[pvd + 80..pvd + 84].copy_from_slice(&u32::MAX.to_le_bytes());
    img[pvd + 84..pvd + 88].copy_from_slice(&u32::MAX.to_be_bytes());
    let mut image = Image::open(Cursor::new(&img[..])).unwrap();
    let root = image.root().unwrap();
    let mut paths = Vec::new();
    let mut damaged = Vec::new();
    let stats = image
        .walk_lossy(
            &root,
            Path::new(""),
            |w| {
                paths.push(w.path.clone());
                Ok(())
            },
            |d| {
                damaged.push(d.clone());
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(paths, [Path::new("A.TXT")]);
    assert_eq!(damaged.len(), 1, "{damaged:?}");
    assert!(damaged[0].what.contains("end of the data"), "{damaged:?}");
    assert_eq!(damaged[0].lba, crafted::ROOT_LBA + 1);
    assert_eq!(stats.damaged, 1);
    // A listing says the same.
    let listing = image.read_dir_lossy(&root).unwrap();
    assert_eq!(listing.entries.len(), 1);
    assert_eq!(listing.damaged.len(), 1);
}
