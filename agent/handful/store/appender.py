"""Group commit for asyncio callers (the agent's request handlers).

Every caller awaits its own event's durability; all events that arrive while a flush is
under way go out together in the next one: one write, one flush, whatever the number of
callers. The flush runs in a worker thread so the event loop keeps serving requests.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from handful.store.log import EventLog


class AsyncAppender:
    def __init__(self, log: EventLog[Any]) -> None:
        self.log = log
        self._pending: list[tuple[tuple[str, bytes], asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handful-commit")

    async def append(self, event_id: str, plaintext: bytes) -> bool:
        """Store one record durably; False when its id was already stored."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self._pending.append(((event_id, plaintext), done))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                results = await loop.run_in_executor(
                    self._thread, self.log.append_many, [item for item, _ in batch])
            except Exception as error:  # every waiter hears why; none is left hanging
                for _, waiter in batch:
                    if not waiter.done():
                        waiter.set_exception(error)
                continue
            for (_, waiter), stored in zip(batch, results, strict=True):
                if not waiter.done():
                    waiter.set_result(stored)

    async def close(self) -> None:
        if self._flusher is not None:
            await self._flusher
        self._thread.shutdown(wait=True)
