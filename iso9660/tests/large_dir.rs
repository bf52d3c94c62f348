//! A directory larger than any in-memory limit the reader ever had (512 MiB of records, the
//! size a flat backup of four million files needs) is walked, listed, looked up in and
//! imported for an append, record by record. The image is sparse: a source that answers
//! zeros between the few sectors that hold records, so the test reads 600 MiB of directory
//! without holding it.

#[path = "support/crafted.rs"]
mod crafted;

use std::collections::BTreeMap;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use crafted::{dir_sector, record, ROOT_LBA, SECTOR};
use iso9660::raw::descriptor::{encode_terminator, DescriptorType, VolumeDescriptor};
use iso9660::raw::record::ID_SELF;
use iso9660::{Image, ImageBuilder, Lba, Options, WalkBudget};

/// The largest directory extent the reader once accepted (`MAX_DIR_BYTES`, 512 MiB).
const OLD_LIMIT: u64 = 512 << 20;
/// Sectors of the root directory: 600 MiB.
const ROOT_SECTORS: u32 = 307_200;
/// Every this many sectors of the root holds a full sector of file records.
const STRIDE: u32 = 10_000;

/// A byte source of `len` bytes that are zero except for `chunks` (offset -> bytes).
struct Sparse {
    len: u64,
    chunks: BTreeMap<u64, Vec<u8>>,
    pos: u64,
}

impl Sparse {
    fn put(&mut self, lba: u32, bytes: Vec<u8>) {
        self.chunks.insert(u64::from(lba) * SECTOR as u64, bytes);
    }
}

impl Read for Sparse {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.len - self.pos) as usize;
        // Inside a chunk: copy from it; else zeros up to the next chunk.
        if let Some((&at, bytes)) = self.chunks.range(..=self.pos).next_back() {
            let end = at + bytes.len() as u64;
            if self.pos < end {
                let n = want.min((end - self.pos) as usize);
                let from = (self.pos - at) as usize;
                buf[..n].copy_from_slice(&bytes[from..from + n]);
                self.pos += n as u64;
                return Ok(n);
            }
        }
        let next = self
            .chunks
            .range(self.pos..)
            .next()
            .map_or(self.len, |(&at, _)| at);
        let n = want.min((next - self.pos) as usize);
        buf[..n].fill(0);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Sparse {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::End(d) => self.len.checked_add_signed(d).unwrap(),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d).unwrap(),
        };
        Ok(self.pos)
    }
}

/// The file names of one full sector of records, `sector` being its index in the root.
fn names_in(sector: u32) -> Vec<String> {
    (0..40).map(|i| format!("F{sector:06}{i:02}.DAT")).collect()
}

/// A plain ISO 9660 volume whose root is [`ROOT_SECTORS`] sectors long. Its sectors 0,
/// STRIDE, 2 * STRIDE, ... and the last hold file records (all pointing at one data
/// sector); the last also holds directory SUB with one file, SUB/INNER.DAT. Returns the
/// source, the paths a walk must meet in order, and the data sector's content.
fn big_root() -> (Sparse, Vec<String>, Vec<u8>) {
    let data_lba = ROOT_LBA + ROOT_SECTORS;
    let sub_lba = data_lba + 1;
    let sectors = sub_lba + 1;
    let root_len = ROOT_SECTORS * SECTOR as u32;
    let content = b"the same bytes for every file\n".to_vec();
    let mut src = Sparse {
        len: u64::from(sectors) * SECTOR as u64,
        chunks: BTreeMap::new(),
        pos: 0,
    };
    let mut root_record = [0u8; 34];
    root_record.copy_from_slice(&record(ROOT_LBA, root_len, true, ID_SELF));
    let pvd = VolumeDescriptor {
        kind: DescriptorType::PRIMARY,
        escapes: [0; 3],
        system_id: Vec::new(),
        volume_id: b"BIGROOT".to_vec(),
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
    src.put(16, pvd.encode().to_vec());
    src.put(17, encode_terminator().to_vec());

    let mut expected = Vec::new();
    let file = |name: &str| {
        record(
            data_lba,
            content.len() as u32,
            false,
            format!("{name};1").as_bytes(),
        )
    };
    let mut with_records = (0..ROOT_SECTORS)
        .step_by(STRIDE as usize)
        .collect::<Vec<_>>();
    with_records.push(ROOT_SECTORS - 1);
    for &i in &with_records {
        let names = names_in(i);
        let mut records: Vec<Vec<u8>> = names.iter().map(|n| file(n)).collect();
        if i == ROOT_SECTORS - 1 {
            records.push(record(sub_lba, SECTOR as u32, true, b"SUB"));
        }
        // Every record must fit its sector ("." and ".." take 68 bytes of the first): the
        // walk is checked against all of them.
        assert!(records.concat().len() + 68 <= SECTOR);
        let sector = if i == 0 {
            dir_sector(ROOT_LBA, root_len, ROOT_LBA, &records)
        } else {
            // Only the first sector starts with "." and "..".
            let mut s: Vec<u8> = records.concat();
            s.resize(SECTOR, 0);
            s
        };
        src.put(ROOT_LBA + i, sector);
        expected.extend(names);
        if i == ROOT_SECTORS - 1 {
            expected.push("SUB".into());
            expected.push("SUB/INNER.DAT".into());
        }
    }
    src.put(data_lba, {
        let mut s = content.clone();
        s.resize(SECTOR, 0);
        s
    });
    src.put(
        sub_lba,
        dir_sector(sub_lba, SECTOR as u32, ROOT_LBA, &[file("INNER.DAT")]),
    );
    (src, expected, content)
}

#[test]
fn a_directory_past_the_old_in_memory_limit_is_walked_listed_and_imported() {
    let (src, expected, content) = big_root();
    assert!(u64::from(ROOT_SECTORS) * SECTOR as u64 > OLD_LIMIT);
    let mut img = Image::open(src).unwrap();

    // The walk meets every entry, in recorded order, and reads the directory once.
    let mut seen = Vec::new();
    let root = img.root().unwrap();
    let stats = img
        .walk_lossy(
            &root,
            Path::new(""),
            |w| {
                seen.push(w.path.to_string_lossy().into_owned());
                Ok(())
            },
            |d| panic!("damaged: {d:?}"),
        )
        .unwrap();
    assert_eq!(seen.len(), expected.len());
    assert_eq!(seen, expected);
    assert_eq!(stats.directories, 2);
    let root_bytes = u64::from(ROOT_SECTORS) * SECTOR as u64;
    assert_eq!(stats.metadata_bytes, root_bytes + SECTOR as u64);
    assert!(stats.metadata_bytes <= WalkBudget::for_volume_end(img.volume_end()).metadata_bytes);

    // The strict walk, a listing and a lookup of the last file agree.
    let mut strict = 0usize;
    img.walk(|_| {
        strict += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(strict, expected.len());
    let listing = img.read_dir(&root).unwrap();
    assert_eq!(listing.len(), expected.len() - 1);
    let last = expected[expected.len() - 3].clone();
    let e = img.lookup(&last).unwrap();
    let mut out = Vec::new();
    img.read_file(&e, &mut out).unwrap();
    assert_eq!(out, content);
    assert_eq!(
        img.lookup("SUB/INNER.DAT").unwrap().size,
        content.len() as u64
    );

    // Importing it for an append keeps every entry: the new session's own root lists them.
    let start = u32::try_from(img.volume_end())
        .unwrap()
        .next_multiple_of(16);
    let options = Options {
        volume_id: "APPENDED".into(),
        source_date_epoch: Some(1_700_000_000),
        joliet: false,
        md5: false,
        ..Options::default()
    };
    let layout = ImageBuilder::append(options, &mut img, Lba(start))
        .unwrap()
        .plan()
        .unwrap();
    let mut session = Vec::new();
    layout.write_to(Cursor::new(&mut session)).unwrap();
    let mut src = img.into_inner();
    src.len = u64::from(start) * SECTOR as u64 + session.len() as u64;
    src.chunks.insert(u64::from(start) * SECTOR as u64, session);
    let mut next = Image::open_session(src, Lba(start)).unwrap();
    let mut again = Vec::new();
    next.walk(|w| {
        again.push(w.path.to_string_lossy().into_owned());
        Ok(())
    })
    .unwrap();
    again.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(again, want);
}
