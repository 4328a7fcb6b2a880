"""Events are validated on the way in: every type of the contract, clear refusals."""

from __future__ import annotations

from typing import Any

import pytest

from handful.domain import events as ev
from handful.errors import InvalidEvent

GROUP = {"platform": "facebook", "id": "growth.hackers", "name": "Growth", "url": None}
BASE = {"id": "e1", "ts": "2026-05-01T10:00:00Z", "device": "dev"}

VALID: dict[str, dict[str, Any]] = {
    "group_seen": {"group": GROUP, "page": "group"},
    "join_intercepted": {"group": GROUP, "source": "search"},
    "join_declined": {"group": GROUP, "reasons": ["invited", "industry"]},
    "join_deferred": {"group": GROUP, "remind_at": "2026-05-02T10:00:00+02:00"},
    "join_justified": {"group": GROUP, "reasons": ["peers"], "give": "answers",
                       "get": "leads", "involvement": ["comment", "event"],
                       "drop": {"platform": "linkedin", "id": "9"}},
    "join_requested": {"group": GROUP, "unguarded": True, "click": "c1"},
    "joined": {"group": GROUP, "unguarded": True},
    "left": {"group": GROUP, "note": "quiet"},
    "engagement": {"group": GROUP, "kind": "business", "amount": 1200.5, "note": "deal"},
    "membership_imported": {"group": GROUP, "source": "facebook_list",
                            "since": "2020-01-01T00:00:00Z"},
    "review_decision": {"group": GROUP, "decision": "deepen"},
    "settings_changed": {"key": "review.interval_days", "value": 14},
    "join_unguarded": {"platform": "facebook", "source": "search", "label": "Join group"},
    "guard_blind": {"platform": "linkedin", "source": "group", "reason": "unread"},
    "import_committed": {"committed": "fbi-0123456789abcdef", "events": 3,
                         "origin": "facebook_export"},
    "group_alias": {"group": GROUP, "alias": {"platform": "facebook", "id": "4455667788"}},
    "device_named": {"name": "laptop"},
    "list_read": {"platform": "facebook", "total": 3, "listed": 3,
                  "absent": [{"platform": "facebook", "id": "gone.group", "name": "Gone"}]},
}


def test_every_contract_type_is_known() -> None:
    assert set(VALID) == set(ev.EVENT_TYPES)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_valid_events_round_trip_flat(kind: str) -> None:
    event = ev.parse_event({**BASE, "type": kind, **VALID[kind]})
    doc = ev.to_dict(event)
    assert doc["type"] == kind and doc["id"] == "e1" and doc["device"] == "dev"
    assert doc["ts"] == "2026-05-01T10:00:00.000Z"
    assert "payload" not in doc
    assert ev.decode_stored(ev.encode(event)) == event
    with pytest.raises(AttributeError):
        event.id = "other"  # type: ignore[misc]


def test_deferral_times_are_normalised_to_utc() -> None:
    event = ev.parse_event({**BASE, "type": "join_deferred", **VALID["join_deferred"]})
    assert isinstance(event, ev.JoinDeferred)
    assert event.remind_at == "2026-05-02T08:00:00.000Z"


@pytest.mark.parametrize(("change", "words"), [
    ({"type": "joined_twice"}, "at `$.type`"),
    ({"type": "joined", "group": {**GROUP, "platform": "myspace"}}, "$.group.platform"),
    ({"type": "joined", "group": {**GROUP, "id": ""}}, "$.group.id"),
    ({"type": "joined", "group": {**GROUP, "url": "http://x"}}, "$.group.url"),
    ({"type": "joined", "group": {**GROUP, "extra": 1}}, "extra"),
    ({"type": "joined"}, "`group`"),
    ({"type": "joined", "group": GROUP, "ts": "yesterday"}, "$.ts"),
    ({"type": "joined", "group": GROUP, "ts": "2026-13-45T99:00:00Z"}, "valid instant"),
    ({"type": "joined", "group": GROUP, "id": ""}, "$.id"),
    ({"type": "joined", "group": GROUP, "payload": {}}, "payload"),
    ({"type": "engagement", "group": GROUP, "kind": "lurk"}, "$.kind"),
    ({"type": "engagement", "group": GROUP, "kind": "visit", "minutes": -1}, "$.minutes"),
    ({"type": "engagement", "group": GROUP, "kind": "visit", "minutes": "5"}, "$.minutes"),
    ({"type": "join_justified", "group": GROUP, "give": " ", "get": "x"}, "give"),
    ({"type": "join_justified", "group": GROUP, "get": "x"}, "`give`"),
    ({"type": "join_declined", "group": GROUP, "reasons": ["bored"]}, "$.reasons[0]"),
    ({"type": "review_decision", "group": GROUP, "decision": "maybe"}, "$.decision"),
    ({"type": "settings_changed", "key": "colour", "value": 1}, "$.key"),
    ({"type": "settings_changed", "key": "cap", "value": 0}, "between 1 and 100"),
    ({"type": "settings_changed", "key": "cap", "value": 2.5}, "whole number"),
])
def test_wrong_events_are_refused_clearly(change: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        ev.parse_event({**BASE, **change})
    message = str(caught.value)
    assert "\n" not in message and words in message, message


def test_bytes_that_are_not_json() -> None:
    with pytest.raises(InvalidEvent, match="not valid JSON"):
        ev.parse_event(b"{\"id\": ")


def test_new_ids_are_unique_and_time_ordered() -> None:
    ids = [ev.new_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_group_refs() -> None:
    assert ev.parse_group_ref("LinkedIn:123").key == "linkedin:123"
    assert ev.parse_group_ref("facebook:some.slug").id == "some.slug"
    for bad in ("123", "twitter:1", "linkedin:", "facebook:a/b"):
        with pytest.raises(InvalidEvent):
            ev.parse_group_ref(bad)
