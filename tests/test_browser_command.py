"""`handful browser`: Chromium with Handful loaded in a profile of its own, the host
registered there, and the extension's service worker connected to the agent."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from tests.bare_browser import Worker, devtools_port
from tests.browser import CHROMIUM, EXTENSION_ID, first_run_over
from tests.conftest import Home


def first_run_over_cache(worker: Worker) -> dict[str, Any]:
    """The extension's cache once the first run is over: connected, the agent answered."""
    first_run_over(worker, timeout=90)
    found: dict[str, Any] = worker.evaluate(
        "chrome.storage.session.get('cache').then(r => r.cache)")
    return found


def test_handful_browser_opens_chromium_with_the_extension_connected(store: Home) -> None:
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
        # The extension's own service worker, over the browser's DevTools endpoint (Playwright
        # attaching to every page of a browser it did not start was seen to time out under load)
        worker = Worker(port)
        try:
            cache = first_run_over_cache(worker)
        finally:
            worker.close()
        assert cache["cap"] == 5
    finally:
        os.killpg(doc["pid"], signal.SIGTERM)
        store.run("stop")
    assert json.loads(store.ok("status", "--json"))["agent"]["running"] is False


def test_handful_browser_without_a_browser_says_so(store: Home, tmp_path: Path) -> None:
    result = store.run("browser", "--browser", str(tmp_path / "no-such-browser"))
    assert result.code == 2 and "is not a program that can be run" in result.err
    empty = store.run("browser", extra={"PATH": str(tmp_path)})
    assert empty.code == 2 and "no Chromium or Chrome found" in empty.err
