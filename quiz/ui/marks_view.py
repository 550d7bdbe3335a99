"""What suspending, burying, leeches and session limits say: in a session and from
`sqlaquiz suspend` / `unsuspend`."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from quiz.clock import utc
from quiz.ui.safe import safe
from quiz.ui.style import plural


def leech(card_id: str, lapses: int, suspended: bool) -> Text:
    """A grade made the card a leech."""
    text = Text("leech: ", style="bold magenta")
    said = f"{card_id} forgotten {plural(lapses, 'time')}"
    if suspended:
        said += f" — suspended (sqlaquiz unsuspend {card_id})"
    else:
        said += f" — kept in your reviews (sqlaquiz suspend {card_id} sets it aside)"
    text.append(safe(said))
    return text


def buried(card_id: str, until: datetime) -> Text:
    local = utc(until).astimezone().strftime("%Y-%m-%d %H:%M")
    return Text(safe(f"buried: {card_id} comes back after {local}"), style="dim")


def time_up(minutes: float) -> Text:
    shown = f"{minutes:g} minute{'' if minutes == 1 else 's'}"
    return Text(f"Time is up ({shown}): the session ends here.", style="bold")


def review_limit(reviews_per_day: int, held_back: int) -> Text:
    """Cards due today that the daily review limit keeps out of this session."""
    return Text(
        f"{plural(held_back, 'due card')} wait for another day: today's review limit is "
        f"{reviews_per_day} (--reviews N or the reviews_per_day setting)",
        style="dim",
    )


def changed(verb: str, done: list[str], unchanged: list[str], already: str) -> Text:
    """`suspended 3 cards: a, b, c` and, for the rest, why nothing changed."""
    lines = []
    if done:
        lines.append(f"{verb} {plural(len(done), 'card')}: {', '.join(done)}")
    if unchanged:
        lines.append(f"{already}: {', '.join(unchanged)}")
    return Text(safe("\n".join(lines) or "no cards match"))
