"""`handful`: the command line. Every reporting command takes --json; errors are one line."""

from __future__ import annotations

import argparse
import csv
import getpass
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from handful import __version__
from handful.cli.reads import LogReader, open_reader
from handful.cli.render import (
    PrintableStream,
    emit_json,
    import_lines,
    json_bytes_escaped,
    printable,
    table,
)
from handful.cli.writes import LogWriter, open_writer
from handful.client import AgentClient
from handful.domain import events as ev
from handful.domain.settings import SETTINGS, check_setting
from handful.errors import HandfulError, IntegrityError, UsageError
from handful.ledger import init_store, save_export
from handful.paths import Paths

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2, no usage dump
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="handful",
        description="Keep a handful of LinkedIn and Facebook groups, and go deep in them. "
                    "Data lives under HANDFUL_HOME when set, else your per-user folders.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="environment:\n"
               "  HANDFUL_HOME        keep all data, state and config under this folder\n"
               "  HANDFUL_PASSPHRASE  protect the store with a passphrase (no OS keyring)\n"
               "  HANDFUL_NOW         an ISO-8601 instant taken as now (tests, demos)\n\n"
               "exit status: 0 ok, 1 error, 2 usage, 3 integrity problem, 4 key unavailable,\n"
               "  5 store busy, 6 storage failure, 7 agent unavailable, 8 export refused\n\n"
               "docs: docs/cli.md, docs/format.md")
    parser.add_argument("--version", action="version", version=f"handful {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str, handler: Handler, *, json_flag: bool = True
                ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print one JSON document")
        p.set_defaults(handler=handler)
        return p

    p = command("init", "create the store and its key (idempotent: never overwrites a store)",
                cmd_init)
    p.add_argument("--recover", action="store_true",
                   help="join an existing store (copied from another machine or a backup) "
                        "with its recovery key, read from the terminal or standard input")

    command("status", "members against the cap, review due date, scoreboard", cmd_status)

    p = command("groups", "current memberships with engagement figures", cmd_groups)
    p.add_argument("--all", action="store_true",
                   help="also groups left, declined, deferred, requested or only seen")
    gsub = p.add_subparsers(dest="groups_command", metavar="ACTION", parser_class=_Parser)
    add = gsub.add_parser("add", help="record a membership made elsewhere (phone, other computer)")
    add.add_argument("group", metavar="PLATFORM:ID", help="e.g. linkedin:12345 or facebook:slug")
    add.add_argument("--name", help="the group's name")
    add.add_argument("--url", help="the group's https:// address")
    add.add_argument("--json", action="store_true", help="print one JSON document")
    add.set_defaults(handler=cmd_groups_add)
    leave = gsub.add_parser("leave", help="record a membership ended elsewhere")
    leave.add_argument("group", metavar="PLATFORM:ID")
    leave.add_argument("--note", help="why you left")
    leave.add_argument("--json", action="store_true", help="print one JSON document")
    leave.set_defaults(handler=cmd_groups_leave)

    p = command("record", "log engagement or a result by hand", cmd_record)
    p.add_argument("kind", metavar="KIND", help="one of: " + ", ".join(_KINDS))
    p.add_argument("--group", required=True, metavar="PLATFORM:ID")
    p.add_argument("--note", help="a few words to remember it by")
    p.add_argument("--amount", type=_number("--amount"), help="business won, in your currency")
    p.add_argument("--minutes", type=_number("--minutes"), help="time spent")

    p = command("export", "every event, decrypted, in order (the only plaintext Handful writes)",
                cmd_export, json_flag=False)
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")

    command("verify", "check every segment and record; non-zero naming the place if not intact",
            cmd_verify)

    p = command("agent", "run the agent in the foreground (the one writer; serves the browsers)",
                cmd_agent, json_flag=False)
    p.add_argument("--no-tray", action="store_true", help="no tray icon (servers, tests)")
    command("start", "start the agent in the background (does nothing if it runs)", cmd_start)
    command("stop", "stop the agent; every acknowledged event is already on disk", cmd_stop)

    p = command("config", "read or change a setting (settings are stored as events)", cmd_config)
    p.add_argument("action", choices=["get", "set"])
    p.add_argument("key", nargs="?", help="one of: " + ", ".join(SETTINGS))
    p.add_argument("value", nargs="?")

    from handful.cli.imports import add_command as add_import
    from handful.cli.pauses import add_commands as add_pauses
    from handful.cli.review import add_command as add_review
    from handful.cli.setup import add_commands
    from handful.cli.sync import add_command as add_sync

    add_review(command)
    add_import(command)
    add_sync(command)
    add_pauses(command)
    add_commands(command)
    return parser


_KINDS = ("visit", "post", "comment", "reaction", "event", "referral_given",
          "referral_received", "business", "meeting")


def _number(flag: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be a number, not {text!r}") from None
    return parse


def _paths() -> Paths:
    return Paths.from_env()


def _reader() -> LogReader:
    """The agent when it runs (no passphrase asked), else the store opened read-only."""
    return open_reader(_paths())


def _note_repairs(reader: LogReader) -> None:
    for line in reader.notes:
        print(f"handful: {line}", file=sys.stderr)


# -- commands ----------------------------------------------------------------------------

def cmd_init(args: argparse.Namespace) -> int:
    recovery = _read_recovery_key() if args.recover else None
    result = init_store(_paths(), recovery_key=recovery)
    if args.json:
        emit_json({"created": result.created, "recovered": result.recovered,
                   "store": result.store, "device": result.device, "method": result.method,
                   "recovery_key": result.recovery_key, "data": str(_paths().data)})
        return 0
    if result.created:
        print(f"Created a Handful store in {_paths().data}, its key kept by the "
              f"{'OS keyring' if result.method == 'keyring' else 'passphrase'}.")
        print()
        print("Your recovery key (shown once; write it down somewhere safe):")
        print()
        print(f"    {result.recovery_key}")
        print()
        print("It opens your log on a new machine: `handful init --recover`.")
    elif result.recovered:
        print(f"Recovered the store in {_paths().data}; this machine now opens it with the "
              f"{'OS keyring' if result.method == 'keyring' else 'passphrase'}.")
    else:
        print(f"Already initialised: {_paths().data} (nothing changed).")
    return 0


def _read_recovery_key() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Recovery key: ")
    line = sys.stdin.readline()
    if not line.strip():
        raise UsageError("no recovery key given: type it at the prompt or pipe it in")
    return line


def cmd_agent(args: argparse.Namespace) -> int:
    from handful.daemon import run_agent

    return run_agent(_paths(), tray=not args.no_tray)


def cmd_start(args: argparse.Namespace) -> int:
    from handful.agentctl import ensure_running

    started = ensure_running(_paths())
    pid = _agent_pid()
    if args.json:
        emit_json({"running": True, "started": started, "pid": pid})
    else:
        print(f"The agent {'started' if started else 'was already running'} (pid {pid}).")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from handful.agentctl import stop_agent

    stopped = stop_agent(_paths())
    if args.json:
        emit_json({"stopped": stopped})
    else:
        print("The agent stopped." if stopped else "The agent was not running.")
    return 0


def _agent_pid() -> int | None:
    try:
        return int((_paths().runtime / "agent.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _agent_running() -> bool:
    client = AgentClient(_paths().runtime, timeout=5)
    try:
        return client.ping()
    finally:
        client.close()


def cmd_status(args: argparse.Namespace) -> int:
    with _reader() as reader:
        _note_repairs(reader)
        doc = reader.status()
        running = reader.via_agent or _agent_running()
    doc = {"agent": {"running": running, "pid": _agent_pid() if running else None},
           **doc, "data": str(_paths().data)}
    if args.json:
        emit_json(doc)
        return 0
    review = doc["review"]
    print(f"Agent: {'running' if running else 'not running (start it: handful start)'}")
    print(f"Groups: {doc['members']} of {doc['cap']}"
          + ("  (over your cap)" if doc["over_cap"] else ""))
    print(f"Review: {'due now' if review['due'] else 'next on ' + review['due_at'][:10]}")
    score = doc["scoreboard"]
    share = score["declined_share"]
    print(f"Joins intercepted: {score['intercepted']}, declined: {score['declined']}"
          + (f" ({share:.0%} of decisions)" if share is not None else ""))
    kept = score["commitments"]
    print(f"Groups pruned: {score['pruned']}; commitments kept: {kept['kept']} of "
          f"{kept['made']}")
    weeks = list(score["attempts_by_week"].items())[-8:]
    if weeks:
        print("Join attempts per week: " + ", ".join(f"{w[5:]} {n}" for w, n in weeks))
    if doc["fast"]["active"]:
        print(f"Networking fast until {doc['fast']['ends_at'][:10]}")
    if doc["guard"]["paused"]:
        print(f"The guard is paused until {doc['guard']['paused_until'][11:16]} UTC")
    for problem in doc["sight"]["problems"]:
        print(problem)
    if score["unguarded"]:
        print(f"Joins the guard did not see: {score['unguarded']}")
    for missed in doc["unjustified"]:
        name = missed["group"]["name"] or missed["key"]
        print(f"Joined without deciding: {name} on {missed['at'][:10]} - say why on its "
              f"page, or `handful groups leave {missed['key']}`")
    for line in import_lines(doc["imports"]):
        print(line)
    synced = doc.get("sync")
    if synced and synced["enabled"]:
        print(f"Sync: {synced['devices']} devices" + "".join(
            f"\nSync problem: {problem}" for problem in synced["problems"]))
    print(f"Events: {doc['events']}  Data: {doc['data']}")
    return 0


def cmd_groups(args: argparse.Namespace) -> int:
    with _reader() as reader:
        _note_repairs(reader)
        doc = reader.groups(everything=args.all)
    if args.json:
        emit_json(doc)
        return 0
    print(f"{doc['count']} of {doc['cap']} groups")
    if not doc["groups"]:
        print("No groups yet. Record one with `handful groups add linkedin:ID --name NAME`.")
        return 0
    rows = []
    for g in doc["groups"]:
        f30 = g["figures"]["30"]
        rows.append([g["group"]["name"] or "", g["key"], g["status"],
                     (g["since"] or "")[:10] or None, f30["visits"], f30["minutes"],
                     f30["posts"], f30["comments"],
                     f30["referrals_given"] + f30["referrals_received"], f30["business_amount"]])
    print(table(["NAME", "GROUP", "STATUS", "SINCE", "VISITS30", "MIN30", "POSTS30",
                 "COMMENTS30", "REFERRALS30", "BUSINESS30"], rows))
    return 0


def cmd_groups_add(args: argparse.Namespace) -> int:
    group = ev.parse_group_ref(args.group)
    fields: dict[str, Any] = {"platform": group.platform, "id": group.id}
    if args.name:
        fields["name"] = args.name
    if args.url:
        fields["url"] = args.url
    writer = open_writer(_paths(), ("joined", {"group": fields}))
    try:
        _notes(writer)
        current = writer.membership(group)
        if current.status == "member":
            message = f"Already a member of {group.key} since {(current.since or '')[:10]}."
            event = None
            count = current.count
        else:
            event = writer.record("joined", {"group": fields, "source": "elsewhere"})
            message = f"Recorded: member of {group.key}."
            count = current.count + 1
    finally:
        writer.close()
    return _written(args, event, f"{message} {count} of {current.cap} groups.")


def cmd_groups_leave(args: argparse.Namespace) -> int:
    group = ev.parse_group_ref(args.group)
    fields = {"group": {"platform": group.platform, "id": group.id}, "note": args.note,
              "source": "elsewhere"}
    writer = open_writer(_paths(), ("left", fields))
    try:
        _notes(writer)
        current = writer.membership(group)
        if current.status not in ("member", "requested"):
            state = current.status or "unknown to Handful"
            raise HandfulError(f"not a member of {group.key} ({state}); nothing recorded")
        event = writer.record("left", fields)
        count = current.count - (current.status == "member")
    finally:
        writer.close()
    return _written(args, event, f"Recorded: left {group.key}. {count} of {current.cap} groups.")


def cmd_record(args: argparse.Namespace) -> int:
    if args.kind not in _KINDS:
        raise UsageError(f"unknown kind {args.kind!r}; use one of: {', '.join(_KINDS)}")
    if args.amount is not None and args.kind not in ev.AMOUNT_KINDS:
        raise UsageError(f"--amount belongs to business (what it was worth) or a referral "
                         f"(its value), not to a {args.kind}")
    group = ev.parse_group_ref(args.group)
    fields = {"group": {"platform": group.platform, "id": group.id}, "kind": args.kind,
              "note": args.note, "amount": args.amount, "minutes": args.minutes}
    writer = open_writer(_paths(), ("engagement", fields))
    try:
        _notes(writer)
        if writer.membership(group).status is None:
            raise HandfulError(f"Handful does not know {group.key}; nothing recorded. Add it "
                               f"first: handful groups add {group.key} --name NAME")
        event = writer.record("engagement", fields)
    finally:
        writer.close()
    return _written(args, event, f"Recorded {args.kind} in {group.key}.")


def _notes(writer: LogWriter) -> None:
    for line in writer.notes:
        print(f"handful: {line}", file=sys.stderr)


def _written(args: argparse.Namespace, event: dict[str, Any] | None, message: str) -> int:
    if args.json:
        emit_json({"written": event is not None, "event": event})
    else:
        print(message)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    if args.action == "get":
        if args.value is not None:
            raise UsageError("`config get` takes a key, not a value")
        with _reader() as reader:
            values = reader.settings()
        if args.key is not None:
            if args.key not in values:
                check_setting(args.key, 0)  # raises the clear "unknown setting" error
            values = {args.key: values[args.key]}
        if args.json:
            emit_json(values)
        elif args.key is not None:
            print(values[args.key])
        else:
            for key, value in values.items():
                print(f"{key} = {value}")
        return 0
    if args.key is None or args.value is None:
        raise UsageError("`config set` needs a key and a value, e.g. `handful config set cap 4`")
    value = check_setting(args.key, args.value)
    writer = open_writer(_paths())
    try:
        event = writer.record("settings_changed", {"key": args.key, "value": value})
    finally:
        writer.close()
    return _written(args, event, f"{args.key} = {value}")


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        with _reader() as reader:
            devices, warnings = reader.verification()
    except IntegrityError as error:
        if args.json:
            emit_json({"ok": False, "error": str(error), "path": error.path, "record": error.seq,
                       "offset": error.offset})
        raise
    records = sum(int(str(d["records"])) for d in devices)
    for d in devices:
        if d["unfinished_tail_bytes"]:
            warnings.append(f"device {d['device']}: an unfinished final record "
                            f"({d['unfinished_tail_bytes']} bytes) will be cut at the next write")
    if args.json:
        emit_json({"ok": True, "records": records, "devices": devices, "warnings": warnings})
    else:
        for line in warnings:
            print(f"handful: {line}", file=sys.stderr)
        print(f"Intact: {records} record(s) in {sum(int(str(d['segments'])) for d in devices)} "
              f"segment(s) from {len(devices)} device(s).")
    return 0


EXPORT_COLUMNS = ("id", "type", "ts", "device", "platform", "group_id", "group_name",
                  "group_url")


def cmd_export(args: argparse.Namespace) -> int:
    with _reader() as reader:
        _note_repairs(reader)
        events = reader.events()
        if args.output:
            save_export(Path(args.output), lambda out: _write_export(events, args.format, out))
        else:
            _write_export(events, args.format, sys.stdout.buffer)
            sys.stdout.flush()
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from handful.cli import imports

    summary = imports.run(args, _paths())
    imports.show(summary, as_json=args.json)
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from handful.cli import sync

    doc = sync.run(args, _paths())
    sync.show(doc, as_json=args.json)
    return 0


def _write_export(events: Iterator[dict[str, Any]], fmt: str, out: Any) -> None:
    if fmt == "json":
        encode = msgspec.json.Encoder().encode
        out.write(b'{"events": [')
        for n, event in enumerate(events):
            out.write((b",\n  " if n else b"\n  ") + json_bytes_escaped(encode(event)))
        out.write(b"\n]}\n")
        return
    extra = [name for cls in ev.EVENT_TYPES.values() for name in cls.__struct_fields__
             if name not in ("id", "ts", "device", "group")]
    columns = list(EXPORT_COLUMNS) + list(dict.fromkeys(extra))
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(columns)
    for event in events:
        group = event.get("group") or {}
        flat = {**event, "platform": group.get("platform"), "group_id": group.get("id"),
                "group_name": group.get("name"), "group_url": group.get("url")}
        writer.writerow([_csv_cell(flat.get(c)) for c in columns])
    text.flush()
    text.detach()


_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        text = ";".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    if isinstance(value, str) and (text[:1] in _FORMULA or text.lstrip()[:1] in _FORMULA):
        text = "'" + text  # a spreadsheet must not run a note as a formula (OWASP's list)
    return printable(text.replace("\r", " "))


# -- entry point -------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PrintableStream(sys.stdout), PrintableStream(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return 2
        return handler(args)
    except HandfulError as error:
        print(f"handful: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("handful: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`handful export | head`): not an error worth a word.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        print(f"handful: {error.strerror or error}{where}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
