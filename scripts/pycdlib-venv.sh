#!/usr/bin/env bash
# Creates (once) a Python venv with pycdlib for iso9660's interoperability tests and prints the
# path of its python. The venv lives in target/pycdlib-venv of the workspace, so `cargo clean`
# removes it. A warm run only checks that the import works.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/target/pycdlib-venv"
py="$venv/bin/python"
if ! "$py" -c 'import pycdlib' 2>/dev/null; then
    mkdir -p "$root/target"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$py" -m pip install --quiet --disable-pip-version-check 'pycdlib>=1.14' >&2
    "$py" -c 'import pycdlib' >&2
fi
echo "$py"
