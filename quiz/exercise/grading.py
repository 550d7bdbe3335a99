"""Deciding an exercise's checks from a run: pure functions of the exercise and the RunResult."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from quiz.deck.cards import BUDGET, Exercise, ExerciseCheck
from quiz.sandbox.protocol import CellResult, RunResult, Statement

_COMPARE = {
    "<=": (lambda n, k: n <= k, "at most"),
    "<": (lambda n, k: n < k, "fewer than"),
    ">=": (lambda n, k: n >= k, "at least"),
    ">": (lambda n, k: n > k, "more than"),
    "==": (lambda n, k: n == k, "exactly"),
}


@dataclass(frozen=True)
class CheckResult:
    """One check decided: how it reads, whether it holds, what the run did instead, and the
    statements that broke it (a budget's statements, a forbidden or lazy statement)."""

    label: str
    passed: bool
    detail: str | None = None
    statements: tuple[Statement, ...] = field(default=())
    kind: str = "run"  # the check's test field ("queries", "stdout", ...); "run" for the run


def budget(spec: str | int) -> tuple[str, int]:
    """A query budget as (operator, number): "<= 2" -> ("<=", 2); 3 -> ("==", 3)."""
    match = re.match(BUDGET, str(spec))
    if match is None:
        raise ValueError(f"not a query budget: {spec!r}")
    return match.group(1) or "==", int(match.group(2))


def _first_line(message: str) -> str:
    """An exception's message up to its first line break (SQLAlchemy appends the SQL)."""
    return message.strip().split("\n", 1)[0]


def _normal(sql: str) -> str:
    return " ".join(sql.split()).lower()


def _where(check: ExerciseCheck) -> str:
    return f"cell {check.cell!r}: " if check.cell else ""


def label(check: ExerciseCheck) -> str:
    """How a check reads on screen, unless the deck gives its own `label`."""
    if check.label:
        return check.label
    where = _where(check)
    if check.queries is not None:
        op, n = budget(check.queries)
        return f"{where}{_COMPARE[op][1]} {n} {'query' if n == 1 else 'queries'}"
    if check.stdout is not None:
        return f"{where}output contains {check.stdout!r}"
    if check.raises is not None:
        return f"{where}raises {check.raises}"
    if check.not_raises is not None:
        return f"{where}does not raise {check.not_raises}"
    if check.sql is not None:
        return f"{where}a statement contains {check.sql!r}"
    if check.no_sql is not None:
        return f"{where}no statement contains {check.no_sql!r}"
    if check.no_lazy_load == "any":
        return f"{where}no lazy load"
    return f"{where}no lazy load of {check.no_lazy_load}"


def _cells(check: ExerciseCheck, result: RunResult) -> list[CellResult] | None:
    """The cells a check looks at (None: its cell did not run)."""
    if check.cell is None:
        return result.cells
    cell = result.cell(check.cell)
    return None if cell is None else [cell]


def _decide(check: ExerciseCheck, result: RunResult) -> CheckResult:
    return replace(_decision(check, result), kind=check.tests[0])


def _decision(check: ExerciseCheck, result: RunResult) -> CheckResult:
    text = label(check)
    cells = _cells(check, result)
    if cells is None:
        return CheckResult(text, False, f"cell {check.cell!r} did not run")
    sent = [s for c in cells for s in c.statements if s.sent]
    if check.queries is not None:
        op, n = budget(check.queries)
        ran = sum(c.queries for c in cells)
        ok = _COMPARE[op][0](ran, n)
        return CheckResult(text, ok, f"ran {ran}", () if ok else tuple(sent))
    if check.stdout is not None:
        ok = check.stdout in "".join(c.stdout for c in cells)
        return CheckResult(text, ok, None if ok else "not in the output")
    if check.raises is not None or check.not_raises is not None:
        error = next((c.error for c in cells if c.error is not None), None)
        if check.raises is not None:
            if error is not None and error.matches(check.raises):
                return CheckResult(text, True)
            return CheckResult(text, False, f"raised {error.type}" if error else "nothing raised")
        assert check.not_raises is not None
        if error is not None and error.matches(check.not_raises):
            where = f" at line {error.line}" if error.line else ""
            return CheckResult(text, False, f"it was raised{where}")
        return CheckResult(text, True)
    if check.sql is not None:
        wanted = _normal(check.sql)
        ok = any(wanted in _normal(s.sql) for s in sent)
        return CheckResult(text, ok, None if ok else "no statement sent has it")
    if check.no_sql is not None:
        wanted = _normal(check.no_sql)
        found = tuple(s for s in sent if wanted in _normal(s.sql))
        return CheckResult(text, not found, f"{len(found)} sent" if found else None, found)
    which = check.no_lazy_load
    lazy = tuple(
        s for s in sent if s.load == "lazy" and (which == "any" or s.relationship == which)
    )
    return CheckResult(text, not lazy, f"{len(lazy)} lazy loads" if lazy else None, lazy)


def grade(exercise: Exercise, result: RunResult) -> list[CheckResult]:
    """Every check that applies on the run's database, decided; first, whether the run itself
    went through: it finished, and raised nothing that no `raises` check asks for."""
    checks = [c for c in exercise.checks if c.applies_to(result.database)]
    expected = [c.raises for c in checks if c.raises is not None]
    error = result.error
    if result.crash or result.timed_out:
        first = CheckResult("runs to the end", False, result.problem() or "it did not finish")
    elif error is not None and not any(error.matches(name) for name in expected):
        where = f" at line {error.line}" if error.line else ""
        first = CheckResult(
            "runs without an unexpected exception", False,
            f"{error.type}{where}: {_first_line(error.message)}",
        )  # fmt: skip
    else:
        label_ = "runs to the end" if expected else "runs without an exception"
        first = CheckResult(label_, True)
    return [first, *(_decide(c, result) for c in checks)]


def passed(results: list[CheckResult]) -> bool:
    """Whether every check holds."""
    return all(r.passed for r in results)


def proof_failures(exercise: Exercise, reference: RunResult, starter: RunResult) -> list[str]:
    """What `validate --run` holds an exercise to on one database: the reference solution (the
    card's example) passes every check, and the starter fails at least one."""
    failures = [
        f"the reference solution fails: {r.label}" + (f" ({r.detail})" if r.detail else "")
        for r in grade(exercise, reference)
        if not r.passed
    ]
    if passed(grade(exercise, starter)):
        failures.append("the starter already passes every check: nothing to fix")
    return failures
