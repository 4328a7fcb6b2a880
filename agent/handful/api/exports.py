"""`export` through the agent: every event, decrypted, read from disk a page at a time.

The first `export` message opens a cursor (an iterator over the log as `Ledger.events`
reads it); each reply carries at most a page of events and the cursor's token in `next`,
which asks for the page after. So an export of any size costs the agent one page of
memory, and the CLI prints each page as it comes. Cursors are few and short-lived
(`protocol.EXPORTS_OPEN`, `protocol.EXPORT_IDLE`): a client that went away costs nothing
for long.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec

from handful.api.protocol import EXPORT_IDLE, EXPORTS_OPEN, PAGE_BYTES, ProtocolError

_encode = msgspec.json.Encoder().encode


@dataclass
class _Cursor:
    events: Iterator[dict[str, Any]]
    pending: dict[str, Any] | None = None  # read, but over the last page's bytes
    used: float = field(default_factory=time.monotonic)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Exports:
    """The open export cursors of one agent."""

    def __init__(self, source: Callable[[], Iterator[dict[str, Any]]], *,
                 most: int = EXPORTS_OPEN, idle: float = EXPORT_IDLE) -> None:
        self.source = source
        self.most = most
        self.idle = idle
        self.cursors: OrderedDict[str, _Cursor] = OrderedDict()

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, c in self.cursors.items()
                      if now - c.used > self.idle and not c.lock.locked()]:
            del self.cursors[token]

    async def page(self, after: str | None, limit: int) -> dict[str, Any]:
        self._expire()
        if after is None:
            while len(self.cursors) >= self.most:
                self.cursors.popitem(last=False)  # the least recently used makes room
            token = secrets.token_urlsafe(18)
            cursor = _Cursor(iter(()))
            self.cursors[token] = cursor
            async with cursor.lock:
                try:
                    cursor.events = await asyncio.to_thread(self.source)
                except BaseException:
                    self.cursors.pop(token, None)
                    raise
                return await self._next(token, cursor, limit)
        found = self.cursors.get(after)
        if found is None:
            raise ProtocolError("invalid", f"`after`: export {after!r} is not open (finished, "
                                           f"idle over {self.idle:.0f} s, or the agent "
                                           "restarted); export again from the start")
        if found.lock.locked():
            raise ProtocolError("busy", "this export's page is being read; ask once at a time")
        async with found.lock:
            return await self._next(after, found, limit)

    async def _next(self, token: str, cursor: _Cursor, limit: int) -> dict[str, Any]:
        try:
            events, done = await asyncio.to_thread(_fill, cursor, limit)
        except BaseException:
            self.cursors.pop(token, None)  # (a record that failed verification: said once)
            raise
        cursor.used = time.monotonic()
        self.cursors.move_to_end(token)
        if done:
            self.cursors.pop(token, None)
        return {"events": events, "next": None if done else token}


def _fill(cursor: _Cursor, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """At most `limit` events and PAGE_BYTES of them (at least one); whether that was all."""
    page: list[dict[str, Any]] = []
    size = 0
    while len(page) < limit:
        event = cursor.pending if cursor.pending is not None else next(cursor.events, None)
        cursor.pending = None
        if event is None:
            return page, True
        size += len(_encode(event)) + 1
        if page and size > PAGE_BYTES:
            cursor.pending = event
            return page, False
        page.append(event)
    cursor.pending = next(cursor.events, None)
    return page, cursor.pending is None
