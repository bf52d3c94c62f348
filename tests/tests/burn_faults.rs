//! Fault matrix: for every command an append burn sends (taken from the transcript of a clean
//! burn), inject a sense error, a transport timeout and a power loss on each of its
//! occurrences. Afterwards the first session must read back bit for bit and the error must
//! name the command (and the sense, for sense errors).

use std::collections::BTreeMap;
use std::path::Path;

use hal::mock::{Fault, MediaKind, MockDrive};
use mmc::burn::{AppendMethod, BurnOptions};
use tests::burnkit::{burn, list_tree, make_image, media_bytes, next_start, require_xorriso};
use tests::MockDisc;

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Opcode → how many times a clean burn sent it.
fn opcodes(transcript: &str) -> BTreeMap<u8, u32> {
    let mut m = BTreeMap::new();
    for line in transcript.lines() {
        if let Some(op) = line.get(..2).and_then(|h| u8::from_str_radix(h, 16).ok()) {
            *m.entry(op).or_insert(0) += 1;
        }
    }
    m
}

fn matrix(kind: MediaKind) -> usize {
    let base = MockDisc::with(kind, true);
    let work = tempfile::tempdir().unwrap();
    let media = base.drive.media_path();
    let s1 = next_start(&base.drive, true);
    let img1 = make_image(work.path(), 1, &s1, &media);
    burn(
        &base.drive,
        &img1,
        &BurnOptions {
            new_disc: true,
            ..BurnOptions::default()
        },
    )
    .unwrap();
    let s1_bytes = std::fs::read(&img1).unwrap();
    let s2 = next_start(&base.drive, false);
    let img2 = make_image(work.path(), 2, &s2, &media);
    let grow = s2.method == AppendMethod::Grow;

    // A clean append on a copy, to enumerate the commands.
    let clean_dir = tempfile::tempdir().unwrap();
    copy_dir(base.drive.dir(), clean_dir.path());
    std::fs::write(clean_dir.path().join("transcript.log"), "").unwrap();
    let clean = MockDrive::open(clean_dir.path()).unwrap();
    burn(&clean, &img2, &BurnOptions::default()).unwrap();
    let ops = opcodes(&clean.transcript().unwrap());
    assert!(ops.contains_key(&0x2A), "{ops:?}");

    let mut cases = 0;
    for (&op, &count) in &ops {
        for nth in 1..=count {
            for effect in ["sense", "timeout", "power"] {
                let dir = tempfile::tempdir().unwrap();
                copy_dir(base.drive.dir(), dir.path());
                let drive = MockDrive::open(dir.path()).unwrap();
                let f = Fault::on(op).nth(nth);
                let f = match effect {
                    "sense" => f.sense(0x3, 0x0C, 0x00),
                    "timeout" => f.timeout(),
                    _ => f.power_loss(),
                };
                drive.add_fault(f).unwrap();
                let r = burn(&drive, &img2, &BurnOptions::default());
                drive.clear_faults().unwrap();
                cases += 1;
                let what = format!("{kind} opcode {op:02X}h #{nth} {effect}");
                if let Err(e) = &r {
                    let msg = format!(
                        "{e}: {}",
                        std::error::Error::source(e)
                            .map(|s| s.to_string())
                            .unwrap_or_default()
                    );
                    if effect == "sense" {
                        assert!(
                            msg.contains("MEDIUM ERROR 3/0C/00 write error"),
                            "{what}: {msg}"
                        );
                        if op == 0x2A {
                            assert!(msg.contains("WRITE(10) at LBA "), "{what}: {msg}");
                        }
                    } else {
                        assert!(
                            msg.contains("transport") || msg.contains("time"),
                            "{what}: {msg}"
                        );
                    }
                    if msg.starts_with("burn stopped") {
                        assert!(msg.contains(" of ") && msg.contains("LBA"), "{what}: {msg}");
                    }
                } else {
                    // The one command whose failure does not fail the burn: the ALLOW after
                    // it (the burn is good; the medium stays locked, and says so).
                    let unlock = op == 0x1E && nth == count;
                    assert!(
                        effect != "sense" || unlock,
                        "{what}: a failed command went unnoticed"
                    );
                }
                // The first session reads back bit for bit. With the growisofs method its
                // descriptor blocks (16..31) may hold the new session's set, by design.
                let m = drive.media_path();
                let now = media_bytes(&m, s1.start_lba, s1_bytes.len());
                let blocks = s1_bytes.len() / 2048;
                for b in 0..blocks {
                    if grow && (16..32).contains(&b) {
                        continue;
                    }
                    assert!(
                        now[b * 2048..(b + 1) * 2048] == s1_bytes[b * 2048..(b + 1) * 2048],
                        "{what}: session 1 block {b} changed ({r:?})"
                    );
                }
                if grow && cases % 7 == 0 {
                    let files = list_tree(&m, 0);
                    assert!(files.contains(&"/d1/f1".to_string()), "{what}: {files:?}");
                }
            }
        }
    }
    println!("{kind}: {cases} fault cases over opcodes {ops:02X?}");
    cases
}

#[test]
fn faults_dvd_plus_rw() {
    if !require_xorriso() {
        return;
    }
    assert!(matrix(MediaKind::DvdPlusRw) > 20);
}

#[test]
fn faults_dvd_plus_r() {
    if !require_xorriso() {
        return;
    }
    assert!(matrix(MediaKind::DvdPlusR) > 20);
}

#[test]
fn faults_cd_r() {
    if !require_xorriso() {
        return;
    }
    assert!(matrix(MediaKind::CdR) > 20);
}

#[test]
fn faults_bd_r() {
    if !require_xorriso() {
        return;
    }
    assert!(matrix(MediaKind::BdR) > 20);
}
