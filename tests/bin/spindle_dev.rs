//! The spindle binary, built inside the tests crate so its integration tests can run it as
//! a program (`CARGO_BIN_EXE_spindle-dev`): duplicity starts it as `xorriso`.
fn main() -> std::process::ExitCode {
    cli::spindle::main()
}
