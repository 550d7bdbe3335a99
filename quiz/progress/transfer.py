"""Progress as versioned JSON: export, import (idempotent, all-or-nothing) and backups."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quiz import __version__
from quiz.errors import TransferError
from quiz.progress.store import CardState, ReviewRow, Store

FORMAT = "sqlaquiz-progress"
FORMAT_VERSION = 1


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CardStateIn(_Row):
    card_id: str
    fsrs: dict[str, Any]
    due: datetime
    state: int = Field(ge=1, le=3)

    @field_validator("fsrs")
    @classmethod
    def _fsrs_card(cls, value: dict[str, Any]) -> dict[str, Any]:
        from quiz.review.scheduler import card_from_json

        try:
            card_from_json(value)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not an FSRS card ({type(exc).__name__}: {exc})") from None
        return value

    reps: int = Field(ge=0)
    lapses: int = Field(ge=0)
    first_review: datetime
    last_review: datetime


class ReviewIn(_Row):
    card_id: str
    rating: int = Field(ge=1, le=4)
    reviewed_at: datetime
    duration_ms: int | None = None
    typed_answer: str | None = None
    prediction: str | None = None
    prediction_right: bool | None = None
    was_due: bool
    state_before: dict[str, Any] | None = None
    due_after: datetime
    session_id: str | None = None


class ExportFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    format: str
    version: int
    cards: list[CardStateIn]
    reviews: list[ReviewIn]


def _iso(dt: datetime) -> str:
    return dt.replace(tzinfo=timezone.utc).isoformat() if dt.tzinfo is None else dt.isoformat()


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


def export_data(store: Store) -> dict[str, Any]:
    """Everything needed to rebuild the progress elsewhere."""
    states = sorted(store.states().values(), key=lambda s: s.card_id)
    reviews = store.reviews()
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "sqlaquiz": __version__,
        "cards": [
            {
                "card_id": s.card_id,
                "fsrs": json.loads(s.fsrs),
                "due": _iso(s.due),
                "state": s.state,
                "reps": s.reps,
                "lapses": s.lapses,
                "first_review": _iso(s.first_review),
                "last_review": _iso(s.last_review),
            }
            for s in states
        ],
        "reviews": [
            {
                "card_id": r.card_id,
                "rating": r.rating,
                "reviewed_at": _iso(r.reviewed_at),
                "duration_ms": r.duration_ms,
                "typed_answer": r.typed_answer,
                "prediction": r.prediction,
                "prediction_right": r.prediction_right,
                "was_due": r.was_due,
                "state_before": json.loads(r.state_before) if r.state_before else None,
                "due_after": _iso(r.due_after),
                "session_id": r.session_id,
            }
            for r in reviews
        ],
    }


def write_file(path: Path, data: dict[str, Any], force: bool = False) -> None:
    """Write atomically; never replace an existing file unless asked."""
    if path.exists() and not force:
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


def read_file(path: Path) -> ExportFile:
    """Parse and check an export file completely before anything is imported."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TransferError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TransferError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise TransferError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise TransferError(f"{path}: not a sqlaquiz progress export")
    if raw.get("version") != FORMAT_VERSION:
        raise TransferError(
            f"{path}: export format version {raw.get('version')!r} is not supported "
            f"(this sqlaquiz reads version {FORMAT_VERSION})"
        )
    try:
        return ExportFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise TransferError(f"{path}: field {where!r}: {msg[:1].lower()}{msg[1:]}") from None


@dataclass(frozen=True)
class Imported:
    cards: int
    reviews: int
    skipped: int


def import_data(store: Store, data: ExportFile) -> Imported:
    """Add what is not here yet, in one transaction: reviews by (card, time), and card
    states where the file's is newer than ours."""
    cards = reviews = skipped = 0
    try:
        with store.session(write=True) as s, s.begin():
            existing = {
                (cid, at) for cid, at in s.execute(select(ReviewRow.card_id, ReviewRow.reviewed_at))
            }
            for r in data.reviews:
                key = (r.card_id, _naive(r.reviewed_at))
                if key in existing:
                    skipped += 1
                    continue
                existing.add(key)
                s.add(
                    ReviewRow(
                        card_id=r.card_id,
                        rating=r.rating,
                        reviewed_at=key[1],
                        duration_ms=r.duration_ms,
                        typed_answer=r.typed_answer,
                        prediction=r.prediction,
                        prediction_right=r.prediction_right,
                        was_due=r.was_due,
                        state_before=json.dumps(r.state_before) if r.state_before else None,
                        due_after=_naive(r.due_after),
                        session_id=r.session_id,
                    )
                )
                reviews += 1
            for c in data.cards:
                mine = s.get(CardState, c.card_id)
                if mine is not None and mine.last_review >= _naive(c.last_review):
                    continue
                if mine is None:
                    mine = CardState(card_id=c.card_id)
                    s.add(mine)
                mine.fsrs = json.dumps(c.fsrs)
                mine.due = _naive(c.due)
                mine.state = c.state
                mine.reps = c.reps
                mine.lapses = c.lapses
                mine.first_review = _naive(c.first_review)
                mine.last_review = _naive(c.last_review)
                cards += 1
    except IntegrityError as exc:
        raise TransferError(f"import failed and changed nothing: {exc.orig}") from None
    return Imported(cards, reviews, skipped)


def backup(store: Store) -> Path:
    """Write the whole progress to a timestamped file beside the database."""
    folder = store.path.parent / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
    path = folder / f"progress-{stamp}.json"
    write_file(path, export_data(store))
    return path
