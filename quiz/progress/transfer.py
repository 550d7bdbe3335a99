"""The export file: versioned JSON of the store's records, checked whole before an import, and
the backups written before a reset. The store does the exporting and importing; this module only
turns records into the file's JSON and back."""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from fsrs import Card as FsrsCard
from fsrs import Rating, State
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from quiz import __version__
from quiz.clock import EARLIEST, LATEST, in_range, utc
from quiz.errors import TransferError
from quiz.paths import MAX_IMPORT_BYTES, read_text
from quiz.progress.records import (
    SUSPENDED_BY,
    CardMark,
    CardProgress,
    Interview,
    LoggedReview,
    Progress,
    Review,
)
from quiz.progress.schema import snapshot
from quiz.progress.store import Store

FORMAT = "sqlaquiz-progress"
# 2: "marks" (suspended and buried cards). An export without marks is written as version 1, the
# oldest version that holds all of it, so an older sqlaquiz still reads it; one with marks is
# version 2, which an older sqlaquiz refuses rather than import without them.
# 3: key-point coverage on reviews ("key_points_covered", "key_points_total") and the mock
# interviews ("interviews"); written only when there are some, the same way.
FORMAT_VERSION = 3
READS = (1, 2, 3)

MAX_DEPTH = 8  # the format nests four levels deep
MAX_STRING = 100_000  # characters in any one text (a typed answer is the longest)
INT64 = 2**63  # SQLite's integers are 64-bit
MAX_STABILITY = 1e6  # days; FSRS caps intervals at 100 years (36,500 days)
CARD_ID = r"^[a-z0-9][a-z0-9-]*$"  # a deck card's id (quiz.deck.cards.SLUG)

# ------------------------------------------------------------------ records -> JSON


def card_json(card: CardProgress) -> dict[str, Any]:
    return {
        "card_id": card.card_id,
        "fsrs": dict(card.fsrs.to_dict()),
        "due": card.due.isoformat(),
        "state": int(card.state),
        "reps": card.reps,
        "lapses": card.lapses,
        "first_review": card.first_review.isoformat(),
        "last_review": card.last_review.isoformat(),
    }


def review_json(logged: LoggedReview) -> dict[str, Any]:
    review, before = logged.review, logged.state_before
    return {
        "card_id": review.card_id,
        "rating": int(review.rating),
        "reviewed_at": review.reviewed_at.isoformat(),
        "duration_ms": review.duration_ms,
        "typed_answer": review.typed_answer,
        "prediction": review.prediction,
        "prediction_right": review.prediction_right,
        "was_due": review.was_due,
        "state_before": None if before is None else snapshot(before),
        "due_after": review.due_after.isoformat(),
        "session_id": review.session_id,
        # format 3, only when the typed answer was checked (a file without is still format 1)
        **(
            {}
            if review.key_points_total is None
            else {
                "key_points_covered": review.key_points_covered,
                "key_points_total": review.key_points_total,
            }
        ),
    }


def interview_json(interview: Interview) -> dict[str, Any]:
    return {
        "started_at": interview.started_at.isoformat(),
        "ended_at": interview.ended_at.isoformat(),
        "minutes": interview.minutes,
        "questions": interview.questions,
        "key_points_covered": interview.key_points_covered,
        "key_points_total": interview.key_points_total,
        "predictions_right": interview.predictions_right,
        "predictions_total": interview.predictions_total,
        "exercises_passed": interview.exercises_passed,
        "exercises_total": interview.exercises_total,
        "scorecard": interview.scorecard,
    }


def mark_json(mark: CardMark) -> dict[str, Any]:
    return {
        "card_id": mark.card_id,
        "suspended_at": None if mark.suspended_at is None else mark.suspended_at.isoformat(),
        "suspended_by": mark.suspended_by,
        "buried_until": None if mark.buried_until is None else mark.buried_until.isoformat(),
    }


def to_json(progress: Progress) -> dict[str, Any]:
    """The whole export file, ready for json.dump."""
    data = {
        "format": FORMAT,
        "version": _version(progress),
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "sqlaquiz": __version__,
        "cards": [card_json(c) for c in progress.cards],
        "reviews": [review_json(r) for r in progress.reviews],
    }
    if progress.marks:
        data["marks"] = [mark_json(m) for m in progress.marks]
    if progress.interviews:
        data["interviews"] = [interview_json(i) for i in progress.interviews]
    return data


def _version(progress: Progress) -> int:
    """The oldest format that holds all of `progress`: what the most sqlaquiz releases read."""
    checked = any(r.review.key_points_total is not None for r in progress.reviews)
    if progress.interviews or checked:
        return 3
    return 2 if progress.marks else 1


# ------------------------------------------------------------------ JSON -> records


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _fsrs_card(value: dict[str, Any]) -> FsrsCard:
    try:
        card = FsrsCard.from_dict(value)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"not an FSRS card ({type(exc).__name__}: {exc})") from None
    # what the scheduler and the views can use later: fsrs itself checks none of it
    s, d = card.stability, card.difficulty
    if s is not None and not (math.isfinite(s) and 0 <= s <= MAX_STABILITY):
        raise ValueError(f"stability {s!r} is not a number of days from 0 to {MAX_STABILITY:g}")
    if d is not None and not (math.isfinite(d) and 1 <= d <= 10):
        raise ValueError(f"difficulty {d!r} is not a number from 1 to 10")
    if card.step is not None and not (isinstance(card.step, int) and 0 <= card.step < 1000):
        raise ValueError(f"step {card.step!r} is not a whole number from 0 to 999")
    if not -INT64 <= card.card_id < INT64:
        raise ValueError("card_id does not fit in 64 bits")
    for name, when in (("due", card.due), ("last_review", card.last_review)):
        if when is not None and not in_range(when):
            raise ValueError(f"{name} {when.isoformat()} is out of range")
    return card


def _when(value: datetime) -> datetime:
    if not in_range(value):
        raise ValueError(f"date out of range (from {EARLIEST.year} to {LATEST.year - 1})")
    return value


When = Annotated[datetime, AfterValidator(_when)]
Count = Annotated[int, Field(ge=0, lt=INT64)]
CardId = Annotated[str, Field(pattern=CARD_ID, max_length=80)]


class CardStateIn(_Row):
    card_id: CardId
    fsrs: dict[str, Any]
    due: When
    state: int = Field(ge=1, le=3)

    @field_validator("fsrs")
    @classmethod
    def _is_fsrs_card(cls, value: dict[str, Any]) -> dict[str, Any]:
        _fsrs_card(value)
        return value

    reps: Count
    lapses: Count
    first_review: When
    last_review: When

    def record(self) -> CardProgress:
        return _card(self.card_id, _fsrs_card(self.fsrs), self)


class SnapshotIn(_Row):
    """A card's state before a review, in the layout of quiz.progress.schema.snapshot()."""

    fsrs: str
    due: When
    state: int = Field(ge=1, le=3)
    reps: Count
    lapses: Count
    first_review: When
    last_review: When

    @field_validator("fsrs")
    @classmethod
    def _is_fsrs_json(cls, value: str) -> str:
        try:
            data = json.loads(value)
        except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
            raise ValueError("not an FSRS card (not JSON)") from None
        if not isinstance(data, dict):
            raise ValueError("not an FSRS card (not a JSON object)")
        _fsrs_card(data)
        return value

    def record(self, card_id: str) -> CardProgress:
        return _card(card_id, _fsrs_card(json.loads(self.fsrs)), self)


def _card(card_id: str, fsrs: FsrsCard, fields: CardStateIn | SnapshotIn) -> CardProgress:
    return CardProgress(
        card_id=card_id,
        fsrs=fsrs,
        due=utc(fields.due),
        state=State(fields.state),
        reps=fields.reps,
        lapses=fields.lapses,
        first_review=utc(fields.first_review),
        last_review=utc(fields.last_review),
    )


class ReviewIn(_Row):
    card_id: CardId
    rating: int = Field(ge=1, le=4)
    reviewed_at: When
    duration_ms: Count | None = None
    typed_answer: str | None = None
    prediction: str | None = None
    prediction_right: bool | None = None
    was_due: bool
    state_before: SnapshotIn | None = None
    due_after: When
    session_id: str | None = None
    key_points_covered: Count | None = None
    key_points_total: Count | None = None

    def record(self) -> LoggedReview:
        before = self.state_before
        review = Review(
            card_id=self.card_id,
            rating=Rating(self.rating),
            reviewed_at=utc(self.reviewed_at),
            duration_ms=self.duration_ms,
            typed_answer=self.typed_answer,
            prediction=self.prediction,
            prediction_right=self.prediction_right,
            was_due=self.was_due,
            due_after=utc(self.due_after),
            session_id=self.session_id,
            key_points_covered=self.key_points_covered,
            key_points_total=self.key_points_total,
        )
        return LoggedReview(review, None if before is None else before.record(self.card_id))


class MarkIn(_Row):
    card_id: CardId
    suspended_at: When | None = None
    suspended_by: str | None = None
    buried_until: When | None = None

    @field_validator("suspended_by")
    @classmethod
    def _by(cls, value: str | None) -> str | None:
        if value is not None and value not in SUSPENDED_BY:
            raise ValueError(f"{value!r} is not one of {', '.join(SUSPENDED_BY)}")
        return value

    def record(self) -> CardMark:
        if (self.suspended_at is None) != (self.suspended_by is None):
            raise ValueError("suspended_at and suspended_by come together")
        if self.suspended_at is None and self.buried_until is None:
            raise ValueError("neither suspended nor buried")
        return CardMark(
            card_id=self.card_id,
            suspended_at=None if self.suspended_at is None else utc(self.suspended_at),
            suspended_by=self.suspended_by,
            buried_until=None if self.buried_until is None else utc(self.buried_until),
        )


class InterviewIn(_Row):
    started_at: When
    ended_at: When
    minutes: Count
    questions: Count
    key_points_covered: Count
    key_points_total: Count
    predictions_right: Count
    predictions_total: Count
    exercises_passed: Count
    exercises_total: Count
    scorecard: str

    @field_validator("scorecard")
    @classmethod
    def _is_json_object(cls, value: str) -> str:
        try:
            data = json.loads(value)
        except (ValueError, RecursionError):
            raise ValueError("not a scorecard (not JSON)") from None
        if not isinstance(data, dict):
            raise ValueError("not a scorecard (not a JSON object)")
        return value

    def record(self) -> Interview:
        return Interview(
            **{
                **self.model_dump(),
                "started_at": utc(self.started_at),
                "ended_at": utc(self.ended_at),
            }
        )


class ExportFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    format: str
    version: int
    cards: list[CardStateIn]
    reviews: list[ReviewIn]
    marks: list[MarkIn] = []
    interviews: list[InterviewIn] = []


def read_file(path: Path) -> Progress:
    """Parse and check an export file completely before anything is imported."""
    try:
        raw = json.loads(read_text(path, MAX_IMPORT_BYTES))
    except FileNotFoundError:
        raise TransferError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TransferError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise TransferError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise TransferError(f"{path}: not a sqlaquiz progress export (nested too deeply)") from None
    except ValueError as exc:  # e.g. a number of more than 4,300 digits
        raise TransferError(f"{path}: not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise TransferError(f"{path}: not a sqlaquiz progress export")
    if raw.get("version") not in READS or type(raw.get("version")) is not int:
        raise TransferError(
            f"{path}: export format version {raw.get('version')!r} is not supported "
            f"(this sqlaquiz reads versions {', '.join(map(str, READS[:-1]))} and {READS[-1]})"
        )
    odd = _odd_value(raw)
    if odd is not None:
        where, what = odd
        raise TransferError(f"{path}: field {where!r}: {what}")
    try:
        data = ExportFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise TransferError(f"{path}: field {where!r}: {msg[:1].lower()}{msg[1:]}") from None
    marks = []
    for i, mark in enumerate(data.marks if raw["version"] >= 2 else []):
        try:
            marks.append(mark.record())
        except ValueError as exc:
            raise TransferError(f"{path}: field 'marks.{i}': {exc}") from None
    return Progress(
        tuple(c.record() for c in data.cards),
        tuple(r.record() for r in data.reviews),
        marks=tuple(marks),
        interviews=tuple(i.record() for i in data.interviews),
    )


def _odd_value(raw: Any) -> tuple[str, str] | None:
    """The first value no export holds and no later command could use: nesting deeper than
    the format's, an integer past 64 bits, a float that is not finite, a lone surrogate (not
    text: SQLite cannot store it) or a very long text. (where, what), or None."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(raw, ())]
    while stack:
        value, at = stack.pop()
        where = ".".join(str(p) for p in at) or "(file)"
        if len(at) > MAX_DEPTH:
            return where, f"nested deeper than an export ({MAX_DEPTH} levels)"
        if isinstance(value, dict):
            stack.extend((v, (*at, k)) for k, v in value.items())
            stack.extend((k, (*at, "(key)")) for k in value)
        elif isinstance(value, list):
            stack.extend((v, (*at, i)) for i, v in enumerate(value))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and not -INT64 <= value < INT64:
            return where, "an integer larger than 64 bits"
        elif isinstance(value, float) and not math.isfinite(value):
            return where, f"{value} is not a finite number"
        elif isinstance(value, str):
            if len(value) > MAX_STRING:
                return where, f"a text longer than {MAX_STRING:,} characters"
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                bad = value[exc.start]
                return where, f"contains a lone surrogate (\\u{ord(bad):04x}), which is not text"
    return None


# ------------------------------------------------------------------ files


def write_file(path: Path, data: dict[str, Any], force: bool = False) -> None:
    """Write atomically; never replace an existing file unless asked, and never a symbolic
    link, a folder or anything but a regular file (--force replaces a file, nothing else)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise TransferError(f"cannot write {path}: {exc.strerror or exc}") from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise TransferError(
            f"{path} is a symbolic link; sqlaquiz does not replace links "
            "(give the file it points to, or another name)"
        )
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise TransferError(f"{path} exists and is not a regular file")
    if info is not None and not force:
        raise TransferError(f"{path} already exists (use --force to overwrite it)")
    folder = path.parent if str(path.parent) else Path(".")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sqlaquiz-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # like any file the user creates, not mkstemp's 0600
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise TransferError(f"cannot write {path}: {exc.strerror or exc}") from None


def backup(store: Store) -> Path:
    """Write the whole progress to a timestamped file beside the database."""
    folder = store.path.parent / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
    path = folder / f"progress-{stamp}.json"
    write_file(path, to_json(store.export()))
    return path
