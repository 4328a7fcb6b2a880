"""The fold: what the state says, and that it depends on the set of events, not their order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handful.domain import events as ev
from handful.domain.state import State, fold
from handful.domain.views import groups_view, status_view
from handful.errors import InvalidEvent

NOW = datetime(2026, 6, 30, tzinfo=UTC)
BASE = datetime(2026, 1, 1, tzinfo=UTC)
GROUPS = [("linkedin", "1"), ("linkedin", "2"), ("facebook", "a.b"), ("facebook", "c"),
          ("facebook", "100"), ("facebook", "n-0123456789abcdef")]


@pytest.fixture(autouse=True, scope="module")
def replay_clock() -> Iterator[None]:
    """Events built around a fixed NOW, some after it: the clock a replay sets (intake
    refuses events more than a day ahead of the real clock otherwise)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HANDFUL_NOW", "2026-06-30T00:00:00Z")
        yield


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
        if fields["kind"] in ev.AMOUNT_KINDS:  # (an amount elsewhere is refused at intake)
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
    elif kind == "list_read":
        del fields["group"]
        same = [i for p, i in GROUPS if p == platform]
        absent = draw(st.lists(st.sampled_from(same), max_size=3, unique=True))
        total = draw(st.integers(3, 4))
        fields.update(platform=platform, total=total, listed=draw(st.integers(2, total)),
                      absent=[{"platform": platform, "id": i} for i in absent])
    elif kind == "group_alias":
        others = [i for p, i in GROUPS if p == platform and i != ident]
        fields["alias"] = {"platform": platform, "id": draw(st.sampled_from(others))}
    elif kind in ("joined", "join_requested") and draw(st.booleans()):
        fields["unguarded"] = True
        if draw(st.booleans()):
            fields["click"] = "some-click"
    elif kind == "membership_imported" and draw(st.booleans()):
        fields["since"] = at(draw(st.integers(0, 100)))
    elif kind == "device_named":
        del fields["group"]
        fields["name"] = draw(st.sampled_from(["laptop", "desktop"]))
    elif kind == "import_committed":
        del fields["group"]
        fields.update(committed=draw(st.sampled_from(["batch-1", "batch-2"])), events=1,
                      adopts=draw(st.sampled_from([[], ["batch-3"]])), origin="facebook_export")
    if kind in ("joined", "left", "engagement", "membership_imported", "group_seen") and \
            draw(st.booleans()):  # read from an export: counted once its batch is committed
        fields.update(origin="facebook_export",
                      batch=draw(st.sampled_from(["batch-1", "batch-2", "batch-3"])))
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


FB_SLUG = {"platform": "facebook", "id": "growth.hackers", "name": "Growth Hackers",
           "url": "https://www.facebook.com/groups/growth.hackers/"}
FB_ID = {"platform": "facebook", "id": "4455667788"}


def test_an_alias_makes_a_vanity_slug_and_a_numeric_id_one_group_in_any_order() -> None:
    events = [
        make("join_justified", 0, group=FB_SLUG, give="answers", get="peers"),
        make("joined", 0, group=FB_SLUG),
        make("engagement", 5, group=FB_ID, kind="post"),
        make("group_alias", 1, group=FB_SLUG, alias=FB_ID),
        make("engagement", 6, group=FB_SLUG, kind="comment"),
    ]
    for order in (events, events[::-1], events[2:] + events[:2]):
        state = fold(order)
        [group] = state.groups.values()
        assert group.key == "facebook:4455667788"  # the numeric id is the group's key
        assert group.group.name == "Growth Hackers" and group.status == "member"
        assert state.find("facebook:growth.hackers") is group
        assert state.aliases_of(group.key) == ["facebook:growth.hackers"]
        figures = group.figures(365, (BASE + timedelta(days=2)).date().toordinal())
        assert (figures["posts"], figures["comments"]) == (1, 1)
        assert len(state.members()) == 1
    view = groups_view(fold(events), NOW, everything=True)
    assert [g["aliases"] for g in view["groups"]] == [["facebook:growth.hackers"]]


def test_an_alias_chain_from_an_export_name_to_a_slug_to_an_id_is_one_group() -> None:
    named = {"platform": "facebook", "id": "n-0123456789abcdef", "name": "Growth Hackers"}
    events = [make("membership_imported", 0, group=named),
              make("group_alias", 1, group=named, alias=FB_SLUG),
              make("group_alias", 2, group=FB_SLUG, alias=FB_ID)]
    for order in (events, events[::-1]):
        state = fold(order)
        assert list(state.groups) == ["facebook:4455667788"]
        assert state.aliases_of("facebook:4455667788") == [
            "facebook:growth.hackers", "facebook:n-0123456789abcdef"]


def test_an_alias_must_name_another_group_of_the_same_platform() -> None:
    for alias, why in (({"platform": "linkedin", "id": "1"}, "same platform"),
                       (FB_SLUG, "another id")):
        try:
            make("group_alias", 0, group=FB_SLUG, alias=alias)
        except InvalidEvent as error:
            assert why in str(error)
        else:
            raise AssertionError("accepted")


def test_a_join_the_guard_did_not_see_asks_until_answered_and_counts_once() -> None:
    requested = make("join_requested", 10, group=FB_ID, unguarded=True)
    state = fold([requested])
    [group] = state.groups.values()
    assert group.unjustified and group.status == "requested"
    assert state.score.unguarded == 1
    [asked] = status_view(state, NOW)["unjustified"]
    assert asked["key"] == "facebook:4455667788" and asked["at"] == at(10)
    # answered afterwards: a justification, or an intention to leave
    answered = fold([requested, make("join_justified", 20, group=FB_ID, give="a", get="b",
                                     afterwards=True)])
    assert not answered.groups["facebook:4455667788"].unjustified
    assert status_view(answered, NOW)["unjustified"] == []
    left = fold([requested, make("review_decision", 20, group=FB_ID, decision="leave")])
    assert not left.groups["facebook:4455667788"].unjustified
    # the guard saw the click (a join_unguarded) and the request: one join, counted once
    click = ev.make("join_unguarded", device="d1", ts=at(9), platform="facebook", label="Join")
    both = fold([click, make("joined", 10, group=FB_ID, unguarded=True, click=click.id)])
    assert both.score.unguarded == 1 and both.groups["facebook:4455667788"].unjustified
    # a justification just before (the extension lost its memory of the tab): not missed
    minutes_before = (BASE + timedelta(hours=10, minutes=-4)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    just = fold([ev.make("join_justified", device="d1", ts=minutes_before, group=FB_ID,
                         give="a", get="b"), requested])
    assert not just.groups["facebook:4455667788"].unjustified


def test_a_click_reference_only_on_an_unguarded_join() -> None:
    try:
        make("joined", 0, group=FB_ID, click="abc")
    except InvalidEvent as error:
        assert "$.click" in str(error)
    else:
        raise AssertionError("accepted")


def test_a_checkpoint_keeps_aliases_and_missed_joins() -> None:
    from handful.domain import snapshot

    state = fold([make("joined", 0, group=FB_SLUG), make("group_alias", 1, group=FB_SLUG,
                                                         alias=FB_ID),
                  make("join_requested", 2, group={"platform": "linkedin", "id": "9"},
                       unguarded=True)])
    again = snapshot.load(snapshot.dump(state))
    assert again == state
    assert again.find("facebook:growth.hackers") is again.groups["facebook:4455667788"]
