//! MMC profiles: the [`Profile`] newtype with named constants and classification helpers.
//!
//! # References
//! MMC-6 §5.3.1 table 89 (profile list); `docs/mmc-notes.md` §2.2.2.

use std::fmt;

/// An MMC profile number (GET CONFIGURATION current profile, Profile List entries). An open
/// code space, so a newtype with named constants.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Profile(pub u16);

macro_rules! profiles {
    ($($name:ident = $code:literal, $text:literal;)*) => {
        impl Profile {
            $(
                #[doc = concat!("`", stringify!($code), "`: ", $text, ".")]
                pub const $name: Profile = Profile($code);
            )*

            /// The profile's name ("DVD+RW"), or "unknown profile".
            pub fn name(self) -> &'static str {
                match self.0 {
                    $($code => $text,)*
                    _ => "unknown profile",
                }
            }
        }
    };
}

profiles! {
    NONE = 0x0000, "no current profile";
    NON_REMOVABLE_DISK = 0x0001, "non-removable disk";
    REMOVABLE_DISK = 0x0002, "removable disk";
    MO_ERASABLE = 0x0003, "MO erasable";
    OPTICAL_WRITE_ONCE = 0x0004, "optical write once";
    AS_MO = 0x0005, "AS-MO";
    CD_ROM = 0x0008, "CD-ROM";
    CD_R = 0x0009, "CD-R";
    CD_RW = 0x000A, "CD-RW";
    DVD_ROM = 0x0010, "DVD-ROM";
    DVD_R_SEQUENTIAL = 0x0011, "DVD-R sequential recording";
    DVD_RAM = 0x0012, "DVD-RAM";
    DVD_RW_RESTRICTED_OVERWRITE = 0x0013, "DVD-RW restricted overwrite";
    DVD_RW_SEQUENTIAL = 0x0014, "DVD-RW sequential recording";
    DVD_R_DL_SEQUENTIAL = 0x0015, "DVD-R DL sequential recording";
    DVD_R_DL_LAYER_JUMP = 0x0016, "DVD-R DL layer jump recording";
    DVD_RW_DL = 0x0017, "DVD-RW DL";
    DVD_DOWNLOAD = 0x0018, "DVD-Download disc recording";
    DVD_PLUS_RW = 0x001A, "DVD+RW";
    DVD_PLUS_R = 0x001B, "DVD+R";
    DVD_PLUS_RW_DL = 0x002A, "DVD+RW DL";
    DVD_PLUS_R_DL = 0x002B, "DVD+R DL";
    BD_ROM = 0x0040, "BD-ROM";
    BD_R_SRM = 0x0041, "BD-R sequential recording (SRM)";
    BD_R_RRM = 0x0042, "BD-R random recording (RRM)";
    BD_RE = 0x0043, "BD-RE";
    HD_DVD_ROM = 0x0050, "HD DVD-ROM";
    HD_DVD_R = 0x0051, "HD DVD-R";
    HD_DVD_RAM = 0x0052, "HD DVD-RAM";
    HD_DVD_RW = 0x0053, "HD DVD-RW";
    HD_DVD_R_DL = 0x0058, "HD DVD-R DL";
    HD_DVD_RW_DL = 0x005A, "HD DVD-RW DL";
    NON_CONFORMING = 0xFFFF, "non-conforming profile";
}

/// The physical media family, for speed units and write rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaClass {
    /// CD family.
    Cd,
    /// DVD family (including DVD±R DL and DVD-RAM).
    Dvd,
    /// Blu-ray.
    Bd,
    /// HD DVD.
    HdDvd,
    /// Anything else (no medium, MO, disks).
    Other,
}

impl MediaClass {
    /// The 1x speed in kB/s (1000 bytes per second), as MMC speed fields count:
    /// CD 176.4, DVD 1385, BD 4495.5. HD DVD uses 4495.5 (36 Mbit/s) and others the CD value,
    /// since page 2Ah speeds are CD-based.
    pub fn one_x_kbps(self) -> f64 {
        match self {
            MediaClass::Cd | MediaClass::Other => 176.4,
            MediaClass::Dvd => 1385.0,
            MediaClass::Bd | MediaClass::HdDvd => 4495.5,
        }
    }
}

impl Profile {
    /// The media family.
    pub fn class(self) -> MediaClass {
        if self.is_cd() {
            MediaClass::Cd
        } else if self.is_dvd() {
            MediaClass::Dvd
        } else if self.is_bd() {
            MediaClass::Bd
        } else if matches!(self.0, 0x0050..=0x005A) {
            MediaClass::HdDvd
        } else {
            MediaClass::Other
        }
    }

    /// CD-ROM, CD-R, CD-RW.
    pub fn is_cd(self) -> bool {
        matches!(self.0, 0x0008..=0x000A)
    }

    /// DVD-ROM, DVD-R/-RW (all recording modes, DL), DVD-RAM, DVD-Download, DVD+R/+RW (DL).
    pub fn is_dvd(self) -> bool {
        matches!(self.0, 0x0010..=0x0018 | 0x001A | 0x001B | 0x002A | 0x002B)
    }

    /// BD-ROM, BD-R SRM/RRM, BD-RE.
    pub fn is_bd(self) -> bool {
        matches!(self.0, 0x0040..=0x0043)
    }

    /// Read-only media: CD-ROM, DVD-ROM, BD-ROM, HD DVD-ROM.
    pub fn is_rom(self) -> bool {
        matches!(
            self,
            Self::CD_ROM | Self::DVD_ROM | Self::BD_ROM | Self::HD_DVD_ROM
        )
    }

    /// Media whose sectors can be recorded only once: CD-R, DVD-R (all), DVD+R (DL), BD-R
    /// (SRM and RRM), HD DVD-R (DL), optical write-once.
    pub fn is_write_once(self) -> bool {
        matches!(
            self,
            Self::OPTICAL_WRITE_ONCE
                | Self::CD_R
                | Self::DVD_R_SEQUENTIAL
                | Self::DVD_R_DL_SEQUENTIAL
                | Self::DVD_R_DL_LAYER_JUMP
                | Self::DVD_DOWNLOAD
                | Self::DVD_PLUS_R
                | Self::DVD_PLUS_R_DL
                | Self::BD_R_SRM
                | Self::BD_R_RRM
                | Self::HD_DVD_R
                | Self::HD_DVD_R_DL
        )
    }

    /// Random-access rewritable media, written at any (aligned) LBA without sessions or NWA:
    /// DVD-RAM, DVD-RW restricted overwrite, DVD+RW (DL), BD-RE, HD DVD-RAM, MO erasable.
    pub fn is_overwritable(self) -> bool {
        matches!(
            self,
            Self::MO_ERASABLE
                | Self::DVD_RAM
                | Self::DVD_RW_RESTRICTED_OVERWRITE
                | Self::DVD_PLUS_RW
                | Self::DVD_PLUS_RW_DL
                | Self::BD_RE
                | Self::HD_DVD_RAM
        )
    }

    /// Media recorded sequentially in tracks and sessions, with a next writable address:
    /// CD-R/RW, DVD-R, DVD-RW sequential, DVD-R DL, DVD+R (DL), BD-R SRM, HD DVD-R/RW (DL).
    pub fn is_sequential(self) -> bool {
        matches!(
            self,
            Self::CD_R
                | Self::CD_RW
                | Self::DVD_R_SEQUENTIAL
                | Self::DVD_RW_SEQUENTIAL
                | Self::DVD_R_DL_SEQUENTIAL
                | Self::DVD_R_DL_LAYER_JUMP
                | Self::DVD_RW_DL
                | Self::DVD_DOWNLOAD
                | Self::DVD_PLUS_R
                | Self::DVD_PLUS_R_DL
                | Self::BD_R_SRM
                | Self::HD_DVD_R
                | Self::HD_DVD_RW
                | Self::HD_DVD_R_DL
                | Self::HD_DVD_RW_DL
        )
    }

    /// Media that can be blanked back to the sequential blank state (CD-RW, DVD-RW).
    pub fn is_blankable(self) -> bool {
        matches!(
            self,
            Self::CD_RW
                | Self::DVD_RW_SEQUENTIAL
                | Self::DVD_RW_RESTRICTED_OVERWRITE
                | Self::DVD_RW_DL
        )
    }

    /// Media whose background format state comes from disc information b7 (DVD+RW, DVD+RW DL).
    pub fn is_dvd_plus_rw(self) -> bool {
        matches!(self, Self::DVD_PLUS_RW | Self::DVD_PLUS_RW_DL)
    }
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Profile({:#06x} {})", self.0, self.name())
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(Profile::DVD_PLUS_RW.name(), "DVD+RW");
        assert_eq!(Profile(0x0010).name(), "DVD-ROM");
        assert_eq!(Profile(0x0008).name(), "CD-ROM");
        assert_eq!(Profile(0x0043).name(), "BD-RE");
        assert_eq!(Profile(0x1234).name(), "unknown profile");
        assert_eq!(
            format!("{:?}", Profile::BD_R_SRM),
            "Profile(0x0041 BD-R sequential recording (SRM))"
        );
    }

    #[test]
    fn every_known_profile_is_classified_once() {
        let known: Vec<Profile> = (0..=0xFFFFu16)
            .map(Profile)
            .filter(|p| p.name() != "unknown profile")
            .collect();
        assert_eq!(known.len(), 33);
        for p in known {
            let kinds = [
                p.is_rom(),
                p.is_write_once() && p.is_sequential(),
                p.is_overwritable(),
            ];
            assert!(kinds.iter().filter(|&&k| k).count() <= 1, "{p:?}");
            if p.is_cd() || p.is_dvd() || p.is_bd() {
                assert!(
                    p.is_rom() || p.is_write_once() || p.is_overwritable() || p.is_sequential(),
                    "{p:?}"
                );
            }
        }
    }

    #[test]
    fn classes_and_families() {
        assert!(
            Profile::CD_RW.is_cd()
                && Profile::CD_RW.is_sequential()
                && !Profile::CD_RW.is_write_once()
        );
        assert!(Profile::DVD_PLUS_R.is_write_once() && Profile::DVD_PLUS_R.is_sequential());
        assert!(Profile::DVD_PLUS_RW.is_overwritable() && Profile::DVD_PLUS_RW.is_dvd_plus_rw());
        assert!(Profile::BD_RE.is_overwritable() && Profile::BD_RE.is_bd());
        assert!(Profile::BD_R_RRM.is_write_once() && !Profile::BD_R_RRM.is_sequential());
        assert!(Profile::DVD_ROM.is_rom() && Profile::DVD_ROM.is_dvd());
        assert_eq!(Profile::CD_R.class(), MediaClass::Cd);
        assert_eq!(Profile::DVD_PLUS_R_DL.class(), MediaClass::Dvd);
        assert_eq!(Profile::BD_R_SRM.class(), MediaClass::Bd);
        assert_eq!(Profile::HD_DVD_R.class(), MediaClass::HdDvd);
        assert_eq!(Profile::NONE.class(), MediaClass::Other);
        assert_eq!(MediaClass::Dvd.one_x_kbps(), 1385.0);
        assert_eq!(MediaClass::Bd.one_x_kbps(), 4495.5);
        assert_eq!(MediaClass::Cd.one_x_kbps(), 176.4);
    }
}
