//! Discs that verify themselves: MD5 checksums in libisofs's format, both ways with the real
//! xorriso. Images spindle writes pass `xorriso -check_md5` (session and files) and
//! `-check_media` (checksum tags) and fail them with a flipped byte in a file or a
//! directory; images xorriso writes with `-md5 on` pass `spindle check` and fail it the same
//! way. `spindle check` needs no sources, on image files and drives alike.
//!
//! Appended sessions: files kept from an earlier session (spindle's or xorriso's) carry
//! its MD5s, so both tools verify every file, and fail on a flipped byte in a kept file or
//! in the new session's directories; files kept from a genisoimage session are "not
//! verified" for both. The superblock copy at LBA 0 of overwritable media carries its own
//! checksum tag, checked by both, and stale tags there are cleared.

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
            json: true,
            ..cli::cmd::check::CheckArgs::every_session(target)
        },
        &mut out,
    );
    (code, serde_json::from_slice(&out).expect("check --json"))
}

/// The report on the session a reader sees.
fn cur(j: &serde_json::Value) -> &serde_json::Value {
    j["sessions"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["current"] == true))
        .unwrap_or_else(|| panic!("no current session in {j:#}"))
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
    assert_eq!(cur(&j)["tags"][1]["kind"], "tree", "{j:#}");
    assert_eq!(cur(&j)["tags"][1]["ok"], false, "{j:#}");
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
    assert_eq!(cur(&j)["session_start"], 32, "{j:#}");
    assert_eq!(cur(&j)["tags"].as_array().unwrap().len(), 3, "{j:#}");
    assert_eq!(cur(&j)["files_checked"], 3, "{j:#}");
    assert_eq!(cur(&j)["session_md5_ok"], true, "{j:#}");

    let bad = work.path().join("x-bad.iso");
    fs::copy(&good, &bad).unwrap();
    flip(&bad, extent_byte(&good, "/hello.txt", 3));
    let (code, j) = check_json(bad.to_str().unwrap());
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{j:#}");
    assert_eq!(j["bad_files"][0]["path"], "/hello.txt", "{j:#}");
    assert_eq!(cur(&j)["session_md5_ok"], false, "{j:#}");

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
    assert_eq!(cur(&j)["files_checked"], 3, "{j:#}");
    // A second session: its own tags and its new file; the first session's files are
    // referenced, not rewritten, and keep the MD5s that session recorded.
    let more = work.path().join("more");
    fs::create_dir_all(&more).unwrap();
    fs::write(more.join("more.txt"), b"more\n").unwrap();
    assert_eq!(
        spindle(&["burn", &dev, "--tree", more.to_str().unwrap()]),
        0
    );
    let (code, j) = check_json(&dev);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(cur(&j)["tags"].as_array().unwrap().len(), 3, "{j:#}");
    assert_eq!(cur(&j)["files_checked"], 4, "{j:#}");
    assert_eq!(cur(&j)["files_without_md5"], 0, "{j:#}");
    // --no-md5 leaves them out.
    let plain = MockDisc::with(MediaKind::DvdPlusRw, true);
    assert_eq!(
        spindle(&["burn", &plain.spec(), "--tree", s, "--no-md5"]),
        0
    );
    let (code, _) = check_json(&plain.spec());
    assert_eq!(code, cli::exit::spindle::NO_CHECKSUMS);
}

/// Every regular file xorriso finds an MD5 for in the image's loaded session.
fn xorriso_md5_files(img: &Path) -> Vec<String> {
    let dev = format!("stdio:{}", img.display());
    let o = xorriso(&[
        "-md5", "on", "-indev", &dev, "-find", "/", "-type", "f", "-has_md5", "-exec", "get_md5",
        "--",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let mut v: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(_, p)| p.to_owned()))
        .collect();
    v.sort();
    v
}

fn session_json_paths(j: &serde_json::Value, key: &str) -> Vec<String> {
    let mut v: Vec<String> = j[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

/// The file `path` of the session a reader sees in an image file (the superblock at LBA 16
/// describes the whole volume; the last session is found through the chain).
fn last_session_extent_byte(img: &Path, path: &str, offset: u64) -> u64 {
    let (code, j) = check_json(img.to_str().unwrap());
    assert!(code == 0 || code == cli::exit::spindle::MISMATCH, "{j:#}");
    let start = cur(&j)["session_start"].as_u64().unwrap() as u32;
    let mut image =
        iso9660::Image::open_session(fs::File::open(img).unwrap(), iso9660::Lba(start)).unwrap();
    let e = image.lookup(path).unwrap();
    u64::from(e.extents[0].lba) * 2048 + offset
}

/// Appends `src` as a new session to the image file `img` with `spindle burn --tree`.
fn spindle_append(img: &Path, src: &Path) {
    assert_eq!(
        spindle(&[
            "burn",
            img.to_str().unwrap(),
            "--tree",
            src.to_str().unwrap()
        ]),
        0
    );
}

/// Both ways: each kept file verifies in the appended session, whichever program wrote the
/// session it came from, and a flipped byte in a kept file or in the new session's
/// directories fails spindle check and xorriso's checks.
fn appended_session_round(work: &Path, img: &Path, first_by: &str) {
    let more = work.join("more");
    fs::create_dir_all(&more).unwrap();
    fs::write(more.join("new.txt"), b"appended\n").unwrap();
    spindle_append(img, &more);
    let want = [
        "/docs/big.bin",
        "/docs/deep/empty",
        "/hello.txt",
        "/new.txt",
    ];

    let (code, j) = check_json(img.to_str().unwrap());
    assert_eq!(code, 0, "{first_by}: {j:#}");
    assert_eq!(cur(&j)["files_checked"], 4, "{first_by}: {j:#}");
    assert_eq!(cur(&j)["files_without_md5"], 0, "{first_by}: {j:#}");
    assert_eq!(xorriso_md5_files(img), want, "{first_by}");
    let o = xorriso_check_files(img);
    assert!(o.status.success(), "{first_by}: {}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("File contents and their MD5 checksums match"),
        "{t}"
    );
    assert!(!t.contains("have no MD5"), "{first_by}: {t}");
    let o = xorriso_check_md5(img);
    assert!(o.status.success(), "{first_by}: {}", text(&o));

    // A flipped byte in a file kept from the first session.
    let bad = work.join("bad-kept.iso");
    fs::copy(img, &bad).unwrap();
    flip(&bad, last_session_extent_byte(img, "/docs/big.bin", 99_999));
    let o = xorriso_check_files(&bad);
    assert!(!o.status.success(), "{first_by}: {}", text(&o));
    assert!(
        text(&o).contains("MD5 MISMATCH: '/docs/big.bin'"),
        "{first_by}: {}",
        text(&o)
    );
    let (code, j) = check_json(bad.to_str().unwrap());
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{first_by}: {j:#}");
    // Both sessions' trees show it, and each is named.
    let bad_in: Vec<(u64, &str)> = j["bad_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["session"].as_u64().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        bad_in,
        [(1, "/docs/big.bin"), (2, "/docs/big.bin")],
        "{first_by}: {j:#}"
    );
    // Read once: the first session takes the verdict the second reached.
    assert_eq!(j["sessions"][0]["files_shared"], 3, "{j:#}");
    // The new session's own data is intact.
    assert_eq!(cur(&j)["session_md5_ok"], true, "{j:#}");

    // A flipped byte in a directory of the new session (/docs holds only kept files).
    let bad = work.join("bad-dir.iso");
    fs::copy(img, &bad).unwrap();
    flip(&bad, last_session_extent_byte(img, "/docs", 20));
    let o = xorriso_check_md5(&bad);
    assert!(!o.status.success(), "{first_by}: {}", text(&o));
    // xorriso opens the volume at LBA 0, follows the copy's relocated superblock tag to the
    // session and refuses to load a tree whose tree tag does not match.
    let media = xorriso_check_media(&bad);
    assert!(
        media.contains("Checksum mismatch between checksum tag and data blocks"),
        "{first_by}: {media}"
    );
    let (code, j) = check_json(bad.to_str().unwrap());
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{first_by}: {j:#}");
    assert_eq!(cur(&j)["tags"][1]["kind"], "tree", "{j:#}");
    assert_eq!(cur(&j)["tags"][1]["ok"], false, "{j:#}");
}

#[test]
fn appended_sessions_verify_kept_files_both_ways_with_xorriso() {
    if !tests::tier::tier(
        "appended_sessions_verify_kept_files_both_ways_with_xorriso",
        &["xorriso"],
    ) {
        return;
    }
    // First session by spindle.
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    tree(&src);
    let img = work.path().join("spindle.iso");
    spindle_append(&img, &src);
    appended_session_round(work.path(), &img, "spindle");

    // First session by xorriso -md5 on.
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    tree(&src);
    let img = work.path().join("xorriso.iso");
    let dev = format!("stdio:{}", img.display());
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
    appended_session_round(work.path(), &img, "xorriso");
}

#[test]
fn files_kept_from_a_session_without_md5s_are_not_verified_and_not_bad() {
    if !tests::tier::tier(
        "files_kept_from_a_session_without_md5s_are_not_verified_and_not_bad",
        &["xorriso", "genisoimage"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    tree(&src);
    // A growisofs/mkisofs first session: no checksums at all.
    let img = work.path().join("mkisofs.iso");
    let o = Command::new("genisoimage")
        .args([
            "-quiet",
            "-R",
            "-o",
            img.to_str().unwrap(),
            src.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let more = work.path().join("more");
    fs::create_dir_all(&more).unwrap();
    fs::write(more.join("new.txt"), b"appended\n").unwrap();
    spindle_append(&img, &more);

    // xorriso: the new file matches, the kept ones "could not be checked", exit 0.
    let o = xorriso_check_files(&img);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("There were data files which have no MD5 and thus could not be checked"),
        "{t}"
    );
    assert_eq!(xorriso_md5_files(&img), ["/new.txt"]);
    // spindle check: the same verdict, each such file named.
    let (code, j) = check_json(img.to_str().unwrap());
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(cur(&j)["files_checked"], 1, "{j:#}");
    assert_eq!(
        session_json_paths(cur(&j), "no_md5_files"),
        ["/docs/big.bin", "/docs/deep/empty", "/hello.txt"],
        "{j:#}"
    );
    let mut out = Vec::new();
    let code = cli::cmd::check::run(
        &cli::cmd::check::CheckArgs::every_session(img.to_str().unwrap()),
        &mut out,
    );
    assert_eq!(code, 0);
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("file /hello.txt: no MD5 recorded (not verified)"),
        "{out}"
    );
    // A flipped byte in such a file goes unseen by both: there is nothing to compare with.
    let bad = work.path().join("bad.iso");
    fs::copy(&img, &bad).unwrap();
    flip(&bad, last_session_extent_byte(&img, "/hello.txt", 1));
    assert!(xorriso_check_files(&bad).status.success());
    assert_eq!(check_json(bad.to_str().unwrap()).0, 0);
}

/// Two sessions on a mock DVD+RW: the second session's descriptors are copied to LBA 16
/// with a relocated superblock tag after them; returns the disc and the media file.
fn two_session_dvd_plus_rw(work: &Path) -> (MockDisc, std::path::PathBuf) {
    two_sessions_on(work, MediaKind::DvdPlusRw)
}

fn two_sessions_on(work: &Path, kind: MediaKind) -> (MockDisc, std::path::PathBuf) {
    // Overwritable media formatted (the blank flag is false), or formatted by the burn.
    let disc = MockDisc::with(kind, kind == MediaKind::DvdPlusRw);
    let src = work.join("src");
    tree(&src);
    let more = work.join("more");
    fs::create_dir_all(&more).unwrap();
    fs::write(more.join("new.txt"), b"second session\n").unwrap();
    let dev = disc.spec();
    assert_eq!(spindle(&["burn", &dev, "--tree", src.to_str().unwrap()]), 0);
    assert_eq!(
        spindle(&["burn", &dev, "--tree", more.to_str().unwrap()]),
        0
    );
    let media = disc.drive.media_path();
    (disc, media)
}

#[test]
fn the_superblock_copy_of_an_overwritable_disc_is_checked() {
    // DVD+RW and DVD-RW restricted overwrite link through the 16..31 unit (blocks 0..15 read
    // for the tag's MD5), BD-RE through 0..31.
    for kind in [MediaKind::DvdPlusRw, MediaKind::DvdRwRo, MediaKind::BdRe] {
        superblock_copy_on(kind);
    }
}

fn superblock_copy_on(kind: MediaKind) {
    let work = tempfile::tempdir().unwrap();
    let (disc, media) = two_sessions_on(work.path(), kind);
    let dev = disc.spec();
    let (code, j) = check_json(&dev);
    assert_eq!(code, 0, "{j:#}");
    let session = cur(&j)["session_start"].as_u64().unwrap();
    assert!(session > 32, "{j:#}");
    // PVD, Joliet SVD and terminator at 16..18: the tag at 19 covers LBA 0..19.
    let copy = &cur(&j)["superblock_copy"];
    assert_eq!(copy["kind"], "relocated superblock", "{j:#}");
    assert_eq!(copy["lba"], 19, "{j:#}");
    assert_eq!(copy["range"]["start"], 0, "{j:#}");
    assert_eq!(copy["range"]["sectors"], 19, "{j:#}");
    assert_eq!(copy["ok"], true, "{j:#}");
    let tag = fs::read(&media).unwrap()[19 * 2048..19 * 2048 + 200].to_vec();
    let tag = String::from_utf8_lossy(&tag);
    assert!(
        tag.starts_with("libisofs_rlsb32_checksum_tag_v1 pos=19 range_start=0 range_size=19"),
        "{tag}"
    );
    assert!(tag.contains(&format!("session_start={session} ")), "{tag}");
    assert_eq!(cur(&j)["files_checked"], 4, "{j:#}");

    // A flipped byte in the copy (its primary descriptor's volume set identifier).
    flip(&media, 16 * 2048 + 200);
    let (code, j) = check_json(&dev);
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{j:#}");
    assert_eq!(cur(&j)["superblock_copy"]["ok"], false, "{j:#}");
    assert_eq!(
        cur(&j)["superblock_copy"]["suspect"]["sectors"],
        19,
        "{j:#}"
    );
    // The session itself is intact.
    assert!(
        cur(&j)["tags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["ok"] == true),
        "{j:#}"
    );
}

#[test]
fn xorriso_checks_the_superblock_copy_spindle_wrote_on_a_dvd_plus_rw() {
    if !tests::tier::tier(
        "xorriso_checks_the_superblock_copy_spindle_wrote_on_a_dvd_plus_rw",
        &["xorriso"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let (_disc, media) = two_session_dvd_plus_rw(work.path());
    // The mock's media file is the disc's bytes (LBA × 2048): xorriso reads it as a stdio
    // drive, an overwritable medium, and loads the volume from LBA 0 as it does a DVD+RW's.
    let img = work.path().join("disc.iso");
    fs::copy(&media, &img).unwrap();
    let o = xorriso_check_md5(&img);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("Loading ISO image tree from LBA 0"),
        "{}",
        text(&o)
    );
    let o = xorriso_check_files(&img);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("have no MD5"), "{}", text(&o));
    assert_eq!(
        xorriso_md5_files(&img),
        [
            "/docs/big.bin",
            "/docs/deep/empty",
            "/hello.txt",
            "/new.txt"
        ]
    );

    // A flipped byte in the copy: xorriso checks it before loading and refuses the tree;
    // spindle check finds the same on the image file.
    let bad = work.path().join("bad-copy.iso");
    fs::copy(&img, &bad).unwrap();
    flip(&bad, 16 * 2048 + 200);
    let o = xorriso_check_md5(&bad);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("Cannot read ISO image tree"),
        "{}",
        text(&o)
    );
    let (code, j) = check_json(bad.to_str().unwrap());
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{j:#}");
    assert_eq!(cur(&j)["superblock_copy"]["ok"], false, "{j:#}");
}

#[test]
fn a_stale_copy_tag_is_cleared_when_a_shorter_set_is_linked() {
    if !tests::tier::tier(
        "a_stale_copy_tag_is_cleared_when_a_shorter_set_is_linked",
        &["xorriso"],
    ) {
        return;
    }
    // xorriso with Joliet and ISO 9660:1999 records four descriptors and a terminator, its
    // relocated tag at LBA 21; spindle's set is three blocks. Left in place, that tag
    // (naming the old session, no longer matching) would make xorriso refuse the disc.
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    tree(&src);
    let more = work.path().join("more");
    fs::create_dir_all(&more).unwrap();
    fs::write(more.join("new.txt"), b"appended\n").unwrap();
    let first = work.path().join("x.iso");
    let dev = format!("stdio:{}", first.display());
    let o = xorriso(&[
        "-md5",
        "on",
        "-joliet",
        "on",
        "-compliance",
        "iso_9660_1999",
        "-outdev",
        &dev,
        "-map",
        src.to_str().unwrap(),
        "/",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let stale = fs::read(&first).unwrap();
    let stale_at = (17..32)
        .find(|&l| stale[l * 2048..].starts_with(b"libisofs_rlsb32_checksum_tag_v1"))
        .expect("xorriso's relocated tag");
    assert!(stale_at > 19, "xorriso's set is longer than spindle's");

    for (md5, disc_kind) in [(false, "no-md5"), (true, "md5")] {
        // On an image file (the file path) and on a mock DVD+RW (the burner's path).
        let img = work.path().join(format!("{disc_kind}.iso"));
        fs::copy(&first, &img).unwrap();
        let mut args = vec![
            "burn",
            img.to_str().unwrap(),
            "--tree",
            more.to_str().unwrap(),
        ];
        if !md5 {
            args.push("--no-md5");
        }
        assert_eq!(spindle(&args), 0);

        let disc = MockDisc::with(MediaKind::DvdPlusRw, true);
        let dev = disc.spec();
        assert_eq!(spindle(&["burn", &dev, first.to_str().unwrap()]), 0);
        let mut args = vec!["burn", dev.as_str(), "--tree", more.to_str().unwrap()];
        if !md5 {
            args.push("--no-md5");
        }
        assert_eq!(spindle(&args), 0);
        let burned = work.path().join(format!("{disc_kind}-dvd.iso"));
        fs::copy(disc.drive.media_path(), &burned).unwrap();

        for img in [&img, &burned] {
            let bytes = fs::read(img).unwrap();
            let tags: Vec<usize> = (17..32)
                .filter(|&l| bytes[l * 2048..].starts_with(b"libisofs_"))
                .collect();
            assert_eq!(
                tags,
                if md5 { vec![19] } else { vec![] },
                "{}",
                img.display()
            );
            let o = xorriso(&[
                "-md5",
                "on",
                "-indev",
                &format!("stdio:{}", img.display()),
                "-find",
                "/new.txt",
            ]);
            assert!(o.status.success(), "{}: {}", img.display(), text(&o));
            assert!(text(&o).contains("'/new.txt'"), "{}", text(&o));
            // The xorriso session verifies either way; the new one records checksums or
            // is reported as recording none, which is not a failure.
            let (code, j) = check_json(img.to_str().unwrap());
            assert_eq!(code, 0, "{}: {j:#}", img.display());
            assert_eq!(j["sessions"][0]["status"], "ok", "{j:#}");
            let last = if md5 { "ok" } else { "no_checksums" };
            assert_eq!(cur(&j)["status"], last, "{}: {j:#}", img.display());
            // Only the last session: what the reader sees records nothing when --no-md5.
            let mut out = Vec::new();
            let code = cli::cmd::check::run(
                &cli::cmd::check::CheckArgs {
                    last: true,
                    ..cli::cmd::check::CheckArgs::every_session(img.to_str().unwrap())
                },
                &mut out,
            );
            let want = if md5 {
                0
            } else {
                cli::exit::spindle::NO_CHECKSUMS
            };
            assert_eq!(code, want, "{}", String::from_utf8_lossy(&out));
        }
    }
}

/// Where `path` starts in the session at `start` of an image or media file (that session's
/// own tree, not the one a reader sees).
fn session_extent_byte(img: &Path, start: u64, path: &str, offset: u64) -> u64 {
    let mut image =
        iso9660::Image::open_session(fs::File::open(img).unwrap(), iso9660::Lba(start as u32))
            .unwrap();
    let e = image.lookup(path).unwrap();
    u64::from(e.extents[0].lba) * 2048 + offset
}

/// A bad file of a `check --json` report: session, path, ranges as (start, sectors).
type BadFile = (u64, String, Vec<(u64, u64)>);

/// The bad files of a `check --json` report.
fn bad_files(j: &serde_json::Value) -> Vec<BadFile> {
    j["bad_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let ranges = f["ranges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["start"].as_u64().unwrap(), r["sectors"].as_u64().unwrap()))
                .collect();
            (
                f["session"].as_u64().unwrap(),
                f["path"].as_str().unwrap().to_owned(),
                ranges,
            )
        })
        .collect()
}

fn statuses(j: &serde_json::Value) -> Vec<String> {
    j["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap().to_owned())
        .collect()
}

/// `-check_media` lines "MD5 tag range: START , SIZE , + md5_match|- md5_mismatch", as
/// (start, matched).
fn xorriso_tag_ranges(media: &str) -> Vec<(u64, bool)> {
    media
        .lines()
        .filter_map(|l| l.strip_prefix("MD5 tag range:"))
        .filter_map(|l| {
            let start = l.split(',').next()?.trim().parse().ok()?;
            Some((start, l.contains("md5_match") && !l.contains("mismatch")))
        })
        .collect()
}

/// The replacement for `/hello.txt` a later session records, and a file of its own.
fn second_tree(dir: &Path, what: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("hello.txt"), format!("replaced by {what}\n")).unwrap();
    fs::write(dir.join(format!("{what}.txt")), what).unwrap();
}

#[test]
fn every_session_is_checked_spindle_xorriso_spindle() {
    if !tests::tier::tier(
        "every_session_is_checked_spindle_xorriso_spindle",
        &["xorriso"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        work.path().join("a"),
        work.path().join("b"),
        work.path().join("c"),
    );
    tree(&a);
    second_tree(&b, "xorriso");
    fs::create_dir_all(&c).unwrap();
    fs::write(c.join("third.txt"), b"third session\n").unwrap();
    let img = work.path().join("three.iso");
    spindle_append(&img, &a);
    let o = xorriso(&[
        "-md5",
        "on",
        "-dev",
        &format!("stdio:{}", img.display()),
        "-map",
        b.to_str().unwrap(),
        "/",
        "-commit",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    spindle_append(&img, &c);

    let (code, j) = check_json(img.to_str().unwrap());
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(statuses(&j), ["ok", "ok", "ok"], "{j:#}");
    let starts: Vec<u64> = j["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_u64().unwrap())
        .collect();
    assert_eq!(starts[0], 32, "{j:#}");
    for s in j["sessions"].as_array().unwrap() {
        assert_eq!(s["tags"].as_array().unwrap().len(), 3, "{j:#}");
        assert_eq!(s["session_md5_ok"], true, "{j:#}");
    }
    // Session 1's /hello.txt was replaced by session 2, so it is read in session 1; the
    // files every session keeps (/docs/...) are read once, in session 3.
    assert_eq!(j["sessions"][0]["files_checked"], 3, "{j:#}");
    assert_eq!(j["sessions"][0]["files_shared"], 2, "{j:#}");
    assert!(
        j["files_read"].as_u64().unwrap() < j["files_checked"].as_u64().unwrap(),
        "{j:#}"
    );
    // xorriso's -check_media walks every session's tags too, and agrees.
    let media = xorriso_check_media(&img);
    let ranges = xorriso_tag_ranges(&media);
    assert_eq!(
        ranges.iter().map(|r| r.0).collect::<Vec<_>>(),
        starts,
        "{media}"
    );
    assert!(ranges.iter().all(|r| r.1), "{media}");

    // A flipped byte in session 1's /hello.txt, which only session 1 still references.
    let bad = work.path().join("bad-old-file.iso");
    fs::copy(&img, &bad).unwrap();
    let at = session_extent_byte(&img, 32, "/hello.txt", 2);
    flip(&bad, at);
    let (code, j) = check_json(bad.to_str().unwrap());
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{j:#}");
    assert_eq!(
        bad_files(&j),
        [(1, "/hello.txt".to_owned(), vec![(at / 2048, 1)])],
        "{j:#}"
    );
    assert_eq!(statuses(&j), ["bad", "ok", "ok"], "{j:#}");
    // Session 1's session tag fails, the damage placed after its tree tag.
    let tag = &j["sessions"][0]["tags"][2];
    assert_eq!(tag["kind"], "session", "{j:#}");
    assert_eq!(tag["ok"], false, "{j:#}");
    let suspect = &tag["suspect"];
    let (s0, n) = (
        suspect["start"].as_u64().unwrap(),
        suspect["sectors"].as_u64().unwrap(),
    );
    assert!((s0..s0 + n).contains(&(at / 2048)), "{j:#}");
    let mut out = Vec::new();
    let args = cli::cmd::check::CheckArgs::every_session(bad.to_str().unwrap());
    assert_eq!(cli::cmd::check::run(&args, &mut out), 16);
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains(&format!(
            "session 1: file /hello.txt: MISMATCH (12 bytes in LBA {}..{})",
            at / 2048,
            at / 2048 + 1
        )),
        "{out}"
    );
    // The session a reader sees is intact: the quick check and xorriso's -check_md5 (which
    // loads only that session) pass; -check_media names session 1's range.
    let last = cli::cmd::check::CheckArgs {
        last: true,
        ..cli::cmd::check::CheckArgs::every_session(bad.to_str().unwrap())
    };
    assert_eq!(cli::cmd::check::run(&last, &mut Vec::new()), 0);
    assert!(xorriso_check_md5(&bad).status.success());
    let media = xorriso_check_media(&bad);
    let ranges = xorriso_tag_ranges(&media);
    assert_eq!(ranges.first(), Some(&(32, false)), "{media}");
    assert!(ranges.iter().skip(1).all(|r| r.1), "{media}");

    // A flipped byte in session 1's /docs directory (a later session has its own).
    let bad = work.path().join("bad-old-dir.iso");
    fs::copy(&img, &bad).unwrap();
    flip(&bad, session_extent_byte(&img, 32, "/docs", 20));
    let (code, j) = check_json(bad.to_str().unwrap());
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{j:#}");
    assert_eq!(statuses(&j), ["bad", "ok", "ok"], "{j:#}");
    let tree_tag = &j["sessions"][0]["tags"][1];
    assert_eq!(tree_tag["kind"], "tree", "{j:#}");
    assert_eq!(tree_tag["ok"], false, "{j:#}");
    assert!(bad_files(&j).is_empty(), "{j:#}");
    let media = xorriso_check_media(&bad);
    let ranges = xorriso_tag_ranges(&media);
    assert_eq!(ranges.first(), Some(&(32, false)), "{media}");
    // Session 1's root directory wiped: that session cannot be walked, the others can.
    let bad = work.path().join("bad-old-root.iso");
    fs::copy(&img, &bad).unwrap();
    let root = session_extent_byte(&img, 32, "/", 0);
    let f = fs::OpenOptions::new().write(true).open(&bad).unwrap();
    f.write_all_at(&[0u8; 2048], root).unwrap();
    let (code, j) = check_json(bad.to_str().unwrap());
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{j:#}");
    assert_eq!(statuses(&j), ["bad", "ok", "ok"], "{j:#}");
    let problems = j["problems"].as_array().unwrap();
    assert!(!problems.is_empty(), "{j:#}");
    assert!(problems.iter().all(|p| p["session"] == 1), "{j:#}");
    // --session picks one session.
    let one = cli::cmd::check::CheckArgs {
        session: Some(2),
        ..cli::cmd::check::CheckArgs::every_session(bad.to_str().unwrap())
    };
    assert_eq!(cli::cmd::check::run(&one, &mut Vec::new()), 0);
    let none = cli::cmd::check::CheckArgs {
        session: Some(9),
        ..cli::cmd::check::CheckArgs::every_session(bad.to_str().unwrap())
    };
    assert_ne!(cli::cmd::check::run(&none, &mut Vec::new()), 0);
}

/// Appends a genisoimage session to the write-once mock `disc`, as growisofs would: built
/// with `-C` for the next writable address and `-M` the disc (its media file is the disc's
/// bytes), then burned as an image.
fn genisoimage_append(disc: &MockDisc, work: &Path, src: &Path) {
    let (code, p) = disc.probe();
    assert_eq!(code, 0, "{p:#}");
    let m = &p["medium"];
    let last = m["last_session_start_lba"].as_u64().expect("last session");
    let nwa = m["next_writable_address"].as_u64().expect("appendable");
    let prev = work.join("prev.iso");
    fs::copy(disc.drive.media_path(), &prev).unwrap();
    let session = work.join("genisoimage-session.iso");
    let o = Command::new("genisoimage")
        .args(["-quiet", "-R", "-C", &format!("{last},{nwa}"), "-M"])
        .arg(&prev)
        .arg("-o")
        .arg(&session)
        .arg(src)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        spindle(&["burn", &disc.spec(), session.to_str().unwrap()]),
        0
    );
}

#[test]
fn every_session_is_checked_on_a_mock_dvd_r_with_a_genisoimage_session_between() {
    if !tests::tier::tier(
        "every_session_is_checked_on_a_mock_dvd_r_with_a_genisoimage_session_between",
        &["genisoimage", "xorriso"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        work.path().join("a"),
        work.path().join("b"),
        work.path().join("c"),
    );
    tree(&a);
    second_tree(&b, "genisoimage");
    fs::create_dir_all(&c).unwrap();
    fs::write(c.join("third.txt"), b"third session\n").unwrap();
    let disc = MockDisc::with(MediaKind::DvdPlusR, true);
    let dev = disc.spec();
    assert_eq!(spindle(&["burn", &dev, "--tree", a.to_str().unwrap()]), 0);
    genisoimage_append(&disc, work.path(), &b);
    assert_eq!(spindle(&["burn", &dev, "--tree", c.to_str().unwrap()]), 0);

    let (code, j) = check_json(&dev);
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(statuses(&j), ["ok", "no_checksums", "ok"], "{j:#}");
    assert_eq!(j["sessions"][1]["has_checksums"], false, "{j:#}");
    // Session 3 keeps session 2's files, which carry no MD5: listed, not verified.
    let mut no_md5 = session_json_paths(&j["sessions"][2], "no_md5_files");
    no_md5.retain(|p| p.ends_with(".txt"));
    assert_eq!(no_md5, ["/genisoimage.txt", "/hello.txt"], "{j:#}");
    let mut out = Vec::new();
    assert_eq!(
        cli::cmd::check::run(&cli::cmd::check::CheckArgs::every_session(&dev), &mut out),
        0
    );
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains(": no MD5 checksums recorded"), "{out}");

    // A flipped byte in session 1's /hello.txt (replaced by session 2) on the disc itself.
    let media = disc.drive.media_path();
    let at = session_extent_byte(&media, 0, "/hello.txt", 4);
    assert!(
        at / 2048 < j["sessions"][1]["start"].as_u64().unwrap(),
        "{j:#}"
    );
    flip(&media, at);
    let (code, j) = check_json(&dev);
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{j:#}");
    assert_eq!(
        bad_files(&j),
        [(1, "/hello.txt".to_owned(), vec![(at / 2048, 1)])],
        "{j:#}"
    );
    assert_eq!(statuses(&j), ["bad", "no_checksums", "ok"], "{j:#}");
    // xorriso reading the same bytes (a copy of the media file) finds session 1 bad too.
    let img = work.path().join("disc.iso");
    fs::copy(&media, &img).unwrap();
    let ranges = xorriso_tag_ranges(&xorriso_check_media(&img));
    assert!(ranges.contains(&(0, false)), "{ranges:?}");

    // Session 1's primary descriptor no longer says CD001: the survey finds no volume
    // there, but its superblock tag is still in place, so this is damage, not a session
    // without anything to check.
    flip(&media, 16 * 2048 + 1);
    let (code, j) = check_json(&dev);
    assert_eq!(code, cli::exit::spindle::MISMATCH, "{j:#}");
    assert_eq!(statuses(&j), ["bad", "no_checksums", "ok"], "{j:#}");
    let what = j["problems"][0]["what"].as_str().unwrap();
    assert!(what.contains("descriptors are damaged"), "{j:#}");
    assert_eq!(j["problems"][0]["session"], 1, "{j:#}");
}
