//! The drives recorded under `hwtests/drives/` (`mmc-probe --report` in the QEMU lane), each
//! replayed by a mock (`spindle mock new --profile`) with every medium the drive lists and
//! the mock models: the replay's battery matches the recording (except the medium fields),
//! and a representative burn runs on each writable medium (the write test: a new session,
//! an append, a verify of the tree, a read of every session, a blank or format). A drive
//! that writes nothing (QEMU's ROM drives) reads a pressed disc and has its write test refused.

use std::path::{Path, PathBuf};

use hal::mock::MediaKind;
use serde_json::Value;
use tests::{output_text as text, run_bin as run};

const PROBE: &str = env!("CARGO_BIN_EXE_mmc-probe-dev");
const SPINDLE: &str = env!("CARGO_BIN_EXE_spindle-dev");

fn drives() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hwtests/drives");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

/// The profiles in the recorded Profile List (feature 0000h).
fn listed_profiles(report: &Value) -> Vec<u16> {
    let Some(f) = report["features"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["code"] == 0))
    else {
        return Vec::new();
    };
    let data = cli::cmd::battery::unhex(f["data"].as_str().unwrap_or("")).unwrap();
    data.chunks_exact(4)
        .map(|e| u16::from_be_bytes([e[0], e[1]]))
        .collect()
}

#[test]
fn every_recorded_drive_replays_and_burns() {
    let files = drives();
    assert!(
        files.len() >= 3,
        "hwtests/drives/ should keep QEMU's scsi-cd and ide-cd and tgt's DVD+R: {files:?}"
    );
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("hello.txt"), b"a pressed disc\n").unwrap();
    let image = work.path().join("rom.iso");
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
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let mut burned = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let report: Value = serde_json::from_slice(&std::fs::read(file).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report["format"], "spindle-drive-report", "{name}");
        let listed = listed_profiles(&report);
        let kinds: Vec<MediaKind> = MediaKind::ALL
            .into_iter()
            .filter(|k| listed.contains(&k.profile()))
            .collect();
        assert!(
            !kinds.is_empty(),
            "{name}: lists no medium the mock models: {listed:04x?}"
        );
        for kind in kinds {
            let dir = work.path().join(format!("{name}-{kind}"));
            let dir_s = dir.display().to_string();
            let spec = format!("mock:{dir_s}");
            let file_s = file.display().to_string();
            let kind_s = kind.to_string();
            let image_s = image.display().to_string();
            let mut args = vec![
                "mock",
                "new",
                &dir_s,
                "--profile",
                &file_s,
                "--media",
                &kind_s,
            ];
            if kind.is_rom() {
                args.extend(["--image", &image_s]);
            } else if kind.is_overwritable() {
                args.push("--blank");
            }
            let o = run(SPINDLE, &args);
            assert_eq!(o.status.code(), Some(0), "{name} {kind}: {}", text(&o));
            let o = run(PROBE, &["--json", &spec]);
            assert_eq!(o.status.code(), Some(0), "{name} {kind}: {}", text(&o));
            let p: Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(p["vendor"], report["identity"]["vendor"], "{name} {kind}");
            assert_eq!(
                p["current_profile"]["code"],
                kind.profile(),
                "{name} {kind}"
            );
            let o = run(PROBE, &["--battery", "--against", &file_s, &spec]);
            assert_eq!(o.status.code(), Some(0), "{name} {kind}: {}", text(&o));
            let o = run(PROBE, &["--write-test", "--yes-write", "--json", &spec]);
            if kind.is_rom() {
                assert_eq!(o.status.code(), Some(9), "{name} {kind}: {}", text(&o));
                continue;
            }
            assert_eq!(o.status.code(), Some(0), "{name} {kind}: {}", text(&o));
            let v: Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(v["verdict"], "pass", "{name} {kind}: {v:#}");
            burned += 1;
        }
    }
    assert!(burned > 0, "no recorded drive burned anything: {files:?}");
}
