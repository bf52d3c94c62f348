#![doc = include_str!("../README.md")]
//!
//! The library holds the test-only iSCSI target ([`iscsi`]) that `mock-target` uses to put a
//! mock drive in front of a guest kernel; the tests are in `tests/`, the harness in `lab/`.
#![forbid(unsafe_code)]

pub mod iscsi;
