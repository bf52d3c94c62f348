//! The binaries as a user runs them: exit codes, messages on stderr, output on stdout.

use std::process::{Command, Output};

fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin).args(args).output().expect("run binary")
}

fn probe(args: &[&str]) -> Output {
    run(env!("CARGO_BIN_EXE_mmc-probe"), args)
}

fn spindle(args: &[&str]) -> Output {
    run(env!("CARGO_BIN_EXE_spindle"), args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn mmc_probe_bad_input_is_named_with_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.iso");
    std::fs::write(&file, [0u8; 4096]).unwrap();
    let cases = [
        ("/no/such/node", 3, "no such device"),
        ("/dev/null", 5, "does not accept SG_IO"),
        (dir.path().to_str().unwrap(), 5, "is a directory"),
        (file.to_str().unwrap(), 5, "regular file"),
    ];
    for (dev, code, text) in cases {
        let o = probe(&[dev]);
        assert_eq!(
            o.status.code(),
            Some(code),
            "mmc-probe {dev}: {}",
            stderr(&o)
        );
        assert!(stderr(&o).contains(text), "mmc-probe {dev}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(dev),
            "the message names the device: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"));
    }
    let o = probe(&["--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn corrupt_mock_dir_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("state.json"), b"{\"version\": 1, \"garbage").unwrap();
    let dev = format!("mock:{}", dir.path().display());
    let o = probe(&[&dev]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("spindle mock new"), "{}", stderr(&o));
}

#[test]
fn mock_lifecycle_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let dev = format!("mock:{d}");
    assert!(spindle(&["mock", "new", d]).status.success());
    assert_eq!(probe(&[&dev]).status.code(), Some(6), "empty drive");
    let o = spindle(&["mock", "insert", d, "--media", "bd-re", "--blank"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = probe(&["--json", &dev]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["current_profile"]["name"], "BD-RE");
    assert_eq!(j["medium"]["formatted"], "unformatted");
    // Locked by the host: the operator's button does nothing.
    assert!(spindle(&["lock", &dev]).status.success());
    let o = spindle(&["mock", "eject", d]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("locked"), "{}", stderr(&o));
    // Our eject refuses without unlocking, naming the decoded sense.
    let o = spindle(&["eject", "--no-unlock", &dev]);
    assert_eq!(o.status.code(), Some(15), "{}", stderr(&o));
    assert!(stderr(&o).contains("5/53/02"), "{}", stderr(&o));
    assert!(
        stderr(&o)
            .to_lowercase()
            .contains("medium removal prevented"),
        "{}",
        stderr(&o)
    );
    assert!(spindle(&["eject", &dev]).status.success());
    let o = spindle(&["mock", "state", d, "--json"]);
    let st: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(st["tray_open"], true);
    // Faults from the command line reach the drive.
    assert!(spindle(&["load", &dev]).status.success());
    assert!(
        spindle(&["mock", "fault", d, "--opcode", "25", "--sense", "4/44/00"])
            .status
            .success()
    );
    let o = spindle(&["mock", "fault", d, "--list"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("25"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = spindle(&["mock", "fault", d, "--opcode", "2A", "--sense", "13/00/00"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "sense key out of range is a usage error"
    );
    let t = spindle(&["mock", "transcript", d, "--tail", "3"]);
    assert!(t.status.success());
    assert_eq!(String::from_utf8_lossy(&t.stdout).lines().count(), 3);
}

#[test]
fn image_print_size_is_what_gets_written() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("deep/er")).unwrap();
    std::fs::write(src.join("a.txt"), b"hello").unwrap();
    std::fs::write(src.join("deep/er/b.bin"), vec![7u8; 100_000]).unwrap();
    let s = src.to_str().unwrap();
    let o = spindle(&[
        "image",
        "-print-size",
        "-graft-points",
        &format!("2026/11/22/={s}"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sectors: u64 = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap();
    let out = dir.path().join("x.iso");
    let o = spindle(&[
        "image",
        "-V",
        "CEDAR BACKUP 22-NOV-2026",
        "-o",
        out.to_str().unwrap(),
        &format!("2026/11/22/={s}"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::metadata(&out).unwrap().len(), sectors * 2048);
    let o = spindle(&["image", "-o", "-", s]);
    assert!(o.status.success());
    assert_eq!(o.stdout.len() as u64 % 2048, 0);
    let o = spindle(&["image", "-o", out.to_str().unwrap(), "/no/such/source"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/no/such/source"), "{}", stderr(&o));
}

#[test]
fn verify_tree_reads_the_disc_and_names_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join("a.txt"), b"alpha\n").unwrap();
    std::fs::write(src.join("sub/b.bin"), vec![0x5au8; 300_000]).unwrap();
    let single = dir.path().join("one.txt");
    std::fs::write(&single, b"single file\n").unwrap();
    let d = dir.path().join("drive");
    let dev = format!("mock:{}", d.display());
    assert!(
        spindle(&["mock", "new", d.to_str().unwrap(), "--media", "dvd+r"])
            .status
            .success()
    );
    let day = format!("day1/={}", src.display());
    let one = format!("extra/one.txt={}", single.display());
    let o = spindle(&["burn", &dev, "--tree", &day, &one, "-V", "VERIFY"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = spindle(&["verify", &dev, "--tree", &day, &one]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("verified 3 files"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // A source that changed after the burn is named.
    std::fs::write(src.join("a.txt"), b"ALPHA\n").unwrap();
    let o = spindle(&["verify", &dev, "--tree", &day]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("file contents vary for [a.txt]"),
        "{}",
        stderr(&o)
    );
    std::fs::write(src.join("a.txt"), b"alpha\n").unwrap();
    // A flipped byte on the medium is found through the drive.
    let img = d.join("media.img");
    let mut bytes = std::fs::read(&img).unwrap();
    let at = bytes.windows(6).position(|w| w == [0x5a; 6]).unwrap() + 1000;
    bytes[at] ^= 0xff;
    std::fs::write(&img, bytes).unwrap();
    let o = spindle(&["verify", &dev, "--tree", &day]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("[sub/b.bin]"), "{}", stderr(&o));
    // Sources that are not on the disc at all.
    let o = spindle(&[
        "verify",
        &dev,
        "--tree",
        &format!("elsewhere/={}", src.display()),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not on the disc"), "{}", stderr(&o));
}
