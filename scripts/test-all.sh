#!/usr/bin/env bash
# Every test spindle has, as CI runs them: formatting, lints, unit and end-to-end tests against
# the mock drive, and the hardware lane (a real Linux kernel under QEMU with emulated drives).
set -euo pipefail
cd "$(dirname "$0")/.."

t0=$(date +%s)
bash scripts/install-deps.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo build --workspace --release --bins --quiet
# The fuzz targets are a workspace of their own (libFuzzer); building them keeps them compiling.
cargo build --quiet --manifest-path fuzz/Cargo.toml
cargo test --workspace --no-fail-fast 2>&1 | tee target/test-output.log
echo "test-all: finished in $(( $(date +%s) - t0 )) s"
