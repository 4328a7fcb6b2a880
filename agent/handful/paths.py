"""Where Handful keeps things: under HANDFUL_HOME when set, else the per-user folders
(platformdirs'), or the four folders named one by one (the host's launcher names them, as
the installer resolved them, so the host the browser starts needs no platformdirs)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP = "handful"
# Each folder by name: what a launcher or a parent process passes down.
FOLDER_VARS = ("HANDFUL_DATA_DIR", "HANDFUL_STATE_DIR", "HANDFUL_CONFIG_DIR",
               "HANDFUL_RUNTIME_DIR")


@dataclass(frozen=True)
class Paths:
    data: Path      # the store: store.json, keys/, log/ (what sync may carry)
    state: Path     # this machine only: device id, remembered head, writer lock
    config: Path
    runtime: Path   # the agent's socket, pid and log
    home: Path | None = None  # HANDFUL_HOME, when everything lives under it

    def folder_env(self) -> dict[str, str]:
        """The variables that name these same folders to another process."""
        if self.home is not None:
            return {"HANDFUL_HOME": str(self.home)}
        folders = (self.data, self.state, self.config, self.runtime)
        return {name: str(path) for name, path in zip(FOLDER_VARS, folders, strict=True)}

    def environ(self) -> dict[str, str]:
        """The environment a child process needs to find these same folders."""
        env = {k: v for k, v in os.environ.items()
               if k != "HANDFUL_HOME" and k not in FOLDER_VARS}
        return {**env, **self.folder_env()}

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Paths:
        env = os.environ if environ is None else environ
        home = env.get("HANDFUL_HOME")
        if home:
            root = Path(home).expanduser().absolute()
            return cls(root / "data", root / "state", root / "config", root / "run", root)
        named = [env.get(name) for name in FOLDER_VARS]
        if all(named):
            return cls(*(Path(str(value)) for value in named))
        import platformdirs  # only where no folder was named: not on the host's path

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
