"""`handful sync enable DIR [--name NAME]` / `disable` / `now` / `status`: one history across
the user's devices, through a folder their own sync tool carries (docs/cli.md, "sync").

Through the running agent (it keeps syncing); else here, with the store opened for one pass.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from handful.cli.render import emit_json
from handful.client import AgentClient, AgentUnavailable, NotTheAgent
from handful.errors import HandfulError, UsageError
from handful.paths import Paths


def add_command(command: Callable[..., argparse.ArgumentParser]) -> None:
    from handful.cli.main import _Parser, cmd_sync

    p = command("sync", "one history across your devices, through a folder your sync tool "
                        "(Syncthing, Dropbox, iCloud Drive...) carries", cmd_sync,
                json_flag=False)
    actions = p.add_subparsers(dest="sync_command", metavar="ACTION", parser_class=_Parser,
                               required=True)
    enable = actions.add_parser(
        "enable", help="sync through DIR; on a machine with no store, join the one in DIR "
                       "(HANDFUL_PASSPHRASE, or the recovery key at the prompt or on the first "
                       "line of standard input)")
    enable.add_argument("folder", metavar="DIR",
                        help="a folder your sync tool carries to your other devices; this "
                        "one writes only under DIR/handful/devices/<its id>/")
    enable.add_argument("--name", help="what your devices call this one (e.g. laptop)")
    for action, text in (("disable", "stop syncing (nothing in DIR or here is removed)"),
                         ("now", "publish and merge at once, then say how it stands"),
                         ("status", "the folder, each device, and what is wrong if anything")):
        actions.add_parser(action, help=text)
    for sub in actions.choices.values():
        sub.add_argument("--json", action="store_true", help="print one JSON document")


def _recovery_key() -> str | None:
    if sys.stdin.isatty():
        return getpass.getpass("Recovery key of the store in that folder: ")
    line = sys.stdin.readline()
    if not line.strip():
        raise UsageError("no recovery key given (and HANDFUL_PASSPHRASE is not set): type "
                         "it at the prompt or pipe it in")
    return line


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    action = args.sync_command
    message: dict[str, Any] = {"type": f"sync_{action}"}
    if action == "enable":
        message["folder"] = str(Path(args.folder).expanduser().absolute())
        if args.name is not None:
            message["name"] = args.name
    client = AgentClient(paths.runtime, timeout=120.0)
    try:
        try:
            running = client.ping()
        except NotTheAgent:
            raise
        except AgentUnavailable:
            running = False
        if running:
            reply = client.send({"id": 1, **message})
            if not reply.get("ok"):
                raise HandfulError(str(reply.get("error", {}).get("message")))
            result: dict[str, Any] = reply["result"]
            return result
    finally:
        client.close()
    return _here(args, paths)


def _here(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    from handful import syncing
    from handful.ledger import Ledger

    action = args.sync_command
    if action == "enable":
        return syncing.enable(paths, Path(args.folder), args.name, _recovery_key)
    if action == "disable":
        return syncing.disable(paths)
    with Ledger.open(paths, write=True) as ledger:
        state = syncing.load_state(ledger)
        if state.folder is None:
            return syncing.status(ledger, state)
        syncer = syncing.Syncer(ledger, state)
        syncer.run(publish=action == "now")
        return syncing.status(ledger, state, syncer.last)


def show(doc: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        emit_json(doc)
        return
    if not doc["enabled"]:
        print("Sync is off: `handful sync enable DIR` turns it on.")
        return
    print(f"Syncing through {doc['folder']}.")
    for device in doc["devices"]:
        who = device["name"] or device["device"][:8]
        if device.get("this"):
            n = device["events"]
            print(f"  {who} (this device): {n:,} event{'' if n == 1 else 's'}")
        else:
            seen = device["last_seen"][:16].replace("T", " ") if device["last_seen"] else \
                "nothing new since this device joined"
            print(f"  {who}: {device['events']:,} events; last brought something {seen}")
        for problem in device["problems"]:
            print(f"    problem: {problem}")
    for problem in doc["problems"]:
        print(f"  problem: {problem}")
