"""Where a run's database comes from and where it goes: SQLite, or a fresh PostgreSQL database.

An example learns its database from two environment variables and falls back to its own SQLite
URL, so the same script runs unchanged with plain `python`:

    engine = create_engine(os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://"))

On SQLite neither variable is set (the example's fallback applies). On PostgreSQL every run gets
a database of its own, created before the run and dropped after it (also after a timeout, a crash
or a killed worker: `DROP DATABASE … WITH (FORCE)` ends any connection the example left), named
`sqlaquiz_run_<machine>_<pid>_…` so it is recognisable on a server the user owns. The server is
the one in $SQLAQUIZ_POSTGRES_URL, else a throwaway local one (quiz.sandbox.pg_local).
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from quiz.errors import EngineUnavailable
from quiz.sandbox.protocol import DATABASES

if TYPE_CHECKING:
    from concurrent.futures import Future

DEFAULT_ENV = "SQLAQUIZ_DB"  # the learner's default database
URL_ENV = "SQLAQUIZ_DATABASE_URL"
ASYNC_URL_ENV = "SQLAQUIZ_ASYNC_DATABASE_URL"
SERVER_ENV = "SQLAQUIZ_POSTGRES_URL"
RUN_PREFIX = "sqlaquiz_run_"


def default_database() -> str:
    """$SQLAQUIZ_DB, else sqlite."""
    from quiz.errors import UsageError

    value = os.environ.get(DEFAULT_ENV, "").strip().lower() or "sqlite"
    if value not in DATABASES:
        raise UsageError(f"{DEFAULT_ENV}={value!r}: use one of {', '.join(DATABASES)}")
    return value


class Database(Protocol):
    """What the runner needs of a database engine: one environment per run."""

    name: str

    def provision(self) -> contextlib.AbstractContextManager[dict[str, str]]:
        """A fresh database for one run: the environment variables that point the example at it."""
        ...

    def close(self) -> None: ...


class SQLite:
    """The default: the example's own in-memory or file SQLite, nothing to create or drop."""

    name = "sqlite"

    @contextlib.contextmanager
    def provision(self) -> Iterator[dict[str, str]]:
        yield {}

    def close(self) -> None:
        pass


def _missing_drivers() -> list[str]:
    return [name for name in ("psycopg", "asyncpg") if importlib.util.find_spec(name) is None]


def _host_tag() -> str:
    """A short tag for this machine, so a shared server's sweep never drops another machine's."""
    import socket
    import zlib

    return format(zlib.crc32(socket.gethostname().encode()), "08x")[:6]


class PostgreSQL:
    """A server (the user's, or a throwaway local one) and one fresh database per run."""

    name = "postgresql"

    def __init__(self, server_url: str, local: Any = None) -> None:
        # Imported here, as psycopg: a SQLite run (most runs) loads none of this.
        import secrets
        from concurrent.futures import ThreadPoolExecutor

        import psycopg

        self.server_url = server_url
        self.local = local  # a pg_local.LocalServer to stop on close, or None
        self._counter = itertools.count(1)
        self._spare_lock = threading.Lock()
        # One admin connection, used by one thread: databases are created ahead (a spare is
        # ready before a run asks) and dropped behind (a run's reply does not wait for it).
        self._admin_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlaquiz-pg")
        self._spares: list[Future[str]] = []
        try:
            self._admin = psycopg.connect(_libpq(server_url), autocommit=True, connect_timeout=5)
        except psycopg.Error as exc:
            if local is not None:
                local.stop()
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            where = _safe(server_url)
            raise EngineUnavailable(f"cannot connect to PostgreSQL at {where}: {reason}") from None
        self._machine = f"{RUN_PREFIX}{_host_tag()}_"
        # this engine's own names: two engines in one process (validate, then a session) never
        # share a name, so neither can drop the other's database
        self._prefix = f"{self._machine}{os.getpid()}_{secrets.token_hex(2)}_"
        self._sweep()
        self._spares.append(self._admin_thread.submit(self._create))

    @classmethod
    def open(cls) -> PostgreSQL:
        """The server in $SQLAQUIZ_POSTGRES_URL, else a throwaway local one; one line if none."""
        missing = _missing_drivers()
        if missing:
            raise EngineUnavailable(
                f"PostgreSQL needs the {' and '.join(missing)} driver"
                f'{"s" if len(missing) > 1 else ""}: pip install "sqlaquiz[postgres]"'
            )
        url = os.environ.get(SERVER_ENV, "").strip()
        if url:
            return cls(url)
        from quiz.sandbox import pg_local

        server = pg_local.LocalServer.start()  # raises EngineUnavailable with the hint
        return cls(server.url, local=server)

    def _sweep(self) -> None:
        """Drop this machine's run databases whose sqlaquiz process is gone (a SIGKILL)."""
        rows = self._admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (self._machine + "%",)
        ).fetchall()
        for (name,) in rows:
            pid = name[len(self._machine) :].split("_", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                with contextlib.suppress(Exception):
                    self._drop(name)

    def _drop(self, name: str) -> None:
        """Drop a database, ending any connection an example left open in it."""
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _create(self) -> str:
        name = f"{self._prefix}{next(self._counter)}"
        self._drop(name)
        self._admin.execute(f'CREATE DATABASE "{name}"')
        return name

    @contextlib.contextmanager
    def provision(self) -> Iterator[dict[str, str]]:
        with self._spare_lock:
            spare = self._spares.pop() if self._spares else self._admin_thread.submit(self._create)
            self._spares.append(self._admin_thread.submit(self._create))  # for the next run
        try:
            name = spare.result()
        except Exception as exc:
            raise EngineUnavailable(f"PostgreSQL could not create a database: {exc}") from None
        try:
            yield {
                URL_ENV: _with_database(self.server_url, "postgresql+psycopg", name),
                ASYNC_URL_ENV: _with_database(self.server_url, "postgresql+asyncpg", name),
            }
        finally:
            self._admin_thread.submit(self._drop, name)

    def close(self) -> None:
        """Drop every database this engine made, then stop a throwaway server."""
        for spare in self._spares:
            with contextlib.suppress(Exception):
                self._admin_thread.submit(self._drop, spare.result())
        self._admin_thread.shutdown(wait=True)
        with contextlib.suppress(Exception):
            self._admin.close()
        if self.local is not None:
            self.local.stop()


def open_database(name: str) -> Database:
    """The engine for `name` ("sqlite" or "postgresql"), ready to provision runs."""
    if name == "postgresql":
        return PostgreSQL.open()
    return SQLite()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _with_database(url: str, scheme: str, database: str) -> str:
    """`url` with SQLAlchemy's driver scheme and another database name."""
    parts = urlsplit(url)
    return urlunsplit((scheme, parts.netloc, "/" + database, parts.query, ""))


def _libpq(url: str) -> str:
    """A URL psycopg accepts: SQLAlchemy's `postgresql+driver://` becomes `postgresql://`."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
