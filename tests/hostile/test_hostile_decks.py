"""Hostile decks: each is refused in one problem line (the other decks still load), or shown as
inert text, and nothing hangs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from quiz.deck.cards import MAX_ANSWER, MAX_EXAMPLE, MAX_QUESTION
from quiz.deck.loader import load_deck
from tests.hostile.conftest import ATTACKS, CARD, ESC, deck_text, invoke, one_line

GOOD = CARD.format(id="fine-card", question="Q?")


def card(**fields: str) -> str:
    body = {"id": "bad-card", "difficulty": "easy", "question": "Q?", "answer": "A.", **fields}
    return "  - " + "\n    ".join(f"{k}: {v}" for k, v in body.items()) + "\n"


# (name, deck text or bytes, what the one problem says)
TEXT_CASES: list[tuple[str, str | bytes, str]] = [
    (
        "5000-digit number",
        card(example='"print(1)"', expect="{queries: " + "9" * 5000 + "}"),
        "not a usable deck: Exceeds the limit (4300 digits)",
    ),
    (
        "count over the limit",
        card(example='"print(1)"', expect="{queries: 10000000}"),
        "less than or equal to 1000000",
    ),
    (
        "challenge answer over the limit",
        card(example='"print(1)"', challenge="{ask: queries, prompt: P?, answer: 10000000}"),
        "at most 1,000,000 queries",
    ),
    (
        "nesting past the recursion limit",
        "topic: " + "[" * 900 + "]" * 900 + "\n",
        "not a usable deck: maximum recursion depth exceeded",
    ),
    (
        "nesting past the parser's limit",
        "topic: " + "[" * 5000 + "]" * 5000 + "\n",
        "not valid YAML: exceeded maximum nesting depth",
    ),
    (
        "a python object tag",
        "topic: !!python/object/apply:os.system ['true']\ncards: []\n",
        "not valid YAML",
    ),
    (
        "a duplicate key",
        "topic: {slug: a, name: A}\ntopic: {slug: b, name: B}\ncards: []\n",
        "key 'topic' appears twice",
    ),
    ("a list, not a mapping", "- 1\n- 2\n", "a deck is a mapping with 'topic' and 'cards'"),
    ("not UTF-8", b"topic: \xff\xfe\ncards: []\n", "cannot read: 'utf-8' codec can't decode"),
    (
        "a question over the limit",
        card(question="x" * (MAX_QUESTION + 1)),
        f"at most {MAX_QUESTION} characters",
    ),
    (
        "an answer over the limit",
        card(answer="x" * (MAX_ANSWER + 1)),
        f"at most {MAX_ANSWER} characters",
    ),
    (
        "an example over the limit",
        card(example='"' + "#" * (MAX_EXAMPLE + 1) + '"'),
        f"at most {MAX_EXAMPLE} characters",
    ),
    (
        "too many tags",
        card(tags="[" + ", ".join(f"t{i}" for i in range(21)) + "]"),
        "at most 20 items",
    ),
    ("a tag too long", card(tags="[" + "t" * 41 + "]"), "at most 40 characters"),
    ("a topic name too long", deck_text(GOOD, topic="T" * 81), "at most 80 characters"),
    ("an escape sequence in an id", card(id='"bad\\e[2J"'), "should match pattern"),
    (
        "databases repeated a million times",
        card(databases="[" + "sqlite, " * 100 + "sqlite]"),
        "at most 8 items",
    ),
    (
        "an example nested too deeply",
        card(example='"' + "(" * 300 + ")" * 300 + '"'),
        "too many nested parentheses",
    ),
    (
        "an example a million additions long",
        card(example='"1' + "+1" * 20000 + '"'),
        "cannot be compiled: RecursionError",
    ),
    (
        "an example with a NUL byte",
        card(example='"x = 1\\0"'),
        "source code string cannot contain null bytes",
    ),
]


def _as_deck(content: str | bytes) -> bytes:
    if isinstance(content, bytes):
        return content
    if content.startswith("  - "):  # a card: wrap it in a deck beside a good one
        content = deck_text(GOOD, content)
    return content.encode()


@pytest.mark.parametrize(("name", "content", "says"), TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_a_hostile_deck_is_one_problem(
    name: str, content: str | bytes, says: str, tmp_path: Path
) -> None:
    path = tmp_path / "deck.yaml"
    path.write_bytes(_as_deck(content))
    cards, problems = load_deck(path)
    assert len(problems) == 1, [str(p) for p in problems]
    assert says in str(problems[0])
    assert [c.id for c in cards] in ([], ["fine-card"])  # the good card beside it still loads


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo.yaml"
    os.mkfifo(path)
    return path


def _huge(tmp_path: Path) -> Path:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as f:  # 30 MB, sparse: refused by its size before any read
        f.truncate(30 * 2**20)
    return path


SPECIAL: list[tuple[str, Callable[[Path], Path], str]] = [
    ("a FIFO", _fifo, "not a regular file (a FIFO, a device or a socket)"),
    ("/dev/zero", lambda tmp: Path("/dev/zero"), "not a regular file"),
    ("a 30 MB file", _huge, "too large (30.0 MiB; the limit is 8.0 MiB)"),
    (
        "a path component over 255 bytes",
        lambda tmp: tmp / ("d" * 300 + ".yaml"),
        "file name too long",
    ),
    ("a file that does not exist", lambda tmp: tmp / "nope.yaml", "no such file or folder"),
]


@pytest.mark.parametrize(("name", "make", "says"), SPECIAL, ids=[c[0] for c in SPECIAL])
def test_a_path_that_is_no_deck_is_one_warning_and_the_bundled_decks_still_list(
    name: str, make: Callable[[Path], Path], says: str, tmp_path: Path
) -> None:
    path = make(tmp_path)
    result = invoke("list", "--json", "--deck", str(path))
    assert result.exit_code == 0
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("warning: ") and says in warning
    assert len(json.loads(result.stdout)) > 90  # every bundled card


@pytest.mark.parametrize(("name", "make", "says"), SPECIAL, ids=[c[0] for c in SPECIAL])
def test_validate_names_it_in_one_line_and_exits_3(
    name: str, make: Callable[[Path], Path], says: str, tmp_path: Path
) -> None:
    result = invoke("validate", str(make(tmp_path)))
    one_line(result, 3, says)


def test_the_same_through_sqlaquiz_decks_breaks_no_command(tmp_path: Path) -> None:
    path = tmp_path / "big-number.yaml"
    path.write_bytes(_as_deck(TEXT_CASES[0][1]))
    for command in (["list", "--json"], ["topics", "--json"], ["stats", "--json"]):
        result = invoke(*command, env={"SQLAQUIZ_DECKS": str(path)})
        assert result.exit_code == 0, result.output
        assert result.stderr.count("\n") == 1 and "Exceeds the limit" in result.stderr


def test_a_folder_with_a_fifo_and_an_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    os.mkfifo(folder / "pipe.yaml")  # not a regular file: not a deck file of the folder
    (folder / "good.yaml").write_text(deck_text(GOOD))
    secret = folder / "secret.yaml"
    secret.write_text(deck_text(CARD.format(id="secret-card", question="Q?"), slug="s"))
    real_open = os.open

    def refusing_open(path: object, *args: object, **kwargs: object) -> int:
        # root can read a chmod 000 file: refuse as the kernel would for another user
        if str(path) == str(secret):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing_open)
    result = invoke("validate", str(folder))
    line = one_line(result, 3, "secret.yaml: cannot read: [Errno 13] Permission denied")
    assert line.startswith("✗ ")
    assert result.stdout == "✗ 1 valid card, 1 problem\n"


def test_an_empty_deck_path_is_refused_not_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stray.yaml").write_text("not: a deck\n")
    for command in (["list", "--deck", ""], ["validate", ""], ["show", "x", "--deck", ""]):
        one_line(invoke(*command), 2, "an empty path is not a path")


@pytest.mark.parametrize("attack", ATTACKS)
def test_escape_sequences_in_a_deck_are_shown_not_obeyed(attack: str, tmp_path: Path) -> None:
    hostile = json.dumps(f"Why {attack} here? [bold red]markup[/]")
    text = deck_text(
        "  - id: esc-card\n    difficulty: easy\n"
        f"    tags: [{json.dumps('t' + attack)}]\n"
        f"    question: {hostile}\n    answer: {hostile}\n"
        f"    example: {json.dumps('print(1)  # ' + attack)}\n",
        topic="Topic " + attack,
    )
    path = tmp_path / "esc.yaml"
    path.write_text(text)
    outputs = [
        invoke("show", "esc-card", "--answer", "--deck", str(path)).stdout,
        invoke("topics", "--deck", str(path)).stdout,
        invoke("list", "--deck", str(path), "--topic", "hostile").stdout,
    ]
    visible = attack.replace(ESC, "\\x1b").replace("\x9b", "\\x9b").replace("\x07", "\\x07")
    for out in outputs:
        assert ESC not in out and "\x9b" not in out and "\x07" not in out
    assert visible in outputs[0]  # the question, the answer, the tags, the code
    assert "[bold red]markup[/]" in outputs[0]  # markup shown as written
    assert visible in outputs[1]  # the topic's name


def test_an_unknown_id_full_of_escapes_is_one_inert_line() -> None:
    one_line(invoke("show", "x\x1b]52;c;AAAA\x07"), 4, "no card with id")
