"""Limits: the times an event may carry, at intake and in the fold."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from typing import Any

import pytest

from handful.domain import events as ev
from handful.errors import InvalidEvent
from tests.conftest import Home
from tests.storekit import Opener

GROUP = {"platform": "linkedin", "id": "31", "name": "Timely"}
FRAME = struct.Struct("=I")


def event(ts: str, **more: Any) -> dict[str, Any]:
    return {"id": "e-1", "type": "engagement", "ts": ts, "device": "desk", "group": GROUP,
            "kind": "post", **more}


@pytest.mark.parametrize(("ts", "why"), [
    ("9999-12-31T23:59:59Z", "is after 2099"),
    ("2100-01-01T00:00:00Z", "is after 2099"),
    ("1999-12-31T23:59:59Z", "is before 2000"),
    ("1970-01-01T00:00:00Z", "is before 2000"),
])
def test_times_that_cannot_be_true_are_refused_at_intake(ts: str, why: str) -> None:
    with pytest.raises(InvalidEvent, match=f"{why} - at `\\$.ts`"):
        ev.parse_event(event(ts))


def test_more_than_a_day_ahead_is_refused_unless_the_clock_is_set(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HANDFUL_NOW", raising=False)
    from handful import clock

    soon = clock.iso(clock.now() + ev.AHEAD / 2)
    later = clock.iso(clock.now() + ev.AHEAD * 2)
    assert ev.parse_event(event(soon)).ts == soon  # a clock a little fast: fine
    with pytest.raises(InvalidEvent, match="more than a day ahead of this machine's clock"):
        ev.parse_event(event(later))
    # a reminder may be far ahead, but not past the ceiling
    deferred = {"id": "d-1", "type": "join_deferred", "ts": soon, "device": "desk",
                "group": GROUP, "remind_at": "2090-01-01T00:00:00Z"}
    assert ev.parse_event(deferred).remind_at == "2090-01-01T00:00:00.000Z"
    with pytest.raises(InvalidEvent, match=r"is after 2099 - at `\$.remind_at`"):
        ev.parse_event({**deferred, "remind_at": "2200-01-01T00:00:00Z"})
    monkeypatch.setenv("HANDFUL_NOW", "2030-06-01T00:00:00Z")  # a replay: its own clock
    assert ev.parse_event(event("2030-06-20T00:00:00Z")).ts.startswith("2030-06-20")


def test_the_agent_refuses_a_far_future_event_from_the_browser(store: Home) -> None:
    store.ok("start")
    try:
        body = json.dumps({"id": 3, "type": "engagement", "event": {
            "id": "far", "ts": "9999-01-01T00:00:00Z", "group": GROUP, "kind": "post"}}).encode()
        done = subprocess.run(
            [sys.executable, "-m", "handful.host", "chrome-extension://x/"],
            input=FRAME.pack(len(body)) + body, capture_output=True, timeout=60,
            env={**store.env, "HANDFUL_EXTENSION_IDS": "x"}, check=False)
        (length,) = FRAME.unpack_from(done.stdout)
        reply = json.loads(done.stdout[4:4 + length])
        assert reply["ok"] is False and reply["error"]["code"] == "invalid"
        assert "is after 2099" in reply["error"]["message"]
        assert json.loads(store.ok("status", "--json"))["events"] == 0
    finally:
        store.run("stop")


def test_a_far_future_event_already_in_the_log_is_kept_reported_and_not_counted(
        store: Home, in_process: Home) -> None:
    """Written by a device with a broken clock, or an older Handful without these checks:
    every device folds it the same way (not counted), status and review still work, and
    the user is told."""
    store.ok("groups", "add", "linkedin:31", "--name", "Timely")
    opener = Opener(store.root)
    with opener.ledger(write=True) as ledger:
        assert ledger.log.append("far", json.dumps(event("9999-12-31T23:59:59.000Z",
                                                          id="far")).encode())
    for parallel in (False, True):
        with opener.ledger(parallel=parallel, checkpoint=False) as ledger:
            assert ledger.state.beyond == 1 and ledger.state.events == 1
    done = store.run("status", "--json")
    assert done.code == 0
    status = json.loads(done.out)
    assert status["members"] == 1 and status["events"] == 1
    assert "1 events carry a time after 2099 (a wrong clock?) and are kept but not counted" \
        in done.err
    review = store.run("review", "--json")
    assert review.code == 0 and json.loads(review.out)["groups"][0]["key"] == "linkedin:31"
    verified = json.loads(store.ok("verify", "--json"))
    assert verified["ok"] is True
    assert any("after 2099" in w for w in verified["warnings"])
    exported = {e["id"] for e in json.loads(store.ok("export"))["events"]}
    assert "far" in exported  # kept whole


HOSTILE = "Evil\x1b]0;pwned\x07\x1b[2J\x9b31m\x7f Group"


def test_names_from_pages_cannot_drive_the_terminal(store: Home) -> None:
    store.ok("groups", "add", "linkedin:66", "--name", HOSTILE)
    store.ok("record", "post", "--group", "linkedin:66", "--note", "note\x1b[8mhidden\r=1")
    for args in (("groups",), ("status",), ("review",), ("groups", "--all")):
        out = store.run(*args)
        text = out.out + out.err
        assert out.code == 0, out.err
        assert not any((0x00 <= ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0
                       for c in text), (args, text)
    assert "Evil\ufffd]0;pwned\ufffd\ufffd[2J\ufffd31m\ufffd Group" in store.ok("groups")
    # JSON keeps the name whole, every control character escaped
    doc = store.ok("groups", "--json")
    assert "\x1b" not in doc and "\x9b" not in doc and "\\u001b" in doc and "\\u009b" in doc
    assert json.loads(doc)["groups"][0]["group"]["name"] == HOSTILE
    exported = store.ok("export")
    assert "\x9b" not in exported and "\x7f" not in exported
    assert any(e.get("group", {}).get("name") == HOSTILE
               for e in json.loads(exported)["events"])


@pytest.mark.parametrize("note", ["=HYPERLINK(\"http://x\")", "+1", "-1+1", "@SUM(A1)",
                                  "\t=1+1", "\r=1+1", "  =1+1", "\uff1d1+1"])
def test_a_csv_export_never_hands_a_spreadsheet_a_formula(store: Home, note: str) -> None:
    import csv
    import io

    store.ok("groups", "add", "linkedin:67", "--name", "=cmd|' /C calc'!A0")
    store.ok("record", "post", "--group", "linkedin:67", f"--note={note}")
    rows = list(csv.DictReader(io.StringIO(store.ok("export", "--format", "csv"))))
    cells = [row[c] for row in rows for c in ("note", "group_name") if row[c]]
    assert cells and all(cell.startswith("'") for cell in cells), cells
    assert all("\r" not in cell for cell in cells)
