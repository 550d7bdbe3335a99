"""Showing something taller than the screen without scrolling away what the learner is
answering: through the pager, which gives the screen back as it was when it quits."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

from rich.console import Console, RenderableType


def page(console: Console, renderable: RenderableType, keep: int = 2) -> None:
    """Print `renderable`, unless printing it would scroll the last `keep` rows on screen (the
    answer, the prompt) out of sight: then show it in $PAGER (else `less`), which gives the
    screen back as it was. Printed as usual when there is no terminal or no pager to run."""
    interactive = console.is_terminal and sys.stdin.isatty() and not console.is_dumb_terminal
    if not interactive:
        console.print(renderable)
        return
    with console.capture() as capture:
        console.print(renderable)
    text = capture.get()
    if text.count("\n") + keep <= console.height or not _pager(text):
        console.file.write(text)
        console.file.flush()


def _pager(text: str) -> bool:
    """Show `text` in the user's pager; False when there is none to run."""
    command = os.environ.get("PAGER", "").strip() or ("less" if shutil.which("less") else "")
    if not command:
        return False
    env = dict(os.environ)
    env.setdefault("LESS", "R")  # as git does: colours shown, not their escape codes
    # Ctrl-C in the pager is the pager's (less stops a search with it), not the end of the
    # session: the session waits it out. A handler, not SIG_IGN, so the pager gets the default.
    try:
        previous = signal.signal(signal.SIGINT, lambda *_: None)
        waiting = True
    except ValueError:  # not the main thread: leave it as it is
        waiting = False
    try:
        done = subprocess.run(command, shell=True, input=text.encode(), env=env, check=False)
    except OSError:
        return False
    finally:
        if waiting:
            signal.signal(signal.SIGINT, previous or signal.default_int_handler)
    return done.returncode != 127  # the shell found no such command: nothing was shown
