"""What to fold so that an example fits the rows it has: the plan, not the drawing.

A prediction needs the question, the cell it asks about and the models that cell uses on one
screen. An example is folded in steps, least needed first, until it fits: blank lines, the
cells after the one asked about, the setup's imports, engine and seed data, the models the
question and the cells asked about never name, the earlier cells, the models' plain columns,
the rest of the setup. Each run of folded lines becomes one row (`Fold`); the line numbers of
what stays keep the gaps visible, and a key shows everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from quiz.sandbox.cells import Cell, split_cells

_CLASS = re.compile(r"^class\s+([A-Za-z_]\w*)\s*[(:]")
_WORD = re.compile(r"[A-Za-z_]\w*")
_ASSIGNS = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]+)?=[^=]")  # `name = ...` at the top level
# Names every example makes the same way: where they come from says nothing about the question.
_PLUMBING = {"engine", "session", "Session", "SessionLocal", "db", "s", "conn", "app", "client"}
# What a model line says that a plain column does not: how it relates and loads.
_TELLING = re.compile(r"relationship\(|ForeignKey\(|association_proxy\(|__mapper_args__|^\s*@")


def is_setup(title: str) -> bool:
    """The cell that builds what the others use: by convention the one titled "setup"."""
    return title.strip().lower() == "setup"


@dataclass(frozen=True)
class Fold:
    """Lines `first` to `last` (1-based, inclusive), drawn as one row."""

    first: int
    last: int

    @property
    def count(self) -> int:
        return self.last - self.first + 1


Shown = Sequence["int | Fold"]  # line numbers drawn, and folds, in order


def _models(cell: Cell) -> dict[str, tuple[int, list[int]]]:
    """The classes a cell defines: name -> (its `class` line, its body's lines). A class with
    nothing in its body but `pass` (a declarative base, say) says nothing about the tables."""
    models: dict[str, tuple[int, list[int]]] = {}
    lines = cell.code.split("\n")
    current: str | None = None
    for offset, text in enumerate(lines):
        number = cell.first_line + offset
        match = _CLASS.match(text)
        if match:
            current = match.group(1)
            models[current] = (number, [])
        elif current is not None and text.strip() and not text[0].isspace():
            current = None  # back at the top level
        elif current is not None and text.strip():
            models[current][1].append(number)
    source = cell.source.split("\n")
    return {
        name: (line, body)
        for name, (line, body) in models.items()
        if any(source[n - 1].strip() not in ("pass", "...") for n in body)
    }


def fold_steps(example: str, focus: str | None, words: str = "") -> list[list[int]]:
    """The lines to fold, step by step (least needed first) for a prediction about the cell
    titled `focus` (None: about every cell after the setup). `words`: the question and the
    prompt, whose names say which models matter."""
    cells = split_cells(example)
    focus_at = next((i for i, c in enumerate(cells) if c.title == focus), None)
    setup = [c for c in cells if is_setup(c.title) and c.title != focus]
    others = [c for c in cells if c not in setup]

    def lines(cell: Cell, with_marker: bool = True) -> list[int]:
        body = list(range(cell.first_line, cell.first_line + cell.code.count("\n")))
        return ([cell.first_line - 1] if with_marker and cell.first_line > 1 else []) + body

    source = example.split("\n")
    steps: list[list[int]] = [[n for n, text in enumerate(source, 1) if not text.strip()]]
    if focus_at is not None:
        steps.append([n for c in cells[focus_at + 1 :] for n in lines(c)])
    models = {name: m for c in setup for name, m in _models(c).items()}
    asked = [c for c in cells if c.title == focus] or others
    code_names = {w for c in asked for w in _WORD.findall(c.code)}
    # setup lines that make a name the cells asked about use (`stmt = select(...)`): they say
    # what runs as much as the models do
    makes = {
        n
        for c in setup
        for n, text in enumerate(c.code.split("\n"), start=c.first_line)
        if (m := _ASSIGNS.match(text)) and m.group(1) in code_names - _PLUMBING
    }
    said = "\n".join([words, *(source[n - 1] for n in makes)])
    named = {w.lower() for w in _WORD.findall(said)} | {w.lower() for w in code_names}
    used = {name for name in models if name.lower() in named} or set(models)
    kept = makes | {n for line, body in models.values() for n in (line, *body)}
    steps.append([n for c in setup for n in lines(c, with_marker=False) if n not in kept])
    unused = [n for name, (line, body) in models.items() if name not in used for n in (line, *body)]
    steps.append(unused)
    plain_columns = [
        n for name in used for n in models[name][1] if not _TELLING.search(source[n - 1])
    ]
    if focus_at is not None:
        # the cells between the setup and the one asked about: the nearest sets up the state
        # it sees, and goes last
        earlier = [c for c in cells[:focus_at] if c not in setup]
        steps.extend(lines(c) for c in reversed(earlier[:-1]))
        steps.append(plain_columns)
        steps.extend(lines(c) for c in earlier[-1:])
    else:
        # about the whole run (it stops at the first exception): the cells say more than the
        # models' columns, and the last cell (usually the one the prompt names) most
        steps.append(plain_columns)
        steps.extend(lines(c) for c in others[:-1])
    steps.append(sorted(makes))
    steps.append([n for name in used for n in (models[name][0], *models[name][1])])
    return [step for step in steps if step]


def fit(
    lines: Sequence[str], steps: list[list[int]], rows: Callable[[int], int], budget: int
) -> list[int | Fold]:
    """The lines of an example (`lines`, its text split at newlines) to draw within `budget`
    rows, where line n takes `rows(n)`: folded step by step until it fits, then from the top
    (what is asked about comes last). A fold of a single line shows the line instead: it takes
    a row either way."""
    blank = {n for n, text in enumerate(lines, start=1) if not text.strip()}
    folded: set[int] = set()
    shown = _shown(len(lines), folded, blank, rows)
    for step in steps:
        if height(shown, rows) <= budget:
            return shown
        folded.update(step)
        shown = _shown(len(lines), folded, blank, rows)
    for n in range(1, len(lines) + 1):
        if height(shown, rows) <= budget:
            break
        folded.add(n)
        shown = _shown(len(lines), folded, blank, rows)
    return shown


def _shown(
    total: int, folded: set[int], blank: set[int], rows: Callable[[int], int]
) -> list[int | Fold]:
    # blank lines next to a fold fold with it: they only separate what is no longer there
    folded = set(folded)
    grown = True
    while grown:
        grown = False
        for n in blank - folded:
            if {n - 1, n + 1} & folded:
                folded.add(n)
                grown = True
    out: list[int | Fold] = []
    n = 1
    while n <= total:
        if n not in folded:
            out.append(n)
            n += 1
            continue
        last = n
        while last + 1 in folded and last + 1 <= total:
            last += 1
        if not all(m in blank for m in range(n, last + 1)):
            out.append(n if last == n and rows(n) <= 1 else Fold(n, last))
        # (blank lines alone go without a row: the numbers show the gap)
        n = last + 1
    return out


def height(shown: Sequence[int | Fold], rows: Callable[[int], int]) -> int:
    """The rows `shown` takes."""
    return sum(1 if isinstance(item, Fold) else rows(item) for item in shown)
