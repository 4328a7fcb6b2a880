"""The README's examples run as written, so they cannot rot."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, Home


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Using it\s+```sh\n(.*?)```", text, re.S)
    assert block, "the README lost its 'Using it' example"
    commands = []
    for line in block.group(1).splitlines():
        command = line.split("#")[0].strip()
        if command:
            commands.append(shlex.split(command))
    return commands


def test_the_readme_examples_work(store: Home) -> None:
    commands = readme_commands()
    assert len(commands) >= 8
    # typed as a user types them: `handful` found on PATH (the console script), in a shell
    env = {**store.env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for argv in commands:
        assert argv[0] == "handful"
        done = subprocess.run(shlex.join(argv), shell=True, env=env, cwd=store.root.parent,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (argv, done.stderr)
    exported = (store.root.parent / "handful.csv").read_text().splitlines()
    assert exported[0].startswith("id,type,ts,device")
    assert len(exported) == 1 + 4  # joined, post, business, settings_changed
