//! The mmc-probe binary, built inside the tests crate so its integration tests can run it as
//! a program (`CARGO_BIN_EXE_mmc-probe-dev`): the write test collects the drive's transcript
//! through the process-wide logger, so each run needs a process of its own.
fn main() -> std::process::ExitCode {
    cli::cmd::probe::main()
}
