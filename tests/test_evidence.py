"""The page is evidence, not authority: a list page reports what it did not list, and the
agent records `left` only when two complete reads an hour apart, both after the join, agree.
In the browser: a hidden Join on a member's page, a list in a window another page opened,
a list prerendered before the user opened it and a page in a background tab change nothing
until the user sees them."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from handful.client import AgentClient
from tests.bare_browser import bare_browsing
from tests.browser import Browser
from tests.conftest import Home

NOW = datetime.now(UTC)


def at(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def group(ident: str) -> dict[str, str]:
    return {"platform": "facebook", "id": ident, "name": ident.title()}


class Agent:
    def __init__(self, home: Home) -> None:
        self.client = AgentClient(home.root / "run")

    def send(self, kind: str, **event: Any) -> dict[str, Any]:
        reply = self.client.send({"id": 1, "type": kind, "event": event})
        assert reply["ok"], reply
        result: dict[str, Any] = reply["result"]
        return result

    def read(self, ident: str, hours_ago: float, *absent: str, total: int = 3,
             listed: int = 3) -> int:
        result = self.send("list_read", id=ident, ts=at(hours_ago), platform="facebook",
                           total=total, listed=listed, absent=[group(a) for a in absent])
        return int(result.get("left", 0))


def statuses(home: Home) -> dict[str, str]:
    doc = json.loads(home.ok("groups", "--all", "--json"))
    return {g["key"]: g["status"] for g in doc["groups"]}


def test_left_only_when_two_complete_reads_an_hour_apart_agree(store: Home) -> None:
    store.ok("start")
    agent = Agent(store)
    try:
        for ident, hours in (("old.one", 5), ("old.two", 5), ("new.one", 1.5)):
            agent.send("joined", id=f"join-{ident.replace('.', '-')}", ts=at(hours),
                       group=group(ident))
        assert agent.read("r1", 3, "old.one", "new.one") == 0   # one read: nothing
        assert agent.read("r2", 2.5, "old.one") == 0  # 30 min later: nothing
        # not read to its end: not evidence, now or later
        assert agent.read("r3", 0.5, "old.one", "old.two", total=4, listed=3) == 0
        assert agent.read("r3b", 0.4, "old.two") == 0
        # r4 comes 2.8 h after r1 and 2.3 h after r2, both lacking old.one: left. old.two
        # was lacking from the incomplete r3 and from r3b, 12 minutes before; new.one from
        # r1, which came before its join.
        assert agent.read("r4", 0.2, "old.one", "old.two", "new.one") == 1
        assert statuses(store) == {"facebook:old.one": "left", "facebook:old.two": "member",
                                   "facebook:new.one": "member"}
        events = json.loads(store.ok("export"))["events"]
        [left] = [e for e in events if e["type"] == "left"]
        assert (left["group"]["id"], left["source"], left["ts"]) == ("old.one", "list_page",
                                                                      at(0.2))
        # The same read arriving again (a retry, another device): nothing more.
        again = agent.client.send({"id": 2, "type": "list_read", "event": {
            "id": "r4", "ts": at(0.2), "platform": "facebook", "total": 3, "listed": 3,
            "absent": [group("old.one"), group("old.two"), group("new.one")]}})
        assert again["result"]["stored"] is False and again["result"]["left"] == 0
        assert sum(e["type"] == "left" for e in json.loads(store.ok("export"))["events"]) == 1
        # Refused at intake: another platform's group in the list, more listed than announced.
        bad = agent.client.send({"id": 3, "type": "list_read", "event": {
            "id": "r5", "platform": "facebook", "total": 1, "listed": 2,
            "absent": [{"platform": "linkedin", "id": "1"}]}})
        assert bad["error"]["code"] == "invalid" and "one platform's groups" in \
            bad["error"]["message"]
    finally:
        agent.client.close()
        store.run("stop")


def test_a_member_page_with_a_hidden_join_records_nothing(browser: Browser) -> None:
    home = browser.home
    home.ok("groups", "add", "facebook:hidden.join", "--name", "Hidden Join")
    page = browser.page("https://www.facebook.com/groups/hidden.join/")
    page.wait_for_timeout(5000)  # the page is looked at 1.5 s and 4 s after it opens
    page.goto("https://www.facebook.com/")  # leaving: the visit is sent after any look
    browser.wait_for_events(lambda evs: any(e.get("kind") == "visit" for e in evs))
    assert not [e for e in browser.events() if e["type"] == "left"]
    assert statuses(home)["facebook:hidden.join"] == "member"


def test_the_list_is_evidence_only_firsthand_and_twice(browser: Browser, tmp_path: Path
                                                       ) -> None:
    home = browser.home
    home.ok("groups", "add", "facebook:gone.group", "--name", "Gone Group", extra={
        "HANDFUL_NOW": at(4)})
    # A list opened by another page's script (window.open): read, imported, but no evidence.
    opener = browser.page("https://www.facebook.com/")
    with browser.context.expect_page() as opened:
        opener.evaluate("window.open('https://www.facebook.com/groups/joins/')")
    opened.value.wait_for_selector("[role=listitem]")
    browser.wait_for_events(lambda evs: sum(e["type"] == "membership_imported"
                                            for e in evs) == 3)
    # Seen firsthand: reported, and one read is not enough.
    browser.page("https://www.facebook.com/groups/joins/")
    events = browser.wait_for_events(lambda evs: any(e["type"] == "list_read" for e in evs))
    [read] = [e for e in events if e["type"] == "list_read"]
    assert (read["total"], read["listed"]) == (3, 3)
    assert [g["id"] for g in read["absent"]] == ["gone.group"]
    assert statuses(home)["facebook:gone.group"] == "member"
    # An hour and more earlier, another complete read lacked it too: now it is left.
    client = AgentClient(home.root / "run")
    try:
        earlier = client.send({"id": 1, "type": "list_read", "event": {
            "id": "earlier-read", "ts": at(2), "platform": "facebook", "total": 3,
            "listed": 3, "absent": [group("gone.group")]}})
        assert earlier["ok"] and earlier["result"]["left"] == 0  # (older than the first)
    finally:
        client.close()
    browser.page("https://www.facebook.com/groups/joins/")
    events = browser.wait_for_events(lambda evs: any(e["type"] == "left" for e in evs))
    [left] = [e for e in events if e["type"] == "left"]
    assert (left["group"]["id"], left["source"]) == ("gone.group", "list_page")
    assert sum(e["type"] == "list_read" for e in browser.events()) == 3  # none from the popup



def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_a_background_tab_is_no_evidence_until_the_user_looks_at_it(store: Home,
                                                                     tmp_path: Path) -> None:
    """A group page offering Join to a member says they left, but only once they see it: a
    tab opened in the background says nothing until it is brought to the front. (Chromium
    unwatched: under Playwright every tab is visible.)"""
    store.ok("groups", "add", "facebook:back.tab", "--name", "Back Tab")
    with bare_browsing(store, tmp_path) as browser:
        tab = browser.tab("https://www.facebook.com/groups/back.tab/", active=False)
        browser.wait_for_get("/report/hidden/")
        opened = time.monotonic()
        # The page is looked at 1.5 s and 4 s after it opens (content/standing.js): both past.
        time.sleep(max(0.0, opened + 5 - time.monotonic()))
        assert not any(path == "/report/visible/" for _, path, _ in browser.site.gets)
        assert not [e for e in browser.events() if e["type"] == "left"]
        assert statuses(store)["facebook:back.tab"] == "member"
        shown = _iso(datetime.now(UTC))
        browser.worker.evaluate("id => chrome.tabs.update(id, {active: true})", tab)
        browser.wait_for_get("/report/visible/")
        events = browser.wait_for_events(lambda evs: any(e["type"] == "left" for e in evs))
        [left] = [e for e in events if e["type"] == "left"]
        assert left["group"]["id"] == "back.tab" and left["ts"] >= shown
        assert statuses(store)["facebook:back.tab"] == "left"


def test_a_prerendered_list_is_no_evidence_until_the_user_opens_it(store: Home,
                                                                   tmp_path: Path) -> None:
    """A page can have the browser render the group list before the user opens it
    (Speculation Rules): the list is read, its groups imported, but it is reported as read
    to its end only once it is shown. (Chromium unwatched: DevTools turns prerendering off.)"""
    store.ok("groups", "add", "facebook:gone.group", "--name", "Gone Group")
    with bare_browsing(store, tmp_path) as browser:
        # What the background hears, and from which kind of document.
        browser.worker.evaluate("""() => { globalThis.heard = [];
            chrome.runtime.onMessage.addListener((message, sender) => {
              globalThis.heard.push([message.kind, sender.documentLifecycle]); }); }""")
        browser.tab("https://www.facebook.com/prerender/", active=True)
        browser.wait_for_get("/groups/joins/", purpose="prerender")
        browser.wait_for_get("/report/prerendering/")
        browser.wait_for_events(lambda evs: sum(e["type"] == "membership_imported"
                                                for e in evs) == 3)
        heard = browser.worker.evaluate("globalThis.heard")
        assert ["import", "prerender"] in heard, heard  # read while prerendered
        assert not [kind for kind, _ in heard if kind == "list_complete"], heard
        assert not [e for e in browser.events() if e["type"] == "list_read"]
        shown = _iso(datetime.now(UTC))
        # The user opens the list: the prerendered page is shown, not loaded again.
        browser.site.flags.add("open-list")
        browser.wait_for_get("/report/shown/activated/")
        assert sum(path == "/groups/joins/" for _, path, _ in browser.site.gets) == 1
        events = browser.wait_for_events(lambda evs: any(e["type"] == "list_read"
                                                         for e in evs))
        [read] = [e for e in events if e["type"] == "list_read"]
        assert read["ts"] >= shown and [g["id"] for g in read["absent"]] == ["gone.group"]
        assert ["list_complete", "active"] in browser.worker.evaluate("globalThis.heard")
