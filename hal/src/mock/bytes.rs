//! Panic-free field access for CDBs that come from outside, and for building replies.

/// A CDB as received. Fields beyond its end read as zero; the engine checks the length
/// per opcode before a handler runs, so that only happens for deliberately short CDBs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cdb<'a>(pub &'a [u8]);

impl Cdb<'_> {
    pub(crate) fn opcode(&self) -> u8 {
        self.u8(0)
    }

    pub(crate) fn u8(&self, i: usize) -> u8 {
        self.0.get(i).copied().unwrap_or(0)
    }

    pub(crate) fn bit(&self, i: usize, bit: u8) -> bool {
        self.u8(i) & (1 << bit) != 0
    }

    pub(crate) fn be16(&self, i: usize) -> u16 {
        u16::from_be_bytes([self.u8(i), self.u8(i + 1)])
    }

    pub(crate) fn be32(&self, i: usize) -> u32 {
        u32::from_be_bytes([self.u8(i), self.u8(i + 1), self.u8(i + 2), self.u8(i + 3)])
    }
}

/// Reads from a parameter list (MODE SELECT, FORMAT UNIT, SET STREAMING data-out).
pub(crate) fn get_u8(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

pub(crate) fn get_be16(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([get_u8(b, i), get_u8(b, i + 1)])
}

pub(crate) fn get_be24(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([0, get_u8(b, i), get_u8(b, i + 1), get_u8(b, i + 2)])
}

pub(crate) fn get_be32(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([
        get_u8(b, i),
        get_u8(b, i + 1),
        get_u8(b, i + 2),
        get_u8(b, i + 3),
    ])
}

/// Writes into a reply buffer; writes past the end are dropped (replies are sized first).
pub(crate) fn put_u8(b: &mut [u8], i: usize, v: u8) {
    if let Some(x) = b.get_mut(i) {
        *x = v;
    }
}

pub(crate) fn put_be16(b: &mut [u8], i: usize, v: u16) {
    put_slice(b, i, &v.to_be_bytes());
}

pub(crate) fn put_be24(b: &mut [u8], i: usize, v: u32) {
    let [_, x, y, z] = v.to_be_bytes();
    put_slice(b, i, &[x, y, z]);
}

pub(crate) fn put_be32(b: &mut [u8], i: usize, v: u32) {
    put_slice(b, i, &v.to_be_bytes());
}

pub(crate) fn put_slice(b: &mut [u8], i: usize, v: &[u8]) {
    if let Some(dst) = b.get_mut(i..i.saturating_add(v.len())) {
        dst.copy_from_slice(v);
    }
}

/// Converts an LBA to CD minutes/seconds/frames (MMC-6 §6.1.3 "MSF"): 150 frames of
/// pregap precede LBA 0, and negative LBAs (lead-in, down to −450150) map to minute ≥ 90.
pub(crate) fn lba_to_msf(lba: i64) -> (u8, u8, u8) {
    let frames = if lba >= -150 {
        lba + 150
    } else {
        lba + 450_150
    };
    // Minutes past 99 do not exist on a CD, but DVD-sized addresses still fit a byte, as
    // drives (and QEMU) encode them.
    let frames = frames.clamp(0, 255 * 4500 + 59 * 75 + 74);
    let m = frames / 4500;
    let s = (frames / 75) % 60;
    let f = frames % 75;
    (m as u8, s as u8, f as u8)
}

/// The 4-byte "00 M S F" form of an address, as TOC and disc information use it.
pub(crate) fn msf_field(lba: i64) -> u32 {
    let (m, s, f) = lba_to_msf(lba);
    u32::from_be_bytes([0, m, s, f])
}

/// Inverse of [`lba_to_msf`].
#[cfg(test)]
pub(crate) fn msf_to_lba(m: u8, s: u8, f: u8) -> i64 {
    let frames = (i64::from(m) * 60 + i64::from(s)) * 75 + i64::from(f);
    if m >= 90 {
        frames - 450_150
    } else {
        frames - 150
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msf_round_trips() {
        for lba in [-11634i64, -150, 0, 1, 1649, 359_849] {
            let (m, s, f) = lba_to_msf(lba);
            assert_eq!(msf_to_lba(m, s, f), lba, "{lba}");
        }
        assert_eq!(lba_to_msf(0), (0, 2, 0));
        // 80-minute ATIP lead-out and a common ATIP lead-in (97:26:66).
        assert_eq!(lba_to_msf(359_849), (79, 59, 74));
        assert_eq!(msf_to_lba(97, 26, 66), -11634);
        // QEMU scsi-cd-cd-medium.txt: lead-out 1649 is 00:17:4a in MSF mode (00:23:74).
        assert_eq!(msf_field(1649), 0x0000_174a);
        // QEMU scsi-cd-dvd-1GiB.txt: lead-out 524288 in MSF mode is 00 74 20 26 (116:32:38).
        assert_eq!(msf_field(524_288), 0x0074_2026);
    }

    #[test]
    fn short_cdb_reads_zero() {
        let c = Cdb(&[0x28, 0x00, 0x12]);
        assert_eq!(c.be32(2), 0x1200_0000);
        assert_eq!(c.u8(40), 0);
        let mut b = [0u8; 3];
        put_be32(&mut b, 1, 0xdead_beef);
        assert_eq!(b, [0, 0, 0]);
        put_be16(&mut b, 1, 0xbeef);
        assert_eq!(b, [0, 0xbe, 0xef]);
    }
}
