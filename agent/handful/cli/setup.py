"""`handful install`, `uninstall`, `doctor` and `browser`: putting Handful in place."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from handful.cli.render import emit_json
from handful.errors import UsageError
from handful.install.browsers import BY_KEY
from handful.paths import Paths

if TYPE_CHECKING:
    from handful.install.installer import Installer, Where
    from handful.install.registry import Registry

Command = Callable[..., argparse.ArgumentParser]


def add_commands(command: Command) -> None:
    p = command("install", "register the native host with your browsers and start the agent "
                           "at login", cmd_install)
    p.add_argument("--browser", action="append", metavar="NAME", dest="browsers",
                   help="only this browser (repeatable): " + ", ".join(BY_KEY)
                        + "; default: every browser found")
    p.add_argument("--manifest-dir", action="append", metavar="DIR", type=Path,
                   help="write the host manifest into DIR instead (a custom browser profile: "
                        "<user-data-dir>/NativeMessagingHosts)")
    p.add_argument("--extension-id", action="append", metavar="ID", dest="extension_ids",
                   help="also allow this extension id (a Chrome id, or a Firefox add-on id)")
    p.add_argument("--no-autostart", action="store_true", help="do not start the agent at login")
    p.add_argument("--system", action="store_true",
                   help="for every user of this machine (as root; no autostart)")

    p = command("uninstall", "remove what `handful install` wrote; your data stays",
                cmd_uninstall)
    p.add_argument("--purge", action="store_true",
                   help="also delete your data, state and settings (asks first)")
    p.add_argument("--yes", action="store_true", help="with --purge: do not ask")
    p.add_argument("--system", action="store_true", help="undo `install --system`")

    command("doctor", "what is installed for which browser, what works, and how to fix "
                      "what does not", cmd_doctor)

    command("extension-path", "where the extension this Handful carries is: load it unpacked "
                              "from there (chrome://extensions, about:debugging)",
            cmd_extension_path)

    p = command("browser", "open Chromium or Chrome with Handful loaded, in a profile of its "
                           "own", cmd_browser)
    p.add_argument("--browser", metavar="PATH", dest="executable",
                   help="the browser to run (default: the first Chromium or Chrome found)")
    p.add_argument("--headless", action="store_true", help="without a window (tests)")
    p.add_argument("extra", nargs=argparse.REMAINDER, metavar="-- ARG",
                   help="more arguments for the browser, after --")


def _registry(where: Where) -> Registry | None:
    from handful.install.registry import WindowsRegistry

    return WindowsRegistry(machine=where.machine) if where.system == "windows" else None


def _installer(system: bool = False) -> Installer:
    # (imported when a command needs it: every other command starts 30 ms sooner)
    from handful.install.installer import Installer, Where

    where = Where.here(machine=system)
    return Installer(Paths.from_env(), where, registry=_registry(where))


def cmd_install(args: argparse.Namespace) -> int:
    installer = _installer(args.system)
    report = installer.install(args.browsers, manifest_dirs=args.manifest_dir,
                               extension_ids=args.extension_ids,
                               start_at_login=not args.no_autostart)
    if args.json:
        emit_json(report.as_dict())
        return 0
    for item in report.registered:
        where = f" (registry: {item.registry})" if item.registry else ""
        print(f"Registered for {item.browser}: {item.manifest}{where}")
    if report.autostart:
        print(f"The agent starts at login: {report.autostart}")
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    paths = Paths.from_env()
    if args.purge and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("--purge deletes your Handful data for good: add --yes to confirm "
                             "when there is no terminal to ask at")
        answer = input(f"Delete your Handful data in {paths.data} for good? Type 'delete': ")
        if answer.strip() != "delete":
            raise UsageError("nothing was removed")
    removed = _installer(args.system).uninstall()
    purged: list[str] = []
    if args.purge:
        from handful.agentctl import stop_agent
        from handful.ledger import forget_keys

        stop_agent(paths)
        forget_keys(paths)
        for folder in dict.fromkeys([paths.data, paths.state, paths.config, paths.runtime]):
            if folder.exists():
                shutil.rmtree(folder)
                purged.append(str(folder))
        if paths.home is not None:  # HANDFUL_HOME itself only if nothing else is in it
            with contextlib.suppress(OSError):
                paths.home.rmdir()
    if args.json:
        emit_json({"removed": removed, "purged": purged})
        return 0
    for name in removed:
        print(f"Removed {name}")
    if not removed:
        print("Nothing installed by `handful install` was found.")
    for name in purged:
        print(f"Deleted {name}")
    if not args.purge:
        print(f"Your data stays in {paths.data} (`handful uninstall --purge` deletes it).")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from handful.install.doctor import as_json, examine

    findings = examine(_installer(), Paths.from_env())
    if args.json:
        emit_json(as_json(findings))
    else:
        for f in findings:
            print(f"{'-- ' if f.note else 'ok ' if f.ok else 'NO '} {f.check:<20} {f.detail}")
            if f.fix:
                print(f"    fix: {f.fix}")
    return 0 if all(f.ok for f in findings) else 1


def cmd_extension_path(args: argparse.Namespace) -> int:
    import json

    from handful.bundled import extension_dir
    from handful.identity import CHROME_ID, FIREFOX_ID

    folder = extension_dir()
    if args.json:
        manifest = json.loads((folder / "manifest.json").read_text())
        emit_json({"path": str(folder), "manifest": str(folder / "manifest.json"),
                   "version": manifest.get("version"), "chrome_id": CHROME_ID,
                   "firefox_id": FIREFOX_ID})
    else:
        print(folder)
    return 0


def cmd_browser(args: argparse.Namespace) -> int:
    from handful.install.tryout import open_browser

    extra = [a for a in args.extra if a != "--"]
    opened = open_browser(Paths.from_env(), args.executable, headless=args.headless,
                          extra=extra)
    pid = opened.running or opened.pid
    stop = f"kill -TERM -{pid}"  # its own process group: the browser and its helpers
    if args.json:
        emit_json({"pid": pid, "profile": str(opened.profile), "already_open": bool(
            opened.running), "stop": stop})
    elif opened.running:
        print(f"The browser with Handful's profile was already open (pid {pid}): it opened a "
              f"new window there.")
    else:
        print(f"Opened the browser (pid {pid}) with Handful, in its own profile: "
              f"{opened.profile}")
    if args.headless and not args.json:
        print(f"It has no window: stop it with `{stop}`.")
    return 0
