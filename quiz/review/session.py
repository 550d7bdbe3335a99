"""The review loop: one card at a time, every grade saved before the next card shows.

The loop only wires the parts together: it reads keys (keys.py) and parses them into actions
(actions.py), then dispatches each action to grading through the store (grading.py), to the queue
and its undo history (queue.py), or to what is shown (quiz/ui, printed here).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import partial

from rich.console import Console, Group, RenderableType

from quiz.clock import utcnow
from quiz.deck.cards import Card
from quiz.deck.checks import challenge_truth
from quiz.editor import edit_and_run, edit_failures
from quiz.errors import QuizError, Terminated, UsageError
from quiz.kept_edits import KeptEdits
from quiz.progress.store import Store
from quiz.review import actions, keypoints, pager, scheduler
from quiz.review.actions import Command
from quiz.review.grading import Grader
from quiz.review.keys import InputSource
from quiz.review.queue import ReviewQueue, Tally
from quiz.sandbox.client import Runner, RunResult
from quiz.sandbox.protocol import DATABASE_NAMES
from quiz.ui import card_view, keypoints_view, marks_view, run_report
from quiz.ui import session_views as views

FOLDED_SETUP = "x shows them"  # what the one line that sums up a setup cell's statements says


@dataclass(frozen=True)
class SessionOptions:
    limit: int | None = None
    new_per_day: int | None = None
    cram: bool = False
    retention: float = scheduler.DEFAULT_RETENTION
    timeout: float = 10.0
    fuzz: bool = True
    # from the settings (quiz/config.py); None: fsrs's own steps, no review limit
    reviews_per_day: int | None = None
    learning_steps: tuple[timedelta, ...] | None = None
    relearning_steps: tuple[timedelta, ...] | None = None
    leech_threshold: int = 8
    leech_action: str = "keep"
    minutes: float | None = None  # end the session after the card on screen once time is up
    parameters: tuple[float, ...] | None = None  # fitted by `sqlaquiz optimize`


class Flow(Enum):
    """What an action means for the card on screen."""

    STAY = "stay"  # ask again about this card
    DONE = "done"  # this card's turn is over; the queue says what comes next
    QUIT = "quit"


@dataclass
class Turn:
    """The card on screen and what the user has said about it so far."""

    card: Card
    shown_at: datetime
    seed: int  # pins the fuzz of the intervals shown on the keys to the grade's
    typed: str | None = None
    prediction: str | None = None
    right: bool | None = None
    coverage: keypoints.Coverage | None = None  # the typed answer against the key points


class ReviewSession:
    """One `sqlaquiz start`: input source, console, clock and runner are injected."""

    def __init__(
        self,
        cards: list[Card],
        store: Store,
        console: Console,
        inp: InputSource,
        options: SessionOptions,
        clock: Callable[[], datetime] = utcnow,
        runner: Runner | None = None,
        open_runner: Callable[[str], Runner] | None = None,
        trusted: Callable[[Card], bool] = lambda card: True,
        kept_edits: KeptEdits | None = None,
    ) -> None:
        self.cards = {c.id: c for c in cards}
        self.order = [c.id for c in cards]
        self.console = console
        self.inp = inp
        self.options = options
        self.clock = clock
        self.runner = runner or Runner(timeout=options.timeout)
        # cards that do not run on the session's database run on one they list, opened when
        # the first such card comes (None: it could not be had, the card is asked unrun)
        self.open_runner = open_runner
        self.other_runners: dict[str, Runner | None] = {}
        # a card from a deck the user has not trusted shows its code and runs nothing: a
        # challenge is asked as a plain question
        self.trusted = trusted
        self.kept_edits = kept_edits or KeptEdits()  # `e` continues from the last edit
        self.grader = Grader(
            store,
            scheduler.make_scheduler(
                options.retention,
                fuzz=options.fuzz,
                learning_steps=options.learning_steps,
                relearning_steps=options.relearning_steps,
                parameters=options.parameters,
            ),
            save=not options.cram,
            session_id=uuid.uuid4().hex,
            leech_threshold=options.leech_threshold,
            leech_action=options.leech_action,
        )
        self.tally = Tally(started=clock())
        self.queue = ReviewQueue([], self.tally)
        # (card id, its last run or edit with every statement): what x shows after a run
        self.unfolded: tuple[str, RenderableType] | None = None

    # -------------------------------------------------------------- the loop

    def run(self) -> int:
        opts = self.options
        order = self.grader.queue(
            self.order,
            self.clock(),
            cram=opts.cram,
            limit=opts.limit,
            new_per_day=opts.new_per_day,
            reviews_per_day=opts.reviews_per_day,
        )
        held_reviews = self.grader.reviews_held_back
        if held_reviews and opts.reviews_per_day is not None:
            self.console.print(marks_view.review_limit(opts.reviews_per_day, held_reviews))
        if not opts.cram:
            held, needed = self.grader.new_held_back(
                self.order, self.clock(), limit=opts.limit, new_per_day=opts.new_per_day
            )
            if held and order:  # with nothing to review, nothing_due says it
                self.console.print(views.new_held_back(held, needed))
        if not order:
            next_due, new_left = self.grader.next_due(self.order), self.grader.new_left(self.order)
            self.console.print(views.nothing_due(next_due, new_left, self.clock()))
            return 0
        self.queue = ReviewQueue(order, self.tally)
        try:
            while True:
                if self._time_is_up():
                    break
                card_id = self.queue.next(partial(self.grader.is_due, now=self.clock()))
                if card_id is None:
                    card_id = self._wait_for_later()  # the last cards were graded Again or Hard
                if card_id is None or self._turn(self.cards[card_id]) is Flow.QUIT:
                    break
        except EOFError:
            self.console.print()
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: the CLI says what is saved
            exc.saved = self.grader.saved_note()  # type: ignore[attr-defined]
            raise
        finally:
            self.runner.close()
            for other in self.other_runners.values():
                if other is not None:
                    other.close()
        self.tally.ended = self.clock()
        self.console.print(views.summary(self.tally, self.grader.next_due(self.order), opts.cram))
        if self.grader.rescued:
            self.console.print(views.kept_in_rescue(self.grader.rescued, self.grader.rescue_path))
        return 0

    def _wait_for_later(self) -> str | None:
        """Nothing is left but cards coming back in minutes: offer to wait for the first of
        them (saying how long) and show it once it is due; None ends the session."""
        if not self.queue.later or not getattr(self.inp, "interactive", True):
            return None  # piped answers do not sit through real minutes
        now = self.clock()
        due = {cid: self.grader.due(cid) for cid in self.queue.later}
        first = min(due, key=lambda cid: (due[cid], cid))
        wait = max(due[first] - now, timedelta(0))
        key = self.inp.key(views.wait_prompt(first, len(due), wait), "q")
        if key != "":
            return None
        self.console.print(views.waiting(first, wait))
        wait_for = getattr(self.inp, "wait", None)  # an input source from before waiting existed
        if wait_for is None or not wait_for(wait.total_seconds()):
            return None  # a key ended the wait
        # due now (a frozen clock does not move: the wait itself is what made it due)
        return self.queue.next(lambda cid: cid == first or self.grader.is_due(cid, self.clock()))

    def _turn(self, card: Card) -> Flow:
        """Show one card and read actions until its turn is over."""
        turn = Turn(card, shown_at=self.clock(), seed=random.randrange(2**32))
        self.console.rule()
        challenge = card.challenge is not None and self._runner_for(card) is not None
        if not challenge:  # a challenge shows its question with its code (_predict)
            self.console.print(card_view.question(card, self.queue.position))
        if self.queue.index == 0:
            self.runner.start()  # warm the worker while the user reads the first question
        if card.example and not self.trusted(card):
            # an exercise's example is its solution: show what the learner would start from
            shown = card.exercise.starter if card.exercise else card.example
            self.console.print(card_view.code(shown, title=f"{card.id}.py"))
            self.console.print(card_view.untrusted(card.source))
        if card.exercise is not None and self._runner_for(card) is not None:
            flow = self._exercise(turn)
        else:
            flow = self._predict(turn) if challenge else self._answer(turn)
        if flow is not Flow.STAY:
            return flow
        if card.key_points and turn.typed:
            turn.coverage = keypoints.check(card.key_points, turn.typed)
            self.console.print(keypoints_view.coverage(turn.coverage))
        self.console.print(card_view.answer(card))
        if card.key_points and not turn.typed:
            self.console.print(keypoints_view.listed(card.key_points))
        while True:
            key = self.inp.key(self._keys_prompt(turn), actions.GRADE_KEYS)
            action = actions.grade_key(key)
            if action is None or key == "":
                self.console.print(views.grade_key_hint(key))
            flow = Flow.STAY if action is None else self.dispatch(action, turn)
            if flow is not Flow.STAY:
                return flow

    def _answer(self, turn: Turn) -> Flow:
        """The optional typed answer (STAY: the answer may show now)."""
        while True:
            said = actions.answer_line(self.inp.line(views.ANSWER_PROMPT))
            if isinstance(said, actions.Answer):
                turn.typed = said.text
                return Flow.STAY
            flow = self.dispatch(said, turn)
            if flow is not Flow.STAY:
                return flow

    def _predict(self, turn: Turn) -> Flow:
        """A challenge: the code, the prediction, then the run that settles it."""
        card, ch = turn.card, turn.card.challenge
        assert ch is not None and card.example is not None
        # the question, the code (folded to fit the screen: x shows it all), the challenge
        self.console.print(card_view.PredictionScreen(card, self.queue.position))
        while True:
            if ch.ask == "queries":
                said = actions.count_prediction(self.inp.line(views.COUNT_PROMPT))
            else:
                key = self.inp.key(views.RAISES_PROMPT, actions.RAISES_KEYS)
                said = actions.raises_prediction(key)
            if isinstance(said, actions.Prediction | actions.DontKnow):
                break
            if isinstance(said, actions.Invalid):
                self.console.print(views.hint(said.hint))
                continue
            flow = self.dispatch(said, turn)
            if flow is not Flow.STAY:
                return flow
        if isinstance(said, actions.DontKnow):
            return self._reveal(turn)
        turn.prediction = said.said
        result = self._run(card, show_code=False)
        truth = challenge_truth(card, result)
        if result.crash or truth is None:
            # a timeout or crash settles nothing: not scored, not counted in the stats
            self.console.print(views.prediction_unsettled(result.problem()))
            return Flow.STAY
        turn.right = truth == said.guess
        self.queue.predicted(turn.right)
        self.console.print(views.prediction_verdict(ch.ask, said.guess, truth, ch.cell))
        return Flow.STAY

    def _exercise(self, turn: Turn) -> Flow:
        """An exercise: the learner fixes its code in their editor (quiz/exercise/), then the
        answer and the grade keys follow, with a suggested grade (STAY)."""
        from quiz.exercise.in_session import work_on

        runner = self._runner_for(turn.card)
        assert runner is not None
        work_on(turn.card, runner, self.console, self.inp)
        return Flow.STAY

    def _reveal(self, turn: Turn) -> Flow:
        """After "I don't know" at a challenge: the run shows what happens; nothing is scored."""
        ch = turn.card.challenge
        assert ch is not None
        result = self._run(turn.card, show_code=False)
        truth = challenge_truth(turn.card, result)
        if result.crash or truth is None:
            self.console.print(views.prediction_unsettled(result.problem()))
        else:
            self.console.print(views.no_prediction(ch.ask, truth, ch.cell))
        return Flow.STAY

    # -------------------------------------------------------------- actions

    def dispatch(self, action: actions.Action, turn: Turn) -> Flow:
        """Carry out one action on the card on screen."""
        if isinstance(action, actions.Grade):
            self._grade(turn, action.rating)
            return Flow.DONE
        if action is Command.QUIT:
            return Flow.QUIT
        if action is Command.UNDO:
            if not self.queue.can_undo:
                self.console.print(views.note("nothing to undo yet"))
                return Flow.STAY
            return Flow.DONE if self._undo() else Flow.STAY
        if action is Command.SKIP:
            self.queue.skipped()
            return Flow.DONE
        if action is Command.BURY:
            return self._bury(turn)
        if action is Command.EXPAND:
            self._expand(turn)
        elif action is Command.HELP:
            self.console.print(views.help_panel())
        elif not turn.card.example:
            self.console.print(views.note("this card has no example"))
        elif not self.trusted(turn.card):
            self.console.print(card_view.untrusted(turn.card.source))
        elif self._runner_for(turn.card) is None:
            names = " or ".join(DATABASE_NAMES[d] for d in turn.card.databases)
            self.console.print(views.note(f"this example runs on {names} only, not here"))
        elif action is Command.RUN:
            self._run(turn.card)
        else:
            self._edit(turn.card)
        return Flow.STAY

    def _keys_prompt(self, turn: Turn) -> str:
        intervals = (
            None
            if self.options.cram
            else self.grader.intervals(turn.card.id, self.clock(), turn.seed)
        )
        return views.keys_prompt(intervals, bool(turn.card.example))

    def _grade(self, turn: Turn, rating: scheduler.Rating) -> None:
        lost_before = self.grader.lost
        saved = self.grader.grade(
            turn.card.id,
            rating,
            self.clock(),
            shown_at=turn.shown_at,
            typed=turn.typed,
            prediction=turn.prediction,
            right=turn.right,
            seed=turn.seed,
            coverage=turn.coverage,
        )
        review_id, due_in = saved if saved is not None else (None, None)
        entry = self.queue.graded(rating, review_id, turn.right, due_in)
        if self.grader.lost is not None and lost_before is None:
            self.console.print(views.store_lost(self.grader.lost, self.grader.rescue_path))
        if self.grader.leech is not None:
            leech = self.grader.leech
            self.console.print(marks_view.leech(leech.card_id, leech.lapses, leech.suspended))
            if leech.suspended:
                self.queue.later = [cid for cid in self.queue.later if cid != leech.card_id]
        if due_in is not None and not (self.grader.leech and self.grader.leech.suspended):
            later = self.queue.comes_back_later(entry)
            kept = review_id is not None and review_id < 0
            self.console.print(views.kept(due_in, later) if kept else views.saved(due_in, later))

    def _bury(self, turn: Turn) -> Flow:
        """Keep the card on screen out of reviews until tomorrow (no grade)."""
        if self.options.cram:
            self.console.print(views.note("cram saves nothing: s skips the card"))
            return Flow.STAY
        until = self.grader.bury(turn.card.id, self.clock())
        self.queue.skipped()
        self.console.print(marks_view.buried(turn.card.id, until))
        return Flow.DONE

    def _time_is_up(self) -> bool:
        """--minutes: once the time is up the session ends (never in the middle of a card)."""
        minutes = self.options.minutes
        if minutes is None or self.queue.index == 0:
            return False
        if (self.clock() - self.tally.started).total_seconds() < minutes * 60:
            return False
        self.console.print(marks_view.time_up(minutes))
        return True

    def _undo(self) -> bool:
        """Take back the last grade; False (and why, on screen) when it cannot be."""
        last = self.queue.history[-1]
        if last.review_id is not None:
            try:
                self.grader.undo(last.review_id, last.card_id)
            except QuizError as exc:
                self.console.print(views.failed(str(exc)))
                return False
        self.queue.undo()
        self.console.print(views.undone(last.card_id))
        return True

    def _runner_for(self, card: Card) -> Runner | None:
        """The runner for the session's database, or for one the card lists instead (None: the
        example does not run here, or not at all: an untrusted deck's)."""
        if not card.example or not self.trusted(card):
            return None
        if card.runs_on(self.runner.database.name):
            return self.runner
        name = card.databases[0]
        if name not in self.other_runners:
            self.other_runners[name] = None
            if self.open_runner is not None:
                try:
                    self.other_runners[name] = self.open_runner(name)
                except QuizError as exc:  # no server: the card is still asked, unrun
                    self.console.print(views.failed(str(exc)))
        return self.other_runners[name]

    def _run(self, card: Card, show_code: bool = True) -> RunResult:
        assert card.example is not None
        runner = self._runner_for(card)
        assert runner is not None
        try:
            with self.console.status("running the example…"):
                result = runner.run(card.example, filename=f"{card.id}.py")
        except KeyboardInterrupt as exc:
            return self._stopped(exc, runner.database.name)
        expected = card.expect_for(result.database).raises
        source = card.example if show_code else None
        self.unfolded = (card.id, run_report.report(result, expected=expected))
        shown = run_report.report(
            result, source, expected=expected, title=f"{card.id}.py", fold_setup=FOLDED_SETUP
        )
        if show_code:  # r: a report that would push the answer off goes through the pager
            pager.page(self.console, shown, keep=self._answer_rows(card))
        else:
            self.console.print(shown)
        return result

    def _expand(self, turn: Turn) -> None:
        """x: the whole example, and every statement of its last run, through the pager."""
        card = turn.card
        if not card.example:
            self.console.print(views.note("this card has no example"))
            return
        parts: list[RenderableType]
        if card.challenge is not None and turn.prediction is None:
            parts = [card_view.PredictionScreen(card, self.queue.position, fold=False)]
        else:
            parts = [card_view.code(card.example, title=f"{card.id}.py")]
        if self.unfolded is not None and self.unfolded[0] == card.id:
            parts.append(self.unfolded[1])
        pager.page(self.console, Group(*parts), keep=self.console.height)

    def _stopped(self, exc: KeyboardInterrupt, database: str) -> RunResult:
        """Ctrl-C during a run stops the run, not the session (SIGTERM / SIGHUP still end it)."""
        if isinstance(exc, Terminated):
            raise exc
        self.console.print(views.run_stopped())
        return RunResult.crashed(views.STOPPED, database)

    def _edit(self, card: Card) -> None:
        """The editor on the card's example, or on the learner's last edit of it; both run."""
        assert card.example is not None
        earlier = self.kept_edits.load(card.id)
        if earlier is not None:
            self.console.print(views.continuing_edit(self.kept_edits.path(card.id)))
        try:
            runner = self._runner_for(card)
            assert runner is not None
            both = edit_and_run(
                runner,
                card.example,
                name=card.id,
                filename=f"{card.id}.py",
                edited_filename=f"{card.id}-edited.py",
                start=earlier,
                # kept before anything runs: a Ctrl-C during the runs loses no edit
                on_edited=lambda text: self.kept_edits.keep(card.id, text, card.example or ""),
            )
        except UsageError as exc:  # a missing or failing editor must not end the session
            self.console.print(views.failed(str(exc)))
            return
        except KeyboardInterrupt as exc:
            self._stopped(exc, self.runner.database.name)
            return
        kept = self.kept_edits.path(card.id) if self.kept_edits.kept(card.id) else None
        expected = card.expect_for(both.result.database).raises
        failures = edit_failures(both.result, expected)
        counts = run_report.compare_counts(both, expected)
        title = f"{card.id}.py (your edit)"
        whole = run_report.report(both.result, both.edited, failures, expected, title)
        self.unfolded = (card.id, Group(whole, counts))
        shown = run_report.report(
            both.result, both.edited, failures, expected, title, fold_setup=FOLDED_SETUP
        )
        pager.page(self.console, Group(shown, counts), keep=self._answer_rows(card))
        self.console.print(views.edit_kept(kept, both.unchanged or not both.edited.strip()))

    def _answer_rows(self, card: Card) -> int:
        """The rows the answer and the keys below it take: what r and e must not scroll off."""
        return len(self.console.render_lines(card_view.answer(card), pad=False)) + 2
