"""`sqlaquiz validate --watch`: check the decks again on every save, until Ctrl-C.

The deck files are polled (their size, modification time and inode, twice a second) rather
than watched through the operating system: a few deck files cost nothing to stat, it works the
same on every platform and file system (network folders, containers), and it needs no
dependency. An editor that saves by writing a new file and renaming it over the old one
changes the inode, so it is seen too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.text import Text

from quiz.ui.safe import safe

INTERVAL = 0.4  # seconds between two looks at the files

Snapshot = dict[Path, tuple[int, int, int] | None]


def snapshot(paths: list[Path]) -> Snapshot:
    """Each deck file below `paths` with (size, mtime, inode); None for a path that is gone."""
    from quiz.paths import deck_sources

    files, missing = deck_sources(paths)
    seen: Snapshot = {path: None for path, _ in missing}
    for file in files:
        try:
            info = os.stat(file)
            seen[file] = (info.st_size, info.st_mtime_ns, info.st_ino)
        except OSError:
            seen[file] = None
    return seen


def changed(before: Snapshot, after: Snapshot) -> list[Path]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def watch(
    console: Console,
    paths: list[Path],
    check: Callable[[], int],
    interval: float = INTERVAL,
    now: Callable[[], datetime] = datetime.now,
) -> int:
    """Run `check` now and after every change to the deck files below `paths`; 0 on Ctrl-C."""
    try:
        last = snapshot(paths)
        files = sum(1 for v in last.values() if v is not None)
        console.print(
            Text(f"watching {files} deck file{'' if files == 1 else 's'}; Ctrl-C stops"),
            style="dim",
        )
        check()
        while True:
            time.sleep(interval)
            current = snapshot(paths)
            if current == last:
                continue
            what = changed(last, current)
            last = current
            names = ", ".join(safe(p.name) for p in what[:3]) + (" …" if len(what) > 3 else "")
            console.print(Text(f"\n{now():%H:%M:%S} {names} changed", style="bold"))
            check()
    except KeyboardInterrupt:
        console.print(Text("stopped watching", style="dim"))
        return 0
