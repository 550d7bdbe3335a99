"""Your settings, and where each value came from: a flag, the environment, the config file, or
the default (in that order of precedence).

The config file is TOML (`config.toml` in the user config directory, `$SQLAQUIZ_HOME` when set,
or the file `$SQLAQUIZ_CONFIG` names) holding flat `key = value` lines. `load()` reads it once
into a frozen `Settings`; a command then lays its flags over it with `Settings.override`. A bad
value, in the file or the environment, is a `ConfigError`: one line naming the file (and line)
or the variable, the key, and what is allowed.

`set_value` / `unset_value` change one key by rewriting only its own line(s), so the user's
comments and the order of the other lines stay as they were.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from quiz.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_ENV = "SQLAQUIZ_CONFIG"  # the config file to use instead of the usual one
FILE_NAME = "config.toml"
MAX_CONFIG_BYTES = 2**20


# ------------------------------------------------------------------ the kinds of value


@dataclass(frozen=True)
class Kind:
    """How a key's value is checked, read from text (the environment, `config set`) and shown."""

    allowed: str  # what is allowed, as the end of the one-line error: "use ..."
    check: Callable[[Any], Any]  # a TOML value -> the setting's value; ValueError when not allowed
    from_text: Callable[[list[str]], Any]  # words typed by the user -> a TOML value
    show: Callable[[Any], str] = str
    to_toml: Callable[[Any], Any] = lambda value: value  # the setting's value -> a TOML value


def _whole(low: int, high: int) -> Kind:
    def check(value: Any) -> int:
        if type(value) is not int or not low <= value <= high:
            raise ValueError
        return value

    def from_text(words: list[str]) -> Any:
        text = " ".join(words).strip()
        return int(text) if re.fullmatch(r"-?[0-9]+", text) else text

    return Kind(f"use a whole number from {low} to {high}", check, from_text)


def _number(low: float, high: float, unit: str = "") -> Kind:
    def check(value: Any) -> float:
        if type(value) not in (int, float) or not math.isfinite(value) or not low <= value <= high:
            raise ValueError
        return float(value)

    def from_text(words: list[str]) -> Any:
        text = " ".join(words).strip()
        try:
            return float(text)
        except ValueError:
            return text

    return Kind(
        f"use a number{unit} from {low:g} to {high:g}",
        check,
        from_text,
        show=lambda value: f"{value:g}",
        to_toml=lambda value: int(value) if value == int(value) else value,
    )


def _choice(*options: str) -> Kind:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in options:
            raise ValueError
        return value.strip().lower()

    return Kind(f"use one of {', '.join(options)}", check, lambda words: " ".join(words).strip())


def _text(allowed: str) -> Kind:
    def check(value: Any) -> str:
        if not isinstance(value, str) or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise ValueError
        return value.strip()

    return Kind(allowed, check, lambda words: " ".join(words).strip(), show=lambda v: v or "-")


_STEP = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d)")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_STEPS = 10


def parse_step(text: str) -> timedelta:
    """'30s', '1m', '10m', '1h', '1d' -> a timedelta from 1 second to 30 days (ValueError else)."""
    match = _STEP.fullmatch(text.strip().lower())
    if not match:
        raise ValueError(text)
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not 1 <= seconds <= 30 * 86400:
        raise ValueError(text)
    return timedelta(seconds=seconds)


def format_step(step: timedelta) -> str:
    """The shortest exact spelling of a step: 90s, 10m, 1h, 2d."""
    seconds = step.total_seconds()
    for unit in ("d", "h", "m"):
        count = seconds / _UNIT_SECONDS[unit]
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    return f"{seconds:g}s"


def _steps() -> Kind:
    def check(value: Any) -> tuple[timedelta, ...]:
        if not isinstance(value, list) or len(value) > MAX_STEPS:
            raise ValueError
        if not all(isinstance(item, str) for item in value):
            raise ValueError
        return tuple(parse_step(item) for item in value)

    def from_text(words: list[str]) -> Any:
        return [part for word in words for part in re.split(r"[\s,]+", word) if part]

    return Kind(
        f'use a list of at most {MAX_STEPS} steps from 1s to 30d, e.g. ["1m", "10m"]'
        " (s, m, h or d; [] for none)",
        check,
        from_text,
        show=lambda steps: " ".join(format_step(s) for s in steps) or "(none)",
        to_toml=lambda steps: [format_step(s) for s in steps],
    )


# ------------------------------------------------------------------ the keys


@dataclass(frozen=True)
class Key:
    """One setting: its name (in the file and on `sqlaquiz config`), kind, environment
    variable, the flag that overrides it (if any) and what it does."""

    name: str
    kind: Kind
    env: str
    help: str
    flag: str | None = None


KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key(
            "new_per_day",
            _whole(0, 9999),
            "SQLAQUIZ_NEW_PER_DAY",
            "New cards a day.",
            "start --new",
        ),
        Key(
            "reviews_per_day",
            _whole(0, 99999),
            "SQLAQUIZ_REVIEWS_PER_DAY",
            "Reviews of cards already learnt, a day (new cards not counted).",
            "start --reviews",
        ),
        Key(
            "retention",
            _number(0.7, 0.99),
            "SQLAQUIZ_RETENTION",
            "Desired retention for FSRS: the recall probability it schedules for.",
            "start --retention",
        ),
        Key(
            "learning_steps",
            _steps(),
            "SQLAQUIZ_LEARNING_STEPS",
            "The steps of a new card before it graduates to FSRS's days.",
        ),
        Key(
            "relearning_steps",
            _steps(),
            "SQLAQUIZ_RELEARNING_STEPS",
            "The steps of a card you forgot (graded Again) before it is back to days.",
        ),
        Key(
            "timeout",
            _number(0.1, 3600, " of seconds"),
            "SQLAQUIZ_TIMEOUT",
            "Seconds an example may run.",
            "start, run, validate --timeout",
        ),
        Key(
            "db",
            _choice("sqlite", "postgresql"),
            "SQLAQUIZ_DB",
            "The database examples run on.",
            "start, run, validate --db",
        ),
        Key(
            "editor",
            _text('use a command on one line, e.g. "code --wait"'),
            "SQLAQUIZ_EDITOR",
            "The editor `e` and `run --edit` open (after it: $VISUAL, $EDITOR, vi).",
        ),
        Key(
            "leech_threshold",
            _whole(1, 999),
            "SQLAQUIZ_LEECH_THRESHOLD",
            "Lapses (Again on a learnt card) that make a card a leech.",
        ),
        Key(
            "leech_action",
            _choice("keep", "suspend"),
            "SQLAQUIZ_LEECH_ACTION",
            "What happens to a leech: keep it in reviews, or suspend it.",
        ),
    )
}

# Like git's core.editor: our own variable and the config file come before $VISUAL / $EDITOR,
# so choosing an editor for sqlaquiz alone is possible; those two are used when neither says.
EDITOR_FALLBACKS = ("VISUAL", "EDITOR")


# ------------------------------------------------------------------ the settings


@dataclass(frozen=True)
class Source:
    """Where a value came from: 'default', 'file' (`where` is its path, `line` the line),
    'env' (`where` is the variable) or 'flag' (`where` is the option)."""

    kind: str
    where: str = ""
    line: int | None = None

    def __str__(self) -> str:
        if self.kind == "file":
            return f"{self.where}, line {self.line}" if self.line else self.where
        return self.short()

    def short(self) -> str:
        """Without the config file's path (shown once above a listing)."""
        if self.kind == "default":
            return "default"
        if self.kind == "file":
            return f"config file, line {self.line}" if self.line else "config file"
        if self.kind == "env":
            return f"${self.where}"
        return self.where

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.where:
            out["where"] = self.where
        if self.line:
            out["line"] = self.line
        return out


DEFAULT = Source("default")


@dataclass(frozen=True)
class Settings:
    """Every setting's value; `source(key)` says where it came from."""

    new_per_day: int = 10
    reviews_per_day: int = 200
    retention: float = 0.9
    learning_steps: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=10))
    relearning_steps: tuple[timedelta, ...] = (timedelta(minutes=10),)
    timeout: float = 10.0
    db: str = "sqlite"
    editor: str = ""
    leech_threshold: int = 8
    leech_action: str = "keep"
    path: Path | None = field(default=None, compare=False)  # the config file read (or not there)
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False)

    def source(self, key: str) -> Source:
        return self.sources.get(key, DEFAULT)

    def value(self, key: str) -> Any:
        if key not in KEYS:
            raise ConfigError(unknown_key(key))
        return getattr(self, key)

    def shown(self, key: str) -> str:
        """The value as `sqlaquiz config` prints it."""
        return KEYS[key].kind.show(self.value(key))

    def as_toml(self, key: str) -> Any:
        """The value as the config file (and --json) spells it: steps as ["1m", "10m"]."""
        return KEYS[key].kind.to_toml(self.value(key))

    def override(self, **flags: Any) -> Settings:
        """These settings with each flag that was given (not None) laid over them. Keyword
        names are keys; the flag's name for the source is the key's `flag`."""
        given = {key: value for key, value in flags.items() if value is not None}
        if not given:
            return self
        unknown = sorted(set(given) - set(KEYS))
        if unknown:
            raise TypeError(f"not settings: {', '.join(unknown)}")
        sources = dict(self.sources)
        for key in given:
            flag = KEYS[key].flag or key
            sources[key] = Source("flag", "--" + flag.rsplit("--", 1)[-1])
        return replace(self, **given, sources=sources)


DEFAULTS = Settings()


def unknown_key(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(KEYS), n=1)
    hint = f" — did you mean {close[0]}?" if close else f" (known: {', '.join(KEYS)})"
    return f"no setting called {key!r}{hint}"


def normal_key(key: str) -> str:
    """`new-per-day` and `new_per_day` are the same key on the command line."""
    return key.strip().replace("-", "_")


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """$SQLAQUIZ_CONFIG, else $SQLAQUIZ_HOME/config.toml, else the user config directory's."""
    from quiz.paths import HOME_ENV

    env = os.environ if env is None else env
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    if env.get(HOME_ENV):
        return Path(env[HOME_ENV]).expanduser() / FILE_NAME
    from platformdirs import user_config_dir

    return Path(user_config_dir("sqlaquiz", appauthor=False)) / FILE_NAME


def load(env: Mapping[str, str] | None = None, path: Path | None = None) -> Settings:
    """The settings from the defaults, the config file at `path` (default: `config_path`) and
    the environment `env` (default: os.environ). ConfigError on the first bad value."""
    env = os.environ if env is None else env
    path = config_path(env) if path is None else path
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    text = _read(path)
    if text is not None:
        document = _parse(path, text)
        for name, raw in document.items():
            if isinstance(raw, dict):
                raise ConfigError(f"{path}: [{name}]: the config file has no tables, only keys")
            if name not in KEYS:
                raise ConfigError(f"{_where(path, text, name)}: {unknown_key(name)}")
            shown = _toml_literal(raw) if _literal_ok(raw) else str(raw)  # e.g. a TOML date
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            what = f"{_where(path, text, name)}: {name} = {shown}"
            values[name] = _checked(KEYS[name], raw, what)
            sources[name] = Source("file", str(path), _key_line(text, name))
    for key in KEYS.values():
        words = env.get(key.env)
        if words is not None and words.strip():
            raw = key.kind.from_text([words])
            values[key.name] = _checked(key, raw, f"{key.env}={words!r}")
            sources[key.name] = Source("env", key.env)
    if "editor" not in values or not values["editor"]:
        for name in EDITOR_FALLBACKS:
            if env.get(name, "").strip():
                values["editor"] = env[name].strip()
                sources["editor"] = Source("env", name)
                break
    return replace(DEFAULTS, **values, path=path, sources=sources)


def _checked(key: Key, raw: Any, what: str) -> Any:
    try:
        return key.kind.check(raw)
    except ValueError:
        raise ConfigError(f"{what}: {key.kind.allowed}") from None


def _read(path: Path) -> str | None:
    """The config file's text, or None when there is none."""
    from quiz.paths import path_problem, read_text

    if path_problem(path) == "no such file or folder":
        return None
    try:
        # a byte-order mark (some Windows editors write one) is not TOML: it is dropped
        return read_text(path, MAX_CONFIG_BYTES).removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower() if exc.errno else str(exc)


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _key_line(text: str, key: str) -> int | None:
    """The 1-based line where `key` is set at the top level of the file, if it can be seen."""
    pattern = re.compile(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("["):
            return None
        if pattern.match(line):
            return number
    return None


def _where(path: Path, text: str, key: str) -> str:
    line = _key_line(text, key)
    return f"{path}, line {line}" if line else str(path)


# ------------------------------------------------------------------ writing one key


def _literal_ok(value: Any) -> bool:
    if isinstance(value, list):
        return all(_literal_ok(item) for item in value)
    return type(value) in (bool, int, float, str)


def _toml_literal(value: Any) -> str:
    """A number, string, boolean or list of them, as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else "inf")
    if isinstance(value, str):
        escaped = []
        for char in value:
            if char in '"\\':
                escaped.append("\\" + char)
            elif ord(char) < 0x20 or ord(char) == 0x7F:
                escaped.append(f"\\u{ord(char):04x}")
            else:
                escaped.append(char)
        return '"' + "".join(escaped) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_literal(item) for item in value) + "]"
    raise TypeError(f"no TOML literal for {type(value).__name__}")


def parse_value(key: str, words: list[str]) -> Any:
    """What the user typed for `key` (`sqlaquiz config KEY VALUE...`), checked: the setting's
    value. ConfigError saying what is allowed when it is not."""
    spec = KEYS.get(key)
    if spec is None:
        raise ConfigError(unknown_key(key))
    raw = spec.kind.from_text(words)
    try:
        return spec.kind.check(raw)
    except ValueError:
        typed = " ".join(words)
        raise ConfigError(f"{key} {typed!r}: {spec.kind.allowed}") from None


def set_value(path: Path, key: str, value: Any) -> str:
    """Write `key = value` (a setting's value, as `parse_value` returns it) into the config
    file, replacing the key's own line(s) or adding one; every other line stays. Returns the
    line written."""
    line = f"{key} = {_toml_literal(KEYS[key].kind.to_toml(value))}"
    text = _read(path) or ""
    eol = "\r\n" if "\r\n" in text else "\n"  # the file's own line ends (Windows editors)
    lines = text.splitlines(keepends=True)
    found = _extent(lines, key) if text else None
    if found is None:
        at = _first_table(lines)
        if at > 0 and not lines[at - 1].endswith("\n"):
            lines[at - 1] += eol
        lines[at:at] = [line + eol]
    else:
        start, end, comment = found
        newline = eol if lines[end - 1].endswith("\n") or end < len(lines) else ""
        lines[start:end] = [line + (f"  {comment}" if comment else "") + newline]
    _write(path, "".join(lines), key, value)
    return line


def unset_value(path: Path, key: str) -> bool:
    """Remove `key` from the config file (its own line(s) only); False when it was not set."""
    text = _read(path)
    if text is None:
        return False
    lines = text.splitlines(keepends=True)
    found = _extent(lines, key)
    if found is None:
        return False
    start, end, _ = found
    del lines[start:end]
    _write(path, "".join(lines), key, None)
    return True


def _first_table(lines: list[str]) -> int:
    """Where a new top-level key goes: before the first table and the blank lines and
    comments just above it (which belong to the table), else at the end."""
    for number, line in enumerate(lines):
        if line.lstrip().startswith("["):
            while number > 0 and (not lines[number - 1].strip() or _comment(lines[number - 1])):
                number -= 1
            return number
    return len(lines)


def _comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _extent(lines: list[str], key: str) -> tuple[int, int, str] | None:
    """Where `key` is set at the top level: its first line, the line after its value (an array
    may span lines), and the comment after the value on its last line ('' if none). None when
    the key is not set there. Each candidate is confirmed by parsing it alone as TOML."""
    start = _key_line("".join(lines), key)
    if start is None:
        return None
    start -= 1
    for end in range(start + 1, len(lines) + 1):
        chunk = "".join(lines[start:end])
        try:
            parsed = tomllib.loads(chunk)
        except tomllib.TOMLDecodeError:
            continue
        if key not in parsed:
            return None
        last = lines[end - 1].rstrip("\r\n")
        head = "".join(lines[start : end - 1])
        for match in re.finditer("#", last):
            try:
                if tomllib.loads(head + last[: match.start()]) == parsed:
                    return start, end, last[match.start() :]
            except tomllib.TOMLDecodeError:
                continue
        return start, end, ""
    return None


def _write(path: Path, text: str, key: str, value: Any) -> None:
    """Replace the file with `text` in one step, after checking it reads back as meant."""
    document = _parse(path, text)
    expected = None if value is None else KEYS[key].kind.to_toml(value)
    if document.get(key) != expected:  # pragma: no cover - a layout the editor above misread
        raise ConfigError(f"{path}: cannot change {key} here without disturbing the file")
    import tempfile

    # a config file kept elsewhere and linked here (a dotfiles folder) stays a link: the file it
    # points to is the one rewritten
    path = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else None
        fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            if mode is not None:
                os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot write the config file {path}: {_reason(exc)}") from None
