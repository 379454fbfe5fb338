"""Content hashes of local files, with a cache so a nightly run does not re-read unchanged files.

The cache (`<workdir>/hashes.json`) maps a file's absolute path to the sha256 found for it and the
stat fields it had then: size, mtime_ns, ctime_ns, inode and device. A file is read again when any
of them differs. Writing a file changes its mtime and ctime; a tool that restores the mtime after
writing (`touch -d`, `cp -p`, `rsync -t`) still changes the ctime, which no user call can set back;
a file replaced by another (a rename over it, a fresh download) has a new inode. What is left is
the "racy" case git knows: a file written twice within one timestamp tick, with the same size, the
second time after it was hashed. Entries are therefore only cached for files whose mtime and ctime
are at least `SETTLED_S` seconds old when hashed: a file still being written is hashed every run
until it settles. The trade-off: a file changed behind the file system's back (a raw block write,
a clock set backwards by more than the settle time around a same-size rewrite) would be missed;
delete `hashes.json` (or the staging folder) to hash everything again.

Lean on purpose: the no-change fast path imports it (no parser, no Prefect).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

CACHE_NAME = "hashes.json"
SETTLED_S = 2.0  # a file changed more recently than this is never cached (timestamp ticks, racy writes)
_FORMAT = 1


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


class HashCache:
    """`sha256(path)` from the cache when the file's stat fields are unchanged, else read; `save()`
    writes the cache atomically (a torn or unreadable cache is simply ignored: everything is hashed)."""

    def __init__(self, workdir: str | os.PathLike | None):
        self.file = Path(workdir) / CACHE_NAME if workdir is not None else None
        self.entries: dict[str, list] = {}
        self.hits = self.misses = 0
        self._dirty = False
        self._seen: set[str] = set()
        if self.file is not None:
            try:
                data = json.loads(self.file.read_text(encoding="utf-8"))
                if data.get("format") == _FORMAT:
                    self.entries = data["files"]
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                self.entries = {}

    def sha256(self, path: str | os.PathLike) -> str:
        key = os.path.abspath(path)
        self._seen.add(key)
        st = os.stat(key)
        stamp = _stamp(st)
        entry = self.entries.get(key)
        if entry is not None and entry[:-1] == stamp:
            self.hits += 1
            return entry[-1]
        self.misses += 1
        sha = sha256_file(key)
        after = os.stat(key)
        settled = time.time_ns() - max(after.st_mtime_ns, after.st_ctime_ns) >= SETTLED_S * 1e9
        if _stamp(after) == stamp and settled:  # not written while read, nor too recently to trust the tick
            self.entries[key] = [*stamp, sha]
            self._dirty = True
        elif self.entries.pop(key, None) is not None:
            self._dirty = True
        return sha

    def save(self) -> None:
        if self.file is None or not self._dirty:
            return
        self.entries = {k: v for k, v in self.entries.items() if k in self._seen or os.path.exists(k)}
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.file.with_name(f".{self.file.name}.{os.getpid()}")
            tmp.write_text(json.dumps({"format": _FORMAT, "files": self.entries}), encoding="utf-8")
            os.replace(tmp, self.file)  # a concurrent run's cache is replaced whole, never torn
            self._dirty = False
        except OSError:
            pass  # only a cache: the next run hashes again
