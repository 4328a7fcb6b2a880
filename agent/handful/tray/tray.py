"""The tray icon (pystray) in the agent's process: its own thread, talking to the agent
through the local API like any other client. Where there is no tray (no display), the agent
runs without it and says so once."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from handful.paths import Paths
from handful.tray.actions import TrayActions
from handful.tray.icon import draw

log = logging.getLogger("handful.agent")
REFRESH_S = 60
# pystray asks a system tray to dock the icon each time its picture is set, and gives up
# quietly when no tray is there yet (a panel that starts after the agent, at login): for
# the first minute the picture is set every DOCK_RETRY_S, so such a tray gets the icon
# within seconds instead of at the next minute's refresh.
DOCK_RETRY_S = 2.0
DOCK_RETRY_FOR_S = 60.0


def available() -> str | None:
    """Why there is no tray here, or None when there may be one."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        return "no display"
    return None


class Tray:
    def __init__(self, paths: Paths, quit_agent: Callable[[], object]) -> None:
        self.actions = TrayActions(paths, quit_agent=quit_agent)
        self.icon: Any = None
        self._stop = threading.Event()

    def start(self) -> bool:
        why = available()
        if why is None:
            try:
                import pystray  # a backend that cannot start raises here
            except Exception as error:  # Xlib, AppIndicator, … each fail their own way
                why = f"{type(error).__name__}: {error}"
        if why is not None:
            print(f"handful agent: no tray here ({why}); running without it", file=sys.stderr,
                  flush=True)
            return False
        item = pystray.MenuItem
        a = self.actions

        def act(action: Callable[[], object]) -> Callable[..., None]:
            def run(*_: object) -> None:
                try:
                    action()
                except Exception as error:  # a menu click must never take the agent down
                    log.warning("tray action failed: %s", error)
                self.refresh()
            return run

        menu = pystray.Menu(
            item(lambda _: self._safe(a.title), None, enabled=False),
            item(lambda _: self._safe(a.sync_line, "Sync"), None, enabled=False),
            item(lambda _: self._safe(a.review_label, "Open the review"), act(a.open_review),
                 default=True),
            item(lambda _: self._safe(a.guard_label, "Pause the guard for an hour"),
                 act(a.toggle_guard)),
            item("Start a 14-day networking fast", act(a.start_fast)),
            item("Open the data folder", act(a.open_data_folder)),
            item("Export…", act(a.export)),
            item("Quit Handful", act(a.quit)),
        )
        self.icon = pystray.Icon("Handful", draw(None, None), "Handful", menu)
        # Its own daemon thread (pystray's X11 loop runs off the main thread): the agent's
        # exit is never held up by the tray. The refresher starts once pystray's loop is
        # ready (its `setup`, in a thread of its own): a picture set before the icon's window
        # exists can be lost, leaving the docked icon unpainted until the next refresh.
        threading.Thread(target=self.icon.run, kwargs={"setup": self._ready}, name="tray",
                         daemon=True).start()
        return True

    def _ready(self, icon: Any) -> None:
        icon.visible = True
        self._refresher()

    def _safe(self, text: Callable[[], str], fallback: str = "Handful") -> str:
        try:
            return text()
        except Exception:  # the agent busy or stopping: the menu still opens
            return fallback

    def refresh(self) -> None:
        if self.icon is None:
            return
        try:
            s = self.actions.status()
        except Exception:  # stopping: keep the last picture
            return
        self.icon.icon = draw(s["members"], s["cap"], due=s["review"]["due"])
        self.icon.title = self._safe(self.actions.title)
        self.icon.update_menu()

    def _refresher(self) -> None:
        started = time.monotonic()
        while True:  # the count and the "review due" dot, now and every minute
            self.refresh()
            settling = time.monotonic() - started < DOCK_RETRY_FOR_S
            if self._stop.wait(DOCK_RETRY_S if settling else REFRESH_S):
                return

    def stop(self) -> None:
        self._stop.set()
        if self.icon is not None:
            self.icon.stop()
