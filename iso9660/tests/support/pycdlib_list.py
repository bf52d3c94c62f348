"""Lists an ISO image through pycdlib, one JSON object per line, for iso9660's tests.

usage: pycdlib_list.py IMAGE            entries of the Rock Ridge tree
       pycdlib_list.py --source DIR     the same fields for a directory on disk

Fields: path (relative, "/"-separated), type (d/f/l/p/c/b/s), perm (mode & 0o7777), size
(regular files), sha256 (regular files), target (symlinks), mtime (seconds).

The image is opened with pycdlib's strict parser; contents are read through each record's
ISO 9660 path so that multi-extent files are read whole. With the tests' images the three TF
stamps are equal (SOURCE_DATE_EPOCH mode), so whichever one pycdlib calls "modification" is
the mtime.
"""
import calendar
import hashlib
import io
import json
import os
import stat
import sys

TYPES = {stat.S_IFDIR: "d", stat.S_IFREG: "f", stat.S_IFLNK: "l", stat.S_IFIFO: "p",
         stat.S_IFCHR: "c", stat.S_IFBLK: "b", stat.S_IFSOCK: "s"}


class Hasher(io.RawIOBase):
    def __init__(self):
        self.h = hashlib.sha256()
        self.n = 0

    def writable(self):
        return True

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        return len(b)


def emit(d):
    sys.stdout.write(json.dumps(d, sort_keys=True) + "\n")


def source(top):
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            rel = os.path.relpath(full, top)
            d = {"path": rel, "type": TYPES.get(stat.S_IFMT(st.st_mode), "?"),
                 "perm": stat.S_IMODE(st.st_mode), "mtime": int(st.st_mtime // 1)}
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(full, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                d["size"] = st.st_size
                d["sha256"] = h.hexdigest()
            if stat.S_ISLNK(st.st_mode):
                d["target"] = os.readlink(full)
            emit(d)


def tf_mtime(rr):
    for entries in (rr.dr_entries, rr.ce_entries):
        tf = entries.tf_record
        if tf is None:
            continue
        for t in (tf.modification_time, tf.access_time, tf.attribute_change_time):
            if t is not None:
                return calendar.timegm((1900 + t.years_since_1900, t.month, t.day_of_month,
                                        t.hour, t.minute, t.second)) - t.gmtoffset * 900
    return None


def image(path):
    import pycdlib
    iso = pycdlib.PyCdlib()
    iso.open(path)
    if not iso.has_rock_ridge():
        sys.exit("no Rock Ridge")
    stack = [""]
    while stack:
        d = stack.pop()
        seen = set()
        for rec in iso.list_children(rr_path="/" + d):
            if rec.is_dot() or rec.is_dotdot():
                continue
            name = rec.rock_ridge.name().decode("utf-8")
            if name in seen:  # a further section of a multi-extent file
                continue
            seen.add(name)
            rel = d + "/" + name if d else name
            mode = rec.rock_ridge.get_file_mode()
            e = {"path": rel, "type": TYPES.get(stat.S_IFMT(mode), "?"),
                 "perm": stat.S_IMODE(mode), "mtime": tf_mtime(rec.rock_ridge)}
            if e["type"] == "f":
                h = Hasher()
                iso.get_file_from_iso_fp(h, iso_path=iso.full_path_from_dirrecord(rec))
                e["size"] = h.n
                e["sha256"] = h.h.hexdigest()
            elif e["type"] == "l":
                e["target"] = rec.rock_ridge.symlink_path().decode("utf-8")
            elif e["type"] == "d":
                stack.append(rel)
            emit(e)
    iso.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--source":
        source(sys.argv[2])
    elif len(sys.argv) == 2:
        image(sys.argv[1])
    else:
        sys.exit(__doc__)
