"""What this machine remembers of sync, in `state/sync` (never synced): the folder, this
device's name, the peer files that never verified, what has been noticed and since when, when
each peer last brought something. Encrypted and authenticated like the checkpoint, under a
key of its own; a file that does not verify is refused, never taken as "sync off".

state/sync = b"HNDFSYNC" | version u16 | nonce (12) | AES-256-GCM(msgpack(doc))
with associated data = the first 10 bytes | store id | device id.

The last head of every peer is the local copy of its log (`data/log/<peer>/`), whose every
record is authenticated and chained: a peer's chain in the folder that ends before it is a
rollback, one that leaves it is a fork.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from handful.errors import IntegrityError
from handful.store.files import Files

MAGIC = b"HNDFSYNC"
VERSION = 1
_PREFIX = MAGIC + struct.pack(">H", VERSION)


@dataclass
class SyncState:
    folder: str | None = None
    name: str | None = None
    # device -> file name -> [size, mtime_ns, why]: peer files that never verified
    bad: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    # a problem's key -> when (epoch s) it was first noticed: reported once it lasts
    noticed: dict[str, float] = field(default_factory=dict)
    # device -> when (epoch s) it last brought new records
    last_seen: dict[str, float] = field(default_factory=dict)
    # device -> what was found: a second chain under its id, or a rolled-back chain
    forks: dict[str, str] = field(default_factory=dict)
    # the ids this install wrote under before it found one used elsewhere
    retired: list[str] = field(default_factory=list)

    @staticmethod
    def path(state_dir: Path) -> Path:
        return state_dir / "sync"

    def _doc(self) -> dict[str, Any]:
        return {"folder": self.folder, "name": self.name, "bad": self.bad,
                "noticed": self.noticed, "last_seen": self.last_seen, "forks": self.forks,
                "retired": self.retired}

    def save(self, state_dir: Path, files: Files, key: bytes, store: bytes, device: bytes
             ) -> None:
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, msgspec.msgpack.encode(self._doc()),
                                     _PREFIX + store + device)
        files.replace(self.path(state_dir), _PREFIX + nonce + sealed)

    @classmethod
    def load(cls, state_dir: Path, key: bytes, store: bytes, device: bytes) -> SyncState:
        path = cls.path(state_dir)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return cls()
        except OSError as error:
            raise IntegrityError(f"{path}: cannot be read ({error.strerror})",
                                 path=str(path)) from None
        try:
            if not blob.startswith(_PREFIX):
                raise ValueError
            nonce, sealed = blob[len(_PREFIX):len(_PREFIX) + 12], blob[len(_PREFIX) + 12:]
            doc = msgspec.msgpack.decode(AESGCM(key).decrypt(nonce, sealed,
                                                             _PREFIX + store + device))
            return cls(doc["folder"], doc["name"], dict(doc["bad"]), dict(doc["noticed"]),
                       dict(doc["last_seen"]), dict(doc["forks"]), list(doc["retired"]))
        except (InvalidTag, ValueError, KeyError, TypeError, msgspec.DecodeError):
            raise IntegrityError(f"{path}: this machine's sync settings do not verify "
                                 "(altered, or from another store); remove the file and run "
                                 "`handful sync enable DIR` again", path=str(path)) from None
