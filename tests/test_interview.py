"""The mock interview's core: the plan, the timed loop (scripted input, an injected clock) and
the scorecard. The command itself is in test_interview_cli.py, a real terminal in
test_terminal_interview.py."""

from __future__ import annotations

import io
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rich.console import Console

from quiz.deck.cards import Card
from quiz.deck.loader import load_library
from quiz.review.interview import MINUTES, Question, Scorecard, plan
from quiz.review.interview_session import MockInterview
from quiz.sandbox.client import Runner
from quiz.ui import interview_view as views

DECKS = Path(__file__).parent / "data" / "interview"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def cards() -> dict[str, Card]:
    library = load_library([DECKS], bundled=False)
    assert not library.problems
    return {c.id: c for c in library.cards}


class Scripted:
    """Answers from a list of (answer, seconds the learner takes); the clock moves by those
    seconds. An exception in the list is raised instead (Ctrl-C), the end of the list is EOF."""

    def __init__(self, script: list[tuple[str, float] | BaseException]) -> None:
        self.script = script
        self.now = T0
        self.prompts: list[str] = []

    def clock(self) -> datetime:
        return self.now

    def key(self, prompt: str, allowed: str) -> str:
        return self.line(prompt)

    def line(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.script:
            raise EOFError
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        text, seconds = step
        self.now += timedelta(seconds=seconds)
        return text


def interview(
    questions: list[Question],
    script: list[tuple[str, float] | BaseException],
    minutes: int = 30,
    runner: Runner | None = None,
) -> tuple[Scorecard, str, Scripted]:
    inp = Scripted(script)
    out = io.StringIO()
    mock = MockInterview(questions, Console(file=out, width=80), inp, inp.clock, minutes, runner)
    return mock.run(), out.getvalue(), inp


# ------------------------------------------------------------------ the plan


def test_the_plan_mixes_two_open_questions_to_one_prediction_within_the_minutes(
    cards: dict[str, Card],
) -> None:
    questions = plan(list(cards.values()), 12, random.Random(1), can_run=lambda c: True)
    kinds = [q.kind for q in questions]
    assert kinds == ["open", "open", "predict", "open", "predict"][: len(kinds)]
    assert sum(q.minutes for q in questions) <= 12
    assert len({q.card.id for q in questions}) == len(questions)
    # the first two questions come from different topics
    assert questions[0].card.topic != questions[1].card.topic
    assert all(q.card.key_points for q in questions if q.kind == "open")
    assert all(q.card.challenge for q in questions if q.kind == "predict")


def test_a_long_interview_asks_every_card_that_fits_once(cards: dict[str, Card]) -> None:
    questions = plan(list(cards.values()), 60, random.Random(2), can_run=lambda c: True)
    assert sorted(q.card.id for q in questions) == sorted(cards)


def test_the_same_seed_gives_the_same_interview(cards: dict[str, Card]) -> None:
    def ids(seed: int) -> list[str]:
        return [
            q.card.id for q in plan(list(cards.values()), 30, random.Random(seed), lambda c: True)
        ]

    assert ids(7) == ids(7)
    assert {tuple(ids(seed)) for seed in range(20)} != {tuple(ids(7))}  # it does shuffle


def test_cards_that_cannot_run_give_no_predictions(cards: dict[str, Card]) -> None:
    questions = plan(list(cards.values()), 30, random.Random(1), can_run=lambda c: False)
    assert {q.kind for q in questions} == {"open"}
    assert len(questions) == 3  # every card with key points


def test_one_minute_still_asks_one_question(cards: dict[str, Card]) -> None:
    questions = plan(list(cards.values()), 1, random.Random(1), can_run=lambda c: True)
    assert [q.kind for q in questions] == ["open"]
    assert MINUTES["open"] > 1


def test_no_key_points_and_no_challenge_plans_nothing(cards: dict[str, Card]) -> None:
    practice = load_library([Path(__file__).parent / "data" / "practice.yaml"], bundled=False)
    plain = [c for c in practice.cards if not c.challenge]
    assert plan(plain, 30, random.Random(1), can_run=lambda c: True) == []


# ------------------------------------------------------------------ asking


def test_each_question_shows_its_timer_and_no_answer(cards: dict[str, Card]) -> None:
    questions = [Question(cards["s-autoflush"], "open"), Question(cards["l-nplus1"], "open")]
    card, out, _inp = interview(
        questions, [("autoflush sends pending changes", 95), ("n+1: one query per row", 222)]
    )
    assert "Question 1/2 · open question · about 3 min · ⏱ 30:00 left" in out
    assert "Question 2/2 · open question · about 3 min · ⏱ 28:25 left" in out
    assert "⏱ answered in 1:35\n" in out
    assert "⏱ answered in 3:42: 0:42 over 3 min" in out
    assert "Before a query (autoflush)" not in out  # no model answer during the interview
    assert "Key points in your answer" not in out
    assert [a.seconds for a in card.answers] == [95.0, 222.0]
    assert [(a.coverage.covered, a.coverage.total) for a in card.answers if a.coverage] == [
        (2, 3),
        (1, 2),
    ]
    assert (card.ended_by, card.ended_at - card.started_at) == ("done", timedelta(seconds=317))


def test_when_the_time_is_up_the_rest_is_not_asked(cards: dict[str, Card]) -> None:
    questions = [Question(cards["s-autoflush"], "open"), Question(cards["l-nplus1"], "open")]
    card, out, _inp = interview(questions, [("autoflush", 181)], minutes=3)
    assert "⏱ Time is up (3 minutes): the questions left are not asked." in out
    assert "Question 2/2" not in out
    assert (card.ended_by, len(card.answers), card.planned) == ("time", 1, 2)


def test_q_ends_the_interview_and_keeps_the_answers(cards: dict[str, Card]) -> None:
    questions = [Question(cards["s-autoflush"], "open"), Question(cards["l-nplus1"], "open")]
    card, _, _ = interview(questions, [("autoflush", 10), ("q", 5)])
    assert (card.ended_by, [a.question.card.id for a in card.answers]) == ("quit", ["s-autoflush"])


def test_end_of_input_ends_the_interview_like_q(cards: dict[str, Card]) -> None:
    questions = [Question(cards["s-autoflush"], "open"), Question(cards["l-nplus1"], "open")]
    card, _, _ = interview(questions, [("autoflush", 10)])
    assert (card.ended_by, len(card.answers)) == ("quit", 1)


def test_ctrl_c_carries_what_was_answered(cards: dict[str, Card]) -> None:
    questions = [Question(cards["s-autoflush"], "open"), Question(cards["s-count"], "predict")]
    inp = Scripted([("autoflush", 10), KeyboardInterrupt()])
    mock = MockInterview(questions, Console(file=io.StringIO()), inp, inp.clock, 30, None)
    with pytest.raises(KeyboardInterrupt) as caught:
        mock.run()
    sofar: Scorecard = caught.value.scorecard  # type: ignore[attr-defined]
    assert (sofar.ended_by, [a.typed for a in sofar.answers]) == ("interrupted", ["autoflush"])


def test_a_prediction_asks_again_after_input_it_cannot_use(cards: dict[str, Card]) -> None:
    questions = [Question(cards["s-count"], "predict")]
    card, out, _inp = interview(questions, [("lots", 3), ("u", 2), ("3", 4)])
    assert "type a whole number, e.g. 3" in out
    assert "a prediction, Enter for I don't know, or q to end the interview" in out
    (answer,) = card.answers
    assert (answer.prediction, answer.guess, answer.seconds, answer.right) == ("3", 3, 9.0, None)


def test_i_dont_know_is_an_answer_and_scored_as_a_miss(
    cards: dict[str, Card], runner: Runner
) -> None:
    questions = [Question(cards["s-count"], "predict"), Question(cards["l-raise"], "predict")]
    card, _, _ = interview(questions, [("", 20), ("d", 10)], runner=runner)
    assert [(a.prediction, a.truth, a.right) for a in card.answers] == [
        ("I don't know", 2, False),
        ("I don't know", True, False),
    ]
    assert (card.predictions.got, card.predictions.out_of) == (0, 2)


def test_predictions_are_checked_after_the_last_question(
    cards: dict[str, Card], runner: Runner
) -> None:
    questions = [Question(cards["s-count"], "predict"), Question(cards["l-raise"], "predict")]
    card, _out, _ = interview(questions, [("3", 20), ("y", 10)], runner=runner)
    assert [(a.guess, a.truth, a.right) for a in card.answers] == [
        (3, 2, False),
        (True, True, True),
    ]
    assert (card.predictions.got, card.predictions.out_of) == (1, 2)


# ------------------------------------------------------------------ the scorecard


def test_the_scorecard_per_topic_and_the_weakest_first(cards: dict[str, Card]) -> None:
    questions = [
        Question(cards["s-autoflush"], "open"),
        Question(cards["l-nplus1"], "open"),
        Question(cards["s-identity"], "open"),
    ]
    card, _, _ = interview(
        questions, [("autoflush, pending changes", 60), ("no idea", 30), ("identity map", 45)]
    )
    topics = {
        t.topic: (t.points.got, t.points.out_of, t.seconds, t.questions) for t in card.topics()
    }
    assert topics == {"kp-sessions": (3, 5, 105.0, 2), "kp-loading": (0, 2, 30.0, 1)}
    assert [t.topic for t in card.weakest()] == ["kp-loading", "kp-sessions"]
    data = card.to_json()
    assert data["key_points"] == {"got": 3, "out_of": 7, "rate": 0.4286}
    assert data["weakest"] == ["kp-loading", "kp-sessions"]
    assert data["questions"][1] == {
        "card": "l-nplus1",
        "topic": "kp-loading",
        "kind": "open",
        "seconds": 30.0,
        "question": "Why is a lazy relationship in a loop slow?",
        "model_answer": "One query per row: the N+1 problem. Load it eagerly with selectinload.",
        "typed": "no idea",
        "key_points": [
            {"point": "the N+1 problem, one query per row", "matched": None},
            {"point": "eager loading fixes it", "matched": None},
        ],
    }
    kept = card.record()
    assert (kept.questions, kept.key_points_covered, kept.key_points_total) == (3, 3, 7)
    assert json.loads(kept.scorecard) == data


def test_a_perfect_topic_is_never_the_weakest(cards: dict[str, Card]) -> None:
    questions = [Question(cards["s-identity"], "open"), Question(cards["l-nplus1"], "open")]
    card, _, _ = interview(questions, [("identity map, same object", 10), ("n+1", 10)])
    assert [t.topic for t in card.weakest()] == ["kp-loading"]


def test_ctrl_c_while_the_predictions_run_keeps_every_answer(cards: dict[str, Card]) -> None:
    class Interrupted:
        database = None

        def start(self) -> None:
            pass

        def run(self, code: str, filename: str) -> None:
            raise KeyboardInterrupt

    questions = [Question(cards["s-autoflush"], "open"), Question(cards["s-count"], "predict")]
    inp = Scripted([("autoflush", 10), ("2", 5)])
    runner = Interrupted()
    mock = MockInterview(questions, Console(file=io.StringIO()), inp, inp.clock, 30, runner)  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt) as caught:
        mock.run()
    sofar: Scorecard = caught.value.scorecard  # type: ignore[attr-defined]
    assert (sofar.ended_by, len(sofar.answers), sofar.answers[1].truth) == ("interrupted", 2, None)


# ------------------------------------------------------------------ the exercise


@pytest.fixture(scope="module")
def with_exercise() -> dict[str, Card]:
    decks = [DECKS, Path(__file__).parent / "data" / "interview-exercise"]
    library = load_library(decks, bundled=False)
    assert not library.problems
    return {c.id: c for c in library.cards}


def test_one_exercise_comes_last_when_its_minutes_fit(with_exercise: dict[str, Card]) -> None:
    cards = list(with_exercise.values())
    questions = plan(cards, 18, random.Random(1), can_run=lambda c: True)
    assert [q.kind for q in questions] == ["open", "open", "predict", "exercise"]
    assert questions[-1].card.id == "l-fix-output"
    assert sum(q.minutes for q in questions) == 18
    fewer = plan(cards, 17, random.Random(1), can_run=lambda c: True)
    assert [q.kind for q in fewer] == ["open", "open", "exercise"]
    shorter = plan(cards, 11, random.Random(1), can_run=lambda c: True)
    assert "exercise" not in [q.kind for q in shorter]
    assert "exercise" not in [
        q.kind for q in plan(cards, 60, random.Random(1), can_run=lambda c: c.exercise is None)
    ]


def test_the_exercise_is_worked_on_and_scored(with_exercise: dict[str, Card]) -> None:
    from quiz.exercise.rating import Outcome

    worked: list[str] = []

    def work(card: Card) -> Outcome:
        worked.append(card.id)
        inp.now += timedelta(minutes=7)
        return Outcome(passed=True, attempts=2, hints_used=1, hints_total=1)

    questions = [
        Question(with_exercise["l-nplus1"], "open"),
        Question(with_exercise["l-fix-output"], "exercise"),
    ]
    inp = Scripted([("n+1", 30)])
    out = io.StringIO()
    mock = MockInterview(questions, Console(file=out, width=80), inp, inp.clock, 30, None, work)
    card = mock.run()
    assert worked == ["l-fix-output"]
    text = out.getvalue()
    assert "Question 2/2 · exercise · about 10 min · ⏱ 29:30 left" in text
    assert "Make the script print queries: 2." in text  # the task
    assert "⏱ answered in 7:00" in text
    assert (card.exercises.got, card.exercises.out_of) == (1, 1)
    assert card.to_json()["questions"][1]["exercise"] == {
        "passed": True,
        "gave_up": False,
        "attempts": 2,
        "hints_used": 1,
    }
    kept = card.record()
    assert (kept.exercises_passed, kept.exercises_total) == (1, 1)
    assert [t.exercises.out_of for t in card.topics()] == [1]
    scorecard = io.StringIO()
    Console(file=scorecard, width=80).print(views.scorecard(card))
    assert "2. l-fix-output  7:00  ✓ passed (2 attempts, 1 hint)" in scorecard.getvalue()
    assert "Result: ✓ passed (2 attempts, 1 hint)" in views.markdown(card)
    assert 'Reference solution:\n\n~~~python\nprint("queries: 2")\n~~~' in views.markdown(card)
