"""`handful browser`: Chromium with Handful loaded in a profile of its own, the host
registered there, and the extension's service worker connected to the agent."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.bare_browser import Worker, devtools_port
from tests.browser import CHROMIUM, EXTENSION_ID, first_run_over
from tests.conftest import Home
from tests.screen import virtual_screen


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


def alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it has stopped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_browser_that_stops_at_once_is_reported_with_its_reason(store: Home) -> None:
    env = {k: v for k, v in store.env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    no_display = Home(store.root, env)
    result = no_display.run("browser", "--browser", CHROMIUM)
    assert result.code == 1, result
    assert result.out == "" and result.err.count("\n") == 1, result.err
    assert result.err.startswith("handful: the browser stopped at once (exit status ")
    assert "Missing X server or $DISPLAY" in result.err
    assert "run it in a desktop session, or add --headless" in result.err
    profile = store.root / "state" / "browser-profile"
    assert not [p for p in profile.iterdir() if p.name.startswith("tmp")]  # nothing kept


def test_firefox_is_refused_with_how_to_load_handful_there(store: Home) -> None:
    firefox = shutil.which("firefox-esr") or shutil.which("firefox")
    assert firefox, "the test setup installs Firefox ESR"
    result = store.run("browser", "--browser", firefox)
    assert result.code == 2 and result.err.count("\n") == 1, result
    assert "is Firefox" in result.err and "about:debugging" in result.err
    assert "handful extension-path" in result.err


def test_a_headless_browser_says_how_to_stop_it_and_that_works(store: Home) -> None:
    out = store.ok("browser", "--browser", CHROMIUM, "--headless", "--",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync")
    try:
        opened, stop = out.splitlines()
        pid = int(opened.split("(pid ")[1].split(")")[0])
        assert opened.startswith("Opened the browser (pid ")
        assert stop == f"It has no window: stop it with `kill -TERM -{pid}`."
        assert Path(f"/proc/{pid}").exists()
        command = stop.split("`")[1]
        subprocess.run(command, shell=True, check=True)  # as the user would paste it
        deadline = time.monotonic() + 20
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(pid)
    finally:
        with contextlib.suppress(ProcessLookupError, UnboundLocalError):
            os.killpg(pid, signal.SIGKILL)
        store.run("stop")


def test_a_second_handful_browser_opens_a_window_in_the_first(store: Home) -> None:
    """With a display, the browser already open on Handful's profile takes the second
    start over (a new window there): said so. Without a window it cannot: said so, with
    the command that stops it."""
    with virtual_screen() as display:
        shown = Home(store.root, {**store.env, "DISPLAY": display})
        args = ("browser", "--browser", CHROMIUM, "--", "--disable-background-networking",
                "--disable-component-update", "--disable-sync")
        first = json.loads(shown.ok(*args[:3], "--json", *args[3:]))
        try:
            assert first["already_open"] is False and alive(first["pid"])
            again = shown.ok(*args)
            assert again == (f"The browser with Handful's profile was already open (pid "
                             f"{first['pid']}): it opened a new window there.\n")
            headless = shown.run("browser", "--browser", CHROMIUM, "--headless")
            assert headless.code == 1 and headless.err.count("\n") == 1, headless
            assert f"a browser already runs on Handful's profile (pid {first['pid']}" in \
                headless.err and f"`kill -TERM -{first['pid']}`" in headless.err
        finally:
            os.killpg(first["pid"], signal.SIGTERM)
            store.run("stop")
