"""Benchmarks: each figure is a ratio to a baseline measured in the same run (medians).

Run: python tests/bench/bench.py [--repeat N]
Not part of the pytest run: timings on shared machines are noisy, so nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from quiz.runner import Runner  # noqa: E402

EXAMPLE = textwrap.dedent(
    """
    from sqlalchemy import ForeignKey, create_engine, select
    from sqlalchemy.orm import (DeclarativeBase, Mapped, Session, mapped_column, relationship,
                                selectinload)

    class Base(DeclarativeBase):
        pass

    class Team(Base):
        __tablename__ = "teams"
        id: Mapped[int] = mapped_column(primary_key=True)
        players: Mapped[list["Player"]] = relationship()

    class Player(Base):
        __tablename__ = "players"
        id: Mapped[int] = mapped_column(primary_key=True)
        team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Team(players=[Player(), Player()]) for _ in range(10)])
        s.commit()
    with Session(engine) as s:
        teams = s.scalars(select(Team).options(selectinload(Team.players))).all()
        print(sum(len(t.players) for t in teams))
    """
)


def sqlaquiz() -> list[str]:
    script = Path(sys.executable).parent / "sqlaquiz"
    return [str(script)] if script.exists() else [sys.executable, "-m", "quiz"]


def median_time(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm the OS caches
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _timed_after(setup, fn) -> float:  # type: ignore[no-untyped-def]
    setup()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


TINY_TYPER_APP = """
import typer

app = typer.Typer()


@app.command()
def main(n: int = 1) -> None:
    import rich, yaml, sqlalchemy.orm  # noqa: F401, E401
    print(n)


app()
"""

FIRST_EXEC = """
import contextlib, io, sys, time, types
from quiz import worker
worker.warm_up()  # the same imports and priming the runner's worker has
code = compile(open(sys.argv[1]).read(), "example.py", "exec")
module = types.ModuleType("example")
sys.modules["example"] = module
t = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    exec(code, module.__dict__)
print(time.perf_counter() - t)
"""


def _first_exec_in_fresh_process(script: Path) -> float:
    """The example's first execution in a new interpreter with everything imported."""
    out = subprocess.run(
        [sys.executable, "-c", FIRST_EXEC, str(script)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return float(out.stdout.strip())


def command(args: list[str], env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    def run() -> None:
        subprocess.run(
            args,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )

    return run


def report(name: str, value: float, baseline: float, target: str, unit: str = "s") -> None:
    ratio = value / baseline
    print(
        f"{name:<58} {value * 1000:8.1f} ms  vs {baseline * 1000:8.1f} ms  "
        f"= {ratio:5.2f}x   (target {target})"
        if unit == "s"
        else f"{name:<58} {value:8.1f}  vs {baseline:8.1f} = {ratio:5.2f}x (target {target})"
    )


def seed_store(home: Path, reviews: int) -> None:
    """A progress database with `reviews` review logs, written the way sqlaquiz writes them."""
    from quiz.store import DB_NAME, Store

    store = Store.open(home / DB_NAME)
    store.close()
    con = sqlite3.connect(home / DB_NAME)
    rows = [
        (
            f"bench-{i % 500}",
            1 + i % 4,
            f"2025-01-01 00:00:{i % 60:02d}.{i:06d}",
            1000,
            0,
            "2025-01-02 00:00:00",
        )
        for i in range(reviews)
    ]
    con.executemany(
        "INSERT INTO review_log (card_id, rating, reviewed_at, duration_ms, "
        "was_due, due_after) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.commit()
    con.close()


def time_to_first_question(env: dict[str, str]) -> float:
    """Wall time from starting `sqlaquiz start` until the first prompt is printed."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        [*sqlaquiz(), "start"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stdin is not None
    seen = b""
    while b"Your answer" not in seen and b"How many" not in seen and b"Does it" not in seen:
        chunk = proc.stdout.read1(65536)  # type: ignore[attr-defined]
        if not chunk:
            break
        seen += chunk
    elapsed = time.perf_counter() - t
    proc.stdin.close()
    proc.wait()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    n = parser.parse_args().repeat
    home = Path(tempfile.mkdtemp(prefix="sqlaquiz-bench-"))
    env = {**os.environ, "SQLAQUIZ_HOME": str(home)}
    py = sys.executable
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {n} runs\n")

    # 1. start-up
    base = median_time(command([py, "-c", "import typer"]), n)
    report(
        "sqlaquiz --help  vs  python -c 'import typer'",
        median_time(command([*sqlaquiz(), "--help"], env), n),
        base,
        "<= 1.3x",
    )
    base = median_time(command([py, "-c", "import typer, rich, yaml, sqlalchemy.orm"]), n)
    listing = median_time(command([*sqlaquiz(), "list"], env), n)
    report(
        "sqlaquiz list  vs  python -c 'import typer, rich, yaml, sqlalchemy.orm'",
        listing,
        base,
        "<= 1.5x",
    )
    # Invoking any Typer command costs more than importing typer: Typer 0.29 converts
    # parameters with pydantic. This baseline is a one-option Typer command that imports the
    # same libraries, to show what sqlaquiz itself adds.
    tiny = Path(tempfile.mkdtemp()) / "tiny.py"
    tiny.write_text(TINY_TYPER_APP)
    typer_base = median_time(command([py, str(tiny), "--n", "3"]), n)
    report("sqlaquiz list  vs  a one-option Typer command, same imports", listing, typer_base, "-")

    # 2. the runner
    folder = Path(tempfile.mkdtemp())
    script = folder / "example.py"
    script.write_text(EXAMPLE)
    compiled = compile(EXAMPLE, "example.py", "exec")

    def in_process() -> None:
        import contextlib
        import io
        import types

        # a module of its own, as the worker gives it, so Mapped[...] annotations resolve
        module = types.ModuleType("bench_example")
        sys.modules["bench_example"] = module
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compiled, module.__dict__)

    in_proc = median_time(in_process, n)
    first_exec = statistics.median(_first_exec_in_fresh_process(script) for _ in range(n))
    plain = median_time(command([py, str(script)]), n)
    with Runner() as runner:
        runner.run(EXAMPLE)  # the first run pays for the worker's imports

        def paced() -> None:
            time.sleep(0.3)  # a person reading the report: the worker primes the next child

        def one_run() -> None:
            runner.run(EXAMPLE)

        ours = statistics.median(_timed_after(paced, one_run) for _ in range(n))
        batch = median_time(lambda: runner.run(EXAMPLE, batch=True), n)
    report("one example run (user-paced)  vs  in-process, repeated (hot)", ours, in_proc, "<= 1.5x")
    report("one example run (user-paced)  vs  in-process, first time", ours, first_exec, "<= 1.5x")
    report(
        "one example run (back-to-back batch)  vs  in-process, first time", batch, first_exec, "-"
    )
    report("python example.py  vs  one example run (user-paced)", plain, ours, ">= 4x")
    report("python example.py  vs  one example run (back-to-back)", plain, batch, ">= 4x")

    # 3. validate --run over every bundled card: all cores vs one
    one = median_time(command([*sqlaquiz(), "validate", "--run", "--jobs", "1"], env), 3)
    every = median_time(command([*sqlaquiz(), "validate", "--run"], env), 3)
    report(
        f"validate --run, 1 worker  vs  {os.cpu_count()} workers",
        one,
        every,
        f"~{os.cpu_count()}x on idle cores",
    )

    # 4. a session's start with a big store
    seed_store(home, 100_000)
    base = median_time(command([py, "-c", "import typer, rich, yaml, sqlalchemy.orm"]), n)
    first = statistics.median(time_to_first_question(env) for _ in range(n))
    report(
        "start -> first question, 100,000 review logs  vs  import baseline", first, base, "<= 2x"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(
        [*sqlaquiz(), "start", "--cram", "--limit", "5"],
        input=b"\nr\n3\n" * 5,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"{'peak memory of a 5-card session that runs examples':<58} "
        f"{max(peak, before) / 1024:8.1f} MiB (largest process: sqlaquiz or its worker)"
    )
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
