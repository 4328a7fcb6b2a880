"""How Handful's pages look and behave on screen (real Chromium): the popup fits the 600 px
browsers allow a popup; the dialog's countdown does not move its buttons, and "decide later"
says when it will remind; every page follows a dark preference (the dialog too, inside its
frame on a light site). The README's dark pictures come from here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import Browser, browsing, open_dialog
from tests.conftest import Home
from tests.test_guard_browser import screenshot
from tests.test_popup_browser import GROUP_URL, justify_join, popup_for

POPUP_MOST = 600  # px: Chromium and Firefox cut a popup taller than this


def test_the_busiest_popup_fits_in_600_pixels(browser: Browser) -> None:
    browser.home.ok("groups", "add", "facebook:indie.makers", "--name", "Indie Makers")
    justify_join(browser)
    popup = popup_for(browser, GROUP_URL)
    popup.set_viewport_size({"width": 360, "height": 600})
    popup.click("[data-result=referral_received]")
    popup.wait_for_selector("#figures tr[data-figure=referrals_received]")
    height = popup.evaluate("document.documentElement.scrollHeight")
    assert height <= POPUP_MOST, height


def boxes(d: object) -> list[tuple[float, float, float]]:
    found = []
    for action in ("decline", "later", "join"):
        box = d.locator(f"[data-action={action}]").bounding_box()  # type: ignore[attr-defined]
        found.append((round(box["x"], 1), round(box["y"], 1), round(box["width"], 1)))
    return found


def test_the_countdown_does_not_move_the_buttons_and_later_says_when(browser: Browser) -> None:
    browser.home.ok("config", "set", "guard.delay_seconds", "3")
    page = browser.page(GROUP_URL)
    page.set_viewport_size({"width": 900, "height": 820})
    page.click("#join")
    d = open_dialog(page)
    join = d.locator("[data-action=join]")
    join.filter(has_text="(").wait_for()  # counting down
    during = boxes(d)
    d.locator("[data-action=join]:not([disabled])").wait_for(timeout=10_000)
    assert join.inner_text() == "Join"
    assert boxes(d) == during
    when = d.locator("#later-when").inner_text()
    weekday = page.evaluate(
        "new Date(Date.now() + 86400000).toLocaleString([], {weekday: 'long'})")
    assert "reminds you" in when and weekday in when, when
    assert d.locator("[data-action=later]").get_attribute("aria-describedby") == "later-when"


DARK_PAGE = "rgb(23, 25, 28)"     # ui/page.css's dark --bg
DARK_DIALOG = "rgb(29, 32, 36)"   # dialog.css's dark --bg


def background(page: Any, selector: str = "body") -> str:
    found: str = page.locator(selector).evaluate("e => getComputedStyle(e).backgroundColor")
    return found


@pytest.fixture
def dark(store: Home, tmp_path: Path) -> Iterator[Browser]:
    with browsing(store, tmp_path, color_scheme="dark") as browser:
        yield browser


def test_every_page_follows_a_dark_preference(dark: Browser) -> None:
    browser = dark
    browser.home.ok("groups", "add", "facebook:indie.makers", "--name", "Indie Makers",
                    "--url", "https://www.facebook.com/groups/indie.makers/")
    browser.home.ok("record", "post", "--group", "facebook:indie.makers")
    page = browser.page(GROUP_URL)
    page.set_viewport_size({"width": 900, "height": 820})
    assert background(page) != DARK_PAGE  # the site's own page stays as it is
    page.click("#join")
    d = open_dialog(page)
    assert background(d, ".dialog") == DARK_DIALOG
    screenshot(page, "join-dialog-dark.png")
    d.locator("[data-action=decline]").click()

    popup = popup_for(browser, GROUP_URL)
    popup.set_viewport_size({"width": 360, "height": 600})
    assert background(popup) == DARK_PAGE
    screenshot(popup, "popup-dark.png", full_page=True)
    for path, name in (("review/review.html", "review-dark.png"),
                       ("options/options.html", "options-dark.png"),
                       ("welcome/welcome.html", None)):
        shown = browser.extension_page(path)
        shown.set_viewport_size({"width": 1000, "height": 900})
        shown.wait_for_selector("body[data-ready]")
        assert background(shown) == DARK_PAGE, path
        if name:
            screenshot(shown, name)


def test_every_figure_says_what_it_counts(browser: Browser) -> None:
    browser.home.ok("groups", "add", "facebook:indie.makers", "--name", "Indie Makers")
    browser.home.ok("groups", "add", "facebook:quiet.circle", "--name", "Quiet Circle")
    browser.home.ok("record", "post", "--group", "facebook:indie.makers")
    page = browser.page(GROUP_URL)
    page.click("#join")
    open_dialog(page).locator("[data-action=decline]").click()
    browser.wait_for_events(lambda evs: any(e["type"] == "join_declined" for e in evs))

    review = browser.extension_page("review/review.html")
    review.wait_for_selector("body[data-ready]")
    score = review.inner_text("#scoreboard")
    assert "1 not joined (100% of your decisions)" in score, score
    assert review.locator(".bars .week .n").all_inner_texts()[-1] == "1"  # a number on the bar
    assert "Join attempts per week" in review.get_attribute(".bars", "aria-label")
    busy = review.locator("#groups > li", has_text="Indie Makers")
    chart = busy.locator("svg.months")
    assert chart.locator(".axis").count() == 2  # a baseline and a scale
    label = chart.get_attribute("aria-label")
    assert "on a scale of 0 to 1" in label and "1 posts, comments and events" in label, label
    quiet = review.locator("#groups > li", has_text="Quiet Circle")
    assert quiet.locator("svg").count() == 0  # no empty chart leaving a gap
    assert "Nothing yet" in quiet.inner_text()

    popup = popup_for(browser, GROUP_URL)
    assert "(100% of your decisions)" in popup.inner_text("#scoreboard")
    assert popup.locator("#scoreboard .bars").count() == 0  # the popup keeps to the words
