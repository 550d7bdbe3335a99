"""Smoke test of every command of an installed sqlaquiz, run by the Python of its environment.

.ci/lowest-deps runs it against the lowest dependency versions pyproject.toml allows; it needs
nothing but the standard library and the installed package. Each check runs the real
`sqlaquiz` console script in a throwaway data directory and asserts its exit code and the
exact words a user would see. Usage: python .ci/smoke.py [--all-cards]

--all-cards also runs every card's example and checks its claims (`validate --run`); without
it, one card per library the examples teach with.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SQLAQUIZ = str(BIN / "sqlaquiz")
NOW = "2026-03-02T09:00:00+00:00"  # a fixed clock: exact intervals, no FSRS fuzz
CARD = "rel-lazy-loop-n-plus-one"
# One card per library the examples lean on: SQLAlchemy's ORM, pydantic, FastAPI with httpx's
# TestClient, the async engine on aiosqlite and greenlet, and Alembic.
SAMPLE = [
    CARD,
    "models-pydantic-from-attributes",
    "fastapi-test-overrides-staticpool",
    "async-lazy-load-selectinload",
    "alembic-autogenerate-compare-metadata",
]
COMMANDS = [
    "start",
    "run",
    "practice",
    "validate",
    "list",
    "topics",
    "show",
    "stats",
    "export",
    "import",
    "reset",
    "optimize",
    "schema",
    "new",
    "trust",
    "suspend",
    "unsuspend",
    "config",
]


def shows_2_1_only() -> set[str]:
    """The cards whose claims hold on SQLAlchemy 2.1 only, as tests/test_content.py lists them."""
    tree = ast.parse((ROOT / "tests" / "test_content.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SHOWS_2_1_ONLY":
            return set(ast.literal_eval(node.value))
    raise SystemExit("smoke: SHOWS_2_1_ONLY is gone from tests/test_content.py")


class Smoke:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SQLAQUIZ_")}
        self.env.update(SQLAQUIZ_HOME=str(work / "home"), COLUMNS="100", TERM="dumb")
        for var in ("NO_COLOR", "FORCE_COLOR", "EDITOR", "VISUAL", "PYTHONPATH"):
            self.env.pop(var, None)
        self.count = 0

    def sqlaquiz(
        self, *args: str, code: int = 0, stdin: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [SQLAQUIZ, *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=self.work,
            env={**self.env, **(env or {})},
            timeout=120,
        )
        self.count += 1
        shown = " ".join(["sqlaquiz", *args])
        if done.returncode != code:
            raise AssertionError(
                f"{shown}: exit {done.returncode}, expected {code}\n"
                f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
            )
        if "Traceback" in done.stderr:
            raise AssertionError(f"{shown}: a traceback\n{done.stderr}")
        return done


def equal(what: str, got: object, want: object) -> None:
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, expected {want!r}")


def contains(what: str, text: str, part: str) -> None:
    if part not in text:
        raise AssertionError(f"{what}: {part!r} not in\n{text[-3000:]}")


def check_help(s: Smoke) -> None:
    done = s.sqlaquiz("--version")
    equal("--version", done.stdout, f"sqlaquiz {version('sqlaquiz')}\n")
    top = s.sqlaquiz("--help").stdout
    for name in COMMANDS:
        contains("--help", top, f"\n  {name} ")
        usage = s.sqlaquiz(name, "--help").stdout.splitlines()[0]
        contains(f"{name} --help", usage, f"Usage: sqlaquiz {name} [OPTIONS]")


def check_usage_errors(s: Smoke) -> None:
    equal(
        "list --bogus",
        s.sqlaquiz("list", "--bogus", code=2).stderr,
        "error: No such option: --bogus (see 'sqlaquiz list --help')\n",
    )
    equal(
        "--bogus",
        s.sqlaquiz("--bogus", code=2).stderr,
        "error: No such option: --bogus (see 'sqlaquiz --help')\n",
    )
    equal(
        "start --retention 1.5",
        s.sqlaquiz("start", "--retention", "1.5", code=2).stderr,
        "error: Invalid value for '--retention': Input should be less than or equal to 0.99 "
        "(see 'sqlaquiz start --help')\n",
    )
    equal(
        "show nosuch",
        s.sqlaquiz("show", "no-such-card", code=4).stderr.count("\n"),
        1,
    )


def check_views(s: Smoke) -> int:
    """list, topics, show, stats on an empty history; returns the number of cards."""
    cards = json.loads(s.sqlaquiz("list", "--json").stdout)
    equal("list --json states", {c["state"] for c in cards}, {"new"})
    contains("list", s.sqlaquiz("list").stdout, CARD)
    topics = json.loads(s.sqlaquiz("topics", "--json").stdout)
    equal("topics --json cards", sum(t["cards"] for t in topics), len(cards))
    contains("topics", s.sqlaquiz("topics").stdout, "Relationships & loading")
    contains("show", s.sqlaquiz("show", CARD).stdout, "easy")
    contains("show --answer", s.sqlaquiz("show", CARD, "--answer").stdout, "Rule of thumb:")
    equal("stats --json", json.loads(s.sqlaquiz("stats", "--json").stdout)["reviews_total"], 0)
    contains("stats", s.sqlaquiz("stats").stdout, "0 in all")
    return len(cards)


def check_run(s: Smoke, cards: int, all_cards: bool) -> None:
    shown = s.sqlaquiz("run", CARD).stdout
    contains("run", shown, "✓ 27 queries in 3 cells (setup: 21 · lazy loop: 6 · loop again: 0)")
    script = s.work / "mine.py"
    script.write_text(
        "from sqlalchemy import create_engine, text\n"
        "with create_engine('sqlite://').connect() as c:\n"
        "    print(c.execute(text('select 40 + 2')).scalar())\n",
        encoding="utf-8",
    )
    data = json.loads(s.sqlaquiz("run", "--file", str(script), "--json").stdout)
    equal("run --file --json", (data["queries"], data["cells"][0]["stdout"]), (1, "42\n"))
    exported = s.work / "exported.py"
    exported.write_text(s.sqlaquiz("run", CARD, "--export").stdout, encoding="utf-8")
    plain = subprocess.run(
        [sys.executable, str(exported)], capture_output=True, text=True, cwd=s.work, timeout=60
    )
    equal("the exported script with plain python", plain.returncode, 0)
    contains("the exported script's output", plain.stdout, "author0 2")

    equal("validate", s.sqlaquiz("validate").stdout, f"✓ {cards} valid cards, 0 problems\n")
    if all_cards:
        done = s.sqlaquiz("validate", "--run")
        # every card that runs on SQLite (the rest run on PostgreSQL only)
        contains("validate --run", done.stdout, " examples run on SQLite, 0 failed, 0 deck")
    else:
        sample = [card for card in SAMPLE if card not in shows_2_1_only()]
        done = s.sqlaquiz("validate", "--run", *[a for c in sample for a in ("--card", c)])
        expected = f"✓ {len(sample)} examples run on SQLite, 0 failed"
        contains("validate --run --card", done.stdout, expected)


def check_practice(s: Smoke) -> None:
    """An exercise through a pipe: the starter fails, the reference solution passes."""
    exercise = "ex-report-n-plus-one"
    done = s.sqlaquiz("practice", exercise, stdin="h\n", code=1)
    contains("practice", done.stdout, "run 1: 2 of 4 checks pass")
    contains("practice", done.stdout, "Hint 1 of 3")
    workspace = s.work / "home" / "exercises" / f"{exercise}.py"
    reference = s.sqlaquiz("run", exercise, "--export").stdout
    workspace.write_text(reference, encoding="utf-8")
    done = s.sqlaquiz("practice", exercise)
    contains("practice, solved", done.stdout, "run 1: 4 of 4 checks pass")


def check_progress(s: Smoke) -> None:
    """A one-card session, then export, reset, import and reset of one card."""
    clock = {"SQLAQUIZ_NOW": NOW}
    session = s.sqlaquiz("start", "--limit", "1", "--topic", "setup", stdin="\n3\n", env=clock)
    contains("start", session.stdout, "saved — next review in 10m")
    equal(
        "stats after a review", json.loads(s.sqlaquiz("stats", "--json").stdout)["reviews_total"], 1
    )
    path = s.work / "progress.json"
    done = s.sqlaquiz("export", str(path))
    equal("export", done.stderr, f"exported 1 card state and 1 review to {path}\n")
    equal(
        "export format", json.loads(path.read_text(encoding="utf-8"))["format"], "sqlaquiz-progress"
    )
    contains(
        "reset --yes",
        s.sqlaquiz("reset", "--yes").stdout,
        "forgot ALL your progress: 1 review removed, the schedule reset (the cards stay)",
    )
    equal("stats after reset", json.loads(s.sqlaquiz("stats", "--json").stdout)["reviews_total"], 0)
    done = s.sqlaquiz("import", str(path))
    equal("import", done.stdout, f"imported 1 new review and 1 card state from {path}\n")
    card = json.loads(path.read_text(encoding="utf-8"))["cards"][0]["card_id"]
    done = s.sqlaquiz("reset", "--card", card, "--yes")
    contains(
        "reset --card",
        done.stdout,
        f"forgot your progress on card {card!r}: 1 review removed, the schedule reset",
    )


def check_platform_dirs(s: Smoke) -> None:
    """Without $SQLAQUIZ_HOME, progress and the deck cache go where platformdirs says (Linux)."""
    if not sys.platform.startswith("linux"):
        return
    home = s.work / "user"
    env = {k: v for k, v in s.env.items() if not k.startswith("XDG_") and k != "SQLAQUIZ_HOME"}
    env["HOME"] = str(home)
    for args in (["list", "--json"], ["export", "-"]):
        done = subprocess.run(
            [SQLAQUIZ, *args], capture_output=True, text=True, cwd=s.work, env=env, timeout=60
        )
        s.count += 1
        equal(f"{' '.join(args)} without $SQLAQUIZ_HOME", (done.returncode, done.stderr), (0, ""))
    made = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    contains("without $SQLAQUIZ_HOME", " ".join(made), ".cache/sqlaquiz/decks-")
    contains("without $SQLAQUIZ_HOME", " ".join(made), ".local/share/sqlaquiz/progress.sqlite3")


def check_plain_conversion(s: Smoke) -> None:
    """quiz/commands/params.py still applies: `list` never builds Typer's pydantic adapters."""
    probe = (
        "import sys\n"
        "from quiz.cli import app\n"
        "from quiz.commands import params\n"
        "assert params.RuntimeParam is not None, 'typer._coercion is gone'\n"
        "try:\n"
        "    app(['list', '--json', '--tag', 'selectinload'])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print('typer._adapters' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=s.work, env=s.env
    )
    equal("the plain-conversion probe", (done.returncode, done.stderr), (0, "False\n"))


def check_tools(s: Smoke) -> None:
    """Completion, the deck schema, optimize (with or without its extra), new without a terminal."""
    env = {"_SQLAQUIZ_COMPLETE": "complete_bash", "COMP_WORDS": f"sqlaquiz run {CARD}"}
    done = s.sqlaquiz(env={**env, "COMP_CWORD": "2"})
    equal("completion of a card id", done.stdout.splitlines(), [CARD])
    schema = json.loads(s.sqlaquiz("schema").stdout)
    contains("schema", json.dumps(schema["$defs"]["Card"]["properties"]), "key_points")
    done = subprocess.run(
        [SQLAQUIZ, "optimize"], capture_output=True, text=True, env=s.env, timeout=120
    )
    s.count += 1
    if done.returncode == 1:  # the lowest-deps install has no extras
        equal(
            "optimize without its extra",
            done.stderr,
            "error: fitting parameters needs the 'optimizer' extra: "
            "pip install 'sqlaquiz[optimizer]'\n",
        )
    else:
        equal("optimize", done.returncode, 0)
        contains("optimize", done.stdout, "Not enough history to fit")
    equal(
        "new without a terminal",
        s.sqlaquiz("new", "--topic", "sessions", code=2).stderr,
        "error: --difficulty is needed: there is no terminal to ask in\n",
    )


def main() -> None:
    all_cards = "--all-cards" in sys.argv[1:]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sqlaquiz-smoke-") as tmp:
        s = Smoke(Path(tmp))
        check_help(s)
        check_usage_errors(s)
        cards = check_views(s)
        check_plain_conversion(s)
        check_platform_dirs(s)
        check_run(s, cards, all_cards)
        check_practice(s)
        check_progress(s)
        check_tools(s)
    print(
        f"smoke: {s.count} sqlaquiz commands passed on Python {sys.version.split()[0]} "
        f"in {time.monotonic() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
