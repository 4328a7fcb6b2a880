"""`handful pause`, `resume` and `fast`: a break from the guard, and the 14-day networking
fast, without raw settings. Both are settings stored as events (`guard.paused_until`,
`fast.started_at`, in Unix seconds), so every device that shares the log shares them."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import UTC, datetime

from handful import clock
from handful.cli.render import emit_json
from handful.cli.writes import open_writer
from handful.domain.settings import FAST_DAYS
from handful.errors import UsageError
from handful.paths import Paths

Command = Callable[..., argparse.ArgumentParser]
UNITS = {"m": 60, "h": 3600, "d": 86400}
LONGEST_PAUSE = 30 * 86400  # a longer break is uninstalling, not pausing
DURATION = re.compile(r"(?:[0-9]{1,4}[mhd])+")


def add_commands(command: Command) -> None:
    p = command("pause", "pause the join guard for a while (default 1h)", cmd_pause)
    p.add_argument("duration", nargs="?", default="1h", metavar="DURATION",
                   help="how long: a number and a unit, m, h or d (30m, 2h, 1d, 1h30m); "
                        "at most 30d")
    command("resume", "end a pause of the join guard now", cmd_resume)
    p = command("fast", f"the {FAST_DAYS}-day networking fast: no new groups, a look back at "
                        "the end", cmd_fast)
    p.add_argument("action", choices=["start", "stop"])


def seconds(duration: str) -> int:
    """30m, 2h, 1d, 1h30m as seconds; a clear error otherwise."""
    text = duration.strip().lower()
    if not DURATION.fullmatch(text):
        raise UsageError(f"{duration!r} is not a duration: a number and a unit, m, h or d "
                         "(30m, 2h, 1d, 1h30m)")
    total = sum(int(n) * UNITS[unit] for n, unit in re.findall(r"([0-9]+)([mhd])", text))
    if not 0 < total <= LONGEST_PAUSE:
        raise UsageError(f"a pause lasts from a minute to 30 days, not {duration}")
    return total


def _when(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")


def cmd_pause(args: argparse.Namespace) -> int:
    length = seconds(args.duration)
    until = int(clock.now().timestamp()) + length
    writer = open_writer(Paths.from_env())
    try:
        event = writer.record("settings_changed", {"key": "guard.paused_until", "value": until})
    finally:
        writer.close()
    if args.json:
        emit_json({"paused": True, "paused_until": _iso(until), "seconds": length,
                   "event": event})
    else:
        print(f"The join guard is paused until {_when(until)}: joins go through without a "
              "question until then (`handful resume` ends it sooner).")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    writer = open_writer(Paths.from_env())
    try:
        was = writer.setting("guard.paused_until") > clock.now().timestamp()
        event = writer.record("settings_changed", {"key": "guard.paused_until", "value": 0}) \
            if was else None
    finally:
        writer.close()
    if args.json:
        emit_json({"paused": False, "was_paused": was, "event": event})
    else:
        print("The join guard is back." if was else "The join guard was not paused.")
    return 0


def cmd_fast(args: argparse.Namespace) -> int:
    now = int(clock.now().timestamp())
    writer = open_writer(Paths.from_env())
    try:
        started = writer.setting("fast.started_at")
        active = bool(started) and started <= now < started + FAST_DAYS * 86400
        event = None
        if args.action == "start" and not active:
            started = now
            event = writer.record("settings_changed", {"key": "fast.started_at", "value": now})
        elif args.action == "stop" and active:
            event = writer.record("settings_changed", {"key": "fast.started_at", "value": 0})
    finally:
        writer.close()
    ends = started + FAST_DAYS * 86400
    on = (args.action == "start")
    if args.json:
        emit_json({"active": on, "started_at": _iso(started) if on else None,
                   "ends_at": _iso(ends) if on else None, "changed": event is not None,
                   "event": event})
    elif args.action == "start":
        print((f"A {FAST_DAYS}-day networking fast starts now" if event else
               f"Your networking fast is already on, since {_when(started)}")
              + f": no new groups until {_when(ends)}. `handful fast stop` ends it.")
    else:
        day = (now - started) // 86400 + 1
        print(f"The networking fast is over, on day {day} of {FAST_DAYS}." if event else
              "There is no networking fast on.")
    return 0


def _iso(moment: int) -> str:
    return clock.iso(datetime.fromtimestamp(moment, UTC))
