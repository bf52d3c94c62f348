use std::borrow::Cow;

use super::mode_page::WriteParametersPage;
use super::{Command, Opcode, Transfer};
use crate::ParseError;

/// MODE SELECT(10) (55h), SPC-5 §6.13: sends one mode page behind an 8-byte zero header
/// (mode data length 0, no block descriptors), with PF=1 and SP=0. Needs a file descriptor
/// opened for writing.
#[doc(alias = "MODE SELECT")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeSelect10 {
    /// The whole parameter list: header and page.
    pub parameter_list: Vec<u8>,
}

impl ModeSelect10 {
    /// Sends `page` (header included); the PS bit is cleared as MODE SELECT requires.
    pub fn page(page: &[u8]) -> Self {
        let mut list = vec![0u8; 8];
        list.extend_from_slice(page);
        if let Some(b0) = list.get_mut(8) {
            *b0 &= 0x7f;
        }
        ModeSelect10 {
            parameter_list: list,
        }
    }

    /// Sends a write parameters page.
    pub fn write_parameters(page: &WriteParametersPage) -> Self {
        Self::page(&page.to_bytes())
    }
}

impl Command for ModeSelect10 {
    const NAME: &'static str = "MODE SELECT(10)";
    type Cdb = [u8; 10];
    type Response = ();

    fn cdb(&self) -> [u8; 10] {
        let len = u16::try_from(self.parameter_list.len()).unwrap_or(u16::MAX);
        let [l0, l1] = len.to_be_bytes();
        // b1: PF (bit 4) = 1, SP (bit 0) = 0.
        [Opcode::MODE_SELECT_10.0, 0x10, 0, 0, 0, 0, 0, l0, l1, 0]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::Out(Cow::Borrowed(&self.parameter_list))
    }

    fn parse(&self, _data: &[u8]) -> Result<(), ParseError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_05() {
        // docs/mmc-notes.md §2.1: MODE SELECT page 05 (len 0x32): 55 10 00 00 00 00 00 00 3C 00 + 60 bytes.
        let m = ModeSelect10::write_parameters(&WriteParametersPage::cd_tao(true));
        assert_eq!(m.cdb(), [0x55, 0x10, 0, 0, 0, 0, 0, 0, 0x3c, 0]);
        assert_eq!(m.parameter_list.len(), 60);
        assert_eq!(&m.parameter_list[..8], &[0; 8]);
        assert_eq!(m.parameter_list[8], 0x05);
        assert_eq!(m.data_phase().len(), 60);
        assert_eq!(ModeSelect10::page(&[0x85, 0x00]).parameter_list[8], 0x05);
    }
}
