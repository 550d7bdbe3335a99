"""Shell completion of card ids, topics, tags and levels: the functions, and the real protocol
of bash, zsh and fish through the installed command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from quiz.commands import complete
from tests.test_terminal import sqlaquiz_command

USER_DECK = """\
topic:
  slug: my-notes
  name: My notes
cards:
  - id: mine-first-card
    difficulty: easy
    tags: [my-own-tag, orm]
    question: Q?
    answer: A.
  - id: mine-second-card
    difficulty: hard
    question: Q?
    answer: A.
"""


def on_line(**params: object) -> SimpleNamespace:
    """What completion sees of the command line typed so far (Click's context)."""
    return SimpleNamespace(params=params, command=SimpleNamespace(name="show"))


def test_card_ids_from_the_bundled_decks_and_the_users(deck_file) -> None:  # type: ignore[no-untyped-def]
    assert complete.card_ids(on_line(), "rel-lazy-l") == ["rel-lazy-loop-n-plus-one"]
    assert complete.card_ids(on_line(), "mine-") == []
    deck = deck_file(USER_DECK)
    assert complete.card_ids(on_line(deck=[deck]), "mine-") == [
        "mine-first-card",
        "mine-second-card",
    ]
    assert complete.card_ids(on_line(paths=[deck]), "mine-s") == ["mine-second-card"]


def test_user_decks_from_the_environment(deck_file, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SQLAQUIZ_DECKS", str(deck_file(USER_DECK)))
    assert complete.card_ids(on_line(), "mine-f") == ["mine-first-card"]
    assert complete.tags(on_line(), "my-") == ["my-own-tag"]
    assert complete.topics(on_line(), "my") == ["my-notes"]
    assert complete.topics(on_line(), "My") == ["My notes"]


def test_topics_slugs_and_names_tags_levels_databases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert complete.topics(on_line(), "rel") == ["relationships"]
    assert complete.topics(on_line(), "Rel") == [
        "Relationships & loading",
        "Relationship shapes & inheritance",
    ]
    # bash inserts a completion unquoted: names with a space are left to the slugs there
    monkeypatch.setenv(complete.COMPLETE_VAR, "complete_bash")
    assert complete.topics(on_line(), "Rel") == []
    assert complete.topics(on_line(), "rel") == ["relationships"]
    assert "autoflush" in complete.tags(on_line(), "auto")
    assert all(tag.startswith("auto") for tag in complete.tags(on_line(), "auto"))
    assert complete.levels("") == ["easy", "medium", "hard"]
    assert complete.levels("h") == ["hard"]
    assert complete.databases(on_line(), "") == ["sqlite", "postgresql"]
    run = SimpleNamespace(params={}, command=SimpleNamespace(name="run"))
    assert complete.databases(run, "b") == ["both"]


def test_the_cache_and_the_yaml_scan_offer_the_same(
    deck_file, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from quiz.deck import cache

    deck = deck_file(USER_DECK)
    cache.load_library_cached([deck])  # the cache now holds these decks
    assert cache.cached_library([deck]) is not None
    from_cache = complete.names([deck])
    monkeypatch.setattr(cache, "cached_library", lambda extra: None)
    scanned = complete.names([deck])
    assert scanned == from_cache
    assert "mine-first-card" in scanned.ids and len(scanned.ids) > 100


def test_a_broken_deck_offers_what_it_can_and_never_raises(deck_file) -> None:  # type: ignore[no-untyped-def]
    bad = deck_file("topic: [unclosed\n", name="bad.yaml")
    assert complete.card_ids(on_line(deck=[bad]), "rel-lazy-l") == ["rel-lazy-loop-n-plus-one"]
    assert complete.card_ids(on_line(deck=[Path("/no/such/deck.yaml")]), "zzz") == []


def test_completion_reads_no_pydantic_and_no_yaml_when_the_cache_is_warm(
    isolated_home: Path,
) -> None:
    probe = (
        "import sys\n"
        "from quiz.commands import complete\n"
        "ids = complete.names([]).ids\n"
        "print(len(ids), 'pydantic' in sys.modules, 'yaml' in sys.modules)\n"
    )
    env = {**os.environ, "SQLAQUIZ_HOME": str(isolated_home)}
    # run outside the checkout, so the probe imports the same quiz package as the installed
    # command (in CI that is site-packages: a checkout's own files would be another cache key)
    isolated_home.mkdir(parents=True, exist_ok=True)
    here = {"cwd": isolated_home, "capture_output": True, "text": True, "env": env}
    cold = subprocess.run([sys.executable, "-c", probe], **here)  # type: ignore[call-overload]
    assert cold.returncode == 0, cold.stderr
    assert cold.stdout.split()[1:] == ["False", "True"]  # no cache yet: the YAML, unvalidated
    subprocess.run([*sqlaquiz_command(), "list"], capture_output=True, env=env, check=True)
    warm = subprocess.run([sys.executable, "-c", probe], **here)  # type: ignore[call-overload]
    assert warm.stdout.split()[1:] == ["False", "False"]
    assert warm.stdout.split()[0] == cold.stdout.split()[0]


# ------------------------------------------------------------------ the shells' protocol


def complete_with(env: dict[str, str], home: Path) -> list[str]:
    done = subprocess.run(
        sqlaquiz_command(),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SQLAQUIZ_HOME": str(home), **env},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.splitlines()


def bash(words: str, cword: int, home: Path) -> list[str]:
    env = {"_SQLAQUIZ_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    return complete_with(env, home)


def test_bash_protocol(isolated_home: Path, deck_file) -> None:  # type: ignore[no-untyped-def]
    assert bash("sqlaquiz run rel-lazy-l", 2, isolated_home) == ["rel-lazy-loop-n-plus-one"]
    assert bash("sqlaquiz show sess-autoflush-v", 2, isolated_home) == ["sess-autoflush-visibility"]
    assert bash("sqlaquiz start --topic rel", 3, isolated_home) == ["relationships"]
    assert bash("sqlaquiz list --difficulty ", 3, isolated_home) == ["easy", "medium", "hard"]
    assert bash("sqlaquiz start -d m", 3, isolated_home) == ["medium"]
    assert "autoflush" in bash("sqlaquiz list --tag auto", 3, isolated_home)
    assert bash("sqlaquiz reset --card rel-lazy-l", 3, isolated_home) == [
        "rel-lazy-loop-n-plus-one"
    ]
    assert bash("sqlaquiz validate --card rel-lazy-l", 3, isolated_home) == [
        "rel-lazy-loop-n-plus-one"
    ]
    assert bash("sqlaquiz suspend sess-autoflush-v", 2, isolated_home) == [
        "sess-autoflush-visibility"
    ]
    assert bash("sqlaquiz unsuspend --topic rel", 3, isolated_home) == ["relationships"]
    assert bash("sqlaquiz config lee", 2, isolated_home) == ["leech_threshold", "leech_action"]
    deck = deck_file(USER_DECK)
    assert bash(f"sqlaquiz run --deck {deck} mine-", 4, isolated_home) == [
        "mine-first-card",
        "mine-second-card",
    ]
    assert bash(f"sqlaquiz list --deck {deck} --topic my", 5, isolated_home) == ["my-notes"]


def test_zsh_protocol(isolated_home: Path) -> None:
    def zsh(line: str) -> list[str]:
        env = {"_SQLAQUIZ_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line}
        return complete_with(env, isolated_home)

    assert zsh("sqlaquiz run rel-lazy-l") == ["_arguments '*: :((\"rel-lazy-loop-n-plus-one\"))'"]
    assert zsh("sqlaquiz start --topic Rel") == [
        '_arguments \'*: :(("Relationships & loading"',
        '"Relationship shapes & inheritance"))\'',
    ]
    assert zsh("sqlaquiz list --tag zzz-no-such") == ["_files"]


def test_fish_protocol(isolated_home: Path) -> None:
    def fish(line: str, action: str = "get-args") -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "SQLAQUIZ_HOME": str(isolated_home),
            "_SQLAQUIZ_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_FISH_ACTION": action,
            "_TYPER_COMPLETE_ARGS": line,
        }
        return subprocess.run(sqlaquiz_command(), capture_output=True, text=True, env=env)

    assert fish("sqlaquiz show rel-lazy-l").stdout.splitlines() == ["rel-lazy-loop-n-plus-one"]
    assert fish("sqlaquiz start --difficulty e").stdout.splitlines() == ["easy"]
    assert fish("sqlaquiz start --topic Rel").stdout.splitlines() == [
        "Relationships & loading",
        "Relationship shapes & inheritance",
    ]
    assert fish("sqlaquiz run rel-lazy-l", "is-args").returncode == 0
    assert fish("sqlaquiz run zzz-no-such", "is-args").returncode == 1  # files then


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_a_real_bash_with_the_script_sqlaquiz_prints(isolated_home: Path) -> None:
    command = sqlaquiz_command()
    if len(command) != 1:
        pytest.skip("the console script is not installed")
    env = {**os.environ, "SQLAQUIZ_HOME": str(isolated_home), "_SQLAQUIZ_COMPLETE": "source_bash"}
    script = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    assert "complete -o default -F _sqlaquiz_completion sqlaquiz" in script
    session = (
        f"{script}\n"
        "COMP_WORDS=(sqlaquiz start --topic rel); COMP_CWORD=3\n"
        f"_sqlaquiz_completion {command[0]}\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
        "COMP_WORDS=(sqlaquiz run rel-lazy-l); COMP_CWORD=2\n"
        f"_sqlaquiz_completion {command[0]}\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env.pop("_SQLAQUIZ_COMPLETE")
    done = subprocess.run(
        ["bash", "--norc", "--noprofile"], input=session, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["relationships", "rel-lazy-loop-n-plus-one"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_tab_in_an_interactive_bash(isolated_home: Path) -> None:
    import pexpect

    command = sqlaquiz_command()
    if len(command) != 1:
        pytest.skip("the console script is not installed")
    env = {
        **os.environ,
        "PATH": f"{Path(command[0]).parent}{os.pathsep}{os.environ['PATH']}",
        "SQLAQUIZ_HOME": str(isolated_home),
        "TERM": "dumb",
        "PS1": "$ ",
    }
    shell = pexpect.spawn("bash", ["--norc", "--noprofile"], env=env, encoding="utf-8", timeout=30)
    shell.logfile_read = sys.stdout
    shell.expect_exact("$ ")
    shell.sendline('eval "$(_SQLAQUIZ_COMPLETE=source_bash sqlaquiz)"')
    shell.expect_exact("$ ")
    shell.send("sqlaquiz run rel-lazy-l\t")
    shell.expect_exact("sqlaquiz run rel-lazy-loop-n-plus-one ")
    shell.sendcontrol("c")
    shell.expect_exact("$ ")
    shell.send("sqlaquiz list --difficulty h\t")
    shell.expect_exact("sqlaquiz list --difficulty hard ")
    shell.sendcontrol("c")
    shell.expect_exact("$ ")
    shell.sendline("exit")
    shell.expect(pexpect.EOF)


HOSTILE = """\
topic:
  slug: odd
  name: "Odd $(touch pwned) `x`"
cards:
  - id: odd-card
    difficulty: easy
    tags: ["$(touch pwned)", "a;b", "o'k", "back\\\\slash", "fine-tag", "a b"]
    question: Q?
    answer: A.
"""


@pytest.mark.parametrize("cached", [True, False])
def test_no_completion_a_shell_would_read_as_code(
    deck_file, monkeypatch: pytest.MonkeyPatch, cached: bool
) -> None:  # type: ignore[no-untyped-def]
    from quiz.deck import cache

    deck = deck_file(HOSTILE)
    if not cached:
        monkeypatch.setattr(cache, "cached_library", lambda extra: None)
    line = on_line(deck=[deck])
    monkeypatch.setenv(complete.COMPLETE_VAR, "complete_zsh")
    assert complete.tags(line, "") == [
        t for t in complete.tags(on_line(), "") if t != "fine-tag"
    ] + ["a;b", "fine-tag", "a b"]
    assert complete.topics(line, "O") == []
    assert complete.topics(line, "od") == ["odd"]
    monkeypatch.setenv(complete.COMPLETE_VAR, "complete_bash")
    assert [t for t in complete.tags(line, "") if t in ("a;b", "a b", "fine-tag")] == ["fine-tag"]
    assert complete.card_ids(line, "odd") == ["odd-card"]
