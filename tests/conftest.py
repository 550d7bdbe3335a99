"""Shared fixtures: an isolated data directory, a plain terminal, and a warm example runner."""

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


@pytest.fixture(scope="session")
def bundled_examples() -> dict[str, str]:
    """Every bundled card's example by card id."""
    from quiz.deck.loader import load_library

    return {c.id: c.example for c in load_library().cards if c.example}


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
