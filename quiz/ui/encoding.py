"""Output on a terminal that cannot show Unicode (`LC_ALL=C`, `PYTHONUTF8=0`): plain ASCII
stand-ins instead of a UnicodeEncodeError.

sqlaquiz writes ✓, ✗, ·, — and box-drawing lines. When stdout or stderr uses an encoding that
lacks them (ASCII, Latin-1, ...), `install()` sets the streams' error handler to one that writes
an ASCII stand-in of the same width for each such character (`✓` → `v`, `—` → `-`, `é` → `e`),
so tables stay aligned, and `?` for the rest. Rich draws its boxes in ASCII by itself once the
stream is not UTF-8.
"""

from __future__ import annotations

import codecs
import sys
import unicodedata
from typing import TextIO

HANDLER = "sqlaquiz-ascii"

STAND_INS = {
    "✓": "v",
    "✗": "x",
    "✘": "x",
    "·": "-",
    "•": "*",
    "—": "-",
    "–": "-",
    "→": ">",
    "←": "<",
    "↑": "^",
    "↓": "v",
    "…": ".",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "×": "x",
    "≤": "<",
    "≥": ">",
    "≠": "#",
    "⚠": "!",
    "█": "#",
    "▏": "|",
    "▁": "_",
    "░": ".",
    "▒": ":",
    "▓": "#",
    "│": "|",
    "─": "-",
    "━": "-",
    "═": "=",
    "┃": "|",
    "╭": "+",
    "╮": "+",
    "╰": "+",
    "╯": "+",
    "┌": "+",
    "┐": "+",
    "└": "+",
    "┘": "+",
    "├": "+",
    "┤": "+",
    "┬": "+",
    "┴": "+",
    "┼": "+",
    "┏": "+",
    "┓": "+",
    "┗": "+",
    "┛": "+",
    "┡": "+",
    "┩": "+",
    "╇": "+",
    "┳": "+",
    "┻": "+",
    "╋": "+",
    "\u00a0": " ",
}


def stand_in(char: str) -> str:
    """An ASCII stand-in for one character: a known one, the letter without its accent, or ?."""
    if char in STAND_INS:
        return STAND_INS[char]
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    return plain or "?"


def _replace(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(stand_in(c) for c in text), error.end


def _is_utf(stream: TextIO) -> bool:
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
    return encoding.startswith("utf")


def install() -> None:
    """Give stdout and stderr the ASCII stand-ins when their encoding is not UTF-*."""
    codecs.register_error(HANDLER, _replace)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and not _is_utf(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=HANDLER)


def typed_text(text: str, stream: TextIO | None = None) -> str:
    """A line read from a stream whose encoding could not decode it (a C locale reads UTF-8
    bytes as lone surrogates, which no database or file can store) as the UTF-8 it most likely
    was; anything still undecodable becomes U+FFFD."""
    if not any("\udc80" <= c <= "\udcff" for c in text):
        return text
    encoding = getattr(stream or sys.stdin, "encoding", None) or "ascii"
    try:
        raw = text.encode(encoding, "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return raw.decode("utf-8", "replace")
