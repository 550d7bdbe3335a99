"""FSRS scheduling and queue building: pure functions, the clock is always a parameter."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from fsrs import Card as FsrsCard
from fsrs import Rating, ReviewLog, Scheduler, State

from quiz.clock import utc

DEFAULT_RETENTION = 0.9
DEFAULT_NEW_PER_DAY = 10


def make_scheduler(
    retention: float = DEFAULT_RETENTION,
    fuzz: bool = True,
    learning_steps: Sequence[timedelta] | None = None,
    relearning_steps: Sequence[timedelta] | None = None,
) -> Scheduler:
    """FSRS with the desired retention and, when given, the (re)learning steps (None: fsrs's
    own, 1m 10m and 10m)."""
    if not 0.7 <= retention <= 0.99:
        raise ValueError("desired retention must be between 0.70 and 0.99")
    default = Scheduler()
    return Scheduler(
        desired_retention=retention,
        enable_fuzzing=fuzz,
        learning_steps=default.learning_steps if learning_steps is None else tuple(learning_steps),
        relearning_steps=(
            default.relearning_steps if relearning_steps is None else tuple(relearning_steps)
        ),
    )


def new_card() -> FsrsCard:
    # card_id is fsrs' own numeric id; ours is the card's slug, kept by the store.
    return FsrsCard(card_id=0)


@contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """fsrs draws its fuzz from the `random` module: one seed makes a preview and the grade that
    follows draw the same fuzz, so the interval shown on a key is the interval you get."""
    if seed is None:
        yield
        return
    saved = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(saved)


def review(
    scheduler: Scheduler,
    card: FsrsCard,
    rating: Rating,
    now: datetime,
    duration_ms: int | None = None,
) -> tuple[FsrsCard, ReviewLog]:
    return scheduler.review_card(
        card, rating, review_datetime=utc(now), review_duration=duration_ms
    )


def preview(
    scheduler: Scheduler, card: FsrsCard, now: datetime, seed: int | None = None
) -> dict[Rating, timedelta]:
    """The interval each grade would give, as shown on the grade keys.

    Pass the same `seed` to `rescheduler` and the grade gives exactly the interval shown, fuzz
    included; without a seed the preview is the unfuzzed interval."""
    if seed is None and scheduler.enable_fuzzing:
        scheduler = Scheduler(
            parameters=scheduler.parameters,
            desired_retention=scheduler.desired_retention,
            learning_steps=scheduler.learning_steps,
            relearning_steps=scheduler.relearning_steps,
            maximum_interval=scheduler.maximum_interval,
            enable_fuzzing=False,
        )
    now = utc(now)
    out = {}
    for rating in Rating:
        with _seeded(seed):
            after, _ = scheduler.review_card(card, rating, review_datetime=now)
        out[rating] = utc(after.due) - now
    return out


def format_interval(delta: timedelta) -> str:
    """Compact like Anki's buttons: 1m, 10m, 3h, 4d, 2.5mo, 1.2y."""
    seconds = max(0.0, delta.total_seconds())
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"


def retrievability(scheduler: Scheduler, card: FsrsCard, now: datetime) -> float:
    return float(scheduler.get_card_retrievability(card, current_datetime=utc(now)))


Reschedule = Callable[[FsrsCard | None], FsrsCard]


def rescheduler(
    scheduler: Scheduler,
    rating: Rating,
    now: datetime,
    duration_ms: int | None = None,
    seed: int | None = None,
) -> Callable[[FsrsCard | None], FsrsCard]:
    """The grade as a function of the card's stored fsrs card (None: a new card), for the
    store to apply inside its write transaction."""

    def apply(stored: FsrsCard | None) -> FsrsCard:
        with _seeded(seed):
            card, _ = review(
                scheduler, new_card() if stored is None else stored, rating, now, duration_ms
            )
        return card

    return apply


def build_queue(
    candidates: Sequence[str],
    states: dict[str, FsrsCard],
    scheduler: Scheduler,
    now: datetime,
    new_allowed: int,
    limit: int | None = None,
    reviews_allowed: int | None = None,
) -> list[str]:
    """Due cards first (lowest retrievability first), then new cards in deck order.

    `reviews_allowed` caps the due cards in the Review state (what today's review limit
    leaves); cards in their (re)learning steps are never held back by it."""
    now = utc(now)
    due = [cid for cid in candidates if cid in states and utc(states[cid].due) <= now]
    due.sort(key=lambda cid: (retrievability(scheduler, states[cid], now), utc(states[cid].due)))
    if reviews_allowed is not None:
        left = max(0, reviews_allowed)
        kept = []
        for cid in due:
            if states[cid].state == State.Review:
                if left == 0:
                    continue
                left -= 1
            kept.append(cid)
        due = kept
    fresh = [cid for cid in candidates if cid not in states][: max(0, new_allowed)]
    queue = due + fresh
    return queue[:limit] if limit is not None else queue


def next_due(candidates: Iterable[str], states: dict[str, FsrsCard]) -> datetime | None:
    dues = [utc(states[cid].due) for cid in candidates if cid in states]
    return min(dues) if dues else None


def start_of_day(now: datetime) -> datetime:
    """Local midnight of `now`'s day, in UTC: the daily new-card limit resets then."""
    local = utc(now).astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)
