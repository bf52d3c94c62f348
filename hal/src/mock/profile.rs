//! A recorded drive's answers, replayed by the mock on top of its medium model
//! (`spindle mock new DIR --profile REPORT`).
//!
//! A [`DriveProfile`] holds what a real drive said about *itself*: its INQUIRY data and VPD
//! pages, its GET CONFIGURATION feature descriptors, its mode pages, its GET PERFORMANCE
//! replies, its media-class GET EVENT STATUS NOTIFICATION header and the commands it refused.
//! What depends on the disc (disc and track information, TOC, capacity, READ data, which
//! profile and which features are current) still comes from the mock's medium model, so a
//! profiled mock can be loaded with any medium the recorded drive lists and burned like a
//! plain one. The profile holds raw bytes only: `hal` does not interpret MMC beyond what the
//! mock needs, and the mapping from a report's battery to a profile lives in the CLI.

use serde::{Deserialize, Serialize};

use super::bytes::{get_be16, get_be32, put_be32, put_u8, Cdb};

/// A command the recorded drive refused, and with what sense.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The CDB bytes a command must start with to be refused: the opcode alone for an
    /// unsupported command (05/20/xx), the whole CDB for a refused field (05/24/xx).
    pub cdb_prefix: Vec<u8>,
    /// Sense key, ASC, ASCQ.
    pub sense: [u8; 3],
}

/// What a recorded drive answers about itself. Every part is optional: a part the drive did
/// not answer (or the recording lacks) falls back to the mock's own answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DriveProfile {
    /// Where the profile came from, for `spindle mock state` (vendor, product, revision).
    pub source: String,
    /// Standard INQUIRY data as the drive returned it (its length is the drive's).
    pub inquiry: Option<Vec<u8>>,
    /// VPD pages (INQUIRY with EVPD = 1): page code and the page as returned.
    pub vpd: Vec<(u8, Vec<u8>)>,
    /// The feature descriptors of GET CONFIGURATION (RT 00b from feature 0), after the
    /// 8-byte header, in the drive's order.
    pub features: Option<Vec<u8>>,
    /// Mode pages with their 2-byte page headers, in the drive's order (MODE SENSE page
    /// 3Fh, current values). Page 05h is never replayed: the host writes it.
    pub mode_pages: Vec<Vec<u8>>,
    /// The first four bytes of the media-class GET EVENT STATUS NOTIFICATION reply (event
    /// data length, notification class, supported classes); the event and the media status
    /// come from the mock.
    pub event_header: Option<Vec<u8>>,
    /// GET PERFORMANCE replies by CDB bytes 1-11 (the opcode left out), replayed while a
    /// medium is loaded.
    pub performance: Vec<(Vec<u8>, Vec<u8>)>,
    /// Commands the drive refused.
    pub refused: Vec<Refusal>,
}

impl DriveProfile {
    /// The refusal that applies to this CDB, if any.
    pub(crate) fn refusal(&self, cdb: &[u8]) -> Option<[u8; 3]> {
        self.refused
            .iter()
            .find(|r| !r.cdb_prefix.is_empty() && cdb.starts_with(&r.cdb_prefix))
            .map(|r| r.sense)
    }

    /// The profile codes in the recorded feature 0000h (Profile List).
    pub fn profiles(&self) -> Vec<u16> {
        let mut out = Vec::new();
        if let Some(list) = &self.features {
            for (code, _, data) in descriptors(list) {
                if code == 0 {
                    for e in data.chunks_exact(4) {
                        out.push(get_be16(e, 0));
                    }
                }
            }
        }
        out
    }

    /// VPD page `page`, if recorded.
    pub(crate) fn vpd_page(&self, page: u8) -> Option<&[u8]> {
        self.vpd
            .iter()
            .find(|(p, _)| *p == page)
            .map(|(_, d)| d.as_slice())
    }

    /// The recorded mode page `code`, if any (never 05h).
    pub(crate) fn mode_page(&self, code: u8) -> Option<&[u8]> {
        if code == 0x05 {
            return None;
        }
        self.mode_pages
            .iter()
            .find(|p| p.first().is_some_and(|b| b & 0x3f == code))
            .map(Vec::as_slice)
    }

    /// The recorded GET PERFORMANCE reply to this CDB.
    pub(crate) fn performance_reply(&self, cdb: Cdb<'_>) -> Option<&[u8]> {
        let key = cdb.0.get(1..12)?;
        self.performance
            .iter()
            .find(|(k, _)| k.as_slice() == key)
            .map(|(_, d)| d.as_slice())
    }
}

/// Walks feature descriptors: (code, flags byte, data).
pub(crate) fn descriptors(list: &[u8]) -> Vec<(u16, u8, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 4 <= list.len() {
        let code = get_be16(list, at);
        let flags = get_u8(list, at + 2);
        let len = usize::from(get_u8(list, at + 3));
        let Some(data) = list.get(at + 4..at + 4 + len) else {
            break;
        };
        out.push((code, flags, data));
        at += 4 + len;
    }
    out
}

fn get_u8(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// Re-encodes the recorded descriptors with the Current bits the mock's medium model
/// decides: `current(code)` is `Some(bit)` for a feature the mock models, `None` for one it
/// does not (the recorded bit stays). In the Profile List, the entry of `current_profile` is
/// marked current and the others not.
pub(crate) fn replay_features(
    list: &[u8],
    current_profile: u16,
    current: impl Fn(u16) -> Option<bool>,
) -> Vec<(u16, bool, Vec<u8>)> {
    descriptors(list)
        .into_iter()
        .map(|(code, flags, data)| {
            let mut d = Vec::with_capacity(4 + data.len());
            d.extend_from_slice(&code.to_be_bytes());
            let bit = current(code).unwrap_or(flags & 1 != 0);
            d.push(flags & !1 | u8::from(bit));
            d.push(u8::try_from(data.len()).unwrap_or(u8::MAX));
            d.extend_from_slice(data);
            if code == 0 {
                for at in (4..d.len()).step_by(4) {
                    let p = get_be16(&d, at);
                    let b = get_u8(&d, at + 2);
                    put_u8(&mut d, at + 2, b & !1 | u8::from(p == current_profile));
                }
            }
            (code, bit, d)
        })
        .collect()
}

/// A recorded GET PERFORMANCE reply, its descriptor count cut to the CDB's maximum number
/// of descriptors (the data length still counts all, as the drive's did).
pub(crate) fn clip_performance(reply: &[u8], max: usize) -> Vec<u8> {
    let total = usize::try_from(get_be32(reply, 0)).unwrap_or(usize::MAX);
    let end = total.saturating_add(4).min(reply.len());
    let descriptors = reply.get(8..end).unwrap_or(&[]);
    let mut out = reply.get(..8).map(<[u8]>::to_vec).unwrap_or_default();
    out.resize(8, 0);
    for d in descriptors.chunks_exact(16).take(max) {
        out.extend_from_slice(d);
    }
    // Keep the recorded data length even when it was cut by the recording's allocation.
    let recorded = get_be32(reply, 0);
    put_be32(&mut out, 0, recorded);
    out
}

/// Patches the lock state into a recorded page 2Ah (byte 6 bit 1): the one field of the
/// page that follows the host's PREVENT ALLOW MEDIUM REMOVAL.
pub(crate) fn page2a_with_lock(page: &[u8], locked: bool) -> Vec<u8> {
    let mut p = page.to_vec();
    let b = get_u8(&p, 6);
    put_u8(&mut p, 6, b & !0x02 | if locked { 0x02 } else { 0 });
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_replay_with_the_mocks_current_bits() {
        // 0000h with CD-ROM (current) and DVD+R; 0003h persistent current; 00FFh unknown.
        let list = [
            0x00, 0x00, 0x03, 0x08, 0x00, 0x08, 0x01, 0x00, 0x00, 0x1b, 0x00, 0x00, //
            0x00, 0x03, 0x0b, 0x04, 0x29, 0x00, 0x00, 0x00, //
            0x00, 0xff, 0x01, 0x00,
        ];
        let p = DriveProfile {
            features: Some(list.to_vec()),
            ..DriveProfile::default()
        };
        assert_eq!(p.profiles(), vec![0x0008, 0x001b]);
        let out = replay_features(&list, 0x001b, |c| (c == 0x0003).then_some(false));
        assert_eq!(out.len(), 3);
        // Profile list: CD-ROM no longer current, DVD+R current.
        assert_eq!(out[0].2[6], 0x00);
        assert_eq!(out[0].2[10], 0x01);
        // 0003h: the mock decides (false); 00FFh: recorded bit kept.
        assert!(!out[1].1);
        assert_eq!(out[1].2[2], 0x0a);
        assert!(out[2].1);
    }

    #[test]
    fn short_and_odd_input_does_not_panic() {
        assert!(descriptors(&[0, 1, 2]).is_empty());
        assert_eq!(descriptors(&[0, 1, 0, 9, 1]).len(), 0);
        assert_eq!(clip_performance(&[], 3).len(), 8);
        let p = DriveProfile {
            refused: vec![Refusal {
                cdb_prefix: vec![0x52],
                sense: [5, 0x20, 0],
            }],
            ..DriveProfile::default()
        };
        assert_eq!(p.refusal(&[0x52, 1]), Some([5, 0x20, 0]));
        assert_eq!(p.refusal(&[0x51]), None);
    }

    #[test]
    fn performance_is_cut_to_the_maximum() {
        let mut r = vec![0, 0, 0, 36, 0, 0, 0, 0];
        r.extend([1u8; 16]);
        r.extend([2u8; 16]);
        let out = clip_performance(&r, 1);
        assert_eq!(out.len(), 24);
        assert_eq!(get_be32(&out, 0), 36);
    }
}
