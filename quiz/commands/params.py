"""Plain conversion for the CLI's text and path parameters, so most commands skip pydantic.

Typer 0.29 converts the value of every parameter that is not a boolean flag with a pydantic
TypeAdapter, even a parameter left at its default. Importing pydantic and building those
adapters costs about 80 ms on each `sqlaquiz list`, more than the command's own work. For
`str` and plain `Path` values (and lists of them) the conversion is `str()` / `Path()` plus
Typer's "is not readable" check, and a boolean flag's value is already a bool, so this module
hands such parameters a converter that does exactly that. A plain number (`10`, `2.5`) within
the option's range becomes an int or float here too; any other number (negative, `1e3`, out of
range) goes to Typer, so its messages stay Typer's own. Choices and paths with options
(exists=, ...) keep Typer's own conversion.

Typer has no public way to choose a parameter's conversion (even `parser=` goes through
pydantic), so this uses its private `typer._coercion` module; pyproject.toml pins Typer to the
0.29 releases it is known to work with. If that module changes, `install` does nothing and
Typer converts as before: slower, still correct. tests/test_params.py fails when the plain
conversion stops applying, and .ci/lowest-deps checks it on the lowest allowed Typer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

from typer import BadParameter, format_filename

try:
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
except ImportError:  # pragma: no cover - another Typer: keep its conversion
    RuntimeParam = None  # type: ignore[assignment,misc]

TYPER = object()  # a converter's answer for "let Typer convert this one"

Convert = Callable[[Any, Any, Any], Any]  # (value, param, ctx) -> converted value


def _text(value: Any, param: Any, ctx: Any) -> str:
    return str(value)


def _path(value: Any, param: Any, ctx: Any) -> Path:
    """Path(value), refusing an existing path we cannot read, in Typer's words, and an empty
    one (Path("") is the current folder: `--deck ""` would load every YAML file below it)."""
    if str(value) == "":
        raise BadParameter("an empty path is not a path.", ctx=ctx, param=param)
    path = Path(value)
    if os.path.exists(path) and not os.access(path, os.R_OK):
        shown = format_filename(value)
        raise BadParameter(f"path {shown!r} is not readable.", ctx=ctx, param=param)
    return path


def finite(value: float | None) -> float | None:
    """A float option's value, refusing nan and infinity (which pass Typer's min / max); None
    (not given: the setting decides) passes."""
    import math

    if value is not None and not math.isfinite(value):
        import typer

        raise typer.BadParameter(f"{value} is not a finite number.")
    return value


def _flag(value: Any, param: Any, ctx: Any) -> Any:
    """A boolean flag's value is already a bool; anything else (e.g. "yes") is Typer's."""
    return value if isinstance(value, bool) else TYPER


_PLAIN_NUMBER = {int: re.compile(r"(0|[1-9][0-9]*)"), float: re.compile(r"[0-9]+(\.[0-9]*)?")}


def _number(kind: type[int] | type[float]) -> Convert:
    """`kind(value)` for plain digits within the option's range; anything else is Typer's."""

    def convert(value: Any, param: Any, ctx: Any) -> Any:
        info = param.type_descriptor.parameter_info
        if isinstance(value, str) and _PLAIN_NUMBER[kind].fullmatch(value):
            number = kind(value)
        elif type(value) is kind:  # a default
            number = value
        else:
            return TYPER
        if (info.min is not None and number < info.min) or (
            info.max is not None and number > info.max
        ):
            return TYPER  # Typer says it is out of range, in its words
        return number

    return convert


def _is_plain_path(info: Any) -> bool:
    """A Path option without checks of its own (only Typer's default 'readable')."""
    return (
        not info.exists
        and info.file_okay
        and info.dir_okay
        and not info.writable
        and info.readable
        and not info.resolve_path
        and not info.allow_dash
        and info.path_type is None
    )


def _converter(annotation: Any, info: Any) -> Convert | None:
    if info.parser is not None:
        return None
    if annotation is str:
        return _text
    if annotation is bool:
        return _flag
    if annotation is Path and _is_plain_path(info):
        return _path
    if annotation in (int, float) and not info.clamp:
        return _number(annotation)
    return None


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class _PlainParam(RuntimeParam):
        convert: Convert
        many: bool
        descriptor: TypeDescriptor

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            items = (
                (value if isinstance(value, (list, tuple)) else [value]) if self.many else [value]
            )
            converted = [self.convert(item, param, ctx) for item in items]
            if any(item is TYPER for item in converted):
                typer_param = build_runtime_param(self.descriptor)
                return typer_param._coerce_value(value, param=param, ctx=ctx)
            return converted if self.many else converted[0]


def _plain_param(descriptor: Any) -> Any:
    annotation, info = descriptor.annotation, descriptor.parameter_info
    if descriptor.file_annotation is not None:
        return None
    many = get_origin(annotation) is list
    convert = _converter(get_args(annotation)[0] if many else annotation, info)
    if convert is None:
        return None
    return _PlainParam(
        parameter_info=info,
        annotation=annotation,
        convert=convert,
        many=many,
        descriptor=descriptor,
    )


def _argument_help(param: Any) -> None:
    """An argument shown as its metavar alone: `CARD_ID` (required), `[CARD_ID]` (optional),
    `[PATH...]` (several), without Typer's `{CARD_ID}` braces or its `<str>` type label."""
    name = param.metavar or param.name.upper()
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    usage = name if param.required else f"[{name}]"
    param.get_usage_pieces = lambda ctx: [usage]
    param._rich_display_name = lambda: name
    param.display_type_rich = lambda ctx: None


def install(command: Any, ctx: Any) -> None:
    """Give the command's str / Path / flag parameters the plain converter (before it parses),
    and its arguments a plain line in --help."""
    if not hasattr(command, "get_params"):
        return
    for param in command.get_params(ctx):
        if getattr(param, "param_type_name", None) == "argument" and hasattr(param, "nargs"):
            _argument_help(param)
    if RuntimeParam is None:
        return
    for param in command.get_params(ctx):  # with --help, which is made on first use
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", False) is not None:
            continue  # not Typer's parameter as we know it, or already converted
        plain = _plain_param(descriptor)
        if plain is not None:
            param._runtime_param = plain
