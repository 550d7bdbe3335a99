"""Reading the user's keys: single keypresses in a terminal, one key per line otherwise."""

from __future__ import annotations

import sys
import time
from typing import Protocol

import typer

from quiz.review import typed


class InputSource(Protocol):
    """Where the session reads the user's answers from."""

    def key(self, prompt: str, allowed: str) -> str:
        """One key, lower-cased ("" means Enter or Space); a key outside `allowed` comes back
        as pressed, for the caller to say what it expected. EOFError at end of input."""

    def line(self, prompt: str) -> str:
        """A line of text. EOFError at end of input."""

    def wait(self, seconds: float) -> bool:
        """Wait `seconds`; False when the user pressed a key to stop waiting."""


class TerminalInput:
    """The session's input source for real use; tests pass their own (or pipe stdin)."""

    def __init__(self) -> None:
        self.interactive = sys.stdin.isatty()
        self.line_editing = self.interactive and typed.enable_line_editing()

    def key(self, prompt: str, allowed: str) -> str:
        """One key, lower-cased: "" for Enter or Space, "\x1b" for an arrow or other escape
        sequence, any other key as pressed (the caller says what a key outside `allowed` is
        for: a wrong key gets a hint, not silence)."""
        if self.interactive:
            typed.echo(prompt, nl=False)
            ch = typer.getchar()  # Ctrl-C -> KeyboardInterrupt, Ctrl-D -> EOFError
            typed.echo(ch if ch.isprintable() and ch != " " else "")
            if ch in ("\r", "\n", " "):
                return ""
            return "\x1b" if ch.startswith("\x1b") else ch.lower()
        return self.line(prompt).strip().lower()[:1]

    def wait(self, seconds: float) -> bool:
        """Wait `seconds`, or until a key is pressed (False; the key is not kept)."""
        if not self.interactive:
            time.sleep(seconds)  # the session offers no wait to piped input; this is for others
            return True
        return typed.wait_for_key(seconds) is None

    def line(self, prompt: str) -> str:
        """A typed line: in a terminal with readline's editing and history."""
        text = typed.read_line(prompt, self.interactive)
        if not self.interactive:
            typed.echo(text)  # echo piped input so transcripts read naturally
        return text
