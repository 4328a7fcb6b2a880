"""Known-answer vectors: a version-1 store committed to the repository is still read, and the
writer still produces it byte for byte. Change the format only with a new version number."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import ROOT, Home, base_env
from tests.support.vectors import build

FIXTURE = ROOT / "tests" / "fixtures" / "format-v1"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "expected.json"}


def test_the_writer_still_produces_the_vectors_byte_for_byte(tmp_path: Path) -> None:
    build(tmp_path / "fresh")
    assert files_of(tmp_path / "fresh") == files_of(FIXTURE)


def test_a_version_1_store_is_still_read_with_its_passphrase(tmp_path: Path) -> None:
    home = Home(tmp_path / "home", {**base_env(tmp_path / "home"),
                                    "HANDFUL_PASSPHRASE": EXPECTED["passphrase"]})
    shutil.copytree(FIXTURE, home.root)
    assert json.loads(home.ok("export"))["events"] == EXPECTED["events"]
    assert json.loads(home.ok("verify", "--json"))["records"] == 3
    assert json.loads(home.ok("config", "get", "cap")) == 4


def test_a_version_1_store_is_still_opened_by_its_recovery_key(tmp_path: Path) -> None:
    home = Home(tmp_path / "home", {**base_env(tmp_path / "home"),
                                    "HANDFUL_PASSPHRASE": "a new one"})
    shutil.copytree(FIXTURE / "data", home.data)
    home.ok("init", "--recover", input=EXPECTED["recovery_key"] + "\n")
    assert json.loads(home.ok("export"))["events"] == EXPECTED["events"]


SYNC = ROOT / "tests" / "fixtures" / "sync-v1"


def test_the_sync_folder_vectors_are_still_written_and_read(tmp_path: Path) -> None:
    """The folder a device of the vector store publishes (two pieces): built again byte
    for byte, and a new machine joins from it and reads the three events."""
    from tests.support.vectors import build_sync

    build(tmp_path / "store")
    build_sync(tmp_path / "sync", tmp_path / "store")
    assert files_of(tmp_path / "sync") == files_of(SYNC)
    folder = tmp_path / "Sync"
    shutil.copytree(SYNC, folder, ignore=shutil.ignore_patterns("expected.json"))
    before = files_of(folder)
    home = Home(tmp_path / "home", {**base_env(tmp_path / "home"),
                                    "HANDFUL_PASSPHRASE": EXPECTED["passphrase"]})
    home.ok("sync", "enable", str(folder), input="")
    events = [e for e in json.loads(home.ok("export"))["events"]
              if e["type"] != "device_named"]
    assert events == EXPECTED["events"]
    assert {k: v for k, v in files_of(folder).items() if k in before} == before


def test_the_publisher_writes_the_vector_segment_as_one_piece(tmp_path: Path) -> None:
    """The vector store's device, syncing: its one segment (three records) published as
    one piece whose bytes are the piece header then the segment, byte for byte."""
    home = Home(tmp_path / "home", {**base_env(tmp_path / "home"),
                                    "HANDFUL_PASSPHRASE": EXPECTED["passphrase"]})
    shutil.copytree(FIXTURE, home.root, ignore=shutil.ignore_patterns("expected.json"))
    folder = tmp_path / "Sync"
    folder.mkdir()
    home.ok("sync", "enable", str(folder))
    mine = folder / "handful" / "devices" / "101112131415161718191a1b1c1d1e1f"
    segment = (FIXTURE / "data" / "log" / "101112131415161718191a1b1c1d1e1f" /
               "00000001.seg").read_bytes()
    first = (mine / "00000001-000000000001-000000000003.piece").read_bytes()
    assert first[80:] == segment and first[:8] == b"HNDFPCE\0"
    assert first[48:56] == bytes(8) and int.from_bytes(first[72:76], "big") == len(segment)
