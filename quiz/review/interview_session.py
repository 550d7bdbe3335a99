"""Asking a mock interview's questions against the clock, with no answer shown until the end.

Each question shows the minutes it is given and the time left; the interview ends when every
question is asked, the time is up, the learner types `q`, input ends, or on Ctrl-C (what was
answered is kept). Then the predictions' examples run, and the scorecard is what `run` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from rich.console import Console

from quiz.deck.cards import Card
from quiz.deck.checks import challenge_truth
from quiz.exercise.rating import Outcome
from quiz.review import actions, keypoints
from quiz.review.interview import DONT_KNOW, Answer, Question, Scorecard
from quiz.review.keys import InputSource
from quiz.sandbox.client import Runner
from quiz.ui import card_view, session_views
from quiz.ui import interview_view as views


class EndInterview(Exception):
    """The learner typed `q`: the interview ends and is scored."""


class MockInterview:
    """One `sqlaquiz interview`: questions, console, input, clock and runner are injected."""

    def __init__(
        self,
        questions: Sequence[Question],
        console: Console,
        inp: InputSource,
        clock: Callable[[], datetime],
        minutes: int,
        runner: Runner | None,
        exercise: Callable[[Card], Outcome] | None = None,
    ) -> None:
        self.questions = list(questions)
        self.console = console
        self.inp = inp
        self.clock = clock
        self.minutes = minutes
        self.runner = runner
        # works on one exercise until it passes or the learner leaves it (exercise.loop)
        self.exercise = exercise
        self.answers: list[Answer] = []

    def run(self) -> Scorecard:
        """Ask every question (or until the time, the input or the learner ends it), then
        score. On Ctrl-C the KeyboardInterrupt carries the scorecard of what was answered
        (`exc.scorecard`), predictions unchecked."""
        started = self.clock()
        deadline = started + timedelta(minutes=self.minutes)
        self.console.print(views.intro(self.questions, self.minutes))
        if self.runner is not None and any(q.kind == "predict" for q in self.questions):
            self.runner.start()  # warm while the first questions are answered
        ended_by = "done"
        try:
            for number, question in enumerate(self.questions, 1):
                left = deadline - self.clock()
                if left <= timedelta(0):
                    ended_by = "time"
                    self.console.print(views.time_up(self.minutes))
                    break
                self.answers.append(self._ask(question, number, left))
        except EndInterview:
            ended_by = "quit"
        except EOFError:
            self.console.print()
            ended_by = "quit"
        except KeyboardInterrupt as exc:
            exc.scorecard = self._scorecard(started, "interrupted")  # type: ignore[attr-defined]
            raise
        ended = self._scorecard(started, ended_by)
        try:
            return replace(ended, answers=tuple(self._check(a) for a in ended.answers))
        except KeyboardInterrupt as exc:  # while the predictions run: every answer is kept
            exc.scorecard = replace(ended, ended_by="interrupted")  # type: ignore[attr-defined]
            raise

    def _scorecard(self, started: datetime, ended_by: str) -> Scorecard:
        return Scorecard(
            started_at=started,
            ended_at=self.clock(),
            minutes=self.minutes,
            planned=len(self.questions),
            answers=tuple(self.answers),
            ended_by=ended_by,
        )

    def _ask(self, question: Question, number: int, left: timedelta) -> Answer:
        card = question.card
        self.console.rule()
        self.console.print(views.header(question, number, len(self.questions), left))
        self.console.print(views.question_panel(question))
        shown = self.clock()
        if question.kind == "exercise":
            assert self.exercise is not None
            outcome = self.exercise(card)  # shows the task, the file and every run's checks
            answer = Answer(question, (self.clock() - shown).total_seconds(), outcome=outcome)
            self.console.print(views.answered(answer.seconds, question.minutes))
            return answer
        if question.kind == "open":
            typed = self.inp.line(views.OPEN_PROMPT).strip()
            if typed.lower() == "q":
                raise EndInterview
            answer = Answer(
                question,
                seconds=(self.clock() - shown).total_seconds(),
                typed=typed or None,
                coverage=keypoints.check(card.key_points, typed) if card.key_points else None,
            )
        else:
            assert card.example is not None and card.challenge is not None
            self.console.print(card_view.code(card.example, title=f"{card.id}.py"))
            self.console.print(card_view.challenge_prompt(card))
            said = self._prediction(card)
            answer = Answer(
                question,
                seconds=(self.clock() - shown).total_seconds(),
                prediction=said.said if said is not None else DONT_KNOW,
                guess=said.guess if said is not None else None,
            )
        self.console.print(views.answered(answer.seconds, question.minutes))
        return answer

    def _prediction(self, card: Card) -> actions.Prediction | None:
        """The learner's prediction; None for "I don't know" (Enter, `d`) or `s`: in an
        interview that is an answer too, and scored as a miss."""
        assert card.challenge is not None
        while True:
            if card.challenge.ask == "queries":
                said = actions.count_prediction(self.inp.line(views.COUNT_PROMPT))
            else:
                key = self.inp.key(views.RAISES_PROMPT, "ynq")
                said = actions.raises_prediction(key)
            if isinstance(said, actions.Prediction):
                return said
            if said is actions.Command.QUIT:
                raise EndInterview
            if isinstance(said, actions.DontKnow) or said is actions.Command.SKIP:
                return None
            hint = said.hint if isinstance(said, actions.Invalid) else views.PREDICT_KEYS
            self.console.print(session_views.hint(hint))

    def _check(self, answer: Answer) -> Answer:
        """Run a prediction's example and settle it (unsettled: the run crashed or timed out)."""
        if answer.question.kind != "predict" or self.runner is None:
            return answer
        card = answer.question.card
        assert card.example is not None
        with self.console.status(f"checking your prediction for {card.id}…"):
            result = self.runner.run(card.example, filename=f"{card.id}.py")
        truth = challenge_truth(card, result)
        if result.crash or truth is None:
            return replace(answer, unsettled=result.problem() or "the run settled nothing")
        return replace(answer, truth=truth)
