"""A checkpoint: the folded state and the log positions it covers, so an open verifies
every record but folds only those written since. A cache on this machine, never synced:
encrypted and authenticated like the log; when it does not match the log it is ignored.

state/checkpoint = b"HNDFCKPT" | version u16 | nonce (12) | AES-256-GCM(msgpack({
    "positions": {device hex: [sequence, tag]}, "state": the reducer's bytes}))
with associated data = the first 10 bytes | store id | device id.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from handful.store.files import Files

MAGIC = b"HNDFCKPT"
VERSION = 1
_PREFIX = MAGIC + struct.pack(">H", VERSION)


@dataclass
class Checkpoint:
    positions: dict[str, tuple[int, bytes]]  # device -> (sequence, tag) folded into state
    state: bytes

    @staticmethod
    def path(state_dir: Path) -> Path:
        return state_dir / "checkpoint"

    def save(self, state_dir: Path, files: Files, key: bytes, store: bytes, device: bytes
             ) -> None:
        body = msgspec.msgpack.encode({
            "positions": {name: [seq, tag] for name, (seq, tag) in self.positions.items()},
            "state": self.state})
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, body, _PREFIX + store + device)
        files.replace(self.path(state_dir), _PREFIX + nonce + sealed)

    @classmethod
    def load(cls, state_dir: Path, key: bytes, store: bytes, device: bytes) -> Checkpoint | None:
        """The checkpoint, or None when there is none or it does not verify."""
        try:
            blob = cls.path(state_dir).read_bytes()
        except OSError:
            return None
        if not blob.startswith(_PREFIX) or len(blob) < len(_PREFIX) + 28:
            return None
        nonce, sealed = blob[len(_PREFIX):len(_PREFIX) + 12], blob[len(_PREFIX) + 12:]
        try:
            doc: dict[str, Any] = msgspec.msgpack.decode(
                AESGCM(key).decrypt(nonce, sealed, _PREFIX + store + device))
            positions = {str(name): (int(seq), bytes(tag))
                         for name, (seq, tag) in doc["positions"].items()}
            return cls(positions, bytes(doc["state"]))
        except (InvalidTag, msgspec.DecodeError, KeyError, TypeError, ValueError):
            return None

