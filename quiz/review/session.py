"""The review loop: one card at a time, input source and console injected, every grade saved."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from rich.console import Console
from rich.text import Text

from quiz.clock import utcnow
from quiz.deck.cards import Card
from quiz.deck.checks import challenge_truth
from quiz.progress.store import CardState, ReviewInput, Store
from quiz.review import scheduler
from quiz.sandbox.client import Runner, RunResult
from quiz.ui import card_view, run_report, session_views

LEARN_AHEAD = timedelta(minutes=20)  # a card due again this soon may come back in this session


class InputSource(Protocol):
    """Where the session reads the user's answers from."""

    def key(self, prompt: str, allowed: str) -> str:
        """One key from `allowed` ("" means Enter). EOFError at end of input."""

    def line(self, prompt: str) -> str:
        """A line of text. EOFError at end of input."""


@dataclass(frozen=True)
class SessionOptions:
    limit: int | None = None
    new_per_day: int | None = None
    cram: bool = False
    retention: float = scheduler.DEFAULT_RETENTION
    timeout: float = 10.0
    fuzz: bool = True


@dataclass
class Tally:
    """What happened in this session, for the summary."""

    reviewed: int = 0
    again: int = 0
    predictions: int = 0
    predictions_right: int = 0
    skipped: int = 0
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    ended: datetime | None = None


@dataclass
class _Graded:
    review_id: int | None
    card: Card
    index: int
    was_right: bool | None
    rating: int
    requeued: bool = False


class ReviewSession:
    """State of one `sqlaquiz start`: the queue, the schedule, the runner, the tally."""

    def __init__(
        self,
        cards: list[Card],
        store: Store,
        console: Console,
        inp: InputSource,
        options: SessionOptions,
        clock: Callable[[], datetime] = utcnow,
        runner: Runner | None = None,
    ) -> None:
        self.cards = {c.id: c for c in cards}
        self.order = [c.id for c in cards]
        self.store = store
        self.console = console
        self.inp = inp
        self.options = options
        self.clock = clock
        self.scheduler = scheduler.make_scheduler(options.retention, fuzz=options.fuzz)
        self.runner = runner or Runner(timeout=options.timeout)
        self.session_id = uuid.uuid4().hex
        self.tally = Tally(started=clock())
        self.history: list[_Graded] = []
        # Cards graded in this session whose next step is minutes away: each comes back in this
        # session once it is due (never before), if the session is still going then.
        self.later: list[str] = []
        self.seed = 0  # pins the fuzz of the current card's preview to its grade
        self.states = {cid: scheduler.card_from_json(_fsrs(s)) for cid, s in store.states().items()}

    # -------------------------------------------------------------- queue

    def build_queue(self) -> list[str]:
        now = self.clock()
        if self.options.cram:
            return self.order[: self.options.limit] if self.options.limit else list(self.order)
        per_day = (
            self.options.new_per_day
            if self.options.new_per_day is not None
            else scheduler.DEFAULT_NEW_PER_DAY
        )
        new_today = self.store.new_cards_since(scheduler.start_of_day(now))
        return scheduler.build_queue(
            self.order,
            self.states,
            self.scheduler,
            now,
            new_allowed=per_day - new_today,
            limit=self.options.limit,
        )

    # -------------------------------------------------------------- the loop

    def run(self) -> int:
        queue = self.build_queue()
        if not queue:
            session_views.nothing_due(
                self.console, self._next_due(), self._new_left(), self.clock()
            )
            return 0
        try:
            index = 0
            while True:
                self._bring_back_due(queue, index)
                if index >= len(queue):
                    break
                action = self._review(queue, index)
                if action == "quit":
                    break
                if action == "undo":
                    index = self._undo(queue)
                    continue
                index += 1
        except EOFError:
            self.console.print()
        finally:
            self.runner.close()
        self.tally.ended = self.clock()
        session_views.summary(self.console, self.tally, self._next_due(), self.options.cram)
        return 0

    def _bring_back_due(self, queue: list[str], index: int) -> None:
        """Learning cards from earlier in this session that are due now go next."""
        now = self.clock()
        for card_id in list(self.later):
            if scheduler.utc(self.states[card_id].due) <= now:
                self.later.remove(card_id)
                queue.insert(index, card_id)

    def _review(self, queue: list[str], index: int) -> str:
        card = self.cards[queue[index]]
        shown_at = self.clock()
        self.seed = random.randrange(2**32)
        self.console.rule()
        self.console.print(card_view.question(card, f"{index + 1}/{len(queue)}"))
        if index == 0:
            self.runner.start()  # warm the worker while the user reads the first question
        prediction: str | None = None
        right: bool | None = None
        typed: str | None = None
        if card.challenge is not None and card.example:
            outcome = self._challenge(card)
            if isinstance(outcome, str):
                return outcome
            prediction, right = outcome
        else:
            while True:
                typed = (
                    self.inp.line(
                        "Your answer (optional) · Enter reveals · u undo · q quit: "
                    ).strip()
                    or None
                )
                command = self._command(typed)
                if command:
                    return command
                if typed != "u":  # a lone u with nothing to undo asks again
                    break
        self.console.print(card_view.answer(card))
        while True:
            intervals = self._intervals(card)
            key = self.inp.key(
                session_views.keys_prompt(
                    None if self.options.cram else intervals, bool(card.example)
                ),
                "1234resuq?",
            )
            if key in "1234" and key:
                self._grade(card, int(key), index, shown_at, typed, prediction, right, queue)
                return "next"
            if key == "r" and card.example:
                self._run(card)
            elif key == "e" and card.example:
                self._edit_and_run(card)
            elif key == "s":
                self.tally.skipped += 1
                return "next"
            elif key == "u":
                if self.history:
                    return "undo"
                self.console.print("[dim]nothing to undo yet[/]")
            elif key == "q":
                return "quit"
            elif key == "?":
                session_views.help_panel(self.console)
            elif key in ("r", "e"):
                self.console.print("[dim]this card has no example[/]")

    def _command(self, text: str | None) -> str | None:
        """A lone `u` or `q` typed at a text prompt means undo / quit."""
        if text == "q":
            return "quit"
        if text == "u":
            if self.history:
                return "undo"
            self.console.print("[dim]nothing to undo yet[/]")
        return None

    def _challenge(self, card: Card) -> tuple[str, bool | None] | str:
        ch = card.challenge
        assert ch is not None
        # the code comes first: predicting what code does needs the code
        self.console.print(card_view.code(card.example or "", title=f"{card.id}.py"))
        self.console.print(card_view.challenge_prompt(card))
        while True:
            if ch.ask == "queries":
                raw = self.inp.line(
                    "How many queries? (a number, or u undo · q quit; Enter) "
                ).strip()
                if raw.isdigit():
                    guess: int | bool = int(raw)
                    break
                hint = "type a whole number, e.g. 3"
            else:
                raw = self.inp.key("Does it raise? y/n (u undo · q quit) > ", "ynuq")
                if raw in ("y", "n"):
                    guess = raw == "y"
                    break
                hint = "press y or n"
            command = self._command(raw.lower())
            if command:
                return command
            if raw.lower() != "u":  # `_command` already said there is nothing to undo
                self.console.print(f"[yellow]{hint}[/]")
        result = self._run(card, show_code=False)
        truth = challenge_truth(card, result)
        if result.crash or truth is None:
            # a timeout or crash settles nothing: not scored, not counted in the stats
            session_views.prediction_unsettled(self.console, result.problem())
            return raw, None
        right = truth == guess
        self.tally.predictions += 1
        self.tally.predictions_right += right
        session_views.prediction_verdict(self.console, ch.ask, guess, truth, ch.cell)
        return raw, right

    def _run(self, card: Card, show_code: bool = True) -> RunResult:
        assert card.example is not None
        with self.console.status("running the example…"):
            result = self.runner.run(card.example, filename=f"{card.id}.py")
        expected = card.expect.raises if card.expect else None
        source = card.example if show_code else None
        run_report.run_report(
            self.console, result, source, expected=expected, title=f"{card.id}.py"
        )
        return result

    def _edit_and_run(self, card: Card) -> None:
        from quiz.commands.run import edit_in_editor
        from quiz.errors import UsageError

        assert card.example is not None
        try:
            edited = edit_in_editor(card.example, card.id)
        except UsageError as exc:  # a missing or failing editor must not end the session
            self.console.print(Text(f"✗ {exc}", style="red"))
            return
        original = self.runner.run(card.example, filename=f"{card.id}.py")
        mine = self.runner.run(edited, filename=f"{card.id}-edited.py")
        run_report.run_report(self.console, mine, edited)
        self.console.print(run_report.compare_counts(original, mine))

    def _intervals(self, card: Card) -> dict[int, str]:
        fsrs_card = self.states.get(card.id) or scheduler.new_card()
        preview = scheduler.preview(self.scheduler, fsrs_card, self.clock(), seed=self.seed)
        return {int(r): scheduler.format_interval(d) for r, d in preview.items()}

    def _grade(
        self,
        card: Card,
        rating: int,
        index: int,
        shown_at: datetime,
        typed: str | None,
        prediction: str | None,
        right: bool | None,
        queue: list[str],
    ) -> None:
        now = self.clock()
        self.tally.reviewed += 1
        self.tally.again += rating == 1
        duration = int(max(0.0, (now - shown_at).total_seconds()) * 1000)
        if self.options.cram:
            self.history.append(_Graded(None, card, index, right, rating))
            return
        review_id, scheduled = self.store.record_review(
            ReviewInput(
                card_id=card.id,
                rating=rating,
                reviewed_at=now,
                duration_ms=duration,
                typed_answer=typed,
                prediction=prediction,
                prediction_right=right,
                session_id=self.session_id,
            ),
            scheduler.rescheduler(
                self.scheduler, scheduler.Rating(rating), now, duration, seed=self.seed
            ),
        )
        after = scheduler.card_from_json(scheduled.fsrs)
        self.states[card.id] = after
        due_in = scheduler.utc(after.due) - now
        requeued = due_in <= LEARN_AHEAD
        if requeued:
            self.later.append(card.id)
        self.history.append(_Graded(review_id, card, index, right, rating, requeued))
        more = requeued and index + 1 < len(queue)  # other cards first; it may be due by then
        self.console.print(
            f"[dim]saved — next review in {scheduler.format_interval(due_in)}"
            f"{' (in this session too, if it is still going then)' if more else ''}[/]"
        )

    def _undo(self, queue: list[str]) -> int:
        last = self.history.pop()
        if last.review_id is not None:
            self.store.undo(last.review_id)
            state = self.store.states().get(last.card.id)
            if state is None:
                self.states.pop(last.card.id, None)
            else:
                self.states[last.card.id] = scheduler.card_from_json(_fsrs(state))
        if last.requeued:
            # the grade scheduled a second showing in this session; the card comes back now
            if last.card.id in self.later:
                self.later.remove(last.card.id)
            elif last.card.id in queue[last.index + 1 :]:
                del queue[len(queue) - 1 - queue[::-1].index(last.card.id)]
        self.tally.reviewed -= 1
        self.tally.again -= last.rating == 1
        if last.was_right is not None:
            self.tally.predictions -= 1
            self.tally.predictions_right -= last.was_right
        self.console.print(Text(f"undone: {last.card.id} is back", style="yellow"))
        return last.index

    # -------------------------------------------------------------- helpers

    def _next_due(self) -> datetime | None:
        return scheduler.next_due(self.order, self.states)

    def _new_left(self) -> int:
        return sum(1 for cid in self.order if cid not in self.states)


def _fsrs(state: CardState) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(state.fsrs)
    return data
