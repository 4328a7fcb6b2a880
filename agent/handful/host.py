"""The native messaging host: what the browser starts, a thin relay to the agent.

Speaks the browser's framing exactly (a 32-bit length in native byte order, then that many
bytes of UTF-8 JSON), checks the caller against the extension's ids, relays each message
to the agent and the reply back, starts the agent when it is not running (once, however
many browsers ask) and reconnects when it restarts. Stdlib only on this path: the browser
waits for it to start.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import sys
from typing import BinaryIO

from handful.client import AgentClient, AgentUnavailable
from handful.errors import HandfulError
from handful.identity import EXTENSION_IDS
from handful.paths import Paths

MAX_IN = 1 << 20            # a message to the agent (the protocol's limit)
MAX_SKIP = 64 << 20         # larger frames cannot be skipped: the stream is given up
MAX_OUT = 1 << 20           # the browser refuses more from a host
LENGTH = struct.Struct("=I")  # native byte order, as the browser writes it


def allowed_ids(paths: Paths) -> set[str]:
    ids = set(EXTENSION_IDS)
    ids.update(x for x in os.environ.get("HANDFUL_EXTENSION_IDS", "").split(",") if x)
    with contextlib.suppress(OSError, ValueError, TypeError):
        ids.update(json.loads((paths.config / "extensions.json").read_text()))
    return ids


def caller_id(argv: list[str]) -> str | None:
    """Chrome passes `chrome-extension://<id>/` (and on Windows `--parent-window=`);
    Firefox passes the manifest's path and the add-on id."""
    for arg in argv[1:]:
        if arg.startswith("chrome-extension://"):
            return arg.removeprefix("chrome-extension://").strip("/")
    if len(argv) >= 3 and argv[1].endswith(".json"):
        return argv[2]
    return None


class Relay:
    def __init__(self, paths: Paths, stdin: BinaryIO, stdout: BinaryIO) -> None:
        self.paths = paths
        self.stdin = stdin
        self.stdout = stdout
        self.client = AgentClient(paths.runtime)

    def run(self) -> int:
        while True:
            head = self._read(LENGTH.size)
            if not head:
                return 0  # the browser closed the port: a clean end
            if len(head) < LENGTH.size:
                return _fail("the browser closed the port in the middle of a frame")
            (length,) = LENGTH.unpack(head)
            if length > MAX_IN:
                self._reply(_error(None, "too_large", f"message of {length} bytes; the "
                                                      f"limit is {MAX_IN}"))
                if length > MAX_SKIP or not self._skip(length):
                    return _fail(f"gave up on a frame of {length} bytes")
                continue
            body = self._read(length)
            if len(body) < length:
                return _fail("the browser closed the port in the middle of a frame")
            if _request_type(body) in LOCAL_ONLY:
                self._reply(_error(_request_id(body), "forbidden", "this message comes only "
                                   "from the command line (`handful import`), never from the "
                                   "browser"))
                continue
            self._reply(self._relay(body))

    def _read(self, n: int) -> bytes:
        chunks, missing = [], n
        while missing:
            chunk = self.stdin.read(missing)
            if not chunk:
                break
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def _skip(self, n: int) -> bool:
        while n:
            chunk = self.stdin.read(min(n, 1 << 16))
            if not chunk:
                return False
            n -= len(chunk)
        return True

    def _relay(self, body: bytes) -> bytes:
        if "handful.agentctl" in sys.modules:  # this host started the agent: collect its exit
            sys.modules["handful.agentctl"].reap()
        for attempt in (1, 2):
            try:
                return self.client.send_raw(body)
            except AgentUnavailable as error:
                if attempt == 2 or os.environ.get("HANDFUL_HOST_NO_START"):
                    return _error(_request_id(body), "agent_unavailable", str(error),
                                  error.reason)
                try:  # not running, or restarting: start it (once) and try again
                    from handful.agentctl import ensure_running

                    ensure_running(self.paths)
                except HandfulError as start_error:
                    return _error(_request_id(body), "agent_unavailable", str(start_error),
                                  start_error.reason)
        raise AssertionError("unreachable")

    def _reply(self, data: bytes) -> None:
        if len(data) > MAX_OUT:
            data = _error(_request_id(data), "too_large", "the reply is larger than a browser "
                                                          "accepts")
        self.stdout.write(LENGTH.pack(len(data)) + data)
        self.stdout.flush()


# What only the command line may ask (the agent reads a file for it): never relayed.
LOCAL_ONLY = frozenset({"import", "import_status", "sync_enable", "sync_disable", "sync_now",
                        "sync_status"})


def _request_type(body: bytes) -> object:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return doc.get("type") if isinstance(doc, dict) else None


def _request_id(body: bytes) -> object:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return None
    value = doc.get("id") if isinstance(doc, dict) else None
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def _error(request_id: object, code: str, message: str, reason: str | None = None) -> bytes:
    """An error reply; `agent_unavailable` carries the `reason` (docs/protocol.md)."""
    error = {"code": code, "message": message, **({"reason": reason} if reason else {})}
    return json.dumps({"id": request_id, "ok": False, "error": error}).encode()


def _fail(message: str) -> int:
    print(f"handful host: {message}", file=sys.stderr, flush=True)
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    if os.name == "nt":  # binary stdio: no newline translation inside frames
        import msvcrt

        msvcrt.setmode(sys.stdin.fileno(), os.O_BINARY)  # type: ignore[attr-defined]
        msvcrt.setmode(sys.stdout.fileno(), os.O_BINARY)  # type: ignore[attr-defined]
    paths = Paths.from_env()
    caller = caller_id(argv)
    if caller is None or caller not in allowed_ids(paths):
        return _fail(f"refused: caller {caller or 'unknown'} is not the Handful extension")
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # stdout carries frames only; anything printed goes to the log
    try:
        return Relay(paths, sys.stdin.buffer, stdout).run()
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:
        return 0  # the browser went away


if __name__ == "__main__":
    raise SystemExit(main())
