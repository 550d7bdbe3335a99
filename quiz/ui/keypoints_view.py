"""How key points look: which ones a typed answer covered, or the list itself when nothing was
typed. Every line says what was matched (words), never that the answer was understood."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.text import Text

from quiz.deck.cards import KeyPoint
from quiz.review.keypoints import Coverage
from quiz.ui.safe import safe

GRADE_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


def coverage(result: Coverage) -> RenderableType:
    """One line per point, ✓ with the phrase that matched or ✗, then the suggested grade."""
    lines = [
        Text(f"Key points in your answer: {result.covered} of {result.total}", style="bold")
        + Text(" (matched by words, not meaning)", style="dim")
    ]
    for point in result.points:
        if point.matched is not None:
            line = Text("  ✓ ", style="green") + Text(safe(point.point))
            line.append(f'  ("{safe(point.matched)}")', style="dim")
        else:
            line = Text("  ✗ ", style="red") + Text(safe(point.point))
        lines.append(line)
    grade = result.suggested()
    lines.append(
        Text(f"Suggested grade: {int(grade)} {GRADE_NAMES[int(grade)]}", style="bold")
        + Text(" (yours to change: words can miss a right answer)", style="dim")
    )
    return Group(*lines)


def listed(points: Sequence[KeyPoint]) -> RenderableType:
    """The points alone, after an answer that was not typed."""
    lines = [Text("What an interviewer listens for:", style="bold")]
    lines += [Text("  • ") + Text(safe(p.point)) for p in points]
    return Group(*lines)
