//! Hostile images built sector by sector, for the reader's tests, the CLI's tests and the
//! benchmark in BENCHMARKS.md (`cargo run -p iso9660 --example crafted`). Plain ISO 9660, no
//! Rock Ridge: the damage is in the directory records themselves.
#![allow(dead_code)]

use iso9660::raw::descriptor::{encode_terminator, DescriptorType, VolumeDescriptor};
use iso9660::raw::record::{DirRecord, FileFlags, ID_PARENT, ID_SELF};

/// Sector size.
pub const SECTOR: usize = 2048;
/// Where the root directory goes (after the PVD at 16 and the terminator at 17).
pub const ROOT_LBA: u32 = 18;

/// One directory record.
pub fn record(extent: u32, len: u32, dir: bool, id: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    DirRecord {
        ext_attr_len: 0,
        extent,
        data_length: len,
        recorded: [126, 1, 2, 3, 4, 5, 0],
        flags: if dir {
            FileFlags::DIRECTORY
        } else {
            FileFlags::default()
        },
        file_unit_size: 0,
        interleave_gap: 0,
        volume_seq: 1,
        identifier: id,
        system_use: &[],
    }
    .encode(&mut out);
    out
}

/// A directory sector starting with "." (at `me`, `len` bytes) and "..", then `records`
/// packed as far as they fit (records never cross a sector).
pub fn dir_sector(me: u32, len: u32, parent: u32, records: &[Vec<u8>]) -> Vec<u8> {
    let mut s = record(me, len, true, ID_SELF);
    s.extend(record(parent, SECTOR as u32, true, ID_PARENT));
    for r in records {
        if s.len() + r.len() > SECTOR {
            break;
        }
        s.extend_from_slice(r);
    }
    s.resize(SECTOR, 0);
    s
}

/// A directory of `n` sectors: "." and ".." then `records`, each record in the first sector
/// it fits in whole.
pub fn dir_sectors(me: u32, n: u32, parent: u32, records: &[Vec<u8>]) -> Vec<u8> {
    let len = n * SECTOR as u32;
    let mut out = Vec::new();
    let mut cur = record(me, len, true, ID_SELF);
    cur.extend(record(parent, SECTOR as u32, true, ID_PARENT));
    for r in records {
        if cur.len() + r.len() > SECTOR {
            cur.resize(SECTOR, 0);
            out.extend_from_slice(&cur);
            cur.clear();
        }
        cur.extend_from_slice(r);
    }
    cur.resize(SECTOR, 0);
    out.extend_from_slice(&cur);
    out.resize(len as usize, 0);
    out
}

/// An image of `sectors` sectors whose root is `root_len` bytes at [`ROOT_LBA`]; the caller
/// fills the sectors from [`ROOT_LBA`] on.
pub fn volume(sectors: u32, root_len: u32) -> Vec<u8> {
    let mut img = vec![0u8; sectors as usize * SECTOR];
    let mut root_record = [0u8; 34];
    root_record.copy_from_slice(&record(ROOT_LBA, root_len, true, ID_SELF));
    let pvd = VolumeDescriptor {
        kind: DescriptorType::PRIMARY,
        escapes: [0; 3],
        system_id: Vec::new(),
        volume_id: b"CRAFTED".to_vec(),
        volume_space_size: sectors,
        path_table_size: 0,
        path_table_l: 0,
        path_table_m: 0,
        root_record,
        volume_set_id: Vec::new(),
        publisher_id: Vec::new(),
        preparer_id: Vec::new(),
        application_id: Vec::new(),
        created: None,
        modified: None,
    };
    put(&mut img, 16, &pvd.encode());
    put(&mut img, 17, &encode_terminator());
    img
}

/// Writes `bytes` at sector `lba`.
pub fn put(img: &mut [u8], lba: u32, bytes: &[u8]) {
    let at = lba as usize * SECTOR;
    img[at..at + bytes.len()].copy_from_slice(bytes);
}

/// The amplification attack of the hardening issue: a 4 MiB image whose root holds 64
/// directory records pointing at overlapping extents, and every sector after the root is a
/// directory start whose records point at further overlapping directories. Keyed on start
/// blocks, a walk reads every sector as the start of a directory megabytes long: hundreds
/// of millions of entries from 4 MiB.
pub fn overlapping_dirs() -> Vec<u8> {
    let sectors = 2048u32;
    let first = ROOT_LBA + 2;
    let span = |lba: u32| (sectors - lba) * SECTOR as u32;
    let mut img = volume(sectors, 2 * SECTOR as u32);
    let kids: Vec<Vec<u8>> = (0..64u32)
        .map(|i| {
            record(
                first + i,
                span(first + i),
                true,
                format!("D{i:02}").as_bytes(),
            )
        })
        .collect();
    put(
        &mut img,
        ROOT_LBA,
        &dir_sectors(ROOT_LBA, 2, ROOT_LBA, &kids),
    );
    for lba in first..sectors {
        let kids: Vec<Vec<u8>> = (0..64u32)
            .map(|i| {
                let to = first + (lba * 7 + i * 13) % (sectors - first);
                record(to, span(to), true, format!("E{i:02}").as_bytes())
            })
            .collect();
        put(&mut img, lba, &dir_sector(lba, span(lba), ROOT_LBA, &kids));
    }
    img
}

/// Content of the files of [`one_bad_extent`], by name.
pub const GOOD_FILES: [(&str, &[u8]); 3] = [
    ("A.TXT", b"alpha\n"),
    ("C.TXT", b"gamma\n"),
    ("SUB/D.TXT", b"delta\n"),
];

/// A small image with files A.TXT, B.TXT, C.TXT in the root and SUB/D.TXT, where B.TXT's
/// extent lies past the end of the volume.
pub fn one_bad_extent() -> Vec<u8> {
    let sectors = 40u32;
    let mut img = volume(sectors, SECTOR as u32);
    let sub = ROOT_LBA + 1;
    let (a, c, d) = (30u32, 31u32, 32u32);
    let root = [
        record(a, 6, false, b"A.TXT;1"),
        record(1_000_000, 6, false, b"B.TXT;1"),
        record(c, 6, false, b"C.TXT;1"),
        record(sub, SECTOR as u32, true, b"SUB"),
    ];
    put(
        &mut img,
        ROOT_LBA,
        &dir_sector(ROOT_LBA, SECTOR as u32, ROOT_LBA, &root),
    );
    let subdir = [record(d, 6, false, b"D.TXT;1")];
    put(
        &mut img,
        sub,
        &dir_sector(sub, SECTOR as u32, ROOT_LBA, &subdir),
    );
    put(&mut img, a, GOOD_FILES[0].1);
    put(&mut img, c, GOOD_FILES[1].1);
    put(&mut img, d, GOOD_FILES[2].1);
    img
}
