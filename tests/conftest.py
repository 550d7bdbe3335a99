"""Shared fixtures: an isolated data directory, a plain terminal, warm example runners (SQLite,
and PostgreSQL when a server is given)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from quiz.sandbox.client import Runner, RunResult


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real home: every test gets its own SQLAQUIZ_HOME."""
    home = tmp_path / "home"
    monkeypatch.setenv("SQLAQUIZ_HOME", str(home))
    for var in (
        *("SQLAQUIZ_DECKS", "SQLAQUIZ_NOW", "NO_COLOR", "FORCE_COLOR", "EDITOR", "VISUAL"),
        *("SQLAQUIZ_DB", "SQLAQUIZ_POSTGRES_URL", "SQLAQUIZ_DATABASE_URL"),
        "SQLAQUIZ_ASYNC_DATABASE_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERM", "dumb")
    return home


@pytest.fixture(scope="session")
def runner() -> Iterator[Runner]:
    """One warm runner for the whole test run, spread over the machine's cores."""
    with Runner(timeout=10, workers=os.cpu_count() or 1) as r:
        yield r


@pytest.fixture(scope="session")
def bundled_examples() -> dict[str, str]:
    """Every bundled card's example that runs on SQLite, by card id."""
    from quiz.deck.loader import load_library

    return {c.id: c.example for c in load_library().cards if c.example and c.runs_on("sqlite")}


@pytest.fixture(scope="session")
def bundled_results(runner: Runner, bundled_examples: dict[str, str]) -> dict[str, RunResult]:
    """Every bundled example run once, spread over all cores (shared by the tests that need it)."""
    results = runner.run_many([(code, f"{cid}.py") for cid, code in bundled_examples.items()])
    return dict(zip(bundled_examples, results, strict=True))


@pytest.fixture
def deck_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a deck file from text and return its path."""

    def write(text: str, name: str = "deck.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


# The PostgreSQL server the suite may use: .ci/run starts one and exports its URL. Read once, at
# import, because the autouse fixture above hides SQLAQUIZ_POSTGRES_URL from every test.
POSTGRES_URL = os.environ.get("SQLAQUIZ_TEST_POSTGRES_URL") or os.environ.get(
    "SQLAQUIZ_POSTGRES_URL"
)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A server URL to create databases on; in CI a missing server fails, elsewhere it skips."""
    if not POSTGRES_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no PostgreSQL: set SQLAQUIZ_TEST_POSTGRES_URL (.ci/run does)")
        pytest.skip("no PostgreSQL server: set SQLAQUIZ_TEST_POSTGRES_URL to run these tests")
    return POSTGRES_URL


@pytest.fixture(scope="session")
def pg_runner(postgres_url: str) -> Iterator[Runner]:
    """A warm runner whose every run gets a fresh PostgreSQL database."""
    from quiz.sandbox.engines import PostgreSQL

    database = PostgreSQL(postgres_url)
    try:
        with Runner(timeout=10, workers=os.cpu_count() or 1, database=database) as r:
            yield r
    finally:
        database.close()


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
