"""Claims of a card that running its example cannot show, proven here another way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quiz.deck.loader import load_library
from quiz.sandbox.cells import split_cells
from quiz.sandbox.client import Runner

LIBRARY = load_library()


def _setup_cell(card_id: str) -> str:
    card = LIBRARY.get(card_id)
    assert card.example is not None
    return split_cells(card.example)[0].source


@pytest.mark.slow
def test_mapped_column_types_for_mypy(tmp_path: Path) -> None:
    """models-mapped-column-vs-column: mypy sees `Mapped[str]` as str and `Column(String)` as
    Column[str], so assigning the old style's attribute to a `str` is a type error."""
    mypy_api = pytest.importorskip("mypy.api")
    probe = (
        "\n\ndef _probe(old: OldPublisher, new: Publisher) -> None:\n"
        "    reveal_type(new.name)\n"
        "    reveal_type(old.name)\n"
        "    from_new: str = new.name\n"
        "    from_old: str = old.name\n"
    )
    source = _setup_cell("models-mapped-column-vs-column") + probe
    script = tmp_path / "models_probe.py"
    script.write_text(source, encoding="utf-8")
    stdout, stderr, _status = mypy_api.run(
        [str(script), "--no-incremental", "--cache-dir", str(tmp_path / "cache"),
         "--no-error-summary", "--hide-error-context", "--show-error-codes"]
    )  # fmt: skip
    assert stderr == ""
    lines = source.splitlines()
    where = {text.strip(): n for n, text in enumerate(lines, start=1)}
    found = [line.split(": ", 1)[1] for line in stdout.splitlines()]
    assert len(found) == 3, stdout
    assert re.fullmatch(r'note: Revealed type is "(builtins\.)?str"', found[0])
    assert found[1] == 'note: Revealed type is "sqlalchemy.sql.schema.Column[str]"'
    assert found[2] == (
        'error: Incompatible types in assignment (expression has type "Column[str]", '
        'variable has type "str")  [assignment]'
    )
    error_line = int(stdout.splitlines()[2].split(":")[1])
    assert error_line == where["from_old: str = old.name"]


SECOND_LOOP = """
async def count_tickets():
    async with Session() as session:
        return await session.scalar(select(func.count()).select_from(Ticket))

print("tickets:", asyncio.run(count_tickets()))  # a new event loop, the same engine
"""


def test_pooled_connection_and_a_second_event_loop(runner: Runner, pg_runner: Runner) -> None:
    """async-engine-session-basics: a pooled connection belongs to the loop that opened it;
    asyncpg refuses it from a second asyncio.run(), aiosqlite does not mind. (Not a cell of
    the card: where this error stops the statement is not something to count.)"""
    card = LIBRARY.get("async-engine-session-basics")
    assert card.example is not None
    source = card.example + "\n# %% a second event loop" + SECOND_LOOP
    on_sqlite = runner.run(source, filename="second_loop.py")
    assert on_sqlite.error is None
    assert "tickets: 2\n" in on_sqlite.cells[-1].stdout
    on_postgresql = pg_runner.run(source, filename="second_loop.py")
    assert on_postgresql.error is not None
    assert on_postgresql.error.type == "RuntimeError"
    assert "attached to a different loop" in on_postgresql.error.message
    assert on_postgresql.cells[-1].title == "a second event loop"
