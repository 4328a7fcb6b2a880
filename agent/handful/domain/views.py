"""The state as the user sees it: plain dicts shared by the CLI, and later the agent's API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from handful.clock import iso
from handful.domain.events import FAST_DAYS
from handful.domain.review import scoreboard
from handful.domain.state import WINDOWS, GroupState, State


def group_view(gs: GroupState, now: datetime) -> dict[str, Any]:
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
        "figures": {str(days): gs.figures(days, today) for days in WINDOWS},
        "commitment": commitment,
        "history": {
            "declined": [{"ts": ts, "reasons": list(r)} for ts, r in gs.declined_at],
            "left": [{"ts": ts, "note": note} for ts, note in gs.left_at],
            "intercepted": gs.intercepted,
        },
        "last_review": gs.review[1] if gs.review else None,
    }


STATUS_ORDER = {"member": 0, "requested": 1, "deferred": 2, "declined": 3, "left": 4, "seen": 5}


def groups_view(state: State, now: datetime, *, everything: bool) -> dict[str, Any]:
    chosen = [g for g in state.groups.values() if everything or g.status == "member"]
    chosen.sort(key=lambda g: (STATUS_ORDER.get(g.status, 9), (g.group.name or g.key).lower(),
                               g.key))
    return {
        "cap": state.setting("cap"),
        "count": len(state.members()),
        "groups": [group_view(g, now) for g in chosen],
    }


def status_view(state: State, now: datetime) -> dict[str, Any]:
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
        "guard": guard_view(state, now),
        "fast": fast_view(state, now),
    }


def guard_view(state: State, now: datetime) -> dict[str, Any]:
    until = state.setting("guard.paused_until")
    paused = until > now.timestamp()
    return {"paused": paused, "paused_until": iso(_at(until)) if paused else None}


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
