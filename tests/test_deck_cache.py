"""The deck cache: the same library as a full load, refreshed by any change to a deck."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from quiz.deck.cache import KEEP, load_library_cached
from quiz.deck.cards import Card, Expect
from quiz.deck.loader import load_library
from quiz.paths import cache_dir

DECK = """\
topic:
  slug: cached
  name: Cached
cards:
  - id: cached-one
    difficulty: medium
    tags: [x, y]
    question: How many?
    answer: Two.
    example: |
      # %% setup
      print("hi")
      # %% count
      print("bye")
    expect:
      cells: {count: 0}
      stdout: [hi, bye]
    challenge:
      ask: raises
      prompt: Does it raise?
      answer: false
  - id: Broken Id
    difficulty: easy
    question: Q?
    answer: A.
"""


def test_a_cached_library_equals_a_full_load(deck_file) -> None:  # type: ignore[no-untyped-def]
    extra = [deck_file(DECK), Path("/no/such/deck.yaml")]
    fresh = load_library(extra)
    first = load_library_cached(extra)  # miss: loads and writes
    second = load_library_cached(extra)  # hit: read back from JSON
    assert list(cache_dir().glob("decks-*.json"))
    assert first == fresh
    assert second == fresh
    card = second.get("cached-one")
    assert card.tags == ("x", "y")
    assert card.expect is not None and card.expect.stdout == ("hi", "bye")
    assert card.challenge is not None and card.challenge.answer is False
    assert [str(p) for p in second.problems] == [str(p) for p in fresh.problems]
    assert len(second.problems) == 2  # the missing deck and the bad id, also from the cache


def test_a_same_size_edit_with_the_same_mtime_is_seen(deck_file) -> None:  # type: ignore[no-untyped-def]
    path = deck_file(DECK)
    assert load_library_cached([path]).get("cached-one").answer == "Two."
    stat = path.stat()
    path.write_text(DECK.replace("answer: Two.", "answer: Six."), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert load_library_cached([path]).get("cached-one").answer == "Six."


def test_a_corrupt_cache_is_loaded_afresh_and_replaced(deck_file) -> None:  # type: ignore[no-untyped-def]
    extra = [deck_file(DECK)]
    load_library_cached(extra)
    (entry,) = cache_dir().glob("decks-*.json")
    entry.write_text('{"key": "', encoding="utf-8")
    assert load_library_cached(extra) == load_library(extra)
    signature, body = entry.read_text(encoding="utf-8").split("\n", 1)
    assert len(signature) == 64 and body.startswith('{"key": "')
    assert len(entry.read_text(encoding="utf-8")) > 100


def test_an_unwritable_cache_only_costs_time(deck_file, isolated_home: Path) -> None:  # type: ignore[no-untyped-def]
    isolated_home.mkdir(parents=True)
    (isolated_home / "cache").write_text("a file where the folder should be")
    extra = [deck_file(DECK)]
    assert load_library_cached(extra) == load_library(extra)


def test_old_entries_are_dropped(tmp_path: Path) -> None:
    for i in range(KEEP + 3):
        deck = tmp_path / f"deck{i}.yaml"
        deck.write_text(DECK.replace("cached-one", f"cached-{i}"), encoding="utf-8")
        load_library_cached([deck])
    assert len(list(cache_dir().glob("decks-*.json"))) == KEEP
    assert not list(cache_dir().glob(".decks-*"))  # no temporary files left behind


PROBE = """
import sys
from quiz.cli import app
try:
    app(["list", "--json", "--topic", "models", "--deck", sys.argv[1]])
except SystemExit as exit:
    assert not exit.code, exit.code
heavy = [m for m in ("pydantic", "yaml", "typer._adapters") if m in sys.modules]
print("HEAVY", heavy, file=sys.stderr)
"""


def test_list_with_a_warm_cache_imports_neither_pydantic_nor_yaml(deck_file) -> None:  # type: ignore[no-untyped-def]
    """Typer's pydantic conversion and the deck schema cost ~110 ms of `sqlaquiz list`."""
    deck = str(deck_file(DECK))
    probe = [sys.executable, "-c", PROBE, deck]
    first = subprocess.run(probe, capture_output=True, text=True, check=True)
    assert "HEAVY ['pydantic', 'yaml']" in first.stderr  # a miss validates the decks
    second = subprocess.run(probe, capture_output=True, text=True, check=True)
    assert "HEAVY []" in second.stderr
    assert second.stdout == first.stdout
    assert '"id": "models-' in second.stdout


def test_deck_names_that_are_not_utf8_load(tmp_path: Path) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / os.fsdecode(b"caf\xe9.yaml")).write_text(DECK, encoding="utf-8")
    missing = Path(os.fsdecode(b"/no/such/\xff"))
    assert load_library_cached([folder, missing]) == load_library([folder, missing])
    assert load_library_cached([folder, missing]).get("cached-one").answer == "Two."


def test_a_deeply_nested_junk_entry_is_a_miss(deck_file) -> None:  # type: ignore[no-untyped-def]
    extra = [deck_file(DECK)]
    load_library_cached(extra)
    (entry,) = cache_dir().glob("decks-*.json")
    entry.write_text("[" * 100_000, encoding="utf-8")
    assert load_library_cached(extra) == load_library(extra)


def test_a_deck_saved_while_it_loads_is_not_cached_under_its_old_contents(
    deck_file, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from quiz.deck import loader as deck

    path = deck_file(DECK)
    real_load = deck.load_library

    def load_during_a_save(extra):  # type: ignore[no-untyped-def]
        library = real_load(extra)
        path.write_text(DECK.replace("answer: Two.", "answer: Ten."), encoding="utf-8")
        return library

    monkeypatch.setattr(deck, "load_library", load_during_a_save)
    assert load_library_cached([path]).get("cached-one").answer == "Two."
    assert not list(cache_dir().glob("decks-*.json"))
    monkeypatch.setattr(deck, "load_library", real_load)
    path.write_text(DECK, encoding="utf-8")  # the edit undone: the old contents again
    assert load_library_cached([path]).get("cached-one").answer == "Two."
    path.write_text(DECK.replace("answer: Two.", "answer: Ten."), encoding="utf-8")
    assert load_library_cached([path]).get("cached-one").answer == "Ten."


BOTH = """\
topic:
  slug: both
  name: Both
cards:
  - id: both-one
    difficulty: medium
    databases: [sqlite, postgresql]
    question: How many?
    answer: It depends.
    example: |
      # %% setup
      import os
      url = os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://")
      # %% count
      print("hi")
    expect:
      cells: {count: 0}
      raises: KeyError
      sqlite:
        cells: {setup: 0}
      postgresql:
        stdout: [hi]
        raises: null
    challenge:
      ask: queries
      cell: count
      prompt: How many?
      answer: {sqlite: 0, postgresql: 1}
"""


def test_cards_for_several_databases_come_back_from_the_cache(deck_file) -> None:  # type: ignore[no-untyped-def]
    extra = [deck_file(BOTH)]
    load_library_cached(extra)
    cached = load_library_cached(extra)
    assert cached == load_library(extra)
    card = cached.get("both-one")
    assert card.databases == ("sqlite", "postgresql")
    assert card.expect_for("sqlite") == Expect(cells={"count": 0, "setup": 0}, raises="KeyError")
    assert card.expect_for("postgresql") == Expect(cells={"count": 0}, stdout=("hi",))
    assert (card.answer_for("sqlite"), card.answer_for("postgresql")) == (0, 1)


def test_every_card_round_trips_through_json(deck_file) -> None:  # type: ignore[no-untyped-def]
    cards = load_library([deck_file(BOTH)]).cards
    assert len(cards) > 60
    for card in cards:
        assert Card.from_dict(json.loads(json.dumps(card.to_dict()))) == card
    both = cards[-1].to_dict()
    assert both["expect"]["sqlite"] == {"cells": {"setup": 0}, "stdout": []}  # nothing inherited
    assert both["expect"]["postgresql"] == {"cells": {}, "raises": None, "stdout": ["hi"]}


CACHED_PROBE = """
import sys
from pathlib import Path
from quiz.deck.cache import load_library_cached
card = load_library_cached([Path(sys.argv[1])]).get("both-one")
print(card.expect_for("postgresql"), card.answer_for("postgresql"))
print("HEAVY", [m for m in ("pydantic", "yaml") if m in sys.modules])
"""


def test_cards_for_several_databases_load_from_the_cache_without_pydantic(deck_file) -> None:  # type: ignore[no-untyped-def]
    deck = deck_file(BOTH)
    load_library_cached([deck])  # warm
    probe = [sys.executable, "-c", CACHED_PROBE, str(deck)]
    done = subprocess.run(probe, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "Expect(queries=None, cells={'count': 0}, raises=None, stdout=('hi',), sqlite=None, "
        "postgresql=None) 1",
        "HEAVY []",
    ]
