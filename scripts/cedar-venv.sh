#!/usr/bin/env bash
# Creates (once) a Python venv with Cedar Backup 3 from PyPI, for the test that lets Cedar's
# own configuration parser judge `spindle config check` (tests/tests/cedar_config_judge.rs).
# The venv is installed from the package's source distribution, which is also unpacked next
# to it: the sdist ships Cedar's test suite with its test configuration files
# (tests/data/*.conf.*) and the sample cback3.conf. Prints two lines: the venv's python and
# the unpacked sdist's directory. Everything lives in target/cedar-venv of the workspace, so
# `cargo clean` removes it; a warm run only checks that the parser imports.
#
# The version is pinned so the verdicts the test compares against do not move under it;
# 3.12.0 is the newest release that runs on Python 3.11 (3.12.1 needs Python 3.12).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version="${CEDAR_BACKUP3_VERSION:-3.12.0}"
base="$root/target/cedar-venv"
venv="$base/venv"
py="$venv/bin/python"
sdist="$base/cedar_backup3-$version"
check() {
    "$py" -c 'import CedarBackup3.config' 2>/dev/null && [[ -d "$sdist/tests/data" ]]
}
if ! check; then
    mkdir -p "$root/target"
    rm -rf "$base"
    mkdir -p "$base/download"
    python3 -m venv "$venv" >&2
    "$py" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
        --dest "$base/download" "cedar-backup3==$version" >&2
    tar -xzf "$base/download/cedar_backup3-$version.tar.gz" -C "$base"
    "$py" -m pip install --quiet --disable-pip-version-check \
        "$base/download/cedar_backup3-$version.tar.gz" >&2
    "$py" -c 'import CedarBackup3.config' >&2
    [[ -d "$sdist/tests/data" ]] || { echo "cedar-venv: $sdist/tests/data is missing" >&2; exit 1; }
fi
echo "$py"
echo "$sdist"
