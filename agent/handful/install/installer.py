"""`handful install` / `uninstall`: the native host registered for each browser, the agent
started with the session, and a record of every file and registry value written, so that
uninstalling removes exactly those and nothing else."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from handful.errors import UsageError
from handful.identity import NAME
from handful.install import autostart, pitfalls
from handful.install.browsers import (
    BROWSERS,
    Browser,
    System,
    UnknownBrowser,
    browser,
    manifest_dir,
    profile_dirs,
    registry_key,
    tor_browser_globs,
    tor_manifest_dirs,
    windows_manifest_dir,
    windows_manifest_name,
)
from handful.install.manifests import (
    CHROME_ID_SHAPE,
    chrome_ids,
    chrome_manifest,
    firefox_ids,
    firefox_manifest,
    launcher,
)
from handful.install.registry import Registry
from handful.paths import Paths, make_dirs

FIREFOX_ID_SHAPE = re.compile(
    r"^(?:[A-Za-z0-9._+-]{1,80}@[A-Za-z0-9.-]{1,80}|\{[0-9a-fA-F-]{36}\})$")
RECORD = "installed.json"


def this_system() -> System:
    if sys.platform == "darwin":
        return "macos"
    if sys.platform == "win32":
        return "windows"
    return "linux"


@dataclass
class Where:
    """The machine being installed on: its system, the user's home and environment."""
    system: System
    home: Path
    env: Mapping[str, str]
    machine: bool = False  # --system: for every user (root only)

    @classmethod
    def here(cls, *, machine: bool = False) -> Where:
        return cls(this_system(), Path.home(), dict(os.environ), machine)


@dataclass
class Registered:
    browser: str
    manifest: str
    registry: str | None = None


@dataclass
class Report:
    launcher: str = ""
    registered: list[Registered] = field(default_factory=list)
    autostart: str | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"launcher": self.launcher, "autostart": self.autostart,
                "registered": [vars(r) for r in self.registered], "warnings": self.warnings}


class Installer:
    def __init__(self, paths: Paths, where: Where, *, python: str = sys.executable,
                 registry: Registry | None = None,
                 which: Callable[[str], str | None] = shutil.which) -> None:
        self.paths = paths
        self.where = where
        self.python = python
        self.registry = registry
        self.which = which
        self._record: dict[str, list[Any]] = {"files": [], "dirs": [], "registry": []}
        self._choices: dict[str, bool] = {}  # what the user chose at install (the record's)

    # -- what is here ----------------------------------------------------------------------

    def found(self) -> list[Browser]:
        """The browsers installed or used on this machine."""
        w = self.where
        return [b for b in BROWSERS
                if any(self.which(exe) for exe in b.executables)
                or any(Path(d).is_dir() for d in profile_dirs(b, w.system, w.home, w.env))
                or (b.key == "tor" and w.system == "linux" and self._tor_folders())]

    def _tor_folders(self) -> list[Path]:
        return sorted(Path(p) for pattern in tor_browser_globs(self.where.home)
                      for p in glob.glob(pattern))

    def manifest_dirs(self, b: Browser) -> list[Path]:
        w = self.where
        if b.key == "tor" and w.system == "linux" and not w.machine:
            return [Path(p) for p in tor_manifest_dirs(list(self._tor_folders()))]
        found = manifest_dir(b, w.system, w.home, w.env, machine=w.machine)
        return [Path(found)] if found else []

    def launcher_path(self) -> Path:
        windows = self.where.system == "windows"
        name = "handful-host.cmd" if windows else "handful-host"
        if self.where.machine:
            base = (Path(self.where.env.get("PROGRAMDATA", r"C:\ProgramData")) / "Handful"
                    if windows else Path("/usr/local/lib/handful"))
            return base / name
        return self.paths.config / "host" / name

    # -- install -----------------------------------------------------------------------------

    def install(self, names: list[str] | None = None, *, manifest_dirs: list[Path] | None = None,
                extension_ids: list[str] | None = None, start_at_login: bool = True) -> Report:
        w = self.where
        if w.machine and w.system != "windows" and os.geteuid() != 0:
            raise UsageError("--system writes for every user: run it as root (sudo)")
        try:
            chosen = [browser(n) for n in names] if names else None
        except UnknownBrowser as error:
            raise UsageError(str(error)) from None
        extra = self._extension_ids(extension_ids or [])
        self._load_record()
        report = Report()
        script = self.launcher_path()
        folders = None if w.machine else self.paths.folder_env()  # each user's own, or none
        self._write(script, launcher(self.python, windows=w.system == "windows",
                                     folders=folders), mode=0o755)
        report.launcher = str(script)
        chrome_doc = chrome_manifest(script, chrome_ids(extra))
        firefox_doc = firefox_manifest(script, firefox_ids(extra))

        if manifest_dirs:
            family = "firefox" if chosen and all(b.family == "firefox" for b in chosen) \
                else "chrome"
            for folder in manifest_dirs:
                target = folder / f"{NAME}.json"
                self._write(target, firefox_doc if family == "firefox" else chrome_doc)
                report.registered.append(Registered("custom", str(target)))
        else:
            targets = chosen if chosen is not None else self.found()
            if not targets:
                report.warnings.append("No browser found: name one with --browser (chrome, "
                                       "chromium, edge, brave, vivaldi, firefox, tor).")
            for b in targets:
                doc = firefox_doc if b.family == "firefox" else chrome_doc
                report.registered.extend(self._register(b, doc, report))
            report.warnings.extend(self._pitfalls(targets))

        if start_at_login and not w.machine:
            report.autostart = self._autostart()
        if not w.machine:
            self._choices["autostart"] = start_at_login  # doctor: a choice, not a problem
        self._save_record()
        return report

    def _register(self, b: Browser, doc: str, report: Report) -> list[Registered]:
        w = self.where
        if w.system == "windows":
            target = Path(windows_manifest_dir(w.env, w.home)) / windows_manifest_name(b)
            self._write(target, doc)
            key = registry_key(b)
            self._set_registry(key, "", str(target))
            return [Registered(b.key, str(target), key)]
        folders = self.manifest_dirs(b)
        if not folders:
            where = ("every user" if w.machine else "this user")
            hint = (" (install it into Tor Browser's folder with --manifest-dir "
                    "<tor-browser>/Browser/.mozilla/native-messaging-hosts --browser tor)"
                    if b.key == "tor" else "")
            report.warnings.append(f"{b.name}: no known place for a host for {where}{hint}.")
            return []
        registered = []
        for folder in folders:
            target = folder / f"{NAME}.json"
            self._write(target, doc)
            registered.append(Registered(b.key, str(target)))
        return registered

    def _autostart(self) -> str:
        w = self.where
        command = autostart.agent_command(self.python, w.env)
        if w.system == "windows":
            self._set_registry(autostart.RUN_KEY, autostart.RUN_VALUE,
                               autostart.run_value(self.python))
            return rf"HKCU\{autostart.RUN_KEY}\{autostart.RUN_VALUE}"
        target = Path(autostart.location(w.system, w.home, w.env))  # type: ignore[arg-type]
        if w.system == "macos":
            self._write(target, autostart.launch_agent(command, self.paths.runtime / "agent.log"))
        else:
            self._write(target, autostart.desktop_entry(command))
        return str(target)

    def _pitfalls(self, targets: list[Browser]) -> list[str]:
        if self.where.system != "linux":
            return []
        found = pitfalls.packaging_warnings(PurePath(self.where.home),  # type: ignore[arg-type]
                                            os.path.exists)
        for b in targets:
            folder = pitfalls.POLICY_DIRS.get(b.key)
            if folder:
                found.extend(pitfalls.policy_warnings(b.name, _policies(Path(folder))))
        return found

    def _extension_ids(self, given: list[str]) -> list[str]:
        for ident in given:
            if not (CHROME_ID_SHAPE.match(ident) or FIREFOX_ID_SHAPE.match(ident)):
                raise UsageError(f"{ident!r} is not an extension id: a Chrome id is 32 letters "
                                 "a to p, a Firefox id looks like name@domain or {uuid}")
        stored = self.paths.config / "extensions.json"
        try:
            known = json.loads(stored.read_text())
            known = [i for i in known if isinstance(i, str)] if isinstance(known, list) else []
        except (OSError, ValueError):
            known = []
        ids = sorted({*known, *given})
        if given:  # the host reads these too: a caller the manifests allow is one it answers
            self._write(stored, json.dumps(ids, indent=2) + "\n")
        elif known:
            self._remember(stored)
        return ids

    # -- uninstall ---------------------------------------------------------------------------

    def uninstall(self) -> list[str]:
        """Remove what install wrote (files, then folders it created if left empty, then
        registry values). Returns what was removed."""
        self._load_record()
        removed = []
        for name in self._record["files"]:
            path = Path(name)
            try:
                path.unlink()
                removed.append(name)
            except FileNotFoundError:
                pass
        for key, value in self._record["registry"]:
            if self.registry is not None and self.registry.get(key, value) is not None:
                self.registry.delete(key, value)
                removed.append(rf"HKCU\{key}" + (rf"\{value}" if value else ""))
        record = self._record_path()
        record.unlink(missing_ok=True)
        for name in sorted(self._record["dirs"], key=len, reverse=True):
            with contextlib.suppress(OSError):
                Path(name).rmdir()  # only if empty: the user's own files stay
        self._record = {"files": [], "dirs": [], "registry": []}
        self._choices = {}
        return removed

    # -- the record --------------------------------------------------------------------------

    def _record_path(self) -> Path:
        if self.where.machine:
            return self.launcher_path().parent / RECORD
        return self.paths.config / RECORD

    def _load_record(self) -> None:
        try:
            doc = json.loads(self._record_path().read_text())
            self._record = {k: list(doc.get(k, [])) for k in ("files", "dirs", "registry")}
            choices = doc.get("choices", {})
            self._choices = {k: v for k, v in choices.items() if isinstance(v, bool)} \
                if isinstance(choices, dict) else {}
        except (OSError, ValueError, AttributeError):
            self._record = {"files": [], "dirs": [], "registry": []}
            self._choices = {}

    def autostart_declined(self) -> bool:
        """Whether the last `install` was told not to start the agent at login."""
        self._load_record()
        return self._choices.get("autostart") is False

    def _save_record(self) -> None:
        path = self._record_path()
        self._make_dirs(path.parent)
        doc: dict[str, Any] = {
            k: sorted(v) if k != "registry" else sorted(map(list, {tuple(x) for x in v}))
            for k, v in self._record.items()}
        doc["files"] = sorted(set(doc["files"]))
        doc["dirs"] = sorted(set(doc["dirs"]))
        doc["choices"] = dict(sorted(self._choices.items()))
        _atomic_write(path, json.dumps(doc, indent=2) + "\n", 0o644)

    def _remember(self, path: Path) -> None:
        if str(path) not in self._record["files"]:
            self._record["files"].append(str(path))

    def _make_dirs(self, folder: Path) -> None:
        for made in make_dirs(folder, 0o755):  # (the browsers' folders: readable, umask or not)
            self._record["dirs"].append(str(made))

    def _write(self, path: Path, text: str, mode: int = 0o644) -> None:
        self._make_dirs(path.parent)
        _atomic_write(path, text, mode)
        self._remember(path)

    def _set_registry(self, key: str, name: str, value: str) -> None:
        if self.registry is None:
            raise UsageError("the Windows registry is not available here")
        self.registry.set(key, name, value)
        if [key, name] not in self._record["registry"]:
            self._record["registry"].append([key, name])


def _policies(folder: Path) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict):
            docs.append(doc)
    return docs


def _atomic_write(path: Path, text: str, mode: int) -> None:
    """Write a whole file or leave the old one: a browser never reads half a manifest."""
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temp, mode)
    os.replace(temp, path)
