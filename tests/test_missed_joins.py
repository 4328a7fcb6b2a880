"""Joins the guard did not see, noticed from the sites' own join requests (webRequest, observe
only) in a real Chromium with the real extension, host and agent. The fixture pages send the
real requests (LinkedIn's JSON body, Facebook's GraphQL form fields) to the loopback server
that answers as www.linkedin.com and www.facebook.com."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tests.browser import DIALOG, Browser, dialog_gone, open_dialog

LINKEDIN_ICON = "https://www.linkedin.com/groups/777005/"
FACEBOOK_ICON = "https://www.facebook.com/groups/quiet.makers/"
FACEBOOK_VANITY = "https://www.facebook.com/groups/kind.founders/"
FACEBOOK_GROUPS_FEED = "https://www.facebook.com/groups/feed/"


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def until(check: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.1)
    return value


def badge(browser: Browser) -> str:
    text: str = browser.worker.evaluate("chrome.action.getBadgeText({})")
    return text


def extension_storage(browser: Browser) -> str:
    """Everything the extension keeps (local and session storage), as one text."""
    found: str = browser.worker.evaluate("""async () => JSON.stringify({
        local: await chrome.storage.local.get(null),
        session: await chrome.storage.session.get(null) })""")
    return found


def answer_afterwards(page: Any, give: str, get: str) -> None:
    d = open_dialog(page)
    d.locator("textarea[name=give]").fill(give)
    d.locator("textarea[name=get]").fill(get)
    d.locator("[data-action=justify]").click()
    dialog_gone(page)


def test_a_linkedin_join_the_guard_cannot_see_is_recorded_from_its_request_and_asked_about(
        browser: Browser) -> None:
    page = browser.page(LINKEDIN_ICON)
    page.click("#join")                          # an icon with no name: the guard lets it pass
    page.wait_for_function("window.answered === 200")
    assert not page.is_visible(DIALOG)
    [(_, path, body)] = browser.site.posts    # the site's own request, as LinkedIn sends it
    assert path.endswith("?action=updateMembership") and b"SEND_REQUEST" in body
    events = browser.wait_for_events(lambda evs: bool(of_type(evs, "join_requested")))
    [requested] = of_type(events, "join_requested")
    assert requested["unguarded"] is True and requested["source"] == "group"
    assert requested["group"] == {"platform": "linkedin", "id": "777005", "name": "Quiet Builders",
                                  "url": LINKEDIN_ICON}
    assert not of_type(events, "join_intercepted") and not of_type(events, "join_justified")
    status = browser.status()
    assert [u["key"] for u in status["unjustified"]] == ["linkedin:777005"]
    assert status["scoreboard"]["unguarded"] == 1
    assert until(lambda: badge(browser) == "1")  # the badge marks it

    # the popup lists it
    popup = browser.extension_page(f"popup/popup.html?tab={browser.tab_id(LINKEDIN_ICON + '*')}")
    popup.wait_for_selector("body[data-ready]")
    item = popup.locator('[data-handful=unjustified] li[data-group="linkedin:777005"]')
    assert "asked to join Quiet Builders" in item.inner_text()
    assert item.locator("a").get_attribute("href") == LINKEDIN_ICON
    popup.close()

    # the next visit to the group's page asks, with the after-the-fact form
    page.reload()
    d = open_dialog(page)
    assert d.locator("h2").inner_text() == "Why did you join Quiet Builders?"
    assert d.locator("[data-action=join]").count() == 0
    assert d.locator("[data-action=leave]").count() == 1
    answer_afterwards(page, "Notes from building in public", "A few honest peers")
    events = browser.wait_for_events(lambda evs: bool(of_type(evs, "join_justified")))
    [justified] = of_type(events, "join_justified")
    assert justified["afterwards"] is True and justified["group"]["id"] == "777005"
    assert justified["give"] == "Notes from building in public"
    assert browser.status()["unjustified"] == []
    assert until(lambda: badge(browser) == "")
    # the review counts it: the join without a decision, and that it was answered
    review = json.loads(browser.home.ok("review", "--json"))
    assert review["scoreboard"]["unguarded"] == 1
    assert len(of_type(browser.events(), "join_requested")) == 1  # counted once


def test_a_join_request_the_site_refused_records_nothing(browser: Browser) -> None:
    browser.site.post_status = 500
    page = browser.page(LINKEDIN_ICON)
    page.click("#join")
    page.wait_for_function("window.answered === 500")
    browser.site.post_status = 200
    page.click("#join")                          # tried again: this one went through
    page.wait_for_function("window.answered === 200")
    events = browser.wait_for_events(lambda evs: bool(of_type(evs, "join_requested")))
    assert len(browser.site.posts) == 2
    assert len(of_type(events, "join_requested")) == 1  # webRequest saw both, counted the 2xx


def test_a_facebook_join_by_vanity_page_is_tied_to_its_numeric_id_and_other_calls_leave_nothing(
        browser: Browser) -> None:
    page = browser.page(FACEBOOK_ICON)
    page.click("#send-post")                     # other GraphQL calls: a post, a search
    page.click("#run-search")
    page.wait_for_function("window.sent.length === 2")
    page.click("#join")                          # the icon the guard cannot recognise
    page.wait_for_function("window.sent.length === 3")
    names = [body for _, path, body in browser.site.posts if path == "/api/graphql/"]
    assert b"ComposerStoryCreateMutation" in names[0] and b"SearchCometResults" in names[1]
    events = browser.wait_for_events(lambda evs: bool(of_type(evs, "joined")))
    # webRequest events come in order: the post and the search were seen and left nothing
    [joined] = of_type(events, "joined")
    assert joined["unguarded"] is True
    assert joined["group"] == {"platform": "facebook", "id": "5550001", "name": "Quiet Makers",
                               "url": FACEBOOK_ICON}
    [alias] = of_type(events, "group_alias")
    assert {alias["group"]["id"], alias["alias"]["id"]} == {"quiet.makers", "5550001"}
    assert {e["type"] for e in events} <= {"joined", "group_alias", "guard_blind", "engagement"}
    log = json.dumps(events)
    kept = extension_storage(browser)
    for secret in ("A secret draft", "private search words", "NAcNsecretTokenValue",
                   "100000000000001", "SearchComet", "ComposerStory"):
        assert secret not in log and secret not in kept, secret
    [group] = [g for g in browser.groups() if g["group"]["platform"] == "facebook"]
    assert group["key"] == "facebook:5550001" and group["aliases"] == ["facebook:quiet.makers"]
    assert group["status"] == "member" and group["unjustified"] is True

    # the review counts it, and says so first for the group
    review = browser.extension_page("review/review.html")
    review.wait_for_selector("body[data-ready]")
    row = review.locator("#groups > li[data-group='facebook:5550001']")
    assert row.locator(".advice").inner_text().startswith("You joined it without deciding")
    assert review.locator("[data-score=unguarded]").inner_text() == "1 join made without a decision"
    review.close()

    # "leave it": the intention recorded, and the group's own way out opened on the page
    page.reload()
    d = open_dialog(page)
    assert d.locator("h2").inner_text() == "Why did you join Quiet Makers?"
    d.locator("[data-action=leave]").click()
    dialog_gone(page)
    page.wait_for_selector("#menu", state="visible")            # "Joined" opened its menu
    page.wait_for_function("document.activeElement && document.activeElement.id === 'leave'")
    events = browser.wait_for_events(lambda evs: bool(of_type(evs, "review_decision")))
    [decision] = of_type(events, "review_decision")
    assert decision["decision"] == "leave"
    assert decision["group"]["id"] in ("quiet.makers", "5550001")
    assert browser.status()["unjustified"] == []


def test_a_guarded_join_of_a_vanity_named_group_is_not_recorded_again_as_unguarded(
        browser: Browser) -> None:
    browser.home.ok("config", "set", "guard.delay_seconds", "0")
    page = browser.page(FACEBOOK_VANITY)
    page.click("#join")
    d = open_dialog(page)
    assert d.locator("h2").inner_text() == "Join Kind Founders?"
    d.locator("textarea[name=give]").fill("Introductions for first-time founders")
    d.locator("textarea[name=get]").fill("A founder's circle")
    d.locator("[data-action=join]:not([disabled])").click()
    dialog_gone(page)
    events = browser.wait_for_events(
        lambda evs: bool(of_type(evs, "joined")) and bool(of_type(evs, "group_alias")))
    [alias] = of_type(events, "group_alias")
    assert alias["group"]["id"] == "kind.founders" and alias["alias"] == {
        "platform": "facebook", "id": "5550002", "name": None, "url": None}
    assert not [e for e in events if e.get("unguarded")]
    [joined] = of_type(events, "joined")
    assert joined["group"]["id"] == "kind.founders" and "unguarded" not in joined
    [group] = browser.groups()
    assert group["key"] == "facebook:5550002" and group["aliases"] == ["facebook:kind.founders"]
    assert group["status"] == "member" and group["commitment"]["give"].startswith("Introductions")
    assert group["unjustified"] is False and browser.status()["unjustified"] == []
    assert browser.status()["scoreboard"]["unguarded"] == 0


def test_a_join_the_guard_saw_without_its_group_and_then_its_request_counts_once(
        browser: Browser) -> None:
    page = browser.page(FACEBOOK_GROUPS_FEED)
    page.click("#suggested [aria-label='Join group']")  # a join, but no link says which group
    page.wait_for_function("window.sent === 200")
    assert not page.is_visible(DIALOG)
    events = browser.wait_for_events(lambda evs: bool(of_type(evs, "join_requested")))
    [click] = of_type(events, "join_unguarded")
    [requested] = of_type(events, "join_requested")
    assert requested["unguarded"] is True and requested["click"] == click["id"]
    assert requested["group"]["id"] == "5550003" and requested["source"] == "feed"
    assert browser.status()["scoreboard"]["unguarded"] == 1  # one join, counted once
    assert [u["key"] for u in browser.status()["unjustified"]] == ["facebook:5550003"]
