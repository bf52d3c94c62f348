//! The command front-ends: each module holds a command's arguments (clap), its progress
//! display and its output for people and scripts, and calls [`crate::disc`] for the work.

pub mod battery;
pub mod burn;
pub mod check;
pub mod files;
pub mod human;
pub mod image;
pub mod json;
pub mod mock;
pub mod probe;
pub mod report;
pub mod tray;
pub mod writetest;
