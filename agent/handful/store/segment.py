"""Segment files: one read and verified (whole, or from where the last reading stopped), and
this device's last one written to.

The bytes of a header and of a record are `format.py`'s; this module is about the files:
which store and device a segment belongs to, where its reading stands, and the append-only
tail this device writes (rotated at a size, cut back after a failed write, refused after a
failed flush).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from handful.errors import IntegrityError, StorageFailure
from handful.store.files import Files
from handful.store.format import (
    HEADER_SIZE,
    ZERO_TAG,
    Position,
    SegmentHeader,
    ad_prefix,
    associated_data,
    open_records,
    record_tag,
    seal,
    unpack_header,
)
from handful.store.layout import segment_name


@dataclass
class SegmentScan:
    """What reading one segment found: where it starts (sequence, tag before it), where its
    last whole record ends, and the bytes after that (an unfinished final record)."""

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


def _read(path: Path, offset: int = 0) -> bytes:
    where = str(path)
    try:
        with path.open("rb") as handle:  # reading never writes: opened read-only
            if offset:
                handle.seek(offset)
            return handle.read()
    except OSError as error:
        raise IntegrityError(f"{where}: cannot be read ({error.strerror})", path=where) from None


def open_segment(path: Path, key: bytes, store: bytes, device: bytes, number: int, *,
                 last: bool, watch: frozenset[int] = frozenset(),
                 scan: SegmentScan | None = None) -> list[bytes]:
    """Every record's plaintext, in order, each verified; raises naming the first bad one."""
    scan = scan or SegmentScan(path, number)
    where = str(path)
    data = _read(path)
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
    at = Position(HEADER_SIZE, header.first_seq - 1, header.prev_tag, scan.watched)
    plaintexts = open_records(data, key, ad_prefix(store, device, number), at, last=last,
                              where=where, watch=watch)
    scan.last_seq, scan.last_tag, scan.end = at.seq, at.tag, at.offset
    scan.records = len(plaintexts)
    return plaintexts


def resume_segment(scan: SegmentScan, key: bytes, store: bytes, device: bytes, *,
                   last: bool) -> list[bytes]:
    """The records written to a segment since `scan` read it, verified as continuing its
    chain (only the new bytes are read); `scan` moves on to cover them."""
    where = str(scan.path)
    data = _read(scan.path, scan.end)
    at = Position(0, scan.last_seq, scan.last_tag, scan.watched)
    plaintexts = open_records(data, key, ad_prefix(store, device, scan.number), at, last=last,
                              where=where, base=scan.end)
    scan.size = scan.end + len(data)
    scan.end += at.offset
    scan.last_seq, scan.last_tag = at.seq, at.tag
    scan.records += len(plaintexts)
    return plaintexts


def read_segment(path: Path, key: bytes, store: bytes, device: bytes, number: int, *,
                 last: bool) -> Iterator[tuple[int, bytes]]:
    """(sequence, plaintext) of each record of one segment, verified."""
    scan = SegmentScan(path, number)
    plaintexts = open_segment(path, key, store, device, number, last=last, scan=scan)
    for index, plaintext in enumerate(plaintexts):
        yield scan.first_seq + index, plaintext


class SegmentWriter:
    """This device's tail: the last segment, open for appending, and the next when it fills.

    A write is sealed, written and flushed before it counts. A failed write is cut back off
    the file; if even that fails, or a flush fails (the page cache can no longer be trusted),
    the writer refuses everything after: the log must be closed and opened again."""

    def __init__(self, folder: Path, key: bytes, store: bytes, device: bytes, files: Files,
                 max_segment: int) -> None:
        self.folder = folder
        self.files = files
        self.max_segment = max_segment
        self._store, self._device = store, device
        self._aead = AESGCM(key)
        self._fd: int | None = None
        self.segment = 0
        self.size = 0
        self.seq = 0
        self.tag = ZERO_TAG
        self.broken: str | None = None

    def start(self, last: SegmentScan | None) -> str | None:
        """Open for appending after the last segment read (a new first one if none); cut an
        unfinished final record first. What was repaired, for the user, if anything."""
        if last is None:
            self.segment, self.seq, self.tag = 0, 0, ZERO_TAG
            self.rotate()
            return None
        repair = None
        if last.torn:
            fd = os.open(last.path, os.O_WRONLY)
            try:
                self.files.truncate(fd, last.end)
                self.files.sync(fd)
            finally:
                os.close(fd)
            repair = (f"{last.path}: cut an unfinished final record "
                      f"({last.torn} bytes at byte {last.end})")
            last.size = last.end
        self.segment, self.seq, self.tag = last.number, last.last_seq, last.last_tag
        self.size = last.end
        self._fd = self.files.open_append(last.path)
        return repair

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def rotate(self) -> None:
        number = self.segment + 1
        path = self.folder / segment_name(number)
        header = SegmentHeader(self._store, self._device, number, self.seq + 1, self.tag).pack()
        try:
            self.files.create(path, header)
            fd = self.files.open_append(path)
        except OSError as error:
            raise StorageFailure(f"could not start segment {path}: {error}") from None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                self.files.close(self._fd)
        self._fd, self.segment, self.size = fd, number, len(header)

    def write(self, plaintexts: Iterable[bytes]) -> None:
        """Seal, write and flush records, in order, after the last; durable on return."""
        if self._fd is None:
            raise StorageFailure("the log is open read-only")
        if self.broken:
            raise StorageFailure(self.broken)
        if self.size >= self.max_segment:
            self.rotate()
        seq, prev = self.seq, self.tag
        chunks = []
        for plaintext in plaintexts:
            seq += 1
            record = seal(self._aead, plaintext, associated_data(
                self._store, self._device, self.segment, seq, prev))
            prev = record_tag(record)
            chunks.append(record)
        blob = b"".join(chunks)
        try:
            self.files.write(self._fd, blob)
        except OSError as error:
            try:
                self.files.truncate(self._fd, self.size)
            except OSError:
                self.broken = ("the log could not be restored after a failed write; close "
                               "and open it again")
            raise StorageFailure(f"could not write the log: {error.strerror or error}") from None
        try:
            self.files.sync(self._fd)
        except OSError as error:
            # After a failed flush the page cache cannot be trusted (fsyncgate): stop here.
            self.broken = "a flush failed earlier; close and open the log again"
            raise StorageFailure(f"could not flush the log to disk: {error.strerror or error}"
                                 ) from None
        self.size += len(blob)
        self.seq, self.tag = seq, prev

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                self.files.close(self._fd)
            self._fd = None
