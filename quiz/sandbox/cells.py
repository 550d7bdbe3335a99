"""Splitting an example into cells by the `# %% title` marker (Jupyter / VS Code / jupytext)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKER = re.compile(r"^#\s*%%(?P<title>.*)$")


@dataclass(frozen=True)
class Cell:
    """A run of lines; `source` keeps blank lines in front so line numbers match the example."""

    index: int
    title: str
    first_line: int  # 1-based line of the cell's first code line in the whole example
    code: str

    @property
    def source(self) -> str:
        return "\n" * (self.first_line - 1) + self.code


def split_cells(example: str) -> list[Cell]:
    """Cells in order; code before the first marker is a cell of its own if not blank."""
    lines = example.splitlines()
    cells: list[Cell] = []
    title: str | None = None
    start = 1
    body: list[str] = []

    def close() -> None:
        if title is None and not "".join(body).strip():
            return
        index = len(cells) + 1
        cells.append(Cell(index, title or f"cell {index}", start, "\n".join(body) + "\n"))

    for number, line in enumerate(lines, start=1):
        match = _MARKER.match(line.strip())
        if match:
            close()
            title = match.group("title").strip().strip("-").strip() or None
            if title is None:
                title = f"cell {len(cells) + 1}"
            start, body = number + 1, []
        else:
            body.append(line)
    close()
    if not cells:
        cells.append(Cell(1, "cell 1", 1, "\n"))
    return cells
