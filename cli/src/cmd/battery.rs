//! A fixed battery of read-only commands whose raw replies are compared between drives: the
//! mock against QEMU's emulated drives in the hardware lane, and any drive against a capture.
//! Nothing here writes to the medium or changes drive state.

use std::io::Write;
use std::time::Duration;

use hal::{DataPhase, Request, Transport};
use serde::{Deserialize, Serialize};

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
    /// What of the reply a profiled mock takes from its medium model rather than from the
    /// recording (see [`Decides`]).
    pub decides: Decides,
}

/// How much of a command's reply the mock's medium model (and drive state) decides when a
/// mock replays a recorded drive (`spindle mock new --profile`). A replayed mock's battery
/// must equal the recording everywhere else; [`compare`] checks that, and docs/mmc-probe.md
/// lists the same fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decides {
    /// The recorded reply is replayed: status, sense and every data byte are compared.
    Nothing,
    /// Replayed, except these fields, which follow the medium or the host's commands
    /// (masked by [`medium_fields`] before the comparison).
    Fields(&'static [&'static str]),
    /// The medium model answers: only a refusal of the command (05/20/xx, unsupported
    /// opcode), which the profile replays, is compared.
    Everything,
}

/// The medium fields of GET CONFIGURATION (all features).
pub const CONFIGURATION_FIELDS: &[&str] = &[
    "current profile (bytes 6-7)",
    "the CurrentP bit of each Profile List entry",
    "the Current bit (byte 2 bit 0) of each feature descriptor",
];

/// The medium and host-state fields of MODE SENSE(10).
pub const MODE_FIELDS: &[&str] = &[
    "medium type and device-specific parameter (header bytes 2-3)",
    "page 05h (write parameters: the host's MODE SELECT)",
    "page 2Ah lock state (byte 6 bit 1: PREVENT ALLOW MEDIUM REMOVAL)",
];

/// The battery, in the order it runs (REQUEST SENSE last: it reports the sense the
/// command before it left). Allocation lengths match what the hardware lane's
/// reference captures used.
pub const BATTERY: &[Probe] = &[
    Probe {
        name: "TEST UNIT READY",
        cdb: &[0x00, 0, 0, 0, 0, 0],
        alloc: 0,
        decides: Decides::Everything,
    },
    Probe {
        name: "INQUIRY",
        cdb: &[0x12, 0, 0, 0, 0x60, 0],
        alloc: 0x60,
        decides: Decides::Nothing,
    },
    Probe {
        name: "GET CONFIGURATION header",
        cdb: &[0x46, 0, 0, 0, 0, 0, 0, 0, 0x08, 0],
        alloc: 8,
        decides: Decides::Fields(&["current profile (bytes 6-7)"]),
    },
    Probe {
        name: "GET CONFIGURATION all",
        cdb: &[0x46, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 0],
        alloc: 0x1000,
        decides: Decides::Fields(CONFIGURATION_FIELDS),
    },
    Probe {
        name: "GET EVENT STATUS NOTIFICATION media",
        cdb: &[0x4A, 0x01, 0, 0, 0x10, 0, 0, 0, 0x08, 0],
        alloc: 8,
        decides: Decides::Fields(&["event code (byte 4)", "media status (byte 5)"]),
    },
    Probe {
        name: "MODE SENSE(10) 2A",
        cdb: &[0x5A, 0x08, 0x2A, 0, 0, 0, 0, 0, 0xFF, 0],
        alloc: 0xFF,
        decides: Decides::Fields(MODE_FIELDS),
    },
    Probe {
        name: "READ CAPACITY",
        cdb: &[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        alloc: 8,
        decides: Decides::Everything,
    },
    Probe {
        name: "READ TOC format 0 LBA",
        cdb: &[0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24, 0],
        alloc: 0x324,
        decides: Decides::Everything,
    },
    Probe {
        name: "READ TOC format 0 MSF",
        cdb: &[0x43, 0x02, 0, 0, 0, 0, 0, 0x03, 0x24, 0],
        alloc: 0x324,
        decides: Decides::Everything,
    },
    Probe {
        name: "READ TOC format 1",
        cdb: &[0x43, 0, 0x01, 0, 0, 0, 0, 0, 0x0C, 0],
        alloc: 0x0C,
        decides: Decides::Everything,
    },
    Probe {
        name: "READ DISC INFORMATION",
        cdb: &[0x51, 0, 0, 0, 0, 0, 0, 0, 0x22, 0],
        alloc: 0x22,
        decides: Decides::Everything,
    },
    Probe {
        name: "READ TRACK INFORMATION track 1",
        cdb: &[0x52, 0x01, 0, 0, 0, 0x01, 0, 0, 0x24, 0],
        alloc: 0x24,
        decides: Decides::Everything,
    },
    Probe {
        name: "READ FORMAT CAPACITIES",
        cdb: &[0x23, 0, 0, 0, 0, 0, 0, 0, 0xFC, 0],
        alloc: 0xFC,
        decides: Decides::Everything,
    },
    Probe {
        name: "READ(10) LBA 16",
        cdb: &[0x28, 0, 0, 0, 0, 0x10, 0, 0, 0x01, 0],
        alloc: 2048,
        decides: Decides::Everything,
    },
    Probe {
        name: "READ(12) LBA 16",
        cdb: &[0xA8, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x01, 0, 0],
        alloc: 2048,
        decides: Decides::Everything,
    },
    Probe {
        name: "READ(10) past end",
        cdb: &[0x28, 0, 0x00, 0xF0, 0x00, 0x00, 0, 0, 0x01, 0],
        alloc: 2048,
        decides: Decides::Everything,
    },
    Probe {
        name: "INQUIRY VPD 00",
        cdb: &[0x12, 0x01, 0x00, 0, 0xFC, 0],
        alloc: 0xFC,
        decides: Decides::Nothing,
    },
    Probe {
        name: "INQUIRY VPD 80",
        cdb: &[0x12, 0x01, 0x80, 0, 0xFC, 0],
        alloc: 0xFC,
        decides: Decides::Nothing,
    },
    Probe {
        name: "INQUIRY VPD 83",
        cdb: &[0x12, 0x01, 0x83, 0, 0xFC, 0],
        alloc: 0xFC,
        decides: Decides::Nothing,
    },
    Probe {
        name: "MODE SENSE(10) all pages",
        cdb: &[0x5A, 0x08, 0x3F, 0, 0, 0, 0, 0x10, 0x00, 0],
        alloc: 0x1000,
        decides: Decides::Fields(MODE_FIELDS),
    },
    Probe {
        name: "READ BUFFER CAPACITY",
        cdb: &[0x5C, 0, 0, 0, 0, 0, 0, 0, 0x0C, 0],
        alloc: 0x0C,
        decides: Decides::Fields(&["blank length of buffer (bytes 8-11): the buffer's fill"]),
    },
    Probe {
        name: "GET PERFORMANCE write speeds",
        cdb: &[0xAC, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x03, 0],
        alloc: 8 + 16 * 16,
        decides: Decides::Nothing,
    },
    Probe {
        name: "GET PERFORMANCE read",
        cdb: &[0xAC, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0],
        alloc: 8 + 16,
        decides: Decides::Nothing,
    },
    Probe {
        name: "GET PERFORMANCE write",
        cdb: &[0xAC, 0x04, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0],
        alloc: 8 + 16,
        decides: Decides::Nothing,
    },
    Probe {
        name: "READ TRACK INFORMATION invisible",
        cdb: &[0x52, 0x01, 0, 0, 0, 0xFF, 0, 0, 0x24, 0],
        alloc: 0x24,
        decides: Decides::Everything,
    },
    Probe {
        name: "REQUEST SENSE",
        cdb: &[0x03, 0, 0, 0, 0x12, 0],
        alloc: 0x12,
        decides: Decides::Everything,
    },
];

/// The reply to one battery command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// How long the command took, in microseconds (absent in reports older than this field).
    #[serde(default)]
    pub duration_us: u64,
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
    let started = std::time::Instant::now();
    let res = t.execute(Request {
        cdb: p.cdb,
        data,
        timeout: Duration::from_secs(20),
    });
    let duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
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
        duration_us,
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

/// The probe of the battery with this name.
pub fn probe(name: &str) -> Option<&'static Probe> {
    BATTERY.iter().find(|p| p.name == name)
}

/// Parses the hex of [`Reply::data`] or [`Reply::cdb`] ("12 00 …").
///
/// # Errors
/// A token that is not two hex digits, named.
pub fn unhex(s: &str) -> Result<Vec<u8>, String> {
    s.split_whitespace()
        .map(|t| u8::from_str_radix(t, 16).map_err(|_| format!("{t:?} is not a hex byte")))
        .collect()
}

fn clear(d: &mut [u8], at: usize, mask: u8) {
    if let Some(b) = d.get_mut(at) {
        *b &= !mask;
    }
}

fn be32(d: &[u8], at: usize) -> usize {
    let b = |i: usize| d.get(at + i).copied().unwrap_or(0);
    usize::try_from(u32::from_be_bytes([b(0), b(1), b(2), b(3)])).unwrap_or(usize::MAX)
}

fn be16(d: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([
        d.get(at).copied().unwrap_or(0),
        d.get(at + 1).copied().unwrap_or(0),
    ]))
}

/// Clears the bytes and bits of a reply that [`Decides::Fields`] names, so two replies can be
/// compared byte for byte. Replies to other commands are returned unchanged.
pub fn medium_fields(name: &str, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    match name {
        "GET CONFIGURATION header" => {
            clear(&mut d, 6, 0xff);
            clear(&mut d, 7, 0xff);
        }
        "GET CONFIGURATION all" => {
            clear(&mut d, 6, 0xff);
            clear(&mut d, 7, 0xff);
            let mut at = 8;
            while at + 4 <= d.len() {
                let code = be16(&d, at);
                let len = usize::from(d.get(at + 3).copied().unwrap_or(0));
                clear(&mut d, at + 2, 0x01);
                if code == 0 {
                    let end = (at + 4 + len).min(d.len());
                    let mut e = at + 4;
                    while e + 4 <= end {
                        clear(&mut d, e + 2, 0x01);
                        e += 4;
                    }
                }
                at += 4 + len;
            }
        }
        "GET EVENT STATUS NOTIFICATION media" => {
            clear(&mut d, 4, 0xff);
            clear(&mut d, 5, 0xff);
        }
        "MODE SENSE(10) 2A" | "MODE SENSE(10) all pages" => {
            clear(&mut d, 2, 0xff);
            clear(&mut d, 3, 0xff);
            let end = (be16(&d, 0) + 2).min(d.len());
            let mut at = 8 + be16(&d, 6);
            while at + 2 <= end {
                let code = d.get(at).copied().unwrap_or(0) & 0x3f;
                let len = usize::from(d.get(at + 1).copied().unwrap_or(0));
                match code {
                    0x05 => {
                        for i in at + 2..(at + 2 + len).min(end) {
                            clear(&mut d, i, 0xff);
                        }
                    }
                    0x2a => clear(&mut d, at + 6, 0x02),
                    _ => {}
                }
                at += 2 + len;
            }
        }
        "READ BUFFER CAPACITY" => {
            for i in 8..12 {
                clear(&mut d, i, 0xff);
            }
        }
        _ => {}
    }
    d
}

/// One difference between a recorded battery and a replayed one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The battery command.
    pub command: String,
    /// What differs: `status`, `sense`, `data`, or `missing`.
    pub what: String,
    /// The recording's value.
    pub recorded: String,
    /// The replay's value.
    pub replayed: String,
}

/// One compared command, for the comparison table.
#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    /// The battery command.
    pub command: String,
    /// `all`, `all but the medium fields`, `refusal only` or `medium model`.
    pub rule: String,
    /// The fields left out.
    pub medium_fields: Vec<String>,
    /// Whether it matched.
    pub same: bool,
}

fn sense_triplet(r: &Reply) -> String {
    match (r.sense_key, r.asc, r.ascq) {
        (Some(k), Some(a), Some(q)) => format!("{k:X}/{a:02X}/{q:02X}"),
        _ => "-".into(),
    }
}

/// Compares a replayed battery (a profiled mock's) with a recorded one, command by command,
/// under each command's [`Decides`] rule. Returns the table and the differences.
pub fn compare(recorded: &[Reply], replayed: &[Reply]) -> (Vec<Compared>, Vec<Difference>) {
    let mut table = Vec::new();
    let mut diffs = Vec::new();
    for r in recorded {
        let Some(p) = probe(&r.name) else {
            // A command this version does not send: nothing to compare it with.
            continue;
        };
        let Some(m) = replayed.iter().find(|m| m.name == r.name) else {
            diffs.push(Difference {
                command: r.name.clone(),
                what: "missing".into(),
                recorded: r.status.clone(),
                replayed: "not sent".into(),
            });
            continue;
        };
        let before = diffs.len();
        let mut push = |what: &str, a: String, b: String| {
            diffs.push(Difference {
                command: r.name.clone(),
                what: what.into(),
                recorded: a,
                replayed: b,
            })
        };
        let (rule, fields): (&str, &[&str]) = match p.decides {
            Decides::Nothing => ("all", &[]),
            Decides::Fields(f) => ("all but the medium fields", f),
            Decides::Everything => {
                if refused_opcode(r) {
                    ("refusal only", &[])
                } else {
                    ("medium model", &[])
                }
            }
        };
        let compare_all = p.decides != Decides::Everything;
        if compare_all || refused_opcode(r) {
            if r.status != m.status {
                push("status", r.status.clone(), m.status.clone());
            } else if sense_triplet(r) != sense_triplet(m) {
                push("sense", sense_triplet(r), sense_triplet(m));
            }
        }
        if compare_all && r.status == "GOOD" && m.status == "GOOD" {
            let a = significant(
                &r.name,
                medium_fields(&r.name, &unhex(&r.data).unwrap_or_default()),
            );
            let b = significant(
                &m.name,
                medium_fields(&m.name, &unhex(&m.data).unwrap_or_default()),
            );
            if a != b {
                let at = a.iter().zip(&b).position(|(x, y)| x != y);
                let at = at.unwrap_or(a.len().min(b.len()));
                push(
                    "data",
                    format!("{} bytes, byte {at} = {:02x?}", a.len(), a.get(at)),
                    format!("{} bytes, byte {at} = {:02x?}", b.len(), b.get(at)),
                );
            }
        }
        table.push(Compared {
            command: r.name.clone(),
            rule: rule.into(),
            medium_fields: fields.iter().map(|f| (*f).to_string()).collect(),
            same: diffs.len() == before,
        });
    }
    (table, diffs)
}

/// INVALID COMMAND OPERATION CODE: the drive lacks the command (whatever sense key it
/// reports it with).
pub fn refused_opcode(r: &Reply) -> bool {
    r.status == "CHECK CONDITION" && r.asc == Some(0x20)
}

/// The length a reply declares for itself (its own length field plus the bytes before it),
/// for the commands that have one. Drives and Linux's SG_IO often report the whole
/// allocation as transferred, and some targets (tgt) leave stale bytes after the reply, so
/// nothing past this length says anything about the drive.
pub fn declared_len(name: &str, d: &[u8]) -> Option<usize> {
    let b = |i: usize| usize::from(d.get(i).copied().unwrap_or(0));
    Some(match name {
        "INQUIRY" => b(4) + 5,
        n if n.starts_with("INQUIRY VPD") => be16(d, 2) + 4,
        "GET CONFIGURATION header" | "GET CONFIGURATION all" => be32(d, 0).saturating_add(4),
        // Performance Data Length: the bytes after the length field.
        n if n.starts_with("GET PERFORMANCE") => be32(d, 0).saturating_add(4),
        "GET EVENT STATUS NOTIFICATION media"
        | "MODE SENSE(10) 2A"
        | "MODE SENSE(10) all pages"
        | "READ BUFFER CAPACITY" => be16(d, 0) + 2,
        "REQUEST SENSE" => b(7) + 8,
        _ => return None,
    })
}

/// The part of a reply that is compared: up to its declared length, without trailing zero
/// bytes (zero padding past the reply says nothing either).
fn significant(name: &str, mut d: Vec<u8>) -> Vec<u8> {
    if let Some(n) = declared_len(name, &d) {
        d.truncate(n);
    }
    while d.last() == Some(&0) {
        d.pop();
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_probe_has_a_unique_name_and_request_sense_is_last() {
        let mut names: Vec<_> = BATTERY.iter().map(|p| p.name).collect();
        assert_eq!(names.last(), Some(&"REQUEST SENSE"));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BATTERY.len());
    }

    #[test]
    fn medium_fields_clear_current_bits_and_page_05() {
        // GET CONFIGURATION: header (current 001Bh), 0000h with one current entry, 002Bh current.
        let d = [
            0, 0, 0, 0x18, 0, 0, 0x00, 0x1b, //
            0x00, 0x00, 0x03, 0x04, 0x00, 0x1b, 0x01, 0x00, //
            0x00, 0x2b, 0x01, 0x04, 0x01, 0, 0, 0,
        ];
        let m = medium_fields("GET CONFIGURATION all", &d);
        assert_eq!(&m[6..8], &[0, 0]);
        assert_eq!(m[10], 0x02, "persistent bit kept, current cleared");
        assert_eq!(m[14], 0x00);
        assert_eq!(m[18], 0x00);
        assert_eq!(m[20], 0x01, "feature data kept");
        // MODE SENSE: header, page 05 (2 bytes of body), page 2A with the lock bit.
        let d = [
            0, 16, 0x70, 0x80, 0, 0, 0, 0, //
            0x05, 0x02, 0x41, 0x04, //
            0x2a, 0x04, 0x3b, 0x00, 0x00, 0x00, 0x2b, 0xff,
        ];
        let m = medium_fields("MODE SENSE(10) all pages", &d);
        assert_eq!(&m[2..4], &[0, 0]);
        assert_eq!(&m[10..12], &[0, 0]);
        assert_eq!(m[14], 0x3b);
        // Page 2A byte 6 (at 12 + 6 = 18) loses bit 1 only; the byte after the page
        // (beyond the mode data length) is untouched.
        assert_eq!(m[18], 0x29);
        assert_eq!(m[19], 0xff);
        // Short and odd input: no panic.
        for n in 0..d.len() {
            let _ = medium_fields("MODE SENSE(10) all pages", &d[..n]);
            let _ = medium_fields("GET CONFIGURATION all", &d[..n]);
        }
    }

    fn reply(name: &str, status: &str, sense: Option<(u8, u8, u8)>, data: &str) -> Reply {
        Reply {
            name: name.into(),
            cdb: String::new(),
            status: status.into(),
            sense: String::new(),
            sense_key: sense.map(|s| s.0),
            asc: sense.map(|s| s.1),
            ascq: sense.map(|s| s.2),
            data: data.into(),
            error: None,
            duration_us: 0,
        }
    }

    #[test]
    fn compare_follows_each_commands_rule() {
        let rec = vec![
            reply("INQUIRY", "GOOD", None, "05 80 05 32"),
            reply("READ CAPACITY", "GOOD", None, "00 00 10 00 00 00 08 00"),
            reply(
                "READ TRACK INFORMATION track 1",
                "CHECK CONDITION",
                Some((5, 0x20, 0)),
                "",
            ),
            reply(
                "GET EVENT STATUS NOTIFICATION media",
                "GOOD",
                None,
                "00 04 04 10 02 02 00 00",
            ),
        ];
        let mut rep = rec.clone();
        // The medium model decides READ CAPACITY and the GESN event: not differences.
        rep[1].data = "00 00 20 00 00 00 08 00".into();
        rep[3].data = "00 04 04 10 00 02 00 00".into();
        let (table, diffs) = compare(&rec, &rep);
        assert!(diffs.is_empty(), "{diffs:?}");
        assert_eq!(table.len(), 4);
        // A refusal that is not replayed, and an identity byte that differs, are.
        rep[2] = reply("READ TRACK INFORMATION track 1", "GOOD", None, "00");
        rep[0].data = "05 80 05 12".into();
        rep[3].data = "00 06 04 10 00 02 00 00".into();
        let (_, diffs) = compare(&rec, &rep);
        let what: Vec<_> = diffs
            .iter()
            .map(|d| (d.command.as_str(), d.what.as_str()))
            .collect();
        assert_eq!(
            what,
            [
                ("INQUIRY", "data"),
                ("READ TRACK INFORMATION track 1", "status"),
                ("GET EVENT STATUS NOTIFICATION media", "data"),
            ]
        );
    }
}
