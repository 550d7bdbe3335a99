"""Where things live: the bundled decks and the user's data directory."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from quiz.errors import DataDirError

HOME_ENV = "SQLAQUIZ_HOME"
DECKS_ENV = "SQLAQUIZ_DECKS"

MAX_DECK_BYTES = 8 * 2**20  # a deck file, or a script given to `run --file`
MAX_IMPORT_BYTES = 256 * 2**20  # an export file (100,000 reviews take about 60 MB)


class Refused(OSError):
    """A path that is not a regular file, or a file over its size limit: never read."""

    def __str__(self) -> str:
        return str(self.args[0])


def read_file(path: Path | str, limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.

    A FIFO, a device (/dev/zero), a socket or a folder is refused without reading (opening
    with O_NONBLOCK, so a FIFO without a writer cannot hang us), and so is a file over the
    limit; both raise `Refused`, an OSError whose text is the reason. Other OSErrors pass."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise Refused("is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise Refused("not a regular file (a FIFO, a device or a socket), so it is not read")
        if info.st_size > limit:
            raise Refused(f"too large ({_size(info.st_size)}; the limit is {_size(limit)})")
        chunks, size = [], 0
        while size <= limit:  # it may grow while we read: never more than limit + 1 bytes
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise Refused(f"too large (over {_size(limit)})")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path | str, limit: int) -> str:
    """`read_file` decoded as UTF-8 (UnicodeDecodeError when it is not)."""
    return read_file(path, limit).decode("utf-8")


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all, through a temporary file beside it (also
    with two sqlaquiz at once). A file that exists keeps its permissions; a new one gets the
    usual ones (0666 less the umask)."""
    import tempfile

    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def path_problem(path: Path) -> str | None:
    """Why `path` cannot be used (no such file, a name too long, ...), or None when it exists."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return "no such file or folder"
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            return "no such file or folder"
        return (exc.strerror or str(exc)).lower() if exc.errno else str(exc)
    except ValueError as exc:  # e.g. an embedded NUL byte
        return str(exc)
    return None


def bundled_content_dir() -> Path:
    """The decks shipped with sqlaquiz: inside the wheel, or `content/` in a source checkout."""
    packaged = Path(__file__).resolve().parent / "content"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "content"


def deck_files(path: Path) -> list[Path]:
    """A deck file, or every regular *.yaml / *.yml file below a folder, sorted."""
    if _is_dir(path):
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and _is_file(p))
    return [path]


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def deck_sources(given: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The deck files below the given files and folders, and the given paths that cannot be
    used, each with the reason (no such file, a name too long, ...)."""
    files: list[Path] = []
    missing: list[tuple[Path, str]] = []
    for path in given:
        problem = path_problem(path)
        if problem is None:
            files.extend(deck_files(path))
        else:
            missing.append((path, problem))
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
    """User decks: `--deck` options first, then the entries of $SQLAQUIZ_DECKS, then the
    decks `sqlaquiz new` created (`my_decks_dir()`, once it exists)."""
    paths = list(cli_paths or [])
    env = os.environ.get(DECKS_ENV, "")
    paths.extend(Path(p).expanduser() for p in env.split(os.pathsep) if p.strip())
    mine = my_decks_dir()
    if _is_dir(mine):
        paths.append(mine)
    return paths


def my_decks_dir() -> Path:
    """Where `sqlaquiz new` puts a deck for a topic no deck of yours has yet."""
    return data_dir(create=False) / "decks"
