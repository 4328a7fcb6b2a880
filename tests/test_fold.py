"""The fold: what the state says, and that it depends on the set of events, not their order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from handful.domain import events as ev
from handful.domain.state import State, fold
from handful.domain.views import groups_view, status_view

NOW = datetime(2026, 6, 30, tzinfo=UTC)
BASE = datetime(2026, 1, 1, tzinfo=UTC)
GROUPS = [("linkedin", "1"), ("linkedin", "2"), ("facebook", "a.b"), ("facebook", "c")]


def at(hours: int) -> str:
    return (BASE + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def canonical(state: State) -> str:
    doc = {"groups": groups_view(state, NOW, everything=True), "status": status_view(state, NOW)}
    return json.dumps(doc, sort_keys=True)


@st.composite
def event_fields(draw: st.DrawFn) -> dict[str, Any]:
    platform, ident = draw(st.sampled_from(GROUPS))
    group: dict[str, Any] = {"platform": platform, "id": ident}
    if draw(st.booleans()):
        group["name"] = draw(st.sampled_from(["Alpha", "Beta", "Gamma"]))
    kind = draw(st.sampled_from(sorted(ev.EVENT_TYPES)))
    fields: dict[str, Any] = {"type": kind, "group": group}
    if kind == "engagement":
        fields["kind"] = draw(st.sampled_from(["visit", "post", "comment", "business"]))
        fields["minutes"] = draw(st.sampled_from([None, 1.0, 2.5]))
        fields["amount"] = draw(st.sampled_from([None, 10.0, 99.5]))
    elif kind == "join_justified":
        fields.update(give="talks", get="clients", reasons=["peers"], involvement=["post"])
    elif kind == "join_declined":
        fields["reasons"] = draw(st.lists(st.sampled_from(["invited", "belong"]), max_size=2))
    elif kind == "review_decision":
        fields["decision"] = draw(st.sampled_from(["keep", "leave", "deepen", "snooze"]))
    elif kind == "settings_changed":
        del fields["group"]
        fields.update(key="cap", value=draw(st.integers(1, 9)))
    elif kind == "join_unguarded":
        del fields["group"]
        fields.update(platform=platform, source="search", label="Join group")
    elif kind == "guard_blind":
        del fields["group"]
        fields.update(platform=platform, reason=draw(st.sampled_from(
            ["unread", "no_permission", "permission_back"])))
    elif kind == "membership_imported" and draw(st.booleans()):
        fields["since"] = at(draw(st.integers(0, 100)))
    return fields


@st.composite
def device_logs(draw: st.DrawFn) -> list[list[ev.Event]]:
    logs = []
    for d in range(draw(st.integers(1, 3))):
        device = f"device{d}"
        log = []
        for i, drawn in enumerate(draw(st.lists(event_fields(), max_size=25))):
            # few distinct instants, so equal timestamps across devices are common
            fields = {**drawn, "id": f"{device}-{i:03d}", "device": device,
                      "ts": at(draw(st.integers(0, 40)) * 24)}
            log.append(ev.parse_event({k: v for k, v in fields.items() if v is not None}))
        logs.append(log)
    return logs


@settings(max_examples=300, deadline=None)
@given(logs=device_logs(), data=st.data())
def test_any_interleaving_that_keeps_each_devices_order_gives_the_same_state(
        logs: list[list[ev.Event]], data: st.DataObject) -> None:
    expected = canonical(fold(e for log in logs for e in log))
    slots = [d for d, log in enumerate(logs) for _ in log]
    order = data.draw(st.permutations(slots))
    cursors = [0] * len(logs)
    interleaved = []
    for d in order:
        interleaved.append(logs[d][cursors[d]])
        cursors[d] += 1
    assert canonical(fold(interleaved)) == expected
    assert fold(interleaved) == fold(e for log in logs for e in log)  # the very same state


@settings(max_examples=200, deadline=None)
@given(logs=device_logs(), data=st.data())
def test_partial_states_merge_into_the_whole(logs: list[list[ev.Event]],
                                             data: st.DataObject) -> None:
    events = [e for log in logs for e in log]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=4)))
    merged = State()
    start = 0
    for cut in [*cuts, len(events)]:
        merged.merge(fold(events[start:cut]))
        start = cut
    assert canonical(merged) == canonical(fold(events))
    assert merged == fold(events)


def make(type_name: str, hours: int, /, device: str = "d1", **fields: Any) -> ev.Event:
    fields.setdefault("group", {"platform": "linkedin", "id": "7", "name": "Seven"})
    return ev.make(type_name, device=device, ts=at(hours), **fields)


def test_membership_lifecycle_and_history() -> None:
    state = fold([
        make("join_intercepted", 0, source="group_page"),
        make("join_declined", 1, reasons=["invited", "belong"]),
        make("join_intercepted", 100),
        make("join_justified", 101, reasons=["peers"], give="a talk", get="clients",
             involvement=["speak"]),
        make("join_requested", 102),
        make("joined", 150),
        make("left", 400, note="too noisy"),
        make("membership_imported", 900),
    ])
    group = state.groups["linkedin:7"]
    assert group.status == "member"
    assert group.since == at(900)  # the membership that began after the last leave
    assert [ts for ts, _ in group.declined_at] == [at(1)]
    assert group.left_at == [(at(400), "too noisy")]
    assert group.commitment is not None and group.commitment[1].give == "a talk"
    score = state.score.as_dict()
    assert (score["intercepted"], score["declined"], score["justified"]) == (2, 1, 1)
    assert score["declined_share"] == 0.5
    assert sum(score["attempts_by_week"].values()) == 2


def test_a_decline_never_hides_a_membership() -> None:
    state = fold([make("joined", 0), make("join_declined", 5)])
    assert state.groups["linkedin:7"].status == "member"
    state = fold([make("left", 0), make("join_declined", 5)])
    assert state.groups["linkedin:7"].status == "declined"
    state = fold([make("join_declined", 0), make("join_deferred", 5)])
    assert state.groups["linkedin:7"].status == "deferred"


def test_engagement_windows_honour_now() -> None:
    state = fold([
        make("engagement", 24 * 10, kind="post"),
        make("engagement", 24 * 100, kind="visit", minutes=30),
        make("engagement", 24 * 170, kind="business", amount=250),
        make("engagement", 24 * 179, kind="referral_given"),
        make("engagement", 24 * 400, kind="meeting"),  # after NOW: not counted yet
    ])
    group = state.groups["linkedin:7"]
    today = NOW.date().toordinal()
    assert group.figures(30, today)["business_amount"] == 250
    assert group.figures(30, today)["referrals_given"] == 1
    assert group.figures(90, today)["visits"] == 1 and group.figures(90, today)["minutes"] == 30
    assert group.figures(365, today)["posts"] == 1
    assert group.figures(365, today)["meetings"] == 0


def test_settings_are_last_writer_wins_with_defaults() -> None:
    state = fold([])
    assert (state.setting("cap"), state.setting("guard.delay_seconds"),
            state.setting("review.interval_days")) == (5, 5, 30)
    state = fold([
        ev.make("settings_changed", device="b", ts=at(5), key="cap", value=4),
        ev.make("settings_changed", device="a", ts=at(9), key="cap", value=3),
        ev.make("settings_changed", device="c", ts=at(1), key="cap", value=7),
    ])
    assert state.setting("cap") == 3


def test_group_names_follow_the_latest_event_that_names_them() -> None:
    state = fold([
        make("group_seen", 5, group={"platform": "linkedin", "id": "7", "name": "New name"}),
        make("group_seen", 1, group={"platform": "linkedin", "id": "7", "name": "Old name",
                                     "url": "https://www.linkedin.com/groups/7/"}),
        make("group_seen", 9, group={"platform": "linkedin", "id": "7"}),
    ])
    group = state.groups["linkedin:7"].group
    assert (group.name, group.url) == ("New name", "https://www.linkedin.com/groups/7/")


def test_review_due_follows_the_last_review() -> None:
    state = fold([make("joined", 0)])
    assert state.review_due_at(NOW) == BASE + timedelta(days=30)
    state = fold([make("joined", 0), make("review_decision", 24 * 50, decision="keep")])
    assert state.review_due_at(NOW) == BASE + timedelta(days=80)
