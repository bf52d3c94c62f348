//! The hardening issue's cases, end to end through the `spindle` binary: hostile images cost
//! work in proportion to their size, one damaged entry costs only itself, restores keep
//! metadata and can run again, and more (each test names its case).

#[path = "../../iso9660/tests/support/crafted.rs"]
mod crafted;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

fn spindle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spindle-dev"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Case 1: a 4 MiB image whose root holds 64 directory records pointing at overlapping
/// extents lists at once, and reading all of it stays within the image's budget.
#[test]
fn overlapping_directories_list_and_restore_in_bounded_work() {
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("evil.iso");
    std::fs::write(&iso, crafted::overlapping_dirs()).unwrap();
    let iso = iso.to_str().unwrap();
    let started = std::time::Instant::now();
    let o = spindle(&["ls", iso]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().count(), 64);
    // Reading everything: the overlapping directories are named, the rest restored.
    let out = dir.path().join("out");
    let o = spindle(&["get", iso, "/", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("overlaps another"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

/// Case 2: one file whose extent lies past the end: `ls` lists the others and names it,
/// `get` restores the others, names it, and exits non-zero.
#[test]
fn one_bad_record_costs_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("bad.iso");
    std::fs::write(&iso, crafted::one_bad_extent()).unwrap();
    let iso = iso.to_str().unwrap();
    let o = spindle(&["ls", iso]);
    assert_eq!(text(&o.stdout), "A.TXT\nC.TXT\nSUB\n");
    assert!(text(&o.stderr).contains("'/B.TXT'"), "{}", text(&o.stderr));
    assert_eq!(o.status.code(), Some(1));
    // An unrelated directory lists cleanly.
    let o = spindle(&["ls", iso, "/SUB"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "D.TXT\n");

    let out = dir.path().join("out");
    let o = spindle(&["get", iso, "/", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("B.TXT"), "{}", text(&o.stderr));
    for (name, content) in crafted::GOOD_FILES {
        assert_eq!(std::fs::read(out.join(name)).unwrap(), content, "{name}");
    }
    assert!(!out.join("B.TXT").exists());
    // Asking for the unrelated file alone succeeds.
    let one = dir.path().join("one");
    let o = spindle(&["get", iso, "/C.TXT", one.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

/// Case 6: a 0600 key in a 0700 directory, an executable, a symlink and old mtimes come back
/// as they were, and a second run into the same directory works.
#[test]
fn restores_keep_metadata_and_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let secret = src.join("secret");
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::write(secret.join("key"), b"k").unwrap();
    std::fs::write(src.join("tool"), b"#!/bin/sh\n").unwrap();
    std::os::unix::fs::symlink("tool", src.join("link")).unwrap();
    std::fs::set_permissions(secret.join("key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(src.join("tool"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let old = nix::sys::time::TimeSpec::new(1_000_000_000, 0);
    for p in [secret.join("key"), src.join("tool")] {
        nix::sys::stat::utimensat(
            None,
            &p,
            &old,
            &old,
            nix::sys::stat::UtimensatFlags::FollowSymlink,
        )
        .unwrap();
    }
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o700)).unwrap();
    let iso = dir.path().join("x.iso");
    let iso = iso.to_str().unwrap();
    let o = spindle(&["put", iso, src.to_str().unwrap(), "/d", "--commit"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = dir.path().join("out");
    for run in 0..2 {
        let o = spindle(&["get", iso, "/d", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "run {run}: {}", text(&o.stderr));
        let md = |p: &str| std::fs::symlink_metadata(out.join(p)).unwrap();
        assert_eq!(md("d/secret").mode() & 0o7777, 0o700, "run {run}");
        assert_eq!(md("d/secret/key").mode() & 0o7777, 0o600, "run {run}");
        assert_eq!(md("d/tool").mode() & 0o7777, 0o755, "run {run}");
        assert_eq!(md("d/tool").mtime(), 1_000_000_000, "run {run}");
        assert_eq!(md("d/secret/key").mtime(), 1_000_000_000, "run {run}");
        assert!(md("d/link").file_type().is_symlink());
        assert_eq!(
            std::fs::read_link(out.join("d/link")).unwrap(),
            Path::new("tool")
        );
    }
}
