//! `spindle`: the command-line front. Each subcommand lives in its own module; this one holds
//! the argument grammar and maps failures to exit codes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit;

const AFTER_HELP: &str = "\
Devices are /dev/srN, /dev/sgN, or mock:DIR for a mock drive made with `spindle mock new`.

Exit codes:
  0   success
  1   failure not listed below
  2   bad command line
  3-6 reserved for the Cedar Backup actions (logging, config, interrupted, action failed)
  10  no such device          11  permission denied
  12  not an optical drive    13  no medium / tray open
  14  device busy             15  the drive refused a command (the message has the decoded sense)";

/// Optical-disc backups without growisofs, cdrecord or mount.
#[derive(Debug, Parser)]
#[command(name = "spindle", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    /// More logging on stderr: -v steps, -vv every drive command, -vvv data bytes.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an ISO 9660 image (Rock Ridge, Joliet) from files, as mkisofs does.
    Image(crate::image_cmd::ImageArgs),
    /// Create, load and inspect a mock drive (a directory that emulates an MMC drive).
    Mock(crate::mock_cmd::MockArgs),
    /// Open the tray. Clears any lock first, including a persistent one.
    Eject(crate::tray::EjectArgs),
    /// Close the tray and load the medium.
    Load(crate::tray::DeviceArg),
    /// Prevent medium removal (the eject button stops working).
    Lock(crate::tray::LockArgs),
    /// Allow medium removal; clears both the normal and the persistent lock.
    Unlock(crate::tray::DeviceArg),
    /// Write an image: a new disc, or a session appended to the one in the drive.
    Burn(crate::burn_cmd::BurnArgs),
    /// Blank a CD-RW or DVD-RW (minimal, or --full).
    Blank(crate::burn_cmd::PrepareArgs),
    /// Format a DVD+RW, BD-RE, or a DVD-RW into restricted overwrite.
    Format(crate::burn_cmd::PrepareArgs),
    /// Read an image back from the disc (READ(10), not the page cache) and compare.
    Verify(crate::burn_cmd::VerifyArgs),
}

/// Runs `spindle` with the process arguments.
pub fn main() -> ExitCode {
    ExitCode::from(run_args(std::env::args_os()))
}

/// Runs `spindle` with the given arguments (the first is the program name) and returns the
/// exit code; errors are printed to stderr.
pub fn run_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args = crate::image_cmd::mkisofs_spellings(args.into_iter().map(Into::into).collect());
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::spindle::USAGE
            } else {
                exit::spindle::OK
            };
        }
    };
    crate::logging::init(cli.verbose);
    let result = match &cli.command {
        Command::Image(a) => crate::image_cmd::run(a),
        Command::Mock(a) => crate::mock_cmd::run(a),
        Command::Eject(a) => crate::tray::eject(a),
        Command::Load(a) => crate::tray::load(a),
        Command::Lock(a) => crate::tray::lock(a),
        Command::Unlock(a) => crate::tray::unlock(a),
        Command::Burn(a) => crate::burn_cmd::burn(a, &mut std::io::stdout()),
        Command::Blank(a) => crate::burn_cmd::blank(a),
        Command::Format(a) => crate::burn_cmd::format(a),
        Command::Verify(a) => crate::burn_cmd::verify_cmd(a, &mut std::io::stdout()),
    };
    match result {
        Ok(()) => exit::spindle::OK,
        Err(e) => {
            crate::report_error("spindle", &e);
            exit::spindle_device_code(&e)
        }
    }
}
