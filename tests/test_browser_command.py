"""`handful browser`: Chromium with Handful loaded in a profile of its own, the host
registered there, and the extension's service worker connected to the agent."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

from tests.bare_browser import devtools_port
from tests.browser import CHROMIUM, EXTENSION_ID
from tests.conftest import Home


def test_handful_browser_opens_chromium_with_the_extension_connected(store: Home) -> None:
    from playwright.sync_api import sync_playwright

    doc = json.loads(store.ok(
        "browser", "--browser", CHROMIUM, "--headless", "--json", "--",
        "--remote-debugging-port=0", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"))
    profile = Path(doc["profile"])
    try:
        port = devtools_port(profile)  # (chosen by the browser: nothing beside can take it)
        manifest = json.loads((profile / "NativeMessagingHosts" / "com.handful.agent.json")
                              .read_text())
        assert f"chrome-extension://{EXTENSION_ID}/" in manifest["allowed_origins"]
        deadline = time.monotonic() + 60
        while True:  # the browser's debugging endpoint answers once it is up
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the browser never listened"
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.connect_over_cdp(f"http://127.0.0.1:{port}", timeout=120_000)
            context = browser.contexts[0]
            worker = next((w for w in context.service_workers if EXTENSION_ID in w.url), None) \
                or context.wait_for_event("serviceworker", timeout=30_000)
            assert worker.url == f"chrome-extension://{EXTENSION_ID}/background.js"
            while True:  # connected: the agent has answered through the host
                cache = worker.evaluate("chrome.storage.session.get('cache').then(r => r.cache)")
                if cache and cache.get("offline") is False:
                    break
                assert time.monotonic() < deadline + 60, cache
                time.sleep(0.2)
            assert cache["cap"] == 5
            browser.close()
    finally:
        os.killpg(doc["pid"], signal.SIGTERM)
        store.run("stop")
    assert json.loads(store.ok("status", "--json"))["agent"]["running"] is False


def test_handful_browser_without_a_browser_says_so(store: Home, tmp_path: Path) -> None:
    result = store.run("browser", "--browser", str(tmp_path / "no-such-browser"))
    assert result.code == 2 and "is not a program that can be run" in result.err
    empty = store.run("browser", extra={"PATH": str(tmp_path)})
    assert empty.code == 2 and "no Chromium or Chrome found" in empty.err
