"""`sqlaquiz run` from the shell: its worker starts before the command line has even loaded.

A one-shot run cannot amortise a warm worker, so it runs in a cold one (quiz/sandbox/worker.py),
whose own start-up then is the run's: this starts it first thing, so that it overlaps everything
sqlaquiz itself loads. With `--file` on SQLite the request goes right after it; for a card it
goes once the deck cache gives the code. This only starts early what the run command would
start anyway: the command checks its options as always, uses the worker only if it is of the
kind it wants, and the request only if it is exactly the one it would send
(`Runner(prestarted=...)`). An unusual command line starts nothing here.
"""

from __future__ import annotations

import atexit
import os
import stat
import sys

TYPE_CHECKING = False  # not typing's: importing typing here would delay the worker's start
if TYPE_CHECKING:
    from quiz.sandbox.process import WorkerProcess

# The options of `run` this understands; any other (--export, --edit, --help, --db both, ...)
# and nothing starts early.
_VALUED = ("--file", "-f", "--timeout", "--db", "--deck")
_FLAGS = ("--json",)

_TIMEOUTS = (0.1, 3600.0)  # what `--timeout` accepts (cli.TimeoutOpt); outside it, Typer refuses

_STARTED: list[WorkerProcess] = []


def _is_the_sqlaquiz_command() -> bool:
    """This process is `sqlaquiz` or `python -m quiz` (not a test importing the CLI)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "quiz.__main__":
        return True
    script = os.path.basename(getattr(main, "__file__", None) or "")
    return script in ("sqlaquiz", "sqlaquiz.exe", "sqlaquiz-script.py")


def _parse(args: list[str]) -> dict[str, str] | None:
    """`run` and its options as given, or None if this is not a run to start early."""
    if not args or args[0] != "run":
        return None
    options: dict[str, str] = {}
    rest = args[1:]
    while rest:
        arg = rest.pop(0)
        name, equals, value = arg.partition("=")
        if arg in _FLAGS:
            options[arg] = ""
        elif name in _VALUED and equals:
            options[name] = value
        elif arg in _VALUED and rest:
            options[arg] = rest.pop(0)
        elif not arg.startswith("-") and "card" not in options:
            options["card"] = arg
        else:
            return None
    if "-f" in options:
        options["--file"] = options.pop("-f")
    if ("card" in options) == ("--file" in options):
        return None
    return options


def start_run_worker(argv: list[str] | None = None) -> None:
    """If this process is `sqlaquiz run ...` (one example, one database), start its cold worker
    now, and send the request too when it is already known."""
    if not _is_the_sqlaquiz_command():
        return
    options = _parse(sys.argv[1:] if argv is None else argv)
    if options is None:
        return
    database = options.get("--db") or os.environ.get("SQLAQUIZ_DB", "").strip().lower()
    timeout_text = options.get("--timeout") or os.environ.get("SQLAQUIZ_TIMEOUT", "").strip()
    if not (database and timeout_text):
        configured = _configured()  # what the config file says, when there is one
        if configured is None:
            return  # a bad config file: the command says why, in one line
        database = database or configured[0]
        timeout_text = timeout_text or configured[1]
    if database not in ("sqlite", "postgresql"):
        return
    try:
        timeout = float(timeout_text)
    except ValueError:
        return
    script = options.get("--file")
    if script is not None and not _is_regular_file(script):
        return  # the command says why, in one line; nothing to run
    from quiz.sandbox.process import WorkerError, WorkerProcess

    worker = WorkerProcess(
        fork=hasattr(os, "fork"),
        database=database,
        warm=False,
        sandbox=os.environ.get("SQLAQUIZ_SANDBOX") != "off",  # as client.sandbox_wanted says
    )
    _STARTED.append(worker)
    atexit.register(_close)
    if script is None or database != "sqlite" or not _TIMEOUTS[0] <= timeout <= _TIMEOUTS[1]:
        return  # the request goes from the command, once it knows it
    from pathlib import Path

    from quiz.paths import MAX_DECK_BYTES, read_text
    from quiz.sandbox.client import Runner

    try:  # read as the command reads it (commands.run.read_script): its size, kind, encoding
        code = read_text(Path(script), MAX_DECK_BYTES)
    except (OSError, UnicodeDecodeError):
        _close()  # the command will say why
        return
    # Built the way the command builds it (the file's label is the Path's), so that the two
    # compare equal.
    runner = Runner(timeout=timeout, warm=False)
    try:
        worker.send(runner.request_for(code, str(Path(script)), script=str(Path(script))))
    except WorkerError:  # it died starting: the command runs the script itself, and says so
        _close()


def _configured() -> tuple[str, str] | None:
    """The db and timeout settings, as the command will read them: the defaults when there is
    no config file (known without importing the settings' module on Linux, where the file's
    place is plain), else what quiz.config reads; None when it cannot be read."""
    if sys.platform == "linux" and not os.environ.get("SQLAQUIZ_CONFIG"):
        home = os.environ.get("SQLAQUIZ_HOME")
        xdg = os.environ.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
        path = (
            os.path.join(home, "config.toml")
            if home
            else os.path.join(xdg, "sqlaquiz", "config.toml")
        )
        if not os.path.lexists(os.path.expanduser(path)):
            return "sqlite", "10"
    from quiz import config
    from quiz.errors import QuizError

    try:
        settings = config.load()
    except QuizError:
        return None
    return settings.db, repr(settings.timeout)


def _is_regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def take() -> WorkerProcess | None:
    """The worker started here, for the run command's runner (which then closes it)."""
    return _STARTED.pop() if _STARTED else None


def _close() -> None:
    """A worker nobody took (the command failed before running): end it and its run."""
    while _STARTED:
        _STARTED.pop().close(stop=True)
