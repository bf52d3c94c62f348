//! The media a mock drive can hold, by the names the CLI uses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A medium type the mock drive can emulate. `Display`/`FromStr` use the CLI names
/// (`cd-r`, `dvd+rw`, …); [`MediaKind::ALL`] lists them in CLI order.
///
/// A DVD-RW changes kind while in the drive: FORMAT UNIT turns [`MediaKind::DvdRw`]
/// (Sequential, profile 0014h) into [`MediaKind::DvdRwRo`] (Restricted Overwrite, 0013h),
/// and BLANK turns it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MediaKind {
    /// CD-R, profile 0009h, 80 min.
    #[serde(rename = "cd-r")]
    CdR,
    /// CD-RW, profile 000Ah, 80 min.
    #[serde(rename = "cd-rw")]
    CdRw,
    /// DVD-R single layer, profile 0011h (Sequential Recording).
    #[serde(rename = "dvd-r")]
    DvdR,
    /// DVD-RW in Sequential Recording mode, profile 0014h.
    #[serde(rename = "dvd-rw")]
    DvdRw,
    /// DVD-RW in Restricted Overwrite mode, profile 0013h.
    #[serde(rename = "dvd-rw-ro")]
    DvdRwRo,
    /// DVD+R single layer, profile 001Bh.
    #[serde(rename = "dvd+r")]
    DvdPlusR,
    /// DVD+R double layer, profile 002Bh.
    #[serde(rename = "dvd+r-dl")]
    DvdPlusRDl,
    /// DVD+RW, profile 001Ah.
    #[serde(rename = "dvd+rw")]
    DvdPlusRw,
    /// BD-R single layer in Sequential Recording Mode, profile 0041h.
    #[serde(rename = "bd-r")]
    BdR,
    /// BD-RE single layer, profile 0043h.
    #[serde(rename = "bd-re")]
    BdRe,
    /// Pressed CD-ROM, profile 0008h, loaded from an image file.
    #[serde(rename = "cd-rom")]
    CdRom,
    /// Pressed DVD-ROM, profile 0010h, loaded from an image file.
    #[serde(rename = "dvd-rom")]
    DvdRom,
}

impl MediaKind {
    /// Every kind, in the order the CLI lists them.
    pub const ALL: [MediaKind; 12] = [
        MediaKind::CdR,
        MediaKind::CdRw,
        MediaKind::DvdR,
        MediaKind::DvdRw,
        MediaKind::DvdRwRo,
        MediaKind::DvdPlusR,
        MediaKind::DvdPlusRDl,
        MediaKind::DvdPlusRw,
        MediaKind::BdR,
        MediaKind::BdRe,
        MediaKind::CdRom,
        MediaKind::DvdRom,
    ];

    /// The CLI name (`dvd+r-dl`).
    pub fn name(self) -> &'static str {
        match self {
            MediaKind::CdR => "cd-r",
            MediaKind::CdRw => "cd-rw",
            MediaKind::DvdR => "dvd-r",
            MediaKind::DvdRw => "dvd-rw",
            MediaKind::DvdRwRo => "dvd-rw-ro",
            MediaKind::DvdPlusR => "dvd+r",
            MediaKind::DvdPlusRDl => "dvd+r-dl",
            MediaKind::DvdPlusRw => "dvd+rw",
            MediaKind::BdR => "bd-r",
            MediaKind::BdRe => "bd-re",
            MediaKind::CdRom => "cd-rom",
            MediaKind::DvdRom => "dvd-rom",
        }
    }

    /// The MMC profile number this medium is current as (GET CONFIGURATION bytes 6-7).
    pub fn profile(self) -> u16 {
        match self {
            MediaKind::CdRom => 0x0008,
            MediaKind::CdR => 0x0009,
            MediaKind::CdRw => 0x000A,
            MediaKind::DvdRom => 0x0010,
            MediaKind::DvdR => 0x0011,
            MediaKind::DvdRwRo => 0x0013,
            MediaKind::DvdRw => 0x0014,
            MediaKind::DvdPlusRw => 0x001A,
            MediaKind::DvdPlusR => 0x001B,
            MediaKind::DvdPlusRDl => 0x002B,
            MediaKind::BdR => 0x0041,
            MediaKind::BdRe => 0x0043,
        }
    }

    /// Blank-medium capacity in 2048-byte blocks; `None` for ROM, whose size is the image's.
    ///
    /// These are the commonly reported values (see docs/mmc-notes.md §3.1), not MMC constants:
    /// CD is the 80-minute ATIP last possible lead-out start, 79:59:74.
    pub fn nominal_capacity(self) -> Option<u32> {
        match self {
            MediaKind::CdR | MediaKind::CdRw => Some(CD_80MIN_BLOCKS),
            MediaKind::DvdR | MediaKind::DvdRw | MediaKind::DvdRwRo => Some(2_298_496),
            MediaKind::DvdPlusR | MediaKind::DvdPlusRw => Some(2_295_104),
            MediaKind::DvdPlusRDl => Some(4_173_824),
            MediaKind::BdR | MediaKind::BdRe => Some(12_219_392),
            MediaKind::CdRom | MediaKind::DvdRom => None,
        }
    }

    /// Pressed media, read from an image.
    pub fn is_rom(self) -> bool {
        matches!(self, MediaKind::CdRom | MediaKind::DvdRom)
    }

    /// CD family (CD-ROM, CD-R, CD-RW): MSF addressing, TOC formats 2 and 4.
    pub fn is_cd(self) -> bool {
        matches!(self, MediaKind::CdR | MediaKind::CdRw | MediaKind::CdRom)
    }

    /// DVD family.
    pub fn is_dvd(self) -> bool {
        matches!(
            self,
            MediaKind::DvdR
                | MediaKind::DvdRw
                | MediaKind::DvdRwRo
                | MediaKind::DvdPlusR
                | MediaKind::DvdPlusRDl
                | MediaKind::DvdPlusRw
                | MediaKind::DvdRom
        )
    }

    /// BD family.
    pub fn is_bd(self) -> bool {
        matches!(self, MediaKind::BdR | MediaKind::BdRe)
    }

    /// Rewritable media (disc information "Erasable" bit).
    pub fn is_erasable(self) -> bool {
        matches!(
            self,
            MediaKind::CdRw
                | MediaKind::DvdRw
                | MediaKind::DvdRwRo
                | MediaKind::DvdPlusRw
                | MediaKind::BdRe
        )
    }

    /// Media written anywhere once formatted, without tracks or NWA (DVD+RW, BD-RE,
    /// DVD-RW Restricted Overwrite).
    pub fn is_overwritable(self) -> bool {
        matches!(
            self,
            MediaKind::DvdPlusRw | MediaKind::BdRe | MediaKind::DvdRwRo
        )
    }

    /// The ECC/write unit in blocks (CD 1, DVD 16, BD 32), reported as "blocking" in
    /// features 0010h/0020h.
    pub fn blocking(self) -> u16 {
        if self.is_bd() {
            32
        } else if self.is_dvd() {
            16
        } else {
            1
        }
    }
}

/// 80-minute CD-R/RW capacity: ATIP last possible lead-out start 79:59:74 as an LBA.
pub(crate) const CD_80MIN_BLOCKS: u32 = 359_849;

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A media name that is not one of [`MediaKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseMediaKindError {
    /// What was given.
    pub given: String,
}

impl fmt::Display for ParseMediaKindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown media type {:?}; expected one of", self.given)?;
        for k in MediaKind::ALL {
            write!(f, " {k}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseMediaKindError {}

impl FromStr for MediaKind {
    type Err = ParseMediaKindError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        MediaKind::ALL
            .into_iter()
            .find(|k| k.name() == lower)
            .ok_or(ParseMediaKindError {
                given: s.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for k in MediaKind::ALL {
            assert_eq!(k.name().parse::<MediaKind>().unwrap(), k);
            assert_eq!(k.to_string(), k.name());
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.name()));
        }
        let mut names: Vec<_> = MediaKind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), MediaKind::ALL.len());
    }

    #[test]
    fn unknown_name_lists_choices() {
        let e = "dvd-ram".parse::<MediaKind>().unwrap_err();
        let text = e.to_string();
        assert!(text.contains("dvd-ram") && text.contains("bd-re"), "{text}");
    }

    #[test]
    fn capacities_match_the_issue() {
        assert_eq!(MediaKind::DvdPlusR.nominal_capacity(), Some(2_295_104));
        assert_eq!(MediaKind::DvdPlusRw.nominal_capacity(), Some(2_295_104));
        assert_eq!(MediaKind::DvdR.nominal_capacity(), Some(2_298_496));
        assert_eq!(MediaKind::DvdRw.nominal_capacity(), Some(2_298_496));
        assert_eq!(MediaKind::DvdPlusRDl.nominal_capacity(), Some(4_173_824));
        assert_eq!(MediaKind::BdR.nominal_capacity(), Some(12_219_392));
        assert_eq!(MediaKind::BdRe.nominal_capacity(), Some(12_219_392));
        assert_eq!(MediaKind::CdR.nominal_capacity(), Some(359_849));
        // 79:59:74 → LBA (79*60+59)*75+74-150.
        assert_eq!((79 * 60 + 59) * 75 + 74 - 150, 359_849);
        assert_eq!(MediaKind::CdRom.nominal_capacity(), None);
    }
}
