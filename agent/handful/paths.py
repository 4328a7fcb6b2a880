"""Where Handful keeps things: under HANDFUL_HOME when set, else the per-user folders
(platformdirs'), or the four folders named one by one (the host's launcher names them, as
the installer resolved them, so the host the browser starts needs no platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "handful"
# Each folder by name: what a launcher or a parent process passes down.
FOLDER_VARS = ("HANDFUL_DATA_DIR", "HANDFUL_STATE_DIR", "HANDFUL_CONFIG_DIR",
               "HANDFUL_RUNTIME_DIR")


class Paths:
    """The four folders (a plain class, not a dataclass: `dataclasses` and the `inspect` it
    loads would cost the native host's start a fifth of its imports)."""

    __slots__ = ("config", "data", "home", "runtime", "state")

    def __init__(self, data: Path, state: Path, config: Path, runtime: Path,
                 home: Path | None = None) -> None:
        self.data = data        # the store: store.json, keys/, log/ (what sync may carry)
        self.state = state      # this machine only: device id, remembered head, writer lock
        self.config = config
        self.runtime = runtime  # the agent's socket, pid and log
        self.home = home        # HANDFUL_HOME, when everything lives under it

    def _key(self) -> tuple[Path, Path, Path, Path, Path | None]:
        return (self.data, self.state, self.config, self.runtime, self.home)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Paths) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Paths(data={self.data!r}, state={self.state!r}, config={self.config!r}, "
                f"runtime={self.runtime!r}, home={self.home!r})")

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


def make_dirs(path: Path, mode: int) -> list[Path]:
    """Create `path` and any missing parent, each with `mode` whatever the umask (under
    `umask 000` a plain mkdir makes folders anyone can write to). The folders created."""
    missing = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=mode)
        except FileExistsError:
            continue
        if os.name == "posix":
            os.chmod(folder, mode)
    return list(reversed(missing))


def private_dir(path: Path) -> Path:
    """A folder only its owner can enter (0700), with any missing parent made so too."""
    make_dirs(path, 0o700)
    if os.name == "posix":
        os.chmod(path, 0o700)
    return path
