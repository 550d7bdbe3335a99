"""`list`, `topics`, `show` and `stats`: read-only views of the cards and of your progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from quiz.commands import common
from quiz.errors import UsageError


def list_cards(
    *,
    topics: list[str] | None,
    levels: list[str] | None,
    tags: list[str] | None,
    due: bool,
    as_json: bool,
    decks: list[Path] | None,
    search: str | None = None,
    question: bool = False,
    held: bool = False,
    leeches: bool = False,
) -> None:
    from quiz.deck.search import search as find
    from quiz.progress import stats
    from quiz.progress.parameters import in_use
    from quiz.ui import progress_views

    cards = common.select(common.library(decks), topics, levels, tags)
    found = {}
    if search is not None:
        if not search.strip():
            raise UsageError("--search needs some text to look for")
        found = {card.id: lines for card, lines in find(cards, search)}
        cards = [card for card in cards if card.id in found]
    with common.existing_store() as store:
        states = store.states() if store is not None else {}
        marks = store.marks() if store is not None else {}
        reviews = store.reviews() if store is not None else []
    rows = stats.card_rows(
        cards,
        states,
        marks=marks,
        leech_threshold=_leech_threshold(),
        parameters=in_use(),
        reviews=reviews,
    )
    if due:
        rows = [r for r in rows if r.is_due and not r.held]
    if held:
        rows = [r for r in rows if r.suspended or r.buried_until is not None]
    if leeches:
        rows = [r for r in rows if r.leech]
    if as_json:
        out = []
        for r in rows:
            row = r.to_json()
            if question:
                row["question"] = r.card.question
            if search is not None:
                row["matches"] = [m.to_json() for m in found[r.card.id]]
            out.append(row)
        typer.echo(json.dumps(out, indent=2))
        return
    console = common.console()
    filtered = bool(topics or levels or tags or search or held or leeches)
    empty = "Nothing is due right now." if due and not filtered else "No cards match."
    details: dict[str, list[Any]] = {}
    room = console.width - 4
    for r in rows:
        lines = details.setdefault(r.card.id, [])
        if question:
            first = next((q for q in r.card.question.splitlines() if q.strip()), "")
            lines.append(progress_views.excerpt("question", first, 0, 0, room))
        shown = found.get(r.card.id, [])
        for m in shown[: progress_views.SHOWN_MATCHES]:
            label = f"{m.field}:{m.line}" if m.field != "tags" else "tags"
            lines.append(progress_views.excerpt(label, m.text, m.start, m.length, room))
        if len(shown) > progress_views.SHOWN_MATCHES:
            more = len(shown) - progress_views.SHOWN_MATCHES
            lines.append(progress_views.more_lines(more))
    console.print(progress_views.card_table(rows, console.width, empty, details))


def _leech_threshold() -> int:
    from quiz import config

    return config.load().leech_threshold


def topics(*, as_json: bool, decks: list[Path] | None) -> None:
    from quiz.progress import stats
    from quiz.progress.parameters import in_use
    from quiz.ui import progress_views

    loaded = common.library(decks)
    with common.existing_store() as store:
        states = store.states() if store is not None else {}
        marks = store.marks() if store is not None else {}
        reviews = store.reviews() if store is not None else []
    summary = stats.topic_summary(loaded, states, marks=marks, parameters=in_use(), reviews=reviews)
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
        marks = store.marks() if store is not None else {}
        interviews = store.interviews() if store is not None else []
    report = statistics.stats(
        loaded,
        states,
        reviews,
        marks=marks,
        leech_threshold=_leech_threshold(),
        interviews=interviews,
    )
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        common.console().print(progress_views.stats_report(report))
