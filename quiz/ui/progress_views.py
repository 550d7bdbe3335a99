"""Renderables for the progress views: list, topics and stats."""

from __future__ import annotations

from datetime import date, datetime

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from quiz.progress.stats import CardRow, Score, Stats, TopicSummary
from quiz.ui.safe import safe_text
from quiz.ui.style import difficulty, plural

STATE_STYLE = {"new": "blue", "learning": "yellow", "relearning": "red", "review": "green"}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _short_due(due: datetime | None, is_due: bool) -> Text:
    if due is None:
        return Text("—", style="dim")
    if is_due:
        return Text("now", style="bold")
    local = due.astimezone()
    soon = local.date() == datetime.now().astimezone().date()
    return Text(local.strftime("%H:%M" if soon else "%m-%d"))


def _state(row: CardRow) -> Text:
    """The card's state, or why it is out of reviews (suspended, buried)."""
    if row.suspended:
        return Text("suspended", style="dim")
    if row.buried_until is not None:
        return Text("buried", style="dim")
    return Text(row.state, style=STATE_STYLE[row.state])


def _lapses(row: CardRow) -> Text:
    return Text(f"{row.lapses} leech", style="magenta") if row.leech else Text(str(row.lapses))


SHOWN_MATCHES = 3  # lines shown under a card that `list --search` found


def excerpt(label: str, line: str, start: int, length: int, room: int) -> Text:
    """`label  line` in at most `room` characters, the line cut around [start, start+length)
    (marked) with … where it is cut; leading indentation dropped."""
    indent = len(line) - len(line.lstrip())
    line, start = line.strip(), max(0, start - indent)
    room = max(10, room - len(label) - 2)
    if len(line) > room:
        # keep the match in view: a third of the room before it
        first = min(max(0, start - room // 3), len(line) - room + 1)
        cut = line[first : first + room - 2]
        line = ("…" if first else "") + cut + "…"
        start = start - first + (1 if first else 0)
        line = line[:room]
    out = Text(label + "  ", style="dim")
    out.append_text(safe_text(line))
    if length:
        out.stylize("bold yellow", len(label) + 2 + start, len(label) + 2 + start + length)
    return out


def more_lines(count: int) -> Text:
    return Text(f"… and {count} more line{'' if count == 1 else 's'}", style="dim")


def card_table(
    rows: list[CardRow],
    width: int = 100,
    empty: str = "No cards match.",
    details: dict[str, list[Text]] | None = None,
) -> Text:
    """One aligned line per card, like `ls -l`: cheap to draw for a long list, easy to grep.

    The id comes first and whole (it is what you copy into `run` and `show`); the topic column
    shows only when there are several topics and room for it."""
    if not rows:
        return Text(empty)
    columns: list[tuple[str, list[Text], str]] = [
        ("id", [safe_text(r.card.id) for r in rows], "left"),
        ("topic", [safe_text(r.card.topic) for r in rows], "left"),
        ("level", [difficulty(r.card.difficulty) for r in rows], "left"),
        ("state", [_state(r) for r in rows], "left"),
        ("due", [_short_due(r.due, r.is_due) for r in rows], "left"),
        ("recall", [Text(_pct(r.recall)) for r in rows], "right"),
        ("lapses", [_lapses(r) for r in rows], "right"),
    ]
    widths = [max(len(name), *(len(c) for c in cells)) for name, cells, _ in columns]
    several_topics = len({r.card.topic for r in rows}) > 1
    if not several_topics or _line_width(widths, 2) > width:
        del columns[1], widths[1]
    # Narrower than the terminal, whatever the states and ids: a wrapped row is unreadable.
    # First the gaps shrink to one space, then the least needed columns go (--json has all).
    gap = 2 if _line_width(widths, 2) <= width else 1
    while _line_width(widths, gap) > width and columns[-1][0] in ("lapses", "recall"):
        del columns[-1], widths[-1]

    def line(cells: list[Text]) -> Text:
        out = Text()
        for i, (cell, w, (_, _, justify)) in enumerate(zip(cells, widths, columns, strict=True)):
            pad = " " * (w - len(cell))
            out.append_text(Text(pad) + cell if justify == "right" else cell + Text(pad))
            if i < len(cells) - 1:
                out.append(" " * gap)
        return out

    text = Text(f"{plural(len(rows), 'card')}\n", style="bold")
    text.append_text(line([Text(name, style="bold") for name, _, _ in columns]))
    for i in range(len(rows)):
        text.append("\n")
        text.append_text(line([cells[i] for _, cells, _ in columns]))
        for detail in (details or {}).get(rows[i].card.id, []):
            text.append("\n    ")
            text.append_text(detail)
    return text


def _line_width(widths: list[int], gap: int) -> int:
    return sum(widths) + gap * (len(widths) - 1)


def topics_table(summaries: list[TopicSummary]) -> TopicsTable:
    return TopicsTable(summaries)


class TopicsTable:
    """Per topic and level: cards, states, due and mastery. Under 80 columns, where a boxed
    table would squeeze each topic's name into a column of a few letters, each name has a line
    of its own above its numbers."""

    COLUMNS = ("cards", "new", "learning", "review", "due", "mastery")

    def __init__(self, summaries: list[TopicSummary]) -> None:
        self.summaries = summaries

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.lines() if options.max_width < 80 else self.table()

    def _rows(self, s: TopicSummary) -> list[tuple[Text, list[Text]]]:
        """(label, cells) for the topic's total and each level it has cards of."""
        b = s.total
        rows = [
            (
                # the slug is what --topic takes, as well as the name
                safe_text(s.name, style="bold") + safe_text(f" ({s.slug})", style="dim"),
                [
                    *(Text(str(n)) for n in (b.cards, b.new, b.learning, b.review)),
                    Text(str(b.due), style="bold red" if b.due else ""),
                    Text(_pct(b.mastery)),
                ],
            )
        ]
        for level, bucket in s.by_difficulty.items():
            if bucket.cards:
                counts = (bucket.cards, bucket.new, bucket.learning, bucket.review, bucket.due)
                rows.append(
                    (
                        Text("  ") + difficulty(level),
                        [*(Text(str(n)) for n in counts), Text(_pct(bucket.mastery))],
                    )
                )
        return rows

    def table(self) -> Table:
        table = Table(title="Topics", title_justify="left")
        table.add_column("topic / level", max_width=34)
        for name in self.COLUMNS:
            table.add_column(name, justify="right", min_width=len(name))
        for s in self.summaries:
            for label, cells in self._rows(s):
                table.add_row(label, *cells)
            table.add_section()
        return table

    def lines(self) -> Text:
        label_width = len("  medium")
        text = Text("Topics".ljust(label_width))
        for name in self.COLUMNS:
            text.append("  " + name, style="bold")
        for s in self.summaries:
            total, *levels = self._rows(s)
            text.append("\n")
            text.append_text(total[0])
            for label, cells in [(Text("  all"), total[1]), *levels]:
                text.append("\n")
                text.append_text(label)
                text.append(" " * (label_width - label.cell_len))
                for name, cell in zip(self.COLUMNS, cells, strict=True):
                    text.append(" " * (2 + len(name) - cell.cell_len))
                    text.append_text(cell)
        return text


BLOCKS = " ▁▂▃▄▅▆▇█"


def column_chart(series: list[tuple[date, int]], title: str, height: int = 5) -> ColumnChart:
    """One column per day, `height` rows of eighth-blocks, dates under the first and last."""
    return ColumnChart(series, title, height)


class ColumnChart:
    """The chart drawn for the width it gets: a column and a gap per day where they fit, else
    columns side by side, so a day never wraps onto the next line under the wrong date."""

    def __init__(self, series: list[tuple[date, int]], title: str, height: int) -> None:
        self.series, self.title, self.height = series, title, height

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        step = 2 if 2 * len(self.series) + 4 <= options.max_width else 1
        yield self.panel(step)

    def panel(self, step: int) -> Panel:
        series, height = self.series, self.height
        peak = max((n for _, n in series), default=0)
        gap = " " * (step - 1)
        rows = []
        for level in range(height, 0, -1):
            line = Text()
            for _, n in series:
                eighths = round(n / peak * height * 8) if peak else 0
                filled = max(0, min(8, eighths - (level - 1) * 8))
                if n and level == 1 and filled == 0:
                    filled = 1  # a day with reviews always shows
                line.append(BLOCKS[filled] + gap, style="cyan")
            rows.append(line)
        axis = Text(("·" + gap) * len(series), style="dim")
        first, last = series[0][0], series[-1][0]
        # the last date ends under the last column (its gap, if any, is past it)
        span = max(len(series) * step - (step - 1), 14)
        dates = f"{first:%b %d}".ljust(span - 6) + f"{last:%b %d}"
        total = sum(n for _, n in series)
        caption = Text(f"{dates}\npeak {peak} a day · {total} in all", style="dim")
        return Panel(
            Group(*rows, axis, caption), title=self.title, title_align="left", expand=False
        )


def trend(scores: list[Score]) -> str:
    """Rates oldest to newest: `40% → 55% → 70%` (— where there was nothing to score)."""
    return " → ".join(_pct(score.rate) for score in scores)


def _interviews(s: Stats) -> str:
    scores = [Score(i.key_points_covered, i.key_points_total) for i in s.interviews]
    return f"interviews: key points {trend(scores)} (last {len(s.interviews)})"


def stats_report(s: Stats) -> Group:
    if not s.reviews_total:
        return Group(
            Text.from_markup(
                "No reviews yet. Run [bold]sqlaquiz start[/] to begin; "
                "your statistics appear here after the first grade."
            ),
            *([Text(_interviews(s))] if s.interviews else []),
            column_chart(s.forecast, "due in the next 14 days"),
        )
    facts = Table.grid(padding=(0, 2))
    facts.add_row("reviews", str(s.reviews_total))
    facts.add_row("streak", f"{s.streak_days} day{'s' if s.streak_days != 1 else ''}")
    facts.add_row(
        "true retention",
        f"{_pct(s.retention)} of {plural(s.retention_reviews, 'due review')}"
        if s.retention_reviews
        else "— (no reviews of due cards yet)",
    )
    facts.add_row("due today", str(s.due_today))
    acc = s.prediction_accuracy
    facts.add_row(
        "predictions",
        "—" if acc is None else f"{s.predictions_right}/{s.predictions_total} right ({acc:.0%})",
    )
    if s.key_points.out_of:
        facts.add_row(
            "key points",
            f"{s.key_points.got}/{s.key_points.out_of} covered in typed answers "
            f"({_pct(s.key_points.rate)})",
        )
        if len(s.key_points_sessions) > 1:
            facts.add_row("", "last sessions: " + trend([sc for _, sc in s.key_points_sessions]))
    if s.interviews:
        facts.add_row("interviews", _interviews(s).removeprefix("interviews: "))
    minutes = s.time_spent_seconds / 60
    facts.add_row(
        "time spent", f"{minutes:.0f} min" if minutes >= 1 else f"{s.time_spent_seconds:.0f} s"
    )
    parts: list[RenderableType] = [
        Panel(facts, title="progress", title_align="left"),
        column_chart(s.per_day, "reviews per day, last 30 days"),
        column_chart(s.forecast, "due in the next 14 days"),
    ]
    if s.leeches or s.suspended or s.buried:
        facts.add_row(
            "cards",
            f"{len(s.leeches)} leech{'' if len(s.leeches) == 1 else 'es'}"
            f" · {s.suspended} suspended · {s.buried} buried",
        )
    if s.leeches:
        facts.add_row(
            "leeches",
            safe_text(
                ", ".join(cid for cid, _ in s.leeches[:5]) + (" …" if len(s.leeches) > 5 else "")
            ),
        )
    if s.hardest:
        hard = Table("card", "lapses", "again", title="hardest cards", title_justify="left")
        for cid, lapses, again in s.hardest:
            hard.add_row(safe_text(cid), str(lapses), str(again))
        parts.append(hard)
    return Group(*parts)
