"""A cache of loaded decks, so everyday commands skip YAML parsing and the pydantic schema.

Loading and validating the decks costs ~70 ms (most of it importing pydantic and building the
schema); reading them back from JSON costs ~3 ms. The key is a hash of the deck files' paths
and *contents* (not their modification times, which can hide a quick same-size edit), the
given paths that do not exist, and the sqlaquiz code that validates them, so any change to a
deck or to sqlaquiz loads afresh. The cache is disposable: an unreadable, corrupt or
unwritable cache only costs the full load.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from quiz import __version__
from quiz.deck.cards import Card, Library, Problem
from quiz.paths import bundled_content_dir, cache_dir, deck_files, deck_sources

FORMAT = 2  # 2: databases, per-database expectations and answers
KEEP = 8  # cached libraries kept (one per set of decks: --deck, $SQLAQUIZ_DECKS)


def load_library_cached(extra: list[Path]) -> Library:
    """What `quiz.deck.load_library(extra)` returns, from the cache when nothing changed."""
    key = _key(extra)
    folder = cache_dir()
    path = folder / f"decks-{key[:24]}.json"
    cached = _read(path, key)
    if cached is not None:
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept when older entries are dropped
        return cached
    from quiz.deck.loader import load_library  # pydantic and the schema: only on a miss

    library = load_library(extra)
    if _key(extra) == key:  # not if a deck was saved while it loaded: the next run caches it
        _write(folder, path, key, library)
    return library


def _key(extra: list[Path]) -> str:
    digest = hashlib.sha256(f"sqlaquiz {__version__} cache {FORMAT}\n".encode())
    code = Path(__file__).parent
    # the code that loads and validates decks: this package, the cell splitter it uses and
    # the names of the URL variables an example reads
    sandbox = code.parent / "sandbox"
    for module in [*sorted(code.glob("*.py")), sandbox / "cells.py", sandbox / "engines.py"]:
        stat = module.stat()
        digest.update(f"code {module.name} {stat.st_mtime_ns} {stat.st_size}\n".encode())
    files, missing = deck_sources(extra)
    for path in missing:
        digest.update(b"missing %s\n" % os.fsencode(path))  # fsencode: any file name
    for path in [*deck_files(bundled_content_dir()), *files]:
        try:
            data = path.read_bytes()
        except OSError as exc:
            data = b"unreadable %d" % (exc.errno or 0)
        digest.update(b"deck %s %d\n" % (os.fsencode(path.resolve()), len(data)))
        digest.update(data)
    return digest.hexdigest()


def _read(path: Path, key: str) -> Library | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        return Library(
            cards=[Card.from_dict(c) for c in data["cards"]],
            problems=[Problem(**{**p, "path": Path(p["path"])}) for p in data["problems"]],
            topics=dict(data["topics"]),
        )
    except Exception:  # missing, half-written, from another version, junk: load afresh
        return None


def _write(folder: Path, path: Path, key: str, library: Library) -> None:
    data = {
        "key": key,
        "cards": [card.to_dict() for card in library.cards],
        "problems": [asdict(problem) for problem in library.problems],
        "topics": library.topics,
    }
    temp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".decks-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, default=str)  # default: the problems' paths
        os.replace(temp, path)  # whole or not at all, also with two sqlaquiz running
        temp = None
        old = sorted(folder.glob("decks-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[KEEP:]:
            stale.unlink()
    except OSError:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
