"""Group commit for threads: concurrent appends share one write and one flush.

Leader style: the first caller to find no commit under way commits everything queued; the
others sleep until their ticket is done, or until the leader hands them the next batch.
Each wake-up is for one thread, not all. (`appender.py` does the same for asyncio callers.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handful.errors import StorageFailure


def _held_lock() -> Any:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass
class Ticket:
    items: list[tuple[str, bytes]]
    result: list[bool] = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False
    wake: Any = field(default_factory=_held_lock)  # a lock as a one-shot wake-up: cheapest


class GroupCommit:
    """Runs `commit(batch)` for queued tickets, one batch at a time; `commit` sets each
    ticket's `result` and raises StorageFailure (or ValueError) for the whole batch."""

    def __init__(self, commit: Callable[[list[Ticket]], None]) -> None:
        self._commit_batch = commit
        self._lock = threading.Lock()
        self._queue: list[Ticket] = []
        self._committing = False

    def submit(self, items: list[tuple[str, bytes]]) -> list[bool]:
        ticket = Ticket(items)
        with self._lock:
            self._queue.append(ticket)
            lead = not self._committing
            self._committing = True
        if not lead:
            ticket.wake.acquire()  # released by the leader: done, or ours to lead
        if not ticket.done:  # ours to lead: commit the queue, then pass the role on
            with self._lock:
                batch, self._queue = self._queue, []
            try:
                self._commit(batch)
            finally:
                with self._lock:
                    successor = self._queue[0] if self._queue else None
                    self._committing = successor is not None
                for other in batch:
                    if other is not ticket:
                        other.wake.release()
                if successor is not None:
                    successor.wake.release()
        if ticket.error is not None:
            raise ticket.error
        return ticket.result

    def _commit(self, batch: list[Ticket]) -> None:
        try:
            self._commit_batch(batch)
        except (StorageFailure, ValueError) as error:
            failure = error if isinstance(error, StorageFailure) else StorageFailure(str(error))
            for ticket in batch:
                ticket.error = failure
        except BaseException as error:
            for ticket in batch:
                ticket.error = StorageFailure(f"append failed: {error}")
            raise
        finally:
            for ticket in batch:
                ticket.done = True
