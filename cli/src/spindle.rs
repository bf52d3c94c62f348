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
  3   logging could not be set up (Cedar Backup actions)
  4   the configuration is unreadable or invalid
  5   interrupted
  6   a Cedar Backup action failed
  10  no such device          11  permission denied
  12  not an optical drive    13  no medium / tray open
  14  device busy             15  the drive refused a command (the message has the decoded sense)";

/// Optical-disc backups without growisofs, cdrecord or mount.
#[derive(Debug, Parser)]
#[command(name = "spindle", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    /// More logging on stderr: -v steps, -vv every drive command, -vvv data bytes (-b is
    /// cback3's spelling).
    #[arg(short, long, short_alias = 'b', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// cback3's switches, for the Cedar Backup actions (store, stage, rebuild, …).
    #[command(flatten)]
    pub cedar: crate::cedar::args::CedarArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cedar Backup: write today's staging dir to the disc (new disc or appended session).
    Store(crate::cedar::args::MoreActions),
    /// Cedar Backup: copy the peers' collected files into today's staging dir.
    Stage(crate::cedar::args::MoreActions),
    /// Cedar Backup: write this week's staging dirs to a new disc.
    Rebuild(crate::cedar::args::MoreActions),
    /// Cedar Backup: label a rewritable disc for check_media.
    Initialize(crate::cedar::args::MoreActions),
    /// Cedar Backup: check the configuration, users and directories.
    Validate(crate::cedar::args::MoreActions),
    /// Cedar Backup's collect (not part of spindle: use cback3).
    Collect(crate::cedar::args::MoreActions),
    /// Cedar Backup's purge (not part of spindle: use cback3).
    Purge(crate::cedar::args::MoreActions),
    /// Cedar Backup's all (collect, stage, store, purge; not part of spindle: use cback3).
    All(crate::cedar::args::MoreActions),
    /// Check a Cedar Backup configuration file.
    Config(crate::cedar::args::ConfigArgs),
    /// Build an ISO 9660 image (Rock Ridge, Joliet) from files, as mkisofs does.
    Image(crate::cmd::image::ImageArgs),
    /// Create, load and inspect a mock drive (a directory that emulates an MMC drive).
    Mock(crate::cmd::mock::MockArgs),
    /// Open the tray. Clears any lock first, including a persistent one.
    Eject(crate::cmd::tray::EjectArgs),
    /// Close the tray and load the medium.
    Load(crate::cmd::tray::DeviceArg),
    /// Prevent medium removal (the eject button stops working).
    Lock(crate::cmd::tray::LockArgs),
    /// Allow medium removal; clears both the normal and the persistent lock.
    Unlock(crate::cmd::tray::DeviceArg),
    /// Reload the medium (unlock, tray out, wait, tray in, wait) so a new session is seen.
    Refresh(crate::cmd::tray::RefreshArgs),
    /// Write an image or a tree of files (--tree): a new disc, or a session appended.
    Burn(crate::cmd::burn::BurnArgs),
    /// Blank a CD-RW or DVD-RW (minimal, or --full).
    Blank(crate::cmd::burn::PrepareArgs),
    /// Format a DVD+RW, BD-RE, or a DVD-RW into restricted overwrite.
    Format(crate::cmd::burn::PrepareArgs),
    /// Read an image back from the disc (READ(10), not the page cache) and compare.
    Verify(crate::cmd::burn::VerifyArgs),
    /// Verify a disc or image against the MD5 checksums recorded in it (no sources needed).
    Check(crate::cmd::check::CheckArgs),
    /// Close the session an interrupted burn left open on write-once media, so the disc
    /// takes sessions again (or --finalize it).
    Close(crate::cmd::burn::CloseArgs),
    /// List the last session of a drive, mock drive or ISO image file (pending changes included).
    Ls(crate::cmd::files::LsArgs),
    /// As `ls`, in xorriso's `-lsl` long format.
    Lsl(crate::cmd::files::LsArgs),
    /// Copy local files into the image (recorded until `commit`, or at once with --commit).
    Put(crate::cmd::files::PutArgs),
    /// Copy files or trees out of the last session, never outside DESTDIR.
    Get(crate::cmd::files::GetArgs),
    /// Delete paths from the image (recorded until `commit`, or at once with --commit).
    Rm(crate::cmd::files::RmArgs),
    /// Write the recorded changes as a new session (or --discard them).
    Commit(crate::cmd::files::CommitArgs),
    /// The xorriso-compatible front (also: run spindle under the name `xorriso`).
    #[command(disable_help_flag = true)]
    Xorriso(XorrisoArgs),
}

/// Arguments of `spindle xorriso`: handed to the front as they are.
#[derive(Debug, clap::Args)]
pub struct XorrisoArgs {
    /// xorriso commands and their arguments (see `spindle xorriso -help`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// Runs `spindle` with the process arguments, or the xorriso front when the program was
/// started under the name `xorriso`.
pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args
        .first()
        .is_some_and(|a0| crate::xorriso::invoked_as_xorriso(a0))
    {
        return ExitCode::from(crate::xorriso::run(&lossy(&args[1..])));
    }
    ExitCode::from(run_args(args))
}

/// What `spindle` alone says: what to do next, in two lines, instead of the whole help.
pub const NO_COMMAND: &str = "\
spindle: no command given. The nightly backup is `spindle --config /etc/cback3.conf stage store`;
`spindle --help` lists every command, `man spindle` explains them, and `mmc-probe` lists the drives.";

/// For a command run without its DEVICE (`spindle burn`), two lines saying what to give
/// instead of clap's usage block.
fn no_device_given(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::MissingRequiredArgument {
        return None;
    }
    let Some(ContextValue::Strings(missing)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    if !missing.iter().any(|m| m == "<DEVICE>") {
        return None;
    }
    let usage = match e.get(ContextKind::Usage) {
        Some(ContextValue::StyledStr(u)) => u.to_string(),
        _ => return None,
    };
    let usage = usage.trim().trim_start_matches("Usage:").trim().to_owned();
    let command = usage
        .split_whitespace()
        .take_while(|w| !w.starts_with('<') && !w.starts_with('['))
        .collect::<Vec<_>>()
        .join(" ");
    Some(format!(
        "{command}: which drive? Give /dev/srN, /dev/sgN or mock:DIR; `mmc-probe` lists the drives.\n\
         Usage: {usage}   (`{command} --help` for the rest)"
    ))
}

fn lossy(args: &[std::ffi::OsString]) -> Vec<String> {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// Runs `spindle` with the given arguments (the first is the program name) and returns the
/// exit code; errors are printed to stderr.
pub fn run_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    if args.get(1).is_some_and(|a| a == "xorriso") {
        return crate::xorriso::run(&lossy(&args[2..]));
    }
    if args.len() == 1 {
        eprintln!("{NO_COMMAND}");
        return exit::spindle::USAGE;
    }
    let args = crate::cmd::image::mkisofs_spellings(args);
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            if let Some(short) = no_device_given(&e) {
                eprintln!("{short}");
                return exit::spindle::USAGE;
            }
            let _ = e.print();
            return if e.use_stderr() {
                exit::spindle::USAGE
            } else {
                exit::spindle::OK
            };
        }
    };
    let Some(command) = &cli.command else {
        // cback3 -D prints its diagnostics without an action.
        if cli.cedar.diagnostics {
            crate::cedar::print_diagnostics();
            return exit::spindle::OK;
        }
        eprintln!(
            "spindle: say what to do, for example `spindle --config /etc/cback3.conf stage store` (the nightly backup) or `spindle burn /dev/sr0 --tree DIR`; `spindle --help` lists every command"
        );
        return exit::spindle::USAGE;
    };
    {
        use crate::cedar::args::ActionName as A;
        let cedar = |first: A, m: &crate::cedar::args::MoreActions| {
            crate::cedar::run_actions(&cli.cedar, cli.verbose, first, &m.more)
        };
        match command {
            Command::Store(m) => return cedar(A::Store, m),
            Command::Stage(m) => return cedar(A::Stage, m),
            Command::Rebuild(m) => return cedar(A::Rebuild, m),
            Command::Initialize(m) => return cedar(A::Initialize, m),
            Command::Validate(m) => return cedar(A::Validate, m),
            Command::Collect(m) => return cedar(A::Collect, m),
            Command::Purge(m) => return cedar(A::Purge, m),
            Command::All(m) => return cedar(A::All, m),
            Command::Config(c) => match &c.command {
                crate::cedar::args::ConfigCommand::Check(a) => {
                    return crate::cedar::config_check(a, cli.verbose, &mut std::io::stdout())
                }
            },
            _ => {}
        }
    }
    crate::logging::init(cli.verbose);
    // Commands that change a medium hold the drive for their whole run, across every open
    // of it, so a second process cannot start between them (it gets exit 14, busy).
    let device = match command {
        Command::Burn(a) => Some(&a.device),
        Command::Blank(a) | Command::Format(a) => Some(&a.device),
        Command::Close(a) => Some(&a.device),
        Command::Put(crate::cmd::files::PutArgs { target, .. })
        | Command::Rm(crate::cmd::files::RmArgs { target, .. })
        | Command::Commit(crate::cmd::files::CommitArgs { target, .. }) => Some(target),
        _ => None,
    };
    let _lease = match device.map(|d| crate::disc::target::lease(d)).transpose() {
        Ok(l) => l,
        Err(e) => {
            crate::report_error("spindle", &e);
            return exit::spindle_device_code(&e);
        }
    };
    let result = match command {
        // Handled above, with cback3's exit codes.
        Command::Store(_)
        | Command::Stage(_)
        | Command::Rebuild(_)
        | Command::Initialize(_)
        | Command::Validate(_)
        | Command::Collect(_)
        | Command::Purge(_)
        | Command::All(_)
        | Command::Config(_) => Ok(()),
        Command::Image(a) => crate::cmd::image::run(a),
        Command::Mock(a) => crate::cmd::mock::run(a),
        Command::Eject(a) => crate::cmd::tray::eject(a),
        Command::Load(a) => crate::cmd::tray::load(a),
        Command::Lock(a) => crate::cmd::tray::lock(a),
        Command::Unlock(a) => crate::cmd::tray::unlock(a),
        Command::Refresh(a) => crate::cmd::tray::refresh_cmd(a),
        Command::Burn(a) => crate::cmd::burn::burn(a, &mut std::io::stdout()),
        Command::Blank(a) => crate::cmd::burn::blank(a),
        Command::Format(a) => crate::cmd::burn::format(a),
        Command::Verify(a) => crate::cmd::burn::verify_cmd(a, &mut std::io::stdout()),
        Command::Close(a) => crate::cmd::burn::close_cmd(a, &mut std::io::stdout()),
        Command::Ls(a) => crate::cmd::files::ls(a, false, &mut std::io::stdout()),
        Command::Lsl(a) => crate::cmd::files::ls(a, true, &mut std::io::stdout()),
        Command::Put(a) => crate::cmd::files::put(a, &mut std::io::stdout()),
        Command::Get(a) => crate::cmd::files::get(a, &mut std::io::stdout()),
        Command::Rm(a) => crate::cmd::files::rm(a, &mut std::io::stdout()),
        Command::Commit(a) => crate::cmd::files::commit(a, &mut std::io::stdout()),
        Command::Xorriso(a) => return crate::xorriso::run(&a.args),
        Command::Check(a) => return crate::cmd::check::run(a, &mut std::io::stdout()),
    };
    match result {
        Ok(()) => exit::spindle::OK,
        Err(e) => {
            crate::report_error("spindle", &e);
            exit::spindle_device_code(&e)
        }
    }
}
