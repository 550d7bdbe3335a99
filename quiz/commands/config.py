"""`sqlaquiz config`: show, get, set and unset your settings, and where each value comes from."""

from __future__ import annotations

import json
import os

import typer

from quiz import config
from quiz.commands import common
from quiz.errors import UsageError
from quiz.ui.safe import safe


def config_command(key: str | None, words: list[str], *, unset: bool, as_json: bool) -> None:
    """No key: every setting. A key: its value. A key and words: set it. --unset KEY."""
    if key is None:
        if unset or words:
            raise UsageError("--unset needs the KEY to remove")
        _show_all(as_json)
        return
    name = config.normal_key(key)
    if name not in config.KEYS:
        raise UsageError(config.unknown_key(name))
    if unset:
        if words:
            raise UsageError(f"--unset {name} takes no value")
        _unset(name, as_json)
    elif words:
        _set(name, words, as_json)
    else:
        _get(name, as_json)


def _show_all(as_json: bool) -> None:
    from quiz.ui import config_view

    settings = config.load()
    if as_json:
        out = {
            "file": str(settings.path),
            "settings": {key: _entry(settings, key) for key in config.KEYS},
        }
        typer.echo(json.dumps(out, indent=2))
        return
    typer.echo(config_view.file_line(settings))
    common.console().print(config_view.settings_table(settings))


def _entry(settings: config.Settings, key: str) -> dict[str, object]:
    return {
        "value": settings.as_toml(key),
        "source": settings.source(key).to_json(),
        "env": config.KEYS[key].env,
        "help": config.KEYS[key].help,
    }


def _get(key: str, as_json: bool) -> None:
    settings = config.load()
    if as_json:
        typer.echo(json.dumps({"key": key, **_entry(settings, key)}, indent=2))
    else:
        typer.echo(safe(settings.shown(key)))


def _set(key: str, words: list[str], as_json: bool) -> None:
    path = config.config_path()
    value = config.parse_value(key, words)
    line = config.set_value(path, key, value)
    override = _overridden_by(key)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "key": key,
                    "value": config.KEYS[key].kind.to_toml(value),
                    "file": str(path),
                    "overridden_by": override,
                },
                indent=2,
            )
        )
        return
    # plain lines, never wrapped: a path is copied from here
    typer.echo(safe(f"{line}  (in {path})"))
    if override:
        typer.echo(f"note: {override} is set and comes first")


def _unset(key: str, as_json: bool) -> None:
    path = config.config_path()
    removed = config.unset_value(path, key)
    if as_json:
        typer.echo(json.dumps({"key": key, "removed": removed, "file": str(path)}, indent=2))
        return
    default = config.DEFAULTS.shown(key)
    said = f"{key} removed from {path}" if removed else f"{key} was not set in {path}"
    typer.echo(safe(f"{said} (default: {default})"))


def _overridden_by(key: str) -> str | None:
    """The environment variable that wins over the config file for `key`, if one is set."""
    env = config.KEYS[key].env
    return f"${env}" if os.environ.get(env, "").strip() else None
