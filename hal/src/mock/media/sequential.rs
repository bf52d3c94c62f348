//! The write-once (sequential recording) engine shared by CD-R/RW, DVD-R/RW Sequential,
//! DVD+R (DL) and BD-R SRM.
//!
//! A disc is a list of tracks grouped into sessions. While the disc is not complete the last
//! track is the *invisible track*: open-ended, starting where recorded data ends, with its
//! NWA at `start + recorded`. Writing to it makes it the incomplete track; CLOSE TRACK fixes
//! its size and opens a new invisible track after it; RESERVE TRACK fixes the size of an
//! empty invisible track in advance. CLOSE SESSION closes every open track, records the
//! session's lead-out and either opens a new session (after the family's lead-in/lead-out
//! gap) or finalizes the disc.

use serde::{Deserialize, Serialize};

use super::super::sense::{
    self, Sense, CANNOT_WRITE_MEDIUM_INCOMPATIBLE_FORMAT, COMMAND_SEQUENCE_ERROR,
    EMPTY_OR_PARTIALLY_WRITTEN_RESERVED_TRACK, ILLEGAL_MODE_FOR_THIS_TRACK,
    INVALID_ADDRESS_FOR_WRITE, INVALID_FIELD_IN_CDB, LBA_OUT_OF_RANGE,
};
use super::{round_up, DiscStatus, DiscSummary, SessionState, SessionView, TrackView};

/// One track. Addresses in blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Track {
    pub number: u16,
    pub session: u16,
    pub start: u32,
    /// Blocks written from `start` (the NWA is `start + recorded`).
    pub recorded: u32,
    /// Size fixed by RESERVE TRACK.
    #[serde(default)]
    pub reserved: Option<u32>,
    #[serde(default)]
    pub closed: bool,
    /// Blocks the drive appended when closing (CD TAO run-out): part of the track, unreadable.
    #[serde(default)]
    pub runout: u32,
}

/// A closed session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ClosedSession {
    pub number: u16,
    pub first_track: u16,
    pub last_track: u16,
    /// First block after the session's last track (its lead-out start).
    pub leadout: u32,
    /// Page 05 multi-session bits in force when it was closed (CD full TOC B0).
    pub multi: u8,
}

/// Numbers that differ per family.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    /// Blocks between the lead-out start of the first session and the next session's first
    /// track (CD: 90 s lead-out + 60 s lead-in + 2 s pregap = 11400).
    pub first_gap: u32,
    /// The same for later sessions (CD: 30 s lead-out + 60 s + 2 s = 6900).
    pub later_gap: u32,
    /// RESERVE TRACK rounds up to this many blocks (the ECC unit).
    pub reserve_unit: u32,
}

/// A write-once disc.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SeqDisc {
    pub capacity: u32,
    pub tracks: Vec<Track>,
    pub sessions: Vec<ClosedSession>,
    pub finalized: bool,
}

impl SeqDisc {
    /// A blank disc: session 1 holds the invisible track 1 at LBA 0.
    pub(crate) fn new(capacity: u32) -> SeqDisc {
        SeqDisc {
            capacity,
            tracks: vec![Track {
                number: 1,
                session: 1,
                start: 0,
                recorded: 0,
                reserved: None,
                closed: false,
                runout: 0,
            }],
            sessions: Vec::new(),
            finalized: false,
        }
    }

    fn size(&self, t: &Track) -> u32 {
        match t.reserved {
            Some(r) => r,
            None if t.closed => t.recorded.saturating_add(t.runout),
            None => self.capacity.saturating_sub(t.start),
        }
    }

    /// End of the area a track may be written to.
    fn limit(&self, t: &Track) -> u64 {
        match t.reserved {
            Some(r) => u64::from(t.start) + u64::from(r),
            None => u64::from(self.capacity),
        }
    }

    fn nwa(&self, t: &Track) -> Option<u32> {
        if t.closed || self.finalized {
            return None;
        }
        let next = u64::from(t.start) + u64::from(t.recorded);
        (next < self.limit(t)).then(|| u32::try_from(next).unwrap_or(u32::MAX))
    }

    fn is_empty(t: &Track) -> bool {
        t.recorded == 0 && t.reserved.is_none() && !t.closed
    }

    fn open_session(&self) -> u16 {
        u16::try_from(self.sessions.len() + 1).unwrap_or(u16::MAX)
    }

    /// Nothing recorded, reserved or closed anywhere.
    pub(crate) fn is_blank(&self) -> bool {
        self.sessions.is_empty() && self.tracks.iter().all(Self::is_empty)
    }

    pub(crate) fn status(&self) -> DiscStatus {
        if self.finalized {
            DiscStatus::Complete
        } else if self.is_blank() {
            DiscStatus::Blank
        } else {
            DiscStatus::Appendable
        }
    }

    /// The invisible track, if the disc has one.
    pub(crate) fn invisible(&self) -> Option<&Track> {
        let t = self.tracks.last()?;
        (!self.finalized && !t.closed && t.reserved.is_none()).then_some(t)
    }

    /// The number of the last track (what track FFh stands for on CD and DVD+R).
    pub(crate) fn last_track_number(&self) -> u16 {
        self.tracks.last().map_or(1, |t| t.number)
    }

    /// Disc information counts; families fill in the lead-in/lead-out addresses.
    pub(crate) fn summary(&self) -> DiscSummary {
        let status = self.status();
        let open = self.open_session();
        let last_session = if self.finalized {
            SessionState::Complete
        } else if self
            .tracks
            .iter()
            .filter(|t| t.session == open)
            .all(Self::is_empty)
        {
            SessionState::Empty
        } else {
            SessionState::Incomplete
        };
        let last_session_no = if self.finalized {
            self.sessions.last().map_or(1, |s| s.number)
        } else {
            open
        };
        let in_last = self.tracks.iter().filter(|t| t.session == last_session_no);
        let first_in_last = in_last.clone().map(|t| t.number).min().unwrap_or(1);
        let last_in_last = in_last.map(|t| t.number).max().unwrap_or(1);
        DiscSummary {
            status,
            last_session,
            sessions: last_session_no,
            first_track: 1,
            first_track_last_session: first_in_last,
            last_track_last_session: last_in_last,
            bg_format: 0,
            lead_in: match status {
                DiscStatus::Complete => None,
                _ => Some(self.invisible().map_or(0, |t| i64::from(t.start))),
            },
            last_lead_out: (status != DiscStatus::Complete).then_some(i64::from(self.capacity)),
        }
    }

    pub(crate) fn tracks_view(&self) -> Vec<TrackView> {
        let last = self.tracks.len().saturating_sub(1);
        self.tracks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let nwa = self.nwa(t);
                let free = nwa.map_or(0, |n| {
                    u32::try_from(self.limit(t).saturating_sub(u64::from(n))).unwrap_or(u32::MAX)
                });
                TrackView {
                    number: t.number,
                    session: t.session,
                    start: t.start,
                    size: self.size(t),
                    nwa,
                    free,
                    last_recorded: (t.recorded > 0).then(|| t.start.saturating_add(t.recorded - 1)),
                    blank: t.recorded == 0,
                    reserved: t.reserved.is_some(),
                    invisible: i == last && self.invisible().is_some(),
                    closed: t.closed,
                }
            })
            .collect()
    }

    /// Complete sessions. `cd_gaps` gives the rules for the CD full-TOC B0 pointer.
    pub(crate) fn sessions_view(&self, cd_gaps: Option<&Rules>) -> Vec<SessionView> {
        self.sessions
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let next_session = cd_gaps.and_then(|r| match s.multi {
                    0b11 => Some(Some(s.leadout.saturating_add(gap(r, i + 1)))),
                    0b01 => Some(None),
                    _ => None,
                });
                SessionView {
                    number: s.number,
                    first_track: s.first_track,
                    last_track: s.last_track,
                    leadout: s.leadout,
                    next_session,
                }
            })
            .collect()
    }

    /// The last readable LBA (READ CAPACITY), 0 when nothing is recorded.
    pub(crate) fn last_lba(&self) -> u32 {
        self.tracks
            .iter()
            .filter(|t| t.recorded > 0)
            .map(|t| {
                let runout = if t.closed { t.runout } else { 0 };
                t.start
                    .saturating_add(t.recorded)
                    .saturating_add(runout)
                    .saturating_sub(1)
            })
            .max()
            .unwrap_or(0)
    }

    /// Recorded blocks read; run-out fails 05/64/00; anything else (unwritten, gaps,
    /// beyond capacity) 05/21/00. INFORMATION holds the first failing LBA.
    pub(crate) fn check_read(&self, lba: u32, blocks: u32) -> Result<(), Sense> {
        let end = u64::from(lba) + u64::from(blocks);
        let mut cur = u64::from(lba);
        while cur < end {
            let info = u32::try_from(cur).unwrap_or(u32::MAX);
            let t = self
                .tracks
                .iter()
                .find(|t| {
                    let runout = if t.closed { t.runout } else { 0 };
                    let stop = u64::from(t.start) + u64::from(t.recorded) + u64::from(runout);
                    u64::from(t.start) <= cur && cur < stop
                })
                .ok_or(LBA_OUT_OF_RANGE.with_info(info))?;
            let data_end = u64::from(t.start) + u64::from(t.recorded);
            if cur >= data_end {
                return Err(ILLEGAL_MODE_FOR_THIS_TRACK.with_info(info));
            }
            cur = end.min(data_end);
        }
        Ok(())
    }

    /// The index of the track whose NWA is `lba`, or the sense a drive gives for a write
    /// there.
    pub(crate) fn writable_track(&self, lba: u32) -> Result<usize, Sense> {
        if self.finalized {
            return Err(CANNOT_WRITE_MEDIUM_INCOMPATIBLE_FORMAT);
        }
        if lba >= self.capacity {
            return Err(LBA_OUT_OF_RANGE.with_info(lba));
        }
        self.tracks
            .iter()
            .position(|t| self.nwa(t) == Some(lba))
            .ok_or(INVALID_ADDRESS_FOR_WRITE.with_info(lba))
    }

    /// Records `blocks` at the NWA of track `idx`.
    pub(crate) fn record(&mut self, idx: usize, blocks: u32) -> Result<(), Sense> {
        let Some(t) = self.tracks.get(idx) else {
            return Err(INVALID_ADDRESS_FOR_WRITE);
        };
        let next = u64::from(t.start) + u64::from(t.recorded);
        if next + u64::from(blocks) > self.limit(t) {
            let info = u32::try_from(self.limit(t)).unwrap_or(u32::MAX);
            return Err(LBA_OUT_OF_RANGE.with_info(info));
        }
        if let Some(t) = self.tracks.get_mut(idx) {
            t.recorded = t.recorded.saturating_add(blocks);
        }
        Ok(())
    }

    /// Writes at the NWA: the common case for families without extra rules.
    pub(crate) fn write(&mut self, lba: u32, blocks: u32) -> Result<(), Sense> {
        let idx = self.writable_track(lba)?;
        self.record(idx, blocks)
    }

    pub(crate) fn start_of(&self, idx: usize) -> u32 {
        self.tracks.get(idx).map_or(0, |t| t.start)
    }

    pub(crate) fn is_reserved(&self, idx: usize) -> bool {
        self.tracks.get(idx).is_some_and(|t| t.reserved.is_some())
    }

    /// Power loss: blocks from `lba` on were never recorded.
    pub(crate) fn forget(&mut self, lba: u32, _blocks: u32) {
        for t in self.tracks.iter_mut().filter(|t| !t.closed) {
            if t.start <= lba && u64::from(lba) < u64::from(t.start) + u64::from(t.recorded) {
                t.recorded = lba - t.start;
            }
        }
    }

    /// CLOSE TRACK (function 001b). Closing the empty invisible track does nothing.
    pub(crate) fn close_track(&mut self, number: u16, runout: u32) -> Result<(), Sense> {
        if self.finalized {
            return Err(CANNOT_WRITE_MEDIUM_INCOMPATIBLE_FORMAT);
        }
        let idx = self
            .tracks
            .iter()
            .position(|t| t.number == number)
            .ok_or(INVALID_FIELD_IN_CDB)?;
        let Some(t) = self.tracks.get(idx) else {
            return Err(INVALID_FIELD_IN_CDB);
        };
        if t.closed {
            return Err(INVALID_FIELD_IN_CDB);
        }
        if Self::is_empty(t) {
            return Ok(());
        }
        let was_invisible = t.reserved.is_none();
        if let Some(t) = self.tracks.get_mut(idx) {
            t.closed = true;
            if was_invisible {
                t.runout = runout;
            }
        }
        if was_invisible {
            let (number, session, next) = match self.tracks.get(idx) {
                Some(t) => (t.number, t.session, t.start.saturating_add(self.size(t))),
                None => return Ok(()),
            };
            if next < self.capacity {
                self.tracks.push(Track {
                    number: number.saturating_add(1),
                    session,
                    start: next,
                    recorded: 0,
                    reserved: None,
                    closed: false,
                    runout: 0,
                });
            }
        }
        Ok(())
    }

    /// RESERVE TRACK: fixes the size of the empty invisible track.
    pub(crate) fn reserve(&mut self, blocks: u32, rules: &Rules) -> Result<(), Sense> {
        if self.finalized {
            return Err(CANNOT_WRITE_MEDIUM_INCOMPATIBLE_FORMAT);
        }
        if blocks == 0 {
            return Err(INVALID_FIELD_IN_CDB);
        }
        let size = round_up(blocks, rules.reserve_unit);
        let capacity = self.capacity;
        let t = match self.tracks.last_mut() {
            Some(t) if !t.closed && t.reserved.is_none() && t.recorded == 0 => t,
            _ => return Err(COMMAND_SEQUENCE_ERROR),
        };
        let end = u64::from(t.start) + u64::from(size);
        if end > u64::from(capacity) {
            return Err(LBA_OUT_OF_RANGE);
        }
        t.reserved = Some(size);
        let next = Track {
            number: t.number.saturating_add(1),
            session: t.session,
            start: u32::try_from(end).unwrap_or(u32::MAX),
            recorded: 0,
            reserved: None,
            closed: false,
            runout: 0,
        };
        if next.start < capacity {
            self.tracks.push(next);
        }
        Ok(())
    }

    /// CLOSE SESSION: closes the open session's tracks; then finalizes the disc or opens the
    /// next session after the lead-out/lead-in gap. An empty open session is left alone
    /// unless `finalize` asks to close the disc.
    pub(crate) fn close_session(
        &mut self,
        finalize: bool,
        multi: u8,
        runout: u32,
        rules: &Rules,
    ) -> Result<(), Sense> {
        if self.finalized {
            return Err(CANNOT_WRITE_MEDIUM_INCOMPATIBLE_FORMAT);
        }
        let open = self.open_session();
        if self
            .tracks
            .iter()
            .filter(|t| t.session == open)
            .all(Self::is_empty)
        {
            if finalize && !self.sessions.is_empty() {
                self.tracks.retain(|t| t.session != open);
                self.finalized = true;
            }
            return Ok(());
        }
        if self
            .tracks
            .iter()
            .any(|t| t.session == open && !t.closed && t.reserved.is_some_and(|r| t.recorded < r))
        {
            return Err(EMPTY_OR_PARTIALLY_WRITTEN_RESERVED_TRACK);
        }
        self.tracks
            .retain(|t| t.session != open || !Self::is_empty(t));
        for t in self
            .tracks
            .iter_mut()
            .filter(|t| t.session == open && !t.closed)
        {
            t.closed = true;
            if t.reserved.is_none() {
                t.runout = runout;
            }
        }
        let in_session: Vec<&Track> = self.tracks.iter().filter(|t| t.session == open).collect();
        let first_track = in_session.first().map_or(1, |t| t.number);
        let (last_track, leadout) = match in_session.last() {
            Some(t) => (t.number, t.start.saturating_add(self.size(t))),
            None => return Ok(()),
        };
        self.sessions.push(ClosedSession {
            number: open,
            first_track,
            last_track,
            leadout,
            multi,
        });
        if finalize {
            self.finalized = true;
            return Ok(());
        }
        let start = u64::from(leadout) + u64::from(gap(rules, self.sessions.len()));
        match u32::try_from(start) {
            Ok(start) if start < self.capacity => self.tracks.push(Track {
                number: last_track.saturating_add(1),
                session: open.saturating_add(1),
                start,
                recorded: 0,
                reserved: None,
                closed: false,
                runout: 0,
            }),
            // No room for another session: the disc is full.
            _ => self.finalized = true,
        }
        Ok(())
    }
}

/// The gap after the `closed`-th closed session (1-based).
fn gap(rules: &Rules, closed: usize) -> u32 {
    if closed <= 1 {
        rules.first_gap
    } else {
        rules.later_gap
    }
}

/// Sense for a write-class command on a finalized disc.
pub(crate) const COMPLETE: Sense = sense::CANNOT_WRITE_MEDIUM_INCOMPATIBLE_FORMAT;

#[cfg(test)]
mod tests {
    use super::*;

    const CD: Rules = Rules {
        first_gap: 11_400,
        later_gap: 6_900,
        reserve_unit: 1,
    };
    const DVD: Rules = Rules {
        first_gap: 0,
        later_gap: 0,
        reserve_unit: 16,
    };

    #[test]
    fn blank_then_write_then_close_sessions() {
        let mut d = SeqDisc::new(1000);
        assert_eq!(d.status(), DiscStatus::Blank);
        assert_eq!(d.summary().last_session, SessionState::Empty);
        d.write(0, 10).unwrap();
        assert_eq!(d.status(), DiscStatus::Appendable);
        assert_eq!(d.summary().last_session, SessionState::Incomplete);
        assert_eq!(
            d.writable_track(5),
            Err(INVALID_ADDRESS_FOR_WRITE.with_info(5))
        );
        d.write(10, 6).unwrap();
        let t = &d.tracks_view()[0];
        assert_eq!((t.nwa, t.free, t.invisible), (Some(16), 984, true));
        d.close_session(false, 0b11, 0, &DVD).unwrap();
        let v = d.tracks_view();
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].size, v[0].closed), (16, true));
        assert_eq!(
            (v[1].number, v[1].session, v[1].start, v[1].nwa),
            (2, 2, 16, Some(16))
        );
        let s = d.summary();
        assert_eq!(
            (
                s.sessions,
                s.first_track_last_session,
                s.last_track_last_session
            ),
            (2, 2, 2)
        );
        assert_eq!(s.last_session, SessionState::Empty);
        d.write(16, 4).unwrap();
        d.close_session(true, 0, 0, &DVD).unwrap();
        assert_eq!(d.status(), DiscStatus::Complete);
        assert_eq!(d.write(20, 1), Err(COMPLETE));
        assert_eq!(d.sessions.len(), 2);
        assert_eq!(d.last_lba(), 19);
    }

    #[test]
    fn cd_gaps_and_runout() {
        let mut d = SeqDisc::new(359_849);
        d.write(0, 300).unwrap();
        d.close_track(1, 2).unwrap();
        // Track 2 starts right after track 1's run-out.
        assert_eq!(d.tracks_view()[1].start, 302);
        assert_eq!(d.check_read(299, 1), Ok(()));
        assert_eq!(
            d.check_read(300, 1),
            Err(ILLEGAL_MODE_FOR_THIS_TRACK.with_info(300))
        );
        assert_eq!(d.check_read(302, 1), Err(LBA_OUT_OF_RANGE.with_info(302)));
        d.close_session(false, 0b11, 2, &CD).unwrap();
        // The empty track 2 was dropped; session 2 starts 11400 after the lead-out (302).
        let v = d.tracks_view();
        assert_eq!((v[1].number, v[1].start), (2, 302 + 11_400));
        d.write(302 + 11_400, 300).unwrap();
        d.close_session(false, 0b11, 2, &CD).unwrap();
        let v = d.tracks_view();
        assert_eq!(v[2].start, 302 + 11_400 + 302 + 6_900);
        let s = d.sessions_view(Some(&CD));
        assert_eq!(s[0].next_session, Some(Some(302 + 11_400)));
        assert_eq!(s[1].next_session, Some(Some(v[2].start)));
    }

    #[test]
    fn reserve_and_partial_reserved_track() {
        let mut d = SeqDisc::new(1000);
        d.reserve(20, &DVD).unwrap();
        let v = d.tracks_view();
        assert_eq!((v[0].size, v[0].reserved, v[1].start), (32, true, 32));
        assert_eq!(d.reserve(16, &DVD), Ok(()));
        d.write(0, 16).unwrap();
        assert_eq!(
            d.close_session(false, 3, 0, &DVD),
            Err(EMPTY_OR_PARTIALLY_WRITTEN_RESERVED_TRACK)
        );
        // Writes past the reservation fail; the next track's NWA is its own start.
        assert_eq!(d.write(16, 32), Err(LBA_OUT_OF_RANGE.with_info(32)));
        d.write(16, 16).unwrap();
        d.write(32, 16).unwrap();
        d.close_session(false, 3, 0, &DVD).unwrap();
        assert_eq!(d.sessions[0].leadout, 48);
        assert_eq!(d.sessions[0].last_track, 2);
    }

    #[test]
    fn forget_rolls_back_the_nwa() {
        let mut d = SeqDisc::new(1000);
        d.write(0, 10).unwrap();
        d.write(10, 10).unwrap();
        d.forget(10, 10);
        assert_eq!(d.tracks_view()[0].nwa, Some(10));
        d.forget(0, 10);
        assert_eq!(d.status(), DiscStatus::Blank);
    }

    #[test]
    fn capacity_overrun_and_full_disc() {
        let mut d = SeqDisc::new(100);
        assert_eq!(d.write(0, 101), Err(LBA_OUT_OF_RANGE.with_info(100)));
        assert_eq!(d.write(100, 1), Err(LBA_OUT_OF_RANGE.with_info(100)));
        d.write(0, 100).unwrap();
        assert_eq!(d.tracks_view()[0].nwa, None);
        // No room for another session: closing it completes the disc.
        d.close_session(false, 3, 0, &CD).unwrap();
        assert_eq!(d.status(), DiscStatus::Complete);
    }

    #[test]
    fn finalize_empty_open_session() {
        let mut d = SeqDisc::new(1000);
        d.close_session(true, 0, 0, &DVD).unwrap();
        assert_eq!(
            d.status(),
            DiscStatus::Blank,
            "finalizing a blank disc does nothing"
        );
        d.write(0, 16).unwrap();
        d.close_session(false, 3, 0, &DVD).unwrap();
        d.close_session(true, 0, 0, &DVD).unwrap();
        assert_eq!(d.status(), DiscStatus::Complete);
        assert_eq!(d.tracks.len(), 1);
        assert_eq!(d.summary().sessions, 1);
    }
}
