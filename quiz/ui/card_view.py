"""How a card looks: its question, answer, code and challenge, as Rich renderables."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.text import Text

from quiz.deck.cards import Card
from quiz.ui.code import NumberedCode
from quiz.ui.folding import Fold, Shown, fit, fold_steps, height
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


def question(card: Card, position: str | None = None, tags: bool = True) -> RenderableType:
    """The question, its tags in the panel, its id (what `run` and `show` take) below it."""
    body: RenderableType = _markdown(safe(card.question))
    if card.tags and tags:
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


def code(source: str, title: str = "example.py", shown: Shown | None = None) -> RenderableType:
    """The example with line numbers; `shown` folds part of it (quiz/ui/folding.py)."""
    source = safe(source.rstrip("\n"))
    folded = shown is not None and any(isinstance(item, Fold) for item in shown)
    lines = source.count("\n") + 1
    return Panel(
        NumberedCode(source, shown),
        title=safe_text(title),
        title_align="left",
        subtitle=Text(f"folded to fit · x shows all {lines} lines", style="dim")
        if folded
        else None,
        subtitle_align="right",
        border_style="blue",
    )


class PredictionScreen:
    """A challenge as the learner predicts it: the question, the example, the challenge, with
    room left for the prompt below. On a terminal the example is folded to fit its height
    (quiz/ui/folding.py says what goes first), so the question and the prompt are on the
    screen together; `fold=False` (the x key, a pipe) draws it whole."""

    MIN_CODE_ROWS = 4  # below this a terminal is too small to fit anything: fold no further

    # prompt_rows: what the session prints around it (the rule above, the prompt below)
    def __init__(
        self, card: Card, position: str | None = None, prompt_rows: int = 2, fold: bool = True
    ) -> None:
        assert card.challenge is not None and card.example is not None
        self.card, self.position, self.prompt_rows, self.fold = card, position, prompt_rows, fold

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        card, ch, example = self.card, self.card.challenge, self.card.example
        assert ch is not None and example is not None
        title = f"{card.id}.py"
        top, bottom = question(card, self.position), challenge_prompt(card)
        shown = None
        if self.fold and console.is_terminal:
            shown = self.shown(console, options, top, bottom)
            if shown is not None and any(isinstance(item, Fold) for item in shown):
                # rather than a line of code, the question's tags go
                top = question(card, self.position, tags=False)
                shown = self.shown(console, options, top, bottom)
        yield top
        yield code(example, title, shown)
        yield bottom

    def shown(
        self,
        console: Console,
        options: ConsoleOptions,
        top: RenderableType,
        bottom: RenderableType,
    ) -> Shown | None:
        """The lines to draw so that everything fits the terminal's height (None: all)."""
        ch, example = self.card.challenge, safe(str(self.card.example).rstrip("\n"))
        assert ch is not None
        around = sum(len(console.render_lines(r, options)) for r in (top, bottom))
        budget = max(
            self.MIN_CODE_ROWS, options.size.height - around - 2 - self.prompt_rows
        )  # 2: the code panel's borders
        inner = options.update_width(max(1, options.max_width - 4))  # borders and padding
        rows = NumberedCode(example).rows(console, inner)
        lines = example.split("\n")
        if height(range(1, len(lines) + 1), rows) <= budget:
            return None
        steps = fold_steps(example, ch.cell, f"{self.card.question}\n{ch.prompt}")
        return fit(lines, steps, rows, budget)


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
