"""`handful doctor`: what is installed for which browser, whether each piece works, and for
every problem the command that fixes it."""

from __future__ import annotations

import json
import os
import struct
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from handful.client import AgentClient
from handful.errors import HandfulError
from handful.identity import CHROME_ID, FIREFOX_ID, NAME
from handful.install import autostart
from handful.install.browsers import BROWSERS, Browser, registry_key
from handful.install.installer import Installer
from handful.paths import Paths

LENGTH = struct.Struct("=I")


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str | None = None
    note: bool = False  # not a problem: a choice the user made, said so they know


def examine(installer: Installer, paths: Paths) -> list[Finding]:
    findings: list[Finding] = []
    found = {b.key for b in installer.found()}
    for b in BROWSERS:
        for manifest in _manifests(installer, b):
            if b.key in found or manifest.exists():
                findings.extend(check_manifest(b, manifest))
    if not any(f.check.startswith("manifest") for f in findings):
        findings.append(Finding("browsers", False, "no browser with a Handful host was found",
                                "handful install --browser chromium (or chrome, firefox…)"))
    findings.append(_agent(paths))
    status = _status(paths)
    findings.extend(_sight(status))
    findings.extend(_sync(status))
    findings.extend(_store(paths))
    findings.append(_autostart(installer))
    findings.append(_notifications())
    return findings


def _notifications() -> Finding:
    """Which notification path works here (the review and the fast's end are notified), or
    none and why: not a fault (a server has none), so a note."""
    import asyncio

    from handful.notices import path

    found = asyncio.run(path())
    if found.works:
        return Finding("notifications", True, found.why)
    return Finding("notifications", True, f"none: {found.why}; the review is still shown by "
                   "the tray, the popup's badge and `handful status`", note=True)


def _manifests(installer: Installer, b: Browser) -> list[Path]:
    where = installer.where
    if where.system == "windows":
        value = installer.registry.get(registry_key(b), "") if installer.registry else None
        return [Path(value)] if value else []
    return [folder / f"{NAME}.json" for folder in installer.manifest_dirs(b)]


def check_manifest(b: Browser, path: Path) -> list[Finding]:
    """The manifest is there, valid, allows exactly the extension, and its launcher runs."""
    check = f"manifest {b.key}"
    fix = f"handful install --browser {b.key}"
    if not path.exists():
        return [Finding(check, False, f"{b.name}: no host manifest at {path}", fix)]
    try:
        doc = json.loads(path.read_text())
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as error:
        return [Finding(check, False, f"{b.name}: {path} is not a valid manifest ({error})", fix)]
    problems = []
    if doc.get("name") != NAME:
        problems.append(f"its name is {doc.get('name')!r}, not {NAME!r}")
    if doc.get("type") != "stdio":
        problems.append("its type is not stdio")
    if b.family == "chrome":
        allowed = doc.get("allowed_origins")
        want = f"chrome-extension://{CHROME_ID}/"
        if not isinstance(allowed, list) or want not in allowed:
            problems.append(f"allowed_origins lacks {want}")
        elif any("*" in str(o) for o in allowed):
            problems.append("allowed_origins holds a wildcard")
    else:
        allowed = doc.get("allowed_extensions")
        if not isinstance(allowed, list) or FIREFOX_ID not in allowed:
            problems.append(f"allowed_extensions lacks {FIREFOX_ID}")
    if problems:
        return [Finding(check, False, f"{b.name}: {path}: " + "; ".join(problems), fix)]
    findings = [Finding(check, True, f"{b.name}: {path}")]
    launcher = Path(str(doc.get("path", "")))
    findings.append(check_launcher(b, launcher, path))
    return findings


def check_launcher(b: Browser, launcher: Path, manifest: Path) -> Finding:
    """Start the launcher as the browser would and ask the host for a ping (without starting
    the agent: that is checked on its own)."""
    check = f"launcher {b.key}"
    fix = f"handful install --browser {b.key}"
    if not launcher.is_absolute() or not launcher.is_file():
        return Finding(check, False, f"{b.name}: the launcher {launcher} is missing", fix)
    if os.name != "nt" and not os.access(launcher, os.X_OK):
        return Finding(check, False, f"{b.name}: the launcher {launcher} is not executable",
                       fix)
    args = ([str(manifest), FIREFOX_ID] if b.family == "firefox"
            else [f"chrome-extension://{CHROME_ID}/"])
    body = json.dumps({"id": "doctor", "type": "ping"}).encode()
    try:
        proc = subprocess.run([str(launcher), *args], input=LENGTH.pack(len(body)) + body,
                              capture_output=True, timeout=20, check=False,
                              env={**os.environ, "HANDFUL_HOST_NO_START": "1"})
    except (OSError, subprocess.TimeoutExpired) as error:
        return Finding(check, False, f"{b.name}: the launcher {launcher} does not run "
                                     f"({error})", fix)
    reply = _reply(proc.stdout)
    if reply is None or reply.get("id") != "doctor":
        why = proc.stderr.decode(errors="replace").strip().splitlines()
        return Finding(check, False, f"{b.name}: the launcher {launcher} does not answer"
                                     + (f" ({why[-1]})" if why else ""), fix)
    return Finding(check, True, f"{b.name}: the launcher answers")


def _reply(out: bytes) -> dict[str, Any] | None:
    if len(out) < LENGTH.size:
        return None
    (length,) = LENGTH.unpack(out[:LENGTH.size])
    try:
        doc = json.loads(out[LENGTH.size:LENGTH.size + length])
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _agent(paths: Paths) -> Finding:
    client = AgentClient(paths.runtime, timeout=5)
    try:
        if client.ping():
            return Finding("agent", True, "the agent answers")
    except HandfulError as error:  # an impostor, or a socket folder that is not safe
        return Finding("agent", False, str(error), "handful stop; handful start")
    finally:
        client.close()
    log = paths.runtime / "agent.log"
    return Finding("agent", False, "the agent does not answer", "handful start"
                   + (f" (its log: {log})" if log.exists() else ""))


def _status(paths: Paths) -> dict[str, Any]:
    """The running agent's status ({} when it does not answer: its own finding says so)."""
    client = AgentClient(paths.runtime, timeout=5)
    try:
        reply = client.send({"id": "doctor", "type": "status"})
    except HandfulError:
        return {}
    finally:
        client.close()
    result = reply.get("result") if reply.get("ok") else None
    return result if isinstance(result, dict) else {}


def _sync(status: dict[str, Any]) -> list[Finding]:
    """Whether sync with the other devices works, as the agent last found it."""
    synced = status.get("sync")
    if not isinstance(synced, dict) or not synced.get("enabled"):
        return []
    problems = [p for p in synced.get("problems", []) if isinstance(p, str)]
    if not problems:
        return [Finding("sync", True, f"syncing with {synced.get('devices', 0)} devices")]
    return [Finding("sync", False, problem, "handful sync status (and docs/cli.md, "
                    "`handful sync`)") for problem in problems]


def _sight(status: dict[str, Any]) -> list[Finding]:
    """Whether the guard still reads the sites, as the agent has been told (nothing to say
    when the agent does not answer: its own finding says that)."""
    sight = status.get("sight")
    if not isinstance(sight, dict):
        return []
    problems = [p for p in sight.get("problems", []) if isinstance(p, str)]
    if not problems:
        return [Finding("guard", True, "the guard reads LinkedIn's and Facebook's pages")]
    return [Finding("guard", False, problem.split(": ", 1)[0],
                    problem.split(": ", 1)[1] if ": " in problem else None)
            for problem in problems]


def _store(paths: Paths) -> list[Finding]:
    from handful.ledger import check_key

    size = sum(p.stat().st_size for p in paths.data.rglob("*") if p.is_file()) \
        if paths.data.exists() else 0
    data = Finding("data", True, f"{paths.data} ({size:,} bytes)")
    if not (paths.data / "store.json").exists():
        return [Finding("data", False, f"no store in {paths.data}", "handful init")]
    try:
        check_key(paths)
    except HandfulError as error:
        return [data, Finding("key", False, f"the key is not reachable: {error}",
                              "set HANDFUL_PASSPHRASE, or unlock your keyring, then run "
                              "`handful doctor` again")]
    return [data, Finding("key", True, "the key opens the store")]


def _autostart(installer: Installer) -> Finding:
    where = installer.where
    if where.system == "windows":
        value = installer.registry.get(autostart.RUN_KEY, autostart.RUN_VALUE) \
            if installer.registry else None
        present, place = value is not None, rf"HKCU\{autostart.RUN_KEY}\{autostart.RUN_VALUE}"
    else:
        target = autostart.location(where.system, where.home, where.env)
        present, place = target is not None and Path(target).exists(), str(target)
    if present:
        return Finding("autostart", True, f"the agent starts at login ({place})")
    if installer.autostart_declined():
        return Finding("autostart", True, "the agent does not start at login, as you chose "
                       "(install --no-autostart): the extension starts it when it needs it, "
                       "or `handful start`", note=True)
    return Finding("autostart", False, "the agent does not start at login", "handful install")


def as_json(findings: list[Finding]) -> dict[str, Any]:
    return {"ok": all(f.ok for f in findings), "findings": [asdict(f) for f in findings]}
