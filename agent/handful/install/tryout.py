"""`handful browser`: Chromium (or Chrome) with the extension loaded, in a profile of its
own with the host registered there; the quickest way to try Handful.

A browser that cannot start (no display, a broken install) exits within a moment of
starting: the command waits `SETTLE_SECONDS` for that before saying it opened, and when it
died gives the browser's own reason. Its error output goes to a file already unlinked, so
nothing of it stays on disk once the browser is gone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from handful.bundled import extension_dir
from handful.errors import HandfulError, UsageError
from handful.identity import EXTENSION_IDS
from handful.install.manifests import write_host
from handful.paths import Paths, private_dir

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
              "brave-browser", "microsoft-edge")
SETTLE_SECONDS = 3.0  # a browser still running this long after its start counts as opened
REASON_BYTES = 64 * 1024  # of the browser's error output, read to find why it stopped

# What a browser that stopped at once says, and what the user can do about it.
_KNOWN = (
    (re.compile(r"Missing X server or \$DISPLAY|cannot open display|Failed to connect to "
                r"Wayland display", re.I),
     "there is no display here: run it in a desktop session, or add --headless"),
    (re.compile(r"Running as root without --no-sandbox", re.I),
     "as root the browser needs --no-sandbox: pass it after --"),
    (re.compile(r"error while loading shared libraries", re.I),
     "the browser's install is broken: reinstall it"),
)
_PREFIX = re.compile(r"^\[[^\]]*\]\s*")  # Chromium's "[pid:tid:date/time:LEVEL:file(line)]"


class BrowserStopped(HandfulError):
    exit_code = 1


@dataclass(frozen=True)
class Opened:
    pid: int
    profile: Path
    running: int | None  # the browser already open on this profile, when it took over


def find_browser(which: Callable[[str], str | None] = shutil.which) -> str | None:
    for name in CANDIDATES:
        found = which(name)
        if found:
            return found
    return None


def command(executable: str, profile: Path, *, headless: bool, extra: list[str]) -> list[str]:
    args = [executable, f"--user-data-dir={profile}", f"--load-extension={extension_dir()}",
            "--no-first-run", "--no-default-browser-check"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    if headless:
        args += ["--headless=new", "--disable-gpu"]
    return [*args, *extra]


def is_firefox(executable: str) -> bool:
    """Firefox takes neither --user-data-dir nor --load-extension: it would open the user's
    own profile without Handful."""
    names = {Path(executable).name, Path(shutil.which(executable) or executable).resolve().name}
    return any("firefox" in name.lower() or "librewolf" in name.lower() for name in names)


def reason(output: str) -> str:
    """The browser's own words for why it stopped, with a fix when Handful knows one."""
    lines = [_PREFIX.sub("", line).strip() for line in output.splitlines()]
    lines = [line for line in lines if line]
    for pattern, fix in _KNOWN:
        for line in lines:
            if pattern.search(line):
                return f"{line} ({fix})"
    serious = [line for line in output.splitlines() if ":ERROR:" in line or ":FATAL:" in line]
    chosen = _PREFIX.sub("", serious[0]).strip() if serious else (lines[-1] if lines else "")
    return chosen or "it gave no reason"


def running_on(profile: Path) -> int | None:
    """The pid of the Chromium that holds this profile (its SingletonLock names
    "host-pid"), if one does."""
    try:
        target = os.readlink(profile / "SingletonLock")
    except OSError:
        return None
    pid = target.rpartition("-")[2]
    return int(pid) if pid.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def open_browser(paths: Paths, executable: str | None, *, headless: bool = False,
                 extra: list[str] | None = None,
                 settle: float = SETTLE_SECONDS) -> Opened:
    extension_dir()  # said plainly when the install lacks it
    executable = executable or find_browser()
    if executable is None:
        raise UsageError("no Chromium or Chrome found: install one (Debian and Ubuntu: "
                         "`sudo apt-get install chromium`) or name it with --browser PATH")
    if not shutil.which(executable):
        raise UsageError(f"{executable} is not a program that can be run")
    if is_firefox(executable):
        raise UsageError(f"{executable} is Firefox, which `handful browser` cannot load "
                         "Handful into: open about:debugging#/runtime/this-firefox there and "
                         "load the manifest.json that `handful extension-path` shows, or use "
                         "Chromium")
    profile = private_dir(paths.state / "browser-profile")
    write_host(profile / "NativeMessagingHosts", chrome=sorted(EXTENSION_IDS), paths=paths)
    with tempfile.TemporaryFile(dir=profile) as errors:  # unlinked: gone with the browser
        proc = subprocess.Popen(
            command(executable, profile, headless=headless, extra=extra or []),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
            start_new_session=True, env=paths.environ())
        deadline = time.monotonic() + settle
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.returncode is None:
            return Opened(proc.pid, profile, None)
        errors.seek(0)
        output = errors.read(REASON_BYTES).decode("utf-8", "replace")
    holder = running_on(profile)
    if holder is not None and holder != proc.pid and _alive(holder):
        if proc.returncode == 0:
            return Opened(proc.pid, profile, holder)  # handed to the browser open there
        raise BrowserStopped(f"a browser already runs on Handful's profile (pid {holder}, "
                             f"perhaps without a window): use it, or stop it with "
                             f"`kill -TERM -{holder}` and run this again")
    raise BrowserStopped(f"the browser stopped at once (exit status {proc.returncode}): "
                         f"{reason(output)}")
