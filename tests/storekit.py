"""Helpers for tests that drive the store in this process."""

from __future__ import annotations

from pathlib import Path

from handful.domain.reducer import EventReducer
from handful.domain.state import State
from handful.ledger import Ledger, unlock
from handful.paths import Paths
from handful.store.files import Files
from handful.store.layout import DeviceIdentity, StoreMeta
from handful.store.log import EventLog


class Opener:
    """Opens a store with its data key unwrapped once (Argon2id is slow on purpose)."""

    def __init__(self, root: Path) -> None:
        self.paths = Paths.from_env({"HANDFUL_HOME": str(root)})
        meta = StoreMeta.load(self.paths)
        self.ident = DeviceIdentity.load(self.paths)
        self.key = unlock(self.paths, meta, self.ident)

    def log(self, *, write: bool = False, files: Files | None = None,
            max_segment: int = 8 << 20, parallel: bool = False, checkpoint: bool = True,
            checkpoint_after: int = 2000) -> EventLog[State]:
        return EventLog.open(self.paths, EventReducer(), self.key, ident=self.ident,
                             write=write, files=files, max_segment=max_segment,
                             parallel=parallel, lock_timeout=1.0, checkpoint=checkpoint,
                             checkpoint_after=checkpoint_after)

    def ledger(self, **kw: object) -> Ledger:
        return Ledger(self.log(**kw), self.ident)  # type: ignore[arg-type]

    def fill(self, count: int, note: str = "note", **kw: object) -> list[str]:
        """Append `count` engagement events in one writer session; their ids."""
        with self.ledger(write=True, **kw) as ledger:
            return [engagement(ledger, f"{note} {n}") for n in range(count)]

    @property
    def folder(self) -> Path:
        assert self.ident is not None
        return self.paths.data / "log" / self.ident.name

    def segments(self) -> list[Path]:
        return sorted(self.folder.glob("*.seg"))


def engagement(ledger: Ledger, note: str) -> str:
    event = ledger.new("engagement", group={"platform": "linkedin", "id": "42"}, kind="post",
                       note=note)
    assert ledger.append(event)
    return event.id
