"""The config file and `sqlaquiz config`: precedence, where each value came from, one-line
errors, and `config KEY VALUE` changing only its own line."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quiz import config
from quiz.cli import app
from quiz.errors import ConfigError

cli = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return cli.invoke(app, list(args), env=env)


def write(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ loading


def test_defaults_when_there_is_no_file(isolated_home: Path) -> None:
    settings = config.load()
    assert settings.path == isolated_home / "config.toml"
    assert (settings.new_per_day, settings.reviews_per_day, settings.retention) == (10, 200, 0.9)
    assert settings.learning_steps == (timedelta(minutes=1), timedelta(minutes=10))
    assert settings.relearning_steps == (timedelta(minutes=10),)
    assert (settings.timeout, settings.db, settings.editor) == (10.0, "sqlite", "")
    assert (settings.leech_threshold, settings.leech_action) == (8, "keep")
    assert {str(settings.source(key)) for key in config.KEYS} == {"default"}


def test_flag_beats_environment_beats_file_beats_default(isolated_home: Path) -> None:
    path = write(isolated_home, "new_per_day = 3\ntimeout = 4\nretention = 0.85\n")
    env = {
        "SQLAQUIZ_HOME": str(isolated_home),
        "SQLAQUIZ_TIMEOUT": "6",
        "SQLAQUIZ_NEW_PER_DAY": "5",
    }
    settings = config.load(env=env).override(new_per_day=7, timeout=None)
    assert (settings.new_per_day, settings.timeout, settings.retention) == (7, 6.0, 0.85)
    assert settings.leech_threshold == 8
    assert str(settings.source("new_per_day")) == "--new"
    assert str(settings.source("timeout")) == "$SQLAQUIZ_TIMEOUT"
    assert str(settings.source("retention")) == f"{path}, line 3"
    assert str(settings.source("leech_threshold")) == "default"


def test_the_editor_setting_comes_before_visual_and_editor(isolated_home: Path) -> None:
    env = {"VISUAL": "vim", "EDITOR": "nano"}
    assert config.load(env=env).editor == "vim"
    assert str(config.load(env=env).source("editor")) == "$VISUAL"
    assert config.load(env={"EDITOR": "nano"}).editor == "nano"
    path = write(isolated_home, 'editor = "code --wait"\n')
    assert config.load(env=env, path=path).editor == "code --wait"
    assert config.load(env={**env, "SQLAQUIZ_EDITOR": "ed"}, path=path).editor == "ed"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "timeout = 5\nretention = 2\n",
            "{path}, line 2: retention = 2: use a number from 0.7 to 0.99",
        ),
        ("tmeout = 1\n", "{path}, line 1: no setting called 'tmeout' — did you mean timeout?"),
        ("timeout = [1\n", "{path}: not valid TOML: "),  # then the parser's words and place
        (
            'learning_steps = ["1m", "soon"]\n',
            '{path}, line 1: learning_steps = ["1m", "soon"]: use a list of at most 10'
            ' steps from 1s to 30d, e.g. ["1m", "10m"] (s, m, h or d; [] for none)',
        ),
        ('leech_action = "delete"\n', '{path}, line 1: leech_action = "delete": use one of keep'),
        ("new_per_day = 2.5\n", "{path}, line 1: new_per_day = 2.5: use a whole number"),
        ("db = 1979-05-27\n", "{path}, line 1: db = 1979-05-27: use one of sqlite, postgresql"),
        ("[start]\nnew = 1\n", "{path}: [start]: the config file has no tables, only keys"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file_the_key_and_what_is_allowed(
    isolated_home: Path, text: str, message: str
) -> None:
    path = write(isolated_home, text)
    with pytest.raises(ConfigError) as caught:
        config.load()
    assert str(caught.value).startswith(message.format(path=path))
    result = invoke("config")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: " + message.format(path=path))
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_a_bad_environment_value_names_the_variable(isolated_home: Path) -> None:
    result = invoke("config", env={"SQLAQUIZ_LEECH_THRESHOLD": "many"})
    assert result.exit_code == 2
    assert result.stderr == (
        "error: SQLAQUIZ_LEECH_THRESHOLD='many': use a whole number from 1 to 999\n"
    )


def test_a_config_file_that_is_a_folder_is_one_line(isolated_home: Path) -> None:
    (isolated_home / "config.toml").mkdir(parents=True)
    result = invoke("config")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: cannot read the config file {isolated_home / 'config.toml'}: is a folder,"
        " not a file\n"
    )


# ------------------------------------------------------------------ writing


def test_set_keeps_comments_and_every_other_line(isolated_home: Path) -> None:
    path = write(
        isolated_home,
        "# my sqlaquiz\ntimeout = 5  # quick ones\nlearning_steps = [\n"
        '  "1m",  # first\n  "10m",\n]\n\nnew_per_day = 4\n',
    )
    assert invoke("config", "timeout", "7.5").exit_code == 0
    assert invoke("config", "learning-steps", "1m", "5m,1h").exit_code == 0
    assert invoke("config", "leech_threshold", "6").exit_code == 0
    assert path.read_text() == (
        "# my sqlaquiz\ntimeout = 7.5  # quick ones\n"
        'learning_steps = ["1m", "5m", "1h"]\n\nnew_per_day = 4\nleech_threshold = 6\n'
    )
    settings = config.load()
    assert settings.timeout == 7.5
    assert settings.learning_steps == tuple(timedelta(minutes=m) for m in (1, 5, 60))


def test_set_then_get_then_unset_through_the_cli(isolated_home: Path) -> None:
    result = invoke("config", "new_per_day", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"new_per_day = 3  (in {isolated_home / 'config.toml'})\n"
    assert invoke("config", "new_per_day").stdout == "3\n"
    got = json.loads(invoke("config", "new_per_day", "--json").stdout)
    assert got == {
        "key": "new_per_day",
        "value": 3,
        "source": {"kind": "file", "where": str(isolated_home / "config.toml"), "line": 1},
        "env": "SQLAQUIZ_NEW_PER_DAY",
        "help": "New cards a day.",
    }
    unset = invoke("config", "--unset", "new_per_day")
    assert unset.stdout == (
        f"new_per_day removed from {isolated_home / 'config.toml'} (default: 10)\n"
    )
    assert invoke("config", "new_per_day").stdout == "10\n"
    assert (isolated_home / "config.toml").read_text() == ""


def test_set_says_when_the_environment_wins(isolated_home: Path) -> None:
    result = invoke("config", "timeout", "3", env={"SQLAQUIZ_TIMEOUT": "4"})
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == "note: $SQLAQUIZ_TIMEOUT is set and comes first"


def test_a_bad_value_is_refused_and_the_file_is_left_alone(isolated_home: Path) -> None:
    path = write(isolated_home, "# mine\nretention = 0.8\n")
    result = invoke("config", "retention", "5")
    assert result.exit_code == 2
    assert result.stderr == "error: retention '5': use a number from 0.7 to 0.99\n"
    unknown = invoke("config", "retension", "0.9")
    assert unknown.stderr == "error: no setting called 'retension' — did you mean retention?\n"
    assert path.read_text() == "# mine\nretention = 0.8\n"


def test_set_fixes_a_bad_value_but_refuses_to_touch_a_file_that_is_not_toml(
    isolated_home: Path,
) -> None:
    path = write(isolated_home, "retention = 5\n")
    assert invoke("config", "retention", "0.8").exit_code == 0
    assert path.read_text() == "retention = 0.8\n"
    write(isolated_home, "retention = [\n")
    result = invoke("config", "timeout", "3")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: not valid TOML")
    assert path.read_text() == "retention = [\n"


def test_a_linked_config_file_stays_a_link(isolated_home: Path, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles" / "sqlaquiz.toml"
    dotfiles.parent.mkdir()
    dotfiles.write_text("# kept in git\ntimeout = 3\n")
    isolated_home.mkdir(parents=True)
    (isolated_home / "config.toml").symlink_to(dotfiles)
    assert invoke("config", "timeout", "4").exit_code == 0
    assert (isolated_home / "config.toml").is_symlink()
    assert dotfiles.read_text() == "# kept in git\ntimeout = 4\n"


def test_a_new_key_goes_above_the_first_table(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("timeout = 3\n\n# theirs\n[table]\nx = 1\n")
    config.set_value(path, "db", "postgresql")
    assert path.read_text() == 'timeout = 3\ndb = "postgresql"\n\n# theirs\n[table]\nx = 1\n'


def test_strings_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    config.set_value(path, "editor", 'my "editor" \\ --wait')
    assert path.read_text() == 'editor = "my \\"editor\\" \\\\ --wait"\n'
    assert config.load(env={}, path=path).editor == 'my "editor" \\ --wait'


def test_the_listing_fits_80_columns_and_says_where_each_value_came_from(
    isolated_home: Path,
) -> None:
    write(isolated_home, "timeout = 4\n")
    result = invoke("config", env={"COLUMNS": "80", "SQLAQUIZ_DB": "postgresql"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"Config file: {isolated_home / 'config.toml'}"
    assert max(len(line) for line in lines[1:]) <= 80  # the path is shown whole
    rows = {line.split()[0]: line.rstrip().split(None, 2)[1:] for line in lines[2:-1]}
    assert rows["timeout"] == ["4", "config file, line 1"]
    assert rows["db"] == ["postgresql", "$SQLAQUIZ_DB"]
    steps = next(line for line in lines if line.startswith("learning_steps"))
    assert steps.split() == ["learning_steps", "1m", "10m", "default"]
    data = json.loads(invoke("config", "--json").stdout)
    assert list(data["settings"]) == list(config.KEYS)
    assert data["settings"]["learning_steps"]["value"] == ["1m", "10m"]


def test_steps_are_spelled_back_exactly() -> None:
    for text in ("30s", "90s", "1m", "10m", "1h", "2d", "1.5h"):
        assert config.format_step(config.parse_step(text)) in {text, "90m"}
    for bad in ("0m", "31d", "10", "m", "-1m"):
        with pytest.raises(ValueError):
            config.parse_step(bad)


def test_a_toml_syntax_error_names_its_line(isolated_home: Path) -> None:
    path = write(isolated_home, "timeout = 3\nretention = = 0.8\n")
    result = invoke("config", "timeout")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: not valid TOML: ")
    assert "line 2" in result.stderr and result.stderr.count("\n") == 1


def test_windows_line_ends_and_a_byte_order_mark(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True)
    path = isolated_home / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf# mine\r\ntimeout = 3\r\n")
    assert config.load().timeout == 3
    assert invoke("config", "timeout", "4").exit_code == 0
    assert invoke("config", "new_per_day", "2").exit_code == 0
    assert path.read_bytes() == b"# mine\r\ntimeout = 4\r\nnew_per_day = 2\r\n"
