"""The ledger: the domain's events kept in the encrypted store.

The one place that joins the store (bytes, keys, files) to the domain (events, state).
"""

from __future__ import annotations

import contextlib
import heapq
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import msgspec

from handful import clock
from handful.domain import events as ev
from handful.domain.reducer import EventReducer
from handful.domain.state import State
from handful.errors import HandfulError, KeyUnavailable, NotInitialised, UsageError
from handful.paths import Paths, private_dir
from handful.store.files import Files
from handful.store.keys import KeyFiles, QueueKeys, forget_keyring_entries, keyring_backend
from handful.store.layout import DeviceIdentity, StoreMeta
from handful.store.log import DEFAULT_SEGMENT_BYTES, EventLog, list_devices

if TYPE_CHECKING:
    from handful.store.appender import AsyncAppender

_plain = msgspec.json.Decoder()


def _passphrase() -> str | None:
    value = os.environ.get("HANDFUL_PASSPHRASE")
    return value if value else None


def unlock(paths: Paths, meta: StoreMeta, ident: DeviceIdentity | None) -> bytes:
    keys = KeyFiles(paths.data / "keys", meta.store, Files())
    passphrase = _passphrase()
    if passphrase and keys.has_passphrase():
        return keys.open_with_passphrase(passphrase)
    if ident is not None and keys.has_keyring(ident.name):
        return keys.open_with_keyring(ident.name)
    if keys.has_passphrase():
        raise KeyUnavailable("this store is protected by a passphrase: set HANDFUL_PASSPHRASE",
                             reason="no_passphrase")
    raise KeyUnavailable("no key for this machine: run `handful init --recover` with the "
                         "recovery key shown when the store was created")


def _identity(paths: Paths, meta: StoreMeta) -> DeviceIdentity | None:
    ident = DeviceIdentity.load(paths)
    if ident is not None and ident.store != meta.store:
        return None  # state from another store: this machine has not joined this one
    return ident


def save_export(target: Path, write: Callable[[BinaryIO], None]) -> None:
    """An export written whole or not at all, as `write` produces it (a temp file of mode
    0600, flushed, then renamed: the store's own rules for a file that must never be found
    half written), however large: nothing of it is held in memory."""
    files = Files()

    def produce(fd: int) -> None:
        with os.fdopen(os.dup(fd), "wb", buffering=1 << 16) as out:
            write(out)

    files.replace_with(target.absolute(), produce)


def forget_keys(paths: Paths) -> int:
    """`uninstall --purge`: delete from the OS keyring the secrets this store's key
    wrappings name (the data goes, so must its key). How many were deleted."""
    return forget_keyring_entries(paths.data / "keys")


def check_key(paths: Paths) -> None:
    """Raise a HandfulError unless this machine can unlock the store (nothing else read)."""
    meta = StoreMeta.load(paths)
    unlock(paths, meta, _identity(paths, meta))


class Ledger:
    """An open log with its folded state; `write=True` holds the writer lock."""

    def __init__(self, log: EventLog[State], ident: DeviceIdentity | None,
                 queue_keys: QueueKeys | None = None) -> None:
        self.log = log
        self.ident = ident
        # this device's key pair for the browser's sealed queue (api/service.py unseals)
        self.queue_keys = queue_keys
        self._appender: AsyncAppender | None = None

    @classmethod
    def open(cls, paths: Paths | None = None, *, write: bool = False, files: Files | None = None,
             max_segment: int = DEFAULT_SEGMENT_BYTES, parallel: bool | None = None,
             lock_timeout: float = 5.0, checkpoint: bool = True) -> Ledger:
        paths = paths or Paths.from_env()
        meta = StoreMeta.load(paths)
        ident = _identity(paths, meta)
        if write and ident is None:
            raise NotInitialised("this machine has not joined the store: run `handful init` "
                                 "(or `handful init --recover`)")
        key = unlock(paths, meta, ident)
        log = EventLog.open(paths, EventReducer(), key, ident=ident, write=write, files=files,
                            max_segment=max_segment, parallel=parallel,
                            lock_timeout=lock_timeout, checkpoint=checkpoint)
        return cls(log, ident, QueueKeys(paths.state, meta.store, key, files or Files())
                   if write else None)

    def close(self) -> None:
        self.log.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def state(self) -> State:
        return self.log.state

    @contextlib.contextmanager
    def reading(self) -> Iterator[State]:
        """The folded state, held still while it is read: appends fold under the same lock
        (the agent serves reads while its commit thread writes)."""
        with self.log.state_lock:
            yield self.log.state

    @property
    def notes(self) -> list[str]:
        """What opening the log repaired or warned about, each a sentence for the user."""
        return self.log.repairs + self.warnings

    @property
    def warnings(self) -> list[str]:
        beyond = self.log.state.beyond
        far = [f"{beyond} events carry a time after 2099 (a wrong clock?) and are kept but "
               "not counted"] if beyond else []
        return self.log.warnings + far

    def verification(self) -> tuple[list[dict[str, Any]], list[str]]:
        """Per device: its segments, records and any unfinished final record; and the
        warnings of the open (everything was verified by opening the log)."""
        devices = [{"device": d.name, "segments": len(d.scans),
                    "records": sum(s.records for s in d.scans),
                    "unfinished_tail_bytes": d.last.torn if d.last else 0}
                   for d in self.log.devices]
        return devices, self.warnings

    def verify_disk(self) -> tuple[list[dict[str, Any]], list[str]]:
        """`verification` of the log as it is on disk now, read again from the first segment
        with this open log's key (the agent's answer to `handful verify`): what the folded
        state in memory says is not taken on trust. One process (no fork beside the
        agent's threads)."""
        log = self.log.read_again(EventReducer())
        try:
            return Ledger(log, self.ident).verification()
        finally:
            log.close()

    async def append_async(self, event: ev.Event) -> bool:
        """`append` for asyncio callers: concurrent appends share one write and one flush."""
        if self._appender is None:
            from handful.store.appender import AsyncAppender  # (asyncio: the agent's only)

            self._appender = AsyncAppender(self.log)
        return await self._appender.append(event.id, ev.encode(event))

    async def close_async(self) -> None:
        """Finish the appends under way (the log itself is closed by `close`)."""
        if self._appender is not None:
            await self._appender.close()

    def move_to_new_device(self) -> str:
        """This install takes a new device id (its old one is used by another install: a
        cloned home, a restored backup), keeping its way to unlock the store. The new id."""
        log = self.log
        assert self.ident is not None
        keys = KeyFiles(log.paths.data / "keys", log.meta.store, log.files)
        ident = DeviceIdentity.new(log.meta.store)
        if keys.has_keyring(self.ident.name):
            keys.add_keyring(log.data_key, ident.name)
        log.move_to(ident)
        self.ident = ident
        return ident.name

    @property
    def device(self) -> str:
        if self.ident is None:
            raise NotInitialised("this machine has not joined the store: run `handful init`")
        return self.ident.name

    def new(self, type_name: str, **fields: Any) -> ev.Event:
        return ev.make(type_name, device=self.device, ts=clock.now_iso(), **fields)

    def append(self, event: ev.Event) -> bool:
        """Store one validated event durably; False if its id was already stored."""
        return self.log.append(event.id, ev.encode(event))

    def append_many(self, events: list[ev.Event]) -> list[bool]:
        return self.log.append_many([(e.id, ev.encode(e)) for e in events])

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event as a dict: each device in the order it wrote, devices merged by time."""
        streams = [(_plain.decode(plaintext) for _seq, plaintext in self.log.records(dev))
                   for dev in list_devices(self.log.paths.data / "log")]
        return heapq.merge(*streams, key=lambda e: str(e.get("ts", "")))


# -- creating and joining a store --------------------------------------------------------

@dataclass
class InitResult:
    created: bool
    store: str
    device: str
    method: str
    recovery_key: str | None = None
    recovered: bool = False


def _add_unlock(keys: KeyFiles, data_key: bytes, ident: DeviceIdentity) -> str:
    passphrase = _passphrase()
    if passphrase:
        keys.add_passphrase(data_key, passphrase)
        return "passphrase"
    keyring_backend()  # refuses a missing or plaintext keyring with a clear way out
    keys.add_keyring(data_key, ident.name)
    return "keyring"


def init_store(paths: Paths, *, recovery_key: str | None = None,
               files: Files | None = None) -> InitResult:
    files = files or Files()
    if "HANDFUL_PASSPHRASE" in os.environ and not os.environ["HANDFUL_PASSPHRASE"]:
        raise UsageError("HANDFUL_PASSPHRASE is set but empty; give it a passphrase or unset it")
    if StoreMeta.path(paths).exists():
        return _init_existing(paths, files, recovery_key)
    if recovery_key is not None:
        raise NotInitialised(f"no Handful store in {paths.data} to recover: copy the data "
                             "folder from the old machine (or its backup) there first")
    log_dir = paths.data / "log"
    if log_dir.is_dir() and any(log_dir.iterdir()):
        raise HandfulError(f"{log_dir} holds a log but {StoreMeta.path(paths)} is missing; "
                           "refusing to start a new store on top of it")
    private_dir(paths.data)
    private_dir(paths.state)
    store, data_key = os.urandom(16), os.urandom(32)
    ident = DeviceIdentity.new(store)
    keys_dir = paths.data / "keys"
    if keys_dir.is_dir():  # left by an init that stopped before store.json: never used
        for leftover in keys_dir.glob("*.json"):
            leftover.unlink()
    keys = KeyFiles(keys_dir, store, files)
    method = _add_unlock(keys, data_key, ident)
    recovery = keys.add_recovery(data_key)
    ident.save(paths, files)
    meta = StoreMeta(store, clock.now_iso())
    meta.save(paths, files)  # last: its presence means the store is complete
    EventLog.open(paths, EventReducer(), data_key, ident=ident, write=True, files=files).close()
    return InitResult(True, store.hex(), ident.name, method, recovery)


def _init_existing(paths: Paths, files: Files, recovery_key: str | None) -> InitResult:
    meta = StoreMeta.load(paths)
    ident = _identity(paths, meta)
    keys = KeyFiles(paths.data / "keys", meta.store, files)
    if recovery_key is not None:
        data_key = keys.open_with_recovery(recovery_key)
        ident = ident or DeviceIdentity.new(meta.store)
        private_dir(paths.state)
        method = _add_unlock(keys, data_key, ident)
        ident.save(paths, files)
        return InitResult(False, meta.store.hex(), ident.name, method, recovered=True)
    if ident is None:
        # A copied store: a passphrase this machine knows lets it join as a new device.
        data_key = unlock(paths, meta, None)
        ident = DeviceIdentity.new(meta.store)
        private_dir(paths.state)
        ident.save(paths, files)
    else:
        unlock(paths, meta, ident)
    method = "passphrase" if _passphrase() and keys.has_passphrase() else "keyring"
    return InitResult(False, meta.store.hex(), ident.name, method)
