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

UNIX_HOST = "handful"  # the Host header a Unix-socket client sends (and the agent expects)
MAX_UNIX_PATH = 100    # sun_path is 104 bytes on macOS, 108 on Linux


class AgentUnavailable(HandfulError):
    exit_code = 7


def unix_supported() -> bool:
    return hasattr(socket, "AF_UNIX") and os.name == "posix" and \
        os.environ.get("HANDFUL_API") != "tcp"


def socket_path(runtime: Path, name: str = "agent.sock") -> Path:
    """One of the agent's sockets (`agent.sock`: HTTP; `agent-frames.sock`: frames); a short
    stand-in path when the real one is too long."""
    path = runtime / name
    if len(os.fsencode(path)) <= MAX_UNIX_PATH:
        return path
    import hashlib  # only for this rare case: kept off the host's start
    import tempfile

    digest = hashlib.sha256(os.fsencode(runtime)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"handful-{os.getuid()}-{digest}" / name


FRAMES = "agent-frames.sock"


NOT_RUNNING = "the agent is not running (start it with `handful start`)"
MAX_HEAD = 16 << 10     # the agent's response head is a few hundred bytes
MAX_BODY = 64 << 20     # far above any answer the agent gives (the protocol's own limits)


class _Connection:
    """One HTTP/1.1 keep-alive connection to the agent: a POST out, an answer with a
    Content-Length back, which is all the agent (aiohttp) sends. Written here rather than
    with the stdlib's http.client, whose imports (its email parser) cost the native host
    about a third of its start, on every start of the browser."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.sock.sendall(f"POST {path} HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n"
                          .encode("latin-1") + body)
        while b"\r\n\r\n" not in self.buffer:
            self._more(MAX_HEAD)
        raw, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = raw.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ConnectionError(f"not an HTTP answer: {status_line[:40]!r}")
        length, close = None, parts[0] == "HTTP/1.0"
        for line in lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length" and value.isdigit():
                length = int(value)
            elif name == "connection":
                close = value.lower() == "close"
            elif name == "transfer-encoding":
                raise ConnectionError(f"an answer in {value} encoding")
        if length is None or length > MAX_BODY:
            raise ConnectionError("an answer without a usable Content-Length")
        while len(self.buffer) < length:
            self._more(MAX_BODY)
        data, self.buffer = self.buffer[:length], self.buffer[length:]
        if close:
            self.close()
        return int(parts[1]), data

    def _more(self, limit: int) -> None:
        if len(self.buffer) > limit:
            raise ConnectionError("the agent's answer is too large")
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the agent closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


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
        self._conn: _Connection | _FrameConnection | None = None
        self._headers: dict[str, str] = {}

    def _connect(self) -> _Connection | _FrameConnection:
        if unix_supported():
            path = socket_path(self.runtime, FRAMES)
            if not path.exists():
                raise AgentUnavailable(NOT_RUNNING)
            return _FrameConnection(self._open(socket.AF_UNIX, os.fspath(path)))
        try:
            info = json.loads((self.runtime / "api.json").read_text())
            port, token = int(info["port"]), str(info["token"])
        except (OSError, ValueError, KeyError, TypeError):
            raise AgentUnavailable(NOT_RUNNING) from None
        self._headers = {"Host": f"127.0.0.1:{port}", "Authorization": f"Bearer {token}",
                         "Content-Type": "application/json"}
        return _Connection(self._open(socket.AF_INET, ("127.0.0.1", port)))

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
                if isinstance(self._conn, _FrameConnection):
                    return self._conn.exchange(body)
                status, data = self._conn.post("/v1/message", self._headers, body)
            except (OSError, ValueError) as error:  # ConnectionError is an OSError
                self.close()
                if attempt == 2 or isinstance(error, TimeoutError):
                    raise AgentUnavailable(f"the agent did not answer ({error})") from None
                continue
            if status != 200:
                raise AgentUnavailable(f"the agent refused the request ({status})")
            return data
        raise AssertionError("unreachable")

    def send(self, message: dict[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = json.loads(self.send_raw(json.dumps(message).encode()))
        return reply

    def ping(self) -> bool:
        try:
            return bool(self.send({"id": "ping", "type": "ping"}).get("ok"))
        except AgentUnavailable:
            return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None

