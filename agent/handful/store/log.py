"""EventLog: every device's segments read and verified, this device's appended to.

Reading verifies everything: each record's AES-GCM tag over its associated data (store,
device, segment, sequence, previous record's tag), the chain between segments, and this device's
remembered head. Writing is group-committed: concurrent appends share one write and one
flush, and each caller returns only once its records are durable.

The jobs are in their own modules: `format.py` the bytes of a header and of a record (each
written and read there), `segment.py` a segment file read or this device's written,
`scan.py` the devices' logs listed, verified and folded (no lock needed), `commit.py` the
group commit; this class ties them to the head, the checkpoint and the writer lock.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from handful.errors import IntegrityError, KeyUnavailable, StorageFailure
from handful.filelock import WriterLock
from handful.paths import Paths, private_dir
from handful.store.checkpoint import Checkpoint
from handful.store.commit import GroupCommit, Ticket
from handful.store.files import Files, remove_stale_temps
from handful.store.keys import KeyFiles, derive, keyring_backend
from handful.store.layout import SEGMENT_NAME, DeviceIdentity, Head, StoreMeta, segment_name
from handful.store.scan import (
    DeviceLog,
    Job,
    Reducer,
    catch_up,
    check_link,
    check_numbers,
    fold_segments,
    list_devices,
    parallel_ok,
    share,
)
from handful.store.segment import SegmentScan, SegmentWriter, read_segment

S = TypeVar("S")
DEFAULT_SEGMENT_BYTES = 8 << 20
HEAD_EVERY = 0.05  # seconds: under load the head is saved with at most 20 commits a second
CHECKPOINT_AFTER = 2000  # events folded since the last checkpoint before a new one is kept


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
        self._data_key = data_key  # (for `read_again`)
        self._key = derive(data_key, "record")
        self._head_key = derive(data_key, "head mac")
        self._checkpoint_key = derive(data_key, "checkpoint")
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
        self._writer: SegmentWriter | None = None
        self._head_missing = False
        self._head_saved = -HEAD_EVERY  # monotonic time of the last head save
        self._head_saved_seq = -1
        # held while commits fold new events in: readers on other threads take it too
        self.state_lock = threading.Lock()
        self._commits = GroupCommit(self._write_batch)
        # called (on the committing thread) after each write: sync publishes soon after
        self.on_commit: Callable[[], None] | None = None

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
                if log._head_missing:
                    log._save_head()  # written again at once
                log._copy_head()
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
        if head is None and self.ident is not None and any(
                d.name == mine and d.holds_records() for d in self.devices):
            head = self._missing_head()
        checkpoint = self._checkpoint() if use_checkpoint else None
        positions = checkpoint[0] if checkpoint else {}
        jobs: list[Job] = []
        sizes: list[int] = []
        for dev in self.devices:
            check_numbers(dev)
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
            parallel = parallel_ok(len(jobs), sum(sizes))
        self.state = checkpoint[1] if checkpoint else self.reducer.new()
        results: list[tuple[list[tuple[SegmentScan, str]], Any]] = []
        if parallel:
            workers = min(len(jobs), os.cpu_count() or 2)
            # a few runs per worker: balance if one core is slower, few states to merge
            runs = share(jobs, sizes, min(len(jobs), workers * 3))
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for result in pool.imap(fold_segments, runs, chunksize=1):
                    self.state = self.reducer.merge(self.state, result[1])
                    results.append(result)
        elif jobs:
            results = [fold_segments(jobs)]
            self.state = self.reducer.merge(self.state, results[0][1])
        scans = iter([item for run_scans, _ in results for item in run_scans])
        for dev in self.devices:
            for _number in dev.segments:
                scan, ids = next(scans)
                if ids:
                    self._id_blobs.append(ids)
                self.unreadable += scan.unreadable
                self.folded += scan.folded
                check_link(dev.last, scan)
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
            if seq and dev.watched(seq) != tag:
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
        if dev.watched(head.seq) != head.tag:
            raise IntegrityError(
                f"{last.path}: record {head.seq} is not the one this machine wrote (the log was "
                "replaced)", path=str(last.path), seq=head.seq)

    def save_checkpoint(self) -> None:
        """Remember the folded state and the positions it covers (writer only)."""
        if self.ident is None or self._lock is None:
            return
        positions = {dev.name: (dev.last.last_seq, dev.last.last_tag)
                     for dev in self.devices if dev.last is not None}
        if self._writer is not None:
            positions[self.ident.name] = (self._writer.seq, self._writer.tag)
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
        self._writer = SegmentWriter(folder, self._key, self.meta.store, self.ident.device,
                                     self.files, self.max_segment)
        repair = self._writer.start(dev.last if dev else None)
        if repair:
            self.repairs.append(repair)

    def _save_head(self) -> None:
        """Remember the last durable record outside the log. A head behind the log is fine
        (a crash between the two); one that failed to save only narrows rollback detection."""
        writer = self._writer
        if self.ident is None or writer is None or writer.seq in (0, self._head_saved_seq):
            return
        with contextlib.suppress(OSError):
            Head(writer.segment, writer.seq, writer.tag).save(self.paths, self.files,
                                                              self._head_key, self.ident)
            self._head_saved_seq = writer.seq
        self._head_saved = time.monotonic()

    def _keyring(self) -> Any | None:
        """The OS keyring, when this machine's key is kept there (else a copy of the head
        has nowhere to go, and asking for it costs a start)."""
        if self.ident is None or not KeyFiles(self.paths.data / "keys", self.meta.store,
                                              self.files).has_keyring(self.ident.name):
            return None
        try:
            return keyring_backend()
        except KeyUnavailable:
            return None

    def _missing_head(self) -> Head | None:
        """`state/head.json` is gone while this machine's log holds records: say so, and
        go by the keyring's copy if there is one."""
        assert self.ident is not None
        self._head_missing = True
        keyring = self._keyring()
        copy = Head.load_copy(keyring, self._head_key, self.ident) if keyring else None
        path = Head.path(self.paths)
        if copy is not None:
            self.warnings.append(f"{path}: missing; this machine's log was checked against "
                                 "the copy kept in the OS keyring, and the file is written "
                                 "again")
        else:
            self.warnings.append(f"{path}: missing, though this machine's log holds records: "
                                 "had the log been rolled back it could not be told; the "
                                 "file is written again")
        return copy

    def _copy_head(self) -> None:
        writer = self._writer
        if self.ident is None or writer is None or writer.broken or writer.seq == 0:
            return
        keyring = self._keyring()
        if keyring is not None:
            Head(writer.segment, writer.seq, writer.tag).save_copy(keyring, self._head_key,
                                                                   self.ident)

    def _maybe_checkpoint(self) -> None:
        broken = self._writer is not None and self._writer.broken
        if self._lock is not None and not broken and self.folded >= self.checkpoint_after:
            with contextlib.suppress(OSError):  # a cache: failing to save it loses nothing
                self.save_checkpoint()

    def close(self) -> None:
        if self._writer is not None and self._writer.is_open:
            if not self._writer.broken:
                self._save_head()
                self._copy_head()
            self._maybe_checkpoint()
            self._writer.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> EventLog[S]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what sync needs of it (store/sync.py) -------------------------------------------

    def move_to(self, ident: DeviceIdentity) -> None:
        """Write from now on as another device of this store (sync found this device's id
        used by another install): the old device's log stays, read like any other's; the
        new one starts at its first segment, with its own remembered head."""
        if self._writer is None or self.ident is None:
            raise StorageFailure("the log is open read-only")
        with self.state_lock:
            self._save_head()
            self._copy_head()
            self._writer.close()
            # the old device's head goes with it (it would not verify as the new one's); the
            # new device has written nothing yet, so it needs none until it writes
            Head.path(self.paths).unlink(missing_ok=True)
            self.ident = ident
            ident.save(self.paths, self.files)
            self._head_saved_seq = -1
            self._open_for_append()
            folder = self.paths.data / "log" / ident.name
            if not any(d.name == ident.name for d in self.devices):
                self.devices = sorted([*self.devices, DeviceLog(ident.name, folder, [])],
                                      key=lambda d: d.name)

    @property
    def record_key(self) -> bytes:
        return self._key

    @property
    def data_key(self) -> bytes:
        return self._data_key

    @property
    def ident_bytes(self) -> bytes:
        assert self.ident is not None
        return self.ident.device

    def subkey(self, purpose: str) -> bytes:
        return derive(self._data_key, purpose)

    def writer_position(self) -> tuple[int, int, int]:
        """This device's last segment, the bytes in it that are whole records, its last
        sequence number (writer only)."""
        if self._writer is None:
            raise StorageFailure("the log is open read-only")
        return self._writer.segment, self._writer.size, self._writer.seq

    # -- reading back ---------------------------------------------------------------------

    def read_again(self, reducer: Reducer[S]) -> EventLog[S]:
        """The log opened again read-only, as it is on disk now: every segment verified and
        folded afresh, in this process (no fork: the agent has threads)."""
        return EventLog.open(self.paths, reducer, self._data_key, ident=self.ident,
                             write=False, files=self.files, max_segment=self.max_segment,
                             parallel=False)

    def records(self, dev: DeviceLog) -> Iterator[tuple[int, bytes]]:
        """(sequence, plaintext) of one device's records as they are on disk now, verified."""
        numbers = sorted(int(m.group(1)) for entry in dev.folder.iterdir()
                         if (m := SEGMENT_NAME.match(entry.name)))
        for number in numbers:
            yield from read_segment(dev.folder / segment_name(number), self._key,
                                    self.meta.store, dev.device, number,
                                    last=number == numbers[-1])

    def refresh(self) -> int:
        """Fold in what the other devices wrote since the log was opened or last refreshed,
        reading only their new records (each verified as continuing its device's chain) and
        any device new to the folder; an id already counted is not counted again. Nothing
        is written and no lock is needed. How many events were folded in."""
        mine = self.ident.name if self.ident and self._writer is not None else None
        have = {dev.name for dev in self.devices}
        found = [dev for dev in list_devices(self.paths.data / "log") if dev.name not in have]
        for dev in found:
            dev.segments = []  # read from its first segment by catch_up, like any other
        self.devices = sorted(self.devices + found, key=lambda dev: dev.name)
        added = 0
        for dev in self.devices:
            if dev.name == mine:
                continue  # this device's tail is the writer's own
            plaintexts = catch_up(dev, self._key, self.meta.store)
            if plaintexts:
                added += self._fold_new(plaintexts)[0]
        return added

    def took(self, device: str, number: int, *, first_seq: int, prev_tag: bytes, end: int,
             seq: int, tag: bytes, plaintexts: list[bytes]) -> int:
        """Records of another device, verified by sync (store/sync.py) and just appended to
        its local copy (segment `number`, now `end` bytes long, ending at record `seq` with
        `tag`): folded in without reading them again. How many were new."""
        dev = next((d for d in self.devices if d.name == device), None)
        if dev is None:
            dev = DeviceLog(device, self.paths.data / "log" / device, [])
            self.devices = sorted([*self.devices, dev], key=lambda d: d.name)
        last = dev.last
        if last is None or last.number != number:
            last = SegmentScan(dev.folder / segment_name(number), number, first_seq, prev_tag)
            dev.segments.append(number)
            dev.scans.append(last)
        last.end = last.size = end
        last.last_seq, last.last_tag = seq, tag
        last.records += len(plaintexts)
        folded, unreadable = self._fold_new(plaintexts)
        last.unreadable += unreadable
        return folded

    def unreadable_of(self, device: str) -> int:
        """Events of `device` this version cannot read (a newer Handful wrote them)."""
        dev = next((d for d in self.devices if d.name == device), None)
        return sum(scan.unreadable for scan in dev.scans) if dev else 0

    def _fold_new(self, plaintexts: list[bytes]) -> tuple[int, int]:
        with self.state_lock:
            folded, unreadable = self.reducer.add_new(self.state, plaintexts, self._index())
            self.unreadable += unreadable
        return folded, unreadable

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
        """Append records durably, sharing the write and the flush with concurrent callers
        (`commit.py`); each returns once its own records are on disk."""
        return self._commits.submit(list(items))

    def _write_batch(self, batch: list[Ticket]) -> None:
        if self._writer is None:
            raise StorageFailure("the log is open read-only")
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
        self._writer.write(fresh.values())
        if time.monotonic() - self._head_saved >= HEAD_EVERY:
            self._save_head()
        add = self.reducer.add
        self.folded += len(fresh)
        with self.state_lock:
            for event_id, plaintext in fresh.items():
                if event_id in known:
                    continue  # folded meanwhile from another device's log (refresh)
                known.add(event_id)
                add(self.state, plaintext)
        if self.on_commit is not None:
            self.on_commit()


__all__ = ["DeviceLog", "EventLog", "Reducer", "SegmentScan", "list_devices", "read_segment"]
