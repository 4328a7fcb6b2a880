"""The extension when the agent cannot start (real Chromium, real host, a real agent that
stops for want of its passphrase): the pages give the agent's own reason and the fix that
works, never "run the installer"; figures it does not have are "unknown", never 0, and the
dialog still asks which group would make room."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import Browser, FixtureSite, launch, open_dialog
from tests.conftest import Home
from tests.test_popup_browser import GROUP_URL, popup_for


@pytest.fixture
def locked_out(store: Home, tmp_path: Path) -> Iterator[Browser]:
    """Chromium started from a session without HANDFUL_PASSPHRASE, for a store that has one:
    the agent the host starts stops at once."""
    bare = Home(store.root, {k: v for k, v in store.env.items() if k != "HANDFUL_PASSPHRASE"})
    site = FixtureSite(tmp_path)
    playwright, context = launch(bare, tmp_path / "profile", site)
    try:
        yield Browser(store, context, site)
    finally:
        context.close()
        playwright.stop()
        site.close()
        store.run("stop")


def test_without_its_passphrase_every_page_says_why_and_how_to_fix_it(
        locked_out: Browser) -> None:
    browser = locked_out
    welcome = browser.extension_page("welcome/welcome.html")
    welcome.wait_for_selector('#agent-state[data-reason="no_passphrase"]', timeout=30_000)
    fix = welcome.inner_text("#agent-fix")
    assert "passphrase" in fix and "HANDFUL_PASSPHRASE" in fix, fix
    assert "this store is protected by a passphrase" in fix  # the agent's own sentence
    assert not welcome.is_visible("#install-help")  # installed: no "run the installer"
    assert "install.sh" not in welcome.inner_text("#agent-help")

    page = browser.page(GROUP_URL)
    page.click("#join")
    d = open_dialog(page)
    count = d.locator("p.count")
    assert count.get_attribute("data-count") == "unknown"
    assert "unknown" in count.inner_text() and "0 of" not in count.inner_text()
    offline = d.locator('p.offline[data-reason="no_passphrase"]')  # once the agent's answer is in
    offline.wait_for(timeout=15_000)
    assert "passphrase" in offline.inner_text()
    drop = d.locator("select[name=drop]")
    assert drop.is_visible()  # over the cap unknown: still asked
    options = drop.locator("option").all_inner_texts()
    assert "None: I am under my cap" in options, options
    d.locator("textarea[name=give]").fill("Answers about data pipelines")
    d.locator("textarea[name=get]").fill("Two clients a year")
    d.locator("[data-action=join]").click(timeout=15_000)  # enabled once the delay ran
    assert "under your cap" in d.locator("p.error").inner_text()
    d.locator("[data-action=decline]").click()

    popup = popup_for(browser, GROUP_URL)
    popup.wait_for_selector('#offline[data-reason="no_passphrase"]')
    assert popup.get_attribute("#membership", "data-membership") == "unknown"
    assert "not a member" not in popup.inner_text("#membership")
    assert "unknown" in popup.inner_text("#count")

    review = browser.extension_page("review/review.html")
    review.wait_for_selector("body[data-ready]")
    assert review.get_attribute("#offline", "data-reason") == "no_passphrase"
    assert "HANDFUL_PASSPHRASE" in review.inner_text("#offline")


def test_without_the_native_host_the_welcome_page_says_to_install_it(
        store: Home, tmp_path: Path) -> None:
    site = FixtureSite(tmp_path)
    playwright, context = launch(store, tmp_path / "profile", site, native_host=False)
    try:
        welcome = Browser(store, context, site).extension_page("welcome/welcome.html")
        welcome.wait_for_selector('#agent-state[data-reason="host_missing"]', timeout=30_000)
        assert welcome.is_visible("#install-help")
        assert "./installers/install.sh" in welcome.inner_text("#install-help")
        assert "handful install" in welcome.inner_text("#agent-fix")
    finally:
        context.close()
        playwright.stop()
        site.close()
