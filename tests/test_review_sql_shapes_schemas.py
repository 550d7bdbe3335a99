"""The accuracy review of decks 17-sql, 18-shapes and 19-schemas, kept as tests: claims the
cards' own expectations cannot pin (quoted error texts, warnings, rendered SQL, FastAPI)."""

from __future__ import annotations

import sqlite3
import textwrap

import pytest
import sqlalchemy
from sqlalchemy import ForeignKey, create_engine, func, literal_column, select, union_all
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, WriteOnlyMapped, mapped_column, relationship
from sqlalchemy.sql import column

from quiz.deck.cards import Card
from quiz.deck.loader import load_library
from quiz.sandbox.client import Runner, RunResult

REVIEWED_TOPICS = {"sql", "shapes", "schemas"}
REVIEWED = [c for c in load_library().cards if c.topic in REVIEWED_TOPICS]
BY_ID = {c.id: c for c in REVIEWED}

# These examples use APIs new in SQLAlchemy 2.1 (Python 3.10 gets 2.0; see test_content).
NEEDS_2_1 = {"sql-distinct-on", "sql-string-aggregation"}
SQLALCHEMY_2_1 = tuple(int(p) for p in sqlalchemy.__version__.split(".")[:2]) >= (2, 1)

# Error texts the answers quote or name, where the card's expectation pins only the class.
QUOTED_ERRORS = {
    "sqlite": {
        "sql-window-row-number": "misuse of window function row_number()",
        "sql-aliased-self-join": "Don't know how to join to",
        "shape-one-to-one-unique": "UNIQUE constraint failed: passports.user_id",
        "shape-ambiguous-foreign-keys": "there are multiple foreign key paths linking the tables",
        "shape-single-table-inheritance": "NOT NULL constraint failed: staff.budget",
        "shape-write-only-collection": "WriteOnly collections don't support iteration",
        "schema-in-list-expanding": 'near "?": syntax error',
    },
    "postgresql": {
        "sql-window-row-number": "window functions are not allowed in WHERE",
        "sql-distinct-on": (
            "SELECT DISTINCT ON expressions must match initial ORDER BY expressions"
        ),
        "shape-one-to-one-unique": "UniqueViolation",
        "shape-single-table-inheritance": "NotNullViolation",
        "schema-in-list-expanding": 'syntax error at or near "$1"',
    },
}
# Run on PostgreSQL here: the cards above, and those that run only there.
PG_REVIEWED = sorted(
    set(QUOTED_ERRORS["postgresql"])
    | {c.id for c in REVIEWED if c.example and not c.runs_on("sqlite")}
)


def test_the_reviewed_decks_hold_34_cards() -> None:
    assert len(REVIEWED) == 34
    assert all(c.runs_on("postgresql") for c in REVIEWED)


@pytest.fixture(scope="module")
def pg_reviewed(pg_runner: Runner) -> dict[str, RunResult]:
    results = pg_runner.run_many([(BY_ID[cid].example or "", f"{cid}.py") for cid in PG_REVIEWED])
    return dict(zip(PG_REVIEWED, results, strict=True))


def _skip_before_2_1(card_id: str) -> None:
    if card_id in NEEDS_2_1 and not SQLALCHEMY_2_1:
        pytest.skip(f"{card_id} needs SQLAlchemy 2.1; this is {sqlalchemy.__version__}")


def _error_message(result: RunResult) -> str:
    assert result.error is not None, result.problem()
    return result.error.message


@pytest.mark.parametrize(("card_id", "text"), sorted(QUOTED_ERRORS["sqlite"].items()))
def test_quoted_error_text_on_sqlite(
    card_id: str, text: str, bundled_results: dict[str, RunResult]
) -> None:
    assert text in _error_message(bundled_results[card_id])


@pytest.mark.parametrize(("card_id", "text"), sorted(QUOTED_ERRORS["postgresql"].items()))
def test_quoted_error_text_on_postgresql(
    card_id: str, text: str, pg_reviewed: dict[str, RunResult]
) -> None:
    _skip_before_2_1(card_id)
    assert text in _error_message(pg_reviewed[card_id])


def _stray_warnings(result: RunResult) -> list[str]:
    return [f"{c.title}: {w.category}: {w.message}" for c in result.cells for w in c.warnings]


@pytest.mark.parametrize("card", [c for c in REVIEWED if c.runs_on("sqlite")], ids=lambda c: c.id)
def test_no_example_leaves_a_warning_on_sqlite(
    card: Card, bundled_results: dict[str, RunResult]
) -> None:
    """A warning the example does not catch itself is a defect: the review found an overlap
    SAWarning (shape-ambiguous-foreign-keys) and a 2.1 deprecation (sql-distinct-on)."""
    assert _stray_warnings(bundled_results[card.id]) == []


@pytest.mark.parametrize("card_id", PG_REVIEWED)
def test_no_example_leaves_a_warning_on_postgresql(
    card_id: str, pg_reviewed: dict[str, RunResult]
) -> None:
    assert _stray_warnings(pg_reviewed[card_id]) == []


def test_sqlite_orders_inside_an_aggregate_from_3_44(
    bundled_results: dict[str, RunResult],
) -> None:
    """sql-string-aggregation says SQLite takes ORDER BY inside an aggregate from 3.44 on."""
    _skip_before_2_1("sql-string-aggregation")
    out = bundled_results["sql-string-aggregation"].cell("ordered inside")
    assert out is not None
    if sqlite3.sqlite_version_info >= (3, 44):
        assert "ordered: Tides, Reefs" in out.stdout
    else:
        assert f"this SQLite {sqlite3.sqlite_version} rejects ORDER BY" in out.stdout


def test_rows_minus_two_is_a_three_row_window() -> None:
    """sql-window-running-total: `rows=(-2, 0)` would be a three-row moving window."""
    n = column("n")
    total = func.sum(n).over(order_by=n, rows=(-2, 0))
    numbers = union_all(*[select(literal_column(str(k)).label("n")) for k in range(1, 6)])
    stmt = select(total).select_from(numbers.subquery()).order_by(n)
    with create_engine("sqlite://").connect() as conn:
        assert conn.scalars(stmt).all() == [1, 3, 6, 9, 12]
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    assert "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW" in sql


def test_write_only_mapped_is_lazy_write_only() -> None:
    """shape-write-only-collection: WriteOnlyMapped is the same as lazy="write_only"."""

    class Base(DeclarativeBase):
        pass

    class Owner(Base):
        __tablename__ = "owners"
        id: Mapped[int] = mapped_column(primary_key=True)
        typed: WriteOnlyMapped[Item] = relationship(overlaps="spelled")
        spelled: Mapped[list[Item]] = relationship(lazy="write_only", overlaps="typed")

    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(primary_key=True)
        owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id"))

    assert Owner.typed.property.lazy == Owner.spelled.property.lazy == "write_only"
    assert type(Owner().typed) is type(Owner().spelled)


def test_fastapi_response_model_needs_no_from_attributes(runner: Runner) -> None:
    """schema-create-read-models: FastAPI reads a returned ORM object's attributes for a
    `response_model` by itself; only `Model.model_validate(obj)` needs from_attributes."""
    code = textwrap.dedent(
        """
        # %% app
        from fastapi import FastAPI
        from fastapi.testclient import TestClient
        from pydantic import BaseModel, ConfigDict, ValidationError
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

        class Base(DeclarativeBase):
            pass

        class User(Base):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            email: Mapped[str]
            password_hash: Mapped[str]

        class PlainRead(BaseModel):  # no from_attributes
            id: int
            email: str

        class AttrRead(PlainRead):
            model_config = ConfigDict(from_attributes=True)

        app = FastAPI()

        @app.get("/me", response_model=PlainRead)
        def me():
            return User(id=7, email="ana@x.io", password_hash="h")

        print("response_model:", TestClient(app).get("/me").json())
        user = User(id=7, email="ana@x.io", password_hash="h")
        try:
            PlainRead.model_validate(user)
        except ValidationError as e:
            print("model_validate without it:", e.errors()[0]["type"])
        print("model_validate with it:", AttrRead.model_validate(user))
        """
    )
    result = runner.run(code)
    assert result.ok, result.problem()
    assert result.cells[0].stdout.splitlines() == [
        "response_model: {'id': 7, 'email': 'ana@x.io'}",
        "model_validate without it: model_type",
        "model_validate with it: id=7 email='ana@x.io'",
    ]
