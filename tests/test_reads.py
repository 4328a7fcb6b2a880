"""Reading while the agent runs: `status`, `groups`, `review`, `export`, `verify` and
`config get` go through the agent (which holds the key), so they ask no passphrase, and they
answer exactly what the store opened directly answers. `export` comes a page at a time,
however large; `verify` has the agent read the disk again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handful.api.exports import Exports
from handful.api.protocol import PAGE_BYTES, ProtocolError
from tests.conftest import Home
from tests.hostkit import Host
from tests.storekit import Opener

READS = (("groups", "--all", "--json"), ("status", "--json"), ("review", "--json"),
         ("export",), ("export", "--format", "csv"), ("verify", "--json"),
         ("config", "get", "--json"))


def without_passphrase(home: Home) -> Home:
    return Home(home.root, {k: v for k, v in home.env.items() if k != "HANDFUL_PASSPHRASE"})


def comparable(command: tuple[str, ...], out: str) -> Any:
    if (command[0] == "export" and "csv" not in command) or "--json" in command:
        doc = json.loads(out)
        if command[0] == "status":
            doc.pop("agent")  # (running or not: the one thing that differs)
        if command[0] == "review":
            doc.pop("now")
        return doc
    return out


def test_reads_ask_no_passphrase_while_the_agent_runs_and_answer_the_same(store: Home) -> None:
    store.ok("groups", "add", "linkedin:7", "--name", "Seven", "--url",
             "https://www.linkedin.com/groups/7/")
    store.ok("groups", "add", "facebook:quiet", "--name", "Quiet")
    store.ok("record", "post", "--group", "linkedin:7", "--note", "=SUM(A1) hello, \"you\"")
    store.ok("review", "--decide", "facebook:quiet=deepen", "--note", "a post a week")
    store.ok("config", "set", "cap", "4")
    now = {"HANDFUL_NOW": "2026-12-20T10:00:00Z"}
    direct = {cmd: comparable(cmd, store.ok(*cmd, extra=now)) for cmd in READS}

    bare = without_passphrase(store)
    refused = bare.run("groups")  # no agent, no passphrase: one clear line
    assert refused.code == 4 and refused.err.count("\n") == 1, refused
    assert "HANDFUL_PASSPHRASE" in refused.err

    store.run("start", extra=now)
    try:
        for cmd in READS:
            result = bare.run(*cmd, input="")
            assert result.code == 0, (cmd, result.err)
            assert comparable(cmd, result.out) == direct[cmd], cmd
        status = json.loads(bare.ok("status", "--json"))
        assert status["agent"]["running"] and status["agent"]["pid"]
        text = bare.ok("status")
        assert "Agent: running" in text and "Groups: 2 of 4" in text
        assert "a post a week" in bare.ok("review")
        out = Path(store.root.parent / "out.json")
        bare.ok("export", "-o", str(out))
        assert json.loads(out.read_text()) == direct[("export",)]
    finally:
        store.run("stop")


@pytest.fixture
def big_store(in_process: Home) -> Iterator[tuple[Home, int]]:
    """A store whose export is several pages: 6,000 events, a note of 300 bytes each."""
    in_process.ok("init")
    opener = Opener(in_process.root)
    count = 6000
    opener.fill(count, note="x" * 300)
    yield in_process, count


def test_a_large_export_comes_in_pages_and_is_byte_for_byte_the_direct_one(
        big_store: tuple[Home, int]) -> None:
    home, count = big_store
    direct = home.ok("export", timeout=120)
    assert len(direct) > 3 * PAGE_BYTES  # (more than the pages the agent sends at most)
    home.ok("start")
    try:
        host = Host(home)
        try:
            first = host.ask({"id": 1, "type": "export"})
            assert first["ok"], first
            page = first["result"]
            assert page["next"] and 0 < len(page["events"]) < count
            assert len(json.dumps(page)) < (1 << 20)
            again = host.ask({"id": 2, "type": "export", "after": page["next"], "limit": 3})
            assert len(again["result"]["events"]) == 3
            assert again["result"]["events"][0]["id"] != page["events"][-1]["id"]
        finally:
            host.finish()
        through = without_passphrase(home).ok("export", timeout=120)
        assert through == direct
        csv_direct = json.loads(direct)["events"][-1]["note"]
        assert csv_direct in without_passphrase(home).ok("export", "--format", "csv",
                                                         timeout=120)
    finally:
        home.run("stop")


def test_verify_through_the_agent_reads_the_disk_again(store: Home) -> None:
    store.ok("groups", "add", "linkedin:7", "--name", "Seven")
    store.ok("start")
    try:
        bare = without_passphrase(store)
        assert "Intact: 1 record(s)" in bare.ok("verify")
        segment = next((store.data / "log").rglob("*.seg"))
        data = bytearray(segment.read_bytes())
        data[-40] ^= 0x01  # a bit flipped in the record, under the agent's feet
        segment.write_bytes(bytes(data))
        result = bare.run("verify")
        assert result.code == 3, result
        assert result.err.count("\n") == 1 and str(segment.name) in result.err, result.err
        doc = json.loads(bare.run("verify", "--json").out)
        assert doc["ok"] is False and segment.name in doc["path"]
        exported = bare.run("export")
        assert exported.code == 3 and exported.err.count("\n") == 1, exported
        folder = store.root.parent / "exports"
        folder.mkdir()
        failed = bare.run("export", "-o", str(folder / "all.json"))
        assert failed.code == 3, failed
        assert list(folder.iterdir()) == []  # no half export, no temp file left
    finally:
        store.run("stop")


def test_export_cursors_are_few_and_short_lived() -> None:
    def source() -> Iterator[dict[str, Any]]:
        return iter({"id": str(n), "note": "n" * 100} for n in range(10))

    async def run() -> None:
        exports = Exports(source, most=2, idle=3600)
        first = await exports.page(None, 2)
        second = await exports.page(None, 2)
        assert first["next"] and second["next"]
        third = await exports.page(None, 2)  # one more than `most`: the oldest is closed
        with pytest.raises(ProtocolError, match="not open"):
            await exports.page(first["next"], 2)
        rest = await exports.page(second["next"], 100)
        assert [e["id"] for e in rest["events"]] == [str(n) for n in range(2, 10)]
        assert rest["next"] is None and len(exports.cursors) == 1  # finished: closed
        assert (await exports.page(third["next"], 1))["events"][0]["id"] == "2"
        stale = Exports(source, idle=0)
        page = await stale.page(None, 1)
        with pytest.raises(ProtocolError, match="idle"):
            await stale.page(page["next"], 1)

    asyncio.run(run())
