"""The README's first command: installs, creates the store, starts; safe to run again; asks
for a passphrase at a terminal when there is no keyring."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

from tests.conftest import ROOT, base_env

INSTALL = ROOT / "installers" / "install.sh"


def stop(env: dict[str, str]) -> None:
    subprocess.run([str(ROOT / ".venv" / "bin" / "handful"), "stop"], env=env,
                   capture_output=True, check=False, timeout=60)


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = base_env(home)
    env.pop("HANDFUL_PASSPHRASE")
    env.update(extra)
    return env


def test_install_creates_the_store_and_is_safe_to_rerun(tmp_path: Path) -> None:
    env = env_for(tmp_path / "home", HANDFUL_PASSPHRASE="pw for install")
    first = subprocess.run(["bash", str(INSTALL)], env=env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=600, check=False)
    assert first.returncode == 0, first.stderr
    assert "Your recovery key" in first.stdout and "Groups: 0 of 5" in first.stdout
    assert "Agent: running" in first.stdout
    store = (tmp_path / "home" / "data" / "store.json").read_bytes()
    again = subprocess.run(["bash", str(INSTALL)], env=env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=600, check=False)
    stop(env)
    assert again.returncode == 0, again.stderr
    assert "Already initialised" in again.stdout and "already running" in again.stdout
    assert (tmp_path / "home" / "data" / "store.json").read_bytes() == store


def test_install_without_keyring_or_terminal_says_what_to_do(tmp_path: Path) -> None:
    result = subprocess.run(["bash", str(INSTALL)], env=env_for(tmp_path / "home"),
                            capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            timeout=600, check=False)
    assert result.returncode != 0
    assert "HANDFUL_PASSPHRASE" in result.stderr
    assert not (tmp_path / "home" / "data" / "store.json").exists()


def test_install_asks_for_a_passphrase_at_a_terminal(tmp_path: Path) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the installer on a terminal, as a person runs it
        os.execvpe("bash", ["bash", str(INSTALL)], env_for(tmp_path / "home"))
    output = b""

    def read_until(marker: bytes, timeout: float = 300) -> None:
        nonlocal output
        deadline = time.monotonic() + timeout
        while marker not in output:
            assert time.monotonic() < deadline, output.decode(errors="replace")
            ready, _, _ = select.select([fd], [], [], 1)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk

    read_until(b"Passphrase: ")
    os.write(fd, b"terminal passphrase\n")
    read_until(b"Again: ")
    os.write(fd, b"terminal passphrase\n")
    read_until(b"Installed:")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, output.decode(errors="replace")
    text = output.decode(errors="replace")
    assert "Your recovery key" in text and "HANDFUL_PASSPHRASE" in text
    assert "terminal passphrase" not in text  # typed without echo
    env = {**env_for(tmp_path / "home"), "HANDFUL_PASSPHRASE": "terminal passphrase"}
    status_run = subprocess.run([str(ROOT / ".venv" / "bin" / "handful"), "status", "--json"],
                                env=env, capture_output=True, text=True, check=False)
    stop(env)
    assert status_run.returncode == 0, status_run.stderr
    assert json.loads(status_run.stdout)["agent"]["running"] is True
