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
    assert_eq!(r.files_without_md5, 0);
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
