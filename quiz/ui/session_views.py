"""What a review session shows besides the cards: prompts, keys, verdicts, notes, help and the
summary. Renderables and prompt text only; the session prints them."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from quiz.review.queue import Tally
from quiz.review.scheduler import Rating, format_interval, utc
from quiz.ui.safe import safe, safe_text

ANSWER_PROMPT = "Your answer (optional) · Enter reveals · u undo · q quit: "
COUNT_PROMPT = "How many queries? (a number, or u undo · q quit; Enter) "
RAISES_PROMPT = "Does it raise? y/n (u undo · q quit) > "


def keys_prompt(intervals: dict[Rating, timedelta] | None, has_example: bool) -> str:
    """The grade keys with the interval each gives (none in cram mode: nothing is scheduled)."""
    if intervals is None:
        grades = "  ".join(f"[{int(r)}] {r.name}" for r in Rating) + "   (cram: not saved)"
    else:
        grades = "  ".join(f"[{int(r)}] {r.name} {format_interval(intervals[r])}" for r in Rating)
    extra = "r run · e edit · " if has_example else ""
    return f"{grades}\n{extra}s skip · u undo · q quit · ? help > "


def prediction_verdict(
    ask: str, guess: int | bool, truth: int | bool | None, cell: str | None
) -> Text:
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
        return safe_text(f"✓ Right. {said}", style="bold green")
    return safe_text(f"✗ Not quite. {said}", style="bold red")


def prediction_unsettled(problem: str | None) -> Text:
    reason = f" ({problem})" if problem else ""
    return safe_text(
        f"? The run could not settle your prediction{reason}; it is not scored.", style="yellow"
    )


def hint(text: str) -> Text:
    """What would have been understood, after input that was not."""
    return Text(text, style="yellow")


def note(text: str) -> Text:
    """A quiet remark: nothing to undo, no example to run."""
    return Text(safe(text), style="dim")


def failed(message: str) -> Text:
    """Something the user asked for could not happen (the session goes on)."""
    return safe_text(f"✗ {message}", style="red")


def saved(due_in: timedelta, comes_back_later: bool) -> Text:
    also = " (in this session too, if it is still going then)" if comes_back_later else ""
    return note(f"saved — next review in {format_interval(due_in)}{also}")


def store_lost(reason: str, rescue: Path | None) -> Text:
    """The progress database could not take a grade: where grades go from now on."""
    return safe_text(
        f"✗ {reason}: this grade and the next ones are kept in {rescue} instead "
        "(`sqlaquiz import` that file adds them back)",
        style="bold red",
    )


def kept(due_in: timedelta, comes_back_later: bool) -> Text:
    """A grade kept in the rescue file, not in the database."""
    also = " (in this session too, if it is still going then)" if comes_back_later else ""
    return Text(
        f"kept in the rescue file — next review in {format_interval(due_in)}{also}",
        style="yellow",
    )


def kept_in_rescue(count: int, rescue: Path | None) -> Text:
    grades = "1 grade is" if count == 1 else f"{count} grades are"
    return safe_text(
        f"{grades} in {rescue}, not in your progress database: `sqlaquiz import {rescue}` "
        "adds them back",
        style="bold yellow",
    )


def undone(card_id: str) -> Text:
    return safe_text(f"undone: {card_id} is back", style="yellow")


def help_panel() -> Panel:
    table = Table.grid(padding=(0, 2))
    for key, meaning in (
        ("1", "Again: you did not know it; it comes back soon"),
        ("2", "Hard: you knew it with effort"),
        ("3", "Good: you knew it"),
        ("4", "Easy: you knew it instantly"),
        ("r", "run the example and show every SQL statement"),
        ("e", "edit the example in $EDITOR, run it, compare query counts"),
        ("x", "the whole example and every statement of its last run, unfolded"),
        ("s", "skip this card (no grade)"),
        ("u", "undo the last grade and show that card again"),
        ("q", "quit; every grade so far is saved"),
    ):
        table.add_row(Text(key, style="bold"), meaning)
    return Panel(table, title="keys", title_align="left")


def _when(due: datetime, now: datetime) -> str:
    delta = utc(due) - utc(now)
    local = utc(due).astimezone().strftime("%Y-%m-%d %H:%M")
    if delta.total_seconds() <= 0:
        return f"now ({local})"
    return f"in {format_interval(delta)} ({local})"


def nothing_due(next_due: datetime | None, new_left: int, now: datetime) -> RenderableType:
    if next_due is None and not new_left:
        return Text("No cards match these filters.")
    parts = ["Nothing is due right now."]
    if next_due is not None:
        parts.append(f"The next card is due {_when(next_due, now)}.")
    if new_left:
        parts.append(
            f"{new_left} new cards wait, but today's new-card limit is reached "
            "(--new N allows more)."
        )
    parts.append("Use --cram to practise these cards anyway (nothing is scheduled).")
    return Text("\n".join(parts))


def summary(tally: Tally, next_due: datetime | None, cram: bool) -> Panel:
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
    return Panel(table, title="session summary", title_align="left", border_style="green")
