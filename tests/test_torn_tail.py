"""Torn tail: the last record cut at every byte offset is cut on open; nothing else is."""

from __future__ import annotations

import shutil

import pytest

from handful.errors import IntegrityError
from handful.store.format import HEADER_SIZE
from tests.conftest import Home
from tests.storekit import Opener, engagement


def test_last_record_cut_at_every_offset(store: Home, in_process: Home) -> None:
    opener = Opener(store.root)
    with opener.ledger(write=True) as ledger:
        kept = [engagement(ledger, f"kept {n}") for n in range(4)]
    [segment] = opener.segments()
    before_last = segment.stat().st_size
    head_before = (store.state / "head.json").read_bytes()
    with opener.ledger(write=True) as ledger:
        engagement(ledger, "the one that tears")
    full = segment.read_bytes()
    last_len = len(full) - before_last
    assert last_len > 100
    pristine = store.root.parent / "pristine"
    shutil.copytree(store.root, pristine)

    for cut in range(1, last_len):
        shutil.rmtree(store.root)
        shutil.copytree(pristine, store.root)
        segment.write_bytes(full[:before_last + cut])
        # A torn record is one whose append never returned: the head still names the one before.
        (store.state / "head.json").write_bytes(head_before)

        with opener.ledger() as reader:  # a reader leaves the torn tail alone
            assert [e["id"] for e in reader.events()] == kept
        assert segment.stat().st_size == before_last + cut

        with opener.ledger(write=True) as ledger:
            assert ledger.log.repairs and f"{cut} bytes" in ledger.log.repairs[0]
            assert ledger.state.events == 4
            assert segment.stat().st_size == before_last
            after = engagement(ledger, "after the cut")
        with opener.ledger() as reader:
            assert [e["id"] for e in reader.events()] == [*kept, after]
            assert reader.log.repairs == []


def test_a_cut_acknowledged_record_is_not_silently_dropped(store: Home, in_process: Home
                                                           ) -> None:
    opener = Opener(store.root)
    opener.fill(3)
    [segment] = opener.segments()
    data = segment.read_bytes()
    segment.write_bytes(data[:-10])  # the head says record 3 was made durable
    with pytest.raises(IntegrityError, match="record 3 was acknowledged"):
        opener.log(write=True)
    assert segment.read_bytes() == data[:-10]  # nothing written on top


def test_trailing_zeros_after_a_crash_are_an_unfinished_tail(store: Home, in_process: Home
                                                             ) -> None:
    opener = Opener(store.root)
    with opener.ledger(write=True) as ledger:
        engagement(ledger, "one")
    [segment] = opener.segments()
    size = segment.stat().st_size
    with segment.open("ab") as f:
        f.write(bytes(4096))  # a file system that grew the file but never wrote the data
    with opener.ledger(write=True) as ledger:
        assert ledger.state.events == 1 and ledger.log.repairs
    assert segment.stat().st_size == size
    assert size > HEADER_SIZE
