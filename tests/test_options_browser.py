"""The options page (real Chromium, real host and agent): the limits, the pause, the fast and
what the profile holds; every change lands in the log (read back with the CLI, as a user
would); with the agent away it says why and changes nothing."""

from __future__ import annotations

import json

from tests.browser import Browser
from tests.test_guard_browser import screenshot


def settings(browser: Browser) -> dict[str, int]:
    found: dict[str, int] = json.loads(browser.home.ok("config", "get", "--json"))
    return found


def test_the_options_page_changes_the_limits_the_pause_and_the_fast(browser: Browser) -> None:
    options = browser.extension_page("options/options.html")
    options.set_viewport_size({"width": 1000, "height": 900})
    options.wait_for_selector("body[data-ready]")
    assert options.locator("body").evaluate("e => getComputedStyle(e).backgroundColor") == \
        "rgb(255, 255, 255)"  # light, as the browser prefers (dark: tests/test_look_browser.py)
    screenshot(options, "options.png")
    assert options.input_value("#cap") == "5" and options.input_value("#delay") == "5"
    assert options.input_value("#interval") == "30" and options.is_checked("#everywhere")

    options.fill("#cap", "0")  # out of range: said, nothing sent
    options.click("#save")
    assert "from 1 to 100" in options.inner_text("#saved")
    assert settings(browser)["cap"] == 5

    options.fill("#cap", "3")
    options.fill("#delay", "0")
    options.fill("#interval", "14")
    options.uncheck("#everywhere")
    options.click("#save")
    options.wait_for_selector("#saved:has-text('Saved.')")
    now = settings(browser)
    assert (now["cap"], now["guard.delay_seconds"], now["review.interval_days"],
            now["guard.pause_everywhere"]) == (3, 0, 14, 0)

    options.click("[data-pause='3600']")
    options.wait_for_selector("#pause-state:has-text('Paused until')")
    status = browser.status()
    assert status["guard"]["paused"] is True
    options.click("#resume")
    options.wait_for_selector("#pause-state:has-text('Not paused')")
    assert browser.status()["guard"]["paused"] is False

    options.click("#fast-start")
    options.wait_for_selector("#fast-state:has-text('On a fast until')")
    assert browser.status()["fast"]["active"] is True
    options.click("#fast-stop")
    options.wait_for_selector("#fast-state:has-text('No fast')")
    assert browser.status()["fast"]["active"] is False

    held = options.inner_text("#held")
    assert "sealed" in held and "In memory only" in held

    with browser.agent_kept_away():
        options.reload()
        options.wait_for_selector("body[data-ready]")
        assert options.is_visible("#offline")
        assert "Nothing here can be changed" in options.inner_text("#offline")
        assert options.is_disabled("#save") and options.is_disabled("#cap")
        assert options.is_disabled("#fast-start")
    assert settings(browser)["cap"] == 3


def test_the_popup_opens_the_options_page(browser: Browser) -> None:
    popup = browser.extension_page("popup/popup.html")
    popup.wait_for_selector("body[data-ready]")
    with browser.context.expect_page() as opened:
        popup.click("#open-options")
    page = opened.value
    page.wait_for_selector("body[data-ready]")
    assert page.url.endswith("/options/options.html")
