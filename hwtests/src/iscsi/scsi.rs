//! The SCSI target layer: what the target answers itself rather than the device behind
//! LUN 1. REPORT LUNS belongs to the target (SPC-4 §6.33, addressed to any LUN); LUN 0 is a
//! storage array controller (peripheral device type 0Ch, as iSCSI targets commonly present
//! it) that takes INQUIRY, TEST UNIT READY, REQUEST SENSE and REPORT LUNS; any other LUN is
//! not there (INQUIRY peripheral qualifier 011b, other commands 05/25/00).

use super::pdu::Lun;

/// INQUIRY (12h), SPC-4 §6.6.
pub const INQUIRY: u8 = 0x12;
/// TEST UNIT READY (00h), SPC-4 §6.47.
pub const TEST_UNIT_READY: u8 = 0x00;
/// REQUEST SENSE (03h), SPC-4 §6.39.
pub const REQUEST_SENSE: u8 = 0x03;
/// REPORT LUNS (A0h), SPC-4 §6.33.
pub const REPORT_LUNS: u8 = 0xa0;

/// The device's LUN.
pub const DEVICE_LUN: Lun = Lun(1);

/// A reply made by the target layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// SAM status (00h GOOD, 02h CHECK CONDITION).
    pub status: u8,
    /// Data-in bytes (already cut to the allocation length).
    pub data: Vec<u8>,
    /// Fixed-format sense data with CHECK CONDITION.
    pub sense: Vec<u8>,
}

impl Reply {
    fn good(data: Vec<u8>) -> Reply {
        Reply {
            status: 0,
            data,
            sense: Vec::new(),
        }
    }

    /// CHECK CONDITION with fixed-format sense KEY/ASC/ASCQ (SPC-4 §4.5.3).
    pub fn check(key: u8, asc: u8, ascq: u8) -> Reply {
        let mut sense = vec![0u8; 18];
        sense[0] = 0x70;
        sense[2] = key & 0x0f;
        sense[7] = 10;
        sense[12] = asc;
        sense[13] = ascq;
        Reply {
            status: 2,
            data: Vec::new(),
            sense,
        }
    }
}

/// Whether the target layer answers this command (true) or the device does.
pub fn owned_by_target(lun: Option<Lun>, cdb: &[u8]) -> bool {
    lun != Some(DEVICE_LUN) || cdb.first() == Some(&REPORT_LUNS)
}

fn alloc_len(cdb: &[u8], at: std::ops::Range<usize>) -> usize {
    cdb.get(at).map_or(0, |b| {
        b.iter().fold(0usize, |n, &x| n << 8 | usize::from(x))
    })
}

fn cut(mut data: Vec<u8>, len: usize) -> Vec<u8> {
    data.truncate(len);
    data
}

/// Answers a command the target layer owns ([`owned_by_target`]).
pub fn answer(lun: Option<Lun>, cdb: &[u8]) -> Reply {
    let Some(&opcode) = cdb.first() else {
        return Reply::check(0x05, 0x20, 0x00);
    };
    if opcode == REPORT_LUNS {
        if cdb.len() < 12 {
            return Reply::check(0x05, 0x24, 0x00);
        }
        // SPC-4 Table 286: list length, reserved, then one 8-byte entry per LUN.
        let mut d = vec![0u8; 8];
        d[0..4].copy_from_slice(&16u32.to_be_bytes());
        d.extend_from_slice(&Lun(0).encode());
        d.extend_from_slice(&DEVICE_LUN.encode());
        return Reply::good(cut(d, alloc_len(cdb, 6..10)));
    }
    match lun {
        Some(Lun(0)) => controller(opcode, cdb),
        _ if opcode == INQUIRY => {
            if cdb.get(1).is_some_and(|b| b & 1 != 0) {
                return Reply::check(0x05, 0x24, 0x00);
            }
            // Peripheral qualifier 011b, device type 1Fh: no logical unit here (SPC-4 §6.6.2).
            let mut d = vec![0u8; 36];
            d[0] = 0x7f;
            d[2] = 0x06;
            d[3] = 0x02;
            d[4] = 31;
            Reply::good(cut(d, alloc_len(cdb, 3..5)))
        }
        _ if opcode == REQUEST_SENSE => {
            // SPC-4 §6.39: REQUEST SENSE to a LUN that is not there reports 05/25/00 as data.
            let mut d = Reply::check(0x05, 0x25, 0x00).sense;
            d.truncate(alloc_len(cdb, 4..5));
            Reply::good(d)
        }
        _ => Reply::check(0x05, 0x25, 0x00),
    }
}

/// LUN 0: a storage array controller with nothing to store.
fn controller(opcode: u8, cdb: &[u8]) -> Reply {
    match opcode {
        INQUIRY => {
            if cdb.len() < 6 {
                return Reply::check(0x05, 0x24, 0x00);
            }
            let evpd = cdb[1] & 1 != 0;
            let page = cdb[2];
            let len = alloc_len(cdb, 3..5);
            if evpd {
                return match page {
                    // Supported VPD pages: 00h only.
                    0x00 => Reply::good(cut(vec![0x0c, 0x00, 0x00, 0x01, 0x00], len)),
                    _ => Reply::check(0x05, 0x24, 0x00),
                };
            }
            if page != 0 {
                return Reply::check(0x05, 0x24, 0x00);
            }
            // SPC-4 Table 176: type 0Ch, version 06h (SPC-4), response format 2, HiSup.
            let mut d = vec![0u8; 36];
            d[0] = 0x0c;
            d[2] = 0x06;
            d[3] = 0x12;
            d[4] = 31;
            d[8..16].copy_from_slice(b"SPINDLE ");
            d[16..32].copy_from_slice(b"MOCK TARGET     ");
            d[32..36].copy_from_slice(b"0001");
            Reply::good(cut(d, len))
        }
        TEST_UNIT_READY => Reply::good(Vec::new()),
        REQUEST_SENSE => {
            let mut d = vec![0u8; 18];
            d[0] = 0x70;
            d[7] = 10;
            Reply::good(cut(d, alloc_len(cdb, 4..5)))
        }
        _ => Reply::check(0x05, 0x20, 0x00),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_luns_lists_0_and_1_for_any_lun() {
        for lun in [Some(Lun(0)), Some(Lun(1)), Some(Lun(7)), None] {
            let cdb = [REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0];
            assert!(owned_by_target(lun, &cdb));
            let r = answer(lun, &cdb);
            assert_eq!(r.status, 0);
            // list length 16, then LUN 0 and LUN 1 in peripheral device addressing.
            assert_eq!(&r.data[..4], &[0, 0, 0, 16]);
            assert_eq!(&r.data[8..16], &[0; 8]);
            assert_eq!(&r.data[16..24], &[0, 1, 0, 0, 0, 0, 0, 0]);
        }
        let r = answer(
            Some(Lun(1)),
            &[REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0],
        );
        assert_eq!(r.data.len(), 8);
    }

    #[test]
    fn lun_1_commands_go_to_the_device() {
        assert!(!owned_by_target(
            Some(DEVICE_LUN),
            &[INQUIRY, 0, 0, 0, 36, 0]
        ));
        assert!(!owned_by_target(Some(DEVICE_LUN), &[0x51; 10]));
        assert!(owned_by_target(Some(Lun(0)), &[INQUIRY, 0, 0, 0, 36, 0]));
    }

    #[test]
    fn lun_0_is_a_controller_and_others_are_absent() {
        let r = answer(Some(Lun(0)), &[INQUIRY, 0, 0, 0, 36, 0]);
        assert_eq!(r.data[0], 0x0c);
        assert_eq!(&r.data[8..16], b"SPINDLE ");
        assert_eq!(
            answer(Some(Lun(0)), &[TEST_UNIT_READY, 0, 0, 0, 0, 0]).status,
            0
        );
        assert_eq!(answer(Some(Lun(0)), &[0x28; 10]).sense[12], 0x20);
        let r = answer(Some(Lun(5)), &[INQUIRY, 0, 0, 0, 36, 0]);
        assert_eq!(r.data[0], 0x7f);
        let r = answer(Some(Lun(5)), &[TEST_UNIT_READY, 0, 0, 0, 0, 0]);
        assert_eq!((r.status, r.sense[2], r.sense[12]), (2, 5, 0x25));
        assert_eq!(answer(None, &[]).status, 2);
        assert_eq!(answer(Some(Lun(0)), &[INQUIRY]).status, 2);
    }
}
