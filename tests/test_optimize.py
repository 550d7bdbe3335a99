"""`sqlaquiz optimize`: FSRS parameters fitted to the learner's own history, kept when better."""

from __future__ import annotations

import json
import os
import random
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fsrs import Rating
from fsrs.scheduler import DEFAULT_PARAMETERS

from quiz.progress import parameters
from quiz.progress.records import Review, ReviewInput
from quiz.review import optimizer, scheduler
from tests.test_terminal import sqlaquiz_command

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
GAPS = (1, 2, 4, 7, 12, 20)  # days between a card's reviews


def forgetful_learner(cards: int, seed: int = 7) -> list[ReviewInput]:
    """A learner who forgets far faster than FSRS's defaults expect: each card's memory lasts
    about half a day at first and grows 2.5 times with each success (halves with a lapse).
    Recall is drawn from that curve with a fixed seed, so the history is always the same."""
    draw = random.Random(seed)
    history = []
    for n in range(cards):
        card = f"card-{n:03d}"
        at = START + timedelta(minutes=n)
        history.append(ReviewInput(card, Rating.Good, at))
        stability = 0.5 * draw.uniform(0.5, 2.0)
        for gap in GAPS:
            at += timedelta(days=gap)
            recalled = draw.random() < (1 + gap / (9 * stability)) ** -1
            history.append(ReviewInput(card, Rating.Good if recalled else Rating.Again, at))
            stability *= 2.5 if recalled else 0.5
    return history


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = sqlaquiz_command()
    return subprocess.run(
        [*cmd, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TZ": "UTC", "COLUMNS": "100", **(env or {})},
    )


def review(card: str, rating: int, at: datetime) -> Review:
    return Review(card, Rating(rating), at, None, None, None, None, False, at, None)


def test_histories_are_fsrs_items_per_card_by_calendar_day() -> None:
    day = timedelta(days=1)
    log = [
        review("a", 3, START),
        review("a", 1, START + timedelta(hours=2)),  # the same day: no item of its own
        review("b", 3, START + timedelta(hours=1)),
        review("a", 3, START + 3 * day),
        review("b", 2, START + 2 * day),
    ]
    assert optimizer.histories(log, timezone.utc) == [
        ((3, 0), (2, 2)),
        ((3, 0), (1, 0), (3, 3)),
    ]
    # 23:30 and 00:30 the next morning, local time: one calendar day apart
    late = datetime(2026, 1, 5, 23, 30, tzinfo=timezone.utc)
    pair = [review("c", 3, late), review("c", 3, late + timedelta(hours=1))]
    assert optimizer.histories(pair, timezone.utc) == [((3, 0), (3, 1))]
    assert optimizer.histories(pair, timezone(timedelta(hours=-2))) == []


def test_fitted_parameters_beat_the_defaults_on_a_forgetful_history(seed_reviews) -> None:  # type: ignore[no-untyped-def]
    seed_reviews(*forgetful_learner(60))
    done = run_cli("optimize", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["reviews"] == 60 * 7
    assert report["usable_reviews"] == 60 * 6
    assert report["kept"] is True
    assert report["current"] is None
    fitted, default = report["fitted"], report["default"]
    assert fitted["log_loss"] < default["log_loss"] - 0.05
    assert fitted["rmse"] < default["rmse"]
    # stored where `start` reads them, and the scheduler takes them
    kept = parameters.in_use()
    assert kept is not None and list(kept) == report["parameters"]
    assert kept != tuple(DEFAULT_PARAMETERS)
    assert len(kept) == len(DEFAULT_PARAMETERS)
    sched = scheduler.make_scheduler(fuzz=False, parameters=kept)
    first = scheduler.preview(sched, scheduler.new_card(), START)
    default_first = scheduler.preview(
        scheduler.make_scheduler(fuzz=False), scheduler.new_card(), START
    )
    assert first != default_first

    # a second fit on the same history is no better than what is now in use: nothing changes
    saved = parameters.path(Path(os.environ["SQLAQUIZ_HOME"])).read_bytes()
    again = run_cli("optimize")
    assert again.returncode == 0, again.stderr
    assert "yours, in use" in again.stdout
    assert (
        "not kept: the fitted parameters do not predict your history better than your "
        "current parameters" in " ".join(again.stdout.split())
    )
    assert parameters.path(Path(os.environ["SQLAQUIZ_HOME"])).read_bytes() == saved


def test_the_table_and_the_line_that_says_what_was_kept(seed_reviews) -> None:  # type: ignore[no-untyped-def]
    seed_reviews(*forgetful_learner(60))
    done = run_cli("optimize")
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert "Fitted to 360 reviews on a later day than the card's previous one (of 420" in out
    assert "FSRS defaults" in out and "fitted now" in out and "yours, in use" not in out
    assert "✓ kept: the fitted parameters predict your history better" in out


def test_too_little_history_says_how_many_reviews_it_needs(seed_reviews) -> None:  # type: ignore[no-untyped-def]
    seed_reviews(*forgetful_learner(10))  # 60 usable reviews: 4 short of 64
    done = run_cli("optimize")
    assert done.returncode == 0, done.stderr
    assert " ".join(done.stdout.split()) == (
        "Not enough history to fit: optimize needs 64 reviews made on a later day than the "
        "card's previous review; you have 60 (4 more to go)."
    )
    report = json.loads(run_cli("optimize", "--json").stdout)
    assert (report["usable_reviews"], report["needed"], report["enough"]) == (60, 64, False)
    assert report["kept"] is False and parameters.in_use() is None


def test_without_the_extra_one_line_names_it(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "fsrs_rs_python.py").write_text("raise ImportError('not installed')\n")
    done = run_cli("optimize", env={"PYTHONPATH": str(blocker)})
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "error: fitting parameters needs the 'optimizer' extra: pip install 'sqlaquiz[optimizer]'\n"
    )


def test_reset_goes_back_to_the_defaults(seed_reviews) -> None:  # type: ignore[no-untyped-def]
    seed_reviews(*forgetful_learner(60))
    assert run_cli("optimize").returncode == 0
    assert parameters.in_use() is not None
    done = run_cli("optimize", "--reset")
    assert done.returncode == 0
    assert "scheduling with FSRS's defaults" in done.stdout
    assert parameters.in_use() is None
    where = str(parameters.path(Path(os.environ["SQLAQUIZ_HOME"])))
    again = json.loads(run_cli("optimize", "--reset", "--json").stdout)
    assert again == {"reset": True, "removed": False, "path": where}


def test_a_damaged_parameters_file_is_one_line_and_left_alone(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    where = parameters.path(isolated_home)
    where.write_text('{"format": 1, "parameters": [1, 2]}')
    done = run_cli("optimize")
    assert done.returncode == 5
    assert done.stderr.startswith(f"error: {where}: cannot be used (")
    assert len(done.stderr.splitlines()) == 1
    assert where.read_text() == '{"format": 1, "parameters": [1, 2]}'


def test_start_schedules_with_the_fitted_parameters(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quiz.commands import start as start_command
    from quiz.review import session

    isolated_home.mkdir(parents=True, exist_ok=True)
    fitted = parameters.Fitted(
        tuple(p * 0.5 if i < 4 else p for i, p in enumerate(DEFAULT_PARAMETERS)),
        START,
        100,
        0.3,
        0.05,
    )
    parameters.save(isolated_home, fitted)
    seen = {}

    class Recorder:
        def __init__(self, cards, store, console, keys, options, **kwargs):  # type: ignore[no-untyped-def]
            seen["options"] = options

        def run(self) -> int:
            return 0

    monkeypatch.setattr(session, "ReviewSession", Recorder)
    code = start_command.start(
        topics=None,
        levels=None,
        tags=None,
        limit=None,
        new=None,
        cram=False,
        retention=0.9,
        timeout=10.0,
        decks=None,
    )
    assert code == 0
    assert seen["options"].parameters == fitted.parameters


def test_list_shows_recall_as_the_fitted_parameters_predict_it(seed_reviews) -> None:  # type: ignore[no-untyped-def]
    card = "sess-autoflush-visibility"
    days = (0, 1, 4)
    seed_reviews(
        *forgetful_learner(60),
        *(ReviewInput(card, Rating.Good, START + timedelta(days=d)) for d in days),
    )
    now = {"SQLAQUIZ_NOW": (START + timedelta(days=20)).isoformat()}

    def recall() -> float:
        done = run_cli("list", "--json", "--topic", "sessions", env=now)
        assert done.returncode == 0, done.stderr
        return next(r["retrievability"] for r in json.loads(done.stdout) if r["id"] == card)

    before = recall()
    assert run_cli("optimize").returncode == 0
    kept = parameters.in_use()
    assert kept is not None
    after = recall()
    assert after != before

    from quiz.progress.store import open_default

    store = open_default()
    try:
        state = store.state(card)
    finally:
        store.close()
    assert state is not None
    at = START + timedelta(days=20)
    fitted = scheduler.make_scheduler(fuzz=False, parameters=kept)
    assert after == round(scheduler.retrievability(fitted, state.fsrs, at), 4)
    assert before == round(scheduler.retrievability(scheduler.make_scheduler(), state.fsrs, at), 4)


def test_a_parameters_file_that_cannot_be_written_is_one_line(
    seed_reviews,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from quiz.commands.optimize import optimize

    seed_reviews(*forgetful_learner(60))

    def refuse(path: Path, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(parameters, "write_atomic", refuse)
    with pytest.raises(parameters.ParametersError) as raised:
        optimize(as_json=False, reset=False)
    where = parameters.path(Path(os.environ["SQLAQUIZ_HOME"]))
    assert str(raised.value) == (
        f"{where}: cannot be written (No space left on device); nothing was changed"
    )
    assert parameters.in_use() is None
