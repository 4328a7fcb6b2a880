"""Folding in what another device wrote: the incremental catch-up (`EventLog.refresh`)
against opening the log again, with the same events on disk.

A store of SIZE events written by this device, open for writing (as the agent holds it);
another device writes NEW events into the same data folder (as a sync tool brings them);
then `refresh()` reads and folds only those, where a reopen would verify and fold
everything. Prints one JSON line per NEW.
Usage: python bench/catch_up.py [--size N] [--runs K] [NEW ...]   (default 200000, 3; 10 1000)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from common import cpu_reference, emit, event_mix, make_store, summary
from handful.domain import events as ev
from handful.domain.reducer import EventReducer
from handful.ledger import Ledger, unlock
from handful.paths import Paths
from handful.store.files import Files
from handful.store.layout import DeviceIdentity, StoreMeta
from handful.store.log import EventLog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("new", type=int, nargs="*", default=[10, 1000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = make_store(root)
        with Ledger.open(paths, write=True) as ledger:
            for first in range(0, args.size, 20_000):
                events = event_mix(first, min(20_000, args.size - first), args.size,
                                   ledger.device)
                ledger.log.append_many([(e.id, ev.encode(e)) for e in events])
        other = Paths(paths.data, root / "desk-state", root / "desk-config", root / "desk-run")
        other.state.mkdir()
        with Ledger.open(paths, write=True, parallel=False) as ledger:
            desk = DeviceIdentity.new(ledger.log.meta.store)
            desk.save(other, Files())
            data_key = _data_key(paths)
            written = 0
            for new in args.new:
                refresh, reopen = [], []
                for _ in range(args.runs):
                    events = event_mix(args.size + written, new, args.size * 2, desk.name)
                    written += new
                    with EventLog.open(other, EventReducer(), data_key, ident=desk,
                                       write=True, parallel=False) as log:
                        log.append_many([(e.id, ev.encode(e)) for e in events])
                    before = ledger.state.events
                    start = time.perf_counter()
                    assert ledger.log.refresh() == new
                    refresh.append(time.perf_counter() - start)
                    assert ledger.state.events == before + new
                    start = time.perf_counter()
                    with Ledger.open(paths, parallel=False) as fresh:
                        reopen.append(time.perf_counter() - start)
                        assert fresh.state.events == ledger.state.events
                emit(bench="catch_up", events=args.size, new_events=new,
                     refresh_ms=summary([s * 1000 for s in refresh]),
                     reopen_ms=summary([s * 1000 for s in reopen]),
                     cpu_reference_s=cpu_reference(), cores=os.cpu_count())


def _data_key(paths: Paths) -> bytes:
    return unlock(paths, StoreMeta.load(paths), DeviceIdentity.load(paths))


if __name__ == "__main__":
    main()
