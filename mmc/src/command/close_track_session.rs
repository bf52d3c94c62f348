use std::fmt;
use std::time::Duration;

use super::{timeouts, Command, Opcode, Transfer};
use crate::ParseError;

/// The close function (b2 bits 2-0) of CLOSE TRACK/SESSION; meaning depends on the medium
/// (`docs/mmc-notes.md` §2.2.11 table).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseFunction(pub u8);

impl CloseFunction {
    /// 000b: DVD+RW — quick stop of a background format (de-icing).
    pub const STOP_BG_FORMAT: CloseFunction = CloseFunction(0);
    /// 001b: close a track / RZone / fragment.
    pub const CLOSE_TRACK: CloseFunction = CloseFunction(1);
    /// 010b: close the session (CD/DVD-R: finalize or not per page 05h; DVD+R, BD-R: stays
    /// appendable; DVD+RW: compatible stop of background format).
    pub const CLOSE_SESSION: CloseFunction = CloseFunction(2);
    /// 101b: DVD+R (DL) — close session and finalize with minimal radius.
    pub const FINALIZE_MINIMAL_RADIUS: CloseFunction = CloseFunction(5);
    /// 110b: DVD+R, BD-R — finalize the disc.
    pub const FINALIZE: CloseFunction = CloseFunction(6);
}

impl fmt::Debug for CloseFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CloseFunction({:03b}b)", self.0)
    }
}

/// CLOSE TRACK/SESSION (5Bh), MMC-6 §6.3. Send with Immed and poll; other commands may see
/// NOT READY 04/07 meanwhile.
#[doc(alias = "CLOSE TRACK/SESSION")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseTrackSession {
    /// Immed (b1 bit 0).
    pub immediate: bool,
    /// b2 bits 2-0.
    pub function: CloseFunction,
    /// b4-5: track number (close track), else 0.
    pub track: u16,
}

impl CloseTrackSession {
    /// Close track `n`, Immed: `5B 01 01 00 NN NN 00 00 00 00`.
    pub fn close_track(track: u16) -> Self {
        CloseTrackSession {
            immediate: true,
            function: CloseFunction::CLOSE_TRACK,
            track,
        }
    }

    /// Close the session, Immed: `5B 01 02 …`.
    pub fn close_session() -> Self {
        Self::function(CloseFunction::CLOSE_SESSION)
    }

    /// Any close function with track 0, Immed.
    pub fn function(function: CloseFunction) -> Self {
        CloseTrackSession {
            immediate: true,
            function,
            track: 0,
        }
    }
}

impl Command for CloseTrackSession {
    const NAME: &'static str = "CLOSE TRACK/SESSION";
    type Cdb = [u8; 10];
    type Response = ();

    fn cdb(&self) -> [u8; 10] {
        let [t0, t1] = self.track.to_be_bytes();
        [
            Opcode::CLOSE_TRACK_SESSION.0,
            u8::from(self.immediate),
            self.function.0 & 0x07,
            0,
            t0,
            t1,
            0,
            0,
            0,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::None
    }

    fn parse(&self, _data: &[u8]) -> Result<(), ParseError> {
        Ok(())
    }

    fn timeout(&self) -> Duration {
        if self.immediate {
            timeouts::WRITE
        } else {
            timeouts::CLOSE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdbs() {
        // docs/mmc-notes.md §2.1 examples.
        assert_eq!(
            CloseTrackSession::close_track(0x0102).cdb(),
            [0x5b, 0x01, 0x01, 0, 0x01, 0x02, 0, 0, 0, 0]
        );
        assert_eq!(
            CloseTrackSession::close_session().cdb(),
            [0x5b, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            CloseTrackSession::function(CloseFunction::FINALIZE_MINIMAL_RADIUS).cdb()[2],
            0x05
        );
        assert_eq!(
            CloseTrackSession::function(CloseFunction::FINALIZE).cdb()[2],
            0x06
        );
        assert_eq!(
            CloseTrackSession::function(CloseFunction::STOP_BG_FORMAT).cdb(),
            [0x5b, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }
}
