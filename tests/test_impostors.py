"""The agent must be the agent: a client says nothing to a process that cannot prove it is
the user's agent (a squatted TCP port, another user's socket, a socket folder someone else
made), folders and files stay private whatever the umask, and a flood of bad requests
neither fills the disk nor stops the agent."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handful.agentlog import CappedLog
from handful.client import socket_path
from tests.conftest import Home, base_env

FRAME = struct.Struct("=I")
SYSTEM_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
NOBODY = 65534
as_root = pytest.mark.skipif(os.getuid() != 0,
                             reason="acting as another user needs root (as CI runs)")


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder other users may pass through (not list): only Handful's own modes and
    checks stand between them and what is inside."""
    root = Path(tempfile.mkdtemp(dir="/tmp", prefix="handful-imp-"))
    os.chmod(root, 0o711)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def frame(doc: dict[str, Any] | bytes) -> bytes:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return FRAME.pack(len(body)) + body


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            chunk = sock.recv(1 << 16)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def read_response(sock: socket.socket) -> bytes:
    """One HTTP response, read to the end of its body (the connection may stay open)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(1 << 16)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = sock.recv(1 << 16)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def frames_in(data: bytes) -> list[dict[str, Any]]:
    out = []
    while len(data) >= 4 and len(data) >= 4 + FRAME.unpack_from(data)[0]:
        (length,) = FRAME.unpack_from(data)
        out.append(json.loads(data[4:4 + length]))
        data = data[4 + length:]
    return out


def wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} is still there")


# -- loopback TCP: the challenge ---------------------------------------------------------

def test_over_tcp_the_agent_proves_itself_and_speaks_only_to_who_proves_it_too(
        store: Home) -> None:
    tcp = Home(store.root, {**store.env, "HANDFUL_API": "tcp"})
    tcp.ok("start")
    try:
        info_path = store.root / "run" / "api.json"
        assert stat.S_IMODE(info_path.stat().st_mode) == 0o600
        info = json.loads(info_path.read_text())
        assert set(info) == {"port", "pid", "secret"}
        assert not (store.root / "run" / "agent.sock").exists()
        tcp.ok("groups", "add", "linkedin:1")
        tcp.ok("record", "post", "--group", "linkedin:1", "--note", "over tcp")
        assert json.loads(tcp.ok("status", "--json"))["agent"]["running"] is True
        port = info["port"]

        def talk(payload: bytes) -> tuple[list[dict[str, Any]], float]:
            start = time.monotonic()
            with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
                sock.sendall(payload)
                return frames_in(read_all(sock)), time.monotonic() - start

        # A web page's request: not HTTP here; refused and closed, the token-less way.
        got, _ = talk(b"POST /v1/message HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: "
                      b"https://evil.example\r\nContent-Length: 2\r\n\r\n{}")
        assert [g["error"]["code"] for g in got] == ["forbidden"]
        # A message before any proof: refused.
        got, _ = talk(frame({"id": 1, "type": "status"}))
        assert got == [{"id": None, "ok": False, "error": {"code": "forbidden", "message":
                        "prove you hold the secret in api.json first (docs/protocol.md)"}}]
        # A hello is answered with the agent's nonce and proof; a wrong proof back: closed.
        nonce = os.urandom(32)
        got, _ = talk(frame({"id": "h", "type": "hello", "nonce": nonce.hex()})
                      + frame({"id": "p", "type": "prove", "proof": "00" * 32})
                      + frame({"id": 2, "type": "status"}))
        assert got[0]["ok"] and len(bytes.fromhex(got[0]["result"]["nonce"])) == 32
        assert [g["error"]["code"] for g in got[1:]] == ["forbidden"]  # and nothing more
        # Silence: the connection is closed once the time for a proof is over.
        got, took = talk(b"")
        assert got == [] or got[0]["error"]["message"] == "no proof in time"
        assert 4.0 <= took < 12
        assert json.loads(tcp.ok("status", "--json"))["events"] == 2  # none of it stored
    finally:
        tcp.run("stop")
    assert not (store.root / "run" / "api.json").exists()


SQUATTER = r"""
import json, os, socket, struct, sys
port, log = int(sys.argv[1]), sys.argv[2]
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port)); server.listen(16)
print("listening", flush=True)
while True:
    conn, _ = server.accept()
    conn.settimeout(5)
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            with open(log, "ab") as out:
                out.write(data)
            # answer every frame as an agent would, "ok", with a proof it cannot make
            reply = json.dumps({"id": "hello", "ok": True, "result": {
                "nonce": os.urandom(32).hex(), "proof": "ab" * 32, "stored": True}}).encode()
            conn.sendall(struct.pack("=I", len(reply)) + reply)
    except OSError:
        pass
    conn.close()
"""


@as_root
def test_a_port_squatted_after_a_crash_learns_nothing(shared: Path) -> None:
    home = Home(shared / "home", base_env(shared / "home"))
    tcp = Home(home.root, {**home.env, "HANDFUL_API": "tcp"})
    home.ok("init")
    tcp.ok("start")
    squatter = None
    try:
        info = json.loads((home.root / "run" / "api.json").read_text())
        os.kill(info["pid"], signal.SIGKILL)  # a crash: api.json stays behind
        wait_gone(info["pid"])
        assert (home.root / "run" / "api.json").exists()
        captured = shared / "captured"
        captured.touch()
        os.chmod(captured, 0o666)
        squatter = subprocess.Popen([SYSTEM_PYTHON, "-c", SQUATTER, str(info["port"]),
                                     str(captured)], user=NOBODY, cwd="/",
                                    stdout=subprocess.PIPE, text=True)
        assert squatter.stdout is not None and squatter.stdout.readline() == "listening\n"
        # No agent holds agent.lock (and its pid is gone): the file is stale, the port is
        # not even tried; the CLI writes to the store itself.
        tcp.ok("groups", "add", "linkedin:1")
        tcp.ok("record", "post", "--group", "linkedin:1", "--note", "a private note")
        host_env = {**tcp.env, "HANDFUL_EXTENSION_IDS": "x"}

        def host(message: dict[str, Any]) -> dict[str, Any]:
            done = subprocess.run(
                [sys.executable, "-m", "handful.host", "chrome-extension://x/"],
                input=frame(message), capture_output=True, timeout=60, env=host_env,
                check=False)
            [reply] = frames_in(done.stdout)
            return reply

        # The native host finds the same, starts the real agent, and it answers.
        reply = host({"id": 7, "type": "status"})
        assert reply["ok"] and reply["result"]["events"] == 2, reply
        assert captured.read_bytes() == b""
        # The agent runs, but api.json names the squatter's port (no window in Handful
        # leaves it so; the challenge is the last line): it cannot prove itself, and hears
        # only a random nonce.
        real = (home.root / "run" / "api.json").read_text()
        (home.root / "run" / "api.json").write_text(json.dumps(
            {**json.loads(real), "port": info["port"]}))
        done = tcp.run("record", "comment", "--group", "linkedin:1", "--note", "another note")
        assert done.code == 7
        assert f"127.0.0.1:{info['port']} is not your agent (it cannot prove it holds the " \
               "secret in api.json): nothing was sent to it" in done.err
        reply = host({"id": 8, "type": "status"})
        assert reply["error"]["code"] == "agent_unavailable"
        assert "is not your agent" in reply["error"]["message"]
        heard = captured.read_bytes()
        hellos = frames_in(heard)
        assert hellos and all(set(h) == {"id", "type", "nonce"} for h in hellos)
        assert json.loads(real)["secret"] not in heard.decode() and b"note" not in heard
        (home.root / "run" / "api.json").write_text(real)
        tcp.ok("record", "comment", "--group", "linkedin:1", "--note", "another note")
        notes = [e.get("note") for e in json.loads(tcp.ok("export"))["events"]
                 if e["type"] == "engagement"]
        assert notes == ["a private note", "another note"]
    finally:
        if squatter is not None:
            squatter.kill()
            squatter.wait()
        tcp.run("stop")


# -- Unix sockets: whose socket, whose folder ---------------------------------------------

@as_root
def test_a_socket_served_by_another_user_is_not_spoken_to(shared: Path) -> None:
    home = Home(shared / "home", base_env(shared / "home"))
    home.ok("init")
    run = home.root / "run"
    run.mkdir(mode=0o700)
    theirs = shared / "theirs"
    theirs.mkdir()
    os.chown(theirs, NOBODY, NOBODY)
    listener = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)\n"
        "print('listening', flush=True)\n"
        "while True:\n"
        "    c, _ = s.accept(); c.settimeout(5)\n"
        "    try:\n"
        "        data = c.recv(65536)\n"
        "    except OSError:\n"
        "        data = b''\n"
        "    open(sys.argv[2], 'ab').write(data or b'(nothing)')\n"
        "    c.close()\n")
    heard = theirs / "heard"
    proc = subprocess.Popen([SYSTEM_PYTHON, "-c", listener, str(theirs / "s.sock"), str(heard)],
                            user=NOBODY, cwd="/", stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "listening\n"
        # Put their listening socket where ours belongs (as if the folder had been theirs).
        os.rename(theirs / "s.sock", run / "agent-frames.sock")
        done = home.run("status", extra={"HANDFUL_HOST_NO_START": "1"})
        assert "served by another user's process (uid 65534), not your agent" in done.err \
            or "served by another user's process (uid 65534), not your agent" in done.out
        host = subprocess.run(
            [sys.executable, "-m", "handful.host", "chrome-extension://x/"],
            input=frame({"id": 7, "type": "status"}), capture_output=True, timeout=60,
            env={**home.env, "HANDFUL_EXTENSION_IDS": "x", "HANDFUL_HOST_NO_START": "1"},
            check=False)
        [reply] = frames_in(host.stdout)
        assert reply["error"]["code"] == "agent_unavailable"
        assert "another user's process" in reply["error"]["message"]
        assert heard.read_bytes().replace(b"(nothing)", b"") == b""  # not a byte sent
    finally:
        proc.kill()
        proc.wait()


@as_root
def test_a_stand_in_socket_folder_made_by_someone_else_is_refused(shared: Path) -> None:
    deep = shared / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    for folder in (shared / ("d" * 60), deep):
        os.chmod(folder, 0o711)
    home = Home(deep / "home", base_env(deep / "home"))
    home.ok("init")
    stand_in = socket_path(home.root / "run").parent
    assert stand_in.parent == Path(tempfile.gettempdir())  # the guessable name
    shutil.rmtree(stand_in, ignore_errors=True)
    made = subprocess.run([SYSTEM_PYTHON, "-c", f"import os; os.mkdir({str(stand_in)!r}, 0o777);"
                           f"os.chmod({str(stand_in)!r}, 0o777)"], user=NOBODY, cwd="/",
                          check=False, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    try:
        started = home.run("start")
        assert started.code != 0
        assert f"{stand_in} belongs to another user (uid 65534): refusing to use it" \
            in started.err
        shutil.rmtree(stand_in)
        os.mkdir(stand_in, 0o755)  # ours, but open to others
        os.chmod(stand_in, 0o755)
        started = home.run("start")
        assert started.code != 0 and "is open to other users (mode 755)" in started.err
        os.rmdir(stand_in)
        os.symlink("/tmp", stand_in)  # a link: never followed
        started = home.run("start")
        assert started.code != 0 and "is not a folder (a link or a file is there)" in started.err
        os.unlink(stand_in)
        home.ok("start")  # made by the agent, 0700: used
        assert stat.S_IMODE(os.lstat(stand_in).st_mode) == 0o700
        home.ok("groups", "add", "facebook:x")
        assert json.loads(home.ok("status", "--json"))["agent"]["running"] is True
        os.chmod(stand_in, 0o777)  # opened later: the client refuses to go on using it
        refused = home.run("status", extra={"HANDFUL_HOST_NO_START": "1"})
        assert "is open to other users (mode 777)" in refused.err + refused.out
        os.chmod(stand_in, 0o700)
    finally:
        home.run("stop")
        if stand_in.is_symlink():
            stand_in.unlink()
        shutil.rmtree(stand_in, ignore_errors=True)


# -- modes, whatever the umask ----------------------------------------------------------

def test_every_folder_and_file_is_private_under_umask_000(tmp_path: Path) -> None:
    root = tmp_path / "fresh" / "home"
    env = base_env(root)

    def run(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "handful", *args], env=env, text=True,
                              capture_output=True, timeout=60, check=False,
                              preexec_fn=lambda: os.umask(0))
        assert done.returncode == 0, (args, done.stderr)

    run("init")
    run("start")
    try:
        run("groups", "add", "linkedin:1", "--name", "One")
        run("record", "post", "--group", "linkedin:1")
        run("export", "--output", str(root / "export.json"))
        folders = [root, *[p for p in root.rglob("*") if p.is_dir()]]
        files = [p for p in root.rglob("*") if not p.is_dir()]
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
        assert len(folders) > 4 and len(files) > 5
        for path in folders + files:
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            assert mode & 0o077 == 0, f"{path} is {mode:o}"
    finally:
        run("stop")


# -- the log: small, whatever is thrown at the agent -----------------------------------------

BAD_REQUESTS = [
    b"POST /v1/message HTTP/1.1\r\nHost: handful\r\nAuthorization: \xff\xfe\r\n"
    b"Connection: close\r\nContent-Length: 2\r\n\r\n{}",
    b"POST /v1/message HTTP/1.1\r\nHost: \xc3\x28\r\nConnection: close\r\n"
    b"Content-Length: 2\r\n\r\n{}",
    b"\x00\x01garbage\r\n\r\n",
    b"POST /v1/message HTTP/1.1\r\nHost: handful\r\nContent-Length: 99999999999\r\n\r\n{}",
    b"POST /v1/message HTTP/1.1\r\nHost: handful\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /v1/message HTTP/1.1\r\nHost: handful\r\nContent-Length: 50\r\n\r\n{\"id\"",
]
ANSWERS = [b"HTTP/1.1 200", b"HTTP/1.1 403", b"HTTP/1.0 400", b"HTTP/1.1 413", b"HTTP/1.0 400",
           None]  # the last: cut short, the caller gone before the rest


def test_a_flood_of_bad_requests_leaves_the_log_small_and_the_agent_up(store: Home) -> None:
    store.ok("start")
    try:
        log = store.root / "run" / "agent.log"
        before = log.stat().st_size
        path = str(store.root / "run" / "agent.sock")
        for n in range(5000):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(10)
                sock.connect(path)
                sock.sendall(BAD_REQUESTS[n % len(BAD_REQUESTS)])
                expected = ANSWERS[n % len(ANSWERS)]
                if expected is None:
                    continue  # closed with the message unfinished
                answer = read_response(sock)
                assert answer.startswith(expected), (n, answer[:100])
        grown = log.stat().st_size - before
        assert grown < 8 * 1024, log.read_text(errors="replace")[-2000:]
        assert "Traceback" not in log.read_text(errors="replace")
        assert json.loads(store.ok("status", "--json"))["agent"]["running"] is True
    finally:
        store.run("stop")


def test_the_log_is_capped_and_repeats_are_summed_up(tmp_path: Path) -> None:
    import logging

    path = tmp_path / "agent.log"
    with open(path, "a", encoding="utf-8") as stream:
        handler = CappedLog(stream, path, max_bytes=4096, window=60)
        logger = logging.getLogger("handful.test.capped")
        logger.addHandler(handler)
        logger.propagate = False
        try:
            for _ in range(1000):
                logger.error("the same failure")
            logger.error("then another")
            text = path.read_text()
            assert text.count("the same failure") == 1
            assert "(the message before was repeated 999 more times)" in text
            for n in range(400):  # distinct lines: past the cap, the file starts again
                logger.error("distinct line %d with some words to fill it", n)
            assert path.stat().st_size <= 4096
            older = path.with_name("agent.log.1")
            assert 0 < older.stat().st_size <= 4096
            assert stat.S_IMODE(older.stat().st_mode) == 0o600
            assert "distinct line 399" in path.read_text()
        finally:
            logger.removeHandler(handler)
