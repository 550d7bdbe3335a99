"""Lines the learner types: line editing where the platform has it, and nothing but text kept.

In a terminal, typed lines go through `input()` with Python's readline loaded, so arrows,
backspace, Home / End and ↑ for the lines typed before all work. Where readline is missing (or
input is piped), `clean()` still makes sure no escape sequence or control character reaches
the review log: an arrow key pressed there is dropped, not stored as `^[[D`.
"""

from __future__ import annotations

import re
import sys
import time

from quiz.ui.encoding import typed_text

# CSI (ESC [ ... final byte), SS3 (ESC O x), any other two-byte ESC sequence, a lone ESC
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x9b[0-?]*[ -/]*[@-~]?|\x1bO.?|\x1b.?")
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def enable_line_editing() -> bool:
    """Load readline so that `input()` edits lines; False where the platform has none."""
    try:
        import readline  # noqa: F401  (importing it is what gives input() line editing)
    except ImportError:  # e.g. Windows without pyreadline: plain input, escapes stripped
        return False
    return True


def clean(text: str) -> str:
    """A typed line as text: the newline, escape sequences and control characters removed
    (a tab becomes a space), bytes a C locale could not decode read as UTF-8."""
    text = typed_text(text.rstrip("\r\n"))
    text = _ESCAPES.sub("", text)
    return _CONTROLS.sub("", text.replace("\t", " "))


def echo(text: str, nl: bool = True) -> None:
    """Write to stdout as Rich does (not through Click, which writes UTF-8 even to a terminal
    that said ASCII): a C locale gets the ASCII stand-ins of quiz.ui.encoding."""
    sys.stdout.write(text + ("\n" if nl else ""))
    sys.stdout.flush()


def read_line(prompt: str, interactive: bool) -> str:
    """One typed line, cleaned. EOFError at the end of input."""
    if interactive:
        return clean(input(prompt))
    echo(prompt, nl=False)
    text = sys.stdin.readline()
    if not text:
        raise EOFError
    return clean(text)


def wait_for_key(seconds: float) -> str | None:
    """Wait up to `seconds` for a keypress on the terminal; the key (None: none came). The
    terminal reads keys one by one meanwhile, and Ctrl-C still interrupts."""
    import os
    import select

    try:
        import termios
        import tty
    except ImportError:  # no POSIX terminal (Windows): just wait
        time.sleep(max(0.0, seconds))
        return None
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        ready, _, _ = select.select([fd], [], [], max(0.0, seconds))
        return os.read(fd, 32).decode("utf-8", "replace") if ready else None
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
