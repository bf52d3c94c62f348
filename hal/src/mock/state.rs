//! The drive state persisted in `DIR/state.json` between commands.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::config::MockConfig;
use super::fault::FaultEntry;
use super::media::{FormatRequest, Medium};
use super::sense::Sense;

/// Bumped whenever the layout changes incompatibly.
pub(crate) const STATE_VERSION: u32 = 2;

/// Everything about the drive except sector data (which lives in `media.img`, with what a
/// power loss must put back in `undo.bin`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DriveState {
    pub version: u32,
    pub config: MockConfig,
    pub tray_open: bool,
    /// The medium in the drive. With the tray open it sits in the tray: present for the
    /// host's eject/load, absent for every command.
    pub medium: Option<Medium>,
    /// PREVENT ALLOW MEDIUM REMOVAL, non-persistent (byte 4 = 01b).
    pub prevent: bool,
    /// Persistent prevent (byte 4 = 11b), cleared only by 10b or power loss.
    pub persistent_prevent: bool,
    /// Queued UNIT ATTENTION conditions (ASC, ASCQ).
    pub unit_attentions: VecDeque<(u8, u8)>,
    /// Queued GESN media event codes (1 eject request, 2 new media, …).
    pub media_events: VecDeque<u8>,
    pub pending: Option<PendingOp>,
    /// Write parameters page 05h, 52 bytes from the page code on.
    pub page05: Vec<u8>,
    /// The host sent page 05 since the medium was loaded (quirk `strict_page05`).
    pub page05_selected: bool,
    /// Speeds chosen by SET CD SPEED / SET STREAMING, kB/s (`None`: the medium's maximum).
    pub read_speed_kbs: Option<u32>,
    pub write_speed_kbs: Option<u32>,
    pub buffer: BufferIndex,
    pub faults: Vec<FaultEntry>,
    /// Commands executed since the drive was created.
    pub commands: u64,
}

/// A long operation started with Immed: the next `remaining` commands see `sense` with
/// progress, then `action` is carried out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PendingOp {
    pub sense: Sense,
    pub total: u32,
    pub remaining: u32,
    pub action: Action,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    Format(FormatRequest),
    Blank { minimal: bool },
    Close { function: u8, track: u16 },
    Sync,
    SpinUp,
}

impl Action {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Action::Format(_) => "FORMAT UNIT",
            Action::Blank { .. } => "BLANK",
            Action::Close { .. } => "CLOSE TRACK/SESSION",
            Action::Sync => "SYNCHRONIZE CACHE",
            Action::SpinUp => "spin-up",
        }
    }
}

/// WRITE data acknowledged but not yet on the medium. The data itself goes straight to
/// `media.img`, so a streamed burn copies each block once; what the index keeps is how to
/// take it back out when the power fails. `extents` are in arrival order; those that
/// covered recorded bytes saved them in `undo.bin`, used as a ring of twice the buffer size
/// (`file_len` its length).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct BufferIndex {
    pub extents: Vec<Extent>,
    pub file_len: u64,
}

impl BufferIndex {
    pub(crate) fn fill(&self) -> u64 {
        self.extents.iter().map(Extent::bytes).sum()
    }
}

/// `blocks` blocks for `lba` on, written to `media.img` but not yet flushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Extent {
    pub lba: u32,
    pub blocks: u32,
    /// Where in `undo.bin` the blocks' previous contents are saved; `None` when they were
    /// all zeros (never recorded), which is the whole of a streamed burn onto new media.
    pub undo: Option<u64>,
    /// The length of `media.img` before this write, restored on undo so a lost write
    /// leaves no trailing zeros behind.
    pub media_len: u64,
}

impl Extent {
    pub(crate) fn bytes(&self) -> u64 {
        u64::from(self.blocks) * BLOCK as u64
    }
}

/// The logical block size of every medium the mock emulates.
pub(crate) const BLOCK: usize = 2048;

impl DriveState {
    pub(crate) fn new(config: MockConfig) -> DriveState {
        DriveState {
            version: STATE_VERSION,
            config,
            tray_open: false,
            medium: None,
            prevent: false,
            persistent_prevent: false,
            unit_attentions: VecDeque::new(),
            media_events: VecDeque::new(),
            pending: None,
            page05: super::mode::default_page05(None),
            page05_selected: false,
            read_speed_kbs: None,
            write_speed_kbs: None,
            buffer: BufferIndex::default(),
            faults: Vec::new(),
            commands: 0,
        }
    }

    /// The medium as commands see it: absent while the tray is open.
    pub(crate) fn loaded(&self) -> Option<&Medium> {
        if self.tray_open {
            None
        } else {
            self.medium.as_ref()
        }
    }

    pub(crate) fn locked(&self) -> bool {
        self.prevent || self.persistent_prevent
    }
}
