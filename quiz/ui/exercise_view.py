"""How an exercise looks while the learner works on it: the task, each run's checks (with the
SQL that broke them), hints, the end, and the reference solution against the learner's code.
Renderables only; the exercise loop prints them."""

from __future__ import annotations

import difflib
from pathlib import Path

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from quiz.deck.cards import Card
from quiz.exercise.grading import CheckResult
from quiz.exercise.rating import Outcome
from quiz.review.scheduler import Rating
from quiz.sandbox.protocol import DATABASE_NAMES, RunResult, Statement
from quiz.ui.card_view import card_header, code
from quiz.ui.safe import safe, safe_text
from quiz.ui.style import plural

SHOWN_STATEMENTS = 3  # per failed check: enough to see the pattern, short enough for 80x24
MAX_DETAIL = 120  # characters of a check's detail: at most two lines at 80 columns
SHOWN_OUTPUT = 3  # the last lines of the output under a failed run


def intro(card: Card, path: Path, database: str, task: bool = True) -> RenderableType:
    """The task (unless it was just shown) and where the learner's file is."""
    from quiz.ui.card_view import _markdown

    where = Text("Edit ", style="dim")
    where.append_text(safe_text(str(path), style="bold"))
    where.append(
        f" in your editor: every save runs it on {DATABASE_NAMES.get(database, database)}.",
        style="dim",
    )
    if not task:
        return where
    return Group(
        Panel(
            _markdown(safe(card.question)),
            title=card_header(card),
            title_align="left",
            subtitle=safe_text(f"exercise {card.id}", style="dim"),
            subtitle_align="right",
            border_style="cyan",
        ),
        where,
    )


def _statement(st: Statement) -> Text:
    line = Text(f"    #{st.n} " if st.n is not None else "    ", style="dim")
    if st.load:  # before the SQL: a long statement is cut at the screen's edge
        line.append(safe(f"[{st.load} {st.relationship}] "), style="magenta")
    line.append(safe(" ".join(st.sql.split())))
    line.no_wrap = True
    line.overflow = "ellipsis"
    return line


def check_line(check: CheckResult, shown: set[int] | None = None) -> RenderableType:
    """One check: ✓ or ✗, its label, what the run did instead, the statements that broke it
    (those not in `shown` already, which it then holds too)."""
    mark = Text("✓ ", style="bold green") if check.passed else Text("✗ ", style="bold red")
    line = mark + safe_text(check.label)
    if check.detail:
        detail = check.detail
        if len(detail) > MAX_DETAIL:  # an exception's message: its start says what it is
            detail = detail[: MAX_DETAIL - 1] + "…"
        line.append(safe(f" — {detail}"), style="dim" if check.passed else "red")
    seen = shown if shown is not None else set()
    new = [st for st in check.statements if id(st) not in seen]
    if not new:
        return line
    seen.update(id(st) for st in check.statements)
    listed = [_statement(st) for st in new[:SHOWN_STATEMENTS]]
    more = len(new) - SHOWN_STATEMENTS
    if more > 0:
        listed.append(Text(f"    … and {more} more", style="dim"))
    return Group(line, *listed)


def report(checks: list[CheckResult], result: RunResult, run_number: int) -> RenderableType:
    """One run of the learner's code: every check (a statement listed once, under the first
    check it broke), then the output's last lines when the output or the run is in question."""
    passing = sum(1 for c in checks if c.passed)
    ok = passing == len(checks)
    head = Text(
        f"run {run_number}: {passing} of {plural(len(checks), 'check')} pass",
        style="bold green" if ok else "bold",
    )
    shown: set[int] = set()
    parts: list[RenderableType] = [head, *(check_line(c, shown) for c in checks)]
    output = "".join(c.stdout for c in result.cells).rstrip("\n")
    wanted = any(not c.passed and c.kind in ("run", "stdout") for c in checks)
    if output and wanted:
        lines = output.splitlines()
        tail = lines[-SHOWN_OUTPUT:]
        title = "output" if len(lines) <= SHOWN_OUTPUT else f"output (last {SHOWN_OUTPUT} lines)"
        parts.append(Text(title + ":", style="dim"))
        parts.extend(safe_text(f"  {line}") for line in tail)
    return Group(*parts)


def keys(hints_left: int, in_session: bool = False) -> Text:
    """The keys the loop listens to."""
    hint = f"h hint ({hints_left} left)" if hints_left else "no hints left"
    leave = "q leave it for now" if in_session else "q quit (your file is kept)"
    return Text(f"{hint} · r run again · g give up · {leave}", style="dim")


def hint(number: int, total: int, text: str) -> RenderableType:
    from quiz.ui.card_view import _markdown

    return Panel(
        _markdown(safe(text)),
        title=f"Hint {number} of {total}",
        title_align="left",
        border_style="yellow",
    )


def problem(message: str) -> Text:
    return safe_text(f"✗ {message}", style="red")


def no_more_hints() -> Text:
    return Text("no more hints: g shows the reference solution", style="yellow")


def passed(outcome: Outcome) -> Text:
    hints = f", {plural(outcome.hints_used, 'hint')}" if outcome.hints_used else ", no hints"
    attempts = plural(max(outcome.attempts, 1), "attempt")
    return Text(f"✓ Every check passes ({attempts}{hints}).", style="bold green")


def solution(reference: str, learner: str, card_id: str) -> RenderableType:
    """The reference solution, then what would turn the learner's code into it."""
    diff = list(
        difflib.unified_diff(
            learner.splitlines(), reference.splitlines(), "your code", "reference", lineterm="", n=2
        )
    )
    shown: list[RenderableType] = [code(reference, title=f"{card_id}.py (reference solution)")]
    if not diff:
        shown.append(Text("Your code is the reference solution, line for line.", style="dim"))
        return Group(*shown)
    lines = Text()
    for line in diff:
        style = ""
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        lines.append_text(safe_text(line, style=style))
        lines.append("\n")
    lines.rstrip()
    shown.append(
        Panel(lines, title="your code → reference", title_align="left", border_style="magenta")
    )
    return Group(*shown)


def gave_up() -> Text:
    return Text("Given up: the reference solution and how yours differs.", style="yellow")


def help_text(in_session: bool = False) -> Text:
    return Text(
        "Save your file to run it again. Keys: h the next hint · r run again now · "
        "g give up (shows the reference solution and a diff) · "
        + ("q leave this exercise (grade it next)" if in_session else "q quit, keeping your file"),
        style="dim",
    )


def kept(path: Path) -> Text:
    """Where the learner's code stays between sessions."""
    text = Text("Your code is kept in ", style="dim")
    text.append_text(safe_text(str(path)))
    text.append(": `sqlaquiz practice` picks it up again.", style="dim")
    return text


def suggestion(outcome: Outcome, rating: Rating | None, path: Path) -> Text:
    """After the exercise: how it went and the grade that suggests (the learner presses it)."""
    if rating is None:
        text = Text("Left unfinished", style="yellow")
        text.append(" — your code stays in ", style="dim")
        text.append_text(safe_text(str(path)))
        text.append(". Grade it as you see fit.", style="dim")
        return text
    how = (
        "given up"
        if outcome.gave_up
        else f"passed in {plural(max(outcome.attempts, 1), 'attempt')}"
    )
    hints = plural(outcome.hints_used, "hint") if outcome.hints_used else "no hints"
    text = Text(f"Exercise {how}, {hints}: ", style="bold")
    text.append(f"suggested grade [{int(rating)}] {rating.name}", style="bold cyan")
    text.append(" — press it to confirm, or choose another.", style="dim")
    return text


def compare_hint(card_id: str) -> Text:
    """After a pass: where the reference solution and its explanation are."""
    text = Text("Compare with the reference: ", style="dim")
    text.append_text(safe_text(f"sqlaquiz show {card_id} --answer"))
    return text
