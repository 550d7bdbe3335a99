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
from quiz.ui.style import plural

ANSWER_PROMPT = "Your answer (optional) · Enter reveals · u undo · q quit: "
COUNT_PROMPT = "How many queries? (a number · Enter: don't know · s skip · ? help) "
RAISES_PROMPT = "Does it raise? y/n (Enter: don't know · s skip · ? help) > "


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


def no_prediction(ask: str, truth: int | bool, cell: str | None) -> Text:
    """What the run showed, after "I don't know" (not scored)."""
    if ask == "queries":
        where = f"the '{cell}' cell" if cell else "the example"
        said = f"{where} sent {truth} {'query' if truth == 1 else 'queries'}"
    else:
        said = "it raised" if truth else "it did not raise"
    return safe_text(f"No prediction (not scored): {said}.", style="yellow")


def continuing_edit(kept: Path | None) -> Text:
    where = f" (kept in {kept})" if kept is not None else ""
    return safe_text(f"continuing your last edit{where}", style="dim")


def edit_kept(kept: Path | None, unchanged: bool) -> Text:
    """Where the edit is kept for the next `e` (or that there is nothing to keep)."""
    if unchanged:
        return note("(the card's own code, or an empty file: nothing to keep)")
    if kept is None:
        return note("your edit is kept for this session: the next e continues from it")
    return note(
        f"your edit is kept in {kept}: the next e continues from it "
        "(delete that file to start over)"
    )


def wait_prompt(card_id: str, waiting: int, wait: timedelta) -> str:
    """The session is through its cards but for ones coming back in minutes."""
    others = f" (and {plural(waiting - 1, 'other card')} after it)" if waiting > 1 else ""
    return safe(
        f"{card_id} comes back in {format_interval(wait)}{others}. "
        "Enter waits for it · q ends the session > "
    )


def waiting(card_id: str, wait: timedelta) -> Text:
    return safe_text(
        f"waiting {format_interval(wait)} for {card_id} · any key ends the session", style="dim"
    )


def grade_key_hint(key: str) -> Text:
    """After Enter or Space (Good), or a key that grades nothing."""
    if key == "":
        return note("Enter / Space: Good")
    return hint("press 1 Again · 2 Hard · 3 Good (or Enter) · 4 Easy; ? shows every key")


def prediction_unsettled(problem: str | None) -> Text:
    reason = f" ({problem})" if problem else ""
    return safe_text(
        f"? The run could not settle your prediction{reason}; it is not scored.", style="yellow"
    )


STOPPED = "stopped with Ctrl-C"


def run_stopped() -> Text:
    """Ctrl-C during a run: the run ended, the session did not."""
    return Text(f"run {STOPPED}; the session goes on (q quits)", style="yellow")


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
        ("Enter", "Good, as Space does (at a challenge: I don't know, nothing scored)"),
        ("r", "run the example and show every SQL statement"),
        ("e", "edit the example in $EDITOR, run it, compare query counts"),
        ("x", "the whole example and every statement of its last run, unfolded"),
        ("s", "skip this card (no grade)"),
        ("b", "bury this card until tomorrow (no grade)"),
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


def new_held_back(held: int, needed: int) -> Text:
    """New cards of this selection that today's new-card limit keeps out."""
    are = "is" if held == 1 else "are"
    return Text(
        f"{plural(held, 'new card')} of this selection {are} held back by today's new-card "
        f"limit: --new {needed} lets {'it' if held == 1 else 'them'} in today",
        style="yellow",
    )


def nothing_due(next_due: datetime | None, new_left: int, now: datetime) -> RenderableType:
    if next_due is None and not new_left:
        return Text("No cards match these filters.")
    parts = ["Nothing is due right now."]
    if next_due is not None:
        parts.append(f"The next card is due {_when(next_due, now)}.")
    if new_left:
        parts.append(
            f"{new_left} new {'card waits' if new_left == 1 else 'cards wait'}, but today's "
            "new-card limit is reached "
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
