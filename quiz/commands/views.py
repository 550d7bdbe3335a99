"""`list`, `topics`, `show` and `stats`: read-only views of the cards and of your progress."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from quiz.commands import common


def list_cards(
    *,
    topics: list[str] | None,
    levels: list[str] | None,
    tags: list[str] | None,
    due: bool,
    as_json: bool,
    decks: list[Path] | None,
) -> None:
    from quiz.progress import stats
    from quiz.ui import progress_views

    cards = common.select(common.library(decks), topics, levels, tags)
    with common.existing_store() as store:
        states = store.states() if store is not None else {}
    rows = stats.card_rows(cards, states)
    if due:
        rows = [r for r in rows if r.is_due]
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in rows], indent=2))
        return
    console = common.console()
    filtered = bool(topics or levels or tags)
    empty = "Nothing is due right now." if due and not filtered else "No cards match."
    console.print(progress_views.card_table(rows, console.width, empty))


def topics(*, as_json: bool, decks: list[Path] | None) -> None:
    from quiz.progress import stats
    from quiz.ui import progress_views

    loaded = common.library(decks)
    with common.existing_store() as store:
        states = store.states() if store is not None else {}
    summary = stats.topic_summary(loaded, states)
    if as_json:
        typer.echo(json.dumps([t.to_json() for t in summary], indent=2))
    else:
        common.console().print(progress_views.topics_table(summary))


def show(card_id: str, *, with_answer: bool, decks: list[Path] | None) -> None:
    from quiz.ui import card_view

    library = common.library(decks)
    card = library.get(card_id)
    trusted = library.trusted(card)
    console = common.console()
    console.print(card_view.question(card))
    code_shown = card.example is not None and (card.challenge is not None or not trusted)
    if code_shown:
        assert card.example is not None
        console.print(card_view.code(card.example, title=f"{card.id}.py"))
        if not trusted:
            console.print(card_view.untrusted(card.source))
        if card.challenge is not None:
            console.print(card_view.challenge_prompt(card))
    if with_answer:
        console.print(card_view.answer(card))
        if card.example and not code_shown:
            console.print(card_view.code(card.example, title=f"{card.id}.py"))


def stats(*, as_json: bool, decks: list[Path] | None) -> None:
    from quiz.progress import stats as statistics
    from quiz.ui import progress_views

    loaded = common.library(decks)
    with common.existing_store() as store:
        states = store.states() if store is not None else {}
        reviews = store.reviews() if store is not None else []
        interviews = store.interviews() if store is not None else []
    report = statistics.stats(loaded, states, reviews, interviews=interviews)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        common.console().print(progress_views.stats_report(report))
