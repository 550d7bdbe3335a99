"""Domain errors: each one becomes a single line on stderr and a documented exit code."""

from __future__ import annotations


class QuizError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""

    exit_code = 1


class ChecksFailed(QuizError):
    """An example failed, or a card's expectations did not hold."""

    exit_code = 1


class UsageError(QuizError):
    """An option value the command cannot use (unknown topic, level, ...)."""

    exit_code = 2


class ConfigError(UsageError):
    """A setting in the config file or the environment that cannot be used."""


class DeckError(QuizError):
    """A deck file cannot be read or a card in it is invalid."""

    exit_code = 3


class UnknownCardError(QuizError):
    """No card has the id the user asked for."""

    exit_code = 4

    def __init__(self, card_id: str, suggestions: list[str]) -> None:
        hint = f" — did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"no card with id {card_id!r}{hint}")
        self.card_id = card_id
        self.suggestions = suggestions


class DataDirError(QuizError):
    """The data directory cannot be created or written."""

    exit_code = 5


class StoreError(QuizError):
    """The progress database is not ours, is corrupt, or is newer than this version."""

    exit_code = 5


class StoreLost(StoreError):
    """The progress database file was deleted, replaced or damaged while it was open: writing
    on would write into a file that is gone (the session keeps grades in a rescue file)."""


class TransferError(QuizError):
    """An export or import file cannot be written or read."""

    exit_code = 6


class EngineUnavailable(QuizError):
    """The database an example should run on cannot be had (no PostgreSQL server or driver)."""

    exit_code = 7


class UntrustedDeck(QuizError):
    """An example from a deck the user has not trusted (`sqlaquiz trust PATH`) was to run."""

    exit_code = 8


EXIT_INTERRUPTED = 130  # Ctrl-C; SIGHUP and SIGTERM end with 128 + the signal's number


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: ends a command the way Ctrl-C does (context managers clean up)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum
