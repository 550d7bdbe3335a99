"""Working on one exercise: the learner edits a file in their own editor; every save runs it and
shows each check (rustlings' watch mode). The file is polled, not watched through the OS: one
`stat` a quarter second is nothing, and it sees every way an editor saves (in place, or a new
file renamed over the old), on every file system, with no dependency."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console, RenderableType

from quiz.deck.cards import Card
from quiz.errors import UsageError
from quiz.exercise.events import Events
from quiz.exercise.grading import CheckResult, grade, passed
from quiz.exercise.rating import Outcome
from quiz.exercise.workspace import Stamp, read_code
from quiz.sandbox.client import Runner, RunResult
from quiz.ui import exercise_view as view

POLL = 0.25  # seconds between looks at the file
SETTLE = 0.1  # a file that changed must stay unchanged this long before it runs (editors
# may write it in more than one step)


@dataclass
class Attempt:
    """What happened so far while working on one exercise."""

    card: Card
    path: Path
    runs: int = 0
    attempts: int = 0
    hints_used: int = 0
    last_code: str | None = None
    last_checks: list[CheckResult] = field(default_factory=list)
    last_result: RunResult | None = None

    @property
    def hints(self) -> tuple[str, ...]:
        assert self.card.exercise is not None
        return self.card.exercise.hints

    def outcome(self, passed: bool = False, gave_up: bool = False) -> Outcome:
        return Outcome(passed, self.attempts, self.hints_used, len(self.hints), gave_up)


class ExerciseLoop:
    """Runs the learner's file on every save until every check passes, they give up or quit.
    Console, keys, runner and the clock's sleep are injected (tests drive it without a
    terminal)."""

    def __init__(
        self,
        card: Card,
        path: Path,
        runner: Runner,
        console: Console,
        events: Events,
        *,
        in_session: bool = False,
        poll: float = POLL,
        settle: float = SETTLE,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        assert card.exercise is not None
        self.state = Attempt(card, path)
        self.runner = runner
        self.console = console
        self.events = events
        self.in_session = in_session
        self.poll = poll
        self.settle = settle
        self.sleep = sleep
        self.shown_hints: list[RenderableType] = []

    def run(self) -> Outcome:
        """Until the exercise is passed, given up, or left (q, or the end of input)."""
        state = self.state
        stamp = Stamp.of(state.path)
        if self._run_file():
            return state.outcome(passed=True)
        while True:
            try:
                key = self.events.wait(self.poll)
            except EOFError:
                return state.outcome()
            if key is None:
                now = Stamp.of(state.path)
                if now is None or now == stamp:
                    continue
                self.sleep(self.settle)
                if Stamp.of(state.path) != now:
                    continue  # still being written: the next look runs it
                stamp = now
                if self._run_file():
                    return state.outcome(passed=True)
            elif key == "h":
                self._hint()
            elif key == "r":
                stamp = Stamp.of(state.path)
                if self._run_file():
                    return state.outcome(passed=True)
            elif key == "g":
                self._give_up()
                return state.outcome(gave_up=True)
            elif key == "q":
                return state.outcome()
            elif key == "?":
                self.console.print(view.help_text(self.in_session))

    # ---------------------------------------------------------------- steps

    def _run_file(self) -> bool:
        """Run the file as saved now and show its checks; True when every check passes."""
        state = self.state
        exercise = state.card.exercise
        assert exercise is not None
        try:
            source = read_code(state.path)
        except UsageError as exc:
            self.console.print(view.problem(str(exc)))
            return False
        if source != exercise.starter and source != state.last_code:
            state.attempts += 1
        state.last_code = source
        with self.console.status("running your code…"):
            result = self.runner.run(source, filename=state.path.name)
        checks = grade(exercise, result)
        state.runs += 1
        state.last_checks, state.last_result = checks, result
        if self.console.is_terminal:
            self.console.clear()  # one screen per run, as rustlings does
            self._intro()
            if self.shown_hints:  # the latest only: the screen has 24 lines
                self.console.print(self.shown_hints[-1])
        self.console.print(view.report(checks, result, state.runs))
        ok = passed(checks)
        if ok:
            self.console.print(view.passed(state.outcome(passed=True)))
        else:
            self.console.print(view.keys(len(state.hints) - state.hints_used, self.in_session))
        return ok

    def _intro(self, task: bool = True) -> None:
        state = self.state
        self.console.print(view.intro(state.card, state.path, self.runner.database.name, task))

    def start(self) -> Outcome:
        """Show the task (a session has just shown it), then `run()`; in a terminal each run
        redraws the screen, the task included."""
        if not self.console.is_terminal:
            self._intro(task=not self.in_session)
        return self.run()

    def _hint(self) -> None:
        state = self.state
        if state.hints_used >= len(state.hints):
            self.console.print(view.no_more_hints())
            return
        text = state.hints[state.hints_used]
        state.hints_used += 1
        shown = view.hint(state.hints_used, len(state.hints), text)
        self.shown_hints.append(shown)
        self.console.print(shown)

    def _give_up(self) -> None:
        state = self.state
        self.console.print(view.gave_up())
        reference = state.card.example or ""
        self.console.print(view.solution(reference, state.last_code or "", state.card.id))
