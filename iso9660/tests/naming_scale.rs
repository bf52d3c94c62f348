//! Naming at scale. One directory of 100,000 names that all collide once mapped to ISO 9660
//! (and a third of them in Joliet too) must get identifiers that are unique, within the length
//! limits and the same on every run. Not a benchmark: it guards correctness and determinism of
//! the linear namer.
//!
//! The 100,000 names are named in memory through [`directory_identifiers`], the function
//! planning uses for every directory: creating 100,000 files and writing their image takes
//! half a minute in a debug build. A smaller tree on disk then checks that the writer records
//! exactly those identifiers, the same bytes on every run.

mod common;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use common::*;
use iso9660::write::{directory_identifiers, Identifiers};
use iso9660::{GraftPoint, Image, ImageBuilder, Namespace, Ownership};

/// Names as cameras make them: the first 26 characters (the room ISO 9660 leaves next to a
/// 4-character extension) are the same for all, so every file collides with every other there.
/// Every third name is longer than Joliet's 64 characters before its number, so those collide
/// in Joliet as well. Every 100th child is a directory; directories share their first 31
/// characters.
fn names(files: usize) -> Vec<(String, bool)> {
    (0..files)
        .map(|i| {
            if i % 100 == 99 {
                (format!("album_of_the_holiday_in_the_year_2026_{i:06}"), true)
            } else if i % 3 == 0 {
                (format!("IMG_20260101_holiday_photo_from_the_family_trip_to_the_seaside_in_summer_{i:06}.jpeg"), false)
            } else {
                (format!("IMG_20260101_holiday_photo_number_{i:06}.jpeg"), false)
            }
        })
        .collect()
}

fn is_d_char(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_'
}

/// Every identifier unique in the directory and within the limits of ECMA-119 §7.5.1 / §7.6.3
/// (d-characters; name plus extension at most 30 for files, 31 for directories) and of Joliet
/// (64 UCS-2 characters, no `* / : ; ? \` but the version separator). Returns how many Joliet
/// names differ from the POSIX name (cut and numbered).
fn check_identifiers(ids: &[Identifiers]) -> usize {
    let mut iso_seen = HashSet::new();
    let mut joliet_seen = HashSet::new();
    let mut renamed = 0;
    for id in ids {
        let iso = &id.iso9660;
        assert!(iso_seen.insert(iso.as_slice()), "ISO 9660 {iso:?} twice");
        if id.is_dir {
            assert!(iso.len() <= 31, "{iso:?} too long");
            assert!(iso.iter().all(|&c| is_d_char(c)), "{iso:?}");
        } else {
            let body = iso.strip_suffix(b";1").expect("files end in ;1");
            let (name, ext) = match body.iter().position(|&c| c == b'.') {
                Some(p) => (&body[..p], &body[p + 1..]),
                None => panic!("{iso:?} has no separator"),
            };
            assert!(name.len() + ext.len() <= 30, "{iso:?} too long");
            assert!(name.iter().chain(ext).all(|&c| is_d_char(c)), "{iso:?}");
        }
        let j = &id.joliet;
        assert!(joliet_seen.insert(j.as_slice()), "Joliet {j:?} twice");
        assert!(j.len() <= 64, "Joliet {j:?} too long");
        let text = String::from_utf16(j).expect("Joliet names are UCS-2");
        // Joliet names carry no version, as genisoimage and xorriso write them.
        let body = text.as_str();
        assert!(!body.bytes().any(|c| b"*/:;?\\".contains(&c)), "{text}");
        if body.as_bytes() != id.name.as_slice() {
            renamed += 1;
        }
    }
    renamed
}

#[test]
fn hundred_thousand_colliding_names_unique_bounded_deterministic() {
    let input = names(100_000);
    let first = directory_identifiers(input.iter().map(|(n, d)| (n.as_bytes(), *d)));
    assert_eq!(first.len(), input.len());
    let renamed = check_identifiers(&first);
    // The long third of the files are cut and numbered in Joliet; the rest keep their name.
    let long = input.iter().filter(|(n, d)| !d && n.len() + 2 > 64).count();
    assert_eq!(renamed, long);
    // The collisions really are there: all files share one ISO 9660 stem before numbering.
    assert!(first
        .iter()
        .filter(|i| !i.is_dir)
        .all(|i| i.iso9660.starts_with(b"IMG_20260101_")));
    assert_eq!(first[0].iso9660, b"IMG_20260101_HOLIDAY_PHOTO.JPEG;1");

    // Same result for the names given in another order, with fresh hash seeds: identifiers
    // depend on the set of names only.
    let mut reversed = input.clone();
    reversed.reverse();
    let second = directory_identifiers(reversed.iter().map(|(n, d)| (n.as_bytes(), *d)));
    assert!(first == second, "naming differs between runs");
}

fn image(src: &Path) -> Vec<u8> {
    let mut b = ImageBuilder::new(options(Ownership::Rationalized)).unwrap();
    b.add(&GraftPoint::path(src)).unwrap();
    let layout = b.plan().unwrap();
    let mut out = Vec::with_capacity(layout.size_bytes() as usize);
    layout.write_to(&mut out).unwrap();
    out
}

/// Names read back from the image's root in `ns` (the reader strips ";1" from files).
fn recorded(img: &mut Image<std::io::Cursor<&Vec<u8>>>, ns: Namespace) -> HashSet<Vec<u8>> {
    assert!(img.set_namespace(ns));
    let root = img.root().unwrap();
    img.read_dir(&root)
        .unwrap()
        .into_iter()
        .map(|e| e.name.as_bytes().to_vec())
        .collect()
}

#[test]
fn the_writer_records_those_identifiers_every_time() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    let input = names(3_000);
    for (name, is_dir) in &input {
        if *is_dir {
            fs::create_dir(src.join(name)).unwrap();
        } else {
            fs::write(src.join(name), name.as_bytes()).unwrap();
        }
    }
    let first = image(&src);
    assert!(
        first == image(&src),
        "same tree and epoch, different images"
    );

    let ids = directory_identifiers(input.iter().map(|(n, d)| (n.as_bytes(), *d)));
    check_identifiers(&ids);
    let strip = |v: &[u8], is_dir: bool| -> Vec<u8> {
        if is_dir {
            v.to_vec()
        } else {
            let v = v.strip_suffix(b";1").unwrap_or(v);
            v.strip_suffix(b".").unwrap_or(v).to_vec()
        }
    };
    let want_iso: HashSet<Vec<u8>> = ids.iter().map(|i| strip(&i.iso9660, i.is_dir)).collect();
    let want_joliet: HashSet<Vec<u8>> = ids
        .iter()
        .map(|i| {
            let s = String::from_utf16(&i.joliet).unwrap();
            strip(s.as_bytes(), i.is_dir)
        })
        .collect();
    let want_rr: HashSet<Vec<u8>> = input.iter().map(|(n, _)| n.as_bytes().to_vec()).collect();

    let mut img = Image::open(std::io::Cursor::new(&first)).unwrap();
    assert!(recorded(&mut img, Namespace::RockRidge) == want_rr);
    assert!(recorded(&mut img, Namespace::Iso9660) == want_iso);
    assert!(recorded(&mut img, Namespace::Joliet) == want_joliet);

    // Each file is reachable under its ISO 9660 name with its own content.
    assert!(img.set_namespace(Namespace::Iso9660));
    let by_iso: HashMap<Vec<u8>, &Identifiers> = ids
        .iter()
        .map(|i| (strip(&i.iso9660, i.is_dir), i))
        .collect();
    let root = img.root().unwrap();
    for e in img.read_dir(&root).unwrap().into_iter().step_by(97) {
        let id = by_iso[e.name.as_bytes()];
        if !id.is_dir {
            let mut content = Vec::new();
            img.read_file(&e, &mut content).unwrap();
            assert_eq!(content, id.name, "{:?}", e.name);
        }
    }
}
