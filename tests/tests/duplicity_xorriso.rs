//! The real duplicity (from PyPI, installed by scripts/duplicity-venv.sh) runs its xorriso
//! backend against spindle: `XORRISO_PATH` names spindle started as `xorriso` (a symlink),
//! or a wrapper running `spindle xorriso`. Full backup, incremental, verify and restore go
//! into an ISO image file and into mock drives (a DVD+RW, growisofs method; a DVD+R, real
//! sessions), addressed by the mock's directory because duplicity wants an existing path
//! without a colon. Then the real xorriso reads the result and must find the same files with
//! the same sizes and bytes. A disc that fills up fails the backup with xorriso's FAILURE
//! text, writes nothing, and the earlier sessions still restore.
//!
//! These tests fail, not skip, when duplicity cannot be installed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const SPINDLE: &str = env!("CARGO_BIN_EXE_spindle-dev");

fn duplicity() -> &'static Path {
    static DUP: OnceLock<PathBuf> = OnceLock::new();
    DUP.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/duplicity-venv.sh");
        let out = Command::new("bash").arg(&script).output().unwrap();
        assert!(
            out.status.success(),
            "scripts/duplicity-venv.sh failed; duplicity is required:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// `XORRISO_PATH` for duplicity: a symlink named `xorriso`, or a script running
/// `spindle xorriso`.
fn xorriso_front(dir: &Path, by_name: bool) -> PathBuf {
    if by_name {
        let link = dir.join("xorriso");
        std::os::unix::fs::symlink(SPINDLE, &link).unwrap();
        link
    } else {
        let script = dir.join("spindle-xorriso");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nexec '{SPINDLE}' xorriso \"$@\"\n"),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        script
    }
}

struct Dup<'a> {
    front: &'a Path,
    archive: PathBuf,
    capacity: Option<&'a str>,
}

impl Dup<'_> {
    fn run(&self, args: &[&str]) -> Output {
        let mut c = Command::new(duplicity());
        c.args(args)
            .args(["--no-encryption", "--num-retries", "1", "--name", "t"])
            .arg("--archive-dir")
            .arg(&self.archive)
            .env("XORRISO_PATH", self.front)
            .env_remove("PASSPHRASE")
            .env_remove("SPINDLE_IMAGE_CAPACITY");
        if let Some(cap) = self.capacity {
            c.env("SPINDLE_IMAGE_CAPACITY", cap);
        }
        c.output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "duplicity {args:?} failed:\n{text}");
        text
    }
}

fn write_random(path: &Path, len: usize, seed: u64) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(path, data).unwrap();
}

fn source_tree(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("sub dir")).unwrap();
    write_random(&src.join("random.bin"), 200_000, 1);
    std::fs::write(src.join("sub dir/it's here.txt"), b"hello\n").unwrap();
    src
}

fn same_tree(a: &Path, b: &Path) {
    let out = Command::new("diff")
        .arg("-r")
        .arg(a)
        .arg(b)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} and {} differ:\n{}",
        a.display(),
        b.display(),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Names and sizes from real xorriso's `-lsl /` of `image` (optionally of the session at
/// `sbsector`), and its extraction of every file into `out`.
fn real_xorriso_files(image: &Path, sbsector: Option<u32>, out: &Path) -> BTreeMap<String, u64> {
    let mut load = Vec::new();
    if let Some(s) = sbsector {
        load = vec!["-load".to_owned(), "sbsector".to_owned(), s.to_string()];
    }
    let o = Command::new("xorriso")
        .args(&load)
        .arg("-indev")
        .arg(image)
        .args(["-lsl", "/", "--", "-osirrox", "on", "-extract", "/"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    parse_lsl(&String::from_utf8(o.stdout).unwrap())
}

/// Names and sizes as spindle's front lists them.
fn spindle_files(target: &str) -> BTreeMap<String, u64> {
    let o = Command::new(SPINDLE)
        .args(["xorriso", "-indev", target, "-lsl", "/"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    parse_lsl(&String::from_utf8(o.stdout).unwrap())
}

/// `-lsl` lines as duplicity reads them: 9 fields, size the 5th, the quoted name last.
fn parse_lsl(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 9 && f[0].len() == 10)
                .then(|| (f[8].trim_matches('\'').to_owned(), f[4].parse().unwrap()))
        })
        .collect()
}

/// Full, incremental (a second later), verify, restore with an empty cache; returns the
/// source tree.
fn backup_cycle(work: &Path, url: &str, front: &Path) -> PathBuf {
    let src = source_tree(work);
    let dup = Dup {
        front,
        archive: work.join("cache"),
        capacity: None,
    };
    dup.ok(&["full", src.to_str().unwrap(), url]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(src.join("sub dir/new file.txt"), b"added later\n").unwrap();
    write_random(&src.join("random.bin"), 200_000, 2);
    dup.ok(&["incremental", src.to_str().unwrap(), url]);
    let v = dup.ok(&["verify", url, src.to_str().unwrap()]);
    assert!(v.contains("0 difference(s) found"), "{v}");
    let fresh = Dup {
        front,
        archive: work.join("cache2"),
        capacity: None,
    };
    let restored = work.join("restored");
    fresh.ok(&["restore", url, restored.to_str().unwrap()]);
    same_tree(&src, &restored);
    src
}

fn check_volumes(files: &BTreeMap<String, u64>) {
    let vols: Vec<&String> = files
        .keys()
        .filter(|n| n.contains(".vol1.difftar"))
        .collect();
    assert_eq!(
        vols.len(),
        2,
        "one full and one incremental volume: {files:?}"
    );
    assert!(vols.iter().any(|n| n.starts_with("duplicity-full.")));
    assert!(vols.iter().any(|n| n.starts_with("duplicity-inc.")));
    assert!(files.keys().filter(|n| n.ends_with(".manifest")).count() == 2);
}

#[test]
fn duplicity_into_an_image_file() {
    if !tests::tier::tier(
        "duplicity_into_an_image_file",
        &["duplicity", "xorriso", "python3"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let front = xorriso_front(w, true);
    // duplicity wants the "drive" to exist: an empty file is a blank medium.
    let img = w.join("backup.iso");
    std::fs::File::create(&img).unwrap();
    let url = format!("xorriso://{}", img.display());
    backup_cycle(w, &url, &front);
    let ours = spindle_files(img.to_str().unwrap());
    check_volumes(&ours);
    let extracted = w.join("by-xorriso");
    let theirs = real_xorriso_files(&img, None, &extracted);
    assert_eq!(ours, theirs);
    // The same bytes: spindle get against real xorriso's extraction.
    let got = w.join("by-spindle");
    assert_eq!(
        cli::spindle::run_args([
            "spindle",
            "get",
            img.to_str().unwrap(),
            "/",
            got.to_str().unwrap()
        ]),
        0
    );
    same_tree(&extracted, &got);
}

#[test]
fn duplicity_into_mock_drives() {
    if !tests::tier::tier(
        "duplicity_into_mock_drives",
        &["duplicity", "xorriso", "python3"],
    ) {
        return;
    }
    for (media, by_name) in [("dvd+rw", false), ("dvd+r", true)] {
        let work = tempfile::tempdir().unwrap();
        let w = work.path();
        let front = xorriso_front(w, by_name);
        let drive = w.join("drive");
        let o = Command::new(SPINDLE)
            .args(["mock", "new", drive.to_str().unwrap(), "--media", media])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        // The mock's directory stands for the drive: duplicity needs an existing path.
        let url = format!("xorriso://{}", drive.display());
        backup_cycle(w, &url, &front);
        let spec = format!("mock:{}", drive.display());
        let ours = spindle_files(&spec);
        check_volumes(&ours);
        let state = hal::mock::MockDrive::open(&drive).unwrap().state().unwrap();
        let medium = state.medium.unwrap();
        // Write-once media get one real session per duplicity put; the last complete
        // session's start is where real xorriso must look.
        let sbsector = if media == "dvd+r" {
            assert!(
                medium.sessions >= 6,
                "{media}: {} sessions",
                medium.sessions
            );
            let closed: Vec<_> = medium
                .tracks
                .iter()
                .filter(|t| t.state == "closed")
                .collect();
            Some(closed.last().unwrap().start)
        } else {
            None
        };
        let extracted = w.join("by-xorriso");
        let theirs = real_xorriso_files(&drive.join("media.img"), sbsector, &extracted);
        assert_eq!(ours, theirs, "{media}");
    }
}

#[test]
fn a_full_disc_fails_the_backup_cleanly() {
    if !tests::tier::tier(
        "a_full_disc_fails_the_backup_cleanly",
        &["duplicity", "xorriso", "python3"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let front = xorriso_front(w, true);
    let img = w.join("small.iso");
    std::fs::File::create(&img).unwrap();
    let url = format!("xorriso://{}", img.display());
    let src = source_tree(w);
    // A 1 MiB "medium": the full backup fits, the incremental does not.
    let dup = Dup {
        front: &front,
        archive: w.join("cache"),
        capacity: Some("1m"),
    };
    dup.ok(&["full", src.to_str().unwrap(), &url]);
    let before = std::fs::read(&img).unwrap();
    let full_files = spindle_files(img.to_str().unwrap());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let full_src = w.join("full-src");
    assert!(Command::new("cp")
        .arg("-a")
        .arg(&src)
        .arg(&full_src)
        .status()
        .unwrap()
        .success());
    write_random(&src.join("big.bin"), 1_500_000, 3);
    let out = dup.run(&["incremental", src.to_str().unwrap(), &url]);
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("exceeds free space on media"), "{text}");
    // Nothing was written, and the earlier session restores.
    assert_eq!(std::fs::read(&img).unwrap(), before);
    assert_eq!(spindle_files(img.to_str().unwrap()), full_files);
    let fresh = Dup {
        front: &front,
        archive: w.join("cache2"),
        capacity: None,
    };
    let restored = w.join("restored");
    fresh.ok(&["restore", &url, restored.to_str().unwrap()]);
    same_tree(&full_src, &restored);
    let theirs = real_xorriso_files(&img, None, &w.join("by-xorriso"));
    assert_eq!(theirs, full_files);
}
