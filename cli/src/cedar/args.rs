//! Raw command-line arguments of the Cedar Backup side of `spindle` (clap derive). The
//! validated configuration is in [`crate::cedar::config`]; the actions in [`crate::cedar::action`].
//!
//! `cback3 [switches] action…` becomes `spindle [switches] action…`: the switches are
//! cback3's, given before the first action, and every action is a subcommand that takes the
//! further actions as arguments, so `spindle store` and `spindle --config F stage store` both
//! parse.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// cback3's switches.
#[derive(Debug, Clone, Args)]
pub struct CedarArgs {
    /// Configuration file (Cedar Backup 3's XML).
    #[arg(
        short = 'c',
        long,
        value_name = "FILE",
        default_value = "/etc/cback3.conf"
    )]
    pub config: PathBuf,
    /// Full backup: store writes a new disc with today's staging dir; stage treats the day
    /// as the start of the week for ignore_failures.
    #[arg(short = 'f', long)]
    pub full: bool,
    /// Also run the managed actions on managed remote peers.
    #[arg(short = 'M', long, conflicts_with = "managed_only")]
    pub managed: bool,
    /// Run only the managed actions on managed remote peers.
    #[arg(short = 'N', long)]
    pub managed_only: bool,
    /// Log file [default: /var/log/cback3.log, skipped with a warning when it cannot be
    /// opened; an explicit file that cannot be opened is an error (exit 3)].
    #[arg(short = 'l', long, value_name = "LOGFILE")]
    pub logfile: Option<PathBuf>,
    /// Owner of a new log file, when running as root [default: root:adm].
    #[arg(short = 'o', long, value_name = "USER:GROUP")]
    pub owner: Option<String>,
    /// Permissions of a new log file, octal [default: 640].
    #[arg(short = 'm', long, value_name = "MODE")]
    pub mode: Option<String>,
    /// Log nothing to stderr but errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Debug logging in the log file (and, with -v, on stderr).
    #[arg(short = 'd', long)]
    pub debug: bool,
    /// Record the output of hooks in the log file, as cback3's -O does (-d implies it).
    #[arg(short = 'O', long)]
    pub output: bool,
    /// Accepted for cback3 compatibility (errors always carry their full chain).
    #[arg(short = 's', long)]
    pub stack: bool,
    /// Print a summary of the run as JSON on stdout at the end (docs/schema/cedar.json):
    /// each action's outcome and what store, rebuild or initialize wrote.
    #[arg(long)]
    pub json: bool,
    /// Print diagnostic information (version, platform) and exit.
    #[arg(short = 'D', long)]
    pub diagnostics: bool,
    /// Testing aid: run as if the local date were this one (YYYY-MM-DD).
    #[arg(long, value_name = "YYYY-MM-DD", env = "SPINDLE_TODAY", hide = true)]
    pub today: Option<chrono::NaiveDate>,
}

/// Cedar Backup's action names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum)]
pub enum ActionName {
    /// collect (cback3 only).
    Collect,
    /// stage.
    Stage,
    /// store.
    Store,
    /// purge (cback3 only).
    Purge,
    /// rebuild.
    Rebuild,
    /// validate.
    Validate,
    /// initialize.
    Initialize,
    /// all (cback3 only).
    All,
}

impl ActionName {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ActionName::Collect => "collect",
            ActionName::Stage => "stage",
            ActionName::Store => "store",
            ActionName::Purge => "purge",
            ActionName::Rebuild => "rebuild",
            ActionName::Validate => "validate",
            ActionName::Initialize => "initialize",
            ActionName::All => "all",
        }
    }

    /// Cedar's execution index: rebuild, validate and initialize 0, collect 100, stage 200,
    /// store 300, purge 400.
    pub fn index(self) -> u32 {
        match self {
            ActionName::Rebuild | ActionName::Validate | ActionName::Initialize => 0,
            ActionName::Collect => 100,
            ActionName::Stage => 200,
            ActionName::Store => 300,
            ActionName::Purge => 400,
            ActionName::All => 500,
        }
    }

    /// Actions that must run alone.
    pub fn alone(self) -> bool {
        matches!(
            self,
            ActionName::Rebuild | ActionName::Validate | ActionName::Initialize | ActionName::All
        )
    }
}

/// The further actions after the first.
#[derive(Debug, Clone, Args)]
pub struct MoreActions {
    /// More actions to run (they run in Cedar's order: collect, stage, store, purge).
    #[arg(value_name = "ACTION", value_enum)]
    pub more: Vec<ActionName>,
}

/// `spindle config …`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ConfigCommand,
}

/// The `spindle config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a configuration file; exit 4 when it is refused.
    Check(ConfigCheckArgs),
}

/// `spindle config check`.
#[derive(Debug, Args)]
pub struct ConfigCheckArgs {
    /// Configuration file.
    #[arg(
        short = 'c',
        long,
        value_name = "FILE",
        default_value = "/etc/cback3.conf"
    )]
    pub config: PathBuf,
    /// The configuration file, as an operand (`spindle config check FILE`); the same as
    /// --config FILE.
    #[arg(value_name = "FILE", conflicts_with = "config")]
    pub file: Option<PathBuf>,
    /// Print the resolved options, peers, stage and store as JSON.
    #[arg(long)]
    pub dump_json: bool,
}

impl ConfigCheckArgs {
    /// The file to check: the operand, else --config (default /etc/cback3.conf).
    pub fn path(&self) -> &std::path::Path {
        self.file.as_deref().unwrap_or(&self.config)
    }
}
