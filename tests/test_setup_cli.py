"""`handful install`, `uninstall` and `doctor` for real, in a temporary HOME: the files land
where each browser looks on Linux, the launcher answers a framed request, a second install
changes nothing, uninstall leaves nothing, and doctor names each fault with its fix."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Home
from tests.hostkit import LENGTH

CHROME_ORIGIN = "chrome-extension://gdojkhmbggmkkagejanincjdehedelok/"
WHERE = {
    "chrome": ".config/google-chrome/NativeMessagingHosts",
    "chromium": ".config/chromium/NativeMessagingHosts",
    "edge": ".config/microsoft-edge/NativeMessagingHosts",
    "brave": ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
    "vivaldi": ".config/vivaldi/NativeMessagingHosts",
    "firefox": ".mozilla/native-messaging-hosts",
    "tor": ".local/share/torbrowser/tbb/x86_64/tor-browser/Browser/.mozilla/"
           "native-messaging-hosts",
}


@pytest.fixture
def user(store: Home, tmp_path: Path) -> tuple[Home, Path]:
    """A user's HOME with nothing of Handful in it, and a PATH with no browser on it."""
    home = tmp_path / "user"
    (home / "bin").mkdir(parents=True)
    store.env.update({"HOME": str(home), "PATH": str(home / "bin")})
    for key in [k for k in store.env if k.startswith("XDG_")]:
        del store.env[key]
    return store, home


def snapshot(home: Path, handful: Home) -> dict[str, tuple[bytes, int]]:
    """Every file and folder in the user's HOME and Handful's config, with content and mode
    (the store and the agent's runtime files are the agent's business, not install's)."""
    found = {}
    for root in (home, handful.root / "config"):
        for path in sorted(root.rglob("*")) if root.exists() else []:
            content = path.read_bytes() if path.is_file() else b"/"
            found[str(path)] = (content, path.stat().st_mode)
    return found


def ask_launcher(launcher: str, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    body = json.dumps({"id": 7, "type": "status"}).encode()
    result = subprocess.run([launcher, *args], input=LENGTH.pack(len(body)) + body,
                            capture_output=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    (length,) = LENGTH.unpack(result.stdout[:4])
    reply: dict[str, Any] = json.loads(result.stdout[4:4 + length])
    return reply


def test_install_writes_every_browsers_manifest_where_it_looks(user: tuple[Home, Path]
                                                               ) -> None:
    handful, home = user
    (home / ".local/share/torbrowser/tbb/x86_64/tor-browser/Browser").mkdir(parents=True)
    before = snapshot(home, handful)
    names = [arg for key in WHERE for arg in ("--browser", key)]
    report = json.loads(handful.ok("install", *names, "--json"))
    assert sorted(r["browser"] for r in report["registered"]) == sorted(WHERE)
    launcher = report["launcher"]
    assert Path(launcher).is_absolute() and os.access(launcher, os.X_OK)
    for key, folder in WHERE.items():
        manifest = json.loads((home / folder / "com.handful.agent.json").read_text())
        assert manifest["name"] == "com.handful.agent" and manifest["type"] == "stdio"
        assert manifest["path"] == launcher
        if key in ("firefox", "tor"):
            assert manifest["allowed_extensions"] == ["handful@handful.app"]
        else:
            assert manifest["allowed_origins"] == [CHROME_ORIGIN]
    desktop = (home / ".config/autostart/handful-agent.desktop").read_text()
    assert "-m handful agent" in desktop and f"HANDFUL_HOME={handful.root}" in desktop

    # The launcher answers a framed request as Chrome and as Firefox start it (the browser's
    # environment need not name HANDFUL_HOME: the launcher does).
    env = {k: v for k, v in handful.env.items() if k != "HANDFUL_HOME"}
    try:
        reply = ask_launcher(launcher, [CHROME_ORIGIN], env)
        assert reply["ok"] and reply["id"] == 7 and reply["result"]["agent"]["running"]
        firefox = str(home / WHERE["firefox"] / "com.handful.agent.json")
        reply = ask_launcher(launcher, [firefox, "handful@handful.app"], env)
        assert reply["ok"] and reply["result"]["cap"] == 5
    finally:
        handful.run("stop")

    installed = snapshot(home, handful)
    handful.ok("install", *names)  # twice is the same as once
    assert snapshot(home, handful) == installed
    out = handful.ok("uninstall")
    assert "Your data stays" in out
    after = snapshot(home, handful)
    assert after == before  # nothing left behind, nothing of the user's touched


def test_install_finds_the_browsers_that_are_here(user: tuple[Home, Path]) -> None:
    handful, home = user
    firefox = home / "bin" / "firefox"
    firefox.write_text("#!/bin/sh\n")
    firefox.chmod(0o755)
    (home / ".config" / "chromium").mkdir(parents=True)  # Chromium has been used here
    report = json.loads(handful.ok("install", "--no-autostart", "--json"))
    assert sorted(r["browser"] for r in report["registered"]) == ["chromium", "firefox"]
    assert report["autostart"] is None
    assert not (home / ".config" / "autostart").exists()
    assert not (home / ".config" / "google-chrome").exists()


def test_install_with_a_custom_profile_and_another_extension_id(user: tuple[Home, Path]
                                                                 ) -> None:
    handful, home = user
    profile = home / "profiles" / "work" / "NativeMessagingHosts"
    other = "b" * 32
    handful.ok("install", "--manifest-dir", str(profile), "--extension-id", other)
    manifest = json.loads((profile / "com.handful.agent.json").read_text())
    assert manifest["allowed_origins"] == sorted([CHROME_ORIGIN, f"chrome-extension://{other}/"])
    # The host answers that extension too (it reads the same list)...
    env = {**handful.env}
    try:
        assert ask_launcher(manifest["path"], [f"chrome-extension://{other}/"], env)["ok"]
    finally:
        handful.run("stop")
    # ...and a re-run without --extension-id keeps it.
    handful.ok("install", "--manifest-dir", str(profile))
    assert json.loads((profile / "com.handful.agent.json").read_text()) == manifest


@pytest.mark.parametrize(("args", "message"), [
    (["--browser", "netscape"], "unknown browser 'netscape'"),
    (["--extension-id", "chrome-extension://x/"], "is not an extension id"),
    (["--extension-id", "a" * 31], "is not an extension id"),
])
def test_install_mistakes_get_one_line_and_write_nothing(user: tuple[Home, Path],
                                                         args: list[str], message: str) -> None:
    handful, home = user
    before = snapshot(home, handful)
    result = handful.run("install", *args)
    assert result.code == 2
    assert message in result.err and len(result.err.strip().splitlines()) == 1
    assert snapshot(home, handful) == before


def test_install_for_every_user_needs_root(user: tuple[Home, Path],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from handful.errors import UsageError
    from handful.install.installer import Installer, Where
    from handful.paths import Paths

    handful, home = user
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # an ordinary user (the tests run as root)
    installer = Installer(Paths.from_env(handful.env), Where("linux", home, {}, machine=True))
    with pytest.raises(UsageError, match="run it as root"):
        installer.install(["chrome"])
    assert not Path("/usr/local/lib/handful/installed.json").exists()


def test_uninstall_purge_asks_first(user: tuple[Home, Path]) -> None:
    handful, _ = user
    handful.ok("install", "--browser", "chromium")
    refused = handful.run("uninstall", "--purge")  # no terminal to ask at: refused
    assert refused.code == 2 and "--yes" in refused.err
    assert (handful.data / "store.json").exists()
    assert (handful.root / "config" / "installed.json").exists()
    (handful.root / "notes.txt").write_text("mine")  # HANDFUL_HOME may hold other things
    done = json.loads(handful.ok("uninstall", "--purge", "--yes", "--json"))
    assert str(handful.data) in done["purged"]
    assert sorted(p.name for p in handful.root.iterdir()) == ["notes.txt"]


def findings(handful: Home) -> tuple[int, dict[str, dict[str, Any]]]:
    result = handful.run("doctor", "--json")
    doc = json.loads(result.out)
    assert doc["ok"] == (result.code == 0)
    return result.code, {f["check"]: f for f in doc["findings"]}


def test_doctor_says_what_is_wrong_and_how_to_fix_it(user: tuple[Home, Path]) -> None:
    handful, home = user
    handful.ok("install", "--browser", "chromium", "--browser", "firefox")
    handful.ok("start")
    try:
        code, found = findings(handful)
        assert code == 0, found
        assert found["launcher chromium"]["detail"] == "Chromium: the launcher answers"
        assert found["key"]["ok"] and found["agent"]["ok"] and found["autostart"]["ok"]
        assert str(handful.data) in found["data"]["detail"]

        chromium = home / WHERE["chromium"] / "com.handful.agent.json"
        chromium.write_text("{ not json")
        code, found = findings(handful)
        assert code == 1
        assert not found["manifest chromium"]["ok"]
        assert "not a valid manifest" in found["manifest chromium"]["detail"]
        assert found["manifest chromium"]["fix"] == "handful install --browser chromium"
        assert found["manifest firefox"]["ok"]  # the other browser is still fine

        handful.ok("install", "--browser", "chromium")
        launcher = Path(json.loads(chromium.read_text())["path"])
        launcher.unlink()
        code, found = findings(handful)
        assert "is missing" in found["launcher chromium"]["detail"]
        assert found["launcher firefox"]["fix"] == "handful install --browser firefox"
    finally:
        handful.run("stop")
    code, found = findings(handful)
    assert not found["agent"]["ok"] and found["agent"]["fix"].startswith("handful start")
    handful.env["HANDFUL_PASSPHRASE"] = "not the passphrase"
    code, found = findings(handful)
    assert not found["key"]["ok"] and "HANDFUL_PASSPHRASE" in found["key"]["fix"]
    text = handful.run("doctor")
    assert text.code == 1 and "fix: handful start" in text.out
