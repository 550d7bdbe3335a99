"""A deck you did not write runs nothing until you trust it, and nothing written into the cache
changes what a card says."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from quiz.deck.cache import load_library_cached
from quiz.paths import cache_dir
from tests.hostile.conftest import ESC, invoke, one_line

# Its example would leave a mark if it ran: the file RAN it writes in the test's folder (the
# tests turn the sandbox off, which would otherwise keep it from writing there).
DECK = """\
topic: {slug: untrusted, name: Untrusted}
cards:
  - id: u-challenge
    difficulty: easy
    question: How many queries?
    answer: One.
    example: |
      open(MARK, "w").write("the example ran")
      from sqlalchemy import create_engine, text
      with create_engine("sqlite://").connect() as conn:
          conn.execute(text("select 1"))
    expect: {queries: 1}
    challenge: {ask: queries, prompt: How many?, answer: 1}
"""


@pytest.fixture
def deck(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLAQUIZ_SANDBOX", "off")
    path = tmp_path / "deck.yaml"
    path.write_text(_deck(tmp_path))
    return path


def _deck(folder: Path) -> str:
    return DECK.replace("MARK", repr(str(folder / "RAN")))


def test_run_refuses_in_one_line_with_exit_8(deck: Path) -> None:
    line = one_line(invoke("run", "u-challenge", "--deck", str(deck)), 8)
    assert line == (
        f"error: card 'u-challenge' comes from {deck}, which is not trusted: nothing ran; read "
        f"the deck, then `sqlaquiz trust {deck}` lets it run (as you)"
    )
    assert not Path("RAN").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["run", "u-challenge", "--json"],
        ["run", "u-challenge", "--db", "both"],
        ["run", "u-challenge", "--edit"],
        ["validate", "--run"],
    ],
)
def test_every_way_to_run_it_refuses(args: list[str], deck: Path) -> None:
    one_line(invoke(*args, "--deck", str(deck)), 8, "not trusted", f"sqlaquiz trust {deck}")
    assert not Path("RAN").exists()


def test_validate_run_on_a_given_path_refuses_and_validate_alone_works(deck: Path) -> None:
    one_line(invoke("validate", "--run", str(deck)), 8, f"card 'u-challenge' comes from {deck}")
    assert not Path("RAN").exists()
    result = invoke("validate", str(deck))
    assert result.exit_code == 0 and result.stdout == "✓ 1 valid card, 0 problems\n"


def test_show_and_export_work_and_say_how_to_trust(deck: Path) -> None:
    shown = invoke("show", "u-challenge", "--deck", str(deck))
    assert shown.exit_code == 0
    assert "open(" in shown.stdout and "RAN" in shown.stdout  # the code, to read first
    assert "not run: this deck is not trusted" in shown.stdout
    assert f"sqlaquiz trust {deck}" in shown.stdout.replace("\n", "")
    exported = invoke("run", "u-challenge", "--export", "--deck", str(deck))
    assert exported.exit_code == 0 and "RAN" in exported.stdout
    assert not Path("RAN").exists()


def test_a_session_asks_its_challenge_as_a_question_and_r_runs_nothing(deck: Path) -> None:
    result = invoke(
        "start", "--deck", str(deck), "--topic", "untrusted", "--cram",
        input="one query\nr\n3\n",
        env={"SQLAQUIZ_NOW": "2026-03-02T09:00:00+00:00"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Predict" not in result.stdout and "Your answer" in result.stdout
    assert result.stdout.count("not run: this deck is not trusted") == 2  # shown, then on r
    assert not Path("RAN").exists()


def test_trusted_it_runs_changed_it_does_not_revoked_it_does_not(deck: Path) -> None:
    trusted = invoke("trust", str(deck))
    assert trusted.exit_code == 0 and f"trusted {deck}" in trusted.stdout
    assert invoke("run", "u-challenge", "--deck", str(deck)).exit_code == 0
    assert Path("RAN").read_text() == "the example ran"
    Path("RAN").unlink()
    deck.write_text(_deck(deck.parent).replace("select 1", "select 2"))  # same size, changed
    one_line(invoke("run", "u-challenge", "--deck", str(deck)), 8, "not trusted")
    listed = invoke("trust", "--list").stdout
    assert listed.startswith(f"changed  {deck}")
    assert invoke("trust", str(deck)).exit_code == 0
    assert invoke("trust", "--revoke", str(deck)).exit_code == 0
    one_line(invoke("run", "u-challenge", "--deck", str(deck)), 8, "not trusted")
    assert not Path("RAN").exists()


def test_a_copy_elsewhere_is_not_trusted(deck: Path, tmp_path: Path) -> None:
    assert invoke("trust", str(deck)).exit_code == 0
    copy = tmp_path / "copy.yaml"
    copy.write_text(_deck(tmp_path))
    one_line(invoke("run", "u-challenge", "--deck", str(copy)), 8, "not trusted")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["trust"], "give the deck file or folder to trust"),
        (["trust", "/dev/zero"], "not a regular file"),
        (["trust", "/nonexistent/deck.yaml"], "no such file or folder"),
        (["trust", "--revoke", "/nonexistent/deck.yaml"], "nothing is trusted at"),
        (["trust", "--list", "x.yaml"], "--list takes no PATH"),
        (["trust", ""], "an empty path is not a path"),
    ],
)
def test_trust_refusals_are_one_line(args: list[str], says: str, home: Path) -> None:
    one_line(invoke(*args), 2, says)


def test_trust_of_a_folder_without_decks(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    one_line(invoke("trust", str(tmp_path / "empty")), 2, "no deck files (*.yaml, *.yml)")


@pytest.mark.parametrize(
    "record",
    [
        b"not json",
        b'{"format": "sqlaquiz-trust", "decks": [{"path": 1}]}',
        b'{"format": "sqlaquiz-trust", "decks": "' + b"[" * 100 + b'"}',
        b"[" * 100_000,
    ],
)
def test_a_damaged_trust_record_trusts_nothing(record: bytes, deck: Path, home: Path) -> None:
    (home / "trust.json").write_bytes(record)
    one_line(invoke("run", "u-challenge", "--deck", str(deck)), 8, "not trusted")
    listed = invoke("trust", "--list").stdout
    assert listed == "No deck is trusted (the bundled decks always are).\n"


def test_a_forged_record_with_the_wrong_hash_trusts_nothing(deck: Path, home: Path) -> None:
    forged = {"format": "sqlaquiz-trust", "decks": [
        {"path": str(deck), "sha256": hashlib.sha256(b"other").hexdigest(), "trusted_at": "x"}
    ]}  # fmt: skip
    (home / "trust.json").write_text(json.dumps(forged))
    one_line(invoke("run", "u-challenge", "--deck", str(deck)), 8, "not trusted")


# ----------------------------------------------------------------------------- the deck cache

BUNDLED_ID = "sess-autoflush-visibility"


def _entry() -> Path:
    (entry,) = cache_dir().glob("decks-*.json")
    return entry


def _poison(entry: Path, signature: bytes | None) -> None:
    mac, _, body = entry.read_bytes().partition(b"\n")
    data = json.loads(body)
    for card in data["cards"]:
        if card["id"] == BUNDLED_ID:
            card["answer"] = "POISONED " + ESC + "[2J"
            card["example"] = "open('/tmp/pwned', 'w')"
    signed = signature if signature is not None else mac
    entry.write_bytes(signed + b"\n" + json.dumps(data).encode())


@pytest.mark.parametrize(
    "signature", [None, b"", b"0" * 64], ids=["old signature", "no signature", "wrong key"]
)
def test_a_poisoned_cache_entry_cannot_change_a_bundled_card(
    signature: bytes | None, home: Path
) -> None:
    original = load_library_cached([]).get(BUNDLED_ID)
    _poison(_entry(), signature)
    assert load_library_cached([]).get(BUNDLED_ID) == original
    shown = invoke("show", BUNDLED_ID, "--answer")
    assert "POISONED" not in shown.stdout and shown.exit_code == 0
    assert b"POISONED" not in _entry().read_bytes()  # written afresh


def test_a_cache_entry_signed_with_a_key_that_was_replaced_is_ignored(home: Path) -> None:
    original = load_library_cached([]).get(BUNDLED_ID)
    _poison(_entry(), None)
    (home / "cache.key").write_bytes(b"short")  # a damaged key: a new one, every entry afresh
    assert load_library_cached([]).get(BUNDLED_ID) == original
    assert len((home / "cache.key").read_bytes()) == 32


def test_a_cache_entry_that_is_a_fifo_is_ignored(home: Path) -> None:
    load_library_cached([])
    entry = _entry()
    entry.unlink()
    os.mkfifo(entry)
    assert load_library_cached([]).get(BUNDLED_ID).id == BUNDLED_ID  # no hang
