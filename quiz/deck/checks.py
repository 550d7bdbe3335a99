"""Checks a card's declared expectations and challenge against what its example really did."""

from __future__ import annotations

from dataclasses import dataclass

from quiz.deck.cards import DATABASE_NAMES, Card
from quiz.sandbox.client import RunResult


@dataclass(frozen=True)
class Verdict:
    card_id: str
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


def _queries(n: int) -> str:
    return f"{n} {'query' if n == 1 else 'queries'}"


def challenge_truth(card: Card, result: RunResult) -> int | bool | None:
    """The right answer to the card's challenge according to the run.

    It needs no database: what is asked (`ask`, `cell`) is the same on every database; only
    the answer the card claims may differ, and `check` compares it with `Card.answer_for`."""
    ch = card.challenge
    if ch is None:
        return None
    if ch.ask == "raises":
        return result.error is not None
    if ch.cell is None:
        return result.queries
    cell = result.cell(ch.cell)
    return cell.queries if cell is not None else None


def check(card: Card, result: RunResult, database: str | None = None) -> Verdict:
    """Every way a run on `database` (by default the one the run was made for) disagrees with
    what the card claims there."""
    database = database or result.database
    if not card.runs_on(database):
        return Verdict(card.id, [card.not_listed(database)])
    failures: list[str] = []
    expect = card.expect_for(database)
    if result.crash:
        failures.append(result.crash)
    elsewhere = sorted(
        {
            s.dialect
            for c in result.cells
            for s in c.statements
            if s.dialect is not None and s.dialect != database
        }
    )
    for dialect in elsewhere:
        title = DATABASE_NAMES.get(dialect, dialect)
        failures.append(f"the example ignored the database it was given (it ran on {title})")
    err = result.error
    if err is not None and (expect.raises is None or not err.matches(expect.raises)):
        failures.append(f"unexpected {result.problem()}")
    if expect.raises is not None and err is None and not result.crash:
        failures.append(f"expected {expect.raises} to be raised, but nothing was")
    if expect.queries is not None and result.queries != expect.queries:
        failures.append(f"expected {_queries(expect.queries)} in total, ran {result.queries}")
    for title, count in expect.cells.items():
        cell = result.cell(title)
        if cell is None:
            failures.append(f"cell {title!r} did not run")
        elif cell.queries != count:
            failures.append(f"cell {title!r}: expected {_queries(count)}, ran {cell.queries}")
    stdout = "".join(c.stdout for c in result.cells)
    for fragment in expect.stdout:
        if fragment not in stdout:
            failures.append(f"output does not contain {fragment!r}")
    answer = card.answer_for(database)
    if answer is not None:
        truth = challenge_truth(card, result)
        if truth != answer:
            failures.append(f"challenge answer is {answer!r}, but the run says {truth!r}")
    return Verdict(card.id, failures)
