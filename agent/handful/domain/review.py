"""The pruning review: for each membership, what the user put in and got out, the promise
they made when joining and whether it was kept, and a recommendation with its reason.

Pure: a function of the folded state and "now". The thresholds are settings
(`review.dormant_days`, `review.involvement_90`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import msgspec

from handful.clock import iso
from handful.domain.settings import FAST_DAYS
from handful.domain.state import FIGURES, WINDOWS, GroupState, State, day_of

_SLOT = {name: i for i, name in enumerate(FIGURES)}
REAL = ("posts", "comments", "reactions", "events", "referrals_given", "referrals_received",
        "business", "meetings")          # a visit alone is not a real interaction
CONTRIBUTIONS = ("posts", "comments", "events")
RESULTS = ("referrals_given", "referrals_received", "business", "meetings")
WEIGHTS = {"visits": 0.2, "reactions": 0.5, "comments": 2, "posts": 3, "events": 3,
           "meetings": 2, "referrals_given": 4, "referrals_received": 4, "business": 5}
PROMISES = {"post": "posts", "comment": "comments", "event": "events"}  # measurable ones
PROMISE_WORDS = {"post": "post", "comment": "comment", "event": "organise an event"}
ORDER = {"leave": 0, "deepen": 1, "keep": 2}
MONTHS = 6  # the chart: engagement over the last months


_GROUP_PAGES = {"facebook": "https://www.facebook.com/groups/{}/",
                "linkedin": "https://www.linkedin.com/groups/{}/"}
_GROUP_SEARCH = {"facebook": "https://www.facebook.com/search/groups/?q={}",
                 "linkedin": "https://www.linkedin.com/search/results/groups/?keywords={}"}


def leave_page(gs: GroupState) -> dict[str, str] | None:
    """Where the user leaves a group: the page Handful saw it on; else its page built from
    its id; else (a group known only by name: an `n-` id) the site's group search for the
    name. `how` is `page` or `search`."""
    if gs.url is not None:
        return {"url": gs.url[1], "how": "page"}
    if not gs.ident.startswith("n-"):
        return {"url": _GROUP_PAGES[gs.platform].format(gs.ident), "how": "page"}
    if gs.name is not None:
        return {"url": _GROUP_SEARCH[gs.platform].format(quote(gs.name[1], safe="")),
                "how": "search"}
    return None


@dataclass
class Commitment:
    ts: str
    give: str
    get: str
    involvement: list[str]
    kept: bool | None       # None: nothing promised that Handful can see
    missing: list[str]


def _sum(gs: GroupState, names: tuple[str, ...], first: int, last: int) -> float:
    slots = [_SLOT[n] for n in names]
    return sum(counts[s] for day, counts in gs.days.items() if first <= day <= last
               for s in slots)


def _last_day(gs: GroupState, names: tuple[str, ...], today: int) -> int | None:
    slots = [_SLOT[n] for n in names]
    days = [day for day, counts in gs.days.items()
            if day <= today and any(counts[s] for s in slots)]
    return max(days) if days else None


def commitment_of(gs: GroupState) -> Commitment | None:
    """The promise made when joining; kept once each measurable kind of involvement it
    names happened *after* it was made (not earlier the same day)."""
    if gs.commitment is None:
        return None
    j = gs.commitment[1]
    promised = [i for i in j.involvement if i in PROMISES]
    missing: list[str] = [i for i in promised if gs.gave.get(PROMISES[i], "") <= j.ts]
    return Commitment(j.ts, j.give, j.get, [str(i) for i in j.involvement],
                      None if not promised else not missing, missing)


def pledge_of(gs: GroupState) -> dict[str, Any] | None:
    """The commitment given with the latest "deepen" decision: its words, when, and whether
    a post, comment or event has followed it."""
    if gs.pledge is None:
        return None
    (ts, _, _), note = gs.pledge
    return {"ts": ts, "note": note or None,
            "kept": any(when > ts for when in gs.gave.values())}


def _plural(n: float, one: str, many: str | None = None) -> str:
    count = int(n) if n == int(n) else n
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _words(items: list[str]) -> str:
    words = [PROMISE_WORDS.get(i, i) for i in items]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


class ReviewPlanner:
    def __init__(self, state: State, now: datetime) -> None:
        self.state = state
        self.now = now
        self.today = now.date().toordinal()
        self.dormant = state.setting("review.dormant_days")
        self.involvement = state.setting("review.involvement_90")

    def entry(self, gs: GroupState) -> dict[str, Any]:
        today = self.today
        figures = {str(w): gs.figures(w, today) for w in WINDOWS}
        since = gs.since
        member_days = today - day_of(since) if since else None
        last_real = _last_day(gs, REAL, today)
        last_visit = _last_day(gs, ("visits",), today)
        quiet = today - last_real if last_real is not None else member_days
        first90 = today - 89
        contributions = _sum(gs, CONTRIBUTIONS, first90, today)
        results = _sum(gs, RESULTS, first90, today)
        score = round(sum(WEIGHTS[k] * figures["90"][k] for k in WEIGHTS), 2)
        promise = commitment_of(gs)
        new = member_days is not None and member_days < self.dormant

        taking = _plural(contributions, "post, comment or event", "posts, comments or events")
        got = _plural(results, "result")
        if new and (promise is None or promise.kept is not False or (member_days or 0) < 30):
            until = date.fromordinal(day_of(since or iso(self.now)) + self.dormant)
            recommendation, reason = "keep", (
                f"Joined {_plural(member_days or 0, 'day')} ago: give it until {until} to "
                "show what it is worth.")
            why: dict[str, Any] = {"code": "keep_new", "days": member_days or 0,
                                   "until": until.isoformat()}
        elif results == 0 and contributions < self.involvement:
            recommendation = "leave"
            if quiet is not None and quiet >= self.dormant:
                reason = (f"No post, comment, reaction or result in {_plural(quiet, 'day')}: "
                          "it takes your attention and gives you nothing back.")
                why = {"code": "leave_dormant", "days": quiet}
            else:
                reason = (f"Only {taking} and no result in 90 days: leave it, or commit to "
                          "it.")
                why = {"code": "leave_little", "contributions": contributions}
        elif promise is not None and promise.kept is False:
            recommendation, reason = "deepen", (
                f"You said you would {_words(promise.missing)} here, and have not yet: do it "
                "this month.")
            why = {"code": "deepen_promise", "missing": list(promise.missing)}
        elif results > 0 and contributions < self.involvement:
            recommendation, reason = "deepen", (
                f"{got} in 90 days with only {taking}: give more to keep them coming.")
            why = {"code": "deepen_results", "results": results, "contributions": contributions}
        elif results > 0:
            recommendation, reason = "keep", (
                f"You take part ({taking}) and it gives back ({got}) in 90 days: keep it.")
            why = {"code": "keep_active", "results": results, "contributions": contributions}
        else:
            recommendation, reason = "keep", (
                f"You take part ({taking} in 90 days); no result yet: keep going.")
            why = {"code": "keep_going", "contributions": contributions}
        if gs.unjustified:
            reason = ("You joined it without deciding (Handful saw only the site's own join "
                      "request): say why on its page, or leave it. " + reason)
        return {
            "group": msgspec.to_builtins(gs.group), "key": gs.key, "status": gs.status,
            "since": since, "recommendation": recommendation, "reason": reason, "why": why,
            "unguarded": gs.missed is not None, "unjustified": gs.unjustified,
            "figures": figures, "score": score,
            "contributions_90": contributions, "results_90": results,
            "days_since_interaction": today - last_real if last_real is not None else None,
            "days_since_visit": today - last_visit if last_visit is not None else None,
            "commitment": vars(promise) if promise else None,
            "pledge": pledge_of(gs),
            "last_decision": gs.review[1] if gs.review else None,
            "leave": leave_page(gs),
            "months": self.months(gs),
        }

    def months(self, gs: GroupState) -> list[dict[str, Any]]:
        """Engagement per calendar month, the last few: the review's small chart."""
        year, month = self.now.year, self.now.month
        keys = []
        for _ in range(MONTHS):
            keys.append((year, month))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        keys.reverse()
        rows: dict[tuple[int, int], dict[str, Any]] = {
            k: {"month": f"{k[0]}-{k[1]:02d}", "visits": 0.0, "contributions": 0.0,
                "results": 0.0} for k in keys}
        for day, counts in gs.days.items():
            d = date.fromordinal(day)
            row = rows.get((d.year, d.month))
            if row is None or day > self.today:
                continue
            row["visits"] += counts[_SLOT["visits"]]
            row["contributions"] += sum(counts[_SLOT[n]] for n in CONTRIBUTIONS)
            row["results"] += sum(counts[_SLOT[n]] for n in RESULTS)
        return list(rows.values())

    def plan(self) -> dict[str, Any]:
        state = self.state
        members = [g for g in state.groups.values() if g.status == "member"]
        entries = [self.entry(g) for g in members]
        cap = state.setting("cap")
        over = max(0, len(entries) - cap)
        # Over the cap: the least active groups not already marked are next to leave.
        leaving = sum(1 for e in entries if e["recommendation"] == "leave")
        for e in sorted(entries, key=lambda e: (ORDER[e["recommendation"]], e["score"])):
            if leaving >= over:
                break
            if e["recommendation"] != "leave":
                e["recommendation"] = "leave"
                e["reason"] = (f"You are {_plural(over, 'group')} over your cap of {cap}, and "
                               f"this is among your least active: {e['reason']}")
                e["over_cap"] = {"over": over, "cap": cap}
                leaving += 1
        entries.sort(key=lambda e: (ORDER[e["recommendation"]], e["score"], e["key"]))
        due_at = state.review_due_at(self.now)
        return {
            "due": due_at <= self.now, "due_at": iso(due_at), "now": iso(self.now),
            "cap": cap, "count": len(entries), "over_cap_by": over,
            "scoreboard": scoreboard(state, self.today), "groups": entries,
            "year": self.year(), "fast": self.fast(), "imports": imports_view(state),
        }

    def fast(self) -> dict[str, Any] | None:
        """After a 14-day networking fast: the two weeks before it against the two after."""
        started = self.state.setting("fast.started_at")
        if not started:
            return None
        start = datetime.fromtimestamp(started, UTC).date().toordinal()
        end = start + FAST_DAYS

        def totals(first: int, last: int) -> dict[str, float]:
            last = min(last, self.today)
            out = {"visits": 0.0, "minutes": 0.0, "contributions": 0.0, "results": 0.0}
            for gs in self.state.groups.values():
                out["visits"] += _sum(gs, ("visits",), first, last)
                out["minutes"] += _sum(gs, ("minutes",), first, last)
                out["contributions"] += _sum(gs, CONTRIBUTIONS, first, last)
                out["results"] += _sum(gs, RESULTS, first, last)
            return out

        return {"started": date.fromordinal(start).isoformat(),
                "ends": date.fromordinal(end).isoformat(), "over": self.today >= end,
                "before": totals(start - FAST_DAYS, start - 1),
                "during": totals(start, end - 1),
                "after": totals(end, end + FAST_DAYS - 1) if self.today >= end else None}

    def year(self) -> dict[str, Any] | None:
        """After twelve months of data: the year's figures and the bigger changes."""
        first = self.state.first_ts
        if first is None or day_of(first) > self.today - 365:
            return None
        start = self.today - 364
        rows: list[dict[str, Any]] = []
        for gs in self.state.groups.values():
            if gs.status != "member":
                continue
            rows.append({"key": gs.key, "name": gs.group.name,
                         "contributions": _sum(gs, CONTRIBUTIONS, start, self.today),
                         "results": _sum(gs, RESULTS, start, self.today),
                         "business_amount": _sum(gs, ("business_amount",), start, self.today)})
        rows.sort(key=lambda r: (-r["results"], -r["contributions"], r["key"]))
        total = sum(r["results"] for r in rows)
        suggestions = []
        idle = [r["name"] or r["key"] for r in rows if r["results"] == 0]
        if idle:
            suggestions.append(f"Leave {', '.join(idle)}: no result in twelve months.")
        if rows and total:
            best = rows[0]
            share = round(100 * best["results"] / total)
            suggestions.append(f"Go deeper in {best['name'] or best['key']} ({share}% of your "
                               "results): speak, organise an event, or join its board.")
        joined = sum(1 for g in self.state.groups.values() if g.since and
                     day_of(g.since) >= start)
        return {"from": date.fromordinal(start).isoformat(),
                "to": date.fromordinal(self.today).isoformat(), "groups": rows,
                "results": total, "joined": joined, "suggestions": suggestions}


IMPORT_SUGGESTED_BELOW = 3  # fewer groups known than this, and no export imported: suggest one
IMPORT_PLATFORMS = {"facebook_export": "facebook", "linkedin_export": "linkedin"}


def imports_view(state: State) -> dict[str, Any]:
    """What the platforms' own exports brought (each: when last imported, its entries, the
    groups its memberships name and how many of them you are in now), and whether to
    suggest importing one: a user with few known groups and no Facebook export imported."""
    done = []
    for origin, seen in sorted(state.exports.items()):
        if seen.committed_at is None:
            continue
        keys = {state.canon.get(key, key) for key in seen.groups}
        member_of = sum(1 for key in keys if (gs := state.groups.get(key)) is not None
                        and gs.status == "member")
        done.append({"platform": IMPORT_PLATFORMS.get(origin, origin),
                     "at": seen.committed_at, "events": seen.events, "groups": len(keys),
                     "member_of": member_of})
    members = sum(1 for g in state.groups.values() if g.status == "member")
    facebook = any(d["platform"] == "facebook" for d in done)
    return {"done": done, "suggest": not facebook and members < IMPORT_SUGGESTED_BELOW}


def scoreboard(state: State, today: int) -> dict[str, Any]:
    """Handful's effect: the fold's counters, plus groups pruned and commitments kept."""
    made = kept = 0
    for gs in state.groups.values():
        promise = commitment_of(gs)
        if promise is not None and promise.kept is not None:
            made += 1
            kept += bool(promise.kept)
    return {**state.score.as_dict(), "pruned": state.score.left,
            "commitments": {"made": made, "kept": kept}}


def plan_review(state: State, now: datetime) -> dict[str, Any]:
    return ReviewPlanner(state, now).plan()

