#!/usr/bin/env bash
# Every test spindle has, as CI runs them: formatting, lints, unit and end-to-end tests against
# the mock drive, and the hardware lane (a real Linux kernel under QEMU with emulated drives).
set -euo pipefail
cd "$(dirname "$0")/.."

t0=$(date +%s)
# Every tier runs here: a test whose outside program, root or PyPI package is missing fails
# instead of saying NOT RUN (see tests/tier.rs).
export SPINDLE_ALL_TIERS=1
bash scripts/install-deps.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The API docs: a broken or ambiguous intra-doc link fails here, not on docs.rs later.
RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps --quiet
cargo build --workspace --release --bins --quiet
# The fuzz targets are a workspace of their own (libFuzzer); building them keeps them compiling.
cargo build --quiet --manifest-path fuzz/Cargo.toml
cargo test --workspace --no-fail-fast 2>&1 | tee target/test-output.log
# The hardware lane: one boot of a stock Linux kernel under QEMU with five emulated drives.
# Its tests are #[ignore]d so a plain `cargo test` needs no QEMU; here they run.
bash hwtests/lab/prepare.sh
cargo test -p hwtests --no-fail-fast -- --ignored 2>&1 | tee target/hwtest-output.log
echo "test-all: finished in $(( $(date +%s) - t0 )) s"
