"""Where Handful keeps things: under HANDFUL_HOME when set, else the per-user dirs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "handful"


@dataclass(frozen=True)
class Paths:
    data: Path      # the store: store.json, keys/, log/ (what sync may carry)
    state: Path     # this machine only: device id, remembered head, writer lock
    config: Path
    runtime: Path   # the agent's socket and pid (later)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Paths:
        env = os.environ if environ is None else environ
        home = env.get("HANDFUL_HOME")
        if home:
            root = Path(home).expanduser().absolute()
            return cls(root / "data", root / "state", root / "config", root / "run")
        return cls(
            Path(platformdirs.user_data_dir(APP, appauthor=False)),
            Path(platformdirs.user_state_dir(APP, appauthor=False)),
            Path(platformdirs.user_config_dir(APP, appauthor=False)),
            Path(platformdirs.user_runtime_dir(APP, appauthor=False)),
        )


def private_dir(path: Path) -> Path:
    """Create a directory only its owner can enter (0700)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path, 0o700)
    return path
