"""The independent review of decks 12 (concurrency) and 13 (transactions): what their answers
claim beyond the cards' own expectations, proven on each database a card lists, and on
PostgreSQL as a role that is not a superuser (a learner's server may give no more)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator

import pytest

from quiz.deck.cards import Card
from quiz.deck.checks import check
from quiz.deck.loader import load_library
from quiz.sandbox.client import Runner, RunResult
from quiz.sandbox.protocol import Statement

REVIEWED = [c for c in load_library().cards if c.topic in ("concurrency", "transactions")]
CARDS = {c.id: c for c in REVIEWED}
ON_SQLITE = [c for c in REVIEWED if c.example and c.runs_on("sqlite")]
ON_POSTGRES = [c for c in REVIEWED if c.example and c.runs_on("postgresql")]

# An edit saved by a later request that loads the page afresh (conc-optimistic-version-id says
# the version check then catches nothing: the client has to send its version back).
LATER_REQUEST = """
# %% a later request saves b's form
with Session(engine) as later:
    page = later.get(Wiki, 1)
    page.body = "b's edit, from a form that showed version 1"
    later.commit()
    print("saved over a's edit, version now:", page.version)
"""


def test_the_reviewed_decks_are_here() -> None:
    """The topic filter finds the cards reviewed (26: 15 run on SQLite, 25 on PostgreSQL)."""
    assert (len(CARDS) >= 26, len(ON_SQLITE) >= 15, len(ON_POSTGRES) >= 25) == (True,) * 3


@pytest.fixture(scope="module")
def sqlite_results(runner: Runner) -> dict[str, RunResult]:
    """Every reviewed card that lists SQLite, run once on SQLite, plus the later-request run."""
    codes = [(c.example or "", f"{c.id}.py") for c in ON_SQLITE]
    codes.append((_later_request(), "later-request.py"))
    results = runner.run_many(codes)
    return dict(zip([*(c.id for c in ON_SQLITE), "later-request"], results, strict=True))


@pytest.fixture(scope="module")
def learner_url(postgres_url: str) -> Iterator[str]:
    """A server URL for a fresh role that may log in and create databases, and nothing more."""
    import psycopg
    from sqlalchemy.engine import make_url

    role = f"sqlaquiz_learner_{os.getpid()}_{secrets.token_hex(3)}"
    admin = psycopg.connect(postgres_url, autocommit=True)
    try:
        admin.execute(f'CREATE ROLE "{role}" LOGIN CREATEDB NOSUPERUSER')
    except psycopg.errors.InsufficientPrivilege:
        admin.close()
        pytest.skip("the test server's user may not create roles")
    try:
        yield make_url(postgres_url).set(username=role, password=None).render_as_string(False)
    finally:
        owned = admin.execute(
            "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
            "WHERE r.rolname = %s",
            (role,),
        ).fetchall()
        for (name,) in owned:  # normally none: the engine drops what it made
            with contextlib.suppress(psycopg.Error):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()


@pytest.fixture(scope="module")
def learner_results(learner_url: str) -> dict[str, RunResult]:
    """Every reviewed PostgreSQL card, run once as the non-superuser role, plus the
    later-request run."""
    from quiz.sandbox.engines import PostgreSQL

    database = PostgreSQL(learner_url)
    codes = [(c.example or "", f"{c.id}.py") for c in ON_POSTGRES]
    codes.append((_later_request(), "later-request.py"))
    with Runner(timeout=10, workers=os.cpu_count() or 1, database=database) as pg:
        try:
            results = pg.run_many(codes)
        finally:
            database.close()
    return dict(zip([*(c.id for c in ON_POSTGRES), "later-request"], results, strict=True))


@pytest.fixture(params=["sqlite", "postgresql"])
def results(request: pytest.FixtureRequest) -> dict[str, RunResult]:
    """The runs on one database: the test runs once per database."""
    name = "sqlite_results" if request.param == "sqlite" else "learner_results"
    found: dict[str, RunResult] = request.getfixturevalue(name)
    return found


def _later_request() -> str:
    example = CARDS["conc-optimistic-version-id"].example or ""
    return example.split("# %% b saves its stale copy")[0] + LATER_REQUEST


def _sql(statement: Statement) -> str:
    return " ".join(statement.sql.split())


def _cell(result: RunResult, title: str) -> list[Statement]:
    cell = result.cell(title)
    assert cell is not None, f"cell {title!r} did not run"
    return cell.statements


def _errors(result: RunResult, title: str) -> list[str | None]:
    """Why each statement of the cell that failed, failed."""
    return [s.error for s in _cell(result, title) if s.failed]


# --- every PostgreSQL card, as a learner's role ------------------------------------------------


@pytest.mark.parametrize("card", ON_POSTGRES, ids=lambda c: c.id)
def test_claims_hold_without_superuser(card: Card, learner_results: dict[str, RunResult]) -> None:
    """conc-deadlock-lock-order once lowered deadlock_timeout, which only a superuser may do."""
    result = learner_results[card.id]
    assert result.database == "postgresql"
    assert check(card, result).failures == []


@pytest.mark.parametrize("card", REVIEWED, ids=lambda c: c.id)
def test_each_expected_line_is_printed_once(card: Card, results: dict[str, RunResult]) -> None:
    """Two cells printing the same label let a fragment match the wrong one: three cards
    pinned a rollback with a line that the cell before had already printed."""
    database = results["later-request"].database
    if not card.runs_on(database):
        pytest.skip(f"not a {database} card")
    stdout = "".join(c.stdout for c in results[card.id].cells)
    counts = {f: stdout.count(f) for f in card.expect_for(database).stdout}
    assert counts == dict.fromkeys(counts, 1)


@pytest.mark.parametrize("card", REVIEWED, ids=lambda c: c.id)
def test_waits_stay_short_and_need_no_privilege(card: Card) -> None:
    example = card.example or ""
    assert all(float(s) <= 0.2 for s in re.findall(r"time\.sleep\(([\d.]+)\)", example))
    assert all(int(ms) <= 200 for ms in re.findall(r"lock_timeout = '(\d+)ms'", example))
    assert not re.search(r"SET (LOCAL |SESSION )?deadlock_timeout", example)


# --- the SQL that locks ------------------------------------------------------------------------


def test_for_update_waits_then_nowait_fails_at_once(learner_results: dict[str, RunResult]) -> None:
    r = learner_results["conc-for-update-nowait"]
    assert _errors(r, "bob waits, at most 100 ms") == [
        "LockNotAvailable: canceling statement due to lock timeout"
    ]
    nowait = _cell(r, "bob with NOWAIT")
    assert _sql(nowait[1]).endswith("WHERE seats.id = %(id_1)s::INTEGER FOR UPDATE NOWAIT")
    assert [s.error for s in nowait] == [
        None,
        'LockNotAvailable: could not obtain lock on row in relation "seats"',
        "InFailedSqlTransaction: current transaction is aborted, commands ignored until end of "
        "transaction block",
    ]


def test_sqlite_sends_no_for_update(results: dict[str, RunResult]) -> None:
    r = results["conc-sqlite-for-update-dropped"]
    select = _sql(_cell(r, "run on this engine")[1])
    assert select.startswith("SELECT accounts.balance FROM accounts WHERE accounts.id = ")
    assert select.endswith("FOR UPDATE") is (r.database == "postgresql")


def test_for_share_is_what_read_true_renders(learner_results: dict[str, RunResult]) -> None:
    r = learner_results["conc-for-share"]
    endings = [_sql(s).split("::INTEGER ")[-1] for s in _cell(r, "two readers share the lock")]
    assert endings == ["FOR SHARE", "FOR SHARE NOWAIT"]


def test_for_update_of_locks_orders_only(learner_results: dict[str, RunResult]) -> None:
    r = learner_results["conc-for-update-of-joinedload"]
    (select,) = _cell(r, "FOR UPDATE OF orders")
    assert "FROM orders LEFT OUTER JOIN customers AS customers_1" in _sql(select)
    assert _sql(select).endswith("FOR UPDATE OF orders")
    assert r.error is not None and r.error.type == "NotSupportedError"
    assert r.error.message.startswith(
        "(psycopg.errors.FeatureNotSupported) FOR UPDATE cannot be applied to the nullable side "
        "of an outer join"
    )


def test_skip_locked_claims_and_nowait_fails(learner_results: dict[str, RunResult]) -> None:
    r = learner_results["conc-skip-locked-job-queue"]
    for title in ("worker 1 claims", "worker 2, SKIP LOCKED"):
        assert _sql(_cell(r, title)[0]).endswith(
            "ORDER BY jobs.id LIMIT %(param_1)s::INTEGER FOR UPDATE SKIP LOCKED"
        )
    assert r.error is not None
    assert r.error.message.startswith(
        '(psycopg.errors.LockNotAvailable) could not obtain lock on row in relation "jobs"'
    )


def test_one_transfer_is_the_deadlock_victim(learner_results: dict[str, RunResult]) -> None:
    r = learner_results["conc-deadlock-lock-order"]
    failed = [s for s in _cell(r, "opposite order") if s.failed]
    assert [(s.error, s.thread != "MainThread") for s in failed] == [
        ("DeadlockDetected: deadlock detected", True)
    ]
    assert _errors(r, "same order") == []


# --- optimistic locking ------------------------------------------------------------------------


def test_version_check_is_in_the_update(results: dict[str, RunResult]) -> None:
    r = results["conc-optimistic-version-id"]
    saved = _cell(r, "a saves first")[0]
    assert "WHERE wiki_pages.id = " in _sql(saved)
    assert " AND wiki_pages.version = " in _sql(saved)
    params = saved.params if isinstance(saved.params, dict) else {"all": saved.params}
    expected = (
        {"body": "a's edit", "version": 2, "wiki_pages_id": 1, "wiki_pages_version": 1}
        if r.database == "postgresql"
        else {"all": ["a's edit", 2, 1, 1]}
    )
    assert params == expected
    assert r.error is not None and r.error.message == (
        "UPDATE statement on table 'wiki_pages' expected to update 1 row(s); 0 were matched."
    )


def test_a_fresh_session_overwrites_without_error(results: dict[str, RunResult]) -> None:
    r = results["later-request"]
    assert r.error is None
    assert "saved over a's edit, version now: 3" in "".join(c.stdout for c in r.cells)


# --- transaction boundaries --------------------------------------------------------------------


def test_savepoint_statements_in_order(results: dict[str, RunResult]) -> None:
    r = results["tx-savepoint-undoes-changes"]
    cell = _cell(r, "place an order, try the coupon in a savepoint")
    starts = [" ".join(_sql(s).split()[:3]) for s in cell]
    assert starts == [
        "INSERT INTO orders",
        "SAVEPOINT sa_savepoint_1",
        "UPDATE orders SET",
        "INSERT INTO redemptions",
        "ROLLBACK TO SAVEPOINT",
        "SELECT orders.id, orders.total,",
    ]
    assert [s.failed for s in cell] == [False, False, False, True, False, False]


@pytest.mark.parametrize("card_id", ["tx-commit-inside-begin-block", "tx-engine-begin"])
def test_closed_transaction_message(card_id: str, results: dict[str, RunResult]) -> None:
    error = results[card_id].error
    assert error is not None and error.type == "InvalidRequestError"
    assert error.message.startswith("Can't operate on closed transaction inside context manager.")


def test_late_http_exception_message(sqlite_results: dict[str, RunResult]) -> None:
    error = sqlite_results["tx-after-yield-timeline"].error
    assert error is not None
    assert (error.type, error.message) == (
        "RuntimeError",
        "Caught handled exception, but response already started.",
    )


def test_late_commit_fails_after_the_201(results: dict[str, RunResult]) -> None:
    """The duplicate's INSERT is sent by the dependency's commit (the endpoint never commits),
    and fails there, while the client gets its 201."""
    cell = _cell(results["tx-commit-in-yield-dependency"], "commit in the dependency")
    assert [s.failed for s in cell if _sql(s).startswith("INSERT INTO users")] == [False, True]


def test_task_on_a_closed_session_is_silent(results: dict[str, RunResult]) -> None:
    """With scope="function": no error, no warning, and nothing saved."""
    cell = results["tx-background-task-session"].cell('request\'s session, scope="function"')
    assert cell is not None
    assert (cell.error, cell.warnings, [s for s in cell.statements if s.failed]) == (None, [], [])
    assert not any(_sql(s).startswith("UPDATE") for s in cell.statements)


def test_expired_objects_reload_one_by_one(results: dict[str, RunResult]) -> None:
    cell = _cell(results["tx-expire-on-commit-api"], "expire_on_commit=True (default)")
    sql = [re.sub(r" = \S+$", " = ?", _sql(s)) for s in cell]
    assert sql == [
        "SELECT tasks.id, tasks.title, tasks.done FROM tasks ORDER BY tasks.id",
        sql[1],
        *["SELECT tasks.id, tasks.title, tasks.done FROM tasks WHERE tasks.id = ?"] * 3,
    ]
    assert sql[1].startswith("UPDATE tasks SET done=")
    assert [s.many for s in cell] == [False, True, False, False, False]
