"""README.md stays true: the quick start, the CI command, the CLI reference, the card ids."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.main import get_command

from quiz.cli import app
from quiz.deck.loader import load_library

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_quick_start_is_two_commands() -> None:
    install, test = quick_start_commands()
    assert install == "pip install . && sqlaquiz start"
    assert test == 'pip install ".[test]" && python -m pytest'


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = quick_start_commands()[1].split("&&")[1].strip()
    assert test_command in ci.splitlines()
    assert 'pip install --quiet ".[test]"' in ci


@pytest.mark.parametrize("name", list(get_command(app).commands))  # type: ignore[attr-defined]
def test_every_option_is_documented(name: str) -> None:
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    assert f"sqlaquiz {name}" in README
    for param in command.params:
        for flag in param.opts:
            if flag.startswith("--") and flag != "--help":
                assert flag in README, f"{name} {flag} is not in README.md"


def test_card_ids_in_the_readme_exist() -> None:
    ids = {c.id for c in load_library().cards}
    mentioned = set(re.findall(r"sqlaquiz (?:run|show|reset --card) ([a-z0-9][a-z0-9-]+)", README))
    assert mentioned, "the README shows no card id"
    assert mentioned <= ids, mentioned - ids


def test_exit_codes_table_matches_the_errors() -> None:
    from quiz import errors

    for cls in (
        errors.ChecksFailed,
        errors.UsageError,
        errors.DeckError,
        errors.UnknownCardError,
        errors.DataDirError,
        errors.TransferError,
        errors.EngineUnavailable,
        errors.UntrustedDeck,
    ):
        assert f"| {cls.exit_code} |" in README
    assert f"| {errors.EXIT_INTERRUPTED} |" in README
    for signum in (1, 15):  # SIGHUP, SIGTERM
        assert f"| {errors.Terminated(signum).exit_code} |" in README


TOOL_CACHES = (".ruff_cache", ".mypy_cache", ".pytest_cache")


def tool_caches_in_the_checkout() -> dict[str, int]:
    return {
        name: (ROOT / name).stat().st_mtime_ns for name in TOOL_CACHES if (ROOT / name).exists()
    }


def test_code_is_lint_and_type_clean() -> None:
    """ruff (lint + format) and mypy, as configured in pyproject.toml; no cache in the checkout.

    Their caches live in the temporary directory, one per checkout, kept between runs (a cold
    mypy takes seconds, a warm one a fraction of one).
    """
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    cache = Path(tempfile.gettempdir()) / f"sqlaquiz-lint-{os.getuid()}-{checkout}"
    before = tool_caches_in_the_checkout()
    for args in (
        ["ruff", "check", "--cache-dir", str(cache / "ruff"), "."],
        ["ruff", "format", "--cache-dir", str(cache / "ruff"), "--check", "."],
        ["mypy", "--cache-dir", str(cache / "mypy")],
    ):
        done = subprocess.run(
            [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert tool_caches_in_the_checkout() == before
    assert sorted(p.name for p in cache.iterdir()) == ["mypy", "ruff"]


def test_pytest_writes_no_cache_into_the_checkout(pytestconfig: pytest.Config) -> None:
    """pyproject.toml's addopts turn pytest's cache plugin off (so no .pytest_cache)."""
    assert not pytestconfig.pluginmanager.has_plugin("cacheprovider")


@pytest.mark.parametrize(
    ("database", "runner_fixture"), [("sqlite", "runner"), ("postgresql", "pg_runner")]
)
def test_the_example_deck_in_the_readme_is_valid_and_its_claims_hold(
    tmp_path: Path, request: pytest.FixtureRequest, database: str, runner_fixture: str
) -> None:
    from quiz.deck.checks import check
    from quiz.deck.loader import load_deck

    section = README.split("## Writing decks", 1)[1]
    deck = re.search(r"```yaml\n(.+?)\n```", section, re.S)
    assert deck is not None
    path = tmp_path / "loading.yaml"
    path.write_text(deck.group(1) + "\n")
    cards, problems = load_deck(path)
    assert problems == []
    (card,) = cards
    assert card.databases == ("sqlite", "postgresql")
    runner = request.getfixturevalue(runner_fixture)  # pg_runner: skips without a server
    result = runner.run(card.example or "", f"{card.id}.py")
    assert result.database == database
    assert check(card, result).failures == []
