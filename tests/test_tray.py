"""The tray: its menu's actions against a real agent, a real run docked in a system tray on
a virtual screen (Xvfb + trayer), and desktop notifications arriving on a real session bus
(a private dbus-daemon with a notification service of the test's own)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handful.paths import Paths
from handful.tray.actions import REVIEW_URL, TrayActions
from tests.conftest import Home
from tests.screen import virtual_screen

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)


def at(days: float) -> dict[str, str]:
    return {"HANDFUL_NOW": (T0 + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_the_menu_actions_through_the_agent(in_process: Home, tmp_path: Path) -> None:
    home = in_process
    home.ok("init")
    home.ok("groups", "add", "linkedin:1", "--name", "Data Folk")
    home.ok("start")
    opened: list[object] = []
    quits: list[bool] = []
    actions = TrayActions(Paths.from_env(home.env), open_url=opened.append,
                          open_folder=opened.append, quit_agent=lambda: quits.append(True))
    try:
        assert actions.title() == "Handful: 1 of 5 groups"
        assert actions.review_label() == "Open the review"
        actions.open_review()
        actions.open_data_folder()
        assert opened == [REVIEW_URL, home.data]
        actions.pause_guard()
        status = actions.status()
        assert status["guard"]["paused"] is True
        assert "guard paused until" in actions.title()
        actions.start_fast()
        assert actions.status()["fast"]["active"] is True
        assert "networking fast until" in actions.title()
        assert actions.guard_label() == "Resume the guard"  # the menu offers the way back
        actions.toggle_guard()
        assert actions.status()["guard"]["paused"] is False
        assert actions.guard_label() == "Pause the guard for an hour"
        target = actions.export(tmp_path)
        events = json.loads(target.read_text())["events"]
        assert [e["key"] for e in events if e["type"] == "settings_changed"] == [
            "guard.paused_until", "fast.started_at", "guard.paused_until"]  # paused, resumed
        assert oct(target.stat().st_mode & 0o777) == "0o600"
        actions.quit()
        assert quits == [True]
        assert actions.said[:2] == ["The join guard is paused for an hour.",
                                    "A 14-day networking fast starts now."]
    finally:
        home.run("stop")


@pytest.fixture
def screen() -> Iterator[str]:
    """A virtual screen with a system tray on it (trayer). Xvfb picks its own display number
    (tests/screen.py): one chosen here by looking for a free one could be taken at the same
    moment by another worker's browser test, and the icon docked there, under its window."""
    with virtual_screen() as display:
        env = {**os.environ, "DISPLAY": display}
        tray = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype",
                                 "pixel", "--width", "200", "--height", "32"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            yield display
        finally:
            tray.terminate()
            tray.wait(10)


def test_the_icon_docks_in_a_real_tray(store: Home, screen: str, tmp_path: Path) -> None:
    from PIL import Image

    store.ok("groups", "add", "linkedin:1")
    store.ok("groups", "add", "linkedin:2")
    env = {**store.env, "DISPLAY": screen, "PYSTRAY_BACKEND": "xorg"}
    agent = subprocess.Popen([*_handful(), "agent"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, cwd=store.root.parent)
    try:
        deadline = time.monotonic() + 30
        while True:
            tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True,
                                  text=True, check=False).stdout
            # docked: Handful's window inside trayer's panel (top right, x >= 600), not the
            # 1x1 window off screen pystray keeps while no tray has taken it
            docked = [line for line in tree.splitlines() if '"Handful"' in line
                      and int(line.rsplit("+", 2)[-2]) >= 600]
            if docked and "+600+0" in tree:
                break
            assert time.monotonic() < deadline, tree
            time.sleep(0.2)
        shot = tmp_path / "tray.png"
        deadline = time.monotonic() + 20
        while True:  # the icon painted: Handful's blue in the panel
            subprocess.run(["import", "-window", "root", "-crop", "200x32+600+0", str(shot)],
                           env=env, check=True, capture_output=True)
            raw = Image.open(shot).convert("RGB").tobytes()
            pixels = zip(raw[0::3], raw[1::3], raw[2::3], strict=True)
            blue = sum(1 for r, g, b in pixels if abs(r - 10) < 30 and abs(g - 102) < 30
                       and abs(b - 194) < 30)
            if blue > 100:
                break
            assert time.monotonic() < deadline, f"{blue} blue pixels"
            time.sleep(0.3)
        status = json.loads(store.ok("status", "--json"))
        assert status["agent"]["running"] is True and status["members"] == 2
    finally:
        agent.terminate()
        _, err = agent.communicate(timeout=30)
    assert agent.returncode == 0, err
    assert b"no tray here" not in err


def test_a_tray_that_starts_after_the_agent_gets_the_icon(store: Home) -> None:
    """At login the panel may come up after the agent: the icon docks once it is there."""
    with virtual_screen() as display:
        _tray_after_agent(store, display)


def _tray_after_agent(store: Home, display: str) -> None:
    env = {**store.env, "DISPLAY": display, "PYSTRAY_BACKEND": "xorg"}
    tray = agent = None

    def handful_window() -> list[str]:
        tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True,
                              text=True, check=False).stdout
        return [line for line in tree.splitlines() if '"Handful"' in line]

    try:
        # (an agent's start under a full test run's load: its unlock, then the tray's window)
        deadline = time.monotonic() + 45
        said = store.root / "agent-stderr.txt"
        with said.open("w") as stderr:
            agent = subprocess.Popen([*_handful(), "agent"], env=env, stdout=subprocess.DEVNULL,
                                     stderr=stderr, cwd=store.root.parent)
        while not handful_window():  # the icon's window, with no tray to take it yet
            assert time.monotonic() < deadline, \
                f"no icon window; the agent {'ran' if agent.poll() is None else 'stopped'}, " \
                f"saying: {said.read_text()[-2000:]!r}"
            time.sleep(0.2)
        assert int(handful_window()[0].rsplit("+", 2)[-2]) < 600  # not docked
        tray = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype",
                                 "pixel", "--width", "200", "--height", "32"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15  # (the icon is offered again every 2 s at first)
        while not any(int(line.rsplit("+", 2)[-2]) >= 600 for line in handful_window()):
            assert time.monotonic() < deadline, handful_window()
            time.sleep(0.2)
    finally:
        for proc in (agent, tray):
            if proc is not None:
                proc.terminate()
                proc.wait(30)


def test_without_a_display_the_agent_runs_and_says_so_once(store: Home) -> None:
    env = {k: v for k, v in store.env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    agent = subprocess.Popen([*_handful(), "agent"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, cwd=store.root.parent)
    try:
        deadline = time.monotonic() + 30
        while json.loads(store.ok("status", "--json"))["agent"]["running"] is not True:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        agent.terminate()
        _, err = agent.communicate(timeout=30)
    assert err.count(b"no tray here (no display); running without it") == 1


def _handful() -> list[str]:
    import sys

    return [sys.executable, "-m", "handful"]


INTROSPECTION = """<node><interface name="org.freedesktop.Notifications">
<method name="Notify"><arg type="s" direction="in"/><arg type="u" direction="in"/>
<arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="s" direction="in"/>
<arg type="as" direction="in"/><arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
<arg type="u" direction="out"/></method>
<method name="GetCapabilities"><arg type="as" direction="out"/></method>
<method name="GetServerInformation"><arg type="s" direction="out"/><arg type="s" direction="out"/>
<arg type="s" direction="out"/><arg type="s" direction="out"/></method>
<method name="CloseNotification"><arg type="u" direction="in"/></method>
<signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
<signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
</interface></node>"""


class NotificationService:
    """org.freedesktop.Notifications on a private session bus, as a desktop's notification
    daemon answers it (introspection, capabilities, server information): records what it is
    sent."""

    def __init__(self) -> None:
        self.daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork",
                                        "--print-address"], stdout=subprocess.PIPE, text=True)
        assert self.daemon.stdout is not None
        self.address = self.daemon.stdout.readline().strip()
        self.received: list[tuple[str, str]] = []
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType, new_method_return
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection(bus=self.address) as conn:
            conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.Notifications"))
            self._ready.set()
            while not self._stop.is_set():
                try:
                    msg = conn.receive(timeout=0.5)
                except TimeoutError:
                    continue
                fields = msg.header.fields
                if msg.header.message_type != MessageType.method_call:
                    continue
                member = fields.get(HeaderFields.member)
                if member == "Notify":
                    _app, _replaces, _icon, summary, body, *_ = msg.body
                    self.received.append((summary, body))
                    conn.send(new_method_return(msg, "u", (len(self.received),)))
                elif member == "Introspect":
                    conn.send(new_method_return(msg, "s", (INTROSPECTION,)))
                elif member == "GetCapabilities":
                    conn.send(new_method_return(msg, "as", (["body"],)))
                elif member == "GetServerInformation":
                    conn.send(new_method_return(msg, "ssss", ("test-notifier", "handful",
                                                               "1.0", "1.2")))
                else:
                    conn.send(new_method_return(msg))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.daemon.terminate()
        self.daemon.wait(10)


@pytest.fixture
def notifications() -> Iterator[NotificationService]:
    service = NotificationService()
    try:
        yield service
    finally:
        service.close()


def test_notifications_when_the_review_is_due_and_the_fast_is_over(
        store: Home, notifications: NotificationService) -> None:
    store.ok("groups", "add", "linkedin:1", extra=at(0))
    store.ok("config", "set", "fast.started_at", str(int(T0.timestamp())), extra=at(0))
    env = {**store.env, **at(31), "DBUS_SESSION_BUS_ADDRESS": notifications.address}
    env.pop("DISPLAY", None)

    def run_agent_until(expected: int) -> list[tuple[str, str]]:
        agent = subprocess.Popen([*_handful(), "agent"], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, cwd=store.root.parent)
        try:
            deadline = time.monotonic() + 20
            while len(notifications.received) < expected:
                assert time.monotonic() < deadline, notifications.received
                time.sleep(0.1)
            time.sleep(1)  # anything more would arrive now
        finally:
            agent.terminate()
            agent.wait(30)
        return list(notifications.received)

    received = run_agent_until(2)
    assert [summary for summary, _ in received] == ["Your group review is due",
                                                    "Your networking fast is over"]
    # The same day again: nothing new (at most one a day; the fast's end once).
    assert run_agent_until(2) == received
    # The next day the review, still due, is said again; the fast is not.
    env.update(at(32))
    assert [s for s, _ in run_agent_until(3)][2:] == ["Your group review is due"]


def notification_finding(home: Home, env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run([*_handful(), "doctor", "--json"], env=env, capture_output=True,
                         check=False, text=True, timeout=60, cwd=home.root.parent)
    assert "Traceback" not in out.stderr, out.stderr
    [found] = [f for f in json.loads(out.stdout)["findings"] if f["check"] == "notifications"]
    return found  # type: ignore[no-any-return]


def test_doctor_says_which_notification_path_works_or_why_none(
        store: Home, notifications: NotificationService) -> None:
    env = {**store.env, "DBUS_SESSION_BUS_ADDRESS": notifications.address}
    works = notification_finding(store, env)
    assert works["ok"] and not works["note"], works
    assert "D-Bus: org.freedesktop.Notifications answers (test-notifier 1.0)" in str(
        works["detail"])

    no_bus = {k: v for k, v in store.env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    none = notification_finding(store, no_bus)
    assert none["note"] and str(none["detail"]).startswith("none: no D-Bus session bus"), none

    bare_bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address"],
                                stdout=subprocess.PIPE, text=True)  # a bus, no service on it
    try:
        assert bare_bus.stdout is not None
        address = bare_bus.stdout.readline().strip()
        silent = notification_finding(store, {**store.env, "DBUS_SESSION_BUS_ADDRESS": address})
    finally:
        bare_bus.terminate()
        bare_bus.wait(10)
    assert str(silent["detail"]).startswith("none: no notification service on the session bus"), \
        silent
