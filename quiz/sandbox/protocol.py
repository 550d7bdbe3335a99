"""The records that cross the pipe between the runner and its worker, and every default once.

The client sends a `RunRequest` as one JSON line; the worker answers with one JSON line that
`RunResult.from_dict` reads back into typed records. Nothing on either side parses dicts by hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

DEFAULT_TIMEOUT = 10.0  # seconds an example may run
DEFAULT_MEMORY_MB = 1024  # what an example may add to the worker's address space
OUTPUT_LIMIT = 1_000_000  # characters of stdout + stderr kept per run
# Characters of everything else a run sends back (SQL text, parameters, thread names, warnings,
# messages), per run; past it statements and warnings are counted but not kept, and the cell
# says so (`log_truncated`). A run's whole result is at most about OUTPUT_LIMIT + LOG_LIMIT.
LOG_LIMIT = 4_000_000
MAX_CELLS = 300  # cells past this one run as one last cell
# The largest file a run may write (RLIMIT_FSIZE where there is one): its result file too, so
# an example that writes into that file's descriptor directly cannot send back more than this.
FILE_LIMIT = 32 * 2**20

Database = Literal["sqlite", "postgresql"]
DATABASES: tuple[Database, ...] = ("sqlite", "postgresql")  # every engine a run can have
DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}  # as people write them


@dataclass(frozen=True)
class RunRequest:
    """One example to run. `env` points the example at its database (see sandbox.engines)."""

    code: str
    filename: str = "example.py"
    batch: bool = False  # more runs follow at once: the worker skips priming the next child
    timeout: float = DEFAULT_TIMEOUT
    memory_bytes: int | None = DEFAULT_MEMORY_MB * 2**20
    output_limit: int = OUTPUT_LIMIT
    env: dict[str, str] = field(default_factory=dict)
    sandbox: bool = True  # Landlock where the kernel has it (False: SQLAQUIZ_SANDBOX=off)
    # `run --file` runs a script as `python script.py` would: its folder first on sys.path and
    # the user's working directory as its own; both readable, neither writable in the sandbox.
    script_dir: str | None = None
    cwd: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRequest:
        return cls(**data)


@dataclass(frozen=True)
class Statement:
    """One statement the example executed: sent to the database driver, or stopped before."""

    n: int | None  # numbered in the order the driver got them; None when it never got this one
    sql: str
    params: Any
    ms: float
    many: bool = False
    load: str | None = None  # "lazy", "selectin" or "subquery" when a relationship load sent it
    relationship: str | None = None  # e.g. "User.posts"
    failed: bool = False  # it raised (in the driver, or on its way there when not sent)
    sent: bool = True  # the driver was asked to run it; only these count as queries
    error: str | None = None  # why it failed, one line ("InvalidRequestError: A value is ...")
    thread: str = "MainThread"
    duplicate_of: int | None = None
    similar_to: int | None = None
    dialect: str | None = None  # the SQLAlchemy dialect that sent it: "sqlite", "postgresql"


@dataclass(frozen=True)
class ExampleError:
    """An exception raised by the example, in the example's own line numbering."""

    type: str
    qualname: str
    message: str
    line: int | None

    def matches(self, expected: str) -> bool:
        return expected in (self.type, self.qualname)


@dataclass(frozen=True)
class CapturedWarning:
    """A warning the example triggered; `line` in the example's numbering when it is its own."""

    category: str
    message: str
    line: int | None


@dataclass(frozen=True)
class NPlusOne:
    """A relationship lazily loaded once per object, `lazy_loads` times in one cell."""

    relationship: str
    lazy_loads: int


@dataclass(frozen=True)
class CellResult:
    title: str
    first_line: int
    queries: int
    statements: list[Statement]
    stdout: str
    stderr: str
    warnings: list[CapturedWarning]
    seconds: float
    error: ExampleError | None = None
    statements_truncated: bool = False
    n_plus_one: list[NPlusOne] = field(default_factory=list)
    warnings_dropped: int = 0
    log_truncated: bool = False  # statements or warnings left out: the run's LOG_LIMIT was reached

    @property
    def lazy_loads(self) -> int:
        return sum(1 for s in self.statements if s.load == "lazy" and s.sent)

    @property
    def not_sent(self) -> list[Statement]:
        """Statements that failed before the driver got them (shown, never counted)."""
        return [s for s in self.statements if not s.sent]

    @classmethod
    def from_dict(cls, c: dict[str, Any]) -> CellResult:
        err = c.get("error")
        return cls(
            title=c["title"],
            first_line=c["first_line"],
            queries=c["queries"],
            statements=[Statement(**s) for s in c["statements"]],
            stdout=c["stdout"],
            stderr=c["stderr"],
            warnings=[CapturedWarning(**w) for w in c["warnings"]],
            seconds=c["seconds"],
            error=ExampleError(**err) if err else None,
            statements_truncated=c.get("statements_truncated", False),
            n_plus_one=[NPlusOne(**h) for h in c.get("n_plus_one", [])],
            warnings_dropped=c.get("warnings_dropped", 0),
            log_truncated=c.get("log_truncated", False),
        )


@dataclass(frozen=True)
class RunResult:
    """What really happened when an example ran."""

    cells: list[CellResult]
    finished: bool
    timed_out: bool
    crash: str | None
    output_dropped: int
    wall_seconds: float
    database: str = "sqlite"
    sandbox: str | None = None  # "landlock ABI 7"; "off" when turned off; None: none here

    @property
    def queries(self) -> int:
        return sum(c.queries for c in self.cells)

    @property
    def error(self) -> ExampleError | None:
        return next((c.error for c in self.cells if c.error is not None), None)

    @property
    def ok(self) -> bool:
        return self.finished and self.error is None and self.crash is None

    @property
    def log_truncated(self) -> bool:
        """Whether some cell's statements or warnings were left out at the run's LOG_LIMIT."""
        return any(c.log_truncated for c in self.cells)

    def cell(self, title: str) -> CellResult | None:
        return next((c for c in self.cells if c.title == title), None)

    def problem(self) -> str | None:
        """One line for what went wrong, or None."""
        if self.crash:
            return self.crash
        err = self.error
        if err is not None:
            where = f" at line {err.line}" if err.line else ""
            return f"{err.type}{where}: {err.message}"
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        return cls(
            cells=[CellResult.from_dict(c) for c in data["cells"]],
            finished=data["finished"],
            timed_out=data["timed_out"],
            crash=data["crash"],
            output_dropped=data.get("output_dropped", 0),
            wall_seconds=data.get("wall_seconds", 0.0),
            database=data.get("database", "sqlite"),
            sandbox=data.get("sandbox"),
        )

    @classmethod
    def crashed(cls, reason: str, database: str = "sqlite") -> RunResult:
        """A run that produced nothing: the worker itself failed."""
        return cls([], False, False, reason, 0, 0.0, database, None)
