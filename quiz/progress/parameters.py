"""The learner's own FSRS parameters (what `sqlaquiz optimize` fitted), kept beside the progress.

One small JSON file in the data directory. A file that is missing holds nothing (the scheduler
uses FSRS's defaults); one that cannot be used is reported and left as it is, never replaced
silently, so a hand edit gone wrong is not lost.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from quiz.errors import QuizError
from quiz.paths import read_file, write_atomic

FILE_NAME = "fsrs-parameters.json"
FORMAT = 1


class ParametersError(QuizError):
    """The parameters file cannot be read or holds parameters the scheduler refuses."""

    exit_code = 5


@dataclass(frozen=True)
class Fitted:
    """Parameters fitted to `reviews` reviews at `fitted_at`, with their score then."""

    parameters: tuple[float, ...]
    fitted_at: datetime
    reviews: int
    log_loss: float
    rmse: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "parameters": list(self.parameters),
            "fitted_at": self.fitted_at.isoformat(),
            "reviews": self.reviews,
            "log_loss": self.log_loss,
            "rmse": self.rmse,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fitted:
        return cls(
            parameters=tuple(float(p) for p in data["parameters"]),
            fitted_at=datetime.fromisoformat(data["fitted_at"]),
            reviews=int(data["reviews"]),
            log_loss=float(data["log_loss"]),
            rmse=float(data["rmse"]),
        )


def path(folder: Path) -> Path:
    return folder / FILE_NAME


def load(folder: Path) -> Fitted | None:
    """The fitted parameters in `folder`, None when there are none; ParametersError (one line
    naming the file) when the file cannot be used."""
    where = path(folder)
    try:
        data = json.loads(read_file(where, 1 << 16))
        fitted = Fitted.from_dict(data)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, not {FORMAT}")
        if not all(math.isfinite(p) for p in fitted.parameters):
            raise ValueError("a parameter is not a finite number")
        from fsrs import Scheduler

        Scheduler(parameters=fitted.parameters)  # its own check: count and bounds
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParametersError(
            f"{where}: cannot be used ({reason[:200]}); delete it to schedule with FSRS's "
            "defaults, or run `sqlaquiz optimize` again"
        ) from None
    return fitted


def save(folder: Path, fitted: Fitted) -> Path:
    """Write the parameters file whole or not at all; returns its path."""
    where = path(folder)
    write_atomic(where, json.dumps(fitted.to_dict(), indent=2) + "\n")
    return where


def save_or_say(folder: Path, fitted: Fitted) -> Path:
    """`save`, or ParametersError (one line) when the file cannot be written."""
    try:
        return save(folder, fitted)
    except OSError as exc:
        raise ParametersError(
            f"{path(folder)}: cannot be written ({exc.strerror or exc}); nothing was changed"
        ) from None


def in_use() -> tuple[float, ...] | None:
    """The parameters the scheduler should use: the fitted ones in the data directory, else
    None (FSRS's defaults)."""
    from quiz.paths import data_dir

    fitted = load(data_dir())
    return None if fitted is None else fitted.parameters
