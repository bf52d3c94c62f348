//! `spindle mock …`: create, load and inspect a mock drive.
//!
//! A mock drive is a directory. Every process that opens `mock:DIR` sees the same drive, so
//! one terminal can run `spindle burn mock:DIR …` while another ejects the disc or injects
//! a fault, exactly as with a real drive and an operator.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use hal::mock::{Fault, MediaKind, MockConfig, MockDrive};

const MEDIA_HELP: &str = "cd-r, cd-rw, dvd-r, dvd-rw, dvd-rw-ro, dvd+r, dvd+r-dl, dvd+rw, bd-r, bd-re; cd-rom and dvd-rom need --image";

/// Arguments of `spindle mock`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  spindle mock new /tmp/drive --media dvd+rw          a formatted DVD+RW in a new drive
  spindle mock new /tmp/drive --media dvd+rw --blank  the same, unformatted
  spindle mock new /tmp/drive --media cd-rom --image disc.iso
  spindle mock new /tmp/drive                         a drive with no medium
  spindle mock new /tmp/drive --profile drive.json --media dvd+r
      answer as the drive recorded with `mmc-probe --report` (hwtests/drives/)
  mmc-probe mock:/tmp/drive                           look at it
  spindle mock fault /tmp/drive --opcode 2A --nth 3 --sense 3/0C/00
  spindle mock state /tmp/drive --json

The medium's sectors are in DIR/media.img (LBA x 2048), readable by isoinfo or xorriso;
every command the drive receives is logged to DIR/transcript.log.")]
pub struct MockArgs {
    /// What to do with the mock drive.
    #[command(subcommand)]
    pub action: MockAction,
}

/// The `spindle mock` actions.
#[derive(Debug, Subcommand)]
pub enum MockAction {
    /// Create a mock drive in DIR (replacing one already there), optionally with a medium.
    New(NewArgs),
    /// Put a medium in the drive and close the tray (refused while the drive is locked).
    Insert(InsertArgs),
    /// Press the eject button: the medium comes out unless the host has locked the drive.
    Eject(EjectArgs),
    /// Push the tray in (loads a medium left in the open tray).
    Close(DirArg),
    /// Cut the power: data in the drive's buffer is lost, locks are cleared.
    PowerLoss(DirArg),
    /// Print the drive's state: tray, locks, medium, sessions, buffer, pending faults.
    State(StateArgs),
    /// Inject a fault into a later command, or list or clear the pending ones.
    Fault(FaultArgs),
    /// Print the transcript: one line per command the drive has received.
    Transcript(TranscriptArgs),
}

/// A mock directory.
#[derive(Debug, Args)]
pub struct DirArg {
    /// The mock drive's directory.
    pub dir: PathBuf,
}

/// Arguments of `spindle mock new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The directory that holds the drive (created if missing).
    pub dir: PathBuf,
    #[command(flatten)]
    pub medium: MediumArgs,
    /// Identify and behave like QEMU's emulated scsi-cd (for differential tests).
    #[arg(long, conflicts_with = "profile")]
    pub qemu: bool,
    /// Answer as a recorded drive: a report of `mmc-probe --report DEVICE -o FILE`. The
    /// mock replays the drive's INQUIRY and VPD pages, feature list, mode pages, write
    /// speeds (GET PERFORMANCE), buffer size (READ BUFFER CAPACITY) and the commands it
    /// refused (with the recorded sense); the disc, tracks, TOC, capacity and which profile
    /// and features are current still come from the mock's medium (docs/mmc-probe.md lists
    /// those fields). Only media whose profile the drive lists can be loaded.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Drive buffer size in KiB (READ BUFFER CAPACITY; data there is lost on power loss).
    #[arg(long, value_name = "KIB")]
    pub buffer_kib: Option<u32>,
    /// Polls an Immed operation (format, blank, close, sync) stays busy.
    #[arg(long, value_name = "N")]
    pub immed_polls: Option<u32>,
    /// Pace reads and writes at this many kB/s (4x DVD = 5540); default: full speed.
    #[arg(long, value_name = "KBS")]
    pub pace: Option<u32>,
    /// Do not write DIR/transcript.log.
    #[arg(long)]
    pub no_transcript: bool,
}

/// The medium options shared by `new` and `insert`.
#[derive(Debug, Args)]
pub struct MediumArgs {
    /// The medium to load.
    #[arg(long, value_name = "KIND", help = format!("The medium to load: {MEDIA_HELP}"))]
    pub media: Option<MediaKind>,
    /// Load DVD+RW or BD-RE unformatted (other writable media always start blank).
    #[arg(long)]
    pub blank: bool,
    /// The image file a cd-rom or dvd-rom is pressed from.
    #[arg(long, value_name = "FILE")]
    pub image: Option<PathBuf>,
}

/// Arguments of `spindle mock insert`.
#[derive(Debug, Args)]
pub struct InsertArgs {
    /// The mock drive's directory.
    pub dir: PathBuf,
    #[command(flatten)]
    pub medium: MediumArgs,
}

/// Arguments of `spindle mock eject`.
#[derive(Debug, Args)]
pub struct EjectArgs {
    /// The mock drive's directory.
    pub dir: PathBuf,
    /// Eject even if the host locked the drive (like a paper clip in the emergency hole).
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `spindle mock state`.
#[derive(Debug, Args)]
pub struct StateArgs {
    /// The mock drive's directory.
    pub dir: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `spindle mock fault`.
#[derive(Debug, Args)]
pub struct FaultArgs {
    /// The mock drive's directory.
    pub dir: PathBuf,
    /// The opcode the fault hits, in hex (2A = WRITE(10), 35 = SYNCHRONIZE CACHE, 5B = CLOSE).
    #[arg(long, value_name = "HEX", value_parser = parse_opcode, required_unless_present_any = ["clear", "list"])]
    pub opcode: Option<u8>,
    /// Hit the Nth command with that opcode from now (1 = the next one).
    #[arg(long, default_value_t = 1)]
    pub nth: u32,
    /// Answer CHECK CONDITION with this sense, as KEY/ASC/ASCQ in hex (3/0C/00 = write error).
    #[arg(long, value_name = "K/ASC/ASCQ", value_parser = parse_sense, group = "effect")]
    pub sense: Option<(u8, u8, u8)>,
    /// Make the command time out in the transport.
    #[arg(long, group = "effect")]
    pub timeout: bool,
    /// Cut the power as the command arrives (unsynced data is lost).
    #[arg(long, group = "effect")]
    pub power_loss: bool,
    /// Report N bytes fewer transferred than asked.
    #[arg(long, value_name = "N", group = "effect")]
    pub short: Option<usize>,
    /// Keep firing on every later command with that opcode.
    #[arg(long)]
    pub sticky: bool,
    /// Remove all pending faults.
    #[arg(long, conflicts_with_all = ["opcode", "list"])]
    pub clear: bool,
    /// List the pending faults.
    #[arg(long)]
    pub list: bool,
}

/// Arguments of `spindle mock transcript`.
#[derive(Debug, Args)]
pub struct TranscriptArgs {
    /// The mock drive's directory.
    pub dir: PathBuf,
    /// Only the last N lines.
    #[arg(long, value_name = "N")]
    pub tail: Option<usize>,
}

fn parse_opcode(s: &str) -> Result<u8, String> {
    let t = s.trim_start_matches("0x").trim_end_matches(['h', 'H']);
    u8::from_str_radix(t, 16).map_err(|_| format!("'{s}' is not a hex opcode such as 2A"))
}

fn parse_sense(s: &str) -> Result<(u8, u8, u8), String> {
    let parts: Vec<&str> = s.split('/').collect();
    let bad = || format!("'{s}' is not KEY/ASC/ASCQ in hex, such as 3/0C/00");
    let [k, a, q] = parts.as_slice() else {
        return Err(bad());
    };
    let h = |x: &str| u8::from_str_radix(x, 16).map_err(|_| bad());
    let key = h(k)?;
    if key > 0x0F {
        return Err(format!("sense key {key:X} is out of range (0-F)"));
    }
    Ok((key, h(a)?, h(q)?))
}

/// Runs `spindle mock …`.
///
/// # Errors
/// Mock state errors and invalid combinations, with what to do.
pub fn run(a: &MockArgs) -> anyhow::Result<()> {
    match &a.action {
        MockAction::New(n) => {
            let mut config = if n.qemu {
                MockConfig::qemu_like()
            } else {
                MockConfig::default()
            };
            if let Some(path) = &n.profile {
                apply_profile(&mut config, path)?;
            }
            if let Some(k) = n.buffer_kib {
                config.buffer_bytes = k.saturating_mul(1024);
            }
            if let Some(p) = n.immed_polls {
                config.immed_polls = p;
            }
            config.pace_kbs = n.pace;
            config.transcript = !n.no_transcript;
            let mut drive = MockDrive::create(&n.dir, config)
                .with_context(|| format!("creating a mock drive in {}", n.dir.display()))?;
            // Changes recorded against the old medium must not land on the new one.
            crate::cmd::files::drop_mock_journal(&n.dir);
            if let Some(kind) = n.medium.media {
                insert(&mut drive, kind, &n.medium)?;
            } else if n.medium.image.is_some() || n.medium.blank {
                bail!("--image and --blank need --media (for example --media cd-rom --image disc.iso)");
            }
            let what = n
                .medium
                .media
                .map_or("no medium".to_string(), |k| k.to_string());
            eprintln!("mock drive ready: mock:{} ({what})", n.dir.display());
        }
        MockAction::Insert(i) => {
            let mut drive = MockDrive::open(&i.dir)?;
            let Some(kind) = i.medium.media else {
                bail!("say which medium with --media ({MEDIA_HELP})")
            };
            insert(&mut drive, kind, &i.medium)?;
            crate::cmd::files::drop_mock_journal(&i.dir);
        }
        MockAction::Eject(e) => {
            let mut drive = MockDrive::open(&e.dir)?;
            if e.force {
                drive.force_eject()?;
            } else if drive.eject()? == hal::mock::EjectOutcome::RefusedLocked {
                bail!(
                    "mock:{}: the drive is locked by the host (PREVENT ALLOW MEDIUM REMOVAL), so the button does nothing; run `spindle unlock mock:{}` or use --force",
                    e.dir.display(),
                    e.dir.display()
                );
            }
        }
        MockAction::Close(d) => MockDrive::open(&d.dir)?.close_tray()?,
        MockAction::PowerLoss(d) => MockDrive::open(&d.dir)?.power_loss()?,
        MockAction::State(s) => {
            let st = MockDrive::open(&s.dir)?.state()?;
            if s.json {
                println!("{}", serde_json::to_string_pretty(&st)?);
            } else {
                print_state(&st);
            }
        }
        MockAction::Fault(f) => {
            let drive = MockDrive::open(&f.dir)?;
            if f.clear {
                drive.clear_faults()?;
            } else if let Some(op) = f.opcode {
                let mut fault = Fault::on(op).nth(f.nth.max(1));
                fault = if let Some((k, a, q)) = f.sense {
                    fault.sense(k, a, q)
                } else if f.timeout {
                    fault.timeout()
                } else if f.power_loss {
                    fault.power_loss()
                } else if let Some(n) = f.short {
                    fault.short_transfer(n)
                } else {
                    bail!("say what the fault does: --sense K/ASC/ASCQ, --timeout, --power-loss or --short N");
                };
                if f.sticky {
                    fault = fault.sticky();
                }
                drive.add_fault(fault)?;
            }
            if f.list {
                for fault in drive.faults().pending()? {
                    println!("{fault}");
                }
            }
        }
        MockAction::Transcript(t) => {
            let text = MockDrive::open(&t.dir)?.transcript()?;
            let lines: Vec<&str> = text.lines().collect();
            let start = t.tail.map_or(0, |n| lines.len().saturating_sub(n));
            for l in lines.iter().skip(start) {
                println!("{l}");
            }
        }
    }
    Ok(())
}

/// Takes a report's recorded answers into a mock configuration.
///
/// # Errors
/// The report cannot be read (see [`crate::cmd::report::load`]).
pub fn apply_profile(config: &mut MockConfig, path: &std::path::Path) -> anyhow::Result<()> {
    let report = crate::cmd::report::load(path)?;
    let replay = crate::cmd::report::replay(&report);
    if let Some(id) = &report.identity {
        // The replayed INQUIRY answers for itself; these name the drive in `mock state` and
        // in the VPD page 83h the mock builds when the drive had none.
        config.vendor.clone_from(&id.vendor);
        config.product.clone_from(&id.product);
        config.revision.clone_from(&id.revision);
    }
    if let Some(b) = replay.buffer_bytes {
        config.buffer_bytes = b;
    }
    config.profile = Some(replay.profile);
    Ok(())
}

fn insert(drive: &mut MockDrive, kind: MediaKind, m: &MediumArgs) -> anyhow::Result<()> {
    if let Some(p) = drive.config()?.profile {
        let listed = p.profiles();
        if !listed.is_empty() && !listed.contains(&kind.profile()) {
            let names: Vec<String> = listed
                .iter()
                .map(|&c| format!("{} ({c:04X}h)", mmc::Profile(c).name()))
                .collect();
            bail!(
                "the recorded drive ({}) does not list {kind} (profile {:04X}h); it lists {}",
                p.source,
                kind.profile(),
                names.join(", ")
            );
        }
    }
    if kind.is_rom() && m.image.is_none() {
        bail!("{kind} is a pressed disc: give its contents with --image FILE");
    }
    if !kind.is_rom() && m.image.is_some() {
        bail!("{kind} starts blank; --image only goes with cd-rom or dvd-rom");
    }
    if m.blank && !kind.is_overwritable() {
        log::info!("--blank changes nothing for {kind}: write-once and sequential media always start blank");
    }
    drive
        .insert(kind, m.blank, m.image.as_deref())
        .with_context(|| format!("inserting {kind}"))?;
    Ok(())
}

fn print_state(st: &hal::mock::MockState) {
    println!("Drive:        mock:{}", st.dir.display());
    let mut locks = Vec::new();
    if st.prevent {
        locks.push("locked");
    }
    if st.persistent_prevent {
        locks.push("persistent lock");
    }
    println!(
        "Tray:         {}{}",
        if st.tray_open { "open" } else { "closed" },
        if locks.is_empty() {
            String::new()
        } else {
            format!(", {}", locks.join(", "))
        }
    );
    match &st.medium {
        None => println!("Medium:       none"),
        Some(m) => {
            println!(
                "Medium:       {} ({}){}",
                m.kind,
                m.profile,
                if m.in_open_tray {
                    ", in the open tray"
                } else {
                    ""
                }
            );
            let fmt = m
                .format
                .as_deref()
                .map(|f| format!(", {f}"))
                .unwrap_or_default();
            println!(
                "Disc:         {}{fmt}, last session {}, {} session(s)",
                m.disc_status, m.last_session, m.sessions
            );
            println!(
                "Capacity:     {} blocks, {} free",
                m.capacity, m.free_blocks
            );
            if let Some(n) = m.nwa {
                println!("NWA:          {n}");
            }
            for t in &m.tracks {
                println!(
                    "  track {:>3} session {:>3} start {:>9} size {:>9} {}",
                    t.number, t.session, t.start, t.size, t.state
                );
            }
        }
    }
    println!(
        "Buffer:       {} of {} bytes",
        st.buffer_fill, st.buffer_capacity
    );
    if let Some(kbs) = st.write_speed_kbs {
        println!("Write speed:  {kbs} kB/s (set by the host)");
    }
    if let Some((op, left)) = &st.busy {
        println!("Busy:         {op}, {left} poll(s) left");
    }
    for ua in &st.unit_attentions {
        println!("Pending UA:   {ua}");
    }
    for ev in &st.media_events {
        println!("Pending event: {ev}");
    }
    for f in &st.faults {
        println!("Fault:        {f}");
    }
    if let Some(p) = &st.profile {
        println!("Replays:      {p} (spindle mock new --profile)");
    }
    println!("Commands:     {}", st.commands);
}
