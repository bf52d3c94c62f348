//! Bring-up in the field: `mmc-probe --report` recorded from a mock with a non-default
//! configuration and replayed by `spindle mock new --profile` (the batteries must match
//! except the fields the medium model decides, and must not match a plain mock), and
//! `mmc-probe --write-test` on every writable medium the mock models, with its refusals.

use std::path::Path;
use std::process::Output;

use hal::mock::{MediaKind, MockConfig, MockDrive, Quirks};
use serde_json::Value;
use tests::{output_text as text, run_bin as run};

const PROBE: &str = env!("CARGO_BIN_EXE_mmc-probe-dev");
const SPINDLE: &str = env!("CARGO_BIN_EXE_spindle-dev");

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn spec(dir: &Path) -> String {
    format!("mock:{}", dir.display())
}

/// A mock drive in `dir` with `config`, holding `kind`, settled (its unit attentions taken,
/// as a kernel's polling takes them).
fn mock(dir: &Path, config: MockConfig, kind: Option<MediaKind>) {
    let mut d = MockDrive::create(dir, config).unwrap();
    if let Some(k) = kind {
        d.insert(k, false, None).unwrap();
    }
    let o = run(PROBE, &["--json", &spec(dir)]);
    assert!(matches!(code(&o), 0 | 6), "{}", text(&o));
}

fn against(report: &Path, dir: &Path) -> (i32, Value) {
    let o = run(
        PROBE,
        &[
            "--battery",
            "--against",
            &report.display().to_string(),
            "--json",
            &spec(dir),
        ],
    );
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    (code(&o), v)
}

fn report(dir: &Path, out: &Path) -> Value {
    let o = run(
        PROBE,
        &["--report", &spec(dir), "-o", &out.display().to_string()],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

fn replay(report: &Path, dir: &Path, media: &str) -> Output {
    run(
        SPINDLE,
        &[
            "mock",
            "new",
            &dir.display().to_string(),
            "--profile",
            &report.display().to_string(),
            "--media",
            media,
        ],
    )
}

#[test]
fn a_recorded_drive_replays_field_by_field() {
    let t = tempfile::tempdir().unwrap();
    let orig = t.path().join("orig");
    // Not the mock's defaults: identity, buffer, serial, the short MMC-2 page 2Ah.
    let config = MockConfig {
        vendor: "ACME".into(),
        product: "BURNMASTER 9000".into(),
        revision: "1.2b".into(),
        serial: "SN-0042-XYZ".into(),
        buffer_bytes: 2 * 1024 * 1024,
        quirks: Quirks {
            legacy_page_2a: true,
            ..Quirks::default()
        },
        ..MockConfig::default()
    };
    mock(&orig, config, Some(MediaKind::DvdPlusRw));
    let file = t.path().join("drive.json");
    let r = report(&orig, &file);
    assert_eq!(r["format"], "spindle-drive-report");
    assert_eq!(r["version"], 1);
    assert_eq!(r["identity"]["vendor"], "ACME");
    assert_eq!(r["identity"]["product"], "BURNMASTER 9000");
    assert_eq!(r["buffer"]["length_bytes"], 2 * 1024 * 1024);
    assert_eq!(r["current_profile"], 0x1a);
    assert!(r["kernel"].is_null(), "a mock has no kernel view");
    assert!(r["features"].as_array().unwrap().len() > 10);
    assert!(r["mode_pages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["code"] == 0x2a));
    assert!(!r["write_speeds"].as_array().unwrap().is_empty());
    let battery = r["battery"].as_array().unwrap();
    assert!(battery.len() >= 26, "{}", battery.len());
    assert!(battery.iter().all(|b| b["duration_us"].is_u64()));
    // The serial (VPD page 83h) is overwritten, and the report says where.
    let raw = std::fs::read_to_string(&file).unwrap();
    let serial_hex: Vec<String> = b"SN-0042-XYZ".iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        !raw.contains(&serial_hex.join(" ")),
        "the serial is in the report"
    );
    assert!(r["redacted"][0]["place"]
        .as_str()
        .unwrap()
        .starts_with("battery/INQUIRY VPD 83"));

    // Replayed, on a disc of the same kind: equal except the medium fields.
    let rep = t.path().join("rep");
    let o = replay(&file, &rep, "dvd+rw");
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = run(PROBE, &["--json", &spec(&rep)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let (rc, cmp) = against(&file, &rep);
    assert_eq!(rc, 0, "{cmp:#}");
    assert!(cmp["differences"].as_array().unwrap().is_empty());
    assert_eq!(cmp["compared"].as_array().unwrap().len(), battery.len());
    // The probe of the replay shows the recorded drive.
    let p: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(p["vendor"], "ACME");
    assert_eq!(p["buffer_size_kib"], 2048);

    // On another medium the drive still answers as itself: only medium fields move.
    let other = t.path().join("other");
    assert_eq!(code(&replay(&file, &other, "bd-re")), 0);
    run(PROBE, &["--json", &spec(&other)]);
    let (rc, cmp) = against(&file, &other);
    assert_eq!(rc, 0, "{cmp:#}");

    // A plain mock is not that drive: the comparison finds it and exits 8.
    let plain = t.path().join("plain");
    mock(&plain, MockConfig::default(), Some(MediaKind::DvdPlusRw));
    let (rc, cmp) = against(&file, &plain);
    assert_eq!(rc, 8, "{cmp:#}");
    let diffs: Vec<&str> = cmp["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["command"].as_str().unwrap())
        .collect();
    for want in ["INQUIRY", "MODE SENSE(10) 2A", "READ BUFFER CAPACITY"] {
        assert!(
            diffs.contains(&want),
            "{want} not found different: {diffs:?}"
        );
    }
}

#[test]
fn refused_commands_are_replayed_with_their_sense() {
    let t = tempfile::tempdir().unwrap();
    let orig = t.path().join("orig");
    // An MMC-1 drive: GET CONFIGURATION is an unknown opcode (05/20/00).
    let config = MockConfig {
        quirks: Quirks {
            get_configuration_unsupported: true,
            ..Quirks::default()
        },
        ..MockConfig::default()
    };
    mock(&orig, config, Some(MediaKind::CdR));
    let file = t.path().join("drive.json");
    let r = report(&orig, &file);
    assert!(r["features"].as_array().unwrap().is_empty());
    let rep = t.path().join("rep");
    assert_eq!(code(&replay(&file, &rep, "cd-r")), 0);
    run(PROBE, &["--json", &spec(&rep)]);
    let o = run(PROBE, &["--battery", "--json", &spec(&rep)]);
    let b: Value = serde_json::from_slice(&o.stdout).unwrap();
    let gc = b
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "GET CONFIGURATION all")
        .unwrap();
    assert_eq!(gc["status"], "CHECK CONDITION");
    assert_eq!(
        (gc["sense_key"].clone(), gc["asc"].clone()),
        (5.into(), 0x20.into())
    );
    let (rc, cmp) = against(&file, &rep);
    assert_eq!(rc, 0, "{cmp:#}");
}

#[test]
fn a_profile_refuses_media_the_drive_does_not_list() {
    let t = tempfile::tempdir().unwrap();
    let orig = t.path().join("orig");
    mock(&orig, MockConfig::default(), None);
    let file = t.path().join("drive.json");
    report(&orig, &file);
    // Strip every profile but CD-R from the recording's Profile List.
    let mut v: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    for b in v["battery"].as_array_mut().unwrap() {
        if b["name"] == "GET CONFIGURATION all" {
            let mut d = cli::cmd::battery::unhex(b["data"].as_str().unwrap()).unwrap();
            // Header (8), then 0000h: 4-byte header and 13 entries of 4 bytes.
            let entries = usize::from(d[11]) / 4;
            let list: Vec<u8> = d[12..12 + 4 * entries]
                .chunks(4)
                .filter(|e| e[..2] == [0x00, 0x09])
                .flatten()
                .copied()
                .collect();
            d.splice(12..12 + 4 * entries, list);
            d[11] = 4;
            let total = (d.len() - 4) as u32;
            d[..4].copy_from_slice(&total.to_be_bytes());
            b["data"] = cli::cmd::human::hex(&d).into();
        }
    }
    std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    let o = replay(&file, &t.path().join("rep"), "dvd+r");
    assert_ne!(code(&o), 0, "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("does not list dvd+r") && err.contains("CD-R (0009h)"),
        "{err}"
    );
    assert_eq!(code(&replay(&file, &t.path().join("ok"), "cd-r")), 0);
}

/// The step verdicts the write test gives for each medium.
fn expected_steps(kind: MediaKind) -> Vec<(&'static str, &'static str)> {
    let mut s = vec![("inspect", "pass")];
    if matches!(kind, MediaKind::DvdPlusRw | MediaKind::BdRe) {
        // Inserted unformatted (the tests load overwritable media blank).
        s.push(("format", "pass"));
    }
    s.extend([
        ("new session", "pass"),
        ("append", "pass"),
        ("verify tree", "pass"),
        ("read sessions", "pass"),
    ]);
    s.push(match kind {
        MediaKind::CdRw | MediaKind::DvdRw => ("blank", "pass"),
        MediaKind::DvdPlusRw | MediaKind::BdRe | MediaKind::DvdRwRo => ("format after", "pass"),
        _ => ("blank", "skipped"),
    });
    s
}

fn write_test(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["--write-test"];
    args.extend_from_slice(extra);
    let s = spec(dir);
    args.push(&s);
    run(PROBE, &args)
}

#[test]
fn write_test_passes_on_every_writable_medium_the_mock_models() {
    let writable: Vec<MediaKind> = MediaKind::ALL.into_iter().filter(|k| !k.is_rom()).collect();
    assert_eq!(writable.len(), 10);
    for kind in writable {
        let t = tempfile::tempdir().unwrap();
        let mut d = MockDrive::create(t.path(), MockConfig::default()).unwrap();
        d.insert(kind, true, None).unwrap();
        let o = write_test(t.path(), &["--yes-write", "--json"]);
        assert_eq!(code(&o), 0, "{kind}: {}", text(&o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["verdict"], "pass", "{kind}: {v:#}");
        let got: Vec<(String, String)> = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_string(),
                    s["verdict"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = expected_steps(kind)
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want, "{kind}: {v:#}");
        let write_once =
            !kind.is_overwritable() && !matches!(kind, MediaKind::CdRw | MediaKind::DvdRw);
        assert_eq!(v["write_once"], write_once, "{kind}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).contains("uses up this"),
            write_once,
            "{kind}: {}",
            text(&o)
        );
        // Every step that ran shows the commands it sent, with the drive's answers.
        for s in v["steps"].as_array().unwrap() {
            if s["verdict"] == "skipped" {
                continue;
            }
            let lines = s["commands"].as_array().unwrap();
            assert!(
                lines.iter().any(|l| l.as_str().unwrap().contains("| GOOD")),
                "{kind} {}: {lines:?}",
                s["name"]
            );
        }
        let burn = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "new session")
            .unwrap();
        // WRITE(10) went to the drive during the new session.
        assert!(
            burn["commands"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l.as_str().unwrap().contains(": 2A ")),
            "{kind}"
        );
    }
}

#[test]
fn write_test_text_shows_commands_sense_and_verdicts() {
    let t = tempfile::tempdir().unwrap();
    let mut d = MockDrive::create(t.path(), MockConfig::default()).unwrap();
    d.insert(MediaKind::DvdPlusR, false, None).unwrap();
    // The third WRITE fails once with a medium error: the step fails, with the sense decoded.
    d.add_fault(hal::mock::Fault::on(0x2a).nth(3).sense(3, 0x0c, 0x00))
        .unwrap();
    let o = write_test(t.path(), &["--yes-write"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 10, "{}", text(&o));
    assert!(out.contains("== new session"), "{out}");
    assert!(
        out.contains("CHECK CONDITION 3/0C/00 (MEDIUM ERROR, write error)"),
        "{out}"
    );
    assert!(out.contains("verdicts:"), "{out}");
    assert!(out.contains("write test: FAIL"), "{out}");
}

#[test]
fn write_test_refuses_without_consent_and_on_discs_holding_data() {
    let t = tempfile::tempdir().unwrap();
    let mut d = MockDrive::create(t.path(), MockConfig::default()).unwrap();
    d.insert(MediaKind::CdRw, false, None).unwrap();
    let commands = |d: &MockDrive| d.state().unwrap().commands;

    // No --yes-write: refused before the drive is touched.
    let before = commands(&d);
    let o = write_test(t.path(), &[]);
    assert_eq!(code(&o), 9, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--yes-write"));
    assert_eq!(commands(&d), before, "the drive got commands");

    // Put data on it; then the test wants --yes-erase, and writes nothing without it.
    let o = write_test(t.path(), &["--yes-write"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let tree = t.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("f"), b"data").unwrap();
    let o = run(
        SPINDLE,
        &[
            "burn",
            &spec(t.path()),
            "--new-disc",
            "--tree",
            &format!("X={}", tree.display()),
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let sessions = |d: &MockDrive| d.state().unwrap().medium.unwrap().sessions;
    let held = sessions(&d);
    let o = write_test(t.path(), &["--yes-write"]);
    assert_eq!(code(&o), 9, "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--yes-erase"),
        "{}",
        text(&o)
    );
    assert_eq!(sessions(&d), held);
    // With --yes-erase it blanks first and passes.
    let o = write_test(t.path(), &["--yes-write", "--yes-erase", "--json"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["steps"][1]["name"], "erase");

    // A write-once disc holding data cannot be erased: refused even with --yes-erase.
    let w = tempfile::tempdir().unwrap();
    let mut d = MockDrive::create(w.path(), MockConfig::default()).unwrap();
    d.insert(MediaKind::DvdPlusR, false, None).unwrap();
    let o = run(
        SPINDLE,
        &[
            "burn",
            &spec(w.path()),
            "--new-disc",
            "--tree",
            &format!("X={}", tree.display()),
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = write_test(w.path(), &["--yes-write", "--yes-erase"]);
    assert_eq!(code(&o), 9, "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("write-once"),
        "{}",
        text(&o)
    );

    // A DVD+RW holding a volume: overwriting it needs --yes-erase too.
    let r = tempfile::tempdir().unwrap();
    let mut d = MockDrive::create(r.path(), MockConfig::default()).unwrap();
    d.insert(MediaKind::DvdPlusRw, false, None).unwrap();
    let o = run(
        SPINDLE,
        &[
            "burn",
            &spec(r.path()),
            "--new-disc",
            "--tree",
            &format!("X={}", tree.display()),
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(code(&write_test(r.path(), &["--yes-write"])), 9);

    // A pressed disc is not writable; no medium is exit 6.
    let image = t.path().join("rom.iso");
    let o = run(
        SPINDLE,
        &[
            "burn",
            &image.display().to_string(),
            "--new-disc",
            "--tree",
            &format!("X={}", tree.display()),
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let rom = tempfile::tempdir().unwrap();
    let mut d = MockDrive::create(rom.path(), MockConfig::default()).unwrap();
    d.insert(MediaKind::CdRom, false, Some(&image)).unwrap();
    assert_eq!(code(&write_test(rom.path(), &["--yes-write"])), 9);
    let empty = tempfile::tempdir().unwrap();
    MockDrive::create(empty.path(), MockConfig::default()).unwrap();
    let o = write_test(empty.path(), &["--yes-write"]);
    assert_eq!(code(&o), 6, "{}", text(&o));
}

#[test]
fn a_report_can_carry_the_write_test() {
    let t = tempfile::tempdir().unwrap();
    let mut d = MockDrive::create(t.path(), MockConfig::default()).unwrap();
    d.insert(MediaKind::BdR, false, None).unwrap();
    let file = t.path().join("r.json");
    let o = run(
        PROBE,
        &[
            "--report",
            "--write-test",
            "--yes-write",
            &spec(t.path()),
            "-o",
            &file.display().to_string(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let r: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(r["write_test"]["verdict"], "pass");
    assert_eq!(r["write_test"]["medium"], "BD-R sequential recording (SRM)");
    // The battery was recorded before the test wrote: the disc was blank then.
    let di = r["battery"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "READ DISC INFORMATION")
        .unwrap();
    let data = cli::cmd::battery::unhex(di["data"].as_str().unwrap()).unwrap();
    assert_eq!(data[2] & 0x03, 0, "disc status blank");
}
