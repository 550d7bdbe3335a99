"""`sqlaquiz new`: scaffold a card into one of your decks, edit it, and keep it once it is valid.

What the user writes is never lost: the editor works on a draft (a copy of the whole deck with
the new card in it) in the data directory's `drafts/`; the deck file is replaced by the draft
only once the draft passes `validate`'s checks, and only if the deck did not change meanwhile.
A draft that does not pass is reopened, or kept (with a note of its deck) for the next
`sqlaquiz new` with the same id to take up again.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.prompt import Confirm, Prompt
from rich.text import Text

from quiz.commands import common
from quiz.deck import authoring
from quiz.deck.cards import DIFFICULTIES, Library, Problem
from quiz.errors import DeckError, UsageError
from quiz.paths import (
    MAX_DECK_BYTES,
    data_dir,
    my_decks_dir,
    read_text,
    user_deck_paths,
    write_atomic,
)
from quiz.ui.safe import safe

# editors that open a file at a line given as +N
LINE_EDITORS = {"vi", "vim", "nvim", "nano", "emacs", "micro", "kak", "joe", "mg"}


@dataclass(frozen=True)
class Target:
    """The deck file the card goes into, and its topic."""

    path: Path
    slug: str
    name: str
    exists: bool


def new(
    *,
    topic: str | None,
    difficulty: str | None,
    card_id: str | None,
    deck: Path | None,
) -> int:
    """Ask what is missing, scaffold, edit until valid; 0 when the card was added."""
    console = common.console()
    interactive = sys.stdin.isatty()
    library = common.library(None)
    target = _target(library, topic, deck, interactive)
    level = difficulty or _ask(
        "Level", interactive, "--difficulty", choices=list(DIFFICULTIES), default="medium"
    )
    if level not in DIFFICULTIES:
        raise UsageError(f"difficulty {level!r}: use easy, medium or hard")
    taken = {c.id for c in library.cards}
    card_id = _card_id(card_id, taken, target.slug, interactive)
    editor = _editor(interactive)

    drafts = data_dir() / "drafts"
    drafts.mkdir(exist_ok=True)
    draft, note = drafts / f"{card_id}.yaml", drafts / f"{card_id}.json"
    original = read_text(target.path, MAX_DECK_BYTES) if target.exists else None
    base_digest = _digest(original)  # the deck the draft was made from, as it was then
    if draft.exists():
        base_digest = _check_same_deck(note, target, card_id, draft)
        console.print(Text(f"taking up your draft of {card_id}: {safe(draft)}"))
        scaffolded = None
        line = _line_of(read_text(draft, MAX_DECK_BYTES), card_id)
    else:
        base = original if original is not None else _new_deck(target)
        try:
            text, line = authoring.with_card(base, card_id, level)
        except authoring.NoCardsList as exc:
            raise DeckError(f"{target.path}: cannot add a card: {exc}") from None
        write_atomic(draft, text)
        note.write_text(
            json.dumps({"deck": str(target.path), "base": base_digest}) + "\n", encoding="utf-8"
        )
        scaffolded = text
    mine = target.path.resolve()
    others = [f for p in user_deck_paths(None) for f in _deck_files(p) if f.resolve() != mine]
    was_trusted = original is None or _trusted_as_is(target.path)

    try:
        edited = _edit_until_valid(editor, draft, line, scaffolded, others, card_id, target)
    except KeyboardInterrupt as exc:
        exc.saved = f"no card added; your draft is kept at {draft}"  # type: ignore[attr-defined]
        raise
    if edited is None:
        note.unlink(missing_ok=True)
        console.print("no card added: the scaffold was saved as it was")
        return 0

    now = read_text(target.path, MAX_DECK_BYTES) if target.path.exists() else None
    if _digest(now) != base_digest:
        raise DeckError(
            f"{target.path} changed while you wrote the card: it was left as it is, and your "
            f"draft is kept at {draft}"
        )
    try:
        target.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target.path.resolve(), edited)  # through a link: the file it points to
    except OSError as exc:
        raise DeckError(
            f"cannot write {target.path}: {exc.strerror or exc}; your draft is kept at {draft}"
        ) from None
    draft.unlink()
    note.unlink(missing_ok=True)
    if was_trusted:
        from quiz.deck import trust

        trust.trust([target.path])  # you wrote it: its examples may run, as before
    console.print(
        Text("✓ ", style="green")
        + Text(f"added {card_id} to {safe(target.path)}; `sqlaquiz show {card_id}` shows it")
    )
    return 0


def _edit_until_valid(
    editor: list[str],
    draft: Path,
    line: int,
    scaffolded: str | None,
    others: list[Path],
    card_id: str,
    target: Target,
) -> str | None:
    """The draft's text once it is valid; None when it was saved as scaffolded (and removed).
    DeckError, the draft kept, when it is not valid and is not to be reopened."""
    err = common.err_console()
    interactive = sys.stdin.isatty()
    while True:
        _run_editor(editor, draft, line)
        edited = read_text(draft, MAX_DECK_BYTES)
        if edited == scaffolded:
            draft.unlink()
            return None
        check = authoring.check_draft(draft, others)
        if not check.problems and card_id not in check.ids:
            gone = Problem(draft, None, f"the card {card_id!r} is not in the draft any more")
            check = authoring.DraftCheck([gone], check.ids)
        if not check.problems:
            return edited
        for problem in check.problems:
            err.print(Text("✗ ", style="red") + Text(safe(problem)))
        if interactive and Confirm.ask("Reopen the editor to fix it?", default=True):
            line = _first_line(check.problems) or line
            continue
        raise DeckError(
            f"the card is not added; your draft is kept at {draft} "
            f"(`sqlaquiz new --id {card_id}{_deck_flag(target)}` takes it up again)"
        )


def _first_line(problems: list[Problem]) -> int | None:
    return next((p.line for p in problems if p.line), None)


def _deck_flag(target: Target) -> str:
    return (
        "" if target.path.parent == my_decks_dir() else f" --deck {shlex.quote(str(target.path))}"
    )


def _ask(
    what: str,
    interactive: bool,
    flag: str,
    choices: list[str] | None = None,
    default: str | None = None,
) -> str:
    if not interactive:
        raise UsageError(f"{flag} is needed: there is no terminal to ask in")
    console = Console(highlight=False)
    if default is None:
        return Prompt.ask(what, console=console, choices=choices)
    return Prompt.ask(what, console=console, choices=choices, default=default)


def _target(library: Library, topic: str | None, deck: Path | None, interactive: bool) -> Target:
    """The deck the card goes into: --deck, else your deck for the topic, else a new one in
    your decks folder. The topic is asked for when neither says it."""
    if deck is not None and deck.exists():
        return _existing(deck, topic)
    if topic is None:
        known = ", ".join(sorted(library.topics))
        console = common.console()
        console.print(Text(f"Topics: {safe(known)}"))
        topic = _ask("Topic (a slug or name above, or a new slug)", interactive, "--topic")
    slug, name = _topic(library, topic.strip(), interactive)
    if deck is not None:
        return Target(deck, slug, name, exists=False)
    for path in user_deck_paths(None):
        for file in _deck_files(path):
            found = _topic_of(file)
            if found is not None and found[0] == slug:
                return Target(file, found[0], found[1], exists=True)
    return Target(my_decks_dir() / f"{slug}.yaml", slug, name, exists=False)


def _deck_files(path: Path) -> list[Path]:
    from quiz.paths import deck_files

    try:
        return deck_files(path)
    except OSError:
        return []


def _topic_of(file: Path) -> tuple[str, str] | None:
    import yaml

    try:
        data = yaml.safe_load(read_text(file, MAX_DECK_BYTES))
        topic = data["topic"]
        return str(topic["slug"]), str(topic["name"])
    except Exception:  # not a deck we can add to: ignored when looking for one
        return None


def _existing(deck: Path, topic: str | None) -> Target:
    found = _topic_of(deck)
    if found is None:
        raise DeckError(f"{deck}: not a deck with a topic (see `sqlaquiz validate {deck}`)")
    slug, name = found
    if topic is not None and topic not in (slug, name):
        raise UsageError(f"{deck} is the deck of topic {slug!r}, not {topic!r}")
    return Target(deck, slug, name, exists=True)


def _topic(library: Library, given: str, interactive: bool) -> tuple[str, str]:
    """(slug, name) of a known topic by slug or name, or of a new topic (its name asked)."""
    for slug, name in library.topics.items():
        if given in (slug, name) or given.lower() == name.lower():
            return slug, name
    if not authoring.valid_id(given):
        raise UsageError(
            f"topic {given!r}: not a known topic, and not a slug for a new one "
            "(lower-case letters, digits and dashes)"
        )
    default = given.replace("-", " ").capitalize()
    name = (
        _ask("Name of the new topic", interactive, "--topic", default=default)
        if interactive
        else default
    )
    return given, name.strip() or default


def _card_id(given: str | None, taken: set[str], slug: str, interactive: bool) -> str:
    while True:
        card_id = (
            given
            if given is not None
            else _ask(f"Card id (e.g. {slug}-what-it-shows)", interactive, "--id")
        )
        card_id = card_id.strip()
        problem = None
        if not authoring.valid_id(card_id):
            problem = f"card id {card_id!r}: lower-case letters, digits and dashes, at most 80"
        elif card_id in taken:
            problem = f"card id {card_id!r} is taken (`sqlaquiz show {card_id}`)"
        if problem is None:
            return card_id
        if given is not None or not interactive:
            raise UsageError(problem)
        common.err_console().print(common.labelled("error: ", "bold red", problem))


def _editor(interactive: bool) -> list[str]:
    from quiz import config

    command = config.load().editor
    if not command:
        if not interactive:
            raise UsageError(
                "no terminal to edit in: set $EDITOR (or `sqlaquiz config editor COMMAND`)"
            )
        command = "vi"
    words = shlex.split(command)
    if not words:
        raise UsageError("the editor setting is empty: set $EDITOR")
    return words


def _run_editor(editor: list[str], path: Path, line: int) -> None:
    at_line = [f"+{line}"] if Path(editor[0]).name in LINE_EDITORS and len(editor) == 1 else []
    try:
        done = subprocess.run([*editor, *at_line, str(path)], check=False)
    except FileNotFoundError:
        raise UsageError(
            f"cannot start the editor {editor[0]!r} (your draft is kept at {path})"
        ) from None
    if done.returncode != 0:
        raise UsageError(
            f"the editor {editor[0]!r} exited with status {done.returncode}; your draft is kept "
            f"at {path}"
        )


def _new_deck(target: Target) -> str:
    from quiz.commands.schema import write_schema
    from quiz.deck.schema import MODELINE

    schema = write_schema(data_dir() / "deck.schema.json")
    return authoring.new_deck_text(target.slug, target.name, f"{MODELINE}{schema}")


def _line_of(text: str, card_id: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() == f"- id: {card_id}":
            return number
    return 1


def _digest(text: str | None) -> str | None:
    import hashlib

    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


def _check_same_deck(note: Path, target: Target, card_id: str, draft: Path) -> str | None:
    """That the kept draft was made for this deck; the digest of the deck it was made from."""
    try:
        kept = json.loads(note.read_text(encoding="utf-8"))
        deck, base = Path(kept["deck"]), kept["base"]
    except (OSError, ValueError, KeyError, TypeError):
        deck, base = None, None
    if deck is None or deck.resolve() != target.path.resolve():
        where = f" for {deck}" if deck is not None else ""
        raise UsageError(
            f"a draft of {card_id!r}{where} is kept at {draft}: finish it with "
            f"`sqlaquiz new --id {card_id}` and that deck, or delete the draft"
        )
    return base if isinstance(base, str) else None


def _trusted_as_is(path: Path) -> bool:
    from quiz.deck import trust

    allowance = trust.allowances().get(path.resolve())
    return allowance is not None and allowance.sha256 == trust.digest(path)
