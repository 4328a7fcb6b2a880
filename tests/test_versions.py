"""Versions mix once devices sync: what a newer Handful wrote is read leniently (a field it
added is ignored and the event still counts; a type it added is kept, exported and reported),
while what comes in from outside is checked strictly."""

from __future__ import annotations

import json

import pytest

from handful.domain import events as ev
from handful.errors import InvalidEvent
from tests.conftest import Home
from tests.storekit import Opener

GROUP = {"platform": "linkedin", "id": "4242", "name": "Newer Things", "url": None}


def newer(**fields: object) -> dict[str, object]:
    return {"id": "from-the-future", "type": "engagement", "ts": "2026-11-20T10:00:00.000Z",
            "device": "laptop", "group": {**GROUP, "avatar": "x.png"}, "kind": "post",
            "mood": "cheerful", **fields}


def test_a_field_a_newer_handful_added_is_ignored_when_read_and_refused_when_sent() -> None:
    event = ev.decode_stored(json.dumps(newer()).encode())
    assert event.id == "from-the-future" and event.group.name == "Newer Things"
    assert [e.id for e in ev.decode_stored_many([json.dumps(newer()).encode()])] == [
        "from-the-future"]
    with pytest.raises(InvalidEvent, match="unknown field `mood`"):
        ev.parse_event(newer())
    without_mood = {k: v for k, v in newer().items() if k != "mood"}
    with pytest.raises(InvalidEvent, match=r"unknown field `avatar` - at `\$.group`"):
        ev.parse_event(without_mood)
    with pytest.raises(InvalidEvent, match="unknown field `mood`"):
        ev.parse_event(json.dumps(newer()).encode())  # as bytes too


def test_a_store_holding_a_newer_handfuls_events_counts_what_it_can_read(
        store: Home, in_process: Home) -> None:
    opener = Opener(store.root)
    with opener.ledger(write=True) as ledger:
        assert ledger.log.append("from-the-future", json.dumps(newer()).encode())
        assert ledger.log.append("new-type", json.dumps(
            {"id": "new-type", "type": "group_pinned", "ts": "2026-11-20T11:00:00.000Z",
             "device": "laptop", "group": GROUP}).encode())
    groups = json.loads(store.ok("groups", "--all", "--json"))["groups"]
    [group] = [g for g in groups if g["key"] == "linkedin:4242"]
    assert group["figures"]["365"]["posts"] == 1  # the newer event counts
    done = store.run("status", "--json")
    assert done.code == 0
    assert "1 events were written by a newer Handful" in done.err  # the unknown type: said
    exported = {e["id"]: e for e in json.loads(store.ok("export"))["events"]}
    assert exported["from-the-future"]["mood"] == "cheerful"  # kept whole
    assert exported["new-type"]["type"] == "group_pinned"
