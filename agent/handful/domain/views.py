"""The state as the user sees it: plain dicts shared by the CLI, and later the agent's API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from handful.clock import iso
from handful.domain.review import imports_view, pledge_of, scoreboard
from handful.domain.settings import FAST_DAYS
from handful.domain.state import FIGURES, WINDOWS, GroupState, State


def group_view(gs: GroupState, now: datetime, aliases: list[str] | None = None,
               names: dict[str, tuple[Any, str]] | None = None) -> dict[str, Any]:
    """`names`: the devices' names (`State.device_names`), to say which one recorded the
    membership as it stands."""
    today = now.date().toordinal()
    commitment = None
    if gs.commitment is not None:
        justified = gs.commitment[1]
        commitment = {
            "ts": justified.ts, "reasons": list(justified.reasons), "give": justified.give,
            "get": justified.get, "involvement": list(justified.involvement),
            "drop": msgspec.to_builtins(justified.drop) if justified.drop else None,
        }
    return {
        "group": msgspec.to_builtins(gs.group),
        "key": gs.key,
        "status": gs.status,
        "since": gs.since,
        # the device that recorded the membership as it stands (its id, and its name if
        # the user gave one): with sync, the history is every device's
        "by": None if gs.membership is None else {
            "device": gs.membership[0][1],
            "name": (names or {}).get(gs.membership[0][1], (None, None))[1]},
        "figures": {str(days): gs.figures(days, today) for days in WINDOWS},
        "commitment": commitment,
        "pledge": pledge_of(gs),
        "history": {
            "declined": [{"ts": ts, "reasons": list(r)} for ts, r in gs.declined_at],
            "left": [{"ts": ts, "note": note} for ts, note in gs.left_at],
            "intercepted": gs.intercepted,
        },
        "last_review": gs.review[1] if gs.review else None,
        # its other ids (`platform:id`), and whether it was joined with no decision behind it
        # (noticed from the site's own request) and not answered since
        "aliases": aliases or [],
        "unguarded": gs.missed is not None,
        "unjustified": gs.unjustified,
    }


STATUS_ORDER = {"member": 0, "requested": 1, "deferred": 2, "declined": 3, "left": 4, "seen": 5}


def listed_groups(state: State, *, everything: bool) -> list[GroupState]:
    """The groups `groups` lists, in its order: members first, then by name."""
    chosen = [g for g in state.groups.values() if everything or g.status == "member"]
    chosen.sort(key=lambda g: (STATUS_ORDER.get(g.status, 9), (g.group.name or g.key).lower(),
                               g.key))
    return chosen


def groups_view(state: State, now: datetime, *, everything: bool) -> dict[str, Any]:
    return {
        "cap": state.setting("cap"),
        "count": len(state.members()),
        "groups": [group_view(g, now, state.aliases_of(g.key), state.device_names)
                   for g in listed_groups(state, everything=everything)],
    }


def status_view(state: State, now: datetime, device: str | None = None) -> dict[str, Any]:
    """`device`: the one asking (a pause made elsewhere may not hold here)."""
    due_at = state.review_due_at(now)
    members = len(state.members())
    cap = state.setting("cap")
    return {
        "members": members,
        "cap": cap,
        "over_cap": members > cap,
        "review": {"due": due_at <= now, "due_at": iso(due_at)},
        "events": state.events,
        "scoreboard": scoreboard(state, now.date().toordinal()),
        "settings": {key: state.setting(key) for key in ("cap", "guard.delay_seconds",
                                                         "review.interval_days")},
        "guard": guard_view(state, now, device),
        "fast": fast_view(state, now),
        "sight": sight_view(state, now),
        "unjustified": unjustified_view(state),
        "imports": imports_view(state),
    }


UNJUSTIFIED_SHOWN = 20  # the most joins-without-a-decision a status lists (the newest)


def unjustified_view(state: State) -> list[dict[str, Any]]:
    """Joins the guard did not see and the user has not answered yet, newest first: the
    badge counts them, the popup lists them, the group's page asks."""
    found = [g for g in state.groups.values() if g.unjustified]
    found.sort(key=lambda g: g.missed or ("", "", ""), reverse=True)
    return [{"group": msgspec.to_builtins(g.group), "key": g.key, "status": g.status,
             "at": g.missed[0] if g.missed else None, "aliases": state.aliases_of(g.key)}
            for g in found[:UNJUSTIFIED_SHOWN]]


SIGHT_DAYS = 7        # the window the guard's sight is judged over
SIGHT_MIN_UNREAD = 3  # more unread group pages than this, and at least half of them
PLATFORM_NAMES = {"linkedin": "LinkedIn", "facebook": "Facebook"}


def sight_view(state: State, now: datetime) -> dict[str, Any]:
    """Whether the guard still reads each site: group pages it could not read in the last
    7 days against the group pages visited, and whether the extension can reach the site;
    `problems` says what is wrong in a sentence, with what to do."""
    today = now.date().toordinal()
    first = today - SIGHT_DAYS + 1
    visits = {"linkedin": 0, "facebook": 0}
    slot = FIGURES.index("visits")
    for gs in state.groups.values():
        for day, counts in gs.days.items():
            if first <= day <= today and gs.platform in visits:
                visits[gs.platform] += int(counts[slot])
    sites: dict[str, Any] = {}
    problems: list[str] = []
    for platform, name in PLATFORM_NAMES.items():
        unread = sum(n for day, n in state.unread.get(platform, {}).items()
                     if first <= day <= today)
        pages = max(visits[platform], unread)
        blind = unread > SIGHT_MIN_UNREAD and unread * 2 >= pages
        access = state.access.get(platform)
        reachable = access is None or access[1]
        sites[platform] = {"unread_7d": unread, "pages_7d": pages, "blind": blind,
                           "access": reachable}
        if blind:
            problems.append(
                f"Handful could not read {unread} {name} group pages in the last {SIGHT_DAYS} "
                f"days: the site may have changed, and joins there may go unguarded until "
                f"Handful is updated for its new pages (update the extension; the sites' own "
                f"join requests are still recorded when you justify a join).")
        if not reachable:
            problems.append(
                f"Handful's extension may not read {name} pages (its access to the site was "
                f"taken away): allow it again in the browser's add-on settings.")
    return {**sites, "days": SIGHT_DAYS, "problems": problems}


def guard_view(state: State, now: datetime, device: str | None = None) -> dict[str, Any]:
    """Whether the guard is paused on `device`: a pause holds on every device, or only on
    the one it was made on (`guard.pause_everywhere` 0)."""
    until = state.setting("guard.paused_until")
    here = (device is None or state.setting("guard.pause_everywhere") == 1
            or state.setting_device("guard.paused_until") == device)
    paused = until > now.timestamp() and here
    return {"paused": paused, "paused_until": iso(_at(until)) if paused else None,
            "everywhere": state.setting("guard.pause_everywhere") == 1}


def fast_view(state: State, now: datetime) -> dict[str, Any]:
    """The 14-day networking fast: when it started, when it ends, whether it is on."""
    started = state.setting("fast.started_at")
    if not started:
        return {"active": False, "started_at": None, "ends_at": None}
    ends = started + FAST_DAYS * 86400
    return {"active": started <= now.timestamp() < ends, "started_at": iso(_at(started)),
            "ends_at": iso(_at(ends))}


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
