#!/usr/bin/env bash
# Installs what spindle's test suite needs on a fresh Debian machine, and nothing when it is
# already there (a warm machine runs this in well under a second).
#   - outside readers and writers the tests compare against: xorriso, genisoimage (isoinfo),
#     bsdtar (libarchive-tools), sg3-utils, and python3-venv for the pycdlib venv that
#     scripts/pycdlib-venv.sh creates (iso9660's tests run that script themselves);
#   - librsync-dev, python3-dev, python3-venv and gcc, which scripts/duplicity-venv.sh needs to
#     build duplicity from PyPI (the xorriso-front tests run duplicity against spindle);
#   - the hardware lane: qemu-system-x86, busybox-static, cpio, xz-utils (hwtests/lab also
#     checks for these itself, so it can run on its own);
#   - openssh-server and openssh-client: tests/tests/cedar_stage_remote.rs starts its own sshd
#     on 127.0.0.1 and stages remote peers through scp and ssh (it needs root);
#   - what installing spindle is checked with (dist/tests): man-db and groff-base render the
#     man pages (`man -l --warnings`), systemd provides `systemd-analyze verify` for the units,
#     bash-completion, zsh and fish load the completions, and dpkg-dev's dpkg-shlibdeps gives
#     the package its Depends (scripts/build-deb.sh; cargo-deb comes from crates.io).
set -euo pipefail

pkgs=(xorriso genisoimage libarchive-tools python3-venv python3-dev librsync-dev gcc sg3-utils qemu-system-x86 busybox-static cpio xz-utils openssh-server openssh-client man-db groff-base systemd bash-completion zsh fish dpkg-dev)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
    echo "install-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
        $SUDO apt-get update -qq >&2
        $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
fi
