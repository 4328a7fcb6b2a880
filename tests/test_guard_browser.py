"""The join guard in a real Chromium, with the real host and agent, against fixture pages
served as the real sites."""

from __future__ import annotations

from tests.browser import Browser

DIALOG = '[data-handful="join-dialog"]'


def of_type(events: list[dict[str, object]], kind: str) -> list[dict[str, object]]:
    return [e for e in events if e["type"] == kind]


def test_decline_on_linkedin_stops_the_join(browser: Browser) -> None:
    page = browser.page("https://www.linkedin.com/groups/12345/")
    page.click("#join")
    page.wait_for_selector(DIALOG)
    assert page.evaluate("window.joinClicks") == 0
    page.check(f'{DIALOG} input[name=reason][value="invited"]')
    page.click(f"{DIALOG} [data-action=decline]")
    page.wait_for_selector(DIALOG, state="detached")
    events = browser.wait_for_events(lambda evs: bool(of_type(evs, "join_declined")))
    [declined] = of_type(events, "join_declined")
    assert declined["group"] == {"platform": "linkedin", "id": "12345", "name": "Data Folk",
                                 "url": "https://www.linkedin.com/groups/12345/"}
    assert declined["reasons"] == ["invited"]
    assert len(of_type(events, "join_intercepted")) == 1
    assert page.evaluate("window.joinClicks") == 0
