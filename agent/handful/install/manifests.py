"""The native host's manifests and launcher, rendered from the templates the package carries
(`native-messaging/` in the repository: handful/bundled.py)."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path

from handful.bundled import host_templates
from handful.identity import EXTENSION_IDS, NAME
from handful.paths import Paths, make_dirs

CHROME_ID_SHAPE = re.compile(r"^[a-p]{32}$")


def chrome_ids(extra: list[str] | None = None) -> list[str]:
    return sorted(i for i in {*EXTENSION_IDS, *(extra or [])} if CHROME_ID_SHAPE.match(i))


def firefox_ids(extra: list[str] | None = None) -> list[str]:
    return sorted(i for i in {*EXTENSION_IDS, *(extra or [])} if not CHROME_ID_SHAPE.match(i))


def launcher(python: str = sys.executable, *, windows: bool = os.name == "nt",
             folders: dict[str, str] | None = None) -> str:
    """The script a manifest points at: the installed package's Python running the host,
    with the user's folders named (`Paths.folder_env`: HANDFUL_HOME, or the four folders as
    the installer resolved them), so the host finds them without resolving them itself and
    whatever the browser's environment holds. A machine-wide launcher names none."""
    name = "handful-host.cmd.in" if windows else "handful-host.sh.in"
    env = "".join(f'set "{key}={value}"\r\n' if windows
                  else f"{key}={shlex.quote(value)}; export {key}\n"
                  for key, value in (folders or {}).items())
    return (host_templates() / name).read_text().replace("@ENV@", env).replace("@PYTHON@", python)


def chrome_manifest(launcher_path: Path, ids: list[str]) -> str:
    origins = [f"chrome-extension://{i}/" for i in ids]
    return (host_templates() / f"{NAME}.chrome.json.in").read_text() \
        .replace('"@LAUNCHER@"', json.dumps(str(launcher_path))) \
        .replace("@ORIGINS@", json.dumps(origins))


def firefox_manifest(launcher_path: Path, ids: list[str]) -> str:
    return (host_templates() / f"{NAME}.firefox.json.in").read_text() \
        .replace('"@LAUNCHER@"', json.dumps(str(launcher_path))) \
        .replace("@EXTENSIONS@", json.dumps(ids))


def write_host(folder: Path, *, chrome: list[str] | None = None,
               firefox: list[str] | None = None, paths: Paths | None = None
               ) -> tuple[Path, Path | None, Path | None]:
    """The launcher and whichever manifests are asked for, in one folder (tests, a custom
    browser profile); the launcher names `paths`' folders, else the host finds them in the
    browser's environment. Returns (launcher, chrome manifest, firefox manifest)."""
    make_dirs(folder, 0o755)
    script = folder / ("handful-host.cmd" if os.name == "nt" else "handful-host")
    script.write_text(launcher(folders=paths.folder_env() if paths else None))
    script.chmod(0o755)
    chrome_path = firefox_path = None
    if chrome is not None:
        chrome_path = folder / f"{NAME}.json"
        chrome_path.write_text(chrome_manifest(script, chrome_ids(chrome)))
    if firefox is not None:
        firefox_path = folder / f"{NAME}.firefox.json"
        firefox_path.write_text(firefox_manifest(script, firefox_ids(firefox)))
    return script, chrome_path, firefox_path
