"""Installed the way Python users install tools: the wheel built from this tree, installed by
pipx into an environment of its own, used from another folder with nothing of the source tree
on any path (as root, an empty folder mounted over it). It carries the extension and the
host's templates (handful/bundled.py), registers a host the browser can start, answers
through it, opens a browser with the extension it carries, and runs the README's examples
as a user types them."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from handful import __version__
from tests.bare_browser import Worker, devtools_port
from tests.browser import CHROMIUM, EXTENSION_ID, first_run_over
from tests.conftest import ROOT
from tests.hostkit import Host
from tests.test_readme import readme_commands

VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300, cwd=out)
    [built] = out.glob("handful-*.whl")
    return built


def test_the_wheel_carries_the_extension_and_the_host_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    extension = {p.relative_to(ROOT / "extension").as_posix()
                 for p in (ROOT / "extension").rglob("*") if p.is_file()}
    assert {f"handful/extension/{name}" for name in extension} <= names
    assert {f"handful/host_templates/{p.name}" for p in (ROOT / "native-messaging").glob("*.in")
            } <= names
    assert "handful/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "agent/"))]
    assert wheel.name.startswith(f"handful-{__version__}-")


def test_a_pipx_install_of_the_wheel_works_away_from_the_source_tree(
        wheel: Path, tmp_path: Path) -> None:
    user = tmp_path / "user"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pipx_home, bin_dir = tmp_path / "pipx", tmp_path / "bin"
    # A user of their own: no source tree on any path, not the tests' environment on PATH.
    path = os.pathsep.join([str(bin_dir), *[p for p in os.environ["PATH"].split(os.pathsep)
                                            if Path(p).resolve() != VENV_BIN.resolve()]])
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HANDFUL_", "XDG_", "PYTHON", "VIRTUAL_ENV"))
           and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update({"HOME": str(user), "PATH": path, "PIPX_HOME": str(pipx_home),
                "PIPX_BIN_DIR": str(bin_dir), "PIPX_MAN_DIR": str(tmp_path / "man"),
                "HANDFUL_HOME": str(tmp_path / "handful"),
                "HANDFUL_PASSPHRASE": "a passphrase for the wheel",
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})

    empty = tmp_path / "nothing-here"
    empty.mkdir()

    def run(command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`command` as the user types it; as root, with the source tree out of reach
        altogether (an empty folder mounted over it, in a mount namespace of its own)."""
        argv = ["sh", "-c", command]
        if os.geteuid() == 0:
            argv = ["unshare", "--mount", "sh", "-c",
                    f"mount --bind {shlex.quote(str(empty))} {shlex.quote(str(ROOT))} && "
                    f"exec sh -c {shlex.quote(command)}"]
        done = subprocess.run(argv, env=env, cwd=elsewhere, text=True,
                              capture_output=True, timeout=timeout, check=False)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        return done

    # pipx itself comes from the tests' environment (which lives in the source tree)
    subprocess.run([str(VENV_BIN / "pipx"), "install", "--python", sys.executable, str(wheel)],
                   env=env, cwd=elsewhere, capture_output=True, text=True, timeout=600,
                   check=True)
    venv = pipx_home / "venvs" / "handful"
    assert (bin_dir / "handful").exists()
    try:
        assert run("handful --version").stdout.strip() == f"handful {__version__}"
        where = json.loads(run("handful extension-path --json").stdout)
        extension = Path(where["path"])
        assert extension.is_relative_to(venv) and (extension / "manifest.json").is_file()
        assert run("handful extension-path").stdout.strip() == str(extension)
        assert where["version"] == __version__ and where["chrome_id"] == EXTENSION_ID
        imported = run("$(dirname $(readlink -f $(command -v handful)))/python -c "
                       "'import handful; print(handful.__file__)'").stdout.strip()
        assert Path(imported).is_relative_to(venv)

        run("handful init")
        installed = run("handful install --no-autostart").stdout  # every browser found
        assert "Registered for chromium" in installed
        manifest_path = user / ".config" / "chromium" / "NativeMessagingHosts" / \
            "com.handful.agent.json"
        manifest = json.loads(manifest_path.read_text())
        launcher = Path(manifest["path"])
        assert f"chrome-extension://{EXTENSION_ID}/" in manifest["allowed_origins"]
        assert str(venv) in launcher.read_text() and str(ROOT) not in launcher.read_text()

        # A framed status through the registered host, started as the browser starts it.
        host = Host(None, f"chrome-extension://{EXTENSION_ID}/", launcher=str(launcher),
                    env={**env, "PATH": "/usr/bin:/bin"})
        reply = host.ask({"id": 1, "type": "status"})
        host.finish()
        assert reply["ok"] and reply["result"]["cap"] == 5, reply

        # Doctor: autostart declined is a note, not a problem; nothing else is wrong.
        doctor = run("handful doctor --json")
        findings = {f["check"]: f for f in json.loads(doctor.stdout)["findings"]}
        assert findings["autostart"]["ok"] and findings["autostart"]["note"], findings
        assert all(f["ok"] for f in findings.values()), findings
        assert re.search(r"^--\s+autostart", run("handful doctor").stdout, re.M)

        # `handful browser`: Chromium with the extension this install carries, connected.
        opened = json.loads(run(
            f"handful browser --browser {CHROMIUM} --headless --json -- "
            "--remote-debugging-port=0 --disable-background-networking "
            "--disable-component-update --disable-sync --disable-quic").stdout)
        try:
            port = devtools_port(Path(opened["profile"]))
            cmdline = Path(f"/proc/{opened['pid']}/cmdline").read_bytes().split(b"\0")
            assert f"--load-extension={extension}".encode() in cmdline
            worker = Worker(port)
            try:
                first_run_over(worker, timeout=60)
                assert worker.evaluate("chrome.runtime.getManifest().version") == __version__
            finally:
                worker.close()
        finally:
            os.killpg(opened["pid"], signal.SIGTERM)

        # The README's examples, typed as a user types them.
        for argv in readme_commands():
            run(shlex.join(argv))
        assert (elsewhere / "handful.csv").read_text().startswith("id,type,ts,device")
        if os.geteuid() == 0:  # and the tree really was out of reach
            assert run(f"ls -A {shlex.quote(str(ROOT))}").stdout == ""
    finally:
        subprocess.run("handful stop", shell=True, env=env, cwd=elsewhere, capture_output=True,
                       timeout=60, check=False)
    written = [p for p in (tmp_path / "handful").rglob("*") if p.is_file()
               and p.suffix in (".json", ".desktop", "") and p.stat().st_size < 1 << 20]
    assert not [p for p in written if re.search(re.escape(str(ROOT)).encode(), p.read_bytes())]
