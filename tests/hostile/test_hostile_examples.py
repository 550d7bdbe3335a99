"""Hostile examples, run in one batch: whatever one sends back is capped, marked when cut, drawn
as inert text, and never reaches sqlaquiz's own output."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from rich.console import Console

from quiz.sandbox.client import Runner, RunResult
from quiz.sandbox.protocol import LOG_LIMIT, MAX_CELLS, OUTPUT_LIMIT
from quiz.ui import run_report
from quiz.ui.run_json import run_json
from tests.hostile.conftest import ATTACKS, ESC

SQL = 'from sqlalchemy import create_engine, text\nconn = create_engine("sqlite://").connect()\n'

# 120 cells, each sending 500 statements of 4 KB: 240 MB of SQL log without a budget.
FLOOD = (
    SQL
    + 'SQL = "SELECT 1 /* " + "x" * 4000 + " */"\n'
    + "".join(
        f"# %% cell {i}\nfor _ in range(500):\n    conn.exec_driver_sql(SQL)\n" for i in range(120)
    )
)

EXAMPLES = {
    "flood": FLOOD,
    "escapes in output": "".join(f"print({a!r})\n" for a in ATTACKS)
    + "import sys\nsys.stderr.write('\\x1b]0;title\\x07')\n",
    "escapes in an exception": "raise ValueError('\\x1b[2J\\x1b]52;c;AAAA\\x07 [red]markup[/]')",
    "escapes in SQL and parameters": SQL
    + "conn.execute(text('SELECT :p /* \\x1b[2J */'), {'p': '\\x1b]0;t\\x07'})\n",
    "a thread with a huge name": SQL
    + "import threading\n"
    + "t = threading.Thread(target=lambda: conn.exec_driver_sql('SELECT 1'), name='T' * 100000)\n"
    + "t.start(); t.join()\n",
    "huge parameters": SQL
    + "try:\n    conn.execute(text('SELECT :a, :b'), {'a': b'x' * 10_000_000, 'b': 10 ** 100})\n"
    + "except OverflowError:\n    pass\n"
    + "try:\n    conn.exec_driver_sql('SELECT ?', ({'k' * 100000: 1},))\n"
    + "except Exception:\n    pass\n",
    "a flood of huge warnings": "import warnings\n"
    + "for i in range(200):\n    warnings.warn('w' * 100000 + str(i))\n",
    "an exception type with a huge name": "raise type('E' * 100000, (Exception,), {})('boom')",
    "a million cells": "".join(f"# %% c{i}\nx = {i}\n" for i in range(2000)),
    "a lone surrogate": "print('\\ud800 alone')\nraise ValueError('\\udfff')",
    "a huge cell title": "# %% " + "t" * 100000 + "\nprint(1)\n",
    # past what capture.py emits: the result file's own descriptor, found and flooded
    "a flood straight into the result file": (
        "import os\n"
        "for fd in range(3, 256):\n"
        "    try:\n        target = os.readlink(f'/proc/self/fd/{fd}')\n"
        "    except OSError:\n        continue\n"
        "    if 'sqlaquiz-result' in target:\n"
        "        os.write(fd, b'{\"title\": \"' + b'x' * 100_000_000 + b'\"}\\n')\n"
    ),
    "a 40 MiB file": "with open('big.bin', 'wb') as f:\n    f.write(b'x' * 40 * 2**20)\n",
}
ENDS_BADLY = {"a flood straight into the result file"}  # the run fails, in one bounded line


PEAK: list[int] = []  # what sqlaquiz itself allocated at most while the batch ran


@pytest.fixture(scope="module")
def results(runner: Runner) -> dict[str, RunResult]:
    """Every hostile example, run once in one batch on the shared runner."""
    codes = [(code, f"{name.replace(' ', '-')}.py") for name, code in EXAMPLES.items()]
    tracemalloc.start()
    try:
        ran = runner.run_many(codes)
        PEAK.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()
    return dict(zip(EXAMPLES, ran, strict=True))


def drawn(result: RunResult) -> str:
    """The report as a terminal would get it (colours on, so escapes would pass if unchecked),
    less Rich's own colour codes ("\x1b[" digits "m"): what is left holds no escape at all."""
    console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system="standard")
    console.print(run_report.report(result, title="x.py"))
    return re.sub(r"\x1b\[[0-9;]*m", "", console.file.getvalue())  # type: ignore[attr-defined]


def size(result: RunResult) -> int:
    return len(json.dumps(run_json(None, result)))


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_report_is_inert_text_and_within_the_budget(
    name: str, results: dict[str, RunResult]
) -> None:
    result = results[name]
    assert (result.crash is None) == (name not in ENDS_BADLY), result.crash
    shown = drawn(result)
    assert ESC not in shown and "\x9b" not in shown and "\x07" not in shown
    assert "\ud800" not in shown and "\udfff" not in shown
    assert size(result) < OUTPUT_LIMIT + LOG_LIMIT + 500_000


def test_the_flood_is_counted_whole_kept_within_the_budget_and_marked(
    results: dict[str, RunResult],
) -> None:
    result = results["flood"]
    assert result.ok and result.queries == 60_000
    assert [c.queries for c in result.cells[1:]] == [500] * 120
    kept = sum(len(c.statements) for c in result.cells)
    assert 500 < kept < LOG_LIMIT // 4000  # the first cells whole, then only counted
    assert result.log_truncated and result.cells[-1].log_truncated
    assert not result.cells[1].log_truncated
    assert size(result) < LOG_LIMIT + 200_000
    assert "SQL log truncated" in run_report.verdict_line(result).plain
    assert json.loads(json.dumps(run_json(None, result)))["log_truncated"] is True


def test_the_flood_does_not_grow_sqlaquiz(results: dict[str, RunResult]) -> None:
    # the flood's reply (~4 MB of JSON) and its records, with every other reply: not 258 MB
    assert PEAK[0] < 40 * 2**20


def test_escapes_are_shown_visibly(results: dict[str, RunResult]) -> None:
    shown = drawn(results["escapes in output"])
    assert "\\x1b[2J\\x1b[H" in shown and "\\x1b]52;c;cm0gLXJmIH4=\\x07" in shown
    assert "\\x9b2J" in shown and "\\x1b]0;title\\x07" in shown
    error = drawn(results["escapes in an exception"])
    assert "ValueError at line 1: \\x1b[2J\\x1b]52;c;AAAA\\x07 [red]markup[/]" in error
    sql = drawn(results["escapes in SQL and parameters"])
    assert "SELECT ? /* \\x1b[2J */" in sql and "params: ['\\x1b]0;t\\x07']" in sql


def test_names_texts_and_parameters_are_cut(results: dict[str, RunResult]) -> None:
    (statement,) = results["a thread with a huge name"].cells[0].statements
    assert statement.thread == "T" * 200 + "…"
    first, second = results["huge parameters"].cells[0].statements
    assert first.params[0].endswith("… (10,000,000 bytes)") and len(first.params[0]) < 300
    assert first.params[1] == "1" + "0" * 100  # past 64 bits: as text, so JSON readers agree
    assert len(json.dumps(second.params)) < 300
    assert results["an exception type with a huge name"].error.type == "E" * 200 + "…"
    assert results["a huge cell title"].cells[0].title == "t" * 200 + "…"


def test_warnings_are_capped_and_counted(results: dict[str, RunResult]) -> None:
    (cell,) = results["a flood of huge warnings"].cells
    assert len(cell.warnings) == 50 and cell.warnings_dropped == 150
    assert all(len(w.message) < 2_100 for w in cell.warnings)


def test_cells_past_the_limit_run_as_one(results: dict[str, RunResult]) -> None:
    result = results["a million cells"]
    assert result.ok and len(result.cells) == MAX_CELLS
    assert result.cells[-1].title == "c299 (and the 1,700 cells after it)"


def test_no_file_a_run_writes_grows_past_the_limit(results: dict[str, RunResult]) -> None:
    assert results["a 40 MiB file"].problem() == "OSError at line 2: [Errno 27] File too large"
    flooded = results["a flood straight into the result file"]
    assert flooded.cells == [] and not flooded.finished
    # it filled its own result file to the file size cap: the child says that is why
    assert flooded.crash == "the run could not be recorded (OSError: [Errno 27] File too large)"


def test_a_lone_surrogate_is_drawn_as_an_escape(results: dict[str, RunResult]) -> None:
    shown = drawn(results["a lone surrogate"])
    assert "\\ud800 alone" in shown and "ValueError at line 2: \\udfff" in shown


NOISY = """\
import ctypes, os, sys
print("print")
sys.__stdout__.write("sys.__stdout__\\n"); sys.__stdout__.flush()
os.write(1, b"fd 1\\n"); os.write(2, b"fd 2\\n")
ctypes.CDLL(None).write(1, b"from C\\n", 7)
os.system("echo from a shell")
print("\\x1b[2J")
"""


def test_json_stays_valid_json_whatever_an_example_prints(tmp_path: Path) -> None:
    """Through a real process, so fd 1 is sqlaquiz's real stdout; `--file` is your own script,
    which runs without `trust`."""
    script = tmp_path / "noisy.py"
    script.write_text(NOISY)
    done = subprocess.run(
        [sys.executable, "-m", "quiz", "run", "--file", str(script), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)  # the whole of stdout is the one document
    assert data["cells"][0]["stdout"] == "print\n\x1b[2J\n"
    for leak in ("sys.__stdout__", "fd 1", "fd 2", "from C", "from a shell"):
        assert leak not in done.stdout and leak not in done.stderr
    assert ESC not in done.stdout  # JSON escapes it
