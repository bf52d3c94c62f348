//! GET CONFIGURATION (46h, MMC-6 §6.6): the drive's profiles and features, each feature's
//! Current bit following the loaded medium.

use super::bytes::{put_be16, put_be32, Cdb};
use super::engine::{CmdResult, Engine, Reply};
use super::kind::MediaKind;
use super::media::Media;
use super::profile::replay_features;
use super::sense::INVALID_FIELD_IN_CDB;

/// Every profile the mock drive supports, highest first as drives list them.
pub(crate) const PROFILES: [u16; 13] = [
    0x0043, 0x0041, 0x0040, 0x002B, 0x001B, 0x001A, 0x0014, 0x0013, 0x0011, 0x0010, 0x000A, 0x0009,
    0x0008,
];

/// One feature descriptor before encoding.
#[derive(Debug)]
struct Feature {
    code: u16,
    version: u8,
    persistent: bool,
    current: bool,
    data: Vec<u8>,
}

impl Feature {
    fn new(code: u16, version: u8, current: bool, data: Vec<u8>) -> Feature {
        Feature {
            code,
            version,
            persistent: false,
            current,
            data,
        }
    }

    fn persistent(mut self) -> Feature {
        self.persistent = true;
        self
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.code.to_be_bytes());
        out.push(self.version << 2 | u8::from(self.persistent) << 1 | u8::from(self.current));
        out.push(u8::try_from(self.data.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(&self.data);
    }
}

impl Engine<'_> {
    fn features(&self) -> Vec<Feature> {
        let m: Option<&dyn Media> = self.st.loaded().map(|m| m.get());
        let kind = m.map(|m| m.kind());
        let is = |f: fn(MediaKind) -> bool| kind.is_some_and(f);
        let one_of = |ks: &[MediaKind]| kind.is_some_and(|k| ks.contains(&k));
        let current_profile = kind.map_or(0, MediaKind::profile);
        let blocking = kind.map_or(1, MediaKind::blocking);
        let random_writable = m.is_some_and(|m| m.random_writable());
        let incremental = m.is_some_and(|m| m.incremental_current(&self.st.config.quirks));

        let mut profiles = Vec::with_capacity(PROFILES.len() * 4);
        for p in PROFILES {
            profiles.extend_from_slice(&p.to_be_bytes());
            profiles.extend_from_slice(&[u8::from(p == current_profile), 0]);
        }
        let mut random_readable = vec![0, 0, 0x08, 0, 0, 0, 0, 0];
        put_be16(&mut random_readable, 4, blocking);
        let mut random_writable_data = vec![0u8; 12];
        if random_writable {
            put_be32(
                &mut random_writable_data,
                0,
                m.map_or(0, |m| m.capacity().saturating_sub(1)),
            );
        }
        put_be32(&mut random_writable_data, 4, 2048);
        put_be16(&mut random_writable_data, 8, blocking);
        // Data block type 8 (Mode 1) supported; BUF; one link size: 7 on CD, 16 on DVD.
        let link = if is(MediaKind::is_cd) { 7 } else { 16 };
        let incremental_data = vec![0x01, 0x00, 0x01, 0x01, link, 0, 0, 0];
        let mut write_once = vec![0, 0, 0x08, 0, 0, 0, 0, 0];
        put_be16(&mut write_once, 4, blocking);
        // BD Read: class 0 bitmaps for BD-RE, BD-R and BD-ROM, version 1 each.
        let mut bd_read = vec![0u8; 28];
        for off in [4, 12, 20] {
            put_be16(&mut bd_read, off, 0x0002);
        }
        // BD Write: class 0 bitmaps for BD-RE and BD-R.
        let mut bd_write = vec![0u8; 20];
        for off in [4, 12] {
            put_be16(&mut bd_write, off, 0x0002);
        }

        vec![
            Feature::new(0x0000, 0, true, profiles).persistent(),
            // Core: physical interface 1 (SCSI), DBE.
            Feature::new(0x0001, 2, true, vec![0, 0, 0, 1, 0x01, 0, 0, 0]).persistent(),
            // Removable Medium: tray (001b), Load, Eject, Lock. The Lock bit is a capability;
            // the lock state is only in page 2Ah.
            Feature::new(0x0003, 2, true, vec![0x39, 0, 0, 0]).persistent(),
            Feature::new(0x0010, 0, m.is_some(), random_readable),
            Feature::new(0x001d, 0, is(MediaKind::is_cd), Vec::new()),
            Feature::new(0x001e, 2, is(MediaKind::is_cd), vec![0, 0, 0, 0]),
            Feature::new(0x001f, 1, is(MediaKind::is_dvd), vec![0, 0, 0, 0]),
            Feature::new(0x0020, 0, random_writable, random_writable_data),
            Feature::new(0x0021, 1, incremental, incremental_data),
            Feature::new(
                0x0023,
                0,
                one_of(&[
                    MediaKind::DvdPlusRw,
                    MediaKind::BdRe,
                    MediaKind::DvdRw,
                    MediaKind::DvdRwRo,
                    MediaKind::BdR,
                ]),
                vec![0, 0, 0, 0],
            ),
            Feature::new(0x0024, 0, one_of(&[MediaKind::BdRe]), vec![0, 0, 0, 0]),
            Feature::new(0x0025, 0, one_of(&[MediaKind::BdR]), write_once),
            Feature::new(0x0026, 0, one_of(&[MediaKind::DvdRwRo]), Vec::new()),
            // DVD+RW: Write; DVD+R: Write; CD TAO and DVD-R/-RW Write: BUF, Test Write, RW.
            Feature::new(
                0x002a,
                1,
                one_of(&[MediaKind::DvdPlusRw]),
                vec![0x01, 0, 0, 0],
            ),
            Feature::new(
                0x002b,
                0,
                one_of(&[MediaKind::DvdPlusR]),
                vec![0x01, 0, 0, 0],
            ),
            Feature::new(
                0x002d,
                2,
                one_of(&[MediaKind::CdR, MediaKind::CdRw]),
                vec![0x46, 0, 0x01, 0x00],
            ),
            Feature::new(
                0x002f,
                1,
                one_of(&[MediaKind::DvdR, MediaKind::DvdRw]),
                vec![0x46, 0, 0, 0],
            ),
            // The mock never formats BD-R for pseudo-overwrite.
            Feature::new(0x0038, 0, false, vec![0, 0, 0, 0]),
            Feature::new(
                0x003b,
                0,
                one_of(&[MediaKind::DvdPlusRDl]),
                vec![0x01, 0, 0, 0],
            ),
            Feature::new(0x0040, 1, is(MediaKind::is_bd), bd_read),
            Feature::new(0x0041, 1, is(MediaKind::is_bd), bd_write),
            // Real Time Streaming: SW, WSPD (GET PERFORMANCE type 03h), MP2A (page 2Ah speed
            // descriptors), SCS (SET CD SPEED), RBCB (READ BUFFER CAPACITY Block).
            Feature::new(0x0107, 4, true, vec![0x1f, 0, 0, 0]).persistent(),
        ]
    }

    /// RT 00b: all features from the starting number; 01b: only current ones; 10b: exactly
    /// that feature (header only if unsupported). The data length counts what is returned
    /// before allocation-length clipping.
    pub(crate) fn get_configuration(&mut self, cdb: Cdb<'_>) -> CmdResult {
        let rt = cdb.u8(1) & 0x03;
        let start = cdb.be16(2);
        if rt == 0b11 {
            return Err(INVALID_FIELD_IN_CDB.into());
        }
        let current_profile = self.st.loaded().map_or(0, |m| m.get().kind().profile());
        let mut data = vec![0u8; 8];
        put_be16(&mut data, 6, current_profile);
        let own = self.features();
        if let Some(list) = self
            .st
            .config
            .profile
            .as_ref()
            .and_then(|p| p.features.as_deref())
        {
            // A recorded drive's descriptors, with the Current bits of the features the mock
            // models following its medium.
            let current = |code: u16| own.iter().find(|f| f.code == code).map(|f| f.current);
            for (code, current, bytes) in replay_features(list, current_profile, current) {
                let wanted = match rt {
                    0b00 => code >= start,
                    0b01 => code >= start && current,
                    _ => code == start,
                };
                if wanted {
                    data.extend_from_slice(&bytes);
                }
            }
            let total = data.len();
            put_be32(&mut data, 0, u32::try_from(total - 4).unwrap_or(u32::MAX));
            return Ok(Reply::Data {
                data,
                alloc: usize::from(cdb.be16(7)),
            });
        }
        for f in own {
            let wanted = match rt {
                0b00 => f.code >= start,
                0b01 => f.code >= start && f.current,
                _ => f.code == start,
            };
            if wanted {
                f.encode(&mut data);
            }
        }
        let total = data.len();
        put_be32(&mut data, 0, u32::try_from(total - 4).unwrap_or(u32::MAX));
        Ok(Reply::Data {
            data,
            alloc: usize::from(cdb.be16(7)),
        })
    }
}
