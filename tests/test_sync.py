"""Sync through a folder (issue 18): devices with their own folders and a shared DIR, as
the user's sync tool would leave it; every file real, every problem named, nothing lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from handful.store.syncfolder import classify
from tests.conftest import Home, base_env
from tests.synckit import Device


def devices_dir(folder: Path) -> Path:
    return folder / "handful" / "devices"


def files_of(folder: Path, device: str) -> list[Path]:
    return sorted((devices_dir(folder) / device).iterdir())


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under DIR: its bytes and mtime (reading must never change either)."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    where = tmp_path / "Sync"
    where.mkdir()
    return where


@pytest.fixture
def pair(tmp_path: Path, folder: Path) -> Iterator[tuple[Device, Device]]:
    laptop = Device(tmp_path, "laptop").create()
    laptop.write("joined", 1)
    laptop.enable(folder)
    desktop = Device(tmp_path, "desktop")
    desktop.enable(folder)  # no store here: joins the one in the folder
    yield laptop, desktop


# -- the command, as a user runs it -------------------------------------------------------

def second_home(tmp_path: Path, name: str) -> Home:
    return Home(tmp_path / name, base_env(tmp_path / name))


def test_a_second_machine_joins_from_the_folder_and_both_keep_one_history(
        store: Home, tmp_path: Path, folder: Path) -> None:
    store.ok("groups", "add", "linkedin:1", "--name", "Deep Work")
    out = store.ok("sync", "enable", str(folder), "--name", "laptop")
    assert f"Syncing through {folder}." in out and "laptop (this device)" in out
    [laptop] = (folder / "handful" / "devices").iterdir()
    assert sorted(p.name for p in (folder / "handful").iterdir()) == ["devices"]
    assert sorted(p.name for p in laptop.iterdir() if not p.name.endswith(".piece")) == \
        ["passphrase.json", "recovery.json", "store.json"]  # never a keyring's wrapping

    desk = second_home(tmp_path, "desk")
    joined = json.loads(desk.ok("sync", "enable", str(folder), "--name", "desktop", "--json",
                                input=""))
    assert joined["enabled"] and joined["device"] != json.loads(
        store.ok("sync", "status", "--json"))["device"]
    assert "Deep Work" in desk.ok("groups")

    desk.ok("groups", "leave", "linkedin:1", "--note", "too quiet")
    desk.ok("groups", "add", "facebook:slow.reading", "--name", "Slow Reading")
    desk.ok("sync", "now")
    doc = json.loads(store.ok("sync", "now", "--json"))
    shown = {d["name"]: d for d in doc["devices"]}
    assert set(shown) == {"laptop", "desktop"} and shown["laptop"]["this"]
    assert shown["desktop"]["events"] == 3 and shown["desktop"]["last_seen"]
    assert doc["problems"] == [] and all(not d["problems"] for d in doc["devices"])
    groups = json.loads(store.ok("groups", "--all", "--json"))["groups"]
    status = {g["group"]["id"]: g["status"] for g in groups}
    assert status == {"1": "left", "slow.reading": "member"}  # left on one, left on all

    # one history: the same events on both, each once, each saying which device made it
    store.ok("sync", "now")
    desk.ok("sync", "now")
    mine = json.loads(store.ok("export"))["events"]
    theirs = json.loads(desk.ok("export"))["events"]
    assert sorted(e["id"] for e in mine) == sorted(e["id"] for e in theirs)
    assert len({e["id"] for e in mine}) == len(mine)
    assert {e["device"] for e in mine} == {d["device"] for d in doc["devices"]}
    left = next(e for e in mine if e["type"] == "left")
    assert left["device"] == shown["desktop"]["device"]


def test_enable_refuses_two_stores_and_a_wrong_folder_with_one_line(
        store: Home, tmp_path: Path, folder: Path) -> None:
    store.ok("sync", "enable", str(folder))
    other = second_home(tmp_path, "other")
    other.ok("init")
    before = snapshot(folder)
    refused = other.run("sync", "enable", str(folder))
    assert refused.code == 1 and refused.err.count("\n") == 1
    assert "holds another Handful store" in refused.err and "handful export" in refused.err
    assert snapshot(folder) == before
    assert "Sync is off" in other.ok("sync", "status")

    missing = other.run("sync", "enable", str(tmp_path / "nowhere"))
    assert missing.code == 2 and "is not a folder" in missing.err

    empty = tmp_path / "Empty"
    empty.mkdir()
    lost = second_home(tmp_path, "lost")
    nothing = lost.run("sync", "enable", str(empty), input="")
    assert nothing.code == 1 and "no store on this machine and none in" in nothing.err
    assert not lost.data.exists() or not (lost.data / "store.json").exists()

    # a device's logs whose store description has not come yet: not "no store"
    early = tmp_path / "Early"
    shutil.copytree(folder, early)
    [device] = (early / "handful" / "devices").iterdir()
    (device / "store.json").unlink()
    arriving = lost.run("sync", "enable", str(early), input="")
    assert arriving.code == 1 and "no store.json: it may still be arriving" in arriving.err

    # a folder that carries the devices of two stores (two users, one folder): refused
    mixed = tmp_path / "Mixed"
    shutil.copytree(folder, mixed)
    spare = tmp_path / "Spare"
    spare.mkdir()
    other.ok("sync", "enable", str(spare))
    shutil.copytree(spare / "handful" / "devices", mixed / "handful" / "devices",
                    dirs_exist_ok=True)
    for joining in (lost, other):
        two = joining.run("sync", "enable", str(mixed), input="")
        assert two.code == 1 and "holds devices of 2 stores" in two.err, two.err
    assert not (lost.data / "store.json").exists()


def test_a_wrong_passphrase_joins_nothing_and_leaves_nothing(
        store: Home, tmp_path: Path, folder: Path) -> None:
    store.ok("sync", "enable", str(folder))
    guest = second_home(tmp_path, "guest")
    wrong = guest.run("sync", "enable", str(folder), extra={"HANDFUL_PASSPHRASE": "nope"})
    assert wrong.code == 4 and "does not unlock" in wrong.err
    assert not (guest.data / "store.json").exists()
    assert not any((guest.data / "keys").glob("*.json"))
    guest.ok("sync", "enable", str(folder))  # the right one, next
    assert (guest.data / "store.json").is_file()


def test_a_machine_with_a_keyring_joins_with_the_recovery_key(
        home: Home, tmp_path: Path, folder: Path) -> None:
    made = json.loads(home.ok("init", "--json"))
    home.ok("groups", "add", "linkedin:3", "--name", "Three")
    home.ok("sync", "enable", str(folder))
    env = {k: v for k, v in base_env(tmp_path / "keyed").items() if k != "HANDFUL_PASSPHRASE"}
    env.update({"PYTHON_KEYRING_BACKEND": "memory_keyring.FileBackedKeyring",
                "HANDFUL_TEST_KEYRING": str(tmp_path / "keyring.json")})
    keyed = Home(tmp_path / "keyed", env)
    wrong = keyed.run("sync", "enable", str(folder), input="AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-"
                                                             "AAAA-AAAA\n")
    assert wrong.code == 4 and "does not unlock" in wrong.err
    assert not (keyed.data / "store.json").exists()
    keyed.ok("sync", "enable", str(folder), "--name", "work", input=made["recovery_key"] + "\n")
    assert "Three" in keyed.ok("groups")  # opened by the OS keyring from now on
    assert sorted(p.name for p in (keyed.data / "keys").iterdir())[0].startswith("keyring-")
    assert not any(p.name.startswith("keyring-")
                   for p in (folder / "handful" / "devices").glob("*/*"))


def test_the_browser_can_never_point_the_agent_at_a_folder(agent: Home, folder: Path) -> None:
    from tests.hostkit import Host

    host = Host(agent)
    try:
        for n, message in enumerate(({"type": "sync_enable", "folder": str(folder)},
                                     {"type": "sync_now"}, {"type": "sync_status"},
                                     {"type": "sync_disable"})):
            reply = host.ask({"id": n + 1, **message})
            assert reply["ok"] is False and reply["error"]["code"] == "forbidden", reply
    finally:
        host.finish()
    assert not (folder / "handful").exists()


# -- names: only exact ones are data ---------------------------------------------------------

@pytest.mark.parametrize(("name", "kind"), [
    ("00000001.seg", "segment"),
    ("00000001-000000000001-000000000009.piece", "piece"),
    (".syncthing.00000001.seg.tmp", "arriving"),
    ("~syncthing~00000001-000000000001-000000000009.piece.tmp", "arriving"),
    (".00000002.seg.~1a2b3c4d", "arriving"),
    (".00000001.seg.0badc0de.tmp", "arriving"),
    (".00000001-000000000001-000000000009.piece.icloud", "stub"),
    ("00000001-000000000001-000000000009.sync-conflict-20261203-101500-ABCDEF7.piece",
     "conflict"),
    ("00000001 (Ann's conflicted copy 2026-12-03).seg", "conflict"),
    ("00000001.seg.sync-conflict-20261203-101500-ABCDEF7", "stray"),
    ("1.seg", "stray"),
    ("00000000.seg", "stray"),
    ("00000001-000000000009-000000000001.piece", "stray"),
    ("00000001.SEG", "stray"),
    ("desktop.ini", "stray"),
    (".DS_Store", "stray"),
])
def test_names_are_told_apart_exactly(name: str, kind: str) -> None:
    assert classify(name).kind == kind


# -- merging, and what goes wrong ------------------------------------------------------------

def test_merging_twice_changes_nothing_and_reading_never_writes(
        pair: tuple[Device, Device], folder: Path) -> None:
    laptop, desktop = pair
    for n in range(2, 6):
        laptop.write("joined", n)
    laptop.sync()
    before = snapshot(folder)
    first = desktop.sync(publish=False)
    assert sum(first.merged.values()) == 4
    again = desktop.sync(publish=False)
    assert again.merged == {} and again.problems == []
    assert snapshot(folder) == before
    assert set(desktop.memberships()) == {f"linkedin:{1000 + n}" for n in range(1, 6)}


def test_a_tampered_piece_is_named_and_skipped_and_the_rest_merged(
        tmp_path: Path, pair: tuple[Device, Device], folder: Path) -> None:
    laptop, desktop = pair
    third = Device(tmp_path, "phone")
    third.enable(folder)
    laptop.write("joined", 2)
    laptop.sync()
    third.write("joined", 3)
    third.sync()
    [piece] = [p for p in files_of(folder, laptop.device) if "-000000000003-" in p.name]
    data = bytearray(piece.read_bytes())
    data[-5] ^= 0x40
    piece.write_bytes(bytes(data))
    before = snapshot(folder)
    done = desktop.sync(publish=False)
    assert snapshot(folder) == before  # the folder left as it is
    kinds = {(p.kind, p.device) for p in done.problems}
    assert ("tampered", laptop.device) in kinds
    assert done.merged.get(third.device) == 2  # the other peer merged all the same
    assert "linkedin:1003" in desktop.memberships()
    assert "linkedin:1002" not in desktop.memberships()
    status = desktop.status()
    [bad] = [d for d in status["devices"] if d["device"] == laptop.device]
    assert any(piece.name in p and "never verifies" in p for p in bad["problems"])


def test_a_file_still_arriving_is_retried_and_named_only_if_it_stays(
        pair: tuple[Device, Device], folder: Path) -> None:
    laptop, desktop = pair
    laptop.write("joined", 2)
    laptop.sync()
    [piece] = [p for p in files_of(folder, laptop.device) if "-000000000003-" in p.name]
    whole = piece.read_bytes()
    piece.write_bytes(whole[:-30])  # a sync tool that writes in place (Google Drive, Dropbox)
    temp = piece.with_name(f".syncthing.{piece.name}.tmp")
    temp.write_bytes(whole[:50])
    stub = piece.with_name(".00000002-000000000009-000000000011.piece.icloud")
    stub.write_bytes(b"bplist00")
    waiting = desktop.sync(publish=False, grace=3600)
    assert waiting.merged == {} and waiting.problems == []  # not yet worth a word
    named = desktop.sync(publish=False, grace=0)
    kinds = sorted(p.kind for p in named.problems)
    assert kinds == ["arriving", "stub"], named.problems
    assert "still arriving" in next(p.detail for p in named.problems if p.kind == "arriving")
    assert "linkedin:1002" not in desktop.memberships()  # never read as a deletion either
    assert "linkedin:1001" in desktop.memberships()
    piece.write_bytes(whole)
    temp.unlink()
    stub.unlink()
    done = desktop.sync(publish=False, grace=0)
    assert done.merged == {laptop.device: 1} and done.problems == []
    assert "linkedin:1002" in desktop.memberships()


def test_a_rolled_back_peer_is_named_and_nothing_is_lost(
        pair: tuple[Device, Device], folder: Path) -> None:
    laptop, desktop = pair
    laptop.write("joined", 2)
    laptop.sync()
    desktop.sync(publish=False)
    kept = desktop.memberships()
    for piece in files_of(folder, laptop.device):
        if "-000000000003-" in piece.name:
            piece.unlink()  # an older copy of the folder restored
    behind = desktop.sync(publish=False, grace=0)
    [problem] = [p for p in behind.problems if p.device == laptop.device]
    assert problem.kind == "rollback" and "before record 3" in problem.detail
    assert desktop.memberships() == kept


def test_a_fork_keeps_both_chains_events_and_is_reported(
        tmp_path: Path, pair: tuple[Device, Device], folder: Path) -> None:
    """A restored backup of the laptop's home writes on under the laptop's id: two chains
    under one device id, which a sync tool turns into a conflict copy."""
    laptop, desktop = pair
    clone = Device(tmp_path, "clone")
    shutil.copytree(laptop.paths.data, clone.paths.data)
    shutil.copytree(laptop.paths.state, clone.paths.state)
    laptop.write("joined", 2)
    laptop.sync()
    staged = tmp_path / "clone-outbox"
    staged.mkdir()
    clone_folder = staged
    shutil.copytree(folder / "handful", clone_folder / "handful", dirs_exist_ok=True)
    for piece in files_of(clone_folder, laptop.device):
        if "-000000000003-" in piece.name:
            piece.unlink()
    with clone.open() as ledger:
        from handful import syncing

        state = syncing.load_state(ledger)
        state.folder = str(clone_folder)
        syncing.save_state(ledger, state)
        ledger.append(ledger.new("joined", group={"platform": "facebook", "id": "clone.only",
                                                  "name": "Clone Only", "url": None}))
    clone.sync()
    [forked] = [p for p in files_of(clone_folder, laptop.device) if "-000000000003-" in p.name]
    ours = devices_dir(folder) / laptop.device / forked.name
    assert ours.exists() and ours.read_bytes() != forked.read_bytes()
    stem, ext = forked.name.rsplit(".", 1)
    shutil.copy(forked, ours.with_name(f"{stem}.sync-conflict-20261203-101500-ABCDEF7.{ext}"))

    done = desktop.sync(publish=False)
    assert done.adopted == 1
    assert any(p.kind == "fork" and f"two chains under laptop ({laptop.device[:8]})" in
               p.detail for p in done.problems)
    members = desktop.memberships()
    assert "linkedin:1002" in members and "facebook:clone.only" in members  # both kept
    again = desktop.sync(publish=False)
    assert again.adopted == 0  # each id once
    # and the laptop itself finds its id used elsewhere: it moves to a new one
    old = laptop.device
    mine = laptop.sync()
    assert any(p.kind == "id_taken" and "writes as" in p.detail for p in mine.problems)
    assert laptop.device != old
    laptop.write("joined", 9)  # written under the new id, published there
    after = laptop.sync()
    assert after.adopted == 1  # the clone's event, found under the old id, kept
    assert {"linkedin:1002", "linkedin:1009", "facebook:clone.only"} <= set(laptop.memberships())
    assert (devices_dir(folder) / laptop.device).is_dir()
    with laptop.open() as ledger:
        devices, _ = ledger.verify_disk()
    assert {d["device"] for d in devices} >= {old, laptop.device}
    desktop.sync(publish=False)
    assert "linkedin:1009" in desktop.memberships()


def test_a_conflict_copy_with_the_same_bytes_is_a_duplicate_not_a_fork(
        pair: tuple[Device, Device], folder: Path) -> None:
    """Sync tools make conflict copies of files that did not really diverge (the same piece
    carried by two routes): one that holds exactly what the chain has is no second chain.
    Neither device names a fork, adopts anything, or moves to a new id."""
    laptop, desktop = pair
    laptop.write("joined", 2)
    laptop.sync()
    desktop.write("joined", 3)
    desktop.sync()
    laptop.sync()
    for device in (laptop.device, desktop.device):
        piece = [p for p in files_of(folder, device) if p.suffix == ".piece"][-1]
        stem, ext = piece.name.rsplit(".", 1)
        shutil.copy(piece, piece.with_name(f"{stem}.sync-conflict-20261207-091500-QWERTY1.{ext}"))
        shutil.copy(piece, piece.with_name(f"{stem} (desk's conflicted copy 2026-12-07).{ext}"))
    before = {laptop.device, desktop.device}
    for device in (laptop, desktop):
        done = device.sync(grace=0)
        assert done.problems == [] and done.adopted == 0, done.problems
    assert {laptop.device, desktop.device} == before
    assert set(laptop.memberships()) == set(desktop.memberships()) == {
        "linkedin:1001", "linkedin:1002", "linkedin:1003"}

    # a conflict copy whose bytes differ and verify nowhere is still named, never taken
    piece = [p for p in files_of(folder, laptop.device) if classify(p.name).kind == "piece"][-1]
    stem, ext = piece.name.rsplit(".", 1)
    forged = bytearray(piece.read_bytes())
    forged[-5] ^= 1
    (piece.parent / f"{stem}.sync-conflict-20261207-091600-QWERTY2.{ext}").write_bytes(forged)
    problems = desktop.sync(grace=0).problems
    assert [p.kind for p in problems] == ["tampered"], problems

def test_events_from_a_newer_handful_are_named(pair: tuple[Device, Device],
                                               folder: Path) -> None:
    laptop, desktop = pair
    laptop.write("joined", 2)
    laptop.sync()
    [piece] = [p for p in files_of(folder, laptop.device) if "-000000000003-" in p.name]
    data = bytearray(piece.read_bytes())
    data[8:10] = (2).to_bytes(2, "big")  # a piece format this version does not read
    import zlib

    data[76:80] = zlib.crc32(bytes(data[:76])).to_bytes(4, "big")
    piece.write_bytes(bytes(data))
    done = desktop.sync(publish=False)
    [problem] = [p for p in done.problems if p.device == laptop.device]
    assert problem.kind == "newer" and "update Handful" in problem.detail


def test_events_of_a_type_this_version_does_not_know_are_named_per_device(
        pair: tuple[Device, Device]) -> None:
    laptop, desktop = pair
    with laptop.open() as ledger:
        future = {"id": "future-1", "type": "mentored", "ts": "2026-11-30T10:00:00.000Z",
                  "device": ledger.device, "mentee": "someone"}
        ledger.log.append("future-1", json.dumps(future).encode())
        ledger.append(ledger.new("joined", group={"platform": "linkedin", "id": "55",
                                                  "name": None, "url": None}))
    laptop.sync()
    done = desktop.sync(publish=False)
    [newer] = [p for p in done.problems if p.kind == "newer"]
    assert newer.device == laptop.device
    assert newer.detail.startswith(f"1 event from a newer version of Handful on laptop "
                                   f"({laptop.device[:8]}): update Handful here")
    assert "linkedin:55" in desktop.memberships()  # the rest merged
    exported = {e["id"] for e in json.loads(
        Home(desktop.paths.data.parent, {**base_env(desktop.paths.data.parent),
                                          "HANDFUL_HOME": str(desktop.paths.data.parent)}
             ).ok("export"))["events"]}
    assert "future-1" in exported  # kept


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting needs root (CI is)")


@needs_root
def test_a_read_only_folder_is_named_and_nothing_is_lost(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    laptop = Device(tmp_path, "laptop").create()
    laptop.enable(real)
    ro = tmp_path / "ro"
    ro.mkdir()
    _mount("--bind", str(real), str(ro))
    try:
        _mount("-o", "remount,bind,ro", str(ro))
        with laptop.open() as ledger:
            from handful import syncing

            state = syncing.load_state(ledger)
            state.folder = str(ro)
            syncing.save_state(ledger, state)
        laptop.write("joined", 7)
        done = laptop.sync()
        [problem] = done.problems
        assert problem.kind == "folder" and "cannot be written" in problem.detail
        assert "Read-only file system" in problem.detail
        assert "linkedin:1007" in laptop.memberships()  # kept here until it can go
    finally:
        subprocess.run(["umount", str(ro)], check=True)
    with laptop.open() as ledger:
        state = syncing.load_state(ledger)
        state.folder = str(real)
        syncing.save_state(ledger, state)
    assert any("-000000000002-" in name for name in laptop.sync().published)


@needs_root
def test_a_full_folder_is_named_and_publishing_resumes_once_there_is_room(
        tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small))
    try:
        laptop = Device(tmp_path, "laptop").create()
        laptop.enable(small)
        filler = small / "filler"
        with filler.open("wb") as out, pytest.raises(OSError):
            out.write(b"\0" * (128 << 10))
            out.flush()
            os.fsync(out.fileno())
        laptop.write("joined", 8)
        done = laptop.sync()
        assert [p.kind for p in done.problems] == ["folder"]
        assert "No space left on device" in done.problems[0].detail
        assert not [p for p in (devices_dir(small) / laptop.device).iterdir()
                    if p.name.startswith(".")]  # no temp file left behind
        filler.unlink()
        again = laptop.sync()
        assert again.problems == [] and any("-000000000002-" in n for n in again.published)
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_whole_segments_replace_their_pieces_a_day_later_and_a_new_device_reads_them(
        tmp_path: Path, folder: Path) -> None:
    """Compaction: once a segment is full its whole file is published; a day later the
    device removes that segment's pieces; a device that joins then reads the whole files."""
    from handful import syncing
    from handful.ledger import Ledger
    from handful.store.sync import COMPACT_AFTER, FolderSync

    laptop = Device(tmp_path, "laptop").create()
    laptop.enable(folder)
    with Ledger.open(laptop.paths, write=True, max_segment=700) as ledger:
        state = syncing.load_state(ledger)
        engine = FolderSync(ledger.log, folder, state)
        for n in range(8):
            ledger.append(ledger.new("joined", group={"platform": "linkedin", "id": str(n),
                                                      "name": f"Group {n}", "url": None}))
            engine.publish()
        names = [p.name for p in files_of(folder, ledger.device)]
        assert "00000001.seg" in names and any(n.startswith("00000001-") for n in names)
        later = FolderSync(ledger.log, folder, state,
                           now=lambda: time.time() + COMPACT_AFTER + 60)
        later.publish()
        names = [p.name for p in files_of(folder, ledger.device)]
        whole = sorted(n for n in names if n.endswith(".seg"))
        assert whole and not any(n.split("-")[0] + ".seg" in whole for n in names
                                 if n.endswith(".piece"))  # a whole segment's pieces: gone
        assert any(n.endswith(".piece") for n in names)  # the segment being written: pieces
    phone = Device(tmp_path, "phone")
    phone.enable(folder)
    assert {f"linkedin:{n}" for n in range(8)} <= set(phone.memberships())
    assert phone.status()["problems"] == []


def test_a_folder_gone_is_named_nothing_is_lost_and_it_resumes(
        pair: tuple[Device, Device], folder: Path) -> None:
    laptop, desktop = pair
    moved = folder.with_name("Sync-unmounted")
    folder.rename(moved)
    laptop.write("joined", 4)
    done = laptop.sync()
    assert [p.kind for p in done.problems] == ["folder"]
    assert "is gone" in done.problems[0].detail and "nothing is lost" in done.problems[0].detail
    assert "linkedin:1004" in laptop.memberships()
    moved.rename(folder)
    assert laptop.sync().problems == []
    desktop.sync(publish=False)
    assert "linkedin:1004" in desktop.memberships()
