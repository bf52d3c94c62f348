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

/// The xorriso front's `-cpx` restores as `get` does: mode, times and (as root) owner are
/// kept, and a symlink already at the destination is replaced, not written through.
#[test]
fn xorriso_cpx_keeps_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    for (name, mode) in [("tool", 0o750), ("key", 0o600)] {
        let p = src.join(name);
        std::fs::write(&p, name.as_bytes()).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        let t = nix::sys::time::TimeSpec::new(1_000_000_000, 0);
        nix::sys::stat::utimensat(
            None,
            &p,
            &t,
            &t,
            nix::sys::stat::UtimensatFlags::FollowSymlink,
        )
        .unwrap();
    }
    let root = nix::unistd::geteuid().is_root();
    if root {
        std::os::unix::fs::chown(src.join("tool"), Some(4321), Some(8765)).unwrap();
    }
    let iso = dir.path().join("x.iso");
    let iso = iso.to_str().unwrap();
    let o = spindle(&["put", iso, src.to_str().unwrap(), "/d", "--commit"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // A link planted where a file is restored must not be followed.
    let bystander = dir.path().join("bystander");
    std::fs::write(&bystander, b"untouched").unwrap();
    std::os::unix::fs::symlink(&bystander, out.join("key")).unwrap();
    let one = out.join("renamed");
    for args in [
        vec!["-cpx", "/d/tool", one.to_str().unwrap()],
        vec!["-cpx", "/d/tool", "/d/key", out.to_str().unwrap()],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_spindle-dev"))
            .args(["xorriso", "-indev", iso, "-osirrox", "on"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
    }
    let md = |p: &Path| std::fs::symlink_metadata(p).unwrap();
    for p in [one.clone(), out.join("tool")] {
        assert_eq!(std::fs::read(&p).unwrap(), b"tool");
        assert_eq!(md(&p).mode() & 0o7777, 0o750, "{}", p.display());
        assert_eq!(md(&p).mtime(), 1_000_000_000, "{}", p.display());
        if root {
            assert_eq!(
                (md(&p).uid(), md(&p).gid()),
                (4321, 8765),
                "{}",
                p.display()
            );
        }
    }
    let key = out.join("key");
    assert!(md(&key).file_type().is_file(), "the planted link was kept");
    assert_eq!(md(&key).mode() & 0o7777, 0o600);
    assert_eq!(md(&key).mtime(), 1_000_000_000);
    assert_eq!(std::fs::read(&bystander).unwrap(), b"untouched");
}

/// SIGINT during a burn stops it before its next WRITE, and the burn fails like any other:
/// how far it got, what the disc is left as, what to do next; exit 5 (interrupted).
#[test]
fn an_interrupted_burn_says_what_the_disc_is_left_as() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let data: Vec<u8> = (0..8_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(src.join("big"), data).unwrap();
    let iso = dir.path().join("big.iso");
    let o = spindle(&["image", "-o", iso.to_str().unwrap(), src.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mock = dir.path().join("drive");
    let m = mock.to_str().unwrap();
    let o = spindle(&[
        "mock",
        "new",
        m,
        "--media",
        "dvd+r",
        "--pace",
        "500",
        "--buffer-kib",
        "256",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let child = Command::new(env!("CARGO_BIN_EXE_spindle-dev"))
        .args(["burn", &format!("mock:{m}"), iso.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once WRITEs are going (the transcript shows them), not before.
    let started = std::time::Instant::now();
    while !transcript(&mock).lines().any(|l| l.starts_with("2A ")) {
        assert!(started.elapsed().as_secs() < 60, "no WRITE within a minute");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(
        err.contains("burn stopped while writing the image after"),
        "{err}"
    );
    assert!(err.contains("the new session is left open"), "{err}");
    assert!(err.contains("spindle close"), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    let state = text(&spindle(&["mock", "state", m]).stdout);
    assert!(state.contains("last session incomplete"), "{state}");
}

/// A power loss at SYNCHRONIZE CACHE that the drive rolls back (the data never reached the
/// disc) is reported as the drive reports the disc afterwards: no session left open.
#[test]
fn a_rolled_back_burn_does_not_claim_an_open_session() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("f"), vec![7u8; 300_000]).unwrap();
    let iso = dir.path().join("x.iso");
    let o = spindle(&["image", "-o", iso.to_str().unwrap(), src.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for media in ["dvd+r", "cd-r"] {
        let mock = dir.path().join(media);
        let m = mock.to_str().unwrap();
        let o = spindle(&["mock", "new", m, "--media", media]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let o = spindle(&["mock", "fault", m, "--opcode", "35", "--power-loss"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let o = spindle(&["burn", &format!("mock:{m}"), iso.to_str().unwrap()]);
        let err = text(&o.stderr);
        assert_ne!(o.status.code(), Some(0), "{media}: {err}");
        assert!(err.contains("no session is left open"), "{media}: {err}");
        assert!(!err.contains("left open;"), "{media}: {err}");
        assert!(!err.contains("spindle close"), "{media}: {err}");
        let state = text(&spindle(&["mock", "state", m]).stdout);
        assert!(state.contains("Disc:         blank"), "{media}: {state}");
    }
}

fn transcript(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("transcript.log")).unwrap_or_default()
}

/// Case 3: two processes on one mock drive. While one burns, a second burn (and a `close`)
/// is refused as busy, exit 14, naming the holder and never advising `close`; the first
/// burn is not disturbed. The medium is locked in the drive while the burn writes.
#[test]
fn a_second_process_is_refused_while_a_burn_runs() {
    let dir = tempfile::tempdir().unwrap();
    let drive = dir.path().join("drive");
    let d = drive.to_str().unwrap();
    assert_eq!(
        spindle(&["mock", "new", d, "--media", "dvd+r"])
            .status
            .code(),
        Some(0)
    );
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    // Sparse: cheap to make, slow enough to burn that the test can catch it mid-write.
    std::fs::File::create(src.join("big"))
        .unwrap()
        .set_len(512 << 20)
        .unwrap();
    let spec = format!("mock:{d}");
    let tree = format!("/={}", src.display());
    let mut first = Command::new(env!("CARGO_BIN_EXE_spindle-dev"))
        .args(["burn", &spec, "--new-disc", "-V", "FIRST", "--tree", &tree])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = first.id();
    let signal = |sig: &str| {
        let ok = Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !transcript(&drive).lines().any(|l| l.starts_with("2A ")) {
        assert!(
            std::time::Instant::now() < deadline,
            "the first burn never wrote"
        );
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first burn ended early"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    // Frozen mid-write, it still holds the drive.
    signal("-STOP");
    let second = spindle(&["burn", &spec, "-V", "SECOND", "--tree", &tree]);
    let close = spindle(&["close", &spec]);
    signal("-CONT");
    let out = first.wait_with_output().unwrap();
    for (what, o) in [("burn", &second), ("close", &close)] {
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(14), "second {what}: {err}");
        assert!(err.contains(&format!("pid {pid}")), "{what}: {err}");
        assert!(!err.contains("spindle close"), "{what}: {err}");
    }
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The medium was locked from before the first WRITE until after the last command of
    // the burn, and is free now.
    let t = transcript(&drive);
    let lines: Vec<&str> = t.lines().collect();
    let prevent = lines.iter().position(|l| l.starts_with("1E 00 00 00 01"));
    let first_write = lines.iter().position(|l| l.starts_with("2A "));
    let allow = lines.iter().rposition(|l| l.starts_with("1E 00 00 00 00"));
    let last_write = lines.iter().rposition(|l| l.starts_with("2A "));
    assert!(
        matches!((prevent, first_write, last_write, allow), (Some(p), Some(w), Some(lw), Some(a)) if p < w && lw < a),
        "{prevent:?} {first_write:?} {last_write:?} {allow:?}"
    );
    let o = spindle(&["ls", &spec]);
    assert_eq!(text(&o.stdout), "big\n", "{}", text(&o.stderr));
}

/// Case 3: a burn that fails still lets the medium go.
#[test]
fn a_failed_burn_unlocks_the_medium() {
    let dir = tempfile::tempdir().unwrap();
    let drive = dir.path().join("drive");
    let d = drive.to_str().unwrap();
    assert_eq!(
        spindle(&["mock", "new", d, "--media", "dvd+r"])
            .status
            .code(),
        Some(0)
    );
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("f"), vec![1u8; 1 << 20]).unwrap();
    assert_eq!(
        spindle(&["mock", "fault", d, "--opcode", "2A", "--nth", "3", "--sense", "3/0C/00"])
            .status
            .code(),
        Some(0)
    );
    let spec = format!("mock:{d}");
    let tree = format!("/={}", src.display());
    let o = spindle(&["burn", &spec, "--new-disc", "--tree", &tree]);
    assert_ne!(o.status.code(), Some(0));
    let t = transcript(&drive);
    let last = t.lines().rev().find(|l| l.starts_with("1E ")).unwrap_or("");
    assert!(last.starts_with("1E 00 00 00 00"), "{t}");
    // So the operator's eject works.
    assert_eq!(spindle(&["mock", "eject", d]).status.code(), Some(0));
}

/// Case 8: concurrent `put`s into one image all land in the journal.
#[test]
fn concurrent_puts_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("x.iso");
    let iso = iso.to_str().unwrap();
    let children: Vec<_> = (0..12)
        .map(|i| {
            let f = dir.path().join(format!("g{i}"));
            std::fs::write(&f, format!("{i}")).unwrap();
            Command::new(env!("CARGO_BIN_EXE_spindle-dev"))
                .args(["put", iso, f.to_str().unwrap(), &format!("/g{i}")])
                .stderr(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let o = spindle(&["commit", iso, "--dry-run"]);
    let adds = text(&o.stdout)
        .lines()
        .filter(|l| l.starts_with("add "))
        .count();
    assert_eq!(adds, 12, "{}", text(&o.stdout));
}

/// Case 8: a symlink planted at the journal's name is neither followed nor written through.
#[test]
fn a_planted_journal_symlink_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("x.iso");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join(".x.iso.spindle-pending")).unwrap();
    let f = dir.path().join("f");
    std::fs::write(&f, b"x").unwrap();
    let o = spindle(&["put", iso.to_str().unwrap(), f.to_str().unwrap(), "/f"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o.stderr).contains("symlink"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
}

/// Case 8: pending changes belong to one medium: a new medium in the mock drops them.
#[test]
fn pending_changes_do_not_follow_a_new_medium() {
    let dir = tempfile::tempdir().unwrap();
    let drive = dir.path().join("drive");
    let d = drive.to_str().unwrap();
    let spec = format!("mock:{d}");
    assert_eq!(
        spindle(&["mock", "new", d, "--media", "dvd+r"])
            .status
            .code(),
        Some(0)
    );
    let f = dir.path().join("f");
    std::fs::write(&f, b"x").unwrap();
    assert_eq!(
        spindle(&["put", &spec, f.to_str().unwrap(), "/f"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        spindle(&["mock", "new", d, "--media", "dvd+r"])
            .status
            .code(),
        Some(0)
    );
    let o = spindle(&["commit", &spec]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "nothing to commit\n");
    // An image file replaced under the same name is another medium too.
    let iso = dir.path().join("x.iso");
    let i = iso.to_str().unwrap();
    assert_eq!(
        spindle(&["put", i, f.to_str().unwrap(), "/f"])
            .status
            .code(),
        Some(0)
    );
    std::fs::write(dir.path().join("other.iso"), b"").unwrap();
    std::fs::rename(dir.path().join("other.iso"), &iso).unwrap();
    let o = spindle(&["commit", i]);
    assert_ne!(o.status.code(), Some(0));
    assert!(
        text(&o.stderr).contains("changed since"),
        "{}",
        text(&o.stderr)
    );
}

/// Case 10: a `put --commit` that does not fit does not claim its changes stay pending.
#[test]
fn a_put_commit_that_does_not_fit_says_nothing_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("x.iso");
    let f = dir.path().join("big");
    std::fs::write(&f, vec![1u8; 4 << 20]).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_spindle-dev"))
        .args([
            "put",
            iso.to_str().unwrap(),
            f.to_str().unwrap(),
            "/big",
            "--commit",
        ])
        .env("SPINDLE_IMAGE_CAPACITY", "1m")
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("stay pending"), "{err}");
    assert!(err.contains("not recorded"), "{err}");
    let o = spindle(&["commit", iso.to_str().unwrap()]);
    assert_eq!(text(&o.stdout), "nothing to commit\n");
}

/// Case 10: names with control characters and escape sequences are printed escaped.
#[test]
fn names_are_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let evil = "x\u{1b}]0;owned\u{7}\u{1b}[2Jy";
    std::fs::write(src.join(evil), b"x").unwrap();
    let iso = dir.path().join("x.iso");
    let iso = iso.to_str().unwrap();
    let o = spindle(&["put", iso, src.to_str().unwrap(), "/d", "--commit"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for cmd in ["ls", "lsl"] {
        let o = spindle(&[cmd, iso, "/d"]);
        let out = text(&o.stdout);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{cmd}: {out:?}"
        );
        assert!(
            out.contains("x\\x1b]0;owned\\x07\\x1b[2Jy"),
            "{cmd}: {out:?}"
        );
    }
    let o = spindle(&["get", iso, "/d", dir.path().join("out").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains('\u{1b}'));
    assert!(dir.path().join("out/d").join(evil).is_file());
}
