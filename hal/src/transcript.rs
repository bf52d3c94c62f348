use std::io::Write;

use crate::{Completion, Request, Result, Transport};

/// Formats one exchange as a transcript line:
/// `51 00 00 00 00 00 00 00 22 00 | in 34/34 | GOOD`, or with sense
/// `2A 00 … | out 32768/32768 | CHECK CONDITION 3/0C/00`.
///
/// The same format is used by the mock's own transcript and by [`Recorder`] on real drives, so
/// captures from hardware can be compared with mock runs line by line.
pub fn format_exchange(
    cdb: &[u8],
    direction: &str,
    requested: usize,
    outcome: &Result<Completion>,
) -> String {
    let mut line = String::with_capacity(80);
    for (i, b) in cdb.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(&format!("{b:02X}"));
    }
    match outcome {
        Ok(c) => {
            let moved = requested.saturating_sub(c.residual);
            line.push_str(&format!(
                " | {direction} {moved}/{requested} | {}",
                c.status
            ));
            let s = c.sense.as_slice();
            if !s.is_empty() {
                let (key, asc, ascq) = match s.first().map(|b| b & 0x7f) {
                    Some(0x72) | Some(0x73) => (s.get(1), s.get(2), s.get(3)),
                    _ => (s.get(2), s.get(12), s.get(13)),
                };
                let g = |b: Option<&u8>| b.copied().unwrap_or(0);
                line.push_str(&format!(
                    " {:X}/{:02X}/{:02X}",
                    g(key) & 0x0f,
                    g(asc),
                    g(ascq)
                ));
            }
        }
        Err(e) => line.push_str(&format!(
            " | {direction} 0/{requested} | TRANSPORT ERROR {e}"
        )),
    }
    line
}

/// A decorator that writes one transcript line per exchange to a writer, then passes the
/// result through unchanged. Use it on a real drive to capture a session for replay tests.
#[derive(Debug)]
pub struct Recorder<T, W> {
    inner: T,
    out: W,
}

impl<T: Transport, W: Write> Recorder<T, W> {
    /// Wraps `inner`, logging to `out`.
    pub fn new(inner: T, out: W) -> Self {
        Recorder { inner, out }
    }

    /// Returns the wrapped transport and writer.
    pub fn into_inner(self) -> (T, W) {
        (self.inner, self.out)
    }
}

impl<T: Transport, W: Write> Transport for Recorder<T, W> {
    fn execute(&mut self, req: Request<'_>) -> Result<Completion> {
        let cdb = req.cdb.to_vec();
        let dir = req.data.direction();
        let len = req.data.len();
        let outcome = self.inner.execute(req);
        // A failed transcript write must not turn a successful command into a failure.
        let _ = writeln!(self.out, "{}", format_exchange(&cdb, dir, len, &outcome));
        outcome
    }
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn max_transfer(&self) -> usize {
        self.inner.max_transfer()
    }
}
