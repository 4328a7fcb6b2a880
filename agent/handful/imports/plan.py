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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from handful.domain import events as ev
from handful.domain.state import State
from handful.imports import text
from handful.imports.facebook import Fact, Reading

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
    """The events an import writes (`events`, in the archive's order), the batch they make,
    and what to tell the user."""

    batch: str
    events: list[dict[str, Any]] = field(default_factory=list)
    aliases: list[dict[str, Any]] = field(default_factory=list)
    groups_new: set[str] = field(default_factory=set)
    groups_matched: set[str] = field(default_factory=set)
    ambiguous: list[Ambiguous] = field(default_factory=list)
    skipped_ambiguous: int = 0
    counts: Counter[str] = field(default_factory=Counter)


def count_key(event: dict[str, Any]) -> str:
    """How a summary counts an event: its type, and for engagement its kind, for a group seen
    its page (`engagement:post`, `group_seen:badges`)."""
    detail = event.get("kind") or event.get("page")
    return f"{event['type']}:{detail}" if detail else str(event["type"])


def instant(seconds: float) -> str:
    """An archive's Unix time as an event's instant (milliseconds, UTC)."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def fact_id(fact: Fact) -> str:
    if fact.kind == "badges":
        basis = f"{ORIGIN}|badges|{text.normalise(fact.name or '')}|{'|'.join(fact.badges)}"
    else:
        basis = f"{ORIGIN}|{fact.kind}|{fact.ts!r}|{fact.nth}"
    return "fb-" + hashlib.sha256(basis.encode()).hexdigest()[:28]


def plan(reading: Reading, state: State, matches: dict[str, str] | None = None,
         progress: Callable[[str, int, int, str], None] | None = None) -> Plan:
    """The import of `reading` against `state`. `matches`: a normalised name -> the key of
    the group it is (`--match`)."""
    chosen = {text.normalise(name): key for name, key in (matches or {}).items()}
    by_name = _known_names(state)
    ids = sorted(fact_id(fact) for fact in reading.facts)
    batch = "fbi-" + hashlib.sha256("\n".join(ids).encode()).hexdigest()[:28]
    result = Plan(batch)
    ambiguous: dict[str, Ambiguous] = {}
    resolved: dict[str, str | None] = {}  # normalised name -> group id (None: ambiguous)
    badges_ts = instant(reading.latest) if reading.latest else None
    total = len(reading.facts)
    for index, fact in enumerate(reading.facts):
        if progress is not None and index % 5000 == 0:
            progress("plan", index, total, "")
        ident = _group_id(fact, state, by_name, chosen, resolved, ambiguous)
        if ident is None:
            result.skipped_ambiguous += 1
            continue
        key = f"{PLATFORM}:{ident}"
        known = state.find(key) is not None
        (result.groups_matched if known else result.groups_new).add(key)
        type_name, extra = _AS[fact.kind]
        ts = badges_ts if fact.ts is None else instant(fact.ts)
        if ts is None:
            continue
        group: dict[str, Any] = {"platform": PLATFORM, "id": ident}
        if fact.name:
            group["name"] = fact.name[:500]
        event = {"id": fact_id(fact), "type": type_name, "ts": ts, "origin": ORIGIN,
                 "batch": batch, "group": group, **extra}
        if fact.kind == "admin":
            event["since"] = ts
        if fact.badges:
            event["badges"] = [b[:100] for b in fact.badges[:ev.MAX_BADGES]]
        result.events.append(event)
        result.counts[count_key(event)] += 1
        if fact.kind in ("joined", "left"):
            _renamed(event, key, state, result)
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


def _renamed(event: dict[str, Any], key: str, state: State, result: Plan) -> None:
    """A membership entry imported before under another group (the group was renamed
    between the two exports, or now matches a group Handful knows): tie the two."""
    before = state.imported.get(event["id"])
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
    result.aliases.append({
        "id": f"alias-{digest}", "type": "group_alias", "ts": event["ts"], "origin": ORIGIN,
        "batch": result.batch, "group": event["group"],
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
