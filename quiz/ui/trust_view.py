"""How trust looks: what `sqlaquiz trust` did, and the list of trusted decks."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from quiz.deck.trust import Allowance
from quiz.ui.safe import safe
from quiz.ui.style import plural

STATUS_STYLE = {"trusted": "green", "changed": "bold red", "missing": "dim", "unreadable": "red"}
STATUS_NOTE = {
    "trusted": "",
    "changed": "  (changed since you trusted it: its examples do not run until you trust it again)",
    "missing": "  (no longer there)",
    "unreadable": "  (cannot be read now)",
}


def trusted(added: list[Allowance], sandbox: str | None) -> Text:
    text = Text()
    for allowance in added:
        text.append("trusted ", style="green")
        text.append(f"{safe(allowance.path)}  (sha256 {allowance.sha256[:12]}…)\n")
    where = (
        f"inside the sandbox ({sandbox}: see the README for what it holds back)"
        if sandbox
        else "with no sandbox on this system: they can do anything you can"
    )
    text.append(f"The examples of {plural(len(added), 'deck file')} now run as you, {where}.")
    return text


def revoked(paths: list[Path]) -> Text:
    text = Text()
    for path in paths:
        text.append("no longer trusted ", style="yellow")
        text.append(f"{safe(path)}\n")
    text.rstrip()
    return text


def trust_list(rows: list[tuple[Allowance, str]]) -> Text:
    if not rows:
        return Text("No deck is trusted (the bundled decks always are).")
    text = Text()
    width = max(len(status) for _, status in rows)
    for i, (allowance, status) in enumerate(rows):
        if i:
            text.append("\n")
        text.append(status.ljust(width), style=STATUS_STYLE[status])
        text.append(f"  {safe(allowance.path)}")
        text.append(STATUS_NOTE[status], style="dim")
    return text
