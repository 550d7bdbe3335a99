"""How a run looks: per-cell statements, the verdict, edit comparison, validate's table (its
JSON, without Rich: quiz/ui/run_json.py)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from quiz.deck.cards import Card
from quiz.editor import CellOutcome, EditedRun, edit_failures
from quiz.sandbox.client import CellResult, RunResult, Statement
from quiz.sandbox.protocol import DATABASE_NAMES, LOG_LIMIT
from quiz.ui.card_view import code
from quiz.ui.code import sql as highlighted_sql
from quiz.ui.folding import is_setup
from quiz.ui.safe import safe, safe_text
from quiz.ui.style import plural

# --------------------------------------------------------------------------- run reports


def _statement(st: Statement) -> RenderableType:
    marks = Text()
    if st.load:
        marks.append(safe(f" [{st.load} load {st.relationship}]"), style="magenta")
    if st.duplicate_of is not None:
        marks.append(f" [duplicate of #{st.duplicate_of}]", style="bold red")
    elif st.similar_to is not None:
        marks.append(f" [same SQL as #{st.similar_to}]", style="yellow")
    if st.many:
        marks.append(" [executemany]", style="dim")
    if st.failed and st.sent:
        marks.append(" [failed]", style="bold red")
    if st.thread != "MainThread":
        marks.append(safe(f" [thread {st.thread}]"), style="dim")
    if st.sent:
        head = Text(f"#{st.n}", style="bold")
        head.append(f"  {st.ms:.2f} ms", style="dim")
    else:  # no number: it is not one of the cell's queries
        head = Text("not sent", style="bold red")
    head.append_text(marks)
    sql = highlighted_sql(safe(st.sql))
    parts: list[RenderableType] = [head, sql]
    if st.params not in (None, [], (), {}):
        parts.append(safe_text(f"   params: {st.params}", style="dim"))
    if st.error is not None:
        why = "error" if st.sent else "stopped before the driver"
        parts.append(safe_text(f"   {why}: {st.error}", style="red"))
    return Group(*parts)


def _runs(statements: list[Statement]) -> list[list[Statement]]:
    """Consecutive statements with the same SQL and the same load tag, grouped."""
    runs: list[list[Statement]] = []
    for st in statements:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and st.sql == last.sql
            and st.load == last.load
            and not st.failed
            and not last.failed
        ):
            runs[-1].append(st)
        else:
            runs.append([st])
    return runs


def _repeats(run: list[Statement]) -> Text:
    """One line for the 2nd..nth statement of a run: how many, which numbers, which params."""
    first, last = run[1], run[-1]
    text = Text(f"#{first.n}–#{last.n}" if len(run) > 2 else f"#{first.n}", style="bold")
    text.append(f"  {len(run) - 1} more of the same SQL", style="yellow")
    if run[0].load:
        text.append(safe(f" [{run[0].load} load {run[0].relationship}]"), style="magenta")
    dups = sum(1 for st in run[1:] if st.duplicate_of is not None)
    if dups:
        text.append(f" [{dups} exact duplicate{'s' if dups != 1 else ''}]", style="bold red")
    params = [str(st.params) for st in run[1:]]
    shown = ", ".join(params) if len(params) <= 4 else ", ".join(params[:3]) + f", … {params[-1]}"
    text.append(safe(f"\n   params: {shown}"), style="dim")
    return text


def statement_kinds(statements: list[Statement]) -> str:
    """What a cell's statements were, by kind: `4 PRAGMA · 2 CREATE TABLE · 16 INSERT`."""
    kinds: dict[str, int] = {}
    for st in statements:
        words = [w.upper() for w in st.sql.split()[:5]]
        if words and words[0] in ("CREATE", "DROP", "ALTER"):
            what = [w for w in words[1:] if w not in ("UNIQUE", "TEMP", "TEMPORARY", "OR")]
            what = [w for w in what if w != "REPLACE"]
            kind = " ".join([words[0], *what[:1]])
        else:
            kind = words[0] if words else "(empty)"
        kinds[kind] = kinds.get(kind, 0) + 1
    return " · ".join(f"{n} {kind}" for kind, n in kinds.items())


def _folded_statements(cell: CellResult, expand: str) -> Text:
    """One line for the statements of a setup cell: what kinds, and how to see them."""
    text = Text(safe(statement_kinds([st for st in cell.statements if st.sent])), style="dim")
    text.append(f" — summed up; {expand}", style="dim italic")
    return text


def cell_report(
    cell: CellResult, index: int, total_cells: int, fold_setup: str | None = None
) -> RenderableType:
    """One cell's statements, output, warnings and error. `fold_setup`: how the user sees the
    statements of the setup cell in full; given, they are summed up in one line (the 20
    PRAGMA and CREATE TABLE statements of a setup are noise next to the cells that follow)."""
    parts: list[RenderableType] = []
    folded = (
        fold_setup is not None
        and is_setup(cell.title)
        and bool(cell.statements)
        and not cell.n_plus_one
        and not any(st.failed or not st.sent for st in cell.statements)
    )
    if folded:
        assert fold_setup is not None
        parts.append(_folded_statements(cell, fold_setup))
    for run in [] if folded else _runs(cell.statements):
        parts.append(_statement(run[0]))
        if len(run) > 1:
            parts.append(_repeats(run))
    if cell.statements_truncated and not folded:
        shown = sum(1 for st in cell.statements if st.sent)
        parts.append(Text(f"… {cell.queries - shown} more statements not shown", style="dim"))
    if cell.log_truncated:
        parts.append(Text(LOG_TRUNCATED, style="yellow"))
    for hint in cell.n_plus_one:
        rel = hint.relationship
        parts.append(
            safe_text(
                f"N+1: {plural(hint.lazy_loads, 'lazy load')} of {rel} — load it up front with "
                f"selectinload({rel}) or joinedload({rel})",
                style="bold yellow",
            )
        )
    for stream, name, border in (
        (cell.stdout, "output", "dim"),
        (cell.stderr, "stderr", "yellow"),
    ):
        if stream:
            parts.append(
                Panel(
                    safe_text(stream.rstrip("\n")),
                    title=name,
                    title_align="left",
                    border_style=border,
                )
            )
    for w in cell.warnings:
        where = f" (line {w.line})" if w.line else ""
        parts.append(safe_text(f"⚠ {w.category}{where}: {w.message}", style="yellow"))
    if cell.warnings_dropped:
        parts.append(Text(f"⚠ … and {cell.warnings_dropped:,} more warnings", style="yellow"))
    if cell.error is not None:
        where = f" at line {cell.error.line}" if cell.error.line else ""
        parts.append(
            safe_text(f"✗ {cell.error.type}{where}: {cell.error.message}", style="bold red")
        )
    if not parts:
        parts.append(Text("no SQL, no output", style="dim"))
    title = safe_text(f"cell {index}/{total_cells} · {cell.title}", style="bold")
    title.append(f" — {queries_word(cell.queries)}", style="bold cyan")
    if cell.not_sent:
        title.append(f" · {len(cell.not_sent)} not sent", style="bold red")
    return Panel(
        Group(*parts), title=title, title_align="left", border_style="red" if cell.error else "cyan"
    )


def queries_word(n: int) -> str:
    return f"{n} {'query' if n == 1 else 'queries'}"


def verdict_line(
    result: RunResult, failures: Iterable[str] = (), expected: str | None = None
) -> Text:
    failures = list(failures)
    counts = " · ".join(f"{c.title}: {c.queries}" for c in result.cells)
    summary = f"{queries_word(result.queries)} in {plural(len(result.cells), 'cell')}"
    if counts and len(result.cells) > 1:
        summary += f" ({counts})"
    summary += f" · {result.wall_seconds:.2f} s"
    if result.output_dropped:
        summary += f" · output truncated ({plural(result.output_dropped, 'character')} dropped)"
    if result.log_truncated:
        summary += " · SQL log truncated"
    summary = safe(summary)  # cell titles are the example's
    if failures:
        text = Text("✗ ", style="bold red")
        text.append(safe("; ".join(failures)), style="red")
        text.append(f"  [{summary}]", style="dim")
        return text
    err = result.error
    if err is not None and expected is not None and err.matches(expected):
        return safe_text(f"✓ raised {err.type} as the card says · {summary}", style="bold green")
    problem = result.problem()
    if problem:
        return safe_text(f"✗ {problem}  [{summary}]", style="bold red")
    return Text(f"✓ {summary}", style="bold green")


def report(
    result: RunResult,
    source: str | None = None,
    failures: Iterable[str] = (),
    expected: str | None = None,
    title: str = "example.py",
    fold_setup: str | None = None,
) -> RenderableType:
    """A run: the code (when `source` is given), each cell, the verdict. `fold_setup`: how to
    see the setup cell's statements, summed up in one line (None: every statement shown)."""
    parts: list[RenderableType] = []
    if source is not None:
        parts.append(code(source, title=title))
    for i, cell in enumerate(result.cells, start=1):
        parts.append(cell_report(cell, i, len(result.cells), fold_setup))
    parts.append(verdict_line(result, failures, expected))
    if result.sandbox in (None, "off") and result.cells:
        parts.append(NO_SANDBOX if result.sandbox is None else SANDBOX_OFF)
    return Group(*parts)


LOG_TRUNCATED = (
    f"… the run's log is full ({LOG_LIMIT // 1_000_000} MB of statements, parameters and "
    "warnings): the rest of this cell's is counted, not shown"
)

NO_SANDBOX = Text(
    "⚠ no sandbox on this system (it needs Linux 5.13+ with Landlock): "
    "the example ran with your user's permissions",
    style="yellow",
)


SANDBOX_OFF = Text(
    "⚠ sandbox off (SQLAQUIZ_SANDBOX=off): the example ran with your user's permissions",
    style="yellow",
)


def _edit_outcome(outcome: CellOutcome | None) -> Text:
    if outcome is None:
        return Text("—", style="dim")
    if outcome.queries is None:
        return Text("did not run", style="dim")
    if outcome.error is None:
        return Text(str(outcome.queries))
    if outcome.expected:
        return safe_text(f"{outcome.queries} ✓ raised {outcome.error}", style="green")
    return safe_text(f"{outcome.queries} ✗ {outcome.error}", style="red")


def _run_total(result: RunResult, failures: list[str]) -> Text:
    if result.crash:
        return safe_text(f"{result.queries} ✗ {result.crash.split(':')[0]}", style="bold red")
    if failures:
        return Text(f"{result.queries} ✗", style="bold red")
    return Text(str(result.queries), style="bold")


def compare_counts(both: EditedRun, expected: str | None = None) -> Table:
    """Each cell's queries and outcome in the original and in the edit: a cell that failed
    shows its exception, one that never ran says so, cells added or removed are marked; a
    card that is meant to raise is judged the same way in both."""
    table = Table(title="original → your edit", title_justify="left")
    table.add_column("cell")
    table.add_column("original", justify="right")
    table.add_column("your edit", justify="right")
    table.add_column("")
    for change in both.changes(expected):
        mark = ""
        if change.original is None:
            mark = "added"
        elif change.edited is None:
            mark = "removed"
        elif change.original != change.edited:
            mark = "changed"
        table.add_row(
            safe_text(change.title),
            _edit_outcome(change.original),
            _edit_outcome(change.edited),
            Text(mark, style="yellow" if mark else ""),
        )
    table.add_row(
        Text("total", style="bold"),
        _run_total(both.original, edit_failures(both.original, expected)),
        _run_total(both.result, edit_failures(both.result, expected)),
        "",
    )
    return table


# --------------------------------------------------------------------------- validate


def _outcome(cell: CellResult | None, result: RunResult) -> tuple[str, str]:
    """(what a cell did on one database, its comparable key) for the side-by-side table."""
    if cell is None:
        return ("did not run" if not result.crash else result.crash.split(":")[0]), "absent"
    text = queries_word(cell.queries)
    if cell.error is not None:
        text += f" ✗ {cell.error.type}"
    return text, f"{cell.queries}/{cell.error.type if cell.error else ''}"


def compare_databases(results: dict[str, RunResult], failures: dict[str, list[str]]) -> Table:
    """Per cell, the query count and outcome on each database; rows that differ stand out."""
    table = Table(title="the same example on each database", title_justify="left")
    table.add_column("cell")
    for name in results:
        table.add_column(DATABASE_NAMES.get(name, name), justify="right")
    table.add_column("")
    titles = list(dict.fromkeys(c.title for r in results.values() for c in r.cells))
    for title in titles:
        outcomes = [_outcome(r.cell(title), r) for r in results.values()]
        differs = len({key for _, key in outcomes}) > 1
        style = "bold yellow" if differs else ""
        table.add_row(
            safe_text(title),
            *(safe_text(text, style=style) for text, _ in outcomes),
            Text("≠ differs", style="bold yellow") if differs else Text(""),
        )
    totals = [
        Text(queries_word(r.queries) + (" ✓" if not failures[n] else " ✗"),
             style="green" if not failures[n] else "red")
        for n, r in results.items()
    ]  # fmt: skip
    table.add_section()
    table.add_row(Text("total", style="bold"), *totals, "")
    for name, problems in failures.items():
        for problem in problems:
            table.add_row(
                Text(f"✗ {DATABASE_NAMES.get(name, name)}", style="red"), safe_text(problem)
            )
    return table


def validate_table(rows: list[tuple[Card, RunResult | None, list[str]]]) -> Table:
    table = Table(title="sqlaquiz validate --run", title_justify="left")
    table.add_column("card")
    table.add_column("cells", justify="right")
    table.add_column("queries", justify="right")
    table.add_column("verdict", overflow="fold")
    for card, result, failures in rows:
        if result is None:
            names = " and ".join(DATABASE_NAMES.get(d, d) for d in card.databases)
            why = f"runs on {names} only" if card.example else "no example"
            table.add_row(safe_text(card.id), "—", "—", Text(why, style="dim"))
            continue
        verdict = (
            Text("✓ ok", style="green")
            if not failures
            else safe_text("✗ " + "; ".join(failures), style="red")
        )
        table.add_row(safe_text(card.id), str(len(result.cells)), str(result.queries), verdict)
    return table
