"""The agent's frame socket (`run/agent-frames.sock`), which the native host and the CLI
speak: a length and JSON each way, replies in the order of the messages, the same checks
of who is calling as the HTTP socket, limits explicit."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Home, base_env

FRAME = struct.Struct("=I")
SYSTEM_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
GROUP = {"platform": "linkedin", "id": "77", "name": "Framed"}


def connect(home: Home) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(10)
    sock.connect(str(home.root / "run" / "agent-frames.sock"))
    return sock


def frame(doc: dict[str, Any] | bytes) -> bytes:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return FRAME.pack(len(body)) + body


def replies(sock: socket.socket, count: int) -> list[dict[str, Any]]:
    buffer, out = b"", []
    while len(out) < count:
        chunk = sock.recv(1 << 16)
        if not chunk:
            break
        buffer += chunk
        while len(buffer) >= 4 and len(buffer) >= 4 + FRAME.unpack_from(buffer)[0]:
            (length,) = FRAME.unpack_from(buffer)
            out.append(json.loads(buffer[4:4 + length]))
            buffer = buffer[4 + length:]
    return out


def test_messages_sent_together_are_answered_in_their_order(agent: Home) -> None:
    sock = connect(agent)
    path = agent.root / "run" / "agent-frames.sock"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    batch = [{"id": "a", "type": "status"},
             {"id": "b", "type": "group_seen", "event": {"id": "seen-1", "group": GROUP}},
             {"id": "c", "type": "group", "group": GROUP},  # after the write: sees it
             {"id": "d", "type": "joined", "event": {"id": "joined-1", "group": GROUP}},
             {"id": "e", "type": "status"}]
    sock.sendall(b"".join(frame(m) for m in batch))  # one write: all in the agent's buffer
    got = replies(sock, len(batch))
    assert [r["id"] for r in got] == ["a", "b", "c", "d", "e"]
    assert all(r["ok"] for r in got), got
    assert got[1]["result"]["stored"] is True
    assert got[2]["result"]["group"]["group"]["name"] == "Framed"
    assert got[0]["result"]["members"] == 0 and got[4]["result"]["members"] == 1
    sock.close()


def test_bad_messages_get_an_answer_and_the_connection_stays(agent: Home) -> None:
    sock = connect(agent)
    sock.sendall(frame(b"{not json") + frame({"id": 5, "type": "no_such"})
                 + frame({"id": 6, "type": "ping"}))
    bad, unknown, ping = replies(sock, 3)
    assert bad["ok"] is False and bad["error"]["code"] == "bad_json"
    assert unknown["id"] == 5 and unknown["error"]["code"] == "unknown_type"
    assert ping == {"id": 6, "ok": True, "result": {"pong": True}}
    sock.close()


def test_a_frame_over_the_limit_is_refused_and_the_connection_closed(agent: Home) -> None:
    sock = connect(agent)
    sock.sendall(FRAME.pack((1 << 20) + 1) + b"{")  # declared one byte over 1 MiB
    [reply] = replies(sock, 1)
    assert reply["error"]["code"] == "too_large" and "limit is 1048576" in reply["error"]["message"]
    assert sock.recv(16) == b""  # closed by the agent
    sock.close()
    at_limit = connect(agent)  # a frame of exactly the limit is read (and judged on its own)
    body = b'{"id": 9, "type": "ping", "pad": "' + b"x" * ((1 << 20) - 36) + b'"}'
    assert len(body) == 1 << 20
    at_limit.sendall(frame(body))
    [reply] = replies(at_limit, 1)
    assert reply["id"] == 9 and reply["error"]["code"] == "invalid"  # `pad` is no field
    at_limit.close()
    assert json.loads(agent.ok("status", "--json"))["agent"]["running"] is True


def test_a_stop_waits_for_the_write_under_way(agent: Home) -> None:
    sock = connect(agent)
    sock.sendall(b"".join(frame({"id": n, "type": "engagement", "event": {
        "id": f"late-{n}", "group": GROUP, "kind": "visit", "minutes": 1}}) for n in range(40)))
    answered = replies(sock, 1)  # the agent is writing
    assert answered and answered[0]["ok"]
    assert agent.run("stop").code == 0
    sock.close()
    assert agent.run("start").code == 0
    exported = json.loads(agent.ok("export"))["events"]
    stored = {e["id"] for e in exported}
    assert "late-0" in stored  # what was answered is stored; nothing half written
    assert json.loads(agent.ok("verify", "--json"))["ok"] is True


@pytest.mark.skipif(os.getuid() != 0, reason="acting as another user needs root (as CI runs)")
def test_another_user_is_refused_by_both_sockets_even_when_their_modes_let_them_in() -> None:
    """The modes stop another user first (tests/test_agent.py); here they are opened on
    purpose, so the agent's own check of the caller's uid must hold, on each socket."""
    root = Path(tempfile.mkdtemp(dir="/tmp", prefix="handful-peer-"))
    os.chmod(root, 0o711)
    home = Home(root / "home", base_env(root / "home"))
    try:
        home.ok("init")
        home.ok("start")
        run = home.root / "run"
        for folder in (home.root, run):
            os.chmod(folder, 0o711)
        for name in ("agent-frames.sock", "agent.sock"):
            os.chmod(run / name, 0o666)
        probe = (
            "import socket, struct, sys\n"
            "s = socket.socket(socket.AF_UNIX); s.settimeout(10)\n"
            f"s.connect({str(run / 'agent-frames.sock')!r})\n"
            "body = b'{\"id\": 1, \"type\": \"status\"}'\n"
            "data = b''\n"  # refused at once, before it says anything
            "while True:\n"
            "    chunk = s.recv(65536)\n"
            "    if not chunk: break\n"
            "    data += chunk\n"
            "print(data[4:].decode())\n"
            "h = socket.socket(socket.AF_UNIX); h.settimeout(10)\n"
            f"h.connect({str(run / 'agent.sock')!r})\n"
            "h.sendall(b'POST /v1/message HTTP/1.1\\r\\nHost: handful\\r\\nContent-Length: '\n"
            "          + str(len(body)).encode() + b'\\r\\nConnection: close\\r\\n\\r\\n' + body)\n"
            "data = b''\n"
            "while True:\n"
            "    chunk = h.recv(65536)\n"
            "    if not chunk: break\n"
            "    data += chunk\n"
            "print(data.split(b'\\r\\n')[0].decode())\n"
            "print(data.split(b'\\r\\n\\r\\n', 1)[1].decode())\n")
        result = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True,
                                user=65534, check=False, timeout=30, cwd="/")
        assert result.returncode == 0, result.stderr[-600:]
        framed, status_line, http_body = result.stdout.strip().splitlines()
        assert json.loads(framed)["error"] == {"code": "forbidden",
                                               "message": "another user's process"}
        assert status_line == "HTTP/1.1 403 Forbidden"
        assert json.loads(http_body)["error"]["message"] == "another user's process"
        # (with the folder open, the user's own client refuses it too: tests/test_impostors.py)
        assert "is open to other users (mode 711)" in home.run("status").err
        os.chmod(run, 0o700)
        assert json.loads(home.ok("status", "--json"))["events"] == 0  # nothing they sent
    finally:
        home.run("stop")
        shutil.rmtree(root, ignore_errors=True)
