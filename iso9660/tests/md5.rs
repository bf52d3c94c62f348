//! MD5 checksums written with `Options::md5` verify with `Image::check_md5`, and a flipped
//! byte is found where it is: in a file (that file and the session tag) or in a directory
//! (the tree tag and the session).

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use common::{options, write_image};
use iso9660::raw::checksum::TagKind;
use iso9660::{GraftPoint, Image, Md5Report, Options, Ownership};

fn tree(dir: &Path) {
    fs::create_dir_all(dir.join("d/e")).unwrap();
    fs::write(dir.join("a.txt"), b"hello\n").unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    fs::write(dir.join("d/big.bin"), &big).unwrap();
    fs::write(dir.join("d/e/empty"), b"").unwrap();
    fs::hard_link(dir.join("a.txt"), dir.join("d/link.txt")).unwrap();
    std::os::unix::fs::symlink("a.txt", dir.join("sym")).unwrap();
}

fn image(dir: &Path, md5: bool) -> (std::path::PathBuf, iso9660::Layout) {
    let src = dir.join("src");
    tree(&src);
    let out = dir.join("out.iso");
    let opts = Options {
        md5,
        ..options(Ownership::Rationalized)
    };
    let layout = write_image(opts, &[GraftPoint::path(&src)], &out);
    (out, layout)
}

fn check(path: &Path) -> Md5Report {
    Image::open(fs::File::open(path).unwrap())
        .unwrap()
        .check_md5()
        .unwrap()
}

fn flip(path: &Path, at: u64) {
    let f = fs::OpenOptions::new()
        .write(true)
        .read(true)
        .open(path)
        .unwrap();
    let mut b = [0u8];
    f.read_exact_at(&mut b, at).unwrap();
    f.write_all_at(&[b[0] ^ 0x20], at).unwrap();
    f.sync_all().unwrap();
}

#[test]
fn written_checksums_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (out, layout) = image(dir.path(), true);
    let r = check(&out);
    assert!(r.is_ok(), "{r:#?}");
    let kinds: Vec<TagKind> = r.tags.iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        [TagKind::Superblock, TagKind::Tree, TagKind::Session]
    );
    assert_eq!(r.session_ok, Some(true));
    assert_eq!(r.array_ok, Some(true));
    // a.txt, its hard link, big.bin and the empty file; the symlink has none.
    assert_eq!(r.files.len(), 4, "{:#?}", r.files);
    assert!(r.files_without_md5.is_empty());
    // The tags, the array and nothing else: the plan counted them.
    let (_, plain) = image(&dir.path().join("plain"), false);
    assert_eq!(layout.sectors(), plain.sectors() + 4);
    assert!(!check(&dir.path().join("plain/out.iso")).has_checksums());
}

#[test]
fn flipped_file_byte_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = image(dir.path(), true);
    let img = Image::open(fs::File::open(&out).unwrap());
    let big = img.unwrap().lookup("/d/big.bin").unwrap();
    let lba = big.extents[0].lba;
    flip(&out, u64::from(lba) * 2048 + 100_000);
    let r = check(&out);
    assert!(!r.is_ok());
    let bad: Vec<_> = r.files.iter().filter(|f| !f.ok).collect();
    assert_eq!(bad.len(), 1, "{r:#?}");
    assert_eq!(bad[0].path, Path::new("/d/big.bin"));
    assert_eq!(bad[0].ranges[0].start, lba);
    let tags: Vec<(TagKind, bool)> = r.tags.iter().map(|t| (t.kind, t.ok)).collect();
    assert_eq!(
        tags,
        [
            (TagKind::Superblock, true),
            (TagKind::Tree, true),
            (TagKind::Session, false)
        ]
    );
    let suspect = r.tags[2].suspect.unwrap();
    assert_eq!(suspect.start, r.tags[1].lba + 1);
    assert_eq!(r.session_ok, Some(false));
}

#[test]
fn flipped_directory_byte_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = image(dir.path(), true);
    let d = Image::open(fs::File::open(&out).unwrap())
        .unwrap()
        .lookup("/d")
        .unwrap();
    // The date of the "." record: the tree still parses, its bytes differ.
    flip(&out, u64::from(d.extents[0].lba) * 2048 + 20);
    let r = check(&out);
    assert!(!r.is_ok());
    assert!(r.files.iter().all(|f| f.ok));
    let tags: Vec<(TagKind, bool)> = r.tags.iter().map(|t| (t.kind, t.ok)).collect();
    assert_eq!(
        tags,
        [
            (TagKind::Superblock, true),
            (TagKind::Tree, false),
            (TagKind::Session, false)
        ]
    );
    assert_eq!(r.session_ok, Some(false));
}

#[test]
fn direct_copy_output_is_hashed_too() {
    // write_to_file may copy extents in the kernel; with MD5s on, bytes must pass through.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    tree(&src);
    let mut b = iso9660::ImageBuilder::new(Options {
        md5: true,
        ..options(Ownership::Exact)
    })
    .unwrap();
    b.add(&GraftPoint::path(&src)).unwrap();
    let layout = b.plan().unwrap();
    let out = dir.path().join("direct.iso");
    let f = fs::File::create(&out).unwrap();
    let summary = layout.write_to_file(&f).unwrap();
    (&f).flush().unwrap();
    assert!(summary.session_md5.is_some());
    let r = check(&out);
    assert!(r.is_ok(), "{r:#?}");
}

/// Appends a session at the next 32-block boundary of `iso` (whose last session starts at
/// `previous`) with `grafts`; returns its start and its layout.
fn append(iso: &Path, previous: u32, grafts: &[GraftPoint], md5: bool) -> (u32, iso9660::Layout) {
    let mut img =
        Image::open_session(fs::File::open(iso).unwrap(), iso9660::Lba(previous)).unwrap();
    let start = iso9660::multisession::next_session_start(img.volume_end() as u32);
    let opts = Options {
        md5,
        ..options(Ownership::Rationalized)
    };
    let mut b = iso9660::ImageBuilder::append(opts, &mut img, iso9660::Lba(start)).unwrap();
    for g in grafts {
        b.add(g).unwrap();
    }
    let layout = b.plan().unwrap();
    let f = fs::OpenOptions::new().write(true).open(iso).unwrap();
    let mut w = iso9660::SparseFileWriter::at(f, u64::from(start) * 2048).unwrap();
    layout.write_to(&mut w).unwrap();
    w.finish().unwrap();
    (start, layout)
}

fn check_session(path: &Path, start: u32) -> Md5Report {
    Image::open_session(fs::File::open(path).unwrap(), iso9660::Lba(start))
        .unwrap()
        .check_md5()
        .unwrap()
}

fn second_source(dir: &Path) -> GraftPoint {
    let more = dir.join("more");
    fs::create_dir_all(&more).unwrap();
    fs::write(more.join("new.txt"), b"second session\n").unwrap();
    GraftPoint::parse(format!("new={}", more.display()).as_ref()).unwrap()
}

#[test]
fn appended_sessions_carry_the_kept_files_md5s() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = image(dir.path(), true);
    let (s2, layout) = append(&out, 0, &[second_source(dir.path())], true);
    // a.txt with its hard link, big.bin and the empty file are kept: three contents.
    assert_eq!(layout.carried_md5s(), (3, 0));
    let r = check_session(&out, s2);
    assert!(r.is_ok(), "{r:#?}");
    let mut paths: Vec<_> = r.files.iter().map(|f| f.path.clone()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/a.txt",
            "/d/big.bin",
            "/d/e/empty",
            "/d/link.txt",
            "/new/new.txt"
        ]
        .map(std::path::PathBuf::from)
    );
    assert!(r.files_without_md5.is_empty());
    // A third session carries them again, from the second session's array.
    let more = dir.path().join("third");
    fs::create_dir_all(&more).unwrap();
    fs::write(more.join("t"), b"3").unwrap();
    let (s3, layout) = append(&out, s2, &[GraftPoint::path(&more)], true);
    assert_eq!(layout.carried_md5s(), (4, 0));
    let r = check_session(&out, s3);
    assert!(r.is_ok(), "{r:#?}");
    assert_eq!(r.files.len(), 6, "{r:#?}");

    // A flipped byte in a file of the first session: the file is bad in the last session,
    // whose own tags do not cover it.
    let big = Image::open_session(fs::File::open(&out).unwrap(), iso9660::Lba(s3))
        .unwrap()
        .lookup("/d/big.bin")
        .unwrap();
    assert!(big.extents[0].lba < s2, "big.bin is the first session's");
    flip(&out, u64::from(big.extents[0].lba) * 2048 + 123_456);
    let r = check_session(&out, s3);
    assert!(!r.is_ok());
    let bad: Vec<_> = r.files.iter().filter(|f| !f.ok).collect();
    assert_eq!(bad.len(), 1, "{r:#?}");
    assert_eq!(bad[0].path, Path::new("/d/big.bin"));
    assert!(r.tags.iter().all(|t| t.ok), "{r:#?}");
    assert_eq!(r.session_ok, Some(true));
}

#[test]
fn a_flipped_byte_in_an_appended_sessions_directory_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = image(dir.path(), true);
    let (s2, _) = append(&out, 0, &[second_source(dir.path())], true);
    // /d holds only kept files; its directory records are the second session's.
    let d = Image::open_session(fs::File::open(&out).unwrap(), iso9660::Lba(s2))
        .unwrap()
        .lookup("/d")
        .unwrap();
    assert!(d.extents[0].lba >= s2);
    flip(&out, u64::from(d.extents[0].lba) * 2048 + 20);
    let r = check_session(&out, s2);
    assert!(!r.is_ok());
    let tags: Vec<(TagKind, bool)> = r.tags.iter().map(|t| (t.kind, t.ok)).collect();
    assert_eq!(
        tags,
        [
            (TagKind::Superblock, true),
            (TagKind::Tree, false),
            (TagKind::Session, false)
        ]
    );
}

#[test]
fn files_from_a_session_without_md5s_have_none() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = image(dir.path(), false);
    let (s2, layout) = append(&out, 0, &[second_source(dir.path())], true);
    // a.txt, d/link.txt, d/big.bin, d/e/empty.
    assert_eq!(layout.carried_md5s(), (0, 4));
    let r = check_session(&out, s2);
    // Nothing recorded is wrong; the kept files are named as not verified, not as good.
    assert!(r.is_ok(), "{r:#?}");
    assert_eq!(r.files.len(), 1, "{r:#?}");
    let mut unverified = r.files_without_md5.clone();
    unverified.sort();
    assert_eq!(
        unverified,
        ["/a.txt", "/d/big.bin", "/d/e/empty", "/d/link.txt"].map(std::path::PathBuf::from)
    );
}

#[test]
fn a_damaged_array_is_not_carried() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = image(dir.path(), true);
    let area = Image::open(fs::File::open(&out).unwrap())
        .unwrap()
        .checksum_area()
        .unwrap()
        .unwrap();
    // Entry 1: a file's MD5. The array no longer matches its own last entry.
    flip(&out, u64::from(area.end) * 2048 + 16);
    match Image::open(fs::File::open(&out).unwrap())
        .unwrap()
        .carried_checksums()
        .unwrap()
    {
        iso9660::CarriedChecksums::Unusable(p) => {
            assert_eq!(p.lba, area.end);
            assert!(p.what.contains("damaged"), "{}", p.what);
        }
        other => panic!("{other:?}"),
    }
    let (s2, layout) = append(&out, 0, &[second_source(dir.path())], true);
    assert_eq!(layout.carried_md5s(), (0, 4));
    assert!(matches!(
        layout.warnings(),
        [iso9660::Warning::ChecksumsNotCarried { .. }]
    ));
    let r = check_session(&out, s2);
    assert_eq!(r.files_without_md5.len(), 4, "{r:#?}");

    // A session tag that is missing after an intact array: not trusted either.
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = image(dir.path(), true);
    let tag_at = u64::from(area.end + area.sectors()) * 2048;
    fs::OpenOptions::new()
        .write(true)
        .open(&out)
        .unwrap()
        .write_all_at(&[0u8; 64], tag_at)
        .unwrap();
    assert!(matches!(
        Image::open(fs::File::open(&out).unwrap())
            .unwrap()
            .carried_checksums()
            .unwrap(),
        iso9660::CarriedChecksums::Unusable(_)
    ));
}

#[test]
fn a_check_can_be_limited_to_directories() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = image(dir.path(), true);
    let mut img = Image::open(fs::File::open(&out).unwrap()).unwrap();
    let r = img
        .check_md5_below(&[std::path::PathBuf::from("/d/e"), "/a.txt".into()])
        .unwrap();
    assert!(r.is_ok(), "{r:#?}");
    let mut paths: Vec<_> = r.files.iter().map(|f| f.path.clone()).collect();
    paths.sort();
    assert_eq!(
        paths,
        ["/a.txt", "/d/e/empty"].map(std::path::PathBuf::from)
    );
    // The tags still cover the whole session.
    assert_eq!(r.tags.len(), 3);
    assert_eq!(r.session_ok, Some(true));
}

#[test]
fn sessions_checked_together_read_each_kept_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = image(dir.path(), true);
    let (s2, _) = append(&out, 0, &[second_source(dir.path())], true);
    let check_all = |seen: &mut iso9660::VerifiedFiles| -> Vec<Md5Report> {
        // Newest first, as `spindle check` goes: older sessions take the verdicts.
        [s2, 0]
            .iter()
            .map(|&s| {
                Image::open_session(fs::File::open(&out).unwrap(), iso9660::Lba(s))
                    .unwrap()
                    .check_md5_sharing(seen)
                    .unwrap()
            })
            .collect()
    };
    let mut seen = iso9660::VerifiedFiles::default();
    let r = check_all(&mut seen);
    assert!(r.iter().all(Md5Report::is_ok), "{r:#?}");
    // The second session records five files; a.txt and its hard link share one extent and
    // one MD5, so the link takes a.txt's verdict even within the session. The first
    // session records the four kept ones again, all already verified.
    assert_eq!(r[0].files.len(), 5, "{r:#?}");
    assert_eq!(r[1].files.len(), 4, "{r:#?}");
    let reused: Vec<_> = r[0]
        .files
        .iter()
        .filter(|f| f.reused)
        .map(|f| &f.path)
        .collect();
    assert_eq!(reused, [Path::new("/d/link.txt")], "{r:#?}");
    assert!(r[1].files.iter().all(|f| f.reused), "{r:#?}");
    assert_eq!((seen.reads(), seen.reused()), (4, 5));

    // Damage in a kept file is bad in both sessions, from one read.
    let big = Image::open_session(fs::File::open(&out).unwrap(), iso9660::Lba(0))
        .unwrap()
        .lookup("/d/big.bin")
        .unwrap();
    flip(&out, u64::from(big.extents[0].lba) * 2048 + 7);
    let mut seen = iso9660::VerifiedFiles::default();
    let r = check_all(&mut seen);
    for (i, rep) in r.iter().enumerate() {
        let bad: Vec<_> = rep
            .files
            .iter()
            .filter(|f| !f.ok)
            .map(|f| &f.path)
            .collect();
        assert_eq!(bad, [Path::new("/d/big.bin")], "session {i}: {rep:#?}");
    }
    // The second session's own blocks are intact; the first session's are not.
    assert_eq!(r[0].session_ok, Some(true));
    assert_eq!(r[1].session_ok, Some(false));
    // A fresh cache reads again: verdicts are never shared between separate checks.
    assert_eq!(seen.reads(), 4);
}
