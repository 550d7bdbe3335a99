"""Shared fixtures: an isolated data directory, a plain terminal, and a warm example runner."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from quiz.sandbox.client import Runner


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real home: every test gets its own SQLAQUIZ_HOME."""
    home = tmp_path / "home"
    monkeypatch.setenv("SQLAQUIZ_HOME", str(home))
    for var in ("SQLAQUIZ_DECKS", "SQLAQUIZ_NOW", "NO_COLOR", "FORCE_COLOR", "EDITOR", "VISUAL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERM", "dumb")
    return home


@pytest.fixture(scope="session")
def runner() -> Iterator[Runner]:
    """One warm runner for the whole test run, spread over the machine's cores."""
    with Runner(timeout=10, workers=os.cpu_count() or 1) as r:
        yield r


@pytest.fixture
def deck_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a deck file from text and return its path."""

    def write(text: str, name: str = "deck.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def seed_reviews(isolated_home: Path):  # type: ignore[no-untyped-def]
    """Write review history straight through the store, graded as a session with a frozen
    clock grades (fuzz off, no time spent): fast, whatever the deck's size."""
    from quiz.paths import data_dir
    from quiz.progress.store import DB_NAME, ReviewInput, Store
    from quiz.review import scheduler

    def seed(*reviews: ReviewInput) -> None:
        store = Store.open(data_dir() / DB_NAME)
        fixed = scheduler.make_scheduler(fuzz=False)
        try:
            for r in reviews:
                store.record_review(r, scheduler.rescheduler(fixed, r.rating, r.reviewed_at, 0))
        finally:
            store.close()

    return seed
