"""The settings reach the commands that use them: flag > environment > config file > default."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz.cli import app
from quiz.progress.store import ReviewInput
from quiz.review.scheduler import Rating

DECK = str(Path(__file__).parent / "data" / "practice.yaml")
NOW = "2026-03-02T09:00:00+00:00"
AT_NOW = datetime.fromisoformat(NOW)
cli = CliRunner()


@pytest.fixture(autouse=True)
def trusted_deck(isolated_home: Path) -> None:
    assert cli.invoke(app, ["trust", DECK]).exit_code == 0


def configure(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")


def start(*args: str, input: str = "", now: str = NOW, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return cli.invoke(
        app,
        ["start", "--deck", DECK, "--topic", "practice", *args],
        input=input,
        env={"SQLAQUIZ_NOW": now, **(env or {})},
    )


def test_new_cards_a_day_from_the_file_the_environment_and_the_flag(isolated_home: Path) -> None:
    configure(isolated_home, "new_per_day = 1\n")
    assert "1/1  Practice" in start().stdout
    assert "1/2  Practice" in start(env={"SQLAQUIZ_NEW_PER_DAY": "2"}).stdout
    assert "1/3  Practice" in start("--new", "3", env={"SQLAQUIZ_NEW_PER_DAY": "2"}).stdout


def test_learning_steps_and_retention_from_the_file(isolated_home: Path) -> None:
    configure(isolated_home, 'learning_steps = ["5m", "30m"]\n')
    result = start(input="\nq\n")
    assert "[1] Again 5m  [2] Hard 18m  [3] Good 30m  [4] Easy 8d" in result.stdout
    configure(isolated_home, "learning_steps = []\nretention = 0.8\n")
    result = start(input="\nq\n")
    assert "[1] Again 1d  [2] Hard 4d  [3] Good 8d  [4] Easy 28d" in result.stdout


def test_the_daily_review_limit(isolated_home: Path, seed_reviews: Callable[..., None]) -> None:
    seed_reviews(*(ReviewInput(c, Rating.Easy, AT_NOW) for c in ("p-plain", "p-count", "p-raise")))
    later = (AT_NOW + timedelta(days=9)).isoformat()  # all three are due, in the Review state
    configure(isolated_home, "reviews_per_day = 2\nnew_per_day = 0\n")
    assert "1/2  Practice" in start(now=later).stdout
    graded = start(input="\n3\nq\n", now=later)  # p-plain is plain: Enter, then Good
    assert "1/2  Practice" in graded.stdout
    assert "1/1  Practice" in start(now=later).stdout  # one of today's two is used
    assert "1/2  Practice" in start("--reviews", "3", now=later).stdout
    none_left = start(now=later, env={"SQLAQUIZ_REVIEWS_PER_DAY": "1"})
    assert "Nothing is due right now." in none_left.stdout


def test_run_takes_its_timeout_and_database_from_the_settings(
    isolated_home: Path, tmp_path: Path
) -> None:
    script = tmp_path / "slow.py"
    script.write_text("import time\ntime.sleep(30)\n")
    configure(isolated_home, "timeout = 0.5\n")
    result = cli.invoke(app, ["run", "--file", str(script), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["timed_out"] is True
    configure(isolated_home, 'db = "mysql"\n')
    bad = cli.invoke(app, ["run", "--file", str(script)])
    assert bad.exit_code == 2
    assert bad.stderr == (
        f'error: {isolated_home / "config.toml"}, line 1: db = "mysql": use one of sqlite,'
        " postgresql\n"
    )


def test_validate_reads_the_settings_only_to_run(isolated_home: Path) -> None:
    configure(isolated_home, "timeout = oops\n")
    assert cli.invoke(app, ["validate", DECK]).exit_code == 0
    ran = cli.invoke(app, ["validate", DECK, "--run"])
    assert ran.exit_code == 2
    assert ran.stderr.startswith(f"error: {isolated_home / 'config.toml'}: not valid TOML")


def test_the_editor_setting_comes_before_editor(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "/no/such/editor")
    configure(isolated_home, 'editor = "sed -i s/select/SELECT/"\n')
    result = cli.invoke(app, ["run", "p-count", "--deck", DECK, "--edit"])
    assert result.exit_code == 0, result.output
    assert "SELECT 1" in result.stdout


def test_the_db_setting_runs_examples_on_postgresql(
    isolated_home: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SQLAQUIZ_POSTGRES_URL", postgres_url)
    configure(isolated_home, 'db = "postgresql"\n')
    result = cli.invoke(app, ["run", "rel-lazy-loop-n-plus-one", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["database"] == "postgresql"
    flag = cli.invoke(app, ["run", "rel-lazy-loop-n-plus-one", "--json", "--db", "sqlite"])
    assert json.loads(flag.stdout)["database"] == "sqlite"
