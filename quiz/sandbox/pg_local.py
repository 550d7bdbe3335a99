"""A throwaway PostgreSQL server: initdb into a temporary folder, start, and stop + delete after.

The binaries come from the `pgserver` package (the `postgres` extra ships PostgreSQL in a wheel)
or from PostgreSQL's own installation (`pg_config --bindir`, Debian's /usr/lib/postgresql/N/bin,
or PATH). The server listens on a Unix socket in its own folder only (no TCP port), trusts local
connections, and skips fsync: nothing in it is meant to last. PostgreSQL refuses to run as root;
as root it runs as the `postgres` system user when there is one.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from quiz.errors import EngineUnavailable

USER = "sqlaquiz"
PREFIX = "sqlaquiz-pg-"
INSTALL_HINT = (
    "set SQLAQUIZ_POSTGRES_URL to a server you can create databases on, or "
    'pip install "sqlaquiz[postgres]" for a throwaway local one'
)


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None."""
    candidates: list[Path] = []
    spec = importlib.util.find_spec("pgserver")  # found, not imported: it warns on import
    if spec is not None and spec.origin:
        candidates.append(Path(spec.origin).parent / "pginstall" / "bin")
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=5, check=False
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2] or 0)
    )
    candidates.extend(Path(p) for p in reversed(debian))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _run_as() -> tuple[int, int] | None:
    """(uid, gid) to run the server as when we are root; None when we are not root."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        raise EngineUnavailable(
            "PostgreSQL refuses to run as root and there is no 'postgres' user to run it as: "
            "set SQLAQUIZ_POSTGRES_URL to a server, or run sqlaquiz as another user"
        ) from None
    return entry.pw_uid, entry.pw_gid


class LocalServer:
    """One running throwaway server; `stop()` ends it and deletes its folder."""

    def __init__(self, bindir: Path, folder: Path, owner: tuple[int, int] | None) -> None:
        self.bindir = bindir
        self.folder = folder
        self.owner = owner
        self.url = f"postgresql://{USER}@/postgres?host={folder}"

    @classmethod
    def start(cls) -> LocalServer:
        bindir = find_binaries()
        if bindir is None:
            raise EngineUnavailable(
                f"no PostgreSQL server: {INSTALL_HINT}, or install PostgreSQL's server "
                "binaries (initdb and pg_ctl)"
            )
        owner = _run_as()
        base = "/tmp" if owner else tempfile.gettempdir()
        _sweep(bindir, base, owner)
        folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base))
        if owner:
            os.chown(folder, *owner)
            # Its socket is in this folder: root's runs, in a user namespace of their own, have
            # no privilege to pass a folder of another user's, so others may pass (not list) it.
            os.chmod(folder, 0o711)
        server = cls(bindir, folder, owner)
        try:
            server._call(
                "initdb", "-D", str(folder / "data"), "-U", USER, "-A", "trust", "-E", "UTF8",
                "--no-sync",
            )  # fmt: skip
            server._call(
                "pg_ctl", "-D", str(folder / "data"), "-l", str(folder / "log"), "-w", "-s",
                "-o", f"-k {folder} -c listen_addresses='' -F", "start",
            )  # fmt: skip
        except EngineUnavailable:
            server.stop()
            raise
        return server

    def _call(self, program: str, *args: str) -> None:
        try:
            done = subprocess.run(
                [str(self.bindir / program), *args],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                cwd=self.folder,
                **_as_owner(self.owner),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise EngineUnavailable(f"cannot start a local PostgreSQL ({program}): {exc}") from None
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            reason = lines[-1] if lines else f"exit status {done.returncode}"
            raise EngineUnavailable(f"cannot start a local PostgreSQL ({program}): {reason}")

    def stop(self) -> None:
        _stop(self.bindir, self.folder, self.owner)


def _stop(bindir: Path, folder: Path, owner: tuple[int, int] | None) -> None:
    if (folder / "data" / "postmaster.pid").exists():
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                [str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "-w",
                 "-s", "stop"],
                capture_output=True, timeout=30, check=False, cwd=folder,
                **_as_owner(owner),
            )  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)


def _as_owner(owner: tuple[int, int] | None) -> dict[str, Any]:
    """subprocess arguments that run a server program as `owner` (when we are root)."""
    return {"user": owner[0], "group": owner[1], "extra_groups": []} if owner else {}


def _sweep(bindir: Path, base: str, owner: tuple[int, int] | None) -> None:
    """Stop and delete servers left by a sqlaquiz process that no longer runs (a SIGKILL)."""
    for path in glob.glob(os.path.join(base, PREFIX + "*")):
        pid = os.path.basename(path)[len(PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # still running: its server is in use
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        _stop(bindir, Path(path), owner)
