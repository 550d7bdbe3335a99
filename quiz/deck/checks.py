"""Checks a card's declared expectations and challenge against what its example really did."""

from __future__ import annotations

from dataclasses import dataclass

from quiz.deck.cards import Card
from quiz.sandbox.client import RunResult


@dataclass(frozen=True)
class Verdict:
    card_id: str
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


def challenge_truth(card: Card, result: RunResult) -> int | bool | None:
    """The right answer to the card's challenge according to the run."""
    ch = card.challenge
    if ch is None:
        return None
    if ch.ask == "raises":
        return result.error is not None
    if ch.cell is None:
        return result.queries
    cell = result.cell(ch.cell)
    return cell.queries if cell is not None else None


def check(card: Card, result: RunResult) -> Verdict:
    """Every way the run disagrees with what the card claims."""
    failures: list[str] = []
    expect = card.expect
    expected_error = expect.raises if expect else None
    if result.crash:
        failures.append(result.crash)
    err = result.error
    if err is not None and (expected_error is None or not err.matches(expected_error)):
        failures.append(f"unexpected {result.problem()}")
    if expected_error is not None and err is None and not result.crash:
        failures.append(f"expected {expected_error} to be raised, but nothing was")
    if expect is not None:
        if expect.queries is not None and result.queries != expect.queries:
            failures.append(f"expected {expect.queries} queries in total, ran {result.queries}")
        for title, count in expect.cells.items():
            cell = result.cell(title)
            if cell is None:
                failures.append(f"cell {title!r} did not run")
            elif cell.queries != count:
                failures.append(f"cell {title!r}: expected {count} queries, ran {cell.queries}")
        stdout = "".join(c.stdout for c in result.cells)
        for fragment in expect.stdout:
            if fragment not in stdout:
                failures.append(f"output does not contain {fragment!r}")
    if card.challenge is not None:
        truth = challenge_truth(card, result)
        if truth != card.challenge.answer:
            failures.append(
                f"challenge answer is {card.challenge.answer!r}, but the run says {truth!r}"
            )
    return Verdict(card.id, failures)
