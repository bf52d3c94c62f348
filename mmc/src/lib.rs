#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used))]

pub mod asc;
pub mod burn;
pub mod bytes;
pub mod command;
pub mod feature;
pub mod profile;
pub mod sense;

mod drive;
mod error;
mod probe;

pub use asc::AscAscq;
pub use command::{Command, Opcode, RetryPolicy, Transfer};
pub use drive::{Clock, Drive, DrivePolicy, SystemClock};
pub use error::{Error, ParseError, Result};
pub use feature::{Feature, FeatureCode};
pub use probe::{
    Capacity, FeatureInfo, MediumInfo, ProbeReport, ProfileInfo, Speed, TrackInfo, TrayInfo,
};
pub use profile::{MediaClass, Profile};
pub use sense::{Disposition, Progress, Sense, SenseFormat, SenseKey};
