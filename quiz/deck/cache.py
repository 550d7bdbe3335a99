"""A cache of loaded decks, so everyday commands skip YAML parsing and the pydantic schema.

Loading and validating the decks costs ~70 ms (most of it importing pydantic and building the
schema); reading them back from JSON costs ~3 ms. The key is a hash of the deck files' paths
and *contents* (not their modification times, which can hide a quick same-size edit), the
given paths that do not exist, and the sqlaquiz code that validates them, so any change to a
deck or to sqlaquiz loads afresh. The cache is disposable: an unreadable, corrupt or
unwritable cache only costs the full load.

An entry is signed (HMAC-SHA256) with a random key kept in the data directory, not in the
cache: anything that can write into the cache but not read that key (an example under the
Landlock sandbox can do neither) cannot make sqlaquiz read cards that no deck file holds; an
entry whose signature does not match is ignored and written afresh. Without a sandbox a
trusted example runs as you and could read the key too (or edit the decks themselves): that is
what `sqlaquiz trust` is for.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from quiz import __version__
from quiz.deck.cards import Card, Library, Problem
from quiz.errors import DataDirError
from quiz.paths import (
    MAX_DECK_BYTES,
    bundled_content_dir,
    cache_dir,
    data_dir,
    deck_files,
    deck_sources,
    read_file,
)

# 2: databases, per-database expectations and answers; 3: digests, signed entries; 4: key points
FORMAT = 4
KEEP = 8  # cached libraries kept (one per set of decks: --deck, $SQLAQUIZ_DECKS)
KEY_NAME = "cache.key"  # in the data directory
MAX_ENTRY = 64 * 2**20


def load_library_cached(extra: list[Path]) -> Library:
    """What `quiz.deck.load_library(extra)` returns, from the cache when nothing changed."""
    key = _key(extra)
    folder = cache_dir()
    path = folder / f"decks-{key[:24]}.json"
    secret = _secret()
    cached = _read(path, key, secret) if secret is not None else None
    if cached is not None:
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept when older entries are dropped
        return cached
    from quiz.deck.loader import load_library  # pydantic and the schema: only on a miss

    library = load_library(extra)
    # not if a deck was saved while it loaded: the next run caches it
    if secret is not None and _key(extra) == key:
        _write(folder, path, key, library, secret)
    return library


def _secret() -> bytes | None:
    """The key that signs cache entries (made on first use); None: no cache this time."""
    try:
        folder = data_dir()
    except DataDirError:
        return None
    path = folder / KEY_NAME
    for _ in range(2):
        try:
            key = read_file(path, 64)
            if len(key) == 32:
                return key
        except FileNotFoundError:
            pass
        except OSError:
            return None
        temp: str | None = None
        try:
            fd, temp = tempfile.mkstemp(dir=folder, prefix=".cache-key-")
            with os.fdopen(fd, "wb") as out:
                out.write(os.urandom(32))
            try:
                os.link(temp, path)  # two sqlaquiz at once: the first key wins
            except FileExistsError:
                if _length(path) != 32:
                    os.replace(temp, path)  # a damaged key: every entry is made afresh
                    temp = None
        except OSError:
            return None
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
    return None


def _length(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return -1


def _sign(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


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
    for path, why in missing:
        digest.update(b"missing %s %s\n" % (os.fsencode(path), why.encode()))  # any file name
    for path in [*deck_files(bundled_content_dir()), *files]:
        try:
            data = read_file(path, MAX_DECK_BYTES)
        except OSError as exc:
            data = b"unreadable %d %s" % (exc.errno or 0, str(exc).encode())
        digest.update(b"deck %s %d\n" % (os.fsencode(path.resolve()), len(data)))
        digest.update(data)
    return digest.hexdigest()


def _read(path: Path, key: str, secret: bytes) -> Library | None:
    """The entry at `path` if it is whole, for `key`, and signed with `secret`; else None."""
    try:
        mac, _, body = read_file(path, MAX_ENTRY).partition(b"\n")
        if not hmac.compare_digest(mac, _sign(secret, body).encode()):
            return None  # not written by sqlaquiz with this key: read the decks instead
        data = json.loads(body)
        if data.get("key") != key:
            return None
        return Library(
            cards=[Card.from_dict(c) for c in data["cards"]],
            problems=[Problem(**{**p, "path": Path(p["path"])}) for p in data["problems"]],
            topics=dict(data["topics"]),
            digests={Path(p): d for p, d in data["digests"].items()},
        )
    except Exception:  # missing, half-written, from another version, junk: load afresh
        return None


def _write(folder: Path, path: Path, key: str, library: Library, secret: bytes) -> None:
    data = {
        "key": key,
        "cards": [card.to_dict() for card in library.cards],
        "problems": [asdict(problem) for problem in library.problems],
        "topics": library.topics,
        "digests": {str(p): d for p, d in library.digests.items()},
    }
    body = json.dumps(data, default=str).encode()  # default: the problems' paths
    temp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".decks-", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(_sign(secret, body).encode() + b"\n" + body)
        os.replace(temp, path)  # whole or not at all, also with two sqlaquiz running
        temp = None
        old = sorted(folder.glob("decks-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[KEEP:]:
            stale.unlink()
    except OSError:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
