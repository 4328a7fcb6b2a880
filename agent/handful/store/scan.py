"""Scanning and verifying the devices' logs, without the writer lock.

Each device's folder under `log/` is its segments, numbered from 1 with none missing, each
starting where the one before ended (sequence and tag). Reading never writes and never
needs the lock: any process may verify any device's log, this machine's or another's,
while the agent appends to its own. An open folds every segment (in parallel processes for
a large log); `catch_up` reads only what a device wrote since it was last read.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from handful.errors import IntegrityError
from handful.store.format import HEADER_SIZE, ZERO_TAG
from handful.store.layout import DEVICE_NAME, SEGMENT_NAME, segment_name
from handful.store.segment import SegmentScan, open_segment, resume_segment

S = TypeVar("S")


class Reducer(Protocol[S]):
    """How the layer above turns plaintext records into its state (picklable)."""

    def new(self) -> S: ...

    def add(self, state: S, plaintext: bytes) -> str | None:
        """Fold one record in; return its event id (None if this version cannot read it)."""
        ...

    def add_many(self, state: S, plaintexts: list[bytes]) -> tuple[list[str], int]:
        """Fold many records in; the ids of those read, and how many this version cannot."""
        ...

    def add_new(self, state: S, plaintexts: list[bytes], known: set[str]) -> tuple[int, int]:
        """Fold in those whose id is not in `known` (which gains them): how many were
        folded, and how many this version cannot read."""
        ...

    def ids_of(self, plaintexts: list[bytes]) -> list[str]:
        """The event ids of records already folded into a checkpoint."""
        ...

    def merge(self, into: S, other: S) -> S: ...

    def dump(self, state: S) -> bytes: ...

    def load(self, data: bytes) -> S:
        """A dumped state; ValueError if it cannot be read."""
        ...


@dataclass
class DeviceLog:
    name: str
    folder: Path
    segments: list[int]
    unexpected: list[str] = field(default_factory=list)
    scans: list[SegmentScan] = field(default_factory=list)

    @property
    def device(self) -> bytes:
        return bytes.fromhex(self.name)

    @property
    def last(self) -> SegmentScan | None:
        return self.scans[-1] if self.scans else None

    def holds_records(self) -> bool:
        """Whether any of its segments has more than a header (from their sizes alone)."""
        for number in self.segments:
            try:
                if (self.folder / segment_name(number)).stat().st_size > HEADER_SIZE:
                    return True
            except OSError:
                continue
        return False

    def watched(self, seq: int) -> bytes | None:
        return next((s.watched[seq] for s in self.scans if seq in s.watched), None)


def segment_numbers(folder: Path) -> tuple[list[int], list[str]]:
    """The segment numbers in a device's folder, and any other file's name (temp files of a
    write under way left out)."""
    numbers, unexpected = [], []
    for entry in sorted(folder.iterdir()):
        match = SEGMENT_NAME.match(entry.name)
        if match:
            numbers.append(int(match.group(1)))
        elif not entry.name.endswith(".tmp"):
            unexpected.append(entry.name)
    return sorted(numbers), unexpected


def list_devices(log_dir: Path) -> list[DeviceLog]:
    devices: list[DeviceLog] = []
    if not log_dir.is_dir():
        return devices
    for folder in sorted(log_dir.iterdir()):
        if not folder.is_dir() or not DEVICE_NAME.match(folder.name):
            continue
        numbers, unexpected = segment_numbers(folder)
        devices.append(DeviceLog(folder.name, folder, numbers, unexpected))
    return devices


def check_numbers(dev: DeviceLog) -> None:
    for expected, number in enumerate(dev.segments, start=1):
        if number != expected:
            missing = dev.folder / segment_name(expected)
            raise IntegrityError(f"{missing}: segment {expected} of device {dev.name} is missing",
                                 path=str(missing))


def check_link(before: SegmentScan | None, after: SegmentScan) -> None:
    """`after` continues the device's chain where `before` ended (or starts it)."""
    if before is None:
        if after.first_seq != 1 or after.prev_tag != ZERO_TAG:
            raise IntegrityError(f"{after.path}: the device's first segment does not "
                                 "start its log", path=str(after.path), offset=0)
        return
    if before.torn:
        raise IntegrityError(f"{before.path}: ends in a cut-short record but is not the last "
                             "segment", path=str(before.path), offset=before.end)
    if after.first_seq != before.last_seq + 1 or after.prev_tag != before.last_tag:
        raise IntegrityError(
            f"{after.path}: does not follow segment {before.number} (records were removed, "
            "or an older copy of a segment was restored)", path=str(after.path), offset=0)


def verify_device(folder: Path, key: bytes, store: bytes) -> tuple[DeviceLog, list[bytes]]:
    """One device's log read whole and verified (each record, each link, no segment missing),
    without the writer lock and without writing anything: its plaintexts, in order."""
    numbers, unexpected = segment_numbers(folder)
    dev = DeviceLog(folder.name, folder, numbers, unexpected)
    check_numbers(dev)
    plaintexts: list[bytes] = []
    for number in numbers:
        scan = SegmentScan(folder / segment_name(number), number)
        plaintexts += open_segment(scan.path, key, store, dev.device, number,
                                   last=number == numbers[-1], scan=scan)
        check_link(dev.last, scan)
        dev.scans.append(scan)
    return dev, plaintexts


def catch_up(dev: DeviceLog, key: bytes, store: bytes) -> list[bytes]:
    """What a device wrote since `dev` was last read, verified as continuing its chain: the
    rest of its last segment read from where the reading stopped, then any new segments.
    `dev` moves on to cover them."""
    numbers, dev.unexpected = segment_numbers(dev.folder)
    known = len(dev.scans)
    if numbers[:known] != dev.segments[:known]:
        raise IntegrityError(f"{dev.folder}: a segment already read has gone",
                             path=str(dev.folder))
    dev.segments = numbers
    check_numbers(dev)
    plaintexts: list[bytes] = []
    if dev.last is not None:
        plaintexts += resume_segment(dev.last, key, store, dev.device,
                                     last=len(numbers) == known)
    for number in numbers[known:]:
        scan = SegmentScan(dev.folder / segment_name(number), number)
        plaintexts += open_segment(scan.path, key, store, dev.device, number,
                                   last=number == numbers[-1], scan=scan)
        check_link(dev.last, scan)
        dev.scans.append(scan)
    return plaintexts


# -- folding an open, in one process or several ------------------------------------------

# path, key, store, device, segment, last?, sequences to watch, folded up to, reducer
Job = tuple[Path, bytes, bytes, bytes, int, bool, frozenset[int], int, "Reducer[Any]"]


def fold_segments(jobs: list[Job]) -> tuple[list[tuple[SegmentScan, str]], Any]:
    """A run of segments verified and folded into one state: a worker's share of an open."""
    paused = gc.isenabled()
    gc.disable()  # millions of short-lived tuples, no cycles: collections only cost time (15%)
    try:
        return _fold_run(jobs)
    finally:
        if paused:
            gc.enable()


def _fold_run(jobs: list[Job]) -> tuple[list[tuple[SegmentScan, str]], Any]:
    reducer = jobs[0][-1]
    state = reducer.new()
    scans = []
    for path, key, store, device, number, last, watch, folded_to, _ in jobs:
        scan = SegmentScan(path, number)
        plaintexts = open_segment(path, key, store, device, number, last=last, watch=watch,
                                  scan=scan)
        done = max(0, min(len(plaintexts), folded_to - scan.first_seq + 1))
        ids = reducer.ids_of(plaintexts[:done]) if done else []
        if done < len(plaintexts):
            fresh, scan.unreadable = reducer.add_many(state, plaintexts[done:])
            ids += fresh
            scan.folded = len(plaintexts) - done
        scans.append((scan, "\n".join(ids)))
    return scans, state


def share(jobs: list[Job], sizes: list[int], parts: int) -> list[list[Job]]:
    """Split jobs into `parts` runs of about equal bytes, keeping their order."""
    total, acc = sum(sizes) or 1, 0
    runs: list[list[Job]] = []
    run: list[Job] = []
    for job, size in zip(jobs, sizes, strict=True):
        run.append(job)
        acc += size
        if acc * parts >= total * (len(runs) + 1) and len(runs) < parts - 1:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    return runs


def parallel_ok(jobs: int, total_bytes: int) -> bool:
    # fork is only safe before threads exist; small logs are faster in one process
    return (sys.platform.startswith("linux") and jobs > 1 and total_bytes > (4 << 20)
            and threading.active_count() == 1 and (os.cpu_count() or 1) > 1)
