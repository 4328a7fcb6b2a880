"""Sync through a folder the user's own sync tool carries (syncfolder.py has its format).

`FolderSync.publish` puts what this device wrote since it last published into its own
folder in DIR: a piece of the segment it is writing, or a whole segment once it moved on
(and, a day later, removes that segment's pieces: its compaction; a peer tells by the whole
segment's presence). `FolderSync.merge` reads every other device's folder, verifies what
continues the local copy of its chain, appends exactly those bytes to the local copy
(`data/log/<device>/`, so a folder that disappears loses nothing) and folds them in. Reading
DIR never writes there. Each problem is named and stops nothing but that one file or peer.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handful.errors import IntegrityError
from handful.store.files import Files
from handful.store.format import (
    HEADER_SIZE,
    ZERO_TAG,
    Position,
    ad_prefix,
    open_records,
    unpack_header,
)
from handful.store.layout import DEVICE_NAME, segment_name
from handful.store.log import EventLog
from handful.store.syncfolder import (
    DEVICES,
    MAX_PIECE,
    PIECE_HEADER_SIZE,
    PIECE_MAGIC,
    PUBLISHED_KEYS,
    ROOT,
    Name,
    NewerFormat,
    PieceHeader,
    classify,
    piece_name,
    segment_file,
    unpack_piece,
)
from handful.store.syncstate import SyncState

ARRIVING_GRACE = 600.0      # s: a file still arriving, or a peer behind, is named after this
COMPACT_AFTER = 86400.0     # s: a whole segment's pieces are removed this long after it
MAX_FILES = 100_000         # entries read from one device's folder in one pass


@dataclass
class Problem:
    """One thing wrong, named: `kind` is arriving, stub, tampered, newer, rollback, fork,
    id_taken, stray or folder."""

    kind: str
    device: str | None
    detail: str
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "device": self.device, "file": self.file,
                "detail": self.detail}


@dataclass
class Pass:
    """What one publish and merge did."""

    published: list[str] = field(default_factory=list)
    merged: dict[str, int] = field(default_factory=dict)   # device -> records copied
    adopted: int = 0                                        # events kept from a fork
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Entry:
    name: str
    kind: Name
    path: Path
    size: int
    mtime: int


@dataclass
class _Position:
    """Where the local copy of a device's chain ends."""

    segment: int = 0
    end: int = 0
    seq: int = 0
    tag: bytes = ZERO_TAG


class FolderSync:
    def __init__(self, log: EventLog[Any], folder: Path, state: SyncState, *,
                 files: Files | None = None, grace: float = ARRIVING_GRACE,
                 now: Callable[[], float] = time.time,
                 label: Callable[[str], str] = lambda device: f"device {device[:8]}") -> None:
        if log.ident is None:
            raise IntegrityError("this machine has no device id; run `handful init`")
        self.log = log
        self.folder = folder
        self.root = folder / ROOT
        self.state = state
        self.files = files or Files()
        self.grace = grace
        self.now = now
        self.label = label  # how a problem names a device: its name where it has one
        self.me = log.ident.name
        self._store = log.meta.store
        self._key = log.record_key
        self._seen: dict[tuple[str, str], tuple[int, int]] = {}  # settled files: size, mtime
        self._published: dict[int, tuple[int, int]] = {}  # segment -> (end byte, last seq)

    # -- publishing ---------------------------------------------------------------------

    def publish(self) -> list[str]:
        """Put this device's new records in DIR; the names written."""
        mine = self.root / DEVICES / self.me
        mine.mkdir(parents=True, exist_ok=True)
        self._publish_store(mine)
        if not self._published:
            self._published = self._read_published(mine)
        written: list[str] = []
        segment, size, seq = self.log.writer_position()
        own = self.log.paths.data / "log" / self.me
        for number in range(1, segment + 1):
            path = own / segment_name(number)
            done, last = self._published.get(number, (0, 0))
            if number < segment:
                if done == -1:
                    continue
                data = path.read_bytes()
                self._write(mine / segment_file(number), data)
                self._published[number] = (-1, 0)
                written.append(segment_file(number))
                continue
            if done == -1 or size <= max(done, HEADER_SIZE):
                continue
            start = done
            with path.open("rb") as handle:
                handle.seek(start)
                body = handle.read(size - start)
            first = last + 1 if start else _first_seq(body)
            header = PieceHeader(self._store, self.log.ident_bytes, number, start, first, seq,
                                 len(body))
            name = piece_name(number, first, seq)
            self._write(mine / name, header.pack() + body)
            self._published[number] = (size, seq)
            written.append(name)
        self._compact(mine)
        return written

    def _publish_store(self, mine: Path) -> None:
        """store.json and the wrappings a new machine can unlock with, in this device's own
        folder (written when missing, and again only if this device's own copy changed):
        never a keyring's wrapping, which only its own machine can open."""
        data = self.log.paths.data
        targets = [(data / "store.json", mine / "store.json")]
        targets += [(data / "keys" / name, mine / name) for name in PUBLISHED_KEYS]
        for source, target in targets:
            try:
                content = source.read_bytes()
            except FileNotFoundError:
                continue
            try:
                if target.read_bytes() == content:
                    continue
            except OSError:
                pass
            self._write(target, content)

    def _read_published(self, mine: Path) -> dict[int, tuple[int, int]]:
        """What this device has in DIR already (its own files, by their headers)."""
        published: dict[int, tuple[int, int]] = {}
        for entry in self._entries(mine):
            kind = entry.kind
            if kind.kind == "segment":
                published[kind.segment] = (-1, 0)
            elif kind.kind == "piece" and published.get(kind.segment, (0, 0))[0] != -1:
                try:
                    with entry.path.open("rb") as handle:
                        header = unpack_piece(handle.read(PIECE_HEADER_SIZE), str(entry.path))
                except (OSError, IntegrityError):
                    continue
                end = header.offset + header.length
                if end > published.get(kind.segment, (0, 0))[0]:
                    published[kind.segment] = (end, header.last)
        return published

    def _compact(self, mine: Path) -> None:
        """A whole segment's pieces go a day after it was published (a peer offline for
        longer reads the whole segment instead)."""
        whole = {number for number, (done, _) in self._published.items() if done == -1}
        if not whole:
            return
        now = self.now()
        for entry in self._entries(mine):
            if entry.kind.kind == "piece" and entry.kind.segment in whole:
                seg = mine / segment_file(entry.kind.segment)
                with contextlib.suppress(OSError):
                    if now - seg.stat().st_mtime >= COMPACT_AFTER:
                        entry.path.unlink()

    def _write(self, target: Path, data: bytes) -> None:
        # temp name `.<name>.<8 hex>.tmp`, flushed, renamed: a reader never sees it half
        self.files.replace(target, data)

    # -- merging ------------------------------------------------------------------------

    def merge(self, only: Iterable[str] | None = None) -> Pass:
        """Every other device's new records in DIR verified, copied and folded in."""
        result = Pass()
        devices = self.root / DEVICES
        if not devices.is_dir():
            result.problems.append(Problem("folder", None, f"{devices} is not there (yet): "
                                           "nothing to merge"))
            return result
        wanted = set(only) if only is not None else None
        for folder in sorted(devices.iterdir()):
            name = folder.name
            if wanted is not None and name not in wanted:
                continue
            if not DEVICE_NAME.match(name) or folder.is_symlink() or not folder.is_dir():
                continue  # (a link is never followed out of the folder)
            try:
                if name == self.me:
                    result.problems += self._check_mine(folder)
                else:
                    self._merge_device(folder, result)
            except OSError as error:
                result.problems.append(Problem("folder", name, f"{folder}: cannot be read "
                                               f"({error.strerror or error})"))
        return result

    def _entries(self, folder: Path) -> list[_Entry]:
        found: list[_Entry] = []
        with os.scandir(folder) as listing:
            for n, item in enumerate(listing):
                if n >= MAX_FILES:
                    break
                try:
                    info = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                if not item.is_file(follow_symlinks=False):
                    continue
                found.append(_Entry(item.name, classify(item.name), Path(item.path),
                                    info.st_size, info.st_mtime_ns))
        return found

    def _position(self, device: str) -> _Position:
        dev = next((d for d in self.log.devices if d.name == device), None)
        if dev is None or dev.last is None:
            return _Position()
        last = dev.last
        if last.torn:  # a copy cut short by a crash while merging: the whole records stay
            with contextlib.suppress(OSError):
                fd = os.open(last.path, os.O_WRONLY)
                try:
                    self.files.truncate(fd, last.end)
                    self.files.sync(fd)
                finally:
                    os.close(fd)
                last.size = last.end
        return _Position(last.number, last.end, last.last_seq, last.last_tag)

    def _merge_device(self, folder: Path, result: Pass) -> None:
        device = folder.name
        entries = self._entries(folder)
        bad = self.state.bad.setdefault(device, {})
        pos = self._position(device)
        copied = 0
        progressed = True
        while progressed:
            progressed = False
            for entry in self._candidates(entries, pos):
                if self._is_bad(bad, entry):
                    continue
                try:
                    added, pos = self._take(entry, device, pos)
                except _Arriving:
                    continue
                except NewerFormat as error:
                    result.problems.append(Problem("newer", device, f"{error}: update "
                                                   "Handful on this machine", entry.name))
                    continue
                except IntegrityError as error:
                    if self._fork(entries, entry, device, pos, result):
                        continue
                    bad[entry.name] = [entry.size, entry.mtime, str(error)]
                    continue
                if added:
                    copied += added
                    progressed = True
                    break
        duplicates = set()
        for entry in entries:  # a conflict copy: two installs wrote under one device id...
            if entry.kind.kind != "conflict" or self._is_bad(bad, entry):
                continue
            if self._held(entry, device):  # ...unless it holds what this copy has already
                duplicates.add(entry.name)
            elif not self._fork(entries, entry, device, pos, result):
                bad[entry.name] = [entry.size, entry.mtime, "a conflict copy that does not "
                                   "verify"]
        if copied:
            result.merged[device] = copied
            self.state.last_seen[device] = self.now()
        result.problems += self._named(device, entries, pos, bad, duplicates)

    def _candidates(self, entries: list[_Entry], pos: _Position) -> list[_Entry]:
        """The files that may hold the records right after the local copy's end."""
        out = []
        for entry in entries:
            kind = entry.kind
            piece = kind.kind == "piece" and kind.first == pos.seq + 1 and \
                kind.segment in (pos.segment, pos.segment + 1)
            whole = kind.kind == "segment" and (
                (kind.segment == pos.segment and entry.size > pos.end)
                or kind.segment == pos.segment + 1)
            if piece or whole:
                out.append(entry)
        out.sort(key=lambda e: (e.kind.kind != "piece", e.kind.segment))
        return out

    def _is_bad(self, bad: dict[str, list[Any]], entry: _Entry) -> bool:
        seen = bad.get(entry.name)
        if seen is None:
            return False
        if seen[:2] == [entry.size, entry.mtime]:
            return True
        del bad[entry.name]  # replaced since: look again
        return False

    def _read(self, entry: _Entry) -> bytes:
        if entry.size > MAX_PIECE:
            raise IntegrityError(f"{entry.path}: {entry.size} bytes, larger than any segment",
                                 path=str(entry.path))
        with entry.path.open("rb") as handle:  # opened read-only: reading never writes
            return handle.read(MAX_PIECE + 1)

    def _take(self, entry: _Entry, device: str, pos: _Position) -> tuple[int, _Position]:
        """Verify what `entry` holds past `pos` and append it to the local copy."""
        data = self._read(entry)
        where = str(entry.path)
        kind = entry.kind
        dev_bytes = bytes.fromhex(device)
        if kind.kind == "piece":
            header = unpack_piece(data, where)
            body = data[PIECE_HEADER_SIZE:]
            if len(body) < header.length:
                raise _Arriving()
            if (header.store, header.device, header.segment, header.first, header.last) != (
                    self._store, dev_bytes, kind.segment, kind.first, kind.last) \
                    or len(body) != header.length:
                raise IntegrityError(f"{where}: its header does not match its name",
                                     path=where)
            base = header.offset
        else:
            body, base = data, 0
        number = kind.segment
        if base == 0:
            seg_header = unpack_header(body, where)
            if seg_header.store != self._store or seg_header.device != dev_bytes \
                    or seg_header.segment != number:
                raise IntegrityError(f"{where}: a segment of another store or device",
                                     path=where)
        if number == pos.segment:
            start = pos.end  # the bytes this copy has already
            if base > start or base + len(body) <= start:
                raise _Arriving()
            if start > HEADER_SIZE and start - base >= 16 and \
                    body[start - base - 16:start - base] != pos.tag:
                raise IntegrityError(f"{where}: does not continue the chain this device has",
                                     path=where)
            at = Position(start - base, pos.seq, pos.tag)
        else:  # the next segment, from its start
            if base != 0:
                raise _Arriving()
            seg_header = unpack_header(body, where)
            if seg_header.first_seq > pos.seq + 1:
                raise _Arriving()  # records between are still on their way
            if seg_header.first_seq != pos.seq + 1 or seg_header.prev_tag != pos.tag:
                raise IntegrityError(f"{where}: does not start where the chain this device "
                                     "has ends", path=where)
            at = Position(HEADER_SIZE, pos.seq, pos.tag)
        begin = at.offset
        plaintexts = open_records(body, self._key, ad_prefix(self._store, dev_bytes, number),
                                  at, last=True, where=where, base=base)
        if not plaintexts:
            if at.offset < len(body):
                raise _Arriving()  # cut short: a partial download
            return 0, pos
        local = self.log.paths.data / "log" / device
        local.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = local / segment_name(number)
        if number == pos.segment:
            fd = self.files.open_append(target)
            try:
                self.files.write(fd, body[begin:at.offset])
                self.files.sync(fd)
            finally:
                self.files.close(fd)
        else:
            self.files.create(target, body[:at.offset])
        with target.open("rb") as handle:
            head = unpack_header(handle.read(HEADER_SIZE), str(target))
        self.log.took(device, number, first_seq=head.first_seq, prev_tag=head.prev_tag,
                      end=base + at.offset, seq=at.seq, tag=at.tag, plaintexts=plaintexts)
        return len(plaintexts), _Position(number, base + at.offset, at.seq, at.tag)

    def _fork(self, entries: list[_Entry], failed: _Entry, device: str, pos: _Position,
              result: Pass) -> bool:
        """Whether `failed` is part of a second valid chain under this device's id (a
        restored backup, a cloned home): if so its events are kept (appended to this
        device's own log, each id once) and the fork reported."""
        chain = self._other_chain(entries, failed, device)
        if chain is None:
            return False
        known = self.log.known
        ids = self.log.reducer.ids_of(chain)
        fresh = [(i, p) for i, p in zip(ids, chain, strict=False) if not known(i)]
        if fresh:
            self.log.append_many(fresh)
            result.adopted += len(fresh)
        detail = (f"two chains under {self.label(device)}: its log in the folder does not "
                  f"continue the {pos.seq} records this device has (a restored backup or a "
                  f"cloned home); {len(fresh)} events of the other chain were kept")
        self.state.forks[device] = detail
        self.state.bad.setdefault(device, {})[failed.name] = [failed.size, failed.mtime,
                                                              "fork"]
        return True

    def _other_chain(self, entries: list[_Entry], failed: _Entry, device: str
                     ) -> list[bytes] | None:
        """The records of the chain `failed` belongs to, verified on their own from the
        start of its segment (following pieces by sequence), or None if no chain through it
        verifies: then it was altered, not forked."""
        number = failed.kind.segment
        prefix = ad_prefix(self._store, bytes.fromhex(device), number)
        files = [e for e in entries if e.kind.segment == number
                 and e.kind.kind in ("segment", "piece", "conflict")]

        def opened(entry: _Entry, at: Position | None) -> tuple[list[bytes], Position] | None:
            try:
                data = self._read(entry)
                body, base = data, 0
                if data.startswith(PIECE_MAGIC):
                    body, base = data[PIECE_HEADER_SIZE:], unpack_piece(data, "").offset
                if at is None:
                    if base != 0:
                        return None
                    seg = unpack_header(body, str(entry.path))
                    at = Position(HEADER_SIZE, seg.first_seq - 1, seg.prev_tag)
                else:
                    at = Position(0, at.seq, at.tag)
                found = open_records(body, self._key, prefix, at, last=False,
                                     where=str(entry.path), base=base)
                return found, at
            except (IntegrityError, OSError):
                return None

        def follow(at: Position, chain: list[bytes], through: bool, depth: int
                   ) -> list[bytes] | None:
            if through:
                return chain
            if depth > len(files):
                return None
            for entry in files:
                if entry.kind.kind == "segment" or entry.kind.first != at.seq + 1:
                    continue
                step = opened(entry, at)
                if step and step[0]:
                    found = follow(step[1], chain + step[0], entry is failed, depth + 1)
                    if found is not None:
                        return found
            return None

        for start in files:
            first = opened(start, None)
            if first is not None and first[0]:
                found = follow(first[1], first[0], start is failed, 0)
                if found is not None:
                    return found
        return None

    def _named(self, device: str, entries: list[_Entry], pos: _Position,
               bad: dict[str, list[Any]], duplicates: set[str]) -> list[Problem]:
        """What is wrong in a device's folder after a pass, each named once it lasts."""
        problems: list[Problem] = []
        now = self.now()
        present = {e.name for e in entries}
        for name in list(bad):
            if name not in present:
                del bad[name]
            elif bad[name][2] != "fork":
                problems.append(Problem("tampered", device, f"{name} never verifies "
                                        f"({bad[name][2]}); skipped, the folder left as it "
                                        "is", name))
        newer = self.log.unreadable_of(device)
        if newer:
            problems.append(Problem("newer", device, f"{newer} event{'' if newer == 1 else 's'} "
                                    f"from a newer version of Handful on {self.label(device)}: "
                                    "update Handful here (they are kept, not counted)"))
        if device in self.state.forks:
            problems.append(Problem("fork", device, self.state.forks[device]))
        waiting = False
        for entry in entries:
            kind = entry.kind.kind
            if kind in ("arriving", "stub"):
                waiting = True
                if self._lasted(f"{device}/{entry.name}", now):
                    what = "not downloaded yet (a placeholder)" if kind == "stub" else \
                        "still arriving"
                    problems.append(Problem(kind, device, f"{entry.name}: {what}", entry.name))
            elif kind == "conflict" and entry.name not in bad and \
                    entry.name not in duplicates:
                problems.append(Problem("fork", device, f"{entry.name}: the sync tool's "
                                        "conflict copy of a file two installs wrote under one "
                                        "device id", entry.name))
            elif kind == "stray":
                problems.append(Problem("stray", device, f"{entry.name}: not a Handful file; "
                                        "left alone", entry.name))
            elif kind == "piece" and entry.kind.first > pos.seq + 1 and \
                    entry.name not in bad:
                waiting = True
                if self._lasted(f"{device}/{entry.name}", now):
                    problems.append(Problem("arriving", device, f"{entry.name}: waits for the "
                                            f"records before it (this device has up to "
                                            f"{pos.seq})", entry.name))
        reached = any(
            (e.kind.kind == "piece" and e.kind.segment >= pos.segment and e.kind.last >= pos.seq)
            or (e.kind.kind == "segment" and (e.kind.segment > pos.segment or (
                e.kind.segment == pos.segment and e.size >= pos.end)))
            for e in entries)
        key = f"{device}/behind"
        if pos.seq and not reached and not waiting:
            if self._lasted(key, now):
                problems.append(Problem("rollback", device, f"its log in the folder ends "
                                        f"before record {pos.seq}, which this device has "
                                        "already: an older copy was restored there, or its "
                                        "files are still on their way; nothing was lost"))
        else:
            self.state.noticed.pop(key, None)
        for noticed in [k for k in self.state.noticed if k.startswith(device + "/")]:
            name = noticed.split("/", 1)[1]
            if name != "behind" and name not in present:
                del self.state.noticed[noticed]
        return problems

    def _lasted(self, key: str, now: float) -> bool:
        since = self.state.noticed.setdefault(key, now)
        return now - since >= self.grace

    def _check_mine(self, folder: Path) -> list[Problem]:
        """This device's own folder: anything there it did not write means another install
        writes under its id (a cloned home, a restored backup)."""
        problems = []
        for entry in self._entries(folder):
            if entry.kind.kind not in ("piece", "segment", "conflict"):
                continue
            if self._seen.get((self.me, entry.name)) == (entry.size, entry.mtime):
                continue
            ours = self._held(entry, self.me)
            if ours is None:
                continue  # not whole yet, or not ours to read: looked at again next pass
            if ours:  # (a conflict copy of our own bytes is a sync tool's duplicate)
                self._seen[(self.me, entry.name)] = (entry.size, entry.mtime)
                continue
            problems.append(Problem("id_taken", self.me, f"{entry.name}: written under this "
                                    "device's id by another install (a cloned home or a "
                                    "restored backup)", entry.name))
        return problems

    def _held(self, entry: _Entry, device: str) -> bool | None:
        """Whether every byte of `entry` is already in the local copy of `device`'s log at
        the same place (a sync tool's duplicate, such as a conflict copy of identical
        content, is not a second chain); None when `entry` cannot be read as one of ours."""
        try:
            data = self._read(entry)
            if data.startswith(PIECE_MAGIC):
                header = unpack_piece(data, str(entry.path))
                body, base = data[PIECE_HEADER_SIZE:], header.offset
            else:
                body, base = data, 0
        except (OSError, IntegrityError):
            return None
        local = self.log.paths.data / "log" / device / segment_name(entry.kind.segment)
        try:
            with local.open("rb") as handle:
                handle.seek(base)
                return bool(body) and handle.read(len(body)) == body
        except OSError:
            return False


class _Arriving(Exception):
    """The file is not whole yet: look again later."""


def _first_seq(body: bytes) -> int:
    return unpack_header(body, "segment").first_seq
