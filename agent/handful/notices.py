"""Desktop notifications through desktop-notifier: D-Bus (org.freedesktop.Notifications) on
Linux and the BSDs, the Notification Center on macOS, toast notifications (WinRT) on
Windows. At most one a day for each reason. No notification path (no session bus, no
service, a macOS Python outside an app bundle): nothing is sent, nothing breaks, and
`path()` says why (`handful doctor` shows it). Only the Linux path is verified here; the
macOS and Windows ones are desktop-notifier's, untested on this project's machines."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

log = logging.getLogger("handful.agent")
SEND_SECONDS = 5.0  # a notification service that does not answer by then is given up


@dataclass
class NoticePath:
    """How notifications reach the desktop here: `name` ("D-Bus", "macOS Notification
    Center", "Windows toast notifications") or "none"; `why` in words."""

    name: str
    works: bool
    why: str


def _backend() -> tuple[type[Any] | None, str]:
    """desktop-notifier's backend for this system, or None and why there is none."""
    try:
        logging.getLogger("desktop_notifier").setLevel(logging.ERROR)  # (its tracebacks)
        from desktop_notifier.backends.dummy import DummyNotificationCenter
        from desktop_notifier.main import get_backend_class
    except ImportError as error:
        return None, f"desktop-notifier cannot be loaded ({error})"
    backend = get_backend_class()
    if backend is DummyNotificationCenter:
        if sys.platform == "darwin":
            return None, ("macOS shows notifications only from an app bundle, and Handful runs "
                          "from a plain Python")
        return None, "this system has no notification service desktop-notifier knows"
    return backend, ""


async def path() -> NoticePath:
    """Which notification path works here, asked of the system itself."""
    backend, why = _backend()
    if backend is None:
        return NoticePath("none", False, why)
    name = backend.__name__
    if name == "DBusDesktopNotifier":
        return await _dbus_path()
    label = {"CocoaNotificationCenter": "macOS Notification Center",
             "WinRTDesktopNotifier": "Windows toast notifications"}.get(name, name)
    return NoticePath(label, True, f"{label} (through desktop-notifier; not verified by "
                                   "Handful's tests, which run on Linux)")


async def _dbus_path() -> NoticePath:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return NoticePath("none", False, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is "
                                         "not set): a desktop session has one")
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

    try:
        bus = await asyncio.wait_for(MessageBus().connect(), SEND_SECONDS)
    except Exception as error:
        return NoticePath("none", False, f"the D-Bus session bus does not answer ({error})")
    try:
        reply = await asyncio.wait_for(bus.call(Message(
            destination="org.freedesktop.Notifications", path="/org/freedesktop/Notifications",
            interface="org.freedesktop.Notifications", member="GetServerInformation")),
            SEND_SECONDS)
    except Exception as error:
        return NoticePath("none", False, f"no answer from a notification service ({error})")
    finally:
        bus.disconnect()
    if reply is None or reply.body is None or len(reply.body) < 2 or reply.error_name:
        return NoticePath("none", False, "no notification service on the session bus "
                                         "(org.freedesktop.Notifications)")
    server = f"{reply.body[0]} {reply.body[2] if len(reply.body) > 2 else ''}".strip()
    return NoticePath("D-Bus", True, f"D-Bus: org.freedesktop.Notifications answers ({server})")


class Notifier:
    """Sends notifications through one desktop-notifier connection, made on first use."""

    def __init__(self) -> None:
        self._notifier: Any = None

    async def send(self, summary: str, body: str) -> bool:
        """One notification; True once the system took it, False where there is no path."""
        backend, _why = _backend()
        if backend is None:
            return False
        if self._notifier is None:
            from desktop_notifier import DesktopNotifier

            self._notifier = DesktopNotifier(app_name="Handful")
        taken = asyncio.Event()
        try:
            await asyncio.wait_for(self._notifier.send(summary, body, on_dispatched=taken.set),
                                   SEND_SECONDS)
        except Exception as error:  # a closed bus, a slow service: said once in the log
            log.info("no desktop notification sent (%s)", error)
            self._notifier = None
            return False
        if not taken.is_set():
            log.info("no desktop notification sent (no notification service answered)")
            self._notifier = None  # (a service that starts later gets a fresh connection)
        return taken.is_set()


class DailyNotices:
    """Remembers (in the agent's runtime folder: dates and reasons only, nothing of the
    log) what was said today, so a reason is notified at most once a day."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "notified.json"

    def _load(self) -> dict[str, str]:
        try:
            doc = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in doc.items()} if isinstance(doc, dict) else {}

    def due(self, reason: str, today: date | None) -> bool:
        """Not yet said today (with `today` None: not yet said at all)."""
        said = self._load().get(reason)
        return said is None if today is None else said != today.isoformat()

    def done(self, reason: str, today: date) -> None:
        doc = self._load()
        doc[reason] = today.isoformat()
        with contextlib.suppress(OSError):
            self.path.write_text(json.dumps(doc))
            os.chmod(self.path, 0o600)
