//! Running Cedar Backup actions: `spindle [switches] ACTION…` with cback3's exit codes
//! (0 success, 2 usage, 3 logging, 4 configuration, 5 interrupted, 6 action failed).

pub mod action;
pub mod args;
pub mod config;
pub mod exec;

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context};
use log::LevelFilter;

use crate::cedar::action::ActionContext;
use crate::cedar::args::{ActionName, CedarArgs, ConfigCheckArgs};
use crate::cedar::config::{Config, Hook};
use crate::exit::spindle as code;

const DEFAULT_LOGFILE: &str = "/var/log/cback3.log";

/// Puts the actions in Cedar's order and refuses combinations cback3 refuses.
///
/// # Errors
/// A message for exit code 2.
pub fn order(first: ActionName, more: &[ActionName]) -> Result<Vec<ActionName>, String> {
    let mut all: Vec<ActionName> = std::iter::once(first).chain(more.iter().copied()).collect();
    all.sort_by_key(|a| (a.index(), *a));
    all.dedup();
    if all.len() > 1 {
        if let Some(a) = all.iter().find(|a| a.alone()) {
            return Err(format!(
                "the {} action cannot be combined with other actions",
                a.name()
            ));
        }
    }
    Ok(all)
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Opens the log file: Cedar's default when none is given (skipped with a warning when it
/// cannot be opened), the given one otherwise (an error).
fn setup_logfile(a: &CedarArgs) -> anyhow::Result<()> {
    let explicit = a.logfile.is_some();
    let path = a
        .logfile
        .clone()
        .unwrap_or_else(|| Path::new(DEFAULT_LOGFILE).to_path_buf());
    let mode = match &a.mode {
        Some(m) => u32::from_str_radix(m, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
            .with_context(|| format!("--mode '{m}' is not an octal mode"))?,
        None => 0o640,
    };
    let existed = path.exists();
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(mode)
        .open(&path);
    let file = match file {
        Ok(f) => f,
        Err(e) if !explicit => {
            log::warn!(
                "cannot open the log file {}: {e}; logging to stderr only (give -l FILE)",
                path.display()
            );
            return Ok(());
        }
        Err(e) => return Err(e).with_context(|| format!("opening log file {}", path.display())),
    };
    if !existed {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("chmod {}", path.display()))?;
        if is_root() {
            let owner = a.owner.clone().unwrap_or_else(|| "root:adm".into());
            let (u, g) = owner
                .split_once(':')
                .with_context(|| format!("--owner '{owner}' is not USER:GROUP"))?;
            let uid = nix::unistd::User::from_name(u)
                .ok()
                .flatten()
                .map(|u| u.uid);
            let gid = nix::unistd::Group::from_name(g)
                .ok()
                .flatten()
                .map(|g| g.gid);
            match (uid, gid) {
                (Some(uid), Some(gid)) => nix::unistd::chown(&path, Some(uid), Some(gid))
                    .with_context(|| format!("chown {}", path.display()))?,
                _ if a.owner.is_some() => bail!("--owner '{owner}': no such user or group"),
                _ => log::debug!("default log owner {owner} does not exist here; left as is"),
            }
        }
    }
    let level = if a.debug {
        LevelFilter::Debug
    } else {
        LevelFilter::Info
    };
    crate::logging::set_logfile(Some(file), level);
    Ok(())
}

/// Runs the hooks of `action`; `output` (cback3's -O) puts their output in the log file.
fn run_hooks(hooks: &[Hook], action: &str, when: &str, output: bool) -> anyhow::Result<()> {
    for h in hooks.iter().filter(|h| h.action == action) {
        // As cback3: the words of the command line, no shell, Cedar's environment, the
        // output (stdout and stderr together) in the log; a non-zero exit fails the action.
        let argv = exec::split_command(&h.command);
        if argv.is_empty() {
            // cback3 fails the action on a hook without a command; so does spindle.
            bail!("the {when}-action hook for {action} has no <command>");
        }
        log::info!("running {when}-action hook for {action}: {}", h.command);
        let (status, tail) = exec::run_logged(&argv, &format!("{when}-action hook"), output)
            .with_context(|| format!("{when}-action hook '{}'", h.command))?;
        if !status.success() {
            let tail = if tail.is_empty() {
                "no output".to_owned()
            } else {
                format!("last output: {}", tail.join(" | "))
            };
            bail!(
                "{when}-action hook for {action} '{}' failed ({status}); {tail}",
                h.command
            );
        }
    }
    Ok(())
}

fn today(a: &CedarArgs) -> chrono::NaiveDate {
    a.today.unwrap_or_else(|| chrono::Local::now().date_naive())
}

/// Runs one action; returns what it did, for `--json` (docs/schema/cedar.json).
fn run_one(ctx: &ActionContext<'_>, a: ActionName) -> anyhow::Result<serde_json::Value> {
    log::info!("executing the {} action", a.name());
    let json = |w: action::store::Written| serde_json::to_value(w).unwrap_or_default();
    match a {
        ActionName::Store => action::store::store(ctx).map(json),
        ActionName::Rebuild => action::store::rebuild(ctx).map(json),
        ActionName::Initialize => action::store::initialize(ctx).map(json),
        ActionName::Stage => action::stage::stage(ctx).map(|peers| {
            use action::stage::PeerOutcome;
            let peers: Vec<serde_json::Value> = peers
                .into_iter()
                .map(|(name, o)| match o {
                    PeerOutcome::Staged(n) => {
                        serde_json::json!({"name": name, "outcome": "staged", "files": n})
                    }
                    PeerOutcome::NotReady => {
                        serde_json::json!({"name": name, "outcome": "not-ready"})
                    }
                    PeerOutcome::Failed(e) => {
                        serde_json::json!({"name": name, "outcome": "failed", "error": e})
                    }
                })
                .collect();
            serde_json::json!({ "peers": peers })
        }),
        ActionName::Validate => validate(ctx).map(|()| serde_json::json!({})),
        ActionName::Collect | ActionName::Purge | ActionName::All => bail!(
            "the {} action is not part of spindle; run `cback3 {}` for it",
            a.name(),
            a.name()
        ),
    }
}

/// A directory Cedar's validate requires: it exists, is a directory, readable and searchable,
/// and writable when `writable`.
fn check_dir(p: &Path, writable: bool, what: &str, problems: &mut Vec<String>) {
    use nix::unistd::{access, AccessFlags};
    let mut need = AccessFlags::R_OK | AccessFlags::X_OK;
    if writable {
        need |= AccessFlags::W_OK;
    }
    if !p.exists() {
        problems.push(format!("{what} {} does not exist", p.display()));
    } else if !p.is_dir() {
        problems.push(format!("{what} {} is not a directory", p.display()));
    } else if access(p, need).is_err() {
        problems.push(format!(
            "{what} {} is not {}",
            p.display(),
            if writable {
                "readable and writable"
            } else {
                "readable"
            }
        ));
    }
}

/// The store's drive must exist (Cedar builds its writer, which checks the device); spindle
/// also says when the name is not a drive at all.
fn check_device(dev: &str) -> anyhow::Result<()> {
    match crate::disc::Target::parse(dev)? {
        crate::disc::Target::Image(_) => {
            bail!("is not a drive (/dev/srN, /dev/sgN or mock:DIR)")
        }
        crate::disc::Target::Drive(d) => match d.strip_prefix("mock:") {
            Some(dir) if !Path::new(dir).join(hal::mock::STATE_FILE).is_file() => {
                bail!("holds no mock drive")
            }
            Some(_) => Ok(()),
            None if !Path::new(&d).exists() => bail!("does not exist"),
            None => Ok(()),
        },
    }
}

/// What validate needs from the sections spindle does not run.
#[derive(Debug, Default)]
struct OtherSections {
    reference: bool,
    collect_target: Option<std::path::PathBuf>,
    collect_dirs: Vec<std::path::PathBuf>,
    purge_dirs: Vec<std::path::PathBuf>,
}

fn other_sections(path: &Path) -> anyhow::Result<OtherSections> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let doc = roxmltree::Document::parse(&text).with_context(|| path.display().to_string())?;
    let root = doc.root_element();
    fn kid<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Vec<roxmltree::Node<'a, 'i>> {
        n.children()
            .filter(|c| c.is_element() && c.tag_name().name() == name)
            .collect()
    }
    let text_of =
        |n: roxmltree::Node<'_, '_>| std::path::PathBuf::from(n.text().unwrap_or("").trim());
    let mut o = OtherSections {
        reference: !kid(root, "reference").is_empty(),
        ..OtherSections::default()
    };
    for c in kid(root, "collect") {
        o.collect_target = kid(c, "collect_dir").first().map(|n| text_of(*n));
        for d in kid(c, "dir") {
            o.collect_dirs
                .extend(kid(d, "abs_path").first().map(|n| text_of(*n)));
        }
    }
    for p in kid(root, "purge") {
        for d in kid(p, "dir") {
            o.purge_dirs
                .extend(kid(d, "abs_path").first().map(|n| text_of(*n)));
        }
    }
    Ok(o)
}

/// The validate action: the configuration parsed (else exit 4 already); also the users,
/// groups and directories it names, the store's source dir and drive, and the collect and
/// purge directories, as Cedar's validate checks them.
fn validate(ctx: &ActionContext<'_>) -> anyhow::Result<()> {
    let o = ctx.options();
    let mut problems = Vec::new();
    if let Err(e) = action::backup_owner(o) {
        problems.push(format!("{e:#}"));
    }
    if !o.working_dir.is_dir() {
        problems.push(format!(
            "working_dir {} does not exist",
            o.working_dir.display()
        ));
    }
    if let Some(s) = &ctx.config.stage {
        if !s.staging_dir.is_dir() {
            problems.push(format!(
                "staging_dir {} does not exist",
                s.staging_dir.display()
            ));
        }
    }
    for p in ctx.config.staging_peers() {
        if p.kind == crate::cedar::config::PeerKind::Local && !p.collect_dir.is_dir() {
            problems.push(format!(
                "peer [{}]: collect_dir {} does not exist",
                p.name,
                p.collect_dir.display()
            ));
        }
    }
    if let Some(s) = &ctx.config.store {
        check_dir(&s.source_dir, false, "store source_dir", &mut problems);
        if let Err(e) = check_device(&s.target_device) {
            problems.push(format!("store target_device {}: {e:#}", s.target_device));
        }
    }
    // The sections spindle leaves to cback3 are validated as Cedar does, from the file.
    match other_sections(ctx.config_path) {
        Ok(o) => {
            if !o.reference {
                problems.push("the <reference> section is missing (required)".into());
            }
            if let Some(t) = &o.collect_target {
                check_dir(t, true, "collect target_dir", &mut problems);
            }
            for d in &o.collect_dirs {
                check_dir(d, false, "collect dir", &mut problems);
            }
            for d in &o.purge_dirs {
                check_dir(d, true, "purge dir", &mut problems);
            }
        }
        Err(e) => problems.push(format!("{e:#}")),
    }
    if problems.is_empty() {
        log::info!("configuration is valid");
        Ok(())
    } else {
        for p in &problems {
            log::error!("validate: {p}");
        }
        bail!(
            "validation found {} problem(s): {}",
            problems.len(),
            problems.join("; ")
        )
    }
}

/// cback3's `-D`: the version and platform, for a bug report.
pub fn print_diagnostics() {
    println!(
        "spindle {} ({} {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    );
}

/// What `spindle --json ACTION…` prints (docs/schema/cedar.json).
#[derive(Debug, Default, serde::Serialize)]
struct RunReport {
    config: String,
    actions: Vec<serde_json::Value>,
    exit_code: u8,
    error: Option<String>,
}

/// Runs `spindle [switches] first more…`; returns cback3's exit code. With `--json`, a
/// summary of the run goes to stdout at the end, whatever the outcome (except an interrupt).
pub fn run_actions(a: &CedarArgs, verbose: u8, first: ActionName, more: &[ActionName]) -> u8 {
    let mut report = RunReport {
        config: a.config.display().to_string(),
        ..RunReport::default()
    };
    let code = run_reporting(a, verbose, first, more, &mut report);
    if a.json && !a.diagnostics {
        report.exit_code = code;
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    }
    code
}

fn run_reporting(
    a: &CedarArgs,
    verbose: u8,
    first: ActionName,
    more: &[ActionName],
    report: &mut RunReport,
) -> u8 {
    let stderr = if a.quiet {
        "error"
    } else {
        match verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    crate::logging::init_filter(stderr, verbose >= 2);
    if a.diagnostics {
        print_diagnostics();
        return code::OK;
    }
    let actions = match order(first, more) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("spindle: error: {e}");
            report.error = Some(e);
            return code::USAGE;
        }
    };
    if let Err(e) = setup_logfile(a) {
        eprintln!("spindle: error: logging: {e:#}");
        report.error = Some(format!("logging: {e:#}"));
        return code::LOGGING;
    }
    let _ = ctrlc::set_handler(|| {
        log::error!("Interrupted.");
        crate::logging::set_logfile(None, LevelFilter::Off);
        std::process::exit(i32::from(code::INTERRUPTED));
    });
    let config = match Config::load(&a.config) {
        Ok(c) => c,
        Err(e) => {
            log::error!("configuration: {e}");
            eprintln!("spindle: error: configuration {}: {e}", a.config.display());
            report.error = Some(format!("configuration: {e}"));
            return code::CONFIG;
        }
    };
    for s in &config.ignored {
        log::info!("configuration section <{s}> is for cback3; spindle does not run it");
    }
    exec::note_overrides(&config);
    let ctx = ActionContext {
        config: &config,
        today: today(a),
        full: a.full,
        root: is_root(),
        config_path: &a.config,
    };
    log::info!(
        "spindle {} starting: {} (today is {})",
        env!("CARGO_PKG_VERSION"),
        actions
            .iter()
            .map(|x| x.name())
            .collect::<Vec<_>>()
            .join(" "),
        ctx.today
    );
    let managed = a.managed || a.managed_only;
    // Cedar expands `all` into collect, stage, store and purge, so that `--managed-only all`
    // runs all four on the managed peers.
    let actions: Vec<ActionName> = if managed && actions == [ActionName::All] {
        vec![
            ActionName::Collect,
            ActionName::Stage,
            ActionName::Store,
            ActionName::Purge,
        ]
    } else {
        actions
    };
    let mut not_local = Vec::new();
    for act in actions {
        let r = (|| -> anyhow::Result<serde_json::Value> {
            let mut details = serde_json::json!({});
            if !a.managed_only {
                if managed && matches!(act, ActionName::Collect | ActionName::Purge) {
                    // spindle has no local collect or purge; the managed part still runs,
                    // and the run fails at the end saying what was not done.
                    log::warn!(
                        "the local {} action is not part of spindle (run `cback3 {}` for it); running the managed part",
                        act.name(),
                        act.name()
                    );
                    not_local.push(act.name());
                } else {
                    run_hooks(
                        &config.options.pre_action_hooks,
                        act.name(),
                        "pre",
                        a.output,
                    )?;
                    details = run_one(&ctx, act)?;
                    run_hooks(
                        &config.options.post_action_hooks,
                        act.name(),
                        "post",
                        a.output,
                    )?;
                }
            }
            if managed {
                action::managed::run(&ctx, act.name());
            }
            Ok(details)
        })();
        report.actions.push(match &r {
            Ok(details) => serde_json::json!({
                "action": act.name(), "ok": true, "details": details,
            }),
            Err(e) => serde_json::json!({
                "action": act.name(), "ok": false, "error": format!("{e:#}"),
            }),
        });
        if let Err(e) = r {
            report.error = Some(format!("the {} action failed: {e:#}", act.name()));
            log::error!("the {} action failed: {e:#}", act.name());
            crate::report_error("spindle", &e);
            log::logger().flush();
            return code::ACTION_FAILED;
        }
    }
    if !not_local.is_empty() {
        let list = not_local.join(" and ");
        report.error = Some(format!(
            "the local {list} did not run (spindle does not collect or purge)"
        ));
        log::error!(
            "the managed part ran; the local {list} did not (spindle does not collect or purge): run `cback3 {}` for it",
            not_local.join(" ")
        );
        eprintln!(
            "spindle: error: the local {list} did not run (spindle does not collect or purge); the managed part did"
        );
        log::logger().flush();
        return code::ACTION_FAILED;
    }
    log::info!("spindle finished");
    log::logger().flush();
    code::OK
}

/// `spindle config check`.
pub fn config_check(a: &ConfigCheckArgs, verbose: u8, out: &mut dyn Write) -> u8 {
    crate::logging::init(verbose.max(1));
    match Config::load(a.path()) {
        Ok(c) => {
            for s in &c.ignored {
                log::info!("section <{s}> is for cback3; spindle does not run it");
            }
            exec::note_overrides(&c);
            if a.dump_json {
                let v = serde_json::json!({
                    "options": c.options,
                    "peers": c.peers,
                    "stage": c.stage,
                    "store": c.store,
                    "ignored": c.ignored,
                });
                let _ = writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                );
            } else {
                let _ = writeln!(out, "{}: valid", a.path().display());
            }
            code::OK
        }
        Err(e) => {
            eprintln!("spindle: error: configuration {}: {e}", a.path().display());
            code::CONFIG
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_and_exclusions() {
        assert_eq!(
            order(ActionName::Store, &[ActionName::Stage]).unwrap(),
            [ActionName::Stage, ActionName::Store]
        );
        assert!(order(ActionName::Rebuild, &[ActionName::Store]).is_err());
        assert_eq!(
            order(ActionName::Rebuild, &[ActionName::Rebuild]).unwrap(),
            [ActionName::Rebuild]
        );
    }
}
