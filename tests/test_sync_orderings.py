"""Three devices and a simulated sync tool: their files reach a fourth device in any order,
some first under a temp name, some cut short before they are whole; it merges whenever it
likes. Whatever the order, it ends with the same state, and merging again changes nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handful import syncing
from handful.domain.state import State
from handful.ledger import Ledger
from handful.store.syncfolder import ROOT
from tests.synckit import PASSPHRASE, Device, group

SMALL_SEGMENT = 900  # bytes: the devices' logs roll over, so whole segments travel too
STORE_ONLY = shutil.ignore_patterns("*.piece", "*.seg")  # what a new machine joins with


def published(view: Path, device: str) -> list[Path]:
    return sorted((view / ROOT / "devices" / device).iterdir())


def point_at(ledger: Ledger, folder: Path) -> None:
    state = syncing.load_state(ledger)
    state.folder = str(folder)
    syncing.save_state(ledger, state)


def figures(state: State, devices: dict[str, Path]) -> dict[str, Any]:
    today = 740_000
    return {"events": state.events, "score": state.score.as_dict(),
            "groups": {key: (g.membership[1] if g.membership else None,
                             g.figures(365_000, today)) for key, g in state.groups.items()},
            "names": {d: n for d, (_, n) in state.device_names.items() if d in devices}}


class World:
    """Three devices that wrote and published, each into its own copy of the folder."""

    def __init__(self, root: Path) -> None:
        os.environ["HANDFUL_PASSPHRASE"] = PASSPHRASE
        self.root = root
        self.views: dict[str, Path] = {}
        self.devices: list[Device] = []
        first = Device(root, "laptop").create()
        seed = root / "seed"
        seed.mkdir()
        first.enable(seed)
        self.seed = seed / ROOT
        shared = None
        for index, name in enumerate(["laptop", "desktop", "phone"]):
            device = first if index == 0 else Device(root, name)
            view = root / f"view-{name}"
            shutil.copytree(self.seed, view / ROOT, ignore=STORE_ONLY)
            if index:
                device.enable(view)
            with Ledger.open(device.paths, write=True, max_segment=SMALL_SEGMENT) as ledger:
                point_at(ledger, view)
                syncer = syncing.Syncer(ledger, syncing.load_state(ledger))
                for n in range(6):
                    ledger.append(ledger.new("joined", group=group(index * 10 + n)))
                    if n % 2:
                        syncer.run(publish=True)
                ledger.append(ledger.new("left", group=group(index * 10)))
                if shared is None:
                    shared = ledger.new("engagement", group=group(1), kind="post")
                ledger.append(shared)  # one id on all three: counted once
                syncer.run(publish=True)
                self.views[ledger.device] = view
            self.devices.append(device)
        self.files = [(dev, path) for dev, view in self.views.items()
                      for path in published(view, dev) if path.suffix in (".piece", ".seg")]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_order_of_arrival_gives_the_same_state(tmp_path_factory: Any, data: Any) -> None:
    global _world, _reference
    if _world is None:
        _world = World(tmp_path_factory.mktemp("world"))
    world = _world
    kinds = {path.name.rsplit(".", 1)[1] for _dev, path in world.files}
    assert kinds == {"seg", "piece"}  # both kinds of file travel
    order = data.draw(st.permutations(range(len(world.files))))
    modes = data.draw(st.lists(st.sampled_from(["whole", "temp", "cut"]),
                               min_size=len(order), max_size=len(order)))
    merges = data.draw(st.lists(st.booleans(), min_size=len(order), max_size=len(order)))

    root = Path(tmp_path_factory.mktemp("receiver"))
    view = root / "view"
    shutil.copytree(world.seed, view / ROOT, ignore=STORE_ONLY)
    receiver = Device(root, "tablet")
    receiver.enable(view)
    with receiver.open() as ledger:
        syncer = syncing.Syncer(ledger, syncing.load_state(ledger), grace=3600)
        for step, index in enumerate(order):
            device, source = world.files[index]
            target = view / ROOT / "devices" / device / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            content = source.read_bytes()
            if modes[step] == "temp":  # Syncthing: a temp name first, then the rename
                temp = target.with_name(f".syncthing.{target.name}.tmp")
                temp.write_bytes(content[: len(content) // 2])
                syncer.run(publish=False)
                temp.write_bytes(content)
                temp.rename(target)
            elif modes[step] == "cut":  # written in place: seen before it is whole
                target.write_bytes(content[: max(1, len(content) - 40)])
                syncer.run(publish=False)
                target.write_bytes(content)
            else:
                target.write_bytes(content)
            if merges[step]:
                syncer.run(publish=False)
        syncer.run(publish=False)
        end = figures(ledger.state, world.views)
        again = syncer.run(publish=False)
        assert again.merged == {} and again.adopted == 0
        assert [p for p in again.problems if p.kind != "stray"] == []
        assert figures(ledger.state, world.views) == end
        ids = [e["id"] for e in ledger.events()]
    assert len(ids) == len(set(ids)) + 2  # the shared event is held by three devices...
    assert end["events"] == len(set(ids))  # ...and counted once
    if _reference is None:
        _reference = end
    assert end == _reference


_world: World | None = None
_reference: dict[str, Any] | None = None
