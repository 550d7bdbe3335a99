"""Hostile import files: each is refused whole in one line (exit 6) and changes nothing, so an
import that passes can never break a later command."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from quiz.paths import data_dir
from quiz.progress import transfer
from quiz.progress.store import DB_NAME, ReviewInput, Store
from quiz.review import scheduler
from tests.hostile.conftest import invoke, one_line, snapshot

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def export() -> dict[str, Any]:
    """A real export: one card graded twice (so a review carries the state before it)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "p.sqlite3")
        fixed = scheduler.make_scheduler(fuzz=False)
        for minutes in (0, 10):
            at = T0.replace(minute=minutes)
            review = ReviewInput("p-card", scheduler.Rating.Good, at, duration_ms=1500)
            store.record_review(review, scheduler.rescheduler(fixed, review.rating, at))
        data = transfer.to_json(store.export())
        store.close()
    return data


def fsrs(data: dict[str, Any]) -> dict[str, Any]:
    return data["cards"][0]["fsrs"]  # type: ignore[no-any-return]


def set_at(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to the export: `value` at a dotted path (numbers index lists)."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


# (case, the change, what the one line says)
CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "NaN stability",
        set_at("cards.0.fsrs.stability", float("nan")),
        "field 'cards.0.fsrs.stability': nan is not a finite number",
    ),
    (
        "infinite stability",
        set_at("cards.0.fsrs.stability", float("inf")),
        "inf is not a finite number",
    ),
    (
        "negative stability",
        set_at("cards.0.fsrs.stability", -3.0),
        "stability -3.0 is not a number of days",
    ),
    (
        "stability as the text nan",
        set_at("cards.0.fsrs.stability", "nan"),
        "stability nan is not a number of days",
    ),
    (
        "stability of a billion days",
        set_at("cards.0.fsrs.stability", 1e9),
        "stability 1000000000.0 is not a number of days",
    ),
    (
        "negative difficulty",
        set_at("cards.0.fsrs.difficulty", -1.0),
        "difficulty -1.0 is not a number from 1 to 10",
    ),
    (
        "difficulty 11",
        set_at("cards.0.fsrs.difficulty", 11.0),
        "difficulty 11.0 is not a number from 1 to 10",
    ),
    ("a negative step", set_at("cards.0.fsrs.step", -1), "step -1 is not a whole number"),
    (
        "an fsrs due in the year 9999",
        set_at("cards.0.fsrs.due", "9999-12-31T23:59:59+00:00"),
        "due 9999-12-31T23:59:59+00:00 is out of range",
    ),
    (
        "a due date in the year 9999",
        set_at("cards.0.due", "9999-12-31T23:59:59+00:00"),
        "field 'cards.0.due': date out of range (from 1970 to 2999)",
    ),
    (
        "a due date past 9999 in UTC",
        set_at("cards.0.due", "9999-12-31T23:00:00-05:00"),
        "date out of range",
    ),
    (
        "a review in the year 1",
        set_at("reviews.0.reviewed_at", "0001-01-01T00:00:00+00:00"),
        "field 'reviews.0.reviewed_at': date out of range",
    ),
    (
        "a saved state in the year 1",
        set_at("reviews.1.state_before.last_review", "0001-01-01T00:00:00"),
        "field 'reviews.1.state_before.last_review': date out of range",
    ),
    (
        "reps past 64 bits",
        set_at("cards.0.reps", 2**64),
        "field 'cards.0.reps': an integer larger than 64 bits",
    ),
    (
        "a duration past 64 bits",
        set_at("reviews.0.duration_ms", 2**70),
        "an integer larger than 64 bits",
    ),
    (
        "an fsrs card id past 64 bits",
        set_at("cards.0.fsrs.card_id", 2**64),
        "an integer larger than 64 bits",
    ),
    (
        "a negative lapse count",
        set_at("cards.0.lapses", -1),
        "field 'cards.0.lapses': input should be greater than or equal to 0",
    ),
    (
        "a lone surrogate in an answer",
        set_at("reviews.0.typed_answer", "\ud800"),
        "field 'reviews.0.typed_answer': contains a lone surrogate (\\ud800)",
    ),
    (
        "a lone surrogate in a card id",
        set_at("reviews.0.card_id", "p-\udfff"),
        "contains a lone surrogate (\\udfff)",
    ),
    (
        "an escape sequence in a card id",
        set_at("cards.0.card_id", "p\x1b[2J"),
        "field 'cards.0.card_id': string should match pattern",
    ),
    (
        "a card id of 10,000 characters",
        set_at("cards.0.card_id", "p" * 10_000),
        "at most 80 characters",
    ),
    (
        "a text over 100,000 characters",
        set_at("reviews.0.typed_answer", "x" * 100_001),
        "a text longer than 100,000 characters",
    ),
    (
        "nesting in an extra field",
        set_at("extra", json.loads("[" * 50 + "]" * 50)),
        "nested deeper than an export (8 levels)",
    ),
    (
        "a saved fsrs card nested as JSON text",
        set_at("reviews.1.state_before.fsrs", "[" * 100_000),
        "not an FSRS card (not JSON)",
    ),
    (
        "a state of 1.5",
        set_at("cards.0.state", 1.5),
        "field 'cards.0.state': input should be a valid integer",
    ),
    (
        "a rating of 0",
        set_at("reviews.0.rating", 0),
        "field 'reviews.0.rating': input should be greater than or equal to 1",
    ),
]


@pytest.mark.parametrize(("name", "change", "says"), CASES, ids=[c[0] for c in CASES])
def test_a_hostile_value_is_refused_in_one_line_and_changes_nothing(
    name: str,
    change: Callable[[dict[str, Any]], None],
    says: str,
    export: dict[str, Any],
    home: Path,
    tmp_path: Path,
) -> None:
    Store.open(data_dir() / DB_NAME).close()
    before = snapshot(home)
    data = copy.deepcopy(export)
    change(data)
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(data), encoding="utf-8", errors="surrogatepass")
    one_line(invoke("import", str(path)), 6, f"{path}: ", says)
    assert snapshot(home) == before


RAW: list[tuple[str, Callable[[Path], Path], str]] = [
    (
        "a FIFO",
        lambda tmp: (os.mkfifo(tmp / "fifo.json"), tmp / "fifo.json")[1],
        "cannot read: not a regular file",
    ),
    ("/dev/zero", lambda tmp: Path("/dev/zero"), "cannot read: not a regular file"),
    ("a folder", lambda tmp: tmp, "cannot read: is a folder, not a file"),
    (
        "a 300 MB file",
        lambda tmp: _sparse(tmp / "big.json", 300 * 2**20),
        "cannot read: too large (300.0 MiB; the limit is 256.0 MiB)",
    ),
    (
        "nesting 100,000 deep",
        lambda tmp: _write(tmp, "[" * 100_000 + "]" * 100_000),
        "nested too deeply",
    ),
    (
        "a 5000-digit number",
        lambda tmp: _write(tmp, '{"format": ' + "9" * 5000 + "}"),
        "not valid JSON: Exceeds the limit (4300 digits)",
    ),
    (
        "NaN as JSON text",
        lambda tmp: _write(tmp, '{"format": NaN}'),
        "not a sqlaquiz progress export",
    ),
    (
        "a path component over 255 bytes",
        lambda tmp: tmp / ("x" * 300),
        "cannot read: [Errno 36] File name too long",
    ),
    ("no such file", lambda tmp: tmp / "nope.json", "no such file"),
]


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def _write(tmp: Path, text: str) -> Path:
    path = tmp / "raw.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("name", "make", "says"), RAW, ids=[c[0] for c in RAW])
def test_a_file_that_is_no_export_is_refused_without_reading_it_all(
    name: str, make: Callable[[Path], Path], says: str, home: Path, tmp_path: Path
) -> None:
    before = snapshot(home)
    one_line(invoke("import", str(make(tmp_path))), 6, says)
    assert snapshot(home) == before


def test_an_import_that_passes_breaks_no_later_command_east_of_utc(
    export: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The latest dates an import may hold, shown in a time zone east of UTC."""
    data = copy.deepcopy(export)
    data["cards"][0]["due"] = "2999-12-31T23:59:59+00:00"
    fsrs(data)["due"] = "2999-12-31T23:59:59+00:00"
    path = tmp_path / "late.json"
    path.write_text(json.dumps(data))
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
    assert invoke("import", str(path)).exit_code == 0
    for command in (["list"], ["stats"], ["topics"], ["list", "--json"], ["stats", "--json"]):
        result = invoke(*command)
        assert result.exit_code == 0, (command, result.output)
