"""Join controls wherever the sites show them: search results, discover lists, suggestion
cards in the feed, and group pages reached through in-page navigation, back and forward.
Each is caught before the page's own handler runs and named after its own card; nothing
else is. A real Chromium with the real host and agent, fixture pages served as the sites."""

from __future__ import annotations

from typing import Any

from tests.browser import DIALOG, Browser, dialog_gone, open_dialog


def decline(page: Any, selector: str) -> str:
    """Click a join control, read the dialog's title, say no with Escape."""
    page.click(selector)
    d = open_dialog(page)
    title: str = d.locator("h2").inner_text()
    page.keyboard.press("Escape")
    dialog_gone(page)
    return title


def declined(browser: Browser, count: int) -> list[dict[str, Any]]:
    events = browser.wait_for_events(
        lambda evs: sum(e["type"] == "join_declined" for e in evs) >= count)
    return [e for e in events if e["type"] == "join_declined"]


def test_linkedin_search_results(browser: Browser) -> None:
    page = browser.page("https://www.linkedin.com/search/results/groups/?keywords=data")
    page.wait_for_selector("button[data-group='444']")  # cards are rendered late
    assert decline(page, "button[data-group='111']") == "Join Data Engineering Network?"
    assert decline(page, "button[data-group='222'] span") == "Join Analytics Translators?"
    page.click("button[data-group='333']")  # Pending
    page.click("button[data-group='444']")  # View
    assert page.evaluate("window.otherClicks") == 2 and not page.is_visible(DIALOG)
    assert page.evaluate("window.joins") == {}
    events = declined(browser, 2)
    assert [(e["group"]["id"], e["group"]["name"], e["group"]["url"]) for e in events] == [
        ("111", "Data Engineering Network", "https://www.linkedin.com/groups/111/"),
        ("222", "Analytics Translators", "https://www.linkedin.com/groups/222/")]
    sources = {e["source"] for e in browser.events() if e["type"] == "join_intercepted"}
    assert sources == {"search"}


def test_facebook_discover_cards_in_german_loaded_on_scroll(browser: Browser) -> None:
    page = browser.page("https://www.facebook.com/groups/discover/")
    page.wait_for_selector("[data-group='987654321']")
    assert decline(page, "[data-group='987654321']") == "Join Gründer Hamburg?"
    for _ in range(5):  # the rest of the suggestions load as the user scrolls
        page.mouse.wheel(0, 2000)
        page.wait_for_timeout(150)
    page.wait_for_selector("[data-group='berlin.startups']")
    assert decline(page, "[data-group='berlin.startups'] span span") == "Join Berlin Startups?"
    page.click("[data-group='555000111']")   # Beigetreten: already in
    page.click("[data-remove='kochen.mit.freunden']")  # Entfernen: remove the suggestion
    assert page.evaluate("window.otherClicks") == 2 and not page.is_visible(DIALOG)
    assert page.evaluate("window.joins") == {}
    events = declined(browser, 2)
    assert [e["group"]["id"] for e in events] == ["987654321", "berlin.startups"]
    sources = {e["source"] for e in browser.events() if e["type"] == "join_intercepted"}
    assert sources == {"discover"}


def test_a_suggestion_card_in_the_spanish_news_feed(browser: Browser) -> None:
    browser.home.ok("config", "set", "guard.delay_seconds", "0")
    page = browser.page("https://www.facebook.com/")
    page.click("#like")
    page.click("#hide")
    assert page.evaluate("window.otherClicks") == 2 and not page.is_visible(DIALOG)
    page.click("#join")
    d = open_dialog(page)
    assert page.evaluate("window.joins") == {}  # stopped before the page saw it
    d.locator("textarea[name=give]").fill("Experiencia en ventas")
    d.locator("textarea[name=get]").fill("Socios locales")
    d.locator("[data-action=join]").click()
    page.wait_for_function("window.joins['emprendedores.madrid'] === 1")
    events = browser.wait_for_events(lambda evs: any(e["type"] == "join_justified"
                                                     for e in evs))
    [justified] = [e for e in events if e["type"] == "join_justified"]
    assert justified["group"] == {"platform": "facebook", "id": "emprendedores.madrid",
                                  "name": "Emprendedores Madrid",
                                  "url": "https://www.facebook.com/groups/emprendedores.madrid/"}
    page.wait_for_timeout(300)
    assert page.evaluate("window.joins['emprendedores.madrid']") == 1  # exactly once


def test_back_and_forward_between_group_pages_of_a_single_page_app(browser: Browser) -> None:
    page = browser.page("https://www.linkedin.com/feed/spa/")
    page.click("#open-group")
    page.wait_for_selector("h1:text('Stream Processing Guild')")
    page.click("#open-other")
    page.wait_for_selector("h1:text('Kafka Practitioners')")
    assert decline(page, "#join") == "Join Kafka Practitioners?"
    page.go_back()
    assert page.url == "https://www.linkedin.com/groups/24680/"
    page.wait_for_selector("h1:text('Stream Processing Guild')")
    assert decline(page, "#join") == "Join Stream Processing Guild?"
    page.go_forward()
    page.wait_for_selector("h1:text('Kafka Practitioners')")
    page.evaluate("location.hash = 'about'")  # a hash-only change: the same page
    assert decline(page, "#join") == "Join Kafka Practitioners?"
    assert page.evaluate("window.joinClicks") == 0
    events = declined(browser, 3)
    assert [(e["group"]["id"], e["group"]["name"]) for e in events] == [
        ("13579", "Kafka Practitioners"), ("24680", "Stream Processing Guild"),
        ("13579", "Kafka Practitioners")]
