"""How a mock interview looks: the intro, each question's header and timer, the scorecard (Rich
and Markdown), the model answers, the weakest topics and the trend. Renderables and text only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from quiz.progress.records import Interview
from quiz.progress.stats import Score
from quiz.ui.safe import safe, safe_text
from quiz.ui.style import plural

if TYPE_CHECKING:
    from quiz.review.interview import Answer, Question, Scorecard, TopicScore

OPEN_PROMPT = "Your answer (one line, Enter when done · q ends the interview): "
COUNT_PROMPT = "How many queries? (a number; Enter: I don't know · q ends the interview) "
RAISES_PROMPT = "Does it raise? y/n (Enter: I don't know · q ends the interview) > "
PREDICT_KEYS = "a prediction, Enter for I don't know, or q to end the interview"
KIND_NAMES = {"open": "open question", "predict": "prediction", "exercise": "exercise"}


def clock(seconds: float) -> str:
    """`m:ss` (`h:mm:ss` past an hour)."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _pct(score: Score) -> str:
    rate = score.rate
    return "—" if rate is None else f"{score.got}/{score.out_of} ({rate:.0%})"


def intro(questions: Sequence[Question], minutes: int) -> RenderableType:
    kinds = [q.kind for q in questions]
    mix = ", ".join(plural(kinds.count(k), KIND_NAMES[k]) for k in KIND_NAMES if k in kinds)
    body = Text.assemble(
        (f"{plural(len(questions), 'question')} in {minutes} minutes: {mix}.\n", "bold"),
        "Open questions: answer in a sentence or two, as you would say it, then Enter.\n"
        "Predictions: say what the code does; it runs after the interview.\n"
        + (
            "The exercise: fix the code in your editor; every save runs it against its checks.\n"
            if "exercise" in kinds
            else ""
        )
        + "No answers until the end. q ends the interview early; Ctrl-C too "
        "(what you answered is kept).",
    )
    return Panel(body, title="mock interview", title_align="left", border_style="magenta")


def header(question: Question, number: int, count: int, left: timedelta) -> Text:
    """The question's place, its kind, the minutes it is given and the time left (the topic
    is the question's title: a long topic name must not push the timer off an 80-column line)."""
    text = Text(f"Question {number}/{count}", style="bold")
    text.append(f" · {KIND_NAMES[question.kind]} · about {question.minutes} min · ")
    text.append(f"⏱ {clock(left.total_seconds())} left", style="bold magenta")
    return text


def question_panel(question: Question) -> RenderableType:
    """The question under its topic: no card id, no tags (they can give the answer away)."""
    from rich.markdown import Markdown  # ~30 ms: only when an interview draws one

    return Panel(
        Markdown(safe(question.card.question)),
        title=safe_text(question.card.topic_name, style="cyan"),
        title_align="left",
        border_style="cyan",
    )


def answered(seconds: float, minutes: int) -> Text:
    """How long the answer took, and by how much it ran over the minutes it was given."""
    over = seconds - minutes * 60
    if over > 0:
        return Text(f"⏱ answered in {clock(seconds)}: {clock(over)} over {minutes} min", "yellow")
    return Text(f"⏱ answered in {clock(seconds)}", style="dim")


def time_up(minutes: int) -> Text:
    return Text(f"⏱ Time is up ({minutes} minutes): the questions left are not asked.", "yellow")


ENDED = {
    "done": "every question asked",
    "time": "the time ran out",
    "quit": "ended early",
    "interrupted": "interrupted",
}


def _verdict(a: Answer) -> Text:
    if a.question.kind == "exercise":
        o = a.outcome
        if o is None:
            return Text("not tried", style="yellow")
        tries = f"{plural(o.attempts, 'attempt')}, {plural(o.hints_used, 'hint')}"
        if o.passed:
            return Text(f"✓ passed ({tries})", style="green")
        return Text(f"✗ {'gave up' if o.gave_up else 'not passed'} ({tries})", style="red")
    if a.question.kind == "open":
        if a.coverage is None:
            return Text("no key points to check", style="dim")
        cov = a.coverage
        style = "green" if cov.covered == cov.total else "yellow" if cov.covered else "red"
        return Text(f"{cov.covered}/{cov.total} key points", style=style)
    if a.right is None:
        return Text(f"said {a.prediction}: not checked", style="yellow")
    mark, style = ("✓", "green") if a.right else ("✗", "red")
    if isinstance(a.truth, bool):
        did = "raised" if a.truth else "did not raise"
    else:
        did = f"sent {a.truth} {'query' if a.truth == 1 else 'queries'}"
    return Text(f"{mark} said {a.prediction}; it {did}", style=style)


def scorecard(card: Scorecard) -> RenderableType:
    """Totals, per topic, per question (what was missed), the weakest topics."""
    spent = (card.ended_at - card.started_at).total_seconds()
    facts = Table.grid(padding=(0, 2))
    facts.add_row("questions", f"{len(card.answers)} of {card.planned} ({ENDED[card.ended_by]})")
    facts.add_row("time", f"{clock(spent)} of {card.minutes}:00")
    facts.add_row("key points", _pct(card.points) + "  (matched by words, not meaning)")
    facts.add_row("predictions", _pct(card.predictions))
    if card.exercises.out_of:
        facts.add_row("exercise", _pct(card.exercises))
    columns = ["topic", "key points", "predictions"] + (
        ["exercise"] if card.exercises.out_of else []
    )
    topics = Table(*columns, "time", title_justify="left")
    for t in card.topics():
        scores = [t.points, t.predictions] + ([t.exercises] if card.exercises.out_of else [])
        topics.add_row(safe_text(t.name), *(_pct(s) for s in scores), clock(t.seconds))
    asked = Table.grid(padding=(0, 1))
    for number, a in enumerate(card.answers, 1):
        asked.add_row(
            f"{number}.",
            Text.assemble(
                (safe(a.question.card.id), "bold"), f"  {clock(a.seconds)}  ", _verdict(a)
            ),
        )
        if a.coverage is not None and a.coverage.missed:
            for point in a.coverage.missed:
                asked.add_row("", safe_text(f"  missed: {point}", style="dim"))
        if a.unsettled:
            asked.add_row("", safe_text(f"  not scored: {a.unsettled}", style="dim"))
    parts: list[RenderableType] = [facts, topics, asked]
    weak = card.weakest()
    if weak:
        parts.append(weakest(weak))
    return Panel(Group(*parts), title="scorecard", title_align="left", border_style="magenta")


def weakest(topics: Sequence[TopicScore]) -> Text:
    names = ", ".join(f"{t.name} ({t.score.rate or 0:.0%})" for t in topics)
    return Text.assemble(("Weakest: ", "bold yellow"), safe(names))


def model_answers(card: Scorecard) -> RenderableType:
    """Each question's model answer, in the order asked."""
    from rich.markdown import Markdown

    return Group(
        *(
            Panel(
                Markdown(safe(a.question.card.answer)),
                title=safe_text(f"{number}. {a.question.card.id}"),
                title_align="left",
                border_style="green",
            )
            for number, a in enumerate(card.answers, 1)
        )
    )


def trend(interviews: Sequence[Interview]) -> Text | None:
    """Key points and predictions across the last interviews, oldest first (None: this is
    the first)."""
    if len(interviews) < 2:
        return None

    def rates(scores: list[Score]) -> str:
        return " → ".join("—" if s.rate is None else f"{s.rate:.0%}" for s in scores)

    points = rates([Score(i.key_points_covered, i.key_points_total) for i in interviews])
    preds = rates([Score(i.predictions_right, i.predictions_total) for i in interviews])
    return Text(
        f"Your last {len(interviews)} interviews: key points {points} · predictions {preds}"
    )


def bring_forward_prompt(topics: Sequence[TopicScore]) -> str:
    names = " and ".join(t.name for t in topics)
    return f"Bring the cards of {safe(names)} forward, so `sqlaquiz start` asks them now? [y/N] "


def brought_forward(moved: int) -> Text:
    if not moved:
        return Text("Nothing to bring forward: those cards are new or already due.", "dim")
    return Text(f"{plural(moved, 'card')} due now: `sqlaquiz start` asks them first.", "green")


def markdown(card: Scorecard, trend_line: Text | None = None) -> str:
    """The scorecard as a Markdown document to share."""
    lines = [
        f"# Mock interview, {card.started_at:%Y-%m-%d %H:%M} UTC",
        "",
        f"- Questions: {len(card.answers)} of {card.planned} ({ENDED[card.ended_by]})",
        f"- Time: {clock((card.ended_at - card.started_at).total_seconds())} of {card.minutes}:00",
        f"- Key points covered: {_pct(card.points)} (matched by words, not meaning)",
        f"- Predictions right: {_pct(card.predictions)}",
    ]
    if card.exercises.out_of:
        lines.append(f"- Exercise passed: {_pct(card.exercises)}")
    if trend_line is not None:
        lines.append(f"- {trend_line.plain}")
    lines += [
        "",
        "## Topics",
        "",
        "| topic | key points | predictions | exercise | time |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in card.topics():
        scores = " | ".join(_pct(s) for s in (t.points, t.predictions, t.exercises))
        lines.append(f"| {_cell(t.name)} | {scores} | {clock(t.seconds)} |")
    weak = card.weakest()
    if weak:
        lines += ["", weakest(weak).plain]
    lines += ["", "## Questions"]
    for number, a in enumerate(card.answers, 1):
        q = a.question
        lines += [
            "",
            f"### {number}. {q.card.id} ({q.card.topic_name}, {KIND_NAMES[q.kind]}, "
            f"{clock(a.seconds)})",
            "",
            _quote(q.card.question),
            "",
        ]
        if q.kind == "open":
            lines.append(f"Your answer: {a.typed or '(none)'}")
            if a.coverage is not None:
                lines.append("")
                lines += [f"- [{'x' if p.covered else ' '}] {p.point}" for p in a.coverage.points]
        elif q.kind == "exercise":
            lines.append(f"Result: {_verdict(a).plain}")
        else:
            assert q.card.example is not None and q.card.challenge is not None
            fence = "~~~~" if "~~~" in q.card.example else "~~~"
            lines += [
                f"{fence}python",
                q.card.example.rstrip("\n"),
                fence,
                "",
                _quote(q.card.challenge.prompt),
                "",
                f"Your prediction: {_verdict(a).plain}",
            ]
        lines += ["", "Model answer:", "", _quote(q.card.answer)]
        if q.kind == "exercise" and q.card.example:
            fence = "~~~~" if "~~~" in q.card.example else "~~~"
            lines += ["", "Reference solution:", "", f"{fence}python"]
            lines += [q.card.example.rstrip("\n"), fence]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.rstrip("\n").splitlines())
