use super::{Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// MECHANISM STATUS (BDh), MMC-6 §6.10.
///
/// Not on the kernel's SG_IO allow list: without CAP_SYS_RAWIO it fails with EPERM, so tray
/// state comes from GET EVENT STATUS NOTIFICATION. QEMU answers a static reply without the
/// door-open bit.
#[doc(alias = "MECHANISM STATUS")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MechanismStatus {
    /// Allocation length (b8-9); 8 covers the header.
    pub allocation_length: u16,
}

impl Default for MechanismStatus {
    fn default() -> Self {
        MechanismStatus {
            allocation_length: 8,
        }
    }
}

/// The mechanism status header (MMC-6 table 346).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MechanismStatusData {
    /// b0 bit 7.
    pub fault: bool,
    /// b0 bits 6-5.
    pub changer_state: u8,
    /// b0 bits 4-0.
    pub current_slot: u8,
    /// b1 bits 7-5 (0 idle, 1 playing, 2 scanning, 3 active, 7 no state information).
    pub mechanism_state: u8,
    /// b1 bit 4: door or tray open.
    pub door_open: bool,
    /// b2-4.
    pub current_lba: u32,
    /// b5: number of slots available.
    pub slots_available: u8,
    /// b6-7: slot table length.
    pub slot_table_length: u16,
}

impl Command for MechanismStatus {
    const NAME: &'static str = "MECHANISM STATUS";
    type Cdb = [u8; 12];
    type Response = MechanismStatusData;

    fn cdb(&self) -> [u8; 12] {
        let [a0, a1] = self.allocation_length.to_be_bytes();
        [
            Opcode::MECHANISM_STATUS.0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            a0,
            a1,
            0,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(usize::from(self.allocation_length))
    }

    fn parse(&self, data: &[u8]) -> Result<MechanismStatusData, ParseError> {
        bytes::need(data, 8, "mechanism status header")?;
        let b0 = bytes::u8_at(data, 0)?;
        let b1 = bytes::u8_at(data, 1)?;
        Ok(MechanismStatusData {
            fault: bytes::bit(b0, 7),
            changer_state: (b0 >> 5) & 0x03,
            current_slot: b0 & 0x1f,
            mechanism_state: b1 >> 5,
            door_open: bytes::bit(b1, 4),
            current_lba: bytes::be_u24(data, 2)?,
            slots_available: bytes::u8_at(data, 5)?,
            slot_table_length: bytes::be_u16(data, 6)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn observed_qemu() {
        // docs/qemu-notes.md §3.9: CDB bd 00 .. 00 08 00 00; reply 00 00 00 00 00 01 00 00.
        assert_eq!(
            MechanismStatus::default().cdb(),
            [0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]
        );
        let m = MechanismStatus::default()
            .parse(&[0, 0, 0, 0, 0, 1, 0, 0])
            .unwrap();
        assert!(!m.door_open && !m.fault);
        assert_eq!(m.slots_available, 1);
        // Hand-built: door open (b1 bit 4), LBA 0x012345.
        let m = MechanismStatus::default()
            .parse(&[0x80, 0x10, 0x01, 0x23, 0x45, 0, 0, 0])
            .unwrap();
        assert!(m.door_open && m.fault);
        assert_eq!(m.current_lba, 0x012345);
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..16)) {
            let _ = MechanismStatus::default().parse(&raw);
        }
    }
}
