//! Discs that verify themselves: MD5 checksums in libisofs's format, both ways with the real
//! xorriso. Images spindle writes pass `xorriso -check_md5` (session and files) and
//! `-check_media` (checksum tags) and fail them with a flipped byte in a file or a
//! directory; images xorriso writes with `-md5 on` pass `spindle check` and fail it the same
//! way. `spindle check` needs no sources, on image files and drives alike.

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::{Command, Output};

use hal::mock::MediaKind;
use tests::MockDisc;

fn spindle(args: &[&str]) -> u8 {
    let mut v = vec!["spindle"];
    v.extend_from_slice(args);
    cli::spindle::run_args(v)
}

fn check_json(target: &str) -> (u8, serde_json::Value) {
    let mut out = Vec::new();
    let code = cli::cmd::check::run(
        &cli::cmd::check::CheckArgs {
            target: target.to_owned(),
            json: true,
        },
        &mut out,
    );
    (code, serde_json::from_slice(&out).expect("check --json"))
}

fn tree(dir: &Path) {
    fs::create_dir_all(dir.join("docs/deep")).unwrap();
    fs::write(dir.join("hello.txt"), b"hello, disc\n").unwrap();
    let big: Vec<u8> = (0..200_000u32).map(|i| (i ^ (i >> 9)) as u8).collect();
    fs::write(dir.join("docs/big.bin"), &big).unwrap();
    fs::write(dir.join("docs/deep/empty"), b"").unwrap();
}

fn xorriso(args: &[&str]) -> Output {
    Command::new("xorriso")
        .args(args)
        .output()
        .expect("xorriso")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `-md5 on` makes xorriso load the recorded checksums with the image; without it
/// `-check_md5` finds no session MD5, on xorriso's own images too.
fn xorriso_check_md5(img: &Path) -> Output {
    let dev = format!("stdio:{}", img.display());
    xorriso(&["-md5", "on", "-indev", &dev, "-check_md5", "FAILURE", "--"])
}

fn xorriso_check_files(img: &Path) -> Output {
    let dev = format!("stdio:{}", img.display());
    xorriso(&["-md5", "on", "-indev", &dev, "-check_md5_r", "FAILURE", "/"])
}

fn xorriso_check_media(img: &Path) -> String {
    let dev = format!("stdio:{}", img.display());
    let o = xorriso(&["-md5", "on", "-indev", &dev, "-check_media", "--"]);
    text(&o)
}

fn flip(img: &Path, at: u64) {
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(img)
        .unwrap();
    let mut b = [0u8];
    f.read_exact_at(&mut b, at).unwrap();
    f.write_all_at(&[b[0] ^ 0x01], at).unwrap();
}

fn extent_byte(img: &Path, path: &str, offset: u64) -> u64 {
    let mut image = iso9660::Image::open(fs::File::open(img).unwrap()).unwrap();
    let e = image.lookup(path).unwrap();
    u64::from(e.extents[0].lba) * 2048 + offset
}

#[test]
fn spindle_images_pass_and_fail_xorriso_check_md5_and_check_media() {
    if !tests::tier::tier(
        "spindle_images_pass_and_fail_xorriso_check_md5_and_check_media",
        &["xorriso"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    tree(&src);
    let good = work.path().join("good.iso");
    assert_eq!(
        spindle(&["image", "-o", good.to_str().unwrap(), src.to_str().unwrap()]),
        0
    );

    let o = xorriso_check_md5(&good);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("Ok, session data match recorded md5"),
        "{}",
        text(&o)
    );
    let o = xorriso_check_files(&good);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("File contents and their MD5 checksums match"),
        "{}",
        text(&o)
    );
    let media = xorriso_check_media(&good);
    assert!(media.contains("+ md5_match"), "{media}");
    assert!(!media.contains("md5_mismatch"), "{media}");
    assert_eq!(spindle(&["check", good.to_str().unwrap()]), 0);

    // A flipped byte in a file.
    let bad_file = work.path().join("bad-file.iso");
    fs::copy(&good, &bad_file).unwrap();
    flip(&bad_file, extent_byte(&good, "/docs/big.bin", 150_000));
    let o = xorriso_check_md5(&bad_file);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("MD5 MISMATCH"), "{}", text(&o));
    let o = xorriso_check_files(&bad_file);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("MD5 MISMATCH: '/docs/big.bin'"),
        "{}",
        text(&o)
    );
    let media = xorriso_check_media(&bad_file);
    assert!(media.contains("md5_mismatch"), "{media}");
    let (code, j) = check_json(bad_file.to_str().unwrap());
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{j:#}");
    assert_eq!(j["bad_files"][0]["path"], "/docs/big.bin", "{j:#}");

    // A flipped byte in a directory (the date of /docs's "." record: it still parses).
    let bad_dir = work.path().join("bad-dir.iso");
    fs::copy(&good, &bad_dir).unwrap();
    flip(&bad_dir, extent_byte(&good, "/docs", 20));
    let o = xorriso_check_md5(&bad_dir);
    assert!(!o.status.success(), "{}", text(&o));
    // xorriso refuses to load a tree whose tree tag does not match, before any media check.
    let media = xorriso_check_media(&bad_dir);
    assert!(
        media.contains("Checksum mismatch between checksum tag and data blocks"),
        "{media}"
    );
    let (code, j) = check_json(bad_dir.to_str().unwrap());
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{j:#}");
    assert_eq!(j["tags"][1]["kind"], "tree", "{j:#}");
    assert_eq!(j["tags"][1]["ok"], false, "{j:#}");
    assert_eq!(j["bad_files"].as_array().unwrap().len(), 0, "{j:#}");
}

#[test]
fn xorriso_images_pass_and_fail_spindle_check() {
    if !tests::tier::tier("xorriso_images_pass_and_fail_spindle_check", &["xorriso"]) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    tree(&src);
    let good = work.path().join("x.iso");
    let dev = format!("stdio:{}", good.display());
    let o = xorriso(&[
        "-md5",
        "on",
        "-outdev",
        &dev,
        "-map",
        src.to_str().unwrap(),
        "/",
    ]);
    assert!(o.status.success(), "{}", text(&o));

    let (code, j) = check_json(good.to_str().unwrap());
    assert_eq!(code, 0, "{j:#}");
    // xorriso puts the session at LBA 32 of a stdio image, with a superblock copy at 0.
    assert_eq!(j["session_start"], 32, "{j:#}");
    assert_eq!(j["tags"].as_array().unwrap().len(), 3, "{j:#}");
    assert_eq!(j["files_checked"], 3, "{j:#}");
    assert_eq!(j["session_md5_ok"], true, "{j:#}");

    let bad = work.path().join("x-bad.iso");
    fs::copy(&good, &bad).unwrap();
    flip(&bad, extent_byte(&good, "/hello.txt", 3));
    let (code, j) = check_json(bad.to_str().unwrap());
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{j:#}");
    assert_eq!(j["bad_files"][0]["path"], "/hello.txt", "{j:#}");
    assert_eq!(j["session_md5_ok"], false, "{j:#}");

    let bad_dir = work.path().join("x-bad-dir.iso");
    fs::copy(&good, &bad_dir).unwrap();
    flip(&bad_dir, extent_byte(&good, "/docs", 20));
    assert_eq!(
        spindle(&["check", bad_dir.to_str().unwrap()]),
        cli::exit::spindle::MISMATCH
    );
}

#[test]
fn images_without_checksums_are_not_called_good() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    tree(&src);
    let img = work.path().join("plain.iso");
    let (i, s) = (img.to_str().unwrap(), src.to_str().unwrap());
    assert_eq!(spindle(&["image", "--no-md5", "-o", i, s]), 0);
    let (code, j) = check_json(i);
    assert_eq!(code, cli::exit::spindle::NO_CHECKSUMS, "{j:#}");
    assert_eq!(j["has_checksums"], false);
}

#[test]
fn tree_burns_record_checksums_on_drives() {
    let disc = MockDisc::with(MediaKind::DvdPlusRw, true);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    tree(&src);
    let dev = disc.spec();
    let s = src.to_str().unwrap();
    assert_eq!(spindle(&["burn", &dev, "--tree", s]), 0);
    let (code, j) = check_json(&dev);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["files_checked"], 3, "{j:#}");
    // A second session: its own tags and its new file; the first session's files are
    // referenced, not rewritten, and carry no index in it.
    fs::write(src.join("more.txt"), b"more\n").unwrap();
    assert_eq!(spindle(&["burn", &dev, "--tree", s]), 0);
    let (code, j) = check_json(&dev);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["tags"].as_array().unwrap().len(), 3, "{j:#}");
    // --no-md5 leaves them out.
    let plain = MockDisc::with(MediaKind::DvdPlusRw, true);
    assert_eq!(
        spindle(&["burn", &plain.spec(), "--tree", s, "--no-md5"]),
        0
    );
    let (code, _) = check_json(&plain.spec());
    assert_eq!(code, cli::exit::spindle::NO_CHECKSUMS);
}
