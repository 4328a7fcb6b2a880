"""The agent's log (`run/agent.log`): capped in size, and quiet about repeats.

The agent started in the background writes its standard error to `run/agent.log` (the file
`agentctl` opens for it, so a failure before logging starts is still there). Whatever is
logged goes through one handler that keeps the file under `MAX_BYTES`: past it, the
content moves to `agent.log.1` (one older file kept) and the file starts again, as
logrotate's copytruncate does (the agent keeps writing to the same open file). A message
that repeats (the same logger and text, a caller retrying a bad request thousands of times)
is written once and then summed up as "repeated N more times"; a malformed request that
aiohttp reports is one line with its reason, never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import TextIO

MAX_BYTES = 1 << 20
REPEAT_WINDOW = 60.0  # seconds: repeats within this of the first are summed up


class CappedLog(logging.Handler):
    def __init__(self, stream: TextIO, path: Path | None, max_bytes: int = MAX_BYTES,
                 window: float = REPEAT_WINDOW) -> None:
        super().__init__()
        self.stream = stream
        self.path = path  # the file behind `stream`, if it is one (else never rotated)
        self.max_bytes = max_bytes
        self.window = window
        self._last: tuple[str, int, str] | None = None
        self._since = 0.0
        self._repeats = 0
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            key = (record.name, record.levelno, record.getMessage())
            now = time.monotonic()
            if key == self._last and now - self._since < self.window:
                self._repeats += 1
                return
            self._flush_repeats()
            self._last, self._since = key, now
            if record.name.startswith("aiohttp") and record.exc_info:
                # A caller's malformed request, not a fault of the agent: one line, the
                # reason, no traceback (Handful's own failures keep theirs).
                error = record.exc_info[1]
                reason = str(error).splitlines()[0] if str(error) else ""
                record = logging.makeLogRecord({
                    **record.__dict__, "exc_info": None, "exc_text": None, "args": None,
                    "msg": f"{record.getMessage()} ({type(error).__name__}: {reason})"})
            self._write(self.format(record) + "\n")
        except Exception:  # a log that cannot be written must never stop the agent
            self.handleError(record)

    def _flush_repeats(self) -> None:
        if self._repeats:
            self._write(f"(the message before was repeated {self._repeats} more times)\n")
            self._repeats = 0

    def flush(self) -> None:
        with contextlib.suppress(Exception):
            self._flush_repeats()
            self.stream.flush()

    def _write(self, text: str) -> None:
        self._rotate_if_full(len(text))
        self.stream.write(text)
        self.stream.flush()

    def _rotate_if_full(self, adding: int) -> None:
        if self.path is None:
            return
        fd = self.stream.fileno()
        size = os.fstat(fd).st_size
        if size + adding <= self.max_bytes:
            return
        self.stream.flush()
        with open(self.path, "rb") as current:
            kept = current.read(size)
        older = self.path.with_name(self.path.name + ".1")
        temp = older.with_name(older.name + ".tmp")
        with open(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            out.write(kept)
        os.replace(temp, older)
        os.ftruncate(fd, 0)  # opened for appending: the next write lands at the start


def setup(runtime: Path) -> CappedLog:
    """Route the agent's logging (its own and aiohttp's) through one capped handler on
    standard error, rotated when standard error is `run/agent.log`."""
    path = runtime / "agent.log"
    try:
        same = os.path.samestat(os.fstat(sys.stderr.fileno()), os.stat(path))
    except (OSError, ValueError, AttributeError):
        same = False
    handler = CappedLog(sys.stderr, path if same else None)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    return handler
