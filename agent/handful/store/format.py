"""The segment and record format, byte for byte (docs/format.md says the same in prose).

Segment file `log/<device>/<segment:08d>.seg`:

    header (76 bytes)
      0  8  magic  b"HNDFLOG\\0"
      8  2  format version, u16 big-endian (1)
     10  2  flags, u16 (0)
     12 16  store id
     28 16  device id
     44  4  segment number, u32 (1-based)
     48  8  sequence number of the segment's first record, u64 (1-based, per device)
     56 16  tag of the record before this segment (zeros before the device's first)
     72  4  CRC-32 of bytes 0..71
    records, each
      0  4  L = length of what follows, u32
      4 12  nonce (random)
     16 L-12  AES-256-GCM ciphertext of the event's JSON, then its 16-byte tag

Associated data of a record (66 bytes): b"HNDF", version u16, store id, device id,
segment u32, sequence u64, and the previous record's tag. The tag (the record's last 16
bytes) is AES-GCM's authenticator of that record: a keyed hash of its ciphertext and its own
associated data, so each record's tag covers the whole chain before it. It stands where a
SHA-256 of the record would, at no extra cost: hashing every record again took 15% of a
full read.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from handful.errors import IntegrityError

MAGIC = b"HNDFLOG\x00"
VERSION = 1
HEADER = struct.Struct(">8sHH16s16sIQ16s")
HEADER_SIZE = HEADER.size + 4  # + CRC-32
LENGTH = struct.Struct(">I")
NONCE_SIZE = 12
TAG_SIZE = 16
MIN_BODY = NONCE_SIZE + TAG_SIZE
MAX_PLAINTEXT = 1 << 20  # one event is far smaller; a larger length is corruption
MAX_BODY = MAX_PLAINTEXT + MIN_BODY
AD_PREFIX = b"HNDF" + struct.pack(">H", VERSION)
ZERO_TAG = bytes(TAG_SIZE)
_SEQ_TAG = struct.Struct(">Q16s")  # the associated data's tail: sequence, previous tag


@dataclass(frozen=True)
class SegmentHeader:
    store: bytes
    device: bytes
    segment: int
    first_seq: int
    prev_tag: bytes
    version: int = VERSION

    def pack(self) -> bytes:
        head = HEADER.pack(MAGIC, self.version, 0, self.store, self.device, self.segment,
                           self.first_seq, self.prev_tag)
        return head + LENGTH.pack(zlib.crc32(head))


def unpack_header(data: bytes, path: str) -> SegmentHeader:
    if len(data) < HEADER_SIZE:
        raise IntegrityError(f"{path}: segment header is cut short ({len(data)} bytes)",
                             path=path, offset=0)
    magic, version, _flags, store, device, segment, first_seq, prev_tag = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise IntegrityError(f"{path}: not a Handful segment (bad magic)", path=path, offset=0)
    (crc,) = LENGTH.unpack_from(data, HEADER.size)
    if crc != zlib.crc32(data[: HEADER.size]):
        raise IntegrityError(f"{path}: segment header checksum fails", path=path, offset=0)
    if version != VERSION:
        raise IntegrityError(f"{path}: segment format version {version} is not supported "
                             f"(this Handful reads version {VERSION})", path=path, offset=0)
    return SegmentHeader(store, device, segment, first_seq, prev_tag, version)


def ad_prefix(store: bytes, device: bytes, segment: int) -> bytes:
    """The associated data every record of one segment shares (50 bytes)."""
    return AD_PREFIX + store + device + segment.to_bytes(4, "big")


def associated_data(store: bytes, device: bytes, segment: int, seq: int, prev_tag: bytes
                    ) -> bytes:
    """One record's associated data: the segment's prefix, its sequence, the tag before it."""
    return ad_prefix(store, device, segment) + _SEQ_TAG.pack(seq, prev_tag)


def seal(aead: AESGCM, plaintext: bytes, ad: bytes, nonce: bytes | None = None) -> bytes:
    """One record's bytes. A fresh random nonce each time, so a sequence number rewritten
    after a torn tail was cut never meets the nonce it had before. (`nonce` is for the
    known-answer vectors only.)"""
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError("event too large for one record")
    nonce = nonce or os.urandom(NONCE_SIZE)
    body = nonce + aead.encrypt(nonce, plaintext, ad)
    return LENGTH.pack(len(body)) + body


def record_tag(record: bytes) -> bytes:
    """The record's AES-GCM tag: what the next record's associated data binds."""
    return record[-TAG_SIZE:]


@dataclass
class Position:
    """Where reading a segment's records stands: the byte after the last record read, that
    record's sequence number and tag (what the next record's associated data must bind)."""

    offset: int
    seq: int
    tag: bytes
    watched: dict[int, bytes] = field(default_factory=dict)  # sequence -> tag, as asked


def torn_or_bad(data: bytes, off: int, last: bool) -> bool:
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


def open_records(data: bytes, key: bytes, prefix: bytes, at: Position, *, last: bool,
                 where: str, watch: frozenset[int] = frozenset(), base: int = 0) -> list[bytes]:
    """The plaintext of each record in `data` from `at` on, each verified against the chain;
    `at` is moved past the last whole record. A cut-short final record (when `last`) stops
    the reading; anything else wrong raises, naming the record and its byte in the file
    (`data` starts at byte `base` of it)."""
    decrypt = AESGCM(key).decrypt
    ad_tail = _SEQ_TAG.pack
    seq, prev, off, n = at.seq, at.tag, at.offset, len(data)
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
            if torn_or_bad(data, off, last):
                break
            raise IntegrityError(
                f"{where}: record {seq + 1} at byte {base + off} has an impossible length "
                f"({end - body}); the segment is damaged", path=where, seq=seq + 1,
                offset=base + off)
        seq += 1
        try:
            push(decrypt(data[body:body + 12], data[body + 12:end], prefix + ad_tail(seq, prev)))
        except InvalidTag:
            raise IntegrityError(
                f"{where}: record {seq} at byte {base + off} fails authentication: it was "
                "altered, moved, reordered, or a record before it was removed",
                path=where, seq=seq, offset=base + off) from None
        prev = data[end - TAG_SIZE:end]
        if seq in watch:
            at.watched[seq] = prev
        off = end
    at.offset, at.seq, at.tag = off, seq, prev
    return plaintexts
