"""Fitting FSRS's parameters to the learner's own review log (the optional `optimizer` extra).

The review log becomes FSRS training items the way FSRS's own tools build them: per card, the
reviews in order, each with the days since the card's previous review (calendar days in the
learner's time zone); one item per review on a later day than the one before it, holding the
card's history up to that review. The fitting itself is fsrs-rs's (the `fsrs-rs-python`
package): Rust wheels of about 600 kB, against PyTorch's gigabytes for py-fsrs's own optimizer.
Default, current and fitted parameters are scored on the same items (log loss and RMSE over
bins, as fsrs-rs computes them); the fitted ones are worth keeping only when they predict this
history better on both.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo

from quiz.errors import QuizError
from quiz.progress.records import Review

EXTRA = "optimizer"  # pip install 'sqlaquiz[optimizer]'
# fsrs-rs trains only on 64 items or more (with fewer it returns its defaults, or only the four
# initial stabilities): below that, fitting would pretend to learn from the history.
MIN_ITEMS = 64

Step = tuple[int, int]  # (rating 1-4, days since the card's previous review; 0 for the first)
Parameters = tuple[float, ...]


class OptimizerMissing(QuizError):
    """The optional extra that fits parameters is not installed."""

    exit_code = 1

    def __init__(self) -> None:
        super().__init__(
            f"fitting parameters needs the '{EXTRA}' extra: pip install 'sqlaquiz[{EXTRA}]'"
        )


@dataclass(frozen=True)
class Score:
    """How well a set of parameters predicts the history: lower is better for both."""

    log_loss: float
    rmse: float

    def beats(self, other: Score) -> bool:
        return self.log_loss < other.log_loss and self.rmse < other.rmse

    def to_dict(self) -> dict[str, float]:
        return {"log_loss": round(self.log_loss, 6), "rmse": round(self.rmse, 6)}


@dataclass(frozen=True)
class Fit:
    """What `fit` found. `fitted` is None when the history is too short (`items` < `needed`)."""

    reviews: int  # reviews in the log
    items: int  # of them, reviews on a later day than the card's previous one
    needed: int
    default: Score | None = None
    current: Score | None = None  # the stored parameters', when there are some
    fitted: Score | None = None
    parameters: Parameters | None = None

    @property
    def better(self) -> bool:
        """Whether the fitted parameters beat the ones in use (stored, else the defaults)."""
        if self.fitted is None:
            return False
        in_use = self.current or self.default
        return in_use is None or self.fitted.beats(in_use)


def histories(reviews: Sequence[Review], tz: tzinfo | None = None) -> list[tuple[Step, ...]]:
    """The training items of a review log, oldest last review first (see the module doc).
    Days are calendar days in `tz`; None: the system's local time, daylight saving included."""
    by_card: dict[str, list[Review]] = defaultdict(list)
    for review in reviews:
        by_card[review.card_id].append(review)
    dated: list[tuple[object, tuple[Step, ...]]] = []
    for card_reviews in by_card.values():
        card_reviews.sort(key=lambda r: r.reviewed_at)
        steps: list[Step] = []
        previous: date | None = None
        for review in card_reviews:
            day = review.reviewed_at.astimezone(tz).date()
            delta = 0 if previous is None else (day - previous).days
            steps.append((int(review.rating), delta))
            if previous is not None and delta > 0:
                dated.append((review.reviewed_at, tuple(steps)))
            previous = day
    dated.sort(key=lambda pair: pair[0])  # type: ignore[arg-type,return-value]
    return [steps for _, steps in dated]


def usable(parameters: Sequence[float]) -> Parameters:
    """Parameters as the scheduler takes them: four decimals, inside py-fsrs's bounds (fsrs-rs
    computes in 32-bit floats, which can land a hair outside)."""
    # fsrs.scheduler (fsrs 6.1 and newer, which the extra asks for): imported here, so that
    # without the extra the command can say so instead of failing on an older fsrs
    from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

    return tuple(
        min(max(round(float(p), 4), low), high)
        for p, low, high in zip(
            parameters, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True
        )
    )


def fit(
    reviews: Sequence[Review], tz: tzinfo | None = None, current: Parameters | None = None
) -> Fit:
    """Fit parameters to `reviews` and score them, the defaults and `current` on the same items.

    Raises OptimizerMissing without the extra."""
    try:  # first: without the extra, say so before anything else
        import fsrs_rs_python as rs
        from fsrs.scheduler import DEFAULT_PARAMETERS  # fsrs 6.1+, as the extra asks
    except ImportError:
        raise OptimizerMissing() from None
    items = histories(reviews, tz)
    if len(items) < MIN_ITEMS:
        return Fit(len(reviews), len(items), MIN_ITEMS)
    training = [rs.FSRSItem([rs.FSRSReview(r, d) for r, d in steps]) for steps in items]

    def score(parameters: Sequence[float]) -> Score:
        evaluation = rs.FSRS(list(parameters)).evaluate(training)
        return Score(float(evaluation.log_loss), float(evaluation.rmse_bins))

    raw = rs.FSRS([]).compute_parameters(training)
    if len(raw) != len(DEFAULT_PARAMETERS) or not all(math.isfinite(p) for p in raw):
        raise QuizError(  # another FSRS version than the scheduler's: nothing to keep
            f"the optimizer returned {len(raw)} parameters, not the {len(DEFAULT_PARAMETERS)} "
            "of the scheduler's FSRS version; nothing was changed"
        )
    fitted = usable(raw)
    return Fit(
        reviews=len(reviews),
        items=len(items),
        needed=MIN_ITEMS,
        default=score(DEFAULT_PARAMETERS),
        current=score(current) if current is not None else None,
        fitted=score(fitted),
        parameters=fitted,
    )
