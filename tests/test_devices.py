"""Other devices' logs in one data folder (what sync will bring): verified by any process
without the writer lock while the agent writes, and folded in incrementally, reading only
what each device wrote since."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from handful.client import AgentClient
from handful.domain.reducer import EventReducer
from handful.domain.state import State
from handful.errors import HandfulError, IntegrityError
from handful.paths import Paths
from handful.store import segment
from handful.store.files import Files
from handful.store.format import HEADER_SIZE
from handful.store.keys import derive
from handful.store.layout import DeviceIdentity
from handful.store.log import EventLog
from handful.store.scan import verify_device
from tests.conftest import Home
from tests.storekit import Opener

GROUP = {"platform": "linkedin", "id": "4242", "name": "Deep Things", "url": None}


def post(event_id: str, day: int = 20) -> tuple[str, bytes]:
    event = {"id": event_id, "type": "engagement", "ts": f"2026-11-{day:02d}T10:00:00.000Z",
             "device": "desk", "group": GROUP, "kind": "post"}
    return event_id, json.dumps(event).encode()


class Device:
    """Another machine of the same user, writing its own log into the same data folder."""

    def __init__(self, opener: Opener, root: Path, name: str) -> None:
        self.paths = Paths(opener.paths.data, root / f"{name}-state", root / f"{name}-config",
                           root / f"{name}-run")
        self.paths.state.mkdir()
        assert opener.ident is not None
        self.ident = DeviceIdentity.new(opener.ident.store)
        self.ident.save(self.paths, Files())
        self.key = opener.key
        self.folder = opener.paths.data / "log" / self.ident.name

    def write(self, *items: tuple[str, bytes], max_segment: int = 8 << 20) -> None:
        with EventLog.open(self.paths, EventReducer(), self.key, ident=self.ident, write=True,
                           max_segment=max_segment) as log:
            for event_id, plaintext in items:  # one commit each (a segment fills between)
                log.append(event_id, plaintext)


def posts(state: State) -> int:
    group = state.find("linkedin:4242")
    return 0 if group is None else int(group.figures(365, date(2026, 11, 30).toordinal())["posts"])


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_any_devices_log_is_verified_without_the_lock_while_the_agent_writes(
        agent: Home, in_process: Home, tmp_path: Path) -> None:
    opener = Opener(agent.root)
    desk = Device(opener, tmp_path, "desk")
    desk.write(*(post(f"desk-{n}") for n in range(30)), max_segment=1200)
    agent.ok("groups", "add", "linkedin:5", "--name", "Five")  # written by the agent,
    agent.ok("record", "post", "--group", "linkedin:5")  # which holds the writer lock
    with pytest.raises(HandfulError, match=r"another Handful process .* is writing"):
        opener.log(write=True)  # (held: a second writer is refused)
    before = {desk.folder: snapshot(desk.folder), opener.folder: snapshot(opener.folder)}
    record_key = derive(opener.key, "record")
    assert opener.ident is not None
    dev, plaintexts = verify_device(desk.folder, record_key, opener.ident.store)
    assert len(dev.scans) > 2  # several segments, each link checked
    assert [json.loads(p)["id"] for p in plaintexts] == [f"desk-{n}" for n in range(30)]
    mine, _ = verify_device(opener.folder, record_key, opener.ident.store)
    assert mine.name == opener.ident.name
    assert {folder: snapshot(folder) for folder in before} == before  # reading never writes
    # A byte changed in the desk's second segment: named, and still nothing written.
    second = sorted(desk.folder.glob("*.seg"))[1]
    data = bytearray(second.read_bytes())
    data[HEADER_SIZE + 20] ^= 1
    second.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=rf"{second.name}: record \d+ at byte {HEADER_SIZE} "
                                             "fails authentication"):
        verify_device(desk.folder, record_key, opener.ident.store)


def test_the_fold_catches_up_on_what_other_devices_wrote_reading_only_that(
        store: Home, in_process: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opener = Opener(store.root)
    desk = Device(opener, tmp_path, "desk")
    desk.write(post("desk-0"), post("desk-1"))
    reads: list[tuple[str, int]] = []
    real_read = segment._read

    def counted(path: Path, offset: int = 0) -> bytes:
        reads.append((path.parent.name, offset))
        return real_read(path, offset)

    with opener.ledger(write=True) as ledger:
        assert posts(ledger.state) == 2
        assert ledger.log.append(*post("mine-0"))
        desk_end = next(d for d in ledger.log.devices if d.name == desk.ident.name).last
        assert desk_end is not None
        end_before = desk_end.end
        # Both devices record one event before either has read the other's (an alias made
        # on both machines): it counts once.
        desk.write(post("desk-2"), post("desk-3"), post("both"))
        assert ledger.log.append(*post("both"))
        laptop = Device(opener, tmp_path, "laptop")  # a device new to the folder
        laptop.write(post("laptop-0"))
        monkeypatch.setattr(segment, "_read", counted)
        assert ledger.log.refresh() == 3
        assert posts(ledger.state) == 7  # desk 4, mine 1, laptop 1, and "both" once
        # only the desk's new bytes were read; this device's own log not at all
        assert (desk.ident.name, end_before) in reads
        assert not any(name == desk.ident.name and offset == 0 for name, offset in reads)
        assert not any(name == opener.ident.name for name, _ in reads if opener.ident)
        assert (laptop.ident.name, 0) in reads
        reads.clear()
        assert ledger.log.refresh() == 0  # nothing new: each device read from its end
        assert all(offset > 0 for _, offset in reads)
        # A record a device adds later, altered: refused and named; the state unchanged.
        desk.write(post("desk-4"))
        last = sorted(desk.folder.glob("*.seg"))[-1]
        data = bytearray(last.read_bytes())
        data[-1] ^= 1
        last.write_bytes(bytes(data))
        with pytest.raises(IntegrityError, match=rf"{last.name}: record 6 at byte (\d+) fails"
                           ) as refused:
            ledger.log.refresh()
        desk_log = next(d for d in ledger.log.devices if d.name == desk.ident.name).last
        assert desk_log is not None and f"at byte {desk_log.end} " in str(refused.value)
        assert posts(ledger.state) == 7
        data[-1] ^= 1
        last.write_bytes(bytes(data))
        assert ledger.log.refresh() == 1
        assert ledger.log.append(*post("mine-1"))
        caught_up = posts(ledger.state)
    monkeypatch.setattr(segment, "_read", real_read)
    with opener.ledger() as fresh:  # the same as folding everything from the start
        assert posts(fresh.state) == caught_up == 9
        assert fresh.state.events == 9


def test_a_segment_already_read_that_goes_away_is_named(
        store: Home, in_process: Home, tmp_path: Path) -> None:
    opener = Opener(store.root)
    desk = Device(opener, tmp_path, "desk")
    desk.write(*(post(f"desk-{n}") for n in range(12)), max_segment=900)
    with opener.ledger() as ledger:
        first = sorted(desk.folder.glob("*.seg"))[0]
        os.rename(first, tmp_path / "moved.seg")
        with pytest.raises(IntegrityError, match="a segment already read has gone"):
            ledger.log.refresh()


def test_a_pause_made_on_another_device_holds_here_only_when_pauses_hold_everywhere(
        store: Home, in_process: Home, tmp_path: Path) -> None:
    """`guard.pause_everywhere` (default 1): the desk's pause pauses this machine's guard
    too, as the running agent tells the extension; set to 0, only the desk's own. (The
    agent starts after the desk wrote: picking up another device's writes while it runs
    comes with sync.)"""
    agent = store
    opener = Opener(agent.root)
    desk = Device(opener, tmp_path, "desk")
    until = int(datetime.now(UTC).timestamp()) + 3600
    desk.write(("desk-pause", json.dumps({
        "id": "desk-pause", "type": "settings_changed", "ts": datetime.now(UTC).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"), "device": desk.ident.name,
        "key": "guard.paused_until", "value": until}).encode()))
    agent.ok("start")

    def guard() -> dict[str, object]:
        found: dict[str, object] = json.loads(agent.ok("status", "--json"))["guard"]
        return found

    def agents_guard() -> dict[str, object]:  # what the extension is told
        client = AgentClient(agent.root / "run")
        try:
            found: dict[str, object] = client.send({"id": 1, "type": "status"})["result"]["guard"]
        finally:
            client.close()
        return found

    assert guard()["paused"] is True and agents_guard()["paused"] is True
    agent.ok("config", "set", "guard.pause_everywhere", "0")
    assert guard() == agents_guard() == {"paused": False, "paused_until": None,
                                         "everywhere": False}
    agent.ok("pause", "30m")  # this device's own pause holds here
    assert guard()["paused"] is True and agents_guard()["paused"] is True
    agent.ok("stop")
