"""`sqlaquiz trust`: let a deck's examples run, list what is trusted, take it back."""

from __future__ import annotations

from pathlib import Path

from quiz.commands import common
from quiz.errors import UsageError


def trust(paths: list[Path], *, show: bool, revoke: bool) -> None:
    from quiz.deck import trust as allowances
    from quiz.sandbox import landlock
    from quiz.ui import trust_view

    console = common.console()
    if show:
        if paths or revoke:
            raise UsageError("--list takes no PATH and no --revoke")
        console.print(trust_view.trust_list(allowances.status()))
        return
    if not paths:
        raise UsageError("give the deck file or folder to trust (or --list)")
    if revoke:
        console.print(trust_view.revoked(allowances.revoke(paths)))
        return
    added = allowances.trust(paths)
    sandbox = f"landlock ABI {landlock.abi_version()}" if landlock.abi_version() >= 1 else None
    console.print(trust_view.trusted(added, sandbox))
