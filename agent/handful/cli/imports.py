"""`handful import facebook|linkedin PATH...`: years of history from a platform's export.

Through the running agent (it reads the export itself and writes the batch; this command
shows its progress), else with the store opened here. A progress bar at a terminal, one
line per phase otherwise; `--json` prints the summary.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from handful.cli.render import emit_json
from handful.client import AgentClient, AgentUnavailable, NotTheAgent
from handful.errors import ArchiveRefused, HandfulError, StorageFailure
from handful.paths import Paths

POLL = 0.1  # seconds between two questions to the agent about its progress
_PHASES = {"read": "reading the export's files", "plan": "matching groups",
           "write": "writing events", "commit": "committing"}


def add_command(command: Callable[..., argparse.ArgumentParser]) -> None:
    from handful.cli.main import cmd_import

    p = command("import", "memberships and engagement from a platform's data export "
                          "(idempotent: importing twice adds nothing)", cmd_import)
    p.add_argument("platform", choices=["facebook", "linkedin"])
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="the export: a .zip (read in place), the folder it was unpacked to, "
                        "or a folder of the zips a large export is split into")
    p.add_argument("--dry-run", action="store_true",
                   help="say what would be imported; write nothing")
    p.add_argument("--match", action="append", default=[], metavar="NAME=facebook:ID",
                   help="the group a name in the export is (when two groups Handful knows "
                        "share it); repeatable")


class Progress:
    """A bar at a terminal (tqdm), else one line per phase on stderr."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.phase: str | None = None
        self.bar: Any = None

    def __call__(self, phase: str, done: int, total: int, _detail: str = "") -> None:
        if phase != self.phase:
            self.close()
            self.phase = phase
            label = _PHASES.get(phase, phase)
            if self.tty and phase != "commit":
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=label, unit=" files" if phase == "read"
                                else " entries" if phase == "plan" else " events",
                                file=sys.stderr, leave=False)
            else:
                print(f"handful: {label}" + (f" ({total:,})" if total > 1 else ""),
                      file=sys.stderr)
        if self.bar is not None:
            if total != self.bar.total:
                self.bar.total = total
            self.bar.n = done
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    where = [Path(p).expanduser().absolute() for p in args.paths]
    from handful.imports.run import parse_matches

    matches = parse_matches(args.match)
    progress = Progress()
    try:
        client = AgentClient(paths.runtime, timeout=60.0)
        try:
            if client.ping():
                return _through_agent(client, args, where, matches, progress)
        except NotTheAgent:
            raise
        except AgentUnavailable:
            pass
        finally:
            client.close()
        return _here(paths, args, where, matches, progress)
    finally:
        progress.close()


def _through_agent(client: AgentClient, args: argparse.Namespace, where: list[Path],
                   matches: dict[str, str], progress: Progress) -> dict[str, Any]:
    job = _ask(client, {"type": "import", "platform": args.platform,
                        "paths": [str(p) for p in where], "dry_run": args.dry_run,
                        "matches": matches})
    while not job.get("finished"):
        time.sleep(POLL)
        job = _ask(client, {"type": "import_status", "job": job["job"]})
        if job.get("phase") in _PHASES and job.get("total"):
            progress(job["phase"], int(job["done"]), int(job["total"]))
    if "error" in job:
        error = job["error"]
        kind = ArchiveRefused if error.get("code") == "archive" else \
            StorageFailure if error.get("code") == "storage" else HandfulError
        raise kind(str(error.get("message")))
    summary: dict[str, Any] = job["summary"]
    return summary


def _ask(client: AgentClient, message: dict[str, Any]) -> dict[str, Any]:
    reply = client.send({"id": 1, **message})
    if not reply.get("ok"):
        error = reply.get("error", {})
        raise HandfulError(f"the agent refused the import: {error.get('message')}")
    result: dict[str, Any] = reply["result"]
    return result


def _here(paths: Paths, args: argparse.Namespace, where: list[Path], matches: dict[str, str],
          progress: Progress) -> dict[str, Any]:
    from handful.imports.run import run_import
    from handful.ledger import Ledger

    with Ledger.open(paths, write=not args.dry_run) as ledger:
        for line in ledger.notes:
            print(f"handful: {line}", file=sys.stderr)
        return run_import(ledger, args.platform, where, dry_run=args.dry_run, matches=matches,
                          progress=progress)


def show(summary: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        emit_json(summary)
        return
    if summary["platform"] == "linkedin":
        print(summary["message"])
        return
    new = summary["new"]
    would = "would add" if summary["dry_run"] else "added"
    added = sum(new.values())
    print(f"Facebook export: {summary['files_read']} files read; {would} {added:,} events"
          + (f" ({_kinds(new)})" if new else "") + f"; {summary['already']:,} already known.")
    groups = summary["groups"]
    print(f"Groups: {groups['new']} new, {groups['matched']} already known to Handful.")
    for item in groups["ambiguous"]:
        print(f"Ambiguous: {item['name']!r} is the name of {len(item['candidates'])} groups "
              f"you have; give one of: {', '.join(item['match'])}")
    if summary["titles_not_understood_total"]:
        shown = ", ".join(f"{t['title']!r} ({t['count']})"
                          for t in summary["titles_not_understood"][:3])
        print(f"Not understood: {summary['titles_not_understood_total']} membership entries "
              f"whose title is in no known form, e.g. {shown}; they were not imported.")
    if summary["dry_run"]:
        print("Dry run: nothing was written.")
    elif not added and not summary["committed"]:
        print("Nothing new: this export was imported already.")


def _kinds(counts: dict[str, int]) -> str:
    words = {"joined": "joins", "left": "leaves", "membership_imported": "groups you run",
             "engagement:post": "posts", "engagement:comment": "comments",
             "group_seen:badges": "groups with badges",
             "group_seen:membership_questions": "membership answers",
             "group_alias": "renamed groups tied"}
    return ", ".join(f"{n:,} {words.get(kind, kind)}" for kind, n in counts.items())
