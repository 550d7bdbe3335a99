"""Number options: plain values convert without pydantic, anything else gets Typer's own message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app

cli = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "--file", "x.py", "--timeout", "0.05"],
            "Invalid value for '--timeout': Input should be greater than or equal to 0.1",
        ),
        (
            ["run", "--file", "x.py", "--timeout", "soon"],
            "Invalid value for '--timeout': Input should be a valid number, "
            "unable to parse string as a number",
        ),
        (
            ["run", "--file", "x.py", "--timeout", "-1"],
            "Invalid value for '--timeout': Input should be greater than or equal to 0.1",
        ),
        (
            ["start", "--limit", "0"],
            "Invalid value for '--limit': Input should be greater than or equal to 1",
        ),
        (
            ["start", "--limit", "2.5"],
            "Invalid value for '--limit': Input should be a valid integer, "
            "unable to parse string as an integer",
        ),
    ],
)
def test_numbers_out_of_range_or_malformed_get_typers_message(
    args: list[str], message: str
) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr == f"error: {message} (see 'root {args[0]} --help')\n"


@pytest.mark.parametrize("given", ["1", "1.", "1.0", "01.00"])
def test_a_plain_timeout_is_the_runs_timeout(tmp_path: Path, given: str) -> None:
    script = tmp_path / "loop.py"
    script.write_text("while True: pass\n")
    result = cli.invoke(app, ["run", "--file", str(script), "--json", "--timeout", given])
    assert json.loads(result.stdout)["crash"] == (
        "timed out after 1 s in cell 'cell 1', at line 1, and was stopped"
    )
