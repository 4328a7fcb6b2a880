"""A hostile page against the join dialog, in a real Chromium with the real extension, host
and agent: the page's own script (tests/fixtures/sites/linkedin/hostile.html) tries to read
the dialog, forge messages into it, drive it with synthetic input, remove, hide, shrink and
cover it. Nothing of Handful's is read, no decision is made that the user did not make, and no
join goes through but the user's own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser import DIALOG, Browser, dialog, open_dialog

HOSTILE = "https://www.linkedin.com/groups/31337/"
SECRET = "Secret Circle of Founders"
NOTE = "left because the moderator sold our emails"

# What a user sees: the frame shown on top of everything, over the whole window.
IN_VIEW = """() => {
  const f = document.querySelector('[data-handful=join-dialog]');
  if (!f || !f.matches(':popover-open')) return false;
  const style = getComputedStyle(f), box = f.getBoundingClientRect();
  const w = document.documentElement.clientWidth, h = document.documentElement.clientHeight;
  return style.opacity === '1' && style.visibility === 'visible' && style.transform === 'none'
    && box.width >= w - 1 && box.height >= h - 1
    && document.elementFromPoint(w / 2, h / 2) === f && document.elementFromPoint(10, 10) === f;
}"""


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def over_the_cap(browser: Browser) -> Any:
    """A user at their cap, with a membership and a left group's note the page must never
    learn, on the hostile group's page with the dialog open."""
    home = browser.home
    home.ok("config", "set", "cap", "1")
    home.ok("config", "set", "guard.delay_seconds", "1")
    home.ok("groups", "add", "facebook:secret.circle", "--name", SECRET)
    home.ok("groups", "add", "linkedin:31337", "--name", "Growth Secrets")
    home.ok("groups", "leave", "linkedin:31337", "--note", NOTE)
    page = browser.page(HOSTILE)
    page.click("#join")
    d = open_dialog(page)
    # The dialog does hold what the page must not read: the memberships to drop, the note.
    d.locator("select[name=drop] option[value='facebook:secret.circle']").wait_for(
        state="attached")
    assert NOTE in d.locator(".history").inner_text()
    return page


def test_the_page_can_neither_read_nor_drive_the_dialog(browser: Browser) -> None:
    page = over_the_cap(browser)
    d = dialog(page)
    stolen = page.evaluate("attack.read()")
    for secret in (SECRET, NOTE, "You are in", "Don't join", "Growth Secrets?"):
        assert secret not in stolen
    found = json.loads(stolen)
    assert found["contentDocument"] == "null"
    assert found["inner"] == found["name"] == "refused: SecurityError"
    assert found["src"].endswith("/dialog/dialog.html")  # nothing about the user in its URL

    assert page.evaluate("attack.fill()") == "refused: SecurityError"
    page.evaluate("attack.post()")       # forged keys, channels, dialogs and decisions
    page.evaluate("attack.rogue()")      # its own frame of the same extension page
    page.evaluate("attack.synthetic()")  # untrusted clicks and keys
    page.wait_for_function("() => window.rogueTried === true")
    assert d.locator("h2").inner_text() == "Join Growth Secrets?"
    assert page.is_visible(DIALOG)
    events = browser.events()
    assert [e["type"] for e in events if e["type"].startswith("join_")] == ["join_intercepted"]

    # The user's own decision goes through the same channels the forgeries tried, after them.
    d.locator("[data-action=decline]").click()
    events = browser.wait_for_events(lambda evs: bool(of_type(evs, "join_declined")))
    assert [e["type"] for e in events if e["type"].startswith("join_")] == [
        "join_intercepted", "join_declined"]
    # The rogue copy never showed a dialog, nothing ever answered the page on a channel it
    # offered, and the site never saw a join.
    assert page.frame_locator("#rogue").locator("[role=dialog]").count() == 0
    assert page.frame_locator("#rogue").locator("body").inner_html().strip() == ""
    assert page.evaluate("window.heard") == []
    assert page.evaluate("window.joinClicks") == 0


@pytest.mark.parametrize("attack", ["remove", "opacity", "invisible", "shrink", "sheet",
                                    "unpop", "nowhere", "cover", "popover(false)", "modal"])
def test_a_hidden_removed_or_covered_dialog_comes_back(browser: Browser, attack: str) -> None:
    page = over_the_cap(browser)
    page.evaluate(f"attack.{attack}")
    page.wait_for_function(IN_VIEW)  # back: restyled, raised above the page, or made anew
    d = open_dialog(page)
    assert d.locator("h2").inner_text() == "Join Growth Secrets?"
    page.evaluate("attack.stop()")
    d.locator(".covered").wait_for(state="hidden")  # in view long enough: choices count again
    assert page.evaluate("window.joinClicks") == 0
    d.locator("[data-action=decline]").click()
    events = browser.wait_for_events(lambda evs: bool(of_type(evs, "join_declined")))
    assert len(of_type(events, "join_declined")) == len(of_type(events, "join_intercepted")) == 1
    assert page.evaluate("window.joinClicks") == 0


def test_no_choice_counts_while_the_page_keeps_covering_the_dialog(browser: Browser) -> None:
    page = over_the_cap(browser)
    d = dialog(page)
    d.locator("textarea[name=give]").fill("Case studies")
    d.locator("textarea[name=get]").fill("Peers")
    d.locator("select[name=drop]").select_option("facebook:secret.circle")
    d.locator("[data-action=join]:not([disabled])").wait_for()
    # A clickjacking page: a click-through cover put back on top every 30 ms, so the user's
    # click lands on the dialog while they see the page's lure.
    page.evaluate("attack.keepCovering()")
    d.locator(".covered").wait_for(state="visible")
    assert d.locator("[data-action=join]").is_disabled()  # the delay waits while covered
    d.locator("[data-action=decline]").click(force=True)
    d.locator(".error").filter(has_text="covered").wait_for()
    d.locator("[data-action=join]").click(force=True)
    assert page.evaluate("window.joinClicks") == 0
    assert not [e for e in browser.events() if e["type"] in ("join_declined", "join_justified")]

    page.evaluate("attack.stop()")
    d.locator(".covered").wait_for(state="hidden")
    d.locator("[data-action=join]:not([disabled])").wait_for()
    d.locator("[data-action=join]").click()
    page.wait_for_function("() => window.joinClicks === 1")
    events = browser.wait_for_events(lambda evs: bool(of_type(evs, "join_justified")))
    [justified] = of_type(events, "join_justified")
    assert justified["give"] == "Case studies"
    assert justified["drop"]["id"] == "secret.circle"
    assert not of_type(events, "join_declined")
