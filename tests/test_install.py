"""The README's first command: installs, creates the store, starts; safe to run again; asks
for a passphrase at a terminal when there is no keyring."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import ROOT, base_env
from tests.terminal import Terminal

INSTALL = ROOT / "installers" / "install.sh"


def stop(env: dict[str, str]) -> None:
    subprocess.run([str(ROOT / ".venv" / "bin" / "handful"), "stop"], env=env,
                   capture_output=True, check=False, timeout=60)


def env_for(home: Path, **extra: str) -> dict[str, str]:
    """A user of their own: HOME (where browsers look for hosts) beside HANDFUL_HOME, no
    desktop session, no passphrase unless given."""
    env = {k: v for k, v in base_env(home).items()
           if not k.startswith("XDG_") and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("HANDFUL_PASSPHRASE")
    env["HOME"] = str(home.parent / "user")
    env.update(extra)
    return env


def test_install_creates_the_store_and_is_safe_to_rerun(tmp_path: Path) -> None:
    env = env_for(tmp_path / "home", HANDFUL_PASSPHRASE="pw for install")
    first = subprocess.run(["bash", str(INSTALL)], env=env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=600, check=False)
    assert first.returncode == 0, first.stderr
    assert "Your recovery key" in first.stdout and "Groups: 0 of 5" in first.stdout
    assert "Agent: running" in first.stdout
    # the host is registered with the browser found here (the tests' Chromium), the agent
    # starts at login, and the user is told what is left: loading the extension
    manifest = tmp_path / "user/.config/chromium/NativeMessagingHosts/com.handful.agent.json"
    assert "Registered for chromium" in first.stdout and manifest.exists()
    assert (tmp_path / "user/.config/autostart/handful-agent.desktop").exists()
    assert f"load the extension from {ROOT / 'extension'}" in first.stdout
    assert "about:debugging" in first.stdout
    # `handful` on PATH as pipx puts it: a link in ~/.local/bin, and a word when that folder
    # is not on PATH (it is not in this environment)
    link = tmp_path / "user" / ".local" / "bin" / "handful"
    assert link.is_symlink() and link.resolve() == (ROOT / ".venv" / "bin" / "handful").resolve()
    assert f"{link.parent} is not on your PATH" in first.stdout
    store = (tmp_path / "home" / "data" / "store.json").read_bytes()
    env["PATH"] = f"{link.parent}:{env['PATH']}"
    again = subprocess.run(["bash", str(INSTALL)], env=env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=600, check=False)
    typed = subprocess.run("cd / && handful status --json", shell=True, env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    stop(env)
    assert again.returncode == 0, again.stderr
    assert "is not on your PATH" not in again.stdout and link.is_symlink()
    assert typed.returncode == 0 and json.loads(typed.stdout)["agent"]["running"] is True
    assert "Already initialised" in again.stdout and "already running" in again.stdout
    assert (tmp_path / "home" / "data" / "store.json").read_bytes() == store
    assert manifest.exists()


def test_install_without_keyring_or_terminal_says_what_to_do(tmp_path: Path) -> None:
    result = subprocess.run(["bash", str(INSTALL)], env=env_for(tmp_path / "home"),
                            capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            timeout=600, check=False)
    assert result.returncode != 0
    assert "HANDFUL_PASSPHRASE" in result.stderr
    assert not (tmp_path / "home" / "data" / "store.json").exists()


def test_install_asks_for_a_passphrase_at_a_terminal(tmp_path: Path) -> None:
    term = Terminal(["bash", str(INSTALL)], env_for(tmp_path / "home"))
    term.until(b"Passphrase: ")
    # said plainly first, not as the keyring library's error
    assert "There is no OS keyring on this machine" in term.text, term.text
    assert "keyring backend" not in term.text and "refused" not in term.text
    term.type(b"terminal passphrase\n")
    term.until(b"Again: ")
    term.type(b"terminal passphrase\n")
    term.until(b"Installed:")
    assert term.exit_code() == 0, term.text
    text = term.text
    assert "Your recovery key" in text and "HANDFUL_PASSPHRASE" in text
    assert "terminal passphrase" not in text  # typed without echo
    env = {**env_for(tmp_path / "home"), "HANDFUL_PASSPHRASE": "terminal passphrase"}
    status_run = subprocess.run([str(ROOT / ".venv" / "bin" / "handful"), "status", "--json"],
                                env=env, capture_output=True, text=True, check=False)
    stop(env)
    assert status_run.returncode == 0, status_run.stderr
    assert json.loads(status_run.stdout)["agent"]["running"] is True


def test_the_first_command_in_a_fresh_clone_for_a_new_user(tmp_path: Path) -> None:
    """A clean environment: a new clone (so a new venv), a temporary HOME, the per-user
    folders of that HOME (no HANDFUL_HOME), no keyring: the passphrase path."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True,
                   timeout=120)
    user = tmp_path / "user"
    env = env_for(tmp_path / "unused", HANDFUL_PASSPHRASE="fresh clone",
                  XDG_RUNTIME_DIR=str(tmp_path / "runtime"))
    env.pop("HANDFUL_HOME")
    env.pop("PYTHONPATH")  # only what the clone installs
    (tmp_path / "runtime").mkdir(mode=0o700)
    handful = str(clone / ".venv" / "bin" / "handful")
    try:
        result = subprocess.run(["bash", str(clone / "installers" / "install.sh")], env=env,
                                capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                timeout=900, check=False)
        assert result.returncode == 0, result.stderr
        assert "Agent: running" in result.stdout
        status = subprocess.run([handful, "status", "--json"], env=env, capture_output=True,
                                text=True, check=True)
        assert json.loads(status.stdout)["agent"]["running"] is True
        assert (user / ".local" / "share" / "handful" / "store.json").exists()
        doctor = subprocess.run([handful, "doctor", "--json"], env=env, capture_output=True,
                                text=True, check=False)
        report = json.loads(doctor.stdout)
        assert doctor.returncode == 0 and report["ok"], report
    finally:
        subprocess.run([handful, "uninstall", "--purge", "--yes"], env=env,
                       capture_output=True, check=False, timeout=120)
    assert not (user / ".local" / "share" / "handful").exists()
    assert not (user / ".config" / "chromium" / "NativeMessagingHosts").exists()
