"""`handful browser`: Chromium (or Chrome) with the extension loaded, in a profile of its
own with the host registered there; the quickest way to try Handful."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from handful.bundled import extension_dir
from handful.errors import UsageError
from handful.identity import EXTENSION_IDS
from handful.install.manifests import write_host
from handful.paths import Paths, private_dir

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
              "brave-browser", "microsoft-edge")


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


def open_browser(paths: Paths, executable: str | None, *, headless: bool = False,
                 extra: list[str] | None = None) -> tuple[subprocess.Popen[bytes], Path]:
    extension_dir()  # said plainly when the install lacks it
    executable = executable or find_browser()
    if executable is None:
        raise UsageError("no Chromium or Chrome found: install one (Debian and Ubuntu: "
                         "`sudo apt-get install chromium`) or name it with --browser PATH")
    if not shutil.which(executable):
        raise UsageError(f"{executable} is not a program that can be run")
    profile = private_dir(paths.state / "browser-profile")
    write_host(profile / "NativeMessagingHosts", chrome=sorted(EXTENSION_IDS), paths=paths)
    proc = subprocess.Popen(command(executable, profile, headless=headless, extra=extra or []),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True,
                            env=paths.environ())
    return proc, profile
