"""Reading the user's keys: single keypresses in a terminal, one key per line otherwise."""

from __future__ import annotations

import sys
from typing import Protocol

import typer


class InputSource(Protocol):
    """Where the session reads the user's answers from."""

    def key(self, prompt: str, allowed: str) -> str:
        """One key from `allowed` ("" means Enter). EOFError at end of input."""

    def line(self, prompt: str) -> str:
        """A line of text. EOFError at end of input."""


class TerminalInput:
    """The session's input source for real use; tests pass their own (or pipe stdin)."""

    def __init__(self, err: bool = False) -> None:
        self.interactive = sys.stdin.isatty()
        self.err = err  # prompts on stderr (stdout is for `--json`)

    def key(self, prompt: str, allowed: str) -> str:
        while True:
            if self.interactive:
                typer.echo(prompt, nl=False, err=self.err)
                ch = typer.getchar()  # Ctrl-C -> KeyboardInterrupt, Ctrl-D -> EOFError
                typer.echo(ch if ch.isprintable() else "", err=self.err)
                value = "" if ch in ("\r", "\n") else ch.lower()
            else:
                line = self.line(prompt)
                value = line.strip().lower()[:1]
            if value == "" or value in allowed:
                return value

    def line(self, prompt: str) -> str:
        typer.echo(prompt, nl=False, err=self.err)
        text = sys.stdin.readline()
        if not text:
            raise EOFError
        if not self.interactive:
            typer.echo(
                text.rstrip("\n"), err=self.err
            )  # echo piped input so transcripts read naturally
        return text.rstrip("\n")
