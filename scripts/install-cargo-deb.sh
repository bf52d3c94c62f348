#!/usr/bin/env bash
# Installs cargo-deb (crates.io) when `cargo deb` is missing; scripts/build-deb.sh calls it.
# It needs the network the first time only: cargo keeps the binary in ~/.cargo/bin.
set -euo pipefail
if cargo deb --version >/dev/null 2>&1; then
    exit 0
fi
echo "install-cargo-deb: installing cargo-deb from crates.io" >&2
cargo install cargo-deb --locked --quiet
