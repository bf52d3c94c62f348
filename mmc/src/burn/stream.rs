//! The image as owned buffers passed from a producer thread to the burner. The burner sends
//! slices of each buffer to WRITE as they are, and hands emptied buffers back for reuse, so a
//! streamed burn copies the image once on this side of the transport (into the buffers).

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// Creates a pipe of at most `depth` queued buffers of `chunk` bytes. Give the producer the
/// [`ChunkWriter`] and [`super::Burner::burn_stream`] the [`ChunkStream`]. For the fewest
/// copies, make `chunk` a multiple of [`super::Burner::write_bytes`].
pub fn chunk_pipe(chunk: usize, depth: usize) -> (ChunkWriter, ChunkStream) {
    let chunk = chunk.max(1);
    let (tx, rx) = mpsc::sync_channel(depth.max(1));
    // Room for every buffer in flight, so a returned buffer is never dropped for want of space.
    let (spare_tx, spare_rx) = mpsc::sync_channel(depth.max(1) + 2);
    (
        ChunkWriter {
            tx,
            spares: spare_rx,
            buf: Vec::new(),
            chunk,
        },
        ChunkStream {
            rx,
            spares: spare_tx,
        },
    )
}

/// The producing end: a [`Write`] that queues each `chunk` bytes it is given as one buffer.
/// [`ChunkWriter::finish`] queues the last, shorter buffer; [`ChunkWriter::fail`] passes an
/// error on. Dropped without either, the stream ends early and the burner reports the source
/// as short.
#[derive(Debug)]
pub struct ChunkWriter {
    tx: SyncSender<io::Result<Vec<u8>>>,
    spares: Receiver<Vec<u8>>,
    buf: Vec<u8>,
    chunk: usize,
}

impl ChunkWriter {
    /// A buffer back from the burner, or a new one.
    fn spare(&self) -> Vec<u8> {
        self.spares
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(self.chunk))
    }

    fn send(&self, buf: Vec<u8>) -> io::Result<()> {
        self.tx
            .send(Ok(buf))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the burner stopped reading"))
    }

    /// Queues exactly `len` bytes of `r`, read straight into the buffers (no intermediate
    /// copy); the stream position stays chunk-aligned.
    ///
    /// # Errors
    /// A read error, or the source ending before `len` bytes (`UnexpectedEof`); the burner
    /// going away (`BrokenPipe`).
    pub fn copy_from<R: Read>(&mut self, r: &mut R, len: u64) -> io::Result<()> {
        let mut left = len;
        while left > 0 {
            // Top up a partly filled buffer first, so boundaries stay where `write` put them.
            let (mut buf, have) = if self.buf.is_empty() {
                (self.spare(), 0)
            } else {
                let have = self.buf.len();
                (std::mem::take(&mut self.buf), have)
            };
            let n = usize::try_from(left.min((self.chunk - have) as u64)).unwrap_or(0);
            // A reused buffer is usually already this long; only new memory is zeroed.
            buf.resize(have + n, 0);
            r.read_exact(buf.get_mut(have..).unwrap_or(&mut []))?;
            left -= n as u64;
            if buf.len() == self.chunk {
                self.send(buf)?;
            } else {
                self.buf = buf;
            }
        }
        Ok(())
    }

    /// Queues what is left and ends the stream.
    ///
    /// # Errors
    /// The burner going away (`BrokenPipe`).
    pub fn finish(mut self) -> io::Result<()> {
        let buf = std::mem::take(&mut self.buf);
        if buf.is_empty() {
            Ok(())
        } else {
            self.send(buf)
        }
    }

    /// Ends the stream with an error, which the burner reports with the offset it reached.
    pub fn fail(self, e: io::Error) {
        // If the burner has already stopped there is no one left to tell.
        let _ = self.tx.send(Err(e));
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.is_empty() {
            self.buf = self.spare();
            self.buf.clear();
        }
        let n = data.len().min(self.chunk - self.buf.len());
        self.buf.extend_from_slice(data.get(..n).unwrap_or(&[]));
        if self.buf.len() == self.chunk {
            let full = std::mem::take(&mut self.buf);
            self.send(full)?;
        }
        Ok(n)
    }

    /// Does nothing: buffers are queued when full, and [`ChunkWriter::finish`] queues the
    /// rest. Queuing a partial buffer here would move the stream off the WRITE boundaries.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The consuming end, for [`super::Burner::burn_stream`].
#[derive(Debug)]
pub struct ChunkStream {
    rx: Receiver<io::Result<Vec<u8>>>,
    spares: SyncSender<Vec<u8>>,
}

impl ChunkStream {
    /// The next buffer; `None` when the producer is gone.
    pub(crate) fn next(&self) -> Option<io::Result<Vec<u8>>> {
        self.rx.recv().ok()
    }

    /// Gives a buffer back to the producer.
    pub(crate) fn recycle(&self, buf: Vec<u8>) {
        // A full spare queue just means the producer has enough.
        let _ = self.spares.try_send(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_keep_chunk_boundaries_and_reuse_buffers() {
        let (mut w, s) = chunk_pipe(8, 4);
        let producer = std::thread::spawn(move || {
            w.write_all(b"abc").unwrap();
            w.flush().unwrap();
            w.copy_from(&mut &b"defghijklmnopq"[..], 14).unwrap();
            w.write_all(b"rs").unwrap();
            w.finish().unwrap();
        });
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        while let Some(b) = s.next() {
            let b = b.unwrap();
            sizes.push(b.len());
            got.extend_from_slice(&b);
            s.recycle(b);
        }
        producer.join().unwrap();
        assert_eq!(got, b"abcdefghijklmnopqrs");
        assert_eq!(sizes, [8, 8, 3]);
    }

    #[test]
    fn a_short_source_and_a_failure_reach_the_consumer() {
        let (mut w, s) = chunk_pipe(4, 2);
        let e = w.copy_from(&mut &b"ab"[..], 3).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        w.fail(e);
        assert_eq!(
            s.next().unwrap().unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
        assert!(s.next().is_none());
    }

    #[test]
    fn a_gone_burner_is_a_broken_pipe() {
        let (mut w, s) = chunk_pipe(2, 1);
        drop(s);
        assert_eq!(
            w.write_all(b"abcd").unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
    }
}
