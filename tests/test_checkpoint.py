"""Checkpoints: an open folds only what was written since, and gets the same state as a
full fold; a checkpoint that is damaged or no longer matches the log is not trusted."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from handful.store.checkpoint import Checkpoint
from tests.conftest import Home, base_env
from tests.storekit import Opener


def write_some(opener: Opener, rng: random.Random, n: int) -> list[str]:
    ids = []
    with opener.ledger(write=True, checkpoint_after=25, max_segment=4000) as ledger:
        for _ in range(n):
            kind = rng.choice(["engagement", "joined", "left", "join_declined", "group_seen"])
            fields: dict[str, object] = {"group": {"platform": "linkedin",
                                                   "id": str(rng.randint(1, 6)),
                                                   "name": rng.choice(["A", "B", "C"])}}
            if kind == "engagement":
                fields.update(kind=rng.choice(["visit", "post"]), minutes=rng.choice([1.0, 2.0]))
            event = ledger.new(kind, **fields)
            ledger.append(event)
            ids.append(event.id)
    return ids


def full_and_checkpointed(opener: Opener) -> tuple[object, object]:
    with opener.log(checkpoint=False) as full, opener.log() as quick:
        return full.state, quick.state


def test_checkpointed_opens_equal_full_folds(store: Home, in_process: Home, tmp_path: Path
                                             ) -> None:
    rng = random.Random(7)
    opener = Opener(store.root)
    # a second device whose log arrives beside ours, as sync will bring it
    other = Home(tmp_path / "other", base_env(tmp_path / "other"))
    shutil.copytree(store.data, other.data)
    other.ok("init")
    other_opener = Opener(other.root)
    ids: list[str] = []
    for _ in range(6):
        ids += write_some(opener, rng, rng.randint(20, 80))
        ids += write_some(other_opener, rng, rng.randint(5, 40))
        theirs = other.data / "log" / other_opener.ident.name  # type: ignore[union-attr]
        shutil.rmtree(store.data / "log" / theirs.name, ignore_errors=True)
        shutil.copytree(theirs, store.data / "log" / theirs.name)
        assert Checkpoint.path(store.state).exists()
        full, quick = full_and_checkpointed(opener)
        assert full == quick
    with opener.log() as log:
        assert log.folded < len(ids)  # most of it came from the checkpoint
        for event_id in rng.sample(ids, 50):  # retries of old events are still recognised
            assert log.known(event_id)


def test_a_damaged_checkpoint_is_ignored(store: Home, in_process: Home) -> None:
    opener = Opener(store.root)
    write_some(opener, random.Random(1), 60)
    path = Checkpoint.path(store.state)
    blob = bytearray(path.read_bytes())
    blob[-3] ^= 0x40
    path.write_bytes(bytes(blob))
    full, quick = full_and_checkpointed(opener)
    assert full == quick
    with opener.log() as log:
        assert log.folded == 60  # everything folded again


def test_a_checkpoint_that_no_longer_matches_is_rebuilt(store: Home, in_process: Home,
                                                        tmp_path: Path) -> None:
    opener = Opener(store.root)
    other = Home(tmp_path / "other", base_env(tmp_path / "other"))
    shutil.copytree(store.data, other.data)
    other.ok("init")
    other_opener = Opener(other.root)
    write_some(other_opener, random.Random(2), 30)
    name = other_opener.ident.name  # type: ignore[union-attr]
    early = tmp_path / "early"
    shutil.copytree(other.data / "log" / name, early)
    write_some(other_opener, random.Random(3), 30)
    shutil.copytree(other.data / "log" / name, store.data / "log" / name)
    write_some(opener, random.Random(4), 30)  # checkpoint covers all 60 of theirs
    shutil.rmtree(store.data / "log" / name)
    shutil.copytree(early, store.data / "log" / name)  # their log, rolled back
    with opener.log() as log:
        assert "checkpoint did not match" in " ".join(log.warnings)
        assert log.state.events == 60
    full, quick = full_and_checkpointed(opener)
    assert full == quick


def test_the_checkpoint_holds_no_plaintext(store: Home, in_process: Home) -> None:
    for n in range(3):
        store.ok("groups", "add", f"facebook:zebra.{n}", "--name", "Zebra Finches Society")
    opener = Opener(store.root)
    with opener.log(write=True, checkpoint_after=1) as log:
        log.save_checkpoint()
    blob = Checkpoint.path(store.state).read_bytes()
    assert b"Zebra" not in blob and b"zebra" not in blob
    assert json.loads(store.ok("groups", "--json"))["count"] == 3
