//! Capacity in Cedar Backup's terms (`docs/cedar-notes.md` §4-§5): blocks used, blocks
//! available and the utilization, always from what the drive reports for the medium in it.

use serde::Serialize;

/// Bytes per block in every figure.
pub const BLOCK: u64 = 2048;

/// What `retrieveCapacity(entireDisc)` answers: used, available and utilized.
///
/// `used + available` is the space the burner can address: for write-once media the next
/// writable address plus the free blocks of the invisible track (so lead-in/lead-out gaps of
/// earlier CD sessions count as used, as Cedar's `-msinfo` arithmetic does); for overwritable
/// media the formatted size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MediaCapacity {
    /// Blocks that are taken (or will be skipped) before the next session.
    pub used_blocks: u64,
    /// Blocks a new session can use.
    pub available_blocks: u64,
}

impl MediaCapacity {
    /// `used_blocks × 2048`.
    pub fn bytes_used(&self) -> u64 {
        self.used_blocks.saturating_mul(BLOCK)
    }

    /// `available_blocks × 2048`.
    pub fn bytes_available(&self) -> u64 {
        self.available_blocks.saturating_mul(BLOCK)
    }

    /// Blocks in total (`used + available`).
    pub fn total_blocks(&self) -> u64 {
        self.used_blocks.saturating_add(self.available_blocks)
    }

    /// Percent used, Cedar's way: 100 when nothing is available, 0 when nothing is used,
    /// else `used / (used + available) × 100`.
    pub fn utilized(&self) -> f64 {
        if self.available_blocks == 0 {
            100.0
        } else if self.used_blocks == 0 {
            0.0
        } else {
            self.used_blocks as f64 * 100.0 / self.total_blocks() as f64
        }
    }

    /// True when `blocks` fit in the available space.
    pub fn fits(&self, blocks: u64) -> bool {
        blocks <= self.available_blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cedar_utilization_rules() {
        let c = MediaCapacity {
            used_blocks: 0,
            available_blocks: 10,
        };
        assert_eq!(c.utilized(), 0.0);
        let c = MediaCapacity {
            used_blocks: 5,
            available_blocks: 0,
        };
        assert_eq!(c.utilized(), 100.0);
        let c = MediaCapacity {
            used_blocks: 25,
            available_blocks: 75,
        };
        assert_eq!(c.utilized(), 25.0);
        assert_eq!(c.bytes_used(), 25 * 2048);
        assert!(c.fits(75) && !c.fits(76));
    }
}
