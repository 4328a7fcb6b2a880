"""The remembered head (`state/head.json`): its loss is said out loud, and where the key is
in the OS keyring a copy there still catches a rolled-back log."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import Home, base_env
from tests.test_keys import KEYRING


def segment(home: Home) -> Path:
    [only] = list((home.data / "log").glob("*/*.seg"))
    return only


def test_a_deleted_head_is_noticed_and_written_again(store: Home) -> None:
    store.ok("groups", "add", "linkedin:8", "--name", "Eight")
    store.ok("record", "post", "--group", "linkedin:8")
    head = store.state / "head.json"
    head.unlink()
    done = store.run("status", "--json")
    assert done.code == 0
    assert f"{head}: missing, though this machine's log holds records: had the log been " \
           "rolled back it could not be told; the file is written again" in done.err
    verified = json.loads(store.ok("verify", "--json"))
    assert any("head.json: missing" in w for w in verified["warnings"])
    store.ok("record", "comment", "--group", "linkedin:8")  # a writer: written again
    assert head.exists()
    assert "missing" not in store.run("status", "--json").err


def test_with_the_key_in_the_keyring_a_rollback_is_caught_without_the_head(
        tmp_path: Path) -> None:
    env = base_env(tmp_path / "home")
    del env["HANDFUL_PASSPHRASE"]
    env.update(KEYRING, HANDFUL_TEST_KEYRING=str(tmp_path / "os-keyring.json"))
    home = Home(tmp_path / "home", env)
    home.ok("init")
    home.ok("groups", "add", "linkedin:9", "--name", "Nine")
    older = tmp_path / "older.seg"
    shutil.copy(segment(home), older)  # a backup of the log, one record long
    home.ok("record", "post", "--group", "linkedin:9", "--note", "after the backup")
    copies = json.loads((tmp_path / "os-keyring.json").read_text())
    assert any(name.startswith("handful-head|") for name in copies)  # the copy is kept
    # The log restored from the backup, and the head that would tell deleted with it.
    shutil.copy(older, segment(home))
    (home.state / "head.json").unlink()
    done = home.run("status")
    assert done.code != 0
    assert "this machine's log ends at record 1 but record 2 was acknowledged: an older " \
           "copy was restored or records were lost" in done.err
    # The same on a store whose key is a passphrase (no keyring to keep a copy): only the
    # warning, which is why the docs say where the head is kept.
    plain = Home(tmp_path / "plain", base_env(tmp_path / "plain"))
    plain.ok("init")
    plain.ok("groups", "add", "linkedin:9", "--name", "Nine")
    shutil.copy(segment(plain), older)
    plain.ok("record", "post", "--group", "linkedin:9")
    shutil.copy(older, segment(plain))
    (plain.state / "head.json").unlink()
    done = plain.run("status")
    assert done.code == 0 and "head.json: missing" in done.err
