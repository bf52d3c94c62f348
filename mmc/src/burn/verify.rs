//! Read-back verification (`docs/mmc-notes.md` §3.7): READ(10) through the drive (SG_IO, never the
//! page-cached block device) compared with the image, block by block.

use std::io::Read;

use hal::Transport;
use log::info;

use super::{BurnProgress, Phase};
use crate::command::Read10;
use crate::{Drive, Error, Result};

const BLOCK: usize = 2048;

/// Reads `len` bytes of the disc from `start` and compares them with `source`. Only the
/// image's own blocks are read (not the padding, nor CD TAO run-out blocks after them); a
/// partial last block is compared on its image bytes.
///
/// # Errors
/// [`Error::Miscompare`] with the LBA of the first differing block; [`Error::Source`] when
/// the image cannot be read; drive errors (a READ(10) failure names its LBA).
pub fn verify<T: Transport, R: Read>(
    drive: &mut Drive<T>,
    start: u32,
    mut source: R,
    len: u64,
    progress: &mut dyn BurnProgress,
) -> Result<()> {
    progress.phase(Phase::Verifying);
    let max = (drive.transport().max_transfer() / BLOCK).clamp(1, 32);
    let chunk = u32::try_from(max).unwrap_or(32);
    let blocks = u32::try_from(len.div_ceil(BLOCK as u64)).unwrap_or(u32::MAX);
    let mut expected = vec![0u8; chunk as usize * BLOCK];
    let mut done = 0u32;
    while done < blocks {
        let n = chunk.min(blocks - done);
        let offset = u64::from(done) * BLOCK as u64;
        let bytes = usize::try_from((len - offset).min(u64::from(n) * BLOCK as u64)).unwrap_or(0);
        let want = expected.get_mut(..bytes).unwrap_or_default();
        source
            .read_exact(want)
            .map_err(|e| Error::Source { offset, source: e })?;
        let lba = start + done;
        let got = drive.run(&Read10::new(lba, u16::try_from(n).unwrap_or(1)))?;
        if let Some(pos) = want
            .iter()
            .zip(got.iter().chain(std::iter::repeat(&0)))
            .position(|(a, b)| a != b)
        {
            let block = u32::try_from(pos / BLOCK).unwrap_or(0);
            return Err(Error::Miscompare {
                lba: lba + block,
                offset: u32::try_from(pos % BLOCK).unwrap_or(0),
            });
        }
        done += n;
        progress.bytes((u64::from(done) * BLOCK as u64).min(len), len);
    }
    info!(
        "{}: verified {blocks} blocks from LBA {start}",
        drive.name()
    );
    Ok(())
}
