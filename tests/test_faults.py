"""A disk that fails the Nth write or flush, once or for good: the error reaches the caller,
no acknowledged event is lost, and the log opens afterwards."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from handful.errors import StorageFailure
from handful.store.files import Files
from tests.conftest import Home
from tests.storekit import Opener, engagement


class FailingFiles(Files):
    """Fails the Nth write or flush of the log's segments (metadata goes through `replace`)."""

    def __init__(self, op: str, nth: int, *, forever: bool) -> None:
        self.op, self.nth, self.forever, self.calls = op, nth, forever, 0
        self.segment_fds: set[int] = set()

    def open_append(self, path: Path) -> int:
        fd = super().open_append(path)
        self.segment_fds.add(fd)
        return fd

    def _maybe_fail(self, op: str, fd: int) -> None:
        if op != self.op or fd not in self.segment_fds:
            return
        self.calls += 1
        if self.calls == self.nth or (self.forever and self.calls > self.nth):
            raise OSError(errno.EIO, os.strerror(errno.EIO))

    def write(self, fd: int, data: bytes) -> None:
        self._maybe_fail("write", fd)
        if self.op == "short-write" and fd in self.segment_fds:
            # half the bytes reach the file before the error: the tail must be undone
            self.calls += 1
            if self.calls >= self.nth and (self.forever or self.calls == self.nth):
                os.write(fd, data[: len(data) // 2])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        super().write(fd, data)

    def sync(self, fd: int) -> None:
        self._maybe_fail("sync", fd)
        super().sync(fd)


@pytest.mark.parametrize("forever", [False, True], ids=["once", "for-good"])
@pytest.mark.parametrize("op", ["write", "short-write", "sync"])
@pytest.mark.parametrize("nth", [1, 2, 3, 5, 8])
def test_failing_disk(store: Home, in_process: Home, op: str, nth: int, forever: bool) -> None:
    opener = Opener(store.root)
    with opener.ledger(write=True) as ledger:
        engagement(ledger, "before the faults")
    acked, failed = ["before"], []
    with opener.ledger(write=True, files=FailingFiles(op, nth, forever=forever)) as ledger:
        for n in range(12):
            event = ledger.new("engagement", group={"platform": "linkedin", "id": "42"},
                               kind="post", note=f"n{n}")
            try:
                ledger.append(event)
            except StorageFailure as error:
                assert str(error)  # a sentence for the caller, not a bare errno
                failed.append(event)
            else:
                acked.append(event.id)
    assert failed, "the fault should have reached a caller"

    with opener.ledger(write=True) as ledger:  # the log opens afterwards
        stored = [e["id"] for e in ledger.events()]
        assert set(acked[1:]) <= set(stored)
        # the caller retries what failed: each is stored exactly once
        for event in failed:
            ledger.append(event)
        for event in failed:
            ledger.append(event)
        stored = [e["id"] for e in ledger.events()]
    assert len(stored) == len(set(stored)) == 1 + 12
    assert store.run("verify").code == 0


class FailingReplace(Files):
    """Every metadata replace fails: the remembered head can never be saved."""

    def replace(self, path: Path, data: bytes) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))


def test_a_head_that_cannot_be_saved_does_not_lose_the_event(store: Home, in_process: Home
                                                             ) -> None:
    opener = Opener(store.root)
    with opener.ledger(write=True, files=FailingReplace()) as ledger:
        ids = [engagement(ledger, f"n{n}") for n in range(3)]  # durable, so acknowledged
    with opener.ledger(write=True) as ledger:
        assert [e["id"] for e in ledger.events()] == ids
    assert store.run("verify").code == 0
