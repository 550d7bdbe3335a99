"""README.md stays true: the quick start, the CI command, the CLI reference, the card ids."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.main import get_command

from quiz.cli import app
from quiz.deck.loader import load_library

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_quick_start_is_two_commands() -> None:
    install, test = quick_start_commands()
    assert install == (
        "python3 -m venv .venv && . .venv/bin/activate && pip install . && sqlaquiz start"
    )
    assert test == 'pip install ".[test]" && python -m pytest'
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "From a checkout of this repository" in section  # where the code comes from
    assert "`pipx install .`" in section  # the other environment to install into
    assert not re.search(r"<[a-z-]+>|example\.com|YOUR", section)  # no placeholder to fill in


@pytest.mark.slow
def test_the_quick_start_works_from_a_fresh_checkout(tmp_path: Path) -> None:
    """The README's first line, run as written by bash in a copy of the tracked files. Offline:
    the new environment sees this one's packages (a .pth) and pip looks at no index."""
    import shutil
    import sysconfig

    checkout = tmp_path / "checkout"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode == 0 and listed.stdout:
        names = [f.decode() for f in listed.stdout.split(b"\0") if f]
    else:  # not a git checkout (an unpacked copy): every file outside hidden folders
        names = [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
            and "__pycache__" not in p.parts
        ]
    for name in names:
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    # `python3 -m venv .venv` keeps an existing folder: make it first, with the .pth in it
    import venv

    venv.EnvBuilder(with_pip=True).create(checkout / ".venv")
    py = checkout / ".venv" / "bin" / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    Path(site, "zz_outer_env.pth").write_text("\n".join(sorted(ours)) + "\n")
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SQLAQUIZ_HOME": str(tmp_path / "data"),
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's spelling of --no-build-isolation
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "TERM": "dumb",
    }
    install = quick_start_commands()[0]
    done = subprocess.run(
        ["bash", "-c", install],
        cwd=checkout,
        env=env,
        input="q\n",  # quit at the first card
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1/" in done.stdout and "session summary" in done.stdout, done.stdout[-2000:]
    assert (checkout / ".venv" / "bin" / "sqlaquiz").exists()


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = quick_start_commands()[1].split("&&")[1].strip()
    assert test_command in ci.splitlines()
    assert 'pip install --quiet ".[test]"' in ci


@pytest.mark.parametrize("name", list(get_command(app).commands))  # type: ignore[attr-defined]
def test_every_option_is_documented(name: str) -> None:
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    assert f"sqlaquiz {name}" in README
    for param in command.params:
        for flag in param.opts:
            if flag.startswith("--") and flag != "--help":
                assert flag in README, f"{name} {flag} is not in README.md"


def test_card_ids_in_the_readme_exist() -> None:
    ids = {c.id for c in load_library().cards}
    mentioned = set(re.findall(r"sqlaquiz (?:run|show|reset --card) ([a-z0-9][a-z0-9-]+)", README))
    assert mentioned, "the README shows no card id"
    assert mentioned <= ids, mentioned - ids


def test_exit_codes_table_matches_the_errors() -> None:
    from quiz import errors

    for cls in (
        errors.ChecksFailed,
        errors.UsageError,
        errors.DeckError,
        errors.UnknownCardError,
        errors.DataDirError,
        errors.TransferError,
        errors.EngineUnavailable,
        errors.UntrustedDeck,
    ):
        assert f"| {cls.exit_code} |" in README
    assert f"| {errors.EXIT_INTERRUPTED} |" in README
    for signum in (1, 15):  # SIGHUP, SIGTERM
        assert f"| {errors.Terminated(signum).exit_code} |" in README


TOOL_CACHES = (".ruff_cache", ".mypy_cache", ".pytest_cache")


def tool_caches_in_the_checkout() -> dict[str, int]:
    return {
        name: (ROOT / name).stat().st_mtime_ns for name in TOOL_CACHES if (ROOT / name).exists()
    }


def test_code_is_lint_and_type_clean() -> None:
    """ruff (lint + format) and mypy, as configured in pyproject.toml; no cache in the checkout.

    Their caches live in the temporary directory, one per checkout, kept between runs (a cold
    mypy takes seconds, a warm one a fraction of one).
    """
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    cache = Path(tempfile.gettempdir()) / f"sqlaquiz-lint-{os.getuid()}-{checkout}"
    before = tool_caches_in_the_checkout()
    for args in (
        ["ruff", "check", "--cache-dir", str(cache / "ruff"), "."],
        ["ruff", "format", "--cache-dir", str(cache / "ruff"), "--check", "."],
        ["mypy", "--cache-dir", str(cache / "mypy")],
    ):
        done = subprocess.run(
            [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert tool_caches_in_the_checkout() == before
    assert sorted(p.name for p in cache.iterdir()) == ["mypy", "ruff"]


def test_pytest_writes_no_cache_into_the_checkout(pytestconfig: pytest.Config) -> None:
    """pyproject.toml's addopts turn pytest's cache plugin off (so no .pytest_cache)."""
    assert not pytestconfig.pluginmanager.has_plugin("cacheprovider")


@pytest.mark.parametrize(
    ("database", "runner_fixture"), [("sqlite", "runner"), ("postgresql", "pg_runner")]
)
def test_the_example_deck_in_the_readme_is_valid_and_its_claims_hold(
    tmp_path: Path, request: pytest.FixtureRequest, database: str, runner_fixture: str
) -> None:
    from quiz.deck.checks import check
    from quiz.deck.loader import load_deck

    section = README.split("## Writing decks", 1)[1]
    deck = re.search(r"```yaml\n(.+?)\n```", section, re.S)
    assert deck is not None
    path = tmp_path / "loading.yaml"
    path.write_text(deck.group(1) + "\n")
    cards, problems = load_deck(path)
    assert problems == []
    (card,) = cards
    assert card.databases == ("sqlite", "postgresql")
    runner = request.getfixturevalue(runner_fixture)  # pg_runner: skips without a server
    result = runner.run(card.example or "", f"{card.id}.py")
    assert result.database == database
    assert check(card, result).failures == []
