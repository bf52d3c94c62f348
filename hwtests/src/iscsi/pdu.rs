//! iSCSI PDU framing (RFC 7143 §11): the 48-byte Basic Header Segment, the additional header
//! segments, and the data segment padded to four bytes. No digests: the target negotiates
//! `HeaderDigest=None` and `DataDigest=None`.
//!
//! Parsing never panics on input: every length comes from the header and is checked against
//! what arrived and against the largest data segment the caller accepts.

use std::io::{self, Read, Write};

use super::Error;

/// Length of the Basic Header Segment (RFC 7143 §11.2.1).
pub const BHS_LEN: usize = 48;

/// The task tag meaning "no task" (RFC 7143 §11.18, §11.19: NOP-Out/NOP-In).
pub const RESERVED_TAG: u32 = 0xffff_ffff;

/// The opcode of a PDU (BHS byte 0, bits 5..0). An open code space: initiator opcodes are
/// 00h–1Fh, target opcodes 20h–3Fh.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Opcode(pub u8);

impl Opcode {
    /// NOP-Out (§11.18).
    pub const NOP_OUT: Opcode = Opcode(0x00);
    /// SCSI Command (§11.3).
    pub const SCSI_COMMAND: Opcode = Opcode(0x01);
    /// SCSI Task Management Function Request (§11.5).
    pub const TASK_MANAGEMENT_REQUEST: Opcode = Opcode(0x02);
    /// Login Request (§11.12).
    pub const LOGIN_REQUEST: Opcode = Opcode(0x03);
    /// Text Request (§11.10).
    pub const TEXT_REQUEST: Opcode = Opcode(0x04);
    /// SCSI Data-Out (§11.7).
    pub const DATA_OUT: Opcode = Opcode(0x05);
    /// Logout Request (§11.14).
    pub const LOGOUT_REQUEST: Opcode = Opcode(0x06);
    /// SNACK Request (§11.16).
    pub const SNACK_REQUEST: Opcode = Opcode(0x10);
    /// NOP-In (§11.19).
    pub const NOP_IN: Opcode = Opcode(0x20);
    /// SCSI Response (§11.4).
    pub const SCSI_RESPONSE: Opcode = Opcode(0x21);
    /// SCSI Task Management Function Response (§11.6).
    pub const TASK_MANAGEMENT_RESPONSE: Opcode = Opcode(0x22);
    /// Login Response (§11.13).
    pub const LOGIN_RESPONSE: Opcode = Opcode(0x23);
    /// Text Response (§11.11).
    pub const TEXT_RESPONSE: Opcode = Opcode(0x24);
    /// SCSI Data-In (§11.7).
    pub const DATA_IN: Opcode = Opcode(0x25);
    /// Logout Response (§11.15).
    pub const LOGOUT_RESPONSE: Opcode = Opcode(0x26);
    /// Ready To Transfer (§11.8).
    pub const R2T: Opcode = Opcode(0x31);
    /// Asynchronous Message (§11.9).
    pub const ASYNC_MESSAGE: Opcode = Opcode(0x32);
    /// Reject (§11.17).
    pub const REJECT: Opcode = Opcode(0x3f);

    /// The name RFC 7143 gives the opcode.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x00 => "NOP-Out",
            0x01 => "SCSI Command",
            0x02 => "Task Management Request",
            0x03 => "Login Request",
            0x04 => "Text Request",
            0x05 => "SCSI Data-Out",
            0x06 => "Logout Request",
            0x10 => "SNACK Request",
            0x1c..=0x1e => "vendor-specific initiator opcode",
            0x20 => "NOP-In",
            0x21 => "SCSI Response",
            0x22 => "Task Management Response",
            0x23 => "Login Response",
            0x24 => "Text Response",
            0x25 => "SCSI Data-In",
            0x26 => "Logout Response",
            0x31 => "R2T",
            0x32 => "Asynchronous Message",
            0x3c..=0x3e => "vendor-specific target opcode",
            0x3f => "Reject",
            _ => "reserved opcode",
        }
    }
}

impl std::fmt::Debug for Opcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Opcode({:#04x} {})", self.0, self.name())
    }
}

/// A logical unit number as the BHS carries it (SAM-5 §4.7): peripheral device addressing
/// (byte 0 = 00h) for LUNs below 256, flat space addressing (byte 0 = 01b in bits 7..6) up to
/// 16383. Other addressing methods and multi-level LUNs are not decoded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Lun(pub u16);

impl Lun {
    /// Decodes the 8-byte LUN field; `None` for an addressing method this target does not
    /// use (such a LUN is answered as not supported).
    pub fn decode(field: [u8; 8]) -> Option<Lun> {
        if field[2..].iter().any(|&b| b != 0) {
            return None;
        }
        match field[0] >> 6 {
            0b00 if field[0] == 0 => Some(Lun(u16::from(field[1]))),
            0b01 => Some(Lun(u16::from(field[0] & 0x3f) << 8 | u16::from(field[1]))),
            _ => None,
        }
    }

    /// The 8-byte LUN field, as REPORT LUNS lists it.
    pub fn encode(self) -> [u8; 8] {
        let mut f = [0u8; 8];
        if self.0 < 256 {
            f[1] = self.0 as u8;
        } else {
            let [hi, lo] = (self.0 & 0x3fff).to_be_bytes();
            f[0] = 0x40 | hi;
            f[1] = lo;
        }
        f
    }
}

/// One PDU: the BHS, any additional header segments, and the data segment (without its pad).
#[derive(Clone, PartialEq, Eq)]
pub struct Pdu {
    /// The Basic Header Segment. Bytes 4 (TotalAHSLength) and 5..8 (DataSegmentLength) are
    /// set from `ahs` and `data` when the PDU is encoded.
    pub bhs: [u8; BHS_LEN],
    /// Additional header segments, a multiple of 4 bytes.
    pub ahs: Vec<u8>,
    /// The data segment.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Pdu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pdu")
            .field("opcode", &self.opcode())
            .field("flags", &format_args!("{:#04x}", self.flags()))
            .field("itt", &format_args!("{:#010x}", self.itt()))
            .field("ahs", &self.ahs.len())
            .field("data", &self.data.len())
            .finish()
    }
}

/// Rounds a segment length up to the 4-byte boundary the wire uses.
fn padded(len: usize) -> usize {
    len.div_ceil(4) * 4
}

impl Pdu {
    /// An empty PDU with the given opcode (target PDUs never set the immediate bit).
    pub fn new(opcode: Opcode) -> Pdu {
        let mut bhs = [0u8; BHS_LEN];
        bhs[0] = opcode.0 & 0x3f;
        Pdu {
            bhs,
            ahs: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Byte 0, bits 5..0.
    pub fn opcode(&self) -> Opcode {
        Opcode(self.bhs[0] & 0x3f)
    }

    /// The immediate-delivery bit (byte 0, bit 6) of initiator PDUs.
    pub fn immediate(&self) -> bool {
        self.bhs[0] & 0x40 != 0
    }

    /// Byte 1: the F bit and the opcode-specific flags.
    pub fn flags(&self) -> u8 {
        self.bhs[1]
    }

    /// The F (final) bit, byte 1 bit 7.
    pub fn final_bit(&self) -> bool {
        self.bhs[1] & 0x80 != 0
    }

    /// A big-endian 32-bit field at `at` (a BHS offset); 0 past the end.
    pub fn u32_at(&self, at: usize) -> u32 {
        self.bhs
            .get(at..at + 4)
            .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Sets a big-endian 32-bit field at `at` (a BHS offset); ignored past the end.
    pub fn set_u32(&mut self, at: usize, v: u32) {
        if let Some(b) = self.bhs.get_mut(at..at + 4) {
            b.copy_from_slice(&v.to_be_bytes());
        }
    }

    /// Initiator Task Tag, bytes 16..20.
    pub fn itt(&self) -> u32 {
        self.u32_at(16)
    }

    /// The LUN field, bytes 8..16 (meaningful for the opcodes that carry one).
    pub fn lun_field(&self) -> [u8; 8] {
        let mut f = [0u8; 8];
        f.copy_from_slice(&self.bhs[8..16]);
        f
    }

    /// TotalAHSLength in bytes and DataSegmentLength in bytes, from a BHS.
    pub fn segment_lengths(bhs: &[u8; BHS_LEN]) -> (usize, usize) {
        let ahs = usize::from(bhs[4]) * 4;
        let data = (usize::from(bhs[5]) << 16) | (usize::from(bhs[6]) << 8) | usize::from(bhs[7]);
        (ahs, data)
    }

    /// Parses one PDU from the front of `bytes`; returns it and the bytes it took.
    ///
    /// # Errors
    /// [`Error::Truncated`] when `bytes` ends inside the PDU, [`Error::DataTooLong`] when its
    /// data segment is longer than `max_data`.
    pub fn parse(bytes: &[u8], max_data: usize) -> Result<(Pdu, usize), Error> {
        let mut bhs = [0u8; BHS_LEN];
        let head = bytes.get(..BHS_LEN).ok_or(Error::Truncated {
            need: BHS_LEN,
            got: bytes.len(),
        })?;
        bhs.copy_from_slice(head);
        let (ahs_len, data_len) = Self::segment_lengths(&bhs);
        if data_len > max_data {
            return Err(Error::DataTooLong {
                len: data_len,
                max: max_data,
            });
        }
        let total = BHS_LEN + ahs_len + padded(data_len);
        if bytes.len() < total {
            return Err(Error::Truncated {
                need: total,
                got: bytes.len(),
            });
        }
        let ahs = bytes[BHS_LEN..BHS_LEN + ahs_len].to_vec();
        let at = BHS_LEN + ahs_len;
        let data = bytes[at..at + data_len].to_vec();
        Ok((Pdu { bhs, ahs, data }, total))
    }

    /// Reads one PDU. `Ok(None)` when the stream ends cleanly before its first byte.
    ///
    /// # Errors
    /// [`Error::Io`] (including an end of stream inside the PDU), [`Error::DataTooLong`].
    pub fn read_from<R: Read>(r: &mut R, max_data: usize) -> Result<Option<Pdu>, Error> {
        let mut bhs = [0u8; BHS_LEN];
        let mut got = 0;
        while got < BHS_LEN {
            match r.read(&mut bhs[got..]) {
                Ok(0) if got == 0 => return Ok(None),
                Ok(0) => return Err(Error::Truncated { need: BHS_LEN, got }),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
        let (ahs_len, data_len) = Self::segment_lengths(&bhs);
        if data_len > max_data {
            return Err(Error::DataTooLong {
                len: data_len,
                max: max_data,
            });
        }
        let mut ahs = vec![0u8; ahs_len];
        r.read_exact(&mut ahs).map_err(Error::Io)?;
        let mut data = vec![0u8; padded(data_len)];
        r.read_exact(&mut data).map_err(Error::Io)?;
        data.truncate(data_len);
        Ok(Some(Pdu { bhs, ahs, data }))
    }

    /// The PDU as it goes on the wire, with the segment lengths filled in and the segments
    /// padded. An AHS that is not a multiple of 4 bytes is padded too; a data segment longer
    /// than 2^24 - 1 bytes is cut (the target never builds one).
    pub fn encode(&self) -> Vec<u8> {
        let ahs_len = padded(self.ahs.len()).min(255 * 4);
        let data_len = self.data.len().min(0xff_ffff);
        let mut out = Vec::with_capacity(BHS_LEN + ahs_len + padded(data_len));
        out.extend_from_slice(&self.bhs);
        out[4] = (ahs_len / 4) as u8;
        out[5..8].copy_from_slice(&(data_len as u32).to_be_bytes()[1..]);
        out.extend_from_slice(&self.ahs[..self.ahs.len().min(ahs_len)]);
        out.resize(BHS_LEN + ahs_len, 0);
        out.extend_from_slice(&self.data[..data_len]);
        out.resize(BHS_LEN + ahs_len + padded(data_len), 0);
        out
    }

    /// Writes the encoded PDU.
    ///
    /// # Errors
    /// The writer's.
    pub fn write_to<W: Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(&self.encode())
    }
}

/// Parses a text data segment (RFC 7143 §6.1): `key=value` pairs, each ended by a NUL.
///
/// # Errors
/// [`Error::BadText`] for a pair without `=`, an empty or over-long key (more than 63
/// bytes), a key with characters outside `[A-Za-z0-9.+@_:-]`, or bytes that are not UTF-8.
pub fn parse_text(data: &[u8]) -> Result<Vec<(String, String)>, Error> {
    let mut pairs = Vec::new();
    for item in data.split(|&b| b == 0) {
        if item.is_empty() {
            continue;
        }
        let item =
            std::str::from_utf8(item).map_err(|_| Error::BadText("a pair is not UTF-8".into()))?;
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| Error::BadText(format!("no '=' in {item:?}")))?;
        let key_ok = !k.is_empty()
            && k.len() <= 63
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".+@_:-".contains(&b));
        if !key_ok {
            return Err(Error::BadText(format!("bad key {k:?}")));
        }
        pairs.push((k.to_string(), v.to_string()));
    }
    Ok(pairs)
}

/// Encodes `key=value` pairs, each ended by a NUL.
pub fn encode_text<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in pairs {
        out.extend_from_slice(k.as_ref().as_bytes());
        out.push(b'=');
        out.extend_from_slice(v.as_ref().as_bytes());
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A Login Request as libiscsi sends it first (RFC 7143 §11.12): immediate bit + 03h,
    /// T=1 CSG=0 NSG=1, versions 0/0, ISID, ITT 1, CmdSN 0.
    fn login_request() -> Vec<u8> {
        let text = encode_text(&[
            ("InitiatorName", "iqn.2008-11.org.linux-kvm"),
            ("SessionType", "Normal"),
            ("AuthMethod", "None"),
        ]);
        let mut p = Pdu::new(Opcode::LOGIN_REQUEST);
        p.bhs[0] |= 0x40;
        p.bhs[1] = 0x81; // T, CSG 0, NSG 1
        p.bhs[8..14].copy_from_slice(&[0x80, 0x12, 0x34, 0x56, 0x78, 0x9a]); // ISID
        p.set_u32(16, 1);
        p.data = text;
        p.encode()
    }

    #[test]
    fn a_login_request_parses() {
        let wire = login_request();
        assert_eq!(wire.len() % 4, 0);
        // byte 4: no AHS; bytes 5..8: DataSegmentLength.
        assert_eq!(wire[4], 0);
        let (pdu, used) = Pdu::parse(&wire, 8192).unwrap();
        assert_eq!(used, wire.len());
        assert_eq!(pdu.opcode(), Opcode::LOGIN_REQUEST);
        assert!(pdu.immediate());
        assert!(pdu.final_bit());
        assert_eq!(pdu.itt(), 1);
        let keys = parse_text(&pdu.data).unwrap();
        assert_eq!(keys[1], ("SessionType".into(), "Normal".into()));
    }

    #[test]
    fn the_data_segment_is_padded_and_the_pad_dropped() {
        let mut p = Pdu::new(Opcode::NOP_IN);
        p.data = vec![1, 2, 3, 4, 5];
        let wire = p.encode();
        assert_eq!(wire.len(), BHS_LEN + 8);
        assert_eq!(&wire[5..8], &[0, 0, 5]);
        let (q, _) = Pdu::parse(&wire, 8192).unwrap();
        assert_eq!(q.data, vec![1, 2, 3, 4, 5]);
        let mut cursor = std::io::Cursor::new(wire);
        assert_eq!(Pdu::read_from(&mut cursor, 8192).unwrap(), Some(q));
        assert_eq!(Pdu::read_from(&mut cursor, 8192).unwrap(), None);
    }

    #[test]
    fn short_and_oversized_input_are_errors() {
        let wire = login_request();
        for cut in [0, 1, 47, 48, wire.len() - 1] {
            assert!(matches!(
                Pdu::parse(&wire[..cut], 8192),
                Err(Error::Truncated { .. })
            ));
        }
        assert!(matches!(
            Pdu::parse(&wire, 4),
            Err(Error::DataTooLong { max: 4, .. })
        ));
        let mut cursor = std::io::Cursor::new(&wire[..60]);
        assert!(Pdu::read_from(&mut cursor, 8192).is_err());
        let mut cursor = std::io::Cursor::new(&wire[..10]);
        assert!(matches!(
            Pdu::read_from(&mut cursor, 8192),
            Err(Error::Truncated { need: 48, got: 10 })
        ));
    }

    #[test]
    fn luns_decode_both_addressing_methods() {
        assert_eq!(Lun::decode([0, 1, 0, 0, 0, 0, 0, 0]), Some(Lun(1)));
        assert_eq!(Lun::decode(Lun(1).encode()), Some(Lun(1)));
        assert_eq!(Lun::decode(Lun(300).encode()), Some(Lun(300)));
        assert_eq!(Lun(300).encode()[0], 0x41);
        // Bus 1 in peripheral addressing, logical unit addressing, a second level.
        assert_eq!(Lun::decode([0x01, 1, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(Lun::decode([0x80, 1, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(Lun::decode([0, 1, 0, 2, 0, 0, 0, 0]), None);
    }

    #[test]
    fn text_rejects_what_is_not_key_value() {
        assert!(parse_text(b"NoEquals\0").is_err());
        assert!(parse_text(b"=v\0").is_err());
        assert!(parse_text(b"bad key=v\0").is_err());
        assert!(parse_text(&[b'K', b'=', 0xff, 0]).is_err());
        assert_eq!(
            parse_text(b"A=\0\0").unwrap(),
            vec![("A".into(), "".into())]
        );
        // The last pair may lack its NUL (some initiators cut it with the segment).
        assert_eq!(
            parse_text(b"A=1\0B=2").unwrap(),
            vec![("A".into(), "1".into()), ("B".into(), "2".into())]
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Pdu::parse(&bytes, 256);
            let _ = Pdu::read_from(&mut std::io::Cursor::new(&bytes), 256);
            let _ = parse_text(&bytes);
        }

        #[test]
        fn encode_then_parse_is_the_identity(
            head in proptest::collection::vec(any::<u8>(), BHS_LEN),
            ahs_words in 0usize..4,
            data in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let mut p = Pdu::new(Opcode::DATA_IN);
            p.bhs.copy_from_slice(&head);
            p.ahs = vec![7; ahs_words * 4];
            p.data = data;
            let wire = p.encode();
            let (mut q, used) = Pdu::parse(&wire, 1024).unwrap();
            prop_assert_eq!(used, wire.len());
            // The lengths are recomputed on encode; compare the rest.
            q.bhs[4..8].copy_from_slice(&p.bhs[4..8]);
            prop_assert_eq!(q, p);
        }

        #[test]
        fn text_round_trips(pairs in proptest::collection::vec(
            ("[A-Za-z][A-Za-z0-9.:-]{0,20}", "[ -~]{0,40}"), 0..8)) {
            let pairs: Vec<(String, String)> = pairs;
            prop_assert_eq!(parse_text(&encode_text(&pairs)).unwrap(), pairs);
        }
    }
}
