"""Devices of one user in this process, each with its own folders, syncing through real
files: what the sync tests and bench/sync.py drive."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from handful import syncing
from handful.ledger import Ledger, init_store
from handful.paths import Paths
from handful.store.sync import Pass

PASSPHRASE = "correct horse battery staple"


def group(n: int) -> dict[str, Any]:
    return {"platform": "linkedin", "id": str(1000 + n), "name": f"Group {n}", "url": None}


class Device:
    """One machine: its own data, state, config and runtime folders."""

    def __init__(self, root: Path, name: str) -> None:
        os.environ["HANDFUL_PASSPHRASE"] = PASSPHRASE
        base = root / name
        self.name = name
        self.paths = Paths(base / "data", base / "state", base / "config", base / "run", None)

    def create(self) -> Device:
        init_store(self.paths)
        return self

    def open(self) -> Ledger:
        return Ledger.open(self.paths, write=True)

    def enable(self, folder: Path) -> dict[str, Any]:
        return syncing.enable(self.paths, folder, self.name, lambda: None)

    def write(self, kind: str, n: int, **fields: Any) -> None:
        with self.open() as ledger:
            ledger.append(ledger.new(kind, group=group(n), **fields))

    def sync(self, *, publish: bool = True, grace: float = 0.0) -> Pass:
        with self.open() as ledger:
            state = syncing.load_state(ledger)
            return syncing.Syncer(ledger, state, grace=grace).run(publish=publish)

    def status(self, grace: float = 0.0) -> dict[str, Any]:
        with self.open() as ledger:
            state = syncing.load_state(ledger)
            syncer = syncing.Syncer(ledger, state, grace=grace)
            syncer.run(publish=False)
            return syncing.status(ledger, state, syncer.last)

    def memberships(self) -> dict[str, str]:
        with Ledger.open(self.paths) as ledger:
            return {key: g.membership[1] for key, g in ledger.state.groups.items()
                    if g.membership is not None}

    def event_ids(self) -> set[str]:
        with Ledger.open(self.paths) as ledger:
            return {str(e["id"]) for e in ledger.events()}

    @property
    def device(self) -> str:
        with Ledger.open(self.paths) as ledger:
            return ledger.device
