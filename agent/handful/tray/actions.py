"""What the tray's menu does, as plain functions over the agent's API: tested without a
screen, and the same whether the tray is pystray's or another."""

from __future__ import annotations

import subprocess
import sys
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from handful import clock
from handful.client import AgentClient
from handful.domain import events as ev
from handful.domain.settings import FAST_DAYS
from handful.identity import CHROME_ID
from handful.paths import Paths

REVIEW_URL = f"chrome-extension://{CHROME_ID}/review/review.html"
PAUSE_SECONDS = 3600


def _open_folder(path: Path) -> None:
    opener = {"darwin": ["open"], "win32": ["explorer"]}.get(sys.platform, ["xdg-open"])
    subprocess.Popen([*opener, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@dataclass
class TrayActions:
    paths: Paths
    open_url: Callable[[str], object] = webbrowser.open
    open_folder: Callable[[Path], object] = _open_folder
    quit_agent: Callable[[], object] = lambda: None
    said: list[str] = field(default_factory=list)  # what the tray told the user, last last

    def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        client = AgentClient(self.paths.runtime, timeout=10)
        try:
            reply = client.send({"id": 1, **message})
        finally:
            client.close()
        if not reply.get("ok"):
            raise RuntimeError(reply.get("error", {}).get("message", "the agent refused"))
        result: dict[str, Any] = reply["result"]
        return result

    def status(self) -> dict[str, Any]:
        return self._ask({"type": "status"})

    def title(self) -> str:
        """The icon's tooltip and the menu's first line."""
        s = self.status()
        parts = [f"Handful: {s['members']} of {s['cap']} groups"]
        if s["review"]["due"]:
            parts.append("review due")
        if s["guard"]["paused"]:
            parts.append(f"guard paused until {s['guard']['paused_until'][11:16]} UTC")
        if s["fast"]["active"]:
            parts.append(f"networking fast until {s['fast']['ends_at'][:10]}")
        problems = s.get("sync", {}).get("problems", [])
        if problems:
            parts.append(f"sync: {len(problems)} problem{'' if len(problems) == 1 else 's'}")
        return "; ".join(parts)

    def sync_line(self) -> str:
        """The menu's sync line: the devices, or the first problem (`handful sync status`
        lists them all)."""
        synced = self.status().get("sync", {})
        if not synced.get("enabled"):
            return "Sync is off"
        problems = synced.get("problems", [])
        if problems:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            return f"Sync problem: {problems[0][:90]}{more}"
        return f"Syncing with {synced['devices']} devices"

    def review_label(self) -> str:
        return "Open the review (due)" if self.status()["review"]["due"] else "Open the review"

    def open_review(self) -> None:
        self.open_url(REVIEW_URL)

    def _set(self, key: str, value: int) -> None:
        self._ask({"type": "settings_set", "key": key, "value": value, "event_id": ev.new_id()})

    def pause_guard(self) -> None:
        until = int(clock.now().timestamp()) + PAUSE_SECONDS
        self._set("guard.paused_until", until)
        self.said.append("The join guard is paused for an hour.")

    def resume_guard(self) -> None:
        self._set("guard.paused_until", 0)
        self.said.append("The join guard is back.")

    def guard_label(self) -> str:
        return "Resume the guard" if self.status()["guard"]["paused"] else \
            "Pause the guard for an hour"

    def toggle_guard(self) -> None:
        """The menu's one guard item: pause it for an hour, or, while paused, resume it."""
        if self.status()["guard"]["paused"]:
            self.resume_guard()
        else:
            self.pause_guard()

    def start_fast(self) -> None:
        self._set("fast.started_at", int(clock.now().timestamp()))
        self.said.append(f"A {FAST_DAYS}-day networking fast starts now.")

    def open_data_folder(self) -> None:
        self.open_folder(self.paths.data)

    def export(self, folder: Path | None = None) -> Path:
        """Every event as JSON, into the user's Downloads (or home): what they asked for."""
        home = Path.home()
        target_dir = folder or (home / "Downloads" if (home / "Downloads").is_dir() else home)
        target = target_dir / f"handful-export-{date.today().isoformat()}-{int(time.time())}.json"
        subprocess.run([sys.executable, "-m", "handful", "export", "--format", "json", "-o",
                        str(target)], env=self.paths.environ(), check=True,
                       capture_output=True, timeout=600)
        self.said.append(f"Exported to {target}")
        return target

    def quit(self) -> None:
        self.quit_agent()
