"""Where `handful install` writes, on Linux, macOS and Windows: pure functions, and the
installer itself run against a temporary home as each system (Windows' registry faked)."""

from __future__ import annotations

import json
import plistlib
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from handful.install import autostart, pitfalls
from handful.install.browsers import (
    BY_KEY,
    manifest_dir,
    registry_key,
    tor_manifest_dirs,
    windows_manifest_dir,
)
from handful.install.installer import Installer, Where
from handful.paths import Paths
from tests.support.fake_registry import FakeRegistry

HOME = PurePosixPath("/home/ana")
LINUX = {
    "chrome": "/home/ana/.config/google-chrome/NativeMessagingHosts",
    "chromium": "/home/ana/.config/chromium/NativeMessagingHosts",
    "edge": "/home/ana/.config/microsoft-edge/NativeMessagingHosts",
    "brave": "/home/ana/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
    "vivaldi": "/home/ana/.config/vivaldi/NativeMessagingHosts",
    "firefox": "/home/ana/.mozilla/native-messaging-hosts",
}
MACOS = {
    "chrome": "Google/Chrome", "chromium": "Chromium", "edge": "Microsoft Edge",
    "brave": "BraveSoftware/Brave-Browser", "vivaldi": "Vivaldi", "firefox": "Mozilla",
    "tor": "TorBrowser-Data/Browser/Mozilla",
}
WINDOWS = {
    "chrome": r"Software\Google\Chrome\NativeMessagingHosts\com.handful.agent",
    "chromium": r"Software\Chromium\NativeMessagingHosts\com.handful.agent",
    "edge": r"Software\Microsoft\Edge\NativeMessagingHosts\com.handful.agent",
    "brave": r"Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\com.handful.agent",
    "vivaldi": r"Software\Vivaldi\NativeMessagingHosts\com.handful.agent",
    "firefox": r"Software\Mozilla\NativeMessagingHosts\com.handful.agent",
    "tor": r"Software\Mozilla\NativeMessagingHosts\com.handful.agent",
}


@pytest.mark.parametrize("key", sorted(LINUX))
def test_linux_per_user_folders(key: str) -> None:
    assert str(manifest_dir(BY_KEY[key], "linux", HOME, {})) == LINUX[key]
    moved = manifest_dir(BY_KEY[key], "linux", HOME, {"XDG_CONFIG_HOME": "/srv/cfg"})
    if key == "firefox":  # Firefox reads ~/.mozilla whatever XDG says
        assert str(moved) == LINUX[key]
    else:
        assert str(moved) == LINUX[key].replace("/home/ana/.config", "/srv/cfg")
    relative = manifest_dir(BY_KEY[key], "linux", HOME, {"XDG_CONFIG_HOME": "cfg"})
    assert str(relative) == LINUX[key]  # a relative XDG_CONFIG_HOME is ignored (the spec)


def test_linux_system_folders_and_tor() -> None:
    machine = {k: manifest_dir(BY_KEY[k], "linux", HOME, {}, machine=True) for k in BY_KEY}
    assert str(machine["chrome"]) == "/etc/opt/chrome/native-messaging-hosts"
    assert str(machine["chromium"]) == "/etc/chromium/native-messaging-hosts"
    assert str(machine["firefox"]) == "/usr/lib/mozilla/native-messaging-hosts"
    assert machine["tor"] is None and manifest_dir(BY_KEY["tor"], "linux", HOME, {}) is None
    assert tor_manifest_dirs([HOME / "tor-browser" / "Browser"]) == [
        HOME / "tor-browser" / "Browser" / ".mozilla" / "native-messaging-hosts"]


@pytest.mark.parametrize("key", sorted(MACOS))
def test_macos_folders(key: str) -> None:
    home = PurePosixPath("/Users/ana")
    assert manifest_dir(BY_KEY[key], "macos", home, {}) == (
        home / "Library" / "Application Support" / MACOS[key] / "NativeMessagingHosts")
    assert manifest_dir(BY_KEY[key], "windows", home, {}) is None


def test_macos_system_folders() -> None:
    got = {k: str(manifest_dir(BY_KEY[k], "macos", HOME, {}, machine=True)) for k in
           ("chrome", "edge", "firefox")}
    assert got == {"chrome": "/Library/Google/Chrome/NativeMessagingHosts",
                   "edge": "/Library/Microsoft/Edge/NativeMessagingHosts",
                   "firefox": "/Library/Application Support/Mozilla/NativeMessagingHosts"}


@pytest.mark.parametrize("key", sorted(WINDOWS))
def test_windows_registry_keys(key: str) -> None:
    assert registry_key(BY_KEY[key]) == WINDOWS[key]


def test_windows_manifest_folder() -> None:
    env = {"LOCALAPPDATA": r"C:\Users\ana\AppData\Local"}
    assert windows_manifest_dir(env, PureWindowsPath(r"C:\Users\ana")) == PureWindowsPath(
        r"C:\Users\ana\AppData\Local\Handful\NativeMessagingHosts")
    assert windows_manifest_dir({}, PureWindowsPath(r"C:\Users\bo")) == PureWindowsPath(
        r"C:\Users\bo\AppData\Local\Handful\NativeMessagingHosts")


def test_autostart_entries() -> None:
    command = autostart.agent_command("/opt/my tools/venv/bin/python",
                                      {"HANDFUL_HOME": "/data/$ana"})
    entry = autostart.desktop_entry(command)
    assert 'Exec=env "HANDFUL_HOME=/data/\\$ana" "/opt/my tools/venv/bin/python" -m handful ' \
           'agent' in entry.splitlines()
    assert "X-GNOME-Autostart-enabled=true" in entry
    assert autostart.location("linux", HOME, {}) == \
        HOME / ".config" / "autostart" / "handful-agent.desktop"
    plist = plistlib.loads(autostart.launch_agent(
        ["/usr/bin/python3", "-m", "handful", "agent"], PurePosixPath("/tmp/a&b.log")).encode())
    assert plist["Label"] == "app.handful.agent" and plist["RunAtLoad"] is True
    assert plist["ProgramArguments"] == ["/usr/bin/python3", "-m", "handful", "agent"]
    assert plist["StandardErrorPath"] == "/tmp/a&b.log"
    assert autostart.location("macos", PurePosixPath("/Users/ana"), {}) == PurePosixPath(
        "/Users/ana/Library/LaunchAgents/app.handful.agent.plist")
    assert autostart.run_value(r"C:\Handful\.venv\Scripts\python.exe") == \
        r'"C:\Handful\.venv\Scripts\pythonw.exe" -m handful agent'


def test_what_is_known_not_to_work_is_said() -> None:
    present = {"/snap/bin/chromium", "/home/ana/.var/app/org.mozilla.firefox"}
    found = pitfalls.packaging_warnings(HOME, present.__contains__)
    assert len(found) == 2
    assert "Snap" in found[0] and "org.mozilla.firefox" in found[1]
    assert pitfalls.packaging_warnings(HOME, lambda _: False) == []
    [user_level] = pitfalls.policy_warnings("Chromium", [{"NativeMessagingUserLevelHosts": False}])
    assert "NativeMessagingUserLevelHosts" in user_level and "--system" in user_level
    assert pitfalls.policy_warnings("Chromium", [{"NativeMessagingUserLevelHosts": True}]) == []
    [blocked] = pitfalls.policy_warnings("Chrome", [{"NativeMessagingBlocklist": ["*"]}])
    assert "NativeMessagingBlocklist" in blocked
    assert pitfalls.policy_warnings("Chrome", [{"NativeMessagingBlocklist": ["*"]},
                                               {"NativeMessagingAllowlist":
                                                ["com.handful.agent"]}]) == []


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): (p.read_text() if p.is_file() else "/")
            for p in sorted(root.rglob("*"))}


def test_a_windows_install_writes_manifests_and_registry_values_and_uninstall_undoes_them(
        tmp_path: Path) -> None:
    home = tmp_path / "ana"
    local = home / "AppData" / "Local"
    (local / "Google" / "Chrome" / "User Data").mkdir(parents=True)  # Chrome has been used
    (home / "AppData" / "Roaming" / "Mozilla" / "Firefox").mkdir(parents=True)
    before = tree(tmp_path)
    registry = FakeRegistry()
    where = Where("windows", home, {"LOCALAPPDATA": str(local),
                                    "HANDFUL_HOME": str(tmp_path / "h")})
    installer = Installer(Paths.from_env({"HANDFUL_HOME": str(tmp_path / "h")}), where,
                          python=r"C:\Handful\.venv\Scripts\python.exe", registry=registry,
                          which=lambda _: None)
    report = installer.install()
    assert {r.browser for r in report.registered} == {"chrome", "firefox"}
    chrome_value = registry.get(WINDOWS["chrome"], "")
    firefox_value = registry.get(WINDOWS["firefox"], "")
    assert chrome_value and chrome_value.endswith("com.handful.agent.chrome.json")
    assert firefox_value and firefox_value.endswith("com.handful.agent.firefox.json")
    manifest = json.loads(Path(chrome_value).read_text())
    assert manifest["path"].endswith("handful-host.cmd")
    assert manifest["allowed_origins"] == ["chrome-extension://gdojkhmbggmkkagejanincjdehedelok/"]
    assert json.loads(Path(firefox_value).read_text())["allowed_extensions"] == [
        "handful@handful.app"]
    script = Path(manifest["path"]).read_text()
    assert '"C:\\Handful\\.venv\\Scripts\\python.exe" -m handful.host %*' in script
    assert f'set "HANDFUL_HOME={tmp_path / "h"}"' in script
    assert registry.get(autostart.RUN_KEY, "Handful") == \
        r'"C:\Handful\.venv\Scripts\pythonw.exe" -m handful agent'
    installer.uninstall()
    assert {k: v for k, v in registry.keys.items() if v} == {}
    assert tree(tmp_path) == before


def test_a_macos_install_and_uninstall(tmp_path: Path) -> None:
    home = tmp_path / "ana"
    (home / "Library" / "Application Support" / "Google" / "Chrome").mkdir(parents=True)
    before = tree(tmp_path)
    installer = Installer(Paths.from_env({"HANDFUL_HOME": str(tmp_path / "h")}),
                          Where("macos", home, {}), python="/usr/bin/python3",
                          which=lambda _: None)
    report = installer.install()
    target = home / "Library/Application Support/Google/Chrome/NativeMessagingHosts" \
        / "com.handful.agent.json"
    assert [(r.browser, r.manifest) for r in report.registered] == [("chrome", str(target))]
    plist = plistlib.loads((home / "Library/LaunchAgents/app.handful.agent.plist").read_bytes())
    assert plist["ProgramArguments"][:2] == ["/usr/bin/python3", "-m"]
    installer.uninstall()
    assert tree(tmp_path) == before
