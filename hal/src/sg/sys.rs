//! The only unsafe code in spindle: the SG_IO ioctl and the struct it takes.
//!
//! `sg_io_hdr` is mirrored by hand because libc has no binding for it. The layout is the
//! Linux v3 interface on LP64 (x86_64, aarch64); the offsets were measured against
//! `/usr/include/scsi/sg.h` and are asserted below so a wrong field order cannot compile.

use std::os::fd::{AsRawFd, BorrowedFd};

/// `sg_io_hdr_t`, include/uapi/scsi/sg.h.
#[repr(C)]
#[derive(Debug)]
pub(super) struct SgIoHdr {
    pub interface_id: libc::c_int,
    pub dxfer_direction: libc::c_int,
    pub cmd_len: libc::c_uchar,
    pub mx_sb_len: libc::c_uchar,
    pub iovec_count: libc::c_ushort,
    pub dxfer_len: libc::c_uint,
    pub dxferp: *mut libc::c_void,
    pub cmdp: *const libc::c_uchar,
    pub sbp: *mut libc::c_uchar,
    pub timeout: libc::c_uint,
    pub flags: libc::c_uint,
    pub pack_id: libc::c_int,
    pub usr_ptr: *mut libc::c_void,
    pub status: libc::c_uchar,
    pub masked_status: libc::c_uchar,
    pub msg_status: libc::c_uchar,
    pub sb_len_wr: libc::c_uchar,
    pub host_status: libc::c_ushort,
    pub driver_status: libc::c_ushort,
    pub resid: libc::c_int,
    pub duration: libc::c_uint,
    pub info: libc::c_uint,
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(std::mem::size_of::<SgIoHdr>() == 88);
    assert!(std::mem::offset_of!(SgIoHdr, dxferp) == 16);
    assert!(std::mem::offset_of!(SgIoHdr, timeout) == 40);
    assert!(std::mem::offset_of!(SgIoHdr, usr_ptr) == 56);
    assert!(std::mem::offset_of!(SgIoHdr, status) == 64);
    assert!(std::mem::offset_of!(SgIoHdr, sb_len_wr) == 67);
    assert!(std::mem::offset_of!(SgIoHdr, host_status) == 68);
    assert!(std::mem::offset_of!(SgIoHdr, resid) == 72);
    assert!(std::mem::offset_of!(SgIoHdr, info) == 80);
};

const SG_INTERFACE_ID_ORIG: libc::c_int = b'S' as libc::c_int;
const SG_DXFER_NONE: libc::c_int = -1;
const SG_DXFER_TO_DEV: libc::c_int = -2;
const SG_DXFER_FROM_DEV: libc::c_int = -3;

// SG_IO is a plain number, not an _IOWR encoding, hence the "bad" form.
nix::ioctl_readwrite_bad!(sg_io_ioctl, 0x2285, SgIoHdr);
// SG_GET_VERSION_NUM: both the sg driver and the block layer answer it; anything else
// (a regular file, /dev/null, a tty) does not, which is how we reject non-SCSI nodes early.
nix::ioctl_read_bad!(sg_get_version_num, 0x2282, libc::c_int);

/// Which way data moves, with the buffer borrowed for the call.
pub(super) enum Dir<'a> {
    None,
    In(&'a mut [u8]),
    Out(&'a [u8]),
}

/// What the kernel reported back.
#[derive(Debug, Clone, Copy)]
pub(super) struct Outcome {
    pub status: u8,
    pub host_status: u16,
    pub driver_status: u16,
    pub sense_len: usize,
    pub resid: usize,
}

/// Runs one SG_IO. `cdb` must be 6..=16 bytes and the data buffer at most `u32::MAX` bytes;
/// the caller checks both.
pub(super) fn execute(
    fd: BorrowedFd<'_>,
    cdb: &[u8],
    dir: Dir<'_>,
    timeout_ms: u32,
    sense: &mut [u8; 64],
) -> nix::Result<Outcome> {
    let (direction, ptr, len) = match dir {
        Dir::None => (SG_DXFER_NONE, std::ptr::null_mut(), 0usize),
        Dir::In(b) => (
            SG_DXFER_FROM_DEV,
            b.as_mut_ptr().cast::<libc::c_void>(),
            b.len(),
        ),
        // The kernel only reads a TO_DEV buffer; the cast to *mut is what the C struct wants.
        Dir::Out(b) => (
            SG_DXFER_TO_DEV,
            b.as_ptr().cast_mut().cast::<libc::c_void>(),
            b.len(),
        ),
    };
    let cmd_len = u8::try_from(cdb.len()).map_err(|_| nix::errno::Errno::EMSGSIZE)?;
    let dxfer_len = u32::try_from(len).map_err(|_| nix::errno::Errno::EINVAL)?;
    let mut hdr = SgIoHdr {
        interface_id: SG_INTERFACE_ID_ORIG,
        dxfer_direction: direction,
        cmd_len,
        mx_sb_len: sense.len() as libc::c_uchar,
        iovec_count: 0,
        dxfer_len,
        dxferp: ptr,
        cmdp: cdb.as_ptr(),
        sbp: sense.as_mut_ptr(),
        timeout: timeout_ms,
        flags: 0,
        pack_id: 0,
        usr_ptr: std::ptr::null_mut(),
        status: 0,
        masked_status: 0,
        msg_status: 0,
        sb_len_wr: 0,
        host_status: 0,
        driver_status: 0,
        resid: 0,
        duration: 0,
        info: 0,
    };
    // Every pointer in `hdr` comes from a slice borrowed for the whole call: the CDB, the
    // data buffer with its exact length in dxfer_len, the 64-byte sense buffer with
    // mx_sb_len = 64. `hdr` is a live sg_io_hdr whose layout is asserted above.
    // SAFETY: pointers and lengths as above; the fd is borrowed, so open until the ioctl returns.
    unsafe { sg_io_ioctl(fd.as_raw_fd(), &mut hdr) }?;
    // The kernel's counts are clamped before use so a misbehaving driver cannot make us
    // slice out of bounds.
    Ok(Outcome {
        status: hdr.status,
        host_status: hdr.host_status,
        driver_status: hdr.driver_status,
        sense_len: usize::from(hdr.sb_len_wr).min(sense.len()),
        resid: usize::try_from(hdr.resid).unwrap_or(0).min(len),
    })
}

/// Asks the node for its SG interface version; fails with ENOTTY on anything that is not
/// a SCSI block or sg device.
pub(super) fn version_num(fd: BorrowedFd<'_>) -> nix::Result<i32> {
    let mut v: libc::c_int = 0;
    // SAFETY: the ioctl writes one c_int into `v`, which outlives the call; the fd is open.
    unsafe { sg_get_version_num(fd.as_raw_fd(), &mut v) }?;
    Ok(v)
}
