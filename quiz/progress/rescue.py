"""Grades kept safe when the progress database is lost during a session.

If the database file is deleted, replaced or damaged while a session has it open (or a grade
cannot be written for another reason), the session keeps each grade from then on in a rescue
file beside it: an ordinary export file, rewritten whole (atomically) after every grade, so
`sqlaquiz import FILE` adds the grades back once there is a database again.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from quiz.progress.records import CardProgress, LoggedReview, Progress


class Rescue:
    """The rescue file of one session, and the grades it holds."""

    def __init__(self, folder: Path) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
        self.path = folder / f"progress-rescued-{stamp}.json"
        self.reviews: list[LoggedReview] = []
        self.cards: dict[str, CardProgress] = {}

    def add(self, after: CardProgress, logged: LoggedReview) -> int:
        """Keep one grade; returns its position (1 for the first). Raises TransferError when
        the file cannot be written."""
        self.reviews.append(logged)
        self.cards[after.card_id] = after
        try:
            self._write()
        except Exception:
            self.take_back()
            raise
        return len(self.reviews)

    def take_back(self) -> LoggedReview:
        """Undo the last grade kept here: the card's state goes back to what it was before."""
        last = self.reviews.pop()
        before = last.state_before
        if before is None:
            self.cards.pop(last.review.card_id, None)
        else:
            self.cards[before.card_id] = before
        self._write()
        return last

    def _write(self) -> None:
        from quiz.progress import transfer  # pydantic: only once something is rescued

        self.path.parent.mkdir(parents=True, exist_ok=True)  # the whole folder may be gone
        progress = Progress(tuple(self.cards.values()), tuple(self.reviews))
        transfer.write_file(self.path, transfer.to_json(progress), force=True)
