"""Code as sqlaquiz draws it: an example with line numbers, one SQL statement.

Highlighted by one regular expression each rather than by Pygments (through Rich's Syntax),
whose Python and SQL lexers compile some two hundred expressions on first use: that cost more
than everything else in drawing a run's report. The colours are those of Rich's "ansi_dark"
theme for the same kinds of token, and the layout (numbers, wrapped lines) is Syntax's.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Callable, Iterable, Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from quiz.ui.folding import Fold

KEYWORD, TYPE, BUILTIN, FUNCTION, CLASS = (
    "bright_blue",
    "bright_cyan",
    "bright_cyan",
    "bright_green",
    "bright_green underline",
)
STRING, NUMBER, COMMENT, WORD_OPERATOR = "yellow", "bright_blue", "dim", "bright_magenta"
NAMESPACE, DECORATOR, MAGIC = "bright_cyan underline", "bold bright_magenta", "bright_red"
TAB_SIZE = 4

_PYTHON = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>(?:[rRbBuUfF]{1,2})?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
                                     |'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | (?P<decorator>(?<![\w)\]}])@[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>(?<![\w.])(?:0[xXoObB][0-9a-fA-F_]+|(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)
                             (?:[eE][+-]?[0-9]+)?[jJ]?))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)
_WORD_OPERATORS = {"and", "or", "not", "in", "is"}
_KEYWORDS = set(keyword.kwlist) - _WORD_OPERATORS
_SITE_NAMES = {"copyright", "credits", "license", "exit", "quit", "help"}  # not the language's
_BUILTINS = {
    name for name in dir(builtins) if not name.startswith("_") and name not in _SITE_NAMES
} - _KEYWORDS | {"self", "cls"}
_MAGIC_VARIABLES = {
    *("__annotations__", "__bases__", "__class__", "__closure__", "__code__", "__defaults__"),
    *("__dict__", "__doc__", "__file__", "__func__", "__globals__", "__kwdefaults__"),
    *("__module__", "__mro__", "__name__", "__objclass__", "__qualname__", "__self__"),
    *("__slots__", "__weakref__"),
}
_MAGIC_METHODS = {
    name
    for kind in (object, int, float, list, dict, set, type, BaseException)
    for name in dir(kind)
    if name.startswith("__") and name.endswith("__")
} - _MAGIC_VARIABLES | {
    *("__enter__", "__exit__", "__aenter__", "__aexit__", "__aiter__", "__anext__"),
    *("__await__", "__call__", "__get__", "__set__", "__delete__", "__del__", "__missing__"),
    *("__prepare__", "__index__", "__bytes__", "__complex__", "__round__", "__matmul__"),
}
_SOFT_KEYWORDS = {"match", "case"}  # only at the start of a line, as statements

_SQL = re.compile(
    r"""
    (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:''|[^'])*'|"(?:""|[^"])*")
  | (?P<number>(?<![\w$])[0-9]+)
  | (?P<word>[A-Za-z_][\w$]*)
    """,
    re.VERBOSE | re.DOTALL,
)


def _sql_words() -> tuple[frozenset[str], frozenset[str]]:
    # The keyword and type lists Pygments' SQL lexer uses (plain tuples, nothing compiled).
    from pygments.lexers._sql_builtins import DATATYPES, KEYWORDS

    return frozenset(KEYWORDS), frozenset(DATATYPES)


_SQL_KEYWORDS, _SQL_TYPES = _sql_words()


def _styled(source: str, spans: Iterable[tuple[int, int, str]]) -> Text:
    text = Text(source, tab_size=TAB_SIZE, justify="default")  # as Syntax's: lines not padded
    for start, end, style in spans:
        text.stylize(style, start, end)
    return text


def _python_spans(source: str, offset: int = 0) -> Iterable[tuple[int, int, str]]:
    previous, statement_import = "", False  # the last name seen; an `import` that starts a line
    for match in _PYTHON.finditer(source):
        kind, start, end = match.lastgroup, match.start() + offset, match.end() + offset
        if kind == "comment":
            yield start, end, COMMENT
        elif kind == "string":
            yield from _string_spans(match.group(), start)
        elif kind == "decorator":
            yield start, end, DECORATOR
        elif kind == "number":
            yield start, end, NUMBER
        else:
            word = match.group()
            after_dot = match.start() > 0 and source[match.start() - 1] == "."
            if word in _MAGIC_VARIABLES:
                yield start, end, MAGIC
            elif word in _MAGIC_METHODS or previous == "def":
                yield start, end, FUNCTION
            elif previous == "class":
                yield start, end, CLASS
            elif (
                not after_dot
                and (
                    previous == "from"
                    or statement_import
                    # `import a, b`: every module after a comma too
                    or (
                        source[: match.start()].rstrip().endswith(",")
                        and _in_import(source, match.start())
                    )
                )
            ):
                yield start, _dotted_end(source, match.end()) + offset, NAMESPACE
            elif previous == "as" and _in_import(source, match.start()):
                yield start, end, NAMESPACE
            elif word in _WORD_OPERATORS:
                yield start, end, WORD_OPERATOR
            elif word in _KEYWORDS or (
                word in _SOFT_KEYWORDS and _starts_line(source, match.start())
            ):
                yield start, end, KEYWORD
            elif word in _BUILTINS and not after_dot:
                yield start, end, BUILTIN
            statement_import = word == "import" and _starts_line(source, match.start())
            previous = word


def _string_spans(literal: str, start: int) -> Iterable[tuple[int, int, str]]:
    """A string literal; in an f-string the expressions between braces are code."""
    prefix = len(literal) - len(literal.lstrip("rRbBuUfF"))
    if "f" not in literal[:prefix].lower():
        yield start, start + len(literal), STRING
        return
    i, literal_from = prefix, 0
    while i < len(literal):
        if literal.startswith(("{{", "}}"), i):
            i += 2
        elif literal[i] == "{":
            close = _closing_brace(literal, i)
            yield start + literal_from, start + i + 1, STRING
            code_end = _expression_end(literal, i + 1, close)
            yield from _python_spans(literal[i + 1 : code_end], start + i + 1)
            literal_from, i = code_end, close + 1
        else:
            i += 1
    yield start + literal_from, start + len(literal), STRING


def _expression_end(literal: str, begin: int, close: int) -> int:
    """Where the expression in an f-string's braces ends: at `!r` or `:spec` outside any
    bracket or string in it, else at the closing brace."""
    depth, quote = 0, ""
    for i in range(begin, close):
        ch = literal[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and (ch == ":" or (ch == "!" and literal[i + 1 : i + 2] != "=")):
            return i
    return close


def _closing_brace(literal: str, opening: int) -> int:
    depth = 0
    for i in range(opening, len(literal)):
        if literal[i] in "{[(":
            depth += 1
        elif literal[i] in "}])":
            depth -= 1
            if depth == 0:
                return i
    return len(literal) - 1


def _after_comma_in_import(source: str, start: int) -> bool:
    """A module named after a comma in an `import a, b` statement."""
    return source[:start].rstrip().endswith(",") and _in_import(source, start)


def _in_import(source: str, start: int) -> bool:
    """In an `import x as y` statement (a `from` import's alias is a plain name)."""
    line_start = source.rfind("\n", 0, start) + 1
    return source[line_start:start].lstrip().startswith("import ")


def _dotted_end(source: str, end: int) -> int:
    """Where a dotted module name (`sqlalchemy.orm`) that starts before `end` ends."""
    while end < len(source) and source[end] == "." and end + 1 < len(source):
        following = re.match(r"[A-Za-z_][A-Za-z0-9_]*", source[end + 1 :])
        if following is None:
            break
        end += 1 + following.end()
    return end


def _starts_line(source: str, start: int) -> bool:
    line_start = source.rfind("\n", 0, start) + 1
    return not source[line_start:start].strip()


def python(source: str) -> Text:
    """Python source, highlighted."""
    return _styled(source, _python_spans(source))


def sql(statement: str) -> Text:
    """One SQL statement, highlighted (keywords matched in any case, as Pygments does)."""
    statement = statement.expandtabs(TAB_SIZE)  # SQLAlchemy indents CREATE TABLE with tabs

    def spans() -> Iterable[tuple[int, int, str]]:
        for match in _SQL.finditer(statement):
            kind, start, end = match.lastgroup, match.start(), match.end()
            if kind == "comment":
                yield start, end, COMMENT
            elif kind == "string":
                yield start, end, STRING
            elif kind == "number":
                yield start, end, NUMBER
            else:
                word = match.group().upper()
                if word in _SQL_KEYWORDS:
                    yield start, end, KEYWORD
                elif word in _SQL_TYPES:
                    yield start, end, TYPE

    return _styled(statement, spans())


class NumberedCode:
    """Highlighted Python with line numbers; a long line wraps under its own first column.

    `shown` (line numbers and folds, see quiz/ui/folding.py) draws part of it: each fold is a
    row that says how many lines it hides. The whole source is highlighted either way, so a
    line inside a string that starts above a fold still reads as a string."""

    def __init__(self, source: str, shown: Sequence[int | Fold] | None = None) -> None:
        self.lines = python(source.expandtabs(TAB_SIZE)).split("\n", allow_blank=True)
        self.gutter = len(str(len(self.lines))) + 2  # Syntax's: two spaces, then the number
        self.shown = shown

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((line.cell_len for line in self.lines), default=0)
        return Measurement(self.gutter, self.gutter + 1 + widest)

    def code_options(self, options: ConsoleOptions) -> ConsoleOptions:
        """The options each line is drawn with, right of the numbers."""
        return options.update(
            width=max(1, options.max_width - self.gutter - 1), height=None, justify="left"
        )

    def rows(self, console: Console, options: ConsoleOptions) -> Callable[[int], int]:
        """How many rows line n takes at this width."""
        code_options = self.code_options(options)
        counts: dict[int, int] = {}

        def rows(n: int) -> int:  # asked again and again while a fold is planned
            if n not in counts:
                line = self.lines[n - 1]
                fits = line.cell_len <= code_options.max_width  # most lines: no need to draw
                counts[n] = 1 if fits else len(console.render_lines(line, code_options, pad=False))
            return counts[n]

        return rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        code_options = self.code_options(options)
        number_style = Style(dim=True)
        continued = Segment(" " * (self.gutter + 1))
        new_line = Segment.line()
        shown = self.shown if self.shown is not None else range(1, len(self.lines) + 1)
        for item in shown:
            if isinstance(item, Fold):
                yield Segment(" " * (self.gutter - 1) + "⋯ ", number_style)
                lines = "line" if item.count == 1 else "lines"
                yield Segment(f"{item.count} {lines} folded", number_style)
                yield new_line
                continue
            number, line = item, self.lines[item - 1]
            rows = console.render_lines(line, code_options, pad=False)
            for row, segments in enumerate(rows):
                if row == 0:
                    yield Segment("  ")
                    yield Segment(str(number).rjust(self.gutter - 2) + " ", number_style)
                else:
                    yield continued
                yield from segments
                yield new_line
