"""The export file: an export written by an earlier sqlaquiz imports, and exports back the same."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.errors import TransferError
from quiz.progress import transfer
from quiz.progress.store import Store

DATA = Path(__file__).parent / "data"
# Written by sqlaquiz 0.1.0 before the store spoke in records: three practice sessions, then two
# grades of a card that is in no deck at one frozen instant (kept a microsecond apart).
OLD_EXPORT = DATA / "progress-v1.json"
DECK = str(DATA / "practice.yaml")
cli = CliRunner()


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    opened = Store.open(tmp_path / "p.sqlite3")
    yield opened
    opened.close()


def _body(text: str) -> str:
    """The file without the two header lines that change with every export."""
    return "\n".join(
        line
        for line in text.splitlines()
        if not line.startswith(('  "exported_at": ', '  "sqlaquiz": '))
    )


def test_an_old_export_imports_and_exports_back_byte_for_byte(store: Store, tmp_path: Path) -> None:
    added = store.import_progress(transfer.read_file(OLD_EXPORT))
    assert (added.cards, added.reviews, added.skipped) == (4, 8, 0)
    out = tmp_path / "again.json"
    transfer.write_file(out, transfer.to_json(store.export()))
    assert _body(out.read_text()) == _body(OLD_EXPORT.read_text())


def test_an_old_export_gives_the_statistics_it_gave_before(isolated_home: Path) -> None:
    env = {"SQLAQUIZ_NOW": "2026-03-06T12:00:00+00:00"}
    assert cli.invoke(app, ["import", str(OLD_EXPORT)], env=env).exit_code == 0
    stats = json.loads(cli.invoke(app, ["stats", "--json", "--deck", DECK], env=env).stdout)
    # the figures sqlaquiz 0.1.0 showed after importing the same file
    assert {k: v for k, v in stats.items() if k not in ("reviews_per_day", "due_forecast")} == {
        "today": "2026-03-06",
        "reviews_total": 8,
        "streak_days": 2,
        "retention": 0.6667,
        "retention_reviews": 3,
        "due_today": 2,
        "hardest": [
            {"id": "gone-card", "lapses": 0, "again": 1},
            {"id": "p-plain", "lapses": 0, "again": 1},
        ],
        "predictions": {"total": 3, "right": 2, "accuracy": 0.6667},
        "time_spent_seconds": 2.4,
        "leeches": [],
        "suspended": 0,
        "buried": 0,
        "key_points": {"got": 0, "out_of": 0, "rate": None, "sessions": []},
        "interviews": [],
    }
    listed = cli.invoke(app, ["list", "--json", "--deck", DECK, "--topic", "practice"], env=env)
    assert [
        (r["id"], r["state"], r["due"], r["retrievability"], r["reps"])
        for r in json.loads(listed.stdout)
    ] == [
        ("p-plain", "learning", "2026-03-05T18:45:30+00:00", None, 3),
        ("p-count", "review", "2026-03-10T09:00:00+00:00", 0.9421, 1),
        ("p-raise", "review", "2026-03-04T09:15:00+00:00", 0.858, 2),
    ]


def test_records_round_trip_through_the_file_exactly(store: Store, tmp_path: Path) -> None:
    store.import_progress(transfer.read_file(OLD_EXPORT))
    exported = store.export()
    out = tmp_path / "p.json"
    transfer.write_file(out, transfer.to_json(exported))
    back = transfer.read_file(out)
    assert back.cards == exported.cards
    # a file carries no log ids: the importing store gives its own
    assert back.reviews == tuple(
        dataclasses.replace(e, review=dataclasses.replace(e.review, id=None))
        for e in exported.reviews
    )
    assert [r.state_before is not None for r in back.reviews] == [
        False, False, False, True, True, True, False, True
    ]  # fmt: skip


def test_a_state_before_that_is_not_a_card_state_is_refused(tmp_path: Path) -> None:
    data = json.loads(OLD_EXPORT.read_text())
    data["reviews"][3]["state_before"]["fsrs"] = "{}"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(TransferError) as caught:
        transfer.read_file(bad)
    assert str(caught.value) == (
        f"{bad}: field 'reviews.3.state_before.fsrs': not an FSRS card (KeyError: 'card_id')"
    )
