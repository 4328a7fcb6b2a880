"""Teaching the guard a join button it missed, in a real Chromium with the real extension,
host and agent: the popup's pick mode, the context menu's action, the rule honoured from
then on, kept across a browser restart, and removed on the options page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.browser import DIALOG, Browser, FixtureSite, dialog_gone, launch, open_dialog
from tests.conftest import Home
from tests.test_popup_browser import popup_for

# A join control in markup Handful does not know (tests/fixtures/sites/real/).
UNKNOWN = "https://www.linkedin.com/groups/888001/"


def declined(browser: Browser) -> list[dict[str, Any]]:
    return [e for e in browser.events() if e["type"] == "join_declined"]


def rules(browser: Browser) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = browser.worker.evaluate(
        "chrome.storage.local.get('rules').then(r => r.rules || [])")
    return found


def decline_once_more(browser: Browser, page: Any, count: int) -> None:
    page.click("#become")
    d = open_dialog(page)
    assert d.locator("h2").inner_text() == "Join Redesigned Group?"
    page.keyboard.press("Escape")
    dialog_gone(page)
    browser.wait_for_events(lambda evs: sum(e["type"] == "join_declined" for e in evs) == count)


def test_a_taught_join_button_is_guarded_from_then_on_and_after_a_restart(
        store: Home, tmp_path: Path) -> None:
    site = FixtureSite(tmp_path)
    profile = tmp_path / "profile"
    playwright, context = launch(store, profile, site)
    try:
        browser = Browser(store, context, site)
        browser.settled()
        page = browser.page(UNKNOWN)
        page.click("#become")                   # missed: the site sees it
        assert page.evaluate("window.joinClicks") == 1 and not page.is_visible(DIALOG)

        popup = popup_for(browser, UNKNOWN)
        popup.click("#pick")  # (the answer comes from the page's content script: waited for)
        popup.wait_for_selector("#picked:has-text('Now click the join button')")
        page.bring_to_front()
        page.wait_for_selector("[data-handful=pick-hint]")
        page.click("#become")                   # the pick: chosen, and not a join
        page.wait_for_selector("[data-handful=pick-hint]", state="detached")
        assert page.evaluate("window.joinClicks") == 1
        [rule] = rules(browser)
        assert {k: rule[k] for k in ("platform", "tag", "role", "name", "text")} == {
            "platform": "linkedin", "tag": "div", "role": None, "name": "",
            "text": "become part of it"}

        decline_once_more(browser, page, 1)     # from now on: the dialog, named by the page
        [first] = declined(browser)
        assert first["group"]["id"] == "888001" and first["group"]["name"] == "Redesigned Group"
        assert page.evaluate("window.joinClicks") == 1
    finally:
        context.close()
        playwright.stop()

    # The browser restarted (the same profile): the rule is still there.
    playwright, context = launch(store, profile, site)
    try:
        browser = Browser(store, context, site)
        page = browser.page(UNKNOWN)
        page.wait_for_function("() => window.joinClicks === 0")
        decline_once_more(browser, page, 2)
        assert page.evaluate("window.joinClicks") == 0

        options = browser.extension_page("options/options.html")  # listed, and removed there
        options.wait_for_selector("#rules li")
        assert "LinkedIn: “become part of it”" in options.inner_text("#rules")
        options.click("#rules [data-action=remove-rule]")
        options.wait_for_selector("#rules li", state="detached")
        assert rules(browser) == []
        page.bring_to_front()
        page.click("#become")
        page.wait_for_function("() => window.joinClicks === 1")  # missed again
        assert not page.is_visible(DIALOG)

        # The context menu's "Handful: this is a join button" on the element right-clicked.
        # The browser's own menu cannot be driven headless: its click handler is called as
        # the browser calls it, with the tab the menu opened in.
        page.click("#become", button="right")
        tab = browser.tab_id(UNKNOWN + "*")
        answer = browser.worker.evaluate(
            "tab => teachFromMenu({menuItemId: 'handful-teach', frameId: 0}, {id: tab})", tab)
        assert answer["taught"] is True
        assert [r["text"] for r in rules(browser)] == ["become part of it"]
        decline_once_more(browser, page, 3)
        assert page.evaluate("window.joinClicks") == 1
        menus = browser.worker.evaluate("""new Promise((resolve) =>
            chrome.contextMenus.update('handful-teach', {}, () => resolve(
              chrome.runtime.lastError ? String(chrome.runtime.lastError.message) : 'ok')))""")
        assert menus == "ok"  # the menu item exists
        assert json.loads(store.ok("status", "--json"))["scoreboard"]["intercepted"] == 3
    finally:
        context.close()
        playwright.stop()
        site.close()
        store.run("stop")
