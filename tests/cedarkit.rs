//! Helpers for the Cedar Backup action tests: a backup setup in a temporary directory (staging
//! root, working dir, local peers, a mock drive), a config file written from a few knobs, and
//! `spindle` run in-process with a fixed date.

use std::path::{Path, PathBuf};

use hal::mock::MediaKind;

use crate::MockDisc;

/// The week the tests live in: Monday 2024-03-04 … Sunday 2024-03-10, then Monday 2024-03-11.
pub const WEEK: [&str; 8] = [
    "2024-03-04",
    "2024-03-05",
    "2024-03-06",
    "2024-03-07",
    "2024-03-08",
    "2024-03-09",
    "2024-03-10",
    "2024-03-11",
];

/// `YYYY/MM/DD` of a `YYYY-MM-DD` date.
pub fn suffix(day: &str) -> String {
    day.replace('-', "/")
}

/// The knobs of the generated config.
#[derive(Debug, Clone)]
pub struct Knobs {
    /// `<media_type>`.
    pub media_type: &'static str,
    /// `<starting_day>`.
    pub starting_day: &'static str,
    /// `<check_data>`.
    pub check_data: bool,
    /// `<check_media>`.
    pub check_media: bool,
    /// `<blank_behavior>` mode and factor.
    pub blank: Option<(&'static str, &'static str)>,
    /// `<eject_delay>`.
    pub eject_delay: Option<u32>,
    /// `<no_eject>`.
    pub no_eject: bool,
    /// `<refresh_media_delay>`.
    pub refresh_media_delay: Option<u32>,
    /// `<drive_speed>`.
    pub drive_speed: Option<u32>,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            media_type: "dvd+rw",
            starting_day: "monday",
            check_data: true,
            check_media: false,
            blank: None,
            eject_delay: None,
            no_eject: false,
            refresh_media_delay: None,
            drive_speed: None,
        }
    }
}

/// A backup setup.
#[derive(Debug)]
pub struct Setup {
    /// Holds everything.
    pub root: tempfile::TempDir,
    /// The drive.
    pub disc: MockDisc,
    /// The config file.
    pub config: PathBuf,
}

impl Setup {
    /// A setup with `kind` in the drive (overwritable media formatted, others blank).
    pub fn new(kind: MediaKind, knobs: &Knobs) -> Setup {
        let root = tempfile::tempdir().expect("tempdir");
        let disc = MockDisc::with(kind, false);
        for d in ["stage", "work", "peers/alpha"] {
            std::fs::create_dir_all(root.path().join(d)).expect("mkdir");
        }
        let config = root.path().join("cback3.conf");
        let s = Setup { root, disc, config };
        s.write_config(knobs);
        s
    }

    /// Rewrites the config file.
    pub fn write_config(&self, k: &Knobs) {
        let r = self.root.path().display();
        let yn = |b: bool| if b { "Y" } else { "N" };
        let device_type = if k.media_type.starts_with("dvd") {
            "dvdwriter"
        } else {
            "cdwriter"
        };
        let blank = k
            .blank
            .map(|(m, f)| {
                format!("<blank_behavior><mode>{m}</mode><factor>{f}</factor></blank_behavior>")
            })
            .unwrap_or_default();
        let mut delay = k
            .eject_delay
            .map(|d| format!("<eject_delay>{d}</eject_delay>"))
            .unwrap_or_default();
        if let Some(d) = k.refresh_media_delay {
            delay.push_str(&format!("<refresh_media_delay>{d}</refresh_media_delay>"));
        }
        if let Some(n) = k.drive_speed {
            delay.push_str(&format!("<drive_speed>{n}</drive_speed>"));
        }
        delay.push_str(&format!("<no_eject>{}</no_eject>", yn(k.no_eject)));
        let text = format!(
            r#"<?xml version="1.0"?>
<cb_config>
  <reference><author>spindle tests</author></reference>
  <options>
    <starting_day>{sd}</starting_day>
    <working_dir>{r}/work</working_dir>
    <backup_user>root</backup_user>
    <backup_group>root</backup_group>
    <rcp_command>/usr/bin/scp -B</rcp_command>
  </options>
  <stage>
    <staging_dir>{r}/stage</staging_dir>
    <peer><name>alpha</name><type>local</type><collect_dir>{r}/peers/alpha</collect_dir></peer>
  </stage>
  <store>
    <source_dir>{r}/stage</source_dir>
    <media_type>{mt}</media_type>
    <device_type>{device_type}</device_type>
    <target_device>{dev}</target_device>
    <check_data>{cd}</check_data>
    <check_media>{cm}</check_media>
    <warn_midnite>Y</warn_midnite>
    {blank}{delay}
  </store>
</cb_config>
"#,
            sd = k.starting_day,
            mt = k.media_type,
            dev = self.disc.spec(),
            cd = yn(k.check_data),
            cm = yn(k.check_media),
        );
        std::fs::write(&self.config, text).expect("write config");
    }

    /// The staging root.
    pub fn stage_root(&self) -> PathBuf {
        self.root.path().join("stage")
    }

    /// The daily dir of `day`.
    pub fn daily(&self, day: &str) -> PathBuf {
        self.stage_root().join(suffix(day))
    }

    /// Makes `day`'s staging dir as stage would: `alpha/<files>` and `cback.stage`.
    pub fn stage_day(&self, day: &str, bytes: usize) -> PathBuf {
        let d = self.daily(day);
        let p = d.join("alpha");
        std::fs::create_dir_all(&p).expect("mkdir");
        let body = format!("backup of {day}\n").repeat(bytes / 20 + 1);
        std::fs::write(p.join(format!("data-{day}.tar")), &body[..bytes.max(1)]).expect("file");
        std::fs::write(p.join("cback.collect"), b"").expect("indicator");
        std::fs::write(d.join("cback.stage"), b"").expect("indicator");
        d
    }

    /// Whether `day` is marked stored.
    pub fn stored(&self, day: &str) -> bool {
        self.daily(day).join("cback.store").exists()
    }

    /// Runs `spindle --config … -l … --today DAY ARGS…` in-process; returns the exit code.
    pub fn run(&self, day: &str, args: &[&str]) -> u8 {
        let log = self.root.path().join("spindle.log");
        let mut v: Vec<String> = vec![
            "spindle".into(),
            "--config".into(),
            self.config.display().to_string(),
            "-l".into(),
            log.display().to_string(),
            "--today".into(),
            day.into(),
        ];
        v.extend(args.iter().map(|s| (*s).to_owned()));
        cli::spindle::run_args(v)
    }

    /// The files in the disc's last session (paths without a leading `/`), and its label.
    pub fn last_session(&self) -> (Vec<String>, String) {
        last_session(&self.disc.spec())
    }
}

/// The files in the last session on `device`, and its label.
pub fn last_session(device: &str) -> (Vec<String>, String) {
    let mut image = cli::disc::session::open_last_session(device).expect("open last session");
    let label = image.volume_id().trim_end().to_owned();
    let mut files = Vec::new();
    image
        .walk(|w| {
            if !w.entry.is_dir() {
                files.push(w.path.display().to_string());
            }
            Ok(())
        })
        .expect("walk");
    files.sort();
    (files, label)
}

/// The daily dirs (`YYYY/MM/DD`) present in a file list.
pub fn days_in(files: &[String]) -> Vec<String> {
    let mut d: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let p = Path::new(f);
            let c: Vec<_> = p.components().take(3).collect();
            (c.len() == 3 && p.components().count() > 3).then(|| {
                c.iter()
                    .map(|x| x.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/")
            })
        })
        .collect();
    d.sort();
    d.dedup();
    d
}
