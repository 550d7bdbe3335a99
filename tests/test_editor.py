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


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"EDITOR": ""}, r"^\$EDITOR is empty: set it to an editor command, e\.g\. EDITOR=nano$"),
        ({"EDITOR": "   "}, r"^\$EDITOR is empty"),
        ({"VISUAL": "", "EDITOR": ""}, r"^\$VISUAL is empty"),
        ({"EDITOR": "{folder}"}, r"^\$EDITOR is '{folder}', a folder, not an editor$"),
        ({"EDITOR": 'vim "x'}, r"^\$EDITOR is 'vim \"x', which is not a command \(No closing"),
        ({"VISUAL": "{script}"}, r"^cannot start the editor '{script}' \(Exec format error\)"),
    ],
)
def test_an_editor_that_cannot_be_a_command_is_one_line(
    variables: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    script = tmp_path / "not-a-program"
    script.write_bytes(b"\x00\x01binary")
    script.chmod(0o755)  # executable, but no program: exec refuses it
    where = {"folder": str(tmp_path), "script": str(script)}
    for name, value in variables.items():
        monkeypatch.setenv(name, value.format(**where))

    class Untouched:
        def run(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("nothing runs when the editor cannot start")

    with pytest.raises(UsageError, match=message.format(**where)):
        edit_and_run(
            Untouched(),  # type: ignore[arg-type]
            SOURCE,
            name="card",
            filename="card.py",
            edited_filename="e.py",
        )


def test_a_file_that_is_not_executable_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("hello")
    plain.chmod(0o644)
    monkeypatch.setenv("EDITOR", str(plain))
    expected = rf"^\$EDITOR is '{plain}', which is not executable$"
    with pytest.raises(UsageError, match=expected):
        edit_and_run(None, SOURCE, name="c", filename="c.py", edited_filename="e.py")  # type: ignore[arg-type]


def _table(both, expected=None) -> str:  # type: ignore[no-untyped-def]
    import io

    from rich.console import Console

    from quiz.ui.run_report import compare_counts

    out = io.StringIO()
    Console(file=out, width=100).print(compare_counts(both, expected))
    return out.getvalue()


def test_the_comparison_shows_failed_cells_and_added_and_removed_ones(
    runner: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    source = SOURCE + "# %% after\nprint('after')\n"
    script = tmp_path / "edit.py"
    script.write_text(
        "import sys\n"
        "p = sys.argv[1]\n"
        "s = open(p).read()\n"
        "s = s.replace('# %% after', '# %% fresh')\n"  # "after" removed, "fresh" added
        "s = s.replace('range(2)', 'range(2) +')\n"  # loop: a SyntaxError
        "open(p, 'w').write(s)\n"
    )
    monkeypatch.setenv("EDITOR", f"python3 {script}")
    both = edit_and_run(runner, source, name="c", filename="c.py", edited_filename="e.py")
    changes = [(c.title, c.original, c.edited) for c in both.changes()]
    assert [(t, a and a.queries, b and (b.queries, b.error)) for t, a, b in changes] == [
        ("setup", 0, (0, None)),
        ("loop", 2, (0, "SyntaxError")),
        ("after", 0, None),
        ("fresh", None, (None, None)),  # in the edit's code, never ran
    ]
    table = _table(both)
    assert "│ loop  │        2 │ 0 ✗ SyntaxError │ changed │" in table
    assert "│ after │        0 │               — │ removed │" in table
    assert "│ fresh │        — │     did not run │ added   │" in table
    assert "0 → 0" not in table


def test_an_edit_of_a_card_meant_to_raise_is_judged_as_the_card(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quiz.editor import edit_failures

    monkeypatch.setenv("EDITOR", "sed -i s/1/2/")
    both = edit_and_run(runner, "print(1 / 0)\n", name="c", filename="c.py", edited_filename="e.py")
    assert both.edited == "print(2 / 0)\n"
    assert edit_failures(both.result, "ZeroDivisionError") == []
    assert edit_failures(both.result, None) == ["ZeroDivisionError at line 1: division by zero"]
    assert "0 ✓ raised ZeroDivisionError" in _table(both, "ZeroDivisionError")
