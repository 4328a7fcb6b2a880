"""The review planner on constructed histories: dormant groups, results without
involvement, kept and broken commitments, new groups, over the cap, a year of data, and
when a review is due. Pure: events folded into a state, then planned."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handful.domain import events as ev
from handful.domain.review import plan_review
from handful.domain.state import State, fold

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="module")
def replay_clock() -> Iterator[None]:
    """Events built around a fixed NOW (some after it): the clock a replay sets."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HANDFUL_NOW", "2026-11-23T12:00:00Z")
        yield


def ts(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class History:
    def __init__(self) -> None:
        self.events: list[ev.Event] = []

    def add(self, type_name: str, days_ago: float, group: str | None = None,
            **fields: Any) -> History:
        if group is not None:
            platform, ident = group.split(":")
            fields["group"] = {"platform": platform, "id": ident, "name": ident.title()}
        self.events.append(ev.make(type_name, device="d1", ts=ts(days_ago), **fields))
        return self

    def join(self, group: str, days_ago: float, *, involvement: list[str] | None = None
             ) -> History:
        if involvement is not None:
            self.add("join_justified", days_ago, group, give="talks", get="clients",
                     involvement=involvement)
        return self.add("joined", days_ago, group)

    def did(self, group: str, kind: str, *days_ago: float) -> History:
        for d in days_ago:
            self.add("engagement", d, group, kind=kind)
        return self

    def state(self) -> State:
        return fold(self.events)


def review(history: History, now: datetime = NOW) -> dict[str, Any]:
    return plan_review(history.state(), now)


def entry(plan: dict[str, Any], key: str) -> dict[str, Any]:
    [found] = [g for g in plan["groups"] if g["key"] == key]
    return found


def test_a_dormant_group_is_to_leave() -> None:
    h = History().join("facebook:old", 200).did("facebook:old", "visit", 150, 10, 2)
    h.did("facebook:old", "comment", 120)
    e = entry(review(h), "facebook:old")
    assert e["recommendation"] == "leave"
    assert e["reason"].startswith("No post, comment, reaction or result in 120 days")
    assert e["days_since_interaction"] == 120 and e["days_since_visit"] == 2


def test_results_without_taking_part_means_deepen() -> None:
    h = History().join("linkedin:1", 100).did("linkedin:1", "referral_received", 20, 5)
    h.did("linkedin:1", "comment", 30)
    e = entry(review(h), "linkedin:1")
    assert e["recommendation"] == "deepen"
    assert e["reason"] == ("2 results in 90 days with only 1 post, comment or event: give more "
                           "to keep them coming.")


def test_a_kept_commitment_and_a_broken_one() -> None:
    h = History().join("linkedin:kept", 80, involvement=["comment", "speak"])
    h.did("linkedin:kept", "comment", 60, 40, 10).did("linkedin:kept", "business", 12)
    h.join("linkedin:broken", 70, involvement=["post", "event"])
    h.did("linkedin:broken", "meeting", 5).did("linkedin:broken", "event", 30)
    h.did("linkedin:broken", "comment", 20, 10, 3)
    plan = review(h)
    kept = entry(plan, "linkedin:kept")
    assert kept["recommendation"] == "keep"
    assert kept["commitment"]["kept"] is True and kept["commitment"]["missing"] == []
    broken = entry(plan, "linkedin:broken")
    assert broken["commitment"]["kept"] is False and broken["commitment"]["missing"] == ["post"]
    assert broken["recommendation"] == "deepen"
    assert broken["reason"] == ("You said you would post here, and have not yet: do it this "
                                "month.")
    assert plan["scoreboard"]["commitments"] == {"made": 2, "kept": 1}


def test_a_commitment_counts_as_kept_only_by_what_came_after_it() -> None:
    """A post earlier the same day as the promise does not keep it; one a minute after does.
    The same for the commitment given with "deepen", which the review shows again."""
    h = History().join("linkedin:day", 10.5, involvement=["post"])
    h.did("linkedin:day", "post", 10.6)  # hours before the promise, the same day
    e = entry(review(h), "linkedin:day")
    assert e["commitment"]["kept"] is False and e["commitment"]["missing"] == ["post"]
    h.did("linkedin:day", "post", 10.5 - 1 / 1440)
    assert entry(review(h), "linkedin:day")["commitment"]["kept"] is True

    h.add("review_decision", 3.2, "linkedin:day", decision="deepen",
          note="answer two questions a week")
    h.did("linkedin:day", "comment", 3.3)  # before the decision
    pledge = entry(review(h), "linkedin:day")["pledge"]
    assert pledge == {"ts": ts(3.2), "note": "answer two questions a week", "kept": False}
    h.did("linkedin:day", "reaction", 3)  # a reaction is not giving
    assert entry(review(h), "linkedin:day")["pledge"]["kept"] is False
    h.did("linkedin:day", "comment", 2)
    assert entry(review(h), "linkedin:day")["pledge"]["kept"] is True
    h.add("review_decision", 1, "linkedin:day", decision="deepen")  # a new one, no words
    assert entry(review(h), "linkedin:day")["pledge"] == {"ts": ts(1), "note": None,
                                                         "kept": False}


def test_a_new_group_gets_its_chance() -> None:
    h = History().join("linkedin:new", 12)
    e = entry(review(h), "linkedin:new")
    assert e["recommendation"] == "keep"
    assert e["reason"] == "Joined 12 days ago: give it until 2027-01-10 to show what it is worth."


def test_over_the_cap_the_least_active_are_ranked_for_leaving_first() -> None:
    h = History().add("settings_changed", 300, key="cap", value=2)
    for name, posts in (("a", 6), ("b", 4), ("c", 3), ("d", 5)):
        h.join(f"linkedin:{name}", 200)
        h.did(f"linkedin:{name}", "post", *[2 + i for i in range(posts)])
    h.join("linkedin:idle", 200)
    plan = review(h)
    assert plan["count"] == 5 and plan["over_cap_by"] == 3
    order = [(g["key"], g["recommendation"]) for g in plan["groups"]]
    assert order == [("linkedin:idle", "leave"), ("linkedin:c", "leave"),
                     ("linkedin:b", "leave"), ("linkedin:d", "keep"), ("linkedin:a", "keep")]
    assert entry(plan, "linkedin:c")["reason"].startswith(
        "You are 3 groups over your cap of 2, and this is among your least active")


def test_a_year_of_data_brings_the_yearly_review() -> None:
    h = History().join("linkedin:best", 400).join("linkedin:idle", 400)
    h.join("linkedin:some", 300)
    h.did("linkedin:best", "referral_given", 300, 200, 100).did("linkedin:some", "meeting", 50)
    h.did("linkedin:best", "post", 10, 20, 30)
    plan = review(h)
    year = plan["year"]
    assert year["results"] == 4 and year["joined"] == 1
    assert year["suggestions"] == [
        "Leave Idle: no result in twelve months.",
        "Go deeper in Best (75% of your results): speak, organise an event, or join its board."]
    assert review(History().join("linkedin:x", 100))["year"] is None


def test_when_the_review_is_due() -> None:
    h = History().join("linkedin:1", 45)
    plan = review(h)
    assert plan["due"] and plan["due_at"] == ts(15)  # 30 days after the first event
    h.add("review_decision", 2, "linkedin:1", decision="keep")
    plan = review(h)
    assert not plan["due"] and plan["due_at"] == ts(-28)
    # Months later, one review is due, not several.
    late = review(h, NOW + timedelta(days=200))
    assert late["due"] and late["due_at"] == ts(-28)
    # Snoozed when due: due again a week later, not at once.
    h.add("review_decision", -30, "linkedin:1", decision="snooze")
    assert review(h, NOW + timedelta(days=31))["due"] is False
    snoozed = review(h, NOW + timedelta(days=38))
    assert snoozed["due"] and snoozed["due_at"] == ts(-37)


def test_the_months_for_the_chart() -> None:
    h = History().join("linkedin:1", 100).did("linkedin:1", "visit", 1, 2, 40)
    h.did("linkedin:1", "referral_given", 70)
    months = entry(review(h), "linkedin:1")["months"]
    assert [m["month"] for m in months] == ["2026-06", "2026-07", "2026-08", "2026-09",
                                            "2026-10", "2026-11"]
    assert months[-1]["visits"] == 2 and months[-2]["visits"] == 1
    assert months[3]["results"] == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(
    ["joined", "left", "post", "comment", "visit", "referral_given", "business"]),
    st.integers(0, 300)), max_size=60), st.integers(1, 6))
def test_every_member_once_leave_first_and_never_over_the_cap_unflagged(
        steps: list[tuple[int, str, int]], cap: int) -> None:
    h = History().add("settings_changed", 400, key="cap", value=cap)
    for group, what, days_ago in steps:
        key = f"linkedin:{group}"
        if what in ("joined", "left"):
            h.add(what, days_ago, key)
        else:
            h.did(key, what, days_ago)
    state = h.state()
    plan = plan_review(state, NOW)
    members = sorted(g.key for g in state.members())
    assert sorted(g["key"] for g in plan["groups"]) == members
    ranks = [{"leave": 0, "deepen": 1, "keep": 2}[g["recommendation"]] for g in plan["groups"]]
    assert ranks == sorted(ranks)
    leaving = sum(1 for g in plan["groups"] if g["recommendation"] == "leave")
    assert len(members) - leaving <= cap
    assert all(g["reason"] and g["reason"].endswith(".") for g in plan["groups"])


def test_a_networking_fast_is_compared_with_the_weeks_around_it() -> None:
    started = NOW - timedelta(days=30)
    h = History().join("linkedin:1", 100)
    h.add("settings_changed", 30, key="fast.started_at", value=int(started.timestamp()))
    h.did("linkedin:1", "visit", 40, 38, 35, 33).did("linkedin:1", "visit", 20)
    h.did("linkedin:1", "post", 10, 5).did("linkedin:1", "referral_given", 3)
    fast = review(h)["fast"]
    assert (fast["started"], fast["ends"], fast["over"]) == ("2026-10-24", "2026-11-07", True)
    assert fast["before"]["visits"] == 4 and fast["during"]["visits"] == 1
    assert fast["after"] == {"visits": 0, "minutes": 0, "contributions": 2, "results": 1}
    assert review(History().join("linkedin:1", 5))["fast"] is None
