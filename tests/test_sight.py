"""The guard's sight, judged from its reports: group pages it could not read in the last 7
days against the group pages visited, and the extension's access to each site. Pure: events
folded into a state (and through a checkpoint), then viewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from handful.domain import events as ev
from handful.domain import snapshot
from handful.domain.state import fold
from handful.domain.views import sight_view

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")


def unread(platform: str, days_ago: float) -> ev.Event:
    return ev.make("guard_blind", device="d1", ts=at(days_ago), platform=platform,
                   source="group", reason="unread")


def visit(group: str, days_ago: float) -> ev.Event:
    platform, ident = group.split(":")
    return ev.make("engagement", device="d1", ts=at(days_ago), kind="visit",
                   group={"platform": platform, "id": ident})


def access(platform: str, reason: str, days_ago: float) -> ev.Event:
    return ev.make("guard_blind", device="d1", ts=at(days_ago), platform=platform, reason=reason)


def sight(events: list[ev.Event]) -> dict[str, Any]:
    state = fold(events)
    again = snapshot.load(snapshot.dump(state))  # a checkpoint keeps what the fold knows
    view = sight_view(state, NOW)
    assert sight_view(again, NOW) == view
    return view


def test_a_few_unread_pages_are_not_blindness() -> None:
    view = sight([unread("linkedin", d) for d in (0, 1, 2)])
    assert view["linkedin"] == {"unread_7d": 3, "pages_7d": 3, "blind": False, "access": True}
    assert view["problems"] == []


def test_more_than_three_and_at_least_half_of_the_sites_group_pages_is() -> None:
    visits = [visit(f"linkedin:{n}", 1) for n in range(8)]
    view = sight([unread("linkedin", d) for d in (0, 1, 2, 3)] + visits)
    assert view["linkedin"]["blind"] is True and view["linkedin"]["pages_7d"] == 8
    assert view["facebook"]["blind"] is False
    assert view["problems"][0].startswith(
        "Handful could not read 4 LinkedIn group pages in the last 7 days")
    # one more visit read fine: 4 of 9 is less than half
    assert sight([unread("linkedin", d) for d in (0, 1, 2, 3)] + visits
                 + [visit("linkedin:99", 0)])["linkedin"]["blind"] is False


def test_only_the_last_seven_days_count() -> None:
    view = sight([unread("facebook", d) for d in (0, 1, 8, 9, 30)])
    assert view["facebook"]["unread_7d"] == 2 and view["facebook"]["blind"] is False


def test_access_taken_away_and_given_back() -> None:
    taken = sight([access("facebook", "no_permission", 2)])
    assert taken["facebook"]["access"] is False
    assert taken["problems"] == [
        "Handful's extension may not read Facebook pages (its access to the site was taken "
        "away): allow it again in the browser's add-on settings."]
    back = sight([access("facebook", "no_permission", 2), access("facebook", "permission_back", 1)])
    assert back["facebook"]["access"] is True and back["problems"] == []


def test_partial_folds_merge_to_the_same_sight() -> None:
    events = [unread("linkedin", d) for d in (0, 1, 2, 3, 4)] + [
        access("linkedin", "no_permission", 3), access("linkedin", "permission_back", 1)]
    whole = fold(events)
    left, right = fold(events[:3]), fold(events[3:])
    left.merge(right)
    assert sight_view(left, NOW) == sight_view(whole, NOW)
