"""Cedar Backup 3's own verdict on configuration files, for tests/tests/cedar_config_judge.rs.

Run with the python of scripts/cedar-venv.sh: `python cedar-judge.py DIR`. For every file in
DIR (sorted by name) prints `NAME<TAB>valid` or `NAME<TAB>invalid<TAB>reason`, where valid
means what cback3 itself requires before it runs anything: `Config(xmlPath=..., validate=True)`
returns, which is both passes of Cedar's checking (the values each element may take, checked
while parsing, and the document-level rules of Config.validate). Anything it raises makes the
file invalid, as cback3 then exits with its configuration error.
"""

import os
import sys

from CedarBackup3.config import Config


def main():
    folder = sys.argv[1]
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        try:
            Config(xmlPath=path, validate=True)
        except Exception as e:  # every refusal counts, whatever Cedar raises
            reason = " ".join(str(e).split()) or type(e).__name__
            print(f"{name}\tinvalid\t{type(e).__name__}: {reason}")
        else:
            print(f"{name}\tvalid")


if __name__ == "__main__":
    main()
