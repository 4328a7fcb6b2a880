"""The native messaging host as a black box, the way the browser runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from tests.conftest import Home
from tests.hostkit import EXTENSION, LENGTH, ORIGIN, Host

GROUP = {"platform": "linkedin", "id": "777", "name": "Host Tests"}


@pytest.fixture
def running(store: Home) -> Iterator[Home]:
    store.ok("start")
    yield store
    store.run("stop")


def event(n: int, prefix: str = "h") -> dict[str, object]:
    return {"id": n, "type": "engagement",
            "event": {"id": f"{prefix}{n}", "group": GROUP, "kind": "visit", "minutes": 1}}


def test_frames_in_frames_out(running: Home) -> None:
    host = Host(running)
    status = host.ask({"id": "s", "type": "status"})
    assert status["ok"] and status["result"]["agent"]["running"] is True
    for n in range(20):
        assert host.ask(event(n))["result"]["stored"] is True
    assert host.ask(event(3))["result"]["stored"] is False  # a retry
    code, out, err = host.finish()
    assert (code, out) == (0, b"")  # EOF: a clean exit
    assert b"Traceback" not in err
    stored = json.loads(running.ok("export"))["events"]
    assert len(stored) == 20


def test_firefox_arguments(running: Home) -> None:
    host = Host(running, "/home/u/.mozilla/native-messaging-hosts/com.handful.agent.json",
                "firefox@test")
    assert host.ask({"id": 1, "type": "ping"})["ok"]
    assert host.finish()[0] == 0


@pytest.mark.parametrize("args", [("chrome-extension://someoneelse/",),
                                  ("/x/com.handful.agent.json", "evil@addon"), ()])
def test_callers_other_than_the_extension_are_refused(running: Home, args: tuple[str, ...]
                                                      ) -> None:
    host = Host(running, *args) if args else Host(running, "--nothing")
    host.frame(json.dumps(event(1)).encode())
    code, out, err = host.finish()
    assert code == 1 and out == b""
    assert b"refused" in err and b"Traceback" not in err
    assert json.loads(running.ok("export"))["events"] == []


def test_malformed_frames_get_error_replies_and_lose_nothing(running: Home) -> None:
    host = Host(running)
    assert host.ask(event(1))["ok"]
    host.frame(b"{not json")
    assert host.read()["error"]["code"] == "bad_json"
    host.frame("\ud800".encode("utf-8", "surrogatepass"))
    assert host.read()["ok"] is False
    assert host.ask({"id": 7, "type": "engagement", "event": {"id": 5}})["ok"] is False
    host.frame(b'{"id": [1], "type": "status"}')
    assert host.read() == {"id": None, "ok": False, "error": {
        "code": "invalid", "message": "Expected `int | str | null`, got `array` - at `$.id`"}}
    host.frame(b"")
    assert host.read()["ok"] is False
    host.frame(json.dumps({"id": 8, "type": "status", "pad": "x" * (1 << 20)}).encode())
    assert host.read()["error"]["code"] == "too_large"
    assert host.ask(event(2))["ok"]  # the stream is still in step
    code, out, err = host.finish()
    assert out == b""
    assert code == 0 and b"Traceback" not in err
    assert {e["id"] for e in json.loads(running.ok("export"))["events"]} == {"h1", "h2"}


def test_a_4gb_length_header(running: Home) -> None:
    host = Host(running)
    assert host.ask(event(1))["ok"]
    host.write(LENGTH.pack(0xFFFFFFFF) + b"{}")
    reply = host.read()
    assert reply["error"]["code"] == "too_large"
    code, _out, err = host.finish()
    assert code == 1 and b"gave up" in err and b"Traceback" not in err
    assert len(json.loads(running.ok("export"))["events"]) == 1


def test_a_frame_cut_in_half(running: Home) -> None:
    host = Host(running)
    assert host.ask(event(1))["ok"]
    body = json.dumps(event(2)).encode()
    host.write(LENGTH.pack(len(body)) + body[: len(body) // 2])
    code, out, err = host.finish()
    assert code == 1 and out == b"" and b"middle of a frame" in err
    assert b"Traceback" not in err
    assert [e["id"] for e in json.loads(running.ok("export"))["events"]] == ["h1"]


def test_the_first_message_starts_the_agent(store: Home) -> None:
    assert json.loads(store.ok("status", "--json"))["agent"]["running"] is False
    host = Host(store)
    try:
        assert host.ask(event(1))["result"]["stored"] is True
        assert json.loads(store.ok("status", "--json"))["agent"]["running"] is True
        assert host.finish()[0] == 0
    finally:
        store.run("stop")


def test_two_hosts_at_once_with_retries_store_each_event_once(store: Home) -> None:
    """Two browsers start together (neither finds the agent), 1,000 events each, some
    sent twice as after a lost reply."""
    failures: list[str] = []

    def browser(name: str) -> None:
        host = Host(store)
        try:
            for n in range(1000):
                message = event(n, prefix=name)
                first = host.ask(message)
                if not first["ok"]:
                    failures.append(str(first))
                if n % 10 == 0:  # a retry of the same event
                    again = host.ask(message)
                    if again["result"]["stored"] is not False:
                        failures.append(f"retry stored twice: {again}")
            host.finish()
        except Exception as error:
            failures.append(repr(error))

    threads = [threading.Thread(target=browser, args=(name,)) for name in ("a", "b")]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        ids = [e["id"] for e in json.loads(store.ok("export"))["events"]]
        assert len(ids) == len(set(ids)) == 2000
        agents = json.loads(store.ok("status", "--json"))["agent"]
        assert agents["running"] is True
    finally:
        store.run("stop")


def test_the_agent_killed_mid_stream(running: Home) -> None:
    host = Host(running)
    acked = []
    pid = int((running.root / "run" / "agent.pid").read_text())
    for n in range(300):
        if n == 150:
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        reply = host.ask(event(n))
        assert reply["ok"], reply  # the host restarted the agent and carried on
        acked.append(f"h{n}")
    new_pid = int((running.root / "run" / "agent.pid").read_text())
    assert new_pid != pid
    assert host.finish()[0] == 0
    stored = {e["id"] for e in json.loads(running.ok("export"))["events"]}
    assert set(acked) <= stored
    assert running.run("verify").code == 0


def test_origin_argument_is_required_to_match_exactly(running: Home) -> None:
    host = Host(running, ORIGIN.replace("chrome-extension://", "chrome-extension://x"))
    host.frame(b"{}")
    assert host.finish()[0] == 1


def test_a_list_too_large_for_one_reply_comes_in_pages(running: Home) -> None:
    """1,800 groups with the longest names once made `groups` a 1.7 MB reply, which the host
    refused as too large for the browser; it now comes in pages under 1 MiB each (the host
    still refuses any reply over 1 MiB: its own cap stays)."""
    host = Host(running)
    groups = [{"platform": "facebook", "id": f"g{n}", "name": "n" * 490} for n in range(1800)]
    assert host.ask({"id": 1, "type": "memberships_imported", "batch": "big",
                     "groups": groups})["result"]["stored"] == 1800
    seen, after = 0, None
    while True:
        reply = host.ask({"id": 2, "type": "groups", **({"after": after} if after else {})})
        assert reply["ok"], reply
        seen += len(reply["result"]["groups"])
        after = reply["result"]["next"]
        if after is None:
            break
    assert seen == 1800
    assert host.ask({"id": 3, "type": "ping"})["ok"]  # still in step
    assert host.finish()[0] == 0


def test_an_agent_started_by_firefox_survives_the_hosts_process_group(store: Home) -> None:
    """Firefox ends a host by signalling its whole process group; the agent the host
    started must live on in its own session."""
    env = {**store.env, "HANDFUL_EXTENSION_IDS": EXTENSION}
    proc = subprocess.Popen([sys.executable, "-m", "handful.host", ORIGIN], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        body = json.dumps(event(1)).encode()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(LENGTH.pack(len(body)) + body)
        proc.stdin.flush()
        (length,) = LENGTH.unpack(proc.stdout.read(4))
        assert json.loads(proc.stdout.read(length))["ok"]
        os.killpg(proc.pid, signal.SIGTERM)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        status = json.loads(store.ok("status", "--json"))
        assert status["agent"]["running"] is True
    finally:
        store.run("stop")


def test_an_unguarded_join_and_an_alias_through_the_host_reach_status_and_the_cli(
        running: Home) -> None:
    host = Host(running)
    slug = {"platform": "facebook", "id": "quiet.makers", "name": "Quiet Makers",
            "url": "https://www.facebook.com/groups/quiet.makers/"}
    numeric = {"platform": "facebook", "id": "5550001"}
    joined = host.ask({"id": 1, "type": "joined", "event": {
        "id": "u1", "group": numeric, "unguarded": True, "source": "group"}})
    assert joined["ok"] and joined["result"]["event"]["unguarded"] is True
    alias = {"id": 2, "type": "group_alias", "event": {"id": "a1", "group": slug,
                                                       "alias": numeric}}
    assert host.ask(alias)["ok"]
    assert host.ask(alias)["result"]["stored"] is False  # the same pair: stored once
    wrong = host.ask({"id": 3, "type": "group_alias", "event": {
        "id": "a2", "group": slug, "alias": {"platform": "linkedin", "id": "1"}}})
    assert wrong["error"]["code"] == "invalid" and "same platform" in wrong["error"]["message"]
    found = host.ask({"id": 4, "type": "group", "group": {"platform": "facebook",
                                                           "id": "quiet.makers"}})
    view = found["result"]["group"]
    assert view["key"] == "facebook:5550001" and view["aliases"] == ["facebook:quiet.makers"]
    assert view["unjustified"] is True and view["group"]["name"] == "Quiet Makers"
    status = host.ask({"id": 5, "type": "status"})["result"]
    assert [u["key"] for u in status["unjustified"]] == ["facebook:5550001"]
    assert host.finish()[0] == 0
    out = running.ok("status")
    assert "Joins the guard did not see: 1" in out
    assert ("Joined without deciding: Quiet Makers on " in out
            and "`handful groups leave facebook:5550001`" in out)
    running.ok("groups", "leave", "facebook:quiet.makers")  # by its other id
    assert "Joined without deciding" not in running.ok("status")
