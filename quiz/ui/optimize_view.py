"""What `sqlaquiz optimize` shows: the scores of default, current and fitted parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from quiz.review.optimizer import Fit, Score
from quiz.ui.safe import safe
from quiz.ui.style import plural


def _usable(fit: Fit) -> str:
    return (
        f"{plural(fit.items, 'review')} on a later day than the card's previous one "
        f"(of {plural(fit.reviews, 'review')} in all)"
    )


def report(fit: Fit, saved: Path | None) -> RenderableType:
    """The scores table and one line saying what was kept."""
    if fit.fitted is None:
        missing = fit.needed - fit.items
        return Text(
            f"Not enough history to fit: optimize needs {fit.needed} reviews made on a later "
            f"day than the card's previous review; you have {fit.items} ({missing} more to go)."
        )
    table = Table()
    table.add_column("parameters")
    table.add_column("log loss", justify="right")
    table.add_column("RMSE", justify="right")
    rows: list[tuple[str, Score | None]] = [
        ("FSRS defaults", fit.default),
        ("yours, in use", fit.current),
        ("fitted now", fit.fitted),
    ]
    for name, score in rows:
        if score is not None:
            table.add_row(name, f"{score.log_loss:.4f}", f"{score.rmse:.4f}")
    if saved is not None:
        line = Text("✓ ", style="green")
        line.append(
            "kept: the fitted parameters predict your history better (lower log loss and "
            f"RMSE); saved to {safe(str(saved))}, `sqlaquiz start` schedules with them"
        )
    else:
        in_use = "your current parameters" if fit.current is not None else "FSRS's defaults"
        line = Text("= ", style="yellow")
        line.append(
            f"not kept: the fitted parameters do not predict your history better than "
            f"{in_use}, which stay in use"
        )
    return Group(Text(f"Fitted to {_usable(fit)}."), table, line)


def reset_line(path: Path, existed: bool) -> Text:
    if existed:
        return Text(f"removed {safe(str(path))}: scheduling with FSRS's defaults")
    return Text("no fitted parameters: already scheduling with FSRS's defaults")


def as_json(fit: Fit, saved: Path | None, where: Path) -> dict[str, Any]:
    """The result for `--json` (no Rich)."""
    return {
        "reviews": fit.reviews,
        "usable_reviews": fit.items,
        "needed": fit.needed,
        "enough": fit.fitted is not None,
        "default": fit.default.to_dict() if fit.default else None,
        "current": fit.current.to_dict() if fit.current else None,
        "fitted": fit.fitted.to_dict() if fit.fitted else None,
        "parameters": list(fit.parameters) if fit.parameters is not None else None,
        "kept": saved is not None,
        "path": str(where),
    }
