"""Facts from an export, as the events they become against what the log already knows.

Pure (the state is read, never changed). Every event id comes from facts that do not change
between two exports of the same account (the entry's kind, its time, its place among the
entries of that kind and time), so the same archive imported twice, or on two devices,
adds nothing, and a later, larger archive adds only what is new. A group is matched to one
Handful knows by id, else by its exact name on the platform; a name two known groups share
is reported as ambiguous, with the `--match` that settles it, never guessed.
"""

from __future__ import annotations

import hashlib
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from handful import clock
from handful.domain import events as ev
from handful.domain.state import State
from handful.imports import text
from handful.imports.facebook import Fact, Facts, Reading

PLATFORM = "facebook"
ORIGIN = "facebook_export"
# fact kind -> (event type, fields)
_AS: dict[str, tuple[str, dict[str, Any]]] = {
    "joined": ("joined", {}),
    "left": ("left", {}),
    "admin": ("membership_imported", {"role": "admin"}),
    "post": ("engagement", {"kind": "post"}),
    "comment": ("engagement", {"kind": "comment"}),
    "answers": ("group_seen", {"page": "membership_questions"}),
    "badges": ("group_seen", {"page": "badges"}),
}


@dataclass
class Ambiguous:
    name: str
    candidates: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "candidates": self.candidates,
                "match": [f"--match '{self.name}={key}'" for key in self.candidates]}


@dataclass
class Plan:
    """What an import writes: the aliases that tie renamed groups, then one event per fact
    kept, in the archive's order (`ids`: their ids, in that order; `event(position)` makes
    the event at a position, when it is written: 100,000 of them are never held at once),
    the batch they make, and what to tell the user."""

    batch: str
    facts: Facts
    aliases: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    kept: array[int] = field(default_factory=lambda: array("l"))  # fact index per event
    idents: list[str] = field(default_factory=list)  # per event of `kept`: its group's id
    badges_ts: str | None = None
    groups_new: set[str] = field(default_factory=set)
    groups_matched: set[str] = field(default_factory=set)
    ambiguous: list[Ambiguous] = field(default_factory=list)
    skipped_ambiguous: int = 0
    skipped_times: int = 0  # entries dated before 2000, after 2099 or ahead of the clock
    counts: Counter[str] = field(default_factory=Counter)

    def count_key(self, position: int) -> str:
        if position < len(self.aliases):
            return "group_alias"
        return _COUNT_KEYS[self.facts.kind_of(self.kept[position - len(self.aliases)])]

    def event(self, position: int) -> dict[str, Any]:
        """The event at `position` (of `ids`), as a dict to validate and write."""
        if position < len(self.aliases):
            return self.aliases[position]
        kept = position - len(self.aliases)
        fact = self.facts[self.kept[kept]]
        type_name, extra = _AS[fact.kind]
        ts = self.badges_ts if fact.ts is None else instant(fact.ts)
        group: dict[str, Any] = {"platform": PLATFORM, "id": self.idents[kept]}
        if fact.name:
            group["name"] = fact.name[:500]
        event = {"id": self.ids[position], "type": type_name, "ts": ts, "origin": ORIGIN,
                 "batch": self.batch, "group": group, **extra}
        if fact.kind == "admin":
            event["since"] = ts
        if fact.badges:
            event["badges"] = [b[:100] for b in fact.badges[:ev.MAX_BADGES]]
        return event


def count_key(event: dict[str, Any]) -> str:
    """How a summary counts an event: its type, and for engagement its kind, for a group seen
    its page (`engagement:post`, `group_seen:badges`)."""
    detail = event.get("kind") or event.get("page")
    return f"{event['type']}:{detail}" if detail else str(event["type"])


_COUNT_KEYS = {kind: count_key({"type": type_name, **extra})
               for kind, (type_name, extra) in _AS.items()}


def instant(seconds: float) -> str:
    """An archive's Unix time as an event's instant (milliseconds, UTC)."""
    if seconds.is_integer():  # (nearly all: the exports count whole seconds) 3x faster
        t = time.gmtime(seconds)
        return (f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:"
                f"{t.tm_min:02d}:{t.tm_sec:02d}.000Z")
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def fact_id(fact: Fact) -> str:
    if fact.kind == "badges":
        basis = f"{ORIGIN}|badges|{text.normalise(fact.name or '')}|{'|'.join(fact.badges)}"
    else:
        basis = f"{ORIGIN}|{fact.kind}|{fact.ts!r}|{fact.nth}"
    return "fb-" + hashlib.sha256(basis.encode()).hexdigest()[:28]


_EARLIEST = datetime.fromisoformat(ev.EARLIEST.replace("Z", "+00:00")).timestamp()
_CEILING = datetime.fromisoformat(ev.CEILING.replace("Z", "+00:00")).timestamp()


def plan(reading: Reading, state: State, matches: dict[str, str] | None = None,
         progress: Callable[[str, int, int, str], None] | None = None) -> Plan:
    """The import of `reading` against `state`. `matches`: a normalised name -> the key of
    the group it is (`--match`)."""
    chosen = {text.normalise(name): key for name, key in (matches or {}).items()}
    by_name = _known_names(state)
    facts = reading.facts
    latest = min(_CEILING, (clock.now() + ev.AHEAD).timestamp())
    every: list[str] = []
    newest = 0.0  # the newest time an event may carry: the badges' (they carry none)
    for fact in facts:
        every.append(fact_id(fact))
        if fact.ts is not None and _EARLIEST <= fact.ts < latest and fact.ts > newest:
            newest = fact.ts
    # (the batch names the events: it is known only once every id is)
    batch = "fbi-" + hashlib.sha256("\n".join(sorted(every)).encode()).hexdigest()[:28]
    result = Plan(batch, facts)
    ambiguous: dict[str, Ambiguous] = {}
    resolved: dict[str, str | None] = {}  # normalised name -> group id (None: ambiguous)
    result.badges_ts = instant(newest) if newest else None
    ids: list[str] = []
    total = len(facts)
    for index, fact in enumerate(facts):
        if progress is not None and index % 5000 == 0:
            progress("plan", index, total, "")
        ident = _group_id(fact, state, by_name, chosen, resolved, ambiguous)
        if ident is None:
            result.skipped_ambiguous += 1
            continue
        if fact.ts is None and result.badges_ts is None:
            continue
        if fact.ts is not None and not _EARLIEST <= fact.ts < latest:
            result.skipped_times += 1
            continue
        key = f"{PLATFORM}:{ident}"
        known = state.find(key) is not None
        (result.groups_matched if known else result.groups_new).add(key)
        result.kept.append(index)
        result.idents.append(ident)
        ids.append(every[index])
        result.counts[_COUNT_KEYS[fact.kind]] += 1
        if fact.kind in ("joined", "left"):
            _renamed(every[index], fact, key, state, result)
    del every
    result.ids = [alias["id"] for alias in result.aliases] + ids
    result.ambiguous = sorted(ambiguous.values(), key=lambda a: a.name)
    result.groups_new -= result.groups_matched
    if progress is not None:
        progress("plan", total, total, "")
    return result


def _known_names(state: State) -> dict[str, list[str]]:
    """The platform's groups Handful knows by a real id, by normalised name."""
    found: dict[str, list[str]] = {}
    for group in state.groups.values():
        if group.platform != PLATFORM or group.name is None or group.ident.startswith("n-"):
            continue
        found.setdefault(text.normalise(group.name[1]), []).append(group.ident)
    return found


def _group_id(fact: Fact, state: State, by_name: dict[str, list[str]], chosen: dict[str, str],
              resolved: dict[str, str | None], ambiguous: dict[str, Ambiguous]) -> str | None:
    if fact.group_id is not None:
        return fact.group_id
    name = text.normalise(fact.name or "")
    if name in resolved:
        return resolved[name]
    ident: str | None
    if name in chosen:
        ident = chosen[name].partition(":")[2]
    else:
        candidates = sorted(set(by_name.get(name, [])))
        if len(candidates) > 1:
            ambiguous[name] = Ambiguous(fact.name or name,
                                        [f"{PLATFORM}:{c}" for c in candidates])
            ident = None
        elif candidates:
            ident = candidates[0]
        else:
            ident = text.name_id(fact.name or "")
    resolved[name] = ident
    return ident


def _renamed(ident: str, fact: Fact, key: str, state: State, result: Plan) -> None:
    """A membership entry imported before under another group (the group was renamed
    between the two exports, or now matches a group Handful knows): tie the two."""
    before = state.imported.get(ident)
    if before is None:
        return
    was, now = state.find(before), state.find(key)
    if was is not None and now is not None and was.key == now.key:
        return
    if was is None:
        return
    pair = sorted((key, was.key))
    digest = hashlib.sha256(f"{pair[0]}|{pair[1]}".encode()).hexdigest()[:28]
    if any(alias["id"] == f"alias-{digest}" for alias in result.aliases):
        return
    group: dict[str, Any] = {"platform": PLATFORM, "id": key.partition(":")[2]}
    if fact.name:
        group["name"] = fact.name[:500]
    assert fact.ts is not None  # (a membership entry always has its time)
    result.aliases.append({
        "id": f"alias-{digest}", "type": "group_alias", "ts": instant(fact.ts),
        "origin": ORIGIN, "batch": result.batch, "group": group,
        "alias": {"platform": PLATFORM, "id": was.ident}})


def name_only_alias(group: ev.Group, state: State) -> dict[str, Any] | None:
    """When a page shows a group Handful knew only by name from an export: the
    `group_alias` that ties the name-only id to the page's id (None when there is none to
    tie, or it is tied already)."""
    if group.platform != PLATFORM or not group.name or group.id.startswith("n-"):
        return None
    named = f"{PLATFORM}:{text.name_id(group.name)}"
    found = state.find(named)
    if found is None or found.key == state.canon.get(group.key, group.key):
        return None
    if not found.ident.startswith("n-"):
        return None  # the name's group already has a real id: another group of that name
    pair = sorted((group.key, named))
    digest = hashlib.sha256(f"{pair[0]}|{pair[1]}".encode()).hexdigest()[:28]
    return {"id": f"alias-{digest}", "group": {"platform": PLATFORM, "id": group.id,
                                               "name": group.name},
            "alias": {"platform": PLATFORM, "id": named.partition(":")[2]}}
