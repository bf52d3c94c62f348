//! Round trips through readers we did not write: xorriso/osirrox, bsdtar (libarchive), isoinfo
//! and pycdlib, plus our own reader, on generated trees.

mod common;

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Instant;

use common::*;
use iso9660::{Error, GraftPoint, Image, ImageBuilder, Ownership};

const EXACT: Compare = Compare {
    rational: false,
    owner: true,
    symlink_meta: true,
};
const RATIONAL: Compare = Compare {
    rational: true,
    owner: true,
    symlink_meta: true,
};

#[test]
fn mixed_tree_exact_modes_all_readers() {
    if !tier(
        "mixed_tree_exact_modes_all_readers",
        &["xorriso", "bsdtar", "isoinfo", "pycdlib"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    make_mixed(&src);
    let iso = tmp.path().join("mixed.iso");
    let layout = write_image(options(Ownership::Exact), &[GraftPoint::path(&src)], &iso);
    isoinfo_check(&iso, "CEDAR BACKUP 2026-11-22", layout.sectors(), true);
    check_extracting_readers(&src, &iso, EXACT, tmp.path());
    pycdlib_check(&src, &iso, false);
    make_writable(&src);
}

#[test]
fn mixed_tree_rationalized_without_joliet() {
    if !tier(
        "mixed_tree_rationalized_without_joliet",
        &["xorriso", "bsdtar", "isoinfo"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    make_mixed(&src);
    let iso = tmp.path().join("mixed-r.iso");
    let opts = iso9660::Options {
        joliet: false,
        ..options(Ownership::Rationalized)
    };
    let layout = write_image(opts, &[GraftPoint::path(&src)], &iso);
    isoinfo_check(&iso, "CEDAR BACKUP 2026-11-22", layout.sectors(), false);
    check_extracting_readers(&src, &iso, RATIONAL, tmp.path());
    make_writable(&src);
}

#[test]
fn twenty_thousand_small_files() {
    if !tier(
        "twenty_thousand_small_files",
        &["xorriso", "bsdtar", "isoinfo", "pycdlib"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("small");
    make_small(&src, 20_000);
    let iso = tmp.path().join("small.iso");
    let t = Instant::now();
    let layout = write_image(
        options(Ownership::Rationalized),
        &[GraftPoint::path(&src)],
        &iso,
    );
    eprintln!("wrote 20,000 files in {:?}", t.elapsed());
    isoinfo_check(&iso, "CEDAR BACKUP 2026-11-22", layout.sectors(), true);
    check_extracting_readers(&src, &iso, RATIONAL, tmp.path());
    pycdlib_check(&src, &iso, true);
}

#[test]
fn non_utf8_names() {
    if !tier("non_utf8_names", &["xorriso", "bsdtar", "isoinfo"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    for name in [&b"latin1-\xe9t\xe9"[..], b"\xff\xfe", b"ok"] {
        fs::write(src.join(std::ffi::OsStr::from_bytes(name)), name).unwrap();
    }
    fs::create_dir(src.join(std::ffi::OsStr::from_bytes(b"dir-\x80"))).unwrap();
    let iso = tmp.path().join("bytes.iso");
    let layout = write_image(options(Ownership::Exact), &[GraftPoint::path(&src)], &iso);
    isoinfo_check(&iso, "CEDAR BACKUP 2026-11-22", layout.sectors(), true);
    check_extracting_readers(&src, &iso, EXACT, tmp.path());
}

#[test]
fn graft_points_place_sources() {
    if !tier("graft_points_place_sources", &["xorriso"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let day = tmp.path().join("stage/2026/11/22");
    fs::create_dir_all(day.join("peer1")).unwrap();
    fs::write(day.join("cback.stage"), b"").unwrap();
    fs::write(day.join("peer1/data.tar"), b"tar data").unwrap();
    let single = tmp.path().join("single.txt");
    fs::write(&single, b"one file").unwrap();
    let grafts = [
        GraftPoint::parse(format!("2026/11/22/={}", day.display()).as_ref()).unwrap(),
        GraftPoint::parse(format!("notes/renamed.txt={}", single.display()).as_ref()).unwrap(),
        GraftPoint::parse(format!("into/={}", single.display()).as_ref()).unwrap(),
        GraftPoint::path(&single),
    ];
    let iso = tmp.path().join("graft.iso");
    write_image(options(Ownership::Rationalized), &grafts, &iso);
    let mut img = Image::open(fs::File::open(&iso).unwrap()).unwrap();
    for p in [
        "2026/11/22/cback.stage",
        "2026/11/22/peer1/data.tar",
        "notes/renamed.txt",
        "into/single.txt",
        "single.txt",
    ] {
        let e = img.lookup(p).unwrap_or_else(|e| panic!("{p}: {e}"));
        assert!(e.kind == iso9660::EntryKind::File, "{p}");
    }
    let x = tmp.path().join("x");
    xorriso_extract(&iso, &x, None);
    assert_eq!(
        fs::read(x.join("2026/11/22/peer1/data.tar")).unwrap(),
        b"tar data"
    );
    assert_eq!(fs::read(x.join("notes/renamed.txt")).unwrap(), b"one file");
    // Two sources for one file path are an error, not a silent choice.
    let mut b = ImageBuilder::new(options(Ownership::Rationalized)).unwrap();
    b.add(&GraftPoint::path(&single)).unwrap();
    assert!(matches!(
        b.add(&GraftPoint::path(&single)),
        Err(Error::Conflict { .. })
    ));
}

#[test]
fn reproducible_and_print_size_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    make_mixed(&src);
    let a = tmp.path().join("a.iso");
    let b = tmp.path().join("b.iso");
    write_image(options(Ownership::Exact), &[GraftPoint::path(&src)], &a);
    write_image(options(Ownership::Exact), &[GraftPoint::path(&src)], &b);
    assert!(
        fs::read(&a).unwrap() == fs::read(&b).unwrap(),
        "same inputs and epoch, different bytes"
    );
    // Planning alone gives the size that writing produces (--print-size).
    let mut builder = ImageBuilder::new(options(Ownership::Exact)).unwrap();
    builder.add(&GraftPoint::path(&src)).unwrap();
    let layout = builder.plan().unwrap();
    assert_eq!(layout.size_bytes(), fs::metadata(&a).unwrap().len());
    let mut sink = Vec::new();
    layout.write_to(&mut sink).unwrap();
    assert_eq!(sink.len() as u64, layout.size_bytes());
    make_writable(&src);
}

fn plan_one(src: &Path) -> iso9660::Layout {
    let mut b = ImageBuilder::new(options(Ownership::Exact)).unwrap();
    b.add(&GraftPoint::path(src)).unwrap();
    b.plan().unwrap()
}

#[test]
fn changed_files_fail_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    let f = src.join("victim.dat");
    type Change = fn(&Path);
    let cases: [(&str, Change); 3] = [
        ("grew", |p| fs::write(p, vec![7u8; 5000]).unwrap()),
        ("shrank", |p| fs::write(p, vec![7u8; 10]).unwrap()),
        ("touched", |p| set_mtime(p, 1_000_000_000)),
    ];
    for (what, change) in cases {
        fs::write(&f, vec![1u8; 4096]).unwrap();
        set_mtime(&f, 1_500_000_000);
        let layout = plan_one(&src);
        change(&f);
        if what != "touched" {
            set_mtime(&f, 1_500_000_000);
        }
        let err = layout.write_to(std::io::sink()).unwrap_err();
        match &err {
            Error::FileChanged {
                path,
                planned,
                actual,
            } => {
                assert_eq!(path, &f, "{what}");
                assert_ne!(planned, actual, "{what}");
            }
            other => panic!("{what}: expected FileChanged, got {other}"),
        }
        assert!(err.to_string().contains("victim.dat"), "{err}");
    }
}

/// A sparse file over 4 GiB becomes a multi-extent file that every reader reads whole.
/// Heavy: xorriso and bsdtar extract 4.5 GiB each (sparse output is not guaranteed), and
/// pycdlib hashes it in Python. Run with `--release -- --ignored`.
#[test]
#[ignore = "heavy: extracts and hashes a 4.5 GiB file with every reader"]
fn sparse_file_over_4gib_all_readers() {
    if !tier(
        "sparse_file_over_4gib_all_readers",
        &["xorriso", "bsdtar", "isoinfo", "pycdlib"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    write_sparse(&src.join("big.sparse"));
    fs::write(src.join("after"), b"after the big one").unwrap();
    let iso = tmp.path().join("big.iso");
    let layout = write_image(options(Ownership::Exact), &[GraftPoint::path(&src)], &iso);
    isoinfo_check(&iso, "CEDAR BACKUP 2026-11-22", layout.sectors(), true);
    check_extracting_readers(&src, &iso, EXACT, tmp.path());
    pycdlib_check(&src, &iso, false);
}

/// The same file through our reader and an xorriso listing only; fast enough for every run
/// because the source and the image are sparse.
#[test]
fn sparse_file_over_4gib_multi_extent() {
    if !tier(
        "sparse_file_over_4gib_multi_extent",
        &["isoinfo", "xorriso"],
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    let big = src.join("big.sparse");
    write_sparse(&big);
    let iso = tmp.path().join("big.iso");
    write_image(options(Ownership::Exact), &[GraftPoint::path(&src)], &iso);
    let mut img = Image::open(fs::File::open(&iso).unwrap()).unwrap();
    let e = img.lookup("big.sparse").unwrap();
    assert_eq!(e.size, SPARSE_SIZE);
    assert_eq!(e.extents.len(), 2, "{:?}", e.extents);
    assert_eq!(e.extents[0].len, 0xFFFF_F800);
    // Spot-check the data islands through our reader.
    use std::io::{Read, Seek, SeekFrom};
    let mut raw = fs::File::open(&iso).unwrap();
    for (off, byte) in SPARSE_ISLANDS {
        let (lba, within) = if off < 0xFFFF_F800 {
            (e.extents[0].lba, off)
        } else {
            (e.extents[1].lba, off - 0xFFFF_F800)
        };
        raw.seek(SeekFrom::Start(u64::from(lba) * 2048 + within))
            .unwrap();
        let mut b = [0u8; 4];
        raw.read_exact(&mut b).unwrap();
        assert_eq!(b, [byte; 4], "island at {off}");
    }
    // xorriso sees one 4.5 GiB file.
    require_tool("xorriso");
    let out = run(std::process::Command::new("xorriso")
        .args(["-indev"])
        .arg(&iso)
        .args(["-find", "/big.sparse", "-exec", "lsdl"]));
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains(&SPARSE_SIZE.to_string()), "{text}");
    // isoinfo lists both sections.
    isoinfo_check(
        &iso,
        "CEDAR BACKUP 2026-11-22",
        img.volume_space_size(),
        true,
    );
}

const SPARSE_SIZE: u64 = 4_831_838_208 + 12_345;
const SPARSE_ISLANDS: [(u64, u8); 4] = [
    (0, 0xA1),
    (0xFFFF_F800 - 2, 0xB2),
    (4_294_967_296 + 10, 0xC3),
    (SPARSE_SIZE - 4, 0xD4),
];

fn write_sparse(p: &Path) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = fs::File::create(p).unwrap();
    for (off, byte) in SPARSE_ISLANDS {
        f.seek(SeekFrom::Start(off)).unwrap();
        f.write_all(&[byte; 4]).unwrap();
    }
    f.set_len(SPARSE_SIZE).unwrap();
}

/// Bytes no test image may ever contain: they stand for a root-only file an attacker points
/// a swapped-in symbolic link at.
const SECRET: &[u8] = b"TOP SECRET: root-only bytes that must never reach an image";

fn assert_no_secret(out: &[u8]) {
    assert!(
        !out.windows(SECRET.len()).any(|w| w == SECRET),
        "the secret's bytes reached the output"
    );
}

/// A file swapped for a symbolic link between planning and writing is refused by name and
/// never followed: the link's target is not read.
#[test]
fn file_swapped_for_symlink_is_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    let secret = tmp.path().join("secret");
    fs::write(&secret, SECRET).unwrap();
    let f = src.join("victim.dat");
    fs::write(&f, vec![b'x'; SECRET.len()]).unwrap();
    // The secret looks like the planned file by size and mtime: only its identity differs.
    let mtime = 1_500_000_000;
    set_mtime(&f, mtime);
    set_mtime(&secret, mtime);
    let layout = plan_one(&src);
    fs::remove_file(&f).unwrap();
    std::os::unix::fs::symlink(&secret, &f).unwrap();
    let mut out = Vec::new();
    let err = layout.write_to(&mut out).unwrap_err();
    assert!(
        matches!(&err, Error::FileReplaced { path, how: iso9660::Replacement::Symlink } if path == &f),
        "{err}"
    );
    assert!(err.to_string().contains("victim.dat"), "{err}");
    assert_no_secret(&out);
}

/// A directory swapped for a symbolic link after planning leads the path to another file of
/// the same size and mtime; the device and inode check refuses it.
#[test]
fn directory_swapped_for_symlink_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("d")).unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let f = src.join("d/victim.dat");
    fs::write(&f, vec![b'x'; SECRET.len()]).unwrap();
    fs::write(elsewhere.join("victim.dat"), SECRET).unwrap();
    let mtime = 1_500_000_000;
    set_mtime(&f, mtime);
    set_mtime(&elsewhere.join("victim.dat"), mtime);
    let layout = plan_one(&src);
    fs::rename(src.join("d"), tmp.path().join("d.old")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, src.join("d")).unwrap();
    let mut out = Vec::new();
    let err = layout.write_to(&mut out).unwrap_err();
    assert!(
        matches!(&err, Error::FileReplaced { path, how: iso9660::Replacement::OtherFile } if path == &f),
        "{err}"
    );
    assert_no_secret(&out);
}

/// A link target longer than readers accept is refused by name before anything is written;
/// the longest accepted target is one xorriso loads and `isoinfo -R -l` lists, link included.
#[test]
fn long_symlink_refused_and_longest_accepted_target_reads_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("f"), b"data").unwrap();
    let target = |n: usize| format!("/{}", "t".repeat(n - 1));
    let long = src.join("long-link");
    std::os::unix::fs::symlink(target(iso9660::write::MAX_SYMLINK_TARGET + 1), &long).unwrap();
    let mut b = ImageBuilder::new(options(Ownership::Exact)).unwrap();
    let err = b.add(&GraftPoint::path(&src)).unwrap_err();
    match &err {
        Error::SymlinkTooLong { path, len, max } => {
            assert_eq!(path, &long);
            assert_eq!(*len, 1024);
            assert_eq!(*max, 1023);
        }
        other => panic!("expected SymlinkTooLong, got {other}"),
    }
    assert!(err.to_string().contains("long-link"), "{err}");
    // A link given as a graft source itself is checked the same way.
    let mut b = ImageBuilder::new(options(Ownership::Exact)).unwrap();
    assert!(matches!(
        b.add(&GraftPoint::path(&long)),
        Err(Error::SymlinkTooLong { .. })
    ));

    fs::remove_file(&long).unwrap();
    let longest = target(iso9660::write::MAX_SYMLINK_TARGET);
    std::os::unix::fs::symlink(&longest, src.join("longest-link")).unwrap();
    let iso = tmp.path().join("links.iso");
    let layout = write_image(options(Ownership::Exact), &[GraftPoint::path(&src)], &iso);
    if !tier(
        "long_symlink_refused_and_longest_accepted_target_reads_everywhere",
        &["xorriso", "isoinfo"],
    ) {
        return;
    }
    let listing = isoinfo_check(&iso, "CEDAR BACKUP 2026-11-22", layout.sectors(), true);
    assert!(
        listing.contains(&format!("longest-link -> {longest}")),
        "{listing}"
    );
    let out = std::process::Command::new("xorriso")
        .args(["-abort_on", "FAILURE", "-return_with", "SORRY", "32"])
        .arg("-indev")
        .arg(&iso)
        .args(["-lsl", "/longest-link"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "xorriso: {stderr}");
    assert!(
        text.contains(&format!("-> '{longest}'")),
        "{text}\n{stderr}"
    );
}
