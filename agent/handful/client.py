"""Talking to the agent: stdlib only, so the native host and the CLI start fast.

The agent listens on `run/agent-frames.sock` (frames: a length and JSON, as native
messaging frames them) and `run/agent.sock` (HTTP), Unix sockets 0600 in a 0700 folder; this
client speaks frames there. Where there are no Unix sockets, it speaks HTTP to loopback TCP
with the port and token in `run/api.json`.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
from pathlib import Path
from typing import Any

from handful.errors import HandfulError
from handful.filelock import held

UNIX_HOST = "handful"  # the Host header an HTTP client of agent.sock sends
MAX_UNIX_PATH = 100    # sun_path is 104 bytes on macOS, 108 on Linux


class AgentUnavailable(HandfulError):
    """The agent cannot be reached. `reason` (for the extension, docs/protocol.md): why, when
    known: not_running, no_answer, impostor, or the reason the agent gave as it stopped
    at start (no_passphrase, wrong_passphrase, keyring, key_unavailable, not_initialised,
    store_busy, integrity, storage, failed)."""

    exit_code = 7

    def __init__(self, message: str, *, reason: str = "not_running") -> None:
        super().__init__(message)
        self.reason = reason


def unix_supported() -> bool:
    return hasattr(socket, "AF_UNIX") and os.name == "posix" and \
        os.environ.get("HANDFUL_API") != "tcp"


def socket_path(runtime: Path, name: str = "agent.sock") -> Path:
    """One of the agent's sockets (`agent.sock`: HTTP; `agent-frames.sock`: frames); a short
    stand-in path when the real one is too long (see `socket_folder`)."""
    path = runtime / name
    if len(os.fsencode(path)) <= MAX_UNIX_PATH:
        return path
    import hashlib  # only for this rare case: kept off the host's start
    import tempfile

    digest = hashlib.sha256(os.fsencode(runtime)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"handful-{os.getuid()}-{digest}" / name


FRAMES = "agent-frames.sock"


class NotTheAgent(AgentUnavailable):
    """Something answers where the agent should, but it is not this user's agent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reason="impostor")


class UnsafeFolder(NotTheAgent):
    """The sockets' folder could be someone else's: nothing is sent through it."""


def socket_folder(path: Path, *, create: bool) -> Path:
    """The folder of the agent's sockets, checked every time it is used, as ssh-agent and
    tmux check theirs: a real folder (not a link), owned by this user, open to no one else.
    In the temporary folder (a socket path too long for the runtime folder) its name can be
    guessed, so another user may have made it first: then it is refused, never used."""
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise AgentUnavailable(NOT_RUNNING) from None
    import stat  # (not on the host's usual path: only when a check fails or is made)

    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolder(f"{path} is not a folder (a link or a file is there): refusing to "
                           "use it for the agent's socket; remove it")
    if info.st_uid != os.getuid():
        raise UnsafeFolder(f"{path} belongs to another user (uid {info.st_uid}): refusing to "
                           "use it for the agent's socket; remove it, or set HANDFUL_HOME "
                           "to a shorter path")
    if info.st_mode & 0o077:
        raise UnsafeFolder(f"{path} is open to other users (mode {info.st_mode & 0o777:o}): "
                           "refusing to use it for the agent's socket; run `chmod 700` on it")
    return path


def agent_proof(secret: bytes, client_nonce: bytes, agent_nonce: bytes) -> str:
    """What only the real agent can answer to a client's challenge (TCP): the secret in
    `api.json` (0600) never crosses the wire."""
    import hmac

    return hmac.new(secret, b"handful agent\0" + client_nonce + agent_nonce, "sha256").hexdigest()


def client_proof(secret: bytes, client_nonce: bytes, agent_nonce: bytes) -> str:
    import hmac

    return hmac.new(secret, b"handful client\0" + agent_nonce + client_nonce,
                    "sha256").hexdigest()


def _server_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a Unix socket, where the system says."""
    if hasattr(socket, "SO_PEERCRED"):  # Linux
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return int(struct.unpack("3i", creds)[1])
    return None  # macOS, BSD: the checked 0700 folder stands between others and the socket


def _process_is_ours(pid: int) -> bool:
    """Whether `pid` is a live process of this user (the agent named in `api.json`)."""
    if pid <= 0:
        return False
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.getuid()
    except FileNotFoundError:
        return False
    except OSError:
        pass  # no /proc (macOS, Windows): ask the process table
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # alive, but another user's
    except OSError:
        return True  # (Windows: os.kill(pid, 0) is not a probe; the challenge decides)
    return True


NOT_RUNNING = "the agent is not running (start it with `handful start`)"
MAX_BODY = 64 << 20     # far above any answer the agent gives (the protocol's own limits)


_FRAME = struct.Struct("=I")


class _FrameConnection:
    """One connection to the agent's frame socket: a 4-byte length and JSON each way, as
    native messaging frames them (docs/protocol.md, "Frames")."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def exchange(self, body: bytes) -> bytes:
        self.sock.sendall(_FRAME.pack(len(body)) + body)
        while len(self.buffer) < _FRAME.size:
            self._more()
        (length,) = _FRAME.unpack_from(self.buffer)
        if length > MAX_BODY:
            raise ConnectionError("the agent's answer is too large")
        end = _FRAME.size + length
        while len(self.buffer) < end:
            self._more()
        data, self.buffer = self.buffer[_FRAME.size:end], self.buffer[end:]
        return data

    def _more(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the agent closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class AgentClient:
    """One keep-alive connection to the agent; reconnects once if it was dropped. On Unix
    it speaks frames on `agent-frames.sock`; elsewhere HTTP with the token over loopback."""

    def __init__(self, runtime: Path, timeout: float = 30.0) -> None:
        self.runtime = runtime
        self.timeout = timeout
        self._conn: _FrameConnection | None = None

    def _connect(self) -> _FrameConnection:
        if unix_supported():
            path = socket_path(self.runtime, FRAMES)
            socket_folder(path.parent, create=False)
            if not path.exists():
                raise AgentUnavailable(NOT_RUNNING)
            sock = self._open(socket.AF_UNIX, os.fspath(path))
            uid = _server_uid(sock)
            if uid is not None and uid != os.getuid():
                sock.close()
                raise NotTheAgent(f"{path} is served by another user's process (uid {uid}), "
                                  "not your agent: nothing was sent to it")
            return _FrameConnection(sock)
        return self._connect_tcp()

    def _connect_tcp(self) -> _FrameConnection:
        """Loopback TCP (no Unix sockets): `api.json` names the port, the agent's pid and a
        secret. The discovery file is stale when no agent holds `agent.lock` or its process
        is gone or not ours (then the port is not even tried); whoever answers on the port
        must prove it holds the secret before anything is sent."""
        try:
            info = json.loads((self.runtime / "api.json").read_text())
            port, pid = int(info["port"]), int(info["pid"])
            secret = bytes.fromhex(str(info["secret"]))
        except (OSError, ValueError, KeyError, TypeError):
            raise AgentUnavailable(NOT_RUNNING) from None
        if not held(self.runtime / "agent.lock") or not _process_is_ours(pid):
            raise AgentUnavailable(NOT_RUNNING + " (its discovery file is stale)")
        conn = _FrameConnection(self._open(socket.AF_INET, ("127.0.0.1", port)))
        try:
            mine = os.urandom(32)
            hello = json.loads(conn.exchange(json.dumps(
                {"id": "hello", "type": "hello", "nonce": mine.hex()}).encode()))
            result = hello.get("result") if isinstance(hello, dict) else None
            theirs = bytes.fromhex(str(result.get("nonce", ""))) if isinstance(result, dict) \
                else b""
            import hmac

            expected = agent_proof(secret, mine, theirs)
            if len(theirs) != 32 or not hmac.compare_digest(
                    str(result.get("proof", "")) if isinstance(result, dict) else "", expected):
                raise NotTheAgent(
                    f"127.0.0.1:{port} is not your agent (it cannot prove it holds the secret "
                    "in api.json): nothing was sent to it")
            proved = json.loads(conn.exchange(json.dumps(
                {"id": "prove", "type": "prove",
                 "proof": client_proof(secret, mine, theirs)}).encode()))
            if not (isinstance(proved, dict) and proved.get("ok")):
                raise AgentUnavailable("the agent did not accept this client's proof")
        except (OSError, ValueError, AttributeError) as error:
            conn.close()
            raise AgentUnavailable(f"127.0.0.1:{port} did not answer as the agent does "
                                   f"({error}); nothing was sent to it") from None
        except AgentUnavailable:
            conn.close()
            raise
        return conn

    def _open(self, family: int, address: str | tuple[str, int]) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(address)
        except OSError as error:
            sock.close()
            raise AgentUnavailable(f"the agent is not running ({error.strerror or error}; "
                                   "start it with `handful start`)") from None
        return sock

    def send_raw(self, body: bytes) -> bytes:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            try:
                return self._conn.exchange(body)
            except (OSError, ValueError) as error:  # ConnectionError is an OSError
                self.close()
                if attempt == 2 or isinstance(error, TimeoutError):
                    raise AgentUnavailable(f"the agent did not answer ({error})",
                                           reason="no_answer") from None
        raise AssertionError("unreachable")

    def send(self, message: dict[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = json.loads(self.send_raw(json.dumps(message).encode()))
        return reply

    def ping(self) -> bool:
        """Whether the agent answers; an impostor (`NotTheAgent`) is an error, not a no."""
        try:
            return bool(self.send({"id": "ping", "type": "ping"}).get("ok"))
        except NotTheAgent:
            raise
        except AgentUnavailable:
            return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None

