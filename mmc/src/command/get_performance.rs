use super::{Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// GET PERFORMANCE (ACh) type 00h, MMC-6 §6.8.3: nominal read or current write performance.
#[doc(alias = "GET PERFORMANCE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetPerformance {
    /// Write (b1 bit 2): write rather than read performance.
    pub write: bool,
    /// Except (b1 bits 1-0): 00b nominal, 01b entire list, 10b exceptions only.
    pub except: u8,
    /// Starting LBA (b2-5).
    pub start_lba: u32,
    /// Maximum number of descriptors (b8-9).
    pub max_descriptors: u16,
}

impl GetPerformance {
    /// Nominal read performance (`AC 10 … 00 01 00 00`).
    pub fn read(max_descriptors: u16) -> Self {
        GetPerformance {
            write: false,
            except: 0,
            start_lba: 0,
            max_descriptors,
        }
    }

    /// Nominal write performance (`AC 14 …`).
    pub fn write(max_descriptors: u16) -> Self {
        GetPerformance {
            write: true,
            except: 0,
            start_lba: 0,
            max_descriptors,
        }
    }
}

/// A type 00h performance descriptor (16 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerformanceDescriptor {
    /// b0-3.
    pub start_lba: u32,
    /// b4-7: kB/s at the start.
    pub start_performance: u32,
    /// b8-11.
    pub end_lba: u32,
    /// b12-15: kB/s at the end.
    pub end_performance: u32,
}

/// GET PERFORMANCE type 00h data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Performance {
    /// b0-3: data length (`total − 4`).
    pub data_length: u32,
    /// b4 bit 1.
    pub write: bool,
    /// b4 bit 0.
    pub except: bool,
    /// The descriptors that arrived whole.
    pub descriptors: Vec<PerformanceDescriptor>,
}

fn descriptors(data: &[u8]) -> Result<(u32, u8, &[u8]), ParseError> {
    bytes::need(data, 8, "performance header")?;
    let len = bytes::be_u32(data, 0)?;
    let total = usize::try_from(u64::from(len) + 4).unwrap_or(usize::MAX);
    let d = bytes::clip(data, total);
    Ok((len, bytes::u8_at(d, 4)?, bytes::tail(d, 8)))
}

fn allocation(max: u16) -> usize {
    8 + 16 * usize::from(max)
}

fn cdb(b1: u8, lba: u32, max: u16, kind: u8) -> [u8; 12] {
    let [l0, l1, l2, l3] = lba.to_be_bytes();
    let [m0, m1] = max.to_be_bytes();
    [
        Opcode::GET_PERFORMANCE.0,
        b1,
        l0,
        l1,
        l2,
        l3,
        0,
        0,
        m0,
        m1,
        kind,
        0,
    ]
}

impl Command for GetPerformance {
    const NAME: &'static str = "GET PERFORMANCE";
    type Cdb = [u8; 12];
    type Response = Performance;

    fn cdb(&self) -> [u8; 12] {
        // b1 bits 4-3 tolerance 10b (10 %), bit 2 Write, bits 1-0 Except.
        let b1 = 0x10 | u8::from(self.write) << 2 | (self.except & 0x03);
        cdb(b1, self.start_lba, self.max_descriptors, 0x00)
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(allocation(self.max_descriptors))
    }

    fn parse(&self, data: &[u8]) -> Result<Performance, ParseError> {
        let (data_length, b4, rest) = descriptors(data)?;
        let descriptors = rest
            .chunks_exact(16)
            .map(|d| {
                Ok(PerformanceDescriptor {
                    start_lba: bytes::be_u32(d, 0)?,
                    start_performance: bytes::be_u32(d, 4)?,
                    end_lba: bytes::be_u32(d, 8)?,
                    end_performance: bytes::be_u32(d, 12)?,
                })
            })
            .collect::<Result<_, ParseError>>()?;
        Ok(Performance {
            data_length,
            write: bytes::bit(b4, 1),
            except: bytes::bit(b4, 0),
            descriptors,
        })
    }
}

/// GET PERFORMANCE (ACh) type 03h, MMC-6 §6.8.6: the write speeds the drive offers for the
/// mounted medium. Ask with one descriptor first to learn the count (some drives announce
/// only one when asked for zero), then with the count.
#[doc(alias = "GET PERFORMANCE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetWriteSpeeds {
    /// Maximum number of descriptors (b8-9).
    pub max_descriptors: u16,
}

/// A write speed descriptor (type 03h, 16 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteSpeedDescriptor {
    /// b0 bits 4-3: write rotation control (00b CLV, 01b CAV).
    pub wrc: u8,
    /// b0 bit 2: RDD (restore drive defaults).
    pub rdd: bool,
    /// b0 bit 1: Exact.
    pub exact: bool,
    /// b0 bit 0: MRW.
    pub mrw: bool,
    /// b4-7: end LBA (capacity − 1 of the medium).
    pub end_lba: u32,
    /// b8-11: read speed, kB/s.
    pub read_speed: u32,
    /// b12-15: write speed, kB/s.
    pub write_speed: u32,
}

/// GET PERFORMANCE type 03h data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteSpeeds {
    /// b0-3: data length (`total − 4`), which may announce more descriptors than arrived.
    pub data_length: u32,
    /// The descriptors that arrived whole.
    pub descriptors: Vec<WriteSpeedDescriptor>,
}

impl WriteSpeeds {
    /// Descriptors the drive has in total, per the data length.
    pub fn available(&self) -> u32 {
        self.data_length.saturating_sub(4) / 16
    }
}

impl Command for GetWriteSpeeds {
    const NAME: &'static str = "GET PERFORMANCE";
    type Cdb = [u8; 12];
    type Response = WriteSpeeds;

    fn cdb(&self) -> [u8; 12] {
        cdb(0, 0, self.max_descriptors, 0x03)
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(allocation(self.max_descriptors))
    }

    fn parse(&self, data: &[u8]) -> Result<WriteSpeeds, ParseError> {
        let (data_length, _, rest) = descriptors(data)?;
        let descriptors = rest
            .chunks_exact(16)
            .map(|d| {
                let b0 = bytes::u8_at(d, 0)?;
                Ok(WriteSpeedDescriptor {
                    wrc: (b0 >> 3) & 0x03,
                    rdd: bytes::bit(b0, 2),
                    exact: bytes::bit(b0, 1),
                    mrw: bytes::bit(b0, 0),
                    end_lba: bytes::be_u32(d, 4)?,
                    read_speed: bytes::be_u32(d, 8)?,
                    write_speed: bytes::be_u32(d, 12)?,
                })
            })
            .collect::<Result<_, ParseError>>()?;
        Ok(WriteSpeeds {
            data_length,
            descriptors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Hand-built type 03h reply per MMC-6 table 346: a DVD+R offering 16x, 8x and 4x
    /// (22160, 11080, 5540 kB/s), end LBA 2295103, CAV for 16x (WRC 01b at b0 bits 4-3).
    fn dvd_write_speeds() -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(&(4u32 + 3 * 16).to_be_bytes());
        d.extend_from_slice(&[0; 4]);
        for (wrc, speed) in [(0x08u8, 22_160u32), (0, 11_080), (0, 5_540)] {
            d.extend_from_slice(&[wrc, 0, 0, 0]);
            d.extend_from_slice(&2_295_103u32.to_be_bytes());
            d.extend_from_slice(&speed.to_be_bytes());
            d.extend_from_slice(&speed.to_be_bytes());
        }
        d
    }

    #[test]
    fn cdbs() {
        // observed: GET PERFORMANCE (type 0, 8 desc)  CDB: ac 00 00 00 00 00 00 00 00 08 00 00
        // (sgprobe sent tolerance 0; ours asks for 10 % as MMC recommends).
        assert_eq!(
            GetPerformance::read(8).cdb(),
            [0xac, 0x10, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]
        );
        assert_eq!(GetPerformance::write(1).cdb()[1], 0x14);
        assert_eq!(
            GetWriteSpeeds { max_descriptors: 1 }.cdb(),
            [0xac, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0]
        );
        assert_eq!(
            GetWriteSpeeds { max_descriptors: 3 }.data_phase(),
            Transfer::In(56)
        );
    }

    #[test]
    fn write_speeds() {
        let w = GetWriteSpeeds { max_descriptors: 3 }
            .parse(&dvd_write_speeds())
            .unwrap();
        assert_eq!(w.available(), 3);
        assert_eq!(w.descriptors.len(), 3);
        assert_eq!(w.descriptors[0].wrc, 1);
        assert_eq!(w.descriptors[0].write_speed, 22_160);
        assert_eq!(w.descriptors[2].end_lba, 2_295_103);
        // First pass with one descriptor: the count comes from the data length.
        let first = GetWriteSpeeds { max_descriptors: 1 }
            .parse(&dvd_write_speeds()[..24])
            .unwrap();
        assert_eq!(first.available(), 3);
        assert_eq!(first.descriptors.len(), 1);
    }

    #[test]
    fn type_00() {
        // Hand-built: one read descriptor, 0..2295103 at 8310..22160 kB/s (CAV).
        let mut d = vec![0, 0, 0, 20, 0x00, 0, 0, 0];
        for v in [0u32, 8310, 2_295_103, 22_160] {
            d.extend_from_slice(&v.to_be_bytes());
        }
        let p = GetPerformance::read(1).parse(&d).unwrap();
        assert!(!p.write);
        assert_eq!(
            p.descriptors,
            vec![PerformanceDescriptor {
                start_lba: 0,
                start_performance: 8310,
                end_lba: 2_295_103,
                end_performance: 22_160
            }]
        );
        assert!(GetPerformance::read(1).parse(&d[..7]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = GetPerformance::read(4).parse(&raw);
            let _ = GetWriteSpeeds { max_descriptors: 4 }.parse(&raw).map(|w| w.available());
        }
    }
}
