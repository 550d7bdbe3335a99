"""A mock interview's plan and outcome: which questions, what was answered, the scorecard.

`plan` picks a mix from the filtered cards: open questions (cards with key points, a typed
answer scored by `review.keypoints`), predictions (cards with a challenge, run after the
interview through the runner, as `start` runs them) and one exercise (code to fix, run on every
save by `exercise.loop`). `Scorecard` is the outcome: per question,
per topic, the weakest topics. `review.interview_session` asks the questions.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from quiz.deck.cards import Card
from quiz.exercise.rating import Outcome
from quiz.progress.records import Interview
from quiz.progress.stats import Score
from quiz.review import keypoints

Kind = Literal["open", "predict", "exercise"]
# The minutes each kind of question is given: what an interviewer would allow for it.
MINUTES: dict[Kind, int] = {"open": 3, "predict": 2, "exercise": 10}
PATTERN: tuple[Kind, ...] = ("open", "open", "predict")  # the mix, repeated; one exercise last
WEAKEST = 2  # topics pointed at
DONT_KNOW = "I don't know"  # a prediction not made: scored as a miss once the run settles it


@dataclass(frozen=True)
class Question:
    card: Card
    kind: Kind

    @property
    def minutes(self) -> int:
        return MINUTES[self.kind]


def _spread(cards: Sequence[Card], rng: random.Random) -> list[Card]:
    """The cards shuffled, then taken one topic at a time in turn, so that a short interview
    still touches several topics."""
    by_topic: dict[str, list[Card]] = {}
    for card in rng.sample(list(cards), len(cards)):
        by_topic.setdefault(card.topic, []).append(card)
    queues = list(by_topic.values())
    out: list[Card] = []
    while queues:
        out.extend(q.pop(0) for q in queues)
        queues = [q for q in queues if q]
    return out


def plan(
    cards: Sequence[Card], minutes: int, rng: random.Random, can_run: Callable[[Card], bool]
) -> list[Question]:
    """The interview's questions: open and prediction questions in the PATTERN's mix while
    their minutes fit in `minutes` (at least one question when any card fits), then one
    exercise when its minutes and one more question's fit. Open questions come from cards with
    key points; a prediction from a card with a challenge that `can_run`, the exercise from an
    exercise card that `can_run`. A card is asked once."""
    pools: dict[Kind, list[Card]] = {
        "open": _spread([c for c in cards if c.key_points], rng),
        "predict": _spread([c for c in cards if c.challenge is not None and can_run(c)], rng),
    }
    exercises = _spread([c for c in cards if c.exercise is not None and can_run(c)], rng)
    exercise = None
    if exercises and (
        minutes >= MINUTES["exercise"] + MINUTES["predict"] or not any(pools.values())
    ):
        exercise = Question(exercises[0], "exercise")
    used: set[str] = set() if exercise is None else {exercise.card.id}
    chosen: list[Question] = []
    left = minutes - (0 if exercise is None else MINUTES["exercise"])
    while True:
        added = False
        for kind in PATTERN:
            pool = pools[kind]
            while pool and pool[0].id in used:
                pool.pop(0)
            if not pool or (MINUTES[kind] > left and (chosen or exercise)):
                continue
            card = pool.pop(0)
            used.add(card.id)
            chosen.append(Question(card, kind))
            left -= MINUTES[kind]
            added = True
        if not added:
            return chosen + ([exercise] if exercise is not None else [])


@dataclass(frozen=True)
class Answer:
    """What the learner said to one question, and (after the interview) how it scored."""

    question: Question
    seconds: float
    typed: str | None = None  # an open question's answer
    coverage: keypoints.Coverage | None = None
    prediction: str | None = None  # as typed
    guess: int | bool | None = None
    truth: int | bool | None = None  # what the run showed; None: not run, or it settled nothing
    unsettled: str | None = None  # why a prediction was not scored
    outcome: Outcome | None = None  # an exercise's

    @property
    def right(self) -> bool | None:
        """None: not a prediction, or nothing settled it."""
        if self.truth is None:
            return None
        if self.guess is None:
            return False if self.prediction == DONT_KNOW else None
        return self.guess == self.truth


@dataclass(frozen=True)
class TopicScore:
    topic: str
    name: str
    points: Score
    predictions: Score
    exercises: Score
    seconds: float
    questions: int

    @property
    def score(self) -> Score:
        """Everything scored in the topic together: key points, right predictions, exercises
        passed."""
        parts = (self.points, self.predictions, self.exercises)
        return Score(sum(p.got for p in parts), sum(p.out_of for p in parts))


@dataclass(frozen=True)
class Scorecard:
    started_at: datetime
    ended_at: datetime
    minutes: int
    planned: int  # questions planned
    answers: tuple[Answer, ...]
    ended_by: str = "done"  # done | time | quit | interrupted
    moved: tuple[str, ...] = field(default=())  # cards brought forward afterwards

    @property
    def points(self) -> Score:
        got = [a.coverage for a in self.answers if a.coverage is not None]
        return Score(sum(c.covered for c in got), sum(c.total for c in got))

    @property
    def predictions(self) -> Score:
        scored = [a.right for a in self.answers if a.right is not None]
        return Score(sum(scored), len(scored))

    @property
    def exercises(self) -> Score:
        tried = [a.outcome for a in self.answers if a.outcome is not None]
        return Score(sum(o.passed for o in tried), len(tried))

    def topics(self) -> list[TopicScore]:
        """One score per topic asked, in the order first asked."""
        groups: dict[str, list[Answer]] = {}
        for a in self.answers:
            groups.setdefault(a.question.card.topic, []).append(a)
        out = []
        for topic, answers in groups.items():
            part = replace(self, answers=tuple(answers))
            out.append(
                TopicScore(
                    topic,
                    answers[0].question.card.topic_name,
                    part.points,
                    part.predictions,
                    part.exercises,
                    sum(a.seconds for a in answers),
                    len(answers),
                )
            )
        return out

    def weakest(self) -> list[TopicScore]:
        """Up to WEAKEST topics where something was missed, the lowest score first."""
        missed = [t for t in self.topics() if t.score.out_of and t.score.got < t.score.out_of]
        missed.sort(key=lambda t: (t.score.rate or 0.0, -t.score.out_of))
        return missed[:WEAKEST]

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat(),
            "minutes": self.minutes,
            "ended_by": self.ended_by,
            "questions_planned": self.planned,
            "questions_answered": len(self.answers),
            "key_points": self.points.to_json(),
            "predictions": self.predictions.to_json(),
            "exercises": self.exercises.to_json(),
            "topics": [
                {
                    "topic": t.topic,
                    "name": t.name,
                    "questions": t.questions,
                    "key_points": t.points.to_json(),
                    "predictions": t.predictions.to_json(),
                    "exercises": t.exercises.to_json(),
                    "seconds": round(t.seconds, 1),
                }
                for t in self.topics()
            ],
            "weakest": [t.topic for t in self.weakest()],
            "questions": [_answer_json(a) for a in self.answers],
            "brought_forward": list(self.moved),
        }

    def record(self) -> Interview:
        """The interview as the progress database keeps it."""
        return Interview(
            started_at=self.started_at,
            ended_at=self.ended_at,
            minutes=self.minutes,
            questions=len(self.answers),
            key_points_covered=self.points.got,
            key_points_total=self.points.out_of,
            predictions_right=self.predictions.got,
            predictions_total=self.predictions.out_of,
            exercises_passed=self.exercises.got,
            exercises_total=self.exercises.out_of,
            scorecard=json.dumps(self.to_json()),
        )


def _answer_json(a: Answer) -> dict[str, Any]:
    card = a.question.card
    out: dict[str, Any] = {
        "card": card.id,
        "topic": card.topic,
        "kind": a.question.kind,
        "seconds": round(a.seconds, 1),
        "question": card.question,
        "model_answer": card.answer,
    }
    if a.question.kind == "open":
        out["typed"] = a.typed
        cov = a.coverage
        out["key_points"] = (
            None if cov is None else [{"point": p.point, "matched": p.matched} for p in cov.points]
        )
    elif a.question.kind == "predict":
        out.update(prediction=a.prediction, truth=a.truth, right=a.right, unsettled=a.unsettled)
    else:
        o = a.outcome
        out["exercise"] = (
            None
            if o is None
            else {
                "passed": o.passed,
                "gave_up": o.gave_up,
                "attempts": o.attempts,
                "hints_used": o.hints_used,
            }
        )
    return out
