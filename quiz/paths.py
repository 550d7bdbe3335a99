"""Where things live: the bundled decks and the user's data directory."""

from __future__ import annotations

import os
from pathlib import Path

from quiz.errors import DataDirError

HOME_ENV = "SQLAQUIZ_HOME"
DECKS_ENV = "SQLAQUIZ_DECKS"


def bundled_content_dir() -> Path:
    """The decks shipped with sqlaquiz: inside the wheel, or `content/` in a source checkout."""
    packaged = Path(__file__).resolve().parent / "content"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "content"


def deck_files(path: Path) -> list[Path]:
    """A deck file, or every *.yaml / *.yml file below a folder, sorted."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def deck_sources(given: list[Path]) -> tuple[list[Path], list[Path]]:
    """The deck files below the given files and folders, and the given paths that do not exist."""
    files: list[Path] = []
    missing: list[Path] = []
    for path in given:
        if path.exists():
            files.extend(deck_files(path))
        else:
            missing.append(path)
    return files, missing


def cache_dir() -> Path:
    """Disposable files (the deck cache): $SQLAQUIZ_HOME/cache, else the user cache directory."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser() / "cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("sqlaquiz", appauthor=False))


def data_dir(create: bool = True) -> Path:
    """The progress directory: $SQLAQUIZ_HOME, else the platform's user data directory."""
    override = os.environ.get(HOME_ENV)
    if override:
        path = Path(override).expanduser()
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("sqlaquiz", appauthor=False))
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataDirError(
                f"cannot create the data directory {path}: {exc.strerror or exc}"
                f" (set {HOME_ENV} to a writable folder)"
            ) from None
        if not os.access(path, os.W_OK):
            raise DataDirError(
                f"the data directory {path} is not writable (set {HOME_ENV} to a writable folder)"
            )
    return path


def user_deck_paths(cli_paths: list[Path] | None) -> list[Path]:
    """User decks: `--deck` options first, then the entries of $SQLAQUIZ_DECKS."""
    paths = list(cli_paths or [])
    env = os.environ.get(DECKS_ENV, "")
    paths.extend(Path(p).expanduser() for p in env.split(os.pathsep) if p.strip())
    return paths
