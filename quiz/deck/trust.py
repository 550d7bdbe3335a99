"""Which decks may run their examples: the bundled ones, and the ones the user trusted.

As direnv and Jupyter do it: a deck from anywhere else (`--deck`, $SQLAQUIZ_DECKS, a path given
to `validate`) runs no code until the user runs `sqlaquiz trust PATH`. The allowance is the deck
file's path and the SHA-256 of its bytes, kept in `trust.json` in the data directory, so a deck
that changes after it was trusted runs nothing until it is trusted again. What the digest is
checked against is what the cards were read from (`Library.digests`), not a second reading.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from quiz.deck.cards import Card, Library
from quiz.errors import UsageError
from quiz.paths import MAX_DECK_BYTES, bundled_content_dir, data_dir, deck_files, path_problem
from quiz.paths import read_file as read_limited

TRUST_FILE = "trust.json"
FORMAT = "sqlaquiz-trust"


@dataclass(frozen=True)
class Allowance:
    """One trusted deck file: where it is and the SHA-256 of what was trusted."""

    path: Path
    sha256: str
    trusted_at: str


def _record_path() -> Path:
    return data_dir() / TRUST_FILE


def allowances() -> dict[Path, Allowance]:
    """Every trusted deck file by path. A missing or unreadable record trusts nothing."""
    try:
        data = json.loads(read_limited(_record_path(), 4 * 2**20))
        if data.get("format") != FORMAT:
            return {}
        found = (
            Allowance(Path(d["path"]), str(d["sha256"]), str(d["trusted_at"]))
            for d in data["decks"]
        )
        return {a.path: a for a in found}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return {}


def _save(entries: dict[Path, Allowance]) -> None:
    path = _record_path()
    data = {
        "format": FORMAT,
        "decks": [
            {"path": str(a.path), "sha256": a.sha256, "trusted_at": a.trusted_at}
            for a in sorted(entries.values(), key=lambda a: str(a.path))
        ],
    }
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".trust-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def digest(path: Path) -> str:
    """The SHA-256 of a deck file's bytes (UsageError when it cannot be read)."""
    try:
        return hashlib.sha256(read_limited(path, MAX_DECK_BYTES)).hexdigest()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None


def trust(paths: list[Path]) -> list[Allowance]:
    """Trust every deck file given or below a given folder, as its bytes are now."""
    files: list[Path] = []
    for given in paths:
        problem = path_problem(given)
        if problem is not None:
            raise UsageError(f"{given}: {problem}")
        found = deck_files(given)
        if not found:
            raise UsageError(f"{given}: no deck files (*.yaml, *.yml) in this folder")
        files.extend(found)
    entries = allowances()
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    added = []
    for file in dict.fromkeys(f.resolve() for f in files):
        allowance = Allowance(file, digest(file), now)
        entries[file] = allowance
        added.append(allowance)
    _save(entries)
    return added


def revoke(paths: list[Path]) -> list[Path]:
    """Stop trusting the deck files given, or below a given folder; returns those revoked."""
    entries = allowances()
    gone: list[Path] = []
    for given in paths:
        where = given.resolve()
        hits = [p for p in entries if p == where or p.is_relative_to(where)]
        if not hits:
            raise UsageError(f"nothing is trusted at {given} (see `sqlaquiz trust --list`)")
        for path in hits:
            del entries[path]
            gone.append(path)
    _save(entries)
    return gone


def status() -> list[tuple[Allowance, str]]:
    """Each allowance with what it is worth now: "trusted", "changed" or "missing"."""
    rows = []
    for allowance in sorted(allowances().values(), key=lambda a: str(a.path)):
        try:
            now = hashlib.sha256(read_limited(allowance.path, MAX_DECK_BYTES)).hexdigest()
        except FileNotFoundError:
            rows.append((allowance, "missing"))
            continue
        except OSError:
            rows.append((allowance, "unreadable"))
            continue
        rows.append((allowance, "trusted" if now == allowance.sha256 else "changed"))
    return rows


def mark(library: Library) -> Library:
    """Fill `library.untrusted` with the deck files whose examples may not run."""
    sources = {card.source for card in library.cards}
    root = bundled_content_dir().resolve()
    outside = {s for s in sources if not s.is_relative_to(root)}
    if not outside:
        return library  # the bundled decks only: no record to read
    entries = allowances()
    for source in outside:
        allowance = entries.get(source)
        if allowance is None or allowance.sha256 != library.digests.get(source):
            library.untrusted.add(source)
    return library


def hint(card: Card) -> str:
    """The one command that lets an untrusted card's example run."""
    import shlex

    return f"sqlaquiz trust {shlex.quote(str(card.source))}"
