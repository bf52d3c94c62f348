use std::fmt;

use super::{Command, Opcode, Transfer};
use crate::bytes;
use crate::ParseError;

/// GET EVENT STATUS NOTIFICATION (4Ah), MMC-6 §6.7, polled: tray and medium state without a
/// medium access (MECHANISM STATUS is root-only under Linux).
///
/// The event descriptor length (b0-1) is `total − 2` in MMC (0006h with a media descriptor)
/// but QEMU writes `total − 4` (0004h), and Linux only checks ≥ 4; the parser accepts both.
/// Events are consumed when read, and the kernel's own polling may consume them first.
#[doc(alias = "GET EVENT STATUS NOTIFICATION")]
#[doc(alias = "GESN")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetEventStatusNotification {
    /// Notification class request mask (b4): 02h operational change, 04h power management,
    /// 08h external request, 10h media, 20h multiple hosts, 40h device busy.
    pub class_request: u8,
    /// Allocation length (b7-8).
    pub allocation_length: u16,
}

impl GetEventStatusNotification {
    /// Media class mask bit.
    pub const MEDIA_CLASS: u8 = 0x10;

    /// Media class, 8 bytes: `4A 01 00 00 10 00 00 00 08 00`.
    pub fn media() -> Self {
        GetEventStatusNotification {
            class_request: Self::MEDIA_CLASS,
            allocation_length: 8,
        }
    }
}

impl Default for GetEventStatusNotification {
    fn default() -> Self {
        Self::media()
    }
}

/// A media event code (media descriptor b0 bits 3-0). An open code space.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MediaEvent(pub u8);

impl MediaEvent {
    /// 0: no change.
    pub const NO_CHANGE: MediaEvent = MediaEvent(0);
    /// 1: the user pressed eject (reported when the drive is locked).
    pub const EJECT_REQUEST: MediaEvent = MediaEvent(1);
    /// 2: a medium was inserted.
    pub const NEW_MEDIA: MediaEvent = MediaEvent(2);
    /// 3: the medium was removed.
    pub const MEDIA_REMOVAL: MediaEvent = MediaEvent(3);
    /// 4: the medium changed.
    pub const MEDIA_CHANGED: MediaEvent = MediaEvent(4);
    /// 5: background format completed.
    pub const BG_FORMAT_COMPLETED: MediaEvent = MediaEvent(5);
    /// 6: background format restarted.
    pub const BG_FORMAT_RESTARTED: MediaEvent = MediaEvent(6);

    /// The event's name.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "no change",
            1 => "eject request",
            2 => "new media",
            3 => "media removal",
            4 => "media changed",
            5 => "background format completed",
            6 => "background format restarted",
            _ => "reserved",
        }
    }
}

impl fmt::Debug for MediaEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MediaEvent({} {})", self.0, self.name())
    }
}

/// The media class event descriptor (MMC-6 table 137).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaStatus {
    /// b0 bits 3-0.
    pub event: MediaEvent,
    /// b1 bit 0: door or tray open.
    pub door_open: bool,
    /// b1 bit 1: a medium is present.
    pub media_present: bool,
    /// b2.
    pub start_slot: u8,
    /// b3.
    pub end_slot: u8,
}

/// A decoded GESN reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStatus {
    /// b0-1 as reported.
    pub event_data_length: u16,
    /// b2 bit 7 NEA: no event (class) available.
    pub no_event_available: bool,
    /// b2 bits 2-0: notification class of the descriptor (4 = media).
    pub notification_class: u8,
    /// b3: supported event classes mask.
    pub supported_classes: u8,
    /// The media descriptor, when the reply carries one.
    pub media: Option<MediaStatus>,
    /// The raw event descriptor bytes (any class).
    pub descriptor: Vec<u8>,
}

impl Command for GetEventStatusNotification {
    const NAME: &'static str = "GET EVENT STATUS NOTIFICATION";
    type Cdb = [u8; 10];
    type Response = EventStatus;

    fn cdb(&self) -> [u8; 10] {
        let [a0, a1] = self.allocation_length.to_be_bytes();
        // b1 bit 0 Polled = 1: asynchronous notification is not supported through SG_IO.
        [
            Opcode::GET_EVENT_STATUS_NOTIFICATION.0,
            0x01,
            0,
            0,
            self.class_request,
            0,
            0,
            a0,
            a1,
            0,
        ]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::In(usize::from(self.allocation_length))
    }

    fn parse(&self, data: &[u8]) -> Result<EventStatus, ParseError> {
        bytes::need(data, 4, "event status header")?;
        let len = bytes::be_u16(data, 0)?;
        let b2 = bytes::u8_at(data, 2)?;
        let nea = bytes::bit(b2, 7);
        let class = b2 & 0x07;
        // Lenient: with MMC's `total − 2` the descriptor ends at len + 2; with QEMU's
        // `total − 4` at len + 4. Take up to len + 4, clipped to what arrived; a length below
        // 4 means "header only" under both readings (0002h MMC, 0000h QEMU).
        let descriptor = if nea || len < 4 {
            Vec::new()
        } else {
            bytes::tail(bytes::clip(data, 4 + usize::from(len)), 4).to_vec()
        };
        let media = if class == 4 && descriptor.len() >= 4 {
            let b0 = bytes::u8_at(&descriptor, 0)?;
            let b1 = bytes::u8_at(&descriptor, 1)?;
            Some(MediaStatus {
                event: MediaEvent(b0 & 0x0f),
                door_open: bytes::bit(b1, 0),
                media_present: bytes::bit(b1, 1),
                start_slot: bytes::u8_at(&descriptor, 2)?,
                end_slot: bytes::u8_at(&descriptor, 3)?,
            })
        } else {
            None
        };
        Ok(EventStatus {
            event_data_length: len,
            no_event_available: nea,
            notification_class: class,
            supported_classes: bytes::u8_at(data, 3)?,
            media,
            descriptor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(d: &[u8]) -> EventStatus {
        GetEventStatusNotification::media().parse(d).unwrap()
    }

    #[test]
    fn cdb() {
        // docs/qemu-notes.md §2 and docs/mmc-notes.md §2.1: 4a 01 00 00 10 00 00 00 08 00
        assert_eq!(
            GetEventStatusNotification::media().cdb(),
            [0x4a, 0x01, 0, 0, 0x10, 0, 0, 0, 0x08, 0]
        );
    }

    #[test]
    fn qemu_total_minus_four() {
        // docs/qemu-notes.md §3.9: 00 04 04 10 00 02 00 00 — length 4 (QEMU),
        // class 4 media, supports media only, no event, medium present.
        let e = parse(&[0x00, 0x04, 0x04, 0x10, 0x00, 0x02, 0x00, 0x00]);
        assert!(!e.no_event_available);
        assert_eq!(e.notification_class, 4);
        assert_eq!(e.supported_classes, 0x10);
        let m = e.media.unwrap();
        assert_eq!(m.event, MediaEvent::NO_CHANGE);
        assert!(m.media_present && !m.door_open);
        // docs/qemu-notes.md §4, tray open: status 01.
        let m = parse(&[0x00, 0x04, 0x04, 0x10, 0x00, 0x01, 0x00, 0x00])
            .media
            .unwrap();
        assert!(m.door_open && !m.media_present);
        // docs/qemu-notes.md §5: closed and empty.
        let m = parse(&[0x00, 0x04, 0x04, 0x10, 0x00, 0x00, 0x00, 0x00])
            .media
            .unwrap();
        assert!(!m.door_open && !m.media_present);
        // docs/qemu-notes.md §7: NewMedia (2), EjectRequest (1).
        let m = parse(&[0x00, 0x04, 0x04, 0x10, 0x02, 0x02, 0x00, 0x00])
            .media
            .unwrap();
        assert_eq!(m.event, MediaEvent::NEW_MEDIA);
        let m = parse(&[0x00, 0x04, 0x04, 0x10, 0x01, 0x02, 0x00, 0x00])
            .media
            .unwrap();
        assert_eq!(m.event, MediaEvent::EJECT_REQUEST);
    }

    #[test]
    fn mmc_total_minus_two() {
        // MMC-6 table 134: length 0006h with one media descriptor; 0002h header only.
        let e = parse(&[0x00, 0x06, 0x04, 0x10, 0x04, 0x02, 0x00, 0x00]);
        assert_eq!(e.media.unwrap().event, MediaEvent::MEDIA_CHANGED);
        let e = parse(&[0x00, 0x02, 0x04, 0x10, 0x00, 0x00, 0x00, 0x00]);
        assert!(e.media.is_none());
        // NEA set: no descriptor even if bytes follow.
        let e = parse(&[0x00, 0x02, 0x80, 0x10, 0x02, 0x02, 0x00, 0x00]);
        assert!(e.no_event_available && e.media.is_none());
        // A descriptor cut short by the allocation length.
        assert!(parse(&[0x00, 0x06, 0x04, 0x10, 0x02, 0x02]).media.is_none());
        assert!(GetEventStatusNotification::media()
            .parse(&[0, 6, 4])
            .is_err());
    }

    proptest! {
        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..16)) {
            let _ = GetEventStatusNotification::media().parse(&raw);
        }
    }
}
