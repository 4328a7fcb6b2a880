"""`handful review`: the monthly pruning review in the terminal (interactive at a terminal,
`--json` for scripts, `--decide` to record decisions without questions)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from handful.cli.reads import open_reader
from handful.cli.render import emit_json, import_lines
from handful.cli.writes import open_writer
from handful.domain import events as ev
from handful.errors import UsageError
from handful.paths import Paths

DECISIONS = ("keep", "deepen", "leave", "snooze")
KEYS = {"k": "keep", "d": "deepen", "l": "leave", "s": "snooze"}


def add_command(command: Callable[..., argparse.ArgumentParser]) -> None:
    p = command("review", "the pruning review: each group, what you gave and got, a "
                          "recommendation; asks for your decisions at a terminal", cmd_review)
    p.add_argument("--decide", action="append", metavar="PLATFORM:ID=DECISION", default=[],
                   help="record a decision without questions (keep, deepen, leave, snooze); "
                        "repeatable")
    p.add_argument("--note", help="with --decide: your new commitment (deepen) or why")


def cmd_review(args: argparse.Namespace) -> int:
    decisions = [_parse_decision(text) for text in args.decide]
    paths = Paths.from_env()
    with open_reader(paths) as reader:
        plan = reader.review()
    if decisions:
        known = {g["key"]: g for g in plan["groups"]}
        for key, _ in decisions:
            if key not in known:
                raise UsageError(f"{key} is not one of your groups in this review")
        written = _record(paths, [(known[k]["group"], d, args.note) for k, d in decisions])
        if args.json:
            emit_json({"written": written})
        else:
            for (key, decision), event in zip(decisions, written, strict=True):
                print(f"Recorded: {event['decision']} {key}.")
                if decision == "leave":
                    print(leave_advice(known[key], "  "))
        return 0
    if args.json:
        emit_json(plan)
        return 0
    print_summary(plan)
    if not sys.stdin.isatty():
        for number, entry in enumerate(plan["groups"], 1):
            print_entry(number, entry)
        print("\nRun `handful review` at a terminal to decide, or use --decide.")
        return 0
    return interactive(paths, plan)


def _parse_decision(text: str) -> tuple[str, str]:
    key, sep, decision = text.rpartition("=")
    if not sep or decision not in DECISIONS:
        raise UsageError(f"--decide takes PLATFORM:ID=DECISION with a decision among "
                         f"{', '.join(DECISIONS)}, not {text!r}")
    return ev.parse_group_ref(key).key, decision


def _record(paths: Paths, items: list[tuple[dict[str, Any], str, str | None]]
            ) -> list[dict[str, Any]]:
    checks = [("review_decision", _fields(g, d, n)) for g, d, n in items]
    writer = open_writer(paths, *checks)
    try:
        return [writer.record(name, fields) for name, fields in checks]
    finally:
        writer.close()


def _fields(group: dict[str, Any], decision: str, note: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {"group": group, "decision": decision}
    if note:
        fields["note"] = note
    return fields


def print_summary(plan: dict[str, Any]) -> None:
    due = "due now" if plan["due"] else f"next due on {plan['due_at'][:10]}"
    print(f"Your group review ({due}).")
    over = f": {plan['over_cap_by']} over your cap" if plan["over_cap_by"] else ""
    print(f"You are in {plan['count']} groups, your cap is {plan['cap']}{over}.")
    s = plan["scoreboard"]
    share = f" ({s['declined_share']:.0%})" if s["declined_share"] is not None else ""
    c = s["commitments"]
    print(f"Handful so far: {s['intercepted']} joins paused, {s['declined']} not "
          f"joined{share}, {s['pruned']} groups left, commitments kept {c['kept']} of "
          f"{c['made']}.")
    year = plan.get("year")
    if year:
        print(f"\nThe year from {year['from']} to {year['to']}: {year['results']:g} results, "
              f"{year['joined']} groups joined.")
        for line in year["suggestions"]:
            print(f"  - {line}")
    for line in import_lines(plan["imports"]):
        print(line)
    if not plan["groups"]:
        print("\nNo groups to review yet.")


def print_entry(number: int, entry: dict[str, Any]) -> None:
    group = entry["group"]
    name = group.get("name") or entry["key"]
    print(f"\n{number}. {name} ({entry['key']}): {entry['recommendation'].upper()}")
    print(f"   {entry['reason']}")
    f90 = entry["figures"]["90"]
    since = f"Member since {entry['since'][:10]}. " if entry["since"] else ""
    figures = ", ".join(_count(n, word) for n, word in (
        (f90["visits"], "visit"), (f90["posts"], "post"), (f90["comments"], "comment"),
        (f90["events"], "event"), (entry["results_90"], "result")))
    print(f"   {since}90 days: {figures}.")
    c = entry["commitment"]
    if c:
        kept = {True: "kept", False: "not kept yet", None: "not measurable"}[c["kept"]]
        print(f"   You said you would give: {c['give']}; and get: {c['get']} ({kept}).")
    pledge = entry.get("pledge")
    if pledge:
        words = f": {pledge['note']}" if pledge["note"] else ""
        kept = ("kept: a post, comment or event since" if pledge["kept"] else
                "nothing given there since")
        print(f"   Your commitment of {pledge['ts'][:10]} (deepen){words} ({kept}).")


def leave_advice(entry: dict[str, Any], indent: str) -> str:
    """How to leave a group one decided to leave: on its page (or the site's search for its
    name when Handful has no page for it), or, left elsewhere, by telling Handful."""
    where = entry.get("leave")
    elsewhere = f"left it in the app or on another computer: `handful groups leave {entry['key']}`"
    if where is None:
        return f"{indent}Leave it on its site; {elsewhere}."
    if where["how"] == "search":
        return (f"{indent}Find it on its site and leave it there: {where['url']}\n{indent}"
                f"(Handful records it when the page shows you have left; {elsewhere}.)")
    return (f"{indent}Leave it on its page: {where['url']}\n{indent}(Handful records it when "
            f"the page shows you have left; {elsewhere}.)")


def _count(n: float, word: str) -> str:
    return f"{n:g} {word}{'' if n == 1 else 's'}"


def interactive(paths: Paths, plan: dict[str, Any]) -> int:
    decided = []
    for number, entry in enumerate(plan["groups"], 1):
        print_entry(number, entry)
        while True:
            answer = input("   [k]eep, [d]eepen, [l]eave, [s]nooze the review, Enter to "
                           "skip: ").strip().lower()
            if answer == "" or answer in KEYS:
                break
            print("   Type k, d, l or s (or just Enter).")
        if not answer:
            continue
        decision = KEYS[answer]
        note = None
        if decision == "deepen":
            note = input("   What will you do there this month? ").strip() or None
        decided.append((entry["group"], decision, note))
        if decision == "leave":
            print(leave_advice(entry, "   "))
        if decision == "snooze":
            break
    if decided:
        _record(paths, decided)
        print(f"\nRecorded {len(decided)} decision{'s' if len(decided) > 1 else ''}.")
    else:
        print("\nNothing decided: the review stays due.")
    return 0
