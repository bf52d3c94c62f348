//! Tests of the mock drive through raw CDBs and `Transport::execute`, as a host sees it.
//!
//! Byte fixtures marked "QEMU" are copied from the QEMU drive lab's observations
//! (`docs/qemu-notes.md`, QEMU 7.2 scsi-cd under Linux 6.1), named per test.

use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use super::*;
use crate::{ErrorKind, ScsiStatus};

// ---- helpers -------------------------------------------------------------------------

fn new_drive(config: MockConfig) -> (tempfile::TempDir, MockDrive) {
    let dir = tempfile::tempdir().unwrap();
    let d = MockDrive::create(dir.path(), config).unwrap();
    (dir, d)
}

/// A drive with `kind` inserted (blank) and the insert's unit attention consumed.
fn with_media(kind: MediaKind) -> (tempfile::TempDir, MockDrive) {
    with_media_cfg(kind, MockConfig::default(), true)
}

fn with_media_cfg(
    kind: MediaKind,
    config: MockConfig,
    blank: bool,
) -> (tempfile::TempDir, MockDrive) {
    let (dir, mut d) = new_drive(config);
    d.insert(kind, blank, None).unwrap();
    settle(&mut d);
    (dir, d)
}

/// Does what the kernel does when a program opens /dev/srN: TEST UNIT READY until no more
/// UNIT ATTENTION, and GET EVENT STATUS NOTIFICATION until no more media events.
fn settle(d: &mut MockDrive) {
    for _ in 0..4 {
        let c = d.command(&TUR).unwrap();
        if key(&c) != 6 {
            break;
        }
    }
    assert_ne!(
        key(&d.command(&TUR).unwrap()),
        6,
        "unit attentions do not stop"
    );
    while gesn(d)[4] != 0 {}
}

/// Key/ASC/ASCQ of a completion, (0,0,0) for GOOD.
fn ksq(c: &Completion) -> (u8, u8, u8) {
    let s = c.sense.as_slice();
    if s.is_empty() {
        return (0, 0, 0);
    }
    (s[2] & 0x0f, s[12], s[13])
}

fn key(c: &Completion) -> u8 {
    ksq(c).0
}

#[track_caller]
fn good(c: Completion) -> Completion {
    assert_eq!(
        c.status,
        ScsiStatus::GOOD,
        "expected GOOD, got sense {:?}",
        ksq(&c)
    );
    c
}

#[track_caller]
fn sense(c: Completion, k: u8, asc: u8, ascq: u8) {
    assert_eq!(
        c.status,
        ScsiStatus::CHECK_CONDITION,
        "expected CHECK CONDITION {k:X}/{asc:02X}/{ascq:02X}"
    );
    assert_eq!(ksq(&c), (k, asc, ascq));
}

fn progress(c: &Completion) -> u16 {
    let s = c.sense.as_slice();
    assert_eq!(s[15] & 0x80, 0x80, "SKSV");
    u16::from_be_bytes([s[16], s[17]])
}

fn be16(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([b[i], b[i + 1]])
}

fn be32(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

const TUR: [u8; 6] = [0x00, 0, 0, 0, 0, 0];

fn write10(lba: u32, n: u16) -> Vec<u8> {
    let l = lba.to_be_bytes();
    let c = n.to_be_bytes();
    vec![0x2a, 0, l[0], l[1], l[2], l[3], 0, c[0], c[1], 0]
}

fn read10(lba: u32, n: u16) -> Vec<u8> {
    let mut c = write10(lba, n);
    c[0] = 0x28;
    c
}

fn read12(lba: u32, n: u32) -> Vec<u8> {
    let l = lba.to_be_bytes();
    let c = n.to_be_bytes();
    vec![
        0xa8, 0, l[0], l[1], l[2], l[3], c[0], c[1], c[2], c[3], 0, 0,
    ]
}

fn write12(lba: u32, n: u32) -> Vec<u8> {
    let mut c = read12(lba, n);
    c[0] = 0xaa;
    c
}

/// Block `lba` of the test pattern: every byte depends on the LBA and the offset.
fn pattern(lba: u32, tag: u8) -> Vec<u8> {
    (0..2048u32)
        .map(|i| (lba.wrapping_mul(31).wrapping_add(i) as u8) ^ tag)
        .collect()
}

fn blocks(lba: u32, n: u32, tag: u8) -> Vec<u8> {
    (lba..lba + n).flat_map(|l| pattern(l, tag)).collect()
}

/// Largest WRITE/READ the helpers send in one command (the default max transfer, 64 KiB).
const CHUNK: u16 = 32;

/// WRITE(10)s of the test pattern, 32 blocks at a time; the first failure or the last GOOD.
fn write(d: &mut MockDrive, lba: u32, n: u16, tag: u8) -> Completion {
    let mut done = 0;
    loop {
        let k = (n - done).min(CHUNK);
        let at = lba + u32::from(done);
        let c = d
            .command_out(&write10(at, k), &blocks(at, u32::from(k), tag))
            .unwrap();
        done += k;
        if !c.is_good() || done == n {
            return c;
        }
    }
}

/// READ(10)s, 32 blocks at a time; the first failure, or GOOD and all the data.
fn read(d: &mut MockDrive, lba: u32, n: u16) -> (Completion, Vec<u8>) {
    let mut done = 0;
    let mut all = Vec::new();
    loop {
        let k = (n - done).min(CHUNK);
        let (c, data) = d
            .command_in(&read10(lba + u32::from(done), k), usize::from(k) * 2048)
            .unwrap();
        all.extend_from_slice(&data);
        done += k;
        if !c.is_good() || done == n {
            return (c, all);
        }
    }
}

fn disc_info(d: &mut MockDrive) -> Vec<u8> {
    let (c, data) = d
        .command_in(&[0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0], 34)
        .unwrap();
    good(c);
    data
}

fn track_info(d: &mut MockDrive, address_type: u8, value: u32) -> (Completion, Vec<u8>) {
    let v = value.to_be_bytes();
    d.command_in(
        &[0x52, address_type, v[0], v[1], v[2], v[3], 0, 0, 48, 0],
        48,
    )
    .unwrap()
}

/// (NWA, free blocks) of track FFh or the given track.
fn nwa_free(d: &mut MockDrive, track: u32) -> (u32, u32) {
    let (c, t) = track_info(d, 1, track);
    good(c);
    assert_eq!(t[7] & 1, 1, "NWA_V");
    (be32(&t, 12), be32(&t, 16))
}

fn close(d: &mut MockDrive, function: u8, track: u16, immed: bool) -> Completion {
    let t = track.to_be_bytes();
    d.command(&[0x5b, u8::from(immed), function, 0, t[0], t[1], 0, 0, 0, 0])
        .unwrap()
}

fn sync(d: &mut MockDrive, immed: bool) -> Completion {
    d.command(&[0x35, if immed { 2 } else { 0 }, 0, 0, 0, 0, 0, 0, 0, 0])
        .unwrap()
}

fn blank(d: &mut MockDrive, minimal: bool, immed: bool) -> Completion {
    d.command(&[
        0xa1,
        u8::from(minimal) | if immed { 0x10 } else { 0 },
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    ])
    .unwrap()
}

fn format(
    d: &mut MockDrive,
    format_type: u8,
    subtype: u8,
    nblocks: u32,
    tdp: u32,
    immed: bool,
) -> Completion {
    let b = nblocks.to_be_bytes();
    let t = tdp.to_be_bytes();
    let params = [
        0,
        if immed { 2 } else { 0 },
        0,
        8,
        b[0],
        b[1],
        b[2],
        b[3],
        format_type << 2 | subtype,
        t[1],
        t[2],
        t[3],
    ];
    d.command_out(&[0x04, 0x11, 0, 0, 0, 0], &params).unwrap()
}

fn reserve(d: &mut MockDrive, size: u32) -> Completion {
    let s = size.to_be_bytes();
    d.command(&[0x53, 0, 0, 0, 0, s[0], s[1], s[2], s[3], 0])
        .unwrap()
}

/// MODE SELECT(10) of page 05 with the given write type, multi-session field and packets.
fn page05(
    d: &mut MockDrive,
    write_type: u8,
    multi: u8,
    fixed_packet: bool,
    packet: u32,
    test_write: bool,
) -> Completion {
    let mut list = vec![0u8; 8];
    let mut p = vec![0u8; 52];
    p[0] = 0x05;
    p[1] = 0x32;
    p[2] = 0x40 | write_type | if test_write { 0x10 } else { 0 };
    p[3] = multi << 6 | if fixed_packet { 0x20 } else { 0 } | if write_type == 1 { 4 } else { 5 };
    p[4] = 8;
    p[10..14].copy_from_slice(&packet.to_be_bytes());
    p[15] = 150;
    list.extend_from_slice(&p);
    d.command_out(&[0x55, 0x10, 0, 0, 0, 0, 0, 0, list.len() as u8, 0], &list)
        .unwrap()
}

fn get_config(d: &mut MockDrive, rt: u8, start: u16, alloc: u16) -> Vec<u8> {
    let s = start.to_be_bytes();
    let a = alloc.to_be_bytes();
    let (c, data) = d
        .command_in(
            &[0x46, rt, s[0], s[1], 0, 0, 0, a[0], a[1], 0],
            usize::from(alloc),
        )
        .unwrap();
    good(c);
    data
}

/// Feature descriptors of a GET CONFIGURATION reply: (code, current).
fn features(data: &[u8]) -> Vec<(u16, bool)> {
    let mut out = Vec::new();
    let mut pos = 8;
    while pos + 4 <= data.len() {
        out.push((be16(data, pos), data[pos + 2] & 1 == 1));
        pos += 4 + usize::from(data[pos + 3]);
    }
    out
}

fn gesn(d: &mut MockDrive) -> Vec<u8> {
    let (c, data) = d
        .command_in(&[0x4a, 0x01, 0, 0, 0x10, 0, 0, 0, 8, 0], 8)
        .unwrap();
    good(c);
    data
}

fn toc(d: &mut MockDrive, msf: bool, format: u8, number: u8) -> (Completion, Vec<u8>) {
    d.command_in(
        &[
            0x43,
            if msf { 2 } else { 0 },
            format,
            0,
            0,
            0,
            number,
            0x03,
            0x24,
            0,
        ],
        804,
    )
    .unwrap()
}

fn mode_sense(d: &mut MockDrive, pc: u8, page: u8) -> (Completion, Vec<u8>) {
    d.command_in(
        &[0x5a, 0x08, pc << 6 | page, 0, 0, 0, 0, 0x10, 0x00, 0],
        4096,
    )
    .unwrap()
}

fn read_capacity(d: &mut MockDrive) -> (u32, u32) {
    let (c, data) = d.command_in(&[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8).unwrap();
    good(c);
    (be32(&data, 0), be32(&data, 4))
}

fn format_capacities(d: &mut MockDrive) -> Vec<u8> {
    let (c, data) = d
        .command_in(&[0x23, 0, 0, 0, 0, 0, 0, 0x01, 0x04, 0], 260)
        .unwrap();
    good(c);
    data
}

fn iso_image(dir: &Path, blocks_n: u32) -> PathBuf {
    let path = dir.join("disc.iso");
    let mut data = blocks(0, blocks_n, 0x5a);
    data[16 * 2048..16 * 2048 + 6].copy_from_slice(b"\x01CD001");
    std::fs::write(&path, data).unwrap();
    path
}

fn rom(
    kind: MediaKind,
    blocks_n: u32,
    config: MockConfig,
) -> (tempfile::TempDir, MockDrive, PathBuf) {
    let (dir, mut d) = new_drive(config);
    let image = iso_image(dir.path(), blocks_n);
    d.insert(kind, true, Some(&image)).unwrap();
    settle(&mut d);
    (dir, d, image)
}

// ---- opening, persistence, errors ----------------------------------------------------

#[test]
fn open_missing_dir_and_dir_without_state_are_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let e = MockDrive::open(dir.path().join("nope")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = MockDrive::open(dir.path()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("spindle mock new"), "{e}");
    let e = crate::open(&format!("mock:{}", dir.path().display()))
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn corrupt_state_is_reported_with_advice_and_never_panics() {
    let (dir, mut d) = with_media(MediaKind::CdR);
    let state = dir.path().join("state.json");
    let good_text = std::fs::read_to_string(&state).unwrap();
    let cases: Vec<String> = vec![
        "not json".into(),
        "{}".into(),
        r#"{"version": 99}"#.into(),
        good_text.replace("\"version\": 2", "\"version\": 1"),
        good_text.replace("\"tray_open\": false", "\"tray_open\": 7"),
        good_text[..good_text.len() / 2].to_string(),
        String::from_utf8_lossy(&[0xff, 0xfe, 0x00, 0x7b]).into_owned(),
    ];
    for text in cases {
        std::fs::write(&state, &text).unwrap();
        let e = MockDrive::open(dir.path()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{text:.40}: {e}");
        assert!(e.to_string().contains("spindle mock new"), "{e}");
        let e = d.command(&TUR).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
    }
    // Flip bytes one at a time across the file: every outcome is a value, never a panic.
    for i in (0..good_text.len()).step_by(7) {
        let mut bytes = good_text.clone().into_bytes();
        bytes[i] ^= 0x55;
        std::fs::write(&state, &bytes).unwrap();
        let _ = MockDrive::open(dir.path()).map(|mut d| d.command(&TUR));
    }
}

#[test]
fn undo_file_shorter_than_its_index_is_corrupt() {
    let (dir, mut d) = with_media_cfg(MediaKind::DvdPlusRw, MockConfig::default(), false);
    good(write(&mut d, 0, 16, 1));
    good(sync(&mut d, false));
    // Overwriting recorded blocks saves their old contents for a power loss.
    good(write(&mut d, 0, 16, 2));
    std::fs::write(dir.path().join("undo.bin"), b"short").unwrap();
    let e = MockDrive::open(dir.path()).unwrap_err();
    assert!(matches!(e, Error::CorruptMock { .. }), "{e}");
    assert!(e.to_string().contains("undo.bin"), "{e}");
}

#[test]
fn name_and_max_transfer() {
    let (dir, d) = new_drive(MockConfig {
        max_transfer: 32768,
        ..MockConfig::default()
    });
    assert_eq!(d.name(), format!("mock:{}", dir.path().display()));
    assert_eq!(d.max_transfer(), 32768);
    let t = crate::open(&format!("mock:{}", dir.path().display())).unwrap();
    assert_eq!(t.max_transfer(), 32768);
}

#[test]
fn two_instances_share_one_drive() {
    let (dir, mut a) = new_drive(MockConfig::default());
    let mut b = MockDrive::open(dir.path()).unwrap();
    a.insert(MediaKind::DvdPlusR, true, None).unwrap();
    sense(b.command(&TUR).unwrap(), 6, 0x28, 0);
    good(a.command(&TUR).unwrap());
    good(write(&mut a, 0, 16, 7));
    let (c, data) = read(&mut b, 0, 16);
    good(c);
    assert_eq!(data, blocks(0, 16, 7));
    assert_eq!(nwa_free(&mut b, 0xff).0, 16);
    assert_eq!(b.state().unwrap().commands, a.state().unwrap().commands);
}

#[test]
fn concurrent_instances_are_serialized_by_the_lock() {
    let (dir, _d) = with_media(MediaKind::CdR);
    let before = MockDrive::open(dir.path())
        .unwrap()
        .state()
        .unwrap()
        .commands;
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let p = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let mut d = MockDrive::open(p).unwrap();
                for _ in 0..25 {
                    good(d.command(&TUR).unwrap());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let after = MockDrive::open(dir.path())
        .unwrap()
        .state()
        .unwrap()
        .commands;
    assert_eq!(after - before, 100);
    let lines = std::fs::read_to_string(dir.path().join("transcript.log")).unwrap();
    assert!(lines.lines().count() >= 100);
}

#[test]
fn malformed_requests_are_transport_errors() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusR);
    let e = d.command(&[0x2a, 0, 0]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    let e = d.command(&[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    let e = d.command_in(&read10(0, 33), 33 * 2048).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{e}");
    // WRITE of 2 blocks with one block of data, and INQUIRY with a data-out phase.
    let e = d.command_out(&write10(0, 2), &[0u8; 2048]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    let e = d
        .command_out(&[0x12, 0, 0, 0, 36, 0], &[0u8; 36])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    // None of that reached the medium.
    assert_eq!(nwa_free(&mut d, 0xff).0, 0);
}

#[test]
fn unknown_opcode_and_invalid_fields() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusR);
    sense(
        d.command(&[0xbe, 0, 0, 0, 0, 0x10, 0, 0, 1, 0x10, 0, 0])
            .unwrap(),
        5,
        0x20,
        0,
    );
    sense(d.command(&[0xff, 0, 0, 0, 0, 0]).unwrap(), 5, 0x20, 0);
    sense(
        d.command_in(&[0x51, 0x01, 0, 0, 0, 0, 0, 0, 34, 0], 34)
            .unwrap()
            .0,
        5,
        0x24,
        0,
    );
    sense(
        d.command_in(&[0x12, 0x01, 0x80, 0, 0xff, 0], 255)
            .unwrap()
            .0,
        5,
        0x24,
        0,
    );
    sense(
        d.command_in(&[0x46, 0x03, 0, 0, 0, 0, 0, 0, 8, 0], 8)
            .unwrap()
            .0,
        5,
        0x24,
        0,
    );
    sense(mode_sense(&mut d, 3, 0x2a).0, 5, 0x39, 0);
    sense(mode_sense(&mut d, 0, 0x0e).0, 5, 0x24, 0);
    sense(
        d.command_in(&[0x4a, 0x00, 0, 0, 0x10, 0, 0, 0, 8, 0], 8)
            .unwrap()
            .0,
        5,
        0x24,
        0,
    );
    sense(
        d.command_in(&[0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0], 8)
            .unwrap()
            .0,
        5,
        0x24,
        0,
    );
    sense(blank(&mut d, false, false), 5, 0x30, 0x05);
    sense(
        d.command(&[0xa1, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            .unwrap(),
        5,
        0x24,
        0,
    );
    sense(
        d.command_in(&[0xac, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x05, 0], 64)
            .unwrap()
            .0,
        5,
        0x24,
        0,
    );
}

// ---- INQUIRY, REQUEST SENSE, unit attention, tray -------------------------------------

#[test]
fn inquiry_layout_matches_qemu() {
    // QEMU scsi-cd-cd-medium.txt, INQUIRY alloc 96: 05 80 05 12 5b 00 00 12 "QEMU    "
    // "QEMU CD-ROM     " "2.5+" then zeros. Byte 7 (SYNC/CmdQue) is QEMU's own choice.
    let mut expected = vec![0x05, 0x80, 0x05, 0x12, 0x5b, 0x00, 0x00, 0x12];
    expected.extend_from_slice(b"QEMU    QEMU CD-ROM     2.5+");
    expected.resize(96, 0);
    let (_dir, mut d) = new_drive(MockConfig::qemu_like());
    let (c, data) = d.command_in(&[0x12, 0, 0, 0, 0x60, 0], 96).unwrap();
    assert_eq!((good(c).residual, data.len()), (0, 96));
    assert_eq!(data[..7], expected[..7]);
    assert_eq!(data[8..], expected[8..]);
    // Allocation length 36: 36 bytes, the additional length still describes 96.
    let (c, data) = d.command_in(&[0x12, 0, 0, 0, 36, 0], 255).unwrap();
    assert_eq!((good(c).residual, data.len(), data[4]), (255 - 36, 36, 91));
    // VPD 00h lists 00h and 83h, as QEMU: 05 00 00 02 00 83.
    let (c, data) = d.command_in(&[0x12, 1, 0, 0, 0xff, 0], 255).unwrap();
    good(c);
    assert_eq!(data, [0x05, 0x00, 0x00, 0x02, 0x00, 0x83]);
    let (c, data) = d.command_in(&[0x12, 1, 0x83, 0, 0xff, 0], 255).unwrap();
    good(c);
    assert_eq!(&data[..2], &[0x05, 0x83]);
    assert_eq!(usize::from(be16(&data, 2)), data.len() - 4);
    assert_eq!(&data[8..12], b"QEMU");
    // Default identity.
    let (_dir, mut d) = new_drive(MockConfig::default());
    let (_, data) = d.command_in(&[0x12, 0, 0, 0, 36, 0], 36).unwrap();
    assert_eq!(&data[8..32], b"SPINDLE MOCK BD WRITER  ");
}

#[test]
fn no_medium_sense_follows_the_tray() {
    let (_dir, mut d) = new_drive(MockConfig::default());
    sense(d.command(&TUR).unwrap(), 2, 0x3a, 0x01);
    good(d.command(&[0x1b, 0, 0, 0, 0x02, 0]).unwrap());
    sense(d.command(&TUR).unwrap(), 2, 0x3a, 0x02);
    sense(
        d.command_in(&[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8)
            .unwrap()
            .0,
        2,
        0x3a,
        0x02,
    );
    // QEMU scsi-cd-empty.txt: 02/3A/00 whatever the tray does.
    let (_dir, mut d) = new_drive(MockConfig::qemu_like());
    sense(d.command(&TUR).unwrap(), 2, 0x3a, 0x00);
    good(d.command(&[0x1b, 0, 0, 0, 0x02, 0]).unwrap());
    sense(d.command(&TUR).unwrap(), 2, 0x3a, 0x00);
    // Commands that need no medium still answer.
    good(d.command_in(&[0x12, 0, 0, 0, 36, 0], 36).unwrap().0);
    good(mode_sense(&mut d, 0, 0x2a).0);
}

#[test]
fn unit_attention_sequencing() {
    let (_dir, mut d) = new_drive(MockConfig::default());
    d.insert(MediaKind::CdR, true, None).unwrap();
    // INQUIRY, GET CONFIGURATION and GESN run despite the pending UA and leave it queued.
    good(d.command_in(&[0x12, 0, 0, 0, 36, 0], 36).unwrap().0);
    let cfg = get_config(&mut d, 0, 0, 8);
    assert_eq!(be16(&cfg, 6), 0x0009);
    assert_eq!(gesn(&mut d)[4], 2, "NewMedia");
    assert_eq!(d.state().unwrap().unit_attentions, ["6/28/00"]);
    sense(
        d.command_in(&[0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0], 34)
            .unwrap()
            .0,
        6,
        0x28,
        0,
    );
    good(d.command(&TUR).unwrap());
    // REQUEST SENSE reports and clears a UA.
    d.power_loss().unwrap();
    let (c, s) = d.command_in(&[0x03, 0, 0, 0, 18, 0], 18).unwrap();
    good(c);
    assert_eq!((s[0], s[2], s[12], s[13]), (0x70, 6, 0x29, 0));
    good(d.command(&TUR).unwrap());
    let (_, s) = d.command_in(&[0x03, 0, 0, 0, 18, 0], 18).unwrap();
    assert_eq!(
        s,
        [0x70, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    // Host eject: 06/3A/00, then no medium with the tray open.
    assert_eq!(d.eject().unwrap(), EjectOutcome::Ejected);
    sense(d.command(&TUR).unwrap(), 6, 0x3a, 0);
    sense(d.command(&TUR).unwrap(), 2, 0x3a, 0x02);
    // QEMU media-events-scsi.txt, host `change`: TUR 6/3A/00, 6/28/00, then GOOD.
    let (_dir, mut d) = new_drive(MockConfig::qemu_like());
    d.insert(MediaKind::CdR, true, None).unwrap();
    sense(d.command(&TUR).unwrap(), 6, 0x3a, 0);
    sense(d.command(&TUR).unwrap(), 6, 0x28, 0);
    good(d.command(&TUR).unwrap());
}

#[test]
fn request_sense_descriptor_format_and_allocation() {
    let (_dir, mut d) = new_drive(MockConfig::default());
    d.insert(MediaKind::CdR, true, None).unwrap();
    let (c, s) = d.command_in(&[0x03, 1, 0, 0, 252, 0], 252).unwrap();
    assert_eq!(good(c).residual, 252 - 8);
    assert_eq!(s, [0x72, 6, 0x28, 0, 0, 0, 0, 0]);
    d.power_loss().unwrap();
    let (c, s) = d.command_in(&[0x03, 0, 0, 0, 8, 0], 18).unwrap();
    assert_eq!((good(c).residual, s.len(), s[2]), (10, 8, 6));
}

#[test]
fn spin_up_reports_becoming_ready() {
    let (_dir, mut d) = new_drive(MockConfig {
        spin_up_polls: 2,
        ..MockConfig::default()
    });
    d.insert(MediaKind::DvdPlusR, true, None).unwrap();
    sense(d.command(&TUR).unwrap(), 6, 0x28, 0);
    sense(d.command(&TUR).unwrap(), 2, 0x04, 0x01);
    sense(d.command(&TUR).unwrap(), 2, 0x04, 0x01);
    good(d.command(&TUR).unwrap());
}

#[test]
fn prevent_allow_and_eject() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusR);
    let lock_state = |d: &mut MockDrive| mode_sense(d, 0, 0x2a).1[8 + 6] & 0x02 != 0;
    assert!(!lock_state(&mut d));
    // 01b: prevent. Eject refused 05/53/02 (QEMU scsi-cd-cd-medium.txt), page 2A Lock State set.
    good(d.command(&[0x1e, 0, 0, 0, 0x01, 0]).unwrap());
    assert!(lock_state(&mut d));
    sense(d.command(&[0x1b, 0, 0, 0, 0x02, 0]).unwrap(), 5, 0x53, 0x02);
    good(d.command(&TUR).unwrap());
    // Feature 0003h keeps only the Lock capability bit; it does not mirror the state.
    let f = get_config(&mut d, 2, 0x0003, 16);
    assert_eq!(f[12], 0x39);
    // 00b: allow.
    good(d.command(&[0x1e, 0, 0, 0, 0x00, 0]).unwrap());
    assert!(!lock_state(&mut d));
    // 11b: persistent prevent, which 00b does not clear.
    good(d.command(&[0x1e, 0, 0, 0, 0x03, 0]).unwrap());
    good(d.command(&[0x1e, 0, 0, 0, 0x00, 0]).unwrap());
    sense(d.command(&[0x1b, 0, 0, 0, 0x02, 0]).unwrap(), 5, 0x53, 0x02);
    assert!(lock_state(&mut d));
    // The button is refused too, with an EjectRequest event.
    assert_eq!(d.eject().unwrap(), EjectOutcome::RefusedLocked);
    assert_eq!(gesn(&mut d)[4], 1);
    assert_eq!(gesn(&mut d)[4], 0, "consumed");
    // 10b clears the persistent prevent.
    good(d.command(&[0x1e, 0, 0, 0, 0x02, 0]).unwrap());
    let s = d.state().unwrap();
    assert!(!s.prevent && !s.persistent_prevent);
    good(d.command(&[0x1b, 0, 0, 0, 0x02, 0]).unwrap());
    let (c, m) = d
        .command_in(&[0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0], 8)
        .unwrap();
    good(c);
    assert_eq!(m[1] & 0x10, 0x10, "door open");
    assert_eq!(gesn(&mut d)[5], 0x01, "tray open, medium not present");
    // Load works while locked; the medium in the tray comes back with NewMedia, no UA.
    good(d.command(&[0x1e, 0, 0, 0, 0x01, 0]).unwrap());
    good(d.command(&[0x1b, 0, 0, 0, 0x03, 0]).unwrap());
    good(d.command(&TUR).unwrap());
    assert_eq!(gesn(&mut d)[4..6], [2, 0x02]);
    // Power loss clears both prevent states.
    good(d.command(&[0x1e, 0, 0, 0, 0x03, 0]).unwrap());
    d.power_loss().unwrap();
    let s = d.state().unwrap();
    assert!(!s.prevent && !s.persistent_prevent);
}

#[test]
fn host_insert_is_refused_while_locked() {
    let (_dir, mut d) = with_media(MediaKind::CdR);
    good(d.command(&[0x1e, 0, 0, 0, 0x01, 0]).unwrap());
    let e = d.insert(MediaKind::DvdPlusR, true, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    assert_eq!(d.state().unwrap().medium.unwrap().kind, MediaKind::CdR);
    d.force_eject().unwrap();
    let s = d.state().unwrap();
    assert!(s.medium.is_none() && s.tray_open && !s.prevent);
    d.insert(MediaKind::DvdPlusR, true, None).unwrap();
    assert!(!d.state().unwrap().tray_open);
}

#[test]
fn gesn_events_and_lengths() {
    let (_dir, mut d) = new_drive(MockConfig::default());
    // Empty, tray closed (QEMU scsi-cd-empty.txt status 00), but length 6 (total − 2), not
    // QEMU's 4.
    assert_eq!(
        gesn(&mut d),
        [0x00, 0x06, 0x04, 0x10, 0x00, 0x00, 0x00, 0x00]
    );
    d.insert(MediaKind::CdR, true, None).unwrap();
    // Allocation length 4 returns the header and keeps the event.
    let (c, h) = d
        .command_in(&[0x4a, 0x01, 0, 0, 0x10, 0, 0, 0, 4, 0], 8)
        .unwrap();
    assert_eq!((good(c).residual, h), (4, vec![0x00, 0x06, 0x04, 0x10]));
    assert_eq!(
        gesn(&mut d),
        [0x00, 0x06, 0x04, 0x10, 0x02, 0x02, 0x00, 0x00]
    );
    assert_eq!(
        gesn(&mut d),
        [0x00, 0x06, 0x04, 0x10, 0x00, 0x02, 0x00, 0x00]
    );
    // No media class requested: header only, NEA.
    let (c, h) = d
        .command_in(&[0x4a, 0x01, 0, 0, 0x02, 0, 0, 0, 8, 0], 8)
        .unwrap();
    good(c);
    assert_eq!(h, [0x00, 0x02, 0x80, 0x10]);
    // QEMU media-events-scsi.txt: unlocked host eject gives status 01 and no event.
    d.eject().unwrap();
    assert_eq!(gesn(&mut d)[4..6], [0, 0x01]);
}

// ---- GET CONFIGURATION ----------------------------------------------------------------

#[test]
fn get_configuration_profiles_and_current_bits() {
    let (_dir, mut d) = new_drive(MockConfig::default());
    let all = get_config(&mut d, 0, 0, 4096);
    assert_eq!(be32(&all, 0) as usize, all.len() - 4);
    assert_eq!(be16(&all, 6), 0);
    for kind in MediaKind::ALL {
        let (dir, mut d) = if kind.is_rom() {
            let (dir, d, _) = rom(kind, 40, MockConfig::default());
            (dir, d)
        } else {
            with_media(kind)
        };
        let _ = &dir;
        let data = get_config(&mut d, 0, 0, 4096);
        assert_eq!(be16(&data, 6), kind.profile(), "{kind}");
        // Feature 0000h: one profile with CurrentP, the current one.
        assert_eq!(be16(&data, 8), 0x0000);
        let list = &data[12..12 + usize::from(data[11])];
        let current: Vec<u16> = list
            .chunks(4)
            .filter(|p| p[2] & 1 == 1)
            .map(|p| be16(p, 0))
            .collect();
        assert_eq!(current, [kind.profile()], "{kind}");
        let f = features(&data);
        let is_current = |code: u16| f.iter().any(|&(c, cur)| c == code && cur);
        assert!(
            is_current(0x0001) && is_current(0x0003) && is_current(0x0010),
            "{kind}"
        );
        assert_eq!(is_current(0x001d), kind.is_cd(), "{kind}");
        assert_eq!(is_current(0x001f), kind.is_dvd(), "{kind}");
        assert_eq!(is_current(0x0040), kind.is_bd(), "{kind}");
        assert_eq!(
            is_current(0x0021),
            matches!(
                kind,
                MediaKind::CdR | MediaKind::CdRw | MediaKind::DvdR | MediaKind::DvdRw
            ),
            "{kind}"
        );
        assert_eq!(is_current(0x002b), kind == MediaKind::DvdPlusR, "{kind}");
        assert_eq!(is_current(0x003b), kind == MediaKind::DvdPlusRDl, "{kind}");
        assert_eq!(is_current(0x002a), kind == MediaKind::DvdPlusRw, "{kind}");
        assert_eq!(is_current(0x0026), kind == MediaKind::DvdRwRo, "{kind}");
        assert_eq!(
            is_current(0x002d),
            matches!(kind, MediaKind::CdR | MediaKind::CdRw),
            "{kind}"
        );
        assert_eq!(is_current(0x0041), kind.is_bd(), "{kind}");
        assert_eq!(
            is_current(0x0020),
            kind == MediaKind::DvdRwRo,
            "{kind} (blank DVD+RW/BD-RE are unformatted)"
        );
        // RT 01b: only current features, in ascending order.
        let cur = features(&get_config(&mut d, 1, 0, 4096));
        assert!(cur.iter().all(|&(_, c)| c), "{kind}");
        assert!(cur.windows(2).all(|w| w[0].0 < w[1].0));
    }
}

#[test]
fn get_configuration_rt_starting_feature_and_allocation() {
    let (_dir, mut d) = with_media(MediaKind::DvdR);
    let full = get_config(&mut d, 0, 0, 4096);
    // Header only, but the length describes everything.
    let (c, h) = d
        .command_in(&[0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0], 4096)
        .unwrap();
    assert_eq!(good(c).residual, 4096 - 8);
    assert_eq!(h[..], full[..8]);
    // RT 10b: exactly feature 21h (growisofs asks with alloc 16).
    let one = get_config(&mut d, 2, 0x0021, 16);
    // Length 4 + 4 + 8; feature byte 7 = number of link sizes, byte 8 = the link size.
    assert_eq!((be32(&one, 0), be16(&one, 8), one[10] & 1), (16, 0x0021, 1));
    assert_eq!(one[8 + 7], 1, "one link size");
    assert_eq!(
        get_config(&mut d, 2, 0x0021, 4096)[8 + 8],
        16,
        "link size 16 on DVD"
    );
    // RT 10b for an unsupported feature: header only.
    let none = get_config(&mut d, 2, 0x0108, 4096);
    assert_eq!((none.len(), be32(&none, 0)), (8, 4));
    // RT 00b from 0040h: features 0040h and up only.
    let f = features(&get_config(&mut d, 0, 0x0040, 4096));
    assert_eq!(f.first().unwrap().0, 0x0040);
    assert!(f.iter().any(|&(c, _)| c == 0x0107));
}

#[test]
fn quick_blank_quirk_drops_incremental() {
    let cfg = MockConfig {
        quirks: Quirks {
            dvd_rw_quick_blank_no_incremental: true,
            ..Quirks::default()
        },
        ..MockConfig::default()
    };
    let (_dir, mut d) = with_media_cfg(MediaKind::DvdRw, cfg, true);
    good(blank(&mut d, true, false));
    let f = get_config(&mut d, 2, 0x0021, 16);
    assert_eq!(f[10] & 1, 0, "feature 21h not current after quick blank");
    sense(write(&mut d, 0, 16, 1), 5, 0x64, 0);
    good(blank(&mut d, false, false));
    assert_eq!(get_config(&mut d, 2, 0x0021, 16)[10] & 1, 1);
    good(write(&mut d, 0, 16, 1));
}

// ---- CD-R / CD-RW ---------------------------------------------------------------------

#[test]
fn cd_r_multisession_lifecycle() {
    let (_dir, mut d) = with_media(MediaKind::CdR);
    let di = disc_info(&mut d);
    assert_eq!(di[2], 0x00, "blank, empty session, not erasable");
    assert_eq!((di[4], di[5], di[6]), (1, 1, 1));
    // Lead-in 97:26:66 (ATIP), last possible lead-out 79:59:74, in MSF.
    assert_eq!(&di[16..24], &[0, 97, 26, 66, 0, 79, 59, 74]);
    let (nwa, free) = nwa_free(&mut d, 0xff);
    assert_eq!((nwa, free), (0, 359_849));
    let (c, atip) = toc(&mut d, false, 4, 0);
    good(c);
    assert_eq!(
        (be16(&atip, 0), atip[6] & 0x40, &atip[8..11], &atip[12..15]),
        (26, 0, &[97, 26, 66][..], &[79, 59, 74][..])
    );
    sense(toc(&mut d, false, 0, 0).0, 5, 0x24, 0);

    // Session 1: TAO, keep appendable.
    good(page05(&mut d, 1, 0b11, false, 0, false));
    good(write(&mut d, 0, 300, 1));
    sense(write(&mut d, 0, 1, 1), 5, 0x21, 0x02);
    sense(write(&mut d, 301, 1, 1), 5, 0x21, 0x02);
    good(write(&mut d, 300, 10, 1));
    let (nwa, free) = nwa_free(&mut d, 0xff);
    assert_eq!((nwa, free), (310, 359_849 - 310));
    let di = disc_info(&mut d);
    assert_eq!(di[2], 0x05, "appendable, incomplete session");
    good(sync(&mut d, false));
    good(close(&mut d, 0b010, 0, false));
    // Track 1 is 310 blocks + 2 run-out; session 2 starts 11400 after the lead-out.
    let di = disc_info(&mut d);
    assert_eq!(di[2], 0x01, "appendable, empty last session");
    assert_eq!((di[4], di[5], di[6]), (2, 2, 2));
    let (nwa, _) = nwa_free(&mut d, 0xff);
    assert_eq!(nwa, 312 + 11_400);
    let (c, t) = track_info(&mut d, 1, 1);
    good(c);
    assert_eq!(
        (be32(&t, 8), be32(&t, 24), t[7] & 1, t[6] & 0x40),
        (0, 312, 0, 0)
    );
    assert_eq!(read_capacity(&mut d), (311, 2048));
    let (c, data) = read(&mut d, 300, 10);
    good(c);
    assert_eq!(data, blocks(300, 10, 1));
    // The 2 run-out blocks fail 05/64/00; the gap after them 05/21/00.
    let (c, _) = read(&mut d, 309, 2);
    sense(c, 5, 0x64, 0);
    assert_eq!(
        be32(c.sense.as_slice(), 3),
        310,
        "INFORMATION = first failing LBA"
    );
    sense(read(&mut d, 312, 1).0, 5, 0x21, 0);

    // TOC: track 1 at 0, lead-out at 312; session info; full TOC with B0.
    let (c, t0) = toc(&mut d, false, 0, 0);
    good(c);
    assert_eq!(
        t0,
        [0x00, 0x12, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0, 0, 0x14, 0xaa, 0, 0, 0, 0x01, 0x38]
    );
    let (c, t1) = toc(&mut d, false, 1, 0);
    good(c);
    assert_eq!(t1, [0x00, 0x0a, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0]);
    let (c, full) = toc(&mut d, true, 2, 0);
    good(c);
    assert_eq!(usize::from(be16(&full, 0)), full.len() - 2);
    assert_eq!((full.len() - 4) % 11, 0);
    let b0: Vec<&[u8]> = full[4..].chunks(11).filter(|p| p[3] == 0xb0).collect();
    assert_eq!(b0.len(), 1);
    assert_eq!(
        &b0[0][4..7],
        &[2, 38, 12],
        "next program area 312+11400 (+150) = 02:38:12"
    );
    assert_eq!(&b0[0][8..11], &[79, 59, 74]);

    // Session 2, then finalize with multi-session 00b.
    good(write(&mut d, 11_712, 300, 2));
    good(page05(&mut d, 1, 0b00, false, 0, false));
    good(close(&mut d, 0b010, 0, false));
    let di = disc_info(&mut d);
    assert_eq!(di[2], 0x0e, "complete disc, complete session");
    assert_eq!(&di[16..24], &[0xff; 8]);
    assert_eq!(di[4], 2);
    sense(write(&mut d, 12_014, 1, 2), 5, 0x30, 0x05);
    sense(track_info(&mut d, 1, 0xff).0, 5, 0x24, 0);
    let (_, t0) = toc(&mut d, false, 0, 0);
    assert_eq!((t0[2], t0[3], be32(&t0, 4 + 16 + 4)), (1, 2, 11_712 + 302));
    let (_, full) = toc(&mut d, true, 2, 0);
    assert_eq!(
        full[4..].chunks(11).filter(|p| p[3] == 0xb0).count(),
        1,
        "only session 1 has B0"
    );
    let (_, t1) = toc(&mut d, false, 1, 0);
    assert_eq!((t1[3], t1[6], be32(&t1, 8)), (2, 2, 11_712));
}

#[test]
fn cd_session_gap_after_later_sessions_and_runout_quirk_off() {
    let cfg = MockConfig {
        quirks: Quirks {
            cd_tao_runout: false,
            ..Quirks::default()
        },
        ..MockConfig::default()
    };
    let (_dir, mut d) = with_media_cfg(MediaKind::CdR, cfg, true);
    good(page05(&mut d, 1, 0b11, false, 0, false));
    good(write(&mut d, 0, 300, 1));
    good(close(&mut d, 0b010, 0, false));
    assert_eq!(nwa_free(&mut d, 0xff).0, 300 + 11_400);
    good(write(&mut d, 11_700, 300, 1));
    good(close(&mut d, 0b010, 0, false));
    assert_eq!(nwa_free(&mut d, 0xff).0, 12_000 + 6_900);
    good(read(&mut d, 11_999, 1).0);
}

#[test]
fn cd_close_track_then_session_and_multi_01() {
    let (_dir, mut d) = with_media(MediaKind::CdRw);
    good(page05(&mut d, 1, 0b01, false, 0, false));
    good(write(&mut d, 0, 300, 1));
    good(close(&mut d, 0b001, 0xff, false));
    let (c, t) = track_info(&mut d, 1, 0xff);
    good(c);
    assert_eq!(
        (be16(&[t[32], t[2]], 0), be32(&t, 8), be32(&t, 12)),
        (2, 302, 302)
    );
    assert_eq!(
        disc_info(&mut d)[2],
        0x15,
        "erasable, appendable, incomplete session"
    );
    good(close(&mut d, 0b010, 0, false));
    assert_eq!(
        disc_info(&mut d)[2] & 0x03,
        2,
        "01b: closed without next session"
    );
    let (_, full) = toc(&mut d, true, 2, 0);
    let b0: Vec<&[u8]> = full[4..].chunks(11).filter(|p| p[3] == 0xb0).collect();
    assert_eq!(&b0[0][4..7], &[0xff, 0xff, 0xff]);
}

#[test]
fn cd_rw_blank_with_immed_progress() {
    let (dir, mut d) = with_media(MediaKind::CdRw);
    good(write(&mut d, 0, 300, 1));
    good(sync(&mut d, false));
    assert!(
        std::fs::metadata(dir.path().join("media.img"))
            .unwrap()
            .len()
            > 0
    );
    good(blank(&mut d, true, true));
    let mut last = 0;
    for i in 0..3 {
        let c = d.command(&TUR).unwrap();
        assert_eq!(ksq(&c), (2, 0x04, 0x07), "poll {i}");
        let p = progress(&c);
        assert!(p > last, "progress increases: {p} after {last}");
        last = p;
    }
    good(d.command(&TUR).unwrap());
    assert_eq!(disc_info(&mut d)[2], 0x10, "erasable, blank");
    assert_eq!(nwa_free(&mut d, 0xff), (0, 359_849));
    assert_eq!(
        std::fs::metadata(dir.path().join("media.img"))
            .unwrap()
            .len(),
        0
    );
    // CD-R cannot be blanked.
    let (_dir, mut d) = with_media(MediaKind::CdR);
    sense(blank(&mut d, false, false), 5, 0x30, 0x05);
}

#[test]
fn cd_sao_without_cue_sheet_and_test_write() {
    let (_dir, mut d) = with_media(MediaKind::CdR);
    good(page05(&mut d, 2, 0, false, 0, false));
    sense(write(&mut d, 0, 1, 1), 5, 0x2c, 0);
    // Test write: accepted, nothing recorded.
    good(page05(&mut d, 1, 0, false, 0, true));
    good(write(&mut d, 0, 16, 1));
    assert_eq!(nwa_free(&mut d, 0xff).0, 0);
    assert_eq!(disc_info(&mut d)[2], 0);
    assert!(d.state().unwrap().test_write);
}

#[test]
fn strict_page05_and_nwa_minus_150_quirks() {
    let cfg = MockConfig {
        quirks: Quirks {
            strict_page05: true,
            cd_nwa_minus_150: true,
            ..Quirks::default()
        },
        ..MockConfig::default()
    };
    let (_dir, mut d) = with_media_cfg(MediaKind::CdR, cfg, true);
    let (c, t) = track_info(&mut d, 1, 0xff);
    good(c);
    assert_eq!((be32(&t, 8), be32(&t, 12)), (0, 0xffff_ff6a));
    sense(write(&mut d, 0, 1, 1), 5, 0x2c, 0);
    good(page05(&mut d, 1, 0b11, false, 0, false));
    good(write(&mut d, 0, 1, 1));
    assert_eq!(nwa_free(&mut d, 0xff).0, 1);
}

// ---- DVD-R / DVD-RW -------------------------------------------------------------------

#[test]
fn dvd_r_incremental_multisession() {
    let (_dir, mut d) = with_media(MediaKind::DvdR);
    assert_eq!(nwa_free(&mut d, 1), (0, 2_298_496));
    // Variable packets reported, blank or written (growisofs stops on FP = 1).
    let (c, t) = track_info(&mut d, 1, 1);
    good(c);
    assert_eq!(
        (t[6] & 0x70, be32(&t, 20)),
        (0x60, 0),
        "blank, incremental, variable packets"
    );
    // Track FFh is not defined for DVD-R.
    sense(track_info(&mut d, 1, 0xff).0, 5, 0x24, 0);
    good(page05(&mut d, 0, 0b11, true, 16, false));
    good(write(&mut d, 0, 32, 1));
    sense(write(&mut d, 32, 8, 1), 5, 0x64, 0x01);
    good(write(&mut d, 32, 16, 1));
    let (c, t) = track_info(&mut d, 1, 1);
    good(c);
    assert_eq!(
        (t[5] & 0x0f, t[6] & 0x30, be32(&t, 20)),
        (5, 0x20, 0),
        "incremental; written with page 05 fixed packets of 16, reported variable"
    );
    assert_eq!(be32(&t, 28), 47, "last recorded address");
    good(sync(&mut d, false));
    good(close(&mut d, 0b001, 1, false));
    good(close(&mut d, 0b010, 0, false));
    let di = disc_info(&mut d);
    assert_eq!((di[2], di[4], di[5], di[6]), (0x01, 2, 2, 2));
    assert_eq!(nwa_free(&mut d, 2), (48, 2_298_496 - 48));
    good(write(&mut d, 48, 16, 2));
    good(page05(&mut d, 0, 0b00, true, 16, false));
    good(close(&mut d, 0b010, 0, false));
    assert_eq!(disc_info(&mut d)[2], 0x0e);
    let (_, t0) = toc(&mut d, false, 0, 0);
    assert_eq!(
        (t0[2], t0[3], t0[5]),
        (1, 2, 0x15),
        "data track, recorded incrementally"
    );
    sense(toc(&mut d, true, 2, 0).0, 5, 0x24, 0);
    sense(write(&mut d, 64, 16, 3), 5, 0x30, 0x05);
}

#[test]
fn dvd_r_dao_completes_after_the_reserved_track_is_flushed() {
    let (_dir, mut d) = with_media(MediaKind::DvdR);
    good(page05(&mut d, 2, 0, false, 0, false));
    sense(write(&mut d, 0, 16, 1), 5, 0x2c, 0);
    good(reserve(&mut d, 40));
    let (c, t) = track_info(&mut d, 1, 1);
    good(c);
    assert_eq!(
        (t[6] & 0x80, be32(&t, 24), be32(&t, 16)),
        (0x80, 48, 48),
        "reserved, rounded to 16"
    );
    good(write(&mut d, 0, 32, 1));
    good(write(&mut d, 32, 16, 1));
    assert_eq!(disc_info(&mut d)[2] & 3, 1);
    good(sync(&mut d, false));
    assert_eq!(disc_info(&mut d)[2], 0x0e);
    assert_eq!(read_capacity(&mut d).0, 47);
}

#[test]
fn dvd_rw_restricted_overwrite_and_back() {
    let (_dir, mut d) = with_media(MediaKind::DvdRw);
    good(write(&mut d, 0, 16, 1));
    let fc = format_capacities(&mut d);
    assert_eq!((fc[3], fc[8] & 3), (32, 0b01));
    let types: Vec<u8> = fc[12..].chunks(8).map(|c| c[4] >> 2).collect();
    assert_eq!(types, [0x00, 0x10, 0x15]);
    // Quick format → Restricted Overwrite, intermediate state.
    good(format(&mut d, 0x15, 0, 0, 16, true));
    for _ in 0..3 {
        assert_eq!(ksq(&d.command(&TUR).unwrap()), (2, 4, 4));
    }
    good(d.command(&TUR).unwrap());
    assert_eq!(be16(&get_config(&mut d, 0, 0, 8), 6), 0x0013);
    assert_eq!(d.state().unwrap().medium.unwrap().kind, MediaKind::DvdRwRo);
    assert_eq!(disc_info(&mut d)[2], 0x15);
    assert_eq!(format_capacities(&mut d)[8] & 3, 0b11);
    // Writes anywhere, in 16-block units.
    good(write(&mut d, 1024, 16, 3));
    sense(write(&mut d, 1000, 16, 3), 5, 0x21, 0x02);
    sense(write(&mut d, 1024, 8, 3), 5, 0x64, 0x01);
    good(write(&mut d, 0, 32, 4));
    good(sync(&mut d, false));
    let (c, data) = read(&mut d, 1024, 16);
    good(c);
    assert_eq!(data, blocks(1024, 16, 3));
    // Unwritten but formatted blocks read as zeros.
    assert_eq!(read(&mut d, 5000, 1).1, vec![0; 2048]);
    good(close(&mut d, 0b010, 0, false));
    assert_eq!(disc_info(&mut d)[2], 0x1e);
    assert_eq!(format_capacities(&mut d)[8] & 3, 0b10);
    assert_eq!(read_capacity(&mut d).0, 2_298_495);
    // Quick grow re-enters the intermediate state.
    good(format(&mut d, 0x13, 0, 0, 16, false));
    assert_eq!(disc_info(&mut d)[2], 0x15);
    // BLANK → Sequential, blank.
    good(blank(&mut d, false, false));
    assert_eq!(be16(&get_config(&mut d, 0, 0, 8), 6), 0x0014);
    assert_eq!(disc_info(&mut d)[2], 0x10);
    sense(read(&mut d, 1024, 1).0, 5, 0x21, 0);
    // DVD-R cannot be formatted.
    let (_dir, mut d) = with_media(MediaKind::DvdR);
    sense(format(&mut d, 0x10, 0, 0, 16, false), 5, 0x30, 0x06);
}

#[test]
fn dvd_rw_ro_inserted_formatted() {
    let (_dir, mut d) = with_media(MediaKind::DvdRwRo);
    assert_eq!(be16(&get_config(&mut d, 0, 0, 8), 6), 0x0013);
    assert_eq!(disc_info(&mut d)[2], 0x1e);
    good(write(&mut d, 16, 16, 9));
    good(blank(&mut d, true, false));
    assert_eq!(be16(&get_config(&mut d, 0, 0, 8), 6), 0x0014);
}

// ---- DVD+R / DVD+R DL -----------------------------------------------------------------

#[test]
fn dvd_plus_r_sessions_and_finalize() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusR);
    assert_eq!(nwa_free(&mut d, 0xff), (0, 2_295_104));
    let di = disc_info(&mut d);
    assert_eq!((di[2], be32(&di, 16), be32(&di, 20)), (0, 0, 2_295_104));
    good(write(&mut d, 0, 64, 1));
    good(sync(&mut d, true));
    for _ in 0..3 {
        assert_eq!(ksq(&d.command(&TUR).unwrap()), (2, 4, 8));
    }
    good(close(&mut d, 0b001, 1, true));
    for _ in 0..3 {
        assert_eq!(ksq(&d.command(&TUR).unwrap()), (2, 4, 7));
    }
    good(close(&mut d, 0b010, 0, false));
    let di = disc_info(&mut d);
    assert_eq!((di[2], di[4], di[6]), (0x01, 2, 2));
    assert_eq!(
        be32(&di, 16),
        64,
        "next session's lead-in: the new invisible track"
    );
    assert_eq!(nwa_free(&mut d, 0xff), (64, 2_295_104 - 64));
    good(write(&mut d, 64, 32, 2));
    good(close(&mut d, 0b001, 0xff, false));
    good(close(&mut d, 0b010, 0, false));
    let (_, t0) = toc(&mut d, false, 0, 0);
    assert_eq!((t0[2], t0[3], be32(&t0, 4 + 16 + 4)), (1, 2, 96));
    // Read by session number: session 2 holds track 2.
    let (c, t) = track_info(&mut d, 2, 2);
    good(c);
    assert_eq!((t[2], be32(&t, 8), be32(&t, 24)), (2, 64, 32));
    // LBA address type.
    let (c, t) = track_info(&mut d, 0, 70);
    good(c);
    assert_eq!(t[2], 2);
    // Finalize (minimal radius) with an empty open session.
    good(close(&mut d, 0b101, 0, false));
    let di = disc_info(&mut d);
    assert_eq!((di[2], di[4]), (0x0e, 2));
    sense(write(&mut d, 96, 16, 3), 5, 0x30, 0x05);
    sense(close(&mut d, 0b010, 0, false), 5, 0x30, 0x05);
    let (c, data) = read(&mut d, 60, 8);
    good(c);
    assert_eq!(data[..4 * 2048], blocks(60, 4, 1)[..]);
    assert_eq!(data[4 * 2048..], blocks(64, 4, 2)[..]);
}

#[test]
fn dvd_plus_r_dl_capacity_and_overrun() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusRDl);
    const CAP: u32 = 4_173_824;
    assert_eq!(nwa_free(&mut d, 0xff), (0, CAP));
    sense(write(&mut d, CAP, 1, 1), 5, 0x21, 0);
    // Reserve all but 16 blocks, then write past the end from the last track's NWA.
    good(reserve(&mut d, CAP - 16));
    let (nwa, free) = nwa_free(&mut d, 0xff);
    assert_eq!((nwa, free), (CAP - 16, 16));
    sense(write(&mut d, CAP - 16, 32, 1), 5, 0x21, 0);
    good(write(&mut d, CAP - 16, 16, 1));
    let (c, t) = track_info(&mut d, 1, 2);
    good(c);
    assert_eq!(
        (t[7] & 1, be32(&t, 16)),
        (0, 0),
        "full: no NWA, no free blocks"
    );
    // The reserved track 1 is still empty: closing the session must fail.
    sense(close(&mut d, 0b010, 0, false), 5, 0x72, 0x04);
    let (c, s) = d
        .command_in(&[0xad, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x04, 0, 0], 2052)
        .unwrap();
    good(c);
    assert_eq!((be16(&s, 0), s[4], s[6] & 0x60), (2050, 0xe1, 0x20));
}

// ---- DVD+RW -------------------------------------------------------------------------

#[test]
fn dvd_plus_rw_background_format() {
    let cfg = MockConfig {
        bg_format_commands: 4,
        ..MockConfig::default()
    };
    let (_dir, mut d) = with_media_cfg(MediaKind::DvdPlusRw, cfg, true);
    let di = disc_info(&mut d);
    assert_eq!((di[2], di[7] & 3), (0x10, 0), "blank, BG format status 00");
    sense(write(&mut d, 0, 16, 1), 5, 0x30, 0x10);
    let fc = format_capacities(&mut d);
    assert_eq!(
        (fc[3], be32(&fc, 4), fc[8] & 3, fc[16] >> 2),
        (16, 2_295_104, 0b01, 0x26)
    );
    // FORMAT 26h, Immed: 02/04/04 with rising progress, then BG format running.
    good(format(&mut d, 0x26, 0, u32::MAX, 0, true));
    let p1 = progress(&d.command(&TUR).unwrap());
    let (c, s) = d.command_in(&[0x03, 0, 0, 0, 18, 0], 18).unwrap();
    good(c);
    assert_eq!((s[2], s[12], s[13], s[15]), (2, 4, 4, 0x80));
    let p2 = u16::from_be_bytes([s[16], s[17]]);
    let p3 = progress(&d.command(&TUR).unwrap());
    assert!(p1 < p2 && p2 < p3, "{p1} {p2} {p3}");
    good(d.command(&TUR).unwrap());
    let di = disc_info(&mut d);
    assert_eq!(
        (di[2], di[7] & 3),
        (0x1e, 0b10),
        "formatted, BG format running"
    );
    good(write(&mut d, 100, 16, 5));
    // Quick stop suspends it; Restart resumes; it completes after 4 more commands.
    good(close(&mut d, 0b000, 0, false));
    assert_eq!(disc_info(&mut d)[7] & 3, 0b01);
    good(format(&mut d, 0x26, 0, u32::MAX, 1, false));
    assert_eq!(disc_info(&mut d)[7] & 3, 0b10);
    for _ in 0..3 {
        good(d.command(&TUR).unwrap());
    }
    assert_eq!(disc_info(&mut d)[7] & 3, 0b11);
    good(sync(&mut d, false));
    let (c, data) = read(&mut d, 100, 16);
    good(c);
    assert_eq!(data, blocks(100, 16, 5));
    assert_eq!(read_capacity(&mut d).0, 2_295_103);
    sense(read(&mut d, 2_295_104, 1).0, 5, 0x21, 0);
    sense(write(&mut d, 2_295_100, 16, 1), 5, 0x21, 0);
    sense(format(&mut d, 0x00, 0, 0, 0, false), 5, 0x26, 0);
    let (c, t) = track_info(&mut d, 1, 1);
    good(c);
    assert_eq!((be32(&t, 24), t[7] & 1), (2_295_104, 1));
    // Inserted formatted.
    let (_dir, mut d) = with_media_cfg(MediaKind::DvdPlusRw, MockConfig::default(), false);
    assert_eq!(disc_info(&mut d)[7] & 3, 0b11);
    good(write(&mut d, 0, 16, 1));
}

// ---- BD-R / BD-RE -----------------------------------------------------------------------

#[test]
fn bd_r_srm_lifecycle() {
    let (_dir, mut d) = with_media(MediaKind::BdR);
    assert_eq!(nwa_free(&mut d, 1), (0, 12_219_392));
    sense(track_info(&mut d, 1, 0xff).0, 5, 0x24, 0);
    // Pseudo-overwrite is refused; SRM without POW is accepted on a blank disc.
    sense(format(&mut d, 0x32, 0b00, 0, 0, false), 5, 0x26, 0);
    good(format(&mut d, 0x00, 0b01, 0, 0, false));
    good(write(&mut d, 0, 32, 1));
    // RESERVE TRACK needs an empty invisible track.
    sense(reserve(&mut d, 40), 5, 0x2c, 0);
    sense(close(&mut d, 0b001, 0xff, false), 5, 0x24, 0);
    good(close(&mut d, 0b001, 1, false));
    good(reserve(&mut d, 40));
    assert_eq!(
        nwa_free(&mut d, 2),
        (32, 64),
        "reservation rounded up to 64 blocks"
    );
    good(write(&mut d, 32, 64, 2));
    good(close(&mut d, 0b001, 2, false));
    good(close(&mut d, 0b010, 0, false));
    let di = disc_info(&mut d);
    assert_eq!((di[2], di[4], di[5]), (0x01, 2, 3));
    good(close(&mut d, 0b110, 0, false));
    assert_eq!(disc_info(&mut d)[2], 0x0e);
    sense(format(&mut d, 0x00, 0b01, 0, 0, false), 5, 0x30, 0x06);
    sense(
        d.command_in(&[0xad, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x04, 0, 0], 2052)
            .unwrap()
            .0,
        5,
        0x30,
        0x02,
    );
    let (c, s) = d
        .command_in(&[0xad, 1, 0, 0, 0, 0, 0, 0, 0x00, 0xff, 0, 0], 255)
        .unwrap();
    good(c);
    assert_eq!((&s[4..6], &s[12..15]), (&b"DI"[..], &b"BDR"[..]));
}

#[test]
fn bd_re_format_types() {
    let (_dir, mut d) = with_media(MediaKind::BdRe);
    let fc = format_capacities(&mut d);
    assert_eq!((fc[3], be32(&fc, 4), fc[8] & 3), (32, 12_219_392, 0b01));
    let descs: Vec<(u32, u8)> = fc[12..]
        .chunks(8)
        .map(|c| (be32(c, 0), c[4] >> 2))
        .collect();
    assert_eq!(
        descs,
        [(11_826_176, 0x00), (11_826_176, 0x30), (12_219_392, 0x31)]
    );
    sense(write(&mut d, 0, 32, 1), 5, 0x30, 0x10);
    assert_eq!(disc_info(&mut d)[2], 0x10);
    good(format(&mut d, 0x31, 0, 12_219_392, 0, true));
    for _ in 0..3 {
        sense(read(&mut d, 0, 1).0, 2, 4, 4);
    }
    assert_eq!(read_capacity(&mut d), (12_219_391, 2048));
    assert_eq!(format_capacities(&mut d)[8] & 3, 0b10);
    assert_eq!(disc_info(&mut d)[2], 0x1e);
    good(d.command_out(&write12(64, 32), &blocks(64, 32, 4)).unwrap());
    let (c, data) = d.command_in(&read12(64, 32), 32 * 2048).unwrap();
    good(c);
    assert_eq!(data, blocks(64, 32, 4));
    good(format(&mut d, 0x00, 0, 0, 0, false));
    assert_eq!(read_capacity(&mut d).0, 11_826_175);
    sense(format(&mut d, 0x31, 0, 12_219_393, 0, false), 5, 0x26, 0);
    sense(close(&mut d, 0b010, 0, false), 5, 0x24, 0);
    let (c, s) = d
        .command_in(&[0xad, 1, 0, 0, 0, 0, 0, 0, 0x00, 0xff, 0, 0], 255)
        .unwrap();
    good(c);
    assert_eq!(&s[12..15], b"BDW");
}

// ---- ROM images and the QEMU oracle -----------------------------------------------------

#[test]
fn cd_rom_answers_like_qemu_scsi_cd() {
    // QEMU scsi-cd-cd-medium.txt: a 1649-block (3,377,152-byte) ISO.
    let (_dir, mut d, image) = rom(MediaKind::CdRom, 1649, MockConfig::qemu_like());
    // GET CONFIGURATION: current profile 0008h; QEMU lists 0010h and 0008h(cur).
    let cfg = get_config(&mut d, 0, 0, 4096);
    assert_eq!(&cfg[4..8], &[0x00, 0x00, 0x00, 0x08]);
    let list = &cfg[12..12 + usize::from(cfg[11])];
    assert!(list.chunks(4).any(|p| p == [0x00, 0x08, 0x01, 0x00]));
    assert!(list.chunks(4).any(|p| p == [0x00, 0x10, 0x00, 0x00]));
    // Features 0001h and 0003h exactly as QEMU: 00 01 0b 08 00 00 00 01 01 00 00 00 and
    // 00 03 0b 04 39 00 00 00.
    assert_eq!(
        get_config(&mut d, 2, 1, 16),
        [0, 0, 0, 0x10, 0, 0, 0, 8, 0, 1, 0x0b, 8, 0, 0, 0, 1]
    );
    assert_eq!(
        get_config(&mut d, 2, 3, 16)[8..],
        [0x00, 0x03, 0x0b, 0x04, 0x39, 0, 0, 0]
    );
    // READ CAPACITY: 00 00 06 70 00 00 08 00.
    assert_eq!(read_capacity(&mut d), (0x670, 2048));
    // READ TOC format 0, LBA and MSF.
    let (c, t) = toc(&mut d, false, 0, 0);
    good(c);
    assert_eq!(
        t,
        [
            0x00, 0x12, 0x01, 0x01, 0x00, 0x14, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x16, 0xaa, 0x00, 0,
            0, 0x06, 0x71
        ]
    );
    let (_, t) = toc(&mut d, true, 0, 0);
    assert_eq!(
        t,
        [
            0x00, 0x12, 0x01, 0x01, 0x00, 0x14, 0x01, 0x00, 0, 0, 2, 0, 0x00, 0x16, 0xaa, 0x00, 0,
            0, 0x17, 0x4a
        ]
    );
    // READ TOC format 2 (full TOC, MSF).
    let (_, full) = toc(&mut d, true, 2, 0);
    assert_eq!(
        full,
        [
            0x00, 0x2e, 0x01, 0x01, //
            0x01, 0x14, 0x00, 0xa0, 0, 0, 0, 0, 0x01, 0x00, 0x00, //
            0x01, 0x14, 0x00, 0xa1, 0, 0, 0, 0, 0x01, 0x00, 0x00, //
            0x01, 0x14, 0x00, 0xa2, 0, 0, 0, 0, 0x00, 0x17, 0x4a, //
            0x01, 0x14, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x02, 0x00,
        ]
    );
    // READ DISC INFORMATION: 00 20 0e 01 01 01 01 20 00 … (all zero after).
    let mut expected = vec![0x00, 0x20, 0x0e, 0x01, 0x01, 0x01, 0x01, 0x20];
    expected.resize(34, 0);
    assert_eq!(disc_info(&mut d), expected);
    // GESN: 00 04 04 10 00 02 00 00 from QEMU, but the length field is total − 2 here.
    assert_eq!(
        gesn(&mut d),
        [0x00, 0x06, 0x04, 0x10, 0x00, 0x02, 0x00, 0x00]
    );
    // MODE SENSE(10) page 2Ah: header 00 1c …, page 2a 14 (the MMC-2 length QEMU uses).
    let (c, m) = d
        .command_in(&[0x5a, 0x08, 0x2a, 0, 0, 0, 0, 0, 0xff, 0], 255)
        .unwrap();
    good(c);
    assert_eq!(
        (&m[..2], &m[8..10], m.len()),
        (&[0x00, 0x1c][..], &[0x2a, 0x14][..], 30)
    );
    // READ(10)/READ(12) at LBA 16: the image's bytes ("\x01CD001").
    let img = std::fs::read(&image).unwrap();
    let (c, data) = read(&mut d, 16, 1);
    good(c);
    assert_eq!(&data[..6], b"\x01CD001");
    assert_eq!(data, img[16 * 2048..17 * 2048]);
    let (_, data) = d.command_in(&read12(0, 32), 65536).unwrap();
    assert_eq!(data, img[..65536]);
    // READ past the end: 05/21/00; WRITE: 07/27/00.
    sense(read(&mut d, 0x10_0000, 1).0, 5, 0x21, 0);
    sense(read(&mut d, 1648, 2).0, 5, 0x21, 0);
    good(read(&mut d, 1648, 1).0);
    sense(write(&mut d, 32, 1, 0), 7, 0x27, 0);
    // READ DVD STRUCTURE on CD media: 05/30/xx.
    let (c, _) = d
        .command_in(&[0xad, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0], 255)
        .unwrap();
    assert_eq!(ksq(&c).1, 0x30);
    // ATIP only exists on recordable CDs.
    sense(toc(&mut d, false, 4, 0).0, 5, 0x24, 0);
    // No writable features current, as QEMU.
    assert!(features(&get_config(&mut d, 1, 0, 4096))
        .iter()
        .all(|&(c, _)| c < 0x20 || c == 0x107));
}

#[test]
fn dvd_rom_answers_like_qemu_scsi_cd() {
    // QEMU scsi-cd-dvd-1GiB.txt: a 1 GiB image, 524288 blocks. The mock's image is sparse.
    let (dir, mut d) = new_drive(MockConfig::qemu_like());
    let image = dir.path().join("big.iso");
    let f = std::fs::File::create(&image).unwrap();
    f.set_len(1 << 30).unwrap();
    f.write_all_at(b"\x01CD001", 16 * 2048).unwrap();
    d.insert(MediaKind::DvdRom, true, Some(&image)).unwrap();
    settle(&mut d);
    assert_eq!(&get_config(&mut d, 0, 0, 8)[4..8], &[0, 0, 0x00, 0x10]);
    // READ CAPACITY: 00 07 ff ff 00 00 08 00.
    assert_eq!(read_capacity(&mut d), (0x7ffff, 2048));
    let (_, t) = toc(&mut d, false, 0, 0);
    assert_eq!(
        t,
        [
            0x00, 0x12, 0x01, 0x01, 0x00, 0x14, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x16, 0xaa, 0x00,
            0x00, 0x08, 0x00, 0x00
        ]
    );
    let (_, t) = toc(&mut d, true, 0, 0);
    assert_eq!(&t[16..20], &[0x00, 0x74, 0x20, 0x26]);
    let mut expected = vec![0x00, 0x20, 0x0e, 0x01, 0x01, 0x01, 0x01, 0x20];
    expected.resize(34, 0);
    assert_eq!(disc_info(&mut d), expected);
    assert_eq!(&read(&mut d, 16, 1).1[..6], b"\x01CD001");
    sense(read(&mut d, 0x10_0000, 1).0, 5, 0x21, 0);
    sense(write(&mut d, 32, 1, 0), 7, 0x27, 0);
    // READ DVD STRUCTURE format 0: QEMU gives 08 02 00 00 01 0f 01 00; the addresses here
    // are physical sector numbers (30000h + LBA), as drives report them, not QEMU's LBAs.
    let (c, s) = d
        .command_in(&[0xad, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0], 255)
        .unwrap();
    assert_eq!(good(c).residual, 0);
    assert_eq!(&s[..8], &[0x08, 0x02, 0x00, 0x00, 0x01, 0x0f, 0x01, 0x00]);
    assert_eq!((be32(&s, 8), be32(&s, 12)), (0x30000, 0x30000 + 0x7ffff));
    // Without QEMU mode, a complete disc reports FFFFFFFFh addresses.
    let mut cfg = d.config().unwrap();
    cfg.qemu_compat = false;
    d.set_config(cfg).unwrap();
    assert_eq!(&disc_info(&mut d)[16..24], &[0xff; 8]);
    // media.img is a copy; the original image is untouched by the drive.
    assert_eq!(std::fs::metadata(d.media_path()).unwrap().len(), 1 << 30);
}

#[test]
fn rom_insert_needs_an_image() {
    let (dir, mut d) = new_drive(MockConfig::default());
    assert_eq!(
        d.insert(MediaKind::CdRom, true, None).unwrap_err().kind(),
        ErrorKind::InvalidRequest
    );
    let tiny = dir.path().join("tiny.iso");
    std::fs::write(&tiny, [0u8; 100]).unwrap();
    assert_eq!(
        d.insert(MediaKind::CdRom, true, Some(&tiny))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidRequest
    );
    assert_eq!(
        d.insert(MediaKind::CdR, true, Some(&tiny))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidRequest
    );
    // A partial last block is not part of the medium.
    std::fs::write(&tiny, [7u8; 2048 * 3 + 100]).unwrap();
    d.insert(MediaKind::DvdRom, true, Some(&tiny)).unwrap();
    settle(&mut d);
    assert_eq!(read_capacity(&mut d).0, 2);
    assert!(d.state().unwrap().medium.unwrap().tracks[0].state == "closed");
}

// ---- allocation lengths and residuals -----------------------------------------------------

#[test]
fn allocation_length_and_residual() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusR);
    // Disc information: alloc 8 of 34, in a 64-byte buffer.
    let (c, data) = d
        .command_in(&[0x51, 0, 0, 0, 0, 0, 0, 0, 8, 0], 64)
        .unwrap();
    assert_eq!((good(c).residual, data.len(), be16(&data, 0)), (56, 8, 32));
    // Buffer smaller than the allocation length.
    let (c, data) = d
        .command_in(&[0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0], 10)
        .unwrap();
    assert_eq!((good(c).residual, data.len()), (0, 10));
    // Track information: 48 bytes available, length field 46.
    let (c, data) = d
        .command_in(&[0x52, 1, 0, 0, 0, 1, 0, 0, 0xff, 0], 255)
        .unwrap();
    assert_eq!(
        (good(c).residual, data.len(), be16(&data, 0)),
        (255 - 48, 48, 46)
    );
    // Mode sense 2A with alloc 16: header + 8 bytes; mode data length describes the whole.
    let (c, data) = d
        .command_in(&[0x5a, 0x08, 0x2a, 0, 0, 0, 0, 0, 16, 0], 16)
        .unwrap();
    good(c);
    assert_eq!(usize::from(be16(&data, 0)), 8 + 32 + 4 * 4 - 2);
    // READ FORMAT CAPACITIES alloc 12.
    let (c, data) = d
        .command_in(&[0x23, 0, 0, 0, 0, 0, 0, 0, 12, 0], 12)
        .unwrap();
    assert_eq!((good(c).residual, data[3]), (0, 8));
    // A CHECK CONDITION moves nothing.
    let (c, data) = d.command_in(&read10(0, 1), 2048).unwrap();
    assert_eq!((c.residual, data.len()), (2048, 0));
    // READ(10) of 0 blocks is GOOD and moves nothing.
    assert_eq!(good(d.command(&read10(0, 0)).unwrap()).residual, 0);
}

/// Linux's sr driver reads page 2Ah with MODE SENSE(6) on SCSI transports; burners that
/// take a drive for SCSI rather than ATAPI (wodim) select page 05 with MODE SELECT(6).
#[test]
fn six_byte_mode_sense_and_select() {
    let (_dir, mut d) = with_media(MediaKind::CdR);
    // The kernel's request: page 2Ah, allocation length 128.
    let (c, six) = d.command_in(&[0x1a, 0, 0x2a, 0, 0x80, 0], 128).unwrap();
    good(c);
    // 4-byte header: mode data length = total - 1, no block descriptors.
    assert_eq!(usize::from(six[0]), six.len() - 1);
    assert_eq!(six[3], 0);
    let (_, ten) = mode_sense(&mut d, 0, 0x2a);
    assert_eq!(&six[4..], &ten[8..]);
    // Allocation length cuts the data, not the length field.
    let (_, cut) = d.command_in(&[0x1a, 0, 0x3f, 0, 8, 0], 8).unwrap();
    assert_eq!(cut.len(), 8);
    assert!(usize::from(cut[0]) > 8);
    sense(
        d.command_in(&[0x1a, 0, 0x0e, 0, 0xff, 0], 255).unwrap().0,
        5,
        0x24,
        0,
    );
    // MODE SELECT(6) of page 05: SAO, multi-session 11b.
    let mut list = vec![0u8; 4];
    let mut p = vec![0u8; 52];
    p[0] = 0x05;
    p[1] = 0x32;
    p[2] = 0x42;
    p[3] = 0xc4;
    p[4] = 8;
    list.extend_from_slice(&p);
    good(
        d.command_out(&[0x15, 0x10, 0, 0, list.len() as u8, 0], &list)
            .unwrap(),
    );
    let (_, p5) = mode_sense(&mut d, 0, 0x05);
    assert_eq!((p5[10], p5[11]), (0x42, 0xc4));
    // A block descriptor length past the list is a parameter list length error.
    list[3] = 200;
    sense(
        d.command_out(&[0x15, 0x10, 0, 0, list.len() as u8, 0], &list)
            .unwrap(),
        5,
        0x1a,
        0,
    );
}

#[test]
fn mode_pages_and_mode_select() {
    let (_dir, mut d) = with_media(MediaKind::CdR);
    let (c, all) = mode_sense(&mut d, 0, 0x3f);
    good(c);
    assert_eq!(usize::from(be16(&all, 0)), all.len() - 2);
    let pages: Vec<u8> = {
        let mut v = Vec::new();
        let mut p = 8;
        while p < all.len() {
            v.push(all[p]);
            p += 2 + usize::from(all[p + 1]);
        }
        v
    };
    assert_eq!(pages, [0x01, 0x05, 0x2a]);
    // Page 05 default: TAO, BUFE, track mode 4, Mode 1.
    let (_, p5) = mode_sense(&mut d, 0, 0x05);
    assert_eq!(
        (&p5[8..10], p5[10], p5[11], p5[12]),
        (&[0x05, 0x32][..], 0x41, 0x04, 0x08)
    );
    let (_, ch) = mode_sense(&mut d, 1, 0x05);
    assert_eq!(ch[10], 0x7f);
    // Page 2A on CD-R: write speed descriptors for CD.
    let (_, p) = mode_sense(&mut d, 0, 0x2a);
    let n = usize::from(be16(&p, 8 + 30));
    assert_eq!(n, 6);
    assert_eq!(usize::from(p[9]), 30 + 4 * n);
    assert_eq!(be16(&p, 8 + 32 + 2), 8467);
    // SET CD SPEED rounds down; page 2A shows it.
    good(
        d.command(&[0xbb, 0, 0xff, 0xff, 0x10, 0x00, 0, 0, 0, 0, 0, 0])
            .unwrap(),
    );
    assert_eq!(be16(&mode_sense(&mut d, 0, 0x2a).1, 8 + 28), 2822);
    // MODE SELECT: bad write type, bad lengths, PF = 0.
    sense(page05(&mut d, 3, 0, false, 0, false), 5, 0x26, 0);
    sense(page05(&mut d, 0, 0, true, 0, false), 5, 0x26, 0);
    sense(
        d.command_out(&[0x55, 0x10, 0, 0, 0, 0, 0, 0, 4, 0], &[0; 4])
            .unwrap(),
        5,
        0x1a,
        0,
    );
    let mut short = vec![0u8; 8];
    short.extend_from_slice(&[0x05, 0x32, 0x01]);
    sense(
        d.command_out(&[0x55, 0x10, 0, 0, 0, 0, 0, 0, 11, 0], &short)
            .unwrap(),
        5,
        0x1a,
        0,
    );
    let mut p2a = vec![0u8; 8];
    p2a.extend_from_slice(&[0x2a, 0x02, 0, 0]);
    sense(
        d.command_out(&[0x55, 0x10, 0, 0, 0, 0, 0, 0, 12, 0], &p2a)
            .unwrap(),
        5,
        0x26,
        0,
    );
    sense(
        d.command_out(&[0x55, 0x00, 0, 0, 0, 0, 0, 0, 12, 0], &p2a)
            .unwrap(),
        5,
        0x24,
        0,
    );
    // A good page 05 sticks and shows in MODE SENSE and the state.
    good(page05(&mut d, 1, 0b11, false, 0, false));
    assert_eq!(mode_sense(&mut d, 0, 0x05).1[11] >> 6, 0b11);
    assert_eq!(d.state().unwrap().multi_session, 0b11);
    // Power loss resets page 05 to the default.
    d.power_loss().unwrap();
    assert_eq!(d.state().unwrap().multi_session, 0);
}

#[test]
fn performance_streaming_and_buffer_capacity() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusR);
    // Type 03h: four write speeds; ask for one to learn the count.
    let (c, p) = d
        .command_in(&[0xac, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x03, 0], 1024)
        .unwrap();
    good(c);
    assert_eq!((be32(&p, 0), p.len()), (4 + 4 * 16, 8 + 16));
    assert_eq!((be32(&p, 8 + 4), be32(&p, 8 + 12)), (2_295_103, 22_160));
    // Type 00h, write, nominal.
    let (c, p) = d
        .command_in(&[0xac, 0x14, 0, 0, 0, 0, 0, 0, 0, 8, 0x00, 0], 1024)
        .unwrap();
    good(c);
    assert_eq!((be32(&p, 0), p[4], be32(&p, 8 + 4)), (20, 0x02, 22_160));
    // SET STREAMING: 5540 kB in 1000 ms.
    let mut desc = [0u8; 28];
    desc[8..12].copy_from_slice(&2_295_103u32.to_be_bytes());
    desc[12..16].copy_from_slice(&22_160u32.to_be_bytes());
    desc[16..20].copy_from_slice(&1000u32.to_be_bytes());
    desc[20..24].copy_from_slice(&5_540u32.to_be_bytes());
    desc[24..28].copy_from_slice(&1000u32.to_be_bytes());
    good(
        d.command_out(&[0xb6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 28, 0], &desc)
            .unwrap(),
    );
    let (_, p) = d
        .command_in(&[0xac, 0x14, 0, 0, 0, 0, 0, 0, 0, 8, 0x00, 0], 1024)
        .unwrap();
    assert_eq!(be32(&p, 8 + 4), 5_540);
    sense(
        d.command_out(&[0xb6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0], &desc[..20])
            .unwrap(),
        5,
        0x1a,
        0,
    );
    // READ BUFFER CAPACITY: 4 MiB, free shrinks with buffered writes.
    let rbc = |d: &mut MockDrive, block: u8| {
        let (c, b) = d
            .command_in(&[0x5c, block, 0, 0, 0, 0, 0, 0, 12, 0], 12)
            .unwrap();
        good(c);
        b
    };
    let b = rbc(&mut d, 0);
    assert_eq!(
        (be16(&b, 0), be32(&b, 4), be32(&b, 8)),
        (10, 4 << 20, 4 << 20)
    );
    good(write(&mut d, 0, 16, 1));
    assert_eq!(be32(&rbc(&mut d, 0), 8), (4 << 20) - 32768);
    assert_eq!(be32(&rbc(&mut d, 1), 8), 2048 - 16);
    good(sync(&mut d, false));
    assert_eq!(be32(&rbc(&mut d, 0), 8), 4 << 20);
}

// ---- Immed, buffer, power loss ------------------------------------------------------------

#[test]
fn immed_polling_is_count_based_and_exempts_some_commands() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusR);
    good(write(&mut d, 0, 16, 1));
    good(sync(&mut d, true));
    // Exempt: INQUIRY, GET CONFIGURATION, GESN, READ BUFFER CAPACITY.
    good(d.command_in(&[0x12, 0, 0, 0, 36, 0], 36).unwrap().0);
    get_config(&mut d, 0, 0, 8);
    gesn(&mut d);
    good(
        d.command_in(&[0x5c, 0, 0, 0, 0, 0, 0, 0, 12, 0], 12)
            .unwrap()
            .0,
    );
    assert_eq!(
        d.state().unwrap().busy,
        Some(("SYNCHRONIZE CACHE".to_string(), 3))
    );
    // Descriptor-format REQUEST SENSE counts as a poll and carries the progress.
    let (c, s) = d.command_in(&[0x03, 1, 0, 0, 252, 0], 252).unwrap();
    good(c);
    assert_eq!((s[0], s[1], s[2], s[3]), (0x72, 2, 4, 8));
    assert_eq!((s[8], s[12]), (0x02, 0x80));
    let p1 = u16::from_be_bytes([s[13], s[14]]);
    assert_eq!((s[16], u16::from_be_bytes([s[22], s[23]])), (0x0a, p1));
    let c = d.command_in(&read10(0, 1), 2048).unwrap().0;
    assert_eq!(ksq(&c), (2, 4, 8));
    assert!(progress(&c) > p1);
    sense(d.command(&TUR).unwrap(), 2, 4, 8);
    good(d.command(&TUR).unwrap());
    assert_eq!(d.state().unwrap().busy, None);
    assert_eq!(d.state().unwrap().buffer_fill, 0);
    // immed_polls = 0: done at once.
    let mut cfg = d.config().unwrap();
    cfg.immed_polls = 0;
    d.set_config(cfg).unwrap();
    good(close(&mut d, 0b010, 0, true));
    good(d.command(&TUR).unwrap());
    assert_eq!(disc_info(&mut d)[4], 2);
    // Errors in an Immed request are reported at once, without polls.
    let mut cfg = d.config().unwrap();
    cfg.immed_polls = 5;
    d.set_config(cfg).unwrap();
    sense(close(&mut d, 0b011, 0, true), 5, 0x24, 0);
    good(d.command(&TUR).unwrap());
}

#[test]
fn power_loss_loses_exactly_the_unsynced_data() {
    let (dir, mut d) = with_media(MediaKind::DvdPlusR);
    good(write(&mut d, 0, 32, 1));
    good(sync(&mut d, false));
    good(write(&mut d, 32, 16, 2));
    good(write(&mut d, 48, 16, 2));
    // Buffered data is readable before the power loss.
    good(read(&mut d, 40, 1).0);
    assert_eq!(d.state().unwrap().buffer_fill, 32 * 2048);
    d.power_loss().unwrap();
    sense(d.command(&TUR).unwrap(), 6, 0x29, 0);
    assert_eq!(
        nwa_free(&mut d, 0xff).0,
        32,
        "NWA back to the end of the synced data"
    );
    sense(read(&mut d, 32, 1).0, 5, 0x21, 0);
    let (c, data) = read(&mut d, 0, 32);
    good(c);
    assert_eq!(data, blocks(0, 32, 1));
    let img = std::fs::read(dir.path().join("media.img")).unwrap();
    assert_eq!(
        img,
        blocks(0, 32, 1),
        "media.img holds exactly the synced data"
    );
    assert_eq!(
        std::fs::metadata(dir.path().join("undo.bin"))
            .map(|m| m.len())
            .unwrap_or(0),
        0
    );
    // The drive carries on from the NWA.
    good(write(&mut d, 32, 16, 3));
}

#[test]
fn power_loss_during_immed_sync_loses_the_data() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusR);
    good(write(&mut d, 0, 16, 1));
    good(sync(&mut d, true));
    sense(d.command(&TUR).unwrap(), 2, 4, 8);
    d.add_fault(Fault::on(0x00).power_loss()).unwrap();
    assert_eq!(d.command(&TUR).unwrap_err().kind(), ErrorKind::Timeout);
    sense(d.command(&TUR).unwrap(), 6, 0x29, 0);
    assert_eq!(disc_info(&mut d)[2], 0x00, "blank again");
}

#[test]
fn buffer_overflow_flushes_oldest_first() {
    let cfg = MockConfig {
        buffer_bytes: 64 * 1024,
        ..MockConfig::default()
    };
    let (dir, mut d) = with_media_cfg(MediaKind::DvdPlusRw, cfg, false);
    for i in 0..5u32 {
        good(write(&mut d, i * 16, 16, 1));
    }
    // 160 KiB written into a 64 KiB buffer: the oldest 96 KiB are on the medium.
    assert_eq!(d.state().unwrap().buffer_fill, 64 * 1024);
    // Overwrite buffered data; reads see the newest.
    good(write(&mut d, 64, 16, 9));
    let (_, data) = read(&mut d, 48, 32);
    assert_eq!(data[..16 * 2048], blocks(48, 16, 1)[..]);
    assert_eq!(data[16 * 2048..], blocks(64, 16, 9)[..]);
    d.power_loss().unwrap();
    settle(&mut d);
    // Overwritable medium: the lost blocks read as whatever was there (zeros).
    // The second write to 64-79 pushed 48-63 out to the medium; 64-79 were only buffered.
    let (c, data) = read(&mut d, 32, 48);
    good(c);
    assert_eq!(data[..32 * 2048], blocks(32, 32, 1)[..]);
    assert!(data[32 * 2048..].iter().all(|&b| b == 0));
    let img = std::fs::read(dir.path().join("media.img")).unwrap();
    assert_eq!(
        img,
        blocks(0, 64, 1),
        "media.img holds exactly the flushed data"
    );
    // Many small writes over recorded data: each saves what it replaces, and the undo
    // file stays bounded (ring and compaction).
    good(write(&mut d, 1000, 200, 1));
    good(sync(&mut d, false));
    for i in 0..200u32 {
        good(write(&mut d, 1000 + i, 1, 2));
    }
    let len = std::fs::metadata(dir.path().join("undo.bin"))
        .unwrap()
        .len();
    assert!(len > 0, "old contents saved");
    assert!(len <= 2 * 64 * 1024, "undo.bin is {len} bytes");
    good(sync(&mut d, false));
    assert_eq!(read(&mut d, 1000, 200).1, blocks(1000, 200, 2));
    // A single write larger than the buffer streams through.
    let (_dir2, mut d2) = with_media_cfg(
        MediaKind::BdRe,
        MockConfig {
            buffer_bytes: 16 * 1024,
            ..MockConfig::default()
        },
        false,
    );
    good(write(&mut d2, 0, 32, 4));
    assert_eq!(d2.state().unwrap().buffer_fill, 0);
    assert_eq!(read(&mut d2, 0, 32).1, blocks(0, 32, 4));
}

#[test]
fn power_loss_puts_back_overwritten_data() {
    let cfg = MockConfig {
        buffer_bytes: 64 * 1024,
        ..MockConfig::default()
    };
    let (dir, mut d) = with_media_cfg(MediaKind::DvdPlusRw, cfg, false);
    good(write(&mut d, 0, 64, 1));
    good(sync(&mut d, false));
    // Two unsynced writes over the same recorded blocks, and one past the end.
    good(write(&mut d, 8, 8, 2));
    good(write(&mut d, 4, 8, 3));
    good(write(&mut d, 60, 8, 4));
    assert_eq!(read(&mut d, 4, 4).1, blocks(4, 4, 3));
    assert_eq!(read(&mut d, 12, 4).1, blocks(12, 4, 2));
    d.power_loss().unwrap();
    settle(&mut d);
    let img = std::fs::read(dir.path().join("media.img")).unwrap();
    assert_eq!(
        img,
        blocks(0, 64, 1),
        "unwound newest first to the synced data"
    );
    // A buffer overflow flushes the front of a write; losing the rest keeps that front.
    good(write(&mut d, 64, 16, 5));
    good(write(&mut d, 80, 32, 5));
    good(write(&mut d, 112, 8, 5));
    // 56 blocks into a 32-block buffer: 64-87 flushed, 88-119 lost.
    assert_eq!(d.state().unwrap().buffer_fill, 64 * 1024);
    d.power_loss().unwrap();
    settle(&mut d);
    let img = std::fs::read(dir.path().join("media.img")).unwrap();
    assert_eq!(img.len(), 88 * 2048);
    assert_eq!(img[..64 * 2048], blocks(0, 64, 1)[..]);
    assert_eq!(img[64 * 2048..], blocks(64, 24, 5)[..]);
}

#[test]
fn fua_eject_and_close_flush_the_buffer() {
    let (dir, mut d) = with_media(MediaKind::DvdPlusR);
    let mut cdb = write10(0, 16);
    cdb[1] = 0x08;
    good(d.command_out(&cdb, &blocks(0, 16, 1)).unwrap());
    assert_eq!(d.state().unwrap().buffer_fill, 0);
    good(write(&mut d, 16, 16, 1));
    good(close(&mut d, 0b001, 1, false));
    assert_eq!(d.state().unwrap().buffer_fill, 0);
    good(write(&mut d, 32, 16, 2));
    good(d.command(&[0x1b, 0, 0, 0, 0x02, 0]).unwrap());
    assert_eq!(d.state().unwrap().buffer_fill, 0);
    assert_eq!(
        std::fs::read(dir.path().join("media.img")).unwrap()[32 * 2048..],
        blocks(32, 16, 2)[..]
    );
}

// ---- faults ---------------------------------------------------------------------------

#[test]
fn fault_nth_write_with_sense() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusR);
    d.add_fault(Fault::on(0x2a).nth(3).sense(0x3, 0x0c, 0x00))
        .unwrap();
    assert_eq!(d.state().unwrap().faults.len(), 1);
    good(write(&mut d, 0, 16, 1));
    good(write(&mut d, 16, 16, 1));
    sense(write(&mut d, 32, 16, 1), 3, 0x0c, 0);
    // Not executed: the NWA did not move; the fault fired once.
    assert_eq!(nwa_free(&mut d, 0xff).0, 32);
    good(write(&mut d, 32, 16, 1));
    assert!(d.state().unwrap().faults.is_empty());
}

#[test]
fn fault_timeout_short_transfer_disconnect_and_sticky() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusR);
    let faults = d.faults();
    // The handle outlives moving the drive into a boxed transport.
    let mut t: Box<dyn Transport> = Box::new(d.clone());
    faults.add(Fault::on(0x2a).timeout()).unwrap();
    let data = blocks(0, 16, 1);
    let cdb = write10(0, 16);
    let e = t
        .execute(Request {
            cdb: &cdb,
            data: DataPhase::Out(&data),
            timeout: Duration::from_millis(1234),
        })
        .unwrap_err();
    match e {
        Error::Timeout {
            opcode, timeout_ms, ..
        } => assert_eq!((opcode, timeout_ms), (0x2a, 1234)),
        other => panic!("{other}"),
    }
    assert_eq!(
        nwa_free(&mut d, 0xff).0,
        0,
        "a timed-out command was not executed"
    );
    faults.add(Fault::on(0x51).short_transfer(10)).unwrap();
    let (c, data) = d
        .command_in(&[0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0], 34)
        .unwrap();
    assert_eq!((good(c).residual, data.len()), (10, 24));
    faults
        .add(
            Fault::on(0x00)
                .nth(2)
                .transport(ErrorKind::Disconnected)
                .sticky(),
        )
        .unwrap();
    good(d.command(&TUR).unwrap());
    for _ in 0..3 {
        let e = d.command(&TUR).unwrap_err();
        assert!(
            matches!(
                e,
                Error::HostStatus {
                    host_status: 0x01,
                    ..
                }
            ),
            "{e}"
        );
    }
    assert_eq!(faults.pending().unwrap().len(), 1);
    faults.clear().unwrap();
    good(d.command(&TUR).unwrap());
    drop(t);
}

#[test]
fn fault_power_loss_on_write() {
    let (_dir, mut d) = with_media(MediaKind::CdR);
    good(page05(&mut d, 1, 0b11, false, 0, false));
    good(write(&mut d, 0, 300, 1));
    good(d.command(&[0x1e, 0, 0, 0, 0x01, 0]).unwrap());
    // Set from another handle, as `spindle mock fault` would from another process.
    MockDrive::open(d.dir())
        .unwrap()
        .add_fault(Fault::on(0x2a).power_loss())
        .unwrap();
    let e = d
        .command_out(&write10(300, 10), &blocks(300, 10, 1))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    sense(d.command(&TUR).unwrap(), 6, 0x29, 0);
    assert_eq!(
        nwa_free(&mut d, 0xff).0,
        0,
        "the 300 blocks were never synced"
    );
    let s = d.state().unwrap();
    assert!(!s.prevent);
    assert_eq!(s.multi_session, 0, "page 05 back to its default");
}

#[test]
fn transcript_lines_and_switch() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusR);
    let before = d.transcript().unwrap();
    assert_eq!(
        before.lines().count(),
        5,
        "settle(): TUR (UA), TUR, TUR, GESN (NewMedia), GESN"
    );
    assert!(before.starts_with("00 00 00 00 00 00 | none 0/0 | CHECK CONDITION 6/28/00\n"));
    good(write(&mut d, 0, 16, 1));
    sense(write(&mut d, 0, 16, 1), 5, 0x21, 0x02);
    d.add_fault(Fault::on(0x00).timeout()).unwrap();
    let _ = d.command(&TUR);
    let _ = d.command_in(&[0x51, 0, 0, 0, 0, 0, 0, 0, 8, 0], 64);
    let t = d.transcript().unwrap();
    let new: Vec<&str> = t[before.len()..].lines().collect();
    assert_eq!(
        new[0],
        "2A 00 00 00 00 00 00 00 10 00 | out 32768/32768 | GOOD"
    );
    assert_eq!(
        new[1],
        "2A 00 00 00 00 00 00 00 10 00 | out 0/32768 | CHECK CONDITION 5/21/02"
    );
    assert!(
        new[2].starts_with("00 00 00 00 00 00 | none 0/0 | TRANSPORT ERROR"),
        "{}",
        new[2]
    );
    assert_eq!(new[3], "51 00 00 00 00 00 00 00 08 00 | in 8/64 | GOOD");
    // The same line Recorder writes for the same exchange.
    let mut rec = crate::Recorder::new(d.clone(), Vec::new());
    let mut buf = [0u8; 64];
    let cdb = [0x51, 0, 0, 0, 0, 0, 0, 0, 8, 0];
    rec.execute(Request {
        cdb: &cdb,
        data: DataPhase::In(&mut buf),
        timeout: Duration::from_secs(1),
    })
    .unwrap();
    let (_, out) = rec.into_inner();
    assert_eq!(String::from_utf8(out).unwrap().trim_end(), new[3]);
    // Off: nothing appended.
    let mut cfg = d.config().unwrap();
    cfg.transcript = false;
    d.set_config(cfg).unwrap();
    let len = d.transcript().unwrap().len();
    good(d.command(&TUR).unwrap());
    assert_eq!(d.transcript().unwrap().len(), len);
}

#[test]
fn pacing_models_the_drive_buffer() {
    // 1000 kB/s with a 128 KiB buffer: two 64 KiB WRITEs fill the buffer at once; the third
    // waits for the medium to record one of them; SYNCHRONIZE CACHE waits for all of it.
    let cfg = MockConfig {
        pace_kbs: Some(1000),
        buffer_bytes: 128 * 1024,
        ..MockConfig::default()
    };
    let (_dir, mut d) = with_media_cfg(MediaKind::DvdPlusRw, cfg, false);
    let t = Instant::now();
    good(write(&mut d, 0, 32, 1));
    good(write(&mut d, 32, 32, 2));
    let buffered = t.elapsed();
    assert!(
        buffered < Duration::from_millis(60),
        "two WRITEs into an empty buffer waited {buffered:?}"
    );
    good(write(&mut d, 64, 32, 3));
    assert!(
        t.elapsed() >= Duration::from_millis(60),
        "the third 64 KiB WRITE must wait for the medium: {:?}",
        t.elapsed()
    );
    good(d.command(&[0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap());
    // 3 × 65536 bytes at 1000 kB/s = 196.6 ms.
    assert!(
        t.elapsed() >= Duration::from_millis(190),
        "SYNCHRONIZE CACHE returns when the medium has caught up: {:?}",
        t.elapsed()
    );
}

#[test]
fn state_snapshot() {
    let (_dir, mut d) = with_media(MediaKind::DvdPlusR);
    good(write(&mut d, 0, 16, 1));
    let s = d.state().unwrap();
    let m = s.medium.as_ref().unwrap();
    assert_eq!(
        (
            m.kind,
            m.profile.as_str(),
            m.disc_status.as_str(),
            m.nwa,
            m.free_blocks
        ),
        (
            MediaKind::DvdPlusR,
            "001Bh",
            "appendable",
            Some(16),
            2_295_104 - 16
        )
    );
    assert_eq!(m.tracks[0].state, "incomplete");
    assert_eq!((s.buffer_fill, s.buffer_capacity), (32768, 4 << 20));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["medium"]["kind"], "dvd+r");
    assert_eq!(json["tray_open"], false);
}

#[test]
fn every_sequential_medium_blank_append_finalize() {
    use MediaKind::*;
    for kind in [CdR, CdRw, DvdR, DvdRw, DvdPlusR, DvdPlusRDl, BdR] {
        let (_dir, mut d) = with_media(kind);
        let cap = kind.nominal_capacity().unwrap();
        let page05_media = matches!(kind, CdR | CdRw | DvdR | DvdRw);
        if page05_media {
            good(page05(
                &mut d,
                u8::from(kind.is_cd()),
                0b11,
                false,
                0,
                false,
            ));
        }
        let n: u16 = if kind.is_cd() { 300 } else { 32 };
        let n32 = u32::from(n);
        let last = u32::from(disc_info(&mut d)[6]);
        assert_eq!(nwa_free(&mut d, last), (0, cap), "{kind}");
        good(write(&mut d, 0, n, 1));
        assert_eq!(nwa_free(&mut d, last), (n32, cap - n32), "{kind}");
        assert_eq!(disc_info(&mut d)[2] & 0x0f, 0x05, "{kind}");
        good(sync(&mut d, false));
        good(close(&mut d, 0b001, last as u16, false));
        good(close(&mut d, 0b010, 0, false));
        let di = disc_info(&mut d);
        assert_eq!(
            (di[2] & 0x0f, di[4], di[5], di[6]),
            (0x01, 2, 2, 2),
            "{kind}"
        );
        let start = if kind.is_cd() { n32 + 2 + 11_400 } else { n32 };
        assert_eq!(nwa_free(&mut d, 2), (start, cap - start), "{kind}");
        good(write(&mut d, start, n, 2));
        match kind {
            CdR | CdRw | DvdR | DvdRw => {
                good(page05(
                    &mut d,
                    u8::from(kind.is_cd()),
                    0b00,
                    false,
                    0,
                    false,
                ));
                good(close(&mut d, 0b010, 0, false));
            }
            _ => {
                good(close(&mut d, 0b110, 0, false));
            }
        }
        let di = disc_info(&mut d);
        assert_eq!((di[2] & 0x0f, di[4]), (0x0e, 2), "{kind}");
        sense(write(&mut d, start + n32 + 16, 16, 3), 5, 0x30, 0x05);
        let (c, data) = read(&mut d, start, 16);
        good(c);
        assert_eq!(data, blocks(start, 16, 2), "{kind}");
        let (c, data) = read(&mut d, 0, 16);
        good(c);
        assert_eq!(data, blocks(0, 16, 1), "{kind}");
        // Unwritten areas after the last session do not read.
        sense(read(&mut d, start + n32 + 100, 1).0, 5, 0x21, 0);
    }
}

#[test]
fn quirks_for_old_and_pioneer_drives() {
    let cfg = MockConfig {
        quirks: Quirks {
            pioneer_tur_ready: true,
            set_streaming_unsupported: true,
            get_configuration_unsupported: true,
            track_info_fails_when_complete: true,
            ..Quirks::default()
        },
        ..MockConfig::default()
    };
    let (_dir, mut d) = with_media_cfg(MediaKind::DvdPlusR, cfg, true);
    sense(
        d.command_in(&[0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0], 8)
            .unwrap()
            .0,
        5,
        0x20,
        0,
    );
    sense(
        d.command_out(&[0xb6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 28, 0], &[0; 28])
            .unwrap(),
        5,
        0x20,
        0,
    );
    good(write(&mut d, 0, 16, 1));
    good(close(&mut d, 0b110, 0, true));
    // TUR says GOOD while the drive is busy; READ DISC INFORMATION does not.
    good(d.command(&TUR).unwrap());
    sense(
        d.command_in(&[0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0], 34)
            .unwrap()
            .0,
        2,
        4,
        7,
    );
    good(d.command(&TUR).unwrap());
    assert_eq!(disc_info(&mut d)[2], 0x0e);
    sense(track_info(&mut d, 1, 1).0, 5, 0x24, 0);
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    const OPCODES: [u8; 33] = [
        0x00, 0x03, 0x04, 0x12, 0x15, 0x1a, 0x1b, 0x1e, 0x23, 0x25, 0x28, 0x2a, 0x35, 0x43, 0x46,
        0x4a, 0x51, 0x52, 0x53, 0x54, 0x55, 0x5a, 0x5b, 0x5c, 0xa1, 0xa8, 0xaa, 0xac, 0xad, 0xb6,
        0xbb, 0xbd, 0xbe,
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

        /// Arbitrary CDBs and data phases never panic: every exchange ends in a completion
        /// or a transport error, and the drive stays usable.
        #[test]
        fn arbitrary_commands_never_panic(
            kind in 0usize..12,
            commands in proptest::collection::vec(
                (0usize..OPCODES.len(), proptest::collection::vec(any::<u8>(), 0..16), 0u8..3, 0usize..8192),
                1..12,
            ),
        ) {
            let kind = MediaKind::ALL[kind];
            let (_dir, mut d) = if kind.is_rom() {
                let (dir, d, _) = rom(kind, 64, MockConfig::default());
                (dir, d)
            } else {
                with_media(kind)
            };
            for (op, rest, dir, len) in commands {
                let mut cdb = vec![OPCODES[op]];
                cdb.extend_from_slice(&rest);
                let mut buf = vec![0x5au8; len];
                let data = match dir {
                    0 => DataPhase::None,
                    1 => DataPhase::In(&mut buf),
                    _ => DataPhase::Out(&buf[..]),
                };
                let requested = data.len();
                if let Ok(c) = d.execute(Request { cdb: &cdb, data, timeout: Duration::from_secs(1) }) {
                    prop_assert!(c.residual <= requested);
                }
            }
            // Whatever happened, the state still loads and INQUIRY answers.
            prop_assert!(d.state().is_ok());
            let (c, _) = d.command_in(&[0x12, 0, 0, 0, 36, 0], 36).unwrap();
            prop_assert!(c.is_good());
        }
    }
}
