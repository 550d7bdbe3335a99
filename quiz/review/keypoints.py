"""Which of a card's key points a typed answer covers: word matching, nothing cleverer.

The rule, exactly: a key point is covered when any one of its `match` phrases matches; a
phrase matches when every word of it appears in the answer, as a word or as the start of a
word (`flush` matches `flushes` and `flushed`), ignoring case, in any order. Words are runs of
letters and digits: everything else (spaces, `_`, `.`, `-`, `()`, backticks, quotes, `+`)
separates words, so `expire_on_commit` in a phrase matches "expire on commit" in an answer, and
`session.flush()` matches "flush the session". Text is NFKC-normalised first, so a full-width
or ligature letter counts as its plain form.

It understands nothing: "does not flush" covers a point matched by `flush`, and a right answer
in other words covers nothing. The views say so; the grade is only ever a suggestion.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fsrs import Rating

from quiz.deck.cards import KeyPoint

_WORD = re.compile(r"[^\W_]+")  # letters and digits: `\w` without the underscore


def words(text: str) -> tuple[str, ...]:
    """The words of `text` as the matching sees them: case-folded runs of letters and digits."""
    return tuple(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def phrase_matches(phrase: str, answer_words: Iterable[str]) -> bool:
    """Whether every word of `phrase` starts some word of the answer. A phrase with no words
    (only punctuation) matches nothing: it would otherwise match every answer."""
    wanted = words(phrase)
    have = set(answer_words)
    return bool(wanted) and all(any(a.startswith(w) for a in have) for w in wanted)


@dataclass(frozen=True)
class PointCheck:
    """One key point and the first of its phrases the answer matched (None: missed)."""

    point: str
    matched: str | None

    @property
    def covered(self) -> bool:
        return self.matched is not None


@dataclass(frozen=True)
class Coverage:
    """The key points of one card against one typed answer, in the card's order."""

    points: tuple[PointCheck, ...]

    @property
    def covered(self) -> int:
        return sum(p.covered for p in self.points)

    @property
    def total(self) -> int:
        return len(self.points)

    @property
    def missed(self) -> tuple[str, ...]:
        return tuple(p.point for p in self.points if not p.covered)

    def suggested(self) -> Rating:
        """The grade the coverage points to (see `suggest`)."""
        return suggest(self.covered, self.total)


def check(key_points: Sequence[KeyPoint], answer: str) -> Coverage:
    """Match `answer` against each key point (see the module's docstring for the rule)."""
    have = set(words(answer))
    return Coverage(
        tuple(
            PointCheck(kp.point, next((m for m in kp.match if phrase_matches(m, have)), None))
            for kp in key_points
        )
    )


def suggest(covered: int, total: int) -> Rating:
    """Every point: Good; at least half: Hard; fewer: Again. Never Easy: how easily the answer
    came is something only the learner knows. Raises ValueError when `total` is not positive
    or `covered` is not between 0 and `total`."""
    if total <= 0 or not 0 <= covered <= total:
        raise ValueError(f"{covered} of {total} key points is not a coverage")
    if covered == total:
        return Rating.Good
    if 2 * covered >= total:
        return Rating.Hard
    return Rating.Again
