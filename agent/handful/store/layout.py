"""What lives where in a store, and the small metadata files beside the log.

data/store.json            the store's id and format (not secret)
data/keys/*.json           the data key, wrapped (see keys.py)
data/log/<device>/*.seg    each device's append-only segments (see format.py)
state/device.json          this machine's device id (never synced)
state/head.json            the last record this machine wrote, MAC'd: detects a rollback
state/writer.lock          one writer at a time
"""

from __future__ import annotations

import hmac
import json
import os
import re
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any

from handful.errors import IntegrityError, NotInitialised
from handful.paths import Paths
from handful.store.files import Files

HEAD_SERVICE = "handful-head"  # the keyring entry holding a copy of each device's head

STORE_FORMAT = "handful-store"
SEGMENT_NAME = re.compile(r"^(\d{8})\.seg$")
DEVICE_NAME = re.compile(r"^[0-9a-f]{32}$")


def segment_name(number: int) -> str:
    return f"{number:08d}.seg"


def _load_json(path: Path, what: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise IntegrityError(f"{path}: {what} cannot be read ({error})", path=str(path)) from None
    if not isinstance(doc, dict):
        raise IntegrityError(f"{path}: {what} is not a JSON object", path=str(path))
    return doc


@dataclass(frozen=True)
class StoreMeta:
    store: bytes
    created: str

    @staticmethod
    def path(paths: Paths) -> Path:
        return paths.data / "store.json"

    @classmethod
    def load(cls, paths: Paths) -> StoreMeta:
        path = cls.path(paths)
        doc = _load_json(path, "the store description")
        if doc is None:
            raise NotInitialised(f"no Handful store in {paths.data}; run `handful init` first")
        try:
            if doc["format"] != STORE_FORMAT or doc["version"] != 1:
                raise ValueError
            store = bytes.fromhex(doc["store"])
            if len(store) != 16:
                raise ValueError
            return cls(store, str(doc["created"]))
        except (KeyError, ValueError, TypeError):
            raise IntegrityError(f"{path}: not a store description this version reads",
                                 path=str(path)) from None

    def save(self, paths: Paths, files: Files) -> None:
        doc = {"format": STORE_FORMAT, "version": 1, "store": self.store.hex(),
               "created": self.created}
        files.replace(self.path(paths), json.dumps(doc, indent=2).encode() + b"\n")


@dataclass(frozen=True)
class DeviceIdentity:
    store: bytes
    device: bytes

    @property
    def name(self) -> str:
        return self.device.hex()

    @staticmethod
    def path(paths: Paths) -> Path:
        return paths.state / "device.json"

    @classmethod
    def load(cls, paths: Paths) -> DeviceIdentity | None:
        doc = _load_json(cls.path(paths), "this machine's device id")
        if doc is None:
            return None
        try:
            return cls(bytes.fromhex(doc["store"]), bytes.fromhex(doc["device"]))
        except (KeyError, ValueError, TypeError):
            raise IntegrityError(f"{cls.path(paths)}: damaged device id",
                                 path=str(cls.path(paths))) from None

    @classmethod
    def new(cls, store: bytes) -> DeviceIdentity:
        return cls(store, os.urandom(16))

    def save(self, paths: Paths, files: Files) -> None:
        doc = {"version": 1, "store": self.store.hex(), "device": self.device.hex()}
        files.replace(self.path(paths), json.dumps(doc, indent=2).encode() + b"\n")


@dataclass(frozen=True)
class Head:
    """The last record this machine made durable, kept outside the log it describes."""

    segment: int
    seq: int
    tag: bytes

    @staticmethod
    def path(paths: Paths) -> Path:
        return paths.state / "head.json"

    def _mac(self, key: bytes, ident: DeviceIdentity) -> str:
        text = f"{ident.store.hex()}|{ident.name}|{self.segment}|{self.seq}|{self.tag.hex()}"
        return hmac.new(key, text.encode(), sha256).hexdigest()

    def _doc(self, key: bytes, ident: DeviceIdentity) -> dict[str, Any]:
        return {"version": 1, "store": ident.store.hex(), "device": ident.name,
                "segment": self.segment, "seq": self.seq, "tag": self.tag.hex(),
                "mac": self._mac(key, ident)}

    def save(self, paths: Paths, files: Files, key: bytes, ident: DeviceIdentity) -> None:
        files.replace(self.path(paths), json.dumps(self._doc(key, ident)).encode() + b"\n")

    def save_copy(self, keyring: Any, key: bytes, ident: DeviceIdentity) -> bool:
        """A copy in the OS keyring (`keyring`: the module, already checked usable), which
        deleting or restoring the state folder does not reach. False if it was refused."""
        try:
            keyring.set_password(HEAD_SERVICE, f"{ident.store.hex()}:{ident.name}",
                                 json.dumps(self._doc(key, ident)))
        except Exception:  # keyring backends raise many kinds; all mean "not kept"
            return False
        return True

    @classmethod
    def load_copy(cls, keyring: Any, key: bytes, ident: DeviceIdentity) -> Head | None:
        try:
            text = keyring.get_password(HEAD_SERVICE, f"{ident.store.hex()}:{ident.name}")
            doc = json.loads(text) if text else None
        except Exception:  # no keyring after all, or not JSON: no copy to go by
            return None
        return None if doc is None else cls._verified(doc, key, ident, "the keyring's copy "
                                                      "of the remembered head")

    @classmethod
    def load(cls, paths: Paths, key: bytes, ident: DeviceIdentity) -> Head | None:
        path = cls.path(paths)
        doc = _load_json(path, "the remembered head")
        if doc is None:
            return None
        return cls._verified(doc, key, ident, str(path))

    @classmethod
    def _verified(cls, doc: dict[str, Any], key: bytes, ident: DeviceIdentity, where: str
                  ) -> Head:
        try:
            head = cls(int(doc["segment"]), int(doc["seq"]), bytes.fromhex(doc["tag"]))
            same = doc["store"] == ident.store.hex() and doc["device"] == ident.name
            good = same and hmac.compare_digest(str(doc["mac"]), head._mac(key, ident))
        except (KeyError, ValueError, TypeError):
            good = False
        if not good:
            raise IntegrityError(f"{where}: the remembered head does not verify (altered, or "
                                 "from another store)", path=where)
        return head
