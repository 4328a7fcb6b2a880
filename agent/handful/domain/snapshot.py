"""The folded state as bytes and back: what a checkpoint keeps so an open need not re-fold
every event. Plain msgpack of builtins (never pickle); the store encrypts it."""

from __future__ import annotations

import sys
from array import array
from typing import Any

import msgspec

from handful.domain.events import JoinJustified
from handful.domain.state import ZERO_DAY, ExportSeen, GroupState, Pending, Scoreboard, State

VERSION = 10  # 2: last_snooze; 3: aliases, unguarded joins; 4: beyond, list reads;
#             5: only business counts its amount as won; 6: pledges, when each kind last given;
#             7: imports (batches committed and pending, an export's membership events);
#             8: what each export brought (events, groups, when last committed);
#             9: a group-day's figures as 11 little-endian doubles; 10: device names
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder().decode
_justified = msgspec.json.Decoder(JoinJustified)


def _order(value: Any) -> tuple[str, str, str]:
    ts, device, ident = value
    return (str(ts), str(device), str(ident))


def _register(value: Any) -> tuple[tuple[str, str, str], Any] | None:
    return None if value is None else (_order(value[0]), value[1])


_DAY_BYTES = 8 * len(ZERO_DAY)


def _day_bytes(counts: array[float]) -> bytes:
    if sys.byteorder == "little":
        return counts.tobytes()
    swapped = array("d", counts)
    swapped.byteswap()
    return swapped.tobytes()


def _day(data: bytes) -> array[float]:
    if not isinstance(data, bytes) or len(data) != _DAY_BYTES:
        raise ValueError("a day's figures of another size")
    counts = array("d")
    counts.frombytes(data)
    if sys.byteorder != "little":
        counts.byteswap()
    return counts


def dump(state: State) -> bytes:
    return _encode(_doc(state))


def _doc(state: State) -> dict[str, Any]:
    groups = []
    for g in state.groups.values():
        commitment = None
        if g.commitment is not None:
            commitment = [list(g.commitment[0]), msgspec.json.encode(g.commitment[1])]
        groups.append([
            g.key, g.platform, g.ident, g.name, g.url, g.membership, g.decision, commitment,
            g.review, g.member_evidence, g.left_at, [[ts, list(r)] for ts, r in g.declined_at],
            g.intercepted, g.last_seen, {day: _day_bytes(c) for day, c in g.days.items()},
            g.missed, g.pledge, g.gave,
        ])
    score = state.score
    return {
        "version": VERSION,
        "groups": groups,
        "settings": state.settings,
        "device_names": state.device_names,
        "score": [score.intercepted, score.declined, score.deferred, score.justified,
                  score.joined, score.left, score.attempts_by_week, score.unguarded],
        "events": state.events, "beyond": state.beyond, "first_ts": state.first_ts,
        "last_review": state.last_review,
        "last_snooze": state.last_snooze,
        "unread": state.unread, "access": state.access,
        "links": sorted(state.links),
        "list_reads": {platform: [[ts, ident, sorted(keys)] for ts, ident, keys in reads]
                       for platform, reads in state.list_reads.items()},
        "committed": sorted(state.committed),
        "pending": {name: [sorted(held.ids), _doc(held.state)]
                    for name, held in state.pending.items()},
        "imported": state.imported,
        "exports": {origin: [seen.events, sorted(seen.groups), seen.committed_at]
                    for origin, seen in state.exports.items()},
    }


def load(data: bytes) -> State:
    """The state a checkpoint holds; ValueError if it is not one this version wrote."""
    try:
        return _state(_decode(data))
    except (KeyError, TypeError, ValueError, msgspec.DecodeError) as error:
        raise ValueError(f"not a checkpoint this version reads ({error})") from None


def _state(doc: dict[str, Any]) -> State:
    if doc["version"] != VERSION:
        raise ValueError(f"checkpoint version {doc['version']}")
    state = State(events=int(doc["events"]), beyond=int(doc["beyond"]),
                  first_ts=doc["first_ts"],
                  last_review=doc["last_review"], last_snooze=doc["last_snooze"])
    for (key, platform, ident, name, url, membership, decision, commitment, review,
         evidence, left_at, declined_at, intercepted, last_seen, days, missed, pledge,
         gave) in doc["groups"]:
        state.groups[key] = GroupState(
            key, platform, ident, _register(name), _register(url), _register(membership),
            _register(decision),
            None if commitment is None else (_order(commitment[0]),
                                             _justified.decode(commitment[1])),
            _register(review), dict(evidence), [(ts, note) for ts, note in left_at],
            [(ts, tuple(reasons)) for ts, reasons in declined_at], int(intercepted),
            str(last_seen), {int(day): _day(counts) for day, counts in days.items()})
        state.groups[key].missed = None if missed is None else _order(missed)
        state.groups[key].pledge = _register(pledge)
        state.groups[key].gave = {str(k): str(v) for k, v in gave.items()}
    for key, value in doc["settings"].items():
        state.settings[key] = (_order(value[0]), int(value[1]))
    for key, value in doc["device_names"].items():
        state.device_names[str(key)] = (_order(value[0]), str(value[1]))
    i, d, f, j, joined, left, weeks, *more = doc["score"]  # unguarded: since issue 11
    state.score = Scoreboard(i, d, f, j, joined, left, dict(weeks), more[0] if more else 0)
    for platform, days in doc.get("unread", {}).items():  # the guard's sight: issue 11
        state.unread[platform] = {int(day): int(n) for day, n in days.items()}
    for platform, value in doc.get("access", {}).items():
        state.access[platform] = (_order(value[0]), bool(value[1]))
    state.links = {(str(a), str(b)) for a, b in doc["links"]}
    state.list_reads = {platform: [(str(ts), str(ident), frozenset(map(str, keys)))
                                   for ts, ident, keys in reads]
                        for platform, reads in doc["list_reads"].items()}
    state.committed = set(map(str, doc["committed"]))
    state.pending = {str(name): Pending(_state(inner), set(map(str, ids)))
                     for name, (ids, inner) in doc["pending"].items()}
    state.imported = {str(k): str(v) for k, v in doc["imported"].items()}
    state.exports = {str(origin): ExportSeen(int(n), set(map(str, keys)),
                                             None if at is None else str(at))
                     for origin, (n, keys, at) in doc["exports"].items()}
    state.relink()  # the groups are already under their keys: only the map
    return state
