"""Group commit: concurrent appends share writes and flushes, and each returns only once its
own record is durable; every event is stored exactly once."""

from __future__ import annotations

import asyncio
import errno
import os
import threading

import pytest

from handful.domain import events as ev
from handful.errors import StorageFailure
from handful.store.appender import AsyncAppender
from handful.store.files import Files
from tests.conftest import Home
from tests.storekit import Opener


class CountingFiles(Files):
    def __init__(self) -> None:
        self.syncs = 0
        self.fail = False

    def sync(self, fd: int) -> None:
        self.syncs += 1
        if self.fail:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        super().sync(fd)


def note(ledger_device: str, n: int) -> ev.Event:
    return ev.make("engagement", device=ledger_device, ts="2026-02-02T00:00:00Z",
                   group={"platform": "facebook", "id": "9"}, kind="comment", note=str(n))


def test_threads_share_flushes_and_lose_nothing(store: Home, in_process: Home) -> None:
    opener = Opener(store.root)
    files = CountingFiles()
    with opener.ledger(write=True, files=files) as ledger:
        events = [note(ledger.device, n) for n in range(800)]
        barrier = threading.Barrier(16)

        def work(chunk: list[ev.Event]) -> None:
            barrier.wait()
            for event in chunk:
                assert ledger.append(event) is True
                assert ledger.log.known(event.id)  # durable and indexed when we return

        threads = [threading.Thread(target=work, args=(events[i::16],)) for i in range(16)]
        before = files.syncs
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        flushes = files.syncs - before
        assert ledger.append(events[0]) is False  # a retry is stored once
    assert flushes < len(events)  # shared: fewer flushes than events
    with opener.ledger() as ledger:
        stored = [e["id"] for e in ledger.events()]
    assert sorted(stored) == sorted(e.id for e in events)


def test_async_callers_share_flushes(store: Home, in_process: Home) -> None:
    opener = Opener(store.root)
    files = CountingFiles()
    with opener.ledger(write=True, files=files) as ledger:
        events = [note(ledger.device, n) for n in range(500)]
        appender = AsyncAppender(ledger.log)

        async def run() -> list[bool]:
            results = await asyncio.gather(*(appender.append(e.id, ev.encode(e))
                                             for e in events + events[:50]))
            await appender.close()
            return results

        before = files.syncs
        results = asyncio.run(run())
        assert results[:500] == [True] * 500 and results[500:] == [False] * 50
        assert files.syncs - before < 20
    with opener.ledger() as ledger:
        assert sorted(e["id"] for e in ledger.events()) == sorted(e.id for e in events)


def test_async_callers_all_hear_a_failed_flush(store: Home, in_process: Home) -> None:
    opener = Opener(store.root)
    files = CountingFiles()
    with opener.ledger(write=True, files=files) as ledger:
        appender = AsyncAppender(ledger.log)
        events = [note(ledger.device, n) for n in range(20)]
        files.fail = True

        async def run() -> list[object]:
            results = await asyncio.gather(*(appender.append(e.id, ev.encode(e))
                                             for e in events), return_exceptions=True)
            await appender.close()
            return results

        results = asyncio.run(run())
        assert all(isinstance(r, StorageFailure) for r in results)
        with pytest.raises(StorageFailure):
            ledger.append(events[0])  # a failed flush stops the writer until reopened
