"""The monthly review in the real browser: due (the log's history says so) on the badge and
in the popup; the review page lists each group with its figures and advice, the same as
`handful review --json`; deciding "leave" opens the group, and its page in the "not a
member" state records `left`; the review is then not due."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.browser import DIALOG, Browser, open_dialog
from tests.support.exports import FacebookExport, Membership, write_zip
from tests.test_guard_browser import screenshot
from tests.test_popup_browser import popup_for

GROUP_URL = "https://www.linkedin.com/groups/12345/"


def days_ago(days: float) -> dict[str, str]:
    when = datetime.now(UTC) - timedelta(days=days)
    return {"HANDFUL_NOW": when.strftime("%Y-%m-%dT%H:%M:%SZ")}


def badge(browser: Browser) -> str:
    text: str = browser.worker.evaluate("chrome.action.getBadgeText({})")
    return text


def test_the_review_from_badge_to_leaving_a_group(browser: Browser) -> None:
    home = browser.home
    home.ok("groups", "add", "linkedin:12345", "--name", "Data Folk",
            "--url", GROUP_URL, extra=days_ago(70))
    home.ok("groups", "add", "facebook:indie.makers", "--name", "Indie Makers",
            extra=days_ago(70))
    for day, kind in ((50, "post"), (30, "comment"), (20, "referral_received"), (8, "post"),
                      (3, "comment")):
        home.ok("record", kind, "--group", "facebook:indie.makers", extra=days_ago(day))
    home.ok("record", "visit", "--group", "linkedin:12345", "--minutes", "3",
            extra=days_ago(40))

    browser.page("https://www.linkedin.com/feed/")
    popup = popup_for(browser, "https://www.linkedin.com/feed/")
    assert popup.inner_text("#review") == "Your group review is due."
    assert popup.inner_text("#open-review") == "Your review is due: open it"
    assert browser.worker.evaluate("chrome.action.getBadgeText({})") == "!"

    with browser.context.expect_page() as opened:
        popup.click("#open-review")
    review = opened.value
    review.wait_for_selector("body[data-ready]")
    review.set_viewport_size({"width": 900, "height": 800})
    rows = review.locator("#groups > li")
    assert rows.count() == 2
    shown = [(rows.nth(i).get_attribute("data-group"),
              rows.nth(i).get_attribute("data-recommendation"),
              rows.nth(i).locator(".advice").inner_text()) for i in range(2)]
    cli = json.loads(home.ok("review", "--json"))
    assert shown == [(g["key"], g["recommendation"], g["reason"]) for g in cli["groups"]]
    assert shown[0][:2] == ("linkedin:12345", "leave")
    assert shown[1][:2] == ("facebook:indie.makers", "keep")
    keep = review.locator("[data-group='facebook:indie.makers']")
    assert keep.locator("tr[data-figure=posts] td").all_inner_texts() == ["1", "2", "2"]
    assert keep.locator("svg.months rect").count() == 18  # six months, three bars each
    assert "Your review is due" in review.inner_text("#due")
    screenshot(review, "review.png")

    keep.locator("[data-decision=keep]").click()
    with browser.context.expect_page() as left_page:
        review.locator("[data-group='linkedin:12345'] [data-decision=leave]").click()
    group_page = left_page.value
    group_page.wait_for_load_state()
    assert group_page.url == GROUP_URL
    # The fixture page offers "Join": the user is no longer a member, and it is recorded.
    events = browser.wait_for_events(lambda evs: any(e["type"] == "left" for e in evs))
    [left] = [e for e in events if e["type"] == "left"]
    assert left["group"]["id"] == "12345" and left["source"] == "group_page"
    decisions = [(e["group"]["id"], e["decision"]) for e in events
                 if e["type"] == "review_decision"]
    assert sorted(decisions) == [("12345", "leave"), ("indie.makers", "keep")]
    assert group_page.evaluate("window.joinClicks") == 0

    after = json.loads(home.ok("review", "--json"))
    assert after["due"] is False and [g["key"] for g in after["groups"]] == [
        "facebook:indie.makers"]
    popup = popup_for(browser, "https://www.linkedin.com/feed/")
    assert popup.inner_text("#review").startswith("Next review:")
    assert badge(browser) == ""
    assert "1 group left" in popup.inner_text("#scoreboard")


def test_pausing_the_guard_and_a_networking_fast(browser: Browser) -> None:
    home = browser.home
    assert "The join guard is paused until" in home.ok("pause", "1h")  # through the agent
    page = browser.page(GROUP_URL)
    popup = popup_for(browser, GROUP_URL)  # any status answer brings the extension up to date
    assert popup.inner_text("#paused").startswith("The join guard is paused until")
    page.bring_to_front()
    page.click("#join")
    page.wait_for_function("window.joinClicks === 1")  # paused: the site sees the click
    assert not page.is_visible(DIALOG)

    assert home.ok("resume").strip() == "The join guard is back."
    assert "A 14-day networking fast starts now" in home.ok("fast", "start")
    fresh = browser.page(GROUP_URL)
    popup = popup_for(browser, GROUP_URL)
    assert popup.is_hidden("#paused")
    assert popup.inner_text("#fast").startswith("Networking fast: 14 days left.")
    fresh.bring_to_front()
    fresh.click("#join")
    fresh_d = open_dialog(fresh)
    fresh_d.locator(".fast").wait_for(state="visible")
    banner = fresh_d.locator(".fast").inner_text()
    assert banner.startswith("You are on a networking fast until 20")
    assert fresh.evaluate("window.joinClicks") == 0
    status = json.loads(home.ok("status", "--json"))
    assert status["fast"]["active"] is True and status["guard"]["paused"] is False


def test_a_group_missing_from_the_whole_list_is_reported_to_the_agent(browser: Browser
                                                                      ) -> None:
    """The list read to its end reports the memberships it lacks; one read decides nothing
    (tests/test_evidence.py: two, an hour apart)."""
    home = browser.home
    home.ok("groups", "add", "facebook:gone.group", "--name", "Gone Group")
    home.ok("groups", "add", "facebook:555", "--name", "Indie Makers")  # listed by its slug
    home.ok("groups", "add", "linkedin:777", "--name", "Elsewhere")   # another site's
    browser.page("https://www.facebook.com/groups/joins/")  # "All groups you've joined (3)"
    events = browser.wait_for_events(lambda evs: any(e["type"] == "list_read" for e in evs))
    [read] = [e for e in events if e["type"] == "list_read"]
    assert [g["id"] for g in read["absent"]] == ["gone.group"]
    browser.wait_for_events(lambda evs: sum(e["type"] == "membership_imported"
                                            for e in evs) == 3)
    groups = {g["key"] for g in json.loads(home.ok("groups", "--json"))["groups"]}
    assert groups == {"facebook:555", "linkedin:777", "facebook:growth.hackers",
                      "facebook:123456789", "facebook:indie.makers", "facebook:gone.group"}
    assert not [e for e in browser.events() if e["type"] == "left"]


def review_from_popup(browser: Browser) -> Any:
    """The review page as the popup's "open it" link opens it, ready."""
    browser.page("https://www.linkedin.com/feed/")
    popup = popup_for(browser, "https://www.linkedin.com/feed/")
    with browser.context.expect_page() as opened:
        popup.click("#open-review")
    review = opened.value
    review.wait_for_selector("body[data-ready]")
    return review


def test_leaving_a_group_handful_has_no_address_for_opens_its_page(browser: Browser) -> None:
    """A membership told to Handful by hand has no page address: "leave" opens the group's
    page built from its id, and says how to record a leave made in the app."""
    home = browser.home
    home.ok("groups", "add", "facebook:quiet.circle", "--name", "Quiet Circle",
            extra=days_ago(70))
    review = review_from_popup(browser)
    row = review.locator("[data-group='facebook:quiet.circle']")
    assert row.get_attribute("data-recommendation") == "leave"
    with browser.context.expect_page() as left_page:
        row.locator("[data-decision=leave]").click()
    group_page = left_page.value
    group_page.wait_for_load_state()
    assert group_page.url == "https://www.facebook.com/groups/quiet.circle/"
    said = row.locator(".decided").inner_text()
    assert said.startswith("Decided: leave. Leave it on the page that opened;")
    assert "Run handful groups leave facebook:quiet.circle." in said


def test_the_commitment_given_with_deepen_shows_in_the_popup_and_the_review(
        browser: Browser) -> None:
    home = browser.home
    home.ok("groups", "add", "linkedin:12345", "--name", "Data Folk", "--url", GROUP_URL,
            extra=days_ago(70))
    home.ok("record", "referral_received", "--group", "linkedin:12345", extra=days_ago(20))
    home.ok("record", "post", "--group", "linkedin:12345", extra=days_ago(0.01))
    review = review_from_popup(browser)
    row = review.locator("[data-group='linkedin:12345']")
    assert row.get_attribute("data-recommendation") == "deepen"
    row.locator("[data-decision=deepen]").click()
    row.locator("textarea[name=commitment]").fill("Answer one question a week")
    row.locator("[data-action=confirm-deepen]").click()
    browser.wait_for_events(lambda evs: any(e["type"] == "review_decision" for e in evs))
    [entry] = json.loads(home.ok("review", "--json"))["groups"]
    assert entry["pledge"]["note"] == "Answer one question a week"
    assert entry["pledge"]["kept"] is False
    assert "(deepen): Answer one question a week (nothing given there since)" in home.ok(
        "review")
    # The post an hour before the decision does not keep it.
    page = browser.page(GROUP_URL)
    popup = popup_for(browser, GROUP_URL)
    pledge = popup.locator("[data-pledge]")
    assert pledge.get_attribute("data-pledge") == "open"
    assert pledge.inner_text().startswith("Your commitment of ")
    assert "Answer one question a week" in pledge.inner_text()
    assert "Not kept yet: no post, comment or event there since." in pledge.inner_text()

    home.ok("record", "comment", "--group", "linkedin:12345")
    page.bring_to_front()
    popup = popup_for(browser, GROUP_URL)
    assert popup.locator("[data-pledge]").get_attribute("data-pledge") == "kept"
    # (the fixture's group page offers "Join": the visit recorded the group as left)
    [shown] = json.loads(home.ok("groups", "--all", "--json"))["groups"]
    assert shown["pledge"]["note"] == "Answer one question a week"
    assert shown["pledge"]["kept"] is True


def test_few_groups_suggest_the_import_and_what_it_brought_shows_in_the_popup_and_review(
        browser: Browser, tmp_path: Path) -> None:
    """A user with one group known: the welcome page and the review suggest importing
    Facebook's export; once imported, the popup, the review and the welcome page say what it
    brought, the review lists its groups with their posts, and nothing suggests it again."""
    home = browser.home
    home.ok("groups", "add", "linkedin:12345", "--name", "Data Folk", "--url", GROUP_URL,
            extra=days_ago(70))
    welcome = browser.extension_page("welcome/welcome.html")
    welcome.wait_for_selector("body[data-ready]")
    assert welcome.locator("#import-hint").is_visible()
    assert "handful import facebook PATH" in welcome.locator("#import-hint code").inner_text()
    assert welcome.locator("#imported p").count() == 0
    review = review_from_popup(browser)
    assert review.locator("#import-hint").is_visible()
    assert review.locator("#imported p").count() == 0

    day = 86400
    now = int(time.time())
    export = FacebookExport(
        memberships=[Membership("Indie Makers", now - 900 * day),
                     Membership("Café Rust Paris", now - 800 * day, now - 400 * day),
                     Membership("Ærø Løbere", now - 300 * day)],
        posts=[("Indie Makers", now - 40 * day), ("Indie Makers", now - 10 * day)],
        comments=[("Ærø Løbere", now - 5 * day)])
    archive = write_zip(tmp_path / "facebook-zoe-2026.zip", export.files())
    assert json.loads(home.ok("import", "facebook", str(archive), "--json",
                              timeout=60))["committed"] is True
    [done] = json.loads(home.ok("status", "--json"))["imports"]["done"]
    # 3 joins, 1 leave, 2 posts, 1 comment; the 3 groups, 2 of them still yours
    assert {k: done[k] for k in ("platform", "events", "groups", "member_of")} == {
        "platform": "facebook", "events": 7, "groups": 3, "member_of": 2}
    said = (f"From your Facebook export, imported {done['at'][:10]}: 3 groups (still a member "
            "of 2) and 7 entries: joins, leaves, posts, comments.")

    popup = popup_for(browser, "https://www.linkedin.com/feed/")
    assert popup.inner_text("#imported") == said
    assert popup.inner_text("#count") == "You are in 3 of 5 groups."

    review.reload()
    review.wait_for_selector("body[data-ready]")
    assert review.inner_text("#imported") == said
    assert not review.locator("#import-hint").is_visible()
    names = review.locator("#groups > li h2").all_inner_texts()
    assert sorted(name.split("\n")[-1].strip() for name in names) == [
        "Data Folk", "Indie Makers", "Ærø Løbere"], names
    makers = review.locator("#groups > li", has_text="Indie Makers")
    assert makers.locator("tr[data-figure=posts] td").all_inner_texts() == ["1", "2", "2"]

    welcome.reload()
    welcome.wait_for_selector("body[data-ready]")
    assert welcome.inner_text("#imported") == said
    assert not welcome.locator("#import-hint").is_visible()
