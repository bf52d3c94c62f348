use super::{Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// INQUIRY (12h), SPC-5 §6.6.1, standard data. MMC devices have peripheral device type 05h.
#[doc(alias = "INQUIRY")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inquiry {
    /// Allocation length (b3-4). 96 covers the SPC-3 version descriptors; 36 is the minimum.
    pub allocation_length: u16,
}

impl Default for Inquiry {
    fn default() -> Self {
        Inquiry {
            allocation_length: 96,
        }
    }
}

/// Standard INQUIRY data (SPC-5 table 148).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquiryData {
    /// b0 bits 7-5.
    pub peripheral_qualifier: u8,
    /// b0 bits 4-0: 05h for CD/DVD/BD (MMC) devices.
    pub peripheral_device_type: u8,
    /// b1 bit 7 RMB: removable medium.
    pub removable: bool,
    /// b2: SPC version.
    pub version: u8,
    /// b3 bits 3-0: response data format (2).
    pub response_data_format: u8,
    /// b4: additional length (`n − 5`). QEMU's scsi-cd sets it to `allocation length − 5`.
    pub additional_length: u8,
    /// b8-15, trimmed.
    pub vendor: String,
    /// b16-31, trimmed.
    pub product: String,
    /// b32-35, trimmed.
    pub revision: String,
}

impl InquiryData {
    /// Peripheral device type 05h: a CD/DVD/BD device speaking MMC.
    pub const MMC_DEVICE: u8 = 0x05;

    /// True for peripheral device type 05h.
    pub fn is_mmc(&self) -> bool {
        self.peripheral_device_type == Self::MMC_DEVICE
    }
}

impl Command for Inquiry {
    const NAME: &'static str = "INQUIRY";
    type Cdb = [u8; 6];
    type Response = InquiryData;

    fn cdb(&self) -> [u8; 6] {
        let [a0, a1] = self.allocation_length.to_be_bytes();
        [Opcode::INQUIRY.0, 0, 0, a0, a1, 0]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(usize::from(self.allocation_length))
    }

    fn parse(&self, data: &[u8]) -> Result<InquiryData, ParseError> {
        bytes::need(data, 5, "INQUIRY header")?;
        let b0 = bytes::u8_at(data, 0)?;
        let additional_length = bytes::u8_at(data, 4)?;
        let d = bytes::clip(data, 5 + usize::from(additional_length));
        Ok(InquiryData {
            peripheral_qualifier: b0 >> 5,
            peripheral_device_type: b0 & 0x1f,
            removable: bytes::bit(bytes::u8_at(d, 1)?, 7),
            version: bytes::u8_at(d, 2)?,
            response_data_format: bytes::u8_at(d, 3)? & 0x0f,
            additional_length,
            vendor: bytes::ascii(d, 8, 8),
            product: bytes::ascii(d, 16, 16),
            revision: bytes::ascii(d, 32, 4),
        })
    }
}

/// INQUIRY (12h) with EVPD=1, SPC-5 §6.6 and §7.7: one vital product data page (00h supported
/// pages, 80h unit serial number, 83h device identification).
#[doc(alias = "INQUIRY")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InquiryVpd {
    /// The page code (b2).
    pub page: u8,
    /// Allocation length (b3-4).
    pub allocation_length: u16,
}

impl InquiryVpd {
    /// Supported VPD pages.
    pub const SUPPORTED_PAGES: u8 = 0x00;
    /// Unit serial number.
    pub const UNIT_SERIAL_NUMBER: u8 = 0x80;
    /// Device identification.
    pub const DEVICE_IDENTIFICATION: u8 = 0x83;

    /// Asks for `page` with a 255-byte allocation.
    pub fn page(page: u8) -> Self {
        InquiryVpd {
            page,
            allocation_length: 255,
        }
    }
}

/// A VPD page: 4-byte header and its payload, clipped to the page length (b2-3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpdPage {
    /// b0 bits 4-0.
    pub peripheral_device_type: u8,
    /// b1.
    pub page: u8,
    /// The bytes after the header.
    pub payload: Vec<u8>,
}

/// One designation descriptor of VPD page 83h (SPC-5 §7.7.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Designator {
    /// b0 bits 3-0: 1 binary, 2 ASCII, 3 UTF-8.
    pub code_set: u8,
    /// b1 bits 5-4: 0 logical unit, 1 target port, 2 target device.
    pub association: u8,
    /// b1 bits 3-0: 0 vendor specific, 1 T10 vendor ID, 2 EUI-64, 3 NAA, ...
    pub designator_type: u8,
    /// The designator bytes.
    pub designator: Vec<u8>,
}

impl VpdPage {
    /// Page 00h: the supported page codes.
    pub fn supported_pages(&self) -> &[u8] {
        &self.payload
    }

    /// Page 80h: the unit serial number, trimmed.
    pub fn unit_serial_number(&self) -> String {
        bytes::ascii(&self.payload, 0, self.payload.len())
    }

    /// Page 83h: the designation descriptors that arrived whole.
    pub fn designators(&self) -> Vec<Designator> {
        let mut out = Vec::new();
        let p = &self.payload;
        let mut off = 0;
        while let (Ok(b0), Ok(b1), Ok(len)) = (
            bytes::u8_at(p, off),
            bytes::u8_at(p, off + 1),
            bytes::u8_at(p, off + 3),
        ) {
            let Ok(d) = bytes::slice(p, off + 4, usize::from(len), "designator") else {
                break;
            };
            out.push(Designator {
                code_set: b0 & 0x0f,
                association: (b1 >> 4) & 0x03,
                designator_type: b1 & 0x0f,
                designator: d.to_vec(),
            });
            off += 4 + usize::from(len);
        }
        out
    }
}

impl Command for InquiryVpd {
    const NAME: &'static str = "INQUIRY";
    type Cdb = [u8; 6];
    type Response = VpdPage;

    fn cdb(&self) -> [u8; 6] {
        let [a0, a1] = self.allocation_length.to_be_bytes();
        [Opcode::INQUIRY.0, 0x01, self.page, a0, a1, 0]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(usize::from(self.allocation_length))
    }

    fn parse(&self, data: &[u8]) -> Result<VpdPage, ParseError> {
        let len = bytes::be_u16(data, 2)?;
        let d = bytes::clip(data, 4 + usize::from(len));
        let page = bytes::u8_at(d, 1)?;
        if page != self.page {
            return Err(ParseError::Invalid {
                what: "VPD page code",
                value: u32::from(page),
            });
        }
        Ok(VpdPage {
            peripheral_device_type: bytes::u8_at(d, 0)? & 0x1f,
            page,
            payload: bytes::tail(d, 4).to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // docs/qemu-notes.md §3.1: INQUIRY, 96 of 96 bytes. b0 05 (PDT 5), b1 80 (RMB),
    // b2 05 (SPC-3), b3 12 (HiSup, RDF 2), b4 5B (add_len 91 = alloc − 5), b8-15 vendor,
    // b16-31 product, b32-35 revision, then zeros.
    const SCSI_CD: [u8; 96] = {
        let mut b = [0u8; 96];
        let head = *b"\x05\x80\x05\x12\x5b\x00\x00\x12QEMU    QEMU CD-ROM     2.5+";
        let mut i = 0;
        while i < head.len() {
            b[i] = head[i];
            i += 1;
        }
        b
    };

    // docs/qemu-notes.md §6: 36 meaningful bytes (add_len 1F = 31) in a 96-byte
    // buffer; b3 32 (NormACA-less, HiSup, RDF 2), b7 00.
    const IDE_CD: [u8; 36] = *b"\x05\x80\x05\x32\x1f\x00\x00\x00QEMU    QEMU DVD-ROM    2.5+";

    #[test]
    fn cdb() {
        // observed: INQUIRY  CDB: 12 00 00 00 60 00
        assert_eq!(Inquiry::default().cdb(), [0x12, 0, 0, 0, 0x60, 0]);
        // observed: INQUIRY VPD 0x00  CDB: 12 01 00 00 ff 00
        assert_eq!(InquiryVpd::page(0).cdb(), [0x12, 0x01, 0, 0, 0xff, 0]);
        assert_eq!(InquiryVpd::page(0x83).cdb(), [0x12, 0x01, 0x83, 0, 0xff, 0]);
    }

    #[test]
    fn scsi_cd_standard() {
        let d = Inquiry::default().parse(&SCSI_CD).unwrap();
        assert_eq!(d.peripheral_device_type, 5);
        assert!(d.is_mmc() && d.removable);
        assert_eq!(d.peripheral_qualifier, 0);
        assert_eq!(d.version, 5);
        assert_eq!(d.response_data_format, 2);
        assert_eq!(d.additional_length, 91);
        assert_eq!(d.vendor, "QEMU");
        assert_eq!(d.product, "QEMU CD-ROM");
        assert_eq!(d.revision, "2.5+");
    }

    #[test]
    fn ide_cd_standard_with_trailing_zeros() {
        let mut buf = [0u8; 96];
        buf[..36].copy_from_slice(&IDE_CD);
        let d = Inquiry::default().parse(&buf).unwrap();
        assert_eq!(d.additional_length, 31);
        assert_eq!(d.product, "QEMU DVD-ROM");
        assert_eq!(d.revision, "2.5+");
        // Additional length honoured: stray bytes past 36 do not leak into the revision.
        buf[36] = b'X';
        assert_eq!(Inquiry::default().parse(&buf).unwrap().revision, "2.5+");
    }

    #[test]
    fn short_inquiry() {
        assert!(Inquiry::default().parse(&IDE_CD[..4]).is_err());
        let d = Inquiry::default().parse(&IDE_CD[..20]).unwrap();
        assert_eq!(d.vendor, "QEMU");
        assert_eq!(d.product, "QEMU");
        assert_eq!(d.revision, "");
    }

    #[test]
    fn vpd_pages() {
        // docs/qemu-notes.md §3.2: VPD 00h lists 00h and 83h.
        let p = InquiryVpd::page(0)
            .parse(&[0x05, 0x00, 0x00, 0x02, 0x00, 0x83, 0x00, 0x00])
            .unwrap();
        assert_eq!(p.supported_pages(), &[0x00, 0x83]);
        // docs/qemu-notes.md §3.2: VPD 83h, one ASCII vendor-specific designator "cd4".
        let p = InquiryVpd::page(0x83)
            .parse(&[
                0x05, 0x83, 0x00, 0x07, 0x02, 0x00, 0x00, 0x03, 0x63, 0x64, 0x34, 0x00,
            ])
            .unwrap();
        assert_eq!(
            p.designators(),
            vec![Designator {
                code_set: 2,
                association: 0,
                designator_type: 0,
                designator: b"cd4".to_vec()
            }]
        );
        // docs/qemu-notes.md §6: VPD 83h, page length 60h; the dump shows the
        // first 96 bytes, so the third designator is cut short and dropped.
        let mut d = vec![0x05, 0x83, 0x00, 0x60, 0x02, 0x00, 0x00, 0x14];
        d.extend_from_slice(b"QM00009             ");
        d.extend_from_slice(&[0x02, 0x01, 0x00, 0x44]);
        d.extend_from_slice(b"ATA     QEMU DVD-ROM                            QM00009         ");
        let p = InquiryVpd::page(0x83).parse(&d).unwrap();
        let ds = p.designators();
        assert_eq!(ds.len(), 1);
        assert_eq!(bytes::ascii(&ds[0].designator, 0, 20), "QM00009");
        // Wrong page echoed back.
        assert!(InquiryVpd::page(0x80)
            .parse(&[0x05, 0x83, 0x00, 0x00])
            .is_err());
        let p = InquiryVpd::page(0x80)
            .parse(&[0x05, 0x80, 0x00, 0x04, b'A', b'B', b' ', b' '])
            .unwrap();
        assert_eq!(p.unit_serial_number(), "AB");
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = Inquiry::default().parse(&raw);
            if let Ok(p) = InquiryVpd::page(0x83).parse(&raw) {
                let _ = p.designators();
                let _ = p.unit_serial_number();
            }
        }
    }
}
