"""The extension's own pages in a real Chromium with the real host and agent: the popup
(count, the current group's commitment and figures, one-click results), "decide later"
reminders on the badge, the first-run page, and the groups page the popup links to."""

from __future__ import annotations

import json
from typing import Any

from tests.browser import EXTENSION_ID, Browser, open_dialog
from tests.test_guard_browser import screenshot

GROUP_URL = "https://www.linkedin.com/groups/12345/"


def popup_for(browser: Browser, url: str) -> Any:
    """The popup as the toolbar button opens it for the tab showing `url`."""
    popup = browser.extension_page(f"popup/popup.html?tab={browser.tab_id(url + '*')}")
    popup.wait_for_selector("body[data-ready]")
    return popup


def justify_join(browser: Browser) -> Any:
    browser.home.ok("config", "set", "guard.delay_seconds", "0")
    page = browser.page(GROUP_URL)
    page.click("#join")
    d = open_dialog(page)
    d.locator("textarea[name=give]").fill("Answers about data pipelines")
    d.locator("textarea[name=get]").fill("Two clients a year")
    d.locator('input[name=involvement][value="comment"]').check()
    d.locator("[data-action=join]").click()
    browser.wait_for_events(lambda evs: any(e["type"] == "join_requested" for e in evs))
    return page


def figure(popup: Any, name: str) -> str:
    text: str = popup.inner_text(f"#figures tr[data-figure={name}] td")
    return text


def test_the_popup_shows_the_group_and_logs_results_in_one_click(browser: Browser) -> None:
    browser.home.ok("groups", "add", "facebook:indie.makers", "--name", "Indie Makers")
    justify_join(browser)
    popup = popup_for(browser, GROUP_URL)
    assert popup.inner_text("#count") == "You are in 1 of 5 groups."
    assert popup.inner_text("#group-name") == "Data Folk"
    assert popup.inner_text("#membership") == "Join requested."
    commitment = popup.inner_text("[data-commitment]")
    assert "Answers about data pipelines" in commitment and "Two clients a year" in commitment
    assert "Involvement: comment." in commitment
    assert "1 join paused" in popup.inner_text("#scoreboard")

    popup.click("[data-result=referral_received]")
    popup.wait_for_selector("#figures tr[data-figure=referrals_received]")
    assert figure(popup, "referrals_received") == "1"
    popup.fill("#amount", "1500")
    popup.fill("#note", "Pipeline audit for Acme")
    popup.click("[data-result=business]")
    popup.wait_for_selector("#figures tr[data-figure=business_amount]")
    assert figure(popup, "business_amount") == "1500"
    assert popup.inner_text("#logged") == "Business won logged."
    popup.fill("#amount", "-5")  # a mistake: said plainly, nothing logged
    popup.click("[data-result=business]")
    assert popup.inner_text("#logged") == "The amount must be a number, 0 or more."
    popup.fill("#amount", "")
    popup.click("[data-result=meeting]")
    popup.wait_for_selector("#figures tr[data-figure=meetings]")
    popup.set_viewport_size({"width": 360, "height": 600})
    screenshot(popup, "popup.png", full_page=True)

    results = [e for e in browser.events() if e["type"] == "engagement"]
    assert [(e["kind"], e.get("amount"), e.get("note")) for e in results] == [
        ("referral_received", None, None), ("business", 1500, "Pipeline audit for Acme"),
        ("meeting", None, None)]
    assert {e["group"]["id"] for e in results} == {"12345"}
    doc = json.loads(browser.home.ok("groups", "--all", "--json"))
    [group] = [g for g in doc["groups"] if g["key"] == "linkedin:12345"]
    assert group["figures"]["30"]["business_amount"] == 1500

    # The popup's link opens the review: current memberships only (a request is not one).
    with browser.context.expect_page() as opened:
        popup.click("#open-review")
    review = opened.value
    review.wait_for_selector("body[data-ready]")
    assert review.url == f"chrome-extension://{EXTENSION_ID}/review/review.html"
    row = review.locator("[data-group='facebook:indie.makers']")
    assert "Member since" in row.inner_text()
    assert review.locator("[data-group='linkedin:12345']").count() == 0


def test_the_popup_away_from_a_group_and_without_the_agent(browser: Browser) -> None:
    browser.page("https://www.linkedin.com/feed/")
    popup = popup_for(browser, "https://www.linkedin.com/feed/")
    assert popup.inner_text("#count") == "You are in 0 of 5 groups."
    assert popup.is_hidden("#here") and popup.is_hidden("#offline")
    with browser.agent_kept_away():
        browser.page(GROUP_URL)
        popup = popup_for(browser, GROUP_URL)
        assert popup.is_visible("#offline")
        assert popup.inner_text("#group-name") == "Data Folk"  # the page names it
        popup.click("[data-result=event]")
        popup.wait_for_selector("#logged:has-text('Event attended logged.')")
        queued = browser.worker.evaluate(
            "chrome.storage.local.get('queue').then(r => r.queue.map(q => q.sealed.type))")
        assert queued == ["sealed"]  # one, sealed to the agent (tests/test_sealed.py)
        assert browser.events() == []
    events = browser.wait_for_events(lambda evs: len(evs) == 1, timeout=90)
    assert events[0]["kind"] == "event" and events[0]["group"]["id"] == "12345"


def test_decide_later_comes_back_on_the_badge_and_in_the_popup(browser: Browser) -> None:
    page = browser.page(GROUP_URL)
    page.click("#join")
    d = open_dialog(page)
    d.locator("[data-action=later]").click()
    events = browser.wait_for_events(lambda evs: any(e["type"] == "join_deferred"
                                                     for e in evs))
    [deferred] = [e for e in events if e["type"] == "join_deferred"]
    alarm = browser.worker.evaluate("chrome.alarms.get('remind:linkedin:12345')")
    assert abs(alarm["scheduledTime"] / 1000 - _epoch(deferred["remind_at"])) < 2
    # The profile keeps the group's key and the time, never its name or address.
    stored = browser.worker.evaluate(
        "chrome.storage.local.get('reminders').then(r => r.reminders)")
    assert stored == [{"key": "linkedin:12345", "at": deferred["remind_at"], "due": False}]
    assert browser.worker.evaluate("chrome.action.getBadgeText({})") == ""
    # A day later (the alarm's clock moved on): the reminder is due.
    browser.worker.evaluate(
        "chrome.alarms.create('remind:linkedin:12345', {when: Date.now() + 200})")
    page.wait_for_function("1", polling=100)  # let the page breathe while the alarm fires
    deadline_badge = _wait(lambda: browser.worker.evaluate(
        "chrome.action.getBadgeText({})") == "1")
    assert deadline_badge
    popup = popup_for(browser, GROUP_URL)
    item = popup.locator("#reminders li[data-group='linkedin:12345']")
    assert "decide about Data Folk" in item.inner_text()
    assert item.locator("a").get_attribute("href") == GROUP_URL
    item.locator("[data-action=decline]").click()
    popup.wait_for_selector("#waiting", state="hidden")
    events = browser.wait_for_events(lambda evs: any(e["type"] == "join_declined"
                                                     for e in evs))
    [declined] = [e for e in events if e["type"] == "join_declined"]
    assert declined["group"]["id"] == "12345"
    assert _wait(lambda: browser.worker.evaluate("chrome.action.getBadgeText({})") == "")
    assert browser.worker.evaluate("chrome.alarms.get('remind:linkedin:12345')") is None
    assert page.evaluate("window.joinClicks") == 0


def test_the_first_run_page_connects_sets_the_cap_and_reads_the_group_lists(
        browser: Browser) -> None:
    # It opened by itself when the extension was installed (the fixture waited for it).
    assert any(url.endswith("/welcome/welcome.html") for url in browser.settled())
    welcome = browser.extension_page("welcome/welcome.html")
    welcome.wait_for_selector("body[data-ready]")
    assert welcome.inner_text("#agent-state").startswith("Connected")
    assert welcome.inner_text("#known") == "No groups yet."
    assert welcome.locator("#import-hint").is_visible()  # few groups: the export has them
    welcome.fill("#cap", "0")
    welcome.click("#save-cap")
    assert welcome.inner_text("#cap-state") == "The cap is a whole number from 1 to 100."
    welcome.fill("#cap", "3")
    welcome.click("#save-cap")
    welcome.wait_for_selector("#cap-state:has-text('Saved: at most 3 groups.')")
    assert browser.home.ok("config", "get", "cap").strip() == "3"
    with browser.context.expect_page() as opened:
        welcome.click("#open-linkedin")
    listing = opened.value
    listing.wait_for_selector("#groups li")
    assert listing.url == "https://www.linkedin.com/groups/"
    welcome.wait_for_selector("#known:has-text('Handful knows 5 groups you are in (your cap: 3).')",
                              timeout=30_000)
    assert "Data Folk" in welcome.inner_text("#known-list")
    assert not welcome.locator("#import-hint").is_visible()  # five known: enough


def _epoch(ts: str) -> float:
    import datetime

    return datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def _wait(check: Any, timeout: float = 15) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
