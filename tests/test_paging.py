"""A user with 5,000 groups: every answer the browser gets from the native host fits its
1 MiB, the long lists come in pages, and the extension (cache, review page, dialog) shows
them all."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import Browser, browsing, open_dialog
from tests.conftest import Home
from tests.hostkit import Host
from tests.test_popup_browser import popup_for

FRAME = struct.Struct("=I")
MANY = 5000
MIB = 1 << 20


def many_groups() -> list[dict[str, str]]:
    return [{"platform": "linkedin" if n % 2 else "facebook", "id": f"{900000 + n}",
             "name": f"Group {n:04d} of the many"} for n in range(MANY)]


def test_five_thousand_groups_come_through_the_host_in_pages(store: Home) -> None:
    host = Host(store)
    try:
        imported = host.ask({"id": 1, "type": "memberships_imported", "batch": "many",
                             "groups": many_groups()})
        assert imported["ok"] and imported["result"]["stored"] == MANY, imported
        for kind, fields in (("groups", {"all": True}), ("review", {})):
            keys: list[str] = []
            after, pages = None, 0
            while True:
                reply = host.ask({"id": pages, "type": kind, **fields,
                                  **({"after": after} if after else {})})
                assert reply["ok"], reply
                keys += [g["key"] for g in reply["result"]["groups"]]
                pages += 1
                after = reply["result"]["next"]
                if after is None:
                    break
            assert len(keys) == len(set(keys)) == MANY, kind
            assert pages >= MANY // 250, (kind, pages)
        small = host.ask({"id": 9, "type": "groups", "all": True, "limit": 7})
        assert len(small["result"]["groups"]) == 7 and small["result"]["next"]
        group = host.ask({"id": 10, "type": "group",
                          "group": {"platform": "linkedin", "id": "900001"}})
        assert group["result"]["count"] == MANY and len(group["result"]["members"]) == 200
        assert group["result"]["group"]["group"]["name"] == "Group 0001 of the many"
        stale = host.ask({"id": 11, "type": "groups", "after": "linkedin:nope"})
        assert stale["error"]["code"] == "invalid" and "ask again from the first page" in \
            stale["error"]["message"]
        over = host.ask({"id": 12, "type": "groups", "limit": 1001})
        assert over["error"]["code"] == "invalid"
        # (every frame the browser got was at most 1 MiB: tests/hostkit.py checks each)
    finally:
        host.finish()
        store.run("stop")


@pytest.fixture
def crowded(store: Home, tmp_path: Path) -> Iterator[Browser]:
    host = Host(store)
    try:
        assert host.ask({"id": 1, "type": "memberships_imported", "batch": "many",
                         "groups": many_groups()})["ok"]
    finally:
        host.finish()
    store.ok("config", "set", "guard.delay_seconds", "0")
    with browsing(store, tmp_path) as browser:
        yield browser


def test_the_extension_shows_five_thousand_groups(crowded: Browser) -> None:
    browser = crowded
    page = browser.page("https://www.linkedin.com/groups/12345/")
    popup = popup_for(browser, "https://www.linkedin.com/groups/12345/")
    popup.wait_for_function("document.body.innerText.includes('5000')", timeout=60_000)
    # The cache holds every membership (the refresh asked page after page).
    members = browser.worker.evaluate(
        "chrome.storage.session.get('cache').then(({cache}) => (cache.members || []).length)")
    assert members == MANY
    # The dialog: the count, and a choice of groups to drop (the least recently seen).
    page.click("#join")
    d = open_dialog(page)
    d.locator("select[name=drop] option[value]").nth(1).wait_for(state="attached",
                                                                  timeout=30_000)
    assert "You are in 5000 of 5 groups." in d.locator("[role=dialog]").inner_text()
    options = d.locator("select[name=drop] option[value]:not([value=''])").count()
    assert 200 <= options <= MANY
    # The review page lists them all.
    review = browser.extension_page("review/review.html")
    review.wait_for_selector("body[data-ready]", timeout=120_000)
    assert review.locator("#groups > li").count() == MANY
