use super::mode_page::{CapabilitiesPage, WriteParametersPage};
use super::{Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// The PC field (b2 bits 7-6) of MODE SENSE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageControl {
    /// 00b: current values.
    Current = 0,
    /// 01b: changeable bits.
    Changeable = 1,
    /// 10b: default values.
    Default = 2,
    /// 11b: saved values (QEMU: 05/39/00).
    Saved = 3,
}

/// MODE SENSE(10) (5Ah), SPC-5 §6.15: the mode parameter header and pages.
#[doc(alias = "MODE SENSE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeSense10 {
    /// Page code (b2 bits 5-0); 3Fh = all pages.
    pub page: u8,
    /// Subpage code (b3).
    pub subpage: u8,
    /// PC (b2 bits 7-6).
    pub control: PageControl,
    /// DBD (b1 bit 3): no block descriptors (some devices send them anyway; they are skipped).
    pub disable_block_descriptors: bool,
    /// Allocation length (b7-8).
    pub allocation_length: u16,
}

impl ModeSense10 {
    /// One page's current values, DBD set, 255-byte allocation (`5A 08 pp 00 … 00 FF 00`).
    pub fn page(page: u8) -> Self {
        ModeSense10 {
            page,
            subpage: 0,
            control: PageControl::Current,
            disable_block_descriptors: true,
            allocation_length: 255,
        }
    }

    /// Page 2Ah, capabilities and mechanical status.
    pub fn capabilities() -> Self {
        Self::page(ModePage::CAPABILITIES)
    }

    /// Page 05h, write parameters.
    pub fn write_parameters() -> Self {
        Self::page(ModePage::WRITE_PARAMETERS)
    }

    /// Sets the allocation length.
    pub fn allocation_length(mut self, len: u16) -> Self {
        self.allocation_length = len;
        self
    }

    /// Sets the page control.
    pub fn control(mut self, control: PageControl) -> Self {
        self.control = control;
        self
    }
}

/// One mode page as received: header plus body, possibly cut short by the allocation length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModePage {
    /// Page code (b0 bits 5-0).
    pub code: u8,
    /// PS (b0 bit 7): the page can be saved. Must be 0 in MODE SELECT.
    pub parameters_savable: bool,
    /// Subpage (b1 when SPF, b0 bit 6, is set).
    pub subpage: Option<u8>,
    /// The page length field: bytes after the page header as the device declared them.
    pub declared_length: u16,
    /// The page bytes that arrived, header included, so offsets match the spec tables.
    pub raw: Vec<u8>,
}

impl ModePage {
    /// Read/write error recovery.
    pub const ERROR_RECOVERY: u8 = 0x01;
    /// Write parameters (MMC).
    pub const WRITE_PARAMETERS: u8 = 0x05;
    /// Caching.
    pub const CACHING: u8 = 0x08;
    /// CD audio control.
    pub const CD_AUDIO_CONTROL: u8 = 0x0E;
    /// Power condition.
    pub const POWER_CONDITION: u8 = 0x1A;
    /// Capabilities and mechanical status (MMC legacy, universally present).
    pub const CAPABILITIES: u8 = 0x2A;
    /// All pages.
    pub const ALL: u8 = 0x3F;
}

/// The mode parameter list: header, skipped block descriptors, pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeParameters {
    /// b0-1: mode data length (`total − 2`).
    pub mode_data_length: u16,
    /// b2: medium type (ide-cd reports 70h).
    pub medium_type: u8,
    /// b3: device-specific parameter.
    pub device_specific: u8,
    /// b6-7: block descriptor length (MMC: 0).
    pub block_descriptor_length: u16,
    /// The pages, in order.
    pub pages: Vec<ModePage>,
}

impl ModeParameters {
    /// The first page with this code.
    pub fn page(&self, code: u8) -> Option<&ModePage> {
        self.pages.iter().find(|p| p.code == code)
    }

    /// Page 2Ah decoded.
    ///
    /// # Errors
    /// [`ParseError::Invalid`] when the page is absent, `Truncated` when too short.
    pub fn capabilities(&self) -> Result<CapabilitiesPage, ParseError> {
        let p = self
            .page(ModePage::CAPABILITIES)
            .ok_or(ParseError::Invalid {
                what: "mode page 2Ah missing",
                value: 0x2A,
            })?;
        CapabilitiesPage::parse(&p.raw)
    }

    /// Page 05h decoded.
    ///
    /// # Errors
    /// [`ParseError::Invalid`] when the page is absent, `Truncated` when too short.
    pub fn write_parameters(&self) -> Result<WriteParametersPage, ParseError> {
        let p = self
            .page(ModePage::WRITE_PARAMETERS)
            .ok_or(ParseError::Invalid {
                what: "mode page 05h missing",
                value: 0x05,
            })?;
        WriteParametersPage::parse(&p.raw)
    }
}

impl Command for ModeSense10 {
    const NAME: &'static str = "MODE SENSE(10)";
    type Cdb = [u8; 10];
    type Response = ModeParameters;

    fn cdb(&self) -> [u8; 10] {
        let [a0, a1] = self.allocation_length.to_be_bytes();
        let b2 = (self.control as u8) << 6 | (self.page & 0x3f);
        let b1 = u8::from(self.disable_block_descriptors) << 3;
        [
            Opcode::MODE_SENSE_10.0,
            b1,
            b2,
            self.subpage,
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

    fn parse(&self, data: &[u8]) -> Result<ModeParameters, ParseError> {
        bytes::need(data, 8, "mode parameter header")?;
        let mode_data_length = bytes::be_u16(data, 0)?;
        let d = bytes::clip(data, usize::from(mode_data_length) + 2);
        let bdl = bytes::be_u16(d, 6)?;
        let mut off = 8 + usize::from(bdl);
        bytes::need(d, off, "mode block descriptors")?;
        let mut pages = Vec::new();
        while let (Ok(b0), Ok(b1)) = (bytes::u8_at(d, off), bytes::u8_at(d, off + 1)) {
            let spf = bytes::bit(b0, 6);
            let (header, declared) = if spf {
                match bytes::be_u16(d, off + 2) {
                    Ok(len) => (4usize, len),
                    Err(_) => break,
                }
            } else {
                (2usize, u16::from(b1))
            };
            let end = off + header + usize::from(declared);
            let raw = bytes::clip(bytes::tail(d, off), header + usize::from(declared));
            // Trailing zero padding after the last page is not a page.
            if b0 == 0 && declared == 0 {
                break;
            }
            pages.push(ModePage {
                code: b0 & 0x3f,
                parameters_savable: bytes::bit(b0, 7),
                subpage: spf.then_some(b1),
                declared_length: declared,
                raw: raw.to_vec(),
            });
            off = end;
        }
        Ok(ModeParameters {
            mode_data_length,
            medium_type: bytes::u8_at(d, 2)?,
            device_specific: bytes::u8_at(d, 3)?,
            block_descriptor_length: bdl,
            pages,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // docs/qemu-notes.md §3.4: MODE SENSE(10) page 2Ah, mode data length 001Ch, no block
    // descriptors, page 2A length 14h.
    const SCSI_CD_2A: [u8; 30] = [
        0x00, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        0x2a, 0x14, 0x3b, 0x00, 0x7f, 0xff, 0x2d, 0x00, 0x22, 0x60, 0x00, 0x02, 0x08, 0x00, 0x0b,
        0x00, 0x00, 0x00, 0x0b, 0x00, 0x0b, 0x00,
    ];

    #[test]
    fn cdbs() {
        // observed: page 2A  CDB: 5a 08 2a 00 00 00 00 00 ff 00
        assert_eq!(
            ModeSense10::capabilities().cdb(),
            [0x5a, 0x08, 0x2a, 0, 0, 0, 0, 0, 0xff, 0]
        );
        // observed: all pages  CDB: 5a 08 3f 00 00 00 00 10 00 00
        assert_eq!(
            ModeSense10::page(0x3f).allocation_length(4096).cdb(),
            [0x5a, 0x08, 0x3f, 0, 0, 0, 0, 0x10, 0x00, 0]
        );
        assert_eq!(
            ModeSense10::write_parameters()
                .control(PageControl::Default)
                .cdb()[2],
            0x85
        );
    }

    #[test]
    fn scsi_cd_page_2a_in_padded_buffer() {
        let mut buf = vec![0u8; 255];
        buf[..30].copy_from_slice(&SCSI_CD_2A);
        let m = ModeSense10::capabilities().parse(&buf).unwrap();
        assert_eq!(m.mode_data_length, 0x1c);
        assert_eq!(m.pages.len(), 1);
        let p = &m.pages[0];
        assert_eq!(p.code, 0x2a);
        assert_eq!(p.declared_length, 0x14);
        assert_eq!(p.raw.len(), 22);
        assert!(m.capabilities().is_ok());
        assert!(m.write_parameters().is_err());
    }

    #[test]
    fn scsi_cd_all_pages() {
        // docs/qemu-notes.md §3.4: page 3Fh, mode data length 004Ch: pages 01 (len 0A),
        // 08 (len 12h), 0E (len 0E), 2A (len 14h).
        let mut d = vec![0x00, 0x4c, 0, 0, 0, 0, 0, 0];
        d.extend_from_slice(&[0x01, 0x0a, 0x80, 0x20, 0, 0, 0, 0, 0, 0, 0, 0]);
        d.extend_from_slice(&[0x08, 0x12, 0x04]);
        d.extend_from_slice(&[0; 17]);
        d.extend_from_slice(&[0x0e, 0x0e]);
        d.extend_from_slice(&[0; 14]);
        d.extend_from_slice(&SCSI_CD_2A[8..]);
        d.resize(4096, 0);
        let m = ModeSense10::page(0x3f).parse(&d).unwrap();
        let codes: Vec<u8> = m.pages.iter().map(|p| p.code).collect();
        assert_eq!(codes, vec![0x01, 0x08, 0x0e, 0x2a]);
        assert_eq!(m.page(0x01).unwrap().raw[3], 0x20);
        assert_eq!(m.capabilities().unwrap().max_read_speed, 8800);
    }

    #[test]
    fn ide_cd_medium_type_and_block_descriptors() {
        // docs/qemu-notes.md §6: header 00 1c 70 00 …: medium type 70h.
        let mut d = vec![0x00, 0x1c, 0x70, 0, 0, 0, 0, 0];
        d.extend_from_slice(&[
            0x2a, 0x14, 0x3b, 0x00, 0x71, 0x60, 0x29, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x02, 0x00,
            0x02, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]);
        let m = ModeSense10::capabilities().parse(&d).unwrap();
        assert_eq!(m.medium_type, 0x70);
        // The same page behind an 8-byte block descriptor the device sent despite DBD.
        let mut b = vec![
            0x00, 0x24, 0x70, 0, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0x08, 0,
        ];
        b.extend_from_slice(&d[8..]);
        let m = ModeSense10::capabilities().parse(&b).unwrap();
        assert_eq!(m.block_descriptor_length, 8);
        assert_eq!(m.capabilities().unwrap().buffer_size_kib, 512);
        // Block descriptor length past the end.
        let mut bad = b.clone();
        bad[7] = 0xff;
        assert!(ModeSense10::capabilities().parse(&bad).is_err());
    }

    #[test]
    fn clipped_page_is_kept_short() {
        let m = ModeSense10::capabilities()
            .parse(&SCSI_CD_2A[..16])
            .unwrap();
        assert_eq!(m.pages[0].raw.len(), 8);
        assert!(m.capabilities().is_err());
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..128)) {
            if let Ok(m) = ModeSense10::page(0x3f).parse(&raw) {
                let _ = m.capabilities();
                let _ = m.write_parameters();
            }
        }
    }
}
