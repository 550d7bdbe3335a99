"""What a review session shows besides the cards: keys, verdicts, help and the summary."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from quiz.review.scheduler import format_interval, utc

if TYPE_CHECKING:
    from quiz.review.session import Tally

GRADES = {1: ("Again", "red"), 2: ("Hard", "yellow"), 3: ("Good", "green"), 4: ("Easy", "cyan")}


def keys_prompt(intervals: dict[int, str] | None, has_example: bool) -> str:
    """The grade keys with the interval each gives (none in cram mode: nothing is scheduled)."""
    if intervals is None:
        grades = "  ".join(f"[{n}] {GRADES[n][0]}" for n in (1, 2, 3, 4)) + "   (cram: not saved)"
    else:
        grades = "  ".join(f"[{n}] {GRADES[n][0]} {intervals[n]}" for n in (1, 2, 3, 4))
    extra = "r run · e edit · " if has_example else ""
    return f"{grades}\n{extra}s skip · u undo · q quit · ? help > "


def prediction_verdict(
    console: Console, ask: str, guess: int | bool, truth: int | bool | None, cell: str | None
) -> None:
    if ask == "queries":
        where = f"the '{cell}' cell" if cell else "the example"
        said = (
            f"You predicted {guess}; {where} sent {truth} {'query' if truth == 1 else 'queries'}."
        )
    else:
        said = (
            f"You predicted it {'raises' if guess else 'does not raise'}; it "
            f"{'raised' if truth else 'did not raise'}."
        )
    if guess == truth:
        console.print(Text(f"✓ Right. {said}", style="bold green"))
    else:
        console.print(Text(f"✗ Not quite. {said}", style="bold red"))


def prediction_unsettled(console: Console, problem: str | None) -> None:
    reason = f" ({problem})" if problem else ""
    console.print(
        Text(
            f"? The run could not settle your prediction{reason}; it is not scored.", style="yellow"
        )
    )


def help_panel(console: Console) -> None:
    table = Table.grid(padding=(0, 2))
    for key, meaning in (
        ("1", "Again: you did not know it; it comes back soon"),
        ("2", "Hard: you knew it with effort"),
        ("3", "Good: you knew it"),
        ("4", "Easy: you knew it instantly"),
        ("r", "run the example and show every SQL statement"),
        ("e", "edit the example in $EDITOR, run it, compare query counts"),
        ("s", "skip this card (no grade)"),
        ("u", "undo the last grade and show that card again"),
        ("q", "quit; every grade so far is saved"),
    ):
        table.add_row(Text(key, style="bold"), meaning)
    console.print(Panel(table, title="keys", title_align="left"))


def _when(due: datetime, now: datetime) -> str:
    delta = utc(due) - utc(now)
    local = utc(due).astimezone().strftime("%Y-%m-%d %H:%M")
    if delta.total_seconds() <= 0:
        return f"now ({local})"
    return f"in {format_interval(delta)} ({local})"


def nothing_due(console: Console, next_due: datetime | None, new_left: int, now: datetime) -> None:
    if next_due is None and not new_left:
        console.print("No cards match these filters.")
        return
    parts = ["Nothing is due right now."]
    if next_due is not None:
        parts.append(f"The next card is due {_when(next_due, now)}.")
    if new_left:
        parts.append(
            f"{new_left} new cards wait, but today's new-card limit is reached "
            "(--new N allows more)."
        )
    parts.append("Use --cram to practise these cards anyway (nothing is scheduled).")
    for part in parts:
        console.print(part)


def summary(console: Console, tally: Tally, next_due: datetime | None, cram: bool) -> None:
    ended = tally.ended or tally.started
    spent = (ended - tally.started).total_seconds()
    table = Table.grid(padding=(0, 2))
    table.add_row("reviewed", str(tally.reviewed) + (" (cram: nothing saved)" if cram else ""))
    if tally.reviewed:
        table.add_row("again rate", f"{tally.again / tally.reviewed:.0%}")
    if tally.predictions:
        table.add_row("predictions right", f"{tally.predictions_right}/{tally.predictions}")
    if tally.skipped:
        table.add_row("skipped", str(tally.skipped))
    table.add_row("time", f"{int(spent // 60)}m {int(spent % 60):02d}s")
    if next_due is not None and not cram:
        table.add_row("next due", _when(next_due, ended))
    console.print(Panel(table, title="session summary", title_align="left", border_style="green"))
