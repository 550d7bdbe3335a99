"""Deck loading: every error names file, line, card and field; bad decks never hide good ones."""

from __future__ import annotations

from pathlib import Path

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
