//! One iSCSI connection, from the first Login Request to Logout (RFC 7143 §4–§7, §11).

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::time::Duration;

use hal::{DataPhase, Request, Transport};

use super::pdu::{encode_text, parse_text, Lun, Opcode, Pdu, RESERVED_TAG};
use super::{scsi, Error};

/// The largest data segment this target takes (its declared MaxRecvDataSegmentLength).
pub const MAX_RECV_DATA_SEGMENT: usize = 256 * 1024;
/// The largest MaxBurstLength this target agrees to.
const MAX_BURST: u32 = 256 * 1024;
/// The largest FirstBurstLength this target agrees to.
const FIRST_BURST: u32 = 64 * 1024;
/// How many commands the initiator may have outstanding (MaxCmdSN − ExpCmdSN + 1).
const CMD_WINDOW: u32 = 16;
/// The largest Expected Data Transfer Length of one command: bounds the memory a command
/// can make the target hold.
const MAX_TRANSFER: u32 = 16 * 1024 * 1024;
/// The timeout handed to the device with every command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// The TSIH given to every session (one session per connection, no reinstatement).
const TSIH: u16 = 1;

/// A target: its name, the portal it reports in `SendTargets`, and the device it serves as
/// LUN 1.
#[derive(Debug)]
pub struct Target<T> {
    name: String,
    portal: String,
    device: T,
}

/// What a finished connection did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The initiator's `InitiatorName`.
    pub initiator: String,
    /// `Normal` or `Discovery`.
    pub session_type: String,
    /// SCSI commands answered (by the target layer or the device).
    pub commands: u64,
    /// Of these, the ones the device answered.
    pub device_commands: u64,
    /// Commands the device failed at the transport level (answered with iSCSI response
    /// 01h, target failure), with the error.
    pub device_errors: Vec<String>,
    /// The initiator logged out (rather than dropping the connection).
    pub logged_out: bool,
}

impl<T: Transport> Target<T> {
    /// A target named `name` (an IQN) at `portal` (`HOST:PORT`) serving `device` as LUN 1.
    pub fn new(name: impl Into<String>, portal: impl Into<String>, device: T) -> Self {
        Target {
            name: name.into(),
            portal: portal.into(),
            device,
        }
    }

    /// The device.
    pub fn device(&mut self) -> &mut T {
        &mut self.device
    }

    /// Serves one connection until the initiator logs out or closes it.
    ///
    /// # Errors
    /// The connection failed, the initiator broke the protocol, or login was refused (the
    /// refusal was sent). Commands the device fails are answered and listed in the
    /// [`Summary`], not errors.
    pub fn serve<S: Read + Write>(&mut self, stream: S) -> Result<Summary, Error> {
        Connection {
            target: self,
            s: stream,
            phase: Phase::Login,
            params: Params::default(),
            stat_sn: 1,
            exp_cmd_sn: 0,
            tasks: VecDeque::new(),
            next_ttt: 1,
            summary: Summary::default(),
            login: LoginState::default(),
        }
        .run()
    }
}

/// Negotiated operational parameters (RFC 7143 §13), with their defaults.
#[derive(Debug)]
struct Params {
    /// What the initiator takes in one data segment: bounds Data-In and text PDUs.
    initiator_mrdsl: usize,
    max_burst: u32,
    first_burst: u32,
    immediate_data: bool,
    initial_r2t: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            initiator_mrdsl: 8192,
            max_burst: MAX_BURST,
            first_burst: FIRST_BURST,
            immediate_data: true,
            initial_r2t: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Login,
    FullFeature { discovery: bool },
}

#[derive(Debug, Default)]
struct LoginState {
    /// A Login Response has been sent (the first one carries TargetPortalGroupTag).
    answered: bool,
    /// Text of Login Requests with the C bit, waiting for the last part.
    text: Vec<u8>,
    isid: [u8; 6],
    named_target: bool,
    named_initiator: bool,
    declared_mrdsl: bool,
    discovery: bool,
}

/// A SCSI command waiting for its data or its turn.
#[derive(Debug)]
struct Task {
    itt: u32,
    lun_field: [u8; 8],
    cdb: Vec<u8>,
    read: bool,
    write: bool,
    edtl: u32,
    data: Vec<u8>,
    received: u32,
    /// Unsolicited Data-Out may still come (InitialR2T=No, the command's F bit clear).
    unsolicited: bool,
    /// The outstanding R2T: its TTT and the offset its data ends at.
    r2t: Option<(u32, u32)>,
    r2t_sn: u32,
}

impl Task {
    fn ready(&self) -> bool {
        !self.write || (self.received == self.edtl && !self.unsolicited && self.r2t.is_none())
    }
}

/// The CDB length by opcode group (SPC-4 §4.2.5.1); 16 for the variable-length and vendor
/// groups, whose bytes the device then sees in full.
fn cdb_len(opcode: u8) -> usize {
    match opcode >> 5 {
        0 => 6,
        1 | 2 => 10,
        5 => 12,
        _ => 16,
    }
}

/// `a >= b` in serial number arithmetic (RFC 1982), as CmdSN comparisons use.
fn serial_ge(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

fn number(v: &str) -> Option<u64> {
    match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

enum Flow {
    Continue,
    Stop,
}

// Reject reasons, RFC 7143 §11.17.1.
const REJECT_SNACK: u8 = 0x03;
const REJECT_PROTOCOL_ERROR: u8 = 0x04;
const REJECT_NOT_SUPPORTED: u8 = 0x05;
const REJECT_INVALID_FIELD: u8 = 0x09;

struct Connection<'t, T, S> {
    target: &'t mut Target<T>,
    s: S,
    phase: Phase,
    params: Params,
    stat_sn: u32,
    exp_cmd_sn: u32,
    tasks: VecDeque<Task>,
    next_ttt: u32,
    summary: Summary,
    login: LoginState,
}

impl<T: Transport, S: Read + Write> Connection<'_, T, S> {
    fn run(mut self) -> Result<Summary, Error> {
        loop {
            let Some(pdu) = Pdu::read_from(&mut self.s, MAX_RECV_DATA_SEGMENT)? else {
                return Ok(self.summary);
            };
            match self.phase {
                Phase::Login => self.login(pdu)?,
                Phase::FullFeature { discovery } => {
                    if let Flow::Stop = self.full_feature(pdu, discovery)? {
                        return Ok(self.summary);
                    }
                }
            }
        }
    }

    fn send(&mut self, pdu: &Pdu) -> Result<(), Error> {
        pdu.write_to(&mut self.s)?;
        Ok(())
    }

    fn next_stat_sn(&mut self) -> u32 {
        let sn = self.stat_sn;
        self.stat_sn = sn.wrapping_add(1);
        sn
    }

    /// Sets StatSN, ExpCmdSN and MaxCmdSN (bytes 24..36 of every target response).
    fn seal(&self, pdu: &mut Pdu, stat_sn: u32) {
        pdu.set_u32(24, stat_sn);
        pdu.set_u32(28, self.exp_cmd_sn);
        pdu.set_u32(32, self.exp_cmd_sn.wrapping_add(CMD_WINDOW - 1));
    }

    /// Notes the CmdSN of a non-immediate request (RFC 7143 §4.2.2.1).
    fn took_cmd_sn(&mut self, pdu: &Pdu) {
        if !pdu.immediate() {
            let sn = pdu.u32_at(24);
            if serial_ge(sn, self.exp_cmd_sn) {
                self.exp_cmd_sn = sn.wrapping_add(1);
            }
        }
    }

    // ------------------------------------------------------------------ login --

    fn login(&mut self, p: Pdu) -> Result<(), Error> {
        if p.opcode() != Opcode::LOGIN_REQUEST {
            return Err(Error::Protocol(format!(
                "{} before the login completed",
                p.opcode().name()
            )));
        }
        let flags = p.flags();
        let (transit, cont) = (flags & 0x80 != 0, flags & 0x40 != 0);
        let (csg, nsg) = ((flags >> 2) & 3, flags & 3);
        if !self.login.answered {
            self.exp_cmd_sn = p.u32_at(24);
            self.login.isid.copy_from_slice(&p.bhs[8..14]);
        }
        // Version-min (byte 3): only version 00h exists.
        if p.bhs[3] != 0 {
            return self.refuse(&p, 0x02, 0x05, "unsupported iSCSI version".into());
        }
        self.login.text.extend_from_slice(&p.data);
        if cont {
            // More text follows in the next request: acknowledge with an empty response.
            return self.login_response(&p, (csg << 2) & 0x0c, Vec::new());
        }
        let text = std::mem::take(&mut self.login.text);
        let keys = match parse_text(&text) {
            Ok(k) => k,
            Err(e) => return self.refuse(&p, 0x02, 0x00, e.to_string()),
        };
        let mut reply: Vec<(String, String)> = Vec::new();
        for (k, v) in keys {
            match k.as_str() {
                "InitiatorName" => {
                    self.summary.initiator = v;
                    self.login.named_initiator = true;
                }
                "InitiatorAlias" => {}
                "SessionType" => match v.as_str() {
                    "Normal" | "Discovery" => {
                        self.login.discovery = v == "Discovery";
                        self.summary.session_type = v;
                    }
                    _ => {
                        return self.refuse(&p, 0x02, 0x0a, format!("session type {v:?}"));
                    }
                },
                "TargetName" => {
                    if v != self.target.name {
                        return self.refuse(&p, 0x02, 0x03, format!("no target named {v:?}"));
                    }
                    self.login.named_target = true;
                }
                "AuthMethod" => {
                    if !v.split(',').any(|m| m == "None") {
                        return self.refuse(
                            &p,
                            0x02,
                            0x01,
                            format!("AuthMethod={v}: only None is offered"),
                        );
                    }
                    reply.push((k, "None".into()));
                }
                _ => {
                    let answer = self.negotiate(&k, &v);
                    if let Some(a) = answer {
                        reply.push((k, a));
                    }
                }
            }
        }
        if self.summary.session_type.is_empty() {
            self.summary.session_type = "Normal".into();
        }
        if !self.login.answered {
            if !self.login.named_initiator {
                return self.refuse(&p, 0x02, 0x07, "no InitiatorName".into());
            }
            if !self.login.discovery {
                if !self.login.named_target {
                    return self.refuse(&p, 0x02, 0x07, "no TargetName".into());
                }
                reply.push(("TargetPortalGroupTag".into(), "1".into()));
            }
        }
        if (csg == 1 || (transit && nsg == 3)) && !self.login.declared_mrdsl {
            self.login.declared_mrdsl = true;
            reply.push((
                "MaxRecvDataSegmentLength".into(),
                MAX_RECV_DATA_SEGMENT.to_string(),
            ));
        }
        let mut out_flags = (csg << 2) & 0x0c;
        if transit {
            if nsg <= csg || nsg == 2 {
                return self.refuse(&p, 0x02, 0x00, format!("stage {csg} to {nsg}"));
            }
            out_flags |= 0x80 | nsg;
        }
        self.login_response(&p, out_flags, encode_text(&reply))?;
        if transit && nsg == 3 {
            self.phase = Phase::FullFeature {
                discovery: self.login.discovery,
            };
        }
        Ok(())
    }

    /// The answer to an operational key, `None` for declarative keys that need none.
    fn negotiate(&mut self, key: &str, value: &str) -> Option<String> {
        let n = number(value);
        let answer = match key {
            "HeaderDigest" | "DataDigest" => {
                if value.split(',').any(|d| d == "None") {
                    "None".to_string()
                } else {
                    "Reject".to_string()
                }
            }
            "MaxConnections" => "1".to_string(),
            // InitialR2T is OR-ed and ImmediateData AND-ed (§13.10, §13.11): the target can
            // do either, so it answers what was offered and the offer is the result.
            "InitialR2T" | "ImmediateData" => {
                let yes = match value {
                    "Yes" => true,
                    "No" => false,
                    _ => return Some("Reject".into()),
                };
                if key == "InitialR2T" {
                    self.params.initial_r2t = yes;
                } else {
                    self.params.immediate_data = yes;
                }
                value.to_string()
            }
            "MaxBurstLength" | "FirstBurstLength" => {
                let Some(n) = n.filter(|&n| (512..=0xff_ffff).contains(&n)) else {
                    return Some("Reject".into());
                };
                let ours = if key == "MaxBurstLength" {
                    MAX_BURST
                } else {
                    FIRST_BURST
                };
                let v = (n as u32).min(ours);
                if key == "MaxBurstLength" {
                    self.params.max_burst = v;
                } else {
                    self.params.first_burst = v;
                }
                v.to_string()
            }
            "MaxRecvDataSegmentLength" => {
                let Some(n) = n.filter(|&n| (512..=0xff_ffff).contains(&n)) else {
                    return Some("Reject".into());
                };
                self.params.initiator_mrdsl = n as usize;
                return None;
            }
            "DefaultTime2Wait" => n.map_or("Reject".into(), |n| n.min(3600).to_string()),
            "DefaultTime2Retain" => "0".to_string(),
            "MaxOutstandingR2T" => "1".to_string(),
            "DataPDUInOrder" | "DataSequenceInOrder" => "Yes".to_string(),
            "ErrorRecoveryLevel" => "0".to_string(),
            "IFMarker" | "OFMarker" => "No".to_string(),
            _ => "NotUnderstood".to_string(),
        };
        Some(answer)
    }

    fn login_response(&mut self, req: &Pdu, flags: u8, data: Vec<u8>) -> Result<(), Error> {
        let mut r = Pdu::new(Opcode::LOGIN_RESPONSE);
        r.bhs[1] = flags;
        r.bhs[8..14].copy_from_slice(&self.login.isid);
        if flags & 0x83 == 0x83 {
            r.bhs[14..16].copy_from_slice(&TSIH.to_be_bytes());
        }
        r.set_u32(16, req.itt());
        let sn = self.next_stat_sn();
        self.seal(&mut r, sn);
        r.data = data;
        self.login.answered = true;
        self.send(&r)
    }

    fn refuse(&mut self, req: &Pdu, class: u8, detail: u8, why: String) -> Result<(), Error> {
        let mut r = Pdu::new(Opcode::LOGIN_RESPONSE);
        r.bhs[1] = req.flags() & 0x0c;
        r.bhs[8..14].copy_from_slice(&req.bhs[8..14]);
        r.set_u32(16, req.itt());
        let sn = self.next_stat_sn();
        self.seal(&mut r, sn);
        r.bhs[36] = class;
        r.bhs[37] = detail;
        self.send(&r)?;
        Err(Error::LoginRefused { class, detail, why })
    }

    // ----------------------------------------------------------- full feature --

    fn full_feature(&mut self, p: Pdu, discovery: bool) -> Result<Flow, Error> {
        match p.opcode() {
            Opcode::NOP_OUT => {
                self.took_cmd_sn(&p);
                if p.itt() != RESERVED_TAG {
                    let mut r = Pdu::new(Opcode::NOP_IN);
                    r.bhs[1] = 0x80;
                    r.bhs[8..16].copy_from_slice(&p.lun_field());
                    r.set_u32(16, p.itt());
                    r.set_u32(20, RESERVED_TAG);
                    let sn = self.next_stat_sn();
                    self.seal(&mut r, sn);
                    r.data = p.data;
                    self.send(&r)?;
                }
            }
            Opcode::SCSI_COMMAND if !discovery => {
                self.took_cmd_sn(&p);
                self.new_task(p)?;
                self.progress()?;
            }
            Opcode::DATA_OUT if !discovery => {
                self.data_out(p)?;
                self.progress()?;
            }
            Opcode::TEXT_REQUEST => {
                self.took_cmd_sn(&p);
                self.text(&p, discovery)?;
            }
            Opcode::TASK_MANAGEMENT_REQUEST if !discovery => {
                self.took_cmd_sn(&p);
                self.task_management(&p)?;
            }
            Opcode::LOGOUT_REQUEST => {
                self.took_cmd_sn(&p);
                let mut r = Pdu::new(Opcode::LOGOUT_RESPONSE);
                r.bhs[1] = 0x80;
                r.set_u32(16, p.itt());
                let sn = self.next_stat_sn();
                self.seal(&mut r, sn);
                self.send(&r)?;
                self.summary.logged_out = true;
                return Ok(Flow::Stop);
            }
            Opcode::SNACK_REQUEST => self.reject(&p, REJECT_SNACK)?,
            Opcode::LOGIN_REQUEST => self.reject(&p, REJECT_PROTOCOL_ERROR)?,
            _ => self.reject(&p, REJECT_NOT_SUPPORTED)?,
        }
        Ok(Flow::Continue)
    }

    fn reject(&mut self, p: &Pdu, reason: u8) -> Result<(), Error> {
        let mut r = Pdu::new(Opcode::REJECT);
        r.bhs[1] = 0x80;
        r.bhs[2] = reason;
        r.set_u32(16, RESERVED_TAG);
        let sn = self.next_stat_sn();
        self.seal(&mut r, sn);
        r.data = p.bhs.to_vec();
        self.send(&r)
    }

    fn new_task(&mut self, p: Pdu) -> Result<(), Error> {
        let flags = p.flags();
        let (read, write) = (flags & 0x40 != 0, flags & 0x20 != 0);
        let edtl = p.u32_at(20);
        if edtl > MAX_TRANSFER {
            return Err(Error::Protocol(format!(
                "a command wants {edtl} bytes; this target moves at most {MAX_TRANSFER}"
            )));
        }
        let cdb = p.bhs[32..32 + cdb_len(p.bhs[32])].to_vec();
        let mut task = Task {
            itt: p.itt(),
            lun_field: p.lun_field(),
            cdb,
            read,
            write,
            edtl,
            data: Vec::new(),
            received: 0,
            unsolicited: false,
            r2t: None,
            r2t_sn: 0,
        };
        if write {
            task.data = vec![0; edtl as usize];
            let n = p.data.len();
            if n > 0 {
                if !self.params.immediate_data {
                    return Err(Error::Protocol(
                        "immediate data, but ImmediateData=No".into(),
                    ));
                }
                if n > edtl as usize || n > self.params.first_burst as usize {
                    return Err(Error::Protocol(format!(
                        "{n} bytes of immediate data for a {edtl}-byte transfer (FirstBurstLength {})",
                        self.params.first_burst
                    )));
                }
                task.data[..n].copy_from_slice(&p.data);
                task.received = n as u32;
            }
            task.unsolicited = !p.final_bit()
                && !self.params.initial_r2t
                && task.received < edtl.min(self.params.first_burst);
        } else if !p.data.is_empty() {
            return Err(Error::Protocol(
                "data with a command that does not write".into(),
            ));
        }
        self.tasks.push_back(task);
        Ok(())
    }

    fn data_out(&mut self, p: Pdu) -> Result<(), Error> {
        let first_burst = self.params.first_burst;
        let Some(task) = self.tasks.iter_mut().find(|t| t.itt == p.itt() && t.write) else {
            // A task that was aborted, or never was.
            return self.reject(&p, REJECT_INVALID_FIELD);
        };
        let (ttt, offset) = (p.u32_at(20), p.u32_at(40));
        let len = p.data.len() as u32;
        let limit = if ttt == RESERVED_TAG {
            if !task.unsolicited {
                return Err(Error::Protocol("unsolicited Data-Out not allowed".into()));
            }
            first_burst.min(task.edtl)
        } else {
            match task.r2t {
                Some((t, end)) if t == ttt => end,
                _ => {
                    return Err(Error::Protocol(format!(
                        "Data-Out with unknown target transfer tag {ttt:#x}"
                    )))
                }
            }
        };
        if offset != task.received || offset.saturating_add(len) > limit {
            return Err(Error::Protocol(format!(
                "Data-Out for bytes {offset}..{} (expected from {}, up to {limit})",
                offset.saturating_add(len),
                task.received
            )));
        }
        let (from, to) = (offset as usize, (offset + len) as usize);
        task.data[from..to].copy_from_slice(&p.data);
        task.received = offset + len;
        if p.final_bit() || task.received == limit {
            if ttt == RESERVED_TAG {
                task.unsolicited = false;
            } else {
                task.r2t = None;
            }
        }
        Ok(())
    }

    /// Sends the R2Ts writes wait for, then runs the tasks at the front that have all
    /// their data, in order.
    fn progress(&mut self) -> Result<(), Error> {
        let mut r2ts = Vec::new();
        for task in self.tasks.iter_mut() {
            if task.write && !task.unsolicited && task.r2t.is_none() && task.received < task.edtl {
                let len = self.params.max_burst.min(task.edtl - task.received);
                let ttt = self.next_ttt;
                self.next_ttt = match self.next_ttt.wrapping_add(1) {
                    RESERVED_TAG => 1,
                    n => n,
                };
                task.r2t = Some((ttt, task.received + len));
                let mut r = Pdu::new(Opcode::R2T);
                r.bhs[1] = 0x80;
                r.bhs[8..16].copy_from_slice(&task.lun_field);
                r.set_u32(16, task.itt);
                r.set_u32(20, ttt);
                r.set_u32(36, task.r2t_sn);
                r.set_u32(40, task.received);
                r.set_u32(44, len);
                task.r2t_sn += 1;
                r2ts.push(r);
            }
        }
        for mut r in r2ts {
            // R2T carries the next StatSN without advancing it.
            self.seal(&mut r, self.stat_sn);
            self.send(&r)?;
        }
        while self.tasks.front().is_some_and(Task::ready) {
            if let Some(task) = self.tasks.pop_front() {
                self.execute(task)?;
            }
        }
        Ok(())
    }

    fn execute(&mut self, task: Task) -> Result<(), Error> {
        self.summary.commands += 1;
        let lun = Lun::decode(task.lun_field);
        let edtl = task.edtl as usize;
        if task.read && task.write {
            // MMC has no bidirectional commands; the target does not pass them on.
            let r = scsi::Reply::check(0x05, 0x24, 0x00);
            return self.status(&task, r.status, Vec::new(), &r.sense, 0, task.r2t_sn);
        }
        if scsi::owned_by_target(lun, &task.cdb) {
            let r = scsi::answer(lun, &task.cdb);
            let mut data = if task.read { r.data } else { Vec::new() };
            let (residual, over) = if data.len() > edtl {
                let over = data.len() - edtl;
                data.truncate(edtl);
                (over, true)
            } else {
                (edtl - data.len(), false)
            };
            let residual = if over {
                -(residual as i64)
            } else {
                residual as i64
            };
            return self.status(&task, r.status, data, &r.sense, residual, task.r2t_sn);
        }
        self.summary.device_commands += 1;
        let mut inbuf = vec![0u8; if task.read { edtl } else { 0 }];
        let data = if task.read && edtl > 0 {
            DataPhase::In(&mut inbuf)
        } else if task.write && edtl > 0 {
            DataPhase::Out(&task.data)
        } else {
            DataPhase::None
        };
        let outcome = self.target.device.execute(Request {
            cdb: &task.cdb,
            data,
            timeout: COMMAND_TIMEOUT,
        });
        match outcome {
            Ok(c) => {
                let residual = c.residual.min(edtl);
                inbuf.truncate(edtl - residual);
                self.status(
                    &task,
                    c.status.0,
                    inbuf,
                    c.sense.as_slice(),
                    residual as i64,
                    task.r2t_sn,
                )
            }
            Err(e) => {
                let hex: Vec<String> = task.cdb.iter().map(|b| format!("{b:02X}")).collect();
                let msg = format!("{}: {e}", hex.join(" "));
                log::error!("device failed {msg}");
                self.summary.device_errors.push(msg);
                let mut r = Pdu::new(Opcode::SCSI_RESPONSE);
                r.bhs[1] = 0x80;
                r.bhs[2] = 0x01; // target failure
                r.set_u32(16, task.itt);
                let sn = self.next_stat_sn();
                self.seal(&mut r, sn);
                self.send(&r)
            }
        }
    }

    /// Sends a command's data (Data-In) and status. `residual` > 0 is an underflow, < 0 an
    /// overflow; GOOD rides on the last Data-In PDU.
    fn status(
        &mut self,
        task: &Task,
        status: u8,
        data: Vec<u8>,
        sense: &[u8],
        residual: i64,
        r2ts: u32,
    ) -> Result<(), Error> {
        let residual_flags = match residual {
            0 => 0,
            r if r > 0 => 0x02,
            _ => 0x04,
        };
        let residual_count = residual.unsigned_abs().min(u64::from(u32::MAX)) as u32;
        let mut data_sn = 0u32;
        if !data.is_empty() {
            let chunk = self
                .params
                .initiator_mrdsl
                .min(self.params.max_burst as usize)
                .max(512);
            let total = data.len();
            let burst = self.params.max_burst as usize;
            let mut offset = 0;
            for piece in data.chunks(chunk) {
                let end = offset + piece.len();
                let last = end == total;
                let mut r = Pdu::new(Opcode::DATA_IN);
                if last || end % burst == 0 {
                    r.bhs[1] |= 0x80;
                }
                let with_status = last && status == 0;
                if with_status {
                    r.bhs[1] |= 0x01 | residual_flags;
                    r.bhs[3] = status;
                    let sn = self.next_stat_sn();
                    self.seal(&mut r, sn);
                    r.set_u32(44, residual_count);
                } else {
                    self.seal(&mut r, 0);
                }
                r.set_u32(16, task.itt);
                r.set_u32(20, RESERVED_TAG);
                r.set_u32(36, data_sn);
                r.set_u32(40, offset as u32);
                r.data = piece.to_vec();
                self.send(&r)?;
                data_sn += 1;
                offset = end;
            }
            if status == 0 {
                return Ok(());
            }
        }
        let mut r = Pdu::new(Opcode::SCSI_RESPONSE);
        r.bhs[1] = 0x80 | residual_flags;
        r.bhs[3] = status;
        r.set_u32(16, task.itt);
        let sn = self.next_stat_sn();
        self.seal(&mut r, sn);
        r.set_u32(36, if task.read { data_sn } else { r2ts });
        r.set_u32(44, residual_count);
        if !sense.is_empty() {
            let mut d = Vec::with_capacity(sense.len() + 2);
            d.extend_from_slice(&(sense.len() as u16).to_be_bytes());
            d.extend_from_slice(sense);
            r.data = d;
        }
        self.send(&r)
    }

    fn text(&mut self, p: &Pdu, discovery: bool) -> Result<(), Error> {
        if p.flags() & 0x40 != 0 {
            return self.reject(p, REJECT_NOT_SUPPORTED);
        }
        let Ok(keys) = parse_text(&p.data) else {
            return self.reject(p, REJECT_INVALID_FIELD);
        };
        let mut reply: Vec<(String, String)> = Vec::new();
        for (k, v) in keys {
            if k == "SendTargets" {
                let all = v == "All" && discovery;
                if all || v == self.target.name || (v.is_empty() && !discovery) {
                    reply.push(("TargetName".into(), self.target.name.clone()));
                    reply.push(("TargetAddress".into(), format!("{},1", self.target.portal)));
                }
            } else {
                reply.push((k, "NotUnderstood".into()));
            }
        }
        let data = encode_text(&reply);
        if data.len() > self.params.initiator_mrdsl {
            return self.reject(p, REJECT_NOT_SUPPORTED);
        }
        let mut r = Pdu::new(Opcode::TEXT_RESPONSE);
        r.bhs[1] = 0x80;
        r.set_u32(16, p.itt());
        r.set_u32(20, RESERVED_TAG);
        let sn = self.next_stat_sn();
        self.seal(&mut r, sn);
        r.data = data;
        self.send(&r)
    }

    fn task_management(&mut self, p: &Pdu) -> Result<(), Error> {
        // RFC 7143 §11.5.1: 1 ABORT TASK, 2 ABORT TASK SET, 3 CLEAR ACA, 4 CLEAR TASK SET,
        // 5 LOGICAL UNIT RESET, 6/7 TARGET WARM/COLD RESET, 8 TASK REASSIGN.
        let response = match p.flags() & 0x7f {
            1 => {
                let referenced = p.u32_at(20);
                self.tasks.retain(|t| t.itt != referenced);
                0x00
            }
            2..=7 => {
                self.tasks.clear();
                0x00
            }
            8 => 0x05, // task reassignment needs ErrorRecoveryLevel 2
            _ => 0xff,
        };
        let mut r = Pdu::new(Opcode::TASK_MANAGEMENT_RESPONSE);
        r.bhs[1] = 0x80;
        r.bhs[2] = response;
        r.set_u32(16, p.itt());
        let sn = self.next_stat_sn();
        self.seal(&mut r, sn);
        self.send(&r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hal::mock::{MediaKind, MockConfig, MockDrive};
    use std::os::unix::net::UnixStream;

    const NAME: &str = "iqn.2026-12.org.spindle:mock";

    /// Just enough of an initiator to drive the target the way libiscsi does.
    struct Initiator {
        s: UnixStream,
        cmd_sn: u32,
        itt: u32,
        /// ImmediateData / InitialR2T / FirstBurstLength / MaxBurstLength as negotiated.
        immediate: bool,
        initial_r2t: bool,
        first_burst: usize,
        max_burst: usize,
        /// The U/O flags and residual count of the last status.
        residual: (u8, u32),
    }

    type Server = std::thread::JoinHandle<(Result<Summary, Error>, MockDrive)>;

    fn start(drive: MockDrive) -> (Initiator, Server) {
        let (a, b) = UnixStream::pair().unwrap();
        let server = std::thread::spawn(move || {
            let mut t = Target::new(NAME, "127.0.0.1:3260", drive);
            let r = t.serve(b);
            (r, t.device)
        });
        (
            Initiator {
                s: a,
                cmd_sn: 7,
                itt: 0x100,
                immediate: true,
                initial_r2t: true,
                first_burst: 65536,
                max_burst: 262144,
                residual: (0, 0),
            },
            server,
        )
    }

    fn drive(kind: Option<MediaKind>) -> (tempfile::TempDir, MockDrive) {
        let dir = tempfile::tempdir().unwrap();
        let mut d = MockDrive::create(dir.path(), MockConfig::default()).unwrap();
        if let Some(k) = kind {
            d.insert(k, false, None).unwrap();
            // The insert's UNIT ATTENTION.
            d.command(&[0, 0, 0, 0, 0, 0]).unwrap();
        }
        (dir, d)
    }

    fn keys(p: &Pdu) -> Vec<(String, String)> {
        parse_text(&p.data).unwrap()
    }

    fn key<'a>(k: &'a [(String, String)], name: &str) -> Option<&'a str> {
        k.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    impl Initiator {
        fn send(&mut self, p: &Pdu) {
            p.write_to(&mut self.s).unwrap();
        }

        fn recv(&mut self) -> Pdu {
            Pdu::read_from(&mut self.s, 1 << 24).unwrap().unwrap()
        }

        fn login_pdu(&mut self, flags: u8, text: &[(&str, &str)]) -> Pdu {
            let mut p = Pdu::new(Opcode::LOGIN_REQUEST);
            p.bhs[0] |= 0x40;
            p.bhs[1] = flags;
            p.bhs[8..14].copy_from_slice(&[0x80, 0, 0, 0x12, 0x34, 0x56]);
            p.set_u32(16, self.itt);
            p.set_u32(24, self.cmd_sn);
            p.data = encode_text(text);
            p
        }

        /// Security stage, then operational stage into full feature phase, as libiscsi.
        fn login(&mut self, operational: &[(&str, &str)]) -> Vec<(String, String)> {
            let p = self.login_pdu(
                0x81,
                &[
                    ("InitiatorName", "iqn.2008-11.org.linux-kvm"),
                    ("TargetName", NAME),
                    ("SessionType", "Normal"),
                    ("AuthMethod", "None"),
                ],
            );
            self.send(&p);
            let r = self.recv();
            assert_eq!(r.opcode(), Opcode::LOGIN_RESPONSE);
            assert_eq!((r.bhs[36], r.bhs[37]), (0, 0), "login status");
            assert_eq!(r.flags(), 0x81, "T=1 CSG=0 NSG=1");
            let k = keys(&r);
            assert_eq!(key(&k, "AuthMethod"), Some("None"));
            assert_eq!(key(&k, "TargetPortalGroupTag"), Some("1"));
            let p = self.login_pdu(0x87, operational);
            self.send(&p);
            let r = self.recv();
            assert_eq!((r.bhs[36], r.bhs[37]), (0, 0), "login status");
            assert_eq!(r.flags(), 0x87, "T=1 CSG=1 NSG=3");
            assert_ne!(&r.bhs[14..16], &[0, 0], "TSIH");
            // ExpCmdSN: the login's CmdSN (logins are immediate).
            assert_eq!(r.u32_at(28), self.cmd_sn);
            let k = keys(&r);
            if let Some(v) = key(&k, "ImmediateData") {
                self.immediate = v == "Yes";
            }
            if let Some(v) = key(&k, "InitialR2T") {
                self.initial_r2t = v == "Yes";
            }
            if let Some(v) = key(&k, "FirstBurstLength") {
                self.first_burst = v.parse().unwrap();
            }
            if let Some(v) = key(&k, "MaxBurstLength") {
                self.max_burst = v.parse().unwrap();
            }
            k
        }

        /// One SCSI command; returns (status, data in, sense). Follows R2Ts and collects
        /// Data-In, checking their order.
        fn command(
            &mut self,
            lun: u16,
            cdb: &[u8],
            read_len: u32,
            out: Option<&[u8]>,
        ) -> (u8, Vec<u8>, Vec<u8>) {
            self.itt += 1;
            let itt = self.itt;
            let mut p = Pdu::new(Opcode::SCSI_COMMAND);
            let edtl = out.map_or(read_len, |d| d.len() as u32);
            p.bhs[1] =
                0x01 | if out.is_some() { 0x20 } else { 0 } | if read_len > 0 { 0x40 } else { 0 };
            p.bhs[8..16].copy_from_slice(&Lun(lun).encode());
            p.set_u32(16, itt);
            p.set_u32(20, edtl);
            p.set_u32(24, self.cmd_sn);
            self.cmd_sn += 1;
            p.bhs[32..32 + cdb.len()].copy_from_slice(cdb);
            let data = out.unwrap_or(&[]);
            let mut sent = 0;
            if self.immediate {
                sent = data.len().min(self.first_burst).min(4096);
                p.data = data[..sent].to_vec();
            }
            let unsolicited = !self.initial_r2t && sent < data.len().min(self.first_burst);
            if !unsolicited {
                p.bhs[1] |= 0x80;
            }
            self.send(&p);
            if unsolicited {
                let end = data.len().min(self.first_burst);
                while sent < end {
                    let n = (end - sent).min(3000);
                    let mut d = Pdu::new(Opcode::DATA_OUT);
                    if sent + n == end {
                        d.bhs[1] = 0x80;
                    }
                    d.set_u32(16, itt);
                    d.set_u32(20, RESERVED_TAG);
                    d.set_u32(40, sent as u32);
                    d.data = data[sent..sent + n].to_vec();
                    self.send(&d);
                    sent += n;
                }
            }
            let mut got = Vec::new();
            let mut data_sn = 0;
            loop {
                let r = self.recv();
                assert_eq!(r.itt(), itt, "{r:?}");
                match r.opcode() {
                    Opcode::R2T => {
                        let (ttt, off, len) =
                            (r.u32_at(20), r.u32_at(40) as usize, r.u32_at(44) as usize);
                        assert_eq!(off, sent, "R2T offset");
                        assert!(len <= self.max_burst);
                        let mut at = off;
                        while at < off + len {
                            let n = (off + len - at).min(5000);
                            let mut d = Pdu::new(Opcode::DATA_OUT);
                            if at + n == off + len {
                                d.bhs[1] = 0x80;
                            }
                            d.set_u32(16, itt);
                            d.set_u32(20, ttt);
                            d.set_u32(40, at as u32);
                            d.data = data[at..at + n].to_vec();
                            self.send(&d);
                            at += n;
                        }
                        sent = off + len;
                    }
                    Opcode::DATA_IN => {
                        assert_eq!(r.u32_at(36), data_sn, "DataSN");
                        assert_eq!(r.u32_at(40) as usize, got.len(), "buffer offset");
                        data_sn += 1;
                        got.extend_from_slice(&r.data);
                        if r.flags() & 0x01 != 0 {
                            self.residual = (r.flags() & 0x06, r.u32_at(44));
                            return (r.bhs[3], got, Vec::new());
                        }
                    }
                    Opcode::SCSI_RESPONSE => {
                        assert_eq!(r.bhs[2], 0, "iSCSI response");
                        self.residual = (r.flags() & 0x06, r.u32_at(44));
                        let sense = r.data.get(2..).map(<[u8]>::to_vec).unwrap_or_default();
                        return (r.bhs[3], got, sense);
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }

        fn logout(&mut self) {
            let mut p = Pdu::new(Opcode::LOGOUT_REQUEST);
            p.bhs[0] |= 0x40;
            p.bhs[1] = 0x80;
            p.set_u32(16, 0xabc);
            p.set_u32(24, self.cmd_sn);
            self.send(&p);
            let r = self.recv();
            assert_eq!(r.opcode(), Opcode::LOGOUT_RESPONSE);
            assert_eq!(r.itt(), 0xabc);
            assert_eq!(r.bhs[2], 0);
        }
    }

    const OPERATIONAL: &[(&str, &str)] = &[
        ("HeaderDigest", "None,CRC32C"),
        ("DataDigest", "None,CRC32C"),
        ("InitialR2T", "Yes"),
        ("ImmediateData", "Yes"),
        ("MaxBurstLength", "16384"),
        ("FirstBurstLength", "262144"),
        ("MaxRecvDataSegmentLength", "8192"),
        ("MaxConnections", "1"),
        ("DataPDUInOrder", "Yes"),
        ("ErrorRecoveryLevel", "0"),
        ("X-com.example.Unknown", "1"),
    ];

    #[test]
    fn login_negotiates_and_inquiry_reaches_the_mock() {
        let (_dir, d) = drive(Some(MediaKind::DvdPlusRw));
        let (mut i, server) = start(d);
        let k = i.login(OPERATIONAL);
        assert_eq!(key(&k, "HeaderDigest"), Some("None"));
        assert_eq!(key(&k, "MaxBurstLength"), Some("16384"));
        assert_eq!(key(&k, "FirstBurstLength"), Some("65536"));
        assert_eq!(key(&k, "X-com.example.Unknown"), Some("NotUnderstood"));
        assert_eq!(key(&k, "MaxRecvDataSegmentLength"), Some("262144"));
        let (status, data, _) = i.command(1, &[0x12, 0, 0, 0, 96, 0], 96, None);
        assert_eq!(status, 0);
        assert_eq!(&data[8..16], b"SPINDLE ");
        // REPORT LUNS is the target's, and LUN 0 a controller: neither reaches the mock.
        let (status, data, _) = i.command(1, &[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0], 64, None);
        assert_eq!((status, data.len()), (0, 24));
        let (status, data, _) = i.command(0, &[0x12, 0, 0, 0, 36, 0], 36, None);
        assert_eq!((status, data[0]), (0, 0x0c));
        // A NOP-Out ping is echoed.
        let mut nop = Pdu::new(Opcode::NOP_OUT);
        nop.bhs[0] |= 0x40;
        nop.bhs[1] = 0x80;
        nop.set_u32(16, 0x77);
        nop.set_u32(20, RESERVED_TAG);
        nop.data = b"ping".to_vec();
        i.send(&nop);
        let r = i.recv();
        assert_eq!(
            (r.opcode(), r.itt(), &r.data[..]),
            (Opcode::NOP_IN, 0x77, &b"ping"[..])
        );
        i.logout();
        let (summary, d) = server.join().unwrap();
        let summary = summary.unwrap();
        assert!(summary.logged_out);
        assert_eq!((summary.commands, summary.device_commands), (3, 1));
        let t = d.transcript().unwrap();
        assert!(t.ends_with("12 00 00 00 60 00 | in 96/96 | GOOD\n"), "{t}");
        assert!(!t.contains("A0 00"));
    }

    /// WRITE(10) of 64 KiB with immediate data and R2Ts of MaxBurstLength, read back with
    /// Data-In of MaxRecvDataSegmentLength; then the same with InitialR2T=No.
    #[test]
    fn writes_follow_r2t_and_reads_come_back_in_pieces() {
        for initial_r2t in ["Yes", "No"] {
            let (_dir, d) = drive(Some(MediaKind::DvdPlusRw));
            let (mut i, server) = start(d);
            let mut ops = OPERATIONAL.to_vec();
            ops.retain(|(k, _)| *k != "InitialR2T" && *k != "FirstBurstLength");
            ops.push(("InitialR2T", initial_r2t));
            ops.push(("FirstBurstLength", "20000"));
            i.login(&ops);
            assert_eq!(i.initial_r2t, initial_r2t == "Yes");
            let image: Vec<u8> = (0..32 * 2048).map(|n| (n * 7 % 251) as u8).collect();
            let (status, _, sense) =
                i.command(1, &[0x2a, 0, 0, 0, 0, 0, 0, 0, 32, 0], 0, Some(&image));
            assert_eq!((status, sense), (0, vec![]));
            let (status, back, _) = i.command(1, &[0x28, 0, 0, 0, 0, 0, 0, 0, 32, 0], 65536, None);
            assert_eq!(status, 0);
            assert!(back == image, "read back differs");
            i.logout();
            let (summary, d) = server.join().unwrap();
            assert_eq!(summary.unwrap().device_commands, 2);
            let t = d.transcript().unwrap();
            assert!(t.contains("2A 00 00 00 00 00 00 00 20 00 | out 65536/65536 | GOOD"));
        }
    }

    #[test]
    fn check_condition_carries_sense_and_short_reads_say_so() {
        let (_dir, d) = drive(None);
        let (mut i, server) = start(d);
        i.login(OPERATIONAL);
        // No medium: TEST UNIT READY fails 2/3A/0x.
        let (status, _, sense) = i.command(1, &[0, 0, 0, 0, 0, 0], 0, None);
        assert_eq!((status, sense[2] & 0x0f, sense[12]), (2, 2, 0x3a));
        // Unknown opcode 05/20/00 from the mock.
        let (status, _, sense) = i.command(1, &[0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, None);
        assert_eq!((status, sense[2], sense[12]), (2, 5, 0x20));
        // INQUIRY for 36 bytes with a 100-byte transfer: underflow, residual 64.
        let (status, data, _) = i.command(1, &[0x12, 0, 0, 0, 36, 0], 100, None);
        assert_eq!((status, data.len(), i.residual), (0, 36, (0x02, 64)));
        // REPORT LUNS (the target's) cut by a transfer shorter than its data: overflow.
        let (status, data, _) = i.command(1, &[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0], 16, None);
        assert_eq!((status, data.len(), i.residual), (0, 16, (0x04, 8)));
        i.logout();
        server.join().unwrap().0.unwrap();
    }

    #[test]
    fn a_wrong_target_name_or_no_login_ends_the_connection() {
        let (_dir, d) = drive(None);
        let (mut i, server) = start(d);
        let p = i.login_pdu(
            0x81,
            &[
                ("InitiatorName", "iqn.x"),
                ("TargetName", "iqn.nobody"),
                ("AuthMethod", "None"),
            ],
        );
        i.send(&p);
        let r = i.recv();
        assert_eq!((r.bhs[36], r.bhs[37]), (0x02, 0x03));
        assert!(matches!(
            server.join().unwrap().0,
            Err(Error::LoginRefused {
                class: 2,
                detail: 3,
                ..
            })
        ));

        let (_dir, d) = drive(None);
        let (mut i, server) = start(d);
        let p = Pdu::new(Opcode::SCSI_COMMAND);
        i.send(&p);
        assert!(matches!(server.join().unwrap().0, Err(Error::Protocol(_))));

        // CHAP only: refused with authentication failure.
        let (_dir, d) = drive(None);
        let (mut i, server) = start(d);
        let p = i.login_pdu(
            0x81,
            &[
                ("InitiatorName", "iqn.x"),
                ("TargetName", NAME),
                ("AuthMethod", "CHAP"),
            ],
        );
        i.send(&p);
        assert_eq!(i.recv().bhs[36..38], [2, 1]);
        assert!(server.join().unwrap().0.is_err());
    }

    #[test]
    fn discovery_lists_the_target_and_refuses_scsi() {
        let (_dir, d) = drive(None);
        let (mut i, server) = start(d);
        let p = i.login_pdu(
            0x87,
            &[("InitiatorName", "iqn.x"), ("SessionType", "Discovery")],
        );
        i.send(&p);
        let r = i.recv();
        assert_eq!((r.bhs[36], r.flags()), (0, 0x87));
        let mut t = Pdu::new(Opcode::TEXT_REQUEST);
        t.bhs[1] = 0x80;
        t.set_u32(16, 5);
        t.set_u32(20, RESERVED_TAG);
        t.set_u32(24, i.cmd_sn);
        t.data = encode_text(&[("SendTargets", "All")]);
        i.send(&t);
        let r = i.recv();
        assert_eq!(r.opcode(), Opcode::TEXT_RESPONSE);
        let k = keys(&r);
        assert_eq!(key(&k, "TargetName"), Some(NAME));
        assert_eq!(key(&k, "TargetAddress"), Some("127.0.0.1:3260,1"));
        let mut c = Pdu::new(Opcode::SCSI_COMMAND);
        c.bhs[1] = 0x80;
        i.send(&c);
        let r = i.recv();
        assert_eq!(
            (r.opcode(), r.bhs[2]),
            (Opcode::REJECT, REJECT_NOT_SUPPORTED)
        );
        assert_eq!(&r.data[..], &c.bhs[..]);
        i.logout();
        let s = server.join().unwrap().0.unwrap();
        assert_eq!(s.session_type, "Discovery");
    }

    #[test]
    fn data_out_out_of_order_or_unknown_is_refused() {
        let (_dir, d) = drive(Some(MediaKind::DvdPlusRw));
        let (mut i, server) = start(d);
        i.login(OPERATIONAL);
        // Data-Out for a task that does not exist: Reject, and the connection goes on.
        let mut d = Pdu::new(Opcode::DATA_OUT);
        d.bhs[1] = 0x80;
        d.set_u32(16, 0x999);
        d.data = vec![0; 512];
        i.send(&d);
        assert_eq!(i.recv().bhs[2], REJECT_INVALID_FIELD);
        let (status, _, _) = i.command(1, &[0, 0, 0, 0, 0, 0], 0, None);
        assert_eq!(status, 0);
        // A write whose data skips ahead ends the connection.
        let mut c = Pdu::new(Opcode::SCSI_COMMAND);
        c.bhs[1] = 0xa0;
        c.bhs[8..16].copy_from_slice(&Lun(1).encode());
        c.set_u32(16, 0x500);
        c.set_u32(20, 4096);
        c.set_u32(24, i.cmd_sn);
        c.bhs[32..42].copy_from_slice(&[0x2a, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
        i.send(&c);
        let r2t = i.recv();
        assert_eq!(r2t.opcode(), Opcode::R2T);
        let mut d = Pdu::new(Opcode::DATA_OUT);
        d.bhs[1] = 0x80;
        d.set_u32(16, 0x500);
        d.set_u32(20, r2t.u32_at(20));
        d.set_u32(40, 2048);
        d.data = vec![0; 2048];
        i.send(&d);
        assert!(matches!(server.join().unwrap().0, Err(Error::Protocol(_))));
    }
}
