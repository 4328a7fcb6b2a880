"""Talking to the agent: stdlib only, so the native host and the CLI start fast.

The agent listens on `run/agent.sock` (a Unix socket, 0600, in a 0700 folder) or, where
there are no Unix sockets, on loopback TCP with the port and token in `run/api.json`.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import socket
import tempfile
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


def socket_path(runtime: Path) -> Path:
    """The agent's socket; a short stand-in path when the real one is too long."""
    path = runtime / "agent.sock"
    if len(os.fsencode(path)) <= MAX_UNIX_PATH:
        return path
    digest = hashlib.sha256(os.fsencode(runtime)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"handful-{os.getuid()}-{digest}" / "agent.sock"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__(UNIX_HOST, timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(os.fspath(self._path))
        except OSError:
            sock.close()
            raise
        self.sock = sock


class AgentClient:
    """One keep-alive connection to the agent; reconnects once if it was dropped."""

    def __init__(self, runtime: Path, timeout: float = 30.0) -> None:
        self.runtime = runtime
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._headers: dict[str, str] = {}

    def _connect(self) -> http.client.HTTPConnection:
        if unix_supported():
            path = socket_path(self.runtime)
            if not path.exists():
                raise AgentUnavailable("the agent is not running (start it with "
                                       "`handful start`)")
            self._headers = {"Host": UNIX_HOST}
            return _UnixConnection(path, self.timeout)
        try:
            info = json.loads((self.runtime / "api.json").read_text())
            port, token = int(info["port"]), str(info["token"])
        except (OSError, ValueError, KeyError, TypeError):
            raise AgentUnavailable("the agent is not running (start it with "
                                   "`handful start`)") from None
        self._headers = {"Host": f"127.0.0.1:{port}", "Authorization": f"Bearer {token}"}
        return http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout)

    def send_raw(self, body: bytes) -> bytes:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            try:
                self._conn.request("POST", "/v1/message", body=body, headers={
                    **self._headers, "Content-Type": "application/json"})
                response = self._conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as error:
                self.close()
                if attempt == 2 or isinstance(error, TimeoutError):
                    raise AgentUnavailable(f"the agent did not answer ({error})") from None
                continue
            if response.status != 200:
                raise AgentUnavailable(f"the agent refused the request ({response.status})")
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

