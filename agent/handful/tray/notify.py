"""Desktop notifications over D-Bus (org.freedesktop.Notifications), at most one a day for
each reason. No bus, no notification service: nothing is sent, and nothing breaks."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from datetime import date
from pathlib import Path

log = logging.getLogger("handful.agent")


def send(summary: str, body: str) -> bool:
    """One notification on the session bus; False where there is no bus or service."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    try:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection
    except ImportError:
        return False
    address = DBusAddress("/org/freedesktop/Notifications",
                          bus_name="org.freedesktop.Notifications",
                          interface="org.freedesktop.Notifications")
    message = new_method_call(address, "Notify", "susssasa{sv}i",
                              ("Handful", 0, "", summary, body, [], {}, -1))
    try:
        with open_dbus_connection(bus="SESSION") as connection:
            reply = connection.send_and_get_reply(message, timeout=5)
    except Exception as error:  # no service, a closed bus: say it once in the log
        log.info("no desktop notification sent (%s)", error)
        return False
    return bool(reply.header.message_type.name == "method_return")


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
