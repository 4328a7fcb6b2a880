"""The sync folder's format: what a device publishes in DIR and how it is named, so that a
reader accepts exact names only (docs/format.md, "The sync folder", says the same in prose).

    DIR/handful/devices/<device>/store.json     the store's description (as data/store.json)
    DIR/handful/devices/<device>/passphrase.json  the data key wrapped by a passphrase, and
    DIR/handful/devices/<device>/recovery.json    by the recovery key (never a keyring's):
                                                what a new machine joins with
    DIR/handful/devices/<device>/NNNNNNNN.seg   segment N whole: final, published once the
                                                device has moved on to segment N+1
    DIR/handful/devices/<device>/NNNNNNNN-FFFFFFFFFFFF-LLLLLLLLLLLL.piece
                                                records F..L of segment N, as a piece:

    piece header (80 bytes)
      0  8  magic  b"HNDFPCE\\0"
      8  2  format version, u16 big-endian (1)
     10  2  flags (0)
     12 16  store id
     28 16  device id
     44  4  segment number, u32
     48  8  byte offset in the segment where the piece's bytes start, u64
     56  8  F, the first record's sequence number, u64
     64  8  L, the last record's, u64
     72  4  length of the bytes that follow, u32
     76  4  CRC-32 of bytes 0..75
    then the segment's bytes from that offset: whole records (from offset 0, the segment's
    header first), byte for byte as the device's own segment holds them

Each record is sealed with its store, device, segment, sequence and the tag before it
(format.py), so a piece verifies only where it continues the chain: a header that lies
about its place makes its records fail, never land elsewhere. A device writes only under its
own folder, by temp name and rename; a published file never changes.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from handful.errors import IntegrityError

ROOT = "handful"            # DIR/handful: everything Handful puts in the sync folder
DEVICES = "devices"
PUBLISHED_KEYS = ("passphrase.json", "recovery.json")  # a keyring's wrapping stays home
STORE_FILES = ("store.json", *PUBLISHED_KEYS)   # in each device's folder, as in data/

PIECE_MAGIC = b"HNDFPCE\x00"
PIECE_VERSION = 1
PIECE_HEADER = struct.Struct(">8sHH16s16sIQQQI")
PIECE_HEADER_SIZE = PIECE_HEADER.size + 4
MAX_PIECE = 16 << 20  # a segment is 8 MiB: a piece longer than this is not one of ours

SEGMENT_FILE = re.compile(r"^(\d{8})\.seg$")
PIECE_FILE = re.compile(r"^(\d{8})-(\d{12})-(\d{12})\.piece$")
# What sync tools leave beside the files they carry (FIELD-NOTES, "Folder sync tools"):
_TEMP = (
    re.compile(r"^\.syncthing\.(.+)\.tmp$"),        # Syncthing, while a file arrives
    re.compile(r"^~syncthing~(.+)\.tmp$"),          # Syncthing on Windows
    re.compile(r"^\.(.+)\.~[0-9a-f]{8}$"),          # Nextcloud's download
    re.compile(r"^\.(.+)\.[0-9a-f]{8}\.tmp$"),      # a device's own publish under way
)
_STUB = re.compile(r"^\.(.+)\.icloud$")            # iCloud's evicted file
_CONFLICT = (
    # Syncthing: <stem>.sync-conflict-YYYYMMDD-HHMMSS-<device>.<ext>
    re.compile(r"^(?P<stem>.+)\.sync-conflict-\d{8}-\d{6}-[A-Z0-9]{7}(?P<ext>\.[a-z]+)$"),
    # Dropbox: "<stem> (X's conflicted copy YYYY-MM-DD).<ext>"; Nextcloud alike
    re.compile(r"^(?P<stem>.+?) \([^)]*conflicted copy[^)]*\)(?P<ext>\.[a-z]+)$"),
)


@dataclass(frozen=True)
class Name:
    """What a name in a device's folder is: `segment` or `piece` (exact names), `store`
    (the store's description or a key wrapping, STORE_FILES), `arriving`
    (a sync tool's or a publish's temp file), `stub` (a placeholder not yet local),
    `conflict` (a sync tool's conflict copy of an exact name: two writers of one device id),
    or `stray` (anything else). `base`: the exact name a temp, stub or conflict stands for."""

    kind: str
    segment: int = 0
    first: int = 0
    last: int = 0
    base: str = ""


def piece_name(segment: int, first: int, last: int) -> str:
    return f"{segment:08d}-{first:012d}-{last:012d}.piece"


def segment_file(segment: int) -> str:
    return f"{segment:08d}.seg"


def exact(name: str) -> Name | None:
    if match := SEGMENT_FILE.match(name):
        number = int(match.group(1))
        return Name("segment", number) if number else None
    if match := PIECE_FILE.match(name):
        segment, first, last = (int(g) for g in match.groups())
        if segment and 0 < first <= last:
            return Name("piece", segment, first, last)
    return None


def classify(name: str) -> Name:
    found = exact(name)
    if found is not None:
        return found
    if name in STORE_FILES:
        return Name("store", base=name)
    for pattern in _TEMP:
        if match := pattern.match(name):
            return Name("arriving", base=match.group(1))
    if match := _STUB.match(name):
        return Name("stub", base=match.group(1))
    for pattern in _CONFLICT:
        if (match := pattern.match(name)) and (base := exact(match["stem"] + match["ext"])):
            return Name("conflict", base.segment, base.first, base.last,
                        match["stem"] + match["ext"])
    return Name("stray")


@dataclass(frozen=True)
class PieceHeader:
    store: bytes
    device: bytes
    segment: int
    offset: int
    first: int
    last: int
    length: int

    def pack(self) -> bytes:
        head = PIECE_HEADER.pack(PIECE_MAGIC, PIECE_VERSION, 0, self.store, self.device,
                                 self.segment, self.offset, self.first, self.last, self.length)
        return head + struct.pack(">I", zlib.crc32(head))


class NewerFormat(IntegrityError):
    """A piece of a format version this Handful does not read: a newer Handful wrote it."""


def unpack_piece(data: bytes, where: str) -> PieceHeader:
    if len(data) < PIECE_HEADER_SIZE:
        raise IntegrityError(f"{where}: piece header cut short", path=where, offset=0)
    magic, version, _flags, store, device, segment, offset, first, last, length = \
        PIECE_HEADER.unpack_from(data)
    if magic != PIECE_MAGIC:
        raise IntegrityError(f"{where}: not a Handful piece (bad magic)", path=where, offset=0)
    (crc,) = struct.unpack_from(">I", data, PIECE_HEADER.size)
    if crc != zlib.crc32(data[:PIECE_HEADER.size]):
        raise IntegrityError(f"{where}: piece header checksum fails", path=where, offset=0)
    if version != PIECE_VERSION:
        raise NewerFormat(f"{where}: piece format version {version} (this Handful reads "
                          f"{PIECE_VERSION})", path=where, offset=0)
    return PieceHeader(store, device, segment, offset, first, last, length)
