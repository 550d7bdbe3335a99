"""The terminal charts, exactly as a person sees them."""

from __future__ import annotations

import io
from datetime import date, timedelta

from rich.console import Console

from quiz.ui.progress_views import column_chart


def test_column_chart_scales_to_the_peak_and_always_shows_a_day_with_reviews() -> None:
    start = date(2026, 3, 1)
    series = [(start + timedelta(days=i), n) for i, n in enumerate([0, 1, 8, 16, 4, 0, 0])]
    console = Console(file=io.StringIO(), width=60, color_system=None)
    console.print(column_chart(series, "reviews", height=2))
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    # 16 is the peak: two full rows; 8 is one full row; 4 half a row; 1 still shows as ▁
    assert lines[1:6] == [
        "│       █                   │",
        "│   ▁ █ █ ▄                 │",
        "│ · · · · · · ·             │",
        "│ Mar 01  Mar 07            │",
        "│ peak 16 a day · 29 in all │",
    ]
