"""What the exercise loop waits for: a key from the learner, or time passing (to look at the
file). Single keypresses in a terminal; one command per line when stdin is a pipe."""

from __future__ import annotations

import contextlib
import os
import select
import sys
from collections.abc import Iterator
from typing import Protocol


class Events(Protocol):
    """The learner's keys, with a timeout so the loop can look at the file in between."""

    def wait(self, timeout: float) -> str | None:
        """A key ("h", "q", ...; "" for Enter), or None when `timeout` seconds passed without
        one. EOFError when input has ended."""


class StdinEvents:
    """Keys from stdin: raw keypresses when it is a terminal (put in cbreak mode by `keys()`),
    else the first character of each line."""

    def __init__(self) -> None:
        self.fd = sys.stdin.fileno()
        self.interactive = sys.stdin.isatty()
        self._ended = False

    def wait(self, timeout: float) -> str | None:
        if self._ended:
            raise EOFError
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        if self.interactive:
            data = os.read(self.fd, 32)
            if not data:
                raise EOFError
            if data == b"\x04":  # Ctrl-D in cbreak mode: the end, as at a line prompt
                raise EOFError
            key = data[:1].decode("latin-1")
            return "" if key in "\r\n" else key.lower()
        line = sys.stdin.readline()
        if not line:
            self._ended = True
            raise EOFError
        return line.strip().lower()[:1]

    @contextlib.contextmanager
    def keys(self) -> Iterator[None]:
        """Single keypresses without Enter while inside (a terminal only; restored after, also
        on Ctrl-C). Ctrl-C still interrupts: cbreak keeps the terminal's signals."""
        if not self.interactive:
            yield
            return
        import termios
        import tty

        saved = termios.tcgetattr(self.fd)
        try:
            tty.setcbreak(self.fd)
            yield
        finally:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)
