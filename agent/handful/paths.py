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
    runtime: Path   # the agent's socket, pid and log
    home: Path | None = None  # HANDFUL_HOME, when everything lives under it

    def environ(self) -> dict[str, str]:
        """The environment a child process needs to find these same folders."""
        env = dict(os.environ)
        if self.home is not None:
            env["HANDFUL_HOME"] = str(self.home)
        elif self == Paths.from_env({}):
            env.pop("HANDFUL_HOME", None)
        else:
            raise ValueError("these folders cannot be named to a child process")
        return env

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Paths:
        env = os.environ if environ is None else environ
        home = env.get("HANDFUL_HOME")
        if home:
            root = Path(home).expanduser().absolute()
            return cls(root / "data", root / "state", root / "config", root / "run", root)
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
