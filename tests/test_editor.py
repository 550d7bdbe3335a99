"""Editing an example: the one edit-and-run that `run --edit` and a session's `e` key share."""

from __future__ import annotations

import pytest

from quiz.editor import edit_and_run
from quiz.errors import UsageError
from quiz.sandbox.client import Runner

SOURCE = """\
# %% setup
from sqlalchemy import create_engine, text
engine = create_engine("sqlite://")
# %% loop
with engine.connect() as conn:
    for _ in range(2):
        conn.execute(text("select 1"))
"""


def test_the_original_and_the_edit_both_run(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "sed -i s/range(2)/range(5)/")
    both = edit_and_run(
        runner, SOURCE, name="card", filename="card.py", edited_filename="card-edited.py"
    )
    assert both.edited == SOURCE.replace("range(2)", "range(5)")
    assert not both.unchanged
    assert [(c.title, c.queries) for c in both.original.cells] == [("setup", 0), ("loop", 2)]
    assert [(c.title, c.queries) for c in both.result.cells] == [("setup", 0), ("loop", 5)]


def test_saved_unchanged(runner: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", "true")
    both = edit_and_run(runner, SOURCE, name="card", filename="card.py", edited_filename="e.py")
    assert both.unchanged and both.original.queries == both.result.queries == 2


def test_no_editor_runs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    class Untouched:
        def run(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("nothing runs when the editor cannot start")

    monkeypatch.setenv("EDITOR", "/no/such/editor")
    with pytest.raises(
        UsageError, match=r"^cannot start the editor '/no/such/editor'; set \$EDITOR$"
    ):
        edit_and_run(
            Untouched(),  # type: ignore[arg-type]
            SOURCE,
            name="card",
            filename="card.py",
            edited_filename="e.py",
        )
