//! `mock-target DIR --iscsi HOST:PORT`: serves the mock drive in `DIR` (made with `spindle
//! mock new`) as LUN 1 of the iSCSI target `iqn.2026-12.org.spindle:mock`, so QEMU can give
//! it to a guest kernel:
//!
//! ```text
//! -drive file=iscsi://127.0.0.1:PORT/iqn.2026-12.org.spindle:mock/1,if=none,id=m0,format=raw
//! -device scsi-block,bus=vscsi.0,drive=m0
//! ```
//!
//! Every command for LUN 1 but REPORT LUNS goes to the mock unchanged (and into its
//! `transcript.log`). Test-only: no authentication, and it listens until it is killed.
//! Once listening it prints `listening HOST:PORT` on stdout (PORT 0 picks a free port).
//! Logs go to stderr (`RUST_LOG`, default `info`).
//!
//! Exit status: 0 never (it runs until killed), 1 the mock cannot be opened or the address
//! cannot be bound, 2 bad command line.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hal::mock::MockDrive;
use hwtests::iscsi::{Target, MOCK_TARGET_NAME};

const USAGE: &str = "usage: mock-target DIR --iscsi HOST:PORT";

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, addr) = match args.as_slice() {
        [dir, flag, addr] if flag == "--iscsi" => (PathBuf::from(dir), addr.clone()),
        [flag, addr, dir] if flag == "--iscsi" => (PathBuf::from(dir), addr.clone()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = MockDrive::open(&dir) {
        eprintln!("mock-target: {}: {e}", dir.display());
        return ExitCode::from(1);
    }
    let listener = match TcpListener::bind(&addr) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mock-target: cannot listen on {addr}: {e}");
            return ExitCode::from(1);
        }
    };
    let portal = match listener.local_addr() {
        Ok(a) => a.to_string(),
        Err(e) => {
            eprintln!("mock-target: {e}");
            return ExitCode::from(1);
        }
    };
    println!("listening {portal}");
    let _ = std::io::stdout().flush();
    log::info!(
        "serving mock:{} as {MOCK_TARGET_NAME} LUN 1 on {portal}",
        dir.display()
    );
    for stream in listener.incoming() {
        match stream {
            Ok(s) => {
                let (dir, portal) = (dir.clone(), portal.clone());
                std::thread::spawn(move || connection(&dir, &portal, s));
            }
            Err(e) => log::warn!("accept: {e}"),
        }
    }
    ExitCode::from(1)
}

fn connection(dir: &Path, portal: &str, stream: TcpStream) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    // Each command is one small PDU exchange; Nagle would hold replies back.
    let _ = stream.set_nodelay(true);
    let drive = match MockDrive::open(dir) {
        Ok(d) => d,
        Err(e) => {
            log::error!("{peer}: {}: {e}", dir.display());
            return;
        }
    };
    log::info!("{peer}: connected");
    match Target::new(MOCK_TARGET_NAME, portal, drive).serve(stream) {
        Ok(s) => log::info!(
            "{peer}: {} session of {} ended ({}): {} commands, {} to the mock, {} failed in the mock",
            s.session_type,
            s.initiator,
            if s.logged_out { "logout" } else { "connection closed" },
            s.commands,
            s.device_commands,
            s.device_errors.len()
        ),
        Err(e) => log::warn!("{peer}: connection ended: {e}"),
    }
}
