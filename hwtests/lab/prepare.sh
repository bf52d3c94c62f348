#!/usr/bin/env bash
# prepare.sh - CI setup step for the QEMU lane: installs the Debian packages the
# lane needs (qemu-system-x86, busybox-static, cpio, xz-utils, xorriso; for the
# writable drives qemu-block-extra (QEMU's iSCSI driver), tgt, and the burners
# growisofs, wodim, genisoimage that run in the guest) and warms
# the kernel/initramfs cache ($SPINDLE_LAB_CACHE, default hwtests/.cache).
# Safe to run again: a warm run makes no apt or network calls. Extra arguments go
# to lab.sh (e.g. --refresh-kernel, --cache DIR).
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/lab.sh" --prepare --install xorriso \
    --install qemu-block-extra --install tgt --install growisofs --install wodim \
    --install genisoimage "$@"
