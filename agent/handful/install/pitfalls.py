"""What is known not to work, said before the user finds out: browsers packaged so they
cannot start a native host, and policies that forbid per-user hosts. Pure functions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from handful.identity import NAME

# Flatpak application ids of the browsers Handful registers with.
FLATPAKS = {
    "chrome": "com.google.Chrome", "chromium": "org.chromium.Chromium",
    "edge": "com.microsoft.Edge", "brave": "com.brave.Browser", "vivaldi": "com.vivaldi.Vivaldi",
    "firefox": "org.mozilla.firefox", "tor": "org.torproject.torbrowser-launcher",
}
# Where Chrome-family browsers read machine policies on Linux.
POLICY_DIRS = {
    "chrome": "/etc/opt/chrome/policies/managed", "chromium": "/etc/chromium/policies/managed",
    "edge": "/etc/opt/edge/policies/managed", "brave": "/etc/brave/policies/managed",
    "vivaldi": "/etc/vivaldi/policies/managed",
}


def packaging_warnings(home: PurePosixPath, exists: Callable[[str], bool]) -> list[str]:
    """Snap and Flatpak browsers on Linux."""
    found = []
    if exists("/snap/bin/chromium") or exists(str(home / "snap" / "chromium")):
        found.append("Chromium from Snap cannot start native hosts (its confinement forbids "
                     "it): use Chromium from your distribution's packages, or Chrome, Edge "
                     "or Brave, for Handful's guard to reach the agent.")
    if exists("/snap/bin/firefox") or exists(str(home / "snap" / "firefox")):
        found.append("Firefox from Snap starts native hosts only through its portal (Ubuntu "
                     "22.04 and later); if the extension says the agent is away, use "
                     "Firefox from Mozilla's packages.")
    for app in FLATPAKS.values():
        if exists(str(home / ".var" / "app" / app)):
            found.append(f"{app} (Flatpak) runs in a sandbox that cannot start Handful's host "
                         "without an override: see docs/install.md, or use the browser "
                         "from your distribution's packages.")
    return found


def policy_warnings(browser_name: str, policies: Sequence[Mapping[str, Any]]) -> list[str]:
    """Managed policies that stop the browser from starting this per-user host."""
    found = []
    user_level = [p["NativeMessagingUserLevelHosts"] for p in policies
                  if "NativeMessagingUserLevelHosts" in p]
    if user_level and user_level[-1] is False:
        found.append(f"A policy (NativeMessagingUserLevelHosts) stops {browser_name} from "
                     "using hosts installed per user: ask your administrator, or run "
                     "`sudo handful install --system`.")
    blocked = {str(x) for p in policies for x in p.get("NativeMessagingBlocklist", []) or []}
    allowed = {str(x) for p in policies for x in p.get("NativeMessagingAllowlist", []) or []}
    if ("*" in blocked or NAME in blocked) and NAME not in allowed:
        found.append(f"A policy (NativeMessagingBlocklist) stops {browser_name} from "
                     f"starting {NAME}: ask your administrator to allow it.")
    return found
