"""The agent itself: serve in the foreground until SIGTERM, with everything on disk when it
stops. Starting it in the background and stopping it are `agentctl`'s (stdlib only)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import sys
from typing import IO

from handful import agentlog
from handful.agentctl import agent_pid, clear_failure, note_failure
from handful.client import FRAMES, UNIX_HOST, socket_folder, socket_path, unix_supported
from handful.errors import HandfulError
from handful.filelock import WriterLock
from handful.paths import Paths, private_dir
from handful.store.files import Files

log = logging.getLogger("handful.agent")


def run_agent(paths: Paths, *, ready: IO[str] | None = None, tray: bool = True) -> int:
    """Serve until SIGTERM or SIGINT. One agent per user: a second one stops at once."""
    private_dir(paths.runtime)
    lock = WriterLock(paths.runtime / "agent.lock")
    try:
        lock.acquire(timeout=0.3)  # (a client probing whether an agent runs holds it an instant)
    except HandfulError:
        running = agent_pid(paths) or "?"
        raise HandfulError(f"the agent is already running (pid {running})") from None
    logs = agentlog.setup(paths.runtime)
    with contextlib.suppress(FileNotFoundError):
        (paths.runtime / "api.json").unlink()  # a crashed agent's: no client tries its port
    try:
        from handful.ledger import Ledger

        try:
            ledger = Ledger.open(paths, write=True, lock_timeout=10)
        except HandfulError as error:
            note_failure(paths, error)  # (for the native host that started this agent)
            raise
        clear_failure(paths)
        try:
            for line in ledger.notes:
                print(f"handful agent: {line}", file=sys.stderr)
            asyncio.run(_serve(paths, ledger, ready, tray))
        finally:
            ledger.close()
    finally:
        for name in ("agent.pid", "api.json"):
            with contextlib.suppress(FileNotFoundError):
                (paths.runtime / name).unlink()
        logs.flush()
        lock.release()
    return 0


async def _serve(paths: Paths, ledger: object, ready: IO[str] | None, tray: bool) -> None:
    from aiohttp import web

    from handful.api.app import build_server
    from handful.api.frames import FrameServer
    from handful.api.service import AgentService
    from handful.ledger import Ledger

    assert isinstance(ledger, Ledger)
    service = AgentService(ledger)
    hosts: set[str] = {UNIX_HOST}
    runner = web.ServerRunner(build_server(service, hosts=hosts), handle_signals=False)
    await runner.setup()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, service.queue_key)  # made once (RSA-3072): not on a read
    where: str
    frames: asyncio.AbstractServer
    tcp = not unix_supported()
    secret = secrets.token_bytes(32) if tcp else None
    frame_server = FrameServer(service, secret)
    if not tcp:
        path = socket_path(paths.runtime)
        framed = socket_path(paths.runtime, FRAMES)
        # Each socket's folder: the runtime folder, or the stand-in in the temporary folder
        # when its path is too long (the frames socket's longer name can need it alone).
        for folder in {path.parent, framed.parent}:
            if folder != paths.runtime:
                socket_folder(folder, create=True)
            else:
                private_dir(folder)
        for stale in (path, framed):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()  # left by an agent that died: we hold the agent lock
        old = os.umask(0o177)  # the sockets are born 0600, never briefly open to others
        try:
            site = web.UnixSite(runner, os.fspath(path))
            await site.start()
            frames = await loop.create_unix_server(frame_server, os.fspath(framed))
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
        os.chmod(framed, 0o600)
        where = f"{framed} (frames) and {path} (HTTP)"
    else:
        # Frames only, each connection proving it holds the secret (no HTTP on TCP).
        assert secret is not None
        frames = await loop.create_server(frame_server, "127.0.0.1", 0)
        port = frames.sockets[0].getsockname()[1]
        Files().replace(paths.runtime / "api.json", json.dumps(
            {"port": port, "pid": os.getpid(), "secret": secret.hex()}).encode())
        where = f"127.0.0.1:{port} (frames, with a challenge)"
    Files().replace(paths.runtime / "agent.pid", str(os.getpid()).encode())
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(sig, stop.set)
    print(f"handful agent: listening on {where} (pid {os.getpid()})", file=sys.stderr,
          flush=True)
    if ready is not None:
        print("ready", file=ready, flush=True)
    icon = None
    if tray:
        from handful.tray.tray import Tray

        icon = Tray(paths, quit_agent=lambda: loop.call_soon_threadsafe(stop.set))
        if not icon.start():
            icon = None
    await service.sync.start()
    notices = asyncio.create_task(_notices(service, paths, stop))
    try:
        await stop.wait()
    finally:
        notices.cancel()
        if icon is not None:
            icon.stop()
        frames.close()  # stops accepting
        await frame_server.close()  # the writes under way made durable and answered
        await runner.cleanup()  # the same for HTTP
        await service.close()  # flushes the appender
        if not tcp:
            for name in ("agent.sock", FRAMES):
                with contextlib.suppress(FileNotFoundError):
                    socket_path(paths.runtime, name).unlink()
    print("handful agent: stopped", file=sys.stderr, flush=True)


NOTICE_EVERY_S = 3600  # the agent wakes once an hour to see whether to notify


async def _notices(service: object, paths: Paths, stop: asyncio.Event) -> None:
    """A desktop notification when the review is due (at most once a day) and when a
    networking fast is over (once)."""
    from handful import clock
    from handful import notices as notify
    from handful.api.service import AgentService

    assert isinstance(service, AgentService)
    said = notify.DailyNotices(paths.runtime)
    notifier = notify.Notifier()
    while not stop.is_set():
        status = service.status()
        today = clock.now().date()
        fast = status["fast"]
        wanted = []
        if status["review"]["due"] and said.due("review", today):
            wanted.append(("review", "Your group review is due",
                           "Which groups will you keep, deepen or leave? Open the review from "
                           "the Handful icon."))
        ended = f"fast {fast['started_at']}"
        if fast["started_at"] and not fast["active"] and said.due(ended, None):
            wanted.append((ended, "Your networking fast is over",
                           "The review compares the two weeks before it with the two after."))
        for reason, summary, body in wanted:
            if await notifier.send(summary, body):
                said.done(reason, today)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), NOTICE_EVERY_S)
