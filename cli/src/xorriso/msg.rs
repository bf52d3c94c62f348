//! xorriso's two output channels and its problem severities.
//!
//! Result lines (listings, `-version`) go to stdout; messages go to stderr as
//! `xorriso : SEVERITY : text`, plus a few plain info lines (drive summaries, the dialog
//! prompt). Every line is written with one `write` call, so a reader polling a pipe never
//! gets half a line. The worst severity met decides the exit value (`-return_with`), and a
//! command whose worst severity reaches `-abort_on` ends the program.

use std::io::Write;
use std::time::Duration;

/// Message severities, lowest first (xorriso's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Every message.
    All,
    /// Debugging.
    Debug,
    /// Progress.
    Update,
    /// Information.
    Note,
    /// A hint.
    Hint,
    /// Something may be wrong.
    Warning,
    /// An operation was refused; the program goes on ("tolerated").
    Sorry,
    /// A problem that may have damaged the result.
    Mishap,
    /// An operation failed.
    Failure,
    /// The program cannot go on.
    Fatal,
    /// An abort.
    Abort,
    /// Above every severity: "never" as a threshold.
    Never,
}

impl Severity {
    const NAMES: [(&'static str, Severity); 12] = [
        ("ALL", Severity::All),
        ("DEBUG", Severity::Debug),
        ("UPDATE", Severity::Update),
        ("NOTE", Severity::Note),
        ("HINT", Severity::Hint),
        ("WARNING", Severity::Warning),
        ("SORRY", Severity::Sorry),
        ("MISHAP", Severity::Mishap),
        ("FAILURE", Severity::Failure),
        ("FATAL", Severity::Fatal),
        ("ABORT", Severity::Abort),
        ("NEVER", Severity::Never),
    ];

    /// The upper-case name.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("ALL", |(n, _)| n)
    }

    /// Parses a name, in any case.
    pub fn parse(s: &str) -> Option<Severity> {
        Self::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, sev)| *sev)
    }
}

/// The command (or program start) ended by `-abort_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aborted;

/// Pause between the last result line of a command and the dialog prompt: a reader that
/// stops at the prompt (duplicity) must have seen stdout first.
const RESULT_SETTLE: Duration = Duration::from_millis(30);

/// The two channels and the severity bookkeeping.
pub struct Messenger {
    out: Box<dyn Write>,
    err: Box<dyn Write>,
    /// Messages below this are not shown (`-report_about`).
    pub report_about: Severity,
    /// `-abort_on`; `None` until set explicitly (then batch mode uses FAILURE and the
    /// dialog NEVER).
    pub abort_on: Option<Severity>,
    /// `-return_with`: severity and exit value.
    pub return_with: (Severity, u8),
    /// Worst problem of the whole run.
    pub worst: Severity,
    /// Worst problem of the current command.
    pub command_worst: Severity,
    wrote_result: bool,
}

impl std::fmt::Debug for Messenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messenger")
            .field("abort_on", &self.abort_on)
            .field("return_with", &self.return_with)
            .field("worst", &self.worst)
            .finish_non_exhaustive()
    }
}

impl Messenger {
    /// Channels on the given writers.
    pub fn new(out: Box<dyn Write>, err: Box<dyn Write>) -> Messenger {
        Messenger {
            out,
            err,
            report_about: Severity::All,
            abort_on: None,
            return_with: (Severity::Sorry, 32),
            worst: Severity::All,
            command_worst: Severity::All,
            wrote_result: false,
        }
    }

    fn line(w: &mut dyn Write, text: &str) {
        let mut buf = Vec::with_capacity(text.len() + 1);
        buf.extend_from_slice(text.as_bytes());
        buf.push(b'\n');
        // A closed pipe (the other side quit) leaves nobody to tell.
        let _ = w.write_all(&buf);
        let _ = w.flush();
    }

    /// A result line on stdout.
    pub fn result(&mut self, text: &str) {
        self.wrote_result = true;
        Self::line(&mut self.out, text);
    }

    /// A plain info line on stderr.
    pub fn info(&mut self, text: &str) {
        Self::line(&mut self.err, text);
    }

    /// A message `xorriso : SEV : text`; records the severity.
    pub fn msg(&mut self, sev: Severity, text: &str) {
        self.command_worst = self.command_worst.max(sev);
        self.worst = self.worst.max(sev);
        if sev >= self.report_about {
            Self::line(&mut self.err, &format!("xorriso : {} : {text}", sev.name()));
        }
    }

    /// How long an aborting run stays alive after its last message.
    const ABORT_LINGER: std::time::Duration = std::time::Duration::from_millis(300);

    /// Ends a command: checks its worst severity against `-abort_on` (`default_abort` when
    /// not set explicitly) and says so either way, as xorriso does.
    ///
    /// # Errors
    /// [`Aborted`] when the threshold was reached.
    pub fn end_command(&mut self, default_abort: Severity) -> Result<(), Aborted> {
        let worst = std::mem::replace(&mut self.command_worst, Severity::All);
        let threshold = self.abort_on.unwrap_or(default_abort);
        if worst >= threshold {
            self.info(&format!(
                "xorriso : aborting : -abort_on '{}' encountered '{}'",
                threshold.name(),
                worst.name()
            ));
            // A dialog client such as duplicity stops reading when it sees the process gone;
            // staying a moment lets it read the FAILURE first (under load it otherwise sees
            // only the exit, and then a broken pipe instead of the reason).
            let _ = self.out.flush();
            std::thread::sleep(Self::ABORT_LINGER);
            return Err(Aborted);
        }
        if worst >= Severity::Sorry {
            self.msg(
                Severity::Note,
                &format!("Tolerated problem event of severity '{}'", worst.name()),
            );
            self.command_worst = Severity::All;
        }
        Ok(())
    }

    /// The dialog prompt, last on stderr after a command's output; stdout is flushed and
    /// given a moment first.
    pub fn prompt(&mut self) {
        let _ = self.out.flush();
        if std::mem::take(&mut self.wrote_result) {
            std::thread::sleep(RESULT_SETTLE);
        }
        Self::line(
            &mut self.err,
            "============================\nenter option and arguments :",
        );
    }

    /// The exit value for a run that was not aborted: `-return_with`'s value when the worst
    /// problem reached its severity (saying so in a NOTE), else 0.
    pub fn exit_value(&mut self) -> u8 {
        let (sev, value) = self.return_with;
        if self.worst >= sev && sev != Severity::Never {
            let worst = self.worst;
            self.msg(
                Severity::Note,
                &format!(
                    "-return_with {} {value} triggered by problem severity {}",
                    sev.name(),
                    worst.name()
                ),
            );
            return value;
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[test]
    fn severities_order_and_names() {
        assert!(Severity::Sorry < Severity::Failure);
        assert!(Severity::Warning < Severity::Sorry);
        assert_eq!(Severity::parse("failure"), Some(Severity::Failure));
        assert_eq!(Severity::Failure.name(), "FAILURE");
        assert_eq!(Severity::parse("bogus"), None);
    }

    #[test]
    fn sorry_is_tolerated_failure_aborts() {
        let (out, err) = (Shared::default(), Shared::default());
        let mut m = Messenger::new(Box::new(out.clone()), Box::new(err.clone()));
        m.abort_on = Some(Severity::Failure);
        m.msg(
            Severity::Sorry,
            "Cannot find path '/x' in loaded ISO image for removal",
        );
        assert_eq!(m.end_command(Severity::Never), Ok(()));
        m.msg(Severity::Failure, "bad");
        assert_eq!(m.end_command(Severity::Never), Err(Aborted));
        assert_eq!(
            err.text(),
            "xorriso : SORRY : Cannot find path '/x' in loaded ISO image for removal\n\
             xorriso : NOTE : Tolerated problem event of severity 'SORRY'\n\
             xorriso : FAILURE : bad\n\
             xorriso : aborting : -abort_on 'FAILURE' encountered 'FAILURE'\n"
        );
    }

    #[test]
    fn return_with_decides_the_exit_value() {
        let mut m = Messenger::new(Box::new(std::io::sink()), Box::new(std::io::sink()));
        assert_eq!(m.exit_value(), 0);
        m.msg(Severity::Warning, "w");
        assert_eq!(m.exit_value(), 0);
        m.msg(Severity::Sorry, "s");
        assert_eq!(m.exit_value(), 32);
        m.return_with = (Severity::Sorry, 0);
        assert_eq!(m.exit_value(), 0);
    }
}
