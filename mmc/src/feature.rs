//! Features reported by GET CONFIGURATION: the [`FeatureCode`] newtype and typed descriptors
//! for the features the writing code consults.
//!
//! # References
//! MMC-6 §5.3 (feature definitions), table 88 (feature list); `docs/mmc-notes.md` §2.2.2.

use std::fmt;

use crate::bytes;
use crate::profile::Profile;

/// A feature code. An open code space, so a newtype with named constants.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FeatureCode(pub u16);

macro_rules! features {
    ($($name:ident = $code:literal, $text:literal;)*) => {
        impl FeatureCode {
            $(
                #[doc = concat!("`", stringify!($code), "`: ", $text, ".")]
                pub const $name: FeatureCode = FeatureCode($code);
            )*

            /// The feature's name ("Incremental Streaming Writable"), or "unknown feature".
            pub fn name(self) -> &'static str {
                match self.0 {
                    $($code => $text,)*
                    0xFF00..=0xFFFF => "vendor specific feature",
                    _ => "unknown feature",
                }
            }
        }
    };
}

features! {
    PROFILE_LIST = 0x0000, "Profile List";
    CORE = 0x0001, "Core";
    MORPHING = 0x0002, "Morphing";
    REMOVABLE_MEDIUM = 0x0003, "Removable Medium";
    WRITE_PROTECT = 0x0004, "Write Protect";
    RANDOM_READABLE = 0x0010, "Random Readable";
    MULTI_READ = 0x001D, "Multi-Read";
    CD_READ = 0x001E, "CD Read";
    DVD_READ = 0x001F, "DVD Read";
    RANDOM_WRITABLE = 0x0020, "Random Writable";
    INCREMENTAL_STREAMING_WRITABLE = 0x0021, "Incremental Streaming Writable";
    SECTOR_ERASABLE = 0x0022, "Sector Erasable";
    FORMATTABLE = 0x0023, "Formattable";
    HARDWARE_DEFECT_MANAGEMENT = 0x0024, "Hardware Defect Management";
    WRITE_ONCE = 0x0025, "Write Once";
    RESTRICTED_OVERWRITE = 0x0026, "Restricted Overwrite";
    CD_RW_CAV_WRITE = 0x0027, "CD-RW CAV Write";
    MRW = 0x0028, "MRW";
    ENHANCED_DEFECT_REPORTING = 0x0029, "Enhanced Defect Reporting";
    DVD_PLUS_RW = 0x002A, "DVD+RW";
    DVD_PLUS_R = 0x002B, "DVD+R";
    RIGID_RESTRICTED_OVERWRITE = 0x002C, "Rigid Restricted Overwrite";
    CD_TRACK_AT_ONCE = 0x002D, "CD Track at Once";
    CD_MASTERING = 0x002E, "CD Mastering";
    DVD_R_RW_WRITE = 0x002F, "DVD-R/-RW Write";
    DDCD_READ = 0x0030, "Double Density CD Read";
    DDCD_R_WRITE = 0x0031, "Double Density CD-R Write";
    DDCD_RW_WRITE = 0x0032, "Double Density CD-RW Write";
    LAYER_JUMP_RECORDING = 0x0033, "Layer Jump Recording";
    LJ_RIGID_RESTRICTED_OVERWRITE = 0x0034, "LJ Rigid Restricted Overwrite";
    STOP_LONG_OPERATION = 0x0035, "Stop Long Operation";
    CD_RW_MEDIA_WRITE_SUPPORT = 0x0037, "CD-RW Media Write Support";
    BD_R_POW = 0x0038, "BD-R Pseudo-Overwrite";
    DVD_PLUS_RW_DL = 0x003A, "DVD+RW Dual Layer";
    DVD_PLUS_R_DL = 0x003B, "DVD+R Dual Layer";
    BD_READ = 0x0040, "BD Read";
    BD_WRITE = 0x0041, "BD Write";
    TSR = 0x0042, "Timely Safe Recording";
    HD_DVD_READ = 0x0050, "HD DVD Read";
    HD_DVD_WRITE = 0x0051, "HD DVD Write";
    HD_DVD_RW_FRAGMENT_RECORDING = 0x0052, "HD DVD-RW Fragment Recording";
    HYBRID_DISC = 0x0080, "Hybrid Disc";
    POWER_MANAGEMENT = 0x0100, "Power Management";
    SMART = 0x0101, "S.M.A.R.T.";
    EMBEDDED_CHANGER = 0x0102, "Embedded Changer";
    CD_AUDIO_EXTERNAL_PLAY = 0x0103, "CD Audio External Play";
    MICROCODE_UPGRADE = 0x0104, "Microcode Upgrade";
    TIMEOUT = 0x0105, "Timeout";
    DVD_CSS = 0x0106, "DVD CSS";
    REAL_TIME_STREAMING = 0x0107, "Real Time Streaming";
    DRIVE_SERIAL_NUMBER = 0x0108, "Drive Serial Number";
    MEDIA_SERIAL_NUMBER = 0x0109, "Media Serial Number";
    DISC_CONTROL_BLOCKS = 0x010A, "Disc Control Blocks";
    DVD_CPRM = 0x010B, "DVD CPRM";
    FIRMWARE_INFORMATION = 0x010C, "Firmware Information";
    AACS = 0x010D, "AACS";
    DVD_CSS_MANAGED_RECORDING = 0x010E, "DVD CSS Managed Recording";
    VCPS = 0x0110, "VCPS";
    SECURDISC = 0x0113, "SecurDisc";
    OSSC = 0x0142, "OSSC";
}

impl fmt::Debug for FeatureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FeatureCode({:#06x} {})", self.0, self.name())
    }
}

impl fmt::Display for FeatureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of the Profile List feature (0000h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileEntry {
    /// The profile.
    pub profile: Profile,
    /// CurrentP: this is the mounted medium's profile.
    pub current: bool,
}

/// Core feature (0001h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Core {
    /// Physical interface standard (1 SCSI, 2 ATAPI, 3/4/6 IEEE 1394, 7 Serial ATAPI, 8 USB).
    pub physical_interface: u32,
    /// DBE: device busy events supported.
    pub dbe: bool,
    /// INQ2: INQUIRY fields of SPC-3 supported.
    pub inq2: bool,
}

/// Removable Medium feature (0003h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemovableMedium {
    /// Loading mechanism (0 caddy/slot, 1 tray, 2 pop-up, 4 changer, 5 cartridge changer).
    pub loading_mechanism: u8,
    /// Load: the drive can load the medium.
    pub load: bool,
    /// Eject: the drive can eject the medium.
    pub eject: bool,
    /// Prevent jumper present.
    pub prevent_jumper: bool,
    /// DBML: drive bay media lock.
    pub dbml: bool,
    /// Lock: the medium can be locked in (a capability, not the current lock state).
    pub lock: bool,
}

/// Incremental Streaming Writable feature (0021h).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncrementalStreamingWritable {
    /// Data block types supported (bit n = type n).
    pub data_block_types: u16,
    /// TRIO: track resources information.
    pub trio: bool,
    /// ARSV: address reservation (RESERVE TRACK with ARSV=1).
    pub arsv: bool,
    /// BUF: buffer underrun protection.
    pub buf: bool,
    /// Supported link sizes (DVD-R: 16).
    pub link_sizes: Vec<u8>,
}

/// Formattable feature (0023h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formattable {
    /// Cert: BD-RE full certification.
    pub cert: bool,
    /// QCert: BD-RE quick certification.
    pub qcert: bool,
    /// Expand: spare area expansion.
    pub expand: bool,
    /// RENoSA: BD-RE format without spare area.
    pub renosa: bool,
    /// RRM: BD-R random recording mode formatting.
    pub rrm: bool,
}

/// DVD+RW feature (002Ah).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DvdPlusRw {
    /// Write: the drive can write DVD+RW.
    pub write: bool,
    /// Quick Start: background format can start on any LBA.
    pub quick_start: bool,
    /// Close Only: the drive supports only the compatible close.
    pub close_only: bool,
}

/// DVD+R (002Bh), DVD+RW DL (003Ah) and DVD+R DL (003Bh) features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlusWrite {
    /// Write: the drive can write this medium.
    pub write: bool,
}

/// CD Track at Once feature (002Dh).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CdTrackAtOnce {
    /// BUF: buffer underrun protection.
    pub buf: bool,
    /// R-W Raw.
    pub rw_raw: bool,
    /// R-W Pack.
    pub rw_pack: bool,
    /// Test Write.
    pub test_write: bool,
    /// CD-RW: the drive writes CD-RW.
    pub cd_rw: bool,
    /// R-W Subcode.
    pub rw_subcode: bool,
    /// Data types supported (bit n = data block type n).
    pub data_types: u16,
}

/// DVD-R/-RW Write feature (002Fh).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DvdRWrite {
    /// BUF: buffer underrun protection.
    pub buf: bool,
    /// RDL: DVD-R dual layer.
    pub rdl: bool,
    /// Test Write.
    pub test_write: bool,
    /// DVD-RW SL: the drive writes DVD-RW single layer.
    pub dvd_rw_sl: bool,
}

/// Real Time Streaming feature (0107h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RealTimeStreaming {
    /// SW: stream writing (SET STREAMING / WRITE(12) streaming bit).
    pub stream_writing: bool,
    /// WSPD: GET PERFORMANCE type 03h (write speed descriptors).
    pub write_speed_performance: bool,
    /// MP2A: mode page 2Ah write speed descriptors.
    pub mode_page_2a: bool,
    /// SCS: SET CD SPEED.
    pub set_cd_speed: bool,
    /// RBCB: READ BUFFER CAPACITY with Block=1.
    pub read_buffer_capacity_block: bool,
}

/// The decoded body of a feature descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeatureData {
    /// 0000h.
    ProfileList(Vec<ProfileEntry>),
    /// 0001h.
    Core(Core),
    /// 0003h.
    RemovableMedium(RemovableMedium),
    /// 0021h.
    IncrementalStreamingWritable(IncrementalStreamingWritable),
    /// 0023h.
    Formattable(Formattable),
    /// 002Ah.
    DvdPlusRw(DvdPlusRw),
    /// 002Bh, 003Ah, 003Bh.
    PlusWrite(PlusWrite),
    /// 002Dh.
    CdTrackAtOnce(CdTrackAtOnce),
    /// 002Fh.
    DvdRWrite(DvdRWrite),
    /// 0107h.
    RealTimeStreaming(RealTimeStreaming),
    /// Any other feature, or a known one whose data was too short to decode: see
    /// [`Feature::data`].
    Generic,
}

/// One feature descriptor from GET CONFIGURATION.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    /// The feature code (b0-1).
    pub code: FeatureCode,
    /// Version (b2 bits 5-2).
    pub version: u8,
    /// Persistent (b2 bit 1): always current.
    pub persistent: bool,
    /// Current (b2 bit 0): active for the mounted medium.
    pub current: bool,
    /// The feature-dependent data (after the 4-byte header), as received.
    pub data: Vec<u8>,
    /// The decoded data, where this crate knows the feature.
    pub detail: FeatureData,
}

impl Feature {
    /// Decodes a run of feature descriptors (the part of a GET CONFIGURATION reply after its
    /// 8-byte header). A descriptor cut short by the allocation length ends the list; it is
    /// not an error, because a two-pass read may legitimately clip the last one.
    pub fn parse_list(buf: &[u8]) -> Vec<Feature> {
        let mut out = Vec::new();
        let mut off = 0usize;
        while let (Ok(code), Ok(flags), Ok(add)) = (
            bytes::be_u16(buf, off),
            bytes::u8_at(buf, off + 2),
            bytes::u8_at(buf, off + 3),
        ) {
            let Ok(data) = bytes::slice(buf, off + 4, usize::from(add), "feature data") else {
                break;
            };
            out.push(Feature::new(FeatureCode(code), flags, data));
            off += 4 + usize::from(add);
        }
        out
    }

    /// Builds a feature from its header flags byte (b2) and data.
    pub fn new(code: FeatureCode, flags: u8, data: &[u8]) -> Feature {
        Feature {
            code,
            version: (flags >> 2) & 0x0f,
            persistent: bytes::bit(flags, 1),
            current: bytes::bit(flags, 0),
            data: data.to_vec(),
            detail: decode(code, data).unwrap_or(FeatureData::Generic),
        }
    }

    /// The Profile List entries, when this is feature 0000h.
    pub fn profiles(&self) -> &[ProfileEntry] {
        match &self.detail {
            FeatureData::ProfileList(p) => p,
            _ => &[],
        }
    }
}

fn decode(code: FeatureCode, d: &[u8]) -> Option<FeatureData> {
    let b = |i: usize| d.get(i).copied();
    Some(match code {
        FeatureCode::PROFILE_LIST => FeatureData::ProfileList(
            d.chunks_exact(4)
                .filter_map(|e| {
                    Some(ProfileEntry {
                        profile: Profile(bytes::be_u16(e, 0).ok()?),
                        current: bytes::bit(bytes::u8_at(e, 2).ok()?, 0),
                    })
                })
                .collect(),
        ),
        FeatureCode::CORE => {
            let flags = b(4).unwrap_or(0);
            FeatureData::Core(Core {
                physical_interface: bytes::be_u32(d, 0).ok()?,
                dbe: bytes::bit(flags, 0),
                inq2: bytes::bit(flags, 1),
            })
        }
        FeatureCode::REMOVABLE_MEDIUM => {
            let x = b(0)?;
            FeatureData::RemovableMedium(RemovableMedium {
                loading_mechanism: x >> 5,
                load: bytes::bit(x, 4),
                eject: bytes::bit(x, 3),
                prevent_jumper: bytes::bit(x, 2),
                dbml: bytes::bit(x, 1),
                lock: bytes::bit(x, 0),
            })
        }
        FeatureCode::INCREMENTAL_STREAMING_WRITABLE => {
            let x = b(2)?;
            let n = usize::from(b(3)?);
            FeatureData::IncrementalStreamingWritable(IncrementalStreamingWritable {
                data_block_types: bytes::be_u16(d, 0).ok()?,
                trio: bytes::bit(x, 2),
                arsv: bytes::bit(x, 1),
                buf: bytes::bit(x, 0),
                link_sizes: bytes::slice(d, 4, n, "link sizes").ok()?.to_vec(),
            })
        }
        FeatureCode::FORMATTABLE => {
            let x = b(0)?;
            FeatureData::Formattable(Formattable {
                cert: bytes::bit(x, 0),
                qcert: bytes::bit(x, 1),
                expand: bytes::bit(x, 2),
                renosa: bytes::bit(x, 3),
                rrm: b(4).is_some_and(|y| bytes::bit(y, 0)),
            })
        }
        FeatureCode::DVD_PLUS_RW => {
            let x = b(0)?;
            let y = b(1).unwrap_or(0);
            FeatureData::DvdPlusRw(DvdPlusRw {
                write: bytes::bit(x, 0),
                quick_start: bytes::bit(y, 1),
                close_only: bytes::bit(y, 0),
            })
        }
        FeatureCode::DVD_PLUS_R | FeatureCode::DVD_PLUS_RW_DL | FeatureCode::DVD_PLUS_R_DL => {
            FeatureData::PlusWrite(PlusWrite {
                write: bytes::bit(b(0)?, 0),
            })
        }
        FeatureCode::CD_TRACK_AT_ONCE => {
            let x = b(0)?;
            FeatureData::CdTrackAtOnce(CdTrackAtOnce {
                buf: bytes::bit(x, 6),
                rw_raw: bytes::bit(x, 4),
                rw_pack: bytes::bit(x, 3),
                test_write: bytes::bit(x, 2),
                cd_rw: bytes::bit(x, 1),
                rw_subcode: bytes::bit(x, 0),
                data_types: bytes::be_u16(d, 2).unwrap_or(0),
            })
        }
        FeatureCode::DVD_R_RW_WRITE => {
            let x = b(0)?;
            FeatureData::DvdRWrite(DvdRWrite {
                buf: bytes::bit(x, 6),
                rdl: bytes::bit(x, 3),
                test_write: bytes::bit(x, 2),
                dvd_rw_sl: bytes::bit(x, 1),
            })
        }
        FeatureCode::REAL_TIME_STREAMING => {
            let x = b(0)?;
            FeatureData::RealTimeStreaming(RealTimeStreaming {
                stream_writing: bytes::bit(x, 0),
                write_speed_performance: bytes::bit(x, 1),
                mode_page_2a: bytes::bit(x, 2),
                set_cd_speed: bytes::bit(x, 3),
                read_buffer_capacity_block: bytes::bit(x, 4),
            })
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn scsi_cd_feature_list() {
        // docs/qemu-notes.md §3.3, GET CONFIGURATION RT=0, bytes 8-39 (after the
        // header): 0000h (v0, persistent, current, 8 bytes: 0010 current, 0008), 0001h (v2,
        // SCSI, DBE), 0003h (v2, 39h = tray, load, eject, lock).
        let d = [
            0x00, 0x00, 0x03, 0x08, 0x00, 0x10, 0x01, 0x00, 0x00, 0x08, 0x00, 0x00, //
            0x00, 0x01, 0x0b, 0x08, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, //
            0x00, 0x03, 0x0b, 0x04, 0x39, 0x00, 0x00, 0x00,
        ];
        let f = Feature::parse_list(&d);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].code, FeatureCode::PROFILE_LIST);
        assert!(f[0].persistent && f[0].current && f[0].version == 0);
        assert_eq!(
            f[0].profiles(),
            &[
                ProfileEntry {
                    profile: Profile::DVD_ROM,
                    current: true
                },
                ProfileEntry {
                    profile: Profile::CD_ROM,
                    current: false
                },
            ]
        );
        assert_eq!(f[1].version, 2);
        assert_eq!(
            f[1].detail,
            FeatureData::Core(Core {
                physical_interface: 1,
                dbe: true,
                inq2: false
            })
        );
        assert_eq!(
            f[2].detail,
            FeatureData::RemovableMedium(RemovableMedium {
                loading_mechanism: 1,
                load: true,
                eject: true,
                prevent_jumper: false,
                dbml: false,
                lock: true,
            })
        );
    }

    #[test]
    fn writer_features() {
        // Hand-built descriptors per MMC-6 §5.3: 0021h (types 0x0001, BUF+ARSV, 1 link size
        // 16), 002Ah (Write, QuickStart), 002Fh (BUF, Test Write, DVD-RW SL), 0107h (SW, WSPD,
        // MP2A, SCS), 002Dh (BUF, Test Write, CD-RW, data types 0x0FFF), 0023h (Cert, QCert,
        // RRM).
        let d = [
            0x00, 0x21, 0x05, 0x08, 0x00, 0x01, 0x03, 0x01, 0x10, 0x00, 0x00, 0x00, //
            0x00, 0x2a, 0x01, 0x04, 0x01, 0x02, 0x00, 0x00, //
            0x00, 0x2f, 0x09, 0x04, 0x46, 0x00, 0x00, 0x00, //
            0x01, 0x07, 0x0d, 0x04, 0x0f, 0x00, 0x00, 0x00, //
            0x00, 0x2d, 0x09, 0x04, 0x46, 0x00, 0x0f, 0xff, //
            0x00, 0x23, 0x05, 0x08, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        ];
        let f = Feature::parse_list(&d);
        assert_eq!(f.len(), 6);
        assert_eq!(
            f[0].detail,
            FeatureData::IncrementalStreamingWritable(IncrementalStreamingWritable {
                data_block_types: 1,
                trio: false,
                arsv: true,
                buf: true,
                link_sizes: vec![16],
            })
        );
        assert!(f[0].current && f[0].version == 1);
        assert_eq!(
            f[1].detail,
            FeatureData::DvdPlusRw(DvdPlusRw {
                write: true,
                quick_start: true,
                close_only: false
            })
        );
        assert_eq!(
            f[2].detail,
            FeatureData::DvdRWrite(DvdRWrite {
                buf: true,
                rdl: false,
                test_write: true,
                dvd_rw_sl: true
            })
        );
        assert_eq!(
            f[3].detail,
            FeatureData::RealTimeStreaming(RealTimeStreaming {
                stream_writing: true,
                write_speed_performance: true,
                mode_page_2a: true,
                set_cd_speed: true,
                read_buffer_capacity_block: false,
            })
        );
        assert_eq!(
            f[4].detail,
            FeatureData::CdTrackAtOnce(CdTrackAtOnce {
                buf: true,
                rw_raw: false,
                rw_pack: false,
                test_write: true,
                cd_rw: true,
                rw_subcode: false,
                data_types: 0x0fff,
            })
        );
        assert_eq!(
            f[5].detail,
            FeatureData::Formattable(Formattable {
                cert: true,
                qcert: true,
                expand: false,
                renosa: false,
                rrm: true
            })
        );
    }

    #[test]
    fn short_known_feature_is_generic_and_clipped_tail_stops() {
        // 0021h with no data at all: kept, but generic.
        let f = Feature::parse_list(&[0x00, 0x21, 0x01, 0x00]);
        assert_eq!(f[0].detail, FeatureData::Generic);
        // Second descriptor announces 8 bytes but only 2 arrived: dropped.
        let f = Feature::parse_list(&[
            0x00, 0x2b, 0x01, 0x04, 0x01, 0, 0, 0, 0x00, 0x2a, 0x01, 0x08, 1, 0,
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].detail,
            FeatureData::PlusWrite(PlusWrite { write: true })
        );
    }

    #[test]
    fn names() {
        assert_eq!(
            FeatureCode::INCREMENTAL_STREAMING_WRITABLE.name(),
            "Incremental Streaming Writable"
        );
        assert_eq!(FeatureCode(0x0107).name(), "Real Time Streaming");
        assert_eq!(FeatureCode(0xFF10).name(), "vendor specific feature");
        assert_eq!(FeatureCode(0x0999).name(), "unknown feature");
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..200)) {
            for f in Feature::parse_list(&raw) {
                let _ = f.code.name();
            }
        }
    }
}
