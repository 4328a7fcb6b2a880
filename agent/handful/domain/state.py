"""The current state, a pure fold over events.

The fold depends on the *set* of events, not on their order: memberships, commitments,
settings and names are last-writer-wins registers ordered by (ts, device, id), and figures
are sums. So any interleaving of several devices' logs gives the same state, and partial
states folded apart (one per segment, one per device) merge into the same whole.
"""

from __future__ import annotations

import re
from array import array
from bisect import insort
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from handful.domain.events import (
    CEILING,
    DeviceNamed,
    Engagement,
    Event,
    Group,
    GroupAlias,
    GroupSeen,
    GuardBlind,
    ImportCommitted,
    JoinDeclined,
    JoinDeferred,
    Joined,
    JoinIntercepted,
    JoinJustified,
    JoinRequested,
    JoinUnguarded,
    Left,
    ListRead,
    MembershipImported,
    ReviewDecision,
    SettingsChanged,
)
from handful.domain.settings import SETTINGS

OrderKey = tuple[str, str, str]  # (ts, device, id): a total order over all events

# Per-day figures, one slot each.
FIGURES = (
    "visits", "minutes", "posts", "comments", "reactions", "events",
    "referrals_given", "referrals_received", "business", "business_amount", "meetings",
)
_SLOT = {name: i for i, name in enumerate(FIGURES)}
_KIND_SLOT = {
    "visit": _SLOT["visits"], "post": _SLOT["posts"], "comment": _SLOT["comments"],
    "reaction": _SLOT["reactions"], "event": _SLOT["events"],
    "referral_given": _SLOT["referrals_given"], "referral_received": _SLOT["referrals_received"],
    "business": _SLOT["business"], "meeting": _SLOT["meetings"],
}
_GIVING = {"post": "posts", "comment": "comments", "event": "events"}  # what a promise counts
_MINUTES = _SLOT["minutes"]
# A day's figures for a group: one array of doubles, not a list of float objects (a tenth of
# the memory: a history of 100,000 posts and comments fills as many group-days).
ZERO_DAY = array("d", [0.0] * len(FIGURES))
_AMOUNT = _SLOT["business_amount"]
WINDOWS = (30, 90, 365)
# A join noticed only from the site's request, within this long after a justification of the
# same group, is that justified join (the extension's own matching is by tab and time; this
# holds even when its memory of the tab was lost).
JUSTIFIED_BEFORE = timedelta(minutes=10)
_NAME_ONLY = re.compile(r"^n-[0-9a-f]{16}$")


def _rank(key: str) -> tuple[int, str]:
    """Which id of an aliased group is its key: the platform's numeric id, then a vanity
    slug, then a name-only id (`n-…`); the smallest on a tie, so any order agrees."""
    ident = key.partition(":")[2]
    return (0 if ident.isdigit() else 2 if _NAME_ONLY.match(ident) else 1, key)

_day_cache: dict[str, int] = {}


def day_of(ts: str) -> int:
    day = ts[:10]
    ordinal = _day_cache.get(day)
    if ordinal is None:
        ordinal = date.fromisoformat(day).toordinal()
        if len(_day_cache) < 100_000:
            _day_cache[day] = ordinal
    return ordinal


def _later(a: tuple[OrderKey, Any] | None, b: tuple[OrderKey, Any] | None
           ) -> tuple[OrderKey, Any] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a[0] >= b[0] else b


@dataclass(slots=True)
class GroupState:
    key: str
    platform: str
    ident: str
    name: tuple[OrderKey, str] | None = None
    url: tuple[OrderKey, str] | None = None
    membership: tuple[OrderKey, str] | None = None   # member | requested | left
    decision: tuple[OrderKey, str] | None = None     # declined | deferred
    commitment: tuple[OrderKey, JoinJustified] | None = None
    review: tuple[OrderKey, str] | None = None
    member_evidence: dict[str, str] = field(default_factory=dict)  # day -> earliest ts
    left_at: list[tuple[str, str | None]] = field(default_factory=list)  # (ts, note)
    declined_at: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    intercepted: int = 0
    last_seen: str = ""
    days: dict[int, array[float]] = field(default_factory=dict)  # day ordinal -> FIGURES
    missed: OrderKey | None = None   # the latest join noticed only from the site's request
    pledge: tuple[OrderKey, str] | None = None  # the latest "deepen" decision, with its note
    gave: dict[str, str] = field(default_factory=dict)  # posts|comments|events -> latest ts

    @property
    def group(self) -> Group:
        return Group(self.platform, self.ident,  # type: ignore[arg-type]
                     self.name[1] if self.name else None, self.url[1] if self.url else None)

    @property
    def status(self) -> str:
        member = self.membership
        if member is not None and member[1] in ("member", "requested"):
            return member[1]
        if self.decision is not None and (member is None or self.decision[0] > member[0]):
            return self.decision[1]
        if member is not None:
            return member[1]
        return "seen"

    @property
    def unjustified(self) -> bool:
        """A membership (or request) that began with a join the guard did not see, not yet
        answered: no justification or review decision since (nor just before it)."""
        missed = self.missed
        if missed is None or self.status not in ("member", "requested"):
            return False
        if self.review is not None and self.review[0] > missed:
            return False
        if self.commitment is not None:
            if self.commitment[0] > missed:
                return False
            if _instant(self.commitment[0][0]) >= _instant(missed[0]) - JUSTIFIED_BEFORE:
                return False
        return True

    @property
    def since(self) -> str | None:
        """When the current (or last) membership began."""
        last_left = max((ts for ts, _ in self.left_at), default="")
        after = [ts for ts in self.member_evidence.values() if ts > last_left]
        if after:
            return min(after)
        return min(self.member_evidence.values(), default=None)

    def figures(self, days: int, today: int) -> dict[str, float]:
        totals = [0.0] * len(FIGURES)
        first = today - days + 1
        for day, counts in self.days.items():
            if first <= day <= today:
                for i, value in enumerate(counts):
                    totals[i] += value
        return {name: _tidy(totals[i]) for i, name in enumerate(FIGURES)}

    def merge(self, other: GroupState) -> None:
        self.name = _later(self.name, other.name)
        self.url = _later(self.url, other.url)
        self.membership = _later(self.membership, other.membership)
        self.decision = _later(self.decision, other.decision)
        self.commitment = _later(self.commitment, other.commitment)
        self.review = _later(self.review, other.review)
        self.pledge = _later(self.pledge, other.pledge)
        for figure, ts in other.gave.items():
            if ts > self.gave.get(figure, ""):
                self.gave[figure] = ts
        for day_text, ts in other.member_evidence.items():
            mine = self.member_evidence.get(day_text)
            if mine is None or ts < mine:
                self.member_evidence[day_text] = ts
        if other.left_at:
            self.left_at = sorted(self.left_at + other.left_at, key=_left_key)
        if other.declined_at:
            self.declined_at = sorted(self.declined_at + other.declined_at)
        if other.missed is not None and (self.missed is None or other.missed > self.missed):
            self.missed = other.missed
        self.intercepted += other.intercepted
        self.last_seen = max(self.last_seen, other.last_seen)
        days = self.days
        for day, counts in other.days.items():
            mine_counts = days.get(day)
            if mine_counts is None:
                days[day] = array("d", counts)
            else:
                for i, value in enumerate(counts):
                    mine_counts[i] += value


def _left_key(item: tuple[str, str | None]) -> tuple[str, str]:
    return item[0], item[1] or ""


def _tidy(value: float) -> float:
    return int(value) if value == int(value) else round(value, 2)


@dataclass
class Scoreboard:
    intercepted: int = 0
    declined: int = 0
    deferred: int = 0
    justified: int = 0
    joined: int = 0
    left: int = 0
    attempts_by_week: dict[str, int] = field(default_factory=dict)
    unguarded: int = 0   # join controls let through without a group (the guard was unsure)

    def merge(self, other: Scoreboard) -> None:
        self.intercepted += other.intercepted
        self.declined += other.declined
        self.deferred += other.deferred
        self.justified += other.justified
        self.joined += other.joined
        self.left += other.left
        self.unguarded += other.unguarded
        for week, n in other.attempts_by_week.items():
            self.attempts_by_week[week] = self.attempts_by_week.get(week, 0) + n

    def as_dict(self) -> dict[str, Any]:
        decided = self.declined + self.justified
        return {
            "intercepted": self.intercepted,
            "declined": self.declined,
            "deferred": self.deferred,
            "justified": self.justified,
            "declined_share": round(self.declined / decided, 3) if decided else None,
            "joined": self.joined,
            "left": self.left,
            "attempts_by_week": dict(sorted(self.attempts_by_week.items())),
            "unguarded": self.unguarded,
        }


def _week(ts: str) -> str:
    year, week, _ = date.fromisoformat(ts[:10]).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class State:
    groups: dict[str, GroupState] = field(default_factory=dict)
    settings: dict[str, tuple[OrderKey, int]] = field(default_factory=dict)
    score: Scoreboard = field(default_factory=Scoreboard)
    events: int = 0
    beyond: int = 0  # events at or after events.CEILING: kept in the log, not counted
    first_ts: str | None = None
    last_review: str | None = None   # the latest keep / deepen / leave decision
    last_snooze: str | None = None   # the latest "ask me again later"
    # The guard's sight, per platform: group pages it could not read, per day ordinal, and
    # whether the extension can reach the site (the latest report).
    unread: dict[str, dict[int, int]] = field(default_factory=dict)
    access: dict[str, tuple[OrderKey, bool]] = field(default_factory=dict)
    # Aliases: pairs of keys of one group, and each aliased key's group key (see _rank).
    links: set[tuple[str, str]] = field(default_factory=set)
    canon: dict[str, str] = field(default_factory=dict)
    # The latest complete reads of each platform's list of groups: (ts, event id, the keys
    # of memberships it did not list), newest last, at most LIST_READS kept.
    list_reads: dict[str, list[ListReadSeen]] = field(default_factory=dict)
    # Imports: the batches committed, and those not (yet): their events folded apart, not
    # counted; an export's membership events by id -> the group they were stored under
    # (how a group renamed between two exports is told to be the same one).
    committed: set[str] = field(default_factory=set)
    pending: dict[str, Pending] = field(default_factory=dict)
    imported: dict[str, str] = field(default_factory=dict)
    # What came from each platform's export (`origin`), counted once committed: what the
    # popup and the review say of an import.
    exports: dict[str, ExportSeen] = field(default_factory=dict)
    # What the user calls each device (the latest `device_named` of it), by device id.
    device_names: dict[str, tuple[OrderKey, str]] = field(default_factory=dict)

    # -- aliases ----------------------------------------------------------------------------

    def find(self, key: str) -> GroupState | None:
        """The group a key names, by any of its ids."""
        return self.groups.get(self.canon.get(key, key))

    def aliases_of(self, key: str) -> list[str]:
        """The group's other keys (its own key first is not included)."""
        return sorted(k for k, target in self.canon.items() if target == key and k != key)

    def relink(self) -> None:
        """Recompute each aliased key's group key from all links, and fold any group kept
        under another key of its class into the class's group."""
        parent: dict[str, str] = {}

        def root(key: str) -> str:
            parent.setdefault(key, key)
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        for a, b in self.links:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        classes: dict[str, list[str]] = {}
        for key in parent:
            classes.setdefault(root(key), []).append(key)
        self.canon = {}
        for members in classes.values():
            best = min(members, key=_rank)
            for key in members:
                self.canon[key] = best
        for key in [k for k in self.groups if self.canon.get(k, k) != k]:
            moved = self.groups.pop(key)
            target = self.canon[key]
            into = self.groups.get(target)
            if into is None:
                into = self.groups[target] = GroupState(
                    target, moved.platform, target.partition(":")[2])
            into.merge(moved)

    # -- the fold -------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        batch = event.batch
        if batch is not None and batch not in self.committed:
            held = self.pending.get(batch)
            if held is None:
                held = self.pending[batch] = Pending(State())
            held.ids.add(event.id)
            held.state.fold(event)
            return
        self.fold(event)

    def fold(self, event: Event) -> None:
        """Count `event`, whatever batch it belongs to (`apply` holds an uncommitted one
        apart, in its own state)."""
        ts = event.ts
        if ts >= CEILING:  # (a buggy clock, a forged log): the same on every device
            self.beyond += 1
            return
        self.events += 1
        if self.first_ts is None or ts < self.first_ts:
            self.first_ts = ts
        if event.origin is not None:
            self._exported(event)
        if type(event) is Engagement:  # nine events in ten: the fast path, tested first
            gs = self._group_of(event, ts)
            ordinal = _day_cache.get(ts[:10]) or day_of(ts)
            counts = gs.days.get(ordinal)
            if counts is None:
                counts = gs.days[ordinal] = array("d", ZERO_DAY)
            counts[_KIND_SLOT[event.kind]] += 1
            giving = _GIVING.get(event.kind)
            if giving is not None and ts > gs.gave.get(giving, ""):
                gs.gave[giving] = ts
            if event.minutes:
                counts[_MINUTES] += event.minutes
            if event.amount and event.kind == "business":  # (a referral's value is not won)
                counts[_AMOUNT] += event.amount
            return
        if isinstance(event, SettingsChanged):
            order = (ts, event.device, event.id)
            self.settings[event.key] = _later(  # type: ignore[assignment]
                self.settings.get(event.key), (order, int(event.value)))
            return
        if isinstance(event, JoinUnguarded):
            self.score.unguarded += 1
            return
        if isinstance(event, DeviceNamed):
            order = (ts, event.device, event.id)
            self.device_names[event.device] = _later(  # type: ignore[assignment]
                self.device_names.get(event.device), (order, event.name))
            return
        if isinstance(event, ImportCommitted):
            for done in (event.committed, *event.adopts):
                self.committed.add(done)
                held = self.pending.pop(done, None)
                if held is not None:
                    self.merge(held.state)
            return
        if isinstance(event, ListRead):
            if event.listed < event.total:
                return  # not read to its end: no evidence of anything
            seen = (ts, event.id, frozenset(f"{g.platform}:{g.id}" for g in event.absent))
            self.list_reads[event.platform] = _latest_reads(
                [*self.list_reads.get(event.platform, []), seen])
            return
        if isinstance(event, GuardBlind):
            if event.reason == "unread":
                days = self.unread.setdefault(event.platform, {})
                day = day_of(ts)
                days[day] = days.get(day, 0) + 1
            else:
                self.access[event.platform] = _later(  # type: ignore[assignment]
                    self.access.get(event.platform),
                    ((ts, event.device, event.id), event.reason == "permission_back"))
            return
        if isinstance(event, GroupAlias):
            group = event.group
            pair = sorted((group.platform + ":" + group.id,
                           group.platform + ":" + event.alias.id))
            self.links.add((pair[0], pair[1]))
            self.relink()
        self._apply_group_event(event, self._group_of(event, ts), ts)

    def _group_of(self, event: Any, ts: str) -> GroupState:
        """The group an event is about (under its canonical key), its name and address
        registers brought up to date."""
        group = event.group
        key = group.platform + ":" + group.id
        if self.canon:
            key = self.canon.get(key, key)
        gs = self.groups.get(key)
        if gs is None:
            gs = self.groups[key] = GroupState(key, group.platform, key.partition(":")[2])
        name = group.name
        if name is not None:
            current = gs.name
            if current is None or ts > current[0][0] or (
                    ts == current[0][0] and (ts, event.device, event.id) > current[0]):
                gs.name = ((ts, event.device, event.id), name)
        if group.url is not None:
            order = (ts, event.device, event.id)
            if gs.url is None or order > gs.url[0]:
                gs.url = (order, group.url)
        return gs

    def _exported(self, event: Event) -> None:
        assert event.origin is not None
        seen = self.exports.get(event.origin)
        if seen is None:
            seen = self.exports[event.origin] = ExportSeen()
        if isinstance(event, ImportCommitted):
            if seen.committed_at is None or event.ts > seen.committed_at:
                seen.committed_at = event.ts
            return
        seen.events += 1
        if isinstance(event, Joined | Left | MembershipImported):
            seen.groups.add(event.group.key)

    def _apply_group_event(self, event: Event, gs: GroupState, ts: str) -> None:
        order = (ts, event.device, event.id)
        if isinstance(event, GroupSeen):
            gs.last_seen = max(gs.last_seen, ts)
        elif isinstance(event, JoinIntercepted):
            gs.intercepted += 1
            self.score.intercepted += 1
            week = _week(ts)
            self.score.attempts_by_week[week] = self.score.attempts_by_week.get(week, 0) + 1
        elif isinstance(event, JoinDeclined):
            gs.decision = _later(gs.decision, (order, "declined"))
            insort(gs.declined_at, (ts, tuple(event.reasons)))
            self.score.declined += 1
        elif isinstance(event, JoinDeferred):
            gs.decision = _later(gs.decision, (order, "deferred"))
            self.score.deferred += 1
        elif isinstance(event, JoinJustified):
            gs.commitment = _later(gs.commitment, (order, event))
            self.score.justified += 1
        elif isinstance(event, Joined | MembershipImported):
            gs.membership = _later(gs.membership, (order, "member"))
            if event.origin is not None:
                self.imported[event.id] = event.group.key  # (its own id: any order agrees)
            began = event.since if isinstance(event, MembershipImported) and event.since else ts
            began_day = began[:10]
            if began_day not in gs.member_evidence or began < gs.member_evidence[began_day]:
                gs.member_evidence[began_day] = began
            if isinstance(event, Joined):
                if event.origin is None:  # (a join from years before Handful: no score)
                    self.score.joined += 1
                self._missed(event, gs, order)
        elif isinstance(event, JoinRequested):
            gs.membership = _later(gs.membership, (order, "requested"))
            self._missed(event, gs, order)
        elif isinstance(event, Left):
            gs.membership = _later(gs.membership, (order, "left"))
            insort(gs.left_at, (ts, event.note), key=_left_key)
            if event.origin is None:
                self.score.left += 1
            else:
                self.imported[event.id] = event.group.key  # (its own id: any order agrees)
        elif isinstance(event, ReviewDecision):
            gs.review = _later(gs.review, (order, event.decision))
            if event.decision == "deepen":
                gs.pledge = _later(gs.pledge, (order, event.note or ""))
            if event.decision == "snooze":
                if self.last_snooze is None or ts > self.last_snooze:
                    self.last_snooze = ts
            elif self.last_review is None or ts > self.last_review:
                self.last_review = ts

    def _missed(self, event: Joined | JoinRequested, gs: GroupState, order: OrderKey) -> None:
        """A join noticed from the site's request: the group asks why; the scoreboard counts
        it, unless its click was already counted as a `join_unguarded`."""
        if not event.unguarded:
            return
        if gs.missed is None or order > gs.missed:
            gs.missed = order
        if event.click is None:
            self.score.unguarded += 1

    def merge(self, other: State) -> None:
        for key, theirs in other.groups.items():
            mine = self.groups.get(key)
            if mine is None:
                self.groups[key] = theirs
            else:
                mine.merge(theirs)
        for key, value in other.settings.items():
            self.settings[key] = _later(self.settings.get(key), value)  # type: ignore[assignment]
        for key, named in other.device_names.items():
            self.device_names[key] = _later(self.device_names.get(key), named)  # type: ignore[assignment]
        self.score.merge(other.score)
        self.events += other.events
        self.beyond += other.beyond
        if other.first_ts is not None and (self.first_ts is None or other.first_ts < self.first_ts):
            self.first_ts = other.first_ts
        if other.last_review is not None and (
                self.last_review is None or other.last_review > self.last_review):
            self.last_review = other.last_review
        if other.last_snooze is not None and (
                self.last_snooze is None or other.last_snooze > self.last_snooze):
            self.last_snooze = other.last_snooze
        for platform, days in other.unread.items():
            mine_days = self.unread.setdefault(platform, {})
            for day, n in days.items():
                mine_days[day] = mine_days.get(day, 0) + n
        for platform, value in other.access.items():
            self.access[platform] = _later(self.access.get(platform), value)  # type: ignore[assignment]
        for platform, reads in other.list_reads.items():
            self.list_reads[platform] = _latest_reads([*self.list_reads.get(platform, []),
                                                       *reads])
        if other.links or self.canon:
            self.links |= other.links
            self.relink()
        self.imported.update(other.imported)
        for origin, theirs_seen in other.exports.items():
            seen = self.exports.get(origin)
            if seen is None:
                seen = self.exports[origin] = ExportSeen()
            seen.merge(theirs_seen)
        if other.committed or other.pending:
            self.committed |= other.committed
            for batch, held in other.pending.items():
                if batch in self.committed:
                    self.merge(held.state)
                    continue
                kept = self.pending.get(batch)
                if kept is None:
                    self.pending[batch] = held
                else:
                    kept.state.merge(held.state)
                    kept.ids |= held.ids
            for batch in [b for b in self.pending if b in self.committed]:
                self.merge(self.pending.pop(batch).state)

    # -- questions asked of the state -------------------------------------------------------

    def setting(self, key: str) -> int:
        found = self.settings.get(key)
        return found[1] if found is not None else SETTINGS[key][2]

    def setting_device(self, key: str) -> str | None:
        """The device that set `key` last (None: never set, the default holds)."""
        found = self.settings.get(key)
        return found[0][1] if found is not None else None

    def members(self) -> list[GroupState]:
        return [g for g in self.groups.values() if g.status == "member"]

    def review_due_at(self, now: datetime) -> datetime:
        """One date, however long ago it passed (overdue reviews do not stack): the interval
        after the last completed review (or the first event), later if snoozed since."""
        anchor = self.last_review or self.first_ts
        start = _instant(anchor) if anchor else now
        due = start + timedelta(days=self.setting("review.interval_days"))
        if self.last_snooze is not None and self.last_snooze > (self.last_review or ""):
            due = max(due, _instant(self.last_snooze)
                      + timedelta(days=self.setting("review.snooze_days")))
        return due


@dataclass
class Pending:
    """The events of an import whose commit marker is not (yet) in the log: folded apart,
    counted only once it is."""

    state: State
    ids: set[str] = field(default_factory=set)


@dataclass
class ExportSeen:
    """One platform's export, as far as it was imported: its events counted, the groups its
    memberships name (their keys as stored), the latest commit marker's time."""

    events: int = 0
    groups: set[str] = field(default_factory=set)
    committed_at: str | None = None

    def merge(self, other: ExportSeen) -> None:
        self.events += other.events
        self.groups |= other.groups
        if other.committed_at is not None and (
                self.committed_at is None or other.committed_at > self.committed_at):
            self.committed_at = other.committed_at


ListReadSeen = tuple[str, str, frozenset[str]]
LIST_READS = 8


def _latest_reads(reads: list[ListReadSeen]) -> list[ListReadSeen]:
    """The newest LIST_READS, each once, oldest first: the same whatever the order they came."""
    return sorted({(ts, ident): (ts, ident, keys) for ts, ident, keys in reads}.values(),
                  key=lambda r: (r[0], r[1]))[-LIST_READS:]


def _instant(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)


def fold(events: Any) -> State:
    state = State()
    for event in events:
        state.apply(event)
    return state
