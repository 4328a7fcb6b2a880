"""Chromium with Handful and no automation of its pages: what a tab does when nobody drives it.

Playwright attaches DevTools to every page, and DevTools changes two things the extension
must get right: it turns prerendering off ("PrerenderingDisabledByDevTools") and keeps every
tab visible (a background tab reports `visibilityState` "visible"). Here the browser is
started as a user starts it, with a debugging port only so the test can speak to the
extension's own service worker (never to a page): the tabs are made, switched and navigated
through the extension's `chrome.tabs`, and the pages tell the fixture server what they see.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from handful.install.manifests import write_host
from tests.browser import CHROMIUM, EXTENSION_DIR, EXTENSION_ID, FixtureSite, Logged, first_run_over


class WorkerLost(Exception):
    """The service worker this session was attached to is gone."""


class Worker:
    """The extension's service worker over the DevTools protocol: `evaluate` as Playwright's
    (a function is called with `arg`; a promise is awaited; the value comes back as JSON).
    One session through the browser's own endpoint, attached to the worker alone."""

    def __init__(self, port: int, extension_id: str | None = EXTENSION_ID) -> None:
        """`extension_id` None: whichever extension is loaded (a store package has an id of
        the browser's choosing)."""
        self._port = port
        self._prefix = f"chrome-extension://{extension_id or ''}"
        self._loop = asyncio.new_event_loop()
        self._count = 0
        self._session_id = ""
        self._loop.run_until_complete(self._connect())
        self._loop.run_until_complete(self._attach())

    async def _connect(self) -> None:
        self._http = aiohttp.ClientSession()
        deadline = time.monotonic() + 60
        while True:  # the browser listens once it is up
            try:
                answer = await self._http.get(f"http://127.0.0.1:{self._port}/json/version")
                version = await answer.json()
                break
            except aiohttp.ClientConnectionError:
                assert time.monotonic() < deadline, "the browser never listened"
                await asyncio.sleep(0.1)
        self._ws = await self._http.ws_connect(version["webSocketDebuggerUrl"], max_msg_size=0)

    async def _attach(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            targets = (await self._call("Target.getTargets"))["targetInfos"]
            found = [t for t in targets if t["type"] == "service_worker"
                     and t["url"].startswith(self._prefix)]
            # Seen here: evaluating in the worker before its first run has opened the welcome
            # page takes the extension down ("target crashed", never started again).
            welcome = [t for t in targets if t["url"].endswith("/welcome/welcome.html")]
            if found and welcome:
                break
            assert time.monotonic() < deadline, targets
            await asyncio.sleep(0.1)
        attached = await self._call("Target.attachToTarget", {
            "targetId": found[0]["targetId"], "flatten": True})
        self._session_id = attached["sessionId"]

    async def _call(self, method: str, params: dict[str, Any] | None = None,
                    session: str = "") -> dict[str, Any]:
        self._count += 1
        ask: dict[str, Any] = {"id": self._count, "method": method, "params": params or {}}
        if session:
            ask["sessionId"] = session
        await self._ws.send_json(ask)
        while True:
            message = await asyncio.wait_for(self._ws.receive_json(), 30)
            if message.get("method") == "Inspector.targetCrashed" and session and \
                    message.get("sessionId") == session:
                raise WorkerLost
            if message.get("id") == self._count:
                break
        assert "error" not in message, message
        result: dict[str, Any] = message["result"]
        return result

    async def _evaluate(self, expression: str, arg: Any) -> Any:
        wrapped = (f"(async () => {{ const f = ({expression}); return typeof f === 'function'"
                   f" ? await f({json.dumps(arg)}) : await f; }})()")
        result = await self._call("Runtime.evaluate", {
            "expression": wrapped, "awaitPromise": True, "returnByValue": True},
            self._session_id)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        return self._loop.run_until_complete(self._evaluate(expression, arg))

    def close(self) -> None:
        async def closing() -> None:
            await self._ws.close()
            await self._http.close()
        self._loop.run_until_complete(closing())
        self._loop.close()


@dataclass
class BareBrowser(Logged):
    site: FixtureSite
    worker: Worker

    def wait_for_get(self, path: str, *, purpose: str = "", timeout: float = 20) -> None:
        """Until a page asked the fixture server for `path` (with a Sec-Purpose holding
        `purpose`, when given)."""
        deadline = time.monotonic() + timeout
        while not any(got == path and purpose in said for _, got, said in self.site.gets):
            assert time.monotonic() < deadline, self.site.gets
            time.sleep(0.05)

    def tab(self, url: str, *, active: bool) -> int:
        found: int = self.worker.evaluate(
            "([url, active]) => chrome.tabs.create({url, active}).then(t => t.id)",
            [url, active])
        return found


def devtools_port(profile: Path, alive: Callable[[], bool] = lambda: True,
                  timeout: float = 60) -> int:
    """The port a Chromium started with `--remote-debugging-port=0` chose, from its profile
    (no port picked in advance that a test running beside this one could take first)."""
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while not (port_file.exists() and port_file.read_text().strip()):
        assert alive(), "Chromium did not start"
        assert time.monotonic() < deadline, "Chromium gave no debugging port"
        time.sleep(0.05)
    return int(port_file.read_text().split()[0])


@contextlib.contextmanager
def bare_browsing(store: Any, tmp_path: Path) -> Iterator[BareBrowser]:
    """Chromium with Handful on the store's home, started as a user starts it, the fixture
    sites served; the first run's welcome page has talked to the agent before it yields."""
    site = FixtureSite(tmp_path)
    profile = tmp_path / "profile"
    write_host(profile / "NativeMessagingHosts", chrome=[EXTENSION_ID])
    rules = (f"MAP www.linkedin.com 127.0.0.1:{site.port}, "
             f"MAP www.facebook.com 127.0.0.1:{site.port}")
    process = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-port=0",
         f"--disable-extensions-except={EXTENSION_DIR}", f"--load-extension={EXTENSION_DIR}",
         f"--host-resolver-rules={rules}", "--ignore-certificate-errors", "about:blank"],
        env=store.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    worker = None
    try:
        worker = Worker(devtools_port(profile, alive=lambda: process.poll() is None))
        first_run_over(worker)
        yield BareBrowser(store, site, worker)
    finally:
        if worker is not None:
            worker.close()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        site.close()
        store.run("stop")
