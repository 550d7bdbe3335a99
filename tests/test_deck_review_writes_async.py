"""Findings of the independent review of the writes, FastAPI, async, pooling and Alembic decks
(issue 12) that the cards' own examples do not prove: each test pins one claim of a card's
answer, on the database(s) the claim is about."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.deck.loader import load_library
from quiz.sandbox.cells import split_cells
from quiz.sandbox.client import Runner, RunResult

LIBRARY = load_library()


def _example(card_id: str) -> str:
    card = LIBRARY.get(card_id)
    assert card.example is not None
    return card.example


def _setup_cell(card_id: str) -> str:
    return split_cells(_example(card_id))[0].source


def _stdout(result: RunResult) -> str:
    assert result.error is None, result.error
    return "".join(cell.stdout for cell in result.cells)


TIMEZONES = """
import asyncio, os
from datetime import datetime, timedelta, timezone
from sqlalchemy import DateTime, create_engine, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

class Base(DeclarativeBase):
    pass

class Stamp(Base):
    __tablename__ = "stamps"
    id: Mapped[int] = mapped_column(primary_key=True)
    naive: Mapped[datetime | None]
    aware: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

at = datetime(2024, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))  # 07:30 UTC
tokyo = create_engine(os.environ["SQLAQUIZ_DATABASE_URL"],
                      connect_args={"options": "-c timezone=Asia/Tokyo"})
Base.metadata.create_all(tokyo)
with Session(tokyo) as s:
    s.add(Stamp(id=1, naive=at, aware=at))
    s.commit()
    row = s.get(Stamp, 1)
    print("psycopg in Tokyo:", row.naive, "|", row.aware)

async def read_with_asyncpg():
    engine = create_async_engine(os.environ["SQLAQUIZ_ASYNC_DATABASE_URL"],
                                 connect_args={"server_settings": {"timezone": "Asia/Tokyo"}})
    async with AsyncSession(engine) as s:
        print("asyncpg in Tokyo:", await s.scalar(select(Stamp.aware)))
        s.add(Stamp(id=2, naive=at))
        try:
            await s.commit()
        except Exception as exc:
            print("asyncpg naive column:", type(exc).__name__, str(exc.orig).split("(")[-1])
    await engine.dispose()

asyncio.run(read_with_asyncpg())
"""


def test_soft_delete_psycopg_follows_the_session_time_zone(pg_runner: Runner) -> None:
    """write-soft-delete-basics: psycopg + TIMESTAMP WITHOUT TIME ZONE keeps the clock time of
    the *session's* TimeZone (not UTC); TIMESTAMPTZ comes back in that zone with psycopg and in
    UTC with asyncpg; asyncpg refuses an aware value for the naive column."""
    out = _stdout(pg_runner.run(TIMEZONES, filename="timezones.py"))
    assert "psycopg in Tokyo: 2024-03-01 16:30:00 | 2024-03-01 16:30:00+09:00\n" in out
    assert "asyncpg in Tokyo: 2024-03-01 07:30:00+00:00\n" in out
    assert (
        "asyncpg naive column: DBAPIError can't subtract offset-naive and offset-aware datetimes)\n"
    ) in out


BULK_UPDATE_WITHOUT_PK = """
session.rollback()
try:
    session.execute(update(Product), [{"price": 5}])
except Exception as exc:
    print(type(exc).__name__, "|", str(exc).split(";")[0])
"""


@pytest.mark.parametrize("on", ["sqlite", "postgresql"])
def test_bulk_update_by_pk_needs_the_primary_key_in_every_dict(
    on: str, request: pytest.FixtureRequest
) -> None:
    """write-bulk-update-by-pk: a dict without the primary key is refused before any SQL."""
    run = request.getfixturevalue("runner" if on == "sqlite" else "pg_runner")
    source = _setup_cell("write-bulk-update-by-pk") + "\n# %% no pk" + BULK_UPDATE_WITHOUT_PK
    result = run.run(source, filename="bulk_update.py")
    assert _stdout(result).endswith(
        "InvalidRequestError | No primary key value supplied for column(s) products.id\n"
    )
    assert result.cells[-1].queries == 0


def test_asyncpg_is_the_driver_without_executemany_rowcounts() -> None:
    """write-bulk-update-by-pk: why asyncpg raises no StaleDataError: its dialect says it
    cannot count rows of an executemany, unlike psycopg, pysqlite and aiosqlite."""
    from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
    from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
    from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

    assert PGDialect_asyncpg.supports_sane_multi_rowcount is False
    assert PGDialect_psycopg.supports_sane_multi_rowcount is True
    assert SQLiteDialect_pysqlite.supports_sane_multi_rowcount is True
    assert SQLiteDialect_aiosqlite.supports_sane_multi_rowcount is True


EAGER_LOADS = """
for option in (selectinload, joinedload):
    with SessionLocal() as fresh:
        alpha = fresh.scalars(select(Project).options(option(Project.tasks))
                              .where(Project.id == 1)).unique().one()
        print(option.__name__, [t.title for t in alpha.tasks])
"""


def test_soft_delete_global_filter_reaches_eager_loads(runner: Runner) -> None:
    """write-soft-delete-global-filter: the criteria reach eager loads too, not only lazy ones."""
    source = (
        "from sqlalchemy.orm import joinedload, selectinload\n"
        + _setup_cell("write-soft-delete-global-filter")
        + "\n# %% eager"
        + EAGER_LOADS
    )
    out = _stdout(runner.run(source, filename="eager.py"))
    assert out.endswith("selectinload ['plan']\njoinedload ['plan']\n")


PSYCOPG_ASYNC = """
import asyncio, os
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

url = os.environ["SQLAQUIZ_DATABASE_URL"]  # postgresql+psycopg://..., the sync runner's URL
engine = create_async_engine(url)

async def main():
    async with engine.connect() as conn:
        print("driver:", engine.dialect.driver, "| is_async:", engine.dialect.is_async,
              "| answer:", await conn.scalar(text("SELECT 40 + 2")))
    await engine.dispose()

asyncio.run(main())
"""


def test_psycopg_url_gives_an_async_engine_too(pg_runner: Runner) -> None:
    """async-engine-session-basics: psycopg 3 is an async driver as well."""
    out = _stdout(pg_runner.run(PSYCOPG_ASYNC, filename="psycopg_async.py"))
    assert out == "driver: psycopg | is_async: True | answer: 42\n"


ASYNC_LOADING = """
from sqlalchemy.orm import joinedload

async def joined_totals():
    async with Session() as session:
        stmt = select(Customer).options(joinedload(Customer.orders)).order_by(Customer.id)
        customers = (await session.scalars(stmt)).unique().all()
        print("joinedload:", [sum(o.total for o in c.orders) for c in customers])

async def run_sync_lazy():
    async with Session() as session:
        first = await session.get(Customer, 1)
        count = await session.run_sync(lambda sync_session: len(first.orders))
        print("lazy load inside run_sync:", count)

loop.run_until_complete(joined_totals())
"""

RUN_SYNC_LAZY = """
loop.run_until_complete(run_sync_lazy())
"""


@pytest.mark.parametrize("on", ["sqlite", "postgresql"])
def test_async_joinedload_and_lazy_load_inside_run_sync(
    on: str, request: pytest.FixtureRequest
) -> None:
    """async-lazy-load-selectinload: joinedload works under asyncio (one statement);
    async-run-sync-create-all: inside `session.run_sync(fn)` a lazy load works."""
    run = request.getfixturevalue("runner" if on == "sqlite" else "pg_runner")
    source = (
        _setup_cell("async-lazy-load-selectinload")
        + "\n# %% joinedload"
        + ASYNC_LOADING
        + "\n# %% run_sync"
        + RUN_SYNC_LAZY
    )
    result = run.run(source, filename="async_loading.py")
    assert _stdout(result).endswith(
        "joinedload: [15, 25, 35, 45, 55]\nlazy load inside run_sync: 2\n"
    )
    assert [c.queries for c in result.cells[1:]] == [1, 2]  # the get, then the lazy load


def test_create_all_on_an_async_engine_fails_with_the_quoted_message(runner: Runner) -> None:
    """async-run-sync-create-all quotes the AttributeError word for word."""
    result = runner.run(_example("async-run-sync-create-all"), filename="run_sync.py")
    assert result.error is not None
    assert result.error.message == "'AsyncEngine' object has no attribute '_run_ddl_visitor'"


def test_pool_timeout_message_is_the_quoted_one(runner: Runner) -> None:
    """pooling-queuepool-timeout quotes SQLAlchemy's TimeoutError text."""
    result = runner.run(_example("pooling-queuepool-timeout"), filename="timeout.py")
    assert result.error is not None
    assert result.error.message.startswith(
        "QueuePool limit of size 1 overflow 0 reached, connection timed out, timeout 0.10"
    )


def test_singleton_thread_pool_refuses_pool_timeout_as_well() -> None:
    """pooling-pool-class-by-url: `max_overflow` and `pool_timeout` exist only on QueuePool;
    in-memory SQLite's pool rejects both, and QueuePool's default overflow is 10."""
    from sqlalchemy import create_engine

    for argument in ("pool_timeout", "max_overflow"):
        with pytest.raises(TypeError) as caught:
            create_engine("sqlite://", **{argument: 1})
        assert str(caught.value).startswith(
            f"Invalid argument(s) '{argument}' sent to create_engine(), using configuration "
            "SQLiteDialect_pysqlite/SingletonThreadPool/Engine."
        )
    assert create_engine("postgresql://u@h/db").pool._max_overflow == 10  # type: ignore[attr-defined]


def test_alter_column_without_batch_is_a_syntax_error_on_sqlite(tmp_path: Path) -> None:
    """alembic-batch-mode-sqlite: outside batch mode Alembic emits ALTER COLUMN, which SQLite
    rejects as a syntax error (constraints raise NotImplementedError, the card's own cell)."""
    import sqlalchemy as sa
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'books.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE books (id INTEGER PRIMARY KEY, title VARCHAR(50))")
    with pytest.raises(sa.exc.OperationalError) as caught, engine.begin() as conn:
        op = Operations(MigrationContext.configure(conn))
        op.alter_column("books", "title", existing_type=sa.String(50), nullable=True)
    assert 'near "ALTER": syntax error' in str(caught.value)
    assert "ALTER TABLE books ALTER COLUMN title DROP NOT NULL" in str(caught.value)
    engine.dispose()
