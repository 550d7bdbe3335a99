"""Folders a killed sqlaquiz left in the temporary directory, removed at the next start.

SIGTERM, SIGHUP and Ctrl-C end a command through its clean-up, which removes each worker's
folder (and every run folder inside it). SIGKILL leaves no time for that: the workers notice
that their pipe closed and exit, but their folders stay. The next command that runs examples
removes every `sqlaquiz-worker-*` folder of ours that no live process uses any more: on Linux,
one that no process's environment points at (each worker and its children have TMPDIR in it);
elsewhere, one older than a day. An editor's `sqlaquiz-edit-*` folder goes after a day.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import time

WORKER_PREFIX = "sqlaquiz-worker-"
EDIT_PREFIX = "sqlaquiz-edit-"
GRACE = 60.0  # seconds: a folder this new may belong to a worker that is still starting
DAY = 86_400.0


def sweep(folder: str | None = None) -> int:
    """Remove what killed sqlaquiz processes left in `folder` (the temporary directory);
    returns how many folders went. Never raises."""
    try:
        return _sweep(folder or tempfile.gettempdir())
    except OSError:
        return 0


def _sweep(folder: str) -> int:
    now = time.time()
    workers, edits = [], []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.name.startswith((WORKER_PREFIX, EDIT_PREFIX)):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            ours = not hasattr(os, "getuid") or info.st_uid == os.getuid()
            age = now - info.st_mtime
            if not (ours and stat.S_ISDIR(info.st_mode) and age > GRACE):
                continue
            if entry.name.startswith(EDIT_PREFIX):
                if age > DAY:
                    edits.append(entry.path)
            else:
                workers.append((entry.path, age))
    if not workers and not edits:
        return 0
    live = _live_tmpdirs() if workers else set()
    stale = [
        path
        for path, age in workers
        if (live is None and age > DAY) or (live is not None and _tmp(path) not in live)
    ]
    for path in [*stale, *edits]:
        shutil.rmtree(path, ignore_errors=True)
    return len(stale) + len(edits)


def _tmp(worker_folder: str) -> bytes:
    return os.fsencode(os.path.join(worker_folder, "tmp"))


def _live_tmpdirs() -> set[bytes] | None:
    """The TMPDIR of every process of ours (Linux); None where /proc cannot tell."""
    if not os.path.isdir("/proc/self"):
        return None
    found: set[bytes] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError), open(f"/proc/{entry}/environ", "rb") as f:
            for item in f.read().split(b"\0"):
                if item.startswith(b"TMPDIR="):
                    found.add(item[len(b"TMPDIR=") :])
    return found
