"""The rules a card follows beyond its fields' types, checked after the schema.

- `databases` names each database once.
- `expect`, `challenge` and a `databases` other than the default need an `example`.
- Cells named in `expect` (common or per database) and in `challenge.cell` exist.
- A per-database block in `expect`, and a per-database `challenge.answer`, exist only for
  databases the card lists; a per-database answer covers every one of them. An answer is
  true/false for `ask: raises` and a whole number >= 0 for `ask: queries`.
- An exercise needs an `example` (its reference solution). Each of its checks sets exactly one
  test; a query budget reads `<= 2`, `< 3`, `>= 1`, `== 0` or a bare number; a check's cell
  is a cell of the starter and of the example; a check's `databases` are the card's; every
  database the card lists has at least one check.
- A card that lists postgresql tells the truth about it (simple heuristics on the code):
  the example reads SQLAQUIZ_DATABASE_URL or SQLAQUIZ_ASYNC_DATABASE_URL somewhere, and uses
  no SQLite-only feature: `StaticPool`, `check_same_thread`, a `PRAGMA` statement, or a
  `sqlite…://` URL outside a statement that also names one of those two variables (the
  fallback of `os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://")` is fine).
- `key_points`, when given, are 2 to 5, and each `match` phrase has a letter or a digit.
"""

from __future__ import annotations

import ast
import contextlib
import re
import warnings
from dataclasses import dataclass

from quiz.deck.cards import (
    BUDGET,
    DATABASES,
    DEFAULT_DATABASES,
    MAX_COUNT,
    MAX_KEY_POINTS,
    MIN_KEY_POINTS,
    TEST_FIELDS,
    Card,
)
from quiz.sandbox.cells import Cell, split_cells
from quiz.sandbox.engines import ASYNC_URL_ENV, URL_ENV

URL_VARIABLES = (URL_ENV, ASYNC_URL_ENV)
_PRAGMA = re.compile(r"\bpragma\s+\w", re.IGNORECASE)  # not "# pragma: no cover"
_SQLITE_URL = re.compile(r"^sqlite(\+\w+)?://")
_A_WORD = re.compile(r"[^\W_]")  # a letter or a digit: what review.keypoints calls a word
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


@dataclass(frozen=True)
class Finding:
    """One broken rule: the field (as a path of keys), what is wrong, and, when the fault is
    in the example's code, the example line it is on."""

    field: tuple[object, ...]
    message: str
    example_line: int | None = None


def card_findings(card: Card, check_syntax: bool = False) -> list[Finding]:
    """Every rule the card breaks; with `check_syntax`, also every cell that does not compile."""
    found = _databases(card) + _key_points(card)
    if not card.databases:
        return found  # every per-database rule would only repeat it
    if card.example is None:
        given = {
            "databases": card.databases != DEFAULT_DATABASES,
            "expect": card.expect is not None,
            "challenge": card.challenge is not None,
            "exercise": card.exercise is not None,
        }
        found += [Finding((k,), f"{k!r} needs an 'example' to run") for k, v in given.items() if v]
        return found + _answer(card)
    cells = split_cells(card.example)
    titles = [c.title for c in cells]
    if check_syntax:
        found += _syntax(cells, ("example",))
    found += _exercise(card, titles, check_syntax)
    expect = card.expect
    if expect is not None:
        found += _cells_exist(expect.cells, ("expect", "cells"), titles)
        for database in DATABASES:
            block = expect.block(database)
            if block is None:
                continue
            if not card.runs_on(database):
                found.append(Finding(("expect", database), card.not_listed(database)))
            else:
                found += _cells_exist(block.cells, ("expect", database, "cells"), titles)
    found += _answer(card)
    ch = card.challenge
    if ch is not None and ch.ask == "queries" and ch.cell is not None and ch.cell not in titles:
        found.append(
            Finding(("challenge", "cell"), f"no cell titled {ch.cell!r}; cells are {titles}")
        )
    if card.runs_on("postgresql"):
        # code nested too deeply to walk: the syntax check says so when it runs
        with contextlib.suppress(ValueError, RecursionError, MemoryError):
            found += _declaration(card.example)
    return found


def _syntax(cells: list[Cell], at: tuple[str, ...]) -> list[Finding]:
    """A finding for every cell that does not compile (`at`: the field the code is in)."""
    found: list[Finding] = []
    what = at[-1]
    for cell in cells:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarnings are the example's own
                compile(cell.source, f"{what}.py", "exec")
        except SyntaxError as exc:
            where = exc.lineno or cell.first_line  # source is padded: already example lines
            line = where if at == ("example",) else None
            found.append(Finding(at, f"syntax error in {what} line {where}: {exc.msg}", line))
        except (ValueError, RecursionError, MemoryError) as exc:  # e.g. nested too deeply
            reason = type(exc).__name__ if isinstance(exc, RecursionError) else str(exc)
            line = cell.first_line if at == ("example",) else None
            found.append(
                Finding(at, f"the cell at {what} line {cell.first_line} cannot "
                        f"be compiled: {reason or type(exc).__name__}", line)
            )  # fmt: skip
    return found


def _exercise(card: Card, titles: list[str], check_syntax: bool) -> list[Finding]:
    """The exercise's checks make sense for its starter, its solution and its databases."""
    exercise = card.exercise
    if exercise is None:
        return []
    found: list[Finding] = []
    starter_cells = split_cells(exercise.starter)
    starter_titles = [c.title for c in starter_cells]
    if check_syntax:
        found += _syntax(starter_cells, ("exercise", "starter"))
    for i, ch in enumerate(exercise.checks):
        at = ("exercise", "checks", i)
        tests = ch.tests
        if len(tests) != 1:
            fields_ = ", ".join(TEST_FIELDS)
            said = f"it sets {', '.join(tests)}" if tests else "it sets none"
            found.append(Finding(at, f"a check sets exactly one of {fields_}; {said}"))
        if ch.queries is not None and not (
            isinstance(ch.queries, (str, int))
            and not isinstance(ch.queries, bool)
            and re.match(BUDGET, str(ch.queries))
        ):
            found.append(
                Finding((*at, "queries"), "a query budget reads like '<= 2', '>= 1' or '3'")
            )
        if ch.cell is not None:
            missing = [w for w, names in (("starter", starter_titles), ("example", titles))
                       if ch.cell not in names]  # fmt: skip
            if missing:
                cells = starter_titles if missing[0] == "starter" else titles
                found.append(
                    Finding((*at, "cell"), f"no cell titled {ch.cell!r} in the "
                            f"{' or the '.join(missing)}; its cells are {cells}")
                )  # fmt: skip
        for db in ch.databases or ():
            if not card.runs_on(db):
                found.append(Finding((*at, "databases"), card.not_listed(db)))
    if not exercise.checks:
        return [*found, Finding(("exercise", "checks"), "list at least one check")]
    for db in card.databases:
        if not any(ch.applies_to(db) for ch in exercise.checks):
            found.append(Finding(("exercise", "checks"), f"no check applies on {db}"))
    if card.runs_on("postgresql"):
        with contextlib.suppress(ValueError, RecursionError, MemoryError):
            found += [
                Finding(("exercise", "starter"), f.message.replace("example", "starter"))
                for f in _declaration(exercise.starter)
            ]
    return found


def _key_points(card: Card) -> list[Finding]:
    """Key points, when a card has them, are 2 to 5 (the loader caps the upper end); each
    phrase has a word to match (review.keypoints matches runs of letters and digits only)."""
    if 0 < len(card.key_points) < MIN_KEY_POINTS:
        return [Finding(("key_points",), f"list {MIN_KEY_POINTS} to {MAX_KEY_POINTS} key points")]
    return [
        Finding(("key_points", i, "match", j), f"{phrase!r} has no word to match")
        for i, point in enumerate(card.key_points)
        for j, phrase in enumerate(point.match)
        if not _A_WORD.search(phrase)
    ]


def _databases(card: Card) -> list[Finding]:
    if not card.databases:
        return [Finding(("databases",), f"list at least one database: {' or '.join(DATABASES)}")]
    twice = sorted({db for db in card.databases if card.databases.count(db) > 1})
    return [Finding(("databases",), f"{db} is listed twice") for db in twice]


def _cells_exist(cells: dict[str, int], at: tuple[str, ...], titles: list[str]) -> list[Finding]:
    return [
        Finding((*at, title), f"no cell titled {title!r}; cells are {titles}")
        for title in cells
        if title not in titles
    ]


def _answer(card: Card) -> list[Finding]:
    ch = card.challenge
    if ch is None:
        return []
    if ch.ask == "raises":
        wrong = "a 'raises' challenge needs answer: true or false"
    else:
        wrong = "a 'queries' challenge needs a whole number >= 0 as answer"

    def fits(value: object) -> bool:
        if ch.ask == "raises":
            return isinstance(value, bool)
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    def too_big(value: object) -> bool:
        return isinstance(value, int) and value > MAX_COUNT

    if not isinstance(ch.answer, dict):
        if too_big(ch.answer):
            return [Finding(("challenge", "answer"), f"at most {MAX_COUNT:,} queries")]
        return [] if fits(ch.answer) else [Finding(("challenge", "answer"), wrong)]
    found: list[Finding] = []
    for database, value in ch.answer.items():
        at = ("challenge", "answer", database)
        if database not in DATABASES:
            found.append(Finding(at, f"no database {database!r}; use {' or '.join(DATABASES)}"))
        elif not card.runs_on(database):
            found.append(Finding(at, card.not_listed(database)))
        elif not fits(value):
            found.append(Finding(at, wrong))
        elif too_big(value):
            found.append(Finding(at, f"at most {MAX_COUNT:,} queries"))
    missing = [db for db in card.databases if db not in ch.answer]
    if missing:
        found.append(
            Finding(
                ("challenge", "answer"),
                f"no answer for {', '.join(missing)}: an answer per database covers every "
                f"database the card lists ({', '.join(card.databases)})",
            )
        )
    return found


def _declaration(example: str) -> list[Finding]:
    """Does an example that claims PostgreSQL really use the database it is given?"""
    found: list[Finding] = []
    if not any(name in example for name in URL_VARIABLES):
        found.append(
            Finding(
                ("databases",),
                "the card lists postgresql, but its example never reads "
                f"{' or '.join(URL_VARIABLES)}, so it cannot reach the database it is given",
            )
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for "\d": not ours to judge
            tree = ast.parse(example)
    except (SyntaxError, ValueError):
        return found  # reported by the syntax check
    first: dict[str, int] = {}
    for statement, node in _nodes_with_statement(tree):
        feature = _sqlite_feature(node, statement)
        lineno = getattr(node, "lineno", None)
        if feature and lineno and lineno < first.get(feature, lineno + 1):
            first[feature] = lineno
    for feature, lineno in sorted(first.items(), key=lambda item: item[1]):
        found.append(
            Finding(
                ("example",),
                f"{feature} is SQLite-only, but the card lists postgresql (example line {lineno})",
                lineno,
            )
        )
    return found


def _sqlite_feature(node: ast.AST, statement: ast.stmt | None) -> str | None:
    """The SQLite-only feature this node uses, named for a message, or None."""
    if isinstance(node, ast.Name) and node.id == "StaticPool":
        return "StaticPool"
    if isinstance(node, (ast.Attribute, ast.alias)):
        name = node.attr if isinstance(node, ast.Attribute) else node.name.rsplit(".", 1)[-1]
        return "StaticPool" if name == "StaticPool" else None
    if isinstance(node, ast.keyword) and node.arg == "check_same_thread":
        return "check_same_thread"
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    if "check_same_thread" in node.value:
        return "check_same_thread"
    if _PRAGMA.search(node.value):
        return "PRAGMA"
    if _SQLITE_URL.match(node.value) and not (
        statement is not None and _names_a_url_variable(statement)
    ):
        return f"a fixed {node.value!r} URL"
    return None


def _nodes_with_statement(tree: ast.AST) -> list[tuple[ast.stmt | None, ast.AST]]:
    """Every node with the innermost statement it belongs to (a compound statement owns its
    header, e.g. the `with` items, but not its body)."""
    pairs: list[tuple[ast.stmt | None, ast.AST]] = []

    def visit(node: ast.AST, statement: ast.stmt | None) -> None:
        pairs.append((statement, node))
        for child in ast.iter_child_nodes(node):
            visit(child, child if isinstance(child, ast.stmt) else statement)

    visit(tree, None)
    return pairs


def _names_a_url_variable(statement: ast.stmt) -> bool:
    """Whether the statement itself (not the statements nested in it) names a URL variable."""
    for name, value in ast.iter_fields(statement):
        if name in _BODIES:
            continue
        for part in value if isinstance(value, list) else [value]:
            if not isinstance(part, ast.AST):
                continue
            for node in ast.walk(part):
                if isinstance(node, ast.Constant) and node.value in URL_VARIABLES:
                    return True
    return False
