"""Tamper: any change to a segment, the records' order, or a device's history is caught,
and `handful verify` names the place."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from handful.errors import IntegrityError
from handful.store.format import HEADER_SIZE
from tests.conftest import Home, base_env
from tests.storekit import Opener, engagement


def records(segment: Path) -> list[tuple[int, int]]:
    """(offset, length) of each record in a segment."""
    data = segment.read_bytes()
    spans, off = [], HEADER_SIZE
    while off < len(data):
        (length,) = struct.unpack_from(">I", data, off)
        spans.append((off, 4 + length))
        off += 4 + length
    return spans


@pytest.fixture(scope="module")
def two_devices_made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A store written by this machine and by a second one whose log arrived beside it,
    made once for the module (sixteen commands): each test gets its own copy."""
    root = tmp_path_factory.mktemp("two-devices")
    store = Home(root / "home", base_env(root / "home"))
    store.ok("init")
    store.ok("groups", "add", "linkedin:1", "--name", "Here")
    store.ok("groups", "add", "facebook:2", "--name", "There")  # known to the copy too
    for n in range(5):
        store.ok("record", "post", "--group", "linkedin:1", "--note", f"here {n}")
    other = Home(root / "other", base_env(root / "other"))
    shutil.copytree(store.data, other.data)
    other.ok("init")  # the same passphrase: this copy joins as a second device
    for n in range(3):
        other.ok("record", "comment", "--group", "facebook:2", "--note", f"there {n}")
    mine = json.loads(store.ok("init", "--json"))["device"]
    theirs = json.loads(other.ok("init", "--json"))["device"]
    assert mine != theirs
    shutil.copytree(other.data / "log" / theirs, store.data / "log" / theirs)
    assert json.loads(store.ok("verify", "--json"))["records"] == 10
    return store.root, mine, theirs


@pytest.fixture
def two_devices(home: Home, two_devices_made: tuple[Path, str, str]
                ) -> tuple[Home, Path, Path]:
    made, mine, theirs = two_devices_made
    shutil.copytree(made, home.root, symlinks=True)
    return home, home.data / "log" / mine / "00000001.seg", \
        home.data / "log" / theirs / "00000001.seg"


def assert_verify_names(store: Home, path: Path, *words: str) -> None:
    result = store.run("verify")
    assert result.code == 3, result
    assert result.err.count("\n") == 1
    assert str(path) in result.err, result.err
    for word in words:
        assert word in result.err, result.err
    doc = json.loads(store.run("verify", "--json").out)
    assert doc["ok"] is False and doc["path"] == str(path)


def test_a_bit_flip_anywhere_is_caught(store: Home, in_process: Home) -> None:
    opener = Opener(store.root)
    opener.fill(4)
    [segment] = opener.segments()
    original = segment.read_bytes()
    for offset in range(len(original)):
        flipped = bytearray(original)
        flipped[offset] ^= 1 << (offset % 8)
        segment.write_bytes(bytes(flipped))
        with pytest.raises(IntegrityError) as caught:
            opener.log().close()
        assert caught.value.path == str(segment), offset
    segment.write_bytes(original)
    opener.log().close()


def test_a_flip_in_the_remembered_head_is_caught(store: Home) -> None:
    store.ok("groups", "add", "linkedin:1")
    head = store.state / "head.json"
    doc = json.loads(head.read_text())
    doc["seq"] = 7
    head.write_text(json.dumps(doc))
    result = store.run("verify")
    assert result.code == 3 and "head.json" in result.err


def test_bit_flip_via_cli(two_devices: tuple[Home, Path, Path]) -> None:
    store, mine, _ = two_devices
    third = records(mine)[2]
    data = bytearray(mine.read_bytes())
    data[third[0] + 30] ^= 0x10
    mine.write_bytes(bytes(data))
    assert_verify_names(store, mine, "record 3", f"byte {third[0]}", "fails authentication")


def test_two_records_swapped(two_devices: tuple[Home, Path, Path]) -> None:
    store, mine, _ = two_devices
    data = mine.read_bytes()
    (o1, l1), (o2, l2) = records(mine)[1:3]
    swapped = data[:o1] + data[o2:o2 + l2] + data[o1:o1 + l1] + data[o2 + l2:]
    mine.write_bytes(swapped)
    assert_verify_names(store, mine, "record 2")


def test_a_middle_record_deleted(two_devices: tuple[Home, Path, Path]) -> None:
    store, mine, _ = two_devices
    data = mine.read_bytes()
    off, length = records(mine)[2]
    mine.write_bytes(data[:off] + data[off + length:])
    assert_verify_names(store, mine, "record 3")


def test_a_segment_replaced_by_its_older_copy(two_devices: tuple[Home, Path, Path]) -> None:
    store, mine, _ = two_devices
    older = mine.read_bytes()
    store.ok("record", "post", "--group", "linkedin:1", "--note", "newer")
    mine.write_bytes(older)  # a backup restored over the log
    assert_verify_names(store, mine, "record 8 was acknowledged")
    result = store.run("record", "post", "--group", "linkedin:1")
    assert result.code == 3 and mine.read_bytes() == older  # nothing written on top


def test_a_record_moved_into_another_devices_segment(two_devices: tuple[Home, Path, Path]
                                                     ) -> None:
    store, mine, theirs = two_devices
    off, length = records(mine)[4]
    with theirs.open("ab") as f:
        f.write(mine.read_bytes()[off:off + length])
    assert_verify_names(store, theirs, "record 4", "fails authentication")


def test_a_record_replayed_later_in_its_own_segment(two_devices: tuple[Home, Path, Path]
                                                    ) -> None:
    store, mine, _ = two_devices
    off, length = records(mine)[0]
    data = mine.read_bytes()
    spans = records(mine)
    cut = spans[3][0]
    mine.write_bytes(data[:cut] + data[off:off + length] + data[cut:])
    assert_verify_names(store, mine, "record 4")


def test_a_whole_device_segment_swapped_for_another_devices(
        two_devices: tuple[Home, Path, Path]) -> None:
    store, mine, theirs = two_devices
    shutil.copy(theirs, mine)
    assert_verify_names(store, mine, "another device")


def test_a_missing_middle_segment(store: Home, in_process: Home) -> None:
    opener = Opener(store.root)
    opener.fill(12, max_segment=600)
    segments = opener.segments()
    assert len(segments) >= 3
    segments[1].unlink()
    assert_verify_names(store, segments[1], "segment 2", "missing")


def test_an_older_copy_of_a_middle_segment(store: Home, in_process: Home) -> None:
    opener = Opener(store.root)
    with opener.ledger(write=True, max_segment=900) as ledger:
        engagement(ledger, "first")
        second_early = None
        for n in range(12):
            engagement(ledger, f"note {n}")
            segs = opener.segments()
            if len(segs) == 2 and second_early is None:
                second_early = segs[1].read_bytes()
    segments = opener.segments()
    assert len(segments) >= 3 and second_early is not None
    segments[1].write_bytes(second_early)
    assert_verify_names(store, segments[2], "does not follow segment 2")


def test_the_parallel_open_sees_what_the_sequential_one_sees(store: Home, in_process: Home
                                                             ) -> None:
    from tests.test_fold import canonical

    opener = Opener(store.root)
    opener.fill(60, max_segment=2000)
    assert len(opener.segments()) >= 6
    from handful.ledger import EventReducer
    from handful.store.log import EventLog

    def open_log(parallel: bool) -> str:
        log = EventLog.open(opener.paths, EventReducer(), opener.key, ident=opener.ident,
                            parallel=parallel)
        with log:
            assert log.state.events == 60
            return canonical(log.state)

    assert open_log(True) == open_log(False)
    middle = opener.segments()[3]
    data = bytearray(middle.read_bytes())
    data[-5] ^= 0x01
    middle.write_bytes(bytes(data))
    for parallel in (True, False):
        with pytest.raises(IntegrityError) as caught:
            EventLog.open(opener.paths, EventReducer(), opener.key, ident=opener.ident,
                          parallel=parallel)
        assert caught.value.path == str(middle)
