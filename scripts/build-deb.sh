#!/usr/bin/env bash
# Builds the Debian package and prints its path (target/debian/spindle_VERSION-1_ARCH.deb);
# arguments go to cargo deb (the package test passes --fast: lighter compression).
#   1. cargo-deb, installed from crates.io when missing (scripts/install-cargo-deb.sh);
#   2. the release binaries (a no-op after scripts/test-all.sh's own release build);
#   3. the man pages and completions, generated from the clap definitions by spindle-gen
#      into target/spindle-dist;
#   4. `cargo deb --no-build`, which packs the binaries, step 3's files, the systemd units
#      (dist/systemd) and the example configuration, as cli/Cargo.toml lists them.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-cargo-deb.sh
# The same selection as scripts/test-all.sh, so that its release build is reused as it is.
cargo build --workspace --release --bins --quiet
cargo_target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
# cli/Cargo.toml names this directory.
gen=target/spindle-dist
rm -rf "$gen"
"$cargo_target/release/spindle-gen" all "$gen" >/dev/null
rm -f "$cargo_target"/debian/spindle_*.deb
if ! log=$(cargo deb -p cli --no-build --strip "$@" 2>&1); then
    echo "$log" >&2
    exit 1
fi
ls "$cargo_target"/debian/spindle_*.deb
