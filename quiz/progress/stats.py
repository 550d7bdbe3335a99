"""Where the learner stands: per-card rows, per-topic summaries and review statistics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from fsrs import Rating, State

from quiz.clock import now as current_time
from quiz.clock import utc
from quiz.deck.cards import DIFFICULTIES, Card, Library
from quiz.progress.records import CardMark, CardProgress, Interview, Review
from quiz.review import scheduler

# Every graded card's state by card id, as Store.states() returns it.
States = Mapping[str, CardProgress]
# Every suspended or buried card's mark by card id, as Store.marks() returns it.
Marks = Mapping[str, CardMark]
LEECH_THRESHOLD = 8  # the default of the leech_threshold setting (quiz/config.py)

STATE_NAMES = {State.Learning: "learning", State.Review: "review", State.Relearning: "relearning"}


def tested_cards(reviews: Iterable[Review]) -> set[str]:
    """The cards whose memory has been put to the test and held: since the card's last
    failure (an Again, or a wrong prediction whatever the grade), it was recalled at a review
    it was due for. The first sight of a card tests nothing, however it is graded."""
    tested: set[str] = set()
    for r in sorted(reviews, key=lambda r: r.reviewed_at):
        if r.rating == Rating.Again or r.prediction_right is False:
            tested.discard(r.card_id)
        elif r.was_due:
            tested.add(r.card_id)
    return tested


@dataclass(frozen=True)
class CardRow:
    card: Card
    state: str  # new | learning | review | relearning
    due: datetime | None
    retrievability: float | None  # FSRS's estimate, once the card has graduated to review
    lapses: int
    reps: int
    is_due: bool
    suspended: bool = False
    buried_until: datetime | None = None  # while the card is buried
    leech: bool = False  # lapsed at least the leech threshold's times
    tested: bool = False  # see tested_cards

    @property
    def held(self) -> bool:
        """Out of reviews: suspended, or buried now."""
        return self.suspended or self.buried_until is not None

    @property
    def recall(self) -> float | None:
        """The chance you recall the card now, as shown: FSRS's estimate, once your memory of
        the card has been tested (None until then: one good grade proves nothing yet)."""
        return self.retrievability if self.tested else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.card.id,
            "topic": self.card.topic,
            "difficulty": self.card.difficulty,
            "tags": list(self.card.tags),
            "state": self.state,
            "due": self.due.isoformat() if self.due else None,
            "retrievability": None
            if self.retrievability is None
            else round(self.retrievability, 4),
            "recall": None if self.recall is None else round(self.recall, 4),
            "lapses": self.lapses,
            "reps": self.reps,
            "suspended": self.suspended,
            "buried_until": self.buried_until.isoformat() if self.buried_until else None,
            "leech": self.leech,
        }


def card_rows(
    cards: list[Card],
    states: States,
    now: datetime | None = None,
    marks: Marks | None = None,
    leech_threshold: int = LEECH_THRESHOLD,
    parameters: Sequence[float] | None = None,
    reviews: Iterable[Review] = (),
) -> list[CardRow]:
    """One row per card, new cards included, with whether it is suspended, buried or a leech;
    recall as FSRS with `parameters` (the learner's fitted ones, else its defaults) predicts it;
    `reviews` (the log) says which are tested."""
    now = now or current_time()
    marks = marks or {}
    tested = tested_cards(reviews)
    sched = scheduler.make_scheduler(fuzz=False, parameters=parameters)
    rows = []
    for card in cards:
        st = states.get(card.id)
        mark = marks.get(card.id)
        suspended = mark is not None and mark.suspended
        buried = mark.buried_until if mark is not None and mark.buried(now) else None
        if st is None:
            rows.append(CardRow(card, "new", None, None, 0, 0, False, suspended, buried))
            continue
        # FSRS's recall probability means something once a card has graduated to review; a card
        # still in its (re)learning steps is not known yet, however recently it was seen.
        recall = scheduler.retrievability(sched, st.fsrs, now) if st.state == State.Review else None
        rows.append(
            CardRow(
                card,
                STATE_NAMES[st.state],
                st.due,
                recall,
                st.lapses,
                st.reps,
                st.due <= now,
                suspended,
                buried,
                leech=st.lapses >= leech_threshold,
                tested=card.id in tested,
            )
        )
    return rows


@dataclass
class Bucket:
    cards: int = 0
    new: int = 0
    learning: int = 0
    review: int = 0
    due: int = 0
    retrievabilities: list[float] = field(default_factory=list)

    def add(self, row: CardRow) -> None:
        self.cards += 1
        if row.state == "new":
            self.new += 1
        elif row.state == "review":
            self.review += 1
        else:
            self.learning += 1
        self.due += row.is_due and not row.held
        # every card counts: a new, untested or (re)learning card as not known yet
        self.retrievabilities.append(row.recall or 0.0)

    @property
    def mastery(self) -> float | None:
        """The mean recall of all the cards here (new and untested ones count 0); None until
        one of them has been reviewed."""
        r = self.retrievabilities
        return sum(r) / len(r) if r and self.new < self.cards else None

    def to_json(self) -> dict[str, Any]:
        m = self.mastery
        return {
            "cards": self.cards,
            "new": self.new,
            "learning": self.learning,
            "review": self.review,
            "due": self.due,
            "mastery": None if m is None else round(m, 4),
        }


@dataclass
class TopicSummary:
    slug: str
    name: str
    total: Bucket
    by_difficulty: dict[str, Bucket]

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.slug,
            "name": self.name,
            **self.total.to_json(),
            "by_difficulty": {k: v.to_json() for k, v in self.by_difficulty.items()},
        }


def topic_summary(
    library: Library,
    states: States,
    now: datetime | None = None,
    marks: Marks | None = None,
    parameters: Sequence[float] | None = None,
    reviews: Iterable[Review] = (),
) -> list[TopicSummary]:
    rows = card_rows(library.cards, states, now, marks, parameters=parameters, reviews=reviews)
    out: dict[str, TopicSummary] = {}
    for row in rows:
        c = row.card
        summary = out.setdefault(
            c.topic,
            TopicSummary(c.topic, c.topic_name, Bucket(), {d: Bucket() for d in DIFFICULTIES}),
        )
        summary.total.add(row)
        summary.by_difficulty[c.difficulty].add(row)
    return list(out.values())


# ------------------------------------------------------------------ stats


@dataclass(frozen=True)
class Score:
    """`got` of `out_of` (key points covered, predictions right): a trend's one value."""

    got: int
    out_of: int

    @property
    def rate(self) -> float | None:
        return self.got / self.out_of if self.out_of else None

    def to_json(self) -> dict[str, Any]:
        rate = self.rate
        return {
            "got": self.got,
            "out_of": self.out_of,
            "rate": None if rate is None else round(rate, 4),
        }


TREND = 5  # sessions and interviews a trend shows


def key_point_sessions(reviews: Sequence[Review]) -> list[tuple[date, Score]]:
    """Key points covered per session (reviews without a session: per day), oldest first,
    over the reviews whose typed answer was checked."""
    checked = [r for r in reviews if r.key_points_total]
    groups: dict[object, list[Review]] = {}
    for r in sorted(checked, key=lambda r: r.reviewed_at):
        groups.setdefault(r.session_id or _local_day(r.reviewed_at), []).append(r)
    return [
        (
            _local_day(group[0].reviewed_at),
            Score(
                sum(r.key_points_covered or 0 for r in group),
                sum(r.key_points_total or 0 for r in group),
            ),
        )
        for group in groups.values()
    ]


@dataclass
class Stats:
    today: date
    per_day: list[tuple[date, int]]
    reviews_total: int
    streak_days: int
    retention: float | None
    retention_reviews: int
    due_today: int
    forecast: list[tuple[date, int]]
    hardest: list[tuple[str, int, int]]  # card id, lapses, times graded Again
    predictions_total: int
    predictions_right: int
    time_spent_seconds: float
    leeches: list[tuple[str, int]] = field(default_factory=list)  # card id, lapses
    suspended: int = 0
    buried: int = 0
    # typed answers checked against key points: every one, then per session (the last few)
    key_points: Score = field(default_factory=lambda: Score(0, 0))
    key_points_sessions: list[tuple[date, Score]] = field(default_factory=list)
    interviews: list[Interview] = field(default_factory=list)  # the last few, oldest first

    @property
    def prediction_accuracy(self) -> float | None:
        return self.predictions_right / self.predictions_total if self.predictions_total else None

    def to_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "reviews_total": self.reviews_total,
            "streak_days": self.streak_days,
            "retention": None if self.retention is None else round(self.retention, 4),
            "retention_reviews": self.retention_reviews,
            "due_today": self.due_today,
            "reviews_per_day": [{"date": d.isoformat(), "reviews": n} for d, n in self.per_day],
            "due_forecast": [{"date": d.isoformat(), "due": n} for d, n in self.forecast],
            "hardest": [
                {"id": cid, "lapses": lapses, "again": again} for cid, lapses, again in self.hardest
            ],
            "predictions": {
                "total": self.predictions_total,
                "right": self.predictions_right,
                "accuracy": None
                if self.prediction_accuracy is None
                else round(self.prediction_accuracy, 4),
            },
            "time_spent_seconds": round(self.time_spent_seconds, 1),
            "leeches": [{"id": cid, "lapses": lapses} for cid, lapses in self.leeches],
            "suspended": self.suspended,
            "buried": self.buried,
            "key_points": {
                **self.key_points.to_json(),
                "sessions": [
                    {"date": d.isoformat(), **score.to_json()}
                    for d, score in self.key_points_sessions
                ],
            },
            "interviews": [
                {
                    "started_at": i.started_at.isoformat(),
                    "questions": i.questions,
                    "key_points": Score(i.key_points_covered, i.key_points_total).to_json(),
                    "predictions": Score(i.predictions_right, i.predictions_total).to_json(),
                    "exercises": Score(i.exercises_passed, i.exercises_total).to_json(),
                }
                for i in self.interviews
            ],
        }


def _local_day(dt: datetime) -> date:
    return utc(dt).astimezone().date()


def stats(
    library: Library,
    states: States,
    reviews: Sequence[Review],
    now: datetime | None = None,
    marks: Marks | None = None,
    leech_threshold: int = LEECH_THRESHOLD,
    interviews: Sequence[Interview] = (),
) -> Stats:
    """Statistics over every review logged, and the schedule of the cards in the decks; the
    leeches (cards in the decks that lapsed `leech_threshold` times), suspended and buried."""
    marks = marks or {}
    now = now or current_time()
    today = _local_day(now)

    per_day_count = Counter(_local_day(r.reviewed_at) for r in reviews)
    per_day = [
        (today - timedelta(days=i), per_day_count.get(today - timedelta(days=i), 0))
        for i in range(29, -1, -1)
    ]

    streak = 0
    day = today if per_day_count.get(today) else today - timedelta(days=1)
    while per_day_count.get(day):
        streak += 1
        day -= timedelta(days=1)

    due_reviews = [r for r in reviews if r.was_due]
    retention = (
        sum(r.rating != Rating.Again for r in due_reviews) / len(due_reviews)
        if due_reviews
        else None
    )

    in_decks = {c.id for c in library.cards}
    suspended = {cid for cid, m in marks.items() if m.suspended}
    due_days = Counter(
        max(today, _local_day(s.due))
        for cid, s in states.items()
        if cid in in_decks and cid not in suspended
    )
    forecast = [
        (today + timedelta(days=i), due_days.get(today + timedelta(days=i), 0)) for i in range(14)
    ]

    again = Counter(r.card_id for r in reviews if r.rating == Rating.Again)
    hardest = sorted(
        (
            (cid, s.lapses, again.get(cid, 0))
            for cid, s in states.items()
            if s.lapses or again.get(cid)
        ),
        key=lambda t: (-t[1], -t[2], t[0]),
    )[:5]

    predicted = [r for r in reviews if r.prediction_right is not None]
    leeches = sorted(
        ((cid, s.lapses) for cid, s in states.items() if cid in in_decks),
        key=lambda t: (-t[1], t[0]),
    )
    held = [m for cid, m in marks.items() if cid in in_decks]
    return Stats(
        leeches=[(cid, lapses) for cid, lapses in leeches if lapses >= leech_threshold],
        suspended=sum(m.suspended for m in held),
        buried=sum(m.buried(now) and not m.suspended for m in held),
        today=today,
        per_day=per_day,
        reviews_total=len(reviews),
        streak_days=streak,
        retention=retention,
        retention_reviews=len(due_reviews),
        due_today=due_days.get(today, 0),
        forecast=forecast,
        hardest=hardest,
        predictions_total=len(predicted),
        predictions_right=sum(bool(r.prediction_right) for r in predicted),
        time_spent_seconds=sum((r.duration_ms or 0) for r in reviews) / 1000,
        key_points=Score(
            sum(r.key_points_covered or 0 for r in reviews if r.key_points_total),
            sum(r.key_points_total or 0 for r in reviews),
        ),
        key_points_sessions=key_point_sessions(reviews)[-TREND:],
        interviews=list(interviews)[-TREND:],
    )
