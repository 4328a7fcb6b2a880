"""Keys: keyring, passphrase and recovery key; every way of failing is a clear error that
writes nothing and destroys nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Home, base_env
from tests.test_cli import snapshot

KEYRING = {"PYTHON_KEYRING_BACKEND": "memory_keyring.FileBackedKeyring"}


@pytest.fixture
def keyring_home(tmp_path: Path) -> Home:
    env = base_env(tmp_path / "home")
    del env["HANDFUL_PASSPHRASE"]
    env.update(KEYRING, HANDFUL_TEST_KEYRING=str(tmp_path / "os-keyring.json"))
    return Home(tmp_path / "home", env)


def test_wrong_passphrase(store: Home) -> None:
    store.ok("groups", "add", "linkedin:1")
    before = snapshot(store)
    for args in (("status",), ("record", "post", "--group", "linkedin:1"), ("verify",),
                 ("init",)):
        result = store.run(*args, extra={"HANDFUL_PASSPHRASE": "wrong"})
        assert result.code == 4, result
        assert result.err == "handful: the passphrase in HANDFUL_PASSPHRASE does not unlock " \
                             "this store\n"
    assert snapshot(store) == before


def test_passphrase_store_without_the_passphrase(store: Home) -> None:
    env = {k: v for k, v in store.env.items() if k != "HANDFUL_PASSPHRASE"}
    result = Home(store.root, env).run("groups")
    assert result.code == 4 and "set HANDFUL_PASSPHRASE" in result.err


@pytest.mark.parametrize("backend", ["keyring.backends.fail.Keyring",
                                     "keyring.backends.null.Keyring"])
def test_no_usable_keyring_and_no_passphrase(home: Home, backend: str) -> None:
    env = {k: v for k, v in home.env.items() if k != "HANDFUL_PASSPHRASE"}
    env["PYTHON_KEYRING_BACKEND"] = backend
    result = Home(home.root, env).run("init")
    assert result.code == 4
    assert result.err.count("\n") == 1
    assert "HANDFUL_PASSPHRASE" in result.err and "keyring" in result.err.lower()
    assert not (home.data / "store.json").exists()
    assert not list(home.data.glob("keys/*"))


def test_empty_passphrase_is_refused(home: Home) -> None:
    result = home.run("init", extra={"HANDFUL_PASSPHRASE": ""})
    assert result.code == 2 and "empty" in result.err
    assert not (home.data / "store.json").exists()


def test_keyring_mode_and_a_missing_keyring_entry(keyring_home: Home) -> None:
    home = keyring_home
    created = json.loads(home.ok("init", "--json"))
    assert created["method"] == "keyring"
    home.ok("groups", "add", "linkedin:9", "--name", "Kept", "--json")
    secrets = json.loads(Path(home.env["HANDFUL_TEST_KEYRING"]).read_text())
    # the key-encryption key and a copy of the head (tests/test_head.py); never the data key
    assert sorted(name.split("|")[0] for name in secrets) == ["handful", "handful-head"]
    head_copy = json.loads(next(v for k, v in secrets.items() if k.startswith("handful-head")))
    assert set(head_copy) == {"version", "store", "device", "segment", "seq", "tag", "mac"}

    Path(home.env["HANDFUL_TEST_KEYRING"]).write_text("{}")  # the keyring lost its entry
    before = snapshot(home)
    for args in (("status",), ("record", "post", "--group", "linkedin:9"), ("export",)):
        result = home.run(*args)
        assert result.code == 4
        assert "missing from the OS keyring" in result.err and "--recover" in result.err
    assert snapshot(home) == before

    home.ok("init", "--recover", input=created["recovery_key"].lower() + "\n")
    [event] = json.loads(home.ok("export"))["events"]
    assert event["group"]["name"] == "Kept"
    assert home.ok("verify")


def test_a_wrong_recovery_key(store: Home) -> None:
    created = json.loads(store.ok("init", "--json"))
    before = snapshot(store)
    wrong = "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA"
    assert wrong != created["store"]
    result = store.run("init", "--recover", input=wrong + "\n")
    assert result.code == 4 and "does not unlock" in result.err
    result = store.run("init", "--recover", input="not a key\n")
    assert result.code == 4 and "not a recovery key" in result.err
    assert snapshot(store) == before


def test_recovery_on_a_new_machine(tmp_path: Path) -> None:
    old = Home(tmp_path / "old", base_env(tmp_path / "old"))
    key = json.loads(old.ok("init", "--json"))["recovery_key"]
    old.ok("groups", "add", "linkedin:100", "--name", "Kept Group")
    # The new machine has the data folder (from a backup or sync) and a new passphrase.
    new = Home(tmp_path / "new", {**base_env(tmp_path / "new"),
                                   "HANDFUL_PASSPHRASE": "a different passphrase"})
    shutil.copytree(old.data, new.data)
    assert new.run("status").code == 4
    result = json.loads(new.ok("init", "--recover", "--json", input=key + "\n"))
    assert result["recovered"] is True
    new.ok("record", "post", "--group", "linkedin:100")
    events = json.loads(new.ok("export"))["events"]
    assert [e["type"] for e in events] == ["joined", "engagement"]
    assert events[0]["device"] != events[1]["device"]
    assert json.loads(new.ok("verify", "--json"))["records"] == 2
    groups = json.loads(new.ok("groups", "--json"))["groups"]
    assert groups[0]["group"]["name"] == "Kept Group"


def test_recover_without_a_store(home: Home) -> None:
    result = home.run("init", "--recover", input="AAAA\n")
    assert result.code == 1 and "no Handful store" in result.err


def test_uninstall_purge_deletes_the_key_from_the_os_keyring(keyring_home: Home,
                                                              tmp_path: Path) -> None:
    keyring_home.env["HOME"] = str(tmp_path / "user")
    keyring_home.ok("init")
    keyring_home.ok("groups", "add", "linkedin:1")
    secrets = Path(keyring_home.env["HANDFUL_TEST_KEYRING"])
    assert len(json.loads(secrets.read_text())) == 2  # the key's, and the head's copy
    keyring_home.ok("uninstall", "--purge", "--yes")
    assert json.loads(secrets.read_text()) == {}  # no secret left behind for data now gone
    assert not keyring_home.data.exists()
