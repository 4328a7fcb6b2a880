"""The same extension folder in Firefox ESR: installed as a temporary add-on, the native
host registered by `handful install --browser firefox` in the user's HOME, fixture pages
served as the real sites (network.dns.localDomains sends those names to loopback)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import EXTENSION_DIR, FixtureSite
from tests.conftest import Home

FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox") or "firefox-esr"
DIALOG = "[data-handful=join-dialog]"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Firefox:
    def __init__(self, home: Home, tmp: Path, prefs: dict[str, str] | None = None) -> None:
        """`prefs`: more of Firefox's preferences (a string each), e.g. its language."""
        from marionette_driver.addons import Addons
        from marionette_driver.marionette import Marionette

        self.home = home
        self.site = FixtureSite(tmp)
        profile = tmp / "firefox-profile"
        profile.mkdir()
        port = free_port()
        (profile / "user.js").write_text(
            'user_pref("network.dns.localDomains", "www.linkedin.com,www.facebook.com");\n'
            f'user_pref("marionette.port", {port});\n'
            'user_pref("app.update.enabled", false);\n'
            'user_pref("browser.shell.checkDefaultBrowser", false);\n'
            + "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n"
                      for k, v in (prefs or {}).items()))
        self.proc = subprocess.Popen(
            [FIREFOX, "--headless", "--marionette", "-remote-allow-system-access", "--no-remote",
             "-profile", str(profile)],
            env=home.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.m = Marionette(host="127.0.0.1", port=port, startup_timeout=60)
        self.m.start_session(capabilities={"acceptInsecureCerts": True})
        self.addon = Addons(self.m).install(str(EXTENSION_DIR), temp=True)

    def open(self, path: str, host: str = "www.linkedin.com") -> None:
        self.m.navigate(f"https://{host}:{self.site.port}{path}")

    def page(self, script: str) -> Any:
        """Evaluate in the page's own world (its variables, as its scripts see them)."""
        return self.m.execute_script(f"return window.wrappedJSObject.{script}")

    def run(self, script: str) -> Any:
        return self.m.execute_script(script)

    def until(self, check: Callable[[], Any], timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while not (value := check()):
            assert time.monotonic() < deadline, "not in time"
            time.sleep(0.1)
        return value

    def dialog(self) -> Any:
        """Wait for the join dialog's frame to show, and switch into it: its document is the
        extension's, reached as a user reaches it (Marionette's own clicks and keys)."""
        from marionette_driver.by import By
        from marionette_driver.errors import MarionetteException

        def inside() -> Any:
            # A frame just made still holds its first, blank document: look again until the
            # dialog is drawn in it.
            self.m.switch_to_frame()
            found = [e for e in self.m.find_elements(By.CSS_SELECTOR, DIALOG) if e.is_displayed()]
            if not found:
                return None
            try:
                self.m.switch_to_frame(found[0])
                if self.m.find_elements(By.CSS_SELECTOR, "[role=dialog] h2"):
                    return found[0]
            except MarionetteException:
                pass
            return None

        return self.until(inside)

    def dialog_gone(self) -> None:
        from marionette_driver.by import By

        self.m.switch_to_frame()
        self.until(lambda: not any(e.is_displayed()
                                   for e in self.m.find_elements(By.CSS_SELECTOR, DIALOG)))

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e["type"] == kind]

    def justify(self, give: str, get: str) -> None:
        """Fill in the open dialog's two answers and join, once the delay is over."""
        from marionette_driver.by import By

        self.dialog()
        self.m.find_element(By.CSS_SELECTOR, "textarea[name=give]").send_keys(give)
        self.m.find_element(By.CSS_SELECTOR, "textarea[name=get]").send_keys(get)
        join = self.m.find_element(By.CSS_SELECTOR, "[data-action=join]")
        try:
            self.until(lambda: join.get_attribute("disabled") is None)  # the delay is over
        except AssertionError:
            # what the dialog showed, to tell a held delay (covered) from a stopped one
            state = self.run("const b = document.querySelector('[data-action=join]');"
                             "return {text: b && b.textContent, connected: b && b.isConnected,"
                             " hidden: document.hidden,"
                             " warned: [...document.querySelectorAll('[role=alert], .warn')]"
                             ".filter((n) => !n.hidden).map((n) => n.textContent)}")
            raise AssertionError(f"the join button stayed disabled: {state}") from None
        join.click()
        self.dialog_gone()

    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = json.loads(self.home.ok("export"))["events"]
        return events

    def close(self) -> None:
        try:
            self.m.delete_session()
        finally:
            self.proc.terminate()
            self.proc.wait(30)
            self.site.close()


@pytest.fixture
def firefox(store: Home, tmp_path: Path) -> Iterator[Firefox]:
    user = tmp_path / "user"
    user.mkdir()
    store.env["HOME"] = str(user)  # Firefox reads ~/.mozilla/native-messaging-hosts
    store.ok("install", "--browser", "firefox", "--no-autostart")
    browser = Firefox(store, tmp_path)
    try:
        yield browser
    finally:
        browser.close()
        store.run("stop")


def test_the_guard_in_firefox_declines_and_lets_a_justified_join_through(firefox: Firefox
                                                                        ) -> None:
    from marionette_driver.by import By

    assert firefox.addon == "handful@handful.app"
    firefox.home.ok("config", "set", "guard.delay_seconds", "0")
    firefox.open("/groups/12345/")
    firefox.m.find_element(By.ID, "join").click()
    firefox.dialog()
    assert firefox.m.find_element(By.CSS_SELECTOR, "h2").text == "Join Data Folk?"
    firefox.m.switch_to_frame()
    assert firefox.page("joinClicks") == 0  # stopped before the page saw it
    firefox.dialog()
    firefox.m.find_element(By.CSS_SELECTOR, "[data-action=decline]").click()
    firefox.dialog_gone()
    firefox.until(lambda: any(e["type"] == "join_declined" for e in firefox.events()))
    assert firefox.page("joinClicks") == 0

    firefox.m.find_element(By.ID, "join").click()
    firefox.dialog()
    firefox.m.find_element(By.CSS_SELECTOR, "textarea[name=give]").send_keys(
        "Pipelines I have built")
    firefox.m.find_element(By.CSS_SELECTOR, "textarea[name=get]").send_keys("A peer group")
    firefox.m.find_element(By.CSS_SELECTOR, "[data-action=join]").click()
    firefox.dialog_gone()
    firefox.until(lambda: firefox.page("joinClicks") == 1)
    events = firefox.until(lambda: (evs := firefox.events()) and any(
        e["type"] == "join_requested" for e in evs) and evs)
    [justified] = [e for e in events if e["type"] == "join_justified"]
    assert justified["give"] == "Pipelines I have built"
    assert justified["group"]["id"] == "12345"
    assert firefox.page("joinClicks") == 1  # exactly once


IN_VIEW = """
  const f = document.querySelector('[data-handful=join-dialog]');
  if (!f || !f.matches(':popover-open')) return false;
  const style = getComputedStyle(f), box = f.getBoundingClientRect();
  const w = document.documentElement.clientWidth, h = document.documentElement.clientHeight;
  return style.opacity === '1' && style.visibility === 'visible' && box.width >= w - 1
    && box.height >= h - 1 && document.elementFromPoint(w / 2, h / 2) === f;"""


def test_a_hostile_page_in_firefox_can_neither_read_nor_drive_the_dialog(firefox: Firefox
                                                                         ) -> None:
    from marionette_driver.by import By

    secret = "Secret Circle of Founders"
    firefox.home.ok("config", "set", "cap", "1")
    firefox.home.ok("config", "set", "guard.delay_seconds", "0")
    firefox.home.ok("groups", "add", "facebook:secret.circle", "--name", secret)
    firefox.open("/groups/31337/")  # its Content-Security-Policy allows its own frames only
    firefox.m.find_element(By.ID, "join").click()
    firefox.dialog()
    assert firefox.m.find_element(By.CSS_SELECTOR, "h2").text == "Join Growth Secrets?"
    firefox.until(lambda: firefox.m.find_elements(
        By.CSS_SELECTOR, "select[name=drop] option[value='facebook:secret.circle']"))
    firefox.m.switch_to_frame()

    found = json.loads(firefox.page("attack.read()"))
    assert secret not in json.dumps(found) and "You are in" not in json.dumps(found)
    assert found["contentDocument"] == "null"
    assert found["inner"] == "refused: SecurityError"
    assert firefox.page("attack.fill()") == "refused: SecurityError"
    firefox.page("attack.post()")
    firefox.page("attack.rogue()")
    firefox.page("attack.synthetic()")
    firefox.until(lambda: firefox.page("rogueTried"))
    for attack in ("remove()", "opacity()", "unpop()", "sheet()", "popover(false)"):
        firefox.page(f"attack.{attack}")
        firefox.until(lambda: firefox.run(IN_VIEW))
        firefox.page("attack.stop()")
    firefox.dialog()
    assert firefox.m.find_element(By.CSS_SELECTOR, "h2").text == "Join Growth Secrets?"
    # Back in view long enough for a choice to count: the user's own decline.
    firefox.until(lambda: not firefox.m.find_element(By.CSS_SELECTOR, ".covered").is_displayed())
    firefox.m.find_element(By.CSS_SELECTOR, "[data-action=decline]").click()
    firefox.dialog_gone()
    events = firefox.until(lambda: (evs := firefox.events()) and any(
        e["type"] == "join_declined" for e in evs) and evs)
    assert [e["type"] for e in events if e["type"].startswith("join_")] == [
        "join_intercepted", "join_declined"]
    assert firefox.page("heard.length") == 0
    assert firefox.page("joinClicks") == 0


def test_real_site_variants_in_firefox(firefox: Firefox) -> None:
    """Rebuilt real markup (tests/fixtures/sites/real/): a Join named only by its
    aria-label with the group's name, LinkedIn's replaced button, Facebook's own "Join group
    as" step completing with one dialog, a Join with no group passing with a report."""
    from marionette_driver.by import By

    firefox.home.ok("config", "set", "guard.delay_seconds", "0")
    firefox.open("/groups/discover/")
    firefox.m.find_element(By.CSS_SELECTOR, "#card-join-us button").click()  # an icon
    firefox.dialog()
    assert firefox.m.find_element(By.CSS_SELECTOR, "h2").text == "Join Join us?"
    firefox.m.find_element(By.CSS_SELECTOR, "[data-action=decline]").click()
    firefox.dialog_gone()
    firefox.m.find_element(By.CSS_SELECTOR, "#card-request button").click()
    firefox.justify("Examples", "Peers")
    firefox.until(lambda: firefox.of_type("join_requested"))
    [requested] = firefox.of_type("join_requested")
    assert requested["group"]["id"] == "9102"
    assert [e["group"]["name"] for e in firefox.of_type("join_declined")] == ["Join us"]

    firefox.open("/search/groups/?q=makers", host="www.facebook.com")
    firefox.m.find_element(By.CSS_SELECTOR, "#card-as [role=button]").click()
    firefox.justify("Launch notes", "Founders to ask")
    firefox.until(lambda: firefox.m.find_elements(By.CSS_SELECTOR, "[role=dialog] .go"))
    firefox.m.find_element(By.CSS_SELECTOR, "[role=dialog] .go").click()
    firefox.until(lambda: firefox.of_type("joined"))
    firefox.m.find_element(By.ID, "orphan").click()
    firefox.until(lambda: firefox.of_type("join_unguarded"))
    assert firefox.page("steps") == ["card-as:join", "card-as:confirmed", "orphan"]
    assert [e["group"]["name"] for e in firefox.of_type("joined")] == ["Indie Founders Circle"]
    # one dialog per join, none for the site's second step
    assert len(firefox.of_type("join_intercepted")) == 3


ACCESS = """const [change, resolve] = arguments;
  const { ExtensionPermissions } = ChromeUtils.importESModule(
    "resource://gre/modules/ExtensionPermissions.sys.mjs");
  const policy = WebExtensionPolicy.getByID("handful@handful.app");
  ExtensionPermissions[change]("handful@handful.app",
    { permissions: [], origins: ["https://*.facebook.com/*"] }, policy.extension)
    .then(() => resolve("done"), (error) => resolve(String(error)));"""


def test_host_access_taken_away_in_firefox_is_reported(firefox: Firefox) -> None:
    """Firefox lets users take an add-on's access to a site away (the add-on's Permissions
    panel, which makes the same privileged call as this test): Handful says so in `status`
    and `doctor`, and stops saying it once access is given back."""

    def sight() -> dict[str, Any]:
        found: dict[str, Any] = json.loads(firefox.home.ok("status", "--json"))["sight"]
        return found

    firefox.open("/groups/12345/")  # the extension is running and the agent answers
    firefox.until(lambda: json.loads(firefox.home.ok("status", "--json"))["agent"]["running"])
    assert sight()["problems"] == []
    with firefox.m.using_context("chrome"):
        assert firefox.m.execute_async_script(ACCESS, script_args=["remove"]) == "done"
    firefox.until(lambda: not sight()["facebook"]["access"])
    assert sight()["problems"] == [
        "Handful's extension may not read Facebook pages (its access to the site was taken "
        "away): allow it again in the browser's add-on settings."]
    doctor = json.loads(firefox.home.run("doctor", "--json").out)
    [guard] = [f for f in doctor["findings"] if f["check"] == "guard"]
    assert not guard["ok"] and "may not read Facebook pages" in guard["detail"]
    assert sight()["linkedin"]["access"] is True

    with firefox.m.using_context("chrome"):
        assert firefox.m.execute_async_script(ACCESS, script_args=["add"]) == "done"
    firefox.until(lambda: sight()["facebook"]["access"])
    assert sight()["problems"] == []
    reasons = [e["reason"] for e in firefox.events() if e["type"] == "guard_blind"]
    assert reasons == ["no_permission", "permission_back"]


def test_more_real_site_variants_and_blindness_in_firefox(firefox: Firefox) -> None:
    """Facebook's "Join Group Anyway" on a group page asks once and names the group from
    its `h1 a`; LinkedIn's member view replacing the button counts as joined; group pages in
    markup Handful does not know are reported, and `status` says the guard went blind."""
    from marionette_driver.by import By

    firefox.home.ok("config", "set", "guard.delay_seconds", "0")
    firefox.open("/groups/answers.first/", host="www.facebook.com")
    firefox.m.find_element(By.ID, "join").click()
    firefox.justify("Answers", "Questions")
    firefox.until(lambda: firefox.m.find_elements(By.ID, "anyway"))
    firefox.m.find_element(By.ID, "anyway").click()
    firefox.until(lambda: firefox.of_type("joined"))
    assert firefox.page("steps") == ["join", "anyway"]
    assert [e["group"]["name"] for e in firefox.of_type("joined")] == ["Answers First"]

    firefox.open("/groups/777001/")
    firefox.m.find_element(By.ID, "join").click()
    firefox.justify("Dashboards", "Reviewers")
    firefox.until(lambda: len(firefox.of_type("joined")) == 2)
    assert firefox.of_type("joined")[1]["group"]["id"] == "777001"
    assert len(firefox.of_type("join_intercepted")) == 2

    for n in range(1, 5):  # one after another: each judged 5 s after it settled
        firefox.open(f"/groups/88800{n}/")
        firefox.until(lambda n=n: len(firefox.of_type("guard_blind")) == n, timeout=30)
    sight = json.loads(firefox.home.ok("status", "--json"))["sight"]
    assert sight["linkedin"]["blind"] is True
    assert sight["problems"][0].startswith("Handful could not read 4 LinkedIn group pages")


def test_joins_the_guard_cannot_see_are_noticed_and_asked_about_in_firefox(firefox: Firefox
                                                                           ) -> None:
    """The sites' own join requests (LinkedIn's JSON body, Facebook's GraphQL form fields)
    from controls the guard cannot recognise: recorded as unguarded joins, the Facebook vanity
    page tied to its numeric id, and the next visit asks with the after-the-fact form."""
    from marionette_driver.by import By

    firefox.open("/groups/777005/")
    firefox.m.find_element(By.ID, "join").click()
    firefox.until(lambda: firefox.page("answered") == 200)
    [requested] = firefox.until(lambda: firefox.of_type("join_requested"))
    assert requested["unguarded"] is True
    assert (requested["group"]["id"], requested["group"]["name"]) == ("777005", "Quiet Builders")

    firefox.open("/groups/quiet.makers/", host="www.facebook.com")
    firefox.m.find_element(By.ID, "send-post").click()
    firefox.m.find_element(By.ID, "join").click()
    [joined] = firefox.until(lambda: firefox.of_type("joined"))
    assert joined["unguarded"] is True and joined["group"]["id"] == "5550001"
    [alias] = firefox.until(lambda: firefox.of_type("group_alias"))
    assert {alias["group"]["id"], alias["alias"]["id"]} == {"quiet.makers", "5550001"}
    assert "A secret draft" not in json.dumps(firefox.events())
    status = json.loads(firefox.home.ok("status", "--json"))
    assert sorted(u["key"] for u in status["unjustified"]) == ["facebook:5550001",
                                                               "linkedin:777005"]

    firefox.open("/groups/777005/")  # the next visit asks why
    firefox.dialog()
    assert firefox.m.find_element(By.CSS_SELECTOR, "h2").text == "Why did you join Quiet Builders?"
    firefox.m.find_element(By.CSS_SELECTOR, "textarea[name=give]").send_keys("Build notes")
    firefox.m.find_element(By.CSS_SELECTOR, "textarea[name=get]").send_keys("Honest peers")
    firefox.m.find_element(By.CSS_SELECTOR, "[data-action=justify]").click()
    firefox.dialog_gone()
    [justified] = firefox.until(lambda: firefox.of_type("join_justified"))
    assert justified["afterwards"] is True and justified["group"]["id"] == "777005"
    status = json.loads(firefox.home.ok("status", "--json"))
    assert [u["key"] for u in status["unjustified"]] == ["facebook:5550001"]

    # "Leave it" on the Facebook group's next visit: the intention recorded, and the site's
    # own way out ("Joined" → "Leave group") opened and focused for the user to confirm
    firefox.open("/groups/quiet.makers/", host="www.facebook.com")
    firefox.dialog()
    assert firefox.m.find_element(By.CSS_SELECTOR, "h2").text == "Why did you join Quiet Makers?"
    firefox.m.find_element(By.CSS_SELECTOR, "[data-action=leave]").click()
    firefox.dialog_gone()
    firefox.until(lambda: firefox.run(
        "return !document.getElementById('menu').hidden"
        " && document.activeElement && document.activeElement.id === 'leave'"))
    [decision] = firefox.until(lambda: firefox.of_type("review_decision"))
    assert decision["decision"] == "leave"
    assert json.loads(firefox.home.ok("status", "--json"))["unjustified"] == []
