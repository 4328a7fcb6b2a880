"""EventLog: every device's segments read and verified, this device's appended to.

Reading verifies everything: each record's AES-GCM tag over its associated data (store,
device, segment, sequence, previous record's tag), the chain between segments, and this device's
remembered head. Writing is group-committed: concurrent appends share one write and one
flush, and each caller returns only once its records are durable.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import struct
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from handful.errors import IntegrityError, StorageFailure
from handful.filelock import WriterLock
from handful.paths import Paths, private_dir
from handful.store.checkpoint import Checkpoint
from handful.store.files import Files, remove_stale_temps
from handful.store.format import (
    AD_PREFIX,
    HEADER_SIZE,
    LENGTH,
    MAX_BODY,
    MIN_BODY,
    TAG_SIZE,
    ZERO_TAG,
    SegmentHeader,
    associated_data,
    record_tag,
    seal,
    unpack_header,
)
from handful.store.keys import derive
from handful.store.layout import (
    DEVICE_NAME,
    SEGMENT_NAME,
    DeviceIdentity,
    Head,
    StoreMeta,
    segment_name,
)

S = TypeVar("S")
_SEQ_TAG = struct.Struct(">Q16s")
DEFAULT_SEGMENT_BYTES = 8 << 20
HEAD_EVERY = 0.05  # seconds: under load the head is saved with at most 20 commits a second
CHECKPOINT_AFTER = 2000  # events folded since the last checkpoint before a new one is kept


class Reducer(Protocol[S]):
    """How the layer above turns plaintext records into its state (picklable)."""

    def new(self) -> S: ...

    def add(self, state: S, plaintext: bytes) -> str | None:
        """Fold one record in; return its event id (None if this version cannot read it)."""
        ...

    def add_many(self, state: S, plaintexts: list[bytes]) -> tuple[list[str], int]:
        """Fold many records in; the ids of those read, and how many this version cannot."""
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
class SegmentScan:
    path: Path
    number: int
    first_seq: int = 0
    prev_tag: bytes = ZERO_TAG
    last_seq: int = 0
    last_tag: bytes = ZERO_TAG
    end: int = HEADER_SIZE
    size: int = 0
    records: int = 0
    unreadable: int = 0
    folded: int = 0   # records folded in full (not covered by the checkpoint)
    watched: dict[int, bytes] = field(default_factory=dict)  # sequence -> tag, as asked

    @property
    def torn(self) -> int:
        return self.size - self.end


def _torn_or_bad(data: bytes, off: int, last: bool) -> bool:
    """True when the bytes from `off` are an unfinished final record, not a damaged one."""
    if not last:
        return False
    n = len(data)
    if n - off < LENGTH.size:
        return True
    (length,) = LENGTH.unpack_from(data, off)
    if off + LENGTH.size + length > n:
        return True  # declared longer than the file: the write never finished
    return not any(data[off:])  # zeros past the end: space the crash left unwritten


def open_segment(path: Path, key: bytes, store: bytes, device: bytes, number: int, *,
                 last: bool, watch: frozenset[int] = frozenset(),
                 scan: SegmentScan | None = None) -> list[bytes]:
    """Every record's plaintext, in order, each verified; raises naming the first bad one."""
    scan = scan or SegmentScan(path, number)
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IntegrityError(f"{where}: cannot be read ({error.strerror})", path=where) from None
    header = unpack_header(data, where)
    if header.store != store:
        raise IntegrityError(f"{where}: segment belongs to another store", path=where, offset=0)
    if header.device != device:
        raise IntegrityError(f"{where}: segment belongs to another device ({header.device.hex()})",
                             path=where, offset=0)
    if header.segment != number:
        raise IntegrityError(f"{where}: segment says it is number {header.segment}",
                             path=where, offset=0)
    scan.first_seq, scan.prev_tag, scan.size = header.first_seq, header.prev_tag, len(data)
    decrypt = AESGCM(key).decrypt
    prefix = AD_PREFIX + store + device + number.to_bytes(4, "big")
    ad_tail = _SEQ_TAG.pack
    seq, prev = header.first_seq - 1, header.prev_tag
    off, n = HEADER_SIZE, len(data)
    unpack = LENGTH.unpack_from
    plaintexts: list[bytes] = []
    push = plaintexts.append
    # The hot loop of every open (bytes slices beat memoryviews for the AEAD call here).
    while off < n:
        body = off + 4
        try:
            end = body + unpack(data, off)[0]
        except struct.error:  # fewer than 4 bytes left
            end = -1
        if not body + MIN_BODY <= end <= n or end - body > MAX_BODY:
            if _torn_or_bad(data, off, last):
                break
            raise IntegrityError(
                f"{where}: record {seq + 1} at byte {off} has an impossible length "
                f"({end - body}); the segment is damaged", path=where, seq=seq + 1, offset=off)
        seq += 1
        try:
            push(decrypt(data[body:body + 12], data[body + 12:end], prefix + ad_tail(seq, prev)))
        except InvalidTag:
            raise IntegrityError(
                f"{where}: record {seq} at byte {off} fails authentication: it was altered, "
                "moved, reordered, or a record before it was removed",
                path=where, seq=seq, offset=off) from None
        prev = data[end - TAG_SIZE:end]
        if seq in watch:
            scan.watched[seq] = prev
        off = end
    scan.last_seq, scan.last_tag, scan.end = seq, prev, off
    scan.records = len(plaintexts)
    return plaintexts


def read_segment(path: Path, key: bytes, store: bytes, device: bytes, number: int, *,
                 last: bool) -> Iterator[tuple[int, bytes]]:
    """(sequence, plaintext) of each record of one segment, verified."""
    scan = SegmentScan(path, number)
    plaintexts = open_segment(path, key, store, device, number, last=last, scan=scan)
    for index, plaintext in enumerate(plaintexts):
        yield scan.first_seq + index, plaintext


# path, key, store, device, segment, last?, sequences to watch, folded up to, reducer
_Job = tuple[Path, bytes, bytes, bytes, int, bool, frozenset[int], int, "Reducer[Any]"]


def _fold_segments(jobs: list[_Job]) -> tuple[list[tuple[SegmentScan, str]], Any]:
    """A run of segments verified and folded into one state: a worker's share of an open."""
    paused = gc.isenabled()
    gc.disable()  # millions of short-lived tuples, no cycles: collections only cost time (15%)
    try:
        return _fold_run(jobs)
    finally:
        if paused:
            gc.enable()


def _fold_run(jobs: list[_Job]) -> tuple[list[tuple[SegmentScan, str]], Any]:
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


def _share(jobs: list[_Job], sizes: list[int], parts: int) -> list[list[_Job]]:
    """Split jobs into `parts` runs of about equal bytes, keeping their order."""
    total, acc = sum(sizes) or 1, 0
    runs: list[list[_Job]] = []
    run: list[_Job] = []
    for job, size in zip(jobs, sizes, strict=True):
        run.append(job)
        acc += size
        if acc * parts >= total * (len(runs) + 1) and len(runs) < parts - 1:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    return runs


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


def list_devices(log_dir: Path) -> list[DeviceLog]:
    devices: list[DeviceLog] = []
    if not log_dir.is_dir():
        return devices
    for folder in sorted(log_dir.iterdir()):
        if not folder.is_dir() or not DEVICE_NAME.match(folder.name):
            continue
        numbers, unexpected = [], []
        for entry in sorted(folder.iterdir()):
            match = SEGMENT_NAME.match(entry.name)
            if match:
                numbers.append(int(match.group(1)))
            elif not entry.name.endswith(".tmp"):
                unexpected.append(entry.name)
        devices.append(DeviceLog(folder.name, folder, sorted(numbers), unexpected))
    return devices


def _watched(dev: DeviceLog, seq: int) -> bytes | None:
    return next((s.watched[seq] for s in dev.scans if seq in s.watched), None)


def _check_numbers(dev: DeviceLog) -> None:
    for expected, number in enumerate(dev.segments, start=1):
        if number != expected:
            missing = dev.folder / segment_name(expected)
            raise IntegrityError(f"{missing}: segment {expected} of device {dev.name} is missing",
                                 path=str(missing))


def _check_link(dev: DeviceLog, before: SegmentScan, after: SegmentScan) -> None:
    if before.torn:
        raise IntegrityError(f"{before.path}: ends in a cut-short record but is not the last "
                             "segment", path=str(before.path), offset=before.end)
    if after.first_seq != before.last_seq + 1 or after.prev_tag != before.last_tag:
        raise IntegrityError(
            f"{after.path}: does not follow segment {before.number} (records were removed, "
            "or an older copy of a segment was restored)", path=str(after.path), offset=0)


def _parallel_ok(jobs: int, total_bytes: int) -> bool:
    # fork is only safe before threads exist; small logs are faster in one process
    return (sys.platform.startswith("linux") and jobs > 1 and total_bytes > (4 << 20)
            and threading.active_count() == 1 and (os.cpu_count() or 1) > 1)


class EventLog(Generic[S]):
    """The store's log: open (verify + fold), read back, append durably."""

    def __init__(self, paths: Paths, reducer: Reducer[S], meta: StoreMeta, data_key: bytes,
                 ident: DeviceIdentity | None, files: Files, max_segment: int) -> None:
        self.paths = paths
        self.reducer = reducer
        self.meta = meta
        self.ident = ident
        self.files = files
        self.max_segment = max_segment
        self._key = derive(data_key, "record")
        self._head_key = derive(data_key, "head mac")
        self._checkpoint_key = derive(data_key, "checkpoint")
        self._aead = AESGCM(self._key)
        self.state: S = reducer.new()
        self.devices: list[DeviceLog] = []
        self.repairs: list[str] = []   # what open mended (a cut torn tail), for the user
        self.warnings: list[str] = []
        self.unreadable = 0
        self.folded = 0  # events folded in full since the checkpoint: worth a new one?
        self.checkpoint_after = CHECKPOINT_AFTER
        self._id_blobs: list[str] = []
        self._ids: set[str] | None = None
        self._lock: WriterLock | None = None
        self._fd: int | None = None
        self._segment = 0
        self._size = 0
        self._seq = 0
        self._tag = ZERO_TAG
        self._broken: str | None = None
        self._head_saved = -HEAD_EVERY  # monotonic time of the last head save
        self._head_saved_seq = -1
        self._queue_lock = threading.Lock()
        # held while commits fold new events in: readers on other threads take it too
        self.state_lock = threading.Lock()
        self._queue: list[_Ticket] = []
        self._committing = False

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def open(cls, paths: Paths, reducer: Reducer[S], data_key: bytes, *,
             ident: DeviceIdentity | None, write: bool = False, files: Files | None = None,
             max_segment: int = DEFAULT_SEGMENT_BYTES, lock_timeout: float = 5.0,
             parallel: bool | None = None, checkpoint: bool = True,
             checkpoint_after: int = CHECKPOINT_AFTER) -> EventLog[S]:
        meta = StoreMeta.load(paths)
        log = cls(paths, reducer, meta, data_key, ident, files or Files(), max_segment)
        log.checkpoint_after = checkpoint_after
        if write:
            if ident is None:
                raise IntegrityError("this machine has no device id; run `handful init`")
            private_dir(paths.state)
            log._lock = WriterLock(paths.state / "writer.lock")
            log._lock.acquire(lock_timeout)
        try:
            log._load(write=write, parallel=parallel, use_checkpoint=checkpoint)
            if write:
                log._open_for_append()
                log._maybe_checkpoint()
        except BaseException:
            log.close()
            raise
        return log

    def _load(self, *, write: bool, parallel: bool | None, use_checkpoint: bool = True) -> None:
        log_dir = self.paths.data / "log"
        self.devices = list_devices(log_dir)
        mine = self.ident.name if self.ident else None
        head = Head.load(self.paths, self._head_key, self.ident) if self.ident else None
        checkpoint = self._checkpoint() if use_checkpoint else None
        positions = checkpoint[0] if checkpoint else {}
        jobs: list[_Job] = []
        sizes: list[int] = []
        for dev in self.devices:
            _check_numbers(dev)
            folded_to = positions.get(dev.name, (0, b""))[0]
            watch = frozenset(seq for seq in (folded_to, head.seq if head and dev.name == mine
                                              else 0) if seq)
            for number in dev.segments:
                path = dev.folder / segment_name(number)
                jobs.append((path, self._key, self.meta.store, dev.device, number,
                             number == dev.segments[-1], watch, folded_to, self.reducer))
                try:
                    sizes.append(path.stat().st_size)
                except OSError:
                    sizes.append(0)
            for name in dev.unexpected:
                self.warnings.append(f"{dev.folder / name}: not a segment; left alone")
        if parallel is None:
            parallel = _parallel_ok(len(jobs), sum(sizes))
        self.state = checkpoint[1] if checkpoint else self.reducer.new()
        results: list[tuple[list[tuple[SegmentScan, str]], Any]] = []
        if parallel:
            workers = min(len(jobs), os.cpu_count() or 2)
            # a few runs per worker: balance if one core is slower, few states to merge
            runs = _share(jobs, sizes, min(len(jobs), workers * 3))
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for result in pool.imap(_fold_segments, runs, chunksize=1):
                    self.state = self.reducer.merge(self.state, result[1])
                    results.append(result)
        elif jobs:
            results = [_fold_segments(jobs)]
            self.state = self.reducer.merge(self.state, results[0][1])
        scans = iter([item for run_scans, _ in results for item in run_scans])
        for dev in self.devices:
            for _number in dev.segments:
                scan, ids = next(scans)
                if ids:
                    self._id_blobs.append(ids)
                self.unreadable += scan.unreadable
                self.folded += scan.folded
                if dev.scans:
                    _check_link(dev, dev.scans[-1], scan)
                elif scan.first_seq != 1 or scan.prev_tag != ZERO_TAG:
                    raise IntegrityError(f"{scan.path}: the device's first segment does not "
                                         "start its log", path=str(scan.path), offset=0)
                dev.scans.append(scan)
            if dev.name == mine:
                self._check_head(dev, head)
        if mine and head and not any(d.name == mine for d in self.devices):
            raise IntegrityError(f"{log_dir / mine}: this machine's log is missing, but "
                                 f"{head.seq} records were written to it", path=str(log_dir))
        if checkpoint and not self._matches(positions):
            # The logs no longer hold what the checkpoint folded: fold everything again.
            self.warnings.append("the checkpoint did not match the log and was rebuilt")
            self._id_blobs, self.unreadable, self.folded = [], 0, 0
            return self._load(write=write, parallel=parallel, use_checkpoint=False)
        if len(self.devices) > 1:
            self._count_each_id_once()
        if self.unreadable:
            self.warnings.append(f"{self.unreadable} events were written by a newer Handful "
                                 "and are kept but not counted")
        return None

    def _count_each_id_once(self) -> None:
        """An event id counts once however many devices hold it (an import or an alias made
        on two machines, a queue retried after a device joined): with more than one device,
        the ids are compared, and if any repeats the state is folded again, each id once. A
        single device never repeats one (its appends refuse a known id)."""
        if not self._id_blobs:
            return
        total = sum(blob.count("\n") + 1 for blob in self._id_blobs)
        if total == len(self._index()):  # (the index is kept: appends use it next)
            return
        seen: set[str] = set()
        state = self.reducer.new()
        for dev in self.devices:
            for _seq, plaintext in self.records(dev):
                found = self.reducer.ids_of([plaintext])
                if found and found[0] in seen:
                    continue
                seen.update(found)
                self.reducer.add(state, plaintext)
        self.state = state

    def _checkpoint(self) -> tuple[dict[str, tuple[int, bytes]], S] | None:
        if self.ident is None:
            return None
        found = Checkpoint.load(self.paths.state, self._checkpoint_key, self.meta.store,
                                self.ident.device)
        if found is None:
            return None
        try:
            return found.positions, self.reducer.load(found.state)
        except ValueError:
            return None

    def _matches(self, positions: dict[str, tuple[int, bytes]]) -> bool:
        for dev in self.devices:
            seq, tag = positions.get(dev.name, (0, b""))
            if seq and _watched(dev, seq) != tag:
                return False
        return all(any(d.name == name for d in self.devices) for name in positions)

    def _check_head(self, dev: DeviceLog, head: Head | None) -> None:
        last = dev.last
        if head is None or last is None or head.seq == 0:
            return
        if last.last_seq < head.seq:
            raise IntegrityError(
                f"{last.path}: this machine's log ends at record {last.last_seq} but record "
                f"{head.seq} was acknowledged: an older copy was restored or records were lost",
                path=str(last.path), seq=head.seq)
        if _watched(dev, head.seq) != head.tag:
            raise IntegrityError(
                f"{last.path}: record {head.seq} is not the one this machine wrote (the log was "
                "replaced)", path=str(last.path), seq=head.seq)

    def save_checkpoint(self) -> None:
        """Remember the folded state and the positions it covers (writer only)."""
        if self.ident is None or self._lock is None:
            return
        positions = {dev.name: (dev.last.last_seq, dev.last.last_tag)
                     for dev in self.devices if dev.last is not None}
        positions[self.ident.name] = (self._seq, self._tag)
        Checkpoint(positions, self.reducer.dump(self.state)).save(
            self.paths.state, self.files, self._checkpoint_key, self.meta.store,
            self.ident.device)
        self.folded = 0

    def _open_for_append(self) -> None:
        assert self.ident is not None
        remove_stale_temps(self.paths.state)
        folder = private_dir(self.paths.data / "log" / self.ident.name)
        remove_stale_temps(folder)
        dev = next((d for d in self.devices if d.name == self.ident.name), None)
        last = dev.last if dev else None
        if last is None:
            self._segment, self._seq, self._tag = 0, 0, ZERO_TAG
            self._rotate()
            return
        if last.torn:
            fd = os.open(last.path, os.O_WRONLY)
            try:
                self.files.truncate(fd, last.end)
                self.files.sync(fd)
            finally:
                os.close(fd)
            self.repairs.append(f"{last.path}: cut an unfinished final record "
                                f"({last.torn} bytes at byte {last.end})")
            last.size = last.end
        self._segment, self._seq, self._tag = last.number, last.last_seq, last.last_tag
        self._size = last.end
        self._fd = self.files.open_append(last.path)

    def _rotate(self) -> None:
        assert self.ident is not None
        number = self._segment + 1
        path = self.paths.data / "log" / self.ident.name / segment_name(number)
        header = SegmentHeader(self.meta.store, self.ident.device, number, self._seq + 1,
                               self._tag).pack()
        try:
            self.files.create(path, header)
            fd = self.files.open_append(path)
        except OSError as error:
            raise StorageFailure(f"could not start segment {path}: {error}") from None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                self.files.close(self._fd)
        self._fd, self._segment, self._size = fd, number, len(header)

    def _save_head(self) -> None:
        """Remember the last durable record outside the log. A head behind the log is fine
        (a crash between the two); one that failed to save only narrows rollback detection."""
        if self.ident is None or self._seq in (0, self._head_saved_seq):
            return
        with contextlib.suppress(OSError):
            Head(self._segment, self._seq, self._tag).save(self.paths, self.files,
                                                           self._head_key, self.ident)
            self._head_saved_seq = self._seq
        self._head_saved = time.monotonic()

    def _maybe_checkpoint(self) -> None:
        if self._lock is not None and not self._broken and self.folded >= self.checkpoint_after:
            with contextlib.suppress(OSError):  # a cache: failing to save it loses nothing
                self.save_checkpoint()

    def close(self) -> None:
        if self._fd is not None:
            if not self._broken:
                self._save_head()
            self._maybe_checkpoint()
            with contextlib.suppress(OSError):
                self.files.close(self._fd)
            self._fd = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> EventLog[S]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading back ---------------------------------------------------------------------

    def records(self, dev: DeviceLog) -> Iterator[tuple[int, bytes]]:
        """(sequence, plaintext) of one device's records as they are on disk now, verified."""
        numbers = sorted(int(m.group(1)) for entry in dev.folder.iterdir()
                         if (m := SEGMENT_NAME.match(entry.name)))
        for number in numbers:
            yield from read_segment(dev.folder / segment_name(number), self._key,
                                    self.meta.store, dev.device, number,
                                    last=number == numbers[-1])

    # -- appending ------------------------------------------------------------------------

    def known(self, event_id: str) -> bool:
        return event_id in self._index()

    def _index(self) -> set[str]:
        if self._ids is None:
            ids: set[str] = set()
            for blob in self._id_blobs:
                ids.update(blob.split("\n"))
            self._ids, self._id_blobs = ids, []
        return self._ids

    def append(self, event_id: str, plaintext: bytes) -> bool:
        """Append one record durably; False when an event with this id is already stored."""
        return self.append_many([(event_id, plaintext)])[0]

    def append_many(self, items: Iterable[tuple[str, bytes]]) -> list[bool]:
        """Append records durably, sharing the write and the flush with concurrent callers.

        Group commit, leader style: the first caller to find no commit under way writes and
        flushes everything queued; the others sleep until their ticket is done, or until
        the leader hands them the next batch. Each wake-up is for one thread, not all."""
        ticket = _Ticket(list(items))
        with self._queue_lock:
            self._queue.append(ticket)
            lead = not self._committing
            self._committing = True
        if not lead:
            ticket.wake.acquire()  # released by the leader: done, or ours to lead
        if not ticket.done:  # ours to lead: commit the queue, then pass the role on
            with self._queue_lock:
                batch, self._queue = self._queue, []
            try:
                self._commit(batch)
            finally:
                with self._queue_lock:
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

    def _commit(self, batch: list[_Ticket]) -> None:
        try:
            self._write_batch(batch)
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

    def _write_batch(self, batch: list[_Ticket]) -> None:
        if self._fd is None:
            raise StorageFailure("the log is open read-only")
        if self._broken:
            raise StorageFailure(self._broken)
        known = self._index()
        fresh: dict[str, bytes] = {}
        for ticket in batch:
            ticket.result = []
            for event_id, plaintext in ticket.items:
                new = event_id not in known and event_id not in fresh
                if new:
                    fresh[event_id] = plaintext
                ticket.result.append(new)
        if not fresh:
            return
        if self._size >= self.max_segment:
            self._rotate()
        ident = self.ident
        assert ident is not None
        seq, prev = self._seq, self._tag
        chunks = []
        for plaintext in fresh.values():
            seq += 1
            record = seal(self._aead, plaintext, associated_data(
                self.meta.store, ident.device, self._segment, seq, prev))
            prev = record_tag(record)
            chunks.append(record)
        blob = b"".join(chunks)
        try:
            self.files.write(self._fd, blob)
        except OSError as error:
            try:
                self.files.truncate(self._fd, self._size)
            except OSError:
                self._broken = ("the log could not be restored after a failed write; close "
                                "and open it again")
            raise StorageFailure(f"could not write the log: {error.strerror or error}") from None
        try:
            self.files.sync(self._fd)
        except OSError as error:
            # After a failed flush the page cache cannot be trusted (fsyncgate): stop here.
            self._broken = "a flush failed earlier; close and open the log again"
            raise StorageFailure(f"could not flush the log to disk: {error.strerror or error}"
                                 ) from None
        self._size += len(blob)
        self._seq, self._tag = seq, prev
        if time.monotonic() - self._head_saved >= HEAD_EVERY:
            self._save_head()
        add = self.reducer.add
        self.folded += len(fresh)
        with self.state_lock:
            for event_id, plaintext in fresh.items():
                known.add(event_id)
                add(self.state, plaintext)


def _held_lock() -> Any:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass
class _Ticket:
    items: list[tuple[str, bytes]]
    result: list[bool] = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False
    wake: Any = field(default_factory=_held_lock)  # a lock as a one-shot wake-up: cheapest


__all__ = ["EventLog", "Reducer", "SegmentScan", "list_devices", "read_segment"]
