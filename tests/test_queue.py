"""The session's queue and undo state, alone: no clock, no store, no terminal."""

from __future__ import annotations

from datetime import timedelta

from quiz.review.queue import LEARN_AHEAD, ReviewQueue, Tally
from quiz.review.scheduler import Rating


def queue(*cards: str) -> ReviewQueue:
    return ReviewQueue(list(cards), Tally())


def never(_card_id: str) -> bool:
    return False


def test_cards_come_in_order_and_the_position_counts() -> None:
    q = queue("a", "b")
    assert (q.next(never), q.position, q.can_undo) == ("a", "1/2", False)
    q.graded(Rating.Good, 1, None, timedelta(days=2))
    assert (q.next(never), q.position) == ("b", "2/2")
    q.skipped()
    assert q.next(never) is None
    assert (q.tally.reviewed, q.tally.again, q.tally.skipped) == (1, 0, 1)


def test_a_card_due_again_soon_comes_back_once_due_and_not_before() -> None:
    q = queue("a", "b", "c")
    q.next(never)
    entry = q.graded(Rating.Again, 1, None, timedelta(minutes=1))
    assert entry.requeued
    assert q.comes_back_later(entry)  # b and c are still to come
    assert q.later == ["a"]
    assert q.next(never) == "b"
    q.graded(Rating.Good, 2, None, timedelta(days=2))
    assert q.next(lambda card_id: card_id == "a") == "a"  # due now: it goes before c
    assert (q.cards, q.position, q.later) == (["a", "b", "a", "c"], "3/4", [])


def test_only_what_is_due_within_learn_ahead_comes_back() -> None:
    q = queue("a", "b", "c")
    assert q.graded(Rating.Good, 1, None, LEARN_AHEAD).requeued
    assert not q.graded(Rating.Good, 2, None, LEARN_AHEAD + timedelta(seconds=1)).requeued
    assert not q.graded(Rating.Again, None, None, None).requeued  # cram: nothing scheduled
    assert q.later == ["a"]


def test_the_last_card_graded_again_comes_back_without_the_promise() -> None:
    q = queue("a")
    entry = q.graded(Rating.Again, 1, None, timedelta(minutes=1))
    assert entry.requeued and not q.comes_back_later(entry)


def test_undo_takes_back_the_grade_the_tally_and_the_second_showing() -> None:
    q = queue("a", "b")
    q.predicted(True)
    q.graded(Rating.Again, 7, True, timedelta(minutes=1))
    assert (q.tally.reviewed, q.tally.again, q.tally.predictions, q.tally.predictions_right) == (
        1,
        1,
        1,
        1,
    )
    last = q.undo()
    assert (last.card_id, last.index, last.review_id, last.rating) == ("a", 0, 7, Rating.Again)
    assert (q.index, q.later, q.can_undo) == (0, [], False)
    assert (q.tally.reviewed, q.tally.again, q.tally.predictions, q.tally.predictions_right) == (
        0,
        0,
        0,
        0,
    )
    assert q.next(lambda _: True) == "a"


def test_undo_of_a_card_already_back_in_the_queue_removes_that_showing() -> None:
    q = queue("a", "b", "c")
    q.graded(Rating.Again, 1, None, timedelta(minutes=1))  # a comes back later
    q.graded(Rating.Good, 2, None, timedelta(days=1))
    assert q.next(lambda card_id: card_id == "a") == "a"  # a is back, before c
    q.skipped()
    assert q.next(never) == "c"
    assert q.cards == ["a", "b", "a", "c"]
    q.undo()  # b's grade: b shows again
    assert (q.next(never), q.cards) == ("b", ["a", "b", "a", "c"])
    q.undo()  # a's Again: its second showing goes too
    assert (q.next(never), q.cards, q.later) == ("a", ["a", "b", "c"], [])


def test_a_skip_is_not_undone_and_a_prediction_stays_counted_until_its_grade_is() -> None:
    q = queue("a", "b")
    q.graded(Rating.Good, 1, None, timedelta(days=2))
    q.predicted(False)  # on b, before b is graded
    q.skipped()
    assert q.undo().card_id == "a"  # the grade before the skip
    assert (q.tally.skipped, q.tally.predictions, q.tally.predictions_right) == (1, 1, 0)
