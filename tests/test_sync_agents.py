"""Sync as users meet it: running agents, a real Syncthing pair between two homes, the
browser on one of them, and kill -9 in the middle of publishing and of merging."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from handful.paths import Paths
from handful.store.syncfolder import classify
from handful.tray.actions import TrayActions
from tests.browser import browsing
from tests.conftest import Home, base_env
from tests.synckit import Device
from tests.syncthing import Pair
from tests.test_popup_browser import GROUP_URL, justify_join, popup_for

ROOT = Path(__file__).resolve().parent.parent


def until(check: Callable[[], Any], timeout: float = 90, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"not in time: {what}"
        time.sleep(0.2)
    return value


def sync_findings(home: Home) -> list[tuple[bool, str]]:
    doc = json.loads(home.run("doctor", "--json").out)
    return [(f["ok"], f["detail"]) for f in doc["findings"] if f["check"] == "sync"]


def groups_of(home: Home) -> dict[str, str]:
    doc = json.loads(home.ok("groups", "--all", "--json"))
    return {f"{g['group']['platform']}:{g['group']['id']}": g["status"] for g in doc["groups"]}


def on_one_folder(store: Home, tmp_path: Path) -> tuple[Path, Home]:
    """The laptop (`store`) and a desktop home that joined it, both on one folder."""
    folder = tmp_path / "Shared"
    folder.mkdir()
    store.ok("sync", "enable", str(folder), "--name", "laptop")
    desk = Home(tmp_path / "desk", base_env(tmp_path / "desk"))
    desk.ok("sync", "enable", str(folder), "--name", "desktop", input="")
    return folder, desk


def test_a_join_in_the_browser_crosses_a_real_syncthing_pair_and_back(
        store: Home, tmp_path: Path) -> None:
    with Pair(tmp_path / "syncthing") as pair:
        store.ok("sync", "enable", str(pair.a.folder), "--name", "laptop")
        desk = Home(tmp_path / "desk", base_env(tmp_path / "desk"))
        until(lambda: any((pair.b.folder / "handful" / "devices").glob("*/passphrase.json")),
              what="Syncthing carrying the store's description to the other home")
        # (store.json may land a moment after the key files: joining is tried again)
        until(lambda: desk.run("sync", "enable", str(pair.b.folder), "--name", "desktop",
                               input="").code == 0, timeout=30, what="joining")
        desk.ok("start")
        (tmp_path / "chromium").mkdir()
        try:
            with browsing(store, tmp_path / "chromium") as browser:
                justify_join(browser)  # the laptop's browser: the guard, the dialog, a join
                joined = [e for e in browser.events() if e["type"] == "join_requested"]
                key = f"{joined[0]['group']['platform']}:{joined[0]['group']['id']}"
                # nothing done by hand between them: the agents and Syncthing carry it
                until(lambda: key in groups_of(desk), what="the join on the desktop")
                desk.ok("groups", "add", "linkedin:7070", "--name", "Back Again")
                until(lambda: groups_of(store).get("linkedin:7070") == "member",
                      what="the desktop's membership on the laptop")
                status = json.loads(store.ok("sync", "status", "--json"))
                names = {d["name"] for d in status["devices"]}
                assert names == {"laptop", "desktop"}
                assert [d["problems"] for d in status["devices"]] == [[], []]
        finally:
            desk.run("stop")


def test_two_agents_merge_each_others_writes_without_being_asked(
        store: Home, tmp_path: Path) -> None:
    """Both homes on one folder (a network share, say): a write on one shows on the other
    through the agents' watchers alone."""
    folder, desk = on_one_folder(store, tmp_path)
    store.ok("start")
    desk.ok("start")
    try:
        store.ok("groups", "add", "facebook:first.one", "--name", "First One")
        until(lambda: "facebook:first.one" in groups_of(desk), timeout=30)
        desk.ok("groups", "leave", "facebook:first.one")
        until(lambda: groups_of(store)["facebook:first.one"] == "left", timeout=30)
        status = json.loads(store.ok("status", "--json"))  # what the popup and tray read
        assert status["sync"] == {"enabled": True, "devices": 2, "problems": []}
        assert "Sync: 2 devices" in store.ok("status")
        tray = TrayActions(Paths.from_env(store.env))
        assert tray.sync_line() == "Syncing with 2 devices"
        assert sync_findings(store) == [(True, "syncing with 2 devices")]

        # a peer file that never verifies: named by status, doctor and the tray alike
        desk_status = json.loads(desk.ok("sync", "status", "--json"))
        desk_id = desk_status["device"]
        last = next(d["events"] for d in desk_status["devices"] if d["this"])
        mine = folder / "handful" / "devices" / desk_id
        [piece] = sorted(mine.glob("*.piece"))[-1:]
        forged = bytearray(piece.read_bytes())
        forged[-3] ^= 1
        (mine / f"00000001-{last + 1:012d}-{last + 1:012d}.piece").write_bytes(bytes(forged))
        problems = until(lambda: json.loads(store.ok("status", "--json"))["sync"]["problems"],
                         timeout=30, what="the tampered piece named")
        assert "never verifies" in problems[0]
        assert "sync: 1 problem" in tray.title()
        assert tray.sync_line().startswith("Sync problem: ")
        [(ok, detail)] = sync_findings(store)
        assert not ok and "never verifies" in detail
    finally:
        desk.run("stop")
        store.run("stop")



def test_a_watcher_that_lost_events_is_followed_by_a_full_pass(
        store: Home, tmp_path: Path) -> None:
    """A real inotify overflow: while the agent is stopped (SIGSTOP) a burst of files fills
    the kernel's queue, then the other device's file lands, its events lost. The agent must
    read every folder again at once, not at its next periodic pass (RESCAN_EVERY, 5 min)."""
    folder, desk = on_one_folder(store, tmp_path)
    store.ok("start")
    try:
        desk.ok("groups", "add", "facebook:before.burst", "--name", "Before")
        desk.ok("sync", "now")
        until(lambda: "facebook:before.burst" in groups_of(store), timeout=30,
              what="the watcher's hint, before any loss")
        queue = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
        burst = folder / "handful" / "devices" / "burst"  # not a device's name: never read
        burst.mkdir()
        pid = int((store.root / "run" / "agent.pid").read_text())
        desk.ok("groups", "add", "facebook:after.burst", "--name", "After")
        os.kill(pid, signal.SIGSTOP)
        try:
            for n in range(queue // 2 + 1000):  # each file: created, opened, closed
                (burst / f"f{n}").touch()
            desk.ok("sync", "now")  # the desktop's new piece lands: its events are lost
        finally:
            os.kill(pid, signal.SIGCONT)
        until(lambda: "facebook:after.burst" in groups_of(store), timeout=60,
              what="a full pass after the watcher lost events")
        assert "the watcher lost events" in (store.root / "run" / "agent.log").read_text()
    finally:
        store.run("stop")

WRITER = """
import os, sys
from pathlib import Path
from handful import syncing
from handful.ledger import Ledger
from handful.paths import Paths
from handful.store.syncfolder import classify
paths = Paths.from_env()
with Ledger.open(paths, write=True, max_segment=4096) as ledger:
    syncer = syncing.Syncer(ledger, syncing.load_state(ledger))
    n = 0
    print("ready", flush=True)
    while True:
        n += 1
        ledger.append(ledger.new("engagement", group={"platform": "linkedin", "id": "9",
                      "name": "Nine", "url": None}, kind="post", note=str(n)))
        syncer.run(publish=True)
"""


def _kill_later(proc: subprocess.Popen[str], after: float) -> None:
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)


@pytest.mark.parametrize("after", [0.3, 0.9, 1.7])
def test_kill_9_while_publishing_leaves_only_whole_files(
        store: Home, tmp_path: Path, after: float) -> None:
    folder = tmp_path / "Sync"
    folder.mkdir()
    store.ok("sync", "enable", str(folder))
    proc = subprocess.Popen([sys.executable, "-c", WRITER], env=store.env, text=True,
                            stdout=subprocess.PIPE)
    _kill_later(proc, after)
    reader = Device(tmp_path, "reader")
    reader.enable(folder)  # joins, merges what is whole; a temp file left is never data
    done = reader.sync(publish=False)
    assert [p for p in done.problems if p.kind not in ("arriving",)] == []
    theirs = json.loads(store.ok("sync", "now", "--json"))  # the writer again: it goes on
    assert theirs["problems"] == []
    reader.sync(publish=False)
    mine = {e["id"] for e in json.loads(store.ok("export"))["events"]}
    assert mine <= reader.event_ids()  # everything acknowledged reached the reader


MERGER = """
from handful import syncing
from handful.ledger import Ledger
from handful.paths import Paths
from handful.store.syncfolder import classify
paths = Paths.from_env()
with Ledger.open(paths, write=True) as ledger:
    print("ready", flush=True)
    syncing.Syncer(ledger, syncing.load_state(ledger)).run(publish=False)
print("done", flush=True)
"""


def test_kill_9_while_merging_loses_nothing_and_the_next_pass_finishes(
        store: Home, tmp_path: Path) -> None:
    folder = tmp_path / "Sync"
    folder.mkdir()
    writer = Device(tmp_path, "writer").create()
    writer.enable(folder)
    with writer.open() as ledger:
        events = [ledger.new("engagement", group={"platform": "linkedin", "id": str(i % 50),
                                                  "name": None, "url": None}, kind="visit")
                  for i in range(30_000)]
        for start in range(0, len(events), 2000):
            ledger.append_many(events[start:start + 2000])
    writer.sync()
    reader = Home(tmp_path / "reader", base_env(tmp_path / "reader"))
    reader.ok("sync", "enable", str(Path(folder)), input="")  # joins and merges all once
    copy = reader.data / "log"
    for peer in copy.iterdir():  # start over: the reader has none of the writer's log yet
        if peer.name != json.loads(reader.ok("sync", "status", "--json"))["device"]:
            for segment in peer.iterdir():
                segment.unlink()
            peer.rmdir()
    (reader.state / "checkpoint").unlink(missing_ok=True)
    for after in (0.05, 0.2):
        proc = subprocess.Popen([sys.executable, "-c", MERGER], env=reader.env, text=True,
                                stdout=subprocess.PIPE)
        _kill_later(proc, after)
        verify = reader.run("verify")
        assert verify.code == 0, verify.err  # a torn copy is cut, never taken as tamper
    reader.ok("sync", "now")
    assert len(reader_ids := {e["id"] for e in json.loads(reader.ok("export"))["events"]}) \
        >= 30_000
    assert {e.id for e in events} <= reader_ids


def test_the_popup_says_which_device_recorded_a_membership(store: Home, tmp_path: Path) -> None:
    """Merged history in the extension: a group joined on the desktop shows in the laptop's
    popup as a membership, with the device that recorded it."""
    _folder, desk = on_one_folder(store, tmp_path)
    desk.ok("groups", "add", "linkedin:12345", "--name", "Data Folk")
    desk.ok("sync", "now")
    store.ok("sync", "now")
    (tmp_path / "chromium").mkdir()
    with browsing(store, tmp_path / "chromium") as browser:
        browser.page(GROUP_URL)
        popup = popup_for(browser, GROUP_URL)
        text = popup.inner_text("#membership")
        assert "Member since" in text and "Recorded on desktop." in text
        assert popup.get_attribute("#membership", "data-membership") == "member"
        store.ok("groups", "add", "linkedin:777", "--name", "Mine")  # recorded here: no word
        doc = json.loads(store.ok("groups", "--json"))
        by = {g["group"]["id"]: g["by"]["name"] for g in doc["groups"]}
        assert by == {"12345": "desktop", "777": "laptop"}


class SimulatedSyncTool:
    """What a sync tool does between three machines' folders: each device's files copied to
    the others' folders in random order, after random delays, first under a temp name
    (left cut short a while), then renamed; now and then it also leaves a conflict copy of
    the same bytes beside a piece, as tools do for a file that came by two routes. (It
    carries no deletions: compaction waits a day.)"""

    def __init__(self, folders: list[Path], seed: int) -> None:
        import random
        import threading

        self.folders = folders
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SimulatedSyncTool:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)

    def _pending(self) -> list[tuple[Path, Path]]:
        todo = []
        for source in self.folders:
            for path in sorted(source.rglob("*")):
                if not path.is_file() or path.name.startswith("."):
                    continue
                relative = path.relative_to(source)
                for target in self.folders:
                    if target is source:
                        continue
                    copy = target / relative
                    if not copy.exists() or copy.stat().st_size != path.stat().st_size:
                        todo.append((path, copy))
        return todo

    def _run(self) -> None:
        while not self.stop.is_set():
            todo = self._pending()
            self.rng.shuffle(todo)
            for source, copy in todo[:3]:
                try:
                    data = source.read_bytes()
                except OSError:
                    continue
                if copy.exists() and copy.stat().st_size >= len(data):
                    continue  # (another source's copy of the same file came first)
                copy.parent.mkdir(parents=True, exist_ok=True)
                temp = copy.with_name(f".syncthing.{copy.name}.tmp")
                temp.write_bytes(data[: self.rng.randrange(len(data) + 1)])
                self.stop.wait(self.rng.uniform(0, 0.3))
                temp.write_bytes(data)
                temp.rename(copy)
                if classify(copy.name).kind == "piece" and self.rng.random() < 0.2:
                    twin = copy.with_name(f"{copy.stem}.sync-conflict-20261207-101500-"
                                          f"SIMTOOL.piece")
                    twin.write_bytes(data)
            self.stop.wait(self.rng.uniform(0.05, 0.4))


def test_three_agents_through_a_simulated_sync_tool_end_with_one_history(
        store: Home, tmp_path: Path) -> None:
    folders = [tmp_path / f"Sync-{n}" for n in range(3)]
    for folder in folders:
        folder.mkdir()
    homes = [store] + [Home(tmp_path / f"home{n}", base_env(tmp_path / f"home{n}"))
                       for n in (1, 2)]
    store.ok("sync", "enable", str(folders[0]), "--name", "laptop")
    with SimulatedSyncTool(folders, seed=18):
        for n, home in enumerate(homes[1:], start=1):
            until(lambda n=n: any((folders[n] / "handful" / "devices").glob("*/store.json")),
                  timeout=30)
            until(lambda n=n, home=home: home.run(
                "sync", "enable", str(folders[n]), "--name", f"device{n}", input="").code == 0,
                timeout=30, what="joining through the simulated tool")
        for home in homes:
            home.ok("start")
        try:
            for n, home in enumerate(homes):
                for k in range(3):
                    home.ok("groups", "add", f"linkedin:{n}{k}", "--name", f"Group {n}{k}")
            until(lambda: groups_of(homes[2]).get("linkedin:00") == "member", timeout=60,
                  what="the laptop's group on the third device")
            homes[2].ok("groups", "leave", "linkedin:00")  # left on one: left on all
            wanted = {f"linkedin:{n}{k}": "member" for n in range(3) for k in range(3)}
            wanted["linkedin:00"] = "left"
            for home in homes:
                until(lambda home=home: groups_of(home) == wanted, timeout=60,
                      what="every device's groups everywhere")
            ids = [sorted(e["id"] for e in json.loads(h.ok("export"))["events"]) for h in homes]
            assert ids[0] == ids[1] == ids[2]
            assert any(any(f.rglob("*.sync-conflict-*")) for f in folders)  # duplicates came
            for home in homes:
                status = json.loads(home.ok("sync", "status", "--json"))
                assert len(status["devices"]) == 3
                assert all(d["problems"] == [] for d in status["devices"]), \
                    [d["problems"] for d in status["devices"]]
        finally:
            for home in homes:
                home.run("stop")
