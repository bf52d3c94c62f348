//! The mmc crate's CDB encoders against the mock's independent decoder: what one side means,
//! the other must understand. A field put in the wrong byte shows up as data at the wrong
//! LBA, a wrong length, or a refused command.

use hal::mock::MediaKind;
use mmc::command::{GetConfiguration, Read10, Read12, ReadTrackInformation, Write10, Write12};
use mmc::FeatureCode;
use proptest::prelude::*;
use tests::{pattern, MockDisc};

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random writes with WRITE(10) or WRITE(12) on a formatted BD-RE read back the same
    /// through READ(10) and READ(12), at the same LBA.
    #[test]
    fn write_then_read_lands_at_the_encoded_lba(lba in 0u32..12_000_000, blocks in 1u32..=32, wide in any::<bool>()) {
        let disc = MockDisc::with(MediaKind::BdRe, false);
        disc.settle();
        let mut d = disc.mmc();
        let data = pattern(lba, blocks);
        if wide {
            d.run(&Write12::new(lba, &data).unwrap()).unwrap();
        } else {
            d.run(&Write10::new(lba, &data).unwrap()).unwrap();
        }
        let a = d.run(&Read10::new(lba, blocks as u16)).unwrap();
        let b = d.run(&Read12::new(lba, blocks)).unwrap();
        prop_assert!(a == data, "READ(10) returned other bytes");
        prop_assert!(b == data, "READ(12) returned other bytes");
        // The neighbours were not touched (they read as zeros on a fresh medium).
        if lba > 0 {
            let before = d.run(&Read10::new(lba - 1, 1)).unwrap();
            prop_assert!(before.iter().all(|&x| x == 0));
        }
    }

    /// READ TRACK INFORMATION by track number, by LBA inside the track and by session number
    /// all name the same track.
    #[test]
    fn track_information_address_types_agree(blocks in 16u32..2000) {
        let disc = MockDisc::with(MediaKind::DvdPlusR, true);
        let m = tests::SEQUENTIAL.iter().find(|m| m.kind == MediaKind::DvdPlusR).unwrap();
        let w = disc.write_session(m, blocks, false);
        let mut d = disc.mmc();
        let by_track = d.run(&ReadTrackInformation::track(w.track)).unwrap();
        let by_lba = d.run(&ReadTrackInformation::lba(w.start + w.blocks / 2)).unwrap();
        let by_session = d.run(&ReadTrackInformation::session(1)).unwrap();
        prop_assert_eq!(by_track.track_start, w.start);
        prop_assert_eq!(by_track.track_size, w.blocks);
        prop_assert_eq!(by_lba.track_number, by_track.track_number);
        prop_assert_eq!(by_session.track_number, by_track.track_number);
    }

    /// GET CONFIGURATION with RT=10b returns exactly the asked feature, and the parse of a
    /// clipped allocation never claims more than it got.
    #[test]
    fn get_configuration_one_feature(code in prop::sample::select(vec![0x0000u16, 0x0001, 0x0003, 0x0021, 0x002A, 0x002B, 0x0107]), alloc in 8u16..64) {
        let disc = MockDisc::with(MediaKind::DvdPlusRw, false);
        disc.settle();
        let mut d = disc.mmc();
        let one = d.run(&GetConfiguration::one(FeatureCode(code))).unwrap();
        prop_assert!(one.features.len() <= 1);
        if let Some(f) = one.features.first() {
            prop_assert_eq!(f.code, FeatureCode(code));
        }
        let clipped = d.run(&GetConfiguration::all().allocation_length(alloc)).unwrap();
        prop_assert_eq!(clipped.current_profile.0, 0x001A);
    }
}
