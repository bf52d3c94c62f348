use super::{Command, Opcode, Transfer};
use crate::ParseError;

/// SET CD SPEED (BBh), MMC-6 §6.37: read/write speed in kB/s (FFFFh = maximum). Drives round
/// down to a speed they support. QEMU's scsi-cd rejects it (05/20/00), ide-cd accepts it.
#[doc(alias = "SET CD SPEED")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetCdSpeed {
    /// b1 bits 1-0: rotation control (00b CLV, 01b CAV).
    pub rotation_control: u8,
    /// b2-3: read speed, kB/s.
    pub read_kbps: u16,
    /// b4-5: write speed, kB/s.
    pub write_kbps: u16,
}

impl SetCdSpeed {
    /// "As fast as possible".
    pub const MAX: u16 = 0xFFFF;

    /// Maximum read and write speed: `BB 00 FF FF FF FF 00 …`.
    pub fn max() -> Self {
        SetCdSpeed {
            rotation_control: 0,
            read_kbps: Self::MAX,
            write_kbps: Self::MAX,
        }
    }

    /// Writing at `write_kbps`, reading at maximum.
    pub fn write(write_kbps: u16) -> Self {
        SetCdSpeed {
            rotation_control: 0,
            read_kbps: Self::MAX,
            write_kbps,
        }
    }
}

impl Command for SetCdSpeed {
    const NAME: &'static str = "SET CD SPEED";
    type Cdb = [u8; 12];
    type Response = ();

    fn cdb(&self) -> [u8; 12] {
        let [r0, r1] = self.read_kbps.to_be_bytes();
        let [w0, w1] = self.write_kbps.to_be_bytes();
        [
            Opcode::SET_CD_SPEED.0,
            self.rotation_control & 0x03,
            r0,
            r1,
            w0,
            w1,
            0,
            0,
            0,
            0,
            0,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::None
    }

    fn parse(&self, _data: &[u8]) -> Result<(), ParseError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdbs() {
        // observed: SET CD SPEED (max)  CDB: bb 00 ff ff ff ff 00 00 00 00 00 00
        assert_eq!(
            SetCdSpeed::max().cdb(),
            [0xbb, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            &SetCdSpeed::write(7056).cdb()[2..6],
            &[0xff, 0xff, 0x1b, 0x90]
        );
    }
}
