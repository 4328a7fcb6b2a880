"""Starting the agent with the user's session: an XDG autostart entry on Linux, a
LaunchAgent on macOS, a Run value on Windows. Pure: what to write, and where."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from xml.sax.saxutils import escape

from handful.install.browsers import System, xdg_config

LABEL = "app.handful.agent"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "Handful"


def agent_command(python: str, env: Mapping[str, str]) -> list[str]:
    """The agent, in the foreground (the session manager owns it), with the one setting that
    names where the data lives when it is not the default."""
    command = [python, "-m", "handful", "agent"]
    if env.get("HANDFUL_HOME"):
        command = ["env", f"HANDFUL_HOME={env['HANDFUL_HOME']}", *command]
    return command


def location(system: System, home: PurePath, env: Mapping[str, str]) -> PurePath | None:
    """The file that starts the agent at login (None on Windows: a registry value)."""
    if system == "linux":
        return xdg_config(home, env) / "autostart" / "handful-agent.desktop"
    if system == "macos":
        return PurePosixPath(home) / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    return None


def desktop_entry(command: list[str]) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=Handful agent",
        "Comment=Keeps your group log and the monthly review (Handful)",
        "Exec=" + " ".join(_desktop_quote(part) for part in command),
        "Terminal=false",
        "NoDisplay=true",
        "X-GNOME-Autostart-enabled=true",
        "",
    ])


def launch_agent(command: list[str], log: PurePath) -> str:
    arguments = "".join(f"\n      <string>{escape(part)}</string>" for part in command)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
  <dict>
    <key>Label</key>
    <string>{LABEL}</string>
    <key>ProgramArguments</key>
    <array>{arguments}
    </array>
    <key>RunAtLoad</key>
    <true/>
    <key>StandardErrorPath</key>
    <string>{escape(str(log))}</string>
  </dict>
</plist>
"""


def run_value(python: str) -> str:
    """The Windows Run value: pythonw (no console window) beside the installed python."""
    exe = PureWindowsPath(python)
    windowless = exe.with_name("pythonw.exe") if exe.name.lower() == "python.exe" else exe
    return f'"{windowless}" -m handful agent'


def _desktop_quote(part: str) -> str:
    # The Desktop Entry spec: quote arguments with reserved characters; escape " ` $ \ inside.
    if part and all(c.isalnum() or c in "-_./=:@+," for c in part):
        return part
    inner = part.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") \
        .replace("$", "\\$")
    return f'"{inner}"'

