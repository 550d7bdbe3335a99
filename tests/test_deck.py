"""Deck loading: every error names file, line, card and field; bad decks never hide good ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.deck.cards import Expect
from quiz.deck.loader import load_deck, load_library

GOOD = """\
topic:
  slug: demo
  name: Demo
cards:
  - id: demo-one
    difficulty: easy
    tags: [a]
    question: Q?
    answer: A.
    example: |
      # %% only
      print("hi")
    expect:
      queries: 0
      stdout: [hi]
"""


def test_good_deck_loads(deck_file) -> None:  # type: ignore[no-untyped-def]
    cards, problems = load_deck(deck_file(GOOD))
    assert problems == []
    (card,) = cards
    assert (card.id, card.topic, card.topic_name, card.difficulty, card.tags, card.line) == (
        "demo-one",
        "demo",
        "Demo",
        "easy",
        ("a",),
        5,
    )


def test_field_errors_name_file_line_card_and_field(deck_file) -> None:  # type: ignore[no-untyped-def]
    path = deck_file(GOOD.replace("difficulty: easy", "difficulty: extreme") + "    colour: red\n")
    cards, problems = load_deck(path)
    assert cards == []
    assert [str(p) for p in problems] == [
        f"{path}:6: card 'demo-one': field 'difficulty': input should be 'easy', 'medium' "
        "or 'hard'",
        f"{path}:16: card 'demo-one': field 'colour': unknown field",
    ]


def test_all_bad_cards_are_reported_and_good_ones_kept(deck_file) -> None:  # type: ignore[no-untyped-def]
    text = (
        GOOD
        + """\
  - id: Bad Id
    difficulty: hard
    question: Q
    answer: A
  - id: no-answer
    difficulty: hard
    question: Q
"""
    )
    path = deck_file(text)
    cards, problems = load_deck(path)
    assert [c.id for c in cards] == ["demo-one"]
    assert [str(p) for p in problems] == [
        f"{path}:16: card 'Bad Id': field 'id': string should match pattern '^[a-z0-9][a-z0-9-]*$'",
        f"{path}:20: card 'no-answer': field 'answer': field required",
    ]


def test_yaml_syntax_error_has_a_line(deck_file) -> None:  # type: ignore[no-untyped-def]
    path = deck_file("topic:\n  slug: x\n  name: [unclosed\ncards: []\n")
    _, problems = load_deck(path)
    assert len(problems) == 1
    assert str(problems[0]).startswith(f"{path}:4: not valid YAML: ")


def test_duplicate_key_is_an_error(deck_file) -> None:  # type: ignore[no-untyped-def]
    path = deck_file(GOOD.replace("    tags: [a]\n", "    tags: [a]\n    tags: [b]\n"))
    _, problems = load_deck(path)
    assert [str(p) for p in problems] == [f"{path}:8: key 'tags' appears twice in one mapping"]


def test_example_syntax_error_points_into_the_file(deck_file) -> None:  # type: ignore[no-untyped-def]
    path = deck_file(GOOD.replace('print("hi")', 'print("hi"'))
    _, problems = load_deck(path)
    assert len(problems) == 1
    assert str(problems[0]).startswith(
        f"{path}:12: card 'demo-one': field 'example': syntax error in example line 2: "
    )


def test_expectations_must_name_real_cells(deck_file) -> None:  # type: ignore[no-untyped-def]
    path = deck_file(GOOD + "      cells: {nope: 1}\n")
    _, problems = load_deck(path)
    assert [str(p) for p in problems] == [
        f"{path}:16: card 'demo-one': field 'expect.cells.nope': no cell titled 'nope'; "
        "cells are ['only']"
    ]


def test_challenge_answer_type_is_checked(deck_file) -> None:  # type: ignore[no-untyped-def]
    path = deck_file(
        GOOD + "    challenge:\n      ask: raises\n      prompt: P?\n      answer: 3\n"
    )
    _, problems = load_deck(path)
    assert [str(p) for p in problems] == [
        f"{path}:19: card 'demo-one': field 'challenge.answer': a 'raises' challenge needs "
        "answer: true or false"
    ]


def test_duplicate_ids_across_decks(tmp_path: Path, deck_file) -> None:  # type: ignore[no-untyped-def]
    first = deck_file(GOOD, "a.yaml")
    second = deck_file(GOOD.replace("slug: demo", "slug: other"), "b.yaml")
    library = load_library([tmp_path], bundled=False)
    assert [c.id for c in library.cards] == ["demo-one"]
    assert [str(p) for p in library.problems] == [
        f"{second}:5: card 'demo-one': field 'id': duplicate id, first defined at {first}:5"
    ]


def test_bad_user_deck_never_hides_bundled_cards(deck_file) -> None:  # type: ignore[no-untyped-def]
    bundled = load_library()
    broken = deck_file("this: [is not\n")
    library = load_library([broken])
    assert [c.id for c in library.cards] == [c.id for c in bundled.cards]
    assert len(library.problems) == 1 and str(library.problems[0]).startswith(str(broken))


def test_missing_user_deck_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    library = load_library([tmp_path / "nope.yaml"])
    assert [str(p) for p in library.problems] == [
        f"{tmp_path / 'nope.yaml'}: no such file or folder"
    ]


def test_a_mapping_key_that_is_not_a_plain_value(deck_file) -> None:  # type: ignore[no-untyped-def]
    path = deck_file("topic: {slug: x, name: X}\ncards:\n  - ? [a, b]\n    : 1\n")
    _, problems = load_deck(path)
    assert [str(p) for p in problems] == [
        f"{path}:3: mapping keys must be plain values (text or numbers)"
    ]


def test_validating_a_file_reports_ids_that_clash_with_bundled_cards(deck_file) -> None:  # type: ignore[no-untyped-def]
    path = deck_file(GOOD.replace("id: demo-one", "id: rel-lazy-loop-n-plus-one"))
    library = load_library([path], bundled=False)
    assert len(library.problems) == 1
    assert str(library.problems[0]).startswith(
        f"{path}:5: card 'rel-lazy-loop-n-plus-one': field 'id': duplicate id, first defined at "
    )


def test_validating_a_bundled_deck_itself_is_not_a_clash() -> None:
    from quiz.paths import bundled_content_dir

    library = load_library([bundled_content_dir() / "03-sessions.yaml"], bundled=False)
    assert library.problems == []
    assert len(library.cards) == 7


def test_an_unclosed_bracket_says_where_it_was_opened(deck_file) -> None:  # type: ignore[no-untyped-def]
    path = deck_file(GOOD.replace("    tags: [a]\n", "    tags: [a, b\n"))
    _, problems = load_deck(path)
    assert [str(p) for p in problems] == [
        f"{path}:8: not valid YAML: did not find expected ',' or ']' "
        "(while parsing a flow sequence at line 7)"
    ]


# --------------------------------------------------------------------------- several databases

BOTH = """\
topic:
  slug: demo
  name: Demo
cards:
  - id: demo-both
    difficulty: medium
    databases: [sqlite, postgresql]
    question: Q?
    answer: A.
    example: |
      # %% setup
      import os
      from sqlalchemy import create_engine
      engine = create_engine(os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://"))
      # %% load
      print("hi")
    expect:
      queries: 2
      cells: {load: 0}
      raises: KeyError
      stdout: [hi]
      sqlite:
        cells: {setup: 0}
      postgresql:
        cells: {load: 1}
        stdout: [there]
        queries: 3
        raises: null
    challenge:
      ask: queries
      cell: load
      prompt: P?
      answer: {sqlite: 5, postgresql: 1}
"""


def problems_of(deck_file, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    path = deck_file(text)
    cards, problems = load_deck(path)
    assert cards == [] or not problems
    return [str(p).replace(str(path), "deck.yaml") for p in problems]


def test_per_database_blocks_merge_over_the_common_expectations(deck_file) -> None:  # type: ignore[no-untyped-def]
    (card,) = load_deck(deck_file(BOTH))[0]
    assert card.databases == ("sqlite", "postgresql")
    assert card.runs_on("postgresql") and not card.runs_on("mysql")
    assert card.expect_for("sqlite") == Expect(
        queries=2, cells={"load": 0, "setup": 0}, raises="KeyError", stdout=("hi",)
    )
    assert card.expect_for("postgresql") == Expect(
        queries=3, cells={"load": 1}, raises=None, stdout=("hi", "there")
    )
    assert (card.answer_for("sqlite"), card.answer_for("postgresql")) == (5, 1)


def test_a_card_runs_on_sqlite_unless_it_says_otherwise(deck_file) -> None:  # type: ignore[no-untyped-def]
    path = deck_file(GOOD + "    challenge: {ask: raises, prompt: P?, answer: false}\n")
    (card,) = load_deck(path)[0]
    assert card.databases == ("sqlite",)
    assert card.expect_for("sqlite") == Expect(queries=0, stdout=("hi",))
    assert card.answer_for("sqlite") is False
    with pytest.raises(ValueError) as raised:
        card.expect_for("postgresql")
    assert str(raised.value) == (
        "card 'demo-one': the card does not run on postgresql: databases is [sqlite]"
    )
    with pytest.raises(ValueError):
        card.answer_for("postgresql")


def test_one_plain_answer_holds_on_every_database(deck_file) -> None:  # type: ignore[no-untyped-def]
    (card,) = load_deck(deck_file(BOTH.replace("{sqlite: 5, postgresql: 1}", "4")))[0]
    assert (card.answer_for("sqlite"), card.answer_for("postgresql")) == (4, 4)


def test_a_card_without_expectations_claims_nothing(deck_file) -> None:  # type: ignore[no-untyped-def]
    (card,) = load_deck(deck_file(GOOD.split("    expect:")[0]))[0]
    assert card.expect_for("sqlite") == Expect()
    assert card.answer_for("sqlite") is None


LISTED = "databases: [sqlite, postgresql]"
ANSWER = "answer: {sqlite: 5, postgresql: 1}"
BROKEN_RULES = [
    pytest.param(LISTED, "databases: [sqlite, mysql]", [
        "deck.yaml:7: card 'demo-both': field 'databases.1': input should be 'sqlite' or "
        "'postgresql'",
    ], id="unknown database"),
    pytest.param(LISTED, "databases: [postgresql, sqlite, postgresql]", [
        "deck.yaml:7: card 'demo-both': field 'databases': postgresql is listed twice",
    ], id="listed twice"),
    pytest.param(LISTED, "databases: []", [
        "deck.yaml:7: card 'demo-both': field 'databases': list at least one database: "
        "sqlite or postgresql",
    ], id="none listed"),
    pytest.param(f"{LISTED}\n", "databases: [sqlite]\n", [
        "deck.yaml:24: card 'demo-both': field 'expect.postgresql': the card does not run on "
        "postgresql: databases is [sqlite]",
        "deck.yaml:33: card 'demo-both': field 'challenge.answer.postgresql': the card does not "
        "run on postgresql: databases is [sqlite]",
    ], id="block and answer for a database not listed"),
    pytest.param("        cells: {setup: 0}\n", "        colour: red\n        sqlite: {}\n", [
        "deck.yaml:23: card 'demo-both': field 'expect.sqlite.colour': unknown field",
        "deck.yaml:24: card 'demo-both': field 'expect.sqlite.sqlite': unknown field",
    ], id="unknown keys and blocks inside blocks"),
    pytest.param("cells: {load: 1}", "cells: {load: 1, nope: 2}", [
        "deck.yaml:25: card 'demo-both': field 'expect.postgresql.cells.nope': no cell titled "
        "'nope'; cells are ['setup', 'load']",
    ], id="a block names real cells"),
    pytest.param("cells: {load: 1}\n        stdout: [there]\n        queries: 3", (
        "cells: {load: -1}\n        stdout: [there]\n        queries: -3"
    ), [  # in the order of the schema's fields
        "deck.yaml:27: card 'demo-both': field 'expect.postgresql.queries': input should be "
        "greater than or equal to 0",
        "deck.yaml:25: card 'demo-both': field 'expect.postgresql.cells.load': input should be "
        "greater than or equal to 0",
    ], id="a block counts from zero"),
    pytest.param(ANSWER, "answer: {sqlite: 5}", [
        "deck.yaml:33: card 'demo-both': field 'challenge.answer': no answer for postgresql: an "
        "answer per database covers every database the card lists (sqlite, postgresql)",
    ], id="an answer missing"),
    pytest.param(ANSWER, "answer: {sqlite: 5, postgresql: 1, mysql: 2}", [
        "deck.yaml:33: card 'demo-both': field 'challenge.answer.mysql': no database 'mysql'; "
        "use sqlite or postgresql",
    ], id="an answer for an unknown database"),
    pytest.param(ANSWER, "answer: {sqlite: 5, postgresql: many}", [
        "deck.yaml:33: card 'demo-both': field 'challenge.answer.postgresql': a 'queries' "
        "challenge needs a whole number >= 0 as answer",
    ], id="an answer of the wrong type"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "expected"), BROKEN_RULES)
def test_the_rules_for_several_databases(
    deck_file, old: str, new: str, expected: list[str]
) -> None:  # type: ignore[no-untyped-def]
    assert BOTH.count(old) == 1
    assert problems_of(deck_file, BOTH.replace(old, new)) == expected


def test_an_answer_for_a_database_the_card_does_not_list(deck_file) -> None:  # type: ignore[no-untyped-def]
    text = (
        BOTH.replace("databases: [sqlite, postgresql]", "databases: [postgresql]")
        .replace("      sqlite:\n        cells: {setup: 0}\n", "")
        .replace("answer: {sqlite: 5, postgresql: 1}", "answer:\n        sqlite: 5\n")
    )
    assert problems_of(deck_file, text) == [
        "deck.yaml:32: card 'demo-both': field 'challenge.answer.sqlite': the card does not run "
        "on sqlite: databases is [postgresql]",
        "deck.yaml:31: card 'demo-both': field 'challenge.answer': no answer for postgresql: an "
        "answer per database covers every database the card lists (postgresql)",
    ]


def test_a_raises_answer_per_database(deck_file) -> None:  # type: ignore[no-untyped-def]
    text = BOTH.replace("ask: queries", "ask: raises").replace("      cell: load\n", "")
    flags = text.replace("{sqlite: 5, postgresql: 1}", "{sqlite: true, postgresql: false}")
    (card,) = load_deck(deck_file(flags))[0]
    assert (card.answer_for("sqlite"), card.answer_for("postgresql")) == (True, False)
    assert problems_of(deck_file, text) == [
        "deck.yaml:32: card 'demo-both': field 'challenge.answer.sqlite': a 'raises' challenge "
        "needs answer: true or false",
        "deck.yaml:32: card 'demo-both': field 'challenge.answer.postgresql': a 'raises' "
        "challenge needs answer: true or false",
    ]


def test_databases_need_an_example(deck_file) -> None:  # type: ignore[no-untyped-def]
    text = GOOD.split("    example:")[0] + "    databases: [postgresql]\n"
    assert problems_of(deck_file, text) == [
        "deck.yaml:10: card 'demo-one': field 'databases': 'databases' needs an 'example' to run"
    ]


def test_the_loader_fills_in_where_a_card_is_never_the_card(deck_file) -> None:  # type: ignore[no-untyped-def]
    text = GOOD.replace("    tags: [a]\n", "    tags: [a]\n    line: 3\n    topic: other\n")
    assert problems_of(deck_file, text) == [
        "deck.yaml:8: card 'demo-one': field 'line': unknown field",
        "deck.yaml:9: card 'demo-one': field 'topic': unknown field",
    ]


# --------------------------------------------------------------------------- the declaration

SQLITE_ONLY = """\
      # %% setup
      import os
      from sqlalchemy import create_engine, text
      from sqlalchemy.pool import StaticPool
      url = os.environ.get("SQLAQUIZ_DATABASE_URL", "sqlite://")
      engine = create_engine(url, poolclass=StaticPool,
                             connect_args={"check_same_thread": False})
      # %% load
      with create_engine("sqlite:///x.db").connect() as conn:  # pragma: no cover
          conn.execute(text("PRAGMA foreign_keys = ON"))
"""


def with_example(example: str, databases: str = "[sqlite, postgresql]") -> str:
    head = BOTH.split("    example: |\n")[0].replace("[sqlite, postgresql]", databases)
    return head + "    example: |\n" + example


def test_sqlite_only_code_cannot_claim_postgresql(deck_file) -> None:  # type: ignore[no-untyped-def]
    assert problems_of(deck_file, with_example(SQLITE_ONLY)) == [
        "deck.yaml:14: card 'demo-both': field 'example': StaticPool is SQLite-only, but the "
        "card lists postgresql (example line 4)",
        "deck.yaml:17: card 'demo-both': field 'example': check_same_thread is SQLite-only, but "
        "the card lists postgresql (example line 7)",
        "deck.yaml:19: card 'demo-both': field 'example': a fixed 'sqlite:///x.db' URL is "
        "SQLite-only, but the card lists postgresql (example line 9)",
        "deck.yaml:20: card 'demo-both': field 'example': PRAGMA is SQLite-only, but the card "
        "lists postgresql (example line 10)",
    ]


def test_sqlite_only_code_is_fine_on_a_card_for_sqlite(deck_file) -> None:  # type: ignore[no-untyped-def]
    assert problems_of(deck_file, with_example(SQLITE_ONLY, "[sqlite]")) == []


def test_a_postgresql_card_must_read_the_url_it_is_given(deck_file) -> None:  # type: ignore[no-untyped-def]
    example = (
        '      from sqlalchemy import create_engine\n      engine = create_engine("sqlite://")\n'
    )
    assert problems_of(deck_file, with_example(example, "[postgresql]")) == [
        "deck.yaml:7: card 'demo-both': field 'databases': the card lists postgresql, but its "
        "example never reads SQLAQUIZ_DATABASE_URL or SQLAQUIZ_ASYNC_DATABASE_URL, so it cannot "
        "reach the database it is given",
        "deck.yaml:12: card 'demo-both': field 'example': a fixed 'sqlite://' URL is "
        "SQLite-only, but the card lists postgresql (example line 2)",
    ]


def test_a_sqlite_fallback_in_the_statement_that_reads_the_url_is_fine(deck_file) -> None:  # type: ignore[no-untyped-def]
    example = """\
      import os
      from sqlalchemy.ext.asyncio import create_async_engine
      engine = create_async_engine(
          os.environ.get(
              "SQLAQUIZ_ASYNC_DATABASE_URL",
              "sqlite+aiosqlite://",
          )
      )
      url = os.getenv("SQLAQUIZ_DATABASE_URL") or "sqlite://"  # pragma: no cover
"""
    assert problems_of(deck_file, with_example(example, "[postgresql]")) == []


KEY_POINTS = """\
    key_points:
      - point: autoflush sends pending changes first
        match: [autoflush, flush before query]
      - point: the identity map
        match: [identity map]
"""


def test_key_points_load_as_points_and_phrases(deck_file) -> None:  # type: ignore[no-untyped-def]
    (card,) = load_deck(deck_file(GOOD + KEY_POINTS))[0]
    assert [(k.point, k.match) for k in card.key_points] == [
        ("autoflush sends pending changes first", ("autoflush", "flush before query")),
        ("the identity map", ("identity map",)),
    ]


def test_one_key_point_is_too_few(deck_file) -> None:  # type: ignore[no-untyped-def]
    text = GOOD + KEY_POINTS.split("      - point: the identity map")[0]
    assert problems_of(deck_file, text) == [
        "deck.yaml:16: card 'demo-one': field 'key_points': list 2 to 5 key points"
    ]


def test_a_phrase_without_a_word_never_matches_and_is_refused(deck_file) -> None:  # type: ignore[no-untyped-def]
    text = GOOD + KEY_POINTS.replace("[identity map]", "[identity map, '()']")
    assert problems_of(deck_file, text) == [
        "deck.yaml:20: card 'demo-one': field 'key_points.1.match.1': '()' has no word to match"
    ]
