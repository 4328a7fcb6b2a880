"""Shared fixtures: a throwaway HANDFUL_HOME and the real `handful` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["tests.browser"]  # the `browser` fixture: a real Chromium with Handful

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ROOT / "tests" / "support"


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Home:
    root: Path
    env: dict[str, str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def state(self) -> Path:
        return self.root / "state"

    def run(self, *args: str, input: str | None = None, extra: dict[str, str] | None = None,
            timeout: float = 60) -> Result:
        env = {**self.env, **(extra or {})}
        self.root.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([sys.executable, "-m", "handful", *args], capture_output=True,
                              text=True, env=env, input=input, timeout=timeout, check=False,
                              cwd=self.root.parent)
        assert "Traceback" not in proc.stderr, proc.stderr
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args: str, **kw: object) -> str:
        result = self.run(*args, **kw)  # type: ignore[arg-type]
        assert result.code == 0, (args, result.err)
        return result.out

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file())


def base_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDFUL_")}
    env.update({
        "HANDFUL_HOME": str(root),
        "HANDFUL_PASSPHRASE": "correct horse battery staple",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "agent"), str(SUPPORT)]),
    })
    return env


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    home = Home(tmp_path / "home", base_env(tmp_path / "home"))
    yield home
    if (home.root / "run" / "agent.pid").exists():  # an agent a test left running
        home.run("stop")


@pytest.fixture
def store(home: Home) -> Home:
    home.ok("init")
    return home


@pytest.fixture
def agent(store: Home) -> Iterator[Home]:
    """A store with its agent running (started as `handful start` does), stopped after."""
    out = store.run("start", "--json")
    assert out.code == 0, out.err
    yield store
    store.run("stop")


@pytest.fixture
def in_process(home: Home, monkeypatch: pytest.MonkeyPatch) -> Iterator[Home]:
    """The same home, for tests that drive the library in this process."""
    for key, value in home.env.items():
        if key.startswith("HANDFUL_") or key == "PYTHON_KEYRING_BACKEND":
            monkeypatch.setenv(key, value)
    yield home
