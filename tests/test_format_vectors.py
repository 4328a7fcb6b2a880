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
