"""Linux namespaces for one run: whatever a run starts ends with it, and a SQLite run is offline.

`enter` is called in a run's child, once it has its request. It creates a user namespace (so
no privilege is needed) and, inside it, a PID namespace and, for a run without a database
server, a network namespace with no interfaces but its own loopback, down. It then forks: the
new process is PID 1 of the run's PID namespace and runs the example; the caller stays outside
and only waits for it, mirroring how it ended. When PID 1 of a namespace ends, the kernel kills
every process left in it, so no process a run starts — in a new session, re-forking with an
empty environment — can outlive the run.

`run_memory` adds up what the processes of one run hold privately, so that the worker can
hold the memory cap for the run as a whole, not per process.
Where namespaces are missing (not Linux, user namespaces turned off), `enter` returns None and
the run goes on without them; Landlock and the process group still apply.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal

from quiz.sandbox.landlock import linux_libc

_CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
_PR_SET_PDEATHSIG = 1


def _unshare(libc: ctypes.CDLL, network: bool) -> list[str] | None:
    """Unshare the namespaces; the names of those made, or None if none could be."""
    uid, gid = os.getuid(), os.getgid()
    extra = 0 if network else _CLONE_NEWNET
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWPID | extra) == 0:
        # The same ids inside as outside: files the example writes belong to the user, and
        # getuid() says who the user is. Only one's own id may be mapped without privilege.
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")
        return ["user", "pid"] + ([] if network else ["net"])
    if os.geteuid() == 0 and libc.unshare(_CLONE_NEWPID | extra) == 0:
        return ["pid"] + ([] if network else ["net"])  # user namespaces off, but root may
    return None


def enter(network: bool) -> str | None:
    """Put the rest of this run in namespaces of its own; returns what was made ("pid, net")
    in the process that goes on to run the example, or None where nothing could be made. The
    calling process never returns when it worked: it waits for the run and exits as it did.

    `network`: keep the network (a run that talks to a database server on this machine)."""
    libc = linux_libc()
    if libc is None:
        return None
    try:
        made = _unshare(libc, network)
    except OSError:
        return None  # half made (e.g. the id maps refused): the fork below would be PID 1 anyway
    if made is None:
        return None
    pid = os.fork()
    if pid == 0:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # dies with the process that waits
        return ", ".join(n for n in made if n != "user")
    _wait_and_mirror(pid)
    raise AssertionError("unreachable")  # pragma: no cover


def _wait_and_mirror(pid: int) -> None:
    """In the process outside: wait for PID 1 of the run and end the same way it did."""
    # A Ctrl-C or a timeout's interrupt goes to the whole process group; it is for the example.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(70)
        except InterruptedError:  # pragma: no cover - PEP 475 retries for us
            continue
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status))


def namespace_of(pid: int) -> str | None:
    """The PID namespace the children of `pid` are born in (the run's, for its outer process)."""
    try:
        return os.readlink(f"/proc/{pid}/ns/pid_for_children")
    except OSError:
        return None


def run_memory(namespace: str) -> tuple[int, int]:
    """(bytes held privately, processes) over every process in the PID namespace `namespace`.

    Private memory is what a process wrote to itself (copy-on-write pages it copied, its own
    allocations); pages still shared with the worker it was forked from are not counted, so
    three forked copies of the same interpreter do not count three times."""
    total, processes = 0, 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0, 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != namespace:
                continue
            with open(f"/proc/{entry}/smaps_rollup", "rb") as f:
                rollup = f.read()
        except OSError:
            continue
        processes += 1
        for line in rollup.splitlines():
            if line.startswith((b"Private_Clean:", b"Private_Dirty:", b"Swap:")):
                total += int(line.split()[1]) * 1024
    return total, processes
