//! The [`Drive`] facade: runs typed commands over a [`hal::Transport`] and applies the retry
//! and polling policy of `docs/mmc-notes.md` §4.3.

use std::fmt;
use std::time::{Duration, Instant};

use hal::{format_exchange, Completion, DataPhase, Request, ScsiStatus, Transport};
use log::{debug, trace, warn};

use crate::asc::AscAscq;
use crate::bytes;
use crate::command::{Command, RequestSense, RetryPolicy, TestUnitReady, Transfer};
use crate::sense::{Disposition, Progress, Sense, SenseKey};
use crate::{Error, Result};

/// Time source and sleeper for polling loops, injectable so tests run instantly.
pub trait Clock: Send {
    /// The current instant.
    fn now(&self) -> Instant;
    /// Waits for `d`.
    fn sleep(&mut self, d: Duration);
}

/// The real clock: [`Instant::now`] and [`std::thread::sleep`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&mut self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// Bounds for the retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrivePolicy {
    /// Pause between TEST UNIT READY polls (`docs/mmc-notes.md` §4.3: 0.5-1 s).
    pub poll_interval: Duration,
    /// Repeats after BUSY / TASK SET FULL status.
    pub busy_retries: u32,
    /// First pause after BUSY; it grows linearly with each repeat.
    pub busy_delay: Duration,
    /// Repeats after ABORTED COMMAND or NOT READY 04/00 (not for writes).
    pub transient_retries: u32,
    /// Repeats after UNIT ATTENTION: one per distinct condition, at most this many in total
    /// (QEMU reports 06/3A/00 then 06/28/00 after a medium change).
    pub unit_attention_retries: u32,
    /// Ask REQUEST SENSE for progress when TEST UNIT READY's sense carries none (some drives
    /// report progress only there).
    pub request_sense_progress: bool,
}

impl Default for DrivePolicy {
    fn default() -> Self {
        DrivePolicy {
            poll_interval: Duration::from_millis(500),
            busy_retries: 5,
            busy_delay: Duration::from_millis(100),
            transient_retries: 3,
            unit_attention_retries: 3,
            request_sense_progress: true,
        }
    }
}

/// An MMC drive: a transport plus the retry policy.
///
/// ```
/// # use mmc::{Drive, command::ReadDiscInformation};
/// # fn demo<T: hal::Transport>(t: T) -> mmc::Result<()> {
/// let mut drive = Drive::new(t);
/// let info = drive.run(&ReadDiscInformation::default())?;
/// println!("{} sessions, {}", info.sessions, info.disc_status.as_str());
/// # Ok(()) }
/// ```
pub struct Drive<T: Transport> {
    transport: T,
    clock: Box<dyn Clock>,
    policy: DrivePolicy,
    medium_changed: bool,
}

impl<T: Transport> fmt::Debug for Drive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drive")
            .field("device", &self.transport.name())
            .field("policy", &self.policy)
            .field("medium_changed", &self.medium_changed)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Drive<T> {
    /// Wraps a transport with the system clock and the default policy.
    pub fn new(transport: T) -> Self {
        Self::with_clock(transport, Box::new(SystemClock))
    }

    /// Wraps a transport with a custom clock (tests use a virtual one).
    pub fn with_clock(transport: T, clock: Box<dyn Clock>) -> Self {
        Drive {
            transport,
            clock,
            policy: DrivePolicy::default(),
            medium_changed: false,
        }
    }

    /// The retry bounds.
    pub fn policy(&self) -> &DrivePolicy {
        &self.policy
    }

    /// Replaces the retry bounds.
    pub fn set_policy(&mut self, policy: DrivePolicy) {
        self.policy = policy;
    }

    /// The device name.
    pub fn name(&self) -> &str {
        self.transport.name()
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Returns the transport.
    pub fn into_inner(self) -> T {
        self.transport
    }

    /// True once a UNIT ATTENTION was seen: the medium may have changed since the last probe,
    /// so re-probe before any write decision.
    pub fn medium_may_have_changed(&self) -> bool {
        self.medium_changed
    }

    /// Forgets the "medium may have changed" mark (after a re-probe).
    pub fn clear_medium_changed(&mut self) {
        self.medium_changed = false;
    }

    /// Runs one exchange and logs its transcript line. Returns the completion and the
    /// data-in buffer (empty for other directions).
    fn exchange(
        &mut self,
        cdb: &[u8],
        transfer: &Transfer<'_>,
        timeout: Duration,
    ) -> (hal::Result<Completion>, Vec<u8>) {
        let mut buf = Vec::new();
        let (data, dir) = match transfer {
            Transfer::None => (DataPhase::None, "none"),
            Transfer::In(n) => {
                buf = vec![0u8; *n];
                (DataPhase::In(&mut buf), "in")
            }
            Transfer::Out(b) => (DataPhase::Out(b), "out"),
        };
        let len = data.len();
        let outcome = self.transport.execute(Request { cdb, data, timeout });
        debug!(
            "{}: {}",
            self.transport.name(),
            format_exchange(cdb, dir, len, &outcome)
        );
        if let (Ok(c), Transfer::In(_)) = (&outcome, transfer) {
            let n = len.saturating_sub(c.residual).min(64);
            trace!("data-in: {}", bytes::hex(bytes::clip(&buf, n)));
        }
        (outcome, buf)
    }

    fn finish<C: Command>(&self, cmd: &C, buf: &[u8], residual: usize) -> Result<C::Response> {
        let received = bytes::clip(buf, buf.len().saturating_sub(residual));
        cmd.parse(received).map_err(|source| Error::Parse {
            command: C::NAME,
            source,
        })
    }

    /// Runs `cmd` with the retry policy of `docs/mmc-notes.md` §4.3:
    ///
    /// - transport errors are returned at once (no blind retries);
    /// - BUSY / TASK SET FULL status: bounded repeats with growing pauses;
    /// - UNIT ATTENTION: repeat once per distinct condition and mark
    ///   [`medium_may_have_changed`](Self::medium_may_have_changed);
    /// - NOT READY 04/01, 04/04, 04/07, 04/08: poll TEST UNIT READY within the command's
    ///   timeout, then repeat (writes only for 04/08; never for
    ///   [`RetryPolicy::NoWait`] commands);
    /// - ABORTED COMMAND, NOT READY 04/00: bounded repeats (not for writes);
    /// - RECOVERED ERROR: the data is used;
    /// - anything else: [`Error::CheckCondition`].
    ///
    /// The data-in buffer is sized from the command and clipped to `len − residual` before
    /// parsing.
    ///
    /// # Errors
    /// [`Error::Transport`], [`Error::CheckCondition`], [`Error::Status`], [`Error::Parse`],
    /// or [`Error::Timeout`] when a NOT READY wait exceeds the command's timeout.
    pub fn run<C: Command>(&mut self, cmd: &C) -> Result<C::Response> {
        let cdb_owned = cmd.cdb();
        let cdb = cdb_owned.as_ref();
        let transfer = cmd.data_phase();
        let policy = cmd.retry_policy();
        let start = self.clock.now();
        let mut busy = 0u32;
        let mut transient = 0u32;
        let mut attentions: Vec<AscAscq> = Vec::new();
        loop {
            let (outcome, buf) = self.exchange(cdb, &transfer, cmd.timeout());
            let c = outcome?;
            if c.is_good() {
                return self.finish(cmd, &buf, c.residual);
            }
            if c.status == ScsiStatus::BUSY || c.status == ScsiStatus::TASK_SET_FULL {
                if busy < self.policy.busy_retries {
                    busy += 1;
                    warn!("{}: {} status, repeat {busy}", C::NAME, c.status);
                    let pause = self.policy.busy_delay.saturating_mul(busy);
                    self.clock.sleep(pause);
                    continue;
                }
                return Err(Error::Status {
                    command: C::NAME,
                    status: c.status,
                });
            }
            if c.status != ScsiStatus::CHECK_CONDITION {
                return Err(Error::Status {
                    command: C::NAME,
                    status: c.status,
                });
            }
            let sense = Sense::new(c.sense.as_slice());
            match sense.disposition() {
                Disposition::Recovered => {
                    debug!("{}: {sense}; using the result", C::NAME);
                    return self.finish(cmd, &buf, c.residual);
                }
                Disposition::MediumChanged => {
                    self.medium_changed = true;
                    let code = sense.asc_ascq();
                    let budget = usize::try_from(self.policy.unit_attention_retries).unwrap_or(0);
                    if !attentions.contains(&code) && attentions.len() < budget {
                        attentions.push(code);
                        warn!("{}: {sense}; repeating the command", C::NAME);
                        continue;
                    }
                }
                Disposition::WaitReady { .. } => {
                    let allowed = match policy {
                        RetryPolicy::Standard => true,
                        RetryPolicy::Write => sense.asc_ascq() == AscAscq::LONG_WRITE_IN_PROGRESS,
                        RetryPolicy::NoWait => false,
                    };
                    if allowed {
                        let waited = self.clock.now().saturating_duration_since(start);
                        let Some(budget) = cmd.timeout().checked_sub(waited) else {
                            return Err(Error::Timeout {
                                command: C::NAME,
                                waited,
                                last: Some(sense),
                            });
                        };
                        warn!("{}: {sense}; waiting for the drive", C::NAME);
                        self.clock.sleep(self.policy.poll_interval);
                        match self.wait_ready_inner(budget, &mut |_| {}) {
                            Ok(()) => continue,
                            Err(Error::Timeout {
                                waited: w, last, ..
                            }) => {
                                return Err(Error::Timeout {
                                    command: C::NAME,
                                    waited: waited + w,
                                    last: last.or(Some(sense)),
                                })
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
                Disposition::Retry => {
                    if policy != RetryPolicy::Write && transient < self.policy.transient_retries {
                        transient += 1;
                        warn!("{}: {sense}; repeat {transient}", C::NAME);
                        self.clock.sleep(self.policy.poll_interval);
                        continue;
                    }
                }
                Disposition::NoMedium | Disposition::Fatal => {}
            }
            return Err(Error::CheckCondition {
                command: C::NAME,
                lba: cmd.lba(),
                sense,
            });
        }
    }

    /// Polls TEST UNIT READY until the drive is ready, for at most `budget`, calling
    /// `on_progress` after each NOT READY poll with the long-operation progress when the drive
    /// reports it (TEST UNIT READY sense-key-specific bytes, else REQUEST SENSE).
    ///
    /// UNIT ATTENTION while waiting marks the medium as possibly changed and keeps waiting;
    /// NOT READY 04/00 is tolerated as transient.
    ///
    /// # Errors
    /// [`Error::CheckCondition`] for no medium (`is_no_medium()`) or any other failure,
    /// [`Error::Timeout`] when the budget runs out, [`Error::Transport`].
    pub fn wait_ready(
        &mut self,
        budget: Duration,
        mut on_progress: impl FnMut(Option<Progress>),
    ) -> Result<()> {
        self.wait_ready_inner(budget, &mut on_progress)
    }

    fn wait_ready_inner(
        &mut self,
        budget: Duration,
        on_progress: &mut dyn FnMut(Option<Progress>),
    ) -> Result<()> {
        let start = self.clock.now();
        let tur = TestUnitReady;
        let cdb = tur.cdb();
        let mut last: Option<Sense> = None;
        loop {
            let (outcome, _) = self.exchange(&cdb, &Transfer::None, tur.timeout());
            let c = outcome?;
            if c.is_good() {
                return Ok(());
            }
            if c.status == ScsiStatus::CHECK_CONDITION {
                let sense = Sense::new(c.sense.as_slice());
                match sense.disposition() {
                    Disposition::WaitReady { progress } => {
                        let progress = match progress {
                            Some(p) => Some(p),
                            None if self.policy.request_sense_progress => {
                                self.request_sense_progress()
                            }
                            None => None,
                        };
                        on_progress(progress);
                    }
                    Disposition::MediumChanged => {
                        self.medium_changed = true;
                        debug!("{}: {sense} while waiting", TestUnitReady::NAME);
                    }
                    Disposition::Retry => {}
                    Disposition::Recovered => return Ok(()),
                    Disposition::NoMedium | Disposition::Fatal => {
                        return Err(Error::CheckCondition {
                            command: TestUnitReady::NAME,
                            lba: None,
                            sense,
                        })
                    }
                }
                last = Some(sense);
            } else if c.status != ScsiStatus::BUSY && c.status != ScsiStatus::TASK_SET_FULL {
                return Err(Error::Status {
                    command: TestUnitReady::NAME,
                    status: c.status,
                });
            }
            let waited = self.clock.now().saturating_duration_since(start);
            if waited >= budget {
                return Err(Error::Timeout {
                    command: TestUnitReady::NAME,
                    waited,
                    last,
                });
            }
            self.clock.sleep(self.policy.poll_interval);
        }
    }

    /// REQUEST SENSE for a NOT READY progress indication; errors are ignored.
    fn request_sense_progress(&mut self) -> Option<Progress> {
        let rs = RequestSense::default();
        let cdb = rs.cdb();
        let transfer = rs.data_phase();
        let (outcome, buf) = self.exchange(&cdb, &transfer, rs.timeout());
        let c = outcome.ok().filter(Completion::is_good)?;
        let sense = self.finish(&rs, &buf, c.residual).ok()?;
        if sense.key() == SenseKey::NotReady || sense.key() == SenseKey::NoSense {
            sense.progress()
        } else {
            None
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::command::{Inquiry, Read10, ReadCapacity, StartStopUnit, Write10};
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    /// What the fake drive answers to one CDB.
    #[derive(Debug, Clone)]
    pub(crate) enum Reply {
        /// GOOD with these data-in bytes, copied into the front of the buffer; the rest of
        /// the buffer stays zero and the residual is 0, as Linux SG_IO reports.
        Data(Vec<u8>),
        /// GOOD with data and an honest residual.
        Short(Vec<u8>),
        /// GOOD, no data.
        Good,
        /// CHECK CONDITION with these sense bytes.
        Sense(Vec<u8>),
        /// Another status byte.
        Status(ScsiStatus),
        /// A transport failure.
        Timeout,
    }

    /// Fixed-format sense (70h, additional length 0Ah) for `key/asc/ascq`.
    pub(crate) fn sense(key: u8, asc: u8, ascq: u8) -> Vec<u8> {
        vec![
            0x70, 0, key, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, asc, ascq, 0, 0, 0, 0,
        ]
    }

    /// A scripted transport: each exchange must match the next expected CDB.
    #[derive(Debug)]
    pub(crate) struct FakeTransport {
        pub(crate) name: String,
        pub(crate) script: VecDeque<(Vec<u8>, Reply)>,
        pub(crate) seen: Vec<Vec<u8>>,
    }

    impl FakeTransport {
        pub(crate) fn new(script: Vec<(Vec<u8>, Reply)>) -> Self {
            FakeTransport {
                name: "/dev/sr0".into(),
                script: script.into(),
                seen: Vec::new(),
            }
        }
    }

    impl Transport for FakeTransport {
        fn execute(&mut self, req: Request<'_>) -> hal::Result<Completion> {
            self.seen.push(req.cdb.to_vec());
            let (expected, reply) = self
                .script
                .pop_front()
                .unwrap_or_else(|| panic!("unexpected command {}", bytes::hex(req.cdb)));
            assert_eq!(
                bytes::hex(req.cdb),
                bytes::hex(&expected),
                "command #{} out of script",
                self.seen.len()
            );
            match reply {
                Reply::Data(d) | Reply::Short(d) if !matches!(req.data, DataPhase::In(_)) => {
                    panic!(
                        "data reply for a command without data-in ({} bytes)",
                        d.len()
                    )
                }
                Reply::Data(d) => {
                    if let DataPhase::In(buf) = req.data {
                        let n = d.len().min(buf.len());
                        buf[..n].copy_from_slice(&d[..n]);
                    }
                    Ok(Completion::good())
                }
                Reply::Short(d) => {
                    let mut residual = 0;
                    if let DataPhase::In(buf) = req.data {
                        let n = d.len().min(buf.len());
                        buf[..n].copy_from_slice(&d[..n]);
                        residual = buf.len() - n;
                    }
                    Ok(Completion {
                        residual,
                        ..Completion::good()
                    })
                }
                Reply::Good => Ok(Completion::good()),
                Reply::Sense(s) => Ok(Completion::check_condition(&s)),
                Reply::Status(status) => Ok(Completion {
                    status,
                    ..Completion::good()
                }),
                Reply::Timeout => Err(hal::Error::Timeout {
                    device: self.name.clone(),
                    opcode: req.cdb[0],
                    timeout_ms: req.timeout.as_millis() as u64,
                }),
            }
        }

        fn name(&self) -> &str {
            &self.name
        }

        fn max_transfer(&self) -> usize {
            65536
        }
    }

    /// A virtual clock: `sleep` advances time instantly.
    #[derive(Debug, Clone)]
    pub(crate) struct FakeClock {
        base: Instant,
        pub(crate) elapsed: Arc<Mutex<Duration>>,
    }

    impl FakeClock {
        pub(crate) fn new() -> Self {
            FakeClock {
                base: Instant::now(),
                elapsed: Arc::new(Mutex::new(Duration::ZERO)),
            }
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> Instant {
            self.base + *self.elapsed.lock().unwrap()
        }

        fn sleep(&mut self, d: Duration) {
            *self.elapsed.lock().unwrap() += d;
        }
    }

    pub(crate) fn drive(script: Vec<(Vec<u8>, Reply)>) -> (Drive<FakeTransport>, FakeClock) {
        let clock = FakeClock::new();
        (
            Drive::with_clock(FakeTransport::new(script), Box::new(clock.clone())),
            clock,
        )
    }

    const TUR: [u8; 6] = [0; 6];
    const READ_CAP: [u8; 10] = [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    // docs/qemu-notes.md §3.5: READ CAPACITY reply.
    const CAP: [u8; 8] = [0x00, 0x07, 0xff, 0xff, 0x00, 0x00, 0x08, 0x00];

    fn done(d: &Drive<FakeTransport>) {
        assert!(
            d.transport().script.is_empty(),
            "unused script: {:?}",
            d.transport().script
        );
    }

    #[test]
    fn good_command_parses_data() {
        let (mut d, _) = drive(vec![(READ_CAP.to_vec(), Reply::Data(CAP.to_vec()))]);
        let c = d.run(&ReadCapacity).unwrap();
        assert_eq!(c.blocks(), 524_288);
        assert!(!d.medium_may_have_changed());
        done(&d);
    }

    #[test]
    fn check_condition_becomes_error() {
        // docs/qemu-notes.md §5: READ CAPACITY → 2/3A/00.
        let (mut d, _) = drive(vec![(READ_CAP.to_vec(), Reply::Sense(sense(2, 0x3a, 0)))]);
        let e = d.run(&ReadCapacity).unwrap_err();
        assert!(e.is_no_medium());
        assert_eq!(
            e.to_string(),
            "READ CAPACITY(10): NOT READY 2/3A/00 medium not present"
        );
        done(&d);
    }

    #[test]
    fn read_error_names_the_lba() {
        let cdb = Read10::new(1234, 1).cdb().to_vec();
        let (mut d, _) = drive(vec![(cdb, Reply::Sense(sense(3, 0x11, 0x00)))]);
        let e = d.run(&Read10::new(1234, 1)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "READ(10) at LBA 1234: MEDIUM ERROR 3/11/00 unrecovered read error"
        );
    }

    #[test]
    fn unit_attention_is_retried_once_per_condition() {
        // docs/qemu-notes.md §7: after a change, 6/3A/00 then 6/28/00 then GOOD.
        let (mut d, _) = drive(vec![
            (READ_CAP.to_vec(), Reply::Sense(sense(6, 0x3a, 0))),
            (READ_CAP.to_vec(), Reply::Sense(sense(6, 0x28, 0))),
            (READ_CAP.to_vec(), Reply::Data(CAP.to_vec())),
        ]);
        assert!(d.run(&ReadCapacity).is_ok());
        assert!(d.medium_may_have_changed());
        d.clear_medium_changed();
        assert!(!d.medium_may_have_changed());
        done(&d);
        // The same condition twice: reported.
        let (mut d, _) = drive(vec![
            (READ_CAP.to_vec(), Reply::Sense(sense(6, 0x28, 0))),
            (READ_CAP.to_vec(), Reply::Sense(sense(6, 0x28, 0))),
        ]);
        assert!(d.run(&ReadCapacity).unwrap_err().is_unit_attention());
        done(&d);
    }

    #[test]
    fn becoming_ready_polls_then_repeats() {
        let (mut d, clock) = drive(vec![
            (READ_CAP.to_vec(), Reply::Sense(sense(2, 0x04, 0x01))),
            (TUR.to_vec(), Reply::Sense(sense(2, 0x04, 0x01))),
            (
                vec![0x03, 0, 0, 0, 18, 0],
                Reply::Data(sense(2, 0x04, 0x01)),
            ),
            (TUR.to_vec(), Reply::Good),
            (READ_CAP.to_vec(), Reply::Data(CAP.to_vec())),
        ]);
        assert_eq!(d.run(&ReadCapacity).unwrap().last_lba, 524_287);
        assert_eq!(*clock.elapsed.lock().unwrap(), Duration::from_millis(1000));
        done(&d);
    }

    #[test]
    fn not_ready_wait_is_bounded_by_the_command_timeout() {
        let mut script = vec![(READ_CAP.to_vec(), Reply::Sense(sense(2, 0x04, 0x07)))];
        // 30 s timeout, 0.5 s polls: 60 polls, each with TUR + REQUEST SENSE.
        for _ in 0..200 {
            script.push((TUR.to_vec(), Reply::Sense(sense(2, 0x04, 0x07))));
            script.push((vec![0x03, 0, 0, 0, 18, 0], Reply::Data(sense(0, 0, 0))));
        }
        let (mut d, _) = drive(script);
        let e = d.run(&ReadCapacity).unwrap_err();
        match &e {
            Error::Timeout {
                command,
                waited,
                last,
            } => {
                assert_eq!(*command, "READ CAPACITY(10)");
                assert!(*waited >= Duration::from_secs(30), "{waited:?}");
                assert_eq!(
                    last.as_ref().unwrap().asc_ascq(),
                    AscAscq::OPERATION_IN_PROGRESS
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(e
            .to_string()
            .starts_with("READ CAPACITY(10): drive still not ready after 3"));
    }

    #[test]
    fn wait_ready_reports_progress() {
        let mut fmt = sense(2, 0x04, 0x04);
        fmt[15] = 0x80;
        fmt[16] = 0x40; // 25 %
        let mut fmt2 = fmt.clone();
        fmt2[16] = 0x80; // 50 %
        let (mut d, _) = drive(vec![
            (TUR.to_vec(), Reply::Sense(fmt)),
            (TUR.to_vec(), Reply::Sense(fmt2)),
            (TUR.to_vec(), Reply::Sense(sense(6, 0x28, 0))),
            (TUR.to_vec(), Reply::Good),
        ]);
        let mut seen = Vec::new();
        d.wait_ready(Duration::from_secs(60), |p| seen.push(p))
            .unwrap();
        assert_eq!(seen, vec![Some(Progress(0x4000)), Some(Progress(0x8000))]);
        assert!(d.medium_may_have_changed());
        done(&d);
    }

    #[test]
    fn wait_ready_progress_from_request_sense_and_no_medium() {
        let mut rs = sense(2, 0x04, 0x07);
        rs[15] = 0x80;
        rs[16] = 0xc0;
        let (mut d, _) = drive(vec![
            (TUR.to_vec(), Reply::Sense(sense(2, 0x04, 0x07))),
            (vec![0x03, 0, 0, 0, 18, 0], Reply::Data(rs)),
            (TUR.to_vec(), Reply::Sense(sense(2, 0x3a, 0x02))),
        ]);
        let mut seen = Vec::new();
        let e = d
            .wait_ready(Duration::from_secs(60), |p| seen.push(p))
            .unwrap_err();
        assert!(e.is_no_medium());
        assert_eq!(e.sense().unwrap().tray_open(), Some(true));
        assert_eq!(seen, vec![Some(Progress(0xc000))]);
        done(&d);
    }

    #[test]
    fn busy_is_retried_a_bounded_number_of_times() {
        let mut script = vec![(READ_CAP.to_vec(), Reply::Status(ScsiStatus::BUSY)); 2];
        script.push((READ_CAP.to_vec(), Reply::Data(CAP.to_vec())));
        let (mut d, clock) = drive(script);
        assert!(d.run(&ReadCapacity).is_ok());
        assert_eq!(*clock.elapsed.lock().unwrap(), Duration::from_millis(300));
        done(&d);
        let (mut d, _) = drive(vec![
            (READ_CAP.to_vec(), Reply::Status(ScsiStatus::BUSY));
            6
        ]);
        assert!(matches!(
            d.run(&ReadCapacity),
            Err(Error::Status {
                status: ScsiStatus::BUSY,
                ..
            })
        ));
        done(&d);
        let (mut d, _) = drive(vec![(
            READ_CAP.to_vec(),
            Reply::Status(ScsiStatus::RESERVATION_CONFLICT),
        )]);
        assert!(matches!(d.run(&ReadCapacity), Err(Error::Status { .. })));
    }

    #[test]
    fn transport_errors_are_not_retried() {
        let (mut d, _) = drive(vec![(READ_CAP.to_vec(), Reply::Timeout)]);
        let e = d.run(&ReadCapacity).unwrap_err();
        assert!(matches!(&e, Error::Transport(t) if t.kind() == hal::ErrorKind::Timeout));
        done(&d);
    }

    #[test]
    fn writes_wait_only_for_long_write_in_progress() {
        let data = vec![0u8; 2048];
        let w = Write10::new(16, &data).unwrap();
        let cdb = w.cdb().to_vec();
        let (mut d, _) = drive(vec![(cdb.clone(), Reply::Sense(sense(2, 0x04, 0x07)))]);
        let e = d.run(&w).unwrap_err();
        assert_eq!(
            e.to_string(),
            "WRITE(10) at LBA 16: NOT READY 2/04/07 logical unit not ready, operation in progress"
        );
        let (mut d, _) = drive(vec![
            (cdb.clone(), Reply::Sense(sense(2, 0x04, 0x08))),
            (TUR.to_vec(), Reply::Good),
            (cdb.clone(), Reply::Good),
        ]);
        d.run(&w).unwrap();
        done(&d);
        // Aborted command: not repeated for writes, repeated otherwise.
        let (mut d, _) = drive(vec![(cdb, Reply::Sense(sense(0x0b, 0, 0)))]);
        assert!(d.run(&w).is_err());
        let (mut d, _) = drive(vec![
            (READ_CAP.to_vec(), Reply::Sense(sense(0x0b, 0x47, 0))),
            (READ_CAP.to_vec(), Reply::Data(CAP.to_vec())),
        ]);
        assert!(d.run(&ReadCapacity).is_ok());
    }

    #[test]
    fn no_wait_commands_report_not_ready() {
        let (mut d, _) = drive(vec![(TUR.to_vec(), Reply::Sense(sense(2, 0x04, 0x01)))]);
        let e = d.run(&TestUnitReady).unwrap_err();
        assert_eq!(
            e.disposition(),
            Some(Disposition::WaitReady { progress: None })
        );
        done(&d);
    }

    #[test]
    fn recovered_error_uses_the_data_and_residual_clips() {
        let (mut d, _) = drive(vec![(
            READ_CAP.to_vec(),
            Reply::Sense(sense(1, 0x17, 0x01)),
        )]);
        // Data buffer is zero: the result is parsed from it.
        assert_eq!(d.run(&ReadCapacity).unwrap().last_lba, 0);
        // An honest residual makes a short READ CAPACITY reply a parse error.
        let (mut d, _) = drive(vec![(READ_CAP.to_vec(), Reply::Short(CAP[..4].to_vec()))]);
        let e = d.run(&ReadCapacity).unwrap_err();
        assert_eq!(e.to_string(), "READ CAPACITY(10): malformed reply");
        assert!(matches!(
            e,
            Error::Parse {
                source: crate::ParseError::Truncated {
                    need: 8,
                    got: 4,
                    ..
                },
                ..
            }
        ));
    }

    #[test]
    fn inquiry_and_eject_refused() {
        // docs/qemu-notes.md §6 INQUIRY (36 bytes into a 96-byte buffer).
        let mut inq = b"\x05\x80\x05\x32\x1f\x00\x00\x00QEMU    QEMU DVD-ROM    2.5+".to_vec();
        inq.resize(96, 0);
        let (mut d, _) = drive(vec![
            (vec![0x12, 0, 0, 0, 0x60, 0], Reply::Data(inq)),
            // docs/qemu-notes.md §4: eject while locked → 5/53/02.
            (
                vec![0x1b, 0, 0, 0, 0x02, 0],
                Reply::Sense(sense(5, 0x53, 0x02)),
            ),
        ]);
        assert_eq!(d.run(&Inquiry::default()).unwrap().product, "QEMU DVD-ROM");
        let e = d.run(&StartStopUnit::eject()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "START STOP UNIT: ILLEGAL REQUEST 5/53/02 medium removal prevented"
        );
        assert_eq!(d.name(), "/dev/sr0");
        assert!(format!("{d:?}").contains("/dev/sr0"));
        done(&d);
    }
}
