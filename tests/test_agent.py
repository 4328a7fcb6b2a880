"""The agent's life as a user meets it: start, writes through it, stop, crashes, races."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from handful.client import AgentClient
from tests.conftest import Home, base_env

SYSTEM_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def agent_pid(home: Home) -> int:
    return int((home.root / "run" / "agent.pid").read_text())


def client(home: Home) -> AgentClient:
    return AgentClient(home.root / "run")


def test_start_status_write_through_the_agent_and_stop(agent: Home) -> None:
    status = json.loads(agent.ok("status", "--json"))
    assert status["agent"]["running"] is True and status["agent"]["pid"] == agent_pid(agent)
    sock = agent.root / "run" / "agent.sock"
    assert stat.S_IMODE(sock.stat().st_mode) == 0o600
    assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700
    # the agent holds the store's writer lock: these succeed only by going through it
    agent.ok("groups", "add", "linkedin:5", "--name", "Five")
    agent.ok("record", "post", "--group", "linkedin:5", "--note", "via the agent")
    agent.ok("config", "set", "cap", "4")
    c = client(agent)
    seen = c.send({"id": 1, "type": "group", "group": {"platform": "linkedin", "id": "5"}})
    c.close()
    assert seen["result"]["group"]["figures"]["30"]["posts"] == 1  # in the agent's memory
    assert seen["result"]["cap"] == 4
    again = agent.run("groups", "add", "linkedin:5")
    assert "Already a member" in again.out
    pid = agent_pid(agent)
    assert json.loads(agent.ok("stop", "--json")) == {"stopped": True}
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not sock.exists()
    events = json.loads(agent.ok("export"))["events"]
    assert [e["type"] for e in events] == ["joined", "engagement", "settings_changed"]
    assert json.loads(agent.ok("status", "--json"))["agent"]["running"] is False
    assert agent.ok("stop").strip() == "The agent was not running."


def test_a_second_agent_refuses_to_start(agent: Home) -> None:
    second = agent.run("agent", "--no-tray", timeout=30)
    assert second.code == 1 and "already running" in second.err


def test_many_starts_at_once_make_one_agent(store: Home) -> None:
    results: list[dict[str, object]] = []

    def start() -> None:
        results.append(json.loads(store.ok("start", "--json")))

    threads = [threading.Thread(target=start) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sum(bool(r["started"]) for r in results) == 1
        assert len({r["pid"] for r in results}) == 1
    finally:
        store.run("stop")


def test_sigterm_in_a_stream_of_writes_keeps_every_acknowledged_event(agent: Home) -> None:
    acked: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def writer(w: int) -> None:
        c = client(agent)
        n = 0
        while not stop.is_set():
            n += 1
            event = {"id": f"w{w}-{n}", "group": {"platform": "facebook", "id": "s"},
                     "kind": "reaction"}
            try:
                reply = c.send({"id": n, "type": "engagement", "event": event})
            except Exception as error:  # the agent went away mid-request
                failures.append(str(error))
                break
            if reply.get("ok"):
                acked.append(event["id"])
        c.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    os.kill(agent_pid(agent), signal.SIGTERM)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) > 20
    stored = {e["id"] for e in json.loads(agent.ok("export"))["events"]}
    assert set(acked) <= stored
    assert agent.run("verify").code == 0


def test_a_killed_agent_leaves_nothing_that_stops_the_next(store: Home) -> None:
    store.ok("start")
    c = client(store)
    for n in range(50):
        assert c.send({"id": n, "type": "joined", "event": {
            "id": f"k{n}", "group": {"platform": "linkedin", "id": str(n)}}})["ok"]
    c.close()
    os.kill(agent_pid(store), signal.SIGKILL)
    time.sleep(0.2)
    assert (store.root / "run" / "agent.sock").exists()  # stale, left by the crash
    assert json.loads(store.ok("status", "--json"))["agent"]["running"] is False
    try:
        assert json.loads(store.ok("start", "--json"))["started"] is True
        assert json.loads(store.ok("status", "--json"))["members"] == 50
    finally:
        store.run("stop")


def test_another_user_cannot_reach_the_agent(tmp_path: Path) -> None:
    # A home every user may pass through (but not list), so only the agent's own
    # permissions stand between another user and the socket.
    root = Path(tempfile.mkdtemp(dir="/tmp", prefix="handful-perm-"))
    os.chmod(root, 0o711)
    home = Home(root / "home", base_env(root / "home"))
    try:
        home.ok("init")
        home.ok("start")
        os.chmod(home.root, 0o711)
        sock = home.root / "run" / "agent.sock"
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700
        if os.getuid() != 0:
            return  # acting as another user needs root (as CI and this machine run)
        probe = (
            "import os, socket\n"
            "try:\n"
            f"    os.stat({str(sock)!r})\n"
            "except PermissionError:\n"
            "    print('folder', end=' ')\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            "try:\n"
            f"    s.connect({str(sock)!r})\n"
            "except PermissionError:\n"
            "    print('refused')\n"
            "else:\n"
            "    print('connected')\n")

        def as_nobody() -> str:
            result = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True,
                                    text=True, user=65534, check=False, timeout=30, cwd="/")
            return result.stdout.strip() + result.stderr.strip()[-200:]

        assert as_nobody() == "folder refused"  # the 0700 folder stops it
        os.chmod(sock.parent, 0o711)  # open the folder: the socket's own 0600 must hold
        try:
            assert as_nobody() == "refused"
        finally:
            os.chmod(sock.parent, 0o700)
    finally:
        home.run("stop")
        shutil.rmtree(root, ignore_errors=True)


def test_a_runtime_folder_where_only_the_frames_socket_is_too_long(tmp_path: Path) -> None:
    """`agent.sock` fits a socket path, `agent-frames.sock` (7 bytes longer) does not: the
    frames socket alone goes to the stand-in folder, which the agent makes."""
    pad = 98 - len(str(tmp_path / "home" / "run" / "agent.sock")) - 1
    assert pad > 0
    deep = tmp_path / ("p" * pad)
    home = Home(deep / "home", base_env(deep / "home"))
    run = home.root / "run"
    assert len(str(run / "agent.sock")) == 98 and len(str(run / "agent-frames.sock")) == 105
    home.ok("init")
    home.ok("start")
    try:
        assert (run / "agent.sock").is_socket() and not (run / "agent-frames.sock").exists()
        home.ok("groups", "add", "facebook:x", "--name", "X")  # over the frames socket
        assert json.loads(home.ok("status", "--json"))["agent"]["running"] is True
    finally:
        home.run("stop")


def test_a_runtime_folder_too_deep_for_a_socket_path(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    home = Home(deep / "home", base_env(deep / "home"))
    home.ok("init")
    home.ok("start")
    try:
        assert len(str(home.root / "run" / "agent.sock")) > 108
        home.ok("groups", "add", "facebook:x")
        assert json.loads(home.ok("status", "--json"))["agent"]["running"] is True
    finally:
        home.run("stop")
