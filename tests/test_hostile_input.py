"""A page cannot make Handful count what the user did not do: a reaction counts only from a
"Like" the user can see, time only after the user's own (trusted) input."""

from __future__ import annotations

from tests.browser import Browser
from tests.test_guard_browser import of_type

GHOST = "https://www.facebook.com/groups/ghost.likes/"


def test_invisible_and_tiny_likes_do_not_count_a_visible_one_does(browser: Browser) -> None:
    page = browser.page(GHOST)
    page.wait_for_timeout(300)
    box = page.locator("#bait").bounding_box()
    assert box is not None
    # The user clicks the text they read; the page's invisible "Like" lies on top of it.
    page.mouse.click(box["x"] + 40, box["y"] + box["height"] / 2)
    assert page.evaluate("document.getElementById('ghost-like').getAttribute('aria-pressed')"
                         ) == "true"  # the page got its click
    tiny = page.locator("#tiny-like").bounding_box()
    assert tiny is not None
    page.mouse.click(tiny["x"] + 0.5, tiny["y"] + 0.5)
    page.click("#like")  # a Like the user sees: sent after anything the clicks before sent
    events = browser.wait_for_events(lambda evs: len(of_type(evs, "engagement")) >= 1)
    reactions = [e for e in of_type(events, "engagement") if e["kind"] == "reaction"]
    assert len(reactions) == 1 and reactions[0]["group"]["id"] == "ghost.likes", events


def test_a_page_busy_with_input_of_its_own_earns_no_minutes(browser: Browser) -> None:
    page = browser.page(GHOST + "?busy")
    page.wait_for_timeout(11_500)  # two five-second beats, with synthetic input all along
    page.goto("https://www.facebook.com/")  # leaving ends the visit
    events = browser.wait_for_events(
        lambda evs: any(e.get("kind") == "visit" for e in of_type(evs, "engagement")))
    [visit] = [e for e in of_type(events, "engagement") if e.get("kind") == "visit"]
    assert visit["group"]["id"] == "ghost.likes"
    assert "minutes" not in visit  # visited, but no time counted
    # The same page read by the user (real wheel input): its minutes count.
    page = browser.page(GHOST + "?busy")
    for _ in range(4):
        page.mouse.wheel(0, 200)
        page.wait_for_timeout(3000)
    page.goto("https://www.facebook.com/")
    events = browser.wait_for_events(
        lambda evs: len([e for e in of_type(evs, "engagement") if e.get("kind") == "visit"]) == 2)
    second = [e for e in of_type(events, "engagement") if e.get("kind") == "visit"][-1]
    assert 0.1 <= second["minutes"] <= 0.3
