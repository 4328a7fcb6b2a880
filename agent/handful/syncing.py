"""Sync between the user's devices through a folder their own sync tool carries: turned on
and off, a store joined from the folder, a pass (publish, then merge), and what it shows.

The bytes and the names are the store's (store/sync.py, store/syncfolder.py); this module
ties them to the ledger, this machine's settings (store/syncstate.py) and the domain (each
device's name, its events).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handful.errors import HandfulError, NotInitialised, UsageError
from handful.ledger import Ledger, init_store
from handful.paths import Paths, private_dir
from handful.store.files import Files
from handful.store.layout import DEVICE_NAME, StoreMeta
from handful.store.sync import ARRIVING_GRACE, FolderSync, Pass, Problem
from handful.store.syncfolder import DEVICES, PUBLISHED_KEYS, ROOT
from handful.store.syncstate import SyncState

MAX_NAME = 64


class SyncRefused(HandfulError):
    """The folder cannot be synced with as it is: nothing was changed."""

    exit_code = 1
    reason = "sync"


def _published_stores(folder: Path) -> dict[bytes, list[Path]]:
    """The stores whose devices publish in DIR: each store id, and the device folders that
    carry its description (store.json) and wrappings, in a fixed order."""
    stores: dict[bytes, list[Path]] = {}
    devices = folder / ROOT / DEVICES
    if not devices.is_dir():
        return stores
    for device in sorted(devices.iterdir()):
        path = device / "store.json"
        if not DEVICE_NAME.match(device.name) or device.is_symlink() or not path.is_file():
            continue
        try:
            store = bytes.fromhex(json.loads(path.read_text())["store"])
        except (OSError, ValueError, KeyError, TypeError):
            raise SyncRefused(f"{path}: not a Handful store description this version reads"
                              ) from None
        stores.setdefault(store, []).append(device)
    return stores


def _folder_store(folder: Path) -> tuple[bytes, list[Path]] | None:
    """The one store whose devices publish in DIR (None: no device has published yet)."""
    stores = _published_stores(folder)
    if len(stores) > 1:
        named = ", ".join(sorted(s.hex()[:8] for s in stores))
        raise SyncRefused(f"{folder / ROOT / DEVICES} holds devices of {len(stores)} stores "
                          f"({named}): choose a folder that carries one")
    return next(iter(stores.items()), None)


def _check_folder(folder: Path) -> Path:
    folder = folder.expanduser().absolute()
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder: give the folder your sync tool carries")
    return folder


def join_from_folder(paths: Paths, devices: list[Path],
                     recovery_key: Callable[[], str | None]) -> str:
    """This machine has no store: copy a device's published description and key wrappings
    into the data folder, unlock them (HANDFUL_PASSPHRASE, else the recovery key) and join
    as a new device. The device id."""
    passphrase = bool(os.environ.get("HANDFUL_PASSPHRASE"))
    wanted = "passphrase.json" if passphrase else "recovery.json"
    # a device that published the wrapping this machine can use (passphrase mode: one with a
    # passphrase wrapping, else any that has the recovery key's)
    source = next((d for d in devices if (d / wanted).is_file()), devices[0])
    files = Files()
    private_dir(paths.data / "keys")
    for name in PUBLISHED_KEYS:
        published = source / name
        if published.is_file():
            files.replace(paths.data / "keys" / name, published.read_bytes())
    passphrase = passphrase and (paths.data / "keys" / "passphrase.json").exists()
    key = None if passphrase else recovery_key()
    try:
        files.replace(StoreMeta.path(paths), (source / "store.json").read_bytes())
        result = init_store(paths, recovery_key=key, files=files)
    except BaseException:
        # nothing half-joined: the copies go, so the next try starts as this one did
        for leftover in [StoreMeta.path(paths)] + [paths.data / "keys" / n for n in
                                                   PUBLISHED_KEYS]:
            leftover.unlink(missing_ok=True)
        raise
    return result.device


def prepare(paths: Paths, folder: Path, name: str | None,
            recovery_key: Callable[[], str | None]) -> tuple[Path, str | None]:
    """What `handful sync enable DIR` checks before anything is written: the folder, the
    name, the stores on both sides; joins the folder's store when this machine has none."""
    folder = _check_folder(folder)
    if name is not None:
        name = name.strip()
        if not 0 < len(name) <= MAX_NAME or not name.isprintable():
            raise UsageError(f"--name: 1 to {MAX_NAME} printable characters")
    found = _folder_store(folder)
    devices = folder / ROOT / DEVICES
    if found is None and devices.is_dir() and any(DEVICE_NAME.match(d.name)
                                                  for d in devices.iterdir()):
        raise SyncRefused(f"{devices} holds devices' logs but no store.json: it may still be "
                          "arriving; try again once your sync tool has finished")
    if StoreMeta.path(paths).exists():
        mine = StoreMeta.load(paths).store
        if found is not None and found[0] != mine:
            theirs = found[0]
            raise SyncRefused(
                f"{folder} holds another Handful store ({theirs.hex()[:8]}; this machine's is "
                f"{mine.hex()[:8]}): two stores cannot be merged. Choose another folder; or, "
                "to make this machine a device of that store, export this one (`handful "
                "export -o FILE`), move its data folder aside and run `handful sync enable` "
                "again")
    elif found is None:
        raise NotInitialised(f"no store on this machine and none in {folder}: run `handful "
                             "init` on one machine first and `handful sync enable` there")
    else:
        join_from_folder(paths, found[1], recovery_key)
    return folder, name


def turn_on(ledger: Ledger, folder: Path, name: str | None) -> Syncer:
    """Remember the folder (and this device's name, as an event every device reads), then
    run a first pass."""
    state = load_state(ledger)
    state.folder = str(folder)
    if name is not None:
        state.name = name
        if ledger.state.device_names.get(ledger.device, (None, None))[1] != name:
            ledger.append(ledger.new("device_named", name=name))
    save_state(ledger, state)
    syncer = Syncer(ledger, state)
    syncer.run()
    return syncer


def enable(paths: Paths, folder: Path, name: str | None,
           recovery_key: Callable[[], str | None]) -> dict[str, Any]:
    """`handful sync enable DIR` with no agent running. The status."""
    folder, name = prepare(paths, folder, name, recovery_key)
    with Ledger.open(paths, write=True) as ledger:
        syncer = turn_on(ledger, folder, name)
        return status(ledger, syncer.state, syncer.last)


def disable(paths: Paths) -> dict[str, Any]:
    """Forget the folder (nothing in it or in the store is removed)."""
    with Ledger.open(paths, write=True) as ledger:
        state = load_state(ledger)
        state.folder = None
        save_state(ledger, state)
        return status(ledger, state)


def devices_folder(state: SyncState) -> Path:
    """The folder in DIR that holds each device's own (what the agent watches)."""
    return Path(str(state.folder)) / ROOT / DEVICES


def load_state(ledger: Ledger) -> SyncState:
    log = ledger.log
    return SyncState.load(log.paths.state, log.subkey("sync state"), log.meta.store,
                          log.ident_bytes)


def save_state(ledger: Ledger, state: SyncState) -> None:
    log = ledger.log
    state.save(log.paths.state, log.files, log.subkey("sync state"), log.meta.store,
               log.ident_bytes)


class Syncer:
    """One device's sync, kept between passes (the agent's; the command makes one a pass)."""

    def __init__(self, ledger: Ledger, state: SyncState, grace: float = ARRIVING_GRACE
                 ) -> None:
        if state.folder is None:
            raise UsageError("sync is off: run `handful sync enable DIR`")
        self.ledger = ledger
        self.state = state
        self.engine = FolderSync(ledger.log, Path(state.folder), state, grace=grace,
                                 label=self.label)
        self.last: Pass = Pass()

    def label(self, device: str) -> str:
        """A device as the user knows it: the name it was given (`--name`), with its id."""
        named = self.ledger.state.device_names.get(device)
        return f"{named[1]} ({device[:8]})" if named else f"device {device[:8]}"

    def run(self, only: set[str] | None = None, publish: bool = True) -> Pass:
        done = Pass()
        folder = Path(str(self.state.folder))
        if not folder.is_dir():
            done.problems.append(Problem("folder", None, f"{folder} is gone (unmounted, "
                                         "moved or deleted): nothing is published or merged "
                                         "until it is back; nothing is lost"))
        else:
            if publish:
                try:
                    done.published = self.engine.publish()
                except OSError as error:
                    done.problems.append(Problem("folder", None, f"{folder}: cannot be "
                                                 f"written ({error.strerror or error}); this "
                                                 "device's events stay here until it can"))
            merged = self.engine.merge(only)
            done.merged, done.adopted = merged.merged, merged.adopted
            done.problems += merged.problems
            if any(p.kind == "id_taken" for p in merged.problems):
                self._move(done)
        self.last = done if only is None else _combine(self.last, done, only)
        save_state(self.ledger, self.state)
        return done


    def _move(self, done: Pass) -> None:
        """Another install writes under this device's id: this one moves to a new id (its
        events so far stay under the old one, which its peers hold too) and publishes under
        it from now on."""
        old = self.ledger.device
        self.state.retired.append(old)
        new = self.ledger.move_to_new_device()
        if self.state.name:
            self.ledger.append(self.ledger.new("device_named", name=self.state.name))
        self.engine = FolderSync(self.ledger.log, Path(str(self.state.folder)), self.state,
                                 grace=self.engine.grace, label=self.label)
        done.problems.append(Problem("id_taken", None, f"this device's id {old[:8]} is used by "
                                     f"another install; this one writes as {new[:8]} from now "
                                     "on (nothing is lost)"))
        done.published += self.engine.publish()


def _combine(before: Pass, now: Pass, only: set[str]) -> Pass:
    kept = [p for p in before.problems if p.device is not None and p.device not in only]
    return Pass(now.published, now.merged, now.adopted, kept + now.problems)


def run_pass(ledger: Ledger, state: SyncState) -> Pass:
    return Syncer(ledger, state).run()


def summary(ledger: Ledger, state: SyncState | None, last: Pass | None) -> dict[str, Any]:
    """What `status` carries of sync (the popup, the tray, `handful status`): on or off, the
    devices merged here, the last pass's problems (none known without the agent)."""
    if state is None or state.folder is None:
        return {"enabled": False, "devices": 0, "problems": []}
    problems = [p.detail for p in (last.problems if last else []) if p.kind != "stray"]
    return {"enabled": True, "devices": len(ledger.log.devices), "problems": problems}


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def status(ledger: Ledger, state: SyncState, last: Pass | None = None) -> dict[str, Any]:
    """`sync status --json` (docs/cli.md)."""
    names = {device: named[1] for device, named in ledger.state.device_names.items()}
    problems = last.problems if last is not None else []
    devices = []
    for dev in ledger.log.devices:
        records = dev.last.last_seq if dev.last is not None else 0
        mine = dev.name == ledger.device
        devices.append({
            "device": dev.name, "name": names.get(dev.name), "this": mine,
            "events": ledger.log.writer_position()[2] if mine else records,
            "last_seen": None if mine else _iso(state.last_seen.get(dev.name)),
            "problems": [p.detail for p in problems if p.device == dev.name]})
    known = {d["device"] for d in devices}
    for device in sorted({p.device for p in problems if p.device and p.device not in known}):
        devices.append({"device": device, "name": names.get(device), "this": False,
                        "events": 0, "last_seen": None,
                        "problems": [p.detail for p in problems if p.device == device]})
    return {"enabled": state.folder is not None, "folder": state.folder,
            "device": ledger.device, "devices": devices,
            "problems": [p.detail for p in problems if p.device is None]}
