"""The layering made executable, beyond import-linter's contracts (pyproject.toml, run by
tests/run.sh): what the native host really loads when the browser starts it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from handful.identity import CHROME_ID
from handful.install.manifests import write_host
from handful.paths import Paths
from tests.conftest import Home
from tests.hostkit import LENGTH

# Everything of Handful's the host may load: itself, starting the agent, and stdlib leaves.
HOST_MODULES = {"handful", "handful.host", "handful.agentctl", "handful.client",
                "handful.errors", "handful.identity", "handful.paths", "handful.filelock"}

# Loaded by Python at start-up (`site`) into the host's process: on exit it writes the names
# of every module the process holds. Builtins only, so it adds nothing to what it counts.
PROBE = """import atexit, os, sys
def _dump(folder=%r):
    with open(os.path.join(folder, "%%d.txt" %% os.getpid()), "w") as out:
        out.write("\\n".join(sorted(sys.modules)))
atexit.register(_dump)
"""


def test_the_host_started_by_the_browser_loads_only_the_stdlib_and_its_own_leaves(
        store: Home, tmp_path: Path) -> None:
    """The host run by its launcher, as a browser runs it, asked for `status` while no agent
    runs, so it starts one: its process loaded no third-party package (no platformdirs,
    aiohttp, msgspec, cryptography…) and none of Handful's heavier parts."""
    script, _, _ = write_host(tmp_path / "hosts", chrome=[CHROME_ID],
                              paths=Paths.from_env(store.env))
    assert "HANDFUL_HOME=" in script.read_text()  # the folders are named in the launcher
    probe = tmp_path / "probe"
    probe.mkdir()
    modules = tmp_path / "modules"  # one file per process: the host's, then the agent's
    modules.mkdir()
    (probe / "sitecustomize.py").write_text(PROBE % str(modules))
    env = {**store.env, "PYTHONPATH": os.pathsep.join(
        [str(probe), *filter(None, [store.env.get("PYTHONPATH")])])}
    frame = json.dumps({"id": 1, "type": "status"}).encode()
    try:
        host = subprocess.Popen([str(script), f"chrome-extension://{CHROME_ID}/"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        out, err = host.communicate(LENGTH.pack(len(frame)) + frame, timeout=60)
        reply = json.loads(out[LENGTH.size:])
        assert reply["ok"] and reply["result"]["agent"]["running"], err
    finally:
        store.run("stop")
    loaded = (modules / f"{host.pid}.txt").read_text().split()  # exec: the launcher's pid
    ours = {name for name in loaded if name == "handful" or name.startswith("handful.")}
    assert ours <= HOST_MODULES, ours - HOST_MODULES
    assert "handful.agentctl" in ours  # it did start the agent
    tops = {name.partition(".")[0] for name in loaded} - {"handful", "__main__",
                                                          "sitecustomize"}
    foreign = {name for name in tops if name not in sys.stdlib_module_names
               and name not in sys.builtin_module_names and not name.startswith("_")}
    assert foreign == set(), foreign
