use super::{Command, Opcode, Transfer};
use crate::bytes;
use crate::feature::{Feature, FeatureCode, ProfileEntry};
use crate::profile::Profile;
use crate::ParseError;

/// The RT field (b1 bits 1-0) of GET CONFIGURATION.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestType {
    /// 00b: all features with code ≥ the starting feature.
    All = 0,
    /// 01b: current features with code ≥ the starting feature.
    Current = 1,
    /// 10b: only the starting feature.
    One = 2,
}

/// GET CONFIGURATION (46h), MMC-6 §6.6: the current profile and the feature descriptors.
///
/// Read it in two passes: [`header`](Self::header) (8 bytes) to learn the data length, then
/// [`all`](Self::all) with `allocation_length = 4 + data length`. QEMU ignores RT and the
/// starting feature, so the parser filters the reply itself according to the request.
#[doc(alias = "GET CONFIGURATION")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetConfiguration {
    /// RT (b1 bits 1-0).
    pub request_type: RequestType,
    /// Starting feature number (b2-3).
    pub starting_feature: FeatureCode,
    /// Allocation length (b7-8).
    pub allocation_length: u16,
}

impl GetConfiguration {
    /// The 8-byte header only (current profile and data length):
    /// `46 00 00 00 00 00 00 00 08 00`.
    pub fn header() -> Self {
        GetConfiguration {
            request_type: RequestType::All,
            starting_feature: FeatureCode(0),
            allocation_length: 8,
        }
    }

    /// All features, with a 4 KiB allocation (adjust with
    /// [`allocation_length`](Self::allocation_length) after reading the header).
    pub fn all() -> Self {
        GetConfiguration {
            request_type: RequestType::All,
            starting_feature: FeatureCode(0),
            allocation_length: 4096,
        }
    }

    /// Current features only.
    pub fn current() -> Self {
        GetConfiguration {
            request_type: RequestType::Current,
            ..Self::all()
        }
    }

    /// One feature (RT=2), e.g. `46 02 00 21 00 00 00 00 10 00` for 0021h.
    pub fn one(feature: FeatureCode) -> Self {
        GetConfiguration {
            request_type: RequestType::One,
            starting_feature: feature,
            allocation_length: 16,
        }
    }

    /// Sets the allocation length.
    pub fn allocation_length(mut self, len: u16) -> Self {
        self.allocation_length = len;
        self
    }
}

/// A decoded GET CONFIGURATION reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    /// b0-3: data length (bytes after this field, `total − 4`) as the drive reported it.
    pub data_length: u32,
    /// b6-7: the current profile (0 = no medium or not ready).
    pub current_profile: Profile,
    /// The feature descriptors that arrived whole, filtered per the request.
    pub features: Vec<Feature>,
}

impl Configuration {
    /// The feature with this code, if reported.
    pub fn feature(&self, code: FeatureCode) -> Option<&Feature> {
        self.features.iter().find(|f| f.code == code)
    }

    /// True when the feature is reported with its Current bit set.
    pub fn is_current(&self, code: FeatureCode) -> bool {
        self.feature(code).is_some_and(|f| f.current)
    }

    /// The Profile List (feature 0000h), empty when absent.
    pub fn profiles(&self) -> &[ProfileEntry] {
        self.feature(FeatureCode::PROFILE_LIST)
            .map_or(&[], Feature::profiles)
    }

    /// Bytes needed to read the whole reply: `4 + data length`, capped to a 16-bit
    /// allocation length.
    pub fn full_length(&self) -> u16 {
        u16::try_from(u64::from(self.data_length) + 4).unwrap_or(u16::MAX)
    }
}

impl Command for GetConfiguration {
    const NAME: &'static str = "GET CONFIGURATION";
    type Cdb = [u8; 10];
    type Response = Configuration;

    fn cdb(&self) -> [u8; 10] {
        let [f0, f1] = self.starting_feature.0.to_be_bytes();
        let [a0, a1] = self.allocation_length.to_be_bytes();
        [
            Opcode::GET_CONFIGURATION.0,
            self.request_type as u8,
            f0,
            f1,
            0,
            0,
            0,
            a0,
            a1,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(usize::from(self.allocation_length))
    }

    fn parse(&self, data: &[u8]) -> Result<Configuration, ParseError> {
        bytes::need(data, 8, "feature header")?;
        let data_length = bytes::be_u32(data, 0)?;
        let total = usize::try_from(u64::from(data_length) + 4).unwrap_or(usize::MAX);
        let d = bytes::clip(data, total);
        let start = self.starting_feature;
        let features = Feature::parse_list(bytes::tail(d, 8))
            .into_iter()
            .filter(|f| match self.request_type {
                RequestType::All => f.code >= start,
                RequestType::Current => f.current && f.code >= start,
                RequestType::One => f.code == start,
            })
            .collect();
        Ok(Configuration {
            data_length,
            current_profile: Profile(bytes::be_u16(d, 6)?),
            features,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feature::FeatureData;
    use proptest::prelude::*;

    // docs/qemu-notes.md §3.3, GET CONFIGURATION RT=0 (4096-byte buffer, 40 used):
    // b0-3 data length 24h, b6-7 current profile 0010h; features 0000h, 0001h, 0003h.
    const SCSI_CD_DVD: [u8; 40] = [
        0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x10, //
        0x00, 0x00, 0x03, 0x08, 0x00, 0x10, 0x01, 0x00, 0x00, 0x08, 0x00, 0x00, //
        0x00, 0x01, 0x0b, 0x08, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, //
        0x00, 0x03, 0x0b, 0x04, 0x39, 0x00, 0x00, 0x00,
    ];

    // docs/qemu-notes.md §6: data length 10h, only feature 0000h.
    const IDE_CD_DVD: [u8; 20] = [
        0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, //
        0x00, 0x00, 0x03, 0x08, 0x00, 0x10, 0x01, 0x00, 0x00, 0x08, 0x00, 0x00,
    ];

    #[test]
    fn cdbs() {
        // docs/qemu-notes.md §3.3: GET CONFIGURATION RT=2 feature 0 alloc 8 / docs/mmc-notes.md §2.1 examples.
        assert_eq!(
            GetConfiguration::header().cdb(),
            [0x46, 0, 0, 0, 0, 0, 0, 0, 0x08, 0]
        );
        assert_eq!(
            GetConfiguration::one(FeatureCode::INCREMENTAL_STREAMING_WRITABLE).cdb(),
            [0x46, 0x02, 0x00, 0x21, 0, 0, 0, 0, 0x10, 0]
        );
        // observed: GET CONFIGURATION RT=0  CDB: 46 00 00 00 00 00 00 10 00 00
        assert_eq!(
            GetConfiguration::all().cdb(),
            [0x46, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 0]
        );
        assert_eq!(GetConfiguration::current().cdb()[1], 0x01);
    }

    #[test]
    fn scsi_cd_full_reply_in_a_big_buffer() {
        let mut buf = vec![0u8; 4096];
        buf[..40].copy_from_slice(&SCSI_CD_DVD);
        buf[40] = 0xAA; // stale bytes past the data length are ignored
        let c = GetConfiguration::all().parse(&buf).unwrap();
        assert_eq!(c.data_length, 0x24);
        assert_eq!(c.full_length(), 40);
        assert_eq!(c.current_profile, Profile::DVD_ROM);
        assert_eq!(c.features.len(), 3);
        assert_eq!(
            c.profiles(),
            &[
                ProfileEntry {
                    profile: Profile::DVD_ROM,
                    current: true
                },
                ProfileEntry {
                    profile: Profile::CD_ROM,
                    current: false
                }
            ]
        );
        assert!(c.is_current(FeatureCode::REMOVABLE_MEDIUM));
        assert!(matches!(
            c.feature(FeatureCode::CORE).unwrap().detail,
            FeatureData::Core(_)
        ));
    }

    #[test]
    fn ide_cd_and_header_only() {
        let c = GetConfiguration::all().parse(&IDE_CD_DVD).unwrap();
        assert_eq!(c.features.len(), 1);
        assert_eq!(c.current_profile, Profile::DVD_ROM);
        // docs/qemu-notes.md §5 header: 00 00 00 24 00 00 00 00 (no current profile).
        let c = GetConfiguration::header()
            .parse(&[0, 0, 0, 0x24, 0, 0, 0, 0])
            .unwrap();
        assert_eq!(c.current_profile, Profile::NONE);
        assert!(c.features.is_empty());
        assert_eq!(c.full_length(), 40);
    }

    #[test]
    fn filters_what_qemu_ignores() {
        // QEMU returns everything for RT=2; the parser keeps only the requested feature.
        let c = GetConfiguration::one(FeatureCode::REMOVABLE_MEDIUM)
            .parse(&SCSI_CD_DVD)
            .unwrap();
        assert_eq!(c.features.len(), 1);
        assert_eq!(c.features[0].code, FeatureCode::REMOVABLE_MEDIUM);
        let c = GetConfiguration::one(FeatureCode::DVD_PLUS_R)
            .parse(&SCSI_CD_DVD)
            .unwrap();
        assert!(c.features.is_empty());
        // Starting feature 0001h with RT=0 drops the profile list.
        let mut g = GetConfiguration::all();
        g.starting_feature = FeatureCode::CORE;
        assert_eq!(g.parse(&SCSI_CD_DVD).unwrap().features.len(), 2);
    }

    #[test]
    fn short_replies() {
        assert!(GetConfiguration::all().parse(&SCSI_CD_DVD[..7]).is_err());
        // Clipped inside the second descriptor: only the first survives.
        let c = GetConfiguration::all().parse(&SCSI_CD_DVD[..25]).unwrap();
        assert_eq!(c.features.len(), 1);
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..128)) {
            let _ = GetConfiguration::all().parse(&raw);
            let _ = GetConfiguration::one(FeatureCode(0x21)).parse(&raw);
        }
    }
}
