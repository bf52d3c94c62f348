//! Shared helpers for the end-to-end tests: mock drives in every medium and state, built by
//! sending the same MMC commands a burner sends, and the CLI run in-process.

pub mod burnkit;
pub mod cedarkit;
pub mod tier;

use std::path::Path;
use std::time::Duration;

use hal::mock::{MediaKind, MockConfig, MockDrive};
use mmc::command::{
    CloseFunction, CloseTrackSession, ModeSelect10, ReadDiscInformation, ReadTrackInformation,
    SynchronizeCache, TestUnitReady, Write10, WriteParametersPage,
};
use mmc::Drive;
use serde_json::Value;

/// Per-medium facts the tests need to predict what the drive reports.
#[derive(Debug, Clone, Copy)]
pub struct Medium {
    /// The mock's kind.
    pub kind: MediaKind,
    /// MMC profile number.
    pub profile: u16,
    /// Blank capacity in 2048-byte blocks.
    pub capacity: u32,
    /// Write unit in blocks (ECC block / cluster); writes are padded to it.
    pub unit: u32,
    /// Blank-able with BLANK (CD-RW, DVD-RW).
    pub erasable: bool,
}

/// The write-once and sequential media, with their capacities from docs/mmc-notes.md §3.1.
pub const SEQUENTIAL: &[Medium] = &[
    Medium {
        kind: MediaKind::CdR,
        profile: 0x0009,
        capacity: 359_849,
        unit: 1,
        erasable: false,
    },
    Medium {
        kind: MediaKind::CdRw,
        profile: 0x000A,
        capacity: 359_849,
        unit: 1,
        erasable: true,
    },
    Medium {
        kind: MediaKind::DvdR,
        profile: 0x0011,
        capacity: 2_298_496,
        unit: 16,
        erasable: false,
    },
    Medium {
        kind: MediaKind::DvdRw,
        profile: 0x0014,
        capacity: 2_298_496,
        unit: 16,
        erasable: true,
    },
    Medium {
        kind: MediaKind::DvdPlusR,
        profile: 0x001B,
        capacity: 2_295_104,
        unit: 16,
        erasable: false,
    },
    Medium {
        kind: MediaKind::DvdPlusRDl,
        profile: 0x002B,
        capacity: 4_173_824,
        unit: 16,
        erasable: false,
    },
    Medium {
        kind: MediaKind::BdR,
        profile: 0x0041,
        capacity: 12_219_392,
        unit: 32,
        erasable: false,
    },
];

/// The overwritable media.
pub const OVERWRITABLE: &[Medium] = &[
    Medium {
        kind: MediaKind::DvdPlusRw,
        profile: 0x001A,
        capacity: 2_295_104,
        unit: 16,
        erasable: false,
    },
    Medium {
        kind: MediaKind::BdRe,
        profile: 0x0043,
        capacity: 12_219_392,
        unit: 32,
        erasable: false,
    },
];

/// A mock drive in a temporary directory.
#[derive(Debug)]
pub struct MockDisc {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// The drive (a handle on the directory).
    pub drive: MockDrive,
}

/// What one written session looked like from the host's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// The track number written.
    pub track: u32,
    /// Where the data started (the NWA before writing).
    pub start: u32,
    /// Blocks written, padded to the medium's write unit.
    pub blocks: u32,
}

impl MockDisc {
    /// An empty drive, tray closed.
    pub fn empty() -> MockDisc {
        let dir = tempfile::tempdir().expect("tempdir");
        let drive = MockDrive::create(dir.path(), MockConfig::default()).expect("create mock");
        MockDisc { dir, drive }
    }

    /// A drive holding `kind`; overwritable media formatted unless `blank`.
    pub fn with(kind: MediaKind, blank: bool) -> MockDisc {
        let mut m = MockDisc::empty();
        m.drive.insert(kind, blank, None).expect("insert");
        m
    }

    /// A drive holding a pressed disc made from `image`.
    pub fn rom(kind: MediaKind, image: &Path) -> MockDisc {
        let mut m = MockDisc::empty();
        m.drive
            .insert(kind, false, Some(image))
            .expect("insert rom");
        m
    }

    /// `mock:DIR`.
    pub fn spec(&self) -> String {
        format!("mock:{}", self.dir.path().display())
    }

    /// An mmc facade over a handle to this drive.
    /// The mock's Immed operations finish after a number of polls, not after wall time,
    /// so the poll pause is cut to keep the suite fast.
    pub fn mmc(&self) -> Drive<MockDrive> {
        let mut d = Drive::new(self.drive.clone());
        d.set_policy(mmc::DrivePolicy {
            poll_interval: Duration::from_millis(1),
            ..mmc::DrivePolicy::default()
        });
        d
    }

    /// Consumes pending unit attentions, as any host's first commands do.
    pub fn settle(&self) {
        let mut d = self.mmc();
        for _ in 0..8 {
            if d.run(&TestUnitReady).is_ok() {
                return;
            }
        }
        panic!("mock drive never became ready");
    }

    /// Writes one session the way a burner does for this medium, `blocks` of data (padded to
    /// the write unit), then closes the track and either closes the session (disc stays
    /// appendable) or finalizes the disc.
    pub fn write_session(&self, m: &Medium, blocks: u32, finalize: bool) -> Written {
        let mut d = self.mmc();
        self.settle();
        let keep_open = !finalize;
        match m.kind {
            MediaKind::CdR | MediaKind::CdRw => {
                d.run(&ModeSelect10::write_parameters(
                    &WriteParametersPage::cd_tao(keep_open),
                ))
                .expect("page 05");
            }
            MediaKind::DvdR | MediaKind::DvdRw => {
                d.run(&ModeSelect10::write_parameters(
                    &WriteParametersPage::dvd_incremental(keep_open, 16),
                ))
                .expect("page 05");
            }
            _ => {}
        }
        let info = d.run(&ReadDiscInformation::default()).expect("disc info");
        let track = u32::from(info.last_track_in_last_session);
        let ti = d
            .run(&ReadTrackInformation::track(track))
            .expect("track info");
        let start = ti.next_writable_address.expect("writable track has an NWA");
        let padded = blocks.div_ceil(m.unit) * m.unit;
        let chunk = 32u32;
        let mut lba = start;
        while lba < start + padded {
            let n = chunk.min(start + padded - lba);
            let data = pattern(lba, n);
            d.run(&Write10::new(lba, &data).expect("write cdb"))
                .expect("WRITE(10)");
            lba += n;
        }
        d.run(&SynchronizeCache::blocking()).expect("sync");
        d.run(&CloseTrackSession::close_track(track as u16))
            .expect("close track");
        d.wait_ready(Duration::from_secs(60), |_| {})
            .expect("close track completes");
        let last = if finalize {
            match m.kind {
                MediaKind::DvdPlusR | MediaKind::DvdPlusRDl => {
                    CloseTrackSession::function(CloseFunction::FINALIZE_MINIMAL_RADIUS)
                }
                MediaKind::BdR => CloseTrackSession::function(CloseFunction::FINALIZE),
                // CD and DVD-R/RW finalize by closing the session with page 05 multi-session 00b.
                _ => CloseTrackSession::close_session(),
            }
        } else {
            CloseTrackSession::close_session()
        };
        d.run(&last).expect("close session");
        d.wait_ready(Duration::from_secs(60), |_| {})
            .expect("close session completes");
        Written {
            track,
            start,
            blocks: padded,
        }
    }

    /// Runs `mmc-probe --json` in-process; returns the exit code and the parsed JSON.
    pub fn probe(&self) -> (u8, Value) {
        probe_json(&self.spec())
    }
}

/// The bytes written to `n` blocks starting at `lba`: every block tagged with its LBA, so a
/// misplaced block is visible.
pub fn pattern(lba: u32, n: u32) -> Vec<u8> {
    let mut v = vec![0u8; n as usize * 2048];
    for (i, block) in v.chunks_mut(2048).enumerate() {
        let tag = (lba + i as u32).to_be_bytes();
        for (j, b) in block.iter_mut().enumerate() {
            *b = tag[j % 4] ^ (j as u8);
        }
    }
    v
}

/// Runs `mmc-probe --json DEVICE` through the CLI's own entry point.
pub fn probe_json(device: &str) -> (u8, Value) {
    use clap::Parser;
    let args = cli::cmd::probe::Args::parse_from(["mmc-probe", "--json", device]);
    let mut out = Vec::new();
    let code = match cli::cmd::probe::run(&args, &mut out) {
        Ok(c) => c,
        Err(e) => cli::exit::probe_code(&e),
    };
    let v = if out.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&out).expect("mmc-probe printed valid JSON")
    };
    (code, v)
}

/// Runs a program and waits for it; a test that cannot start its binary fails naming it.
pub fn run_bin(bin: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{bin}: {e}"))
}

/// A finished program's exit status and both its streams, for assertion messages.
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
