//! Three sessions appended to one image file: each new session imports the previous tree,
//! references old file extents instead of copying them, adds, replaces and deletes entries;
//! xorriso reads every session at its own start, and so does our reader.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::*;
use iso9660::{GraftPoint, Image, ImageBuilder, Lba, Ownership, SparseFileWriter};

const CMP: Compare = Compare {
    rational: false,
    owner: false,
    symlink_meta: false,
};

/// Creates files (`Some(content)`) and directories (`None`) below `root`, all with one mtime.
fn make_tree(root: &Path, spec: &[(&str, Option<&[u8]>)]) {
    fs::create_dir_all(root).unwrap();
    for (p, content) in spec {
        let path = root.join(p);
        match content {
            Some(c) => {
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(&path, c).unwrap();
                set_mtime(&path, 1_600_000_000);
            }
            None => fs::create_dir_all(&path).unwrap(),
        }
    }
}

/// Snapshot without directory mtimes (merged directories get the newest source's).
fn files_only(mut m: BTreeMap<Vec<u8>, Item>) -> BTreeMap<Vec<u8>, Item> {
    for v in m.values_mut() {
        if v.kind == 'd' {
            v.mtime = None;
        }
    }
    m
}

fn append(iso: &Path, previous_start: u32, grafts: &[GraftPoint], remove: &[&str]) -> (u32, u32) {
    let mut img = Image::open_session(fs::File::open(iso).unwrap(), Lba(previous_start)).unwrap();
    // Sessions start on 32 KiB boundaries, as growisofs and xorriso place them. A session's
    // volume space size counts from its own start (mkisofs -C, libisofs).
    let start = u32::try_from(img.volume_end())
        .unwrap()
        .next_multiple_of(16);
    assert_eq!(
        u64::from(img.volume_space_size()) + u64::from(previous_start),
        img.volume_end()
    );
    let mut b = ImageBuilder::append(options(Ownership::Exact), &mut img, Lba(start)).unwrap();
    for r in remove {
        assert!(b.remove(r), "{r} was not in the previous session");
    }
    for g in grafts {
        b.add(g).unwrap();
    }
    let layout = b.plan().unwrap();
    assert_eq!(layout.start_lba(), Lba(start));
    let f = fs::OpenOptions::new().write(true).open(iso).unwrap();
    let mut w = SparseFileWriter::at(f, u64::from(start) * 2048).unwrap();
    layout.write_to(&mut w).unwrap();
    w.finish().unwrap();
    assert_eq!(
        fs::metadata(iso).unwrap().len(),
        u64::from(layout.end_lba().0) * 2048
    );
    (start, layout.sectors())
}

#[test]
fn three_sessions_merge_replace_delete() {
    if !tier("three_sessions_merge_replace_delete", &["xorriso"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let s1 = t.join("s1");
    make_tree(
        &s1,
        &[
            ("a.txt", Some(b"session one a")),
            ("dir/b.txt", Some(b"original b")),
            ("keep/x.bin", Some(&[7u8; 10_000])),
            ("gone/y.txt", Some(b"to be deleted")),
            ("emptydir", None),
        ],
    );
    let s2 = t.join("s2");
    make_tree(
        &s2,
        &[
            ("dir/b.txt", Some(b"replaced b in session two")),
            ("dir/c.txt", Some(b"new c")),
        ],
    );
    let s3 = t.join("s3");
    make_tree(
        &s3,
        &[
            ("day3/report.txt", Some(b"day three")),
            ("a.txt", Some(b"a, third version")),
        ],
    );

    let iso = t.join("multi.iso");
    let l1 = write_image(options(Ownership::Exact), &[GraftPoint::path(&s1)], &iso);
    let (start2, _) = append(&iso, 0, &[GraftPoint::path(&s2)], &["gone"]);
    let (start3, size3) = append(&iso, start2, &[GraftPoint::path(&s3)], &["emptydir"]);
    assert!(start2 >= l1.sectors() && start3 > start2);

    // Expected trees after each session.
    let e1 = s1.clone();
    let e2 = t.join("e2");
    make_tree(
        &e2,
        &[
            ("a.txt", Some(b"session one a")),
            ("dir/b.txt", Some(b"replaced b in session two")),
            ("dir/c.txt", Some(b"new c")),
            ("keep/x.bin", Some(&[7u8; 10_000])),
            ("emptydir", None),
        ],
    );
    let e3 = t.join("e3");
    make_tree(
        &e3,
        &[
            ("a.txt", Some(b"a, third version")),
            ("dir/b.txt", Some(b"replaced b in session two")),
            ("dir/c.txt", Some(b"new c")),
            ("keep/x.bin", Some(&[7u8; 10_000])),
            ("day3/report.txt", Some(b"day three")),
        ],
    );
    for (start, expected) in [(0, &e1), (start2, &e2), (start3, &e3)] {
        let want = files_only(snapshot_dir(expected, CMP, true));
        let mut img = Image::open_session(fs::File::open(&iso).unwrap(), Lba(start)).unwrap();
        assert_same(
            &format!("iso9660 reader, session at {start}"),
            &want,
            &files_only(snapshot_image(&mut img, CMP)),
        );
        let x = t.join(format!("x{start}"));
        xorriso_extract(&iso, &x, Some(start));
        assert_same(
            &format!("xorriso, session at {start}"),
            &want,
            &files_only(snapshot_dir(&x, CMP, false)),
        );
    }

    // Unchanged files are referenced in place, not copied: keep/x.bin still lives in
    // session one, and session three is small (directories plus two new files).
    let mut img = Image::open_session(fs::File::open(&iso).unwrap(), Lba(start3)).unwrap();
    let x = img.lookup("keep/x.bin").unwrap();
    assert!(x.extents[0].lba < start2, "{:?}", x.extents);
    let b = img.lookup("dir/b.txt").unwrap();
    assert!(b.extents[0].lba >= start2 && b.extents[0].lba < start3);
    assert!(size3 < 64, "session three took {size3} sectors");
}
