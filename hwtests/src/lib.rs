#![doc = include_str!("../README.md")]
//!
//! This library is empty; the tests are in `tests/`, the harness in `lab/`.
#![forbid(unsafe_code)]
