"""What a person sees in a run report: grouped repeats, N+1 hints, verdicts."""

from __future__ import annotations

import io

from rich.console import Console

from quiz.sandbox.client import Runner
from quiz.ui import run_report as render

LAZY = (
    "# %% setup\n"
    "from sqlalchemy import ForeignKey, create_engine, select\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship\n"
    "class Base(DeclarativeBase):\n"
    "    pass\n"
    "class Team(Base):\n"
    "    __tablename__ = 'teams'\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    "    players: Mapped[list['Player']] = relationship()\n"
    "class Player(Base):\n"
    "    __tablename__ = 'players'\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    "    team_id: Mapped[int] = mapped_column(ForeignKey('teams.id'))\n"
    "engine = create_engine('sqlite://')\n"
    "Base.metadata.create_all(engine)\n"
    "with Session(engine) as s:\n"
    "    s.add_all([Team(players=[Player()]) for _ in range(6)])\n"
    "    s.commit()\n"
    "# %% loop\n"
    "with Session(engine) as s:\n"
    "    print(sum(len(t.players) for t in s.scalars(select(Team))))\n"
)


def report(runner: Runner, code: str) -> str:
    console = Console(file=io.StringIO(), width=140, color_system=None)
    console.print(render.report(runner.run(code)))
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_repeated_statements_collapse_into_one_line(runner: Runner) -> None:
    shown = report(runner, LAZY)
    assert "cell 2/2 · loop — 7 queries" in shown
    assert "#2  " in shown and "[lazy load Team.players]" in shown
    assert "#3–#7  5 more of the same SQL [lazy load Team.players]" in shown
    assert "params: [2], [3], [4], … [6]" in shown  # the team ids of the repeats
    assert (
        "N+1: 6 lazy loads of Team.players — load it up front with selectinload(Team.players) "
        "or joinedload(Team.players)" in shown
    )
    assert (
        shown.rstrip().splitlines()[-1].startswith("✓ 25 queries in 2 cells (setup: 18 · loop: 7)")
    )


def test_error_verdict_names_type_line_and_message(runner: Runner) -> None:
    shown = report(runner, "x = 1\nraise RuntimeError('boom')\n")
    assert "✗ RuntimeError at line 2: boom" in shown
