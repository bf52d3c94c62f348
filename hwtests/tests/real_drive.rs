//! Tests against a real optical drive, named by `SPINDLE_TEST_DEVICE=/dev/srN` (the house-style
//! `OPTICAL_TEST_DEVICE` works too). Without it each test prints `NOT RUN` and returns; the
//! names say so, so a green line is never mistaken for a drive that was tested. Read-only:
//! nothing here writes, ejects or locks.
//!
//! Run: `SPINDLE_TEST_DEVICE=/dev/sr0 cargo test -p hwtests --test real_drive -- --ignored --nocapture`

mod common;

use std::io::{Read, Seek, SeekFrom};

use common::{build_cli, hex_bytes, run, str_at, u64_at};

/// `mmc-probe` exit codes this test accepts: probed with a medium, or without one.
const EXIT_OK: i32 = 0;
const EXIT_NO_MEDIUM: i32 = 6;

#[test]
#[ignore = "needs a drive: set SPINDLE_TEST_DEVICE=/dev/srN"]
#[allow(non_snake_case)] // the name carries the variable it needs
fn real_drive_probe_requires_SPINDLE_TEST_DEVICE() {
    let device = require_device!();
    let bins = build_cli().unwrap_or_else(|e| panic!("{e}"));
    let o = run(std::process::Command::new(&bins.mmc_probe).args(["--json", &device]));
    assert!(!o.panicked(), "mmc-probe panicked: {}", o.describe());
    assert!(
        matches!(o.rc, Some(EXIT_OK | EXIT_NO_MEDIUM)),
        "mmc-probe --json {device} should exit 0 or 6: {}",
        o.describe()
    );
    let v = o.json().unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "{device}: {} {} {}",
        str_at(&v, "/vendor"),
        str_at(&v, "/product"),
        str_at(&v, "/revision")
    );
    assert_eq!(str_at(&v, "/device"), device);
    assert!(
        !str_at(&v, "/vendor").is_empty() && !str_at(&v, "/product").is_empty(),
        "no identity: {v}"
    );
    assert_eq!(
        u64_at(&v, "/peripheral_type"),
        Some(5),
        "not an MMC device (peripheral type 5): {v}"
    );
    let profiles = v["profiles"].as_array().cloned().unwrap_or_default();
    assert!(
        !profiles.is_empty(),
        "an MMC drive lists at least one profile: {v}"
    );
    let current: Vec<_> = profiles.iter().filter(|p| p["current"] == true).collect();
    assert!(
        current.len() <= 1,
        "more than one current profile: {current:?}"
    );
    assert!(
        v["tray"]["medium_present"].is_boolean(),
        "tray.medium_present missing: {v}"
    );
    if o.rc == Some(EXIT_NO_MEDIUM) {
        assert!(
            v["medium"].is_null(),
            "exit 6 (no medium) but a medium is reported: {v}"
        );
        eprintln!("{device}: no medium; capacity checks skipped");
        return;
    }
    let m = &v["medium"];
    assert!(m.is_object(), "exit 0 but no medium object: {v}");
    assert_eq!(
        current.len(),
        1,
        "a medium is present but no profile is current: {v}"
    );
    assert_eq!(
        u64_at(&v, "/current_profile/code"),
        current[0]["code"].as_u64()
    );
    let status = str_at(m, "/disc_status");
    assert!(
        matches!(status, "blank" | "appendable" | "complete" | "other"),
        "disc_status {status:?}"
    );
    let cap = &m["capacity"];
    let (total, used, free) = (
        u64_at(cap, "/total_blocks").unwrap_or(0),
        u64_at(cap, "/used_blocks").unwrap_or(0),
        u64_at(cap, "/free_blocks").unwrap_or(0),
    );
    assert_eq!(u64_at(cap, "/block_size"), Some(2048), "{cap}");
    assert!(
        used <= total && free <= total,
        "capacity: used {used} free {free} total {total}"
    );
    assert_eq!(u64_at(cap, "/total_bytes"), Some(total * 2048));
    eprintln!("{device}: {status}, {total} blocks ({used} used, {free} free)");
}

#[test]
#[ignore = "needs a drive: set SPINDLE_TEST_DEVICE=/dev/srN"]
#[allow(non_snake_case)] // the name carries the variable it needs
fn real_drive_read_lba16_requires_SPINDLE_TEST_DEVICE() {
    let device = require_device!();
    let bins = build_cli().unwrap_or_else(|e| panic!("{e}"));
    let o = run(std::process::Command::new(&bins.mmc_probe).args(["--battery", "--json", &device]));
    assert_eq!(
        o.rc,
        Some(EXIT_OK),
        "mmc-probe --battery --json {device}: {}",
        o.describe()
    );
    let v = o.json().unwrap_or_else(|e| panic!("{e}"));
    let replies = v.as_array().cloned().unwrap_or_default();
    let ready = replies
        .iter()
        .any(|r| r["name"] == "TEST UNIT READY" && r["status"] == "GOOD");
    if !ready {
        eprintln!("NOT RUN: {device} is not ready (no medium?); LBA 16 was not read");
        return;
    }
    let read = replies
        .iter()
        .find(|r| r["name"] == "READ(10) LBA 16")
        .unwrap_or_else(|| panic!("the battery has no READ(10) LBA 16: {v}"));
    if read["status"] != "GOOD" {
        // A blank or audio disc has no LBA 16 to read; that is not a failure of the tool.
        eprintln!(
            "NOT RUN: {device}: READ(10) LBA 16 gave {} {}",
            read["status"], read["sense"]
        );
        return;
    }
    let data = hex_bytes(str_at(read, "/data")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        data.len(),
        2048,
        "READ(10) of one block returned {} bytes",
        data.len()
    );
    // The same block through the kernel's block layer must match the SG_IO read.
    if device.starts_with("/dev/sr") {
        let mut kernel = vec![0u8; 2048];
        let read_block = std::fs::File::open(&device).and_then(|mut f| {
            f.seek(SeekFrom::Start(16 * 2048))
                .and_then(|_| f.read_exact(&mut kernel))
        });
        match read_block {
            Ok(()) => assert!(
                kernel == data,
                "SG_IO READ(10) and a read() of {device} disagree on LBA 16"
            ),
            Err(e) => {
                eprintln!("{device}: read() of LBA 16 failed ({e}); SG_IO data not cross-checked")
            }
        }
    }
    let kind = match data.get(1..6) {
        Some(b"CD001") => "ISO 9660 volume descriptor",
        Some(b"BEA01" | b"NSR02" | b"NSR03") => "UDF volume recognition sequence",
        _ => "no known volume descriptor",
    };
    eprintln!("{device}: LBA 16 read, {kind}");
}
