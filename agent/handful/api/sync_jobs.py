"""Sync in the running agent: this device's new records published soon after they are
durable, the other devices' merged soon after their files land.

watchdog's events are hints only: each one names a device folder, and a rescan of that
folder follows once the folder has been quiet for DEBOUNCE seconds. A full pass runs at
start, after any watcher error or lost events (an inotify queue overflow, which watchdog
reports as `events_lost`), and every RESCAN_EVERY seconds, so a hint that never came (a
network share) only delays a merge. Passes run one at a time in a thread beside
the event loop; between them the agent sleeps: a write wakes it (the log's `on_commit`), as
does a hint; otherwise it wakes every TICK seconds to check its watcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from handful.errors import HandfulError
from handful.ledger import Ledger
from handful.syncing import (
    Syncer,
    devices_folder,
    load_state,
    prepare,
    save_state,
    status,
    summary,
    turn_on,
)

log = logging.getLogger("handful.sync")

DEBOUNCE = 0.3       # s of quiet in a device's folder before it is rescanned
PUBLISH_AFTER = 0.2  # s after this device's last write before it is published
RESCAN_EVERY = 300.0  # s between two full passes
TICK = 30.0          # s: the longest the agent sleeps (a write or a hint wakes it at once)


class SyncJobs:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.syncer: Syncer | None = None
        self._lock = asyncio.Lock()
        self._hints: dict[str, float] = {}   # device -> monotonic time of its last event
        self._full_due = True
        self._loop: asyncio.AbstractEventLoop | None = None
        self._observer: Any = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._written = (0, 0, 0)
        self._changed_at = 0.0
        self._last_full = 0.0
        self._devices_dir = Path()

    # -- turning on and off -------------------------------------------------------------

    async def start(self) -> None:
        self._loop = loop = asyncio.get_running_loop()
        wake = self._wake.set

        def written() -> None:
            loop.call_soon_threadsafe(wake)

        self.ledger.log.on_commit = written
        state = load_state(self.ledger)
        if state.folder is not None:
            self.syncer = Syncer(self.ledger, state)
            self._watch()
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        self.ledger.log.on_commit = None
        self._unwatch()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        async with self._lock:
            pass  # a pass under way finishes first

    async def enable(self, folder: str, name: str | None) -> dict[str, Any]:
        async with self._lock:
            def work() -> Syncer:
                where, named = prepare(self.ledger.log.paths, Path(folder), name,
                                       lambda: None)
                return turn_on(self.ledger, where, named)

            self._unwatch()
            self.syncer = await asyncio.to_thread(work)
            self._watch()
            return self.view()

    async def disable(self) -> dict[str, Any]:
        async with self._lock:
            self._unwatch()
            state = load_state(self.ledger)
            state.folder = None
            save_state(self.ledger, state)
            self.syncer = None
            return status(self.ledger, state)

    async def now(self) -> dict[str, Any]:
        """`handful sync now`: a full pass at once; its status."""
        if self.syncer is None:
            raise HandfulError("sync is off: run `handful sync enable DIR`")
        await self._pass(None)
        return self.view()

    def view(self) -> dict[str, Any]:
        if self.syncer is None:
            return status(self.ledger, load_state(self.ledger))
        with self.ledger.reading():
            return status(self.ledger, self.syncer.state, self.syncer.last)

    def summary(self) -> dict[str, Any]:
        """What `status` carries for the popup and the tray (syncing.summary)."""
        syncer = self.syncer
        return summary(self.ledger, syncer.state if syncer else None,
                       syncer.last if syncer else None)

    # -- the watcher ----------------------------------------------------------------------

    def _watch(self) -> None:
        if self.syncer is None or self._loop is None:
            return
        devices = devices_folder(self.syncer.state)
        try:
            from watchdog.events import FileSystemEvent, FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:  # (a dependency: only a broken install lacks it)
            return
        loop = self._loop
        hint, lost = self._hint, self._lost

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type == "events_lost":  # an inotify or a Windows overflow
                    loop.call_soon_threadsafe(lost)
                    return
                for where in (event.src_path, getattr(event, "dest_path", "")):
                    if where:
                        loop.call_soon_threadsafe(hint, str(where))

        try:
            devices.mkdir(parents=True, exist_ok=True)
            observer = Observer()
            observer.schedule(Handler(), str(devices), recursive=True)
            observer.start()
        except OSError as error:
            log.warning("sync: cannot watch %s (%s); rescanning every %.0f s", devices,
                        error, RESCAN_EVERY)
            return
        self._observer = observer
        self._devices_dir = devices

    def _unwatch(self) -> None:
        if self._observer is not None:
            with contextlib.suppress(Exception):
                self._observer.stop()
                self._observer.join(5)
            self._observer = None

    def _lost(self) -> None:
        """The watcher lost events (its queue overflowed): which files landed is unknown,
        so every device's folder is read again."""
        log.warning("sync: the watcher lost events (its queue overflowed); a full pass follows")
        self._full_due = True
        self._wake.set()

    def _hint(self, where: str) -> None:
        try:
            relative = Path(where).relative_to(self._devices_dir)
        except ValueError:
            return
        if relative.parts:
            self._hints[relative.parts[0]] = time.monotonic()
            self._wake.set()

    # -- passes ---------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK)
            self._wake.clear()
            if self.syncer is None:
                continue
            now = time.monotonic()
            if self._observer is not None and not self._observer.is_alive():
                self._unwatch()  # the watcher died: a full pass, and a new watcher
                self._full_due = True
                self._watch()
            written = self.ledger.log.writer_position()
            if written != self._written:
                self._written, self._changed_at = written, now
            publish = self._changed_at and now - self._changed_at >= PUBLISH_AFTER
            quiet = {d for d, at in self._hints.items() if now - at >= DEBOUNCE}
            if self._full_due or now - self._last_full >= RESCAN_EVERY:
                await self._pass(None)
            elif quiet or publish:
                for device in quiet:
                    del self._hints[device]
                await self._pass(quiet, publish=bool(publish))
            if self._hints or (self._changed_at and not publish):
                await asyncio.sleep(min(DEBOUNCE, PUBLISH_AFTER))  # then look again
                self._wake.set()

    async def _pass(self, only: set[str] | None, publish: bool = True) -> None:
        syncer = self.syncer
        if syncer is None:
            return
        async with self._lock:
            if only is None:
                self._full_due = False
                self._last_full = time.monotonic()
            if publish:
                self._changed_at = 0.0
            try:
                await asyncio.to_thread(syncer.run, only, publish)
            except HandfulError as error:
                log.warning("sync: %s", error)
            except OSError as error:
                log.warning("sync: %s", error)
                self._full_due = True
