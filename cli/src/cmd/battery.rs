//! A fixed battery of read-only commands whose raw replies are compared between drives: the
//! mock against QEMU's emulated drives in the hardware lane, and any drive against a capture.
//! Nothing here writes to the medium or changes drive state.

use std::io::Write;
use std::time::Duration;

use hal::{DataPhase, Request, Transport};
use serde::Serialize;

use crate::cmd::human::hex;

/// One command of the battery.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    /// A stable name, used to match results between drives.
    pub name: &'static str,
    /// The CDB.
    pub cdb: &'static [u8],
    /// Data-in allocation (0 = no data phase).
    pub alloc: usize,
}

/// The battery, in the order it runs. Allocation lengths match what the hardware lane's
/// reference captures used.
pub const BATTERY: &[Probe] = &[
    Probe {
        name: "TEST UNIT READY",
        cdb: &[0x00, 0, 0, 0, 0, 0],
        alloc: 0,
    },
    Probe {
        name: "INQUIRY",
        cdb: &[0x12, 0, 0, 0, 0x60, 0],
        alloc: 0x60,
    },
    Probe {
        name: "GET CONFIGURATION header",
        cdb: &[0x46, 0, 0, 0, 0, 0, 0, 0, 0x08, 0],
        alloc: 8,
    },
    Probe {
        name: "GET CONFIGURATION all",
        cdb: &[0x46, 0, 0, 0, 0, 0, 0, 0x04, 0x00, 0],
        alloc: 0x400,
    },
    Probe {
        name: "GET EVENT STATUS NOTIFICATION media",
        cdb: &[0x4A, 0x01, 0, 0, 0x10, 0, 0, 0, 0x08, 0],
        alloc: 8,
    },
    Probe {
        name: "MODE SENSE(10) 2A",
        cdb: &[0x5A, 0x08, 0x2A, 0, 0, 0, 0, 0, 0xFF, 0],
        alloc: 0xFF,
    },
    Probe {
        name: "READ CAPACITY",
        cdb: &[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        alloc: 8,
    },
    Probe {
        name: "READ TOC format 0 LBA",
        cdb: &[0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24, 0],
        alloc: 0x324,
    },
    Probe {
        name: "READ TOC format 0 MSF",
        cdb: &[0x43, 0x02, 0, 0, 0, 0, 0, 0x03, 0x24, 0],
        alloc: 0x324,
    },
    Probe {
        name: "READ TOC format 1",
        cdb: &[0x43, 0, 0x01, 0, 0, 0, 0, 0, 0x0C, 0],
        alloc: 0x0C,
    },
    Probe {
        name: "READ DISC INFORMATION",
        cdb: &[0x51, 0, 0, 0, 0, 0, 0, 0, 0x22, 0],
        alloc: 0x22,
    },
    Probe {
        name: "READ TRACK INFORMATION track 1",
        cdb: &[0x52, 0x01, 0, 0, 0, 0x01, 0, 0, 0x24, 0],
        alloc: 0x24,
    },
    Probe {
        name: "READ FORMAT CAPACITIES",
        cdb: &[0x23, 0, 0, 0, 0, 0, 0, 0, 0xFC, 0],
        alloc: 0xFC,
    },
    Probe {
        name: "READ(10) LBA 16",
        cdb: &[0x28, 0, 0, 0, 0, 0x10, 0, 0, 0x01, 0],
        alloc: 2048,
    },
    Probe {
        name: "READ(12) LBA 16",
        cdb: &[0xA8, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x01, 0, 0],
        alloc: 2048,
    },
    Probe {
        name: "READ(10) past end",
        cdb: &[0x28, 0, 0x00, 0xF0, 0x00, 0x00, 0, 0, 0x01, 0],
        alloc: 2048,
    },
    Probe {
        name: "REQUEST SENSE",
        cdb: &[0x03, 0, 0, 0, 0x12, 0],
        alloc: 0x12,
    },
];

/// The reply to one battery command.
#[derive(Debug, Clone, Serialize)]
pub struct Reply {
    /// The probe's name.
    pub name: String,
    /// The CDB as hex.
    pub cdb: String,
    /// `GOOD`, `CHECK CONDITION`, another SAM status name, or `TRANSPORT ERROR`.
    pub status: String,
    /// Raw sense bytes as hex, empty without sense.
    pub sense: String,
    /// Sense key, when there is sense.
    pub sense_key: Option<u8>,
    /// Additional sense code.
    pub asc: Option<u8>,
    /// Additional sense code qualifier.
    pub ascq: Option<u8>,
    /// The data received (allocation minus residual), as hex.
    pub data: String,
    /// The transport error message, for `TRANSPORT ERROR`.
    pub error: Option<String>,
}

/// Runs the battery. Each command is sent once, with no retry, so the replies are raw.
pub fn run(t: &mut dyn Transport) -> Vec<Reply> {
    BATTERY.iter().map(|p| run_one(t, p)).collect()
}

fn run_one(t: &mut dyn Transport, p: &Probe) -> Reply {
    let mut buf = vec![0u8; p.alloc];
    let data = if p.alloc == 0 {
        DataPhase::None
    } else {
        DataPhase::In(&mut buf)
    };
    let res = t.execute(Request {
        cdb: p.cdb,
        data,
        timeout: Duration::from_secs(20),
    });
    let mut reply = Reply {
        name: p.name.to_string(),
        cdb: hex(p.cdb),
        status: String::new(),
        sense: String::new(),
        sense_key: None,
        asc: None,
        ascq: None,
        data: String::new(),
        error: None,
    };
    match res {
        Ok(c) => {
            reply.status = c.status.name().to_string();
            let s = c.sense.as_slice();
            if !s.is_empty() {
                reply.sense = hex(s);
                if let Ok(sense) = mmc::Sense::parse(s) {
                    reply.sense_key = Some(sense.key().code());
                    reply.asc = Some(sense.asc_ascq().0);
                    reply.ascq = Some(sense.asc_ascq().1);
                }
            }
            if c.is_good() {
                let n = p.alloc.saturating_sub(c.residual);
                reply.data = hex(buf.get(..n).unwrap_or(&[]));
            }
        }
        Err(e) => {
            reply.status = "TRANSPORT ERROR".to_string();
            reply.error = Some(e.to_string());
        }
    }
    reply
}

/// Prints replies for people: one line per command, then the data in hex.
///
/// # Errors
/// Only write errors.
pub fn print(replies: &[Reply], out: &mut dyn Write) -> std::io::Result<()> {
    for r in replies {
        write!(out, "{:<38} {:<40} {}", r.name, r.cdb, r.status)?;
        if let (Some(k), Some(a), Some(q)) = (r.sense_key, r.asc, r.ascq) {
            write!(out, " {k:X}/{a:02X}/{q:02X}")?;
        }
        if let Some(e) = &r.error {
            write!(out, " {e}")?;
        }
        writeln!(out)?;
        if !r.data.is_empty() {
            let bytes: Vec<&str> = r.data.split(' ').collect();
            for (i, chunk) in bytes.chunks(16).enumerate().take(8) {
                writeln!(out, "    {:04x}: {}", i * 16, chunk.join(" "))?;
            }
            if bytes.len() > 128 {
                writeln!(out, "    … {} bytes in all", bytes.len())?;
            }
        }
    }
    Ok(())
}
