"""Starting, stopping and pinging the agent: what the native host, the CLI and the tray use.
Stdlib only (with Handful's own stdlib-only leaves), so the host the browser starts stays
fast: the agent is started as its own process (`python -m handful agent`), once however many
callers ask at the same moment."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from handful.client import AgentClient, AgentUnavailable
from handful.errors import HandfulError
from handful.filelock import WriterLock
from handful.paths import Paths, private_dir


def agent_pid(paths: Paths) -> int | None:
    try:
        return int((paths.runtime / "agent.pid").read_text().strip())
    except (OSError, ValueError):
        return None


FAILURE = "agent-failure.json"  # in the runtime folder: why the last agent stopped at start


def note_failure(paths: Paths, error: HandfulError) -> None:
    """Said by an agent that cannot start (no key, a locked store...): what stopped it, for
    whoever started it (the native host passes it to the browser). Mode 0600, in the
    runtime folder (0700); removed by the next agent that starts."""
    import json

    path = paths.runtime / FAILURE
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"reason": getattr(error, "reason", "failed"), "message": str(error)}, out)


def clear_failure(paths: Paths) -> None:
    with contextlib.suppress(FileNotFoundError):
        (paths.runtime / FAILURE).unlink()


def last_failure(paths: Paths) -> tuple[str, str] | None:
    """(reason, message) the last agent gave as it stopped at start, if it did."""
    import json

    try:
        doc = json.loads((paths.runtime / FAILURE).read_text(encoding="utf-8"))
        return str(doc["reason"])[:40], str(doc["message"])[:500]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure_running(paths: Paths, timeout: float = 20.0) -> bool:
    """Start the agent unless it answers; True if this call started it. Callers racing
    here (two browsers starting at once) take turns on a lock: one starts, all see it."""
    client = AgentClient(paths.runtime, timeout=5)
    try:
        if client.ping():
            return False
        private_dir(paths.runtime)
        lock = WriterLock(paths.runtime / "start.lock")
        lock.acquire(timeout=timeout)
        try:
            if client.ping():
                return False
            _spawn(paths, timeout)
            return True
        finally:
            lock.release()
    finally:
        client.close()


_children: list[subprocess.Popen[bytes]] = []  # agents this process started, until reaped


def reap() -> None:
    """Collect the exit of any agent this process started (the native host is its parent:
    an agent that stopped would otherwise linger as a zombie while the browser runs)."""
    for child in list(_children):
        if child.poll() is not None:
            _children.remove(child)


def _spawn(paths: Paths, timeout: float) -> None:
    log_path = paths.runtime / "agent.log"
    with open(log_path, "ab") as out:
        os.chmod(log_path, 0o600)
        proc = subprocess.Popen(
            [sys.executable, "-m", "handful", "agent"], env=paths.environ(),
            stdin=subprocess.DEVNULL,
            stdout=out, stderr=out, start_new_session=True,  # outlives the browser's host
            close_fds=True)
    _children.append(proc)
    client = AgentClient(paths.runtime, timeout=2)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if client.ping():
                return
            if proc.poll() is not None:
                failure = last_failure(paths)
                if failure is not None:
                    raise AgentUnavailable(f"the agent stopped at once: {failure[1]}",
                                           reason=failure[0])
                raise AgentUnavailable(f"the agent stopped at once: {_last_line(log_path)}",
                                       reason="failed")
            time.sleep(0.02)
    finally:
        client.close()
    raise AgentUnavailable(f"the agent did not answer within {timeout:.0f} s; see {log_path}",
                           reason="no_answer")


def _last_line(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return lines[-1].removeprefix("handful: ") if lines else "no output"


def stop_agent(paths: Paths, timeout: float = 20.0) -> bool:
    """SIGTERM the agent and wait until it is gone; False if it was not running."""
    pid = agent_pid(paths)
    client = AgentClient(paths.runtime, timeout=2)
    try:
        if pid is None or not client.ping():
            return False
    finally:
        client.close()
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    exited: float | None = None
    while time.monotonic() < deadline:
        state = _state(pid)
        if state == "gone":
            return True
        if state == "exited":  # a zombie: gone once its parent collects it, or a moment on
            exited = exited or time.monotonic()
            if time.monotonic() - exited > ZOMBIE_GRACE:
                return True
        time.sleep(0.02)
    raise HandfulError(f"the agent (pid {pid}) did not stop within {timeout:.0f} s")


ZOMBIE_GRACE = 1.0  # seconds an exited agent may wait for its parent to collect it


def _state(pid: int) -> str:
    """One of: running; exited (a zombie whose parent, the native host that started it,
    has not collected it yet); gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "gone"
    except PermissionError:
        return "running"
    with contextlib.suppress(ChildProcessError):  # ours: collected here
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return "gone"
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[-1].split()
    except OSError:
        return "running"
    if fields[0] != b"Z":
        return "running"
    # A zombie: init collects its own at once; one whose parent lives on (the browser's
    # native host, until its next message) is as good as gone.
    return "running" if fields[1] == b"1" else "exited"
