"""Code drawn without Pygments (quiz/ui/code.py) looks as Rich's Syntax drew it: the same text
and layout, the same colour on every character of every bundled example and statement."""

from __future__ import annotations

import io
from collections.abc import Iterable

import pytest
from rich.console import Console, RenderableType
from rich.style import Style
from rich.syntax import Syntax

from quiz.sandbox.client import RunResult
from quiz.ui.code import NumberedCode, sql


def _console(width: int) -> Console:
    return Console(file=io.StringIO(), width=width, color_system="standard", force_terminal=True)


def _styled_characters(renderable: RenderableType, width: int = 100) -> list[tuple[str, str]]:
    """Every visible character with the colour and attributes it is drawn in."""
    console = _console(width)
    out = []
    for segment in console.render(renderable):
        style = segment.style or Style()
        look = f"{style.color and style.color.name} {style.dim} {style.bold} {style.underline}"
        out.extend((ch, look) for ch in segment.text if not ch.isspace())
    return out


def _plain(renderable: RenderableType, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _differences(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> list[str]:
    assert "".join(ch for ch, _ in a) == "".join(ch for ch, _ in b)
    return [f"{ch!r}: {x} != {y}" for (ch, x), (_, y) in zip(a, b, strict=True) if x != y]


def _examples(bundled_examples: dict[str, str]) -> Iterable[str]:
    return [code.rstrip("\n") for code in bundled_examples.values()]


@pytest.mark.parametrize("width", [100, 38])
def test_examples_are_laid_out_as_syntax_lays_them_out(
    bundled_examples: dict[str, str], width: int
) -> None:
    for code in _examples(bundled_examples):
        ours = NumberedCode(code)
        theirs = Syntax(code, "python", line_numbers=True, word_wrap=True, theme="ansi_dark")
        assert _plain(ours, width) == _plain(theirs, width)


def test_examples_are_coloured_as_pygments_colours_them(bundled_examples: dict[str, str]) -> None:
    for code in _examples(bundled_examples):
        theirs = Syntax(code, "python", line_numbers=True, word_wrap=True, theme="ansi_dark")
        assert (
            _differences(_styled_characters(NumberedCode(code)), _styled_characters(theirs)) == []
        )


def test_statements_look_as_pygments_drew_them(bundled_results: dict[str, RunResult]) -> None:
    statements = {s.sql for r in bundled_results.values() for c in r.cells for s in c.statements}
    assert len(statements) > 100
    for statement in statements:
        theirs = Syntax(statement, "sql", word_wrap=True, theme="ansi_dark")
        assert _plain(sql(statement), 60) == _plain(theirs, 60)
        assert _differences(_styled_characters(sql(statement)), _styled_characters(theirs)) == []


@pytest.mark.parametrize(
    ("code", "coloured"),
    [
        ("import sqlalchemy.orm as sa", ["import", "sqlalchemy.orm", "as", "sa"]),
        ("from x import y as z", ["from", "x", "import", "as"]),
        ('print(f"{n!r:>5} {len(xs)}")', ["print", 'f"{', "!r:>5} {", "len", '}"']),
        ("@app.get('/a')\ndef read(): pass", ["@app", "'/a'", "def", "read", "pass"]),
        ("x = obj.type and None", ["and", "None"]),
    ],
)
def test_what_gets_a_colour(code: str, coloured: list[str]) -> None:
    text = NumberedCode(code).lines
    spans = [line.plain[s.start : s.end] for line in text for s in line.spans]
    assert spans == coloured
