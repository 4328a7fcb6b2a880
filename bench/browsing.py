"""Shared pieces of the browser benchmarks: a store in a temp folder with its agent, the
fixture sites served as www.linkedin.com and www.facebook.com, and the builds to measure."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from common import PASSPHRASE, ROOT

sys.path.insert(0, str(ROOT))
from tests.browser import DIALOG, EXTENSION_DIR, FixtureSite, launch

__all__ = ["DIALOG", "FixtureSite", "Home", "bench_site", "builds", "launch"]


class Home:
    """What tests.browser.launch needs of a user's home: the agent's environment."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / "state"
        self.env = {**os.environ, "HANDFUL_HOME": str(root), "HANDFUL_PASSPHRASE": PASSPHRASE,
                    "PYTHONPATH": str(ROOT / "agent")}


@contextlib.contextmanager
def bench_site() -> Iterator[tuple[Path, Home, FixtureSite]]:
    """A temp folder, a new store in it (its agent stopped at the end), the fixture sites."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = Home(root / "home")
        handful = [sys.executable, "-m", "handful"]
        subprocess.run([*handful, "init"], env=home.env, check=True, capture_output=True)
        site = FixtureSite(root)
        try:
            yield root, home, site
        finally:
            site.close()
            subprocess.run([*handful, "stop"], env=home.env, check=False, capture_output=True)


def builds(compare: Path | None) -> list[tuple[str, Path]]:
    """`--compare DIR`: that build first ("before"), then this repository's ("after")."""
    found = [("before", compare.resolve())] if compare else []
    found.append(("after" if compare else "this", EXTENSION_DIR))
    return found
