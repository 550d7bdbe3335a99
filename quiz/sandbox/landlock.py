"""Linux Landlock, through a few ctypes calls: what a run may read, write, connect to and signal.

Applied in the child right before the example runs, for it and everything it starts:
- write (create, delete, truncate) only inside its own run folder;
- read only what Python and its packages need: the interpreter's prefixes, every folder on
  sys.path, the system's /usr, /lib*, /bin, /etc, /dev and /sys — not the user's home, so
  not the progress database, the config, the deck cache or SSH keys — and of /proc only the
  example's own process and what describes the machine, not other processes (their environment);
- no TCP at all, except connecting to the port of the database the run was given (Landlock
  ABI 4+, Linux 6.7);
- no signals to processes outside the run (ABI 6+, Linux 6.12).
Landlock needs no privilege and cannot be undone by the process. Where the kernel lacks it
(before Linux 5.13, or not Linux), `restrict` returns None and the caller says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from urllib.parse import urlsplit

# The syscall numbers are the same on every architecture (asm-generic), x86_64 included.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | (1 << 14) | (1 << 15)  # + truncate, ioctl_dev

SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/dev", "/sys")
# Of /proc, only what describes the machine, and the example's own process: other processes'
# entries (their environment: the user's shell's secrets, sqlaquiz's database URL) stay closed.
PROC_READ = ("/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/loadavg", "/proc/sys")
DEVICES_RW = ("/dev/null", "/dev/zero", "/dev/full", "/dev/tty")


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1  # the kernel's struct is packed
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPort(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def linux_libc() -> ctypes.CDLL | None:
    """The C library, on Linux only (the calls made through it here are Linux's)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 where there is none."""
    libc = linux_libc()
    if libc is None:
        return 0
    version = libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return version if version > 0 else 0


def _fs_rights(abi: int) -> int:
    return _FS_BY_ABI[max(v for v in _FS_BY_ABI if v <= abi)]


def read_paths() -> list[str]:
    """What Python and its packages need to read."""
    paths = [*SYSTEM_READ, *PROC_READ, os.path.realpath("/proc/self")]
    paths += [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    paths.append(os.path.dirname(os.path.realpath(sys.executable)))
    paths.extend(p for p in sys.path if p)
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    paths.append(package_root)
    return list(dict.fromkeys(paths))


def database_ports(env: dict[str, str]) -> set[int]:
    """TCP ports of the databases the run was given (none for SQLite or a Unix socket)."""
    ports = set()
    for url in env.values():
        with contextlib.suppress(ValueError):
            parts = urlsplit(url)
            if parts.scheme.startswith("postgresql") and parts.hostname:
                ports.add(parts.port or 5432)
    return ports


def restrict(
    write_dir: str,
    ports: set[int] = frozenset(),  # type: ignore[assignment]
    readable: list[str] | None = None,
) -> str | None:
    """Confine this process and its descendants; returns what was applied ("landlock ABI n"),
    or None where the kernel has no Landlock. Raises OSError if applying it fails midway.
    `readable`: more folders it may read (a script's working directory)."""
    abi = abi_version()
    libc = linux_libc()
    if abi < 1 or libc is None:
        return None
    fs = _fs_rights(abi)
    attr = _RulesetAttr(fs, _NET_BIND_TCP | _NET_CONNECT_TCP if abi >= 4 else 0, 0)
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        read = EXECUTE | READ_FILE | READ_DIR
        for path in [*read_paths(), *(readable or [])]:
            _allow(libc, ruleset, path, read & fs)
        for path in DEVICES_RW:
            _allow(libc, ruleset, path, (READ_FILE | WRITE_FILE | (1 << 14)) & fs)
        _allow(libc, ruleset, write_dir, fs)
        if abi >= 4:
            for port in sorted(ports):
                rule = _NetPort(_NET_CONNECT_TCP, port)
                if libc.syscall(_ADD_RULE, ruleset, _RULE_NET_PORT, ctypes.byref(rule), 0) < 0:
                    raise OSError(ctypes.get_errno(), f"landlock: cannot allow port {port}")
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(_RESTRICT_SELF, ruleset, 0) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return f"landlock ABI {abi}"


def _allow(libc: ctypes.CDLL, ruleset: int, path: str, access: int) -> None:
    """Allow `access` beneath `path`; a path that does not exist is skipped."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):
            access &= _FILE_RIGHTS  # directory rights on a file are an error
        rule = _PathBeneath(access, fd)
        if libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) < 0:
            raise OSError(ctypes.get_errno(), f"landlock: cannot add a rule for {path}")
    finally:
        os.close(fd)
