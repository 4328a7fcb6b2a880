"""A real Chromium with the real extension, the real native host and agent, and fixture
pages served as www.linkedin.com and www.facebook.com from loopback (see TESTING.md)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import shutil
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from handful.identity import CHROME_ID
from handful.install.manifests import write_host

ROOT = Path(__file__).resolve().parent.parent
EXTENSION_DIR = ROOT / "extension"
EXTENSION_ID = CHROME_ID
FIXTURES = ROOT / "tests" / "fixtures" / "sites"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# (host, path) -> fixture file
ROUTES = {
    ("www.linkedin.com", "/groups/12345/"): "linkedin/group.html",
    ("www.facebook.com", "/groups/growth.hackers/"): "facebook/group.html",
    ("www.linkedin.com", "/feed/"): "linkedin/feed.html",
    ("www.linkedin.com", "/groups/"): "linkedin/my-groups.html",
    ("www.linkedin.com", "/feed/spa/"): "linkedin/spa.html",
    ("www.facebook.com", "/groups/joins/"): "facebook/joins.html",
    ("www.facebook.com", "/groups/indie.makers/"): "facebook/group-member.html",
    ("www.linkedin.com", "/search/results/groups/"): "linkedin/search.html",
    ("www.facebook.com", "/groups/discover/"): "facebook/discover.html",
    ("www.facebook.com", "/"): "facebook/home.html",
    ("www.linkedin.com", "/groups/31337/"): "linkedin/hostile.html",
    # Rebuilt from public evidence of the real sites (FIELD-NOTES, "What the real pages do")
    ("www.linkedin.com", "/groups/discover/"): "real/linkedin-discover.html",
    ("www.linkedin.com", "/groups/777001/"): "real/linkedin-group-open.html",
    ("www.linkedin.com", "/groups/777002/"): "real/linkedin-group-request.html",
    ("www.facebook.com", "/search/groups/"): "real/facebook-search.html",
    ("www.facebook.com", "/groups/answers.first/"): "real/facebook-group-anyway.html",
    **{("www.linkedin.com", f"/groups/88800{n}/"): "real/linkedin-group-unknown.html"
       for n in range(1, 6)},
    ("www.linkedin.com", "/groups/888009/"): "real/linkedin-group-unavailable.html",
    # Joins the guard cannot see: the sites' own join requests (tests/test_missed_joins.py)
    ("www.linkedin.com", "/groups/777005/"): "missed/linkedin-group-icon.html",
    ("www.facebook.com", "/groups/quiet.makers/"): "missed/facebook-group-icon.html",
    ("www.facebook.com", "/groups/kind.founders/"): "missed/facebook-group-vanity.html",
    ("www.facebook.com", "/groups/feed/"): "missed/facebook-groups-feed.html",
    ("www.facebook.com", "/bench/busy-feed/"): "missed/facebook-busy-feed.html",
    # A hostile page: invisible controls and input of its own (tests/test_hostile_input.py)
    ("www.facebook.com", "/groups/ghost.likes/"): "hostile/facebook-group-ghost.html",
    ("www.facebook.com", "/groups/hidden.join/"): "hostile/facebook-group-hidden-join.html",
    ("www.facebook.com", "/prerender/"): "hostile/facebook-prerender.html",
    ("www.facebook.com", "/groups/back.tab/"): "hostile/facebook-group-background.html",
}
# Response headers of some fixtures: the hostile page allows frames of its own origin only,
# as a site's Content-Security-Policy may.
HEADERS = {
    "linkedin/hostile.html": {
        "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                                   "style-src 'self' 'unsafe-inline'; frame-src 'self'; "
                                   "child-src 'self'"},
}


def self_signed(folder: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "handful test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("www.linkedin.com"), x509.DNSName("www.facebook.com")]),
                critical=False)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


class FixtureSite:
    """An HTTPS server on 127.0.0.1 answering for the real sites' host names."""

    def __init__(self, folder: Path) -> None:
        self.context = self_signed(folder)
        self.port = 0
        # The sites' API calls the fixtures make (POST): what each got, and the status they
        # are answered with (a test may make them fail).
        self.posts: list[tuple[str, str, bytes]] = []
        # The pages asked for: host, path and the request's Sec-Purpose (a prerender says so).
        self.gets: list[tuple[str, str, str]] = []
        # Flags a test raises for a fixture page's script to see (GET /flag/<name>/).
        self.flags: set[str] = set()
        self.post_status = 200
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    async def _page(self, request: web.Request) -> web.StreamResponse:
        host = request.headers.get("Host", "").split(":")[0]
        path = request.path if request.path.endswith("/") else request.path + "/"
        if path.startswith("/flag/"):
            return web.Response(text="yes" if path.split("/")[2] in self.flags else "no")
        name = ROUTES.get((host, path))
        self.gets.append((host, path, request.headers.get("Sec-Purpose", "")))
        if name is None:
            return web.Response(status=404, text="not a fixture")
        return web.Response(body=(FIXTURES / name).read_bytes(), content_type="text/html",
                            headers=HEADERS.get(name, {}))

    async def _api(self, request: web.Request) -> web.StreamResponse:
        host = request.headers.get("Host", "").split(":")[0]
        self.posts.append((host, request.path_qs, await request.read()))
        return web.json_response({"data": {}}, status=self.post_status)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._page)
        app.router.add_post("/{tail:.*}", self._api)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self.context)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def first_run_over(worker: Any, timeout: float = 30) -> list[str]:
    """Wait for the first run to be over: the extension has opened its welcome tab by itself
    and exchanged its first messages with the agent. Returns the tabs' URLs."""
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, Any] = worker.evaluate("""async () => ({
            tabs: (await chrome.tabs.query({})).map(t => [t.url || t.pendingUrl, t.status]),
            offline: ((await chrome.storage.session.get("cache")).cache || {}).offline })""")
        welcome = [status for url, status in found["tabs"]
                   if url and url.endswith("/welcome/welcome.html")]
        if welcome == ["complete"] and found.get("offline") is False:
            return [url or "" for url, _ in found["tabs"]]
        assert time.monotonic() < deadline, found
        time.sleep(0.1)


@dataclass
class Logged:
    """What a test reads of the log, through the CLI as a user would."""

    home: Any  # tests.conftest.Home

    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = json.loads(self.home.ok("export"))["events"]
        return events

    def groups(self) -> list[dict[str, Any]]:
        """Every group the log knows, as `handful groups --all --json` lists them."""
        found: list[dict[str, Any]] = json.loads(
            self.home.ok("groups", "--all", "--json"))["groups"]
        return found

    def status(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.home.ok("status", "--json"))
        return found

    def wait_for_events(self, check: Callable[[list[dict[str, Any]]], bool],
                        timeout: float = 20) -> list[dict[str, Any]]:
        """Poll the log (through the CLI, as a user would) until `check` holds."""
        deadline = time.monotonic() + timeout
        while True:
            events = self.events()
            if check(events):
                return events
            assert time.monotonic() < deadline, f"not in the log in time: {events}"
            time.sleep(0.2)


@dataclass
class Browser(Logged):
    context: Any
    site: FixtureSite

    @property
    def worker(self) -> Any:
        """The extension's service worker (its background), to look at what it keeps."""
        workers = self.context.service_workers
        return workers[0] if workers else self.context.wait_for_event("serviceworker")

    def extension_page(self, path: str) -> Any:
        return self.page(f"chrome-extension://{EXTENSION_ID}/{path}")

    def tab_id(self, url: str) -> int:
        """The browser's id for the tab showing `url` (the popup is opened for a tab)."""
        found: int = self.worker.evaluate(
            "url => chrome.tabs.query({url}).then(tabs => tabs[0].id)", url)
        return found

    def settled(self, timeout: float = 30) -> list[str]:
        """Wait for the first run to be over (see `first_run_over`)."""
        return first_run_over(self.worker, timeout)

    @contextlib.contextmanager
    def agent_kept_away(self) -> Iterator[None]:
        """The agent stopped and unable to start again (something else holds the store, as
        when the keyring is locked) until the block ends. The extension restarts the agent
        whenever it asks, so stopping and blocking are retried until the block holds."""
        from handful.errors import StoreBusy
        from handful.filelock import WriterLock

        blocker = WriterLock(self.home.state / "writer.lock")
        for _ in range(20):
            self.home.run("stop")
            try:
                blocker.acquire(timeout=0.5)
                break
            except StoreBusy:
                continue
        else:
            raise AssertionError("the agent kept coming back")
        try:
            yield
        finally:
            blocker.release()

    def page(self, url: str) -> Any:
        page = self.context.new_page()
        page.goto(url)
        return page


def launch(home: Any, user_data: Path, site: FixtureSite, *, extension: bool = True,
           extension_dir: Path = EXTENSION_DIR, native_host: bool = True,
           color_scheme: str = "light", args: list[str] | None = None) -> Any:
    """`native_host=False`: the host not registered, as before `handful install`;
    `color_scheme`: what the browser tells pages the user prefers ("light", "dark");
    `args`: more of Chromium's switches (`--lang=fr`)."""
    from playwright.sync_api import sync_playwright

    if native_host:
        write_host(user_data / "NativeMessagingHosts", chrome=[EXTENSION_ID])
    playwright = sync_playwright().start()
    rules = (f"MAP www.linkedin.com 127.0.0.1:{site.port}, "
             f"MAP www.facebook.com 127.0.0.1:{site.port}")
    env = {k: v for k, v in home.env.items()}
    context = playwright.chromium.launch_persistent_context(
        str(user_data), executable_path=CHROMIUM, headless=True, env=env,
        color_scheme=color_scheme,
        args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              *([f"--disable-extensions-except={extension_dir}",
                 f"--load-extension={extension_dir}"] if extension else []),
              f"--host-resolver-rules={rules}", "--ignore-certificate-errors", *(args or [])],
        ignore_https_errors=True)
    return playwright, context


@contextlib.contextmanager
def browsing(store: Any, tmp_path: Path, **options: Any) -> Iterator[Browser]:
    """Chromium with Handful on the store's home, the fixture sites served; all of it (and
    the agent) stopped after. `options`: `launch`'s (color_scheme, args)."""
    site = FixtureSite(tmp_path)
    playwright, context = launch(store, tmp_path / "profile", site, **options)
    try:
        browser = Browser(store, context, site)
        # The first run's own exchange with the agent (the welcome page) is over before the
        # test starts, so a test that stops the agent races nothing.
        browser.settled()
        yield browser
    finally:
        context.close()
        playwright.stop()
        site.close()
        store.run("stop")


@pytest.fixture
def browser(store: Any, tmp_path: Path) -> Iterator[Browser]:
    with browsing(store, tmp_path) as found:
        yield found




DIALOG = '[data-handful="join-dialog"]'


def dialog(page: Any) -> Any:
    """The join dialog's own document: an extension page in a frame that the site's page
    can see but not read or drive. Tests reach it as a user does, through the frame."""
    return page.frame_locator(DIALOG)


def open_dialog(page: Any, timeout: float = 10_000) -> Any:
    """Wait until the dialog is on screen (its frame shown and the dialog drawn in it)."""
    page.wait_for_selector(DIALOG, state="visible", timeout=timeout)
    found = dialog(page)
    found.locator("[role=dialog]").wait_for(timeout=timeout)
    return found


def dialog_gone(page: Any, timeout: float = 30_000) -> None:
    """Wait until the dialog is off the screen (its frame hidden or removed)."""
    page.wait_for_selector(DIALOG, state="hidden", timeout=timeout)


def focused(page: Any) -> dict[str, Any]:
    """What has the keyboard inside the dialog: the frame's own active element, and
    whether the frame's document has focus at all."""
    found: dict[str, Any] = dialog(page).locator("html").evaluate(
        """() => ({ focus: document.hasFocus(), name: document.activeElement.name || null,
                    action: document.activeElement.dataset.action || null })""")
    return found
