#!/usr/bin/env bash
# Creates (once) a Python venv with duplicity from PyPI for the tests that run duplicity's
# xorriso backend against spindle, and prints the path of its `duplicity` script. duplicity's
# C extension (_librsync) is built against Debian's librsync-dev (scripts/install-deps.sh
# installs it; Debian's own duplicity package is too old to have the xorriso backend). The
# venv lives in target/duplicity-venv of the workspace, so `cargo clean` removes it. A warm
# run only checks that the backend imports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/target/duplicity-venv"
py="$venv/bin/python"
version="${DUPLICITY_VERSION:-3.2.1}"
check() { "$py" -c 'import duplicity.backends.xorrisobackend, duplicity._librsync' 2>/dev/null; }
if ! check; then
    "$root/scripts/install-deps.sh"
    mkdir -p "$root/target"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$py" -m pip install --quiet --disable-pip-version-check "duplicity==$version" >&2
    "$py" -c 'import duplicity.backends.xorrisobackend, duplicity._librsync' >&2
fi
echo "$venv/bin/duplicity"
