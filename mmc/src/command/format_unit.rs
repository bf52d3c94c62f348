use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use super::{timeouts, Command, Opcode, Transfer};
use crate::ParseError;

/// A format type (READ FORMAT CAPACITIES descriptor b4 bits 7-2, FORMAT UNIT descriptor b8
/// bits 7-2). An open code space, so a newtype with named constants.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FormatType(pub u8);

macro_rules! format_types {
    ($($name:ident = $code:literal, $text:literal;)*) => {
        impl FormatType {
            $(
                #[doc = concat!("`", stringify!($code), "`: ", $text, ".")]
                pub const $name: FormatType = FormatType($code);
            )*

            /// The format type's description.
            pub fn name(self) -> &'static str {
                match self.0 {
                    $($code => $text,)*
                    _ => "reserved format type",
                }
            }
        }
    };
}

format_types! {
    FULL = 0x00, "full format";
    SPARE_AREA_EXPANSION = 0x01, "spare area expansion";
    ZONE_REFORMAT = 0x04, "zone reformat";
    ZONE_FORMAT = 0x05, "zone format";
    CD_DVD_RW_FULL = 0x10, "CD-RW/DVD-RW full format";
    CD_DVD_RW_GROW_SESSION = 0x11, "CD-RW/DVD-RW grow session";
    CD_DVD_RW_ADD_SESSION = 0x12, "CD-RW/DVD-RW add session";
    DVD_RW_QUICK_GROW_LAST_SESSION = 0x13, "DVD-RW quick grow last session";
    DVD_RW_QUICK_ADD_SESSION = 0x14, "DVD-RW quick add session";
    DVD_RW_QUICK = 0x15, "DVD-RW quick format";
    MRW_FULL = 0x24, "MRW full format";
    DVD_PLUS_RW_BASIC = 0x26, "DVD+RW basic format";
    BD_RE_WITH_SPARES = 0x30, "BD-RE full format with spare areas";
    BD_RE_WITHOUT_SPARES = 0x31, "BD-RE full format without spare areas";
    BD_R_WITH_SPARES = 0x32, "BD-R full format with spare areas";
}

impl fmt::Debug for FormatType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FormatType({:02X}h {})", self.0, self.name())
    }
}

/// The 8-byte format descriptor of the FORMAT UNIT parameter list (MMC-6 table 52).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatDescriptor {
    /// b0-3: number of blocks (copy it from READ FORMAT CAPACITIES; FFFFFFFFh is allowed for
    /// DVD+RW 26h).
    pub blocks: u32,
    /// b4 bits 7-2.
    pub format_type: FormatType,
    /// b4 bits 1-0: format subtype (BD: 00b quick reformat/SRM+POW, 01b SRM−POW, 10b full
    /// certification/RRM, 11b quick certification).
    pub subtype: u8,
    /// b5-7: type dependent parameter (DVD+RW 26h: b7 bit 0 = Restart).
    pub parameter: u32,
}

/// FORMAT UNIT (04h), MMC-6 §6.5, with a 12-byte parameter list (`docs/mmc-notes.md` §2.2.9). Send it
/// with Immed and poll TEST UNIT READY (NOT READY 04/04 with progress) until done.
#[doc(alias = "FORMAT UNIT")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatUnit {
    /// The format descriptor.
    pub descriptor: FormatDescriptor,
    /// Immed (list header b1 bit 1).
    pub immediate: bool,
    /// FOV (list header b1 bit 7): format options valid (DVD-RAM, BD).
    pub format_options_valid: bool,
    /// DCRT (list header b1 bit 5): disable certification.
    pub disable_certification: bool,
}

impl FormatUnit {
    /// Formats with `descriptor`, Immed set, no options.
    pub fn new(descriptor: FormatDescriptor) -> Self {
        FormatUnit {
            descriptor,
            immediate: true,
            format_options_valid: false,
            disable_certification: false,
        }
    }

    /// DVD+RW basic format (26h), starting or (with `restart`) resuming a background format:
    /// `b8 = 98h`, blocks FFFFFFFFh.
    pub fn dvd_plus_rw(restart: bool) -> Self {
        Self::new(FormatDescriptor {
            blocks: u32::MAX,
            format_type: FormatType::DVD_PLUS_RW_BASIC,
            subtype: 0,
            parameter: u32::from(restart),
        })
    }

    /// The 12-byte parameter list: 4-byte header (b1 flags, b2-3 descriptor length 8), then
    /// the descriptor.
    pub fn parameter_list(&self) -> [u8; 12] {
        let d = &self.descriptor;
        let flags = u8::from(self.format_options_valid) << 7
            | u8::from(self.disable_certification) << 5
            | u8::from(self.immediate) << 1;
        let [n0, n1, n2, n3] = d.blocks.to_be_bytes();
        let [_, p0, p1, p2] = d.parameter.to_be_bytes();
        let b8 = (d.format_type.0 & 0x3f) << 2 | (d.subtype & 0x03);
        [0, flags, 0, 8, n0, n1, n2, n3, b8, p0, p1, p2]
    }
}

impl Command for FormatUnit {
    const NAME: &'static str = "FORMAT UNIT";
    type Cdb = [u8; 6];
    type Response = ();

    fn cdb(&self) -> [u8; 6] {
        // b1: FmtData (bit 4) = 1, format code 001b.
        [Opcode::FORMAT_UNIT.0, 0x11, 0, 0, 0, 0]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::Out(Cow::Owned(self.parameter_list().to_vec()))
    }

    fn parse(&self, _data: &[u8]) -> Result<(), ParseError> {
        Ok(())
    }

    fn timeout(&self) -> Duration {
        if self.immediate {
            timeouts::WRITE
        } else {
            timeouts::BLANK
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dvd_plus_rw_format() {
        // docs/mmc-notes.md §2.2.9: DVD+RW type 26h → b8 = 98h; Immed → b1 = 02h.
        let f = FormatUnit::dvd_plus_rw(false);
        assert_eq!(f.cdb(), [0x04, 0x11, 0, 0, 0, 0]);
        assert_eq!(
            f.parameter_list(),
            [0, 0x02, 0, 0x08, 0xff, 0xff, 0xff, 0xff, 0x98, 0, 0, 0]
        );
        assert_eq!(FormatUnit::dvd_plus_rw(true).parameter_list()[11], 0x01);
        assert_eq!(f.data_phase().len(), 12);
        assert_eq!(f.timeout(), timeouts::WRITE);
    }

    #[test]
    fn dvd_rw_quick_and_bd_re() {
        // DVD-RW quick 15h: b8 = 54h, 0 blocks, TDP 16.
        let f = FormatUnit::new(FormatDescriptor {
            blocks: 0,
            format_type: FormatType::DVD_RW_QUICK,
            subtype: 0,
            parameter: 16,
        });
        assert_eq!(
            f.parameter_list(),
            [0, 0x02, 0, 0x08, 0, 0, 0, 0, 0x54, 0, 0, 0x10]
        );
        // BD-RE 30h quick certification (subtype 11b) with FOV: b1 = 82h, b8 = C3h.
        let mut f = FormatUnit::new(FormatDescriptor {
            blocks: 12_219_392,
            format_type: FormatType::BD_RE_WITH_SPARES,
            subtype: 3,
            parameter: 0x000800,
        });
        f.format_options_valid = true;
        let p = f.parameter_list();
        assert_eq!(p[1], 0x82);
        assert_eq!(&p[4..8], &12_219_392u32.to_be_bytes());
        assert_eq!(p[8], 0xc3);
        assert_eq!(&p[9..], &[0x00, 0x08, 0x00]);
        assert_eq!(FormatType::DVD_PLUS_RW_BASIC.name(), "DVD+RW basic format");
    }
}
