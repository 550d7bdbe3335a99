"""Benchmarks: each figure is a ratio to a baseline measured in the same run (medians).

Run: python tests/bench/bench.py [--repeat N]
Not part of the pytest run: timings on shared machines are noisy, so nothing here asserts.
"""

from __future__ import annotations

import argparse
import compileall
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from quiz.sandbox.client import Runner  # noqa: E402

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

    import os
    engine = create_engine(os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://"))
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


def median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm the OS caches
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def pause() -> None:
    time.sleep(0.3)  # a person reading the report; the worker primes its next child meanwhile


def interleaved(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Median time of each function, run in turns so that machine noise hits them alike."""
    for fn in fns:
        fn()  # warm the OS caches (and the deck cache)
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, bucket in zip(fns, times, strict=True):
            t = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - t)
    return [statistics.median(bucket) for bucket in times]


def _timed_after(setup: Callable[[], object], fn: Callable[[], object]) -> float:
    setup()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


FIRST_EXEC = """
import contextlib, io, sys, time, types
from quiz.sandbox import worker
worker.warm_up()  # the same imports and priming the runner's worker has
code = compile(open(sys.argv[1]).read(), "example.py", "exec")
module = types.ModuleType("example")
sys.modules["example"] = module
time.sleep(0.3)  # the same pause before the timed run as the other runner figures
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


def command(args: list[str], env: dict[str, str] | None = None) -> Callable[[], None]:
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
        f"{name:<68} {value * 1000:8.1f} ms  vs {baseline * 1000:8.1f} ms  "
        f"= {ratio:5.2f}x   (target {target})"
        if unit == "s"
        else f"{name:<68} {value:8.1f}  vs {baseline:8.1f} = {ratio:5.2f}x (target {target})"
    )


def seed_store(home: Path, reviews: int) -> None:
    """A progress database with `reviews` review logs, written the way sqlaquiz writes them."""
    from quiz.progress.store import DB_NAME, Store

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
    parser.add_argument(
        "--only",
        choices=["startup", "oneshot", "runner", "postgres"],
        help="Just these figures.",
    )
    args = parser.parse_args()
    n, only = args.repeat, args.only
    home = Path(tempfile.mkdtemp(prefix="sqlaquiz-bench-"))
    env = {**os.environ, "SQLAQUIZ_HOME": str(home)}
    # An installed sqlaquiz has its bytecode; a checkout run with PYTHONDONTWRITEBYTECODE would
    # compile every one of its modules on every start instead.
    compileall.compile_dir(ROOT / "quiz", quiet=1)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {n} runs")
    print(f"load average at the start: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")

    if only in (None, "startup"):
        startup(n, env)
    if only in (None, "oneshot"):
        one_shot_figures(n, env)
    if only in (None, "runner"):
        runner_figures(n)
    if only in (None, "postgres"):
        postgres_figures(n, env)
    if only is None:
        the_rest(n, home, env)
    shutil.rmtree(home, ignore_errors=True)


def startup(n: int, env: dict[str, str]) -> None:
    py = sys.executable
    help_, typer_ = interleaved(
        [command([*sqlaquiz(), "--help"], env), command([py, "-c", "import typer"])], n
    )
    report("sqlaquiz --help  vs  python -c 'import typer'", help_, typer_, "<= 1.3x")
    cache = Path(env["SQLAQUIZ_HOME"]) / "cache"
    listing_command = command([*sqlaquiz(), "list"], env)

    def cold_listing() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        listing_command()

    listing, base, cold = interleaved(
        [
            listing_command,
            command([py, "-c", "import typer, rich, yaml, sqlalchemy.orm"]),
            cold_listing,
        ],
        n,
    )
    report(
        "sqlaquiz list  vs  python -c 'import typer, rich, yaml, sqlalchemy.orm'",
        listing,
        base,
        "<= 1.5x",
    )
    # The first command after installing sqlaquiz or changing a deck validates the decks.
    report("sqlaquiz list, deck cache cold (after a deck changed)  vs  the same", cold, base, "-")


# A typical SQLAlchemy-only card, and one whose example drives FastAPI through its TestClient.
ONE_SHOT_CARDS = {
    "SQLAlchemy only": "rel-lazy-loop-n-plus-one",
    "FastAPI TestClient": "fastapi-test-overrides-staticpool",
}


def one_shot_figures(n: int, env: dict[str, str]) -> None:
    """`sqlaquiz run` from the shell, whole processes, against `python` running the same example
    exported with --export: the card, the exported file with --file, and that with --json."""
    py = sys.executable
    folder = Path(tempfile.mkdtemp(prefix="sqlaquiz-bench-"))
    for kind, card in ONE_SHOT_CARDS.items():
        script = folder / f"{card}.py"
        exported = subprocess.run(
            [*sqlaquiz(), "run", card, "--export"],
            capture_output=True, text=True, check=True, env=env, cwd=ROOT,
        )  # fmt: skip
        script.write_text(exported.stdout)
        plain, by_card, by_file, as_json = interleaved(
            [
                command([py, str(script)], env),
                command([*sqlaquiz(), "run", card], env),
                command([*sqlaquiz(), "run", "--file", str(script)], env),
                command([*sqlaquiz(), "run", "--file", str(script), "--json"], env),
            ],
            n,
        )
        report(f"sqlaquiz run CARD  vs  python CARD.py (exported; {kind})", by_card, plain,
               "<= 1.3x")  # fmt: skip
        report(f"sqlaquiz run --file CARD.py  vs  the same ({kind})", by_file, plain, "<= 1.3x")
        report(f"sqlaquiz run --file CARD.py --json  vs  the same ({kind})", as_json, plain, "-")
    shutil.rmtree(folder, ignore_errors=True)


def runner_figures(n: int) -> None:
    py = sys.executable
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

    # A person reads each report before the next run, and a pause alone makes the next piece of
    # work slower (caches go cold: ~1 ms here). So both sides of the first ratio get the same
    # pause, and are interleaved so that machine noise hits them alike. The in-process side is
    # hot: the same code already ran in that process, which a contained run can never be.
    in_process()  # imports, and the first (slower) execution
    first_exec = statistics.median(_first_exec_in_fresh_process(script) for _ in range(n))
    plain = median_time(command([py, str(script)]), n)
    with Runner() as runner:
        runner.run(EXAMPLE)  # the first run pays for the worker's imports

        def one_run() -> None:
            runner.run(EXAMPLE)

        ours_times, hot_times = [], []
        for _ in range(n):
            hot_times.append(_timed_after(pause, in_process))
            ours_times.append(_timed_after(pause, one_run))
        ours, hot = statistics.median(ours_times), statistics.median(hot_times)
        batch = median_time(lambda: runner.run(EXAMPLE, batch=True), n)
    hot_back_to_back = median_time(in_process, n)
    report("one example run  vs  in-process, hot (both after a pause)", ours, hot, "<= 1.5x")
    report(
        "one example run  vs  in-process, first time (both after a pause)", ours, first_exec, "-"
    )
    report(
        "back-to-back batch runs  vs  in-process, hot, back-to-back", batch, hot_back_to_back, "-"
    )
    report("python example.py  vs  one example run", plain, ours, ">= 4x")
    report("python example.py  vs  one example run (back-to-back batch)", plain, batch, ">= 4x")

    shutil.rmtree(folder, ignore_errors=True)


def postgres_figures(n: int, env: dict[str, str]) -> None:
    """PostgreSQL vs SQLite, with a server already up ($SQLAQUIZ_POSTGRES_URL, else a throwaway
    one started here), and the throwaway server's cold start to the first result."""
    from quiz.sandbox import engines, pg_local

    local = None
    url = os.environ.get("SQLAQUIZ_POSTGRES_URL")
    if not url:
        if pg_local.find_binaries() is None:
            print("PostgreSQL figures skipped: no server ($SQLAQUIZ_POSTGRES_URL) or binaries")
            return
        local = pg_local.LocalServer.start()
        url = local.url
    try:
        database = engines.PostgreSQL(url)
        with Runner() as on_sqlite, Runner(database=database) as on_postgres:
            on_sqlite.run(EXAMPLE)
            on_postgres.run(EXAMPLE)
            sqlite_times, postgres_times = [], []
            for _ in range(n):
                sqlite_times.append(_timed_after(pause, lambda: on_sqlite.run(EXAMPLE)))
                postgres_times.append(_timed_after(pause, lambda: on_postgres.run(EXAMPLE)))
        database.close()
        report(
            "one run on PostgreSQL  vs  the same on SQLite (server up, after a pause)",
            statistics.median(postgres_times),
            statistics.median(sqlite_times),
            "<= 2x",
        )
        folder = Path(tempfile.mkdtemp())
        script = folder / "example.py"
        script.write_text(EXAMPLE)
        with_server = {**env, "SQLAQUIZ_POSTGRES_URL": url}
        run_pg, run_sqlite = interleaved(
            [
                command([*sqlaquiz(), "run", "--file", str(script), "--db", "postgresql"],
                        with_server),
                command([*sqlaquiz(), "run", "--file", str(script)], with_server),
            ],
            n,
        )  # fmt: skip
        report(
            "sqlaquiz run --db postgresql  vs  --db sqlite (whole process)", run_pg, run_sqlite, "-"
        )
        no_server = {k: v for k, v in env.items() if k != "SQLAQUIZ_POSTGRES_URL"}
        cold = median_time(
            command([*sqlaquiz(), "run", "--file", str(script), "--db", "postgresql"], no_server),
            max(3, n // 2),
        )
        print(
            f"{'cold start: throwaway server to the first result (whole run --file)':<68} "
            f"{cold * 1000:8.1f} ms   (target <= 4000 ms)"
        )
        shutil.rmtree(folder, ignore_errors=True)
        deck_pg = median_time(
            command([*sqlaquiz(), "validate", "--run", "--db", "postgresql"], with_server), 3
        )
        deck_sqlite = median_time(command([*sqlaquiz(), "validate", "--run"], with_server), 3)
        report(
            "validate --run --db postgresql  vs  --db sqlite (whole deck)",
            deck_pg,
            deck_sqlite,
            "-",
        )
    finally:
        if local is not None:
            local.stop()


def the_rest(n: int, home: Path, env: dict[str, str]) -> None:
    py = sys.executable
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
        f"{'peak memory of a 5-card session that runs examples':<68} "
        f"{max(peak, before) / 1024:8.1f} MiB (largest process: sqlaquiz or its worker)"
    )


if __name__ == "__main__":
    main()
