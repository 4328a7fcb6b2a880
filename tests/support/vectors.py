"""Known-answer vectors for format version 1: fixed keys, ids and nonces, so the bytes are
the same every time. `python tests/support/vectors.py DIR` writes them; the tests check that
the committed copy is still read, and still written, byte for byte."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from handful.domain import events as ev
from handful.store.format import SegmentHeader, associated_data, record_tag, seal
from handful.store.keys import ARGON2, derive, passphrase_kek, recovery_kek, wrap

STORE = bytes(range(16))
DEVICE = bytes(range(16, 32))
DATA_KEY = bytes(range(32, 64))
PASSPHRASE = "handful test vector"
SALT = bytes(range(64, 80))
RECOVERY_RAW = bytes(range(80, 100))
EVENTS: list[dict[str, Any]] = [
    {"type": "joined", "id": "vector-1", "ts": "2026-01-02T03:04:05.006Z",
     "device": DEVICE.hex(), "group": {"platform": "linkedin", "id": "12345",
                                       "name": "Data Folk", "url": None}},
    {"type": "engagement", "id": "vector-2", "ts": "2026-01-03T00:00:00.000Z",
     "device": DEVICE.hex(), "group": {"platform": "linkedin", "id": "12345", "name": None,
                                       "url": None}, "kind": "post", "note": "héllo ✓"},
    {"type": "settings_changed", "id": "vector-3", "ts": "2026-01-04T00:00:00.000Z",
     "device": DEVICE.hex(), "key": "cap", "value": 4},
]


def nonce(n: int) -> bytes:
    return bytes([n]) * 12


def build(root: Path) -> dict[str, Any]:
    data = root / "data"
    (data / "keys").mkdir(parents=True)
    (data / "log" / DEVICE.hex()).mkdir(parents=True)
    (root / "state").mkdir(parents=True)
    (data / "store.json").write_text(json.dumps(
        {"format": "handful-store", "version": 1, "store": STORE.hex(),
         "created": "2026-01-01T00:00:00.000Z"}, indent=2) + "\n")
    kek = passphrase_kek(PASSPHRASE, SALT, ARGON2)
    (data / "keys" / "passphrase.json").write_text(json.dumps(
        {"version": 1, "kind": "passphrase", "kdf": "argon2id",
         "salt": base64.b64encode(SALT).decode(), **ARGON2,
         "wrapped": wrap(kek, DATA_KEY, "passphrase", STORE, nonce(200))}, indent=2) + "\n")
    (data / "keys" / "recovery.json").write_text(json.dumps(
        {"version": 1, "kind": "recovery", "kdf": "hkdf-sha256",
         "wrapped": wrap(recovery_kek(RECOVERY_RAW, STORE), DATA_KEY, "recovery", STORE,
                         nonce(201))}, indent=2) + "\n")
    (root / "state" / "device.json").write_text(json.dumps(
        {"version": 1, "store": STORE.hex(), "device": DEVICE.hex()}, indent=2) + "\n")
    aead = AESGCM(derive(DATA_KEY, "record"))
    segment = SegmentHeader(STORE, DEVICE, 1, 1, bytes(16)).pack()
    prev = bytes(16)
    hashes = []
    for seq, doc in enumerate(EVENTS, start=1):
        plaintext = ev.encode(ev.parse_event(doc))
        record = seal(aead, plaintext, associated_data(STORE, DEVICE, 1, seq, prev), nonce(seq))
        prev = record_tag(record)
        hashes.append(prev.hex())
        segment += record
    (data / "log" / DEVICE.hex() / "00000001.seg").write_bytes(segment)
    recovery = base64.b32encode(RECOVERY_RAW).decode()
    return {"passphrase": PASSPHRASE, "data_key": DATA_KEY.hex(),
            "record_key": derive(DATA_KEY, "record").hex(),
            "recovery_key": "-".join(recovery[i:i + 4] for i in range(0, 32, 4)),
            "record_tages": hashes, "events": EVENTS}


def build_sync(root: Path, store: Path) -> dict[str, Any]:
    """The sync folder a device of the vector store `store` (built by `build`) publishes:
    the store's description and wrappings, records 1-2 as a first piece (from the segment's
    first byte), record 3 as a second."""
    from handful.store.format import HEADER_SIZE, LENGTH
    from handful.store.syncfolder import PieceHeader, piece_name

    mine = root / "handful" / "devices" / DEVICE.hex()
    mine.mkdir(parents=True)
    (mine / "store.json").write_bytes((store / "data" / "store.json").read_bytes())
    for name in ("passphrase.json", "recovery.json"):
        (mine / name).write_bytes((store / "data" / "keys" / name).read_bytes())
    segment = (store / "data" / "log" / DEVICE.hex() / "00000001.seg").read_bytes()
    ends, offset = [], HEADER_SIZE
    while offset < len(segment):
        offset += LENGTH.size + LENGTH.unpack_from(segment, offset)[0]
        ends.append(offset)
    pieces = []
    for start, end, first, last in ((0, ends[1], 1, 2), (ends[1], ends[2], 3, 3)):
        body = segment[start:end]
        header = PieceHeader(STORE, DEVICE, 1, start, first, last, len(body)).pack()
        (mine / piece_name(1, first, last)).write_bytes(header + body)
        pieces.append({"name": piece_name(1, first, last), "header": header.hex(),
                       "offset": start, "length": len(body)})
    return {"pieces": pieces}


if __name__ == "__main__":
    target = Path(sys.argv[1])
    expected = build(target)
    (target / "expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False)
                                          + "\n")
    if len(sys.argv) > 2:  # and the sync folder its device publishes
        sync = Path(sys.argv[2])
        (sync / "expected.json").parent.mkdir(parents=True, exist_ok=True)
        (sync / "expected.json").write_text(json.dumps(build_sync(sync, target), indent=2)
                                            + "\n")
