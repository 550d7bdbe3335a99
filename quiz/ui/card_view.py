"""How a card looks: its question, answer, code and challenge, as Rich renderables."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.text import Text

from quiz.deck.cards import Card
from quiz.ui.code import NumberedCode
from quiz.ui.safe import safe, safe_text
from quiz.ui.style import difficulty


class Prose:
    """A deck's Markdown. Where no colour can mark inline code (NO_COLOR, a pipe, TERM=dumb),
    the code keeps its backticks: `expire_on_commit` must still read as code."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # Imported here: Markdown costs ~30 ms to import, and `run` draws code, never Markdown.
        from rich.markdown import Markdown

        markdown = Markdown(self.text)
        if console.no_color or console.color_system is None:
            for token in markdown.parsed:
                for child in token.children or ():
                    if child.type == "code_inline":
                        child.content = f"`{child.content}`"
        yield markdown


def _markdown(text: str) -> RenderableType:
    return Prose(text)


def card_header(card: Card, position: str | None = None) -> Text:
    text = Text()
    if position:
        text.append(f"{position}  ", style="bold")
    text.append(safe(card.topic_name), style="cyan")
    text.append("  ·  ")
    text.append_text(difficulty(card.difficulty))
    return text


def question(card: Card, position: str | None = None) -> RenderableType:
    """The question, its tags in the panel, its id (what `run` and `show` take) below it."""
    body: RenderableType = _markdown(safe(card.question))
    if card.tags:
        body = Group(body, safe_text(" ".join(f"#{t}" for t in card.tags), style="dim"))
    return Panel(
        body,
        title=card_header(card, position),
        title_align="left",
        subtitle=safe_text(card.id, style="dim"),
        subtitle_align="right",
        border_style="cyan",
    )


def answer(card: Card) -> RenderableType:
    return Panel(
        _markdown(safe(card.answer)), title="Answer", title_align="left", border_style="green"
    )


def code(source: str, title: str = "example.py") -> RenderableType:
    return Panel(
        NumberedCode(safe(source.rstrip("\n"))),
        title=safe_text(title),
        title_align="left",
        border_style="blue",
    )


def challenge_prompt(card: Card) -> RenderableType:
    ch = card.challenge
    assert ch is not None
    kind = "a number of queries" if ch.ask == "queries" else "yes or no"
    return Panel(
        _markdown(safe(ch.prompt)),
        title=f"Predict ({kind}) before it runs",
        title_align="left",
        border_style="magenta",
    )


def untrusted(deck: object) -> Text:
    """Why an example does not run, and the one command that lets it."""
    import shlex

    return safe_text(
        f"⚠ not run: this deck is not trusted — read it, then `sqlaquiz trust "
        f"{shlex.quote(str(deck))}` lets its examples run (as you)",
        style="yellow",
    )
