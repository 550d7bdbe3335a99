"""The plain conversion of text, path and flag options (quiz/commands/params.py) still applies.

It reaches into Typer's private `typer._coercion`; if a Typer release moves that, the CLI keeps
working but every command pays ~80 ms for pydantic again. These tests fail when that happens.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from typer.main import get_command

from quiz.cli import app
from quiz.commands import params

# Options Typer itself still converts (with pydantic): none — numbers with ranges convert
# plainly too (tests/test_params_numbers.py checks values and messages match Typer's own).
TYPER_CONVERTS: dict[str, set[str]] = {}


def resolved(name: str) -> tuple[Any, Any]:
    """The command `sqlaquiz NAME` as the CLI resolves it (which installs the conversion)."""
    group = get_command(app)
    ctx = group.make_context("sqlaquiz", [name])
    _, command, _ = group.resolve_command(ctx, [name])  # type: ignore[attr-defined]
    return command, command.make_context(name, [], parent=ctx, resilient_parsing=True)


def plain(param: Any) -> bool:
    return type(param._runtime_param).__name__ == "_PlainParam"


def test_typer_still_has_the_private_module() -> None:
    assert params.RuntimeParam is not None, "typer._coercion moved: see quiz/commands/params.py"


def test_the_root_options_are_converted_plainly() -> None:
    group = get_command(app)
    ctx = group.make_context("sqlaquiz", ["list"])
    assert {p.name: plain(p) for p in group.get_params(ctx)} == {
        "version": True,
        "install_completion": True,
        "show_completion": True,
        "help": True,
    }


@pytest.mark.parametrize("name", list(get_command(app).commands))  # type: ignore[attr-defined]
def test_no_option_is_left_to_typer(name: str) -> None:
    command, ctx = resolved(name)
    left = {p.name for p in command.get_params(ctx) if not plain(p)}
    assert left == TYPER_CONVERTS.get(name, set())


@pytest.mark.parametrize(
    ("name", "option", "value"),
    [
        ("run", "card_id", "rel-lazy-loop-n-plus-one"),
        ("run", "file", "mine.py"),
        ("list", "topic", ("models", "sessions")),
        ("list", "deck", ("decks", "more/extra.yaml")),
        ("export", "file", "-"),
        ("reset", "card", None),
        ("list", "as_json", None),
    ],
)
def test_plain_conversion_gives_what_typer_gives(name: str, option: str, value: Any) -> None:
    command, ctx = resolved(name)
    (param,) = [p for p in command.params if p.name == option]
    assert plain(param)
    typers = params.build_runtime_param(param.type_descriptor)
    ours = param._runtime_param.coerce(value, param=param, ctx=ctx)
    assert ours == typers.coerce(value, param=param, ctx=ctx)
    assert type(ours) is type(typers.coerce(value, param=param, ctx=ctx))


def test_an_unreadable_path_is_refused_in_typers_words(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "secret.py"
    script.write_text("print(1)\n")
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as root, chmod is not enough
    command, ctx = resolved("run")
    (param,) = [p for p in command.params if p.name == "file"]
    assert plain(param)
    messages = []
    for runtime in (param._runtime_param, params.build_runtime_param(param.type_descriptor)):
        with pytest.raises(params.BadParameter) as raised:
            runtime.coerce(str(script), param=param, ctx=ctx)
        messages.append(raised.value.format_message())
    shown = str(script)
    assert messages[0] == messages[1]
    assert messages[0] == f"Invalid value for '--file' / '-f': path {shown!r} is not readable."
