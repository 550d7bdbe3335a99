"""Easy authoring: `sqlaquiz schema`, `sqlaquiz new` and `validate --watch`, through the
installed command (and a real terminal where it asks or runs until Ctrl-C)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pexpect
import pytest
import yaml

from quiz.deck import authoring
from quiz.deck.schema import MODELINE, deck_schema
from quiz.paths import bundled_content_dir, deck_files
from tests.test_terminal import sqlaquiz_command

DECK = """\
# my deck: comments stay
topic:
  slug: my-notes
  name: My notes
cards:
- id: mine-first
  difficulty: easy
  question: Q?
  answer: A.
description: cards I wrote  # a key after the cards
"""

FILL = """\
import sys
path = sys.argv[-1]
text = open(path).read()
text = text.replace("Write the question here (Markdown).", "What does flush() send?")
text = text.replace("Write the answer here (Markdown).", "The pending changes, in one go.")
open(path, "w").write(text)
"""

BREAK = """\
import sys
path = sys.argv[-1]
text = open(path).read()
text = text.replace("Write the question here (Markdown).", "What does flush() send?")
text = text.replace("difficulty: hard", "difficulty: brutal")
open(path, "w").write(text)
"""

# the first save breaks the card, the second one (after "reopen") fixes it
BREAK_THEN_FIX = """\
import os, sys
path = sys.argv[-1]
count = path + ".count"
n = int(open(count).read()) if os.path.exists(count) else 0
open(count, "w").write(str(n + 1))
text = open(path).read()
if n == 0:
    text = text.replace("Write the question here (Markdown).", "What does flush() send?")
    text = text.replace("difficulty: hard", "difficulty: brutal")
else:
    text = text.replace("difficulty: brutal", "difficulty: hard")
    text = text.replace("Write the answer here (Markdown).", "The pending changes.")
open(path, "w").write(text)
"""


def editor(tmp_path: Path, code: str, name: str = "editor.py") -> str:
    script = tmp_path / name
    script.write_text(code)
    return f"{sys.executable} {script}"


def sqlaquiz(
    *args: str, home: Path, editor_command: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "SQLAQUIZ_HOME": str(home), "COLUMNS": "200", **env}
    full_env.pop("EDITOR", None)
    full_env.pop("VISUAL", None)
    if editor_command is not None:
        full_env["EDITOR"] = editor_command
    return subprocess.run(
        [*sqlaquiz_command(), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        env=full_env,
    )


# ------------------------------------------------------------------ schema


def test_the_schema_accepts_every_bundled_deck_and_knows_key_points(isolated_home: Path) -> None:
    done = sqlaquiz("schema", home=isolated_home)
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    assert schema == json.loads(json.dumps(deck_schema()))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in deck_files(bundled_content_dir()):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(data)) == [], path
    card = schema["$defs"]["Card"]
    assert "key_points" in card["properties"]
    assert schema["$defs"]["KeyPoint"]["required"] == ["point", "match"]
    for placed in ("topic", "topic_name", "source", "line"):  # the loader's, not the author's
        assert placed not in card["properties"]
    assert card["required"] == ["id", "difficulty", "question", "answer"]


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("question: Q?", "questoin: Q?"), "Additional properties are not allowed"),
        (("difficulty: easy", "difficulty: brutal"), "is not one of"),
        (("id: mine-first", "id: Mine First"), "does not match"),
    ],
)
def test_the_schema_refuses_what_the_loader_refuses(
    change: tuple[str, str], complaint: str
) -> None:
    validator = jsonschema.Draft202012Validator(deck_schema())
    assert list(validator.iter_errors(yaml.safe_load(DECK))) == []
    errors = list(validator.iter_errors(yaml.safe_load(DECK.replace(*change))))
    assert errors and any(complaint in e.message for e in errors)


def test_schema_file_prints_the_modeline(isolated_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "deck.schema.json"
    done = sqlaquiz("schema", str(target), home=isolated_home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"wrote {target}",
        "put this line at the top of a deck file:",
        f"# yaml-language-server: $schema={target}",
    ]
    assert json.loads(target.read_text()) == json.loads(json.dumps(deck_schema()))


# ------------------------------------------------------------------ where a card goes


def test_the_scaffold_goes_after_the_last_card_in_the_decks_own_style() -> None:
    text, line = authoring.with_card(DECK, "mine-new", "hard")
    assert text.startswith(DECK.split("description:")[0])  # nothing of the deck changed
    assert text.endswith("description: cards I wrote  # a key after the cards\n")
    assert text.splitlines()[line - 1] == "- id: mine-new"
    data = yaml.safe_load(text)
    assert [c["id"] for c in data["cards"]] == ["mine-first", "mine-new"]
    assert data["cards"][1]["difficulty"] == "hard"

    indented = "topic: {slug: a, name: A}\ncards:\n  - id: x\n    question: Q\n"
    text, line = authoring.with_card(indented, "y", "easy")
    assert text.splitlines()[line - 1] == "  - id: y"
    for empty in ("topic: {slug: a, name: A}\ncards: []\n", "cards:\ntopic: {slug: a}\n"):
        text, line = authoring.with_card(empty, "y", "easy")
        assert [c["id"] for c in yaml.safe_load(text)["cards"]] == ["y"]
    with pytest.raises(authoring.NoCardsList):
        authoring.with_card("topic: {slug: a, name: A}\n", "y", "easy")
    with pytest.raises(authoring.NoCardsList):
        authoring.with_card("cards: [{id: x}]\n", "y", "easy")


# ------------------------------------------------------------------ new


def test_new_adds_a_valid_card_to_a_new_deck_of_yours(isolated_home: Path, tmp_path: Path) -> None:
    done = sqlaquiz(
        "new", "--topic", "my-notes", "-d", "hard", "--id", "mine-flush",
        home=isolated_home, editor_command=editor(tmp_path, FILL),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    deck = isolated_home / "decks" / "my-notes.yaml"
    assert " ".join(done.stdout.split()) == (
        f"✓ added mine-flush to {deck}; `sqlaquiz show mine-flush` shows it"
    )
    text = deck.read_text()
    schema_file = isolated_home / "deck.schema.json"
    assert text.splitlines()[0] == f"{MODELINE}{schema_file}"
    assert json.loads(schema_file.read_text()) == json.loads(json.dumps(deck_schema()))
    assert yaml.safe_load(text)["topic"] == {"slug": "my-notes", "name": "My notes"}
    shown = sqlaquiz("show", "mine-flush", "--answer", home=isolated_home)
    assert shown.returncode == 0, shown.stderr
    assert "What does flush() send?" in shown.stdout
    assert "The pending changes, in one go." in shown.stdout
    listed = sqlaquiz("trust", "--list", home=isolated_home)
    assert f"trusted  {deck}" in listed.stdout  # you wrote it: it may run
    assert not list((isolated_home / "drafts").iterdir())
    # the next card of that topic goes into the same deck
    again = sqlaquiz(
        "new", "--topic", "My notes", "-d", "easy", "--id", "mine-two",
        home=isolated_home, editor_command=editor(tmp_path, FILL),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    ids = [c["id"] for c in yaml.safe_load(deck.read_text())["cards"]]
    assert ids == ["mine-flush", "mine-two"]


def test_new_into_a_given_deck_keeps_its_text(isolated_home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "mine.yaml"
    deck.write_text(DECK)
    deck.chmod(0o640)
    done = sqlaquiz(
        "new", "--deck", str(deck), "-d", "medium", "--id", "mine-second",
        home=isolated_home, editor_command=editor(tmp_path, FILL),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = deck.read_text()
    assert text.startswith("# my deck: comments stay\ntopic:\n")
    assert text.endswith("description: cards I wrote  # a key after the cards\n")
    assert [c["id"] for c in yaml.safe_load(text)["cards"]] == ["mine-first", "mine-second"]
    assert deck.stat().st_mode & 0o777 == 0o640
    checked = sqlaquiz("validate", str(deck), home=isolated_home)
    assert checked.returncode == 0, checked.stderr
    assert "2 valid cards, 0 problems" in checked.stdout
    wrong = sqlaquiz(
        "new", "--deck", str(deck), "--topic", "sessions", "-d", "easy", "--id", "x-y",
        home=isolated_home, editor_command=editor(tmp_path, FILL),
    )  # fmt: skip
    assert wrong.returncode == 2
    assert wrong.stderr == f"error: {deck} is the deck of topic 'my-notes', not 'sessions'\n"


def test_an_invalid_card_is_kept_aside_and_taken_up_again(
    isolated_home: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "mine.yaml"
    deck.write_text(DECK)
    args = ("new", "--deck", str(deck), "-d", "hard", "--id", "mine-broken")
    done = sqlaquiz(*args, home=isolated_home, editor_command=editor(tmp_path, BREAK))
    assert done.returncode == 3
    draft = isolated_home / "drafts" / "mine-broken.yaml"
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"✗ {draft}:")
    assert (
        "card 'mine-broken': field 'difficulty': input should be 'easy', 'medium' or 'hard'"
        in (lines[0])
    )
    assert any("field 'answer': still the placeholder: write the answer" in x for x in lines)
    assert " ".join(done.stderr.split()).endswith(
        f"error: the card is not added; your draft is kept at {draft} (`sqlaquiz new --id "
        f"mine-broken --deck {deck}` takes it up again)"
    )
    assert deck.read_text() == DECK  # the deck is as it was
    assert "difficulty: brutal" in draft.read_text()  # and what you wrote is kept

    fixed = editor(
        tmp_path,
        "import sys\np = sys.argv[-1]\nt = open(p).read()\n"
        "t = t.replace('brutal', 'hard').replace('Write the answer here (Markdown).', 'A.')\n"
        "open(p, 'w').write(t)\n",
        "fix.py",
    )
    again = sqlaquiz(*args, home=isolated_home, editor_command=fixed)
    assert again.returncode == 0, again.stderr
    assert f"taking up your draft of mine-broken: {draft}" in " ".join(again.stdout.split())
    assert [c["id"] for c in yaml.safe_load(deck.read_text())["cards"]] == [
        "mine-first",
        "mine-broken",
    ]
    assert not draft.exists()


def test_a_draft_belongs_to_its_deck(isolated_home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "mine.yaml"
    deck.write_text(DECK)
    args = ("new", "-d", "hard", "--id", "mine-broken")
    assert (
        sqlaquiz(
            *args, "--deck", str(deck), home=isolated_home, editor_command=editor(tmp_path, BREAK)
        ).returncode
        == 3
    )
    other = sqlaquiz(
        *args, "--topic", "sessions", home=isolated_home, editor_command=editor(tmp_path, FILL)
    )
    assert other.returncode == 2
    assert other.stderr.startswith(f"error: a draft of 'mine-broken' for {deck} is kept at ")


def test_an_untouched_scaffold_adds_nothing(isolated_home: Path, tmp_path: Path) -> None:
    done = sqlaquiz(
        "new", "--topic", "my-notes", "-d", "easy", "--id", "mine-x",
        home=isolated_home, editor_command="true",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "no card added: the scaffold was saved as it was\n"
    assert not (isolated_home / "decks" / "my-notes.yaml").exists()
    assert not list((isolated_home / "drafts").iterdir())


def test_a_deck_changed_meanwhile_is_not_overwritten(isolated_home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "mine.yaml"
    deck.write_text(DECK)
    meddle = FILL + f"open({str(deck)!r}, 'a').write('# edited elsewhere\\n')\n"
    done = sqlaquiz(
        "new", "--deck", str(deck), "-d", "easy", "--id", "mine-late",
        home=isolated_home, editor_command=editor(tmp_path, meddle),
    )  # fmt: skip
    assert done.returncode == 3
    assert deck.read_text() == DECK + "# edited elsewhere\n"
    draft = isolated_home / "drafts" / "mine-late.yaml"
    assert " ".join(done.stderr.split()) == (
        f"error: {deck} changed while you wrote the card: it was left as it is, and your "
        f"draft is kept at {draft}"
    )
    assert "What does flush() send?" in draft.read_text()


NO_TERMINAL = "is needed: there is no terminal to ask in"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id", "x-1", "-d", "easy"], f"error: --topic {NO_TERMINAL}"),
        (["--topic", "sessions", "--id", "x-1"], f"error: --difficulty {NO_TERMINAL}"),
        (["--topic", "sessions", "-d", "easy"], f"error: --id {NO_TERMINAL}"),
        (
            ["--topic", "sessions", "-d", "easy", "--id", "sess-autoflush-visibility"],
            "error: card id 'sess-autoflush-visibility' is taken (`sqlaquiz show "
            "sess-autoflush-visibility`)",
        ),
        (
            ["--topic", "sessions", "-d", "easy", "--id", "Bad Id"],
            "error: card id 'Bad Id': lower-case letters, digits and dashes, at most 80",
        ),
        (
            ["--topic", "Not A Slug", "-d", "easy", "--id", "x-1"],
            "error: topic 'Not A Slug': not a known topic, and not a slug for a new one "
            "(lower-case letters, digits and dashes)",
        ),
        (
            ["--topic", "sessions", "-d", "tough", "--id", "x-1"],
            "error: difficulty 'tough': use easy, medium or hard",
        ),
    ],
)
def test_new_without_a_terminal_needs_its_flags(
    isolated_home: Path, args: list[str], message: str
) -> None:
    done = sqlaquiz("new", *args, home=isolated_home, editor_command="true")
    assert done.returncode == 2
    assert " ".join(done.stderr.split()) == message


def test_new_without_an_editor_or_a_terminal_says_so(isolated_home: Path) -> None:
    done = sqlaquiz("new", "--topic", "sessions", "-d", "easy", "--id", "x-1", home=isolated_home)
    assert done.returncode == 2
    assert done.stderr == (
        "error: no terminal to edit in: set $EDITOR (or `sqlaquiz config editor COMMAND`)\n"
    )


def spawn(args: list[str], home: Path, **env: str) -> pexpect.spawn:
    cmd = sqlaquiz_command()
    full = {**os.environ, "SQLAQUIZ_HOME": str(home), "TERM": "xterm", **env}
    child = pexpect.spawn(
        cmd[0], cmd[1:] + args, env=full, encoding="utf-8", timeout=30, dimensions=(40, 200)
    )
    child.logfile_read = sys.stdout
    return child


@pytest.mark.slow
def test_new_asks_in_a_terminal_and_reopens_the_editor_on_errors(
    isolated_home: Path, tmp_path: Path
) -> None:
    child = spawn(["new"], isolated_home, EDITOR=editor(tmp_path, BREAK_THEN_FIX))
    child.expect("Topic \\(a slug or name above, or a new slug\\)")
    child.sendline("my-notes")
    child.expect("Name of the new topic")
    child.sendline("")  # the default: "My notes"
    child.expect("Level")
    child.sendline("hard")
    child.expect("Card id")
    child.sendline("sess-autoflush-visibility")  # taken: asked again
    child.expect("is taken")
    child.expect("Card id")
    child.sendline("mine-asked")
    child.expect("input should be 'easy', 'medium' or 'hard'")
    child.expect("Reopen the editor to fix it\\?")
    child.sendline("y")
    child.expect("added mine-asked to")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    data = yaml.safe_load((isolated_home / "decks" / "my-notes.yaml").read_text())
    assert data["topic"] == {"slug": "my-notes", "name": "My notes"}
    assert [(c["id"], c["difficulty"]) for c in data["cards"]] == [("mine-asked", "hard")]


# ------------------------------------------------------------------ validate --watch


@pytest.mark.slow
def test_validate_watch_checks_on_every_save_and_ends_with_ctrl_c(
    isolated_home: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "mine.yaml"
    deck.write_text(DECK)
    child = spawn(["validate", "--watch", str(deck)], isolated_home)
    child.expect("watching 1 deck file; Ctrl-C stops")
    child.expect("1 valid card, 0 problems")
    time.sleep(0.1)
    deck.write_text(DECK.replace("difficulty: easy", "difficulty: brutal"))
    child.expect("mine.yaml changed")
    child.expect("field 'difficulty': input should be 'easy', 'medium' or 'hard'")
    child.expect("0 valid cards, 1 problem")
    # an editor that saves through a new file renamed over the old one
    fresh = tmp_path / ".mine.yaml.swp"
    fresh.write_text(DECK)
    fresh.replace(deck)
    child.expect("mine.yaml changed")
    child.expect("1 valid card, 0 problems")
    child.sendintr()
    child.expect("stopped watching")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")


def test_a_kept_draft_never_overwrites_a_deck_changed_since(
    isolated_home: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "mine.yaml"
    deck.write_text(DECK)
    args = ("new", "--deck", str(deck), "-d", "hard", "--id", "mine-broken")
    assert (
        sqlaquiz(*args, home=isolated_home, editor_command=editor(tmp_path, BREAK)).returncode == 3
    )
    deck.write_text(DECK + "# a later edit\n")
    fixed = editor(
        tmp_path,
        "import sys\np = sys.argv[-1]\nt = open(p).read()\n"
        "t = t.replace('brutal', 'hard').replace('Write the answer here (Markdown).', 'A.')\n"
        "open(p, 'w').write(t)\n",
        "fix.py",
    )
    done = sqlaquiz(*args, home=isolated_home, editor_command=fixed)
    assert done.returncode == 3
    assert "changed while you wrote the card: it was left as it is" in done.stderr
    assert deck.read_text() == DECK + "# a later edit\n"
    assert (isolated_home / "drafts" / "mine-broken.yaml").exists()


@pytest.mark.slow
def test_ctrl_c_in_the_editor_keeps_the_draft(isolated_home: Path, tmp_path: Path) -> None:
    slow = editor(tmp_path, "import sys, time\nprint('editing', flush=True)\ntime.sleep(60)\n")
    args = ["new", "--topic", "my-notes", "-d", "easy", "--id", "mine-cut"]
    child = spawn(args, isolated_home, EDITOR=slow)
    child.expect("Name of the new topic")
    child.sendline("")
    child.expect("editing")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    draft = isolated_home / "drafts" / "mine-cut.yaml"
    assert child.exitstatus == 130
    assert f"interrupted — no card added; your draft is kept at {draft}" in " ".join(
        (child.before or "").split()
    )
    assert "- id: mine-cut" in draft.read_text()


def test_a_deck_that_cannot_be_written_keeps_the_draft(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quiz.commands import new as command
    from quiz.errors import DeckError

    deck = tmp_path / "mine.yaml"
    deck.write_text(DECK)
    monkeypatch.setenv("EDITOR", editor(tmp_path, FILL))

    def refuse(path: Path, text: str) -> None:
        if path == deck.resolve():
            raise PermissionError(13, "Permission denied")
        Path(path).write_text(text)

    monkeypatch.setattr(command, "write_atomic", refuse)
    with pytest.raises(DeckError) as raised:
        command.new(topic=None, difficulty="easy", card_id="mine-locked", deck=deck)
    draft = isolated_home / "drafts" / "mine-locked.yaml"
    assert str(raised.value) == (
        f"cannot write {deck}: Permission denied; your draft is kept at {draft}"
    )
    assert deck.read_text() == DECK
    assert "What does flush() send?" in draft.read_text()
